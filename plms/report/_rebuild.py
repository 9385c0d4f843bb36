"""Rebuilding a night's result, and its report, from the files ``plms score`` wrote."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.annotations import COMBINED
from plms.io.names import SUMMARY_JSON, night_files, stem_of
from plms.io.results import read_events_tsv, read_summary_json
from plms.report._night import REPORT_DPI, sleep_is_estimated, write_report

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import DaysResult, ScoreResult


def _start(summary: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(summary["recording_start"])
    except (KeyError, TypeError, ValueError):
        return None


def _reload_annotations(summary: Mapping[str, Any], notes: list[str]) -> Any:
    from plms.errors import PlmsError
    from plms.io import read_annotations, read_edf_annotations

    src = summary.get("annotations_source")
    duration = summary.get("recording_duration_s")
    if src in (None, "none"):
        if summary.get("tst_min") is not None:
            notes.append("the annotations used when scoring are not named: no hypnogram, "
                         "respiratory events or arousals in the figures")
        return None
    if src == "given in Python":
        notes.append("the annotations were given in Python, not read from a file: hypnogram, "
                     "respiratory events and arousals cannot be re-read and are not drawn")
        return None
    try:
        if src == "EDF+ annotations":
            edf = Path(str(summary.get("file")))
            if not edf.is_file():
                notes.append(f"the recording {edf} is no longer there: hypnogram, "
                             "respiratory events and arousals are not drawn")
                return None
            ann = read_edf_annotations(edf)
            return ann.cropped(duration) if duration else ann
        path = Path(str(src))
        if not path.is_file():
            notes.append(f"the annotation file '{src}' is no longer there: hypnogram, "
                         "respiratory events and arousals are not drawn")
            return None
        fmt = summary.get("annotations_format") or "auto"
        return read_annotations(path, duration_s=duration, start=_start(summary),
                                fmt=fmt if fmt != "hypnogram" else "auto")
    except (PlmsError, OSError, ValueError) as exc:
        notes.append(f"the annotations could not be re-read ({exc}): hypnogram, respiratory "
                     "events and arousals are not drawn")
        return None


def _reload_emg(summary: Mapping[str, Any], events: pd.DataFrame, notes: list[str]
                ) -> dict[str, Any] | None:
    """The EMG excerpt re-read from the recording, if it is still there."""
    from plms.errors import PlmsError
    from plms.io.psg.edf import read_recording
    from plms.pipeline.excerpt import emg_excerpt

    if summary.get("modality") != "emg":
        return None
    edf = Path(str(summary.get("file")))
    if not edf.is_file():
        notes.append(f"the recording {edf} is no longer there: no EMG excerpt")
        return None
    ch = summary.get("channels") or {}
    units = summary.get("units") or {}
    try:
        try:
            rec = read_recording(edf, left=ch.get("left"), right=ch.get("right"),
                                 legs=ch.get(COMBINED), read_annotations=False)
        except PlmsError:
            rec = read_recording(edf, left=ch.get("left"), right=ch.get("right"),
                                 legs=ch.get(COMBINED), unit=next(iter(units.values()), None),
                                 read_annotations=False)
    except (PlmsError, OSError, ValueError) as exc:
        notes.append(f"the recording could not be re-read ({exc}): no EMG excerpt")
        return None
    signals = {side: (np.asarray(leg.data), leg.fs) for side, leg in rec.legs.items()}
    return emg_excerpt(signals, events, duration_s=rec.duration_s,
                       labels={side: leg.label for side, leg in rec.legs.items()})


def _reload_accel(summary: Mapping[str, Any], events: pd.DataFrame, notes: list[str]
                  ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The accelerometer excerpt and activity, re-read and re-detected with the saved settings."""
    from dataclasses import fields

    from plms.signal.accel.detect import AccelDetectorSettings, detect_lm_accel
    from plms.errors import PlmsError
    from plms.io.accel.read import read_accel
    from plms.io.names import ACCEL_CSV_SUFFIXES
    from plms.pipeline.excerpt import accel_excerpt

    if summary.get("modality") != "accel":
        return None
    path = Path(str(summary.get("file")))
    if not path.is_file():
        notes.append(f"the recording {path} is no longer there: no accelerometer excerpt")
        return None
    saved = (summary.get("accel_detector") or {}).get("settings") or {}
    known = {f.name for f in fields(AccelDetectorSettings)}
    units = summary.get("units") or {}
    sides = [s for s in ("left", "right") if (summary.get("channels") or {}).get(s)]
    try:
        settings = AccelDetectorSettings(**{k: v for k, v in saved.items() if k in known})
        side = sides[0] if len(sides) == 1 else None
        as_scored = side is not None and path.suffix.lower() in ACCEL_CSV_SUFFIXES  # unit, rate
        rec = read_accel(path, side=side, unit=units.get(side) if as_scored else None,
                         fs=(summary.get("fs_hz") or {}).get(side) if as_scored else None)
        detections = {side: detect_lm_accel(sig.data, sig.fs, rules=str(summary["rules"]),
                                            settings=settings)
                      for side, sig in rec.signals.items()}
    except (PlmsError, OSError, ValueError, TypeError) as exc:
        notes.append(f"the recording could not be re-read ({exc}): no accelerometer excerpt")
        return None
    return detections, accel_excerpt(rec.signals, events, duration_s=rec.duration_s)


