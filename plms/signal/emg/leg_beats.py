"""Heart beats found in the leg EMG itself, for recordings without an ECG channel.

The ECG reaches the leg electrodes as a sharp complex of tens of µV, at the
same instants in both legs and of the same shape from beat to beat (often far
stronger in one leg). Without an ECG channel plms finds these complexes in the
legs' rectified 10-100 Hz amplitude per 10-ms bin (the bins the detector
works on, :class:`plms.signal.emg.detect.ConditionedLeg`): short bumps that
stand well above the resting level. A leg's bumps are taken for heart beats
only when they look like a heart: enough of them, most intervals between them
those of 40-150 bpm, and complexes of one shape (correlation of each with
their median waveform in the raw leg signal). The beats of the accepted legs
are merged and gated as the ECG's would be (:func:`plms.signal.emg.cardiac.qrs_gate`);
a bump much wider or higher than the leg's usual one (an ectopic beat's
complex) is marked as a beat of another shape, whose gate is measured on the
leg. When no leg passes, nothing is gated and the night is scored as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from plms.signal.emg.cardiac import R_REFRACTORY_S, Heartbeats
from plms.signal.emg.conditioning import nan_padded_blocks, row_nanquantile
from plms.signal.events import true_runs

#: Quantile of a block's smoothed level taken as its resting level ...
REST_QUANTILE = 0.5
#: ... and the lower quantile whose distance below it is the level's spread at
#: rest (one standard deviation of a normal spread; the beats and movements
#: above the resting level do not move it). The 25th and 5th percentiles
#: found a few more beats in blocks busy with movements (sensitivity +0.01-0.09)
#: but more false ones (PPV -0.02-0.06) on dev nights 0-2.
SPREAD_QUANTILE = 0.16
#: The median waveform of the beats is taken over at most this many of them,
#: evenly spread over the night (the cost of a median over every beat of a
#: night is several times that of the rest of the search).
TEMPLATE_MAX_BEATS = 2000


@dataclass(frozen=True)
class LegBeatSettings:
    """How heart beats are sought in the legs when there is no ECG channel."""

    #: Seek beats in the legs when no ECG channel is given.
    enabled: bool = True
    #: The rectified level per bin is averaged over this long before peaks are sought, s.
    smoothing_s: float = 0.05
    #: Resting level and spread are taken per block of this long, s.
    block_s: float = 10.0
    #: A beat stands this many spreads above the resting level ...
    threshold_spread: float = 5.0
    #: ... and at least this share of the resting level above it.
    threshold_min_share: float = 0.3
    #: Stretches above the threshold longer than this are movements, not beats, s.
    max_width_s: float = 0.4
    #: Plausible intervals between beats (150 to 40 bpm), s ...
    rr_range_s: tuple[float, float] = (0.4, 1.5)
    #: ... the median interval must lie in that range and this share of them.
    min_rr_share: float = 0.5
    #: A leg with fewer beats has no cardiac artifact.
    min_beats: int = 60
    #: The waveform of a beat is taken over this long before and after it, s ...
    shape_half_s: float = 0.1
    #: ... and the median correlation of the beats with their median waveform
    #: must reach this.
    min_shape_correlation: float = 0.4
    #: A bump whose width at half its height is this many times the leg's
    #: median width or more ...
    other_shape_width_ratio: float = 1.4
    #: ... or whose height over the resting level is this many times the
    #: leg's median height or more, is a beat of another shape (an ectopic
    #: beat: a wider, larger complex; a normal beat's height scatters within
    #: +-30 % of the median, an ectopic one stands twice as high on generated
    #: nights) ...
    other_shape_height_ratio: float = 1.6
    #: ... its width measured within this long of its peak, s.
    other_shape_span_s: float = 0.15
    #: Beats of the two legs closer than this are one beat, s.
    merge_tolerance_s: float = 0.1

    def __post_init__(self) -> None:
        for name in ("smoothing_s", "block_s", "max_width_s", "shape_half_s",
                     "merge_tolerance_s", "other_shape_width_ratio", "other_shape_height_ratio",
                     "other_shape_span_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("threshold_spread", "threshold_min_share", "min_beats"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        lo, hi = self.rr_range_s
        if not 0 < lo < hi:
            raise ValueError(f"rr_range_s must be (low, high) with 0 < low < high, "
                             f"got {self.rr_range_s}")
        for name in ("min_rr_share", "min_shape_correlation"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [-1, 1], got {getattr(self, name)}")


class LegTrace(NamedTuple):
    """What beats are sought in on one leg: its binned level and its raw samples."""

    #: Rectified sums and valid-sample counts per bin (``ConditionedLeg``).
    sums: npt.NDArray[np.floating]
    counts: npt.NDArray[np.floating]
    #: Bin rate, Hz.
    rate_hz: float
    #: The leg's samples (µV) and their rate (Hz), for the waveform of the beats.
    data_uv: npt.NDArray[np.floating]
    fs: float


@dataclass(frozen=True)
class LegBeatCheck:
    """The beats one leg showed and how heart-like they are."""

    n_beats: int
    median_rr_s: float
    rr_share: float
    shape_correlation: float
    accepted: bool


@dataclass(frozen=True, eq=False)
class LegBeats:
    """Heart beats found in the legs.

    Attributes
    ----------
    heartbeats : Heartbeats or None
        The beats (the peak of their bump in the legs), None when no leg
        showed a cardiac artifact.
    sides : tuple of str
        The legs whose beats were taken, the clearer first.
    checks : dict of str to LegBeatCheck
        What each leg showed.
    """

    heartbeats: Heartbeats | None
    sides: tuple[str, ...] = ()
    checks: dict[str, LegBeatCheck] = field(default_factory=dict)

    @property
    def n_beats(self) -> int:
        """Number of beats found (0 when none were taken)."""
        return 0 if self.heartbeats is None else int(self.heartbeats.times_s.size)


def heartbeats_from_legs(legs: Mapping[str, LegTrace],
                         settings: LegBeatSettings = LegBeatSettings()  # noqa: B008 - frozen
                         ) -> LegBeats:
    """The heart beats of a night, from the cardiac artifact in its legs.

    Parameters
    ----------
    legs : mapping of side to LegTrace
    settings : LegBeatSettings

    Returns
    -------
    LegBeats
        With ``heartbeats`` None when no leg looks like it carries a heart.
    """
    found: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], float]] = {}
    checks: dict[str, LegBeatCheck] = {}
    for side, leg in legs.items():
        bumps = leg_bumps(leg.sums, leg.counts, leg.rate_hz, settings)
        times = (bumps.peaks.astype(np.float64) + 0.5) / leg.rate_hz
        corr = shape_correlations(leg.data_uv, leg.fs, times, settings.shape_half_s)
        check = _check(times, corr, settings)
        checks[side] = check
        if check.accepted:
            other = (bumps.width >= settings.other_shape_width_ratio * np.median(bumps.width)) \
                | (bumps.height >= settings.other_shape_height_ratio * np.median(bumps.height))
            found[side] = (times, other, check.shape_correlation)
    if not found:
        return LegBeats(None, (), checks)
    sides = tuple(sorted(found, key=lambda s: -found[s][0].size))
    times, other = found[sides[0]][0], found[sides[0]][1]
    for side in sides[1:]:
        more, more_other = found[side][0], found[side][1]
        new = _far_from(more, times, settings.merge_tolerance_s)
        times = np.concatenate([times, more[new]])
        other = np.concatenate([other, more_other[new]])
        order = np.argsort(times, kind="stable")
        times, other = times[order], other[order]
    return LegBeats(Heartbeats(times, other), sides, checks)


class Bumps(NamedTuple):
    """Short bumps of one leg's level (:func:`leg_bumps`)."""

    #: Bin of each bump's peak.
    peaks: npt.NDArray[np.int64]
    #: Its height over the resting level, µV ...
    height: npt.NDArray[np.float64]
    #: ... and its width at half that height, bins.
    width: npt.NDArray[np.int64]


