"""The nights of ``plms validate``: finding, pairing and reading each scoring.

A scoring is a file or folder of plms outputs, an annotation file or a
:class:`~plms.result.ScoreResult`; :func:`_load` reads one night of either side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.io.names import (
    BATCH_SUMMARY_CSV,
    EVENTS_TSV,
    EXTRA_SUFFIXES,
    night_files,
    stem_of,
)
from plms.io.results import read_events_tsv, read_summary_json
from plms.result import ScoreResult
from plms.rules import Rules
from plms.summary import Summary

#: Fraction of the longer scoring's span the two must share, else a warning.
MIN_OVERLAP_FRACTION = 0.5


# ---------------------------------------------------------------- nights
_SKIPPED_SUFFIXES = (".json", ".png", ".html", ".md")


#: Events tables named after their night: plms's own and a CSV one.
_EVENTS_SUFFIXES = (EVENTS_TSV, ".events.csv")
#: plms's own extra outputs that hold the night's hypnogram, read beside its events.tsv
#: (a folder's ``n1.plms-nsrr.xml`` is the hypnogram of ``n1.events.tsv``, not a night).
_HYPNOGRAM_EXTRAS = (EXTRA_SUFFIXES["nsrr-xml"], EXTRA_SUFFIXES["edf-annotations"])
#: Tails of annotation files after the night's stem (``n1-nsrr.xml`` is night ``n1``).
_ANNOTATION_TAILS = ("-nsrr", "-profusion")


def _stem(path: Path) -> str:
    for suffix in _EVENTS_SUFFIXES:
        stem = stem_of(path, suffix)
        if stem is not None:
            return stem
    stem = path.stem
    for tail in _ANNOTATION_TAILS:
        if stem.lower().endswith(tail):
            return stem[:-len(tail)]
    return stem


def _folder(path: Path) -> dict[str, Path]:
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                   and not p.name.lower().endswith(_SKIPPED_SUFFIXES)
                   and p.name != BATCH_SUMMARY_CSV)
    own = {stem_of(p, EVENTS_TSV) for p in files} - {None}
    files = [p for p in files if not any(stem_of(p, suffix) in own
                                         for suffix in _HYPNOGRAM_EXTRAS)]
    out: dict[str, Path] = {}
    for p in files:
        stem = _stem(p)
        if stem in out:
            raise PlmsInputError(f"two files hold the night {stem!r} ({out[stem].name} and "
                                 f"{p.name}): keep one per night", path=path)
        out[stem] = p
    if not out:
        raise PlmsInputError("the folder holds no scoring file", path=path)
    return out


def _sources(x: Any) -> tuple[dict[str, Any], bool]:
    """Nights of one side, by stem, and whether it was a folder."""
    if isinstance(x, Mapping):
        return dict(x), True
    if isinstance(x, (ScoreResult, Annotations, pd.DataFrame)):
        stem = x.stem if isinstance(x, ScoreResult) else "night"
        return {stem: x}, False
    path = Path(x)
    if path.is_dir():
        return _folder(path), True
    if not path.exists():
        raise PlmsInputError("no such file or folder", path=path)
    return {_stem(path): path}, False


#: Night-level figures of plms's own summary.json that validate uses.
_NIGHT_KEYS = ("plms_index", "plms_index_incl_resp", "respiratory_scored", "sleep_source",
               "tst_min", "rules")


@dataclass(frozen=True)
class _Night:
    """One side of a night: its scoring, and why it has no PLMS index when it has none.

    ``movements`` is False for a hypnogram alone (no leg movement to compare);
    ``hypnogram_note`` says why a plms events.tsv has no hypnogram.
    """

    result: ScoreResult
    no_index_reason: str | None = None
    movements: bool = True
    hypnogram_note: str | None = None

    @property
    def hypnogram(self) -> Hypnogram | None:
        return self.result.hypnogram

    @property
    def plms_index(self) -> float | None:
        value = self.result.summary.get("plms_index")
        return None if value is None else float(value)

    @property
    def respiratory_scored(self) -> bool | None:
        """Whether respiratory events were scored; None when not known."""
        value = self.result.summary.get("respiratory_scored")
        return None if value is None else bool(value)


def _own_summary(path: Path) -> tuple[Mapping[str, Any] | None, str | None]:
    """plms's STEM.summary.json beside its STEM.events.tsv, or why there is none to use."""
    sidecar = night_files(path.parent, str(stem_of(path, EVENTS_TSV))).summary_json
    if not sidecar.is_file():
        return None, f"no {sidecar.name} beside it"
    try:
        return read_summary_json(sidecar), None
    except PlmsInputError as exc:
        return None, f"its {sidecar.name} {exc.problem}"


