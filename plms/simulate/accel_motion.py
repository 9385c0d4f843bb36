"""Rendering of ankle motion as tri-axial acceleration (in g, sensor frame).

The sensor is strapped to the ankle. At rest it reads gravity: a unit vector
in sensor coordinates that only changes when the sleeper turns (a posture
change) or repositions a leg. A foot movement (dorsiflexion, toe extension)
rotates the sensor about the ankle axis, fixed in sensor coordinates per
night: the gravity direction turns by the rotation angle (times the sine of
the angle between gravity and the axis) while the magnitude changes only by
the tangential (``r * alpha``) and centripetal (``r * omega**2``)
accelerations of a sensor ``r`` metres from the axis.

>>> import numpy as np
>>> v = rotate(np.array([[0.0, 0.0, 1.0]]), np.array([1.0, 0.0, 0.0]), np.radians([90.0]))
>>> np.round(v, 6).tolist()
[[0.0, -1.0, 0.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Milli-g per g.
MG_PER_G = 1000.0
#: Standard gravity, m/s^2 (accelerations in g are divided by it).
G_MS2 = 9.80665
#: Angle between gravity and the ankle axis at rest (uniform), degrees: a leg
#: in bed never has its ankle axis (nearly) vertical.
GRAVITY_AXIS_ANGLE_DEG = (45.0, 135.0)
#: Distance of the sensor from the ankle axis (uniform), m.
LEVER_M = (0.05, 0.12)
#: Per-movement jitter of the rotation axis (sigma of each component).
AXIS_JITTER = 0.12
#: Ramp time: uniform base s, plus this many s per degree of rotation, clipped to RAMP_S.
RAMP_BASE_S = (0.12, 0.28)
RAMP_S_PER_DEG = 0.004
RAMP_S = (0.1, 0.4)
#: Hold phase: slow wobble (share of the peak angle, frequency range Hz) ...
HOLD_WOBBLE = (0.03, 0.15)
HOLD_WOBBLE_HZ = (0.3, 2.0)
#: ... and tremor (rms degrees, band Hz).
TREMOR_DEG = (0.01, 0.06)
TREMOR_BAND_HZ = (3.0, 8.0)
#: Multi-phase movements: pauses (uniform s) where the angle falls to this share of the peak.
PHASE_PAUSE_S = (0.1, 0.35)
PHASE_DIP = (0.0, 0.4)
PHASE_GAIN = (0.5, 1.0)
#: Posture turns: duration (uniform s), wobble (deg), linear acceleration (rms g, band Hz).
TURN_S = (2.0, 8.0)
TURN_WOBBLE_DEG = (5.0, 20.0)
TURN_WOBBLE_HZ = (0.5, 2.0)
TURN_LINEAR_G = (0.1, 0.5)
TURN_LINEAR_HZ = (0.5, 5.0)
#: Movement outside the turn inside a posture LM, share of the turn level.
TURN_RESIDUAL = (0.15, 0.4)
#: Impacts during a turn: count (min..max), width (s), amplitude (log-uniform g).
TURN_IMPACTS = (1, 3)
IMPACT_WIDTH_S = (0.02, 0.06)
IMPACT_G = (0.3, 3.0)
#: Rare violent impacts that reach the sensor range: chance per turn and amplitude, g.
VIOLENT_P = 0.05
VIOLENT_G = (6.0, 12.0)
#: Edge ramps of movement envelopes, s.
EDGE_RAMP_S = 0.15
#: Passive turn of a leg without a scored movement (duration s, uniform).
PASSIVE_TURN_S = (2.0, 3.5)
#: Rest directions of the body positions differ by at least this, degrees ...
MIN_POSITION_SEPARATION_DEG = 40.0
#: ... and each return to a position tilts its direction by this much (uniform degrees).
POSITION_JITTER_DEG = (0.0, 12.0)
MAX_ORIENTATION_TRIES = 100
#: Exclusive bound of per-event noise seeds.
SEED_BOUND = 2 ** 31
#: Angles below this are treated as zero (radians).
TINY_ANGLE_RAD = 1e-9


@dataclass(frozen=True)
class AnkleGeometry:
    """Fixed geometry of one ankle sensor over a night.

    Attributes
    ----------
    axis : ndarray (3,)
        Ankle (dorsiflexion) axis, unit vector in sensor coordinates.
    lever : ndarray (3,)
        Unit vector from the axis to the sensor, perpendicular to ``axis``.
    radius_m : float
        Distance of the sensor from the axis, m.
    """

    axis: FloatArray
    lever: FloatArray
    radius_m: float


def unit(v: npt.ArrayLike) -> FloatArray:
    """``v`` scaled to unit length (along the last axis)."""
    a = np.asarray(v, dtype=float)
    norm = np.linalg.norm(a, axis=-1, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("cannot normalise a zero vector")
    return a / norm


def rotate(v: FloatArray, axis: FloatArray, angle_rad: FloatArray) -> FloatArray:
    """Rotate the rows of ``v`` (n, 3) about ``axis`` by ``angle_rad`` (n,) (Rodrigues)."""
    k = unit(axis)
    c = np.cos(angle_rad)[:, None]
    s = np.sin(angle_rad)[:, None]
    return v * c + np.cross(k, v) * s + np.outer(v @ k, k) * (1.0 - c)


def angle_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle between the rows of ``a`` and ``b`` (or a single vector), degrees."""
    cos = np.sum(unit(a) * unit(b), axis=-1)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def draw_geometry(rng: np.random.Generator) -> AnkleGeometry:
    """A random ankle axis, lever and radius."""
    axis = unit(rng.normal(size=3))
    lever = rng.normal(size=3)
    lever = unit(lever - (lever @ axis) * axis)
    return AnkleGeometry(axis, lever, float(rng.uniform(*LEVER_M)))


