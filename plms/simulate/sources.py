"""Where the leg movements of a simulated night come from.

Four sources propose candidate movements (accepted later by
:func:`plms.simulate.movements.place_movements`):

- PLM series: runs of movements at intervals of about 15-40 s (lognormal
  jitter, now and then < 10 s or > 90 s), mostly in N1/N2, rarer in N3 and
  REM, some in wake; left only, right only, bilateral or alternating.
- isolated random movements, more in wake, and a few long (> 10 s) ones;
- movements near the end of respiratory events;
- big bilateral posture changes at awakenings, some longer than 10 s; the
  resting tone steps at their midpoints.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.hypnogram import SLEEP_STAGES
from plms.simulate.movements import CLM_DURATION, SIDES, Candidate, EDGE_MARGIN_S, log_uniform
from plms.simulate.sleep import StageTimeline, lognormal_clipped
from plms.simulate.spec import MIN_PER_H, S_PER_H, NightSpec

#: Per-series median duration, lognormal clipped.
SERIES_DURATION = (1.8, 0.4, 1.0, 4.0)
#: Spread of member durations around the series median (sigma of the log).
MEMBER_DURATION_SIGMA = 0.35
#: Long LMs (non-CLM), uniform.
LONG_DURATION_S = (11.5, 25.0)
#: Posture movements that are not long, uniform.
POSTURE_SHORT_DURATION_S = (3.0, 9.0)

# -- PLM series -------------------------------------------------------------------
#: Relative chance that a series starts in each stage.
SERIES_STAGE_WEIGHT = {"W": 0.15, "N1": 1.0, "N2": 1.0, "N3": 0.3, "R": 0.15}
#: Chance that a member of a running series shows up, by stage.
SERIES_KEEP_P = {"W": 0.7, "N1": 1.0, "N2": 1.0, "N3": 0.6, "R": 0.3}
#: Members per series: lognormal (median, sigma) clipped.
SERIES_LENGTH = (30.0, 0.7, 4.0, 250.0)
#: Per-series median IMI (uniform), s; jitter around it (sigma of the log).
SERIES_IMI_S = (15.0, 40.0)
IMI_SIGMA = 0.18
#: Occasional IMIs below 10 s and above 90 s: probability and range.
SHORT_IMI_P, SHORT_IMI_S = 0.03, (4.0, 9.0)
LONG_IMI_P, LONG_IMI_S = 0.03, (92.0, 150.0)
#: IMIs too close to the 10 s / 90 s edges are redrawn.
FORBIDDEN_IMI_S = ((9.2, 10.8), (88.8, 91.2))
#: Side pattern of a series.
SERIES_MODES = ("left", "right", "bilateral", "alternating")
SERIES_MODE_P = (0.3, 0.3, 0.25, 0.15)
#: Chance that a member also (unilateral modes) or only (bilateral mode) moves one leg.
PARTNER_P_UNILATERAL = 0.08
SINGLE_P_BILATERAL = 0.15
#: Onset shift of the second leg of a bilateral movement (uniform), s.
BILATERAL_SHIFT_S = (-0.3, 0.3)
#: Second leg duration relative to the first (uniform).
PARTNER_DURATION_RATIO = (0.7, 1.3)
#: Amplitude jitter of members around the series level (sigma of the log).
MEMBER_AMPLITUDE_SIGMA = 0.3
#: Members generated per requested PLMS: some are lost to conflicts, to the
#: respiratory rule and to broken series (calibrated on 8-h hard nights).
SEVERITY_GAIN = 1.2
#: Series never start within this of an earlier series, s.
SERIES_SPACING_S = 60.0
MAX_SERIES_TRIES = 2000

# -- other sources ---------------------------------------------------------------------
#: Isolated LMs: side probabilities (left, right, bilateral), in this order.
ISOLATED_SIDE_P = (0.4, 0.4, 0.2)
#: Long (> 10 s) unilateral LMs per hour of wake.
LONG_WAKE_RATE_H = 2.0
#: LM after a respiratory event: onset relative to the event end (uniform), s.
RESP_LM_OFFSET_S = (-1.5, 4.0)
RESP_LM_BILATERAL_P = 0.5
#: Posture change at an awakening with this chance; extra ones per hour of sleep.
POSTURE_AT_AWAKENING_P = 0.8
POSTURE_RATE_SLEEP_H = 0.3
POSTURE_LONG_P = 0.5
#: Posture movements are strong: amplitudes from this share of the maximum up.
POSTURE_AMPLITUDE_FLOOR = 0.25


# -- candidate sources ------------------------------------------------------------------------
class Groups:
    """Hands out group numbers (a bilateral movement shares one)."""

    def __init__(self) -> None:
        self.next = 0

    def new(self) -> int:
        self.next += 1
        return self.next


def _pair(rng: np.random.Generator, out: list[Candidate], t: float, dur: float, amp: float,
          side: int, origin: str, group: int, *, bilateral: bool,
          amp_range: tuple[float, float], long_partner: bool = False) -> None:
    """Append a movement, and its other-leg partner when ``bilateral``.

    The partner starts up to 0.3 s apart, lasts about as long (or is long
    too, with ``long_partner``) and has a similar amplitude within ``amp_range``.
    """
    out.append(Candidate(t, dur, side, amp, origin, group))
    if bilateral:
        shift = rng.uniform(*BILATERAL_SHIFT_S)
        if long_partner:
            d2 = rng.uniform(*LONG_DURATION_S)
        else:
            d2 = float(np.clip(dur * rng.uniform(*PARTNER_DURATION_RATIO),
                               CLM_DURATION[2], CLM_DURATION[3]))
        a2 = float(np.clip(amp * rng.lognormal(0.0, MEMBER_AMPLITUDE_SIGMA), *amp_range))
        out.append(Candidate(t + shift, d2, 1 - side, a2, origin, group))


def series_candidates(rng: np.random.Generator, timeline: StageTimeline, spec: NightSpec,
                      groups: Groups) -> list[Candidate]:
    """PLM series until about ``plm_severity`` members per hour of sleep exist."""
    target = SEVERITY_GAIN * spec.plm_severity * timeline.hypnogram.tst_min / MIN_PER_H
    out: list[Candidate] = []
    spans: list[tuple[float, float]] = []
    count, tries = 0.0, 0
    lo_amp, hi_amp = spec.amplitude_range_uv
    while count < target and tries < MAX_SERIES_TRIES:
        tries += 1
        start = timeline.sample_times(rng, SERIES_STAGE_WEIGHT, 1)
        if start.size == 0:
            break
        t = float(start[0])
        if any(a - SERIES_SPACING_S <= t <= b + SERIES_SPACING_S for a, b in spans):
            continue
        n = int(round(float(lognormal_clipped(rng, *SERIES_LENGTH))))
        imi_med = rng.uniform(*SERIES_IMI_S)
        mode = str(rng.choice(SERIES_MODES, p=SERIES_MODE_P))
        amp_level = float(log_uniform(rng, lo_amp, hi_amp))
        dur_level = float(lognormal_clipped(rng, *SERIES_DURATION))
        t0 = t
        for _ in range(n):
            if t > spec.duration_s - EDGE_MARGIN_S - CLM_DURATION[3] or count >= target:
                break
            stage = str(timeline.stage(t)[0])
            if rng.random() < SERIES_KEEP_P.get(stage, 0.0):
                dur = float(lognormal_clipped(rng, dur_level, MEMBER_DURATION_SIGMA,
                                              CLM_DURATION[2], CLM_DURATION[3]))
                amp = float(np.clip(amp_level * rng.lognormal(0.0, MEMBER_AMPLITUDE_SIGMA),
                                    lo_amp, hi_amp))
                if mode == "bilateral":
                    side, bil = int(rng.integers(2)), rng.random() >= SINGLE_P_BILATERAL
                elif mode == "alternating":
                    side, bil = int(rng.integers(2)), rng.random() < PARTNER_P_UNILATERAL
                else:
                    side, bil = SIDES.index(mode), rng.random() < PARTNER_P_UNILATERAL
                _pair(rng, out, t, dur, amp, side, "series", groups.new(), bilateral=bil,
                      amp_range=spec.amplitude_range_uv)
                count += stage in SLEEP_STAGES
            t += draw_imi(rng, imi_med)
        spans.append((t0, t))
    return out


def draw_imi(rng: np.random.Generator, median: float) -> float:
    """One inter-movement interval of a series, clear of the 10 s / 90 s edges."""
    while True:
        u = rng.random()
        if u < SHORT_IMI_P:
            imi = rng.uniform(*SHORT_IMI_S)
        elif u < SHORT_IMI_P + LONG_IMI_P:
            imi = rng.uniform(*LONG_IMI_S)
        else:
            imi = rng.lognormal(np.log(median), IMI_SIGMA)
        if not any(lo <= imi <= hi for lo, hi in FORBIDDEN_IMI_S):
            return float(imi)


def isolated_candidates(rng: np.random.Generator, timeline: StageTimeline, spec: NightSpec,
                        groups: Groups) -> list[Candidate]:
    """Random isolated LMs (more in wake) and long unilateral LMs in wake."""
    hyp = timeline.hypnogram
    wake = hyp.stages == "W"
    rate = np.where(wake, spec.isolated_lm_rate_wake_h, spec.isolated_lm_rate_sleep_h)
    counts = rng.poisson(rate * hyp.epoch_s / S_PER_H)
    times = np.repeat(hyp.epoch_onsets, counts) + rng.uniform(0, hyp.epoch_s, counts.sum())
    out: list[Candidate] = []
    for t in times:
        kind = int(rng.choice(len(ISOLATED_SIDE_P), p=ISOLATED_SIDE_P))
        dur = float(lognormal_clipped(rng, *CLM_DURATION))
        amp = float(log_uniform(rng, *spec.amplitude_range_uv))
        _pair(rng, out, float(t), dur, amp, kind % 2, "isolated", groups.new(),
              bilateral=kind == 2, amp_range=spec.amplitude_range_uv)
    n_long = rng.poisson(LONG_WAKE_RATE_H * hyp.wake_min / MIN_PER_H)
    for t in timeline.sample_times(rng, {"W": 1.0}, int(n_long)):
        out.append(Candidate(float(t), float(rng.uniform(*LONG_DURATION_S)), int(rng.integers(2)),
                             float(log_uniform(rng, *spec.amplitude_range_uv)), "isolated",
                             groups.new()))
    return out


def respiratory_candidates(rng: np.random.Generator, respiratory: pd.DataFrame, spec: NightSpec,
                           groups: Groups) -> list[Candidate]:
    """LMs near the end of some respiratory events."""
    out: list[Candidate] = []
    ends = (respiratory["onset"] + respiratory["duration"]).to_numpy(dtype=float)
    for end in ends[rng.random(ends.size) < spec.resp_lm_share]:
        t = float(end + rng.uniform(*RESP_LM_OFFSET_S))
        dur = float(lognormal_clipped(rng, *CLM_DURATION))
        amp = float(log_uniform(rng, *spec.amplitude_range_uv))
        _pair(rng, out, t, dur, amp, int(rng.integers(2)), "respiratory", groups.new(),
              bilateral=rng.random() < RESP_LM_BILATERAL_P, amp_range=spec.amplitude_range_uv)
    return out


def posture_candidates(rng: np.random.Generator, timeline: StageTimeline, spec: NightSpec,
                       groups: Groups) -> tuple[list[Candidate], npt.NDArray[np.float64]]:
    """Big bilateral movements at awakenings (and a few in sleep); their midpoints."""
    hyp = timeline.hypnogram
    stages = hyp.stages
    sleep = np.isin(stages, SLEEP_STAGES)
    starts = np.flatnonzero((stages[1:] == "W") & sleep[:-1]) + 1
    times = hyp.epoch_onsets[starts[rng.random(starts.size) < POSTURE_AT_AWAKENING_P]]
    times = times + rng.uniform(0.0, hyp.epoch_s / 2, size=times.size)
    n_extra = rng.poisson(POSTURE_RATE_SLEEP_H * hyp.tst_min / MIN_PER_H)
    times = np.sort(np.concatenate([times, timeline.sample_times(
        rng, {s: 1.0 for s in SLEEP_STAGES}, int(n_extra))]))
    lo, hi = spec.amplitude_range_uv
    out: list[Candidate] = []
    mids: list[float] = []
    for t in times:
        long = rng.random() < POSTURE_LONG_P
        dur = rng.uniform(*(LONG_DURATION_S if long else POSTURE_SHORT_DURATION_S))
        amp = float(log_uniform(rng, max(lo, POSTURE_AMPLITUDE_FLOOR * hi), hi))
        _pair(rng, out, float(t), float(dur), amp, int(rng.integers(2)), "posture", groups.new(),
              bilateral=True, amp_range=(lo, hi), long_partner=long)
        if not long:  # a short partner must not fall in the 9.5-10.7 s zone either
            out[-1].duration = float(rng.uniform(*POSTURE_SHORT_DURATION_S))
        mids.append(float(t + dur / 2))
    return out, np.asarray(mids)
