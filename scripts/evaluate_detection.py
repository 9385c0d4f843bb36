#!/usr/bin/env python3
"""Accuracy of the EMG detector on generated nights with known truth.

For every night: LM event F1 per leg (one-to-one matching by overlap, any IoU
above 0: :func:`plms.validation.agreement.match_events`), and the
PLMS index of the detected movements against the PLMS index of the truth
(both scored by the same rules, hypnogram and respiratory events).

    python scripts/evaluate_detection.py                 # 8 hard 8-h nights, 128-512 Hz
    python scripts/evaluate_detection.py --hours 2 --nights 4 --rules aasm

Prints one line per night and the totals; exits 1 when a target is missed
(F1 >= 0.97 on every night, PLMS index within 1/h of truth).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from plms.signal.emg.cardiac import detect_r_peaks  # noqa: E402
from plms.signal.emg.detect import detect_leg  # noqa: E402
from plms.validation.agreement import match_events  # noqa: E402
from plms.pipeline.core import score_lms  # noqa: E402
from plms.simulate import NightSpec, simulate_night  # noqa: E402

TARGET_F1 = 0.97
TARGET_PLMS_ERROR_PER_H = 1.0
#: (sampling rate, unit, PLM severity) of the nights, cycled.
CONFIGS = [(512, "uV", 30.0), (256, "mV", 60.0), (200, "uV", 15.0), (128, "uV", 40.0),
           (500, "mV", 10.0), (250, "uV", 45.0), (384, "uV", 25.0), (128, "mV", 60.0)]


def evaluate(seed: int, hours: float, fs: int, unit: str, severity: float, rules: str
             ) -> dict[str, float]:
    night = simulate_night(seed=seed, spec=NightSpec(duration_h=hours, fs_leg=fs, leg_unit=unit,
                                                     plm_severity=severity))
    ecg = night.signals[night.ecg_label]
    beats = detect_r_peaks(ecg.data, ecg.fs)
    tables, row = [], {"seed": seed, "fs": fs, "unit": unit}
    t0 = time.perf_counter()
    for side, label in (("left", night.left_label), ("right", night.right_label)):
        ch = night.signals[label]
        scale = 1000.0 if ch.unit == "mV" else 1.0
        det = detect_leg(ch.data * scale, ch.fs, rules=rules, heartbeats_s=beats)
        agreement = match_events(night.truth_lms[night.truth_lms.side == side], det.events)
        row[f"f1_{side}"] = agreement.f1
        row[f"n_truth_{side}"] = agreement.n_reference
        tables.append(det.events.assign(side=side))
    row["detect_s"] = time.perf_counter() - t0
    context = dict(hypnogram=night.hypnogram, respiratory=night.respiratory,
                   arousals=night.arousals)
    truth = score_lms(night.truth_lms, rules, **context).summary
    found = score_lms(pd.concat(tables, ignore_index=True), rules, **context).summary
    row["plms_truth"] = truth["plms_index"]
    row["plms_detected"] = found["plms_index"]
    row["plms_error"] = found["plms_index"] - truth["plms_index"]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nights", type=int, default=8)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--rules", default="wasm2016", choices=("wasm2016", "aasm"))
    parser.add_argument("--first-seed", type=int, default=100)
    args = parser.parse_args()
    rows = []
    for i in range(args.nights):
        fs, unit, severity = CONFIGS[i % len(CONFIGS)]
        row = evaluate(args.first_seed + i, args.hours, fs, unit, severity, args.rules)
        rows.append(row)
        print(f"seed {row['seed']:4d} {fs:4d} Hz {unit}: F1 left {row['f1_left']:.4f} "
              f"right {row['f1_right']:.4f} | PLMS index truth {row['plms_truth']:6.2f} "
              f"detected {row['plms_detected']:6.2f} (error {row['plms_error']:+.2f}/h) | "
              f"detection {row['detect_s']:.2f} s", flush=True)
    table = pd.DataFrame(rows)
    worst_f1 = float(table[["f1_left", "f1_right"]].min().min())
    worst_err = float(table["plms_error"].abs().max())
    print(f"\n{len(table)} nights of {args.hours:g} h, rules {args.rules}: worst F1 {worst_f1:.4f} "
          f"(target >= {TARGET_F1}), mean F1 {table[['f1_left', 'f1_right']].mean().mean():.4f}; "
          f"worst |PLMS index error| {worst_err:.2f}/h (target <= {TARGET_PLMS_ERROR_PER_H}), "
          f"mean |error| {table['plms_error'].abs().mean():.2f}/h")
    ok = worst_f1 >= TARGET_F1 and worst_err <= TARGET_PLMS_ERROR_PER_H
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
