#!/usr/bin/env python3
"""Speed and memory of scoring a full night, whole process, warm cache.

Generates an 8-h PSG (two leg channels at 512 Hz among ~20 channels, EDF+
with a hypnogram) in a temporary folder, then runs, each several times after
one warm-up, as separate processes:

- ``plms score NIGHT.edf --out DIR`` (the real command line);
- the same detection after reading the whole file with MNE
  (``mne.io.read_raw_edf(preload=True)`` then ``plms.detect_lm_raw``);
- reading just the two leg channels with pyedflib and with edfio (lazy),
  for reference.

Prints wall time (median) and peak resident memory of each.

    python scripts/benchmark.py [--hours 8] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 1.0
TARGET_MB = 500.0

MNE_JOB = """
import sys, mne, plms
raw = mne.io.read_raw_edf(sys.argv[1], preload=True, verbose="error")
lm = plms.detect_lm_raw(raw, sys.argv[2], sys.argv[3], ecg=sys.argv[4])
print(len(lm))
"""
PYEDFLIB_JOB = """
import sys, pyedflib
with pyedflib.EdfReader(sys.argv[1]) as f:
    labels = f.getSignalLabels()
    data = [f.readSignal(labels.index(lab)) for lab in sys.argv[2:4]]
print(sum(d.size for d in data))
"""
EDFIO_JOB = """
import sys, edfio
edf = edfio.read_edf(sys.argv[1], lazy_load_data=True)
labels = [s.label for s in edf.signals]
data = [edf.signals[labels.index(lab)].data for lab in sys.argv[2:4]]
print(sum(d.size for d in data))
"""


def run(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()}")
    # ru_maxrss of children is the max over all children so far: measure with
    # a fresh wait4 to get this child's own peak.
    _, _, usage = os.wait4(-1, os.WNOHANG) if False else (0, 0, None)  # noqa: SIM108
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak_kb, before) / 1024.0


def measure(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Median wall time over ``repeat`` runs after a warm-up, and peak memory.

    Peak memory is taken from /usr/bin/time when available (per process);
    else it is the largest child so far.
    """
    timer = Path("/usr/bin/time")
    run(cmd)  # warm-up: file in the page cache, .pyc compiled
    walls, peaks = [], []
    for _ in range(repeat):
        if timer.exists():
            start = time.perf_counter()
            proc = subprocess.run([str(timer), "-f", "%M", *cmd], capture_output=True, text=True,
                                  check=True)
            walls.append(time.perf_counter() - start)
            peaks.append(float(proc.stderr.strip().splitlines()[-1]) / 1024.0)
        else:
            wall, peak = run(cmd)
            walls.append(wall)
            peaks.append(peak)
    return statistics.median(walls), max(peaks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="folder for the generated night (kept)")
    args = parser.parse_args()

    from plms.simulate import NightSpec, simulate_night, write_edf

    folder = args.keep or Path(tempfile.mkdtemp(prefix="plms-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    edf = folder / "bench_night.edf"
    night = simulate_night(seed=2024, spec=NightSpec(duration_h=args.hours, fs_leg=512))
    if not edf.exists():
        print(f"writing {args.hours:g}-h night to {edf} ...", flush=True)
        write_edf(night, edf, extra_channels="full")
    n_channels = len(night.signals)
    size_mb = edf.stat().st_size / 1e6
    left, right, ecg = night.left_label, night.right_label, night.ecg_label
    plms_cli = [sys.executable, "-m", "plms.cli", "score", str(edf), "--out",
                str(folder / "out"), "--quiet"]
    jobs = {
        "plms score (whole process)": plms_cli,
        "MNE full read + plms detection": [sys.executable, "-c", MNE_JOB, str(edf), left, right,
                                           ecg],
        "pyedflib: read 2 leg channels": [sys.executable, "-c", PYEDFLIB_JOB, str(edf), left,
                                          right],
        "edfio lazy: read 2 leg channels": [sys.executable, "-c", EDFIO_JOB, str(edf), left,
                                            right],
    }
    print(f"night: {args.hours:g} h, {size_mb:.0f} MB EDF+, legs at 512 Hz "
          f"(+ {n_channels} channels simulated, full montage written); "
          f"median of {args.repeat} runs after a warm-up\n")
    print(f"{'job':36s} {'wall s':>8s} {'peak MB':>8s}")
    results = {}
    for name, cmd in jobs.items():
        wall, peak = measure(cmd, args.repeat)
        results[name] = (wall, peak)
        print(f"{name:36s} {wall:8.2f} {peak:8.0f}", flush=True)
    wall, peak = results["plms score (whole process)"]
    print(f"\ntarget: plms score < {TARGET_S:g} s and < {TARGET_MB:g} MB -> "
          f"{'met' if wall < TARGET_S and peak < TARGET_MB else 'NOT met'}")
    if args.keep is None:
        for p in sorted(folder.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
