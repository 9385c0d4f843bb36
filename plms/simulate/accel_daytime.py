"""Daytime activities of an ankle sensor: walking, sitting, standing, lying, non-wear.

Every function returns the noise-free signal (g, sensor frame, float64) of one
ankle over ``n`` samples; sensor noise, drift, clipping and quantisation are
added by :mod:`plms.simulate.accel_days`. The sensor is strapped to the shank
(:class:`Wearer`): its ``up`` direction (the shank axis, what gravity reads
standing) and ``ml`` axis (mediolateral, the axis the shank swings about when
walking) are fixed for a recording.

- walking: the shank swings about ``ml`` (20-35 degrees at the stride
  frequency, half the step frequency of 1.5-2 Hz) and the ankle accelerates
  by 0.3-1 g (harmonics of the stride, strongest at the step frequency, plus
  a heel-strike impact per stride);
- standing: shank near vertical (within 3-10 degrees), postural sway of 1-3
  degrees below 0.5 Hz and a few mg of jitter;
- sitting: shank tilted 0-40 degrees (legs crossed: rolled 10-60 degrees
  about the shank too), sway below 1 degree; fidgeting adds foot tapping
  (3-6 Hz, 50-250 mg, 3-40 s) and repositionings (5-25 degrees);
- lying: shank horizontal, rolled about its axis; still apart from breathing
  (less than 1 mg) and, when restless or asleep, movements of the foot
  rendered as in the nights (:func:`plms.simulate.accel_motion.render_rotation`);
- non-wear: the sensor on a table, one axis within 0-3 degrees of +-1 g,
  a few seconds of handling at either end, nothing else.

>>> import numpy as np
>>> w = draw_wearer(np.random.default_rng(0))
>>> x = standing(np.random.default_rng(1), 250, 25.0, w)
>>> x.shape, bool(np.all(np.abs(np.linalg.norm(x, axis=1) - 1) < 0.05))
((250, 3), True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from plms.simulate import accel_events as ev
from plms.simulate import accel_motion as am

FloatArray = npt.NDArray[np.float64]

#: Step frequency of walking (uniform), Hz; the ankle swings at half of it.
STEP_HZ = (1.5, 2.0)
#: Shank swing amplitude while walking (uniform), degrees.
SWING_DEG = (20.0, 35.0)
#: Linear acceleration of the ankle while walking (rms, uniform), g.
GAIT_RMS_G = (0.25, 0.5)
#: Harmonics of the stride frequency and their relative amplitudes (2 = the step frequency).
GAIT_HARMONICS = (1.0, 2.0, 3.0, 4.0, 6.0)
GAIT_WEIGHTS = (0.25, 1.0, 0.3, 0.3, 0.15)
#: Heel-strike impact per stride: amplitude (uniform g) and width (s); the other
#: foot's strike half a stride later reaches this ankle at a share of it.
HEEL_G = (0.4, 1.2)
HEEL_S = 0.04
OTHER_HEEL_SHARE = (0.5, 0.9)
#: Cycle-to-cycle variability of the stride (rms of the relative frequency wander).
STRIDE_JITTER = 0.03
#: Standing: tilt of the shank from vertical and sway (uniform degrees, band Hz).
STAND_TILT_DEG = (3.0, 10.0)
STAND_SWAY_DEG = (1.0, 3.0)
STAND_SWAY_HZ = (0.05, 0.5)
#: Small accelerations of a body that is not still (rms g, band Hz), standing and sitting.
STAND_JITTER_G = (0.003, 0.01)
SIT_JITTER_G = (0.0005, 0.002)
JITTER_HZ = (0.2, 3.0)
#: Sitting: shank tilt (uniform degrees), chance of crossed legs and their roll.
SIT_TILT_DEG = (0.0, 40.0)
CROSSED_P = 0.3
CROSSED_ROLL_DEG = (10.0, 60.0)
SIT_SWAY_DEG = (0.2, 1.0)
SIT_SWAY_HZ = (0.02, 0.3)
#: Fidgeting while sitting: taps and repositionings per minute (uniform) ...
FIDGET_PER_MIN = (0.5, 3.0)
#: ... a tap bout: duration (s), frequency (Hz), amplitude (g) ...
TAP_S = (3.0, 40.0)
TAP_HZ = (3.0, 6.0)
TAP_G = (0.05, 0.25)
#: ... a repositioning: angle (deg) and duration (s); share of the fidgets that are taps.
REPOSITION_DEG = (5.0, 25.0)
REPOSITION_S = (1.0, 4.0)
TAP_SHARE = 0.5
#: Lying: shank within this of horizontal (deg), roll about the shank (deg).
LIE_TILT_DEG = (0.0, 15.0)
LIE_ROLL_DEG = (-90.0, 90.0)
#: Foot movements while lying: per hour when restless / asleep in a nap, peak deg, s.
RESTLESS_PER_H = (20.0, 60.0)
NAP_MOVES_PER_H = (2.0, 10.0)
LIE_MOVE_DEG = (8.0, 35.0)
LIE_MOVE_S = (1.0, 6.0)
#: Share of the lying movements that leave the foot elsewhere, and how far (deg).
LIE_SETTLE_P = 0.3
LIE_SETTLE_DEG = (2.0, 8.0)
#: Breathing rate while lying (uniform breaths per minute).
BREATHS_PER_MIN = (12.0, 18.0)
#: Non-wear: the axis nearest to gravity is within this (deg); handling at either end (s, g).
NONWEAR_TILT_DEG = (0.0, 3.0)
HANDLING_S = (2.0, 8.0)
HANDLING_G = (0.1, 0.6)
HANDLING_HZ = (0.5, 6.0)
#: Degrees in a right angle (lying turns the shank by it).
RIGHT_ANGLE_DEG = 90.0


@dataclass(frozen=True)
class Wearer:
    """How a sensor sits on its ankle over a recording (unit vectors, sensor frame).

    Attributes
    ----------
    up : ndarray (3,)
        Shank axis pointing up: gravity's reading when standing upright.
    ml : ndarray (3,)
        Mediolateral axis, perpendicular to ``up`` (the walking swing axis).
    geometry : AnkleGeometry
        Ankle axis and lever for foot movements (the ankle axis is ``ml``).
    """

    up: FloatArray
    ml: FloatArray
    geometry: am.AnkleGeometry


def draw_wearer(rng: np.random.Generator) -> Wearer:
    """A random mounting of the sensor on the shank."""
    up = am.unit(rng.normal(size=3))
    ml = rng.normal(size=3)
    ml = am.unit(ml - (ml @ up) * up)
    lever = am.unit(np.cross(ml, up))
    return Wearer(up, ml, am.AnkleGeometry(ml, lever, float(rng.uniform(*am.LEVER_M))))


def _tilted(rng: np.random.Generator, v: FloatArray, deg: tuple[float, float]) -> FloatArray:
    axis = am.unit(np.cross(v, rng.normal(size=3)))
    return am.rotate(v[None, :], axis, np.radians([rng.uniform(*deg)]))[0]


def _slow(rng: np.random.Generator, n: int, fs: float, band: tuple[float, float]) -> FloatArray:
    """Unit-rms band noise (the band's top capped below Nyquist)."""
    top = min(band[1], ev.NYQUIST_SHARE * fs / 2)
    return am.band_noise(rng, n, fs, (band[0], top))


def _jitter(rng: np.random.Generator, n: int, fs: float, level: tuple[float, float]) -> FloatArray:
    g = float(rng.uniform(*level))
    return np.stack([_slow(rng, n, fs, JITTER_HZ) for _ in range(3)], axis=1) * g


def standing_direction(rng: np.random.Generator, wearer: Wearer) -> FloatArray:
    """Gravity's reading of a standing leg."""
    return _tilted(rng, wearer.up, STAND_TILT_DEG)


def sitting_direction(rng: np.random.Generator, wearer: Wearer) -> FloatArray:
    """Gravity's reading of a seated leg (shank tilted forward, legs maybe crossed)."""
    g = am.rotate(wearer.up[None, :], wearer.ml, np.radians([rng.uniform(*SIT_TILT_DEG)]))[0]
    if rng.random() < CROSSED_P:
        fwd = am.unit(np.cross(wearer.ml, wearer.up))
        g = am.rotate(g[None, :], fwd, np.radians([rng.uniform(*CROSSED_ROLL_DEG)]))[0]
    return g


def lying_direction(rng: np.random.Generator, wearer: Wearer) -> FloatArray:
    """Gravity's reading of a lying leg: shank near horizontal, rolled about its axis."""
    g = am.rotate(wearer.up[None, :], wearer.ml,
                  np.radians([RIGHT_ANGLE_DEG - rng.uniform(*LIE_TILT_DEG)]))[0]
    return am.rotate(g[None, :], wearer.up, np.radians([rng.uniform(*LIE_ROLL_DEG)]))[0]


def _swayed(rng: np.random.Generator, g: FloatArray, n: int, fs: float, wearer: Wearer,
            deg: tuple[float, float], band: tuple[float, float]) -> FloatArray:
    """``g`` swaying about ``ml`` and about ``up`` by ``deg`` rms in ``band``.

    Small angles: ``g + a * (ml x g) + b * (up x g)``, renormalised.
    """
    amp = np.radians(rng.uniform(*deg))
    x = np.tile(g, (n, 1))
    x += np.outer(amp * _slow(rng, n, fs, band), np.cross(wearer.ml, g))
    x += np.outer(amp * _slow(rng, n, fs, band), np.cross(wearer.up, g))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _rotation_matrix(axis: FloatArray, angle_rad: float) -> FloatArray:
    """The 3x3 matrix turning row vectors ``v`` into ``v @ m`` rotated about ``axis``."""
    return am.rotate(np.eye(3), axis, np.full(3, angle_rad))


def walking(rng: np.random.Generator, n: int, fs: float, wearer: Wearer) -> FloatArray:
    """A walking bout: swing of the shank plus the ankle's gait accelerations."""
    step_hz = float(rng.uniform(*STEP_HZ))
    wander = 1.0 + STRIDE_JITTER * _slow(rng, n, fs, (0.01, 0.2))
    phase = 2 * np.pi * np.cumsum(wander) * (step_hz / 2) / fs + rng.uniform(0, 2 * np.pi)
    swing = np.radians(rng.uniform(*SWING_DEG)) * np.sin(phase)
    x = am.rotate(np.tile(standing_direction(rng, wearer), (n, 1)), wearer.ml, swing)
    fwd = am.unit(np.cross(wearer.ml, wearer.up))
    lin = np.zeros((n, 3))
    for h, w in zip(GAIT_HARMONICS, GAIT_WEIGHTS, strict=True):
        if h * step_hz / 2 >= ev.NYQUIST_SHARE * fs / 2:
            continue
        for axis in (wearer.up, fwd):
            lin += np.outer(w * rng.uniform(0.5, 1.0) * np.sin(h * phase + rng.uniform(0, 6.3)),
                            axis)
    rms = float(np.sqrt(np.mean(np.sum(lin ** 2, axis=1)))) or 1.0
    x += lin * (rng.uniform(*GAIT_RMS_G) / rms)
    width = max(int(round(HEEL_S * fs)), 1)
    pulse = np.hanning(2 * width + 1)
    other = float(rng.uniform(*OTHER_HEEL_SHARE))
    for shift, share in ((0.0, 1.0), (np.pi, other)):
        strikes = np.flatnonzero(np.diff(np.floor((phase + shift) / (2 * np.pi))) > 0)
        for i in strikes:
            lo, hi = max(i - width, 0), min(i + width + 1, n)
            x[lo:hi] += np.outer(pulse[lo - i + width:hi - i + width]
                                 * share * rng.uniform(*HEEL_G), wearer.up)
    return x


def standing(rng: np.random.Generator, n: int, fs: float, wearer: Wearer) -> FloatArray:
    """Standing: near-vertical shank, slow sway and a few mg of jitter."""
    g = standing_direction(rng, wearer)
    x = _swayed(rng, g, n, fs, wearer, STAND_SWAY_DEG, STAND_SWAY_HZ)
    return x + _jitter(rng, n, fs, STAND_JITTER_G)


def _foot_moves(rng: np.random.Generator, x: FloatArray, fs: float, wearer: Wearer,
                count: int) -> None:
    """Add ``count`` foot movements (rotations about the ankle, as in the nights) in place.

    A movement that settles elsewhere (``end_deg``) turns everything after it;
    the turns are accumulated in one matrix applied stretch by stretch.
    """
    n = x.shape[0]
    duration_s = n / fs
    turned = np.eye(3)
    done = 0  # x[:done] is final
    for onset in np.sort(rng.uniform(0.0, max(duration_s - LIE_MOVE_S[1], 0.0), size=count)):
        end = float(rng.uniform(*LIE_SETTLE_DEG)) if rng.random() < LIE_SETTLE_P else 0.0
        rot = am.draw_rotation(rng, wearer.geometry, float(onset), float(rng.uniform(*LIE_MOVE_S)),
                               float(rng.uniform(*LIE_MOVE_DEG)), 1, end)
        i0, i1 = am.window(rot.onset, rot.duration, fs, n)
        if i1 <= done:
            continue
        x[done:i1] = x[done:i1] @ turned
        local = replace(rot, onset=rot.onset - i0 / fs)  # rendered on the window alone
        am.render_rotation(local, wearer.geometry, x[i0:i1].copy(), x[i0:i1], fs)
        if end:
            turned = turned @ _rotation_matrix(rot.axis, np.radians(end))
        done = i1
    x[done:] = x[done:] @ turned


def sitting(rng: np.random.Generator, n: int, fs: float, wearer: Wearer,
            fidget: bool) -> FloatArray:
    """Sitting with legs still (small sway) or fidgeting (taps, repositionings)."""
    g = sitting_direction(rng, wearer)
    x = _swayed(rng, g, n, fs, wearer, SIT_SWAY_DEG, SIT_SWAY_HZ)
    x += _jitter(rng, n, fs, SIT_JITTER_G)
    if not fidget:
        return x
    per_min = float(rng.uniform(*FIDGET_PER_MIN))
    count = int(rng.poisson(per_min * n / fs / ev.S_PER_MIN))
    taps = int(rng.binomial(count, TAP_SHARE))
    _foot_moves(rng, x, fs, wearer, count - taps)
    for _ in range(taps):
        length = int(rng.uniform(*TAP_S) * fs)
        i0 = int(rng.integers(0, max(n - length, 1)))
        i1 = min(i0 + length, n)
        t = np.arange(i1 - i0) / fs
        hz = min(float(rng.uniform(*TAP_HZ)), ev.NYQUIST_SHARE * fs / 2)
        wave = rng.uniform(*TAP_G) * np.sin(2 * np.pi * hz * t) * am.edge_envelope(i1 - i0, fs)
        x[i0:i1] += np.outer(wave, wearer.up)
    return x


def lying(rng: np.random.Generator, n: int, fs: float, wearer: Wearer, moves_per_h: float,
          direction: FloatArray | None = None) -> FloatArray:
    """Lying (in bed awake or napping): breathing only, plus ``moves_per_h`` foot movements.

    ``direction``: gravity's reading to lie at (default drawn).
    """
    g = lying_direction(rng, wearer) if direction is None else am.unit(direction)
    x = np.tile(g, (n, 1))
    x += ev.breathing(rng, n, fs, float(rng.uniform(*BREATHS_PER_MIN)))
    _foot_moves(rng, x, fs, wearer, int(rng.poisson(moves_per_h * n / fs / ev.S_PER_H)))
    return x


def nonwear_direction(rng: np.random.Generator) -> FloatArray:
    """A sensor lying on a table: one axis within a few degrees of +-1 g."""
    g = np.zeros(3)
    g[int(rng.integers(3))] = rng.choice([-1.0, 1.0])
    return _tilted(rng, g, NONWEAR_TILT_DEG)


def handling(rng: np.random.Generator, fs: float) -> FloatArray:
    """A few seconds of the sensor being taken off or put on (no gravity term), g."""
    n = max(int(rng.uniform(*HANDLING_S) * fs), 2)
    level = float(rng.uniform(*HANDLING_G))
    wave = np.stack([_slow(rng, n, fs, HANDLING_HZ) for _ in range(3)], axis=1)
    return wave * level * am.edge_envelope(n, fs)[:, None]
