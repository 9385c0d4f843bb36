"""Leg-EMG nuisances that are not leg movements: twitches, pops, electrode off.

Twitches are real EMG bursts shorter than 0.3 s (never LMs); in REM they come
in clusters with at least 0.7 s between bursts so that no two merge into an
LM. Pops are electrode steps that decay within 0.2 s. An electrode that comes
off turns the leg channel into mains pick-up and broadband noise for minutes;
the movements of that leg in that time are not observable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from plms.simulate.emg import periodic_sine, smooth_noise
from plms.simulate.movements import (
    IntervalIndex, Placed, burst_envelope, log_uniform, measure,
)
from plms.simulate.sleep import StageTimeline
from plms.simulate.spec import MIN_PER_H, S_PER_H

# -- twitches ------------------------------------------------------------------------
#: Isolated twitches per hour per leg, any stage.
TWITCH_RATE_H = 15.0
#: Nominal twitch length (ramps included), s; ramps, s; amplitude uV (log-uniform).
TWITCH_DURATION_S = (0.1, 0.25)
TWITCH_RAMP_S = (0.02, 0.04)
TWITCH_UV = (10.0, 100.0)
#: A twitch whose rule duration reaches this is not kept (it must stay far below 0.5 s).
TWITCH_MAX_TRUTH_S = 0.3
#: Phasic REM: clusters per hour of REM, twitches per cluster, gap after a twitch, s.
REM_CLUSTER_RATE_H = 40.0
REM_CLUSTER_SIZE = (3, 12)
REM_TWITCH_GAP_S = (0.7, 2.0)
#: Share of REM twitches that show on both legs at once.
REM_TWITCH_BOTH_P = 0.2
#: Minimum gaps: twitch to LM, twitch to twitch (same leg), s.
TWITCH_LM_GAP_S = 1.0
TWITCH_TWITCH_GAP_S = 0.7

# -- pops ---------------------------------------------------------------------------------
#: Pops per hour per leg; step size uV (log-uniform); decay constant s (uniform).
POP_RATE_H = 3.0
POP_UV = (100.0, 1000.0)
POP_TAU_S = (0.01, 0.035)
#: A pop is drawn over this many decay constants.
POP_LENGTH_TAUS = 6.0
#: Minimum gaps: pop to LM, pop to twitch, s.
POP_LM_GAP_S = 1.5
POP_TWITCH_GAP_S = 1.0

# -- electrode off --------------------------------------------------------------------------
#: Length, s (uniform), at most this share of the night; start as a share of the night.
OFF_DURATION_S = (120.0, 600.0)
OFF_MAX_SHARE = 0.3
OFF_START_SHARE = (0.05, 0.9)
#: LMs of that leg within this of the period are dropped (not rendered, not in the truth), s.
OFF_MARGIN_S = 2.0
#: Mains pick-up amplitude, broadband noise sd, slow wander sd, uV (log-uniform).
OFF_MAINS_UV = (200.0, 2000.0)
OFF_NOISE_UV = (15.0, 80.0)
OFF_WANDER_UV = (100.0, 500.0)
OFF_WANDER_CORR_S = 0.5
#: Cross-fade at both ends, s; the step at both ends, uV (log-uniform).
OFF_FADE_S = 0.02
OFF_STEP_UV = (1000.0, 3000.0)


@dataclass(frozen=True)
class Pop:
    """An electrode pop."""

    side: int
    onset: float
    amplitude: float
    tau: float

    @property
    def duration(self) -> float:
        """How long the pop is drawn, s."""
        return POP_LENGTH_TAUS * self.tau


@dataclass(frozen=True)
class ElectrodeOff:
    """A period in which one leg electrode is off."""

    side: int
    onset: float
    duration: float

    def covers(self, side: int, onset: float, offset: float, margin: float = 0.0) -> bool:
        """Whether [onset, offset] of ``side`` comes within ``margin`` of the period."""
        return (side == self.side and offset >= self.onset - margin
                and onset <= self.onset + self.duration + margin)


def _extent(p: Placed, fs: float) -> tuple[float, float]:
    """Whole extent of a rendered envelope, s."""
    return p.i0 / fs, (p.i0 + p.profile.size) / fs


def lm_indexes(placed: list[Placed], fs: float) -> tuple[IntervalIndex, IntervalIndex]:
    """Per-leg interval indexes of the full envelopes of ``placed``."""
    index = (IntervalIndex(), IntervalIndex())
    for p in placed:
        index[p.side].add(*_extent(p, fs))
    return index


def place_twitches(rng: np.random.Generator, timeline: StageTimeline, duration_s: float,
                   fs: float, placed: list[Placed], offs: list[ElectrodeOff], *,
                   isolated: bool, rem: bool) -> list[Placed]:
    """Twitches of both legs that keep clear of the LMs and of each other."""
    starts: list[tuple[float, int, str]] = []
    if isolated:
        for side in (0, 1):
            n = rng.poisson(TWITCH_RATE_H * duration_s / S_PER_H)
            starts += [(float(t), side, "twitch") for t in rng.uniform(0, duration_s, n)]
    if rem:
        rem_h = timeline.hypnogram.minutes(("R",)) / MIN_PER_H
        n_clusters = int(rng.poisson(REM_CLUSTER_RATE_H * rem_h))
        for t in timeline.sample_times(rng, {"R": 1.0}, n_clusters):
            for _ in range(int(rng.integers(REM_CLUSTER_SIZE[0], REM_CLUSTER_SIZE[1] + 1))):
                sides = (0, 1) if rng.random() < REM_TWITCH_BOTH_P else (int(rng.integers(2)),)
                starts += [(float(t), s, "rem_twitch") for s in sides]
                t += TWITCH_DURATION_S[1] + rng.uniform(*REM_TWITCH_GAP_S)
    lm_index = lm_indexes(placed, fs)
    tw_index = (IntervalIndex(), IntervalIndex())
    out: list[Placed] = []
    for t, side, kind in sorted(starts):
        dur = rng.uniform(*TWITCH_DURATION_S)
        amp = float(log_uniform(rng, *TWITCH_UV))
        if t < TWITCH_LM_GAP_S or t + dur > duration_s - TWITCH_LM_GAP_S:
            continue
        i0, env = burst_envelope(rng, fs, t, dur, amp, 1, TWITCH_RAMP_S)
        times = measure(i0, env, fs)
        a, b = i0 / fs, (i0 + env.size) / fs
        if times is None or times[1] - times[0] >= TWITCH_MAX_TRUTH_S:
            continue
        if not lm_index[side].gap_ok(a, b, TWITCH_LM_GAP_S) or \
                not tw_index[side].gap_ok(a, b, TWITCH_TWITCH_GAP_S):
            continue
        if any(o.covers(side, a, b, OFF_MARGIN_S) for o in offs):
            continue
        tw_index[side].add(a, b)
        out.append(Placed(side, i0, env, times[0], times[1], float(env.max()), kind))
    return out


def place_pops(rng: np.random.Generator, duration_s: float, fs: float, placed: list[Placed],
               twitches: list[Placed], offs: list[ElectrodeOff]) -> list[Pop]:
    """A few pops per hour per leg, away from LMs, twitches and electrode-off periods."""
    lm_index, tw_index = lm_indexes(placed, fs), lm_indexes(twitches, fs)
    out: list[Pop] = []
    for side in (0, 1):
        n = rng.poisson(POP_RATE_H * duration_s / S_PER_H)
        for t in np.sort(rng.uniform(POP_LM_GAP_S, duration_s - POP_LM_GAP_S, n)):
            sign = rng.choice((-1.0, 1.0))
            pop = Pop(side, float(t), sign * float(log_uniform(rng, *POP_UV)),
                      float(rng.uniform(*POP_TAU_S)))
            a, b = pop.onset, pop.onset + pop.duration
            if lm_index[side].gap_ok(a, b, POP_LM_GAP_S) and \
                    tw_index[side].gap_ok(a, b, POP_TWITCH_GAP_S) and \
                    not any(o.covers(side, a, b, OFF_MARGIN_S) for o in offs):
                out.append(pop)
    return out


def render_pops(x: npt.NDArray[np.float64], pops: list[Pop], side: int, fs: float) -> None:
    """Add the pops of ``side`` to ``x`` (in place): a step decaying exponentially."""
    for pop in pops:
        if pop.side != side:
            continue
        i0 = int(np.ceil(pop.onset * fs))
        k = np.arange(min(int(np.ceil(pop.duration * fs)), x.size - i0))
        x[i0:i0 + k.size] += pop.amplitude * np.exp(-k / (pop.tau * fs))


def draw_electrode_off(rng: np.random.Generator, duration_s: float) -> ElectrodeOff:
    """One electrode-off period of a random leg."""
    dur = min(rng.uniform(*OFF_DURATION_S), OFF_MAX_SHARE * duration_s)
    start = rng.uniform(*OFF_START_SHARE) * (duration_s - dur)
    return ElectrodeOff(int(rng.integers(2)), float(start), float(dur))


def apply_electrode_off(rng: np.random.Generator, x: npt.NDArray[np.float64], fs: int,
                        off: ElectrodeOff, mains_hz: float) -> float:
    """Replace ``off`` in ``x`` (uV, in place) by pick-up and noise; return the mains amplitude."""
    i0 = int(off.onset * fs)
    i1 = min(int((off.onset + off.duration) * fs), x.size)
    n = i1 - i0
    amp = float(log_uniform(rng, *OFF_MAINS_UV))
    art = amp * periodic_sine(n, fs, mains_hz, rng.uniform(0, 2 * np.pi)) if mains_hz < fs / 2 \
        else np.zeros(n)
    art += float(log_uniform(rng, *OFF_NOISE_UV)) * rng.standard_normal(n)
    wander_corr = OFF_WANDER_CORR_S * fs
    art += float(log_uniform(rng, *OFF_WANDER_UV)) * smooth_noise(rng, n, wander_corr)
    steps = np.sign(rng.uniform(-1, 1, 2)) * log_uniform(rng, *OFF_STEP_UV, size=2)
    tau = int(POP_TAU_S[1] * fs * 2)
    k = np.arange(min(tau * int(POP_LENGTH_TAUS), n))
    art[:k.size] += steps[0] * np.exp(-k / tau)
    art[n - k.size:] += steps[1] * np.exp(-k[::-1] / tau)
    fade = np.ones(n)
    m = min(int(OFF_FADE_S * fs), n // 2)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(m) / max(m, 1))
    fade[:m], fade[n - m:] = ramp, ramp[::-1]
    x[i0:i1] = (1 - fade) * x[i0:i1] + fade * art
    return amp
