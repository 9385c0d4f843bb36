#!/usr/bin/env python3
"""Throughput of batch runs: nights per minute serially, with 2 workers, and on Dask.

Generates K full nights (8 h, legs at 512 Hz among ~20 channels, EDF+ with a
hypnogram) in a folder, then scores the folder, each mode in a fresh process
and a fresh output folder (``--force``, warm page cache):

- ``serial``: ``--jobs 1``, in the main process (2 threads per night, as ``plms score``);
- ``serial-1thread``: the same with 1 thread per night (what each batch worker uses);
- ``jobs2``: ``--jobs 2`` worker processes;
- ``dask``: a ``dask.distributed`` LocalCluster of 2 worker processes x 1 thread
  (needs the ``dask`` extra); the cluster's start-up is reported apart.

Prints wall time, nights per minute, the speed-up over ``serial``, the time a
night takes inside its worker (``s/night in worker``: with 2 workers, how much
they slow each other down; the rest of the wall time is start-up), and the
peak resident memory of a worker (its high-water mark, mapped EDF pages included).
Other programs running at the same time change the figures: run it on an idle
machine.

    python scripts/benchmark_batch.py [--nights 4] [--hours 8] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

JOB = """
import json, sys, time
from pathlib import Path
from plms.batch.runner import execute, plan
from plms.batch.engines import InlineEngine, ProcessEngine
from plms.options import ScoreOptions
folder, out, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
options = ScoreOptions(threads=1) if mode == "serial-1thread" else ScoreOptions()
tasks, refused = plan([folder], out, options)
startup = 0.0
if mode == "dask":
    from distributed import Client, LocalCluster
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    startup = time.perf_counter() - t0
    result = execute(tasks, refused, out, scheduler=client, force=True)
    client.close(); cluster.close()
elif mode == "jobs2":
    result = execute(tasks, refused, out, engine=ProcessEngine(2), force=True)
else:
    result = execute(tasks, refused, out, engine=InlineEngine(), force=True)
print(json.dumps({"seconds": result.seconds, "startup": startup, "failed": result.failed,
                  "ran": result.ran, "peak_rss_mb": result.peak_rss_mb,
                  "night_s": sum(result.night_seconds) / max(1, len(result.night_seconds))}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nights", type=int, default=4, help="K nights (default 4)")
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--keep", type=Path, help="folder for the generated nights (kept)")
    parser.add_argument("--modes", default="serial,serial-1thread,jobs2,dask")
    args = parser.parse_args()

    from plms.simulate import NightSpec, simulate_night, write_edf

    folder = args.keep or Path(tempfile.mkdtemp(prefix="plms-batch-bench-"))
    nights = folder / "nights"
    nights.mkdir(parents=True, exist_ok=True)
    for k in range(args.nights):
        path = nights / f"night{k:03d}.edf"
        if not path.exists():
            print(f"writing {path} ...", flush=True)
            write_edf(simulate_night(seed=3000 + k, spec=NightSpec(duration_h=args.hours,
                                                                   fs_leg=512)),
                      path, extra_channels="full")
    for path in nights.iterdir():  # warm the page cache
        path.read_bytes()

    results = {}
    for mode in args.modes.split(","):
        if mode == "dask":
            try:
                import distributed  # noqa: F401
            except ImportError:
                print("dask: skipped (pip install 'plms[dask]')")
                continue
        out = folder / f"out-{mode}"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", JOB, str(nights), str(out), mode],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"{mode} failed:\n{proc.stderr}")
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["process_s"] = time.perf_counter() - t0
        if res["failed"]:
            raise SystemExit(f"{mode}: {res['failed']} night(s) failed")
        results[mode] = res

    base = results.get("serial", {}).get("seconds")
    print(f"\n{args.nights} nights of {args.hours:g} h; {len(list(nights.iterdir()))} files "
          f"in {nights}")
    print(f"{'mode':<16}{'wall s':>8}{'nights/min':>12}{'speed-up':>10}"
          f"{'s/night in worker':>19}{'peak MB/worker':>16}")
    for mode, res in results.items():
        per_min = 60.0 * args.nights / res["seconds"]
        speed = f"{base / res['seconds']:.2f}x" if base else "-"
        peak = "-" if res["peak_rss_mb"] is None else f"{res['peak_rss_mb']:.0f}"
        note = f"  (+{res['startup']:.1f} s cluster start)" if res["startup"] else ""
        print(f"{mode:<16}{res['seconds']:>8.1f}{per_min:>12.1f}{speed:>10}"
              f"{res['night_s']:>19.2f}{peak:>16}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
