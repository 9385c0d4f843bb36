"""What a batch worker does with one night: score it, write its files, sum it up.

:func:`run_task` is the function the engines call; it never raises: every
problem with the night comes back as ``status="error"`` with the message the
command line would print. It runs the same code as ``plms score`` /
``plms rescore`` on one file (:func:`plms.cli._score_one`), so the files
written are the same whichever engine runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Columns of ``summary.csv``, in order; names carry their units.
SUMMARY_COLUMNS = (
    "input", "night", "status", "error", "rules", "recording_min", "tib_min", "tst_min",
    "n_lm", "n_clm", "n_plm", "n_plms", "n_plmw", "plms_index_per_h",
    "plms_index_incl_resp_per_h", "plmw_index_per_h", "lms_index_per_h",
    "plms_arousal_index_per_h", "lm_index_recording_per_h", "plm_index_recording_per_h",
    "periodicity_index", "n_warnings", "annotations_source",
    "modality", "sleep_source", "events_tsv", "summary_json", "extra_outputs", "plms_version",
)
#: Integer columns (kept as integers when other rows are errors).
COUNT_COLUMNS = ("n_lm", "n_clm", "n_plm", "n_plms", "n_plmw", "n_warnings")
#: Figures with decimals (empty when not computable or the night failed).
FLOAT_COLUMNS = ("recording_min", "tib_min", "tst_min", "plms_index_per_h",
                 "plms_index_incl_resp_per_h", "plmw_index_per_h", "lms_index_per_h",
                 "plms_arousal_index_per_h", "lm_index_recording_per_h",
                 "plm_index_recording_per_h", "periodicity_index")
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
    command : {"score", "rescore"}
    path : str
        The input file; for a night of one file per ankle, their paths joined
        by ``;`` (the ``input`` column of ``summary.csv``).
    out_dir : str
        Where its outputs go.
    out_root : str
        The batch's output folder (paths in ``summary.csv`` are relative to it).
    args : argparse.Namespace
        The options of ``plms score`` / ``plms rescore``.
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
    """

    index: int
    command: str
    path: str
    out_dir: str
    args: argparse.Namespace = field(compare=False)
    out_root: str = "."
    threads: int | None = None
    fault: str | None = None
    inputs: tuple[str, ...] = ()
    name: str | None = None

    @property
    def stem(self) -> str:
        """The night's name: the stem of its outputs."""
        return self.name if self.name is not None else Path(self.path).stem

    @property
    def source(self) -> Path | tuple[Path, ...]:
        """What the worker scores: the file, or the per-ankle files."""
        return tuple(Path(p) for p in self.inputs) if self.inputs else Path(self.path)


def expected_outputs(task: NightTask) -> dict[str, Path]:
    """The files a complete night has: events table, summary, requested extras and report."""
    out = Path(task.out_dir)
    paths = {"events_tsv": out / f"{task.stem}.events.tsv",
             "summary_json": out / f"{task.stem}.summary.json"}
    formats = tuple(getattr(task.args, "write", ()) or ())
    if formats:
        from plms.outputs import extra_output_paths

        paths.update({f: p for f, p in extra_output_paths(task.stem, out, formats).items()})
    if getattr(task.args, "report", False):
        paths["report"] = out / f"{task.stem}.report.html"
    return paths


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def summary_row(task: NightTask, out_root: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``summary.csv`` row of a night whose files are written (read from them).

    Built from ``STEM.summary.json`` on disk, so a night scored now and one
    found complete by a resumed run give the same row.
    """
    root = Path(out_root)
    paths = expected_outputs(task)
    summary = json.loads(paths["summary_json"].read_text(encoding="utf-8"))
    row: dict[str, Any] = {"input": task.path, "night": task.stem, "status": "ok", "error": ""}
    for column, key in _FIGURES.items():
        row[column] = summary.get(key)
    duration = summary.get("recording_duration_s")
    row["recording_min"] = None if duration is None else duration / 60.0
    row["n_warnings"] = len(summary.get("warnings") or [])
    row["events_tsv"] = _relative(paths["events_tsv"], root)
    row["summary_json"] = _relative(paths["summary_json"], root)
    extras = [p for k, p in paths.items() if k not in ("events_tsv", "summary_json")]
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
    from plms import cli, pipeline
    from plms.errors import PlmsError

    if task.fault:
        _inject(task.fault)
    _restore_malloc_defaults()
    if task.threads is not None:
        pipeline.LEG_THREADS = task.threads
    start = time.perf_counter()
    one = {"score": cli._score_one, "rescore": cli._rescore_one}[task.command]
    args = argparse.Namespace(**vars(task.args))
    args.out = task.out_dir
    report, tb = None, None
    try:
        report = one(task.source, args)
        row = summary_row(task, task.out_root)
    except PlmsError as exc:
        row, tb = error_row(task.path, task.stem, str(exc)), traceback.format_exc()
    except Exception as exc:  # noqa: BLE001 - one bad night must not stop the others
        message = (f"{task.path}: unexpected failure ({type(exc).__name__}: {exc}); rerun "
                   "with --debug for details")
        row, tb = error_row(task.path, task.stem, message), traceback.format_exc()
    return {"index": task.index, "row": row, "report": report, "traceback": tb,
            "seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


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
