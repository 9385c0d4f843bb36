"""Batch runs: a folder of nights on one machine, thousands on a cluster.

::

    from plms.batch import run_batch
    table = run_batch("cohort/", "out/", jobs=4)   # also OUT/summary.csv

:func:`run_batch` finds the recordings (folders recursively, glob patterns),
scores them in worker processes (:class:`ProcessEngine`) or on a Dask
cluster (:class:`DaskEngine`), skips the nights already complete, and keeps
``OUT/summary.csv`` (:data:`SUMMARY_COLUMNS`) up to date; it returns that
table. ``plms score`` / ``plms rescore`` are the same code. A BIDS dataset
(its root folder, holding ``dataset_description.json``) is scored into a BIDS
derivative (:mod:`plms.batch.bids`, :func:`score_bids_night`).
"""

from plms.batch.bids import bids_root, score_bids_night
from plms.batch.discover import Found, find_inputs
from plms.batch.engines import (
    DaskEngine,
    Engine,
    InlineEngine,
    ProcessEngine,
    default_jobs,
    make_engine,
)
from plms.batch.runner import SUMMARY_CSV, BatchOutcome, read_summary, run_batch
from plms.batch.worker import SUMMARY_COLUMNS, NightTask, run_task

__all__ = [
    "SUMMARY_COLUMNS", "SUMMARY_CSV", "BatchOutcome", "DaskEngine", "Engine", "Found",
    "InlineEngine", "NightTask", "ProcessEngine", "default_jobs", "find_inputs",
    "bids_root", "make_engine", "read_summary", "run_batch", "run_task", "score_bids_night",
]
