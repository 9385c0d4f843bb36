"""What a batch worker does with one night: score it, write its files, sum it up.

:func:`run_task` is the function the engines call; it never raises: every
problem with the night comes back as ``status="error"`` with the message the
command line would print. It calls the task's job (:func:`plms.api.score_night`
or :func:`plms.api.rescore_night`) with the task's options, so the files
written are the same whichever engine runs it, and the same as in Python.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plms.annotations import LEG_SIDES
from plms.io.names import EXTRA_SUFFIXES, LAYOUTS, days_files, night_files
from plms.io.results import (
    DAYS_KIND,
    SUMMARY_CSV_COLUMNS,
    SUMMARY_CSV_COUNT_COLUMNS,
    SUMMARY_CSV_FLOAT_COLUMNS,
    read_summary_json,
)
from plms.options import RescoreOptions, ScoreOptions

if TYPE_CHECKING:  # pragma: no cover
    from plms.api import WrittenNight
    from plms.result import DaysResult, ScoreResult

#: Options of a night of a batch.
NightOptions = ScoreOptions | RescoreOptions
#: What a worker runs on a night: ``job(source, out_dir, options)`` scores and writes it
#: (a module-level function, so that it pickles: :func:`plms.api.score_night`,
#: :func:`plms.api.rescore_night`).
NightJob = Callable[[Any, str, Any], "WrittenNight"]

#: Columns of ``summary.csv``, in order; names carry their units (:mod:`plms.io.results`).
SUMMARY_COLUMNS = SUMMARY_CSV_COLUMNS
#: Integer columns (kept as integers when other rows are errors).
COUNT_COLUMNS = SUMMARY_CSV_COUNT_COLUMNS
#: Figures with decimals (empty when not computable or the night failed).
FLOAT_COLUMNS = SUMMARY_CSV_FLOAT_COLUMNS
#: Decimals kept in ``summary.csv``, as ``plms score`` prints them (minutes and
#: indices to 0.1; the periodicity index, a fraction, to 0.01); summary.json keeps
#: full precision.
CSV_DECIMALS = {**dict.fromkeys(FLOAT_COLUMNS, 1), "periodicity_index": 2}
#: summary.json key of each figure column.
_FIGURES = {
    "tib_min": "tib_min", "tst_min": "tst_min", "n_lm": "n_lm", "n_clm": "n_clm",
    "n_plm": "n_plm", "n_plms": "n_plms", "n_plmw": "n_plmw",
    "plms_index_per_h": "plms_index", "plms_index_incl_resp_per_h": "plms_index_incl_resp",
    "plmw_index_per_h": "plmw_index", "lms_index_per_h": "lms_index",
    "plms_arousal_index_per_h": "plms_arousal_index", "periodicity_index": "periodicity_index",
    "lm_index_recording_per_h": "lm_index_recording",
    "plm_index_recording_per_h": "plm_index_recording",
    "annotations_source": "annotations_source", "rules": "rules",
    "modality": "modality", "sleep_source": "sleep_source",
    "plms_version": "plms_version",
}
#: Test-only fault injection (:attr:`NightTask.fault`).
FAULTS = ("abort", "exit", "segfault", "raise")


@dataclass(frozen=True)
class NightTask:
    """One night of a batch, as sent to a worker (picklable).

    Attributes
    ----------
    index : int
        Position in the batch (the row of ``summary.csv``).
    path : str
        The input file; for a night of one file per ankle, their paths joined
        by ``;`` (the ``input`` column of ``summary.csv``).
    out_dir : str
        Where its outputs go.
    out_root : str
        The batch's output folder (paths in ``summary.csv`` are relative to it).
    options : ScoreOptions or RescoreOptions
        How the night is scored and what is written.
    job : callable
        ``job(source, out_dir, options)``; default: :func:`plms.api.score_night`
        for :class:`ScoreOptions`, :func:`plms.api.rescore_night` for
        :class:`RescoreOptions`.
    threads : int or None
        Threads for the two legs (1 when nights run in parallel).
    fault : str or None
        TEST ONLY: make the worker fail on purpose before scoring
        (``abort``: ``os.abort()``, ``exit``: ``os._exit(3)``, ``segfault``: a
        real segmentation fault through ctypes, ``raise``: an exception that
        escapes). Never set it in real runs.
    inputs : tuple of str
        The files of a night of one file per ankle (left, right); empty for
        a night of one file (``path``).
    name : str or None
        The night's name (its outputs' stem) when it is not ``path``'s stem.
    layout : {"plms", "bids"}
        How its files are named (:func:`plms.io.names.night_files`): ``bids``
        for a recording of a BIDS dataset (:mod:`plms.batch.bids`).
    """

    index: int
    path: str
    out_dir: str
    options: NightOptions = field(compare=False)
    job: NightJob | None = field(default=None, compare=False)
    out_root: str = "."
    threads: int | None = None
    fault: str | None = None
    inputs: tuple[str, ...] = ()
    name: str | None = None
    layout: str = "plms"

    def __post_init__(self) -> None:
        if not isinstance(self.options, (ScoreOptions, RescoreOptions)):
            raise ValueError(f"options must be a ScoreOptions or a RescoreOptions, not "
                             f"{type(self.options).__name__}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {self.layout!r}")

    @property
    def command(self) -> str:
        """``score`` or ``rescore``, by the options."""
        return "rescore" if isinstance(self.options, RescoreOptions) else "score"

    @property
    def stem(self) -> str:
        """The night's name: the stem of its outputs."""
        return self.name if self.name is not None else Path(self.path).stem

    @property
    def source(self) -> Path | tuple[Path, ...]:
        """What the worker scores: the file, or the per-ankle files."""
        return tuple(Path(p) for p in self.inputs) if self.inputs else Path(self.path)


