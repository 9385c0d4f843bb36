"""Scoring a multi-day ankle recording: split into nights, score each night as a single night.

The recording is read, its per-segment features computed
(:mod:`plms.signal.accel.days`), non-wear found, the main sleep period of each
day found (or taken from a sleep diary, night by night), and every night is
then scored *exactly* as a one-night recording of its window would be by
:func:`plms.pipeline.accel.score_accel` (the window is cut out and scored
with the same code), its event onsets shifted to seconds from the recording
start (issue 16).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plms.annotations import Annotations
from plms.pipeline.accel import _night_files, _score_read
from plms.result import NIGHT_COLUMNS, NIGHT_NO_SLEEP, NIGHT_OK, DaysResult, ScoreResult
from plms.rules import Rules, get_rules
from plms.signal.accel.days import (
    DaySettings, SegmentFeatures, SleepPeriods, features_from_chunks, find_sleep_periods,
    night_window, segment_features,
)
from plms.signal.accel.detect import AccelDetectorSettings
from plms.signal.accel.sleepwake import SleepWakeSettings

#: From this recording length on, an accelerometer recording is treated as multi-day, h.
MULTI_DAY_MIN_H = 18.0
#: Chunk length in which features are computed, s (a whole number of segments).
FEATURE_CHUNK_S = 3600.0
#: ``window_source`` of a night window.
WINDOW_DIARY = "diary"
WINDOW_DETECTED = "detected"
#: Seconds per minute.
S_PER_MIN = 60.0
#: A minute of the activity table is non-wear when at least this share of its segments is.
MINUTE_NONWEAR_SHARE = 0.5


def open_days_recording(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
                        side: str | None, unit: str | None, fs: float | None) -> Any:
    """Open the recording (one file or two per-ankle files) for windows and chunks.

    An EDF/BDF is opened lazily (:func:`plms.io.accel.lazy.open_accel`: a
    window or chunk reads only its data records); CSV and device files, a CSV
    at a given rate and two per-ankle files are read whole and sliced.
    """
    from plms.io.accel.lazy import AccelSource, open_accel

    files = _night_files(path)
    if len(files) == 1 and fs is None:
        return open_accel(files[0], side=side, unit=unit)
    if len(files) == 2:
        from plms.io.accel.pair import read_accel_pair

        rec = read_accel_pair(files, unit=unit, fs=fs)
    else:
        from plms.io.accel.read import read_accel

        rec = read_accel(files[0], side=side, unit=unit, fs=fs)
    return AccelSource(rec.path, rec.start, rec.duration_s, rec.annotations, rec.file_type,
                       rec.warnings, signals=dict(rec.signals))


def recording_features(source: Any, segment_s: float) -> dict[str, SegmentFeatures]:
    """Per-segment features of every three-axis ankle, an hour of samples at a time."""
    from plms.errors import PlmsInputError

    rates = {float(source.fs[s]) for s in source.sides}
    if len(rates) == 1:
        fs = rates.pop()
        chunks = ((t0, {s: x for s, x in parts.items() if x.ndim == 2 and x.shape[1] == 3})
                  for t0, parts in source.chunks(FEATURE_CHUNK_S))
        feats = features_from_chunks(chunks, fs, segment_s)
    else:   # two devices at different rates: each side on its own
        feats = {}
        for s in source.sides:
            data = source.samples(s, 0, source.n_samples(s))
            if data.ndim == 2 and data.shape[1] == 3:
                feats[s] = SegmentFeatures(segment_s,
                                           *segment_features(data, source.fs[s], segment_s))
    if not feats:
        raise PlmsInputError("a multi-day recording needs three axes per ankle (non-wear and "
                             "sleep periods follow the sensor's orientation)", path=source.path)
    return feats


def night_recording(source: Any, start_s: float, end_s: float,
                    nonwear: pd.DataFrame | None = None) -> Any:
    """The recording cut to ``[start_s, end_s)``, as if recorded alone.

    Samples in a non-wear stretch of a side (``both`` or that side) become NaN.
    The samples are read lazily (a chunk at a time by the detector) unless a
    side has non-wear to blank, which that side then holds whole.
    """
    rec = source.window(start_s, end_s, lazy=True)
    signals = {}
    for side, sig in rec.signals.items():
        data = sig.data
        if nonwear is not None and len(nonwear):
            off = nonwear[(nonwear["side"].isin((side, "both")))
                          & (nonwear["end_s"] > start_s) & (nonwear["start_s"] < end_s)]
            if len(off):
                data = np.array(data, dtype=np.float32)
                for a, b in zip(off["start_s"], off["end_s"], strict=True):
                    i0 = max(0, int(round((a - start_s) * sig.fs)))
                    data[i0: max(i0, int(round((b - start_s) * sig.fs)))] = np.nan
        signals[side] = replace(sig, data=data)
    return replace(rec, signals=signals, annotations=Annotations())


#: ``ScoreResult.details`` kept only for the nights' plots and reports (``keep_excerpt``):
#: the per-ankle detections hold the night's activity trace, so a recording of many
#: nights would otherwise keep every night's in memory.
PLOT_ONLY_DETAILS = ("accel_detections",)


def shifted(result: ScoreResult, offset_s: float, stem: str) -> ScoreResult:
    """``result`` with event onsets ``offset_s`` later (s from the recording start)."""
    events = result.events.copy()
    per_leg = result.per_leg.copy()
    for table in (events, per_leg):
        if "onset" in table:
            table["onset"] = table["onset"] + offset_s
    return replace(result, events=events, per_leg=per_leg, stem=stem)


def _clock(start: dt.datetime | None, seconds: float | None) -> str | None:
    if start is None or seconds is None:
        return None
    return (start + dt.timedelta(seconds=float(seconds))).isoformat(timespec="seconds")


def _windows(periods: SleepPeriods, diary: pd.DataFrame | None, duration_s: float,
             settings: DaySettings, warnings: list[str]) -> list[dict[str, Any]]:
    """One entry per day: its window (or None) and where it comes from.

    A diary night outside the recording is not used, with a note in ``warnings``.
    """
    out = []
    nw = periods.nonwear
    sides = set(periods.nonwear_mask)
    off = [(a, b) for a, b, side in zip(nw["start_s"], nw["end_s"], nw["side"], strict=True)
           if side == "both" or sides == {side}]
    for row in periods.days.itertuples(index=False):
        entry: dict[str, Any] = {"day": int(row.day), "date": row.date, "window": None,
                                 "source": None, "reason": row.reason, "notes": []}
        if row.status == NIGHT_OK:
            entry.update(window=night_window(float(row.start_s), float(row.end_s),
                                             duration_s, settings, off),
                         source=WINDOW_DETECTED)
            put_on = [b for _, b in off if abs(b - float(row.start_s)) <= settings.median_s]
            if put_on:
                entry["notes"].append(
                    "the sensor was put on at the start of this sleep period (non-wear until "
                    "then): the night may have begun earlier, and its sleep onset is not seen")
        out.append(entry)
    if diary is not None:
        for d in diary.itertuples(index=False):
            mid = (d.lights_off_s + d.lights_on_s) / 2
            day = next((e for e, r in zip(out, periods.days.itertuples(index=False),
                                          strict=True)
                        if r.day_start_s <= mid < r.day_end_s), None)
            window = (max(0.0, float(d.lights_off_s)), min(duration_s, float(d.lights_on_s)))
            if day is None or window[1] <= window[0]:
                warnings.append(f"diary night {int(d.night)} lies outside the recording: not "
                                "used")
                continue
            day.update(window=window, source=WINDOW_DIARY, reason=None, notes=[])
    return out


def score_accel_days(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    rules: str | Rules = "wasm2016",
    annotations: str | os.PathLike[str] | Annotations | None = None,
    *,
    diary: str | os.PathLike[str] | None = None,
    side: str | None = None,
    unit: str | None = None,
    fs: float | None = None,
    settings: AccelDetectorSettings = AccelDetectorSettings(),  # noqa: B008 - frozen
    sleep_settings: SleepWakeSettings = SleepWakeSettings(),  # noqa: B008 - frozen
    day_settings: DaySettings = DaySettings(),  # noqa: B008 - frozen
    keep_excerpt: bool = False,
) -> DaysResult:
    """Score a multi-day ankle recording night by night.

    Parameters
    ----------
    path, rules, side, unit, fs, settings, sleep_settings, keep_excerpt
        As for :func:`plms.pipeline.accel.score_accel`.
    annotations : path or Annotations, optional
        Not used yet for multi-day recordings (a warning says so): sleep is
        estimated in each night's window.
    diary : path, optional
        A sleep diary (:func:`plms.io.diary.read_diary`); its windows replace
        the detected ones night by night.
    day_settings : DaySettings
        Non-wear and sleep-period choices.

    Returns
    -------
    DaysResult
        Event onsets in seconds from the recording start.
    """
    rules = get_rules(rules)
    rec = open_days_recording(path, side=side, unit=unit, fs=fs)
    files = _night_files(path)
    stem = files[0].stem if len(files) == 1 else Path(rec.path).stem
    warnings: list[str] = []
    if annotations is not None or rec.annotations.hypnogram is not None:
        warnings.append("a hypnogram is not yet used for multi-day recordings: sleep is "
                        "estimated from the accelerometer in each night's window")
    feats = recording_features(rec, day_settings.segment_s)
    periods = find_sleep_periods(feats, rec.start, rec.duration_s, day_settings)
    diary_table = None
    if diary is not None:
        from plms.io.diary import read_diary

        diary_table = read_diary(diary, rec.start)
    rows: list[dict[str, Any]] = []
    results: dict[int, ScoreResult] = {}
    for number, entry in enumerate(_windows(periods, diary_table, rec.duration_s,
                                            day_settings, warnings), start=1):
        row = _night_row(number, entry, rec, periods, rules, stem=stem, settings=settings,
                         sleep_settings=sleep_settings, keep_excerpt=keep_excerpt,
                         results=results)
        rows.append(row)
    nights = pd.DataFrame(rows, columns=list(NIGHT_COLUMNS))
    summary = days_summary(nights, results, rules, rec, periods, warnings)
    return DaysResult(nights=nights, results=results,
                      nonwear=_with_clock(periods.nonwear, rec.start),
                      naps=_with_clock(periods.naps, rec.start),
                      activity=minute_activity(feats, periods), summary=summary, stem=stem)


def _night_row(number: int, entry: dict[str, Any], rec: Any, periods: SleepPeriods,
               rules: Rules, *, stem: str, settings: AccelDetectorSettings,
               sleep_settings: SleepWakeSettings, keep_excerpt: bool,
               results: dict[int, ScoreResult]) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(NIGHT_COLUMNS)
    row.update(night=number, date=entry["date"], window_source=entry["source"])
    if entry["window"] is None:
        row.update(status=NIGHT_NO_SLEEP, warnings=entry["reason"] or "")
        return row
    a, b = entry["window"]
    nw = periods.nonwear
    inside = nw[(nw["end_s"] > a) & (nw["start_s"] < b)]
    nonwear_min = float(np.sum(np.minimum(inside["end_s"], b) - np.maximum(inside["start_s"], a))
                        ) / S_PER_MIN
    night = night_recording(rec, a, b, nw)
    result = _score_read(night, Annotations(), "none", rules, file=str(rec.path), identity=None,
                         stem=f"{stem}-night{number:02d}", where=rec.path, notes=[],
                         sleep="estimate", lights=(None, None), settings=settings,
                         sleep_settings=sleep_settings, keep_excerpt=keep_excerpt)
    result = shifted(result, a, f"night{number:02d}")
    if not keep_excerpt:   # a week's nights would keep each night's activity trace (MBs each)
        result = replace(result, details={k: v for k, v in result.details.items()
                                          if k not in PLOT_ONLY_DETAILS})
    results[number] = result
    s = result.summary
    hyp = result.hypnogram
    onset = None if hyp is None else hyp.sleep_onset_s
    offset = None if hyp is None else hyp.sleep_offset_s
    row.update(
        lights_off=_clock(rec.start, a), lights_on=_clock(rec.start, b),
        sleep_onset=_clock(rec.start, None if onset is None else a + onset),
        sleep_offset=_clock(rec.start, None if offset is None else a + offset),
        tib_min=s.get("tib_min"), tst_min=s.get("tst_min"),
        waso_min=None if hyp is None else hyp.waso_min,
        sol_min=None if hyp is None else hyp.sol_min,
        sleep_efficiency=None if hyp is None else hyp.sleep_efficiency,
        n_lm=s.get("n_lm"), n_plms=s.get("n_plms"), plms_index=s.get("plms_index"),
        plmw_index=s.get("plmw_index"), nonwear_min=nonwear_min, status=NIGHT_OK,
        warnings="; ".join(entry["notes"] + result.warnings), start_s=a, end_s=b)
    return row


def _with_clock(table: pd.DataFrame, start: dt.datetime | None) -> pd.DataFrame:
    out = table.copy()
    out["start"] = [_clock(start, v) for v in out["start_s"]]
    out["end"] = [_clock(start, v) for v in out["end_s"]]
    return out


def minute_activity(feats: dict[str, SegmentFeatures], periods: SleepPeriods) -> pd.DataFrame:
    """Per-minute mean activity (mg) of each ankle and whether every ankle was off."""
    seg = next(iter(feats.values())).segment_s
    per_min = max(1, int(round(S_PER_MIN / seg)))
    n = min(f.n for f in feats.values()) // per_min
    table: dict[str, Any] = {"t_s": np.arange(n) * per_min * seg}
    for side, f in feats.items():
        act = f.activity_mg[: n * per_min].reshape(n, per_min)
        table[f"activity_mg_{side}"] = np.nanmean(act, axis=1) if act.size else act[:, 0]
    table["activity_mg"] = np.nanmax(np.vstack([table[f"activity_mg_{s}"] for s in feats]),
                                     axis=0) if n else np.zeros(0)
    off = np.logical_and.reduce([m[: n * per_min] for m in periods.nonwear_mask.values()])
    table["nonwear"] = (off.reshape(n, per_min).mean(axis=1) >= MINUTE_NONWEAR_SHARE if n
                        else np.zeros(0, bool))
    return pd.DataFrame(table)


def days_summary(nights: pd.DataFrame, results: dict[int, ScoreResult], rules: Rules,
                 rec: Any, periods: SleepPeriods, warnings: list[str]) -> dict[str, Any]:
    """The recording-level figures; ``None`` with a warning where one cannot be computed."""
    notes = list(warnings)
    scored = nights[nights["status"] == NIGHT_OK]
    idx = np.array([v for v in scored["plms_index"] if v is not None], dtype=float)
    high = rules.plms_index_threshold_per_h   # nights at or above it (RULES.md section 5)
    out: dict[str, Any] = {
        "file": str(rec.path),
        "recording_start": rec.start.isoformat() if rec.start is not None else None,
        "recording_duration_s": float(rec.duration_s), "rules": rules.name,
        "n_nights": int(len(nights)), "nights_scored": int(len(results)),
        "plms_index_mean": None, "plms_index_median": None, "plms_index_sd": None,
        "plms_index_cv": None, "nights_plms_ge_15": None, "plms_index_pooled": None,
        "nonwear_min": float(np.sum(periods.nonwear["end_s"] - periods.nonwear["start_s"])
                             ) / S_PER_MIN,
        "n_naps": int(len(periods.naps)), "still_threshold_deg": periods.threshold_deg,
    }
    if idx.size:
        out.update(plms_index_mean=float(idx.mean()), plms_index_median=float(np.median(idx)),
                   nights_plms_ge_15=int(np.sum(idx >= high)))
    else:
        notes.append("no night has a PLMS index: the multi-night figures are not computed")
    if idx.size >= 2:
        sd = float(idx.std(ddof=1))
        out["plms_index_sd"] = sd
        if idx.mean() > 0:
            out["plms_index_cv"] = sd / float(idx.mean())
        else:
            notes.append("the mean PLMS index is 0: its coefficient of variation is not "
                         "computed")
    elif idx.size == 1:
        notes.append("one night only: the SD and CV of the PLMS index are not computed")
    n_plms = [v for v in scored["n_plms"] if v is not None]
    tst = [v for v in scored["tst_min"] if v is not None]
    if n_plms and len(n_plms) == len(tst) and sum(tst) > 0:
        out["plms_index_pooled"] = float(sum(n_plms)) / (float(sum(tst)) / S_PER_MIN)
    elif len(scored):
        notes.append("the pooled PLMS index needs every scored night's sleep time")
    for row in nights.itertuples(index=False):
        if row.status != NIGHT_OK:
            notes.append(f"night {row.night} ({row.date}): {row.status}"
                         + (f" - {row.warnings}" if row.warnings else ""))
    out["warnings"] = notes
    return out
