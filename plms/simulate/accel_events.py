"""Events and nuisances of an accelerometer night that the PSG night does not have.

- wake fidgets: the PSG night plans them (truth origin ``wake_fidget``, see
  :mod:`plms.simulate.fidgets`); here they get their rotation: 8-40 degrees,
  or, for about 18 % of them (brief single-phase ones), a small repositioning
  of 5-15 degrees that leaves a tilt of 2-8 degrees;
- knocks: sharp < 0.2 s spikes (bed bumps, the other leg), not leg movements;
- sensor nuisances: white noise, slow offset drift, breathing micro-motion.

>>> import numpy as np
>>> x = drift(np.random.default_rng(0), 3600.0, 25.0)
>>> x.shape, bool(np.abs(x).max() < 0.2)
((90000, 3), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.simulate.fidgets import ORIGIN as FIDGET_ORIGIN
from plms.simulate.movements import EDGE_MARGIN_S, SIDES, IntervalIndex, log_uniform

FloatArray = npt.NDArray[np.float64]

#: Milli-g per g.
MG_PER_G = 1000.0
#: Brief single-phase fidgets (EMG truth duration up to this, s) ...
REPOSITION_MAX_S = 2.0
#: ... are repositionings with this chance (about 18 % of all fidgets) ...
REPOSITION_P = 0.31
#: ... of this peak (uniform deg) and permanent change (uniform deg).
REPOSITION_PEAK_DEG = (5.0, 15.0)
REPOSITION_END_DEG = (2.0, 8.0)
#: Peak rotation of other fidgets (uniform deg).
FIDGET_PEAK_DEG = (8.0, 40.0)
#: Knocks: duration (uniform s), ringing frequency (uniform Hz, capped below Nyquist),
#: amplitude (log-uniform g), chance of reaching both ankles and the other side's share.
KNOCK_S = (0.04, 0.18)
KNOCK_HZ = (8.0, 20.0)
KNOCK_G = (0.03, 1.0)
KNOCK_BOTH_P = 0.3
KNOCK_OTHER_SHARE = (0.2, 0.6)
#: Knocks keep this far from a leg movement of the same ankle, s.
KNOCK_CLEARANCE_S = 2.0
#: Share of the Nyquist frequency a knock may ring at.
NYQUIST_SHARE = 0.8
#: Drift: constant offset per axis (uniform g), slow components (count, period h, amplitude g).
OFFSET_G = (-0.04, 0.04)
DRIFT_COMPONENTS = 2
DRIFT_PERIOD_H = (1.0, 6.0)
DRIFT_AMPLITUDE_G = (0.005, 0.025)
S_PER_H = 3600.0
#: Grid of the drift before interpolation, s.
DRIFT_GRID_S = 10.0
#: Breathing micro-motion amplitude (uniform g).
BREATHING_G = (0.0002, 0.001)
S_PER_MIN = 60.0


@dataclass(frozen=True)
class Fidget:
    """One wake fidget on one ankle (``end_deg`` non-zero for a repositioning)."""

    onset: float
    duration: float
    side: int
    peak_deg: float
    n_phases: int
    end_deg: float


def fidget_motions(rng: np.random.Generator, lms: pd.DataFrame) -> list[tuple[int, Fidget]]:
    """The wake fidgets among the PSG truth ``lms`` with their rotation.

    Returns (row of ``lms``, fidget) pairs in row order; the timing, side and
    phase count are those of the PSG truth (``origin == "wake_fidget"``).
    """
    missing = {"onset", "duration", "side", "origin", "n_bursts"} - set(lms.columns)
    if missing:
        raise ValueError(f"truth table lacks columns {sorted(missing)}")
    out: list[tuple[int, Fidget]] = []
    for k in np.flatnonzero((lms["origin"] == FIDGET_ORIGIN).to_numpy()):
        r = lms.iloc[int(k)]
        dur, phases = float(r["duration"]), int(r["n_bursts"])
        end_deg = 0.0
        if phases == 1 and dur <= REPOSITION_MAX_S and rng.random() < REPOSITION_P:
            peak = float(rng.uniform(*REPOSITION_PEAK_DEG))
            end_deg = float(rng.choice([-1.0, 1.0]) * rng.uniform(*REPOSITION_END_DEG))
        else:
            peak = float(rng.uniform(*FIDGET_PEAK_DEG))
        out.append((int(k), Fidget(float(r["onset"]), dur, SIDES.index(str(r["side"])), peak,
                                   phases, end_deg)))
    return out


@dataclass(frozen=True)
class Knock:
    """A sharp bump seen by one ankle sensor."""

    onset: float
    duration: float
    side: int
    peak_g: float
    freq_hz: float
    direction: tuple[float, float, float]


def plan_knocks(rng: np.random.Generator, duration_s: float, rate_h: float, fs: float,
                busy: list[tuple[float, float, int]]) -> list[Knock]:
    """Knocks at ``rate_h`` per hour, clear of the leg movements in ``busy``."""
    n = int(rng.poisson(rate_h * duration_s / S_PER_H))
    times = np.sort(rng.uniform(EDGE_MARGIN_S, duration_s - EDGE_MARGIN_S, size=n))
    index = (IntervalIndex(), IntervalIndex())
    for on, off, side in busy:
        index[side].add(on, off)
    out = []
    top_hz = NYQUIST_SHARE * fs / 2
    for t in times:
        dur = float(rng.uniform(*KNOCK_S))
        amp = float(log_uniform(rng, *KNOCK_G))
        first = int(rng.integers(2))
        both = rng.random() < KNOCK_BOTH_P
        share = float(rng.uniform(*KNOCK_OTHER_SHARE))
        for side, gain in ((first, 1.0), (1 - first, share)) if both else ((first, 1.0),):
            if not index[side].gap_ok(t, t + dur, KNOCK_CLEARANCE_S):
                continue
            direction = rng.normal(size=3)
            direction /= np.linalg.norm(direction)
            freq = float(min(rng.uniform(*KNOCK_HZ), top_hz))
            out.append(Knock(float(t), dur, side, amp * gain, freq,
                             (float(direction[0]), float(direction[1]), float(direction[2]))))
    return out


def render_knock(knock: Knock, out: FloatArray, fs: float) -> None:
    """Add a damped ringing spike to ``out`` (n, 3) in place."""
    i0 = int(np.ceil(knock.onset * fs))
    i1 = min(int(np.floor((knock.onset + knock.duration) * fs)) + 1, out.shape[0])
    if i1 <= i0:
        return
    t = np.arange(i1 - i0) / fs
    decay = np.exp(-t / (knock.duration / 3))
    wave = knock.peak_g * decay * np.cos(2 * np.pi * knock.freq_hz * t)
    out[i0:i1] += np.outer(wave, np.asarray(knock.direction))


def drift(rng: np.random.Generator, duration_s: float, fs: float) -> FloatArray:
    """Slow offset drift per axis (temperature), g, shape (n, 3).

    Computed on a coarse grid of :data:`DRIFT_GRID_S` and interpolated.
    """
    n = int(round(duration_s * fs))
    coarse = np.arange(0.0, duration_s + 2 * DRIFT_GRID_S, DRIFT_GRID_S)
    t = np.arange(n) / fs
    out = np.empty((n, 3))
    for axis in range(3):
        x = np.full(coarse.size, rng.uniform(*OFFSET_G))
        for _ in range(DRIFT_COMPONENTS):
            period = rng.uniform(*DRIFT_PERIOD_H) * S_PER_H
            x += rng.uniform(*DRIFT_AMPLITUDE_G) * np.sin(2 * np.pi * coarse / period
                                                          + rng.uniform(0, 2 * np.pi))
        out[:, axis] = np.interp(t, coarse, x)
    return out


def breathing(rng: np.random.Generator, n: int, fs: float, breaths_per_min: float) -> FloatArray:
    """Tiny breathing micro-motion along a random direction, g, shape (n, 3)."""
    direction = rng.normal(size=3)
    direction /= np.linalg.norm(direction)
    t = np.arange(n) / fs
    wave = rng.uniform(*BREATHING_G) * np.sin(2 * np.pi * breaths_per_min / S_PER_MIN * t
                                              + rng.uniform(0, 2 * np.pi))
    return np.outer(wave, direction)
