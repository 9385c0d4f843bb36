#!/usr/bin/env python3
"""plms against the open Python peer, side by side in one run: time and peak memory.

Generates PSG recordings of several lengths (20 channels, legs at 512 Hz,
EDF+ with the hypnogram in its annotations) and, optionally, a multi-day
two-ankle accelerometer recording, then runs as separate processes, each
several times after one warm-up, alternating plms and the peer:

- ``plms score FILE --out DIR --force`` (the real command line; ``--force``
  so that nothing is skipped as already done);
- the open Python peer, psgscoring (``plm.analyze_plm``) on the same PSG: its
  two leg channels read with pyedflib, the hypnogram from the EDF+
  annotations, the figures written to a JSON file (the peer has no
  accelerometer scoring: that row has plms only).

Prints per recording the median wall time, the peak resident memory
(``VmHWM``, :func:`benchmark.run`) and the ratio peer / plms, and, with
``--plot``, draws time and peak memory against recording length.

The peer is in the ``bench`` extra: ``pip install -e '.[bench]'``.

    python scripts/benchmark_peer.py [--hours 8,24,72] [--accel-days 7] [--repeat 3]
        [--keep DIR] [--plot docs/performance.png]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark import run  # noqa: E402  (the same timing and memory sampling)

#: Seed of the benchmark recordings.
SEED = 2024
#: Leg sampling rate of the PSG recordings, Hz.
FS_LEG = 512
#: Sampling rate of the accelerometer recording, Hz.
FS_ACCEL = 100.0
#: The issue's targets (issue 15): at least this many times the peer's speed ...
TARGET_RATIO = 10.0
#: ... and at most this peak memory, MB, whatever the recording's length.
TARGET_MB = 250.0

PEER_JOB = """
import json, sys
import numpy as np, pyedflib
from psgscoring.plm import analyze_plm
path, left, right, out = sys.argv[1:5]
with pyedflib.EdfReader(path) as f:
    labels = f.getSignalLabels()
    legs = [f.readSignal(labels.index(lab)) for lab in (left, right)]
    sf = f.getSampleFrequency(labels.index(left))
    onsets, durations, texts = f.readAnnotations()
