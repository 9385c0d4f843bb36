"""Mutations of valid files and the one rule every reader must keep under them.

Used by ``tests/test_fuzz_readers.py``. A mutation is a small list of edits
(truncate, flip bytes, insert bytes, overwrite a header field with a hostile
number, re-encode text) applied to the bytes of a valid seed file. The rule:
a reader either returns or raises one :class:`~plms.errors.PlmsInputError`
naming the file; it never raises anything else, never runs longer than
:data:`TIME_LIMIT_S` and never allocates more than :data:`MEMORY_LIMIT_BYTES`
(traced by :mod:`tracemalloc`, which numpy reports its arrays to).
"""

from __future__ import annotations

import signal
import threading
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from plms.errors import PlmsInputError

#: Wall-clock limit of one read: far above the ~50 ms a seed file takes.
TIME_LIMIT_S = 20.0
#: Peak traced allocation allowed for one read of a seed file (a few kB of data).
MEMORY_LIMIT_BYTES = 64 * 2**20

#: Numbers a hostile or broken header field may hold (as text).
HOSTILE_NUMBERS = (
    "-1", "0", "-0", "1", "99999999", "9999", "-9999999", "1e308", "-1e308", "1e-300",
    "nan", "NaN", "inf", "-inf", "+5", "0x10", "1,5", "", " ", "abc", "1e9", "2147483648",
    "\u00b5", "--", "1.5.2", "\x00\x00",
)


class ReaderTimeout(BaseException):
    """A reader ran longer than :data:`TIME_LIMIT_S` (a hang).

    A BaseException, so that a reader's ``except Exception`` (which turns
    library failures into PlmsInputError) cannot swallow it.
    """


def _on_alarm(signum: int, frame: Any) -> None:
    raise ReaderTimeout(f"the reader ran longer than {TIME_LIMIT_S:g} s")


def must_read_or_refuse(read: Callable[[Path], object], path: Path) -> object | None:
    """Call ``read(path)``; pass if it returns or refuses with one PlmsInputError naming ``path``.

    Returns the result, or None when the file was refused. Any other
    exception propagates (and fails the example); so do a hang (SIGALRM,
    where available) and an allocation over :data:`MEMORY_LIMIT_BYTES`.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    use_alarm = hasattr(signal, "setitimer") and main_thread
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = read(path)
    except PlmsInputError as exc:
        message = str(exc)
        if path.name not in message:
            raise AssertionError(
                f"the error does not name the file {path.name!r}: {message!r}") from exc
        if "\n" in message or "Traceback" in message:
            raise AssertionError(f"the error is not one sentence: {message!r}") from exc
        return None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if peak > MEMORY_LIMIT_BYTES:
            raise AssertionError(f"the reader allocated {peak / 2**20:.0f} MB for {path.name}")
    return result


# -- mutations -----------------------------------------------------------------

Edit = tuple[str, int, Any]


def apply_edits(raw: bytes, edits: Sequence[Edit], fields: Sequence[tuple[int, int]] = ()) -> bytes:
    """Apply ``edits`` in order; positions are taken modulo the current length.

    ``("truncate", pos, _)`` cuts the file at ``pos``; ``("flip", pos, mask)``
    XORs a byte; ``("set", pos, byte)`` sets one; ``("insert", pos, chunk)``
    inserts bytes; ``("field", k, text)`` overwrites header field ``k`` of
    ``fields`` (offset, width) with ``text``, space padded; ``("repeat", pos,
    n)`` repeats the byte at ``pos`` ``n`` times.
    """
    data = bytearray(raw)
    for op, pos, arg in edits:
        if op == "field" and fields:
            start, width = fields[pos % len(fields)]
            if start + width <= len(data):
                text = arg.encode("latin-1", errors="replace")[:width].ljust(width, b" ")
                data[start:start + width] = text
            continue
        if not data:
            if op == "insert":
                data += arg
            continue
        where = pos % (len(data) + (op in ("truncate", "insert")))
        if op == "truncate":
            del data[where:]
        elif op == "flip":
            data[where] ^= arg
        elif op == "set":
            data[where] = arg
        elif op == "insert":
            data[where:where] = arg
        elif op == "repeat":
            data[where:where + 1] = bytes([data[where]]) * arg
    return bytes(data)


_POS = st.integers(min_value=0, max_value=2**20)
EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("truncate"), _POS, st.none()),
        st.tuples(st.just("flip"), _POS, st.integers(1, 255)),
        st.tuples(st.just("set"), _POS, st.sampled_from((0, 0x14, 0x15, 0x2B, 0x2D, 0x0A, 0x3C,
                                                         0xB5, 0xFF, 0x22, 0x09, 0x2C))),
        st.tuples(st.just("insert"), _POS, st.binary(min_size=1, max_size=16)),
        st.tuples(st.just("field"), _POS, st.sampled_from(HOSTILE_NUMBERS)),
        st.tuples(st.just("repeat"), _POS, st.integers(2, 64)),
    ),
    min_size=1, max_size=6,
)

#: Ways a text file arrives in the wrong clothes.
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "utf-16", "utf-16-le", "utf-16-be", "cp1252")


def encode_text(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding``; characters it cannot hold become ``?``."""
    return text.encode(encoding, errors="replace")
