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
from plms.io.names import (
    BLAND_ALTMAN_PNG,
    VALIDATION_JSON,
    VALIDATION_NIGHTS_CSV,
)
from plms.result import ScoreResult
from plms.rules import Rules, get_rules
from plms.validation.metrics import (
    _raw_rows,
    _summarise,
    _tables,
    compare_nights,
    estimate_shift,
)
from plms.validation._nights import _check_overlap, _load, _Night, _shifted, _sources

__all__ = ["Validation", "validate"]


@dataclass
class Validation:
    """The result of :func:`validate`."""

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
                "per_night": records(self.nights), "warnings": list(self.warnings)}

    def bland_altman_figure(self, *, dpi: int = 100) -> Any:
        """Bland-Altman plot of the PLMS index (matplotlib Figure)."""
        from plms.plots._common import THRESHOLD_COLOR, _new_figure, _style

        d = self.nights.dropna(subset=["ref_plms_index", "test_plms_index"])
        mean = (d["ref_plms_index"] + d["test_plms_index"]) / 2
        diff = d["test_plms_index"] - d["ref_plms_index"]
        a = self.agreement
        with _style():
            fig = _new_figure(5.0, 3.6, dpi)
            ax = fig.add_subplot()
            ax.scatter(mean, diff, s=18, color="#1f77b4")
            if a.get("bias") is not None:
                ax.axhline(a["bias"], color="#333333", lw=1,
                           label=f"bias {a['bias']:.1f}/h")
            if a.get("loa_lower") is not None:
                for key in ("loa_lower", "loa_upper"):
                    ax.axhline(a[key], color=THRESHOLD_COLOR, lw=1, ls="--")
                ax.plot([], [], color=THRESHOLD_COLOR, ls="--", label=(
                    f"limits of agreement {a['loa_lower']:.1f} to {a['loa_upper']:.1f}/h"))
            ax.set_xlabel("mean PLMS index of the two scorings (/h)")
            ax.set_ylabel("test - reference (/h)")
            ax.set_title(f"Bland-Altman, {len(d)} nights")
            fig.legend(loc="outside lower center", ncols=2)
        return fig

    def output_paths(self, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        out = Path(out_dir)
        paths = {"json": out / VALIDATION_JSON, "nights": out / VALIDATION_NIGHTS_CSV}
        if self.nights[["ref_plms_index", "test_plms_index"]].notna().all(axis=1).sum() >= 2:
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
        "shift_s": shift, "ref_n_lm": len(ref.events), "test_n_lm": len(tst.events),
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
                         "left out of the night-level agreement")
        for warning in night.result.summary.get("warnings", []):
            if warning.startswith("its PLMS index was scored with"):
                notes.append(f"night {stem!r}, {side}: {warning}")
    return notes


def validate(reference: Any, test: Any, *, shift_s: float | str | None = None,
             rules: str | Rules = "wasm2016", min_iou: float = 0.2,
             onset_tolerance_s: float = 0.5, max_shift_s: float = 120.0,
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
        notes += _check_overlap(stem, ref, tst, shift)
        raw = _raw_rows(_tables(ref, rules), _tables(tst, rules), min_iou, onset_tolerance_s)
        raw_all += raw
        per = _summarise(raw)
        night_tables.append(per.assign(night=stem))
        night_rows.append(_night_row(stem, (r_src, t_src), (ref_night, test_night), tst,
                                     shift, per))
        notes += _night_notes(stem, (r_src, t_src), (ref_night, test_night))
    nights = pd.DataFrame(night_rows)
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
    return Validation(_summarise(raw_all), night_events, nights, agreement, settings, notes)
