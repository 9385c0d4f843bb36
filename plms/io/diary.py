"""Sleep diaries: the lights-off and lights-on times of each night of a multi-day recording.

A diary is a CSV file with a header ``night,lights_off,lights_on`` (more
columns are ignored) and one row per night::

    night,lights_off,lights_on
    1,23:10,06:45
    2,2026-01-06T22:40,2026-01-07T07:05

Times are clock times ``HH:MM`` or ``HH:MM:SS`` or ISO date-times. Night
``n``'s clock-time lights off is the first such time at or after the recording
start plus ``n - 1`` days; its lights on the first such time after lights off.
An ISO date-time is taken as it is. Anything else is a :class:`PlmsInputError`
naming the file and the line.
"""

from __future__ import annotations

import csv
import datetime as dt
from os import PathLike
from pathlib import Path

import pandas as pd

from plms.errors import PlmsInputError

#: The columns a diary must have.
DIARY_COLUMNS = ("night", "lights_off", "lights_on")
#: Longest night (lights off to lights on) a diary may give, h: longer is taken for a
#: mistake (e.g. the two times swapped, which clock times would read as a 23-h night).
MAX_NIGHT_H = 16.0


def clock_offset_s(text: str, reference: dt.datetime) -> float | None:
    """Seconds from ``reference`` of a clock time (first at or after it) or an ISO date-time.

    ``None`` when ``text`` is neither.

    Examples
    --------
    >>> ref = dt.datetime(2026, 1, 5, 12, 0)
    >>> clock_offset_s("23:00", ref), clock_offset_s("06:30:00", ref)
    (39600.0, 66600.0)
    >>> clock_offset_s("2026-01-05T11:00", ref), clock_offset_s("late", ref)
    (-3600.0, None)
    """
    text = text.strip()
    base = reference.replace(tzinfo=None)
    try:
        clock = dt.time.fromisoformat(text)
    except ValueError:
        clock = None
    if clock is not None and len(text) >= 4:
        at = dt.datetime.combine(base.date(), clock.replace(tzinfo=None))
        if at < base:
            at += dt.timedelta(days=1)
        return (at - base).total_seconds()
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when.replace(tzinfo=None) - base).total_seconds()


def read_diary(path: str | PathLike[str], start: dt.datetime | None) -> pd.DataFrame:
    """Read a sleep diary (see the module notes).

    Parameters
    ----------
    path : path-like
        The CSV file.
    start : datetime or None
        The recording start; clock times need it.

    Returns
    -------
    DataFrame
        ``night`` (int), ``lights_off_s``, ``lights_on_s`` (s from the
        recording start), sorted by night.

    Raises
    ------
    PlmsInputError
        Missing file or column, a night number that is not a positive whole
        number or comes twice, a time that is not one, lights on not after
        lights off, a night longer than :data:`MAX_NIGHT_H`; the file and line are named.
    """
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PlmsInputError(f"cannot read the sleep diary ({exc.strerror or exc})",
                             path=where) from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in DIARY_COLUMNS if c not in header]
    if missing:
        raise PlmsInputError(f"line 1: a sleep diary needs the columns "
                             f"{', '.join(DIARY_COLUMNS)}; missing {', '.join(missing)}",
                             path=where)
    rows = []
    seen: set[int] = set()
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        rows.append(_night(row, line, where, start, seen))
    if not rows:
        raise PlmsInputError("the sleep diary has no night", path=where)
    return pd.DataFrame(rows, columns=list(("night", "lights_off_s", "lights_on_s"))
                        ).sort_values("night", kind="stable").reset_index(drop=True)


def _night(row: dict[str, str], line: int, where: Path, start: dt.datetime | None,
           seen: set[int]) -> tuple[int, float, float]:
    """One diary row as (night, lights off s, lights on s)."""
    try:
        night = int(row["night"])
    except ValueError:
        night = 0
    if night < 1:
        raise PlmsInputError(f"line {line}: night must be a whole number from 1, not "
                             f"{row['night']!r}", path=where)
    if night in seen:
        raise PlmsInputError(f"line {line}: night {night} is given twice", path=where)
    seen.add(night)
    if start is None:
        raise PlmsInputError(f"line {line}: the recording has no start time, so the diary's "
                             "times cannot be placed in it", path=where)
    begin = start.replace(tzinfo=None)
    ref = begin + dt.timedelta(days=night - 1)
    off = clock_offset_s(row["lights_off"], ref)
    if off is None:
        raise PlmsInputError(f"line {line}: lights_off {row['lights_off']!r} is neither a clock "
                             "time (HH:MM) nor an ISO date-time", path=where)
    off_at = ref + dt.timedelta(seconds=off)
    on = clock_offset_s(row["lights_on"], off_at)
    if on is None:
        raise PlmsInputError(f"line {line}: lights_on {row['lights_on']!r} is neither a clock "
                             "time (HH:MM) nor an ISO date-time", path=where)
    if on <= 0:
        raise PlmsInputError(f"line {line}: lights on ({row['lights_on']}) is not after "
                             f"lights off ({row['lights_off']})", path=where)
    if on > MAX_NIGHT_H * 3600:
        raise PlmsInputError(f"line {line}: the night from {row['lights_off']} to "
                             f"{row['lights_on']} lasts over {MAX_NIGHT_H:.0f} h", path=where)
    base = (ref - begin).total_seconds()
    return night, base + off, base + off + on