def _axis_angle_ok(g: FloatArray, geometry: AnkleGeometry) -> bool:
    lo, hi = GRAVITY_AXIS_ANGLE_DEG
    return lo <= float(angle_deg(g, geometry.axis)) <= hi


def draw_orientation(rng: np.random.Generator, geometry: AnkleGeometry,
                     avoid: list[FloatArray] | None = None) -> FloatArray:
    """A gravity direction at rest, at a realistic angle to the ankle axis.

    It keeps :data:`MIN_POSITION_SEPARATION_DEG` from every direction in ``avoid``
    (as far as :data:`MAX_ORIENTATION_TRIES` draws allow).
    """
    g = unit(rng.normal(size=3))
    for _ in range(MAX_ORIENTATION_TRIES):
        g = unit(rng.normal(size=3))
        if _axis_angle_ok(g, geometry) and all(
                float(angle_deg(g, other)) >= MIN_POSITION_SEPARATION_DEG
                for other in avoid or []):
            return g
    return g


def position_orientations(rng: np.random.Generator, geometry: AnkleGeometry,
                          positions: tuple[str, ...]) -> dict[str, FloatArray]:
    """One rest direction per body position, all clearly apart."""
    out: dict[str, FloatArray] = {}
    for name in positions:
        out[name] = draw_orientation(rng, geometry, list(out.values()))
    return out


def jitter_orientation(rng: np.random.Generator, g: FloatArray,
                       geometry: AnkleGeometry) -> FloatArray:
    """``g`` tilted by up to :data:`POSITION_JITTER_DEG` (the leg never lies twice alike)."""
    new = g
    for _ in range(MAX_ORIENTATION_TRIES):
        tilt_axis = unit(np.cross(g, rng.normal(size=3)))
        new = rotate(g[None, :], tilt_axis, np.radians([rng.uniform(*POSITION_JITTER_DEG)]))[0]
        if _axis_angle_ok(new, geometry):
            return new
    return new


def window(onset: float, duration: float, fs: float, n: int) -> tuple[int, int]:
    """Sample range [i0, i1) of an event from ``onset`` lasting ``duration`` s."""
    i0 = max(int(np.ceil(onset * fs)), 0)
    i1 = min(int(np.floor((onset + duration) * fs)) + 1, n)
    return i0, max(i1, i0)


def _truth(out: FloatArray, path: FloatArray, ref: FloatArray) -> tuple[float, float]:
    """Largest gravity-direction change (deg) and magnitude deviation (mg) of a window."""
    if path.shape[0] == 0:
        return 0.0, 0.0
    rotation = float(np.max(angle_deg(path, ref)))
    peak_mg = float(np.max(np.abs(np.linalg.norm(out, axis=1) - 1.0))) * MG_PER_G
    return rotation, peak_mg


def band_noise(rng: np.random.Generator, n: int, fs: float,
               band_hz: tuple[float, float]) -> FloatArray:
    """Gaussian noise limited to ``band_hz`` with unit rms (zeros if the band is empty)."""
    if n < 2:
        return np.zeros(n)
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    spec[(f < band_hz[0]) | (f > band_hz[1])] = 0.0
    x = np.fft.irfft(spec, n)
    rms = float(np.sqrt(np.mean(x ** 2)))
    return x / rms if rms > 0 else x


