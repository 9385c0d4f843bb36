"""Slow components of the leg signals: resting tone, baseline drift and mains.

All of them are built on coarse grids and interpolated to the leg sampling
rate, so that an 8-h night stays cheap.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plms.hypnogram import Hypnogram
from plms.simulate.emg import periodic_sine, smooth_noise, upsample_linear
from plms.simulate.movements import Placed, log_uniform
from plms.simulate.spec import S_PER_H, S_PER_MIN

#: Grid of the resting tone, Hz (one value per second).
REST_GRID_FS = 1
#: Slow drift of the resting tone: sigma of the log-factor; correlation, s.
REST_DRIFT_SIGMA = 0.25
REST_DRIFT_CORR_S = 1200.0
#: Tone factor by stage (tonic activity is higher awake, lower in REM).
REST_STAGE_FACTOR = {"W": 1.25, "N1": 1.05, "N2": 1.0, "N3": 0.9, "R": 0.8, "MT": 1.25, "U": 1.0}
#: The stage factor changes over this long (moving average), s.
REST_STAGE_SMOOTH_S = 20

#: Grid of the drift, Hz.
DRIFT_GRID_FS = 4
#: Breathing-locked wander: amplitude range uV (log-uniform), amplitude correlation s.
RESP_DRIFT_UV = (3.0, 40.0)
RESP_DRIFT_CORR_S = 600.0
#: Breathing rate per minute (uniform) and its slow variation (relative sigma).
BREATHS_PER_MIN = (12.0, 18.0)
BREATH_RATE_SIGMA = 0.08
BREATH_RATE_CORR_S = 300.0
#: Random wander: sd uV (log-uniform), correlation s.
WANDER_UV = (8.0, 30.0)
WANDER_CORR_S = 3.0
#: Sweat episodes: per hour, length s (uniform), added wander sd uV (uniform).
SWEAT_RATE_H = 0.4
SWEAT_LENGTH_S = (600.0, 2400.0)
SWEAT_UV = (40.0, 120.0)
#: Movement artefacts: LMs above this peak carry a slow bump of this size (uniform, uV).
MOVEMENT_ARTEFACT_MIN_PEAK_UV = 80.0
MOVEMENT_ARTEFACT_UV = (20.0, 150.0)
#: ... lasting the LM plus this, s.
MOVEMENT_ARTEFACT_EXTRA_S = 1.0

#: Mains pick-up: amplitude range uV (log-uniform), relative slow variation and correlation.
MAINS_UV = (1.0, 5.0)
MAINS_VARIATION = 0.3
MAINS_CORR_S = 900.0
MAINS_MIN_FACTOR = 0.2
#: Third-harmonic share and the fraction of fs it must stay below.
MAINS_HARMONIC = 3
MAINS_HARMONIC_SHARE = 0.2
MAX_TONE_FRACTION_OF_FS = 0.45
NYQUIST_FRACTION = 0.5


def rest_tone(rng: np.random.Generator, hyp: Hypnogram, duration_s: float,
              rest_range_uv: tuple[float, float], step_times: npt.ArrayLike,
              changes: bool) -> npt.NDArray[np.float64]:
    """Resting tone of one leg, uV, on a 1-Hz grid of ``duration_s + 1`` points.

    With ``changes`` off, a constant level. With it on, a level per posture
    segment (steps at ``step_times``), a slow drift and a stage effect, clipped
    to ``rest_range_uv``.
    """
    lo, hi = rest_range_uv
    n = int(duration_s) * REST_GRID_FS + 1
    if not changes:
        return np.full(n, float(log_uniform(rng, lo, hi)))
    t = np.arange(n) / REST_GRID_FS
    steps = np.sort(np.asarray(step_times, dtype=float))
    levels = log_uniform(rng, lo, hi, size=steps.size + 1)
    level = levels[np.searchsorted(steps, t, side="right")]
    drift = np.exp(REST_DRIFT_SIGMA * smooth_noise(rng, n, REST_DRIFT_CORR_S * REST_GRID_FS))
    factor = _stage_factor(hyp, t)
    return np.clip(level * drift * factor, lo, hi)


def _stage_factor(hyp: Hypnogram, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Smoothed tone factor of the stage at each time (1 outside the hypnogram)."""
    idx = hyp.epoch_index(t)
    per_epoch = np.array([REST_STAGE_FACTOR[s] for s in hyp.stages.tolist()] + [1.0])
    raw = per_epoch[idx]  # idx == -1 picks the trailing 1.0
    k = REST_STAGE_SMOOTH_S * REST_GRID_FS
    padded = np.pad(raw, (k // 2, k - 1 - k // 2), mode="edge")
    return np.convolve(padded, np.ones(k) / k, mode="valid")


def drift(rng: np.random.Generator, duration_s: float, fs: int, n: int,
          placed: list[Placed], breaths_per_min: float) -> npt.NDArray[np.float64]:
    """Baseline wander below 1 Hz of one leg, uV, at ``fs`` (``n`` samples).

    Breathing-locked wander, random wander with sweat episodes, and slow bumps
    under the strong movements of ``placed`` (this leg's only).
    """
    m = int(np.ceil(duration_s * DRIFT_GRID_FS)) + 2
    t = np.arange(m) / DRIFT_GRID_FS
    rate_hz = breaths_per_min / S_PER_MIN * np.exp(
        BREATH_RATE_SIGMA * smooth_noise(rng, m, BREATH_RATE_CORR_S * DRIFT_GRID_FS))
    phase = 2 * np.pi * np.cumsum(rate_hz) / DRIFT_GRID_FS + rng.uniform(0, 2 * np.pi)
    resp_amp = np.exp(np.interp(smooth_noise(rng, m, RESP_DRIFT_CORR_S * DRIFT_GRID_FS),
                                (-2.0, 2.0), np.log(RESP_DRIFT_UV)))
    out = resp_amp * np.sin(phase)
    sd = float(log_uniform(rng, *WANDER_UV)) * np.ones(m)
    for _ in range(rng.poisson(SWEAT_RATE_H * duration_s / S_PER_H)):
        centre, length = rng.uniform(0, duration_s), rng.uniform(*SWEAT_LENGTH_S)
        x = np.clip((t - centre) / length * 2.0, -1.0, 1.0)
        sd += rng.uniform(*SWEAT_UV) * 0.5 * (1 + np.cos(np.pi * x))
    out += sd * smooth_noise(rng, m, WANDER_CORR_S * DRIFT_GRID_FS)
    for p in placed:
        if p.peak < MOVEMENT_ARTEFACT_MIN_PEAK_UV:
            continue
        a, b = p.onset, p.offset + MOVEMENT_ARTEFACT_EXTRA_S
        i, j = int(a * DRIFT_GRID_FS), min(int(np.ceil(b * DRIFT_GRID_FS)) + 1, m)
        x = (t[i:j] - a) / (b - a)
        sign = rng.choice((-1.0, 1.0))
        out[i:j] += sign * rng.uniform(*MOVEMENT_ARTEFACT_UV) * np.sin(np.pi * np.clip(x, 0, 1))
    return upsample_linear(out, DRIFT_GRID_FS, fs, n)


def add_mains(rng: np.random.Generator, x: npt.NDArray[np.float64], duration_s: float, fs: int,
              mains_hz: float, amplitude_uv: tuple[float, float] = MAINS_UV) -> None:
    """Add mains pick-up (uV) of slowly varying amplitude, with a weak third harmonic, to ``x``.

    The fundamental is drawn while below Nyquist, the harmonic while below
    ``MAX_TONE_FRACTION_OF_FS`` of the sampling rate (what an amplifier's
    anti-aliasing filter would leave).
    """
    n = x.size
    m = int(duration_s) * REST_GRID_FS + 2
    variation = MAINS_VARIATION * smooth_noise(rng, m, MAINS_CORR_S * REST_GRID_FS)
    amp = float(log_uniform(rng, *amplitude_uv)) * np.clip(1.0 + variation, MAINS_MIN_FACTOR, None)
    gain = upsample_linear(amp, REST_GRID_FS, fs, n)
    phases = rng.uniform(0, 2 * np.pi, size=2)
    tones = ((mains_hz, 1.0, NYQUIST_FRACTION),
             (MAINS_HARMONIC * mains_hz, MAINS_HARMONIC_SHARE, MAX_TONE_FRACTION_OF_FS))
    for (freq, share, limit), phase in zip(tones, phases, strict=True):
        if freq < limit * fs:
            wave = periodic_sine(n, fs, freq, phase)
            wave *= gain
            wave *= share
            x += wave
            del wave  # free before the next tone is drawn


# -- harder conditions (issue 14) -----------------------------------------------------------
#: High resting tone: RMS range of the resting EMG, uV (in the reference band); the
#: simulator's levels are mean rectified values, RMS * sqrt(2 / pi) for Gaussian noise.
HIGH_REST_RMS_UV = (4.0, 9.0)
RMS_TO_LEVEL = float(np.sqrt(2.0 / np.pi))
#: Raised-tone stretches: how many per night, length s (uniform), factor (uniform),
#: raised-cosine ramp in and out s, the longest share of its slot a stretch may take.
RAISED_STRETCHES = 4
RAISED_LENGTH_S = (300.0, 900.0)
RAISED_FACTOR = (3.0, 4.5)
RAISED_RAMP_S = 30.0
RAISED_MAX_SLOT_SHARE = 0.8
#: Which legs a stretch raises, and how likely each is.
RAISED_SIDES = ("left", "right", "both")
RAISED_SIDE_P = (0.35, 0.35, 0.3)

#: Strong mains pick-up with harmonics: fundamental uV (log-uniform), the share of each
#: harmonic (2nd to 5th), the fraction of fs every tone must stay below.
HARMONIC_MAINS_UV = (5.0, 20.0)
HARMONIC_SHARES = (0.5, 0.35, 0.25, 0.15)


def high_rest_range_uv() -> tuple[float, float]:
    """The ``high_tone`` resting-level range (mean rectified uV) of 4-9 uV RMS."""
    lo, hi = HIGH_REST_RMS_UV
    return lo * RMS_TO_LEVEL, hi * RMS_TO_LEVEL


def raised_stretches(rng: np.random.Generator,
                     duration_s: float) -> list[tuple[float, float, float, str]]:
    """Four stretches of raised resting tone: (onset s, length s, factor, side).

    The night is cut into :data:`RAISED_STRETCHES` equal slots, one stretch in
    each (so they never overlap); a stretch takes at most
    :data:`RAISED_MAX_SLOT_SHARE` of its slot on short nights.
    """
    slot = duration_s / RAISED_STRETCHES
    out = []
    for k in range(RAISED_STRETCHES):
        length = min(rng.uniform(*RAISED_LENGTH_S), RAISED_MAX_SLOT_SHARE * slot)
        onset = k * slot + rng.uniform(0.0, slot - length)
        factor = rng.uniform(*RAISED_FACTOR)
        side = str(rng.choice(RAISED_SIDES, p=RAISED_SIDE_P))
        out.append((float(onset), float(length), float(factor), side))
    return out


def raise_tone(rest: npt.NDArray[np.float64], stretches: list[tuple[float, float, float, str]],
               side: str) -> npt.NDArray[np.float64]:
    """The resting tone (1-Hz grid) of leg ``side`` multiplied inside its raised stretches.

    The factor ramps in and out over :data:`RAISED_RAMP_S` (raised cosine)
    inside the stretch, so that the full factor holds in its middle part.
    """
    t = np.arange(rest.size) / REST_GRID_FS
    gain = np.ones(rest.size)
    for onset, length, factor, where in stretches:
        if where not in (side, "both"):
            continue
        ramp = min(RAISED_RAMP_S, length / 3.0)
        edge = np.clip(np.minimum(t - onset, onset + length - t) / ramp, 0.0, 1.0)
        gain *= 1.0 + (factor - 1.0) * (0.5 - 0.5 * np.cos(np.pi * edge))
    return rest * gain


def add_mains_harmonics(rng: np.random.Generator, x: npt.NDArray[np.float64], fs: int,
                        mains_hz: float) -> float:
    """Add strong mains pick-up with its 2nd-5th harmonics to ``x`` (uV, in place).

    Every tone is kept below ``MAX_TONE_FRACTION_OF_FS`` of the sampling rate
    (what the amplifier's anti-aliasing filter leaves). Returns the
    fundamental's amplitude, uV.
    """
    amp = float(log_uniform(rng, *HARMONIC_MAINS_UV))
    phases = rng.uniform(0, 2 * np.pi, size=1 + len(HARMONIC_SHARES))
    for k, (share, phase) in enumerate(zip((1.0, *HARMONIC_SHARES), phases, strict=True)):
        freq = (k + 1) * mains_hz
        if freq < MAX_TONE_FRACTION_OF_FS * fs:
            wave = periodic_sine(x.size, fs, freq, phase)
            wave *= amp * share
            x += wave
    return amp