def result_from_outputs(summary_json_path: str | os.PathLike[str]) -> ScoreResult:
    """Rebuild a :class:`ScoreResult` from ``STEM.summary.json`` and ``STEM.events.tsv``.

    The summary is taken as written (the report's table shows it unchanged);
    the hypnogram, respiratory events and arousals are re-read from the
    annotation source the summary names, and the EMG excerpt from the
    recording, when those files are still there. What could not be rebuilt is
    listed in ``details["report_notes"]``.
    """
    from plms.errors import PlmsInputError
    from plms.result import ScoreResult

    path = Path(summary_json_path)
    stem = stem_of(path, SUMMARY_JSON)
    if stem is None:
        raise PlmsInputError(f"is not a STEM{SUMMARY_JSON} file written by plms", path=path)
    summary = read_summary_json(path)
    notes: list[str] = []
    events_path = night_files(path.parent, stem).events_tsv
    if events_path.is_file():
        events = read_events_tsv(events_path)
    else:
        from plms.scoring import EVENT_COLUMNS

        events = pd.DataFrame({c: pd.Series(dtype=float) for c in EVENT_COLUMNS})
        notes.append(f"{events_path.name} is missing: no movement can be drawn")
    ann = _reload_annotations(summary, notes)
    hypnogram = ann.hypnogram if ann is not None else None
    if sleep_is_estimated(summary):
        hypnogram = None
        notes.append("sleep was estimated from the accelerometer when scoring and the estimate "
                     "is not among the saved outputs: the hypnogram is not drawn (the figures "
                     "are those scored; --write nsrr-xml saves the estimate)")
    scored_tst = summary.get("tst_min")
    if hypnogram is not None and scored_tst is not None and abs(
            hypnogram.tst_min - float(scored_tst)) > 1e-6:
        notes.append(f"the re-read hypnogram ({hypnogram.tst_min:g} min of sleep) differs from "
                     f"the one scored ({scored_tst:g} min): the file has changed")
    excerpt = _reload_emg(summary, events, notes)
    accel = _reload_accel(summary, events, notes)
    notes.append("rebuilt from the saved outputs: bilateral movements are drawn on both legs "
                 "(the per-leg movements are not saved)")
    per_leg = pd.DataFrame({"onset": pd.Series(dtype=float),
                            "duration": pd.Series(dtype=float),
                            "side": pd.Series(dtype=str)})
    details: dict[str, Any] = {"report_notes": notes}
    if ann is not None:
        details["annotations"] = ann
    if excerpt is not None:
        details["emg_excerpt"] = excerpt
    if accel is not None:
        details["accel_detections"], details["accel_excerpt"] = accel
    return ScoreResult(events=events, summary=summary, per_leg=per_leg, hypnogram=hypnogram,
                       stem=stem, details=details)