def _read_own_events(path: Path, exc: PlmsInputError) -> ScoreResult:
    """plms's own STEM.events.tsv with bilateral rows: the combined movements only."""
    if stem_of(path, EVENTS_TSV) is None or "bilateral" not in str(exc):
        raise exc
    table = read_events_tsv(path)
    summary: dict[str, Any] = {"plms_index": None, "respiratory_scored": None, "warnings": [
        "combined movements only (plms events.tsv): no per-leg comparison"]}
    return ScoreResult(events=table[["onset", "duration", "side"]],
                       summary=cast(Summary, summary),  # a partial summary, on purpose
                       per_leg=None, stem=_stem(path))


def _with_own_summary(result: ScoreResult, path: Path, rules: Rules) -> _Night:
    """plms's own events.tsv: the night-level figures come from its summary.json.

    The events.tsv holds the movements but neither the hypnogram (or the sleep
    estimated from an accelerometer) nor the respiratory events, so rescoring
    it alone gives no PLMS index and ignores the respiratory exclusion.
    """
    from dataclasses import replace

    hypnogram, hyp_note = _own_hypnogram(path)
    result = replace(result, hypnogram=hypnogram)
    own, problem = _own_summary(path)
    if own is None:
        reason = (f"a plms events.tsv holds no sleep time and {problem}"
                  if result.summary.get("plms_index") is None else None)
        # what the rescoring of the bare table says about respiratory events is not known
        unknown: dict[str, Any] = {**result.summary, "respiratory_scored": None}
        return _Night(replace(result, summary=cast(Summary, unknown)), reason,
                      hypnogram_note=hyp_note)
    summary: dict[str, Any] = {**result.summary, **{k: own.get(k) for k in _NIGHT_KEYS}}
    if own.get("rules") not in (None, rules.name):
        summary.setdefault("warnings", [])
        summary["warnings"] = [*summary["warnings"], (
            f"its PLMS index was scored with the {own.get('rules')} rules, not {rules.name}")]
    reason = None
    if summary.get("plms_index") is None:
        reason = f"its summary.json has none ({_sleep_reason(summary)})"
    return _Night(replace(result, summary=cast(Summary, summary)), reason,
                  hypnogram_note=hyp_note)


def _own_hypnogram(path: Path) -> tuple[Hypnogram | None, str | None]:
    """The hypnogram plms wrote beside its events.tsv (``--write nsrr-xml`` or
    ``edf-annotations``), or why there is none: the events.tsv holds no hypnogram."""
    from plms.io import read_annotations

    files = night_files(path.parent, str(stem_of(path, EVENTS_TSV)))
    for fmt in ("nsrr-xml", "edf-annotations"):
        sidecar = files.extra(fmt)
        if sidecar.is_file():
            try:
                hypnogram = read_annotations(sidecar).hypnogram
            except PlmsInputError as exc:
                return None, f"its {sidecar.name} {exc.problem}"
            if hypnogram is not None:
                return hypnogram, None
    return None, (f"a plms events.tsv holds no hypnogram and neither {files.extra('nsrr-xml').name}"
                  f" nor {files.extra('edf-annotations').name} lies beside it (score with "
                  "--write nsrr-xml to keep the hypnogram)")


#: Why an annotation file with a hypnogram and no leg movement has no PLMS index here.
NO_MOVEMENT_REASON = ("the file holds a hypnogram and no scored leg movement (sleep staged, "
                      "movements not scored?): compared as a hypnogram only")


def _sleep_only(result: ScoreResult) -> bool:
    """A rescored annotation file with a hypnogram and not one leg movement."""
    per_leg = result.per_leg
    return result.hypnogram is not None and per_leg is not None and len(per_leg) == 0


def _without_indices(result: ScoreResult) -> ScoreResult:
    """The scoring without the movement figures that would read as 0 movements."""
    from dataclasses import replace

    summary: dict[str, Any] = {**result.summary, "plms_index": None,
                               "plms_index_incl_resp": None, "respiratory_scored": None}
    return replace(result, summary=cast(Summary, summary))


