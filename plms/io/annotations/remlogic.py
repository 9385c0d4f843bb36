"""RemLogic event exports (Natus/Embla RemLogic, text, tab separated).

A header block of varying content (``Patient:``, ``Recording Date:``, an
``Events Included:`` list) precedes a column header line such as
``Time [hh:mm:ss]<TAB>Event<TAB>Duration[s]<TAB>Location``; the columns are
read by name, so extra columns (``Sleep Stage``, ``Position``) may come
anywhere. Times are ISO date-times (``2008-07-08T22:56:53.000000``) or, in
older exports, clock times (``22:56:53``) whose date comes from
``Recording Date:`` and which roll over midnight.

Onsets become seconds from the EDF start when one is given, else from the
first sleep-stage epoch of the file (FORMATS.md, RemLogic).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from os import PathLike
from pathlib import Path

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.annotations._build import Event, annotations_from_events
from plms.io.annotations._textfiles import (
    LineEvent,
    check_stage_rows,
    drop_before_start,
    parse_seconds,
    read_text,
)
from plms.io.channels import leg_side
from plms.io.annotations.labels import classify_annotation
from plms.stages import REMLOGIC_STAGE_PREFIX

#: First line of a RemLogic export.
MAGIC = "RemLogic Event Export"
#: Prefix of RemLogic stage events; any other suffix than the known stages is an error.
STAGE_PREFIX = REMLOGIC_STAGE_PREFIX
#: Clock times that go back by more than this have crossed midnight.
ROLLOVER_S = 12 * 3600.0
#: A first epoch further than this from the EDF start is suspicious.
MAX_PLAUSIBLE_OFFSET_S = 24 * 3600.0
#: How many Location labels a warning quotes.
MAX_QUOTED = 3
#: Date spellings of ``Recording Date:``, tried in order (the export writes M/D/YYYY).
DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%y")

_TIME_HEADER = re.compile(r"^time\b", re.IGNORECASE)
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?$"
)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?$")


@dataclass(frozen=True)
class _Columns:
    """Positions of the columns plms uses, and the header's line number."""

    line: int
    time: int
    event: int
    duration: int
    location: int | None


def _find_columns(lines: Sequence[str]) -> _Columns | None:
    """The column header line: it has a ``Time [...]``, an ``Event`` and a ``Duration`` column."""
    for number, text in enumerate(lines, start=1):
        names = [f.strip().lower() for f in text.split("\t")]
        if "event" not in names:
            continue
        time = next((i for i, n in enumerate(names) if _TIME_HEADER.match(n)), None)
        duration = next((i for i, n in enumerate(names) if n.startswith("duration")), None)
        if time is None or duration is None:
            continue
        location = names.index("location") if "location" in names else None
        return _Columns(number, time, names.index("event"), duration, location)
    return None


def looks_like_remlogic(text: str) -> bool:
    """Whether a text is a RemLogic export (its first line or a column header).

    >>> looks_like_remlogic("RemLogic Event Export\\r\\nPatient:\\tX\\r\\n")
    True
    >>> looks_like_remlogic("W\\nN1\\n")
    False
    """
    lines = text.splitlines()
    if lines and lines[0].strip().lower().startswith(MAGIC.lower()):
        return True
    return _find_columns(lines[:200]) is not None


def _header_value(lines: Sequence[str], key: str) -> str | None:
    """The value of a ``Key:<TAB>value`` header line, if present."""
    prefix = key.lower() + ":"
    for text in lines:
        if text.strip().lower().startswith(prefix):
            return text.split(":", 1)[1].strip()
    return None


def _included_events(lines: Sequence[str]) -> list[str]:
    """The names listed under ``Events Included:`` (up to the next blank line)."""
    names: list[str] = []
    inside = False
    for text in lines:
        if text.strip().lower().startswith("events included"):
            inside = True
            continue
        if inside:
            if not text.strip():
                break
            names.append(text.strip())
    return names


def _recording_date(text: str | None) -> date | None:
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _fraction(digits: str | None) -> float:
    return float(f"0.{digits}") if digits else 0.0


def _parse_time(text: str) -> datetime | float | None:
    """An ISO date-time, or seconds since midnight for a clock time, or None."""
    text = text.strip()
    match = _ISO.match(text)
    if match:
        y, mo, d, h, mi, s = (int(g) for g in match.groups()[:6])
        try:
            return datetime(y, mo, d, h, mi, s) + timedelta(seconds=_fraction(match.group(7)))
        except (ValueError, OverflowError):  # no such date, or past the year 9999
            return None
    match = _CLOCK.match(text)
    if match:
        h, mi, s = (int(g) for g in match.groups()[:3])
        if h < 24 and mi < 60 and s < 61:
            return h * 3600.0 + mi * 60.0 + s + _fraction(match.group(4))
    return None


