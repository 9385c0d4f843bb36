"""Running a batch: plan the nights, skip the finished ones, run the rest, keep a table.

:func:`run_batch` is the Python entry point; it and ``plms score`` /
``plms rescore`` call :func:`plan` (options in, tasks out) and :func:`execute`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from plms.batch.discover import find_inputs
from plms.batch.engines import Engine, make_engine
from plms.batch.progress import Progress, _eta  # noqa: F401  (_eta kept importable here)
from plms.batch.worker import (
    COUNT_COLUMNS,
    FLOAT_COLUMNS,
    SUMMARY_COLUMNS,
    NightJob,
    NightOptions,
    NightTask,
    error_row,
    expected_outputs,
    run_task,
    summary_row,
)
from plms.io.names import BATCH_SUMMARY_CSV
from plms.io.results import read_summary_csv
from plms.options import RescoreOptions, ScoreOptions, rescore_options, score_options

#: The run's table, in the output folder.
SUMMARY_CSV = BATCH_SUMMARY_CSV
#: ``summary.csv`` is rewritten at most this often while the run goes on, s.
SUMMARY_INTERVAL_S = 2.0


@dataclass
class BatchOutcome:
    """What a batch did.

    Attributes
    ----------
    table : DataFrame
        One row per night processed or found complete (:data:`SUMMARY_COLUMNS`).
    failed, skipped, ran : int
        Nights that failed, that were already complete, that were processed now.
    interrupted : bool
        The run stopped before the end (Ctrl-C, ``stop_after``).
    seconds : float
    peak_rss_mb : float or None
        The largest resident-memory high-water mark reported by a worker.
    night_seconds : list of float
        Time each night processed took in its worker.
    """

    table: pd.DataFrame
    failed: int = 0
    skipped: int = 0
    ran: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    summary_path: Path | None = None
    engine: str = ""
    workers: int = 0
    night_seconds: list[float] = field(default_factory=list)


@dataclass
class Hooks:
    """What to show while the batch runs (the command line prints; the API is silent)."""

    error: Callable[[str, str | None], None] = lambda message, tb: None
    report: Callable[[str], None] = lambda text: None
    skipped: Callable[[NightTask], None] = lambda task: None
    progress: Any = None


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes whichever rows the table holds (and after a CSV round trip)."""
    for column in COUNT_COLUMNS:
        df[column] = pd.to_numeric(df[column]).astype("Int64")
    for column in FLOAT_COLUMNS:
        df[column] = pd.to_numeric(df[column]).astype(float)
    for column in ("error", "extra_outputs"):
        df[column] = df[column].fillna("").astype(str)
    text = [c for c in SUMMARY_COLUMNS
            if c not in COUNT_COLUMNS + FLOAT_COLUMNS + ("error", "extra_outputs")]
    df[text] = df[text].astype(object).where(df[text].notna(), None)
    return df


def _table(rows: Mapping[int, dict[str, Any]]) -> pd.DataFrame:
    return _typed(pd.DataFrame([rows[i] for i in sorted(rows)], columns=list(SUMMARY_COLUMNS)))


def write_summary(table: pd.DataFrame, path: Path) -> Path:
    """Write the table atomically (temporary name, then rename)."""
    from plms.outputs import atomic_write_text

    return atomic_write_text(path, table.to_csv(index=False, lineterminator="\n"))


