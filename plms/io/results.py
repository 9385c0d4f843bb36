"""Reading back what plms wrote: ``STEM.events.tsv``, ``STEM.summary.json``, ``summary.csv``.

Everything that reads back what plms wrote (``plms report``, ``plms
validate`` on plms's own events table, the cohort index, a resumed batch
run) goes through these functions, so a file is understood the same way
everywhere and a damaged one gives one clear
:class:`~plms.errors.PlmsInputError` naming it:

- :func:`read_events_tsv`: the events table with the dtypes of
  ``ScoreResult.events`` (floats, booleans, nullable integers, text);
- :func:`read_summary_json`: the night's summary (:class:`plms.summary.Summary`,
  JSON ``null`` is None), refused unless it names its rules and plms version;
- :func:`read_summary_csv`: a batch run's table with the dtypes it was built
  with (:data:`SUMMARY_CSV_COLUMNS`).

The file names themselves are in :mod:`plms.io.names`.

Examples
--------
>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "n1.events.tsv")
>>> with open(path, "w") as fh:
...     _ = fh.write("onset\\tduration\\tside\\tplm\\timi\\n12.5\\t1.5\\tleft\\t1\\tn/a\\n")
>>> ev = read_events_tsv(path)
>>> float(ev.loc[0, "onset"]), bool(ev.loc[0, "plm"]), bool(ev["imi"].isna().all())
(12.5, True, True)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Final, cast

import numpy as np
import pandas as pd

from plms.errors import PlmsInputError
from plms.summary import Summary

__all__ = [
    "DAYS_KIND", "NIGHTS_CSV_COLUMNS",
    "REQUIRED_SUMMARY_KEYS", "SUMMARY_CSV_COLUMNS", "SUMMARY_CSV_COUNT_COLUMNS",
    "SUMMARY_CSV_FLOAT_COLUMNS", "SUMMARY_CSV_TEXT_FILLED", "read_events_tsv",
    "read_summary_csv", "read_summary_json",
]

# ---------------------------------------------------------------- events.tsv
#: Written as 1/0, read back as booleans (a missing value is False).
EVENTS_BOOL_COLUMNS: Final = ("clm", "resp", "arousal", "plm", "lm", "plm_incl_resp")
#: Read back as floats (``n/a`` is NaN).
EVENTS_FLOAT_COLUMNS: Final = ("onset", "duration", "imi", "peak_uv")
#: Read back as nullable integers.
EVENTS_INT_COLUMNS: Final = ("series", "n_parts")
#: Columns every plms events table has, and which must hold numbers.
EVENTS_REQUIRED: Final = ("onset", "duration")
#: Missing value in a BIDS table.
NA: Final = "n/a"

# ---------------------------------------------------------------- summary.json
#: Keys every ``STEM.summary.json`` plms writes holds.
REQUIRED_SUMMARY_KEYS: Final = ("plms_version", "rules")
#: ``summary["kind"]`` of a multi-day recording's ``STEM.summary.json`` (a night's has none).
DAYS_KIND: Final = "days"
#: Columns of a multi-day recording's ``STEM.nights.csv`` (and of
#: ``plms.result.DaysResult.nights``), in order; ``start_s``/``end_s`` locate the
#: night's window among the event onsets, ``window_source`` says diary or detected.
NIGHTS_CSV_COLUMNS: Final[tuple[str, ...]] = (
    "night", "date", "lights_off", "lights_on", "sleep_onset", "sleep_offset",
    "tib_min", "tst_min", "waso_min", "sol_min", "sleep_efficiency",
    "n_lm", "n_plms", "plms_index", "plmw_index", "nonwear_min", "status", "warnings",
    "start_s", "end_s", "window_source",
)

# ---------------------------------------------------------------- summary.csv
#: Columns of a batch run's ``summary.csv``, in order; names carry their units.
SUMMARY_CSV_COLUMNS: Final = (
    "input", "night", "status", "error", "rules", "recording_min", "tib_min", "tst_min",
    "n_lm", "n_clm", "n_plm", "n_plms", "n_plmw", "plms_index_per_h",
    "plms_index_incl_resp_per_h", "plmw_index_per_h", "lms_index_per_h",
    "plms_arousal_index_per_h", "lm_index_recording_per_h", "plm_index_recording_per_h",
    "periodicity_index", "n_warnings", "annotations_source",
    "modality", "sleep_source", "events_tsv", "summary_json", "extra_outputs", "plms_version",
    "n_nights",
)
#: Columns a table written before them may lack (read as empty even with ``complete``):
#: ``n_nights``, the nights scored of a multi-day recording (empty for one night).
SUMMARY_CSV_LATER_COLUMNS: Final = ("n_nights",)
#: Integer columns (nullable: empty when the night failed).
SUMMARY_CSV_COUNT_COLUMNS: Final = ("n_lm", "n_clm", "n_plm", "n_plms", "n_plmw", "n_warnings",
                                    "n_nights")
#: Figures with decimals (NaN when not computable or the night failed).
SUMMARY_CSV_FLOAT_COLUMNS: Final = (
    "recording_min", "tib_min", "tst_min", "plms_index_per_h", "plms_index_incl_resp_per_h",
    "plmw_index_per_h", "lms_index_per_h", "plms_arousal_index_per_h",
    "lm_index_recording_per_h", "plm_index_recording_per_h", "periodicity_index",
)
#: Text columns where an empty cell is ``""`` (other text columns give None).
SUMMARY_CSV_TEXT_FILLED: Final = ("error", "extra_outputs")


def _read_table(path: Path, *, sep: str, what: str) -> pd.DataFrame:
    """Every cell as text (``""`` for an empty one); a PlmsInputError naming the file."""
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise PlmsInputError("the file does not exist", path=path) from None
    except pd.errors.EmptyDataError:
        raise PlmsInputError(f"the file is empty: not {what}", path=path) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        problem = " ".join(str(exc).split())[:200]
        raise PlmsInputError(f"cannot be read as {what} ({problem})", path=path) from None


def _numbers(values: pd.Series, column: str, path: Path, what: str) -> pd.Series:
    """The column as floats (empty cells NaN); a PlmsInputError naming a bad cell."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise PlmsInputError(f"{what}: the {column!r} column holds {values.iloc[row]!r} "
                             f"(data row {row + 1}), not a number", path=path)
    return numbers.astype(float)


