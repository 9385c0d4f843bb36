"""Signal conditioning of leg EMG: band-pass, mains, cardiac gating, envelope, baseline.

The conditioning uses numpy only. ``scipy.signal`` would design and apply the
filters equally well, but importing it costs ~0.65 s, more than half of the
1-s budget for scoring a whole night (measured on the CI machine); the
filters here are a windowed (Kaiser) FIR band-pass with mains notches applied by
FFT overlap-save, zero phase, in float32.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]
_Float = TypeVar("_Float", bound=np.floating)


@runtime_checkable
class Samples(Protocol):
    """A channel's samples read a stretch at a time (e.g. :class:`plms.io.psg.lazy.LazySamples`)."""

    @property
    def size(self) -> int:
        """Number of samples."""
        ...

    def read(self, start: int, stop: int) -> npt.NDArray[np.float32]:
        """Samples ``start:stop``, float32."""
        ...


#: A signal held in memory or read a stretch at a time.
Signal = FloatArray | Samples


def take(x: Signal, start: int, stop: int) -> npt.NDArray[np.float32]:
    """Samples ``start:stop`` of ``x`` (clipped to it), float32."""
    if isinstance(x, Samples):
        return x.read(max(0, start), min(x.size, stop))
    return np.asarray(x[max(0, start): max(0, stop)], dtype=np.float32)

#: AASM pass band for leg EMG (RULES.md section 1).
EMG_BAND_HZ = (10.0, 100.0)
#: The upper band edge never exceeds this share of the Nyquist frequency.
MAX_HIGH_FRACTION_OF_NYQUIST = 0.9
#: FIR length in seconds; with the Kaiser window below the transition is about
#: 5 Hz wide and the stop band below -80 dB, so that the ringing of a 1-mV
#: electrode pop stays far under the 2-µV offset threshold.
FIR_LENGTH_S = 1.0
KAISER_BETA = 8.0
#: Half-width of each mains notch in the FIR design, Hz: the window widens every
#: edge by ~2.7 Hz, so a narrower notch would not be deep (+-3 Hz: over 80 dB).
NOTCH_HALF_WIDTH_HZ = 3.0
#: Mains frequencies looked for, and the harmonics notched with them.
MAINS_CANDIDATES_HZ = (50.0, 60.0)
MAX_MAINS_HARMONIC = 2
#: Mains is "present" when its spectral peak stands this far above its neighbourhood.
MAINS_PEAK_RATIO = 4.0
#: The peak is the largest power within this of the candidate, Hz; its
#: neighbourhood the median power between the two offsets from it, Hz.
MAINS_PEAK_HALF_WIDTH_HZ = 1.0
MAINS_AROUND_HZ = (2.0, 6.0)
#: Length of the FFT blocks of overlap-save filtering (samples, power of two).
OLA_BLOCK = 8192
#: Rate of the amplitude envelope every rule is applied on.
ENVELOPE_RATE_HZ = 100.0
#: Valid-sample counts are whole numbers: a window holds fewer than another when
#: its count is below the other's minus this (float32 sums carry no fraction).
WHOLE_COUNT_TOLERANCE = 0.5
#: Envelope bins filtered at a time (about 11 min at 100 Hz).
CHUNK_BINS = 1 << 16


@dataclass(frozen=True)
class Band:
    """The band-pass and notches applied to one channel."""

    fs: float
    low_hz: float
    high_hz: float
    notches_hz: tuple[float, ...]


def choose_band(fs: float, mains_hz: float | None) -> Band:
    """The EMG band for a sampling rate, with notches at mains and its harmonics.

    Examples
    --------
    >>> choose_band(512.0, 50.0)
    Band(fs=512.0, low_hz=10.0, high_hz=100.0, notches_hz=(50.0, 100.0))
    >>> choose_band(128.0, 60.0).high_hz
    57.6
    """
    high = min(EMG_BAND_HZ[1], MAX_HIGH_FRACTION_OF_NYQUIST * fs / 2.0)
    notches: tuple[float, ...] = ()
    if mains_hz is not None:
        notches = tuple(
            k * mains_hz for k in range(1, MAX_MAINS_HARMONIC + 1)
            if k * mains_hz <= high + NOTCH_HALF_WIDTH_HZ
        )
    return Band(fs=float(fs), low_hz=EMG_BAND_HZ[0], high_hz=round(high, 6), notches_hz=notches)


