#!/usr/bin/env python
"""Simulate one ankle-accelerometer night with known truth and write its files.

Writes ``<stem>.edf`` (EDF+, one channel per ankle and axis, hypnogram as
annotations), ``<stem>.truth.tsv`` (truth leg movements), ``<stem>-hypnogram.xml``
(NSRR XML) and, with ``--csv``, ``<stem>-left.csv`` / ``<stem>-right.csv``.
The sleeper is the one of ``scripts/generate_night.py`` with the same seed.

Examples
--------
    python scripts/generate_accel_night.py --seed 1 --hours 8 --fs 50 --unit mg \\
        --out-dir out --stem night1 --csv
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from plms.simulate import (  # noqa: E402
    AccelSpec, NightSpec, simulate_accel_night, write_accel_csv, write_accel_edf,
    write_accel_hypnogram_xml, write_accel_truth_tsv,
)

SIDE_CHOICES = {"both": ("left", "right"), "left": ("left",), "right": ("right",)}
S_PER_H = 3600.0


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--hours", type=float, default=8.0, help="recording length, h (default 8)")
    p.add_argument("--fs", type=int, default=50, help="sampling rate, 25-100 Hz (default 50)")
    p.add_argument("--unit", choices=("g", "mg", "m/s^2"), default="g",
                   help="EDF physical unit (default g)")
    p.add_argument("--sides", choices=sorted(SIDE_CHOICES), default="both",
                   help="ankles wearing a sensor (default both)")
    p.add_argument("--range-g", type=float, default=8.0, help="sensor range +- g (default 8)")
    p.add_argument("--difficulty", choices=("clean", "hard"), default="hard")
    p.add_argument("--severity", type=float, default=30.0,
                   help="aimed PLMS index of the sleeper, per hour of sleep (default 30)")
    p.add_argument("--resp", type=float, default=10.0,
                   help="respiratory events per hour of sleep (default 10)")
    p.add_argument("--label-style", choices=("ankle", "acc"), default="ankle",
                   help="EDF labels 'Ankle L X' or 'ACC X' (one side only)")
    p.add_argument("--csv", action="store_true", help="also write one CSV per ankle")
    p.add_argument("--time", choices=("timestamp", "index"), default="timestamp",
                   help="first CSV column: ISO timestamps or sample numbers")
    p.add_argument("--out-dir", type=Path, required=True, help="output folder")
    p.add_argument("--stem", default=None, help="file name stem (default accel-seed<N>)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        psg = NightSpec(duration_h=args.hours, difficulty=args.difficulty,
                        plm_severity=args.severity, respiratory_load=args.resp)
        spec = AccelSpec(duration_h=args.hours, fs_hz=args.fs, sides=SIDE_CHOICES[args.sides],
                         range_g=args.range_g, difficulty=args.difficulty, psg_spec=psg)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.label_style == "acc" and args.sides == "both":
        print("error: --label-style acc needs --sides left or right", file=sys.stderr)
        return 2
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    stem = args.stem or f"accel-seed{args.seed}"
    t0 = time.perf_counter()
    night = simulate_accel_night(args.seed, spec)
    t1 = time.perf_counter()
    written = [write_accel_edf(night, out / f"{stem}.edf", unit=args.unit,
                               label_style=args.label_style),
               write_accel_truth_tsv(night, out / f"{stem}.truth.tsv"),
               write_accel_hypnogram_xml(night, out / f"{stem}-hypnogram.xml")]
    if args.csv:
        written += [write_accel_csv(night, out / f"{stem}-{side}.csv", side, time=args.time)
                    for side in night.sides]
    t2 = time.perf_counter()
    print(f"{night.duration_s / S_PER_H:g} h at {night.fs:g} Hz, {len(night.truth_lms)} truth "
          f"LMs, TST {night.truth_tst_min:.1f} min; simulated in {t1 - t0:.1f} s, "
          f"written in {t2 - t1:.1f} s")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
