"""Leg-movement envelopes, their acceptance, and the truth they give.

Candidates (see :mod:`plms.simulate.sources`) are accepted by priority:
posture changes, movements at the end of respiratory events, PLM series,
isolated movements. Each candidate gets an activation envelope (uV above the resting tone) on the
leg's sample grid; its truth onset and offset are the WASM rules applied to
that noise-free envelope (onset: first sample >= 8 uV, offset: after the last
sample >= 2 uV). Candidates are accepted greedily so that the truth stays
unambiguous: no duration near the 0.5 s and 10 s rule edges, >= 1 s between
movements of one leg, no gap between the two legs' movements near the 0.5 s
bilateral edge and no onset difference near the AASM 5 s edge.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.simulate.spec import TRUTH_COLUMNS, NightSpec

SIDES = ("left", "right")

#: Envelope thresholds the truth is measured with, written here from the rule
#: sheet (RULES.md section 1, WASM 2016 LM onset / offset) and deliberately not
#: read from :mod:`plms.rules`: a wrong constant there must not move the truth
#: and the detector's result together (tests/test_simulate.py checks these
#: against the rule sheet's values). Onset: >= 8 uV above rest, uV.
ONSET_UV = 8.0
#: Offset: the activation stays < 2 uV above rest ...
OFFSET_UV = 2.0
#: ... for at least 0.5 s.
QUIET_S = 0.5

# -- shapes --------------------------------------------------------------------
#: Onset / offset ramps of an LM (uniform), s.
RAMP_S = (0.05, 0.15)
#: Sub-bursts: pauses between them (uniform), s; shortest sub-burst, s.
SUBBURST_PAUSE_S = (0.1, 0.35)
MIN_SUBBURST_S = 0.3
#: Sub-burst count: 2 or 3 with these probabilities.
SUBBURST_COUNTS = (2, 3)
SUBBURST_COUNT_P = (0.7, 0.3)
#: LMs shorter than this are never split into sub-bursts.
MIN_SPLIT_DURATION_S = 1.2
#: Later sub-bursts reach this share of the first one (uniform).
SUBBURST_GAIN = (0.5, 1.0)
#: Slow amplitude modulation inside an LM: depth (uniform), frequencies Hz.
MODULATION_DEPTH = (0.1, 0.4)
MODULATION_HZ = (0.3, 3.0)

# -- truth edges (keep the truth away from the rule edges) ----------------------
#: Forbidden truth durations: near the 0.5 s minimum and the 10 s CLM maximum.
FORBIDDEN_DURATION_S = ((0.35, 0.7), (9.5, 10.7))
#: Minimum gap between two LMs of one leg, s.
MIN_SAME_LEG_GAP_S = 1.0
#: Forbidden gaps between LMs of the two legs (around the 0.5 s bilateral edge).
FORBIDDEN_CROSS_GAP_S = (0.3, 0.8)
#: Forbidden onset differences between the two legs (around the AASM 5 s edge).
FORBIDDEN_ONSET_DIFF_S = (4.7, 5.3)
#: Keep movements this far from the recording edges, s.
EDGE_MARGIN_S = 2.0
#: Longest LM, s (to bound interval searches).
MAX_LM_S = 26.0

# -- durations (nominal, incl. ramps), s -----------------------------------------
#: CLM-sized LMs: lognormal (median, sigma) clipped to [min, max].
CLM_DURATION = (1.8, 0.5, 0.85, 9.0)

#: Onset intervals this close to the IMI bounds (bound, tolerance s) are avoided ...
EDGE_IMI_S = ((10.0, 0.4), (90.0, 0.8))
#: ... for movements combined as WASM combines the legs (gap under this, s; RULES.md
#: section 2, bilateral combination: next onset < 0.5 s after the previous offset) ...
BILATERAL_JOIN_S = 0.5
#: ... in at most this many passes.
EDGE_PASSES = 3

PRIORITY = {"posture": 0, "respiratory": 1, "series": 2, "isolated": 3}
#: Movements dropped first at an IMI edge: groups made only of these origins, in turn.
EXPENDABLE_ORIGINS = (frozenset({"wake_fidget"}), frozenset({"wake_fidget", "isolated"}))


@dataclass
class Candidate:
    """A leg movement before acceptance (nominal times include the ramps)."""

    onset: float
    duration: float
    side: int
    amplitude: float
    origin: str
    group: int
    n_bursts: int = 1


@dataclass
class Placed:
    """A rendered burst: its envelope and the times the rules would see."""

    side: int
    i0: int
    profile: npt.NDArray[np.float64]
    onset: float
    offset: float
    peak: float
    origin: str = ""
    group: int = -1
    n_bursts: int = 1

    @property
    def duration(self) -> float:
        """Truth duration, s."""
        return self.offset - self.onset


@dataclass
class IntervalIndex:
    """Sorted, non-overlapping intervals of one leg, for conflict checks."""

    onsets: list[float] = field(default_factory=list)
    offsets: list[float] = field(default_factory=list)

    def add(self, onset: float, offset: float) -> None:
        """Insert an interval."""
        k = bisect.bisect(self.onsets, onset)
        self.onsets.insert(k, onset)
        self.offsets.insert(k, offset)

    def near(self, lo: float, hi: float) -> list[tuple[float, float]]:
        """Intervals whose onset lies in [lo - MAX_LM_S, hi]."""
        a = bisect.bisect_left(self.onsets, lo - MAX_LM_S)
        b = bisect.bisect_right(self.onsets, hi)
        return list(zip(self.onsets[a:b], self.offsets[a:b], strict=True))

    def gap_ok(self, onset: float, offset: float, min_gap: float) -> bool:
        """Whether [onset, offset] keeps ``min_gap`` from every interval."""
        return all(onset - off >= min_gap or on - offset >= min_gap
                   for on, off in self.near(onset - min_gap, offset + min_gap))


def log_uniform(rng: np.random.Generator, lo: float, hi: float,
                size: int | None = None) -> npt.NDArray[np.float64]:
    """Log-uniform draws in [lo, hi]."""
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size=size))


# -- envelopes -------------------------------------------------------------------------------
def burst_envelope(rng: np.random.Generator, fs: float, onset: float, duration: float,
                   amplitude: float, n_bursts: int = 1,
                   ramp_s: tuple[float, float] = RAMP_S) -> tuple[int, npt.NDArray[np.float64]]:
    """Activation envelope of one movement on the sample grid.

    Returns the first sample index and the envelope (uV above rest, max equal
    to ``amplitude``), covering ``duration`` seconds from ``onset``.
    """
    i0 = int(np.ceil(onset * fs))
    t = np.arange(int(round(duration * fs)) + 1) / fs + (i0 / fs - onset)
    if n_bursts > 1:
        pauses = rng.uniform(*SUBBURST_PAUSE_S, size=n_bursts - 1)
        spare = duration - pauses.sum() - n_bursts * MIN_SUBBURST_S
        if spare <= 0:
            n_bursts, pauses = 1, np.zeros(0)
    if n_bursts == 1:
        lengths = np.array([duration])
        pauses = np.zeros(0)
    else:
        lengths = MIN_SUBBURST_S + spare * rng.dirichlet(np.full(n_bursts, 2.0))
    starts = np.concatenate([[0.0], np.cumsum(lengths[:-1] + pauses)])
    gains = np.concatenate([[1.0], rng.uniform(*SUBBURST_GAIN, size=n_bursts - 1)])
    env = np.zeros_like(t)
    for start, length, gain in zip(starts, lengths, gains, strict=True):
        up, down = np.minimum(rng.uniform(*ramp_s, size=2), length / 3.0)
        rise = np.clip((t - start) / up, 0.0, 1.0)
        fall = np.clip((start + length - t) / down, 0.0, 1.0)
        edge = np.minimum(rise, fall)
        env += gain * (0.5 - 0.5 * np.cos(np.pi * edge))
    depth = rng.uniform(*MODULATION_DEPTH)
    freqs = rng.uniform(*MODULATION_HZ, size=2)
    phases = rng.uniform(0.0, 2 * np.pi, size=2)
    wobble = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]).mean(axis=0)
    env *= 1.0 - depth * (0.5 + 0.5 * wobble)
    peak = env.max()
    if peak <= 0:
        raise ValueError("empty movement envelope")
    return i0, env * (amplitude / peak)


def measure(i0: int, env: npt.NDArray[np.float64], fs: float) -> tuple[float, float] | None:
    """Truth onset and offset of an envelope under the LM rules, or None.

    None when the envelope never reaches the onset threshold or would be cut
    in two by a quiet period of ``QUIET_S``.
    """
    above_on = np.flatnonzero(env >= ONSET_UV)
    if above_on.size == 0:
        return None
    first = int(above_on[0])
    above_off = np.flatnonzero(env[first:] >= OFFSET_UV) + first
    last = int(above_off[-1])
    if above_off.size > 1 and np.max(np.diff(above_off)) - 1 >= QUIET_S * fs:
        return None
    return (i0 + first) / fs, (i0 + last + 1) / fs


def duration_ok(duration: float) -> bool:
    """Whether a truth duration keeps clear of the rule edges."""
    return not any(lo <= duration <= hi for lo, hi in FORBIDDEN_DURATION_S)



# -- acceptance ------------------------------------------------------------------------------
def place_movements(rng: np.random.Generator, candidates: list[Candidate], spec: NightSpec,
                    fs: float) -> list[Placed]:
    """Render candidates by priority, keeping only those that leave the truth unambiguous."""
    order = sorted(range(len(candidates)),
                   key=lambda k: (PRIORITY[candidates[k].origin], candidates[k].onset))
    index = (IntervalIndex(), IntervalIndex())
    placed: list[Placed] = []
    use_sub = spec.enabled("subbursts")
    for k in order:
        c = candidates[k]
        if c.onset < EDGE_MARGIN_S or c.onset + c.duration > spec.duration_s - EDGE_MARGIN_S:
            continue
        n_bursts = 1
        if use_sub and c.duration >= MIN_SPLIT_DURATION_S and c.duration <= CLM_DURATION[3] \
                and rng.random() < spec.subburst_share:
            n_bursts = int(rng.choice(SUBBURST_COUNTS, p=SUBBURST_COUNT_P))
        i0, env = burst_envelope(rng, fs, c.onset, c.duration, c.amplitude, n_bursts)
        times = measure(i0, env, fs)
        if times is None:
            continue
        on, off = times
        if not duration_ok(off - on) or not index[c.side].gap_ok(on, off, MIN_SAME_LEG_GAP_S):
            continue
        if not cross_ok(index[1 - c.side], on, off):
            continue
        index[c.side].add(on, off)
        placed.append(Placed(c.side, i0, env, on, off, float(env.max()), c.origin, c.group,
                             n_bursts))
    placed.sort(key=lambda p: (p.onset, p.side))
    return placed


def cross_ok(other: IntervalIndex, on: float, off: float) -> bool:
    """Whether a movement keeps clear of the bilateral edges with the other leg."""
    lo_gap, hi_gap = FORBIDDEN_CROSS_GAP_S
    lo_d, hi_d = FORBIDDEN_ONSET_DIFF_S
    for o_on, o_off in other.near(on - hi_d, off + hi_d):
        gap = max(on - o_off, o_on - off)
        if lo_gap < gap < hi_gap or lo_d < abs(on - o_on) < hi_d:
            return False
    return True


def drop_edge_intervals(placed: list[Placed]) -> list[Placed]:
    """Drop LMs whose onset interval to a neighbour sits on an IMI rule edge.

    Movements of both legs are combined as WASM does (overlap or a gap under
    ``BILATERAL_JOIN_S``); when two consecutive combined movements start
    within :data:`EDGE_IMI_S` of the 10 s or 90 s IMI bounds, one of the two
    is removed: a wake fidget if any, else an isolated one, else the later one
    unless it is a posture change. Series IMIs are already drawn clear of the edges; this
    catches what isolated movements and bilateral shifts create.
    """
    keep = sorted(placed, key=lambda p: p.onset)
    for _ in range(EDGE_PASSES):
        groups: list[list[Placed]] = []
        end = -np.inf
        for p in keep:
            if groups and p.onset < end + BILATERAL_JOIN_S:
                groups[-1].append(p)
                end = max(end, p.offset)
            else:
                groups.append([p])
                end = p.offset
        drop: set[int] = set()
        for a, b in pairwise(groups):
            imi = b[0].onset - a[0].onset
            if any(id(p) in drop for p in a) or not any(
                    abs(imi - edge) < tol for edge, tol in EDGE_IMI_S):
                continue
            victim = _edge_victim(a, b)
            if victim is not None:
                drop.update(id(p) for p in victim)
        if not drop:
            break
        keep = [p for p in keep if id(p) not in drop]
    return keep


def _edge_victim(a: list[Placed], b: list[Placed]) -> list[Placed] | None:
    """Which of two combined movements to drop: wake fidgets first, then isolated
    movements, never a posture change."""
    for expendable in EXPENDABLE_ORIGINS:
        for group in (b, a):
            if all(p.origin in expendable for p in group):
                return group
    for group in (b, a):
        if not any(p.origin == "posture" for p in group):
            return group
    return None


def truth_table(placed: list[Placed]) -> pd.DataFrame:
    """The truth LMs as a DataFrame (columns :data:`TRUTH_COLUMNS`)."""
    rows = [(p.onset, p.duration, SIDES[p.side], p.peak, p.origin, p.n_bursts) for p in placed]
    table = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    return table.astype({"onset": float, "duration": float, "peak_uv": float,
                         "n_bursts": int}).sort_values(["onset", "side"], ignore_index=True)


def render(placed: list[Placed], side: int, out: npt.NDArray[np.float64]) -> None:
    """Add the envelopes of one leg to ``out`` (in place, on the leg's sample grid)."""
    n = out.size
    for p in placed:
        if p.side != side or p.i0 >= n:
            continue
        stop = min(p.i0 + p.profile.size, n)
        out[p.i0:stop] += p.profile[:stop - p.i0]