def design_fir(band: Band) -> npt.NDArray[np.float32]:
    """Zero-phase FIR taps with the band's magnitude response (frequency sampling).

    The desired response (1 in the pass band, 0 elsewhere and in the notches)
    is sampled on a fine grid, turned into an impulse response and windowed
    with a Kaiser window.
    """
    n_taps = int(round(FIR_LENGTH_S * band.fs)) | 1
    n_fft = 1 << int(np.ceil(np.log2(8 * n_taps)))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / band.fs)
    desired = ((freqs >= band.low_hz) & (freqs <= band.high_hz)).astype(float)
    for f0 in band.notches_hz:
        desired[np.abs(freqs - f0) <= NOTCH_HALF_WIDTH_HZ] = 0.0
    impulse = np.fft.irfft(desired, n_fft)
    half = n_taps // 2
    taps = np.concatenate([impulse[-half:], impulse[: half + 1]]) * np.kaiser(n_taps, KAISER_BETA)
    return taps.astype(np.float32)


def fir_filter(x: FloatArray, taps: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Zero-phase filtering of ``x`` with symmetric ``taps`` by FFT overlap-save.

    The output has the length of ``x``; the delay of the linear-phase FIR is
    removed, the ends are zero-padded. ``x`` is not modified.
    """
    x = np.asarray(x, dtype=np.float32)
    n, n_taps = x.size, taps.size
    if n == 0:
        return x.copy()
    block = max(OLA_BLOCK, 1 << int(np.ceil(np.log2(4 * n_taps))))
    step = block - n_taps + 1
    half = n_taps // 2
    n_blocks = -(-(n + half) // step)
    padded = np.zeros(n_blocks * step + block, dtype=np.float32)
    padded[n_taps - 1 : n_taps - 1 + n] = x
    frames = np.lib.stride_tricks.sliding_window_view(padded, block)[::step][:n_blocks]
    spectrum = np.fft.rfft(taps, block).astype(np.complex64)
    out = np.fft.irfft(np.fft.rfft(frames, axis=1) * spectrum, block, axis=1)[:, n_taps - 1 :]
    return out.reshape(-1)[half : half + n].astype(np.float32, copy=False)


def detect_mains(x: Signal, fs: float, *, n_segments: int = 64) -> float | None:
    """The mains frequency (50 or 60 Hz) present in ``x``, or None.

    Averages the power spectrum of up to ``n_segments`` one-second segments
    spread over the signal and compares each candidate's peak with the
    spectrum around it.
    """
    seg = int(fs)
    if x.size < seg or fs / 2 <= min(MAINS_CANDIDATES_HZ) + 2:
        return None
    starts = np.linspace(0, x.size - seg, min(n_segments, x.size // seg)).astype(int)
    frames = np.stack([take(x, int(s), int(s) + seg) for s in starts]).astype(np.float64)
    frames -= frames.mean(axis=1, keepdims=True)
    power = (np.abs(np.fft.rfft(frames * np.hanning(seg), axis=1)) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(seg, 1.0 / fs)
    best, best_ratio = None, MAINS_PEAK_RATIO
    for f0 in MAINS_CANDIDATES_HZ:
        if f0 >= fs / 2 - 2:
            continue
        off = np.abs(freqs - f0)
        peak = power[off <= MAINS_PEAK_HALF_WIDTH_HZ].max()
        around = power[(off > MAINS_AROUND_HZ[0]) & (off <= MAINS_AROUND_HZ[1])]
        ratio = peak / max(float(np.median(around)), np.finfo(float).tiny)
        if ratio > best_ratio:
            best, best_ratio = f0, ratio
    return best


def bin_edges(n_samples: int, fs: float,
              rate_hz: float = ENVELOPE_RATE_HZ) -> npt.NDArray[np.int64]:
    """First sample of every envelope bin (bins of 1/rate_hz seconds)."""
    n_bins = int(np.floor(n_samples * rate_hz / fs))
    return np.floor(np.arange(n_bins) * fs / rate_hz).astype(np.int64)


def _sum_bins(y: FloatArray, starts: npt.NDArray[np.int64], end: int,
              valid: npt.NDArray[np.bool_] | None) -> tuple[npt.NDArray[np.float32],
                                                             npt.NDArray[np.float32]]:
    """Sums of |y[starts[i]:starts[i+1]]| (last bin to ``end``) and valid-sample counts."""
    rect = np.abs(y[:end])
    if valid is None:
        sums = np.add.reduceat(rect, starts)
        counts = np.diff(np.r_[starts, end])
    else:
        v = valid[:end]
        sums = np.add.reduceat(np.where(v, rect, 0.0), starts)
        counts = np.add.reduceat(v.astype(np.float32), starts)
    return sums.astype(np.float32), counts.astype(np.float32)


def binned_rectified(
    y: FloatArray, fs: float, valid: npt.NDArray[np.bool_] | None = None,
    rate_hz: float = ENVELOPE_RATE_HZ, taps: npt.NDArray[np.float32] | None = None,
    chunk_bins: int = CHUNK_BINS,
) -> tuple[FloatArray, FloatArray]:
    """Sums of |y| and valid-sample counts per envelope bin (float32; empty: float64).

    With ``taps``, ``y`` is first filtered with them (zero phase), chunk by
    chunk with margins of half the filter on each side, which gives exactly
    the result of filtering the whole signal while the temporaries stay small
    (a few MB instead of several times the signal).
    """
    starts = bin_edges(y.size, fs, rate_hz)
    n_bins = starts.size
    if n_bins == 0:
        return np.zeros(0), np.zeros(0)
    end = int(np.floor(n_bins * fs / rate_hz))
    if taps is None:
        return _sum_bins(y, starts, end, valid)
    # float32: a bin sums a handful of samples; exact counts up to 2**24
    sums, counts = np.empty(n_bins, np.float32), np.empty(n_bins, np.float32)
    for k0, part_sums, part_counts in iter_binned(y, fs, taps, rate_hz, chunk_bins, valid):
        sums[k0: k0 + part_sums.size], counts[k0: k0 + part_sums.size] = part_sums, part_counts
    return sums, counts


def iter_binned(
    y: Signal, fs: float, taps: npt.NDArray[np.float32], rate_hz: float = ENVELOPE_RATE_HZ,
    chunk_bins: int = CHUNK_BINS, valid: npt.NDArray[np.bool_] | None = None,
) -> Iterator[tuple[int, npt.NDArray[np.float32], npt.NDArray[np.float32]]]:
    """``(first bin, sums, counts)`` of :func:`binned_rectified` (with ``taps``), chunk by chunk.

    ``y`` may be read a stretch at a time (:class:`Samples`): the chunks are
    filtered with margins of half the filter, so the figures are those of
    filtering the whole signal, while only a chunk is held.
    """
    n_bins = count_bins(y.size, fs, rate_hz)
    end = int(np.floor(n_bins * fs / rate_hz))
    half = taps.size // 2
    for k0 in range(0, n_bins, chunk_bins):
        k1 = min(n_bins, k0 + chunk_bins)
        # the edges of these bins only, as bin_edges gives them (a night's would be 100s of MB)
        starts = np.floor(np.arange(k0, k1) * fs / rate_hz).astype(np.int64)
        a = int(starts[0])
        b = int(np.floor(np.arange(k1, k1 + 1) * fs / rate_hz)[0]) if k1 < n_bins else end
        lo, hi = max(0, a - half), min(y.size, b + half)
        seg = fir_filter(take(y, lo, hi), taps)[a - lo : b - lo]
        part_sums, part_counts = _sum_bins(
            seg, starts - a, b - a, None if valid is None else valid[a:b])
        yield k0, part_sums, part_counts


def count_bins(n_samples: int, fs: float, rate_hz: float = ENVELOPE_RATE_HZ) -> int:
    """Number of envelope bins of ``n_samples`` samples (:func:`bin_edges`)."""
    return int(np.floor(n_samples * rate_hz / fs))


def bin_counts(start: int, stop: int, fs: float,
               rate_hz: float = ENVELOPE_RATE_HZ) -> npt.NDArray[np.float32]:
    """Samples in bins ``start:stop`` (:func:`bin_edges`), as :func:`binned_rectified` has them."""
    edges = np.floor(np.arange(start, stop + 1) * fs / rate_hz).astype(np.int64)
    return np.diff(edges).astype(np.float32)


def window_sums(x: npt.NDArray[np.floating], width: int) -> npt.NDArray[np.float64]:
    """Sums of every ``width`` consecutive values: ``out[i] = x[i:i + width].sum()``.

    Each sum is built from sums of 1, 2, 4... neighbours (the binary digits of
    ``width``) in an order that depends on the values it covers only, not on
    where they lie in ``x``: the sums over a stretch cut out of a longer
    signal are bit for bit those over the whole signal (unlike differences of
    a running sum), which lets a recording be processed in chunks.

    Examples
    --------
    >>> window_sums(np.arange(6.0), 3).tolist()
    [3.0, 6.0, 9.0, 12.0]
    """
    level = np.asarray(x, dtype=np.float64)
    n_out = level.size - width + 1
    if width < 1 or n_out < 1:
        return np.zeros(max(n_out, 0))
    out: npt.NDArray[np.float64] | None = None
    pos, size, rest = 0, 1, width
    while rest:
        if rest & 1:
            part = level[pos: pos + n_out]
            out = part.copy() if out is None else np.add(out, part, out=out)
            pos += size
        rest >>= 1
        if rest:
            level = level[:-size] + level[size:]   # sums of 2 * size neighbours
            size *= 2
    if out is None:  # pragma: no cover - width >= 1 has a binary digit 1
        raise RuntimeError("no window")
    return out


def moving_sum(x: npt.NDArray[np.floating], width: int) -> npt.NDArray[np.float64]:
    """Centered moving sum over ``width`` bins (shorter at the ends).

    Bin ``i`` sums ``x[i - width // 2: i - width // 2 + width]`` (clipped to
    ``x``), in the order of :func:`window_sums`: the sums of a stretch cut
    out of a longer signal equal those of the whole signal away from its cut ends.

    Examples
    --------
    >>> moving_sum(np.ones(5), 3).tolist()
    [2.0, 3.0, 3.0, 3.0, 2.0]
    """
    n = x.size
    half = width // 2
    padded = np.zeros(n + width - 1)
    padded[half: half + n] = x
    return window_sums(padded, width)


def envelope(sums: FloatArray, counts: FloatArray, width: int,
             full_counts: FloatArray | None = None,
             min_samples: float = 0.0) -> npt.NDArray[np.float64]:
    """Smoothed mean rectified amplitude per bin; gaps (no valid sample) interpolated.

    With ``full_counts`` (the valid-sample counts before a gate left samples
    out, e.g. the heart beats), a window the gate left with fewer than
    ``min_samples`` valid samples (and fewer than it held ungated) is a gap
    too (:func:`starved_windows`): its bin is interpolated between the
    nearest windows on either side that hold enough, instead of taking the
    mean of the few samples left beside the gate, which scatters far more.
    Those windows are the nominal ones, so nothing farther than one window
    from the gated stretch enters.

    Examples
    --------
    >>> sums = np.array([2.0, 2, 0, 0, 0, 9, 2, 2, 2]); full = np.ones(9)
    >>> counts = np.array([1.0, 1, 0, 0, 0, 1, 1, 1, 1])
    >>> float(envelope(sums, counts, 4)[4])          # one sample left in its window
    9.0
    >>> round(float(envelope(sums, counts, 4, full, min_samples=2)[4]), 2)  # bins 2..5: 2 to 5.5
    4.33
    >>> envelope(np.array([2.0, 0, 0, 0, 8.0]), np.array([1.0, 0, 0, 0, 1.0]), 1).tolist()
    [2.0, 3.5, 5.0, 6.5, 8.0]
    """
    num, den = moving_sum(sums, width), moving_sum(counts, width)
    if full_counts is not None and min_samples > 0:
        den[starved_windows(den, full_counts, width, min_samples)] = 0.0
    ok = den > 0
    if ok.all():
        return np.divide(num, den, out=num)
    env = np.divide(num, den, out=np.full_like(num, np.nan), where=ok)
    known = np.flatnonzero(ok)
    if known.size:
        gaps = np.flatnonzero(~ok)
        env[gaps] = np.interp(gaps, known, env[known])
    return env


def starved_windows(den: npt.NDArray[np.float64], full_counts: FloatArray, width: int,
                    min_samples: float) -> npt.NDArray[np.int64]:
    """Bins whose window a gate left with fewer than ``min_samples`` valid samples.

    ``den`` holds the valid samples of each bin's window of ``width`` bins
    (:func:`moving_sum` of the gated counts), ``full_counts`` the counts per
    bin before the gate. A window is starved when it holds fewer than
    ``min_samples`` and fewer than it held ungated (a window that is short of
    ``min_samples`` without any gate, e.g. at the recording's ends, is left
    alone). Counts are whole numbers: the comparisons allow half a sample.

    Examples
    --------
    >>> full = np.ones(6); den = moving_sum(np.array([1.0, 1, 0, 0, 1, 1]), 2)
    >>> starved_windows(den, full, 2, 2).tolist()
    [2, 3, 4]
    """
    few = np.flatnonzero(den < min_samples - WHOLE_COUNT_TOLERANCE)
    if few.size == 0:
        return few
    n = full_counts.size
    cum = np.zeros(n + 1)
    np.cumsum(full_counts, out=cum[1:])
    first = few - width // 2
    ungated = cum[np.clip(first + width, 0, n)] - cum[np.clip(first, 0, n)]
    return few[den[few] < ungated - WHOLE_COUNT_TOLERANCE]


def nan_padded_blocks(x: npt.NDArray[np.floating], block: int,
                      dtype: type[_Float]) -> npt.NDArray[_Float]:
    """``x`` as rows of ``block`` values, the last partial row padded with NaN.

    Examples
    --------
    >>> nan_padded_blocks(np.arange(5.0), 2, np.float64).tolist()
    [[0.0, 1.0], [2.0, 3.0], [4.0, nan]]
    """
    n_blocks = -(-x.size // block)
    padded = np.full(n_blocks * block, np.nan, dtype=dtype)
    padded[: x.size] = x
    return padded.reshape(n_blocks, block)


def row_nanquantile(frames: npt.NDArray[np.floating], q: float) -> npt.NDArray[np.float64]:
    """Quantile ``q`` of every row, ignoring NaN (NaN for all-NaN rows).

    Same as ``np.nanquantile(frames, q, axis=1, method="lower")`` but
    vectorised (numpy's version loops over rows in Python): rows without NaN
    use a linear-time partition, the few others a sort.

    Examples
    --------
    >>> row_nanquantile(np.array([[1.0, 2.0, 3.0, np.nan], [4.0, 1, 3, 2], [np.nan] * 4]), 0.5)
    array([ 2.,  2., nan])
    """
    n_rows, width = frames.shape
    out = np.full(n_rows, np.nan)
    if n_rows == 0 or width == 0:
        return out
    has_nan = np.isnan(frames).any(axis=1)
    full = ~has_nan
    if full.any():
        k = int(np.floor(q * (width - 1)))
        out[full] = np.partition(frames[full], k, axis=1)[:, k]
    if has_nan.any():
        part = frames[has_nan]
        ordered = np.sort(part, axis=1)
        count = (~np.isnan(part)).sum(axis=1)
        idx = np.clip(np.floor(q * (count - 1)).astype(np.int64), 0, width - 1)
        vals = ordered[np.arange(part.shape[0]), idx]
        vals[count == 0] = np.nan
        out[has_nan] = vals
    return out
