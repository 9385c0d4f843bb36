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

With ``--days N`` (issue 16: 7), also a multi-day two-ankle recording at
``--fs``: an EDF of N days from noon, written once (kept with ``--keep``) by
a streaming writer from a few simulated 4-h stretches of
:func:`plms.simulate.simulate_accel_night` laid end to end (a stand-in for the
multi-day generator: a benchmark of time and memory, not of accuracy), and
two jobs, each one process:

- ``chunks``: one pass of :meth:`plms.io.accel.source.AccelSource.chunks`
  (1 h at a time) computing each ankle's per-5-s mean (a stand-in for the
  day features);
- ``nights``: every day's 9-h window from 22:00 read with
  :meth:`~plms.io.accel.source.AccelSource.window` (lazy) and scored by the
  single-night path (:func:`plms.pipeline.accel._score_read`, sleep estimated).

    python scripts/benchmark_accel.py [--hours 8] [--fs 100] [--repeat 3] [--keep DIR]
    python scripts/benchmark_accel.py --days 7 --days-only --keep /tmp/bench-accel
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
#: The multi-day recording: its start (noon), the simulated stretches it is laid
#: from (seeds, hours each), the night window scored each day (from 22:00, 9 h),
#: the chunk of the chunk pass and the segment of its means, s.
DAYS_START = (2026, 1, 5, 12, 0, 0)
DAYS_PIECE_SEEDS = (11, 12, 13)
DAYS_PIECE_H = 4.0
NIGHT_FROM_START_S = 10 * 3600.0
NIGHT_S = 9 * 3600.0
CHUNK_S = 3600.0
SEGMENT_S = 5.0
S_PER_DAY = 86400
#: EDF fields of the multi-day file: range (g), digital range, record length (s).
RANGE_G = 8.0
DIGITAL = (-32767, 32767)
RECORD_S = 1
AXIS_LABELS = tuple(f"Ankle {s} {a}" for s in "LR" for a in "XYZ")


def _edf_header(n_records: int, fs: int) -> bytes:
    """The header of a plain EDF: six accelerometer signals in g, ``RECORD_S``-s records."""
    import datetime as dt

    start = dt.datetime(*DAYS_START)
    ns = len(AXIS_LABELS)

    def f(value: object, width: int) -> bytes:
        return str(value).encode("ascii").ljust(width)[:width]

    head = (f("0", 8) + f("X X X X", 80) + f("Startdate X X X plms-benchmark", 80)
            + f(start.strftime("%d.%m.%y"), 8) + f(start.strftime("%H.%M.%S"), 8)
            + f(256 * (ns + 1), 8) + f("", 44) + f(n_records, 8) + f(RECORD_S, 8) + f(ns, 4))
    columns = [[f(lab, 16) for lab in AXIS_LABELS], [f("accelerometer", 80)] * ns,
               [f("g", 8)] * ns, [f(-RANGE_G, 8)] * ns, [f(RANGE_G, 8)] * ns,
               [f(DIGITAL[0], 8)] * ns, [f(DIGITAL[1], 8)] * ns, [f("", 80)] * ns,
               [f(fs * RECORD_S, 8)] * ns, [f("", 32)] * ns]
    return head + b"".join(b"".join(col) for col in columns)


