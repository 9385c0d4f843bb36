"""Physics and physiology that make ankle-accelerometer nights realistically hard.

- electromechanical lag: the truth is the EMG-defined leg movement (what a PSG
  technician scores); the foot starts to move 20-80 ms after the EMG onset and
  returns to rest 0.1-0.6 s after the EMG offset (relaxation is slower than
  contraction), on every night, clean or hard;
- weak, near-isometric LMs: 5-12 % of the PSG movements of a hard night (mostly
  the low-amplitude ones) turn the foot by only 0.3-2.1 degrees, slowly (small
  tangential acceleration, little tremor);
- mattress crosstalk: a large movement of one leg (posture turn, rotation of
  25 degrees or more) shakes the other ankle's sensor by 10-100 mg (40-150 mg
  for a turn) for part of its duration, sometimes with a small tilt (0.5-3
  degrees) that returns;
- bed motion (a bed partner): a common 0.5-3 Hz sway of 10-60 mg for 1-5 s
  on both ankles at once, 0-4 per hour (4-8 on a restless partner's night);
- strap slips: 0-2 per night, sudden permanent orientation steps of 1-5
  degrees within 0.05-0.3 s, mostly shortly after a posture turn or a fidget.

Only the lag changes the truth table (``mech_onset``, ``mech_duration``); the
other nuisances are recorded in their own tables.

>>> import numpy as np
>>> lags = plan_lags(np.random.default_rng(0), [(10.0, 1.0, 0), (20.0, 2.0, 1)])
>>> all(LAG_S[0] <= on <= LAG_S[1] and RELAX_S[0] <= off <= RELAX_S[1] for on, off in lags)
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.simulate import accel_motion as am
from plms.simulate.movements import EDGE_MARGIN_S, IntervalIndex, SIDES, log_uniform

FloatArray = npt.NDArray[np.float64]

#: Milli-g per g.
MG_PER_G = 1000.0
S_PER_H = 3600.0
#: Electromechanical delay of the foot after the EMG onset (uniform s) ...
LAG_S = (0.02, 0.08)
#: ... and the return to rest after the EMG offset (uniform s).
RELAX_S = (0.1, 0.6)
#: The mechanical end keeps at least this before the next mechanical onset of the leg, s.
MIN_MECH_GAP_S = 0.3
#: Share of the relaxation that lengthens the down-ramp of the rotation.
RELAX_RAMP_SHARE = 1.0
#: Weak (near-isometric) LMs of a hard night: share of the PSG movements (uniform
#: per night), planned peak rotation (uniform deg; the hold wobble adds up to 15 %),
#: slow ramps (uniform s) and the tremor gain.
WEAK_SHARE = (0.05, 0.12)
WEAK_DEG = (0.3, 2.1)
WEAK_RAMP_S = (0.25, 0.45)
WEAK_TREMOR_GAIN = 0.3
#: Selection weight of a movement: (1 - rank) ** POWER + FLOOR, rank the position of its
#: EMG peak in the amplitude range (log scale): low-amplitude movements are weak more often.
WEAK_RANK_POWER = 2.0
WEAK_RANK_FLOOR = 0.05
#: Rank used when the PSG amplitude range is a single value.
MID_RANK = 0.5
#: Crosstalk: sources (planned rotation at least this many deg, or a posture turn), chance
#: per source (uniform per night: mattresses differ), amplitude (log-uniform mg: foot
#: movements shake the bed less than a turning body) and the share of the source's
#: duration it lasts (uniform), at least CROSSTALK_MIN_S.
CROSSTALK_MIN_DEG = 25.0
CROSSTALK_P = (0.3, 0.9)
CROSSTALK_MG = (10.0, 100.0)
CROSSTALK_TURN_MG = (40.0, 150.0)
CROSSTALK_SHARE = (0.3, 1.0)
CROSSTALK_MIN_S = 0.3
#: Crosstalk waveform: sinusoids (count, frequency range Hz), chance and size of a tilt (deg).
CROSSTALK_HZ = (1.0, 6.0)
CROSSTALK_TILT_P = 0.35
CROSSTALK_TILT_DEG = (0.5, 3.0)
#: Bed motion: rate per hour (uniform), chance of a restless partner's night and its rate,
#: duration (uniform s), amplitude (log-uniform mg on the nearer ankle), the other ankle's gain.
BED_RATE_H = (0.0, 4.0)
BED_BUSY_P = 0.2
BED_BUSY_RATE_H = (4.0, 8.0)
BED_S = (1.0, 5.0)
BED_MG = (10.0, 60.0)
BED_HZ = (0.5, 3.0)
BED_GAIN = (0.6, 1.0)
#: Sinusoids summed into a sway waveform.
SWAY_COMPONENTS = 3
#: Strap slips: count per night (choices, probabilities), step (uniform deg), duration
#: (uniform s), chance to follow a posture turn or fidget of the leg, delay after it
#: (uniform s), clearance from the leg's movements (s) and placement tries.
SLIP_COUNTS = (0, 1, 2)
SLIP_COUNT_P = (0.45, 0.4, 0.15)
SLIP_DEG = (1.0, 5.0)
SLIP_S = (0.05, 0.3)
SLIP_AFTER_P = 0.7
SLIP_DELAY_S = (0.5, 3.0)
SLIP_CLEAR_S = 0.5
SLIP_TRIES = 20
#: Truth kinds a slip may follow.
SLIP_AFTER_KINDS = ("posture", "wake_fidget")
#: Share of the Nyquist frequency a sway component may reach.
NYQUIST_SHARE = 0.8

CROSSTALK_COLUMNS = ("onset", "duration", "side", "source_side", "source_kind", "amplitude_mg",
                     "tilt_deg")
BED_COLUMNS = ("onset", "duration", "side", "amplitude_mg", "gain_left", "gain_right")
SLIP_COLUMNS = ("onset", "duration", "side", "angle_deg", "after")


def plan_lags(rng: np.random.Generator,
              rows: list[tuple[float, float, int]]) -> list[tuple[float, float]]:
    """Onset lag and relaxation (s) of each truth row (EMG onset, duration, side).

    The relaxation is shortened where it would come within :data:`MIN_MECH_GAP_S`
    of the next mechanical onset of the same leg.
    """
    draws = [(float(rng.uniform(*LAG_S)), float(rng.uniform(*RELAX_S))) for _ in rows]
    out = list(draws)
    for side in range(len(SIDES)):
        mine = sorted((on, k) for k, (on, _, s) in enumerate(rows) if s == side)
        for (on, k), (next_on, j) in pairwise(mine):
            room = next_on + draws[j][0] - MIN_MECH_GAP_S - (on + rows[k][1])
            out[k] = (draws[k][0], float(min(draws[k][1], max(room, 0.0))))
    return out


def lagged_rotation(rot: am.Rotation, lag_s: float, relax_s: float) -> am.Rotation:
    """``rot`` moved to its mechanical interval, with a slower return."""
    return replace(rot, onset=rot.onset + lag_s, duration=rot.duration - lag_s + relax_s,
                   ramp_down_s=rot.ramp_down_s + RELAX_RAMP_SHARE * relax_s)


def lagged_turn(turn: am.Turn, lag_s: float, relax_s: float) -> am.Turn:
    """``turn`` moved to its mechanical interval (the turn itself stays inside)."""
    onset = turn.onset + lag_s
    offset = turn.onset + turn.duration + relax_s
    start = max(turn.turn_start, onset)
    span = min(turn.turn_s, offset - start)
    return replace(turn, onset=onset, duration=offset - onset, turn_start=start, turn_s=span)


def amplitude_rank(peak_uv: float, amp_range: tuple[float, float]) -> float:
    """Position of an EMG peak in the amplitude range (log scale), in [0, 1]."""
    lo, hi = amp_range
    if hi <= lo:
        return MID_RANK
    return float(np.clip(np.log(peak_uv / lo) / np.log(hi / lo), 0.0, 1.0))


def plan_weak(rng: np.random.Generator, peaks_uv: dict[int, float],
              amp_range: tuple[float, float]) -> set[int]:
    """Which PSG movements (keys of ``peaks_uv``) are weak, low amplitudes favoured."""
    if not peaks_uv:
        return set()
    keys = sorted(peaks_uv)
    share = float(rng.uniform(*WEAK_SHARE))
    count = min(int(round(share * len(keys))), len(keys))
    weights = np.array([(1.0 - amplitude_rank(peaks_uv[k], amp_range)) ** WEAK_RANK_POWER
                        + WEAK_RANK_FLOOR for k in keys])
    picked = rng.choice(len(keys), size=count, replace=False, p=weights / weights.sum())
    return {keys[int(i)] for i in picked}


def weakened(rng: np.random.Generator, rot: am.Rotation) -> am.Rotation:
    """``rot`` as a near-isometric movement: a small, slow rotation."""
    ramps = rng.uniform(*WEAK_RAMP_S, size=2)
    return replace(rot, peak_deg=float(rng.uniform(*WEAK_DEG)), ramp_up_s=float(ramps[0]),
                   ramp_down_s=float(ramps[1]), tremor_gain=WEAK_TREMOR_GAIN)


def _sway(rng: np.random.Generator, n: int, fs: float, band_hz: tuple[float, float]) -> FloatArray:
    """A sum of sinusoids in ``band_hz`` under raised-cosine edges, peak 1."""
    t = np.arange(n) / fs
    top = min(band_hz[1], NYQUIST_SHARE * fs / 2)
    wave = np.zeros(n)
    for _ in range(SWAY_COMPONENTS):
        wave += rng.uniform(0.5, 1.0) * np.sin(2 * np.pi * rng.uniform(band_hz[0], top) * t
                                                + rng.uniform(0, 2 * np.pi))
    wave *= am.edge_envelope(n, fs)
    peak = float(np.max(np.abs(wave))) if n else 0.0
    return wave / peak if peak > 0 else wave


@dataclass(frozen=True)
class Crosstalk:
    """Motion of the other leg's movement seen through the mattress by ``side``."""

    onset: float
    duration: float
    side: int
    source_side: int
    source_kind: str
    amplitude_mg: float
    tilt_deg: float
    seed: int


