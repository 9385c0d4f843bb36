"""A PSG channel read on demand, a stretch at a time, in bounded memory.

:class:`LazySamples` stands for the samples of one channel (µV, float32) as
:func:`plms.io.psg.edf.read_channel` would give them, without holding them:
``read(start, stop)`` reads just the data records that hold that stretch
(:func:`plms.io._edfformat.read_digital_range`) and scales them exactly as
the whole-channel reader does (the same float32 operations, so the values
are identical). Slicing (``samples[a:b]``, ``samples[::k]``) reads too.
A leg derived from two electrodes is the difference of two such channels.

The channels of one recording share a :class:`SignalColumns`: on the first
read, one pass over the data records copies the bytes of every signal they
need into a temporary file of its own (a few MB of records at a time), so
that each later stretch is one short read of that signal's bytes rather
than of every channel's records.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

import numpy as np
import numpy.typing as npt

from plms.io._edfformat import (
    READ_CHUNK_BYTES,
    EdfHeader,
    SignalHeader,
    decode_samples,
    read_digital_range,
    read_records,
)

#: Samples read at a time when a whole channel is scanned (4 MB of float32).
SCAN_CHUNK_SAMPLES = 1 << 20
#: A quick look at a whole channel (the flat-channel check) takes about this
#: many samples, evenly spaced (:func:`thinning_step`).
THINNED_SAMPLES = 200_000


def thinning_step(size: int) -> int:
    """The step of ``samples[::step]``, a quick look at a channel of ``size`` samples."""
    return max(1, size // THINNED_SAMPLES)


def _scratch_file() -> IO[bytes]:
    """A temporary file, deleted when closed (or when the process ends)."""
    return tempfile.TemporaryFile()


class SignalColumns:
    """The bytes of some signals of a file, each copied once into a temporary file of its own.

    The copy is made on the first :meth:`digital` call, in one pass over the
    data records (``READ_CHUNK_BYTES`` of records at a time): reading the
    legs and the ECG, again and again, then costs their own bytes, not those
    of every channel (a 20-channel PSG holds about ten times more). The
    temporary files hold the bytes as they are in the records (2 bytes a
    sample for EDF, 3 for BDF) and go when this object does. Thread-safe.

    Parameters
    ----------
    header : EdfHeader
    signals : sequence of SignalHeader
        The signals to copy (others are read from the records when asked).
    """

    def __init__(self, header: EdfHeader, signals: Sequence[SignalHeader]) -> None:
        self._header = header
        self._signals = {sig.byte_offset: sig for sig in signals}
        self._files: dict[int, IO[bytes]] | None = None
        self._lock = threading.Lock()

    def holds(self, signal: SignalHeader) -> bool:
        """Whether ``signal`` is one of those copied."""
        return signal.byte_offset in self._signals

    def _copy(self) -> dict[int, IO[bytes]]:
        header = self._header
        files: dict[int, IO[bytes]] = {}
        step = max(1, READ_CHUNK_BYTES // max(1, header.record_bytes))   # records at a time
        try:
            for offset in self._signals:
                files[offset] = _scratch_file()
            for first in range(0, header.n_records, step):
                rows = read_records(header, first, min(header.n_records, first + step))
                for offset, sig in self._signals.items():
                    n_bytes = sig.samples_per_record * header.sample_bytes
                    np.ascontiguousarray(rows[:, offset: offset + n_bytes]).tofile(files[offset])
            for fh in files.values():
                fh.flush()
        except BaseException:   # a cut file, a full disk, an interrupt: close what was made
            for fh in files.values():
                fh.close()
            raise
        return files

    def digital(self, signal: SignalHeader, start: int, stop: int) -> npt.NDArray[np.int32]:
        """The integers ``start:stop`` of ``signal`` (one it holds), clipped to its length."""
        header = self._header
        start, stop = max(0, start), min(stop, header.n_records * signal.samples_per_record)
        if stop <= start:
            return np.zeros(0, dtype=np.int32)
        width = header.sample_bytes
        with self._lock:
            if self._files is None:
                self._files = self._copy()
            fh = self._files[signal.byte_offset]
            fh.seek(start * width)
            raw = np.fromfile(fh, dtype=np.uint8, count=(stop - start) * width)
        return decode_samples(raw, width)


@dataclass(frozen=True)
class _Scaled:
    """One signal of a file and the factors that turn its integers into µV."""

    header: EdfHeader
    signal: SignalHeader
    scale: float
    gain: np.float32
    offset: np.float32
    columns: SignalColumns | None = None

    def digital(self, start: int, stop: int) -> npt.NDArray[np.int32]:
        """The integers ``start:stop`` of this signal (clipped to its length)."""
        if self.columns is not None and self.columns.holds(self.signal):
            return self.columns.digital(self.signal, start, stop)
        return read_digital_range(self.header, self.signal, start, stop)

    def read(self, start: int, stop: int) -> npt.NDArray[np.float32]:
        return self.scaled(self.digital(start, stop))

    def scaled(self, digital: npt.NDArray[np.int32]) -> npt.NDArray[np.float32]:
        """Integers of this signal in µV (elementwise: any selection of them scales alike)."""
        data = np.multiply(digital, self.gain, dtype=np.float32)
        data += self.offset
        return data

    def at_limits(self, data: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Samples (µV) within half a digital step of the physical minimum or maximum."""
        sig, scale = self.signal, self.scale
        low = min(sig.physical_min, sig.physical_max) * scale
        high = max(sig.physical_min, sig.physical_max) * scale
        half_step = abs(sig.gain) * scale / 2
        return (data <= low + half_step) | (data >= high - half_step)


