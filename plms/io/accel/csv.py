"""Read accelerometer tables (CSV/TSV) and check sample timestamps.

A table has an optional time column (ISO date-times, or numbers of
seconds: Unix time or seconds from the start) or sample-index column, and
either x, y, z columns or a single axis/magnitude column; column names are
matched ignoring case (``x``, ``acc_x``, ``ax``, ``Accelerometer X``,
``ankle_l_x``, ``magnitude``...). Lines before the column header (e.g. an
ActiGraph export's preamble) are skipped.

:func:`check_timeline` is shared with the device readers: timestamps must
increase; an interval longer than :data:`GAP_FACTOR` times the median one
is a gap. plms scores a contiguous recording, so by default a gap is an
error; ``max_gap_s`` lets short gaps be filled (the last sample is held,
so no movement is seen inside them and later times stay true).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.errors import PlmsInputError
from plms.io.accel._common import (
    AccelRecording,
    AccelSignal,
    accel_unit_scale,
    clipped_at_range,
    make_signal,
)
from plms.io.accel._fastcsv import line_start_timestamps
from plms.io.accel.labels import assign_sides, column_axis_side, group_devices, side_from_name

#: An interval longer than this many median intervals is a gap.
GAP_FACTOR = 1.5
#: A rate given and a rate measured may differ by this share.
RATE_TOLERANCE = 0.01
#: Numeric times above this are Unix seconds (after 1973), below it seconds from the start.
UNIX_TIME_MIN_S = 1e8
#: Numeric times above this are Unix milliseconds (as seconds they would be after year 5000).
UNIX_MS_MIN = 1e11
MS_PER_S = 1e3
#: Names of time and sample-index columns (lower case, non-alphanumerics removed).
TIME_NAMES = ("timestamp", "time", "datetime", "date", "t", "times", "unixtime", "epoch",
              "timestamps", "timeutc", "seconds")
INDEX_NAMES = ("sample", "index", "sampleindex", "samplenumber", "idx", "n")
#: How many lines may come before the column header.
MAX_PREAMBLE_LINES = 30
_UNIX_EPOCH = dt.datetime(1970, 1, 1)
_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Timeline:
    """The result of :func:`check_timeline`.

    ``positions`` is the place of each sample on a uniform grid at ``fs``
    when gaps were filled, else ``None``; ``notes`` are warnings.
    """

    fs: float
    positions: npt.NDArray[np.int64] | None
    notes: tuple[str, ...]


def _gap_error(what: str, count: int, where: str, length_s: float, path: object) -> None:
    raise PlmsInputError(
        f"{count} gap{'s' if count > 1 else ''} in the {what}; the first at {where}: "
        f"{length_s:.3g} s without samples; plms scores a contiguous recording: split the "
        "file at the gaps", path=path)  # type: ignore[arg-type]


def check_timeline(
    times_s: npt.ArrayLike, *, path: str | PathLike[str] | None,
    place: Callable[[int], str],
    fs: float | None = None, fs_is_nominal: bool = False, max_gap_s: float = 0.0,
) -> Timeline:
    """Check sample times; return the sampling rate and how to fill short gaps.

    Parameters
    ----------
    times_s : array of float
        Time of each sample in seconds.
    path : path-like or None
        For messages.
    place : callable
        Names sample ``k`` (from 0) in messages, e.g. ``lambda k: f"line {k + 2}"``.
    fs : float, optional
        Rate given by the user or by the device.
    fs_is_nominal : bool
        ``fs`` is a device's nominal rate: the measured rate is used, with a
        warning if they differ; else a difference over 1% is an error.
    max_gap_s : float
        Longest gap filled; a longer one is an error.

    Raises
    ------
    PlmsInputError
        Fewer than 2 samples, time that does not increase, a gap longer than
        ``max_gap_s``, or a given rate that the timestamps contradict.

    Examples
    --------
    >>> t = np.arange(100) / 50.0
    >>> check_timeline(t, path=None, place=str).fs
    50.0
    """
    t = np.asarray(times_s, dtype=np.float64)
    if t.size < 2:
        raise PlmsInputError("fewer than 2 samples: nothing to score", path=path)
    step = np.diff(t)
    back = np.flatnonzero(~(step > 0))
    if back.size:
        k = int(back[0]) + 1
        raise PlmsInputError(
            f"the time does not increase at {place(k)}: {t[k]:.6g} s after {t[k - 1]:.6g} s "
            "(the samples must be in time order without repeats)", path=path)
    median = float(np.median(step))
    gaps = np.flatnonzero(step > GAP_FACTOR * median)
    regular = np.delete(step, gaps)
    measured = regular.size / float(regular.sum())
    notes = []
    used = measured
    if fs is not None:
        differs = abs(measured / fs - 1) > RATE_TOLERANCE
        if differs and not fs_is_nominal:
            raise PlmsInputError(f"the timestamps give a sampling rate of {measured:.4g} Hz, "
                                 f"not the {fs:g} Hz given", path=path)
        if differs:
            notes.append(f"the nominal sampling rate is {fs:g} Hz but the timestamps give "
                         f"{measured:.4g} Hz, which was used")
        else:
            used = fs if not fs_is_nominal else measured
    if not gaps.size:
        return Timeline(used, None, tuple(notes))
    lengths = step[gaps] - 1 / used
    first = int(gaps[0])
    if max_gap_s <= 0 or lengths.max() > max_gap_s:
        _gap_error("timestamps", gaps.size, f"{place(first + 1)} (after {t[first]:.6g} s)",
                   float(lengths[0]), path)
    increments = np.ones(step.size, dtype=np.int64)
    increments[gaps] = np.maximum(np.rint(step[gaps] * used).astype(np.int64), 1)
    notes.append(f"{gaps.size} short gap(s) in the timestamps, {lengths.sum():.3g} s in all, "
                 "were filled by holding the last sample")
    return Timeline(used, np.concatenate([[0], np.cumsum(increments)]), tuple(notes))


def fill_gaps(data: npt.NDArray[np.floating], positions: npt.NDArray[np.int64] | None
              ) -> npt.NDArray[np.floating]:
    """Put samples at their grid positions, holding the last one across gaps.

    >>> fill_gaps(np.array([[1.0], [2.0], [3.0]]), np.array([0, 1, 3]))[:, 0].tolist()
    [1.0, 2.0, 2.0, 3.0]
    """
    if positions is None:
        return data
    slots = np.arange(int(positions[-1]) + 1)
    return data[np.searchsorted(positions, slots, side="right") - 1]


def _header_line(lines: list[str], sep: str) -> int:
    """The index of the column header: the first line naming an axis column."""
    for i, line in enumerate(lines[:MAX_PREAMBLE_LINES]):
        if any(column_axis_side(cell.strip().strip('"')) for cell in line.split(sep)):
            return i
    return 0


def _separator(path: Path, first_lines: list[str]) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    sample = "".join(first_lines)
    if "\t" in sample:
        return "\t"
    return ";" if sample.count(";") > sample.count(",") else ","


def _numbers(table: pd.DataFrame, column: str, first_line: int,
             path: Path) -> npt.NDArray[np.float64]:
    col = table[column]
    if pd.api.types.is_numeric_dtype(col):          # parsed as numbers by read_csv
        values = col.to_numpy(dtype=np.float64)
    else:
        values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        raw = table[column].iloc[k]
        empty = pd.isna(raw) or not str(raw).strip()
        what = "is empty" if empty else f"{str(raw)[:40]!r} is not a number"
        raise PlmsInputError(f"line {first_line + k}, column {column!r}: the value {what} "
                             f"({bad.size} such value(s) in the column)", path=path)
    return values


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def _times(table: pd.DataFrame, column: str, first_line: int,
           path: Path) -> tuple[npt.NDArray[np.float64], dt.datetime | None]:
    """Seconds from the first sample, and the clock time of the first sample."""
    raw = table[column]
    numeric = raw if pd.api.types.is_numeric_dtype(raw) else None
    if numeric is None and _is_number(raw.iloc[0]):
        numeric = pd.to_numeric(raw, errors="coerce")
    if numeric is not None and numeric.notna().all():
        seconds = numeric.to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(seconds))
        if bad.size:
            k = int(bad[0])
            raise PlmsInputError(f"line {first_line + k}, column {column!r}: the time "
                                 f"{str(raw.iloc[k])[:40]!r} is not a finite number", path=path)
        if seconds[0] > UNIX_MS_MIN:
            seconds = seconds / MS_PER_S
        try:
            start = _UNIX_EPOCH + dt.timedelta(seconds=float(seconds[0])) \
                if seconds[0] > UNIX_TIME_MIN_S else None
        except OverflowError:  # after the year 9999
            raise PlmsInputError(f"line {first_line}, column {column!r}: the time "
                                 f"{str(raw.iloc[0])[:40]!r} is out of range", path=path) from None
        return seconds - seconds[0], start
    try:
        try:
            stamps = pd.to_datetime(raw, format="ISO8601")
        except (ValueError, TypeError):
            stamps = pd.to_datetime(raw, errors="coerce", format="mixed")
        bad = np.flatnonzero(stamps.isna().to_numpy())
        if bad.size:
            k = int(bad[0])
            raise PlmsInputError(f"line {first_line + k}, column {column!r}: "
                                 f"{str(raw.iloc[k])[:40]!r} is not a date-time or a number of "
                                 "seconds", path=path)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)
        ns = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        return (ns - ns[0]) / 1e9, stamps.iloc[0].to_pydatetime()
    except PlmsInputError:
        raise
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:
        # mixed time zones, a year pandas reads but Python cannot hold (-1, 0)...
        problem = " ".join(str(exc).split())[:200]
        raise PlmsInputError(f"column {column!r}: the date-times cannot be used ({problem})",
                             path=path) from None


def _find_column(columns: list[str], names: tuple[str, ...], given: str | None,
                 path: Path) -> str | None:
    if given is not None:
        if given not in columns:
            raise PlmsInputError(f"the column {given!r} does not exist; columns: "
                                 f"{', '.join(map(repr, columns))}", path=path)
        return given
    for name in names:
        for col in columns:
            if _ALNUM.sub("", col.lower()) == name:
                return col
    return None


def _read_columns(path: Path, sep: str, skip: int, time_column: str | None) -> pd.DataFrame:
    """pandas' table of ``path``, or of the columns plms uses when the time comes first.

    When the first column is the time, holds ISO timestamps of one width and
    every line has all the columns, the timestamps are decoded from the bytes
    (:func:`plms.io.accel._fastcsv.line_start_timestamps`) rather than parsed
    from millions of strings, and pandas reads the axis columns alone (the
    same numbers); otherwise pandas reads the whole table, as it always did.
    """
    options: dict[str, Any] = {"sep": sep, "skiprows": skip, "skipinitialspace": True,
                               "encoding": "utf-8-sig", "encoding_errors": "replace"}
    names = [str(c).strip() for c in pd.read_csv(path, nrows=0, **options).columns]
    axes = [k for k, name in enumerate(names) if column_axis_side(name) is not None]
    if (not axes or len(set(names)) != len(names)
            or (time_column is not None and time_column not in names)
            or _find_column(names, TIME_NAMES, time_column, path) != names[0]):
        return pd.read_csv(path, **options)
    ns = line_start_timestamps(path, header_line=skip, sep=sep, n_columns=len(names))
    if ns is None:
        return pd.read_csv(path, **options)
    table = pd.read_csv(path, usecols=axes, **options)
    if len(table) != ns.size:  # lines pandas reads otherwise (comments, quoted line ends)
        return pd.read_csv(path, **options)
    table.insert(0, names[0], pd.Series(ns.view("datetime64[ns]")))
    return table


def _read_table(path: Path, time_column: str | None = None) -> tuple[pd.DataFrame, int]:
    """The table of ``path`` (stripped column names) and the file line of its first row.

    ``time_column`` names the time column when its name is not a usual one.
    """
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            first = [handle.readline() for _ in range(MAX_PREAMBLE_LINES)]
    except OSError as exc:
        raise PlmsInputError(f"cannot be read ({exc.strerror or exc})", path=path) from None
    if not "".join(first).strip():
        raise PlmsInputError("the file is empty", path=path)
    sep = _separator(path, first)
    skip = _header_line(first, sep)
    try:
        # numbers are parsed by the C parser; a column with a bad value stays text
        # and is reported by _numbers (so pandas' DtypeWarning about the mixed
        # column of a long file says nothing more, and is not shown)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            table = _read_columns(path, sep, skip, time_column)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
        problem = " ".join(str(exc).split())[:200]  # pandas ends its messages with a newline
        raise PlmsInputError(f"cannot be read as a table ({problem})", path=path) from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise PlmsInputError("the table has no data rows", path=path)
    return table, skip + 2  # file line of the first data row (1-based, after the header)


def _table_timeline(table: pd.DataFrame, first_line: int, path: Path, *, fs: float | None,
                    time_column: str | None, max_gap_s: float,
                    ) -> tuple[Timeline, dt.datetime | None]:
    """The sample timeline of ``table`` (from its time or index column, else ``fs``), start."""
    columns = list(table.columns)
    time_col = _find_column(columns, TIME_NAMES, time_column, path)
    index_col = None if time_col else _find_column(columns, INDEX_NAMES, None, path)

    def place(k: int) -> str:
        return f"line {first_line + k}"

    if time_col is not None:
        seconds, start = _times(table, time_col, first_line, path)
        timeline = check_timeline(seconds, path=path, place=place, fs=fs, max_gap_s=max_gap_s)
        return timeline, start
    if fs is None:
        raise PlmsInputError("the sampling rate is unknown: the table has no time column; "
                             "give it with fs=/--fs", path=path)
    if index_col is not None:
        index = _numbers(table, index_col, first_line, path)
        return check_timeline(index / fs, path=path, place=place, fs=fs,
                              max_gap_s=max_gap_s), None
    return Timeline(float(fs), None, ()), None


def read_accel_csv(
    path: str | PathLike[str], *, fs: float | None = None, side: str | None = None,
    unit: str = "g", time_column: str | None = None, max_gap_s: float = 0.0,
) -> AccelRecording:
    """Read accelerometer samples from a CSV or TSV table.

    Parameters
    ----------
    path : path-like
    fs : float, optional
        Sampling rate; required without a time column, checked (1%) with one.
    side : {"left", "right"}, optional
        Leg of a device whose columns carry no side (else the side word ending the
        file name, ``night-right.csv``, else it is scored as left).
    unit : str
        Unit of the values: g, mg or m/s^2.
    time_column : str, optional
        The time column, when its name is not a usual one.
    max_gap_s : float
        Gaps up to this long are filled by holding the last sample; by
        default (0) any gap is an error.

    Raises
    ------
    PlmsInputError
        Empty file, no axis column, non-numeric values, time that goes back,
        gaps, a rate missing or contradicted, or values that cannot be g.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(f, "w").write("x,y,z\\n" + "0,0,1\\n" * 200)
    >>> read_accel_csv(f, fs=50).signals["left"].data.shape
    (200, 3)
    """
    path = Path(path)
    if fs is not None and not (np.isfinite(fs) and fs > 0):
        raise PlmsInputError(f"the sampling rate must be a positive number of Hz, not {fs!r}",
                             path=path)
    try:
        scale = accel_unit_scale(unit)
    except PlmsInputError as exc:
        raise exc.with_path(path) from None
    table, first_line = _read_table(path, time_column)
    columns = list(table.columns)
    parsed = [(c, column_axis_side(c)) for c in columns]
    parsed = [(c, p) for c, p in parsed if p is not None]
    if not parsed:
        raise PlmsInputError("no acceleration column (x, y, z or magnitude) was found; "
                             f"columns: {', '.join(map(repr, columns))}", path=path)
    devices = group_devices(parsed)  # type: ignore[arg-type]
    named = side_from_name(path.stem)
    placed, notes = assign_sides(devices, lambda d: d.side, lambda d: d.name or "xyz",
                                 side, path, name_side=named[1] if named else None)
    timeline, start = _table_timeline(table, first_line, path, fs=fs, time_column=time_column,
                                      max_gap_s=max_gap_s)
    notes += timeline.notes
    signals: dict[str, AccelSignal] = {}
    for leg, device in placed.items():
        values = np.stack([_numbers(table, c, first_line, path) for c in device.labels], axis=1)
        if scale != 1.0:  # values in g are used as they are (x * 1.0 is x)
            values *= scale
        data_g = fill_gaps(values, timeline.positions)
        clipped, range_g = clipped_at_range(data_g)
        signals[leg], device_notes = make_signal(
            label=device.name or "accelerometer", side=leg, data_g=data_g, axes=device.axes,
            channel_labels=device.labels, fs=timeline.fs, unit=unit, path=path,
            clipped_fraction=clipped, range_g=range_g)
        notes += device_notes
    n = next(iter(signals.values())).data.shape[0]
    return AccelRecording(path=path, start=start, duration_s=n / timeline.fs, signals=signals,
                          file_type="CSV", warnings=tuple(notes))


#: Bytes read from the end of a CSV to find its last line (:func:`csv_span_s`).
TAIL_BYTES = 4096
#: Bytes counted at a time when a CSV's lines are counted (:func:`csv_span_s`).
COUNT_BLOCK_BYTES = 1 << 24


def _seconds(text: str) -> float | None:
    """Seconds of a time cell: a number, or a date-time (seconds since 1970); None if neither."""
    text = text.strip().strip('"')
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = pd.Timestamp(text)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(when) else float(when.value) / 1e9   # an empty cell is NaT


def csv_span_s(path: str | PathLike[str], *, fs: float | None = None) -> float | None:
    """About how long a CSV recording lasts, s, without reading its table; None if unsure.

    From the first and last lines' times when the first column is a time
    column, else from the number of lines and ``fs``. Enough to decide whether
    a recording spans several days (:func:`plms.api.is_multi_day`): the
    reader itself checks the timeline.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(f, "w").write("x,y,z\\n" + "0,0,1\\n" * 200)
    >>> csv_span_s(f, fs=50), csv_span_s(f)
    (4.0, None)
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(TAIL_BYTES).decode("utf-8-sig", errors="replace")
            size = handle.seek(0, 2)
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace")
            lines = head.splitlines()[:MAX_PREAMBLE_LINES]
            if not lines:
                return None
            sep = _separator(path, lines)
            skip = _header_line(lines, sep)
            names = [c.strip().strip('"') for c in lines[skip].split(sep)]
            if _find_column(names, TIME_NAMES, None, path) == names[0] and len(lines) > skip + 1:
                last = [line for line in tail.splitlines() if line.strip()]
                first_t = _seconds(lines[skip + 1].split(sep)[0])
                last_t = _seconds(last[-1].split(sep)[0]) if last else None
                if first_t is None or last_t is None:
                    return None
                return last_t - first_t
            if fs is None:
                return None
            handle.seek(0)
            newlines = 0
            while block := handle.read(COUNT_BLOCK_BYTES):
                newlines += block.count(b"\n")
    except OSError:
        return None
    return max(0, newlines - skip - 1 + (not tail.endswith("\n"))) / fs
