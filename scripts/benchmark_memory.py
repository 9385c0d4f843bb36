#!/usr/bin/env python3
"""Time and peak memory of ``plms score --force`` on long generated PSGs (issue 15).

Generates PSG recordings of several lengths (about 20 channels, legs at
512 Hz, EDF+ with the hypnogram in its annotations; written once and kept
with ``--keep``), then runs ``plms score FILE --out DIR --force`` on each as
a separate process, several times after one warm-up. Prints per recording
the median wall time, the median CPU time (user + system, from the kernel's
accounting of the child) with their spread (min-max), and the peak resident
memory (``ru_maxrss``, the kernel's own high-water mark), and the ratio of
the longest recording's time to the 8-h one's.

    python scripts/benchmark_memory.py [--hours 8,24,72] [--repeat 3] [--keep DIR]
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

#: Seed of the benchmark recordings.
SEED = 2024
#: Leg sampling rate of the PSG recordings, Hz.
FS_LEG = 512
#: The issue's targets (issue 15): at most this peak memory, MB, whatever the length ...
TARGET_MB = 250.0
#: ... and a 24-h night within this many times the 8-h night's time.
TARGET_TIME_RATIO_24H = 3.3
#: kB in a MB (``ru_maxrss`` is in kB on Linux).
KB_PER_MB = 1024.0


def _psg(folder: Path, hours: float) -> Path:
    """The generated PSG of ``hours`` (written once).

    Written by a child process: a child forked from this one while it held
    the simulated night would report this process's memory as its own peak
    (Linux keeps ``ru_maxrss`` across the fork and exec).
    """
    edf = folder / f"psg_{hours:g}h.edf"
    if not edf.exists():
        print(f"writing a {hours:g}-h PSG to {edf} ...", flush=True)
        code = ("import sys; from plms.simulate import NightSpec, simulate_night, write_edf; "
                f"write_edf(simulate_night(seed={SEED}, spec=NightSpec(duration_h={hours!r}, "
                f"fs_leg={FS_LEG!r})), sys.argv[1], extra_channels='full')")
        subprocess.run([sys.executable, "-c", code, str(edf)], check=True)
    return edf


def run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall time (s), CPU time (s) and peak resident memory (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / KB_PER_MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", default="8,24,72",
                        help="comma-separated recording lengths, h (default 8,24,72)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder for the generated nights (kept)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="plms-mem-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="plms-mem-out-"))
    times: dict[float, float] = {}
    try:
        print(f"{'hours':>6} {'wall s':>8} {'cpu s':>8} {'cpu min-max':>13} {'peak MB':>8}")
        for hours in (float(h) for h in args.hours.split(",")):
            edf = _psg(folder, hours)
            cmd = [sys.executable, "-m", "plms.cli", "score", str(edf), "--out", str(out),
                   "--force", "--quiet"]
            run(cmd)   # warm-up: the file in the page cache, .pyc compiled
            rows = [run(cmd) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in rows)
            cpus = [r[1] for r in rows]
            peak = max(r[2] for r in rows)
            times[hours] = statistics.median(cpus)
            flag = "" if peak <= TARGET_MB else f"  (over {TARGET_MB:g} MB)"
            print(f"{hours:6g} {wall:8.2f} {times[hours]:8.2f} "
                  f"{min(cpus):6.2f}-{max(cpus):<6.2f} {peak:8.0f}{flag}", flush=True)
        if len(times) > 1:
            base = min(times)
            for hours, cpu in times.items():
                if hours != base:
                    print(f"CPU time {hours:g} h / {base:g} h: {cpu / times[base]:.2f} "
                          f"(length ratio {hours / base:g})")
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