def is_days_task(task: NightTask) -> bool:
    """Whether the task's outputs are those of a multi-day recording (``STEM.nights.csv``...).

    ``days="on"`` or a diary: yes; ``days="off"``, rescoring, BIDS: no;
    ``days="auto"``: when ``STEM.nights.csv`` is already there (whether a new
    recording is multi-day is known once it is read).
    """
    opts = task.options
    if not isinstance(opts, ScoreOptions) or opts.days == "off" or task.layout != "plms":
        return False
    if opts.days == "on" or opts.diary is not None:
        return True
    return days_files(task.out_dir, task.stem).nights_csv.is_file()


def _days_outputs(task: NightTask) -> dict[str, Path]:
    """A multi-day recording's files: summary, nights table, the nights' files that
    ``STEM.summary.json`` lists (when it can be read) and the report."""
    files = days_files(task.out_dir, task.stem)
    paths = {"summary_json": files.summary_json, "nights_csv": files.nights_csv}
    if files.summary_json.is_file():
        try:
            listed: Any = read_summary_json(files.summary_json).get("night_files") or {}
        except (OSError, ValueError):
            listed = {}
        for night, names in sorted(dict(listed).items()):
            for kind, name in dict(names).items():
                paths[f"night{night}_{kind}"] = files.out_dir / str(name)
    if task.options.outputs.report:
        paths["report"] = files.report_html
    return paths