n_epochs = int(np.ceil(legs[0].size / sf / 30.0))
hypno = ["W"] * n_epochs
for onset, duration, text in zip(onsets, durations, texts):
    word = str(text).split()[-1]
    if str(text).startswith("Sleep stage") and word in ("W", "N1", "N2", "N3", "R"):
        for k in range(int(onset // 30), min(n_epochs, int((onset + duration) // 30))):
            hypno[k] = word
result = analyze_plm(legs[0], legs[1], sf, hypno, leg_unit="uV", event_list_cap=None)
if not result["success"]:
    raise SystemExit(result["error"])
with open(out, "w") as fh:
    json.dump({"summary": result["summary"], "events": len(result["events"])}, fh, default=str)
"""


def _psg(folder: Path, hours: float) -> tuple[Path, str, str]:
    """The generated PSG of ``hours`` (written once; kept with ``--keep``) and its leg labels."""
    from plms.simulate import NightSpec, simulate_night, write_edf

    edf = folder / f"psg_{hours:g}h.edf"
    spec = NightSpec(duration_h=hours, fs_leg=FS_LEG)
    if not edf.exists():
        print(f"writing a {hours:g}-h PSG to {edf} ...", flush=True)
        write_edf(simulate_night(seed=SEED, spec=spec), edf, extra_channels="full")
    return edf, spec.leg_labels[0], spec.leg_labels[1]


def _accel(folder: Path, days: float) -> Path:
    """The generated two-ankle accelerometer EDF of ``days``."""
    from plms.simulate import AccelSpec, simulate_accel_night, write_accel_edf

    edf = folder / f"ankles_{days:g}d.edf"
    if not edf.exists():
        print(f"writing a {days:g}-day two-ankle recording to {edf} ...", flush=True)
        night = simulate_accel_night(SEED, AccelSpec(duration_h=24.0 * days, fs_hz=FS_ACCEL))
        write_accel_edf(night, edf)
    return edf


def _measure_pair(jobs: dict[str, list[str]], repeat: int
                  ) -> dict[str, tuple[float, float]]:
    """Median wall time (s) and largest peak RSS (MB) per job, runs alternated."""
    for cmd in jobs.values():
        run(cmd)  # warm-up: the file in the page cache, .pyc compiled
    walls: dict[str, list[float]] = {name: [] for name in jobs}
    peaks: dict[str, float] = {name: 0.0 for name in jobs}
    for _ in range(repeat):
        for name, cmd in jobs.items():
            wall, peak = run(cmd)
            walls[name].append(wall)
            peaks[name] = max(peaks[name], peak["VmHWM"])
    return {name: (statistics.median(walls[name]), peaks[name]) for name in jobs}


def _plot(rows: list[tuple[str, float, dict[str, tuple[float, float]]]], path: Path) -> None:
    """Time and peak memory against recording length, plms and the peer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for tool, marker in (("plms", "o"), ("psgscoring", "s")):
        pts = [(hours, res[tool]) for kind, hours, res in rows if kind == "psg" and tool in res]
        if pts:
            ax_t.plot([h for h, _ in pts], [v[0] for _, v in pts], marker=marker, label=tool)
            ax_m.plot([h for h, _ in pts], [v[1] for _, v in pts], marker=marker, label=tool)
    for kind, hours, res in rows:
        if kind == "accel":
            ax_t.plot([hours], [res["plms"][0]], "^", label="plms, two ankles 100 Hz")
            ax_m.plot([hours], [res["plms"][1]], "^", label="plms, two ankles 100 Hz")
    ax_m.axhline(TARGET_MB, color="grey", ls="--", lw=1, label=f"{TARGET_MB:g} MB target")
    ax_t.set(xlabel="recording length (h)", ylabel="whole process, s (median)",
             title="Time")
    ax_m.set(xlabel="recording length (h)", ylabel="peak resident memory, MB",
             title="Peak memory")
    for ax in (ax_t, ax_m):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", default="8,24,72", help="PSG lengths, h, comma-separated")
    parser.add_argument("--accel-days", type=float, default=7.0,
                        help="length of the two-ankle recording, days (0: none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="plms only")
    parser.add_argument("--keep", type=Path, help="folder for the generated files (kept)")
    parser.add_argument("--plot", type=Path, help="draw the figure to this PNG")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="plms-bench-peer-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "out"
    plms_cmd = [sys.executable, "-m", "plms.cli", "score", "--out", str(out), "--quiet",
                "--force"]
    rows: list[tuple[str, float, dict[str, tuple[float, float]]]] = []
    print(f"{'recording':34s} {'plms s':>7s} {'MB':>6s} {'peer s':>7s} {'MB':>6s} "
          f"{'peer/plms':>9s}")
    for hours in (float(h) for h in args.hours.split(",") if h.strip()):
        edf, left, right = _psg(folder, hours)
        jobs = {"plms": plms_cmd + [str(edf)]}
        if not args.no_peer:
            jobs["psgscoring"] = [sys.executable, "-c", PEER_JOB, str(edf), left, right,
                                  str(folder / "peer.json")]
        res = _measure_pair(jobs, args.repeat)
        rows.append(("psg", hours, res))
        _print_row(f"{hours:g}-h PSG, 20 channels", res)
    if args.accel_days > 0:
        edf = _accel(folder, args.accel_days)
        res = _measure_pair({"plms": plms_cmd + [str(edf)]}, args.repeat)
        rows.append(("accel", 24.0 * args.accel_days, res))
        _print_row(f"{args.accel_days:g}-day two ankles {FS_ACCEL:g} Hz", res)
    print(f"\ntargets: >= {TARGET_RATIO:g}x the peer, <= {TARGET_MB:g} MB peak at every length")
    if args.plot:
        _plot(rows, args.plot)
    if args.keep is None:
        shutil.rmtree(folder)
    return 0


def _print_row(name: str, res: dict[str, tuple[float, float]]) -> None:
    wall, mb = res["plms"]
    peer = res.get("psgscoring")
    if peer is None:
        print(f"{name:34s} {wall:7.2f} {mb:6.0f} {'-':>7s} {'-':>6s} {'-':>9s}", flush=True)
        return
    print(f"{name:34s} {wall:7.2f} {mb:6.0f} {peer[0]:7.2f} {peer[1]:6.0f} "
          f"{peer[0] / wall:8.1f}x", flush=True)


if __name__ == "__main__":
    sys.exit(main())
