"""Multi-day ankle recordings: per-segment features, non-wear, and the sleep periods of each day.

A wearable is worn for days; before any night can be scored the recording is
split (issue 16, ``docs/ACCEL.md``):

1. **Features per segment** (:func:`segment_features`): per 5-s segment and
   ankle, the orientation (the median of 5-Hz block means, in g), the
   standard deviation of each axis (mg) and the activity (the root of the
   summed variances, mg). Each segment is computed from its own samples, so
   a recording read in chunks of whole segments (:func:`features_from_chunks`)
   gives exactly the features of the whole recording.
2. **Non-wear** (:func:`nonwear_mask`), after van Hees et al. 2011 (PLoS One
   6:e22922) and 2013 (PLoS One 8:e61691): a stretch of at least 60 min in
   which the standard deviation stays below 13 mg and the range below 50 mg in
   at least 2 of 3 axes. Adapted to the ankle: the test is made per segment
   (so the stretch's edges are found to the segment, not to the 15-min step of
   the sliding window), and a stretch is kept as *worn* when it shows
   micro-motion: a worn ankle at rest has breathing and cardiac sway and small
   shifts that make some 5-s segments livelier than the sensor's noise floor,
   whereas a sensor on a table shows the same noise throughout. A motionless
   sleeper whose ankle shows no such micro-motion for 60 min cannot be told
   from a sensor on a table: that stretch is called non-wear (the limit of the
   method, documented in ``docs/ACCEL.md``).
3. **The main sleep period of each day** (:func:`find_sleep_periods`), in the
   spirit of van Hees et al. 2018 (Sci Rep 8:12975, HDCZA): the change of
   orientation between successive segments, its 5-min rolling median, a
   threshold from the recording's own distribution (a low percentile times a
   factor, clipped), blocks below it of at least 20 min, gaps under 60 min
   merged (never across non-wear); per day (noon to noon) the longest block
   overlapping the night hours is the night when long enough; other blocks
   are naps; a day without one has no main sleep period. With two ankles a
   segment is still when every worn ankle is; non-wear is never sleep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.signal.accel._filters import block_means, moving_median
from plms.signal.accel.sleepwake_rules import angle_deg
from plms.signal.events import true_runs

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: mg in one g.
MG_PER_G = 1000.0
#: The orientation is the median of block means at about this rate, Hz.
ORIENTATION_RATE_HZ = 5.0
#: Rows of raw samples handled at once when features are computed from a whole signal.
FEATURE_CHUNK_SEGMENTS = 720
#: Seconds in an hour and in a day.
S_PER_H = 3600.0
S_PER_DAY = 86400.0
#: Columns of the tables :func:`find_sleep_periods` returns.
DAY_COLUMNS = ("day", "date", "day_start_s", "day_end_s", "status", "start_s", "end_s",
               "nonwear_min", "reason")
PERIOD_COLUMNS = ("start_s", "end_s")
NONWEAR_COLUMNS = ("start_s", "end_s", "side")
#: ``status`` of a day (same words as :data:`plms.result.NIGHT_OK` and ``NIGHT_NO_SLEEP``).
DAY_SLEEP = "ok"
DAY_NO_SLEEP = "no sleep period"


@dataclass(frozen=True)
class DaySettings:
    """Choices of the multi-day split: non-wear, main sleep period, naps.

    Examples
    --------
    >>> DaySettings().nonwear_min_s
    3600.0
    >>> DaySettings(segment_s=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: segment_s must be a positive number, got -1.0
    """

    #: Segment of the features, s (van Hees 2015/2018: 5 s).
    segment_s: float = 5.0
    # --- non-wear (van Hees 2011/2013, ankle-adapted) ---
    #: A segment is quiet when its SD is below this in at least ``nonwear_axes`` axes, mg.
    nonwear_sd_mg: float = 13.0
    #: ... and a stretch is non-wear when its orientation's range stays below this, mg
    #: (van Hees: 50; 100 here: a sensor off the body drifts by tens of mg as it cools,
    #: and the steadiness test ``micro_deg`` already refuses slow movement).
    nonwear_range_mg: float = 100.0
    #: Axes (of 3) that must meet the SD and range limits.
    nonwear_axes: int = 2
    #: A quiet stretch is cut where the orientation steps by more than this between
    #: successive segments (largest axis), mg: the sensor was moved.
    nonwear_step_mg: float = 20.0
    #: Shortest non-wear stretch, s (van Hees: a 60-min window).
    nonwear_min_s: float = 3600.0
    #: The window slides by this, s (van Hees 2013: 15 min).
    nonwear_step_s: float = 900.0
    #: ... or this at the start or end of the recording (a sensor left on the table before
    #: it is put on, or after it is taken off: the stretch is cut by the recording), s.
    nonwear_edge_min_s: float = 900.0
    #: A one-side stretch shorter than this next to an all-sides one is reported with it, s.
    nonwear_side_min_s: float = 600.0
    #: A quiet stretch is worn when the median change of orientation between its
    #: successive segments reaches this, deg: a worn ankle at rest wanders (sway, small
    #: shifts), a sensor on a table stays at its noise floor (about 0.05 deg).
    micro_deg: float = 0.1
    #: A segment is lively when its largest axis SD exceeds the stretch's median by this factor...
    micro_ratio: float = 1.5
    #: ... and a quiet stretch with at least this share of lively segments is worn (micro-motion).
    micro_share: float = 0.05
    # --- sleep periods (HDCZA, ankle-adapted) ---
    #: Rolling median of the orientation change, s (HDCZA: 5 min).
    median_s: float = 300.0
    #: ... and the rolling median of the activity (largest over the worn ankles) must stay
    #: below this, mg: steady walking keeps the 5-s orientation steady at the ankle.
    activity_max_mg: float = 30.0
    #: Percentile of the recording's rolling medians (worn time) ...
    threshold_percentile: float = 10.0
    #: ... times this is the stillness threshold (HDCZA: 10th percentile x 15) ...
    threshold_factor: float = 5.0
    #: ... clipped to this range, degrees (GGIR: 0.13-0.5 at the wrist).
    threshold_min_deg: float = 0.13
    threshold_max_deg: float = 0.5
    #: Shortest still run that counts as a sleep block, s.
    block_min_s: float = 1200.0
    #: Blocks separated by less than this are merged, s (HDCZA: 60 min).
    gap_max_s: float = 3600.0
    #: Days run from this hour to the same hour the next day (noon to noon).
    day_start_h: float = 12.0
    #: The night hours (clock, start and end): the main sleep period must overlap them.
    night_from_h: float = 20.0
    night_to_h: float = 8.0
    #: Shortest main sleep period, s; a day whose longest block is shorter has none.
    night_min_s: float = 3.0 * 3600.0
    #: Shortest nap, s.
    nap_min_s: float = 1200.0
    #: A day is listed when the recording covers at least this much of it, s.
    day_min_cover_s: float = 6.0 * 3600.0
    #: The night's window (lights off, lights on) is the block widened by this, s.
    window_margin_s: float = 300.0
    #: Window edges are rounded outwards to multiples of this, s (the hypnogram epoch).
    window_round_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("segment_s", "nonwear_sd_mg", "nonwear_range_mg", "nonwear_min_s",
                     "nonwear_step_s", "nonwear_edge_min_s", "nonwear_side_min_s", "micro_deg",
                     "nonwear_step_mg", "activity_max_mg", "micro_ratio", "median_s",
                     "threshold_factor", "threshold_min_deg", "threshold_max_deg",
                     "block_min_s", "night_min_s", "nap_min_s", "window_round_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value}")
        for name in ("gap_max_s", "day_min_cover_s", "window_margin_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be zero or positive, got {value}")
        if self.nonwear_axes not in (1, 2, 3):
            raise ValueError(f"nonwear_axes must be 1, 2 or 3, got {self.nonwear_axes}")
        if not 0 <= self.micro_share <= 1:
            raise ValueError(f"micro_share must lie in [0, 1], got {self.micro_share}")
        if not 0 < self.threshold_percentile < 100:
            raise ValueError("threshold_percentile must lie in (0, 100), got "
                             f"{self.threshold_percentile}")
        if self.threshold_min_deg > self.threshold_max_deg:
            raise ValueError("threshold_min_deg must not exceed threshold_max_deg")
        for name in ("day_start_h", "night_from_h", "night_to_h"):
            if not 0 <= getattr(self, name) < 24:
                raise ValueError(f"{name} must be a clock hour in [0, 24), got "
                                 f"{getattr(self, name)}")


@dataclass(frozen=True, eq=False)
class SegmentFeatures:
    """Per-segment features of one ankle.

    Attributes
    ----------
    segment_s : float
    orientation : array (n, 3)
        Median of the 5-Hz block means of each axis, g (NaN where samples were NaN).
    sd_mg : array (n, 3)
        Standard deviation of each axis, mg.
    """

    segment_s: float
    orientation: FloatArray
    sd_mg: FloatArray

    @property
    def activity_mg(self) -> FloatArray:
        """Root of the summed axis variances, mg (the dynamic acceleration)."""
        return np.sqrt(np.sum(self.sd_mg ** 2, axis=1))

    @property
    def n(self) -> int:
        """Number of segments."""
        return int(self.orientation.shape[0])


def samples_per_segment(fs: float, segment_s: float) -> int:
    """Whole samples in one segment (``ValueError`` when it holds none).

    >>> samples_per_segment(25.0, 5.0)
    125
    """
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"sampling rate must be positive, got {fs}")
    n = int(round(fs * segment_s))
    if n < 1:
        raise ValueError(f"a segment of {segment_s} s holds no sample at {fs} Hz")
    return n


def segment_features(acc: npt.ArrayLike, fs: float, segment_s: float = 5.0
                     ) -> tuple[FloatArray, FloatArray]:
    """Orientation (g) and per-axis SD (mg) of each whole segment of ``acc`` (n, 3) in g.

    A partial last segment is dropped. Each segment uses only its own samples.

    Examples
    --------
    >>> acc = np.tile([0.0, 0.0, 1.0], (250, 1))
    >>> orient, sd = segment_features(acc, 25.0)
    >>> orient.tolist(), sd.round(3).tolist()
    ([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    """
    x = np.asarray(acc)
    if x.ndim != 2 or x.shape[1] != 3:
        raise ValueError(f"features need three axes, shape (n, 3); got {x.shape}")
    spp = samples_per_segment(fs, segment_s)
    step = max(1, int(fs // ORIENTATION_RATE_HZ))
    per_seg = spp // step
    n_seg = x.shape[0] // spp
    orient = np.empty((n_seg, 3))
    sd = np.empty((n_seg, 3))
    for first in range(0, n_seg, FEATURE_CHUNK_SEGMENTS):
        last = min(first + FEATURE_CHUNK_SEGMENTS, n_seg)
        part = x[first * spp: last * spp]
        segs = part.reshape(last - first, spp, 3)
        means = block_means(segs[:, : per_seg * step].reshape(-1, 3), step)
        orient[first:last] = np.median(means.reshape(last - first, per_seg, 3), axis=1)
        sd[first:last] = np.std(segs, axis=1, dtype=np.float64) * MG_PER_G
    return orient, sd


def features_from_chunks(chunks: Iterable[tuple[float, Mapping[str, npt.ArrayLike]]],
                         fs: float, segment_s: float = 5.0) -> dict[str, SegmentFeatures]:
    """Features of every ankle from chunks ``(t0_s, {side: (n, 3) g})`` in order.

    Every chunk but the last must hold a whole number of segments and start
    where the one before ended, so the result equals :func:`segment_features`
    of the whole recording.
    """
    spp = samples_per_segment(fs, segment_s)
    parts: dict[str, list[tuple[FloatArray, FloatArray]]] = {}
    expected = 0.0
    ragged = False
    for t0, signals in chunks:
        if ragged:
            raise ValueError("only the last chunk may hold a partial segment")
        if abs(float(t0) - expected) > 0.5 / fs:
            raise ValueError(f"chunk at {t0} s does not follow the one before (expected "
                             f"{expected} s)")
        n = 0
        for side, data in signals.items():
            arr = np.asarray(data)
            parts.setdefault(side, []).append(segment_features(arr, fs, segment_s))
            n = arr.shape[0]
        ragged = n % spp != 0
        expected += n / fs
    return {side: SegmentFeatures(segment_s, np.concatenate([p[0] for p in got]),
                                  np.concatenate([p[1] for p in got]))
            for side, got in parts.items()}


def nonwear_mask(features: SegmentFeatures, settings: DaySettings = DaySettings()  # noqa: B008
                 ) -> BoolArray:
    """Per segment: the sensor is off the ankle (van Hees 2011/2013, ankle-adapted).

    See the module notes. NaN segments are not non-wear (unknown).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> table = np.tile([0.0, 0.0, 1.0], (90 * 60 * 10, 1)) + rng.normal(0, 0.0015, (54000, 3))
    >>> feats = SegmentFeatures(5.0, *segment_features(table, 10.0))
    >>> bool(nonwear_mask(feats).all())
    True
    """
    seg = features.segment_s
    quiet = np.sum(features.sd_mg < settings.nonwear_sd_mg, axis=1) >= settings.nonwear_axes
    step = np.zeros(features.n)
    step[1:] = np.max(np.abs(np.diff(features.orientation, axis=0)), axis=1) * MG_PER_G
    change = np.zeros(features.n)
    change[1:] = angle_deg(features.orientation[1:], features.orientation[:-1])
    starts, stops = true_runs(quiet)
    cuts = np.flatnonzero(quiet & (step > settings.nonwear_step_mg))
    bounds = np.unique(np.concatenate([starts, stops, cuts]))
    window = int(np.ceil(settings.nonwear_min_s / seg - 1e-9))
    edge_len = int(np.ceil(settings.nonwear_edge_min_s / seg - 1e-9))
    hop = max(1, int(round(settings.nonwear_step_s / seg)))
    out = np.zeros(features.n, dtype=bool)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        at_edge = a == 0 or b == features.n
        if b - a < (edge_len if at_edge else window) or not quiet[a]:
            continue
        width = min(window, b - a)
        firsts = np.unique(np.r_[np.arange(a, b - width + 1, hop), b - width])
        for first in firsts:   # van Hees: 60-min windows sliding by 15 min
            if _off_table(features, change, first, first + width, settings):
                out[first: first + width] = True
    return out


def _off_table(features: SegmentFeatures, change: FloatArray, a: int, b: int,
               settings: DaySettings) -> bool:
    """Whether quiet segments ``[a, b)`` show a sensor off the ankle (range, micro-motion)."""
    orient = features.orientation[a:b] * MG_PER_G
    spread = np.nanmax(orient, axis=0) - np.nanmin(orient, axis=0)
    if np.sum(spread < settings.nonwear_range_mg) < settings.nonwear_axes:
        return False
    if np.median(change[a + 1:b]) >= settings.micro_deg:
        return False   # micro-motion: the orientation wanders (a worn ankle at rest)
    loudest = np.max(features.sd_mg[a:b], axis=1)
    lively = loudest > settings.micro_ratio * np.median(loudest)
    return bool(np.mean(lively) < settings.micro_share)   # else twitches: worn


def still_threshold_deg(change_median: FloatArray, usable: BoolArray,
                        settings: DaySettings) -> float:
    """The stillness threshold: percentile x factor of the usable rolling medians, clipped."""
    values = change_median[usable & np.isfinite(change_median)]
    if values.size == 0:
        return settings.threshold_min_deg
    raw = float(np.percentile(values, settings.threshold_percentile)) * settings.threshold_factor
    return float(np.clip(raw, settings.threshold_min_deg, settings.threshold_max_deg))


def orientation_change(features: Mapping[str, SegmentFeatures],
                       nonwear: Mapping[str, BoolArray]) -> tuple[FloatArray, FloatArray]:
    """Largest change of orientation between successive segments (deg) and largest
    activity (mg) over the worn ankles.

    ``inf`` where no ankle is worn or the samples were missing.
    """
    n = min(f.n for f in features.values())
    change = np.full(n, -np.inf)
    activity = np.full(n, -np.inf)
    worn_any = np.zeros(n, dtype=bool)
    for side, feat in features.items():
        orient = feat.orientation[:n]
        one = np.full(n, np.inf)
        one[1:] = angle_deg(orient[1:], orient[:-1])
        one[~np.isfinite(one)] = np.inf
        act = feat.activity_mg[:n]
        act = np.where(np.isfinite(act), act, np.inf)
        worn = ~nonwear[side][:n]
        change = np.where(worn, np.maximum(change, one), change)
        activity = np.where(worn, np.maximum(activity, act), activity)
        worn_any |= worn
    change[~worn_any] = np.inf
    activity[~worn_any] = np.inf
    return change, activity


def _rolling_median(x: FloatArray, width: int) -> FloatArray:
    return moving_median(np.where(np.isnan(x), np.inf, x)[:, None], width)[:, 0]


def sleep_blocks(change: FloatArray, activity: FloatArray, blocked: BoolArray,
                 settings: DaySettings) -> tuple[list[tuple[int, int]], float]:
    """Still blocks in segments ``[start, stop)`` and the threshold used, degrees.

    A segment is still when the rolling medians of the orientation change and
    of the activity are below their thresholds. ``blocked`` segments
    (non-wear) are never still and never bridged.
    """
    seg = settings.segment_s
    width = max(1, int(round(settings.median_s / seg)))
    med = _rolling_median(change, width)
    usable = ~blocked & np.isfinite(change)
    threshold = still_threshold_deg(med, usable, settings)
    calm = _rolling_median(activity, width) < settings.activity_max_mg
    still = (med < threshold) & calm & usable
    starts, stops = true_runs(still)
    keep = stops - starts >= int(np.ceil(settings.block_min_s / seg - 1e-9))
    gap_max = int(round(settings.gap_max_s / seg))
    blocks: list[tuple[int, int]] = []
    for a, b in zip(starts[keep], stops[keep], strict=True):
        if blocks and a - blocks[-1][1] < gap_max and not blocked[blocks[-1][1]:a].any():
            blocks[-1] = (blocks[-1][0], int(b))
        else:
            blocks.append((int(a), int(b)))
    return blocks, threshold


def day_bounds(start: dt.datetime | None, duration_s: float, settings: DaySettings
               ) -> list[tuple[float, float, str | None]]:
    """The days (start s, end s, evening date ISO) the recording covers enough of.

    Days run from ``day_start_h`` to the same hour the next day; without a
    clock time the recording's start is taken as the day's start.

    Examples
    --------
    >>> day_bounds(dt.datetime(2026, 1, 5, 12, 0), 2 * 86400.0, DaySettings())
    [(0.0, 86400.0, '2026-01-05'), (86400.0, 172800.0, '2026-01-06')]
    """
    if start is None:
        first, first_date = 0.0, None
    else:
        day0 = dt.datetime.combine(start.date(), dt.time()) + dt.timedelta(
            hours=settings.day_start_h)
        if day0 > start.replace(tzinfo=None):
            day0 -= dt.timedelta(days=1)
        first = (day0 - start.replace(tzinfo=None)).total_seconds()
        first_date = day0.date()
    out = []
    at = first
    k = 0
    while at < duration_s:
        end = at + S_PER_DAY
        cover = min(end, duration_s) - max(at, 0.0)
        if cover >= settings.day_min_cover_s:
            date = None if first_date is None else (first_date + dt.timedelta(days=k)).isoformat()
            out.append((at, end, date))
        at, k = end, k + 1
    return out


def _night_hours(day_start_s: float, settings: DaySettings) -> tuple[float, float]:
    """The night hours of a day, s from the recording start."""
    after = (settings.night_from_h - settings.day_start_h) % 24
    length = (settings.night_to_h - settings.night_from_h) % 24
    lo = day_start_s + after * S_PER_H
    return lo, lo + length * S_PER_H


def _runs_table(mask: BoolArray, seg: float, side: str | None = None) -> pd.DataFrame:
    starts, stops = true_runs(mask)
    table = pd.DataFrame({"start_s": starts * seg, "end_s": stops * seg})
    if side is not None:
        table["side"] = side
    return table.astype({"start_s": float, "end_s": float})


@dataclass(frozen=True, eq=False)
class SleepPeriods:
    """The split of a multi-day recording.

    Attributes
    ----------
    days : DataFrame
        One row per day (:data:`DAY_COLUMNS`): ``status`` ok (``start_s``/``end_s``:
        the main sleep period) or no sleep period (``reason`` says why).
    naps : DataFrame
        ``start_s``, ``end_s`` of the other sleep blocks.
    nonwear : DataFrame
        ``start_s``, ``end_s``, ``side`` (``left``/``right``/``both``).
    nonwear_mask : dict of side to array of bool
        Per segment.
    threshold_deg : float
        The stillness threshold used.
    """

    days: pd.DataFrame
    naps: pd.DataFrame
    nonwear: pd.DataFrame
    nonwear_mask: dict[str, BoolArray]
    threshold_deg: float


def nonwear_table(masks: Mapping[str, BoolArray], seg: float,
                  settings: DaySettings = DaySettings()  # noqa: B008
                  ) -> pd.DataFrame:
    """Non-wear stretches: ``both`` where every ankle is off, else the side that is.

    A one-side piece shorter than ``nonwear_side_min_s`` next to a ``both``
    stretch (one sensor put on a moment before the other) is not listed.
    """
    n = min(m.size for m in masks.values())
    if len(masks) == 1:
        side, mask = next(iter(masks.items()))
        return _runs_table(mask[:n], seg, side)
    both = np.logical_and.reduce([m[:n] for m in masks.values()])
    tables = [_runs_table(both, seg, "both")]
    short = int(np.ceil(settings.nonwear_side_min_s / seg - 1e-9))
    for side, mask in masks.items():
        starts, stops = true_runs(mask[:n] & ~both)
        touch = np.array([(a > 0 and both[a - 1]) or (b < n and both[b]) for a, b in
                          zip(starts, stops, strict=True)], dtype=bool)
        keep = ~(touch & (stops - starts < short)) if starts.size else np.zeros(0, bool)
        tables.append(pd.DataFrame({"start_s": starts[keep] * seg, "end_s": stops[keep] * seg,
                                    "side": side}).astype({"start_s": float, "end_s": float}))
    out = pd.concat(tables, ignore_index=True)
    return out.sort_values(["start_s", "side"], kind="stable").reset_index(drop=True)


def find_sleep_periods(features: Mapping[str, SegmentFeatures], start: dt.datetime | None,
                       duration_s: float, settings: DaySettings = DaySettings()  # noqa: B008
                       ) -> SleepPeriods:
    """Non-wear, the main sleep period of each day, and naps (see the module notes)."""
    if not features:
        raise ValueError("features must hold at least one ankle")
    seg = settings.segment_s
    masks = {side: nonwear_mask(f, settings) for side, f in features.items()}
    change, activity = orientation_change(features, masks)
    n = change.size
    off_all = np.logical_and.reduce([m[:n] for m in masks.values()])
    blocks, threshold = sleep_blocks(change, activity, off_all, settings)
    rows, used = [], set()
    for k, (lo, hi, date) in enumerate(day_bounds(start, duration_s, settings), start=1):
        night_lo, night_hi = _night_hours(lo, settings)
        mine = [(a, b) for a, b in blocks
                if lo <= (a + b) / 2 * seg < hi and a * seg < night_hi and b * seg > night_lo]
        a_s, b_s = max(lo, 0.0), min(hi, duration_s)
        i0, i1 = int(a_s // seg), int(np.ceil(b_s / seg))
        nw_min = float(off_all[i0:i1].sum() * seg / 60.0)
        row = {"day": k, "date": date, "day_start_s": lo, "day_end_s": hi,
               "status": DAY_NO_SLEEP, "start_s": None, "end_s": None,
               "nonwear_min": nw_min, "reason": None}
        best = max(mine, key=lambda blk: blk[1] - blk[0], default=None)
        night_i = (int(night_lo // seg), int(np.ceil(night_hi / seg)))
        night_off = off_all[night_i[0]:night_i[1]]
        if best is not None and (best[1] - best[0]) * seg >= settings.night_min_s:
            row.update(status=DAY_SLEEP, start_s=best[0] * seg, end_s=best[1] * seg)
            used.add(best)
        elif night_off.size and night_off.mean() > 0.5:
            row["reason"] = "the sensor was off the ankle for most of the night"
        elif best is None:
            row["reason"] = "no still period overlapping the night"
        else:
            row["reason"] = (f"the longest still period overlapping the night lasts "
                             f"{(best[1] - best[0]) * seg / 60:.0f} min, under "
                             f"{settings.night_min_s / 60:.0f} min")
        rows.append(row)
    days = pd.DataFrame(rows, columns=list(DAY_COLUMNS))
    nap_min = int(np.ceil(settings.nap_min_s / seg - 1e-9))
    naps = pd.DataFrame([(a * seg, b * seg) for a, b in blocks
                         if (a, b) not in used and b - a >= nap_min],
                        columns=list(PERIOD_COLUMNS)).astype(float)
    return SleepPeriods(days, naps, nonwear_table(masks, seg, settings), masks, threshold)


def night_window(start_s: float, end_s: float, duration_s: float,
                 settings: DaySettings = DaySettings(),  # noqa: B008
                 off: Iterable[tuple[float, float]] = ()) -> tuple[float, float]:
    """The scoring window of a sleep period: widened by the margin, rounded out, clipped.

    The margin never reaches into a stretch of ``off`` (non-wear, start and end s).

    >>> night_window(3605.0, 7200.0, 9000.0, DaySettings(window_margin_s=0.0))
    (3600.0, 7200.0)
    >>> night_window(3600.0, 7200.0, 9000.0, off=[(3000.0, 3500.0)])
    (3510.0, 7500.0)
    """
    r = settings.window_round_s
    lo = np.floor((start_s - settings.window_margin_s) / r + 1e-9) * r
    hi = np.ceil((end_s + settings.window_margin_s) / r - 1e-9) * r
    for a, b in off:
        if a < start_s and b > lo:
            lo = np.ceil(b / r - 1e-9) * r
        if b > end_s and a < hi:
            hi = np.floor(a / r + 1e-9) * r
    top = np.floor(duration_s / r + 1e-9) * r
    return float(max(lo, 0.0)), float(min(hi, top))