def leg_bumps(sums: npt.NDArray[np.floating], counts: npt.NDArray[np.floating], rate_hz: float,
              settings: LegBeatSettings = LegBeatSettings()  # noqa: B008 - frozen
              ) -> Bumps:
    """The short bumps of one leg's level: their peak bins, heights and widths.

    The level (mean rectified amplitude per bin) averaged over
    ``smoothing_s``; per block of ``block_s`` its :data:`REST_QUANTILE` is the
    resting level and its distance above the :data:`SPREAD_QUANTILE` the spread. A bump is a stretch
    above the resting level plus ``threshold_spread`` spreads (and at least
    ``threshold_min_share`` of it) no longer than ``max_width_s``; its peak
    is its highest bin; of two peaks closer than the refractory period of a
    heart (:data:`plms.signal.emg.cardiac.R_REFRACTORY_S`) the higher one stays.
    Its width is the number of bins within ``other_shape_span_s`` of the peak
    that stand above the resting level plus half the peak's height over it.
    """
    level = np.divide(sums, counts, out=np.zeros(sums.size, dtype=np.float32),
                      where=counts > 0).astype(np.float32)
    smooth = _box_mean(level, max(1, int(round(settings.smoothing_s * rate_hz))))
    if smooth.size == 0:
        return Bumps(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64))
    block = max(1, int(settings.block_s * rate_hz))
    frames = nan_padded_blocks(smooth, block, np.float32)
    rest, low = _row_quantiles(frames, REST_QUANTILE, SPREAD_QUANTILE)
    spread = rest - low
    threshold = rest + np.maximum(settings.threshold_spread * spread,
                                  settings.threshold_min_share * rest)
    above = (frames > threshold[:, None].astype(np.float32)).reshape(-1)[: smooth.size]
    starts, stops = true_runs(above)
    narrow = (stops - starts) <= settings.max_width_s * rate_hz
    starts, stops = starts[narrow], stops[narrow]
    if starts.size == 0:
        return Bumps(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64))
    peaks = _run_argmax(smooth, starts, stops)
    peaks = _refractory(peaks, smooth, R_REFRACTORY_S * rate_hz)
    base = rest[peaks // block].astype(np.float32)
    height = smooth[peaks] - base
    span = max(1, int(round(settings.other_shape_span_s * rate_hz)))
    idx = np.clip(peaks[:, None] + np.arange(-span, span + 1)[None, :], 0, smooth.size - 1)
    width = np.count_nonzero(smooth[idx] > (base + height / 2)[:, None], axis=1)
    return Bumps(peaks, height.astype(np.float64), width.astype(np.int64))


def _box_mean(x: npt.NDArray[np.float32], width: int) -> npt.NDArray[np.float32]:
    """Centred moving mean over ``width`` bins (the missing bins at the ends count as 0)."""
    out = x.copy()
    half = width // 2
    for shift in range(-half, width - half):
        if shift < 0:
            out[-shift:] += x[:shift]
        elif shift > 0:
            out[:-shift] += x[shift:]
    out /= np.float32(width)
    return out


def _row_quantiles(frames: npt.NDArray[np.float32], q_high: float,
                   q_low: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Two quantiles of every row (``method="lower"``), one partition for the full rows.

    Only the last row may hold NaN (the padding of the last block).
    """
    width = frames.shape[1]
    ks = [int(np.floor(q_low * (width - 1))), int(np.floor(q_high * (width - 1)))]
    high = np.empty(frames.shape[0])
    low = np.empty(frames.shape[0])
    full = frames[:-1]
    if full.shape[0]:
        part = np.partition(full, ks, axis=1)
        low[:-1], high[:-1] = part[:, ks[0]], part[:, ks[1]]
    last = frames[-1:]
    high[-1] = row_nanquantile(last, q_high)[0]
    low[-1] = row_nanquantile(last, q_low)[0]
    return high, low


def _run_argmax(x: npt.NDArray[np.float32], starts: npt.NDArray[np.int64],
                stops: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Index of the highest sample of every run ``x[starts[i]:stops[i]]`` (the first if tied)."""
    lengths = stops - starts
    run_of = np.repeat(np.arange(starts.size), lengths)
    idx = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) \
        + np.repeat(starts, lengths)
    tops = np.maximum.reduceat(x[idx], np.cumsum(lengths) - lengths)
    at_top = np.flatnonzero(x[idx] == tops[run_of])
    first = np.r_[True, run_of[at_top[1:]] != run_of[at_top[:-1]]]
    return idx[at_top[first]].astype(np.int64)


def _refractory(peaks: npt.NDArray[np.int64], x: npt.NDArray[np.float32],
                min_gap: float) -> npt.NDArray[np.int64]:
    """``peaks`` without the lower of any two closer than ``min_gap`` bins."""
    while peaks.size > 1:
        close = np.flatnonzero(np.diff(peaks) < min_gap)
        if close.size == 0:
            break
        lower = np.where(x[peaks[close]] < x[peaks[close + 1]], close, close + 1)
        keep = np.ones(peaks.size, dtype=bool)
        keep[lower] = False
        peaks = peaks[keep]
    return peaks


def shape_correlations(data: npt.NDArray[np.floating], fs: float, times_s: npt.ArrayLike,
                       half_s: float) -> npt.NDArray[np.float64]:
    """Correlation of each beat's waveform with the median waveform of all of them.

    The waveform is the leg's signal within ``half_s`` of the beat, its mean
    removed (a DC offset or slow drift does not count); beats too close to the
    record's ends get NaN.
    """
    times = np.asarray(times_s, dtype=float)
    out = np.full(times.size, np.nan)
    half = max(1, int(round(half_s * fs)))
    centre = np.round(times * fs).astype(np.int64)
    inside = (centre - half >= 0) & (centre + half < data.size)
    if np.count_nonzero(inside) < 2:
        return out
    snippets = np.asarray(data)[centre[inside][:, None] + np.arange(-half, half + 1)[None, :]]
    snippets = snippets.astype(np.float32)
    snippets -= snippets.mean(axis=1, keepdims=True)
    step = max(1, snippets.shape[0] // TEMPLATE_MAX_BEATS)
    template = np.median(snippets[::step], axis=0)
    norm = np.linalg.norm(snippets, axis=1) * float(np.linalg.norm(template))
    out[inside] = np.divide(snippets @ template, norm, out=np.zeros(norm.size),
                            where=norm > 0)
    return out


def _check(times: npt.NDArray[np.float64], corr: npt.NDArray[np.float64],
           settings: LegBeatSettings) -> LegBeatCheck:
    """Whether the beats of a leg look like a heart's (:class:`LegBeatSettings`)."""
    rr = np.diff(times)
    if times.size < max(2, settings.min_beats) or not np.isfinite(corr).any():
        return LegBeatCheck(int(times.size), float(np.median(rr)) if rr.size else float("nan"),
                            0.0, float("nan"), False)
    lo, hi = settings.rr_range_s
    median_rr = float(np.median(rr))
    share = float(np.mean((rr >= lo) & (rr <= hi)))
    shape = float(np.nanmedian(corr))
    ok = lo <= median_rr <= hi and share >= settings.min_rr_share \
        and shape >= settings.min_shape_correlation
    return LegBeatCheck(int(times.size), median_rr, share, shape, ok)


def _far_from(x: npt.NDArray[np.float64], ref: npt.NDArray[np.float64],
              tolerance: float) -> npt.NDArray[np.bool_]:
    """Which of the sorted ``x`` lie farther than ``tolerance`` from every sorted ``ref``."""
    if ref.size == 0:
        return np.ones(x.size, dtype=bool)
    i = np.searchsorted(ref, x)
    before = np.abs(x - ref[np.clip(i - 1, 0, ref.size - 1)])
    after = np.abs(ref[np.clip(i, 0, ref.size - 1)] - x)
    return np.minimum(before, after) > tolerance