def read_summary(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a ``summary.csv`` back with the dtypes it was written with
    (:func:`plms.io.results.read_summary_csv`)."""
    return read_summary_csv(path)


def _previous_rows(path: Path) -> dict[str, dict[str, Any]]:
    """The rows of the last run's table by input (read through :mod:`plms.io.results`)."""
    from plms.errors import PlmsInputError

    if not path.exists():
        return {}
    try:
        df = read_summary_csv(path, complete=False)
    except PlmsInputError:   # an unreadable table only means nothing is skipped
        return {}
    if "input" not in df.columns or "status" not in df.columns:
        return {}
    return {row["input"]: row for row in df.to_dict("records")}


def _complete(task: NightTask, previous: Mapping[str, dict[str, Any]]) -> bool:
    """The night's files exist and the last table says it went well with the same rules."""
    row = previous.get(task.path)
    if not row or row.get("status") != "ok":
        return False
    from plms.rules import get_rules

    if row.get("rules") != get_rules(task.options.rules).name:
        return False
    return all(p.is_file() for p in expected_outputs(task).values())


def clean_partial(tasks: Sequence[NightTask]) -> None:
    """Remove the temporary files a killed worker may have left for these nights.

    They are hidden names beside the outputs, ``.STEM....tmp`` (files or the
    staging folder of ``--write``), and those of a multi-day recording's nights
    in ``OUT/STEM/`` (``.nightNN....tmp``); finished outputs are never touched.
    """
    import shutil

    by_dir: dict[str, set[str]] = {}
    for task in tasks:
        by_dir.setdefault(task.out_dir, set()).add(f".{task.stem}.")
        nights = os.path.join(task.out_dir, task.stem)
        if os.path.isdir(nights):
            by_dir.setdefault(nights, set()).add(".night")
    for folder, prefixes in by_dir.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if not (name.startswith(".") and name.endswith(".tmp")):
                continue
            if not name.startswith(tuple(prefixes)):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.remove(entry.path)


def plan(inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str], out: Path,
         options: NightOptions, *, job: NightJob | None = None, pair_sides: bool = True,
         faults: Mapping[str, str] | None = None
         ) -> tuple[list[NightTask], dict[int, dict[str, Any]]]:
    """The tasks of a batch, and the rows of the inputs refused before any work.

    ``options`` say how every night is scored (:class:`ScoreOptions`, or
    :class:`RescoreOptions` to rescore annotation files); ``job`` what a
    worker runs on each (default :func:`plms.api.score_night` /
    :func:`plms.api.rescore_night`). ``pair_sides``: per-ankle files of one
    night are scored together (:func:`plms.batch.find_inputs`).
    """
    from plms.batch.worker import FAULTS

    tasks: list[NightTask] = []
    refused: dict[int, dict[str, Any]] = {}
    owners: dict[tuple[str, str], str] = {}
    command = "rescore" if isinstance(options, RescoreOptions) else "score"
    modality = options.modality if isinstance(options, ScoreOptions) else "auto"
    for index, found in enumerate(find_inputs(inputs, command, modality=modality,
                                              pair_sides=pair_sides)):
        path = ";".join(str(p) for p in found.paths) or str(found.path)
        if found.error is not None:
            refused[index] = error_row(path, found.name, found.error)
            continue
        out_dir = out / found.subdir
        key = (str(out_dir), found.name)
        first = owners.setdefault(key, path)
        if first != path:
            refused[index] = error_row(path, found.name, (
                f"{path}: has the same name stem as {first}, so its outputs would overwrite "
                f"those of {first}: not processed (rename it or run it with another --out)"))
            continue
        fault = (faults or {}).get(found.name)
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; allowed: {', '.join(FAULTS)}")
        tasks.append(NightTask(index=index, path=path, out_dir=str(out_dir),
                               options=options, job=job, out_root=str(out),
                               fault=fault, inputs=tuple(str(p) for p in found.paths),
                               name=found.name if found.paths else None))
    return tasks, refused


def _still_to_do(tasks: Sequence[NightTask], previous: Mapping[str, Any], out: Path,
                 rows: dict[int, dict[str, Any]], hooks: Hooks
                 ) -> tuple[list[NightTask], int]:
    """The tasks to run, and how many were skipped as complete (their rows put in ``rows``)."""
    todo: list[NightTask] = []
    skipped = 0
    for task in tasks:
        if _complete(task, previous):
            try:
                rows[task.index] = summary_row(task, out)
            except (OSError, ValueError):
                todo.append(task)
                continue
            skipped += 1
            hooks.skipped(task)
        else:
            todo.append(task)
    return todo, skipped