def edge_envelope(n: int, fs: float, ramp_s: float = EDGE_RAMP_S) -> FloatArray:
    """1 inside a window of ``n`` samples, raised-cosine ramps of ``ramp_s`` at the edges."""
    t = np.arange(n) / fs
    span = n / fs
    ramp = max(min(ramp_s, span / 3.0), 1.0 / fs)
    edge = np.clip(np.minimum(t, span - t) / ramp, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * edge)


@dataclass(frozen=True)
class Rotation:
    """Parameters of one rotation-dominant foot movement.

    ``end_deg`` is non-zero for a repositioning (the foot settles elsewhere);
    ``tremor_gain`` scales the hold tremor (below 1 for near-isometric movements).
    """

    onset: float
    duration: float
    peak_deg: float
    axis: FloatArray
    ramp_up_s: float
    ramp_down_s: float
    n_phases: int
    end_deg: float
    seed: int
    tremor_gain: float = 1.0


def draw_rotation(rng: np.random.Generator, geometry: AnkleGeometry, onset: float,
                  duration: float, peak_deg: float, n_phases: int,
                  end_deg: float = 0.0) -> Rotation:
    """Random ramps, axis jitter and a noise seed for one movement."""
    axis = unit(geometry.axis + rng.normal(scale=AXIS_JITTER, size=3))
    ramps = np.clip(rng.uniform(*RAMP_BASE_S, size=2) + RAMP_S_PER_DEG * peak_deg, *RAMP_S)
    return Rotation(onset, duration, peak_deg, axis, float(ramps[0]), float(ramps[1]),
                    int(n_phases), float(end_deg), int(rng.integers(SEED_BOUND)))


def ease_through(key_t: FloatArray, key_v: FloatArray, t: FloatArray) -> FloatArray:
    """Raised-cosine interpolation through keyframes (zero slope at each one).

    Constant before the first and after the last keyframe; repeated times are allowed.
    """
    k = np.clip(np.searchsorted(key_t, t, side="right") - 1, 0, key_t.size - 2)
    span = key_t[k + 1] - key_t[k]
    frac = np.clip(np.divide(t - key_t[k], span, out=np.ones_like(t), where=span > 0), 0.0, 1.0)
    out = key_v[k] + (key_v[k + 1] - key_v[k]) * (0.5 - 0.5 * np.cos(np.pi * frac))
    out = np.where(t < key_t[0], key_v[0], out)
    return np.where(t >= key_t[-1], key_v[-1], out)


def rotation_profile(rot: Rotation, t: FloatArray, fs: float) -> FloatArray:
    """Rotation angle (radians) at times ``t`` (s from the movement onset)."""
    rng = np.random.default_rng(rot.seed)
    d = rot.duration
    n_phases = rot.n_phases
    pauses = rng.uniform(*PHASE_PAUSE_S, size=max(n_phases - 1, 0))
    spare = d - pauses.sum()
    if n_phases > 1 and spare > n_phases * (rot.ramp_up_s + rot.ramp_down_s):
        lengths = spare * rng.dirichlet(np.full(n_phases, 2.0))
        lengths = np.maximum(lengths, rot.ramp_up_s + rot.ramp_down_s)
        lengths *= spare / lengths.sum()
    else:
        n_phases, pauses, lengths = 1, np.zeros(0), np.array([d])
    starts = np.concatenate([[0.0], np.cumsum(lengths[:-1] + pauses)])
    gains = np.concatenate([[1.0], rng.uniform(*PHASE_GAIN, size=n_phases - 1)])
    dips = rng.uniform(*PHASE_DIP, size=n_phases)
    key_t, key_v = [0.0], [0.0]
    for k, (start, length, gain) in enumerate(zip(starts, lengths, gains, strict=True)):
        up = min(rot.ramp_up_s, length / 3.0)
        down = min(rot.ramp_down_s, length / 3.0)
        rest = 0.0 if k == n_phases - 1 else dips[k] * min(gain, gains[k + 1])
        key_t += [start + up, start + length - down, start + length]
        key_v += [gain, gain, rest]
        if k < n_phases - 1:
            key_t.append(starts[k + 1])
            key_v.append(rest)
    level = ease_through(np.asarray(key_t), np.asarray(key_v), t)
    wobble = 1.0 + rng.uniform(*HOLD_WOBBLE) * np.sin(
        2 * np.pi * rng.uniform(*HOLD_WOBBLE_HZ) * t + rng.uniform(0, 2 * np.pi))
    theta = np.radians(rot.peak_deg) * level * wobble
    tremor = np.radians(rng.uniform(*TREMOR_DEG)) * rot.tremor_gain * band_noise(
        rng, t.size, fs, TREMOR_BAND_HZ)
    theta = theta + tremor * level
    if rot.end_deg:
        settle = np.clip((t - (d - rot.ramp_down_s)) / rot.ramp_down_s, 0.0, 1.0)
        theta = theta + np.radians(rot.end_deg) * (0.5 - 0.5 * np.cos(np.pi * settle))
    return theta


