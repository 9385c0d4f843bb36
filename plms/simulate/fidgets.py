"""Restless-wake fidgets: voluntary leg movements of the awake sleeper.

They belong to the sleeper, so the PSG night plans and renders them (as
tibialis-anterior activation a technician scores as LMs, counted for the PLMW
index) and the accelerometer night moves the ankle with them. Planned after
every other movement, from their own random stream:

- only in wake bouts; pre-sleep wake is restless during its first 30-70 %
  and quiet before sleep onset, later bouts are restless with a chance of
  0.35 (bouts of one or two epochs) or 0.8 (longer ones);
- in a restless bout, fidgets follow at exponential intervals (mean 6-40 s
  per bout, log-uniform): 70 % short (lognormal, median 1.6 s, 0.8-9 s),
  12 % long (11.5-25 s, so > 10 s), 18 % brief repositionings (0.8-2 s);
- 40 % left, 40 % right, 20 % both legs (within 0.3 s; both or none kept);
  30 % of those of 1.2 s or more are made of 2-3 phases (sub-bursts);
- activation 20-300 uV above rest (log-uniform, like voluntary movements),
  with the ramps, modulation and sub-bursts of
  :func:`plms.simulate.movements.burst_envelope`;
- they keep 0.5 s inside their bout and obey the rule-edge constraints of
  every other movement (measured on the noise-free envelope: duration, gaps
  to the same leg, bilateral gaps and onset differences).

>>> from plms.hypnogram import Hypnogram
>>> import numpy as np
>>> hyp = Hypnogram(np.array(["W", "W", "N1", "N2", "W", "W", "W", "N2"]))
>>> [(a, b, k) for a, b, k in wake_bouts(hyp)]
[(0.0, 60.0, 'presleep'), (120.0, 210.0, 'waso')]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from plms.hypnogram import SLEEP_STAGES, Hypnogram
from plms.signal.events import true_runs
from plms.simulate.movements import (
    EDGE_MARGIN_S, MIN_SAME_LEG_GAP_S, MIN_SUBBURST_S, SUBBURST_PAUSE_S, IntervalIndex, Placed,
    burst_envelope, cross_ok, duration_ok, log_uniform, measure,
)
from plms.simulate.spec import NightSpec

#: Truth origin of a fidget.
ORIGIN = "wake_fidget"
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
#: Repositionings: duration (uniform s).
REPOSITION_S = (0.8, 2.0)
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
#: Peak activation above rest (log-uniform), uV: voluntary movements are strong.
FIDGET_AMPLITUDE_UV = (20.0, 300.0)


def wake_bouts(hyp: Hypnogram) -> list[tuple[float, float, str]]:
    """Runs of wake epochs: (start s, end s, kind) with kind presleep/waso/final."""
    wake = hyp.stages == "W"
    sleep_idx = np.flatnonzero(np.isin(hyp.stages, SLEEP_STAGES))
    first = sleep_idx[0] if sleep_idx.size else hyp.n_epochs
    last = sleep_idx[-1] if sleep_idx.size else hyp.n_epochs
    bouts = []
    for a, b in zip(*true_runs(wake), strict=True):
        kind = "presleep" if b <= first else ("final" if a > last else "waso")
        bouts.append((float(hyp.start_s + a * hyp.epoch_s), float(hyp.start_s + b * hyp.epoch_s),
                      kind))
    return bouts


def _restless_span(rng: np.random.Generator, start: float, end: float, kind: str,
                   epoch_s: float) -> tuple[float, float] | None:
    """The restless part of a wake bout, or None when it is quiet."""
    if kind == "presleep":
        return start, start + rng.uniform(*PRESLEEP_RESTLESS_SHARE) * (end - start)
    short = (end - start) <= SHORT_BOUT_EPOCHS * epoch_s
    p = RESTLESS_P_SHORT if short else RESTLESS_P_LONG
    return (start, end) if rng.random() < p else None


def phases_fit(duration: float, n_phases: int) -> bool:
    """Whether ``n_phases`` sub-bursts always fit in ``duration`` (longest pauses)."""
    return duration >= n_phases * MIN_SUBBURST_S + (n_phases - 1) * SUBBURST_PAUSE_S[1]


def _draw_fidget(rng: np.random.Generator) -> tuple[float, int]:
    """Nominal duration and phase count of one fidget."""
    kind = str(rng.choice(FIDGET_KINDS, p=FIDGET_KIND_P))
    if kind == "long":
        dur = float(rng.uniform(*FIDGET_LONG_S))
    elif kind == "reposition":
        dur = float(rng.uniform(*REPOSITION_S))
    else:
        med, sigma, lo, hi = FIDGET_SHORT
        dur = float(np.clip(rng.lognormal(np.log(med), sigma), lo, hi))
    phases = 1
    if kind != "reposition" and dur >= MIN_SPLIT_S and rng.random() < MULTIPHASE_P:
        phases = int(rng.choice(PHASE_COUNTS, p=PHASE_COUNT_P))
        while phases > 1 and not phases_fit(dur, phases):
            phases -= 1
    return dur, phases


def _render(rng: np.random.Generator, fs: float, side: int, onset: float, dur: float,
            amplitude: float, phases: int, group: int) -> Placed | None:
    """One fidget on one leg as a placed burst, or None when the rules cannot see it."""
    i0, env = burst_envelope(rng, fs, onset, dur, amplitude, phases)
    times = measure(i0, env, fs)
    if times is None:
        return None
    return Placed(side, i0, env, times[0], times[1], float(env.max()), ORIGIN, group, phases)


def _fits(p: Placed, index: tuple[IntervalIndex, IntervalIndex]) -> bool:
    """Whether a rendered fidget keeps the truth unambiguous next to ``index``."""
    return (duration_ok(p.duration) and index[p.side].gap_ok(p.onset, p.offset, MIN_SAME_LEG_GAP_S)
            and cross_ok(index[1 - p.side], p.onset, p.offset))


def place_fidgets(rng: np.random.Generator, hyp: Hypnogram, spec: NightSpec, fs: float,
                  placed: list[Placed], first_group: int,
                  quiet: Sequence[tuple[float, float]] = ()) -> list[Placed]:
    """Fidgets in restless wake, clear of the ``placed`` movements.

    Parameters
    ----------
    rng : Generator
        The night's fidget stream (planning and envelopes).
    hyp : Hypnogram
    spec : NightSpec
    fs : float
        Leg sampling rate, Hz.
    placed : list of Placed
        Movements already accepted (they win every conflict).
    first_group : int
        Group number of the first fidget (a bilateral fidget shares one).
    quiet : sequence of (start s, end s)
        Wake bouts spent lying still (``NightSpec.quiet_wake``): no fidgets.

    Returns
    -------
    list of Placed
        The accepted fidgets (origin :data:`ORIGIN`), sorted by onset and side.
    """
    if fs <= 0:
        raise ValueError(f"fs must be positive, got {fs}")
    index = (IntervalIndex(), IntervalIndex())
    for p in placed:
        index[p.side].add(p.onset, p.offset)
    duration_s = spec.duration_s
    out: list[Placed] = []
    group = first_group
    for start, end, kind in wake_bouts(hyp):
        if any(a < end and start < b for a, b in quiet):
            continue
        span = _restless_span(rng, start, end, kind, hyp.epoch_s)
        if span is None:
            continue
        lo = max(span[0] + BOUT_MARGIN_S, EDGE_MARGIN_S)
        hi = min(span[1], end - BOUT_MARGIN_S, duration_s - EDGE_MARGIN_S)
        mean_gap = float(log_uniform(rng, *FIDGET_INTERVAL_S))
        t = lo + rng.exponential(mean_gap)
        while t < hi:
            dur, phases = _draw_fidget(rng)
            pick = int(rng.choice(len(FIDGET_SIDE_P), p=FIDGET_SIDE_P))
            shift = float(rng.uniform(*FIDGET_BILATERAL_SHIFT_S))
            amps = log_uniform(rng, *FIDGET_AMPLITUDE_UV, size=2)
            legs = [(pick, t)] if pick < 2 else [(0, t), (1, t + shift)]
            if all(o >= lo and o + dur <= hi for _, o in legs):
                group += 1
                bursts = [_render(rng, fs, s, o, dur, float(a), phases, group)
                          for (s, o), a in zip(legs, amps, strict=False)]
                if _accept(bursts, index):
                    out.extend(b for b in bursts if b is not None)
            t += dur + rng.exponential(mean_gap)
    return sorted(out, key=lambda p: (p.onset, p.side))


def _accept(bursts: list[Placed | None], index: tuple[IntervalIndex, IntervalIndex]) -> bool:
    """Add all legs of one fidget to ``index`` when every one fits, else none."""
    legs = [b for b in bursts if b is not None]
    if len(legs) != len(bursts):
        return False
    added: list[Placed] = []
    for b in legs:
        if not _fits(b, index):
            for a in added:
                _remove(index[a.side], a)
            return False
        index[b.side].add(b.onset, b.offset)
        added.append(b)
    return True


def _remove(index: IntervalIndex, p: Placed) -> None:
    """Take the interval of ``p`` out of ``index`` again."""
    for k, (on, off) in enumerate(zip(index.onsets, index.offsets, strict=True)):
        if on == p.onset and off == p.offset:
            del index.onsets[k], index.offsets[k]
            return
    raise ValueError("interval not in the index")