def _is_hypnogram_text(path: Path) -> bool:
    """Whether a file rescoring refused is a hypnogram text (one stage per line)."""
    from plms.io import detect_format

    try:
        return detect_format(path) == "hypnogram"
    except PlmsInputError:
        return False


def _hypnogram_only(path: Path) -> _Night:
    """A hypnogram file (one stage per line): no leg movement, only sleep to compare."""
    from plms.io import read_annotations

    hypnogram = read_annotations(path, fmt="hypnogram").hypnogram
    summary: dict[str, Any] = {"plms_index": None, "respiratory_scored": None,
                               "tst_min": None if hypnogram is None else hypnogram.tst_min,
                               "warnings": []}
    empty = pd.DataFrame({"onset": pd.Series(dtype=float), "duration": pd.Series(dtype=float),
                          "side": pd.Series(dtype=str)})
    result = ScoreResult(events=empty, summary=cast(Summary, summary),  # no movements
                         per_leg=None, hypnogram=hypnogram, stem=_stem(path))
    return _Night(result, "a hypnogram file holds no leg movements", movements=False)


def _sleep_reason(summary: Mapping[str, Any]) -> str:
    """Why a scoring has no PLMS index, from its summary."""
    tst = summary.get("tst_min")
    if summary.get("sleep_source") is None and tst is None:
        return "no hypnogram and no estimated sleep: the sleep time is unknown"
    if tst is not None and tst <= 0:
        return "no sleep in its hypnogram (TST 0)"
    return "its sleep time is unknown"


def _load(x: Any, rules: Rules) -> _Night:
    from plms.pipeline.rescore import rescore

    if isinstance(x, ScoreResult):
        result = x
    elif isinstance(x, pd.DataFrame):
        from plms.pipeline.core import score_lms

        result = score_lms(x, rules)
    elif isinstance(x, Annotations):
        result = rescore(x, rules)
    else:
        path = Path(x)
        try:
            result = rescore(path, rules)
        except PlmsInputError as exc:
            if _is_hypnogram_text(path):
                return _hypnogram_only(path)
            result = _read_own_events(path, exc)
        if stem_of(path, EVENTS_TSV) is not None:
            return _with_own_summary(result, path, rules)
    if not isinstance(x, (ScoreResult, pd.DataFrame)) and _sleep_only(result):
        return _Night(_without_indices(result), NO_MOVEMENT_REASON, movements=False)
    if result.summary.get("plms_index") is not None:
        return _Night(result)
    reason = _sleep_reason(result.summary)
    if isinstance(x, pd.DataFrame):
        reason = ("a table of leg movements holds no sleep time (give a ScoreResult, or "
                  "Annotations with a hypnogram)")
    return _Night(result, reason)


def _shifted(result: ScoreResult, shift: float) -> ScoreResult:
    from dataclasses import replace

    if shift == 0:
        return result
    per_leg = result.per_leg
    if per_leg is not None:
        per_leg = per_leg.assign(onset=per_leg["onset"].astype(float) - shift)
    return replace(result, events=result.events.assign(
        onset=result.events["onset"].astype(float) - shift), per_leg=per_leg)


def _span(result: ScoreResult) -> tuple[float, float] | None:
    ev = result.events
    if ev is None or len(ev) == 0:
        return None
    on = ev["onset"].astype(float)
    return float(on.min()), float((on + ev["duration"].astype(float)).max())


def _check_overlap(stem: str, ref: ScoreResult, test: ScoreResult, shift: float
                   ) -> list[str]:
    a, b = _span(ref), _span(test)
    if a is None or b is None:
        return []
    shared = min(a[1], b[1]) - max(a[0], b[0])
    shown = (f"reference {a[0]:.0f}-{a[1]:.0f} s, test {b[0]:.0f}-{b[1]:.0f} s"
             f"{f' after a shift of {shift:g} s' if shift else ''}")
    if shared <= 0:
        raise PlmsInputError(f"night {stem!r}: the two scorings do not overlap in time "
                             f"({shown}); are they the same night? (--shift moves the test)")
    longer = max(a[1] - a[0], b[1] - b[0])
    if shared < MIN_OVERLAP_FRACTION * longer:
        return [f"night {stem!r}: the two scorings cover different lengths ({shown}; shared "
                f"{shared:.0f} s): movements outside the shared time count as misses or "
                "false detections"]
    return []