def days_from_outputs(summary_json_path: str | os.PathLike[str]) -> DaysResult:
    """Rebuild a :class:`~plms.result.DaysResult` from a multi-day recording's outputs.

    ``STEM.summary.json`` (``"kind": "days"``) gives the figures, the nights,
    the non-wear stretches and the naps; each scored night's
    ``STEM/nightNN.summary.json`` and ``.events.tsv`` its result (summary and
    events as written; no hypnogram, no signal). The per-minute activity is
    not saved: the rebuilt result has none.

    Raises
    ------
    PlmsInputError
        Not a multi-day summary, or a night's files missing or unreadable.
    """
    from plms.errors import PlmsInputError
    from plms.io.results import DAYS_KIND
    from plms.result import NIGHT_COLUMNS, DaysResult, ScoreResult

    path = Path(summary_json_path)
    stem = stem_of(path, SUMMARY_JSON)
    summary: dict[str, Any] = dict(read_summary_json(path))
    if stem is None or summary.get("kind") != DAYS_KIND:
        raise PlmsInputError("is not the summary of a multi-day recording", path=path)
    results = {}
    for number, names in sorted((int(k), v) for k, v in
                                dict(summary.get("night_files") or {}).items()):
        night_summary = read_summary_json(path.parent / names["summary"])
        events = read_events_tsv(path.parent / names["events"])
        results[number] = ScoreResult(
            events=events, summary=night_summary, stem=Path(names["summary"]).name[
                : -len(SUMMARY_JSON)],
            per_leg=pd.DataFrame({"onset": pd.Series(dtype=float),
                                  "duration": pd.Series(dtype=float),
                                  "side": pd.Series(dtype=str)}),
            details={"report_notes": ["rebuilt from the saved outputs: no hypnogram and no "
                                      "signal are drawn"]})
    nights = pd.DataFrame(summary.pop("nights", []) or None, columns=list(NIGHT_COLUMNS))
    tables = {key: pd.DataFrame(summary.pop(key, []) or None,
                                columns=["start_s", "end_s", "side", "start", "end"])
              for key in ("nonwear", "naps")}
    summary.pop("night_files", None)
    activity = pd.DataFrame({"t_s": pd.Series(dtype=float),
                             "activity_mg": pd.Series(dtype=float),
                             "nonwear": pd.Series(dtype=bool)})
    return DaysResult(nights=nights, results=results, nonwear=tables["nonwear"],
                      naps=tables["naps"], activity=activity, summary=summary, stem=stem)


def report_from_outputs(summary_json_path: str | os.PathLike[str], *,
                        out: str | os.PathLike[str] | None = None,
                        dpi: int = REPORT_DPI) -> Path:
    """Write ``STEM.report.html`` for a night scored earlier (``plms report``).

    Parameters
    ----------
    summary_json_path : path-like
        ``DIR/STEM.summary.json``; ``DIR/STEM.events.tsv`` is read beside it.
        A multi-day recording's summary gives its page and its nights' reports
        (:func:`days_from_outputs`); its page is returned.
    out : path-like, optional
        Folder of the report; default: the summary's folder.

    Returns
    -------
    Path
        ``OUT/STEM.report.html``.
    """
    folder = Path(out) if out is not None else Path(summary_json_path).parent
    if read_summary_json(summary_json_path).get("kind") == "days":
        from plms.report._days import write_days_report

        return write_days_report(days_from_outputs(summary_json_path), folder, dpi=dpi)[0]
    result = result_from_outputs(summary_json_path)
    return write_report(result, night_files(folder, result.stem).report_html, dpi=dpi)
