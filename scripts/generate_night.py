#!/usr/bin/env python
"""Simulate one PSG night with known truth and write it as EDF(+)/BDF(+).

Examples
--------
    python scripts/generate_night.py --seed 1 --hours 8 --fs 512 --out night.edf \\
        --truth night.truth.tsv --xml
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from plms.simulate import (  # noqa: E402
    NightSpec, simulate_night, write_edf, write_nsrr_xml, write_truth_tsv,
)
from plms.simulate.spec import NUISANCES_IN_CLEAN  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--hours", type=float, default=8.0, help="recording length, h (default 8)")
    p.add_argument("--fs", type=int, default=512, help="leg EMG sampling rate, Hz (default 512)")
    p.add_argument("--unit", choices=("uV", "mV"), default="uV", help="leg channel unit")
    p.add_argument("--mains-hz", type=int, choices=(50, 60), default=50,
                   help="mains frequency, Hz (default 50)")
    p.add_argument("--difficulty", choices=("clean", "hard"), default="hard")
    p.add_argument("--severity", type=float, default=30.0,
                   help="aimed PLMS index, per hour of sleep (default 30)")
    p.add_argument("--resp", type=float, default=10.0,
                   help="respiratory events per hour of sleep (default 10)")
    p.add_argument("--montage", choices=("full", "light", "none"), default="full",
                   help="other PSG channels to write (default full)")
    p.add_argument("--bdf", action="store_true", help="write 24-bit BDF(+) instead of EDF(+)")
    p.add_argument("--plain", action="store_true", help="plain EDF/BDF without annotations")
    p.add_argument("--out", type=Path, required=True, help="output .edf/.bdf path")
    p.add_argument("--xml", action="store_true", help="also write <stem>-nsrr.xml beside it")
    p.add_argument("--truth", type=Path, help="write the truth leg movements to this TSV")
    for name in NUISANCES_IN_CLEAN:
        p.add_argument(f"--{name.replace('_', '-')}", dest=name,
                       action=argparse.BooleanOptionalAction, default=None,
                       help=f"switch {name} on/off (default: as the difficulty says)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    switches = {name: getattr(args, name) for name in NUISANCES_IN_CLEAN}
    try:
        spec = NightSpec(duration_h=args.hours, fs_leg=args.fs, leg_unit=args.unit,
                         mains_hz=args.mains_hz, difficulty=args.difficulty,
                         plm_severity=args.severity, respiratory_load=args.resp, **switches)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    night = simulate_night(args.seed, spec)
    t1 = time.perf_counter()
    montage = False if args.montage == "none" else args.montage
    write_edf(night, args.out, bdf=args.bdf, edf_plus=not args.plain,
              annotations=not args.plain, extra_channels=montage)
    t2 = time.perf_counter()
    print(f"{args.out}: {night.duration_s / 3600:g} h, {len(night.truth_lms)} truth LMs, "
          f"simulated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s")
    if args.xml:
        xml = args.out.with_name(f"{args.out.stem}-nsrr.xml")
        write_nsrr_xml(night, xml)
        print(f"{xml}: NSRR XML sidecar")
    if args.truth:
        write_truth_tsv(night, args.truth)
        print(f"{args.truth}: truth leg movements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