def plan_crosstalk(rng: np.random.Generator,
                   sources: list[tuple[float, float, int, str, bool]]) -> list[Crosstalk]:
    """Crosstalk of large movements (onset, duration, side, kind, is a turn) on the other leg.

    Only sources of :data:`CROSSTALK_MIN_DEG` or more, or posture turns, should be passed.
    """
    p = float(rng.uniform(*CROSSTALK_P))
    out = []
    for on, dur, side, kind, turn in sorted(sources):
        hit = rng.random() < p
        share = float(rng.uniform(*CROSSTALK_SHARE))
        start = float(rng.uniform(0.0, 1.0 - share))
        amp = float(log_uniform(rng, *(CROSSTALK_TURN_MG if turn else CROSSTALK_MG)))
        tilt = float(rng.uniform(*CROSSTALK_TILT_DEG)) if rng.random() < CROSSTALK_TILT_P \
            else 0.0
        seed = int(rng.integers(am.SEED_BOUND))
        length = max(share * dur, min(CROSSTALK_MIN_S, dur))
        onset = on + min(start * dur, dur - length)
        if hit:
            out.append(Crosstalk(onset, length, 1 - side, side, kind, amp, tilt, seed))
    return out


def render_crosstalk(event: Crosstalk, gravity: FloatArray, out: FloatArray, fs: float) -> None:
    """Add the translational sway and the returning tilt of ``event`` to ``out`` (in place)."""
    i0, i1 = am.window(event.onset, event.duration, fs, out.shape[0])
    if i1 - i0 < 2:
        return
    rng = np.random.default_rng(event.seed)
    direction = am.unit(rng.normal(size=3))
    tilt_vec = rng.normal(size=3)
    wave = _sway(rng, i1 - i0, fs, CROSSTALK_HZ)
    out[i0:i1] += np.outer(wave * event.amplitude_mg / MG_PER_G, direction)
    if event.tilt_deg > 0:
        g = gravity[i0:i1]
        axis = am.unit(np.cross(g[0], tilt_vec))
        bump = np.sin(np.pi * np.arange(i1 - i0) / max(i1 - i0 - 1, 1))
        out[i0:i1] += am.rotate(g, axis, np.radians(event.tilt_deg) * bump) - g


