"""The ``plms`` command line: a thin layer over the Python API.

``plms score`` detects and scores EDF/BDF nights (:func:`plms.score_edf`), or
accelerometer recordings (:func:`plms.score_accel`, ``--modality accel``, or
detected from the channels);
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
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plms._version import __version__
from plms.checks import annotations_problem, out_dir_problem, unit_problem
from plms.options import DAYS_CHOICES, MODALITIES, RESCORE_FORMATS, SIDES, SLEEP_CHOICES

if TYPE_CHECKING:  # pragma: no cover
    from plms.batch.worker import NightOptions

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
#: Exit code of a run stopped by Ctrl-C or SIGTERM.
EXIT_INTERRUPTED = 130


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plms", description="Score periodic leg movements in sleep from PSG recordings.")
    parser.add_argument("--version", action="version", version=f"plms {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser(
        "score", help="detect leg movements in EDF/BDF nights (EMG or accelerometers) "
                      "and score them",
        description="Detect leg movements in the tibialis EMG (or the ankle accelerometers) "
                    "of each night, apply the rules and write OUT/STEM.events.tsv and "
                    "OUT/STEM.summary.json.")
    score.add_argument("inputs", nargs="+", metavar="NIGHT",
                       help="EDF, EDF+ or BDF file(s), accelerometer CSV/.cwa/.bin/.gt3x "
                            "files, folders (searched recursively) or glob patterns")
    score.add_argument("--out", required=True, metavar="DIR", help="output folder")
    score.add_argument("--rules", default="wasm2016", choices=("wasm2016", "aasm"),
                       help="scoring rules (default: wasm2016)")
    score.add_argument("--annotations", metavar="FILE",
                       help="hypnogram/respiratory/arousal file (NSRR or Profusion XML, EDF+, "
                            "...); default: a sidecar STEM-nsrr.xml, STEM-profusion.xml or "
                            "STEM.xml, else the EDF+'s own")
    score.add_argument("--left", metavar="LABEL",
                       help="label of the left leg EMG channel (alone, when no right-leg "
                            "channel is found: the left leg scored alone)")
    score.add_argument("--right", metavar="LABEL", help="label of the right leg EMG channel")
    score.add_argument("--legs", metavar="LABEL",
                       help="label of one channel holding both legs (electrodes of the two "
                            "legs bridged, or a leg channel without a side): scored as one "
                            "channel, side 'combined', without bilateral combination")
    score.add_argument("--ecg", metavar="LABEL", help="label of the ECG channel")
    score.add_argument("--unit", metavar="UNIT", type=_unit_value,
                       help="physical unit of the leg channels when the header lacks it "
                            "(EMG: uV, mV, V; accelerometer: g, mg, m/s^2)")
    score.add_argument("--bids", action="store_true", default=None,
                       help="score the BIDS dataset NIGHT (its root folder) into a BIDS "
                            "derivative in --out (default when NIGHT holds "
                            "dataset_description.json; needs the 'bids' extra)")
    _add_accel_options(score)
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
    _add_validate_parser(sub)
    return parser


def _positive(text: str) -> float:
    """Parse a strictly positive, finite number (argparse turns errors into exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive finite number")
    return value


def _unit_value(text: str) -> str:
    """Parse ``--unit``: a voltage or an acceleration (argparse turns errors into exit 2)."""
    problem = unit_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _shift_value(text: str) -> float | str:
    """Parse ``--shift``: seconds or ``auto`` (argparse turns errors into exit 2)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds or 'auto'"
                                         ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds")
    return value


def _add_validate_parser(sub: Any) -> None:
    validate = sub.add_parser(
        "validate", help="compare two scorings of the same night(s)",
        description="Compare a TEST scoring (e.g. an ankle device) with a REFERENCE scoring "
                    "(e.g. the PSG's EMG scored by a technician): event-level agreement per "
                    "leg and after bilateral combination, PLMS index agreement over the "
                    "nights and, where both sides have a hypnogram, sleep/wake epoch by epoch "
                    "(accuracy, kappa, sleep sensitivity, wake specificity) with TST, sleep "
                    "efficiency, WASO and sleep onset latency. Writes DIR/validation.json, "
                    "DIR/nights.csv and, with two nights or more, DIR/bland_altman.png, all of "
                    "them or none.")
    validate.add_argument("reference", metavar="REFERENCE",
                          help="a scoring or hypnogram file plms reads (or plms's own "
                               "events.tsv), or a folder of them (nights paired by file stem)")
    validate.add_argument("test", metavar="TEST", help="the same for the scoring under test")
    validate.add_argument("--out", required=True, metavar="DIR", help="output folder")
    validate.add_argument("--shift", type=_shift_value, default=None, metavar="SECONDS|auto",
                          help="clock offset of TEST (test minus reference), subtracted from "
                               "its onsets; 'auto' estimates it for each night")
    validate.add_argument("--iou", type=float, default=0.2, metavar="IOU",
                          help="overlap (intersection over union) two movements must exceed "
                               "to match (default: 0.2)")
    validate.add_argument("--tolerance", type=float, default=0.5, metavar="SECONDS",
                          help="onset difference allowed by the onset matching (default: 0.5)")
    validate.add_argument("--max-shift", type=float, default=120.0, metavar="SECONDS",
                          help="largest offset --shift auto looks for (default: 120)")
    validate.add_argument("--rules", default="wasm2016", choices=("wasm2016", "aasm"),
                          help="scoring rules (default: wasm2016)")
    validate.add_argument("--quiet", action="store_true", help="print errors only")
    validate.add_argument("--debug", action="store_true", help="show tracebacks")


def _add_accel_options(score: argparse.ArgumentParser) -> None:
    acc = score.add_argument_group("accelerometer recordings")
    acc.add_argument("--modality", default="auto", choices=MODALITIES,
                     help="what the recording holds: leg EMG, ankle accelerometers, or auto "
                          "(accelerometer when the file has accelerometer channels and no leg "
                          "EMG, or is a CSV/.cwa/.bin/.gt3x file); a folder is searched for "
                          "CSV and device files with 'accel' only")
    acc.add_argument("--side", choices=SIDES,
                     help="ankle of a single accelerometer whose labels do not say it "
                          "(default: a side word ending the file name, as in "
                          "night-right.csv or n1_R.cwa; else left)")
    acc.add_argument("--no-pair-sides", dest="pair_sides", action="store_false",
                     help="score per-ankle files of one night (n1-left.csv and "
                          "n1-right.csv, n1_L.cwa and n1_R.cwa: stems differing only by a "
                          "side word) each alone, instead of together as one two-ankle "
                          "night named n1")
    acc.add_argument("--fs", type=_positive, metavar="HZ",
                     help="sampling rate of a CSV without timestamps")
    acc.add_argument("--accel-threshold", type=_positive, metavar="MG", dest="accel_threshold",
                     help="movement threshold on the gravity-removed acceleration, mg "
                          "(default: the detector's, see docs/ACCEL.md)")
    acc.add_argument("--sleep", default="auto", choices=SLEEP_CHOICES,
                     help="sleep time of an accelerometer night: from the hypnogram when "
                          "there is one, else estimated from the acceleration (auto); "
                          "always estimated; or a hypnogram required")
    acc.add_argument("--lights-off", metavar="TIME", dest="lights_off",
                     help="lights off for an estimated sleep time (e.g. from a sleep diary): "
                          "HH:MM clock time, or seconds from the recording start")
    acc.add_argument("--lights-on", metavar="TIME", dest="lights_on",
                     help="lights on, likewise")
    acc.add_argument("--days", default="auto", choices=DAYS_CHOICES,
                     help="split a recording of several days into nights, each scored as a "
                          "single night (OUT/STEM.nights.csv, OUT/STEM/nightNN.*): auto "
                          "(an accelerometer recording of 18 h or more, or with --diary), "
                          "on, or off (one night whatever its length)")
    acc.add_argument("--diary", metavar="FILE",
                     help="sleep diary of a multi-day recording (CSV: night, lights_off, "
                          "lights_on as HH:MM or ISO date-times): its nights replace the "
                          "ones found in the activity")


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


def _options(args: argparse.Namespace) -> NightOptions:
    """The options of ``plms score`` / ``plms rescore`` as typed options (:mod:`plms.options`)."""
    from plms.options import (
        AccelOptions,
        Channels,
        OutputOptions,
        RescoreOptions,
        ScoreOptions,
    )

    outputs = OutputOptions(write=tuple(args.write), report=bool(args.report))
    if args.command == "rescore":
        return RescoreOptions(rules=args.rules, fmt=args.fmt, outputs=outputs)
    return ScoreOptions(
        rules=args.rules, modality=args.modality, annotations=args.annotations,
        channels=Channels(left=args.left, right=args.right, ecg=args.ecg, legs=args.legs),
        unit=args.unit,
        accel=AccelOptions(side=args.side, fs=args.fs, threshold_mg=args.accel_threshold,
                           sleep=args.sleep, lights_off=args.lights_off,
                           lights_on=args.lights_on),
        outputs=outputs, diary=args.diary, days=args.days)


def _cmd_score(args: argparse.Namespace) -> int:
    problem = annotations_problem(args.annotations, len(args.inputs))
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    problem = unit_problem(args.unit, args.modality) if args.unit is not None else None
    if problem is not None:
        print(f"error: --unit with --modality {args.modality}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    return _run_all(args, "scored")


def _run_all(args: argparse.Namespace, done: str) -> int:
    """The batch of the command line, then (``--report``) the cohort overview."""
    code = _run_batch(args, done)
    if args.report:
        _write_cohort_index(args)
    return code


def _run_batch(args: argparse.Namespace, done: str) -> int:
    """Process every input as a batch (:mod:`plms.batch`); a bad input never stops the others.

    Each worker scores (or rescores) a night with the typed options of the
    command line (:func:`plms.api.score_night`); ``OUT/summary.csv`` gets its row.
    """
    from plms.batch.progress import Progress
    from plms.batch.runner import Hooks, execute, plan, sigterm_as_interrupt
    from plms.errors import PlmsError
    from plms.options import ScoreOptions

    from plms.batch.bids import bids_root, plan_bids, write_description

    out = Path(args.out)
    try:
        options = _options(args)   # a ValueError: options that do not go together
        root = bids_root(args.inputs, args.bids) if args.command == "score" else None
        if root is not None and isinstance(options, ScoreOptions):
            tasks, refused = plan_bids(root, out, options)
        else:
            tasks, refused = plan(args.inputs, out, options,
                                  pair_sides=bool(getattr(args, "pair_sides", True)))
    except (ValueError, PlmsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    total = len(tasks) + len(refused)
    for option in ("annotations", "diary"):
        problem = annotations_problem(getattr(args, option, None), total, option=f"--{option}")
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    progress = Progress(quiet=args.quiet)
    hooks = Hooks(error=lambda message, tb: _show_error(progress, message, tb, args.debug),
                  report=lambda text: None if args.quiet else progress.write(text),
                  skipped=lambda task: None if args.quiet else progress.write(
                      f"{task.path}: outputs already complete, skipped (--force redoes it)"),
                  progress=progress)
    with sigterm_as_interrupt():
        try:
            if root is not None and tasks:
                write_description(root, out)
            result = execute(tasks, refused, out, jobs=args.jobs, scheduler=args.scheduler,
                             force=args.force, hooks=hooks)
        except PlmsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as exc:   # the output folder became unwritable under us
            print(f"error: {exc.filename or out}: cannot be written "
                  f"({exc.strerror or exc}); run stopped", file=sys.stderr)
            return EXIT_SOME_FAILED
    n_ok = int((result.table["status"] == "ok").sum())
    if result.interrupted:
        print(f"interrupted: {n_ok} of {total} night(s) {done}; run the same command again "
              f"to continue (table: {result.summary_path})", file=sys.stderr)
        return EXIT_INTERRUPTED
    if total > 1 and not args.quiet:
        extra = f", {result.skipped} of them already done" if result.skipped else ""
        table = f"; table: {result.summary_path}" if result.summary_path else ""
        print(f"{n_ok} of {total} night(s) {done}{extra}{table}")
    return EXIT_OK if result.failed == 0 else EXIT_SOME_FAILED


def _show_error(progress: Any, message: str, tb: str | None, debug: bool) -> None:
    progress.write(f"error: {message}", err=True)
    if debug and tb:
        progress.write(tb.rstrip(), err=True)


def _cmd_rescore(args: argparse.Namespace) -> int:
    return _run_all(args, "rescored")


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


def _cmd_validate(args: argparse.Namespace) -> int:
    """``plms validate REFERENCE TEST --out DIR``: all outputs or none."""
    import warnings

    from plms.errors import PlmsError
    from plms.validation import validate
    from plms.validation.text import validation_report

    if not 0 <= args.iou < 1 or args.tolerance < 0 or args.max_shift <= 0:
        print("error: --iou must be in [0, 1), --tolerance >= 0 and --max-shift > 0",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = validate(args.reference, args.test, shift_s=args.shift, rules=args.rules,
                              min_iou=args.iou, onset_tolerance_s=args.tolerance,
                              max_shift_s=args.max_shift)
        written = result.write(args.out)
    except PlmsError as exc:
        print(f"error: {exc}; nothing written", file=sys.stderr)
        return EXIT_SOME_FAILED
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        print(f"error: unexpected failure ({type(exc).__name__}: {exc}); nothing written; "
              "rerun with --debug for details", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return EXIT_SOME_FAILED
    for note in result.warnings:
        print(f"warning: {note}", file=sys.stderr)
    if not args.quiet:
        print(validation_report(result, written))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _build_parser().parse_args(argv)
    problem = out_dir_problem(args.out) if getattr(args, "out", None) else None
    if problem is not None:
        print(f"error: --out {args.out}: {problem}; nothing done", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "score":
        return _cmd_score(args)
    if args.command == "rescore":
        return _cmd_rescore(args)
    if args.command == "report":
        return _cmd_report(args)
    if args.command == "validate":
        return _cmd_validate(args)
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