def render_rotation(rot: Rotation, geometry: AnkleGeometry, gravity: FloatArray,
                    out: FloatArray, fs: float) -> tuple[float, float]:
    """Rotate the gravity of the movement window and add its kinematics (in place).

    ``gravity`` is the (n, 3) rest direction, ``out`` the (n, 3) signal in g.
    Returns the truth: largest change of the gravity direction (deg) and
    largest deviation of the magnitude from 1 g (mg).
    """
    i0, i1 = window(rot.onset, rot.duration, fs, out.shape[0])
    if i1 - i0 < 2:
        return 0.0, 0.0
    t = np.arange(i0, i1) / fs - rot.onset
    theta = rotation_profile(rot, t, fs)
    path = rotate(gravity[i0:i1], rot.axis, theta)
    out[i0:i1] = path
    omega = np.gradient(theta, 1.0 / fs)
    alpha = np.gradient(omega, 1.0 / fs)
    lever = unit(geometry.lever - (geometry.lever @ rot.axis) * rot.axis)
    tangent = np.cross(rot.axis, lever)
    r = geometry.radius_m / G_MS2
    out[i0:i1] += np.outer(r * alpha, tangent) - np.outer(r * omega ** 2, lever)
    return _truth(out[i0:i1], path, gravity[i0])


@dataclass(frozen=True)
class Turn:
    """A posture change on one ankle: the window of motion and the turn inside it."""

    onset: float
    duration: float
    turn_start: float
    turn_s: float
    before: FloatArray
    after: FloatArray
    scored: bool
    seed: int


def render_turn(turn: Turn, out: FloatArray, fs: float,
                violent_ok: bool) -> tuple[float, float]:
    """Write a posture turn into ``out`` (in place): orientation path plus linear acceleration.

    Returns the truth as :func:`render_rotation` does.
    """
    rng = np.random.default_rng(turn.seed)
    i0, i1 = window(turn.onset, turn.duration, fs, out.shape[0])
    if i1 - i0 < 2:
        return 0.0, 0.0
    t = np.arange(i0, i1) / fs
    s = np.clip((t - turn.turn_start) / turn.turn_s, 0.0, 1.0)
    smooth = s * s * (3 - 2 * s)
    path = _slerp(turn.before, turn.after, smooth)
    bump = np.sin(np.pi * s)
    wob_axis = unit(np.cross(turn.before, rng.normal(size=3)))
    wob = np.radians(rng.uniform(*TURN_WOBBLE_DEG)) * bump * band_noise(
        rng, t.size, fs, TURN_WOBBLE_HZ)
    path = rotate(path, wob_axis, wob)
    level = float(np.exp(rng.uniform(*np.log(TURN_LINEAR_G))))
    residual = rng.uniform(*TURN_RESIDUAL)
    env = edge_envelope(t.size, fs) * np.maximum(bump, residual)
    linear = np.stack([band_noise(rng, t.size, fs, TURN_LINEAR_HZ) for _ in range(3)], axis=1)
    linear *= (level * env)[:, None]
    in_turn = np.flatnonzero(s * (1 - s) > 0)
    hits = [(float(np.exp(rng.uniform(*np.log(IMPACT_G)))), rng.uniform(*IMPACT_WIDTH_S))
            for _ in range(int(rng.integers(TURN_IMPACTS[0], TURN_IMPACTS[1] + 1)))]
    if violent_ok and rng.random() < VIOLENT_P:
        hits.append((float(rng.uniform(*VIOLENT_G)), IMPACT_WIDTH_S[0]))
    for amp, width in hits:
        if in_turn.size == 0:
            break
        centre = t[int(rng.choice(in_turn))]
        pulse = amp * np.exp(-0.5 * ((t - centre) / width) ** 2)
        linear += np.outer(pulse, unit(rng.normal(size=3)))
    out[i0:i1] = path + linear
    return _truth(out[i0:i1], path, turn.before)


def _slerp(a: FloatArray, b: FloatArray, w: FloatArray) -> FloatArray:
    """Spherical interpolation between unit vectors ``a`` and ``b`` at weights ``w``."""
    omega = np.arccos(np.clip(float(a @ b), -1.0, 1.0))
    if omega < TINY_ANGLE_RAD:
        return np.tile(a, (w.size, 1))
    so = np.sin(omega)
    return (np.outer(np.sin((1 - w) * omega), a) + np.outer(np.sin(w * omega), b)) / so
