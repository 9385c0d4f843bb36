#!/usr/bin/env python
"""Simulate a multi-day ankle-accelerometer recording with known truth and write its files.

Writes ``<stem>.edf`` (EDF+, one channel per ankle and axis, streamed a
segment at a time: memory stays that of one night) and the truth TSVs
``<stem>.{nights,lms,naps,nonwear,segments,hypnogram}.tsv``; with ``--csv``
(short recordings: the CSV is written from memory) also ``<stem>-left.csv`` /
``<stem>-right.csv``. Prints the truth nights table and the timing. See
:mod:`plms.simulate.accel_days` for the day plan.

Examples
--------
    python scripts/generate_accel_days.py --seed 1 --days 7 --fs 100 --out-dir out --stem week1
    /usr/bin/time -f "%e s %M KB" python scripts/generate_accel_days.py --days 7 --fs 100 \\
        --out-dir /tmp/x
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from plms.simulate import (  # noqa: E402
    DaysSpec, simulate_accel_days, write_accel_days_csv, write_accel_days_edf,
    write_accel_days_truth,
)

SIDE_CHOICES = {"both": ("left", "right"), "left": ("left",), "right": ("right",)}
#: --csv is refused beyond this many samples per ankle (it holds the recording in memory).
CSV_MAX_SAMPLES = 50_000_000


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--days", type=int, default=3, help="recording length, days (default 3)")
    p.add_argument("--hours", type=float, default=None,
                   help="recording length in hours instead of --days")
    p.add_argument("--fs", type=int, default=50, help="sampling rate, 25-100 Hz (default 50)")
    p.add_argument("--sides", choices=sorted(SIDE_CHOICES), default="both",
                   help="ankles wearing a sensor (default both)")
    p.add_argument("--start", default="2026-01-05T12:00:00",
                   help="clock time of the first sample, ISO (default 2026-01-05T12:00:00)")
    p.add_argument("--difficulty", choices=("clean", "hard"), default="hard")
    p.add_argument("--no-nonwear", action="store_true", help="no non-wear stretches")
    p.add_argument("--no-naps", action="store_true", help="no afternoon naps")
    p.add_argument("--csv", action="store_true", help="also write one CSV per ankle (short ones)")
    p.add_argument("--out-dir", type=Path, required=True, help="output folder")
    p.add_argument("--stem", default=None, help="file name stem (default days-seed<N>)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        spec = DaysSpec(days=args.days, fs_hz=args.fs, sides=SIDE_CHOICES[args.sides],
                        start=datetime.fromisoformat(args.start), nonwear=not args.no_nonwear,
                        naps=not args.no_naps, difficulty=args.difficulty,
                        duration_h=args.hours)
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.csv and spec.duration_s * spec.fs_hz > CSV_MAX_SAMPLES:
        print(f"error: --csv is for short recordings (at most {CSV_MAX_SAMPLES} samples "
              "per ankle)", file=sys.stderr)
        return 2
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    stem = args.stem or f"days-seed{args.seed}"
    t0, c0 = time.perf_counter(), time.process_time()
    days = write_accel_days_edf(args.seed, spec, out / f"{stem}.edf")
    written = [out / f"{stem}.edf"]
    written += write_accel_days_truth(days, out, stem)
    if args.csv:
        full = simulate_accel_days(args.seed, spec)
        written += [write_accel_days_csv(full, out / f"{stem}-{side}.csv", side)
                    for side in full.sides]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    with_cols = ["night", "date", "lights_off_s", "lights_on_s", "sleep_onset_s",
                 "sleep_offset_s", "tst_min", "waso_min", "sol_min", "plm_severity",
                 "nonwear_min", "complete"]
    print(days.truth_nights[with_cols].round(1).to_string(index=False))
    print(f"naps: {len(days.naps)}, non-wear: {len(days.nonwear)}, truth LMs: "
          f"{len(days.truth_lms)}")
    print(f"{days.duration_s / 3600:g} h at {spec.fs_hz:g} Hz, {len(spec.sides)} ankle(s): "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
