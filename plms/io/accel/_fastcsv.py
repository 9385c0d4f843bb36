"""ISO timestamps at the start of every line of a CSV, decoded from the bytes in numpy.

An accelerometer export holds millions of lines such as
``2024-01-01T22:30:00.010,0.820312,-0.582031,-0.218750``. pandas' C parser
reads the numbers quickly, but a text column becomes millions of Python
strings before ``pandas.to_datetime`` parses them: most of the time of
reading such a file. When the timestamps have one fixed width
(``YYYY-MM-DDTHH:MM:SS[.f...]``, ``T`` or a space, up to 6 decimals, no
time zone) and open every line, :func:`line_start_timestamps` decodes them
from the file's bytes instead: the same instants, in a fraction of the
time. Anything else (another layout, a malformed or out-of-range date, a
blank line inside the data...) gives ``None``, and the caller reads the
column with pandas as before, so its messages are unchanged.

>>> import tempfile, os
>>> f = os.path.join(tempfile.mkdtemp(), "a.csv")
>>> _ = open(f, "w").write("t,x\\n2024-02-29T23:59:59.5,1\\n2024-03-01 00:00:00.0,2\\n")
>>> line_start_timestamps(f, header_line=0, sep=",", n_columns=2).tolist()
[1709251199500000000, 1709251200000000000]
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import numpy.typing as npt

#: Bytes of the file scanned for line ends at a time.
SCAN_CHUNK_BYTES = 1 << 24
#: The column header and the first data line lie in this many bytes, or are not looked for.
HEAD_BYTES = 1 << 16
#: Lines decoded at a time.
DECODE_CHUNK_LINES = 1 << 16
#: Bytes fetched by one gather of a 64-bit word.
WORD_BYTES = 8
#: Length of ``YYYY-MM-DDTHH:MM:SS``, and the most decimals of the seconds taken.
WHOLE_SECONDS_WIDTH = 19
MAX_DECIMALS = 6
#: Years decoded here (the instants fit int64 nanoseconds with room to spare).
YEARS = (1700, 2200)
#: Positions of the digits and of the fixed characters of ``YYYY-MM-DDTHH:MM:SS``.
_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)
_FIXED = {4: b"-", 7: b"-", 10: b"T ", 13: b":", 16: b":"}
_NEWLINE, _RETURN = ord("\n"), ord("\r")
_ZERO = ord("0")
NS_PER_S = 1_000_000_000
S_PER_DAY = 86_400
#: Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar.
_EPOCH_DAYS = 719_468
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _line_starts(data: npt.NDArray[np.uint8], header_line: int) -> npt.NDArray[np.int64] | None:
    """Offsets of the lines after line ``header_line`` (0-based), blank lines left out."""
    ends = [np.flatnonzero(data[at: at + SCAN_CHUNK_BYTES] == _NEWLINE) + at
            for at in range(0, data.size, SCAN_CHUNK_BYTES)]
    newlines = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    if newlines.size <= header_line:
        return None
    starts = newlines[header_line:] + 1
    starts = starts[starts < data.size]
    first = data[starts]
    return starts[(first != _NEWLINE) & (first != _RETURN)]


def _first_width(data: npt.NDArray[np.uint8], header_line: int, sep: str) -> int | None:
    """Width of the first data line's timestamp when it is one decoded here, else None."""
    head = bytes(data[:HEAD_BYTES])
    at = 0
    for _ in range(header_line + 1):
        at = head.find(b"\n", at) + 1
        if at == 0:
            return None
    line = head[at: at + WHOLE_SECONDS_WIDTH + MAX_DECIMALS + 2]
    width = line.find(sep.encode())
    if not (width == WHOLE_SECONDS_WIDTH
            or WHOLE_SECONDS_WIDTH + 2 <= width <= WHOLE_SECONDS_WIDTH + 1 + MAX_DECIMALS):
        return None
    chars = np.frombuffer(line[: width + 1], dtype=np.uint8)[None, :]
    return width if _decode(chars, width) is not None else None


