#!/usr/bin/env python3
"""Speed and memory of scoring a full accelerometer night, whole process, warm cache.

Generates an 8-h night of two ankle accelerometers (100 Hz by default) and
writes it as an EDF+ (both ankles, hypnogram annotations) and as a CSV per
ankle (ISO timestamps, x, y, z in g) in a temporary folder, then runs each
as a separate process, several times after one warm-up:

- ``plms score NIGHT.edf`` (movements, rules, sleep time from the hypnogram);
- ``plms score NIGHT.edf --sleep estimate`` (plus the actigraphy sleep/wake);
- ``plms score LEFT.csv --side left`` (parsing a large CSV with timestamps).

Prints the median wall time and the peak resident memory of each
(:func:`benchmark.measure`).

    python scripts/benchmark_accel.py [--hours 8] [--fs 100] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark import measure  # noqa: E402  (the same timing as the EMG benchmark)

#: Seed of the benchmark night.
SEED = 2024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--fs", type=float, default=100.0, help="sampling rate, 25-100 Hz")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder for the generated files (kept)")
    args = parser.parse_args()

    from plms.simulate import AccelSpec, simulate_accel_night, write_accel_csv, write_accel_edf

    folder = args.keep or Path(tempfile.mkdtemp(prefix="plms-bench-accel-"))
    folder.mkdir(parents=True, exist_ok=True)
    edf, csv = folder / "ankles.edf", folder / "left.csv"
    if not (edf.exists() and csv.exists()):
        print(f"writing a {args.hours:g}-h two-ankle night at {args.fs:g} Hz to {folder} ...",
              flush=True)
        night = simulate_accel_night(SEED, AccelSpec(duration_h=args.hours, fs_hz=args.fs))
        write_accel_edf(night, edf)
        write_accel_csv(night, csv, "left")
    out = str(folder / "out")
    score = [sys.executable, "-m", "plms.cli", "score", "--out", out, "--quiet", "--force"]
    jobs = {
        "EDF, both ankles, PSG hypnogram": score + [str(edf)],
        "EDF, both ankles, sleep estimated": score + [str(edf), "--sleep", "estimate"],
        "CSV, one ankle, sleep estimated": score + [str(csv), "--side", "left"],
    }
    print(f"night: {args.hours:g} h at {args.fs:g} Hz; EDF {edf.stat().st_size / 1e6:.0f} MB, "
          f"CSV {csv.stat().st_size / 1e6:.0f} MB; median of {args.repeat} runs after a "
          "warm-up\n")
    print(f"{'plms score job':36s} {'wall s':>7s} {'peak RSS':>9s} {'anon':>6s} {'file':>6s}  (MB)")
    for name, cmd in jobs.items():
        wall, peak = measure(cmd, args.repeat)
        print(f"{name:36s} {wall:7.2f} {peak['VmHWM']:9.0f} {peak['RssAnon']:6.0f} "
              f"{peak['RssFile']:6.0f}", flush=True)
    if args.keep is None:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
