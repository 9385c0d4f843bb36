"""Event tables: CSV/TSV with ``onset`` and ``duration`` in seconds (BIDS style).

What each row is comes from the other columns (names are case-insensitive):

* a text column (:data:`TEXT_COLUMNS`: ``kind``, ``type``, ``description``,
  ``trial_type``, ``event``, ``value``): classified by
  :func:`~plms.io.annotations.labels.classify_annotation` (stage, respiratory event,
  arousal, lights marker, leg movement); a leg movement without a side in
  its text takes it from a ``side`` column. When a row has several, the first
  understood wins, else the first two read together (a BIDS ``events.tsv``
  with ``trial_type`` ``Sleep stage`` and ``value`` ``2``, or ``trial_type``
  ``n/a`` and ``value`` ``N2``);
* else a ``side`` column (plms's own ``events.tsv``): a leg movement of that
  leg. ``bilateral`` rows (movements the rules combined from both legs)
  cannot be split back into legs and are refused; a ``stage`` column beside
  ``side`` is the stage at the movement and is not read;
* else a ``stage`` column: one or more scoring epochs (from ``onset`` and
  ``duration``) of a hypnogram. Digits are refused: their meaning differs
  between tools.

``n/a`` (and empty cells) mean missing.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.annotations._build import Event, annotations_from_events
from plms.io.annotations._textfiles import (
    LineEvent,
    check_stage_rows,
    drop_before_start,
    is_missing,
    parse_seconds,
    read_text,
)
from plms.io.annotations.hypnogram_text import stage_of
from plms.io.annotations.labels import classify_annotation

#: Columns whose text says what the event is, in order of preference.
TEXT_COLUMNS = ("kind", "type", "description", "trial_type", "event", "value")
#: Delimiters recognised when sniffing a CSV.
DELIMITERS = ("\t", ",", ";")
#: Values of the ``side`` column read as a leg.
SIDES = {"left": "left", "l": "left", "right": "right", "r": "right",
         "combined": "combined"}
#: The side plms writes for movements combined from both legs.
BILATERAL = "bilateral"


def sniff_delimiter(header: str) -> str:
    """The delimiter that splits the header line into the most columns.

    >>> sniff_delimiter("onset;duration;stage"), sniff_delimiter("onset\\tduration")
    (';', '\\t')
    """
    return max(DELIMITERS, key=lambda d: len(header.split(d)))


def looks_like_table(text: str) -> bool:
    """Whether the first non-empty line names an ``onset`` and a ``duration`` column."""
    first = next((t for t in text.splitlines() if t.strip()), "")
    names = {c.strip().strip('"').lower() for c in first.split(sniff_delimiter(first))}
    return {"onset", "duration"} <= names


def _classify_texts(texts: Sequence[str]) -> tuple[str, str | None]:
    """The kind and detail of the first text understood, else of the first two together.

    >>> _classify_texts(["Sleep stage", "2"]), _classify_texts(["stimulus", "Arousal"])
    (('stage', 'N2'), ('arousal', None))
    """
    tries = [*texts, " ".join(texts[:2])] if len(texts) > 1 else list(texts)
    for text in tries:
        kind, detail = classify_annotation(text)
        if kind != "other":
            return kind, detail
    return "other", None


def _row_event(
    cells: dict[str, str], text_columns: Sequence[str], has_side: bool, has_stage: bool,
    onset: float, duration: float | None, line: int, path: Path,
) -> Event | str | None:
    """One row as an :class:`Event`; the text when it is not understood; None when empty."""
    texts = [cells.get(c, "").strip() for c in text_columns]
    texts = [t for t in texts if not is_missing(t)]
    side_text = cells.get("side", "").strip().lower() if has_side else ""
    if is_missing(side_text):
        side_text = ""
    if side_text == BILATERAL:
        raise PlmsInputError(
            f"line {line} is a bilateral leg movement (combined from both legs by the rules), "
            "which cannot be split back into legs; give one row per leg (side left or right)",
            path=path,
        )
    if side_text and side_text not in SIDES:
        raise PlmsInputError(
            f"line {line}: the side {cells['side'].strip()!r} is not left, right or combined",
            path=path
        )
    side = SIDES.get(side_text)
    if texts:
        kind, detail = _classify_texts(texts)
        if kind == "other":
            return texts[0]
        if kind == "leg_movement":
            detail = detail or side
        return Event(kind, detail, onset, duration)
    if has_side:
        if side is None:
            raise PlmsInputError(f"line {line} has no side (left or right)", path=path)
        return Event("leg_movement", side, onset, duration)
    if has_stage and not is_missing(cells.get("stage", "")):
        return Event("stage", stage_of(cells["stage"].strip(), None, line, path), onset, duration)
    return None


def read_events_table(
    path: str | PathLike[str],
    *,
    duration_s: float | None = None,
    delimiter: str | None = None,
) -> Annotations:
    """Read a CSV/TSV of events or stages with ``onset`` and ``duration`` columns.

    Parameters
    ----------
    path : path-like
        ``.tsv``, ``.csv`` or another delimited text file.
    duration_s : float, optional
        Recording length; events outside it are dropped with a warning.
    delimiter : str, optional
        Column delimiter; by default a tab for ``.tsv`` and sniffed
        (tab, comma, semicolon) otherwise.

    Returns
    -------
    Annotations
        See the module documentation for how rows are read. Rows starting
        before 0 s are dropped with a warning; rows whose text plms does not
        use are ignored (counted in a warning when there is no hypnogram).
        ``respiratory_scored``/``arousals_scored`` are True when such events
        exist.

    Raises
    ------
    PlmsInputError
        No ``onset``/``duration`` column; a bad or negative number, a
        bilateral leg movement, an unknown stage or overlapping stage epochs;
        the message names the line.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    first = next((i for i, t in enumerate(lines) if t.strip()), None)
    if first is None:
        raise PlmsInputError("the table is empty", path=path)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(lines[first])
    reader = csv.reader(lines[first:], delimiter=delimiter)
    names = [n.strip().lower() for n in next(reader)]
    missing = [c for c in ("onset", "duration") if c not in names]
    if missing:
        raise PlmsInputError(
            f"line {first + 1}: the table has no {' and no '.join(missing)} column "
            f"(columns: {', '.join(names)})", path=path,
        )
    text_columns = [c for c in TEXT_COLUMNS if c in names]
    rows: list[LineEvent] = []
    ignored: list[str] = []
    for number, values in enumerate(reader, start=first + 2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(names):
            raise PlmsInputError(
                f"line {number} has {len(values)} columns, more than the header's {len(names)}",
                path=path,
            )
        cells = dict(zip(names, values, strict=False))
        onset_text = cells.get("onset", "")
        if is_missing(onset_text):
            raise PlmsInputError(f"line {number} has no onset", path=path)
        onset = parse_seconds(onset_text, "onset", number, path, allow_negative=True)
        dur_text = cells.get("duration", "")
        duration = None if is_missing(dur_text) else parse_seconds(
            dur_text, "duration", number, path
        )
        event = _row_event(cells, text_columns, "side" in names, "stage" in names,
                           onset, duration, number, path)
        if isinstance(event, Event):
            rows.append(LineEvent(number, event))
        elif isinstance(event, str):
            ignored.append(event)
    return _annotations(rows, ignored, path, duration_s)


def _annotations(
    rows: Sequence[LineEvent], ignored: Sequence[str], path: Path, duration_s: float | None
) -> Annotations:
    kept, notes = drop_before_start(rows, "the recording start")
    check_stage_rows(kept, path)
    events = [r.event for r in kept]
    ann = annotations_from_events(
        events,
        respiratory_scored=any(e.kind == "respiratory" for e in events),
        arousals_scored=any(e.kind == "arousal" for e in events),
        source=str(path),
        ignored_texts=ignored,
        path=path,
    )
    ann = ann.with_warnings(*notes) if notes else ann
    return ann if duration_s is None else ann.cropped(duration_s)