@dataclass(frozen=True)
class BedMotion:
    """Whole-bed sway (a bed partner) seen by both ankles at once."""

    onset: float
    duration: float
    amplitude_mg: float
    gains: tuple[float, float]
    seed: int


def plan_bed_motion(rng: np.random.Generator, duration_s: float) -> list[BedMotion]:
    """Bed-motion events of one night (rate drawn per night)."""
    busy = rng.random() < BED_BUSY_P
    rate = float(rng.uniform(*(BED_BUSY_RATE_H if busy else BED_RATE_H)))
    n = int(rng.poisson(rate * duration_s / S_PER_H))
    out = []
    for _ in range(n):
        dur = float(rng.uniform(*BED_S))
        hi = duration_s - EDGE_MARGIN_S - dur
        onset = float(rng.uniform(EDGE_MARGIN_S, max(hi, EDGE_MARGIN_S)))
        amp = float(log_uniform(rng, *BED_MG))
        near = int(rng.integers(2))
        gains = [1.0, 1.0]
        gains[1 - near] = float(rng.uniform(*BED_GAIN))
        out.append(BedMotion(onset, dur, amp, (gains[0], gains[1]),
                             int(rng.integers(am.SEED_BOUND))))
    return sorted(out, key=lambda b: b.onset)


def render_bed_motion(event: BedMotion, side: int, out: FloatArray, fs: float) -> None:
    """Add the common sway of ``event`` as seen by ``side`` to ``out`` (in place)."""
    i0, i1 = am.window(event.onset, event.duration, fs, out.shape[0])
    if i1 - i0 < 2:
        return
    rng = np.random.default_rng(event.seed)
    wave = _sway(rng, i1 - i0, fs, BED_HZ)
    directions = [am.unit(rng.normal(size=3)) for _ in SIDES]
    out[i0:i1] += np.outer(wave * event.amplitude_mg * event.gains[side] / MG_PER_G,
                           directions[side])


