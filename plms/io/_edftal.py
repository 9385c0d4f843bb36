"""The time-keeping annotations of EDF+/BDF+ data records: each record's start.

An EDF+ annotation signal opens every data record with a time-keeping TAL
(``+onset\x14\x14``): the record's start in seconds from the recording start.
The records are read with :func:`plms.io._edfformat.read_records`.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from plms.errors import PlmsInputError
from plms.io._edfformat import READ_CHUNK_BYTES, EdfHeader, SignalHeader, read_records

#: The time-keeping TAL that opens every data record: onset and an empty text.
_TIMEKEEPING = re.compile(rb"([+-]\d+(?:\.\d*)?)\x14\x14")


def read_annotation_bytes(
    header: EdfHeader, signal: SignalHeader, n_records: int | None = None
) -> npt.NDArray[np.uint8]:
    """The raw bytes of an annotation signal, one row per data record.

    Only the first ``n_records`` records are read when given.
    """
    rows = header.n_records if n_records is None else min(n_records, header.n_records)
    n_bytes = signal.samples_per_record * header.sample_bytes
    cols = np.empty((rows, n_bytes), dtype=np.uint8)
    step = max(1, READ_CHUNK_BYTES // header.record_bytes)   # records read at a time
    for first in range(0, rows, step):
        last = min(rows, first + step)
        cols[first:last] = read_records(header, first, last)[
            :, signal.byte_offset: signal.byte_offset + n_bytes]
    return cols


def record_onsets(rows: npt.NDArray[np.uint8], header: EdfHeader) -> npt.NDArray[np.float64]:
    """Start time of every data record from the time-keeping annotation signal.

    Raises
    ------
    PlmsInputError
        A data record does not begin with a time-keeping TAL.
    """
    blob = rows.tobytes()
    width = rows.shape[1]
    onsets = np.empty(rows.shape[0], dtype=float)
    for k in range(rows.shape[0]):
        match = _TIMEKEEPING.match(blob, k * width)
        if match is None:
            raise PlmsInputError(
                f"the {header.file_type} annotation signal is corrupt: data record {k + 1} "
                "does not start with its time-keeping annotation",
                path=header.path,
            )
        onsets[k] = float(match.group(1))
    return onsets


def first_record_onset(rows: npt.NDArray[np.uint8]) -> float | None:
    """Start of the first data record (the sub-second start), None if unreadable."""
    match = _TIMEKEEPING.match(rows[0].tobytes())
    return float(match.group(1)) if match else None
