#!/usr/bin/env python3
"""Accuracy of the multi-day split and night-by-night scoring on generated recordings (issue 16).

For every generated multi-day ankle recording (:func:`plms.simulate.accel_days.simulate_accel_days`,
written to EDF and scored with :func:`plms.pipeline.days.score_accel_days`):

- nights found: every true night matched by a scored night (window overlapping
  at least half of the true lights-off to lights-on), no scored night that
  matches none (a nap or a non-wear stretch counted as a night);
- sleep onset and offset error against the truth (target: within 30 min on at
  least 90 % of nights);
- non-wear: share of each true stretch found (target: at least 0.9), and
  non-wear found outside the truth, min;
- PLMS index per night against the truth (the true movements scored by the same
  rules over the true hypnogram of the night; target within 3/h) and the pooled
  index (all nights' PLMS over all nights' sleep; target within 1.5/h); and,
  for comparison, against the worn-time truth (epochs where both sensors were
  off unscored, the movements of a sensor that was off left out): a night whose
  sensor went on after bedtime cannot see what came before;
- epoch-by-epoch sleep/wake over the true nights' time in bed: Cohen's kappa and
  wake specificity.

    python scripts/evaluate_days.py                     # dev seeds 0-19, 3 days at 25 Hz
    python scripts/evaluate_days.py --seeds 0-3 --days 2
    python scripts/evaluate_days.py --set night_min_s=7200 --jobs 2
    python scripts/evaluate_days.py --set restless_gap_s=0      # a SleepWakeSettings field

The defaults of :class:`plms.signal.accel.days.DaySettings` were tuned on seeds
0-19; seeds 600-609 are held out. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from plms.pipeline.core import score_lms  # noqa: E402
from plms.pipeline.days import score_accel_days  # noqa: E402
from plms.result import NIGHT_OK  # noqa: E402
from plms.signal.accel.days import DaySettings  # noqa: E402
from plms.signal.accel.sleepwake import SleepWakeSettings  # noqa: E402
from plms.validation.sleep import EpochAgreement  # noqa: E402

TARGET_ONSET_MIN = 30.0
TARGET_ONSET_SHARE = 0.9
TARGET_NONWEAR_OVERLAP = 0.9
TARGET_PLMS_ERROR_PER_H = 3.0
TARGET_POOLED_ERROR_PER_H = 1.5
#: A scored night matches a true one when it covers at least this share of the true window.
MATCH_SHARE = 0.5
EPOCH_S = 30.0
S_PER_MIN = 60.0


def _parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        seeds.extend(range(int(a), int(b or a) + 1))
    return seeds


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _seconds(iso: str | None, start: dt.datetime) -> float:
    if iso is None or (isinstance(iso, float) and np.isnan(iso)):
        return float("nan")
    return (dt.datetime.fromisoformat(iso) - start).total_seconds()


def _night_hypnogram(sim: Any, night: Any) -> Any:
    """The true hypnogram of one night, time in bed limited to its lights."""
    return sim.night_hypnogram(int(night.night))


def _worn_truth(sim: Any, night: Any, rules: str) -> dict[str, Any]:
    """The night's true figures over the time the sensors were worn.

    Epochs of the night's hypnogram inside a stretch where both sensors were off
    become unscored (``U``: neither sleep nor wake), and the true movements of a
    sensor that was off are left out: what an ankle recording can see at best.
    A night cut by a bedtime non-wear stretch differs from its whole-night truth.
    """
    from dataclasses import replace

    hyp = _night_hypnogram(sim, night)
    stages = np.asarray(hyp.stages).copy()
    mid = hyp.epoch_onsets + hyp.epoch_s / 2
    for stretch in sim.nonwear[sim.nonwear["side"] == "both"].itertuples(index=False):
        stages[(mid >= stretch.start_s) & (mid < stretch.end_s)] = "U"
    lms = sim.truth_lms[(sim.truth_lms["night"] == night.night) & ~sim.truth_lms["nonwear"]]
    return score_lms(lms, rules, hypnogram=replace(hyp, stages=stages)).summary


def _sleep_grid(n: int, res: Any) -> np.ndarray:
    """Estimated sleep per 30-s epoch of the recording (wake outside the scored windows)."""
    grid = np.zeros(n, dtype=bool)
    for number, result in res.results.items():
        row = res.nights[res.nights["night"] == number].iloc[0]
        hyp = result.hypnogram
        if hyp is None:
            continue
        first = int(round(row.start_s / EPOCH_S))
        asleep = (np.asarray(hyp.stages) != "W") & hyp.tib_mask()
        asleep = asleep[: max(0, n - first)]
        grid[first: first + asleep.size] = asleep
    return grid


def _true_grid(n: int, sim: Any) -> np.ndarray:
    hyp = sim.hypnogram   # 30-s epochs over the whole recording
    grid = np.zeros(n, dtype=bool)
    first = int(round(hyp.start_s / EPOCH_S))
    asleep = ~np.isin(np.asarray(hyp.stages), ("W", "n/a"))[: max(0, n - first)]
    grid[first: first + asleep.size] = asleep
    return grid


def _kappa(truth: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """Cohen's kappa and wake specificity (share of true wake scored wake)."""
    agree = EpochAgreement.from_epochs(truth, test)
    return (np.nan if agree.kappa is None else agree.kappa,
            np.nan if agree.specificity is None else agree.specificity)


