"""Events and nuisances of an accelerometer night that the PSG night does not have.

- wake fidgeting: irregular leg movements (some long, some small
  repositionings) in restless wake bouts; pre-sleep wake is restless first
  and quiet before sleep onset;
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

from plms.hypnogram import SLEEP_STAGES, Hypnogram
from plms.simulate.movements import (
    EDGE_MARGIN_S, FORBIDDEN_CROSS_GAP_S, MIN_SAME_LEG_GAP_S, IntervalIndex, cross_ok,
    duration_ok, log_uniform,
)

FloatArray = npt.NDArray[np.float64]

#: Milli-g per g.
MG_PER_G = 1000.0
#: Chance that a wake bout after sleep onset is restless: short bouts / longer ones.
RESTLESS_P_SHORT = 0.35
RESTLESS_P_LONG = 0.8
#: Bouts of at most this many epochs count as short.
SHORT_BOUT_EPOCHS = 2
#: Pre-sleep wake: restless during this leading share (uniform), quiet after.
PRESLEEP_RESTLESS_SHARE = (0.3, 0.7)
#: Mean interval between fidgets in a restless bout (log-uniform), s.
FIDGET_INTERVAL_S = (6.0, 40.0)
#: Fidget kinds and their probabilities.
FIDGET_KINDS = ("short", "long", "reposition")
FIDGET_KIND_P = (0.7, 0.12, 0.18)
#: Short fidgets: lognormal (median s, sigma) clipped to [min, max].
FIDGET_SHORT = (1.6, 0.6, 0.8, 9.0)
#: Long fidgets (> 10 s), uniform s.
FIDGET_LONG_S = (11.5, 25.0)
#: Repositionings: duration (uniform s), peak (uniform deg), permanent change (uniform deg).
REPOSITION_S = (0.8, 2.0)
REPOSITION_PEAK_DEG = (5.0, 15.0)
REPOSITION_END_DEG = (2.0, 8.0)
#: Peak rotation of other fidgets (uniform deg).
FIDGET_PEAK_DEG = (8.0, 40.0)
#: Fidget sides: left, right, both.
FIDGET_SIDE_P = (0.4, 0.4, 0.2)
#: Onset shift of the second leg of a bilateral fidget (uniform s).
FIDGET_BILATERAL_SHIFT_S = (-0.3, 0.3)
#: Multi-phase fidgets: share, phases and the shortest duration that splits.
MULTIPHASE_P = 0.3
PHASE_COUNTS = (2, 3)
PHASE_COUNT_P = (0.7, 0.3)
MIN_SPLIT_S = 1.2
#: Fidgets keep this far inside their wake bout, s.
BOUT_MARGIN_S = 0.5
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


def wake_bouts(hyp: Hypnogram) -> list[tuple[float, float, str]]:
    """Runs of wake epochs: (start s, end s, kind) with kind presleep/waso/final."""
    wake = hyp.stages == "W"
    sleep_idx = np.flatnonzero(np.isin(hyp.stages, SLEEP_STAGES))
    first = sleep_idx[0] if sleep_idx.size else hyp.n_epochs
    last = sleep_idx[-1] if sleep_idx.size else hyp.n_epochs
    edges = np.flatnonzero(np.diff(np.concatenate([[0], wake.astype(int), [0]])))
    bouts = []
    for a, b in zip(edges[::2], edges[1::2]):
        kind = "presleep" if b <= first else ("final" if a > last else "waso")
        bouts.append((hyp.start_s + a * hyp.epoch_s, hyp.start_s + b * hyp.epoch_s, kind))
    return bouts


def _restless_span(rng: np.random.Generator, start: float, end: float, kind: str,
                   epoch_s: float) -> tuple[float, float] | None:
    """The restless part of a wake bout, or None when it is quiet."""
    if kind == "presleep":
        return start, start + rng.uniform(*PRESLEEP_RESTLESS_SHARE) * (end - start)
    short = (end - start) <= SHORT_BOUT_EPOCHS * epoch_s
    p = RESTLESS_P_SHORT if short else RESTLESS_P_LONG
    return (start, end) if rng.random() < p else None


def _draw_fidget(rng: np.random.Generator) -> tuple[float, float, int, float]:
    """Duration, peak, phase count and permanent change of one fidget."""
    kind = str(rng.choice(FIDGET_KINDS, p=FIDGET_KIND_P))
    end_deg = 0.0
    if kind == "long":
        dur = float(rng.uniform(*FIDGET_LONG_S))
        peak = float(rng.uniform(*FIDGET_PEAK_DEG))
    elif kind == "reposition":
        dur = float(rng.uniform(*REPOSITION_S))
        peak = float(rng.uniform(*REPOSITION_PEAK_DEG))
        end_deg = float(rng.choice([-1.0, 1.0]) * rng.uniform(*REPOSITION_END_DEG))
    else:
        med, sigma, lo, hi = FIDGET_SHORT
        dur = float(np.clip(rng.lognormal(np.log(med), sigma), lo, hi))
        peak = float(rng.uniform(*FIDGET_PEAK_DEG))
    phases = 1
    if kind != "reposition" and dur >= MIN_SPLIT_S and rng.random() < MULTIPHASE_P:
        phases = int(rng.choice(PHASE_COUNTS, p=PHASE_COUNT_P))
    return dur, peak, phases, end_deg


def plan_fidgets(rng: np.random.Generator, hyp: Hypnogram, duration_s: float,
                 existing: list[tuple[float, float, int]]) -> list[Fidget]:
    """Fidgets in restless wake, clear of ``existing`` (onset, offset, side) movements."""
    index = (IntervalIndex(), IntervalIndex())
    for on, off, side in existing:
        index[side].add(on, off)
    out: list[Fidget] = []
    for start, end, kind in wake_bouts(hyp):
        span = _restless_span(rng, start, end, kind, hyp.epoch_s)
        if span is None:
            continue
        lo = max(span[0] + BOUT_MARGIN_S, EDGE_MARGIN_S)
        hi = min(span[1], end - BOUT_MARGIN_S, duration_s - EDGE_MARGIN_S)
        mean_gap = float(log_uniform(rng, *FIDGET_INTERVAL_S))
        t = lo + rng.exponential(mean_gap)
        while t < hi:
            dur, peak, phases, end_deg = _draw_fidget(rng)
            pick = int(rng.choice(len(FIDGET_SIDE_P), p=FIDGET_SIDE_P))
            sides = [pick] if pick < 2 else [0, 1]
            shift = rng.uniform(*FIDGET_BILATERAL_SHIFT_S)
            onsets = [t] if pick < 2 else [t, t + shift]
            fits = all(o >= lo and o + dur <= hi and duration_ok(dur) for o in onsets)
            fits = fits and all(
                index[s].gap_ok(o, o + dur, MIN_SAME_LEG_GAP_S) and cross_ok(index[1 - s], o,
                                                                              o + dur)
                for s, o in zip(sides, onsets))
            if fits and len(sides) == 2:
                a, b = sorted(onsets)
                gap = b - (a + dur)
                fits = not (FORBIDDEN_CROSS_GAP_S[0] < gap < FORBIDDEN_CROSS_GAP_S[1])
            if fits:
                for s, o in zip(sides, onsets):
                    index[s].add(o, o + dur)
                    out.append(Fidget(float(o), dur, s, peak, phases, end_deg))
            t += dur + rng.exponential(mean_gap)
    return sorted(out, key=lambda f: (f.onset, f.side))


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