@dataclass(frozen=True)
class Slip:
    """A sudden permanent turn of the sensor on its strap."""

    onset: float
    duration: float
    side: int
    angle_deg: float
    after: str
    seed: int


def plan_slips(rng: np.random.Generator, duration_s: float,
               truth: list[tuple[float, float, int, str]],
               busy: list[tuple[float, float, int]]) -> list[Slip]:
    """Strap slips clear of every movement in ``busy`` (onset, offset, side).

    ``truth`` holds the mechanical intervals (onset, duration, side, kind) of the
    truth movements; a slip mostly follows a posture turn or a fidget of its leg.
    """
    index = (IntervalIndex(), IntervalIndex())
    for on, off, side in busy:
        index[side].add(on, off)
    count = int(rng.choice(SLIP_COUNTS, p=SLIP_COUNT_P))
    out: list[Slip] = []
    for _ in range(count):
        side = int(rng.integers(2))
        angle = float(rng.uniform(*SLIP_DEG))
        dur = float(rng.uniform(*SLIP_S))
        seed = int(rng.integers(am.SEED_BOUND))
        after_p = rng.random() < SLIP_AFTER_P
        follows = [r for r in truth if r[2] == side and r[3] in SLIP_AFTER_KINDS]
        for _ in range(SLIP_TRIES):
            if after_p and follows:
                src = follows[int(rng.integers(len(follows)))]
                onset, kind = src[0] + src[1] + float(rng.uniform(*SLIP_DELAY_S)), src[3]
            else:
                onset, kind = float(rng.uniform(EDGE_MARGIN_S, duration_s - EDGE_MARGIN_S)), \
                    "none"
            if EDGE_MARGIN_S <= onset <= duration_s - EDGE_MARGIN_S - dur \
                    and index[side].gap_ok(onset, onset + dur, SLIP_CLEAR_S):
                index[side].add(onset, onset + dur)
                out.append(Slip(onset, dur, side, angle, kind, seed))
                break
    return sorted(out, key=lambda s: s.onset)


