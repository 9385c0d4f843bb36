"""The ``plms`` command line: a thin layer over the Python API.

``plms score`` detects and scores EDF/BDF nights (:func:`plms.score_edf`);
``plms rescore`` scores the leg movements already marked in annotation files
(:func:`plms.rescore`). Both write ``STEM.events.tsv`` and
``STEM.summary.json``, plus the ``--write`` extras, all of a night or none;
``--report`` then adds ``STEM.report.html`` (and ``OUT/index.html`` over
several nights). ``plms report`` writes the report of a night scored earlier.

Every input problem is one line on stderr naming the file and the problem;
``--debug`` adds the traceback. With several inputs one bad file never stops
the others; the exit code is 0 only when every input was processed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from plms._version import __version__

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
#: ``plms rescore --format`` values (``plms.rescoring.FORMATS``, kept here so that
#: building the parser imports nothing heavy).
RESCORE_FORMATS = ("auto", "remlogic", "nsrr", "edf", "tsv", "csv")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plms", description="Score periodic leg movements in sleep from PSG recordings.")
    parser.add_argument("--version", action="version", version=f"plms {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser(
        "score", help="detect leg movements in EDF/BDF nights and score them",
        description="Detect leg movements in the tibialis EMG of each night, apply the "
                    "rules and write OUT/STEM.events.tsv and OUT/STEM.summary.json.")
    score.add_argument("inputs", nargs="+", metavar="NIGHT",
                       help="EDF, EDF+ or BDF file(s), folders (searched recursively) or "
                            "glob patterns")
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
    _add_night_outputs(score)

    rescore = sub.add_parser(
        "rescore", help="apply the rules to leg movements already scored in annotation files",
        description="Read the scored leg movements (per leg), hypnogram, respiratory events "
                    "and arousals of each file, apply the rules and write OUT/STEM.events.tsv "
                    "and OUT/STEM.summary.json, as 'plms score' does.")
    rescore.add_argument("inputs", nargs="+", metavar="EVENTS_FILE",
                         help="annotation file(s) holding scored leg movements, folders "
                              "(searched recursively) or glob patterns")
    rescore.add_argument("--out", required=True, metavar="DIR", help="output folder")
    rescore.add_argument("--rules", default="wasm2016", choices=("wasm2016", "aasm"),
                         help="scoring rules (default: wasm2016)")
    rescore.add_argument("--format", dest="fmt", default="auto", choices=RESCORE_FORMATS,
                         help="format of the files (default: auto, from name and content)")
    _add_night_outputs(rescore)

    report = sub.add_parser(
        "report", help="write the HTML report of nights scored earlier",
        description="Write DIR/STEM.report.html for each DIR/STEM.summary.json (with "
                    "DIR/STEM.events.tsv beside it); the hypnogram, events and EMG are "
                    "re-read from the files the night was scored from when they still exist.")
    report.add_argument("inputs", nargs="+", metavar="SUMMARY_JSON",
                        help="STEM.summary.json file(s) written by plms score/rescore")
    report.add_argument("--out", metavar="DIR",
                        help="folder of the reports (default: beside each summary)")
    report.add_argument("--quiet", action="store_true", help="print errors only")
    report.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def _add_night_outputs(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``score`` and ``rescore``: extras, report, batch, verbosity."""
    _add_write_option(parser)
    _add_report_option(parser)
    _add_batch_options(parser)
    parser.add_argument("--quiet", action="store_true", help="print errors only")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _write_list(text: str) -> tuple[str, ...]:
    """Parse ``--write a,b``: known, distinct formats (argparse turns errors into exit 2)."""
    from plms.outputs import EXTRA_FORMATS as allowed

    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if not names or unknown:
        shown = ", ".join(repr(n) for n in unknown) or repr(text)
        raise argparse.ArgumentTypeError(
            f"unknown format(s) {shown}; allowed: {', '.join(allowed)}")
    return tuple(dict.fromkeys(names))


def _add_write_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", type=_write_list, default=(), metavar="LIST",
                        help="also write these, comma separated (edf-annotations, edf-copy, "
                             "nsrr-xml)")


def _add_report_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", action="store_true",
                        help="also write STEM.report.html (needs matplotlib: plms[report]); "
                             "with several nights, OUT/index.html lists them all")


def _add_batch_options(parser: argparse.ArgumentParser) -> None:
    """Options of batch runs (:mod:`plms.batch`)."""
    parser.add_argument("--jobs", "-j", type=int, metavar="N",
                        help="worker processes (default: the machine's cores; 1 runs in "
                             "this process)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on this Dask cluster (tcp://host:8786 or a scheduler "
                             "file; needs the 'dask' extra) instead of local processes")
    parser.add_argument("--force", action="store_true",
                        help="redo nights whose outputs are already complete (by default "
                             "they are skipped, so an interrupted run continues)")