def _days_from_civil(year: npt.NDArray[np.int64], month: npt.NDArray[np.int64],
                     day: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - _EPOCH_DAYS


def _decode(chars: npt.NDArray[np.uint8], width: int) -> npt.NDArray[np.int64] | None:
    """Nanoseconds since 1970 of each row of ``chars`` (one timestamp per row), or None."""
    for pos, allowed in _FIXED.items():
        column = chars[:, pos]
        ok = column == allowed[0]
        for other in allowed[1:]:
            ok |= column == other
        if not ok.all():
            return None
    decimals = width - WHOLE_SECONDS_WIDTH - 1
    positions = list(_DIGITS)
    if decimals > 0:
        if not (chars[:, WHOLE_SECONDS_WIDTH] == ord(".")).all():
            return None
        positions += range(WHOLE_SECONDS_WIDTH + 1, width)
    digits = chars[:, positions] - np.uint8(_ZERO)   # wraps below "0" to above 9
    if (digits > 9).any():
        return None
    def number(first: int, count: int) -> npt.NDArray[np.int64]:
        value = digits[:, first].astype(np.int64)
        for k in range(first + 1, first + count):
            value *= 10
            value += digits[:, k]
        return value

    year, month, day = number(0, 4), number(4, 2), number(6, 2)
    hour, minute, second = number(8, 2), number(10, 2), number(12, 2)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    days_in = _DAYS_IN_MONTH[np.where(month_ok, month, 1)] + (leap & (month == 2))
    valid = (month_ok & (year >= YEARS[0]) & (year <= YEARS[1]) & (day >= 1) & (day <= days_in)
             & (hour <= 23) & (minute <= 59) & (second <= 59))
    if not valid.all():
        return None
    seconds = (_days_from_civil(year, month, day) * S_PER_DAY
               + hour * 3600 + minute * 60 + second)
    ns = seconds * NS_PER_S
    if decimals > 0:
        ns += number(len(_DIGITS), decimals) * 10 ** (9 - decimals)
    return ns


def line_start_timestamps(path: str | PathLike[str], *, header_line: int, sep: str,
                          n_columns: int) -> npt.NDArray[np.int64] | None:
    """Nanoseconds since 1970 of the timestamp opening each data line, or None.

    Parameters
    ----------
    path : path-like
        The CSV file.
    header_line : int
        Line (0-based) of the column header; the data lines follow it (blank
        lines are left out, as pandas does).
    sep : str
        The field separator, which must follow every timestamp.
    n_columns : int
        Columns of the header: every data line must have exactly as many
        fields (``n_columns - 1`` separators), or None is returned.

    Returns
    -------
    array of int64 or None
        None when the lines do not all open with a timestamp of one fixed
        width that this decoder reads (see the module docstring), or do not
        all have ``n_columns`` fields.
    """
    if len(sep) != 1 or not sep.isascii():
        return None
    data = np.memmap(path, dtype=np.uint8, mode="r")
    width = _first_width(data, header_line, sep)
    if width is None:
        return None
    starts = _line_starts(data, header_line)
    n_words = -(-(width + 1) // WORD_BYTES)
    if starts is None or starts.size == 0 or int(starts[-1]) + WORD_BYTES * n_words > data.size:
        return None
    # every byte offset of the file as the start of an 8-byte word: a few gathers fetch
    # the (at most 32) bytes of each line's timestamp
    words = np.ndarray((data.size - WORD_BYTES + 1,), dtype="<u8", buffer=data, strides=(1,))
    separator = np.uint8(ord(sep))
    out = np.empty(starts.size, dtype=np.int64)
    for at in range(0, starts.size, DECODE_CHUNK_LINES):
        begin = starts[at: at + DECODE_CHUNK_LINES]
        chars = np.stack([words[begin + WORD_BYTES * k] for k in range(n_words)],
                         axis=1).view(np.uint8)
        if not (chars[:, width] == separator).all():
            return None
        ns = _decode(chars, width)
        if ns is None:
            return None
        out[at: at + DECODE_CHUNK_LINES] = ns
        # the separators of each line (a blank line between two adds none)
        stop = int(starts[at + DECODE_CHUNK_LINES]) if at + DECODE_CHUNK_LINES < starts.size \
            else data.size
        region = np.asarray(data[int(begin[0]): stop]) == separator
        fields = np.add.reduceat(region, begin - begin[0], dtype=np.int64) + 1
        if not (fields == n_columns).all():
            return None
    return out