@dataclass(frozen=True)
class _Row:
    line: int
    when: datetime
    event: str
    duration: float
    location: str


def _read_rows(
    lines: Sequence[str], cols: _Columns, day: date, path: Path
) -> list[_Row]:
    """The data rows with absolute times; clock times are unrolled over midnight."""
    rows: list[_Row] = []
    needed = max(cols.time, cols.event, cols.duration)
    style: str | None = None
    day_offset = 0
    previous: datetime | None = None
    for number, text in enumerate(lines[cols.line:], start=cols.line + 1):
        if not text.strip():
            continue
        fields = text.split("\t")
        if len(fields) <= needed:
            raise PlmsInputError(
                f"line {number} has {len(fields)} column(s), fewer than the column header "
                f"(line {cols.line})", path=path,
            )
        when = _parse_time(fields[cols.time])
        if when is None:
            raise PlmsInputError(
                f"line {number}: {fields[cols.time].strip()!r} is not a time "
                "(expected 2008-07-08T22:56:53.000000 or 22:56:53)", path=path,
            )
        kind = "iso" if isinstance(when, datetime) else "clock"
        if style is not None and kind != style:
            raise PlmsInputError(
                f"line {number}: the time {fields[cols.time].strip()!r} mixes clock times and "
                "date-times in one file", path=path,
            )
        style = kind
        if isinstance(when, float):
            try:
                when, rolled = _on_day(day, day_offset, when, previous)
            except OverflowError:
                raise PlmsInputError(
                    f"line {number}: the time {fields[cols.time].strip()!r} falls after the "
                    "year 9999 (check the Recording Date)", path=path,
                ) from None
            day_offset += int(rolled)
        previous = when
        event = fields[cols.event].strip()
        if not event:
            raise PlmsInputError(f"line {number} has no event name", path=path)
        duration = parse_seconds(fields[cols.duration], "duration", number, path)
        location = ""
        if cols.location is not None and cols.location < len(fields):
            location = fields[cols.location].strip()
        rows.append(_Row(number, when, event, duration, location))
    return rows


def _on_day(
    day: date, day_offset: int, clock: float, previous: datetime | None
) -> tuple[datetime, bool]:
    """A clock time on ``day`` plus ``day_offset``, and whether it went back (past midnight).

    A time that went back by more than :data:`ROLLOVER_S` is moved one day on.

    Raises
    ------
    OverflowError
        The date falls after the year 9999.
    """
    when = datetime.combine(day, datetime.min.time()) + timedelta(days=day_offset, seconds=clock)
    if previous is not None and (previous - when).total_seconds() > ROLLOVER_S:
        return when + timedelta(days=1), True
    return when, False


def _classify(row: _Row, onset: float, path: Path) -> Event | None:
    """One row as an :class:`Event` (side from ``Location``), None when unused."""
    kind, detail = classify_annotation(row.event)
    if row.event.upper().startswith(STAGE_PREFIX) and kind != "stage":
        raise PlmsInputError(
            f"line {row.line}: unknown sleep stage {row.event!r} (known: SLEEP-S0..S4, "
            "SLEEP-REM, SLEEP-MT, SLEEP-UNSCORED)", path=path,
        )
    if kind == "other":
        return None
    if kind == "leg_movement":
        detail = detail or leg_side(row.location)
    return Event(kind, detail, onset, row.duration)


def _scored(included: Sequence[str], events: Sequence[Event], kind: str) -> bool:
    """Whether the export holds a scoring of ``kind`` (from its event list, else its rows)."""
    if included:
        return any(classify_annotation(name)[0] == kind for name in included)
    return any(e.kind == kind for e in events)