def _record(task: NightTask, value: Any, crash: str | None, rows: dict[int, dict[str, Any]],
            outcome: BatchOutcome, hooks: Hooks) -> int:
    """Put one finished task's row in ``rows`` and its figures in ``outcome``; tell the hooks.

    Returns 1 when the night failed, else 0.
    """
    if crash is not None:
        message = (f"{task.path}: {crash}; nothing was written for it (a corrupt file "
                   "can crash a reading library: check it, or rerun it alone with "
                   "--debug)")
        rows[task.index] = error_row(task.path, task.stem, message)
        clean_partial([task])
        hooks.error(message, None)
        return 1
    rows[task.index] = value["row"]
    outcome.night_seconds.append(value["seconds"])
    if value.get("peak_rss_mb") is not None:
        outcome.peak_rss_mb = max(outcome.peak_rss_mb or 0.0, value["peak_rss_mb"])
    if value["row"]["status"] == "ok":
        if value["report"]:
            hooks.report(value["report"])
        return 0
    hooks.error(value["row"]["error"], value["traceback"])
    return 1


def execute(
    tasks: Sequence[NightTask],
    refused: Mapping[int, dict[str, Any]],
    out: Path,
    *,
    jobs: int | None = None,
    scheduler: Any = None,
    engine: Engine | None = None,
    force: bool = False,
    stop_after: int | None = None,
    hooks: Hooks | None = None,
) -> BatchOutcome:
    """Run the tasks not yet complete; keep ``OUT/summary.csv`` up to date."""
    from dataclasses import replace

    hooks = hooks or Hooks()
    start = time.perf_counter()
    csv_path = out / SUMMARY_CSV
    rows: dict[int, dict[str, Any]] = dict(refused)
    for row in refused.values():
        hooks.error(row["error"], None)
    if not tasks:   # nothing to score: the output folder is neither created nor touched
        return BatchOutcome(table=_table(rows), failed=len(refused),
                            seconds=time.perf_counter() - start)
    previous = {} if force else _previous_rows(csv_path)
    todo, skipped = _still_to_do(tasks, previous, out, rows, hooks)
    if engine is None:
        engine = make_engine(jobs, scheduler, n_tasks=len(todo))
    if engine.name != "inline":
        todo = [replace(t, threads=1) for t in todo]
    clean_partial(todo)
    out.mkdir(parents=True, exist_ok=True)

    outcome = BatchOutcome(table=_table(rows), skipped=skipped, summary_path=csv_path,
                           engine=engine.name)
    failed = len(refused)
    last_write = 0.0
    finished: set[int] = set()
    progress = hooks.progress
    if progress is not None:
        progress.start(len(todo), engine)
    runs = engine.run(run_task, todo)
    try:
        for position, value, crash in runs:
            task = todo[position]
            finished.add(position)
            failed += _record(task, value, crash, rows, outcome, hooks)
            outcome.ran += 1
            if progress is not None:
                row = rows[task.index]
                progress.update(task, row["status"], failed - len(refused),
                                reason=row.get("error") or "")
            now = time.perf_counter()
            if now - last_write >= SUMMARY_INTERVAL_S:
                write_summary(_table(rows), csv_path)
                last_write = now
            if stop_after is not None and outcome.ran >= stop_after:
                outcome.interrupted = len(finished) < len(todo)
                break
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        runs.close()  # stops the workers still busy
        if progress is not None:
            progress.close()
        unfinished = [t for i, t in enumerate(todo) if i not in finished]
        clean_partial(unfinished)
        outcome.table = _table(rows)
        write_summary(outcome.table, csv_path)
    outcome.failed = failed
    outcome.seconds = time.perf_counter() - start
    outcome.workers = engine.workers
    return outcome


