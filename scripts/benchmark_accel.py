#!/usr/bin/env python3
"""Speed and memory of scoring a full accelerometer night, whole process, warm cache.

Generates an 8-h night of two ankle accelerometers (100 Hz by default) and
writes it as an EDF+ (both ankles, hypnogram annotations) and as a CSV per
ankle (ISO timestamps, x, y, z in g) in a temporary folder, then runs each
as a separate process, several times after one warm-up:

- ``plms score NIGHT.edf`` (movements, rules, sleep time from the hypnogram);
- ``plms score NIGHT.edf --sleep estimate`` (plus the actigraphy sleep/wake);
- ``plms score LEFT.csv --side left`` (parsing a large CSV with timestamps).

Prints the median wall time, the median CPU time of the process (user +
system: on a busy machine the wall time also counts the waits for a core) and
the peak resident memory of each. The jobs take turns (one run of each, then
the next round), so that a change of the machine's load affects all alike.

    python scripts/benchmark_accel.py [--hours 8] [--fs 100] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark import SAMPLE_S, _peaks  # noqa: E402  (the EMG benchmark's memory sampling)

#: Seed of the benchmark night.
SEED = 2024


def run(cmd: list[str]) -> tuple[float, float, dict[str, float]]:
    """Wall time (s), CPU time (user + system, s) and peak memory (MB) of one child process."""
    peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    start = time.perf_counter()
    # this checkout's plms (python -m takes the working folder first); .pyc files are
    # written, as in any installation, even where the environment says not to
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            cwd=ROOT, env=env)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        _peaks(proc.pid, peak)
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    return wall, usage.ru_utime + usage.ru_stime, {k: v / 1024.0 for k, v in peak.items()}


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
    results: dict[str, list[tuple[float, float, dict[str, float]]]] = {n: [] for n in jobs}
    for cmd in jobs.values():
        run(cmd)  # warm-up: files in the page cache, .pyc compiled
    for _ in range(args.repeat):
        for name, cmd in jobs.items():
            results[name].append(run(cmd))
    print(f"{'plms score job':36s} {'wall s':>7s} {'cpu s':>6s} {'(min-max)':>11s} "
          f"{'peak RSS':>9s} {'anon':>6s} {'file':>6s}  (MB)")
    for name, runs in results.items():
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        peak = {k: max(r[2][k] for r in runs) for k in runs[0][2]}
        print(f"{name:36s} {statistics.median(walls):7.2f} {statistics.median(cpus):6.2f} "
              f"{min(cpus):5.2f}-{max(cpus):<5.2f} {peak['VmHWM']:9.0f} "
              f"{peak['RssAnon']:6.0f} {peak['RssFile']:6.0f}", flush=True)
    if args.keep is None:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