def write_days_edf(path: Path, days: int, fs: float) -> None:
    """A ``days``-day two-ankle EDF at ``fs`` Hz, written a stretch at a time (bounded memory)."""
    import numpy as np

    from plms.simulate import AccelSpec, simulate_accel_night

    fs_int = int(fs)
    n_records = days * S_PER_DAY // RECORD_S
    spr = fs_int * RECORD_S
    scale = (DIGITAL[1] - DIGITAL[0]) / (2 * RANGE_G)
    pieces = []
    for seed in DAYS_PIECE_SEEDS:   # a few stretches, then laid end to end in turn
        night = simulate_accel_night(seed, AccelSpec(duration_h=DAYS_PIECE_H, fs_hz=fs))
        both = np.concatenate([night.signals[night.sides[s]] for s in ("left", "right")], axis=1)
        digital = np.rint(np.clip(both, -RANGE_G, RANGE_G) * scale).astype("<i2")
        pieces.append(digital[: digital.shape[0] // spr * spr])
        del night, both
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        fh.write(_edf_header(n_records, fs_int))
        left, k = n_records, 0
        while left:
            piece = pieces[k % len(pieces)]
            rows = min(left, piece.shape[0] // spr)
            # (records, samples, signals) -> (records, signals, samples): one record per row
            block = piece[: rows * spr].reshape(rows, spr, len(AXIS_LABELS)).transpose(0, 2, 1)
            fh.write(np.ascontiguousarray(block).tobytes())
            left -= rows
            k += 1
    tmp.replace(path)


def days_child(mode: str, path: Path) -> int:
    """One multi-day job in this process (``--child``); prints what it found."""
    import numpy as np

    from plms.io.accel.lazy import open_accel

    src = open_accel(path)
    if mode == "chunks":
        means: dict[str, list[np.ndarray]] = {s: [] for s in src.sides}
        for _, parts in src.chunks(CHUNK_S):
            for side, data in parts.items():
                per = int(round(SEGMENT_S * src.fs[side]))
                n = data.shape[0] // per
                # axes first: each mean is over a contiguous row (numpy's fast reduction)
                by_axis = np.ascontiguousarray(data[: n * per].T).reshape(-1, n, per)
                means[side].append(by_axis.mean(axis=2).T)
        print({s: sum(m.shape[0] for m in ms) for s, ms in means.items()})
        return 0
    from plms.pipeline.accel import _score_read
    from plms.rules import get_rules
    from plms.signal.accel.detect import AccelDetectorSettings
    from plms.signal.accel.sleepwake import SleepWakeSettings

    rules = get_rules("wasm2016")
    day = 0
    while NIGHT_FROM_START_S + day * S_PER_DAY + NIGHT_S <= src.duration_s:
        a = NIGHT_FROM_START_S + day * S_PER_DAY
        rec = src.window(a, a + NIGHT_S, lazy=True)
        res = _score_read(rec, rec.annotations, "none", rules, file=str(path), identity=None,
                          stem=f"night{day + 1:02d}", where=path, notes=[], sleep="estimate",
                          lights=(None, None), settings=AccelDetectorSettings(),
                          sleep_settings=SleepWakeSettings(), keep_excerpt=False)
        print(day + 1, len(res.events), res.summary.get("plms_index"))
        day += 1
    return 0


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


def report(results: dict[str, list[tuple[float, float, dict[str, float]]]], title: str) -> None:
    """Median wall and CPU time and peak memory of each job."""
    print(f"{title:36s} {'wall s':>7s} {'cpu s':>6s} {'(min-max)':>11s} "
          f"{'peak RSS':>9s} {'anon':>6s} {'file':>6s}  (MB)")
    for name, runs in results.items():
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        peak = {k: max(r[2][k] for r in runs) for k in runs[0][2]}
        print(f"{name:36s} {statistics.median(walls):7.2f} {statistics.median(cpus):6.2f} "
              f"{min(cpus):5.2f}-{max(cpus):<5.2f} {peak['VmHWM']:9.0f} "
              f"{peak['RssAnon']:6.0f} {peak['RssFile']:6.0f}", flush=True)


def take_turns(jobs: dict[str, list[str]], repeat: int
               ) -> dict[str, list[tuple[float, float, dict[str, float]]]]:
    """Each job once as a warm-up, then ``repeat`` rounds of one run of each."""
    results: dict[str, list[tuple[float, float, dict[str, float]]]] = {n: [] for n in jobs}
    for cmd in jobs.values():
        run(cmd)  # warm-up: files in the page cache, .pyc compiled
    for _ in range(repeat):
        for name, cmd in jobs.items():
            results[name].append(run(cmd))
    return results


def bench_days(folder: Path, days: int, fs: float, repeat: int) -> None:
    """The multi-day jobs (see the module docstring)."""
    edf = folder / f"ankles-{days}d-{fs:g}hz.edf"
    if not edf.exists():
        print(f"writing a {days}-day two-ankle recording at {fs:g} Hz to {edf} ...", flush=True)
        write_days_edf(edf, days, fs)
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    jobs = {f"{days} days: chunk pass, 5-s means": me + ["chunks", str(edf)],
            f"{days} days: 9-h nights scored": me + ["nights", str(edf)]}
    print(f"\n{days}-day recording: {fs:g} Hz, two ankles; EDF {edf.stat().st_size / 1e6:.0f} MB;"
          f" median of {repeat} runs after a warm-up\n")
    report(take_turns(jobs, repeat), "multi-day job (one process)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--fs", type=float, default=100.0, help="sampling rate, 25-100 Hz")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder for the generated files (kept)")
    parser.add_argument("--days", type=int, default=0,
                        help="also a multi-day recording of this many days (issue 16: 7)")
    parser.add_argument("--days-only", action="store_true", help="only the multi-day jobs")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "EDF"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return days_child(args.child[0], Path(args.child[1]))

    from plms.simulate import AccelSpec, simulate_accel_night, write_accel_csv, write_accel_edf

    folder = args.keep or Path(tempfile.mkdtemp(prefix="plms-bench-accel-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.days_only:
        bench_days(folder, args.days or 7, args.fs, args.repeat)
        if args.keep is None:
            shutil.rmtree(folder)
        return 0
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
    report(take_turns(jobs, args.repeat), "plms score job")
    if args.days:
        bench_days(folder, args.days, args.fs, args.repeat)
    if args.keep is None:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