def run_batch(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    command: str = "score",
    options: NightOptions | None = None,
    jobs: int | None = None,
    scheduler: Any = None,
    force: bool = False,
    progress: bool = False,
    stop_after: int | None = None,
    pair_sides: bool = True,
    bids: bool | None = None,
    _faults: Mapping[str, str] | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Score (or rescore) many nights, as ``plms score DIR --out OUT`` does.

    Parameters
    ----------
    inputs : path, glob pattern or list of them
        Folders are searched recursively (EDF/BDF for ``score``; XML, TXT,
        TSV, CSV for ``rescore``); a night's outputs go to the same subfolder
        of ``out`` as the night's below the folder searched.
    out : path
        Output folder; ``OUT/summary.csv`` is the table returned.
    command : {"score", "rescore"}
    options : ScoreOptions or RescoreOptions, optional
        How every night is scored (default: those of ``plms COMMAND``).
    jobs : int, optional
        Worker processes (default: the cores); 1 runs in this process.
    scheduler : str or distributed.Client, optional
        Run on this Dask cluster instead (needs ``plms[dask]``).
    force : bool
        Redo nights whose outputs are already complete (by default skipped).
    progress : bool
        Show a progress bar (on stderr).
    stop_after : int, optional
        Stop (killing the nights in progress) after this many nights, as if
        the run had been killed; for trying out resuming.
    pair_sides : bool
        Score per-ankle files of one night (``n1-left.csv`` and
        ``n1-right.csv``) together as one two-ankle night ``n1``.
    _faults : mapping, optional
        TEST ONLY: ``{stem: fault}`` makes the worker of that night fail on
        purpose (:data:`plms.batch.worker.FAULTS`).
    **overrides
        Fields of ``options`` by the names of ``plms score`` / ``plms rescore``
        (:func:`plms.options.score_options`): ``rules``, ``left``, ``right``,
        ``ecg``, ``unit``, ``annotations``, ``write``, ``report``, ``fmt``...

    Raises
    ------
    PlmsError
        A BIDS dataset without mne-bids installed (``pip install 'plms[bids]'``).
    PlmsInputError
        ``out`` is a file, lies under one, or may not be written in.
    ValueError
        An unknown ``command`` or ``unit``; ``annotations`` with several nights;
        a BIDS dataset among other inputs, or to rescore.
    TypeError
        An unknown option.

    Notes
    -----
    The worker processes re-import the main module: in a script, call this
    under ``if __name__ == "__main__":`` (notebooks need nothing).

    Returns
    -------
    DataFrame
        One row per night (:data:`plms.batch.SUMMARY_COLUMNS`): ``status``
        ``ok`` or ``error``, ``error`` the message, the key figures and the
        paths of the outputs (relative to ``out``).
    """
    if command not in ("score", "rescore"):
        raise ValueError(f"command must be 'score' or 'rescore', not {command!r}")
    from plms.checks import annotations_problem, out_dir_problem
    from plms.errors import PlmsInputError

    out_path = Path(out)
    chosen: NightOptions
    if command == "score":
        chosen = score_options(options, **overrides)   # type: ignore[arg-type]
    else:
        chosen = rescore_options(options, **overrides)   # type: ignore[arg-type]
    problem = out_dir_problem(out_path)
    if problem is not None:
        raise PlmsInputError(f"not usable as the output folder: {problem}", path=out_path)
    from plms.batch.bids import bids_root, plan_bids, write_description

    if bids and command != "score":
        raise ValueError("a BIDS dataset is scored (command 'score'), not rescored")
    root = bids_root(inputs, bids) if isinstance(chosen, ScoreOptions) else None
    if root is not None and isinstance(chosen, ScoreOptions):
        tasks, refused = plan_bids(root, out_path, chosen, faults=_faults)
    else:
        tasks, refused = plan(inputs, out_path, chosen, pair_sides=pair_sides, faults=_faults)
    for option in ("annotations", "diary"):
        problem = annotations_problem(getattr(chosen, option, None),
                                      len(tasks) + len(refused), option=option)
        if problem is not None:
            raise ValueError(problem)
    hooks = Hooks(progress=Progress(quiet=False, lines=False) if progress else None)
    if root is not None and tasks:
        write_description(root, out_path)
    return execute(tasks, refused, out_path, jobs=jobs, scheduler=scheduler, force=force,
                   stop_after=stop_after, hooks=hooks).table


@contextlib.contextmanager
def sigterm_as_interrupt() -> Generator[None, None, None]:
    """SIGTERM (a batch system's time limit, ``kill``) stops the run as Ctrl-C does:
    workers stopped, their partial files removed, ``summary.csv`` written."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "SIGTERM"):
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
