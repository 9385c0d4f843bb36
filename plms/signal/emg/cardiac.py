"""Heart beats: R-peak times from an ECG channel, and the gate that hides them in leg EMG.

Leg EMG carries the ECG's QRS complexes (tens of µV); left in, they chain into
false leg movements (RULES.md section 1 needs 0.5 s of quiet for an offset).
plms finds the beats on the ECG channel and leaves the samples around every
QRS out of the leg's amplitude envelope.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plms.signal.emg.conditioning import moving_sum, row_nanquantile
from plms.signal.events import true_runs

#: Integration window of the squared ECG slope (about one QRS width).
QRS_INTEGRATION_S = 0.08
#: Adaptive threshold: this share of a high percentile of the slope energy ...
R_THRESHOLD_FRACTION = 0.3
#: ... taken per block of this many seconds ...
R_THRESHOLD_BLOCK_S = 10.0
#: ... at this percentile.
R_THRESHOLD_PERCENTILE = 99.0
#: Two beats are at least this far apart (a heart rate of 200 bpm at most).
R_REFRACTORY_S = 0.3
#: Beats are sought on the ECG averaged down to at least this rate (QRS energy
#: lies below ~40 Hz; a coarser grid cuts the cost of a night fourfold at 512 Hz).
R_DETECTION_RATE_HZ = 128.0


def detect_r_peaks(ecg: npt.ArrayLike, fs: float) -> npt.NDArray[np.float64]:
    """Times (s) of the heart beats in an ECG, from the energy of its slope.

    Polarity-free (the slope is squared) and insensitive to baseline wander
    (the derivative removes it); the threshold adapts per 10-s block.

    Examples
    --------
    >>> fs = 256.0
    >>> t = np.arange(int(20 * fs)) / fs
    >>> ecg = sum(np.exp(-0.5 * ((t - b) / 0.01) ** 2) for b in np.arange(0.5, 20, 0.8))
    >>> beats = detect_r_peaks(ecg, fs)
    >>> len(beats), bool(np.allclose(beats, np.arange(0.5, 20, 0.8), atol=0.02))
    (25, True)
    """
    x = np.asarray(ecg, dtype=np.float32)
    factor = max(1, int(fs // R_DETECTION_RATE_HZ))
    if factor > 1:
        frames = x[: x.size // factor * factor].reshape(-1, factor)
        summed = frames[:, 0].copy()
        for j in range(1, factor):   # column by column: far faster than .mean(axis=1)
            summed += frames[:, j]
        x = summed / factor
        fs = fs / factor
    if x.size < 3:
        return np.zeros(0)
    energy = np.diff(x, prepend=x[:1]) ** 2
    width = max(1, int(round(QRS_INTEGRATION_S * fs)))
    smooth = moving_sum(energy, width).astype(np.float32)
    del energy
    block = max(1, int(R_THRESHOLD_BLOCK_S * fs))
    n_blocks = -(-x.size // block)
    padded = np.full(n_blocks * block, np.nan, dtype=np.float32)
    padded[: x.size] = smooth
    frames = padded.reshape(n_blocks, block)
    level = row_nanquantile(frames, R_THRESHOLD_PERCENTILE / 100.0).astype(np.float32)
    above = (frames > R_THRESHOLD_FRACTION * level[:, None]).reshape(-1)[: x.size]
    del padded, frames
    starts, _ = true_runs(above)
    if starts.size == 0:
        return np.zeros(0)
    # The highest point of each supra-threshold stretch.
    seg_max = np.maximum.reduceat(smooth, starts)
    run_start = np.zeros(above.size, dtype=bool)
    run_start[starts] = True
    seg_id = np.cumsum(run_start) - 1
    at_max = above & (smooth == seg_max[np.clip(seg_id, 0, None)])
    peaks = np.flatnonzero(at_max)
    peaks = peaks[np.r_[True, seg_id[peaks[1:]] != seg_id[peaks[:-1]]]]
    keep = [0]
    for i in range(1, peaks.size):
        if peaks[i] - peaks[keep[-1]] >= R_REFRACTORY_S * fs:
            keep.append(i)
        elif smooth[peaks[i]] > smooth[peaks[keep[-1]]]:
            keep[-1] = i
    # the centre of a decimation block is (factor - 1) / 2 samples after its start
    return (peaks[keep].astype(np.float64) + 0.5 * (factor - 1) / factor) / fs


def qrs_valid_mask(
    n_samples: int, fs: float, beats_s: npt.ArrayLike, before_s: float, after_s: float
) -> npt.NDArray[np.bool_]:
    """False on the samples within [beat - before_s, beat + after_s] of any beat."""
    valid = np.ones(n_samples, dtype=bool)
    beats = np.asarray(beats_s, dtype=float)
    if beats.size == 0:
        return valid
    lo = np.clip(np.floor((beats - before_s) * fs).astype(np.int64), 0, n_samples)
    hi = np.clip(np.ceil((beats + after_s) * fs).astype(np.int64) + 1, 0, n_samples)
    mark = np.zeros(n_samples + 1, dtype=np.int32)
    np.add.at(mark, lo, 1)
    np.add.at(mark, hi, -1)
    valid &= np.cumsum(mark[:-1]) == 0
    return valid
