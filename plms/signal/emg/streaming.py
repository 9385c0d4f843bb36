"""A leg's full-rate stage in one pass over its samples, read a stretch at a time (issue 15).

:func:`condition_signal` is the one implementation of the conditioning of a
leg (:func:`plms.signal.emg.detect.condition_leg` calls it on an array): the
mains frequency from a few one-second segments, then, chunk after chunk of
the band-passed signal, the rectified sums per 100-Hz bin (handed to a
callback: kept in memory, or written to a temporary file by
:func:`stream_leg`), the 1-s levels of the detached-electrode test and the
mains amplitude of every 2-s block; the stretches where the electrode is off
are decided from those small arrays at the end. Only a chunk of samples is
held at a time when the signal is read on demand
(:class:`~plms.signal.emg.conditioning.Samples`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import IO

import numpy as np
import numpy.typing as npt

from plms.rules import Rules
from plms.signal.emg.artifacts import (
    block_levels,
    MainsBlocks,
    combine_off_intervals,
    detached_level_intervals,
    mains_off_intervals,
    one_blas_thread,
)
from plms.signal.emg.chunked import Sink, scratch_file
from plms.signal.emg.conditioning import (
    ENVELOPE_RATE_HZ,
    Signal,
    bin_counts,
    count_bins,
    choose_band,
    design_fir,
    detect_mains,
    iter_binned,
    take,
)
from plms.signal.emg.settings import DetectorSettings

#: Bytes of a float32.
FLOAT32_BYTES = 4

#: Receives ``(first bin, sums, counts)`` of consecutive chunks of bins.
BinCallback = Callable[[int, npt.NDArray[np.float32], npt.NDArray[np.float32]], None]


@dataclass(frozen=True, eq=False)
class Conditioning:
    """What :func:`condition_signal` found besides the bins it handed on."""

    n_bins: int
    rate_hz: float
    mains_hz: float | None
    electrode_off: npt.NDArray[np.float64]
    """(onset, offset) rows in seconds."""
    mean_count: float
    """Mean samples per bin."""


def condition_signal(x: Signal, fs: float, *, rules: Rules, settings: DetectorSettings,
                     keep: BinCallback) -> Conditioning:
    """Filter, rectify and bin one leg's EMG (bins to ``keep``); find a detached electrode.

    ``rules`` gives the onset threshold a detached stretch must exceed
    (:class:`~plms.signal.emg.artifacts.DetachedSettings`).
    """
    mains = detect_mains(x, fs)
    rate = ENVELOPE_RATE_HZ
    n_bins = count_bins(x.size, fs, rate)
    levels_wanted = settings.exclude_electrode_off and settings.detached.enabled
    per_block = max(1, int(round(settings.detached.block_s * rate)))
    levels: list[npt.NDArray[np.float64]] = []
    carry = (np.zeros(0, np.float32), np.zeros(0, np.float32))
    total = 0.0
    # the mains test measures the samples the filtering reads, as they are read (one pass)
    blocks = MainsBlocks(x.size, fs) if settings.exclude_electrode_off else None
    passed = x if blocks is None else _Tee(x, blocks)
    taps = design_fir(choose_band(fs, mains))
    with nullcontext() if blocks is None else one_blas_thread():
        for k0, sums, counts in iter_binned(passed, fs, taps, rate):
            keep(k0, sums, counts)
            total += float(np.sum(counts, dtype=np.float64))   # whole numbers: exact
            if levels_wanted:
                s, c = np.concatenate([carry[0], sums]), np.concatenate([carry[1], counts])
                whole = s.size // per_block * per_block
                levels.append(block_levels(s[:whole], c[:whole], per_block))
                carry = (s[whole:], c[whole:])
        if blocks is not None:
            blocks.feed(take(x, blocks.fed, x.size))   # what the filtering did not read, if any
    off_iv = np.zeros((0, 2))
    if blocks is not None:
        off_iv = mains_off_intervals(*blocks.result(), x.size / fs)
        if levels_wanted:
            level_iv = detached_level_intervals(
                np.concatenate(levels) if levels else np.zeros(0), settings.detached, rules)
            off_iv = combine_off_intervals(off_iv, level_iv)
    return Conditioning(n_bins, rate, mains, off_iv, total / n_bins if n_bins else 1.0)


class _Tee:
    """A signal (a ``Samples``) whose samples are also handed to a :class:`MainsBlocks`.

    Reads must move forward (each starting at or before the end of the last
    one), as :func:`~plms.signal.emg.conditioning.iter_binned` reads; the
    samples beyond those fed so far go to ``blocks``, each once, in order.
    """

    def __init__(self, x: Signal, blocks: MainsBlocks) -> None:
        self._x = x
        self._blocks = blocks
        self.size = int(x.size)

    def read(self, start: int, stop: int) -> npt.NDArray[np.float32]:
        """Samples ``start:stop``, float32 (the unseen ones fed to the mains test)."""
        fed = self._blocks.fed
        if start > fed:
            raise ValueError(f"read from sample {start} skips samples {fed}:{start}")
        data = take(self._x, start, stop)
        if start + data.size > fed:
            self._blocks.feed(data[fed - start:])
        return data


@dataclass(frozen=True, eq=False)
class FileBins:
    """Rectified sums per bin kept in a temporary file (a ``chunked.BinSource``).

    The counts (every sample valid before the heart beats are gated) follow
    from the bin edges. Read with a seek and a read, no memory map.
    """

    file: IO[bytes]
    n_bins: int
    fs: float
    rate_hz: float

    def read(self, start: int, stop: int
             ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """Sums and counts of bins ``start:stop``."""
        start, stop = max(0, start), min(self.n_bins, stop)
        self.file.seek(start * FLOAT32_BYTES)
        sums = np.fromfile(self.file, dtype=np.float32, count=max(0, stop - start))
        return sums, bin_counts(start, stop, self.fs, self.rate_hz)


@dataclass(frozen=True, eq=False)
class StreamedLeg:
    """One leg after conditioning, its bins in a temporary file (see ``ConditionedLeg``)."""

    bins: FileBins
    rate_hz: float
    mains_hz: float | None
    electrode_off: npt.NDArray[np.float64]
    mean_count: float


def stream_leg(x: Signal, fs: float, *, rules: Rules, settings: DetectorSettings
               ) -> StreamedLeg:
    """:func:`condition_signal` with the bins written to a temporary file (deleted with it)."""
    file = scratch_file()

    def keep(k0: int, sums: npt.NDArray[np.float32], counts: npt.NDArray[np.float32]) -> None:
        del k0, counts   # written in order; the counts follow from the bin edges
        sums.astype(np.float32, copy=False).tofile(file)

    found = condition_signal(x, fs, rules=rules, settings=settings, keep=keep)
    file.flush()
    return StreamedLeg(FileBins(file, found.n_bins, fs, found.rate_hz), found.rate_hz,
                       found.mains_hz, found.electrode_off, found.mean_count)


def file_sink(n_bins: int) -> Sink:
    """A sink that writes the envelope and baseline to temporary files, returned memory-mapped.

    Only the stretches looked at later (a plot) are then read into memory.
    """
    files = (scratch_file(), scratch_file())

    def sink(env: npt.NDArray[np.float32] | None, base: npt.NDArray[np.float32] | None
             ) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]] | None:
        if env is not None and base is not None:
            env.tofile(files[0])
            base.tofile(files[1])
            return None
        out = []
        for fh in files:
            fh.flush()
            out.append(np.memmap(fh, dtype=np.float32, mode="r", shape=(n_bins,))
                       if n_bins else np.zeros(0, np.float32))
        return out[0], out[1]

    return sink
