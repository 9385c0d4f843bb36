"""Helpers shared by the text annotation readers (RemLogic, hypnogram text, tables).

They read a text file in the encodings labs use, parse numbers with the line
they came from, and check stage rows before they become a hypnogram, so that
every error can name the line at fault.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from plms.errors import PlmsInputError
from plms.io.annotations._build import GRID_TOLERANCE_S, Event

#: Encodings tried in order; latin-1 decodes any byte string, so it comes last.
ENCODINGS = ("utf-8-sig", "latin-1")
#: Byte-order marks of UTF-16 text (Windows "Unicode" exports).
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: Longer text files than this are not annotation files (guards memory).
MAX_TEXT_BYTES = 200 * 1024 * 1024
#: Spellings of a missing value (BIDS writes ``n/a``).
MISSING_VALUES = frozenset({"", "n/a", "na", "nan", "none", "null", "-"})


@dataclass(frozen=True)
class LineEvent:
    """An :class:`~plms.io.annotations._build.Event` and the line of the file it came from."""

    line: int
    event: Event


def read_text(path: str | PathLike[str]) -> str:
    """The content of a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else latin-1.

    Raises
    ------
    PlmsInputError
        The file is missing, unreadable or too large.
    """
    path = Path(path)
    if not path.is_file():
        raise PlmsInputError("the file does not exist", path=path)
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise PlmsInputError(
                f"the file is larger than {MAX_TEXT_BYTES // 2**20} MB, too large for an "
                "annotation file", path=path,
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise PlmsInputError(f"the file cannot be read ({exc.strerror})", path=path) from None
    if raw[:2] in _UTF16_BOMS:
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1", errors="replace")  # pragma: no cover - latin-1 never fails


def is_missing(text: str) -> bool:
    """Whether a table cell means "no value".

    >>> is_missing(" n/a "), is_missing("0")
    (True, False)
    """
    return str(text).strip().lower() in MISSING_VALUES


def parse_seconds(
    text: str, what: str, line: int, path: str | PathLike[str] | None, *,
    allow_negative: bool = False,
) -> float:
    """A finite number of seconds read from ``text`` (decimal comma accepted).

    Raises
    ------
    PlmsInputError
        Not a number, or negative when ``allow_negative`` is False; the
        message names the line.

    >>> parse_seconds("2,5", "duration", 3, None)
    2.5
    """
    cleaned = str(text).strip().replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise PlmsInputError(f"line {line}: the {what} {text.strip()!r} is not a number", path=path)
    if value < 0 and not allow_negative:
        raise PlmsInputError(
            f"line {line}: the {what} {text.strip()!r} is negative", path=path
        )
    return value


def check_stage_rows(rows: Sequence[LineEvent], path: str | PathLike[str] | None) -> None:
    """Refuse stage rows that overlap with a different stage, naming both lines.

    Rows of the same stage may overlap (duplicates); a row without duration
    covers nothing beyond its onset here (the hypnogram builder gives it one
    epoch and checks it again).
    """
    stages = sorted(
        (r for r in rows if r.event.kind == "stage"), key=lambda r: (r.event.onset, r.line)
    )
    previous: LineEvent | None = None
    for row in stages:
        if previous is not None:
            end = previous.event.onset + (previous.event.duration or 0.0)
            if (row.event.onset < end - GRID_TOLERANCE_S
                    and row.event.detail != previous.event.detail):
                raise PlmsInputError(
                    f"line {row.line}: the {row.event.detail} epoch at {row.event.onset:g} s "
                    f"overlaps the {previous.event.detail} epoch of line {previous.line} "
                    f"({previous.event.onset:g}-{end:g} s)",
                    path=path,
                )
        if previous is None or row.event.onset + (row.event.duration or 0.0) >= (
            previous.event.onset + (previous.event.duration or 0.0)
        ):
            previous = row


def drop_before_start(rows: Sequence[LineEvent], where: str) -> tuple[list[LineEvent], list[str]]:
    """Rows that start at or after 0 s, and a warning counting the others.

    ``where`` describes the time origin (e.g. "the recording start").
    """
    kept = [r for r in rows if r.event.onset >= -GRID_TOLERANCE_S]
    dropped = len(rows) - len(kept)
    notes = []
    if dropped:
        first = min(r.line for r in rows if r.event.onset < -GRID_TOLERANCE_S)
        notes.append(
            f"{dropped} event(s) start before {where} and were ignored "
            f"(the first on line {first})"
        )
    return kept, notes
