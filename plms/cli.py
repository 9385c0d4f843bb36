"""The ``plms`` command line: a thin layer over the Python API.

Every input problem is one line on stderr naming the file and the problem;
``--debug`` adds the traceback. With several inputs one bad file never stops
the others; the exit code is 0 only when every input was scored.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from plms._version import __version__

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plms", description="Score periodic leg movements in sleep from PSG recordings.")
    parser.add_argument("--version", action="version", version=f"plms {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser(
        "score", help="detect leg movements in EDF/BDF nights and score them",
        description="Detect leg movements in the tibialis EMG of each night, apply the "
                    "rules and write OUT/STEM.events.tsv and OUT/STEM.summary.json.")
    score.add_argument("inputs", nargs="+", metavar="NIGHT", help="EDF, EDF+ or BDF file(s)")
    score.add_argument("--out", required=True, metavar="DIR", help="output folder")
    score.add_argument("--rules", default="wasm2016", choices=("wasm2016", "aasm"),
                       help="scoring rules (default: wasm2016)")
    score.add_argument("--annotations", metavar="FILE",
                       help="hypnogram/respiratory/arousal file (NSRR XML or EDF+); default: "
                            "a sidecar STEM.xml or STEM-nsrr.xml, else the EDF+'s own")
    score.add_argument("--left", metavar="LABEL", help="label of the left leg EMG channel")
    score.add_argument("--right", metavar="LABEL", help="label of the right leg EMG channel")
    score.add_argument("--ecg", metavar="LABEL", help="label of the ECG channel")
    score.add_argument("--unit", metavar="UNIT",
                       help="physical unit of the leg channels when the header lacks it "
                            "(uV, mV, V)")
    score.add_argument("--quiet", action="store_true", help="print errors only")
    score.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def _score_one(path: Path, args: argparse.Namespace) -> str:
    from plms.pipeline import score_edf

    result = score_edf(path, rules=args.rules, annotations=args.annotations, left=args.left,
                       right=args.right, ecg=args.ecg, unit=args.unit)
    paths = result.write(args.out)
    s = result.summary
    lines = [f"{path}  [rules {s['rules']}, plms {s['plms_version']}]"]
    for label, row in result.key_figures().iterrows():
        unit = f" {row['unit']}" if row["unit"] else ""
        lines.append(f"  {label:<32s}{row['value']:>8s}{unit}")
    threshold = result.summary["rules_detail"]["plms_index_threshold_per_h"]
    if s["plms_index"] is not None:
        verdict = "at or above" if s["plms_index"] >= threshold else "below"
        lines.append(f"  PLMS index is {verdict} the clinical threshold of {threshold:g}/h")
    ch = s["channels"]
    lines += [
        f"  channels: left '{ch['left']}', right '{ch['right']}', ECG "
        f"{repr(ch['ecg']) if ch['ecg'] else 'none'} ({ch['reason']})",
        f"  annotations: {s['annotations_source']}",
        f"  outputs: {paths['events']}, {paths['summary']}",
    ]
    lines += [f"  warning: {w}" for w in s["warnings"]]
    return "\n".join(lines)


def _cmd_score(args: argparse.Namespace) -> int:
    from plms.errors import PlmsError

    if args.annotations and len(args.inputs) > 1:
        print("error: --annotations names one file, so it needs exactly one NIGHT",
              file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    for name in args.inputs:
        path = Path(name)
        try:
            report = _score_one(path, args)
        except PlmsError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            if args.debug:
                traceback.print_exc()
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            failed += 1
            print(f"error: {path}: unexpected failure ({type(exc).__name__}: {exc}); "
                  "rerun with --debug for details", file=sys.stderr)
            if args.debug:
                traceback.print_exc()
        else:
            if not args.quiet:
                print(report)
    if len(args.inputs) > 1 and not args.quiet:
        print(f"{len(args.inputs) - failed} of {len(args.inputs)} night(s) scored")
    return EXIT_OK if failed == 0 else EXIT_SOME_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _build_parser().parse_args(argv)
    if args.command == "score":
        return _cmd_score(args)
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
