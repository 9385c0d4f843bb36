"""Leg-movement detection in an ankle accelerometer (RULES.md section 6).

A foot movement mostly *rotates* the sensor: the gravity vector it measures
turns by 5-35 degrees while its length hardly changes. The detector therefore
works on the acceleration **vector**:

1. block means bring the signal to a working rate of about 25 Hz, then a
   moving average of ``smoothing_s`` removes most of the sensor noise;
2. gravity is estimated per axis by moving medians over ``gravity_window_s``
   *before* and *after* each moment (from block medians, so an 8-h night
   costs milliseconds);
3. the activity is the distance (mg) of the smoothed vector from the nearer
   of the two estimates. A rotation by ``theta`` moves the vector by
   ``2 sin(theta / 2)`` g (350 mg at 20 degrees); a permanent change of
   posture matches the "after" estimate once it is over, so only its
   transient counts;
4. onset when the activity reaches the threshold, raised to
   ``noise_factor`` times the recording's noise floor when that is higher;
   offset at the start of the first quiet period (``Rules.lm_offset_quiet_s``)
   below the offset level; movements shorter than ``Rules.lm_min_duration_s``
   are dropped, long ones are kept (the rules decide about them);
5. weak movements (a foot turned by 1-3 degrees, 17-52 mg) are found the same
   way on the *held* deviation, that of a low-passed vector (about 1 Hz),
   where the noise is lower, with lower levels; those whose activity stays
   below the onset threshold (step 4 did not see them) and that overlap no
   event of step 4 are added;
6. every event must look like a foot held to one side rather than a shake of
   the bed (:mod:`plms.signal.accel.features`): its held deviation at least
   ``min_held_to_sway`` times its sway, and its ``coherence`` at least
   ``min_coherence``.

Like the EMG detector, the functions take data and return results; they
never modify their input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.signal.accel._filters import as_rows, block_means, moving_average, moving_median
from plms.signal.accel.features import (
    add_disjoint,
    event_features,
    find_events,
    nearer_distance,
)
from plms.rules import Rules, get_rules

#: Columns of the table :func:`detect_lm_accel` returns.
ACCEL_LM_COLUMNS = ("onset", "duration", "peak_mg", "rotation_deg", "held_mg", "sway_mg",
                    "coherence")
#: Milli-g per g.
MG_PER_G = 1000.0
#: Axes of a three-axis sensor.
N_AXES = 3
#: Rows of the working-rate signal a gravity distance is computed for at a time.
DISTANCE_CHUNK_ROWS = 1 << 16
#: Rows whose block medians are taken at a time.
BLOCK_CHUNK_ROWS = 1 << 16
#: Warning for single-axis input.
SINGLE_AXIS_WARNING = (
    "single-axis input: only the change along that axis is seen, so a rotation "
    "of the foot is mostly invisible; give all three axes when you have them"
)


@dataclass(frozen=True)
class AccelDetectorSettings:
    """Choices of the accelerometer detector that are not scoring rules.

    The defaults were tuned on generated nights (seeds 0-9 of
    ``scripts/evaluate_accel.py``); ``docs/ACCEL.md`` says why each is what it is.

    Examples
    --------
    >>> AccelDetectorSettings(threshold_mg=40.0).offset_mg
    15.0
    >>> AccelDetectorSettings(offset_mg=50.0)
    Traceback (most recent call last):
    ...
    ValueError: offset_mg (50.0) must not exceed threshold_mg (30.0)
    >>> AccelDetectorSettings(min_coherence=1.5)
    Traceback (most recent call last):
    ...
    ValueError: min_coherence must be in [0, 1], got 1.5
    """

    #: Onset: the gravity-removed activity reaches this, mg (1.7 degrees of
    #: rotation; 5 degrees move the vector by 87 mg).
    threshold_mg: float = 30.0
    #: Offset: the activity stays below this for the rules' quiet period, mg.
    offset_mg: float = 15.0
    #: The thresholds are raised (in proportion) so that the onset threshold is
    #: at least this many times the recording's noise floor.
    noise_factor: float = 6.0
    #: The noise floor is this quantile of the activity over the recording
    #: (most of a night is still, so the median is the resting level).
    noise_quantile: float = 0.5
    #: Each of the two gravity estimates (before / after) is the per-axis
    #: median over this long, s.
    gravity_window_s: float = 30.0
    #: Block length of the medians the gravity estimate is built from, s.
    gravity_block_s: float = 0.5
    #: Moving average applied to the acceleration before the deviation, s.
    smoothing_s: float = 0.2
    #: The signal is brought to at most about this rate by block means, Hz.
    working_rate_hz: float = 25.0
    #: Each of the two moving averages that low-pass the vector for the held
    #: deviation, s (gain zero at 1 / this Hz: 1.7 Hz; half at about 0.7 Hz).
    held_smoothing_s: float = 0.6
    #: Weak movements: onset when the held deviation reaches this fraction of
    #: the onset level, offset below this fraction of the offset level (12 mg,
    #: 0.7 degrees, and 6 mg by default; they follow ``threshold_mg``,
    #: ``offset_mg`` and the noise raise).
    held_fraction: float = 0.4
    #: An event is kept only if its held deviation is at least this many times
    #: its sway (the median band-passed length): a held foot, not a shake.
    min_held_to_sway: float = 2.0
    #: ... and its coherence (mean deviation vector over its rms) at least this:
    #: a movement to one side, not an oscillation about rest.
    min_coherence: float = 0.4

    def __post_init__(self) -> None:
        for name in ("threshold_mg", "offset_mg", "noise_factor", "gravity_window_s",
                     "gravity_block_s", "smoothing_s", "working_rate_hz", "held_smoothing_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value}")
        if self.offset_mg > self.threshold_mg:
            raise ValueError(
                f"offset_mg ({self.offset_mg}) must not exceed threshold_mg ({self.threshold_mg})")
        if not 0.0 < self.held_fraction <= 1.0:
            raise ValueError(f"held_fraction must be in (0, 1], got {self.held_fraction}")
        if not (np.isfinite(self.min_held_to_sway) and self.min_held_to_sway >= 0):
            raise ValueError(f"min_held_to_sway must be a number >= 0, got {self.min_held_to_sway}")
        if not 0.0 <= self.min_coherence <= 1.0:
            raise ValueError(f"min_coherence must be in [0, 1], got {self.min_coherence}")
        if not 0.0 < self.noise_quantile < 1.0:
            raise ValueError(f"noise_quantile must be in (0, 1), got {self.noise_quantile}")
        if self.gravity_window_s < 2 * self.gravity_block_s:
            raise ValueError(
                f"gravity_window_s ({self.gravity_window_s}) must be at least two "
                f"gravity blocks ({2 * self.gravity_block_s} s)")


@dataclass(frozen=True, eq=False)
class AccelDetection:
    """Everything the accelerometer detector found on one ankle.

    Attributes
    ----------
    events : DataFrame
        One row per LM: ``onset``, ``duration`` (s), ``peak_mg`` (peak
        activity), ``rotation_deg`` (angle between gravity before and the
        median orientation during the movement; NaN for single-axis input),
        ``held_mg``, ``sway_mg``, ``coherence`` (:mod:`plms.signal.accel.features`).
    activity_mg : array of float32
        Gravity-removed activity at ``rate_hz`` (NaN where the input was NaN).
    rate_hz : float
    noise_floor_mg : float
        The recording's resting activity level.
    threshold_mg, offset_mg : float
        The onset and offset levels actually used.
    warnings : tuple of str
    """

    events: pd.DataFrame
    activity_mg: npt.NDArray[np.float32]
    rate_hz: float
    noise_floor_mg: float
    threshold_mg: float
    offset_mg: float
    warnings: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class _Gravity:
    """Per-axis gravity estimates of the working-rate samples, from block medians.

    Sample ``i`` lies in block ``i // block``; its estimate "before" is the
    centred moving median of the block ``1 + half`` blocks earlier, "after"
    that of the block ``1 + half`` blocks later (clipped to the recording).
    The estimates are gathered for the rows asked for, never for the whole
    recording at once.
    """

    centred: npt.NDArray[np.float64]  # (n_blocks, axes) in mg
    block: int
    half: int

    def _rows(self, rows: npt.NDArray[np.int64], shift: int) -> npt.NDArray[np.float64]:
        last = self.centred.shape[0] - 1
        return self.centred[np.clip(rows // self.block + shift, 0, last)]

    def before(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Gravity before each of ``rows``, (len(rows), axes) mg."""
        return self._rows(rows, -1 - self.half)

    def _spread(self, b0: int, b1: int, shift: int, rows: int) -> npt.NDArray[np.float64]:
        """The estimates ``shift`` blocks away of the first ``rows`` rows of blocks ``b0:b1``."""
        last = self.centred.shape[0] - 1
        picked = self.centred[np.clip(np.arange(b0, b1) + shift, 0, last)]
        return np.repeat(picked, self.block, axis=0)[:rows]

    def distance(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Per row of ``x`` (all the working-rate rows): distance from the nearer estimate.

        Computed a chunk of whole blocks (about :data:`DISTANCE_CHUNK_ROWS`
        rows) at a time: the same numbers as
        :func:`~plms.signal.accel.features.nearer_distance` of the whole
        arrays, without them.
        """
        n = x.shape[0]
        out = np.empty(n)
        per_chunk = max(1, DISTANCE_CHUNK_ROWS // self.block)   # blocks
        n_blocks = -(-n // self.block)
        for b0 in range(0, n_blocks, per_chunk):
            b1 = min(b0 + per_chunk, n_blocks)
            r0, r1 = b0 * self.block, min(n, b1 * self.block)
            out[r0:r1] = nearer_distance(x[r0:r1], self._spread(b0, b1, -1 - self.half, r1 - r0),
                                         self._spread(b0, b1, 1 + self.half, r1 - r0))
        return out


@dataclass(frozen=True, eq=False)
class _Activity:
    """Working-rate signals shared by the activity and the detector."""

    smoothed: npt.NDArray[np.float64]  # (n, axes) in mg
    gravity: _Gravity
    activity: npt.NDArray[np.float64]  # (n,) in mg, NaN where invalid
    rate_hz: float
    lowpassed: npt.NDArray[np.float64]  # (n, axes) in mg
    held: npt.NDArray[np.float64]  # (n,) in mg, NaN where invalid


def _as_axes(acc: npt.ArrayLike) -> npt.NDArray[np.floating]:
    """``acc`` as samples x axes; float32 and float64 are kept (not copied), others are float64.

    A signal read on demand stays so (:func:`~plms.signal.accel._filters.as_rows`).
    """
    x = as_rows(acc)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] not in (1, N_AXES):
        raise ValueError(f"acc must have shape (n,) or (n, 3), got {np.shape(acc)}")
    return x


def _working(x: npt.NDArray[np.floating], n: int, step: int
             ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Means of blocks of ``step`` samples in mg, and the blocks that held an invalid sample.

    The full-rate samples are converted to float64 mg a chunk at a time
    (:func:`block_means`); a recording with invalid samples is converted
    whole, as the invalid ones are replaced by the last valid sample
    (:func:`_fill_nan`), which may lie in an earlier chunk.
    """
    work = block_means(x, step, MG_PER_G)
    if np.isfinite(work).all():  # every sample was valid (a non-finite one spoils its block)
        return work, np.zeros(n, dtype=bool)
    full = np.multiply(x[: n * step], MG_PER_G, dtype=np.float64)
    bad_raw = ~np.all(np.isfinite(full), axis=1)
    full = _fill_nan(full, bad_raw)
    return full.reshape(n, step, x.shape[1]).mean(axis=1), bad_raw.reshape(n, step).any(axis=1)


def _fill_nan(x: npt.NDArray[np.float64], bad: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Copy of ``x`` with invalid rows replaced by the last valid row (first valid at the start)."""
    if not bad.any():
        return x
    good = np.flatnonzero(~bad)
    if good.size == 0:
        return np.zeros_like(x)
    last = np.maximum.accumulate(np.where(bad, 0, np.arange(bad.size)))
    last[: good[0]] = good[0]
    return x[last]


def _block_medians(x: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
    """Median over consecutive blocks of ``size`` rows (last block padded by its edge).

    Computed a chunk of blocks at a time (each block's median is its own, so
    the numbers are those of one call over all blocks), without a padded copy of ``x``.
    """
    n, k = x.shape
    full = n // size
    out = np.empty((-(-n // size), k))
    per_chunk = max(1, BLOCK_CHUNK_ROWS // size)
    for start in range(0, full, per_chunk):
        stop = min(full, start + per_chunk)
        out[start:stop] = np.median(x[start * size: stop * size].reshape(-1, size, k), axis=1)
    if full < out.shape[0]:   # the partial last block, padded by its last row
        rest = x[full * size:]
        padded = np.concatenate([rest, np.repeat(rest[-1:], size - rest.shape[0], axis=0)])
        out[full] = np.median(padded.reshape(1, size, k), axis=1)[0]
    return out


def _activity(acc: npt.ArrayLike, fs: float, settings: AccelDetectorSettings) -> _Activity:
    if not (np.isfinite(fs) and fs > 0):
        raise ValueError(f"sampling rate must be positive, got {fs}")
    x = _as_axes(acc)
    step = max(1, int(fs // settings.working_rate_hz))
    rate = fs / step
    n = x.shape[0] // step
    if n == 0:
        empty = np.zeros((0, x.shape[1]))
        return _Activity(empty, _Gravity(empty, 1, 0), np.zeros(0), rate, empty, np.zeros(0))
    work, bad = _working(x, n, step)
    width = max(1, int(round(settings.smoothing_s * rate)))
    smoothed = moving_average(work, width)
    block = max(1, int(round(settings.gravity_block_s * rate)))
    medians = _block_medians(smoothed, block)
    m = max(1, int(round(settings.gravity_window_s / (block / rate))))
    m += 1 - m % 2
    gravity = _Gravity(moving_median(medians, m), block, m // 2)
    dev = gravity.distance(smoothed)
    dev[bad] = np.nan
    # the low-pass is two moving averages (triangular_lowpass); the working-rate
    # signal is let go as soon as the first is done
    lp_width = max(1, int(round(settings.held_smoothing_s * rate)))
    first = moving_average(work, lp_width)
    del work
    lowpassed = moving_average(first, lp_width)
    del first
    held = gravity.distance(lowpassed)
    held[bad] = np.nan
    return _Activity(smoothed, gravity, dev, rate, lowpassed, held)


def accel_activity(
    acc: npt.ArrayLike,
    fs: float,
    settings: AccelDetectorSettings = AccelDetectorSettings(),  # noqa: B008 - frozen
) -> tuple[npt.NDArray[np.float32], float]:
    """Gravity-removed activity (mg) of one ankle and its rate.

    Parameters
    ----------
    acc : array_like, shape (n, 3) or (n,)
        Acceleration in g.
    fs : float
        Sampling rate, Hz.
    settings : AccelDetectorSettings

    Returns
    -------
    activity_mg : array of float32
        Distance of the smoothed acceleration vector from the nearer of the
        gravity estimates before and after each moment; NaN where the input
        was NaN.
    rate_hz : float

    Examples
    --------
    >>> acc = np.tile([0.0, 0.0, 1.0], (2500, 1))          # 100 s at 25 Hz, still
    >>> t = np.deg2rad(20.0)
    >>> acc[1250:1300] = [0.0, np.sin(t), np.cos(t)]       # tilted 20 degrees for 2 s
    >>> act, rate = accel_activity(acc, 25.0)
    >>> rate, round(float(act[1275])), round(float(act[100]))
    (25.0, 347, 0)
    """
    a = _activity(acc, fs, settings)
    return a.activity.astype(np.float32), a.rate_hz


def _rotation_deg(a: _Activity, on: npt.NDArray[np.int64],
                  off: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    if a.smoothed.shape[1] != N_AXES:
        return np.full(on.size, np.nan)
    out = np.empty(on.size)
    for i, (s, e) in enumerate(zip(on, off, strict=True)):
        g0 = a.gravity.before(np.array([s]))[0]
        v = np.median(a.smoothed[s:e], axis=0)
        cos = float(np.dot(g0, v) / max(np.linalg.norm(g0) * np.linalg.norm(v), 1e-12))
        out[i] = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return out


def detect_lm_accel(
    acc: npt.ArrayLike,
    fs: float,
    *,
    rules: str | Rules = "wasm2016",
    settings: AccelDetectorSettings = AccelDetectorSettings(),  # noqa: B008 - frozen
) -> AccelDetection:
    """Leg movements in one ankle's acceleration.

    Parameters
    ----------
    acc : array_like, shape (n, 3) or (n,)
        Acceleration in g; NaN samples are excluded.
    fs : float
        Sampling rate, Hz.
    rules : {"wasm2016", "aasm"} or Rules
        Supplies the quiet period that ends a movement and the minimum LM duration.
    settings : AccelDetectorSettings

    Returns
    -------
    AccelDetection

    Examples
    --------
    >>> acc = np.tile([0.0, 0.0, 1.0], (2500, 1))
    >>> t = np.deg2rad(20.0)
    >>> acc[1250:1300] = [0.0, np.sin(t), np.cos(t)]   # 20 degrees held 2 s from 50 s
    >>> det = detect_lm_accel(acc, 25.0)
    >>> det.events[["onset", "duration", "rotation_deg"]].round(1).to_dict("records")
    [{'onset': 49.9, 'duration': 2.2, 'rotation_deg': 20.0}]
    >>> t = np.arange(2500) / 25.0                     # the bed sways at 1 Hz for 4 s from 20 s
    >>> sway = np.outer(0.05 * np.sin(2 * np.pi * t) * ((t >= 20) & (t < 24)), [1.0, 0.0, 0.0])
    >>> detect_lm_accel(acc + sway, 25.0).events.onset.round(1).tolist()
    [49.9]
    """
    rules = get_rules(rules)
    x = _as_axes(acc)
    warnings: list[str] = []
    if x.shape[1] == 1:
        warnings.append(SINGLE_AXIS_WARNING)
    a = _activity(x, fs, settings)
    act = a.activity
    valid = np.isfinite(act)
    if act.size and not valid.all():
        warnings.append(f"{100.0 * (1.0 - valid.mean()):.1f}% of the recording is missing "
                        "(NaN) and was excluded")
    floor = float(np.quantile(act[valid], settings.noise_quantile)) if valid.any() else 0.0
    scale = max(1.0, settings.noise_factor * floor / settings.threshold_mg)
    on_level, off_level = settings.threshold_mg * scale, settings.offset_mg * scale
    if scale > 1.0:
        warnings.append(f"noisy recording (floor {floor:.1f} mg): onset threshold raised to "
                        f"{on_level:.1f} mg")
    on, off = find_events(act, a.rate_hz, on_level, off_level, rules)
    weak_on, weak_off = find_events(a.held, a.rate_hz, settings.held_fraction * on_level,
                                     settings.held_fraction * off_level, rules)
    # a movement the activity reached was judged above (kept, or dropped as too short)
    unseen = np.array([np.nanmax(act[s:e]) < on_level
                       for s, e in zip(weak_on, weak_off, strict=True)], dtype=bool)
    on, off = add_disjoint(on, off, weak_on[unseen], weak_off[unseen])
    held_mg, sway_mg, coherence = event_features(a.smoothed, a.lowpassed, a.held,
                                                 a.gravity.before(on), on, off)
    keep = (held_mg >= settings.min_held_to_sway * sway_mg) & (coherence >= settings.min_coherence)
    on, off = on[keep], off[keep]
    peaks = np.array([np.nanmax(act[s:e]) for s, e in zip(on, off, strict=True)], dtype=float)
    events = pd.DataFrame({
        "onset": on / a.rate_hz,
        "duration": (off - on) / a.rate_hz,
        "peak_mg": peaks,
        "rotation_deg": _rotation_deg(a, on, off),
        "held_mg": held_mg[keep],
        "sway_mg": sway_mg[keep],
        "coherence": coherence[keep],
    }, columns=list(ACCEL_LM_COLUMNS))
    return AccelDetection(events, act.astype(np.float32), a.rate_hz, floor, on_level,
                          off_level, tuple(warnings))
