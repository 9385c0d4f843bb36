"""``validate``: pair the nights of two scorings, compare them, write the results."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.io.names import (
    BLAND_ALTMAN_PNG,
    VALIDATION_JSON,
    VALIDATION_NIGHTS_CSV,
)
from plms.result import ScoreResult
from plms.signal.events import DEFAULT_MIN_IOU, DEFAULT_ONSET_TOLERANCE_S
from plms.rules import Rules, get_rules
from plms.validation.metrics import (
    _raw_rows,
    _summarise,
    _tables,
    compare_nights,
    estimate_shift,
)
from plms.validation._nights import _check_overlap, _load, _Night, _shifted, _sources
from plms.validation.sleep import SleepAgreement, compare_sleep

__all__ = ["Validation", "validate"]


@dataclass
class Validation:
    """The result of :func:`validate`.

    ``sleep`` holds the sleep/wake agreement of the nights whose two sides
    have a hypnogram (None-valued figures elsewhere, never 0);
    :meth:`sleep_summary` shows it as a table.
    """

    events: pd.DataFrame
    """Event-level agreement pooled over the nights (see :func:`compare_events`)."""
    night_events: pd.DataFrame
    """The same, night by night (column ``night``)."""
    nights: pd.DataFrame
    """One row per night: files, shift, PLMS indices and F1 of each leg and matching."""
    agreement: dict[str, Any]
    """Night-level agreement (:func:`compare_nights`)."""
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from plms._version import __version__

        def records(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _json_value(v) for k, v in row.items()}
                    for row in df.to_dict(orient="records")]

        return {"plms_version": __version__, "settings": self.settings,
                "events": records(self.events), "nights": self.agreement,
                "per_night": records(self.nights),
                "sleep": None if self.sleep is None else self.sleep.to_dict(),
                "warnings": list(self.warnings)}

    sleep: SleepAgreement | None = None
    """Sleep/wake agreement of the nights' hypnograms (:mod:`plms.validation.sleep`)."""

    def sleep_summary(self) -> pd.DataFrame:
        """Sleep/wake agreement per night and pooled (last row), and each side's figures.

        Columns: ``sleep_epochs``, ``sleep_unscored_epochs``, ``sleep_accuracy``,
        ``sleep_kappa``, ``sleep_sensitivity`` (sleep), ``sleep_specificity``
        (wake), ``sleep_always_sleep_accuracy``, then ``ref_``/``test_``
        ``tst_min``, ``sleep_efficiency``, ``waso_min``, ``sol_min``; NaN where
        not computed (no hypnogram on a side).
        """
        if self.sleep is None:
            return pd.DataFrame(index=pd.Index([], name="night"))
        return self.sleep.frame()

    def _panels(self) -> list[Any]:
        from plms.validation.figures import panels

        return panels(self.nights, self.agreement,
                      None if self.sleep is None else self.sleep.figures)

    def bland_altman_figure(self, *, dpi: int = 100) -> Any:
        """Bland-Altman plots of the PLMS index and the sleep figures (matplotlib Figure).

        One panel per figure given on both sides by two nights or more.
        """
        from plms.validation.figures import bland_altman_figure

        return bland_altman_figure(self._panels(), dpi=dpi)

    def output_paths(self, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        out = Path(out_dir)
        paths = {"json": out / VALIDATION_JSON, "nights": out / VALIDATION_NIGHTS_CSV}
        if self._panels():
            paths["bland_altman"] = out / BLAND_ALTMAN_PNG
        return paths

    def write(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Write validation.json, nights.csv and bland_altman.png (>= 2 nights), all or none."""
        from plms.outputs import summary_to_json
        from plms.outputs.atomic import write_paths_all_or_nothing

        paths = self.output_paths(out_dir)
        contents: dict[Path, bytes] = {
            paths["json"]: summary_to_json(self.to_dict()).encode("utf-8"),
            paths["nights"]: self.nights.to_csv(index=False, lineterminator="\n",
                                                float_format="%.4g").encode("utf-8"),
        }
        if "bland_altman" in paths:
            from plms.plots._common import figure_png

            contents[paths["bland_altman"]] = figure_png(self.bland_altman_figure())
        Path(out_dir).mkdir(parents=True, exist_ok=True)

        def writer(data: bytes) -> Any:
            def write(path: Path) -> None:
                with open(path, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            return write

        return write_paths_all_or_nothing({p: writer(c) for p, c in contents.items()})


def _respiratory_agreement(nights: pd.DataFrame) -> dict[str, Any]:
    """Whether both scorings had the respiratory events, and a note when they differ.

    The headline PLMS index leaves out the respiratory-related movements (RULES.md
    section 4) only where respiratory events were scored; a side without them
    counts those movements, so the night-level bias then holds that difference.
    """
    compared = nights.dropna(subset=["ref_plms_index", "test_plms_index"])

    def flags(column: str) -> list[bool | None]:
        return [None if v is None or v != v else bool(v) for v in compared[column]]

    ref, test = flags("ref_respiratory_scored"), flags("test_respiratory_scored")
    rows = list(zip(compared["night"], ref, test, strict=True))
    only_ref = [n for n, r, t in rows if r is True and t is False]
    only_test = [n for n, r, t in rows if r is False and t is True]
    note = None
    if only_ref or only_test:
        parts = []
        if only_ref:
            parts.append(f"the reference had respiratory events and the test not in "
                         f"{len(only_ref)} of {len(compared)} night(s) ({', '.join(only_ref)})")
        if only_test:
            parts.append(f"the test had respiratory events and the reference not in "
                         f"{len(only_test)} of {len(compared)} night(s) "
                         f"({', '.join(only_test)})")
        note = ("; ".join(parts) + ": respiratory-related movements are left out of the PLMS "
                "index on one side only, so the PLMS index bias includes them (the "
                "*_plms_index_incl_resp columns of nights.csv keep them on both sides)")
    return {"reference_nights": sum(1 for r in ref if r), "test_nights": sum(1 for t in test if t),
            "unknown_nights": sum(1 for _, r, t in rows if r is None or t is None),
            "only_reference": only_ref, "only_test": only_test, "note": note}


def _index(result: ScoreResult, key: str) -> float:
    value: Any = result.summary.get(key)
    return math.nan if value is None else float(value)


def _name(src: Any, stem: str) -> str:
    return str(src) if isinstance(src, (str, os.PathLike)) else stem


def _json_value(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    return v


def _pairs(reference: Any, test: Any, notes: list[str]) -> list[tuple[str, Any, Any]]:
    """(stem, reference, test) of every night in both; nights in one only noted in ``notes``."""
    refs, ref_many = _sources(reference)
    tests, test_many = _sources(test)
    if ref_many != test_many:
        raise PlmsInputError("give two files or two folders: one of REFERENCE and TEST is a "
                             "single night and the other several")
    if not ref_many:
        return [(next(iter(refs)), next(iter(refs.values())), next(iter(tests.values())))]
    common = [s for s in refs if s in tests]
    only_ref = sorted(set(refs) - set(tests))
    only_test = sorted(set(tests) - set(refs))
    if not common:
        raise PlmsInputError("no night is in both the reference and the test (nights are "
                             "paired by file stem)")
    if only_ref:
        notes.append(f"night(s) only in the reference, left out: {', '.join(only_ref)}")
    if only_test:
        notes.append(f"night(s) only in the test, left out: {', '.join(only_test)}")
    return [(s, refs[s], tests[s]) for s in common]


def _night_row(stem: str, sources: tuple[Any, Any], nights: tuple[_Night, _Night],
               tst: ScoreResult, shift: float, per: pd.DataFrame) -> dict[str, Any]:
    """The row of ``nights.csv`` of one night (``tst``: the test, shifted)."""
    (r_src, t_src), (ref_night, test_night) = sources, nights
    ref = ref_night.result
    ri, ti = ref_night.plms_index, test_night.plms_index
    row: dict[str, Any] = {
        "night": stem, "reference": _name(r_src, stem), "test": _name(t_src, stem),
        "shift_s": shift,
        "ref_n_lm": len(ref.events) if ref_night.movements else math.nan,    # a hypnogram alone:
        "test_n_lm": len(tst.events) if test_night.movements else math.nan,  # not 0 movements
        "ref_plms_index": math.nan if ri is None else ri,
        "test_plms_index": math.nan if ti is None else ti,
        "ref_plms_index_incl_resp": _index(ref, "plms_index_incl_resp"),
        "test_plms_index_incl_resp": _index(tst, "plms_index_incl_resp"),
        "ref_respiratory_scored": ref_night.respiratory_scored,
        "test_respiratory_scored": test_night.respiratory_scored}
    row["diff_plms_index"] = row["test_plms_index"] - row["ref_plms_index"]
    for rec in per.to_dict(orient="records"):
        for stat in ("sensitivity", "precision", "f1"):
            row[f"{rec['leg']}_{rec['match']}_{stat}"] = rec[stat]
    return row


def _night_notes(stem: str, sources: tuple[Any, Any],
                 nights: tuple[_Night, _Night]) -> list[str]:
    """Warnings of one night: a side without a PLMS index, an index scored otherwise."""
    notes = []
    for side, night, src in zip(("reference", "test"), nights, sources, strict=True):
        if night.plms_index is None:
            notes.append(f"night {stem!r}: no PLMS index for the {side} "
                         f"({_name(src, stem)}): {night.no_index_reason}; the night is "
                         "left out of the PLMS index agreement")
        for warning in night.result.summary.get("warnings", []):
            if warning.startswith("its PLMS index was scored with"):
                notes.append(f"night {stem!r}, {side}: {warning}")
    return notes


def _sleep_notes(sleep: SleepAgreement, sides: dict[str, tuple[_Night, _Night]]) -> list[str]:
    """The sleep notes worth a warning: a night with a hypnogram on one side only (why the
    other has none), epochs left out. Nights without any hypnogram say nothing."""
    notes = []
    for night in sleep.nights:
        if night.note is None or (night.reference is None and night.test is None):
            continue
        why = [n.hypnogram_note for n in sides[night.night] if n.hypnogram is None
               and n.hypnogram_note]
        notes.append("; ".join([night.note, *why]))
    return notes


def validate(reference: Any, test: Any, *, shift_s: float | str | None = None,
             rules: str | Rules = "wasm2016", min_iou: float = DEFAULT_MIN_IOU,
             onset_tolerance_s: float = DEFAULT_ONSET_TOLERANCE_S, max_shift_s: float = 120.0,
             threshold_per_h: float | None = None) -> Validation:
    """Compare a test scoring with a reference scoring, night by night and overall.

    Parameters
    ----------
    reference, test
        A file plms reads (:func:`plms.rescore`; plms's own ``events.tsv`` too),
        a folder of such files (nights paired by stem), a ScoreResult, an
        Annotations, a per-leg DataFrame, or a mapping night -> one of these.
    shift_s : float, "auto" or None
        Clock offset of the test (test minus reference, s), subtracted from the
        test's onsets; ``"auto"`` estimates it per night (:func:`estimate_shift`).
    threshold_per_h : float, optional
        PLMS index of the classification agreement; default: the rules' (15/h).

    Raises
    ------
    PlmsInputError
        A file cannot be read, no night is in both, or a pair does not overlap
        in time. Nights in only one of the two give a warning naming them.
    """
    rules = get_rules(rules)
    if threshold_per_h is None:
        threshold_per_h = float(rules.plms_index_threshold_per_h)
    if isinstance(shift_s, str) and shift_s != "auto":
        raise ValueError(f"shift_s must be a number, 'auto' or None, not {shift_s!r}")
    notes: list[str] = []
    pairs = _pairs(reference, test, notes)

    raw_all, night_rows, night_tables = [], [], []
    hypnograms: list[tuple[str, Hypnogram | None, Hypnogram | None, float]] = []
    night_sides: dict[str, tuple[_Night, _Night]] = {}
    for stem, r_src, t_src in pairs:
        ref_night, test_night = _load(r_src, rules), _load(t_src, rules)
        ref, tst = ref_night.result, test_night.result
        if shift_s == "auto":
            shift = estimate_shift(ref.events["onset"], tst.events["onset"],
                                   max_shift_s=max_shift_s)
            shift = round(shift, 3)
        else:
            shift = float(shift_s or 0.0)
        tst = _shifted(tst, shift)
        raw = []
        if ref_night.movements and test_night.movements:    # not a hypnogram alone
            notes += _check_overlap(stem, ref, tst, shift)
            raw = _raw_rows(_tables(ref, rules), _tables(tst, rules), min_iou,
                            onset_tolerance_s)
        hypnograms.append((stem, ref_night.hypnogram, test_night.hypnogram, shift))
        raw_all += raw
        per = _summarise(raw)
        night_tables.append(per.assign(night=stem))
        night_rows.append(_night_row(stem, (r_src, t_src), (ref_night, test_night), tst,
                                     shift, per))
        notes += _night_notes(stem, (r_src, t_src), (ref_night, test_night))
        night_sides[stem] = (ref_night, test_night)
    sleep = compare_sleep(hypnograms)
    notes += _sleep_notes(sleep, night_sides)
    nights = pd.DataFrame([{**row, **{k: math.nan if v is None else v
                                      for k, v in n.row().items()}}
                           for row, n in zip(night_rows, sleep.nights, strict=True)])
    agreement = compare_nights(nights.set_index("night")["ref_plms_index"],
                               nights.set_index("night")["test_plms_index"],
                               threshold_per_h=threshold_per_h)
    agreement["respiratory_events"] = _respiratory_agreement(nights)
    if agreement["respiratory_events"]["note"]:
        notes.append(agreement["respiratory_events"]["note"])
    night_events = pd.concat(night_tables, ignore_index=True)
    night_events = night_events[["night"] + [c for c in night_events if c != "night"]]
    settings = {"rules": rules.name, "min_iou": min_iou,
                "onset_tolerance_s": onset_tolerance_s,
                "shift": "auto" if shift_s == "auto" else float(shift_s or 0.0),
                "max_shift_s": max_shift_s,
                "shift_convention": "test clock minus reference clock, subtracted from the "
                                    "test's onsets"}
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return Validation(_summarise(raw_all), night_events, nights, agreement, settings, notes,
                      sleep)
