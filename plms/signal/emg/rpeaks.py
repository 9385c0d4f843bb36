"""The heart beats of an ECG a chunk at a time, with the beats of the whole record (issue 15).

:func:`find_heartbeats` is the one implementation of
:func:`plms.signal.emg.cardiac.detect_heartbeats` (which runs it on the whole
record at once). The ECG is averaged down, its slope energy integrated, and
per 10-s block a threshold set; each stretch above it gives one candidate
beat with the shape ratio of its slope energy. A chunk of whole blocks is
read with margins (the integration window, the shape window, one block on the
left to see whether a stretch began earlier, and as many blocks on the right
as a stretch takes to end). What needs the whole record is decided on the
small per-beat arrays at the end: the refractory period between beats, and
the night's median shape ratio that marks the beats of another shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plms.signal.emg.conditioning import (
    Signal, moving_sum, nan_padded_blocks, row_nanquantile, take,
)
from plms.signal.events import true_runs


@dataclass(frozen=True)
class RPeakSettings:
    """The R-peak detector's constants (:mod:`plms.signal.emg.cardiac` defines them)."""

    integration_s: float
    threshold_fraction: float
    block_s: float
    percentile: float
    refractory_s: float
    detection_rate_hz: float
    shape_wide_s: float
    shape_narrow_s: float
    other_shape_ratio: float


def _decimated(x: npt.NDArray[np.float32], factor: int) -> npt.NDArray[np.float32]:
    """``x`` averaged over consecutive blocks of ``factor`` samples."""
    if factor == 1:
        return x
    frames = x[: x.size // factor * factor].reshape(-1, factor)
    summed = frames[:, 0].copy()
    for j in range(1, factor):   # column by column: far faster than .mean(axis=1)
        summed += frames[:, j]
    return summed / factor


@dataclass(frozen=True, eq=False)
class _Candidates:
    """Candidate beats of a chunk: decimated sample, integrated energy, shape ratio."""

    peaks: npt.NDArray[np.int64]
    values: npt.NDArray[np.float32]
    ratios: npt.NDArray[np.float64]


def _chunk(x: Signal, factor: int, n_dec: int, core: tuple[int, int], block: int,
           width: int, wide: int, narrow: int, cfg: RPeakSettings) -> _Candidates:
    """The candidate beats whose stretch above the threshold starts in ``core`` (decimated)."""
    a, b = core
    pad = width + wide + 2
    s_lo = max(0, a - block)   # one block before: does a stretch at ``a`` start earlier?
    s_hi = min(n_dec, b + block)
    while True:
        w_lo, w_hi = max(0, s_lo - pad), min(n_dec, s_hi + pad)
        xd = _decimated(take(x, w_lo * factor, w_hi * factor), factor)
        energy = np.diff(xd, prepend=xd[:1]) ** 2
        smooth = moving_sum(energy, width).astype(np.float32)
        mine = smooth[s_lo - w_lo: s_hi - w_lo]
        frames = nan_padded_blocks(mine, block, np.float32)
        level = row_nanquantile(frames, cfg.percentile / 100.0).astype(np.float32)
        above = (frames > cfg.threshold_fraction * level[:, None]).reshape(-1)[: mine.size]
        starts, stops = true_runs(above)
        keep = (starts + s_lo >= a) & (starts + s_lo < b) & ((starts > 0) | (s_lo == 0))
        starts, stops = starts[keep], stops[keep]
        if s_hi < n_dec and stops.size and stops[-1] >= mine.size:
            s_hi = min(n_dec, s_hi + max(block, s_hi - b))   # a stretch still above: go on
            continue
        break
    peaks = np.array([s + int(np.argmax(mine[s:e])) for s, e in
                      zip(starts.tolist(), stops.tolist(), strict=True)], dtype=np.int64)
    values = mine[peaks] if peaks.size else np.zeros(0, np.float32)
    # shape: slope energy within +-wide over that within +-narrow (outside the record: 0)
    at = peaks + s_lo
    idx = at[:, None] + np.arange(-wide, wide + 1)[None, :]
    inside = (idx >= 0) & (idx < n_dec)
    around = np.where(inside, energy[np.clip(idx - w_lo, 0, energy.size - 1)], 0.0)
    within = around[:, wide - narrow: wide + narrow + 1].sum(axis=1, dtype=np.float64)
    ratios = np.divide(around.sum(axis=1, dtype=np.float64), within, out=np.ones(at.size),
                       where=within > 0)
    return _Candidates(at, values, ratios)


def _refractory(peaks: npt.NDArray[np.int64], values: npt.NDArray[np.float32],
                min_gap: float) -> npt.NDArray[np.int64]:
    """Indices of the candidates kept: of two closer than ``min_gap``, the higher."""
    if peaks.size == 0:
        return np.zeros(0, dtype=np.int64)
    keep = [0]
    for i in range(1, peaks.size):
        if peaks[i] - peaks[keep[-1]] >= min_gap:
            keep.append(i)
        elif values[i] > values[keep[-1]]:
            keep[-1] = i
    return np.asarray(keep, dtype=np.int64)


def find_heartbeats(x: Signal, fs: float, cfg: RPeakSettings, chunk_s: float | None = None
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Beat times (s) and which beats are of another shape; ``chunk_s`` at a time (None: whole).

    The same beats whatever ``chunk_s``.
    """
    factor = max(1, int(fs // cfg.detection_rate_hz))
    fs_d = fs / factor
    n_dec = x.size // factor
    if n_dec < 3:
        return np.zeros(0), np.zeros(0, dtype=bool)
    block = max(1, int(cfg.block_s * fs_d))
    width = max(1, int(round(cfg.integration_s * fs_d)))
    wide = max(1, int(round(cfg.shape_wide_s / 2 * fs_d)))
    narrow = min(wide, max(1, int(round(cfg.shape_narrow_s / 2 * fs_d))))
    n_blocks = -(-n_dec // block)
    per_chunk = n_blocks if chunk_s is None else max(1, int(round(chunk_s / cfg.block_s)))
    parts = [_chunk(x, factor, n_dec, (k * block, min(n_dec, (k + per_chunk) * block)), block,
                    width, wide, narrow, cfg)
             for k in range(0, n_blocks, per_chunk)]
    peaks = np.concatenate([p.peaks for p in parts])
    values = np.concatenate([p.values for p in parts])
    ratios = np.concatenate([p.ratios for p in parts])
    kept = _refractory(peaks, values, cfg.refractory_s * fs_d)
    peaks, ratios = peaks[kept], ratios[kept]
    other = ratios >= cfg.other_shape_ratio * float(np.median(ratios)) if ratios.size \
        else np.zeros(0, dtype=bool)
    # the centre of a decimation block is (factor - 1) / 2 samples after its start
    times = (peaks.astype(np.float64) + 0.5 * (factor - 1) / factor) / fs_d
    return times, np.asarray(other, dtype=bool)