class LazySamples:
    """The samples of one channel (µV, float32), read from the file when asked for.

    Parameters
    ----------
    header : EdfHeader
    signals : sequence of SignalHeader
        One signal, or two whose difference (first minus second) is the channel.
    scale : float
        Factor from the signals' physical unit to µV.
    columns : SignalColumns, optional
        Where the signals' bytes are read from when it holds them (else from
        the data records).
    """

    dtype = np.dtype(np.float32)
    ndim = 1

    def __init__(self, header: EdfHeader, signals: tuple[SignalHeader, ...],
                 scale: float, columns: SignalColumns | None = None) -> None:
        if len(signals) not in (1, 2):
            raise ValueError(f"a channel is one signal or the difference of two, "
                             f"got {len(signals)}")
        parts = []
        for sig in signals:
            gain, offset = sig.gain, sig.offset
            parts.append(_Scaled(header, sig, scale, np.float32(gain * scale),
                                 np.float32(offset * scale), columns))
        self._parts = tuple(parts)
        self.size = header.n_records * signals[0].samples_per_record
        self._thinned: npt.NDArray[np.float32] | None = None   # kept by clipped_count

    @property
    def shape(self) -> tuple[int]:
        """``(size,)``, as an array's."""
        return (self.size,)

    def __len__(self) -> int:
        return self.size

    def read(self, start: int, stop: int) -> npt.NDArray[np.float32]:
        """Samples ``start:stop`` (clipped to the channel), µV."""
        start, stop = max(0, int(start)), min(self.size, int(stop))
        if stop <= start:
            return np.zeros(0, dtype=np.float32)
        data = self._parts[0].read(start, stop)
        if len(self._parts) == 2:
            data = np.subtract(data, self._parts[1].read(start, stop), dtype=np.float32)
        return data

    def chunks(self, size: int = SCAN_CHUNK_SAMPLES
               ) -> Iterator[tuple[int, npt.NDArray[np.float32]]]:
        """``(first sample, samples)`` of consecutive stretches covering the channel."""
        for a in range(0, self.size, size):
            yield a, self.read(a, a + size)

    def __getitem__(self, key: slice) -> npt.NDArray[np.float32]:
        if not isinstance(key, slice):
            raise TypeError("LazySamples takes slices only")
        start, stop, step = key.indices(self.size)
        if step == 1:
            return self.read(start, stop)
        thinned, self._thinned = self._thinned, None   # handed out once, then freed
        if thinned is not None and (start, stop, step) == (0, self.size,
                                                            thinning_step(self.size)):
            return thinned
        if step < 1:
            raise ValueError("LazySamples takes forward slices only")
        picked = []
        span = max(step, SCAN_CHUNK_SAMPLES // step * step)   # whole steps per read
        for a in range(start, stop, span):
            picked.append(self.read(a, min(stop, a + span))[::step].copy())   # not a view
        return np.concatenate(picked) if picked else np.zeros(0, dtype=np.float32)

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
                  ) -> npt.NDArray[np.float32]:
        """All the samples at once (what the whole-recording functions take)."""
        data = self.read(0, self.size)
        return data if dtype is None else data.astype(dtype)

    def clipped_count(self) -> int:
        """Samples at the physical limits (read in chunks), as the whole-channel reader counts them.

        One signal: its integers at the digital minimum or maximum. Two: the
        samples where either electrode is within half a digital step of its
        physical minimum or maximum. The same pass keeps the quick look at
        the channel, ``samples[::thinning_step(size)]``, for the next such
        slice to take without reading the channel again.
        """
        total = 0
        step = thinning_step(self.size)
        picked = []
        for a in range(0, self.size, SCAN_CHUNK_SAMPLES):
            b = min(self.size, a + SCAN_CHUNK_SAMPLES)
            first = -a % step   # of this chunk's samples on the step
            if len(self._parts) == 1:
                part = self._parts[0]
                d = part.digital(a, b)
                total += int(np.count_nonzero((d <= part.signal.digital_min)
                                              | (d >= part.signal.digital_max)))
                picked.append(part.scaled(d[first::step]))
            else:
                hit = np.zeros(b - a, dtype=bool)
                data = []
                for part in self._parts:
                    data.append(part.read(a, b))
                    hit |= part.at_limits(data[-1])
                total += int(np.count_nonzero(hit))
                picked.append(np.subtract(data[0][first::step], data[1][first::step],
                                          dtype=np.float32))
        self._thinned = np.concatenate(picked) if picked else None
        return total