def expected_outputs(task: NightTask) -> dict[str, Path]:
    """The files a complete night has: events table, summary, requested extras and report.

    A multi-day recording (:func:`is_days_task`) is complete with its
    ``STEM.summary.json``, ``STEM.nights.csv``, every night file the summary
    lists, and ``STEM.report.html`` when a report is asked for.
    """
    if is_days_task(task):
        return _days_outputs(task)
    files = night_files(task.out_dir, task.stem, task.layout)
    paths = {"events_tsv": files.events_tsv, "summary_json": files.summary_json}
    paths.update({fmt: files.extra(fmt) for fmt in EXTRA_SUFFIXES      # in writing order
                  if fmt in task.options.outputs.write})
    if task.options.outputs.report:
        paths["report"] = files.report_html
    return paths


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def summary_row(task: NightTask, out_root: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``summary.csv`` row of a night whose files are written (read from them).

    Built from ``STEM.summary.json`` on disk (:func:`plms.io.results.read_summary_json`),
    so a night scored now and one found complete by a resumed run give the same row.
    A multi-day recording has one row too (``n_nights`` set): its TIB, TST, LM and
    PLMS summed over its scored nights, ``plms_index_per_h`` the index of all
    nights pooled, ``events_tsv`` empty and ``STEM.nights.csv`` first among the
    ``extra_outputs``; its nights are in ``STEM.nights.csv``.
    """
    root = Path(out_root)
    paths = expected_outputs(task)
    summary: dict[str, Any] = dict(read_summary_json(paths["summary_json"]))
    days = summary.get("kind") == DAYS_KIND
    if days:
        from plms.outputs.days import days_totals   # pandas-level: only for a multi-day recording

        summary.update(days_totals(summary), modality="accel")
    row: dict[str, Any] = {"input": task.path, "night": task.stem, "status": "ok", "error": ""}
    for column, key in _FIGURES.items():
        row[column] = summary.get(key)
    row["n_nights"] = summary.get("n_nights") if days else None
    duration = summary.get("recording_duration_s")
    row["recording_min"] = None if duration is None else duration / 60.0
    row["n_warnings"] = len(summary.get("warnings") or [])
    row["events_tsv"] = _relative(paths["events_tsv"], root) if "events_tsv" in paths else None
    row["summary_json"] = _relative(paths["summary_json"], root)
    extras = [p for k, p in paths.items() if k in ("nights_csv", "report")
              or (not days and k not in ("events_tsv", "summary_json"))]
    row["extra_outputs"] = ";".join(_relative(p, root) for p in extras)
    for column, decimals in CSV_DECIMALS.items():
        if row.get(column) is not None:
            row[column] = round(float(row[column]), decimals)
    return {c: row.get(c) for c in SUMMARY_COLUMNS}


def error_row(path: str, stem: str, message: str) -> dict[str, Any]:
    """The ``summary.csv`` row of a night that failed."""
    row = dict.fromkeys(SUMMARY_COLUMNS)
    row.update({"input": path, "night": stem, "status": "error", "error": message})
    return row


def _inject(fault: str) -> None:  # pragma: no cover - kills the process
    if fault == "abort":
        os.abort()
    if fault == "exit":
        os._exit(3)
    if fault == "segfault":
        import ctypes

        ctypes.string_at(0)
    if fault == "raise":
        raise SystemExit("injected fault")
    raise ValueError(f"unknown fault {fault!r}; allowed: {', '.join(FAULTS)}")


def run_task(task: NightTask) -> dict[str, Any]:
    """Process one night; return its row, the report to print and the timing.

    Returns a dict with ``index``, ``row`` (:data:`SUMMARY_COLUMNS`),
    ``report`` (the text ``plms score`` prints for it, or ``None``),
    ``traceback`` (for ``--debug``; ``None`` when ok), ``seconds`` and
    ``peak_rss_mb`` (the worker process's high-water mark so far).
    """
    from plms.errors import PlmsError
    from plms.result import ScoreResult

    if task.fault:
        _inject(task.fault)
    _restore_malloc_defaults()
    start = time.perf_counter()
    options = task.options
    if task.threads is not None and isinstance(options, ScoreOptions):
        options = replace(options, threads=task.threads)
    report, tb = None, None
    try:
        written = _job(task)(task.source, task.out_dir, options)
        shown = " and ".join(task.inputs) if task.inputs else task.path
        result = written.result
        report = (night_text(shown, result, list(written.paths)) if isinstance(result, ScoreResult)
                  else days_text(shown, result, list(written.paths)))
        row = summary_row(task, task.out_root)
    except PlmsError as exc:
        row, tb = error_row(task.path, task.stem, str(exc)), traceback.format_exc()
    except Exception as exc:  # noqa: BLE001 - one bad night must not stop the others
        message = (f"{task.path}: unexpected failure ({type(exc).__name__}: {exc}); rerun "
                   "with --debug for details")
        row, tb = error_row(task.path, task.stem, message), traceback.format_exc()
    return {"index": task.index, "row": row, "report": report, "traceback": tb,
            "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def _job(task: NightTask) -> NightJob:
    if task.job is not None:
        return task.job
    from plms.api import rescore_night, score_night

    return rescore_night if isinstance(task.options, RescoreOptions) else score_night


#: Columns of the night-by-night table ``plms score`` prints for a multi-day recording:
#: (nights column, heading, width, decimals; -1: clock time HH:MM).
DAYS_TEXT_COLUMNS: tuple[tuple[str, str, int, int], ...] = (
    ("night", "night", 5, 0), ("date", "evening", 10, 0), ("lights_off", "off", 5, -1),
    ("lights_on", "on", 5, -1), ("tst_min", "TST min", 7, 1), ("n_plms", "PLMS", 5, 0),
    ("plms_index", "PLMS/h", 6, 1), ("nonwear_min", "off-ankle min", 13, 1),
    ("status", "status", 0, 0),
)


def _days_cell(value: Any, width: int, decimals: int) -> str:
    """A cell of :data:`DAYS_TEXT_COLUMNS`: figures and clock times right-aligned."""
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        text = "n/a"
    elif decimals < 0:   # ISO date-time: its HH:MM
        text = str(value)[11:16] if len(str(value)) >= 16 else str(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        text = f"{float(value):.{decimals}f}" if decimals else str(int(value))
    else:
        return str(value).ljust(width)
    return text.rjust(width)


def days_text(name: str, result: DaysResult, written: list[Path]) -> str:
    """What ``plms score`` prints for a multi-day recording: the multi-night figures,
    a short night-by-night table, the outputs."""
    s = result.summary
    lines = [f"{name}  [multi-day: {len(result.nights)} night(s) found, "
             f"{len(result.results)} scored; rules {s.get('rules')}]"]
    for label, row in result.key_figures().iterrows():
        unit = f" {row['unit']}" if row["unit"] else ""
        lines.append(f"  {label:<40s}{row['value']:>8s}{unit}")
    lines.append("  " + "  ".join(head.rjust(width) if width else head
                                  for _, head, width, _ in DAYS_TEXT_COLUMNS))
    for night in result.nights.to_dict("records"):
        lines.append("  " + "  ".join(_days_cell(night.get(key), width, decimals)
                                      for key, _, width, decimals in DAYS_TEXT_COLUMNS))
    lines.append("  sleep time: estimated in each night's window (TST and every per-hour "
                 "index are estimates)")
    shown = [p for p in written if not p.name.startswith("night")]
    lines.append(f"  outputs: {', '.join(str(p) for p in shown)} (and each night's files in "
                 f"{days_files(written[0].parent if written else '.', result.stem).night_dir})")
    lines += [f"  warning: {w}" for w in s.get("warnings") or []]
    return "\n".join(lines)


def night_text(name: str, result: ScoreResult, written: list[Path]) -> str:
    """What ``plms score`` prints for a night: key figures, channels, sleep, outputs."""
    s = result.summary
    lines = [f"{name}  [rules {s['rules']}, plms {s.get('plms_version')}]"]
    for label, row in result.key_figures().iterrows():
        unit = f" {row['unit']}" if row["unit"] else ""
        lines.append(f"  {label:<32s}{row['value']:>8s}{unit}")
    threshold = s["rules_detail"]["plms_index_threshold_per_h"]
    index = s["plms_index"]
    if index is not None:
        verdict = "at or above" if index >= threshold else "below"
        lines.append(f"  PLMS index is {verdict} the clinical threshold of {threshold:g}/h")
    ch = s.get("channels")
    if ch and s.get("modality") == "accel":
        ankles = ", ".join(f"{side} '{ch[side]}'" for side in ("left", "right") if ch.get(side))
        lines.append(f"  accelerometers: {ankles}")
    elif ch:
        legs = ", ".join(f"{side} '{ch[side]}'" for side in LEG_SIDES if ch.get(side))
        lines.append(f"  channels: {legs}, ECG "
                     f"{repr(ch['ecg']) if ch['ecg'] else 'none'} ({ch['reason']})")
    else:
        lines.append("  leg movements: as scored in the file")
    if s.get("sleep_source") not in (None, "hypnogram"):
        lines.append(f"  sleep time: {s.get('sleep_source')} (TST and every per-hour index "
                     "are estimates)")
    lines += [
        f"  annotations: {s.get('annotations_source')}",
        f"  outputs: {', '.join(str(p) for p in written)}",
    ]
    lines += [f"  warning: {w}" for w in s["warnings"]]
    return "\n".join(lines)


_MALLOC_TUNED = False


def _restore_malloc_defaults() -> None:
    """Undo ``MALLOC_TRIM_THRESHOLD_`` (Dask's nannies set it) in this worker.

    That variable switches off glibc's adaptive thresholds, so that every
    large temporary array is a fresh ``mmap`` whose pages fault in anew: a
    night then takes 1.7x as long. Setting the thresholds to the values the
    adaptive ones reach (32 MB for mmap, 64 MB for trimming) restores the speed,
    with the same peak memory. Only on glibc, only once per process.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _MALLOC_TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)
        libc.mallopt(m_trim_threshold, 64 * 1024 * 1024)
    except (OSError, AttributeError):  # not glibc: nothing to undo
        pass


def peak_rss_mb() -> float | None:
    """High-water mark of this process's resident memory, MB (None where unknown)."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):  # pragma: no cover - Windows
        return None
    import sys

    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0
