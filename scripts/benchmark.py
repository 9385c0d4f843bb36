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

Prints wall time (median) and peak resident memory of each, split into the
process's own memory and mapped file pages.

    python scripts/benchmark.py [--hours 8] [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
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
#: Interval of the memory sampling, s.
SAMPLE_S = 0.003

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


def _peaks(pid: int, peak: dict[str, int]) -> None:
    """Update the peaks of resident memory (kB) from /proc/PID/status (Linux)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                key = line.split(":", 1)[0]
                if key in peak:
                    peak[key] = max(peak[key], int(line.split()[1]))
    except (FileNotFoundError, ProcessLookupError):
        pass


def run(cmd: list[str]) -> tuple[float, dict[str, float]]:
    """Wall time (s) of one child process and its peak memory (MB).

    ``VmHWM`` is the kernel's own high-water mark of resident memory (read
    just before the process ends, sampled every few ms); ``RssAnon`` is the
    process's own (anonymous) memory and ``RssFile`` the pages of files it
    maps (the EDF when a reader memory-maps it: shared, reclaimable page cache).
    """
    peak = {"VmHWM": 0, "RssAnon": 0, "RssFile": 0}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None:
        _peaks(proc.pid, peak)
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return wall, {k: v / 1024.0 for k, v in peak.items()}


def measure(cmd: list[str], repeat: int) -> tuple[float, dict[str, float]]:
    """Median wall time over ``repeat`` runs after a warm-up, and the largest peaks."""
    run(cmd)  # warm-up: file in the page cache, .pyc compiled
    walls, peaks = [], []
    for _ in range(repeat):
        wall, peak = run(cmd)
        walls.append(wall)
        peaks.append(peak)
    return statistics.median(walls), {k: max(p[k] for p in peaks) for k in peaks[0]}


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
    import edfio

    n_channels = edfio.read_edf(edf, lazy_load_data=True).num_signals
    size_mb = edf.stat().st_size / 1e6
    left, right, ecg = night.left_label, night.right_label, night.ecg_label
    plms_cli = [sys.executable, "-m", "plms.cli", "score", str(edf), "--out",
                str(folder / "out"), "--quiet", "--force"]  # --force: never skip as done
    jobs = {
        "plms score (whole process)": plms_cli,
        "MNE full read + plms detection": [sys.executable, "-c", MNE_JOB, str(edf), left, right,
                                           ecg],
        "pyedflib: read 2 leg channels": [sys.executable, "-c", PYEDFLIB_JOB, str(edf), left,
                                          right],
        "edfio lazy: read 2 leg channels": [sys.executable, "-c", EDFIO_JOB, str(edf), left,
                                            right],
    }
    print(f"night: {args.hours:g} h, {size_mb:.0f} MB EDF+ with {n_channels} signals, legs at "
          f"512 Hz; "
          f"median of {args.repeat} runs after a warm-up\n")
    print(f"{'job':36s} {'wall s':>7s} {'peak RSS':>9s} {'anon':>6s} {'file':>6s}  (MB)")
    results = {}
    for name, cmd in jobs.items():
        wall, peak = measure(cmd, args.repeat)
        results[name] = (wall, peak)
        print(f"{name:36s} {wall:7.2f} {peak['VmHWM']:9.0f} {peak['RssAnon']:6.0f} "
              f"{peak['RssFile']:6.0f}", flush=True)
    wall, peak = results["plms score (whole process)"]
    print(f"\ntargets: plms score under {TARGET_S:g} s -> {'met' if wall < TARGET_S else 'NOT met'}"
          f" ({wall:.2f} s); under {TARGET_MB:g} MB peak RSS -> "
          f"{'met' if peak['VmHWM'] < TARGET_MB else 'NOT met'} ({peak['VmHWM']:.0f} MB, of "
          f"which {peak['RssAnon']:.0f} MB its own memory)")
    if args.keep is None:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