def _write_outputs(result: Any, out_dir: str, formats: Sequence[str],
                   source_edf: Path | None) -> list[Path]:
    """Write the night's files, the extras too, all of them or none.

    Everything is first written into a hidden staging folder inside
    ``out_dir``; only when every file is complete are they moved into place.
    """
    if not formats:
        paths = result.write(out_dir)
        return [paths["events"], paths["summary"]]
    from plms.outputs import write_extras

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{result.stem}.", suffix=".tmp", dir=out))
    try:
        write_extras(result, staging, list(formats), source_edf=source_edf)
        main_paths = result.write(staging)
        staged = [p for p in staging.rglob("*") if p.is_file()]
        for path in staged:
            final = out / path.relative_to(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, final)
        firsts = [main_paths["events"], main_paths["summary"]]
        rest = [p for p in staged if p not in firsts and p != main_paths["events_json"]]
        return [out / p.relative_to(staging) for p in firsts + sorted(rest)]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _report(path: Path, result: Any, written: list[Path]) -> str:
    s = result.summary
    lines = [f"{path}  [rules {s['rules']}, plms {s['plms_version']}]"]
    for label, row in result.key_figures().iterrows():
        unit = f" {row['unit']}" if row["unit"] else ""
        lines.append(f"  {label:<32s}{row['value']:>8s}{unit}")
    threshold = s["rules_detail"]["plms_index_threshold_per_h"]
    if s["plms_index"] is not None:
        verdict = "at or above" if s["plms_index"] >= threshold else "below"
        lines.append(f"  PLMS index is {verdict} the clinical threshold of {threshold:g}/h")
    ch = s.get("channels")
    if ch:
        lines.append(f"  channels: left '{ch['left']}', right '{ch['right']}', ECG "
                     f"{repr(ch['ecg']) if ch['ecg'] else 'none'} ({ch['reason']})")
    else:
        lines.append("  leg movements: as scored in the file")
    lines += [
        f"  annotations: {s['annotations_source']}",
        f"  outputs: {', '.join(str(p) for p in written)}",
    ]
    lines += [f"  warning: {w}" for w in s["warnings"]]
    return "\n".join(lines)


def _score_one(path: Path, args: argparse.Namespace) -> str:
    from plms.pipeline import score_edf

    result = score_edf(path, rules=args.rules, annotations=args.annotations, left=args.left,
                       right=args.right, ecg=args.ecg, unit=args.unit)
    written = _write_outputs(result, args.out, args.write, source_edf=path)
    written += _write_night_report(result, args)
    return _report(path, result, written)


_EDF_SUFFIXES = (".edf", ".bdf")


def _rescore_one(path: Path, args: argparse.Namespace) -> str:
    from plms.errors import PlmsInputError
    from plms.rescoring import rescore

    source_edf = path if path.suffix.lower() in _EDF_SUFFIXES else None
    if "edf-copy" in args.write and source_edf is None:
        raise PlmsInputError("--write edf-copy needs an EDF recording, and this file is "
                             "not one: nothing written for it", path=path)
    result = rescore(path, rules=args.rules, fmt=args.fmt)
    written = _write_outputs(result, args.out, args.write, source_edf=source_edf)
    written += _write_night_report(result, args)
    return _report(path, result, written)


def _run_all(args: argparse.Namespace, one: Callable[[Path, argparse.Namespace], str],
             done: str) -> int:
    """Process every input as a batch (:mod:`plms.batch`); a bad input never stops the others.

    Each worker runs ``one`` (:func:`_score_one` or :func:`_rescore_one`,
    chosen by ``args.command``) on a night; ``OUT/summary.csv`` gets its row.
    """
    from plms.batch.runner import run_cli

    code = run_cli(args, done)
    if getattr(args, "report", False):
        _write_cohort_index(args)
    return code


def _cmd_score(args: argparse.Namespace) -> int:
    if args.annotations and len(args.inputs) > 1:
        print("error: --annotations names one file, so it needs exactly one NIGHT",
              file=sys.stderr)
        return EXIT_USAGE
    return _run_all(args, _score_one, "scored")


def _cmd_rescore(args: argparse.Namespace) -> int:
    return _run_all(args, _rescore_one, "rescored")


def _write_night_report(result: Any, args: argparse.Namespace) -> list[Path]:
    """``--report``: STEM.report.html, after the night's main outputs."""
    if not getattr(args, "report", False):
        return []
    from plms.report import write_report

    return [write_report(result, Path(args.out) / f"{result.stem}.report.html")]


def _write_cohort_index(args: argparse.Namespace) -> None:
    """``--report`` with several nights: write or refresh OUT/index.html."""
    out = Path(args.out)
    if not out.is_dir():
        return
    if not (out / "index.html").exists() and len(list(out.rglob("*.summary.json"))) < 2:
        return
    try:
        from plms.report import write_cohort_index

        index = write_cohort_index(out)
    except Exception as exc:  # noqa: BLE001 - the nights are written; say what failed
        print(f"error: {out / 'index.html'}: not written ({type(exc).__name__}: {exc})",
              file=sys.stderr)
        if args.debug:
            traceback.print_exc()
    else:
        if not args.quiet:
            print(f"cohort overview: {index}")


def _cmd_report(args: argparse.Namespace) -> int:
    """``plms report SUMMARY_JSON... [--out DIR]``."""
    from plms.errors import PlmsError
    from plms.report import report_from_outputs

    failed = 0
    for name in args.inputs:
        try:
            path = report_from_outputs(name, out=args.out)
        except PlmsError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            failed += 1
            print(f"error: {name}: unexpected failure ({type(exc).__name__}: {exc}); "
                  "rerun with --debug for details", file=sys.stderr)
            if args.debug:
                traceback.print_exc()
        else:
            if not args.quiet:
                print(path)
    return EXIT_OK if failed == 0 else EXIT_SOME_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _build_parser().parse_args(argv)
    if args.command == "score":
        return _cmd_score(args)
    if args.command == "rescore":
        return _cmd_rescore(args)
    if args.command == "report":
        return _cmd_report(args)
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
