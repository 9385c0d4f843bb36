"""The resting baseline of a leg's EMG envelope, estimated locally (RULES.md section 1).

Resting tone drifts over a night and jumps when the sleeper changes posture,
so one global level fails. Per block of one second the median of the
envelope is the block's level. The resting level of a window of blocks is
estimated from its quiet blocks only: the quietest blocks (a low quantile,
the window's *floor*) are surely at rest, and every block whose level is
within the quiet margin of that floor (the rules' offset threshold, widened
by the usual scatter of resting blocks) is at rest too; the window's resting
level is the median of those. A movement, however long or frequent, does not
count as rest as long as a small share of the window stays quiet.

The baseline of a block is then the median of three numbers: the resting
level of the preceding window, of the following window, and the block's own
level. Within a stretch of rest all three agree; during a movement the two
windows outvote the block; at a step in tone the side of the step the block
lies on wins at once, with no lag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plms.signal.emg.conditioning import nan_padded_blocks, row_nanquantile


@dataclass(frozen=True)
class BaselineSettings:
    """How the resting baseline is estimated (not scoring rules: estimator choices)."""

    #: Length of the blocks whose median is their resting level, s.
    block_s: float = 1.0
    #: The quantile of the envelope that stands for rest in a block.
    block_quantile: float = 0.5
    #: Length of the windows before and after a block, s.
    window_s: float = 30.0
    #: The quietest this share of a window's blocks is taken to be at rest
    #: (its highest block is the floor): activity may fill the rest of the
    #: window, e.g. a 25-s movement in a 30-s window, or dense restless wake.
    floor_quantile: float = 0.1
    #: Blocks at rest scatter around their local median by about 10 % (sd,
    #: measured on generated and real resting EMG); the quiet margin above the
    #: floor is widened by this share of the floor so that all of them count.
    rest_scatter: float = 0.2

    def __post_init__(self) -> None:
        for name in ("block_s", "window_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("block_quantile", "floor_quantile"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not self.rest_scatter >= 0:
            raise ValueError(f"rest_scatter must not be negative, got {self.rest_scatter}")
        if self.window_s < self.block_s:
            raise ValueError(f"window_s ({self.window_s}) is shorter than block_s ({self.block_s})")

    def quiet_limit(self, level: npt.NDArray[np.float64], quiet_margin_uv: float
                    ) -> npt.NDArray[np.float64]:
        """The highest level still at rest above ``level``: the quiet margin, widened
        by :attr:`rest_scatter` times the level."""
        return level + quiet_margin_uv + self.rest_scatter * np.abs(level)


#: A window holding fewer usable blocks than this share of its length (at the
#: ends of the record, around excluded stretches) does not vote.
MIN_WINDOW_SHARE = 0.5
#: Blocks whose windows are ordered at a time (the temporaries of a 72-h
#: record stay a few MB; every row is computed alone, so the result is the same).
ROW_GROUP = 1 << 14


def _windows(levels: npt.NDArray[np.float64], width: int, forward: bool
             ) -> npt.NDArray[np.float64]:
    """The ``width`` blocks before (or after) each block, itself excluded, one row per block."""
    pad = np.full(width, np.nan)
    if forward:
        padded = np.concatenate([levels[1:], pad, [np.nan]])
    else:
        padded = np.concatenate([pad, levels[:-1]])
    return np.lib.stride_tricks.sliding_window_view(padded, width)[: levels.size]


def window_rest_level(levels: npt.NDArray[np.float64], width: int, forward: bool,
                      quiet_margin_uv: float, settings: BaselineSettings
                      ) -> npt.NDArray[np.float64]:
    """Resting level of the ``width`` blocks before (or after) each block (NaN: too few).

    The median of the window's quiet blocks: those at most ``quiet_margin_uv``
    (plus ``settings.rest_scatter`` times the floor) above the window's floor,
    its ``settings.floor_quantile`` quantile.

    Examples
    --------
    >>> lv = np.r_[np.full(20, 3.0), np.full(25, 40.0), np.full(5, 3.2)]   # a 25-s movement
    >>> r = window_rest_level(lv, 30, False, 2.0, BaselineSettings())
    >>> float(r[45]), float(np.median(lv[15:45]))
    (3.0, 40.0)
    """
    return _by_row_groups(
        _windows(levels, width, forward),
        lambda rows: _rest_level_rows(rows, width, quiet_margin_uv, settings))


def _by_row_groups(windows: npt.NDArray[np.float64],
                   per_rows: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]
                   ) -> npt.NDArray[np.float64]:
    """``per_rows`` of ``windows``, :data:`ROW_GROUP` rows at a time.

    Every row is computed alone, so the temporaries stay bounded and the
    result is that of one call on all the rows.
    """
    out = np.empty(windows.shape[0])
    for a in range(0, windows.shape[0], ROW_GROUP):
        out[a: a + ROW_GROUP] = per_rows(windows[a: a + ROW_GROUP])
    return out


def _rest_level_rows(windows: npt.NDArray[np.float64], width: int, quiet_margin_uv: float,
                     settings: BaselineSettings) -> npt.NDArray[np.float64]:
    """:func:`window_rest_level` of some rows of windows."""
    ordered = np.sort(windows, axis=1)   # NaN last
    count = (~np.isnan(ordered)).sum(axis=1)
    out = np.full(windows.shape[0], np.nan)
    ok = count >= max(1, int(MIN_WINDOW_SHARE * width))
    if not ok.any():
        return out
    ordered, count = ordered[ok], count[ok]
    rows = np.arange(ordered.shape[0])
    floor = ordered[rows, np.floor(settings.floor_quantile * (count - 1)).astype(np.int64)]
    limit = settings.quiet_limit(floor, quiet_margin_uv)
    n_quiet = (ordered <= limit[:, None]).sum(axis=1)   # NaN compares False; >= 1
    out[ok] = 0.5 * (ordered[rows, (n_quiet - 1) // 2] + ordered[rows, n_quiet // 2])
    return out


def resting_baseline(
    env: npt.ArrayLike,
    rate_hz: float,
    *,
    quiet_margin_uv: float,
    excluded: npt.NDArray[np.bool_] | None = None,
    settings: BaselineSettings = BaselineSettings(),  # noqa: B008 - frozen, immutable
) -> npt.NDArray[np.float64]:
    """Resting baseline (µV) for every envelope bin.

    Parameters
    ----------
    env : array
        Amplitude envelope (µV) at ``rate_hz``.
    rate_hz : float
        Rate of the envelope, Hz.
    quiet_margin_uv : float
        A block less than this above a window's floor is at rest: the rules'
        offset threshold (``Rules.lm_offset_above_baseline_uv``), the level
        the EMG must stay under to be quiet.
    excluded : array of bool, optional
        Bins to ignore (artifact); their baseline is interpolated.
    settings : BaselineSettings

    Examples
    --------
    >>> env = np.r_[np.full(6000, 3.0), np.full(6000, 12.0)]   # a step at 60 s
    >>> env[2000:2300] = 80.0                                  # a 3-s movement
    >>> env[7000:9500] = 40.0                                  # a 25-s movement
    >>> b = resting_baseline(env, 100.0, quiet_margin_uv=2.0)
    >>> [float(b[i]) for i in (2100, 5950, 6050, 9400)]
    [3.0, 3.0, 12.0, 12.0]
    """
    if not rate_hz > 0:
        raise ValueError(f"rate_hz must be positive, got {rate_hz}")
    if not quiet_margin_uv >= 0:
        raise ValueError(f"quiet_margin_uv must not be negative, got {quiet_margin_uv}")
    return _baseline_and_noise(env, rate_hz, quiet_margin_uv, excluded, settings,
                               noise=False)[0]


def _baseline_and_noise(
    env: npt.ArrayLike, rate_hz: float, quiet_margin_uv: float,
    excluded: npt.NDArray[np.bool_] | None, settings: BaselineSettings, *, noise: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None]:
    """The baseline of every bin and, when ``noise``, the resting noise of every bin."""
    e = np.asarray(env, dtype=np.float64)
    if excluded is not None:
        e = np.where(excluded, np.nan, e)
    if e.size == 0:
        return np.zeros(0), (np.zeros(0) if noise else None)
    blocks = resting_blocks(e, rate_hz, settings)
    base = BlockBaseline.from_blocks(blocks, quiet_margin_uv, settings, noise=noise)
    return base.baseline(0, e.size), (base.noise(0, e.size) if noise else None)


def block_bins(rate_hz: float, settings: BaselineSettings) -> int:
    """Envelope bins per baseline block."""
    return max(1, int(round(settings.block_s * rate_hz)))


@dataclass(frozen=True, eq=False)
class RestingBlocks:
    """Per baseline block of an envelope: its level (NaN: too few usable bins) and spread.

    What the baseline needs of the envelope: one number or two per block of
    ``settings.block_s``, so that a long record's blocks fit in little memory
    while its envelope is computed a chunk at a time (:func:`resting_blocks`
    on stretches of whole blocks, joined with :meth:`join`).
    """

    level: npt.NDArray[np.float64]
    spread: npt.NDArray[np.float64]
    block: int
    """Bins per block."""

    @staticmethod
    def join(parts: list[RestingBlocks]) -> RestingBlocks:
        """The blocks of consecutive stretches, in order."""
        return RestingBlocks(np.concatenate([p.level for p in parts]),
                             np.concatenate([p.spread for p in parts]), parts[0].block)


def resting_blocks(env: npt.NDArray[np.float64], rate_hz: float,
                     settings: BaselineSettings) -> RestingBlocks:
    """The level and spread of every block of ``env`` (NaN where excluded).

    ``env`` starts at a block boundary; a trailing partial block is padded with
    NaN (the last block of a record). Every block is computed on its own bins only.
    """
    block = block_bins(rate_hz, settings)
    frames = nan_padded_blocks(env, block, np.float64)
    level = np.full(frames.shape[0], np.nan)
    spread = np.full(frames.shape[0], np.nan)
    usable = (~np.isnan(frames)).sum(axis=1) >= block // 2
    if usable.any():
        level[usable] = row_nanquantile(frames[usable], settings.block_quantile)
        spread[usable] = _block_spread(frames, usable)
    return RestingBlocks(level, spread, block)


@dataclass(frozen=True, eq=False)
class BlockBaseline:
    """The resting baseline and noise of every block of a record, from its :class:`RestingBlocks`.

    :meth:`baseline` and :meth:`noise` give them per bin for any stretch of
    the record (the same figures whichever stretch is asked for).
    """

    centers: npt.NDArray[np.float64]
    """Centre (bins) of the blocks with a baseline ..."""
    values: npt.NDArray[np.float64]
    """... and their baseline (empty: no block usable, NaN everywhere)."""
    sd: npt.NDArray[np.float64] | None
    """Resting noise per block (None: not computed)."""
    block: int

    @staticmethod
    def from_blocks(blocks: RestingBlocks, quiet_margin_uv: float, settings: BaselineSettings,
                    *, noise: bool = True) -> BlockBaseline:
        """Baseline (and noise) of every block: the windows before and after it vote."""
        level, block = blocks.level, blocks.block
        n_blocks = level.size
        usable = ~np.isnan(level)
        if not usable.any():
            return BlockBaseline(np.zeros(0), np.zeros(0),
                                 np.full(n_blocks, np.nan) if noise else None, block)
        width = max(1, int(round(settings.window_s / settings.block_s)))
        past = window_rest_level(level, width, False, quiet_margin_uv, settings)
        future = window_rest_level(level, width, True, quiet_margin_uv, settings)
        # Both windows vote: median of the three. One window only (ends of the
        # record): that window. Neither: the block's own level.
        base = np.where(np.isnan(past), future, np.where(np.isnan(future), past, np.nan))
        both = ~np.isnan(past) & ~np.isnan(future)
        base[both] = np.nanmedian(np.stack([past, future, level])[:, both], axis=0)
        base = np.where(np.isnan(base), level, base)
        ok = ~np.isnan(base)
        centers = (np.flatnonzero(ok) + 0.5).astype(np.float64) * block
        if not noise:
            return BlockBaseline(centers, base[ok], None, block)
        base_block = np.interp(np.arange(n_blocks), np.flatnonzero(ok), base[ok])
        sd = resting_noise_blocks(blocks.spread, usable, level, base_block, quiet_margin_uv,
                                  settings)
        has = ~np.isnan(sd)
        # blocks with no rest near take the nearest value; constant over a block
        # (the window median moves slowly), so no interpolation per bin
        if has.any() and not has.all():
            known = np.flatnonzero(has)
            after = np.clip(np.searchsorted(known, np.arange(n_blocks)), 1, known.size - 1) \
                if known.size > 1 else np.zeros(n_blocks, dtype=np.int64)
            before = np.maximum(after - 1, 0)
            nearer = np.where(np.abs(known[before] - np.arange(n_blocks))
                              <= np.abs(known[after] - np.arange(n_blocks)), before, after)
            sd = sd[known[nearer]]
        return BlockBaseline(centers, base[ok], sd, block)

    def baseline(self, start: int, stop: int) -> npt.NDArray[np.float64]:
        """The baseline of bins ``start:stop``."""
        if self.values.size == 0:
            return np.full(stop - start, np.nan)
        return np.interp(np.arange(start, stop), self.centers, self.values)

    def noise(self, start: int, stop: int) -> npt.NDArray[np.float64]:
        """The resting noise (sd) of bins ``start:stop``."""
        if self.sd is None:
            raise ValueError("the noise was not computed (from_blocks(..., noise=False))")
        return self.sd[np.arange(start, stop) // self.block]


def _block_spread(frames: npt.NDArray[np.float64], usable: npt.NDArray[np.bool_]
                  ) -> npt.NDArray[np.float64]:
    """Standard deviation of every usable block (rows of ``frames``, NaN ignored).

    Each row is computed alone (rows with NaN by the NaN-ignoring formula), so
    a block's figure does not depend on the other rows given.
    """
    rows = frames[usable]
    out = np.empty(rows.shape[0])
    gaps = np.isnan(rows).any(axis=1)
    out[~gaps] = rows[~gaps].std(axis=1)
    if gaps.any():
        part = rows[gaps]
        mean = np.nanmean(part, axis=1)
        out[gaps] = np.sqrt(np.nanmean((part - mean[:, None]) ** 2, axis=1))
    return out


def resting_noise_blocks(
    spread: npt.NDArray[np.float64],
    usable: npt.NDArray[np.bool_],
    level: npt.NDArray[np.float64],
    base_block: npt.NDArray[np.float64],
    quiet_margin_uv: float,
    settings: BaselineSettings,
) -> npt.NDArray[np.float64]:
    """The resting envelope's standard deviation per block (NaN: no rest near).

    ``spread`` holds the envelope's standard deviation in every block
    (:class:`RestingBlocks`), ``usable`` the blocks with enough samples,
    ``level`` their levels and ``base_block`` their baseline. A block is at
    rest when its level is within the quiet margin of the baseline
    (``quiet_margin_uv`` plus ``settings.rest_scatter`` times the baseline,
    as for the resting level); each block takes the median standard deviation
    of the resting blocks of the windows of ``settings.window_s`` before and
    after it (itself included).
    """
    n_blocks = spread.size
    rest_sd = np.full(n_blocks, np.nan)
    idx = np.flatnonzero(usable)
    if idx.size:
        rest = level[idx] <= settings.quiet_limit(base_block[idx], quiet_margin_uv)
        rest_sd[idx[rest]] = spread[idx[rest]]
    width = max(1, int(round(settings.window_s / settings.block_s)))
    pad = np.full(width, np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([pad, rest_sd, pad]), 2 * width + 1)
    return _by_row_groups(windows, lambda rows: row_nanquantile(rows, 0.5))


def resting_baseline_and_noise(
    env: npt.ArrayLike,
    rate_hz: float,
    *,
    quiet_margin_uv: float,
    excluded: npt.NDArray[np.bool_] | None = None,
    settings: BaselineSettings = BaselineSettings(),  # noqa: B008 - frozen, immutable
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Resting baseline and the resting envelope's own fluctuation (µV, an sd), per bin.

    The baseline is :func:`resting_baseline`'s. The fluctuation: per block of
    ``settings.block_s`` the standard deviation of the envelope; a block is
    at rest when its level is within the quiet margin of its baseline
    (``quiet_margin_uv`` plus ``settings.rest_scatter`` times the baseline,
    as for the resting level). Each block takes the median over the resting
    blocks of the windows of ``settings.window_s`` before and after it
    (itself included); a block with no resting block that near takes the
    value of the nearest block that has one. NaN when no block is at rest.

    Parameters
    ----------
    env : array
        Amplitude envelope (µV) at ``rate_hz``; not modified.
    rate_hz : float
        Rate of the envelope, Hz.
    quiet_margin_uv : float
        The rules' offset threshold, µV (see :func:`resting_baseline`).
    excluded : array of bool, optional
        Bins to ignore (artifact).
    settings : BaselineSettings

    Returns
    -------
    baseline, noise_sd : ndarray
        One value per bin of ``env`` each.

    Raises
    ------
    ValueError
        ``rate_hz`` not positive or ``quiet_margin_uv`` negative.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> env = 30.0 + 4.0 * rng.standard_normal(12000)    # a raised tone, sd 4 µV
    >>> env[3000:3300] += 60.0                           # a 3-s movement
    >>> base, sd = resting_baseline_and_noise(env, 100.0, quiet_margin_uv=2.0)
    >>> bool(np.all(np.abs(base - 30.0) < 1.0)), bool(np.all(np.abs(sd - 4.0) < 0.5))
    (True, True)
    """
    if not rate_hz > 0:
        raise ValueError(f"rate_hz must be positive, got {rate_hz}")
    if not quiet_margin_uv >= 0:
        raise ValueError(f"quiet_margin_uv must not be negative, got {quiet_margin_uv}")
    base, noise = _baseline_and_noise(env, rate_hz, quiet_margin_uv, excluded, settings,
                                      noise=True)
    if noise is None:  # pragma: no cover - noise=True always returns it
        raise RuntimeError("no noise estimate")
    return base, noise