def read_events_tsv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read back ``STEM.events.tsv`` with the types of ``ScoreResult.events``.

    Parameters
    ----------
    path : path-like
        An events table written by plms (tab separated, ``n/a`` for missing,
        booleans as 1/0).

    Returns
    -------
    DataFrame
        Every column of the file: ``onset``, ``duration``, ``imi`` and
        ``peak_uv`` as floats (NaN for ``n/a``); ``lm``, ``clm``, ``plm``,
        ``plm_incl_resp``, ``resp`` and ``arousal`` as booleans; ``series``
        and ``n_parts`` as nullable integers; ``stage`` as written; other
        columns as text (``""`` for ``n/a``). Columns an older or a one-leg
        table lacks are added: the flags (``lm`` True, ``plm_incl_resp`` as
        ``plm``, the others False), ``imi`` NaN, ``side`` ``bilateral``,
        ``stage`` ``n/a``, ``series`` missing.

    Raises
    ------
    PlmsInputError
        The file is missing, empty or not a table, has no ``onset`` or
        ``duration`` column, or holds something other than a number in them;
        the message names the file.
    """
    path = Path(path)
    what = "a plms events table"
    raw = _read_table(path, sep="\t", what=what)
    missing = [c for c in EVENTS_REQUIRED if c not in raw.columns]
    if missing:
        raise PlmsInputError(f"no {' or '.join(repr(c) for c in missing)} column: not {what}",
                             path=path)
    ev = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        values = raw[col].replace(NA, None)
        if col in EVENTS_REQUIRED:
            ev[col] = _numbers(values.replace("", None), col, path, what)
        elif col in EVENTS_FLOAT_COLUMNS:
            ev[col] = pd.to_numeric(values, errors="coerce").astype(float)
        elif col in EVENTS_BOOL_COLUMNS:
            ev[col] = pd.to_numeric(values, errors="coerce").fillna(0).astype(int).astype(bool)
        elif col in EVENTS_INT_COLUMNS:
            ev[col] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif col == "stage":
            ev[col] = raw[col].astype(str)
        else:
            ev[col] = values.fillna("").astype(str)
    return _with_default_columns(ev)


def _with_default_columns(ev: pd.DataFrame) -> pd.DataFrame:
    """Add the columns an older or a one-leg events table does not have."""
    for col in EVENTS_BOOL_COLUMNS:
        if col not in ev:
            ev[col] = ev["plm"] if col == "plm_incl_resp" and "plm" in ev else (col == "lm")
    if "imi" not in ev:
        ev["imi"] = np.nan
    if "side" not in ev:
        ev["side"] = "bilateral"
    if "stage" not in ev:
        ev["stage"] = NA
    if "series" not in ev:
        ev["series"] = pd.array([pd.NA] * len(ev), dtype="Int64")
    return ev


def read_summary_json(path: str | os.PathLike[str]) -> Summary:
    """Read back ``STEM.summary.json``: the night's figures as plms wrote them.

    Parameters
    ----------
    path : path-like
        A summary written by plms (``plms score``, ``plms rescore``,
        :meth:`plms.result.ScoreResult.write`).

    Returns
    -------
    Summary
        The JSON object as it is, typed as :class:`plms.summary.Summary`
        (``null`` is None; figures that could not be computed stay None). It
        holds every key of :data:`REQUIRED_SUMMARY_KEYS`; other keys are not
        checked (a summary written by an older plms may lack some).

    Raises
    ------
    PlmsInputError
        The file is missing or unreadable, is not JSON, is not a JSON object,
        or lacks a key of :data:`REQUIRED_SUMMARY_KEYS`; the message names
        the file and starts with what is wrong (``cannot be read``, ``is not
        JSON``, ``is not a plms summary``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlmsInputError("cannot be read (the file does not exist)", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or " ".join(str(exc).split())[:200]
        raise PlmsInputError(f"cannot be read ({problem})", path=path) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise PlmsInputError(f"is not JSON ({exc})", path=path) from None
    if not isinstance(data, dict):
        raise PlmsInputError(f"is not a plms summary (a JSON {type(data).__name__}, not an "
                             "object)", path=path)
    missing = [k for k in REQUIRED_SUMMARY_KEYS if k not in data]
    if missing:
        raise PlmsInputError(f"is not a plms summary (no {', '.join(map(repr, missing))})",
                             path=path)
    return cast(Summary, data)


def read_summary_csv(path: str | os.PathLike[str], *, complete: bool = True) -> pd.DataFrame:
    """Read back a batch run's ``summary.csv`` with the dtypes it was written with.

    Parameters
    ----------
    path : path-like
        The table (``OUT/summary.csv``, :data:`plms.io.names.BATCH_SUMMARY_CSV`).
    complete : bool
        True (default): every column of :data:`SUMMARY_CSV_COLUMNS` must be
        there, as a batch run writes them. False: read whatever columns the
        table has (a table written by hand or by another tool); the known
        ones are typed, the others kept as text.

    Returns
    -------
    DataFrame
        The rows in file order, the columns as in the file:
        :data:`SUMMARY_CSV_COUNT_COLUMNS` as nullable integers (``Int64``),
        :data:`SUMMARY_CSV_FLOAT_COLUMNS` as floats (NaN when empty),
        :data:`SUMMARY_CSV_TEXT_FILLED` as text (``""`` when empty), every
        other column as text objects with None for an empty cell.

    Raises
    ------
    PlmsInputError
        The file is missing, empty or not a CSV table, lacks a column
        (``complete=True``), or holds something other than a number in a
        count or figure column; the message names the file.
    """
    path = Path(path)
    what = "a plms batch table (summary.csv)"
    df = _read_table(path, sep=",", what=what)
    df = df.replace("", None)
    if complete:
        missing = [c for c in SUMMARY_CSV_COLUMNS if c not in df.columns]
        for column in SUMMARY_CSV_LATER_COLUMNS:
            if column in missing:
                missing.remove(column)
                df[column] = None
        if missing:
            raise PlmsInputError(f"not {what}: no column {', '.join(map(repr, missing))}",
                                 path=path)
    for column in df.columns:
        if column in SUMMARY_CSV_COUNT_COLUMNS:
            numbers = _numbers(df[column], column, path, what)
            whole = numbers.dropna()
            if not (whole == whole.round()).all():
                raise PlmsInputError(f"{what}: the {column!r} column holds a fraction, "
                                     "not a count", path=path)
            df[column] = numbers.astype("Int64")
        elif column in SUMMARY_CSV_FLOAT_COLUMNS:
            df[column] = _numbers(df[column], column, path, what)
        elif column in SUMMARY_CSV_TEXT_FILLED:
            df[column] = df[column].fillna("").astype(str)
        else:
            df[column] = df[column].astype(object).where(df[column].notna(), None)
    return df
