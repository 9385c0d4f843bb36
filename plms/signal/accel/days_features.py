"""Per-segment features of ankle accelerometers and the non-wear they reveal (multi-day).

The settings of the multi-day split (:class:`DaySettings`), the features per
5-s segment (:func:`segment_features`, :func:`features_from_chunks`) and
non-wear (:func:`nonwear_mask`); the rest of the split (sleep periods, naps,
days) is :mod:`plms.signal.accel.days`, whose notes describe the methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plms.signal.accel._filters import block_means
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
    #: A day without a main sleep period is said to have had the sensor off the ankle
    #: when more than this share of its night hours is non-wear (on every ankle).
    night_off_share: float = 0.5
    #: Shortest nap, s.
    nap_min_s: float = 1200.0
    #: A day is listed when the recording covers at least this much of it, s.
    day_min_cover_s: float = 6.0 * 3600.0
    #: The night's window (lights off, lights on) is the block widened by this, s. Short,
    #: so that restless wake right after lights off is seen from its start by the
    #: sleep/wake estimate (``restless_gap_s``): tuned on seeds 0-19 (5 min before).
    window_margin_s: float = 120.0
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
        for name in ("micro_share", "night_off_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
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