def evaluate(seed: int, days: int, fs: float, over: dict[str, Any], rules: str,
             scratch: str, sleep_over: dict[str, Any] | None = None,
             ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-night rows and the recording's figures of one generated recording."""
    from plms.simulate import DaysSpec, write_accel_days_edf

    spec = DaysSpec(days=days, fs_hz=fs)
    path = Path(scratch) / f"days-{seed}.edf"
    sim = write_accel_days_edf(seed, spec, path)   # the truth, signals not held
    t0 = time.process_time()
    res = score_accel_days(path, rules=rules, day_settings=DaySettings(**over),
                           sleep_settings=SleepWakeSettings(**(sleep_over or {})))
    cpu = time.process_time() - t0
    path.unlink()
    start = sim.start
    found = res.nights[res.nights["status"] == NIGHT_OK]
    rows, matched = [], set()
    true_plms, true_tst = 0.0, 0.0
    for night in sim.truth_nights.itertuples(index=False):
        row: dict[str, Any] = {"seed": seed, "night": int(night.night),
                               "bed_wake_min": night.bed_wake_min, "restless": night.restless,
                               "sensor_off_min": night.nonwear_min}
        lo, hi = float(night.lights_off_s), float(night.lights_on_s)
        best = max(found.itertuples(index=False), default=None,
                   key=lambda r: _overlap(r.start_s, r.end_s, lo, hi))
        hit = best is not None and _overlap(best.start_s, best.end_s, lo, hi) >= \
            MATCH_SHARE * (hi - lo)
        night_lms = sim.truth_lms[sim.truth_lms["night"] == night.night]
        truth = score_lms(night_lms, rules, hypnogram=_night_hypnogram(sim, night)).summary
        row["plmi_truth"] = truth["plms_index"]
        true_plms += truth["n_plms"] or 0
        true_tst += truth["tst_min"] or 0.0
        worn_truth = _worn_truth(sim, night, rules)
        row["plmi_truth_worn"] = worn_truth["plms_index"]
        row["found"] = bool(hit)
        if hit and best is not None:
            matched.add(int(best.night))
            row["onset_err_min"] = (_seconds(best.sleep_onset, start)
                                    - night.sleep_onset_s) / S_PER_MIN
            row["offset_err_min"] = (_seconds(best.sleep_offset, start)
                                     - night.sleep_offset_s) / S_PER_MIN
            row["plmi"] = best.plms_index
            row["plmi_err"] = (np.nan if best.plms_index is None or truth["plms_index"] is None
                               else best.plms_index - truth["plms_index"])
            row["plmi_err_worn"] = (np.nan if best.plms_index is None
                                    or worn_truth["plms_index"] is None
                                    else best.plms_index - worn_truth["plms_index"])
            row["tst_err_min"] = (np.nan if best.tst_min is None
                                  else best.tst_min - night.tst_min)
        rows.append(row)
    n_epochs = int(sim.duration_s // EPOCH_S)
    est, tru = _sleep_grid(n_epochs, res), _true_grid(n_epochs, sim)
    in_bed = np.zeros(n_epochs, dtype=bool)
    for night in sim.truth_nights.itertuples(index=False):
        in_bed[int(night.lights_off_s // EPOCH_S): int(night.lights_on_s // EPOCH_S)] = True
    kappa, spec_w = _kappa(tru[in_bed], est[in_bed])
    nw_rows = []
    for stretch in sim.nonwear.itertuples(index=False):
        mine = res.nonwear[res.nonwear["side"].isin(
            ("both",) if stretch.side == "both" else ("both", stretch.side))]
        got = sum(_overlap(a, b, stretch.start_s, stretch.end_s)
                  for a, b in zip(mine["start_s"], mine["end_s"], strict=True))
        nw_rows.append(got / (stretch.end_s - stretch.start_s))
    true_nw = sim.nonwear
    extra = 0.0
    for a, b in zip(res.nonwear["start_s"], res.nonwear["end_s"], strict=True):
        extra += (b - a) - sum(_overlap(a, b, s0, s1)
                               for s0, s1 in zip(true_nw["start_s"], true_nw["end_s"],
                                                 strict=True))
    naps_hit = sum(any(_overlap(a, b, n.start_s, n.end_s) >= MATCH_SHARE * (n.end_s - n.start_s)
                       for a, b in zip(res.naps["start_s"], res.naps["end_s"], strict=True))
                   for n in sim.naps.itertuples(index=False))
    naps_false = sum(not any(_overlap(a, b, n0, n1) > 0
                             for n0, n1 in zip(sim.naps["start_s"], sim.naps["end_s"],
                                               strict=True))
                     for a, b in zip(res.naps["start_s"], res.naps["end_s"], strict=True))
    pooled = res.summary["plms_index_pooled"]
    rec = {"seed": seed, "cpu_s": cpu, "false_nights": int(len(set(found["night"]) - matched)),
           "kappa": kappa, "wake_spec": spec_w, "naps": len(sim.naps), "naps_found": naps_hit,
           "naps_false": naps_false,
           "nonwear_overlap_min": min(nw_rows) if nw_rows else np.nan,
           "nonwear_extra_min": extra / S_PER_MIN,
           "pooled_truth": true_plms / (true_tst / S_PER_MIN) if true_tst else np.nan,
           "pooled": pooled}
    rec["pooled_err"] = (np.nan if pooled is None else pooled - rec["pooled_truth"])
    return rows, rec


def _share(ok: Any, mask: np.ndarray) -> str:
    """Share of ``ok`` among the nights of ``mask``, and how many nights."""
    return f"{np.asarray(ok)[mask].mean():.2f} of {int(mask.sum())}" if mask.any() else "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-19")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--fs", type=float, default=25.0)
    parser.add_argument("--rules", default="wasm2016")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a DaySettings or SleepWakeSettings field")
    args = parser.parse_args(argv)
    fields = {f.name: f.type for f in dataclasses.fields(DaySettings)}
    sleep_fields = {f.name for f in dataclasses.fields(SleepWakeSettings)}
    over: dict[str, Any] = {}
    sleep_over: dict[str, Any] = {}
    for pair in args.set:
        name, _, value = pair.partition("=")
        if name in sleep_fields:
            sleep_over[name] = int(value) if name == "periodic_count" else float(value)
            continue
        if name not in fields:
            raise SystemExit(f"unknown setting {name!r}; allowed: "
                             f"{', '.join(sorted(set(fields) | sleep_fields))}")
        over[name] = int(value) if name == "nonwear_axes" else float(value)
    seeds = _parse_seeds(args.seeds)
    with tempfile.TemporaryDirectory(prefix="evaluate-days-") as scratch:
        jobs = [(s, args.days, args.fs, over, args.rules, scratch, sleep_over) for s in seeds]
        if args.jobs > 1:
            with ProcessPoolExecutor(args.jobs) as pool:
                out = list(pool.map(evaluate, *zip(*jobs, strict=True)))
        else:
            out = [evaluate(*job) for job in jobs]
    nights = pd.DataFrame([r for rows, _ in out for r in rows])
    recs = pd.DataFrame([rec for _, rec in out])
    pd.set_option("display.width", 200)
    print(nights.round(2).to_string(index=False))
    print(recs.round(2).to_string(index=False))
    found = nights[nights["found"]]
    onset_ok = ((found["onset_err_min"].abs() <= TARGET_ONSET_MIN)
                & (found["offset_err_min"].abs() <= TARGET_ONSET_MIN))
    worn = (found["sensor_off_min"] == 0).to_numpy()
    restless = found["restless"].astype(bool).to_numpy()
    plmi_ok = (found["plmi_err"].abs() <= TARGET_PLMS_ERROR_PER_H).to_numpy()
    figures = {
        "nights found": f"{int(nights['found'].sum())}/{len(nights)}",
        "false nights": int(recs["false_nights"].sum()),
        "onset and offset within 30 min": f"{onset_ok.mean():.2f}",
        "... on nights with the sensor on from lights off":
            f"{onset_ok[worn].mean():.2f} of {int(worn.sum())}",
        "... restless wake in bed (sensor on)": _share(onset_ok, worn & restless),
        "... quiet (motionless) wake in bed (sensor on)": _share(onset_ok, worn & ~restless),
        "onset |err| median, min": f"{found['onset_err_min'].abs().median():.1f}",
        "onset |err| median, restless / quiet (sensor on)":
            f"{found['onset_err_min'][worn & restless].abs().median():.1f} / "
            f"{found['onset_err_min'][worn & ~restless].abs().median():.1f}",
        "offset |err| median, min": f"{found['offset_err_min'].abs().median():.1f}",
        "non-wear overlap, worst": f"{recs['nonwear_overlap_min'].min():.2f}",
        "non-wear found outside truth, min (total)": f"{recs['nonwear_extra_min'].sum():.0f}",
        "PLMS index within 3/h":
            f"{(found['plmi_err'].abs() <= TARGET_PLMS_ERROR_PER_H).mean():.2f}",
        "PLMS index within 3/h, restless / quiet (sensor on)":
            f"{plmi_ok[worn & restless].mean():.2f} / {plmi_ok[worn & ~restless].mean():.2f}",
        "PLMS index |err| max, /h": f"{found['plmi_err'].abs().max():.2f}",
        "PLMS index within 3/h of the worn-time truth (sensors off left out)":
            f"{(found['plmi_err_worn'].abs() <= TARGET_PLMS_ERROR_PER_H).mean():.2f}",
        "PLMS index |err| max against the worn-time truth, /h":
            f"{found['plmi_err_worn'].abs().max():.2f}",
        "pooled |err| max, /h": f"{recs['pooled_err'].abs().max():.2f}",
        "naps found": f"{int(recs['naps_found'].sum())}/{int(recs['naps'].sum())}, "
                      f"{int(recs['naps_false'].sum())} found that are none",
        "pooled within 1.5/h":
            f"{(recs['pooled_err'].abs() <= TARGET_POOLED_ERROR_PER_H).mean():.2f}",
        "kappa mean": f"{recs['kappa'].mean():.2f}",
        "wake specificity mean": f"{recs['wake_spec'].mean():.2f}",
        "CPU s per recording": f"{recs['cpu_s'].mean():.1f}",
    }
    for key, value in figures.items():
        print(f"{key}: {value}")
    ok = (nights["found"].all() and recs["false_nights"].sum() == 0
          and onset_ok.mean() >= TARGET_ONSET_SHARE
          and not (recs["nonwear_overlap_min"] < TARGET_NONWEAR_OVERLAP).any()
          and (found["plmi_err"].abs() <= TARGET_PLMS_ERROR_PER_H).all()
          and (recs["pooled_err"].abs() <= TARGET_POOLED_ERROR_PER_H).all())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