def read_remlogic(
    path: str | PathLike[str],
    *,
    start: datetime | None = None,
    duration_s: float | None = None,
) -> Annotations:
    """Read a RemLogic event export.

    Parameters
    ----------
    path : path-like
        The ``.txt`` export.
    start : datetime, optional
        Start of the EDF recording (local wall-clock time, as in the EDF
        header); onsets are counted from it. Without it they are counted
        from the first sleep-stage (``SLEEP-*``) event of the file. A time
        zone on ``start`` is ignored (the export has none).
    duration_s : float, optional
        Recording length; events outside it are dropped with a warning.

    Returns
    -------
    Annotations
        Stages (``SLEEP-S0``..``S4``, ``-REM``, ``-MT``, ``-UNSCORED``);
        respiratory events (``APNEA-*``, ``HYPOPNEA-*`` and ``AROUSAL-RERA``
        as a RERA); arousals (the other ``AROUSAL-*``, including
        ``AROUSAL-LM``); leg movements (``PLM-LM``, the leg from
        ``Location``; 0-s movements are kept); lights markers. Events before
        the time origin are dropped with a warning, as are ``PLM-LM`` whose
        ``Location`` names no leg. ``respiratory_scored``/``arousals_scored``
        follow the ``Events Included:`` list when the header has one.

    Raises
    ------
    PlmsInputError
        No column header line, a bad time or duration, an unknown
        ``SLEEP-*`` stage or overlapping stage epochs; the message names the line.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    cols = _find_columns(lines)
    if cols is None:
        raise PlmsInputError(
            "no column header line was found (a tab-separated line naming the "
            "'Time [hh:mm:ss]', 'Event' and 'Duration[s]' columns); is this a RemLogic "
            "event export?", path=path,
        )
    header = lines[: cols.line - 1]
    notes: list[str] = []
    written = _header_value(header, "Recording Date")
    day = _recording_date(written)
    if written and day is None:
        notes.append(f"the Recording Date {written!r} was not understood")
    naive_start = start.replace(tzinfo=None) if start is not None else None
    rows = _read_rows(lines, cols, day or (naive_start or datetime(2000, 1, 1)).date(), path)
    if not rows:
        return Annotations(source=str(path)).with_warnings("the export holds no events")
    if day is None and naive_start is not None:
        rows = _nearest_day(rows, naive_start)
    origin, where, origin_notes = _origin(rows, naive_start)
    notes += origin_notes
    classified: list[LineEvent] = []
    sideless: list[str] = []
    ignored: list[str] = []
    for row in rows:
        onset = round((row.when - origin).total_seconds(), 6)
        event = _classify(row, onset, path)
        if event is None:
            ignored.append(row.event)
        elif event.kind == "leg_movement" and event.detail is None:
            sideless.append(row.location)
        else:
            classified.append(LineEvent(row.line, event))
    if sideless:
        quoted = ", ".join(repr(s) for s in list(dict.fromkeys(sideless))[:MAX_QUOTED])
        notes.append(
            f"{len(sideless)} leg movement(s) have a Location that names no leg ({quoted}) "
            "and were ignored"
        )
    kept, dropped_notes = drop_before_start(classified, where)
    notes += dropped_notes
    check_stage_rows(kept, path)
    events = [r.event for r in kept]
    included = _included_events(header)
    ann = annotations_from_events(
        events,
        respiratory_scored=_scored(included, events, "respiratory"),
        arousals_scored=_scored(included, events, "arousal"),
        source=str(path),
        ignored_texts=ignored,
        path=path,
    )
    ann = ann.with_warnings(*notes) if notes else ann
    return ann if duration_s is None else ann.cropped(duration_s)


def _nearest_day(rows: list[_Row], start: datetime) -> list[_Row]:
    """Clock-time rows without a recording date: shift them by whole days next to ``start``."""
    first = rows[0].when
    try:
        shift = min((-1, 0, 1),
                    key=lambda d: abs((first + timedelta(days=d) - start).total_seconds()))
        return [
            _Row(r.line, r.when + timedelta(days=shift), r.event, r.duration, r.location)
            for r in rows
        ]
    except OverflowError:  # next to the year 1 or 9999: left as they are
        return rows


def _origin(rows: Sequence[_Row], start: datetime | None) -> tuple[datetime, str, list[str]]:
    """The time origin of the onsets, its description and any warning about it."""
    stages = [r for r in rows if r.event.upper().startswith(STAGE_PREFIX)]
    if start is not None:
        notes = []
        if stages:
            offset = (min(r.when for r in stages) - start).total_seconds()
            if abs(offset) > MAX_PLAUSIBLE_OFFSET_S:
                notes.append(
                    f"the first sleep-stage epoch is {offset / 3600:.1f} h from the recording "
                    "start: check that this export belongs to this recording"
                )
        return start, f"the recording start ({start:%Y-%m-%d %H:%M:%S})", notes
    if stages:
        first = min(r.when for r in stages)
        return first, f"the first sleep-stage epoch ({first:%H:%M:%S})", []
    first = min(r.when for r in rows)
    return first, f"the first event ({first:%H:%M:%S})", [
        "the export holds no sleep stages and no recording start was given: onsets are "
        "counted from its first event"
    ]
