"""The resting baseline of a leg's EMG envelope, estimated locally (RULES.md section 1).

Resting tone drifts over a night and jumps when the sleeper changes posture,
so one global level fails. Per block of one second the low quantile of the
envelope is the block's resting level; the baseline of a block is then the
median of three numbers: the median level over the preceding window, over the
following window, and the block's own level. Within a stretch of rest all
three agree; during a movement the two windows outvote the block; at a step
in tone the side of the step the block lies on wins at once, with no lag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plms.conditioning import row_nanquantile


@dataclass(frozen=True)
class BaselineSettings:
    """How the resting baseline is estimated (not scoring rules: estimator choices)."""

    #: Length of the blocks whose low quantile is their resting level, s.
    block_s: float = 1.0
    #: The quantile of the envelope that stands for rest in a block.
    block_quantile: float = 0.5
    #: Length of the windows before and after a block, s.
    window_s: float = 30.0


#: A window holding fewer usable blocks than this share of its length (at the
#: ends of the record, around excluded stretches) does not vote.
MIN_WINDOW_SHARE = 0.5


def _running_nanmedian(levels: npt.NDArray[np.float64], width: int, forward: bool
                       ) -> npt.NDArray[np.float64]:
    """Median of the ``width`` blocks before (or after) each block, itself excluded."""
    pad = np.full(width, np.nan)
    if forward:
        padded = np.concatenate([levels[1:], pad, [np.nan]])
        windows = np.lib.stride_tricks.sliding_window_view(padded, width)[: levels.size]
    else:
        padded = np.concatenate([pad, levels[:-1]])
        windows = np.lib.stride_tricks.sliding_window_view(padded, width)[: levels.size]
    out = np.full(levels.size, np.nan)
    has = (~np.isnan(windows)).sum(axis=1) >= max(1, int(MIN_WINDOW_SHARE * width))
    if has.any():
        out[has] = np.nanmedian(windows[has], axis=1)
    return out


def resting_baseline(
    env: npt.ArrayLike,
    rate_hz: float,
    *,
    excluded: npt.NDArray[np.bool_] | None = None,
    settings: BaselineSettings = BaselineSettings(),  # noqa: B008 - frozen, immutable
) -> npt.NDArray[np.float64]:
    """Resting baseline (µV) for every envelope bin.

    Parameters
    ----------
    env : array
        Amplitude envelope (µV) at ``rate_hz``.
    excluded : array of bool, optional
        Bins to ignore (artifact); their baseline is interpolated.
    settings : BaselineSettings

    Examples
    --------
    >>> env = np.r_[np.full(6000, 3.0), np.full(6000, 12.0)]   # a step at 60 s
    >>> env[2000:2300] = 80.0                                  # a 3-s movement
    >>> b = resting_baseline(env, 100.0)
    >>> float(b[2100]), float(b[5950]), float(b[6050])
    (3.0, 3.0, 12.0)
    """
    e = np.asarray(env, dtype=np.float64)
    if excluded is not None:
        e = np.where(excluded, np.nan, e)
    block = max(1, int(round(settings.block_s * rate_hz)))
    n_blocks = -(-e.size // block)
    if n_blocks == 0:
        return np.zeros(0)
    padded = np.full(n_blocks * block, np.nan)
    padded[: e.size] = e
    frames = padded.reshape(n_blocks, block)
    level = np.full(n_blocks, np.nan)
    usable = (~np.isnan(frames)).sum(axis=1) >= block // 2
    if not usable.any():
        return np.full(e.size, np.nan)
    level[usable] = row_nanquantile(frames[usable], settings.block_quantile)
    width = max(1, int(round(settings.window_s / settings.block_s)))
    past = _running_nanmedian(level, width, forward=False)
    future = _running_nanmedian(level, width, forward=True)
    # Both windows vote: median of the three. One window only (ends of the
    # record): that window. Neither: the block's own level.
    base = np.where(np.isnan(past), future, np.where(np.isnan(future), past, np.nan))
    both = ~np.isnan(past) & ~np.isnan(future)
    base[both] = np.nanmedian(np.stack([past, future, level])[:, both], axis=0)
    base = np.where(np.isnan(base), level, base)
    ok = ~np.isnan(base)
    centers = (np.arange(n_blocks) + 0.5) * block
    return np.interp(np.arange(e.size), centers[ok], base[ok])
