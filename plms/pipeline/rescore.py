"""Rescoring: apply the rules to leg movements a scorer (human or program) already marked.

:func:`rescore` reads an annotation file (or takes an
:class:`~plms.annotations.Annotations`) holding per-leg leg movements, a
hypnogram, respiratory events and arousals, and returns the same
:class:`~plms.result.ScoreResult` as :func:`plms.score_edf`, with the same
meaning: the legs are combined into bilateral movements by the rules first.

On plain DataFrames use :func:`plms.score_lms` (the same rules and figures);
or wrap the tables in an ``Annotations`` and call :func:`rescore` to also get
the warnings about dropped movements.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from plms.annotations import COMBINED, Annotations
from plms.errors import PlmsInputError
from plms.options import RESCORE_FORMATS
from plms.pipeline.core import SIDES, one_channel_warning
from plms.result import ScoreResult
from plms.rules import TIME_TOLERANCE_S, Rules, get_rules
from plms.summary import SLEEP_FROM_HYPNOGRAM, summary_header

__all__ = ["FORMATS", "dropped_lm_notes", "rescore"]

#: Values of ``fmt`` (and of ``plms rescore --format``).
FORMATS = RESCORE_FORMATS


def _read(path: Path, fmt: str, start: datetime | None) -> tuple[Annotations, str]:
    """The annotations of ``path`` and the format they were read as.

    A hypnogram-only format is refused: it cannot hold movements.
    """
    from plms.io import detect_format, read_annotations

    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "hypnogram":
        raise PlmsInputError("is a hypnogram (one stage per line): it holds no leg "
                             "movements to rescore", path=path)
    return read_annotations(path, fmt=fmt, start=start), fmt


def dropped_lm_notes(lms: pd.DataFrame, rules: str | Rules = "wasm2016"
                     ) -> tuple[dict[str, int], list[str]]:
    """Count the scored movements the rules drop for being too short, and say so.

    Returns
    -------
    counts : dict
        ``zero_duration`` (marks of 0 s, as some exports write them) and
        ``too_short`` (leg movements that stay shorter than
        ``rules.lm_min_duration_s`` once the marks of one leg less than
        ``rules.lm_offset_quiet_s`` apart are joined: RULES.md section 1).
    notes : list of str
        One warning per non-zero count.

    Examples
    --------
    >>> t = pd.DataFrame({"onset": [1.0, 5, 9, 20, 20.5], "duration": [0.0, 0.2, 1.0, 0.3, 0.3],
    ...                   "side": "left"})
    >>> dropped_lm_notes(t)[0]
    {'zero_duration': 1, 'too_short': 1}
    """
    from plms.scoring.bilateral import same_leg_runs, validate_lms

    rules = get_rules(rules)
    lms = validate_lms(lms)
    zero = lms["duration"].to_numpy(dtype=float) <= TIME_TOLERANCE_S
    runs = same_leg_runs(lms.loc[~zero], rules)
    short = runs["duration"].to_numpy(dtype=float) < rules.lm_min_duration_s - TIME_TOLERANCE_S
    counts = {"zero_duration": int(zero.sum()), "too_short": int(short.sum())}
    notes = []
    if counts["zero_duration"]:
        notes.append(f"{counts['zero_duration']} leg movement(s) of 0 s (as some exports "
                     "write them) were dropped")
    if counts["too_short"]:
        notes.append(f"{counts['too_short']} leg movement(s) shorter than "
                     f"{rules.lm_min_duration_s:g} s were dropped (not leg movements under "
                     f"{rules.name}, after joining the marks of one leg less than "
                     f"{rules.lm_offset_quiet_s:g} s apart)")
    return counts, notes


def _has_scoring(ann: Annotations) -> bool:
    return ann.hypnogram is not None or ann.respiratory_scored or ann.arousals_scored


def rescore(
    source: str | os.PathLike[str] | Annotations,
    rules: str | Rules = "wasm2016",
    *,
    fmt: str = "auto",
    stem: str | None = None,
    start: datetime | None = None,
) -> ScoreResult:
    """Apply the rules to the leg movements already scored in a file.

    Parameters
    ----------
    source : path or Annotations
        An annotation file (read with :func:`plms.io.read_annotations`) or
        annotations built in Python. Its ``leg_movements`` (one leg per row,
        ``side`` ``left``/``right``) are combined into bilateral movements by
        the rules, then scored with its hypnogram, respiratory events and
        arousals exactly as :func:`plms.score_edf` scores detected movements.
    rules : {"wasm2016", "aasm"} or Rules
    fmt : {"auto", "remlogic", "nsrr", "profusion", "edf", "tsv", "csv"}
        Format of the file; ``auto`` guesses it from the name and content.
    stem : str, optional
        Base name of the output files; default: the file's stem.
    start : datetime, optional
        Recording start, for formats that give clock times.

    Returns
    -------
    ScoreResult
        ``summary["modality"]`` is ``"scored"``; ``channels`` and ``fs_hz``
        are None (no signal); ``sleep_source`` is ``"hypnogram"`` when the
        file holds one, else None. Movements of 0 s and shorter than 0.5 s are
        dropped by the rules and counted in ``summary["scored_lms"]`` and
        ``warnings``.

    Raises
    ------
    PlmsInputError
        The file cannot be read, holds nothing scored at all, or its leg
        movements are unusable; the message names the file.

    Examples
    --------
    >>> from plms.hypnogram import Hypnogram
    >>> lms = pd.DataFrame({"onset": [600.0, 620, 640, 660], "duration": 2.0,
    ...                     "side": "left"})
    >>> ann = Annotations(hypnogram=Hypnogram.from_labels(["N2"] * 240), leg_movements=lms)
    >>> rescore(ann).summary["plms_index"]
    2.0
    """
    rules = get_rules(rules)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    if isinstance(source, Annotations):
        ann, path = source, None
        where = source.source or "given in Python"
    else:
        path = Path(source)
        ann, fmt = _read(path, fmt, start)
        where = str(path)
    name = where if path is None else path
    stem = stem or (path.stem if path is not None else "night")

    lms = ann.leg_movements
    if len(lms) == 0 and not _has_scoring(ann):
        raise PlmsInputError("holds nothing to rescore: no scored leg movement, no sleep "
                             "stage, no respiratory event and no arousal", path=path)
    try:
        from plms.scoring.bilateral import validate_lms

        validate_lms(lms)
    except ValueError as exc:
        raise PlmsInputError(f"the scored leg movements are unusable: {exc}",
                             path=path) from None
    counts, notes = dropped_lm_notes(lms, rules)
    sides = lms["side"].astype(str).str.lower()
    one_channel = bool((sides == COMBINED).any())
    per_side = {s: int((sides == s).sum()) for s in ((COMBINED,) if one_channel else SIDES)}
    if len(lms) == 0:
        notes.append("the file holds no scored leg movement: the figures are 0 on the "
                     "assumption that the scorer found none (check that leg movements "
                     "were scored and exported)")
    elif one_channel:
        notes.append(str(one_channel_warning({COMBINED: None})))
    elif 0 in per_side.values():
        missing = "left" if per_side["left"] == 0 else "right"
        notes.append(f"no leg movement is scored on the {missing} leg")

    details: dict[str, Any] = {
        "annotations_format": fmt,
        "scored_lms": {**per_side, **counts},
    }
    excluded = getattr(ann, "excluded", None)
    if excluded is not None and len(excluded):   # stretches a plms write-back marks
        details["excluded_min"] = {
            side: float(excluded.loc[excluded["side"] == side, "duration"].sum()) / 60.0
            for side in per_side}
        notes += [f"{minutes:.1f} min of the {side} leg are marked as excluded from scoring"
                  for side, minutes in details["excluded_min"].items() if minutes > 0]
    header = summary_header(
        file=str(name),
        identity={"source": str(name)},
        recording_start=start.isoformat() if start is not None else None,
        # A scoring file gives no recording length: the scored hypnogram's end
        # is the time the scorer looked at (RULES.md section 5, per hour of recording).
        recording_duration_s=(ann.hypnogram.end_s if ann.hypnogram is not None else None),
        modality="scored",
        sleep_source=SLEEP_FROM_HYPNOGRAM if ann.hypnogram is not None else None,
        channels=None,
        fs_hz=None,
        annotations_source=where,
        annotation_details=details,
        warnings=list(ann.warnings) + notes,
    )
    from plms.pipeline.core import score_lms

    return score_lms(
        lms, rules, hypnogram=ann.hypnogram,
        respiratory=ann.respiratory if ann.respiratory_scored else None,
        arousals=ann.arousals if ann.arousals_scored else None,
        stem=stem, extra_summary=header, details={"annotations": ann},
    )
