"""A small multi-day result built by hand, for the writers, report and plots of issue 16.

Two generated ankle nights (30 min each, scored as single nights by
:func:`plms.score`) are placed at 23:00 on the first and second evening of a
recording that starts at noon on 2026-01-05; a third evening has no sleep
period. The onsets and hypnograms are shifted to seconds from the recording
start, as :func:`plms.pipeline.days.score_accel_days` gives them. Every figure
of the multi-night summary is computed here from the two nights' own figures.
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from plms.result import NIGHT_COLUMNS, NIGHT_NO_SLEEP, NIGHT_OK, DaysResult, ScoreResult
from plms.rules import WASM2016

START = datetime(2026, 1, 5, 12, 0, 0)
#: Lights off of night 1 and 2, s from the recording start (23:00 each evening).
WINDOWS_S = {1: 11 * 3600.0, 2: 35 * 3600.0}
NIGHT_H = 0.5
DAYS = 3
#: Non-wear: 14:00-15:30 on day 2 (both ankles); nap 15:00-15:40 on day 1.
NONWEAR_S = (26 * 3600.0, 27.5 * 3600.0)
NAP_S = (3 * 3600.0, 3 * 3600.0 + 40 * 60.0)


def score_short_night(folder: Path, seed: int, start: datetime) -> ScoreResult:
    """A 30-min clean two-ankle night recorded from ``start``, written to EDF and scored
    with estimated sleep."""
    import plms
    from plms.simulate import AccelSpec, simulate_accel_night, write_accel_edf

    night = simulate_accel_night(seed, AccelSpec(duration_h=NIGHT_H, fs_hz=25.0,
                                                 difficulty="clean"))
    path = write_accel_edf(night, folder / f"n{seed}.edf", start=start)
    return plms.api.score_single(str(path), sleep="estimate", keep_excerpt=True)


def shifted(result: ScoreResult, shift_s: float, stem: str) -> ScoreResult:
    """The night with its onsets (events, per leg) ``shift_s`` later, as
    :func:`plms.pipeline.days.score_accel_days` gives them (the hypnogram and
    the details stay those of the night)."""
    events, per_leg = result.events.copy(), result.per_leg.copy()
    events["onset"] = events["onset"] + shift_s
    per_leg["onset"] = per_leg["onset"] + shift_s
    return replace(result, events=events, per_leg=per_leg, stem=stem)


def clock(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def days_result(folder: Path, stem: str = "week") -> DaysResult:
    """The hand-built three-day result (two nights scored, one without sleep period)."""
    results = {n: shifted(score_short_night(folder, 10 + n,
                                            START + timedelta(seconds=WINDOWS_S[n])),
                          WINDOWS_S[n], f"night{n:02d}")
               for n in WINDOWS_S}
    rows = []
    for n, res in results.items():
        s = res.summary
        start, end = WINDOWS_S[n], WINDOWS_S[n] + NIGHT_H * 3600.0
        rows.append({
            "night": n, "date": (START + timedelta(days=n - 1)).date().isoformat(),
            "lights_off": clock(start), "lights_on": clock(end),
            "sleep_onset": clock(start + 300.0), "sleep_offset": clock(end - 60.0),
            "tib_min": s["tib_min"], "tst_min": s["tst_min"], "waso_min": 2.0,
            "sol_min": 5.0, "sleep_efficiency": 100.0 * s["tst_min"] / s["tib_min"],
            "n_lm": s["n_lm"], "n_plms": s["n_plms"], "plms_index": s["plms_index"],
            "plmw_index": s["plmw_index"], "nonwear_min": 0.0, "status": NIGHT_OK,
            "warnings": "", "start_s": start, "end_s": end, "window_source": "detected"})
    rows.append({c: None for c in NIGHT_COLUMNS} | {
        "night": 3, "date": (START + timedelta(days=2)).date().isoformat(),
        "status": NIGHT_NO_SLEEP, "warnings": "no main sleep period: awake all night",
        "nonwear_min": 0.0})
    nights = pd.DataFrame(rows, columns=list(NIGHT_COLUMNS))
    indices = [r.summary["plms_index"] for r in results.values()]
    n_plms = sum(r.summary["n_plms"] for r in results.values())
    tst_h = sum(r.summary["tst_min"] for r in results.values()) / 60.0
    mean = statistics.mean(indices)
    sd = statistics.stdev(indices)
    minutes = np.arange(0, DAYS * 24 * 60) * 60.0
    nonwear = (minutes >= NONWEAR_S[0]) & (minutes < NONWEAR_S[1])
    rng = np.random.default_rng(0)
    activity = np.where(nonwear, 0.0, rng.gamma(2.0, 20.0, minutes.size))
    summary = {
        "file": "week.edf", "recording_start": START.isoformat(),
        "recording_duration_s": DAYS * 86400.0, "n_nights": 3, "nights_scored": 2,
        "plms_index_mean": mean, "plms_index_median": statistics.median(indices),
        "plms_index_sd": sd, "plms_index_cv": sd / mean,
        "nights_plms_ge_15": sum(i >= WASM2016.plms_index_threshold_per_h for i in indices),
        "plms_index_pooled": n_plms / tst_h, "warnings": [],
        "nonwear_min": (NONWEAR_S[1] - NONWEAR_S[0]) / 60.0,
        "rules": "wasm2016",
    }
    return DaysResult(
        nights=nights, results=results,
        nonwear=pd.DataFrame({"start_s": [NONWEAR_S[0]], "end_s": [NONWEAR_S[1]],
                              "side": ["both"], "start": [clock(NONWEAR_S[0])],
                              "end": [clock(NONWEAR_S[1])]}),
        naps=pd.DataFrame({"start_s": [NAP_S[0]], "end_s": [NAP_S[1]],
                           "start": [clock(NAP_S[0])], "end": [clock(NAP_S[1])]}),
        activity=pd.DataFrame({"t_s": minutes, "activity_mg": activity, "nonwear": nonwear}),
        summary=summary, stem=stem)