def apply_slips(gravity: FloatArray, turns: list[tuple[int, am.Turn]], slips: list[Slip],
                fs: float) -> list[tuple[int, am.Turn]]:
    """Turn the rest gravity (in place) from each slip on; returns the turns turned alike."""
    n = gravity.shape[0]
    for slip in slips:
        i0, i1 = am.window(slip.onset, slip.duration, fs, n)
        if i0 >= n:
            continue
        rng = np.random.default_rng(slip.seed)
        axis = am.unit(np.cross(gravity[i0], rng.normal(size=3)))
        frac = np.clip((np.arange(i0, n) - i0) / max(i1 - i0, 1), 0.0, 1.0)
        theta = np.radians(slip.angle_deg) * (0.5 - 0.5 * np.cos(np.pi * frac))
        gravity[i0:] = am.rotate(gravity[i0:], axis, theta)
        full = np.radians([slip.angle_deg])
        turns = [(k, replace(t, before=am.rotate(t.before[None, :], axis, full)[0],
                             after=am.rotate(t.after[None, :], axis, full)[0]))
                 if t.onset >= slip.onset else (k, t) for k, t in turns]
    return turns


def tables(crosstalk: list[Crosstalk], bed: list[BedMotion], slips: list[Slip],
           sides: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The nuisance tables of a night with sensors on ``sides``."""
    cross = pd.DataFrame(
        [(c.onset, c.duration, SIDES[c.side], SIDES[c.source_side], c.source_kind,
          c.amplitude_mg, c.tilt_deg) for c in crosstalk if SIDES[c.side] in sides],
        columns=list(CROSSTALK_COLUMNS),
    ).astype({"onset": float, "duration": float, "amplitude_mg": float, "tilt_deg": float})
    beds = pd.DataFrame(
        [(b.onset, b.duration, "both", b.amplitude_mg, *b.gains) for b in bed],
        columns=list(BED_COLUMNS),
    ).astype({"onset": float, "duration": float, "amplitude_mg": float, "gain_left": float,
              "gain_right": float})
    slip_table = pd.DataFrame(
        [(s.onset, s.duration, SIDES[s.side], s.angle_deg, s.after) for s in slips
         if SIDES[s.side] in sides], columns=list(SLIP_COLUMNS),
    ).astype({"onset": float, "duration": float, "angle_deg": float})
    return cross, beds, slip_table


def plan_nuisances(rngs: tuple[np.random.Generator, np.random.Generator, np.random.Generator],
                   rows: list[tuple[float, float, int, str, int]],
                   mech: list[tuple[float, float]],
                   rotations: list[list[tuple[int, am.Rotation]]],
                   turns: list[list[tuple[int, am.Turn]]],
                   duration_s: float) -> tuple[list[Crosstalk], list[BedMotion], list[Slip]]:
    """Crosstalk, bed motion and strap slips of a hard night.

    Planned for both legs whatever ankles wear a sensor (a one-ankle night sees the
    same). ``rngs`` are the crosstalk, bed and slip streams; ``rows`` the truth rows
    (onset, duration, side, kind, phases), ``mech`` their mechanical intervals,
    ``rotations`` and ``turns`` the lagged movements per side (truth row or -1).
    """
    sources = [(rot.onset, rot.duration, side, rows[k][3], False)
               for side in range(len(SIDES)) for k, rot in rotations[side]
               if rot.peak_deg >= CROSSTALK_MIN_DEG]
    sources += [(t.onset, t.duration, side, "posture", True)
                for side in range(len(SIDES)) for k, t in turns[side] if k >= 0]
    crosstalk = plan_crosstalk(rngs[0], sources)
    bed = plan_bed_motion(rngs[1], duration_s)
    truth = [(on, d, row[2], row[3]) for (on, d), row in zip(mech, rows, strict=True)]
    busy = [(on, on + d, side) for on, d, side, _ in truth]
    busy += [(t.onset, t.onset + t.duration, side) for side in range(len(SIDES))
             for k, t in turns[side] if k < 0]
    return crosstalk, bed, plan_slips(rngs[2], duration_s, truth, busy)
