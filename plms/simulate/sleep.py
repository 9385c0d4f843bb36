"""Sleep architecture, respiratory events and arousals of a simulated night.

The hypnogram follows the textbook adult night: a sleep latency, NREM/REM
cycles of about 90 minutes with N3 concentrated early and REM periods growing
towards the morning, brief awakenings, and wake at the end. Nights shorter
than four cycles are compressed so that every stage still occurs (a 1-hour
sample keeps a few short cycles instead of a sleep-onset hour only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.hypnogram import DEFAULT_EPOCH_S, SLEEP_STAGES, Hypnogram
from plms.simulate.spec import MIN_PER_H, S_PER_H, S_PER_MIN

EPOCH_S = DEFAULT_EPOCH_S

# -- hypnogram ---------------------------------------------------------------
#: Lights off happens this many minutes (uniform) after the recording start.
LIGHTS_OFF_DELAY_MIN = (0.0, 5.0)
MAX_LIGHTS_OFF_SHARE = 0.05
#: Lights on happens this many minutes (uniform) before the recording end.
LIGHTS_ON_EARLY_MIN = (0.0, 2.0)
#: Sleep latency after lights off, minutes (uniform) ...
SLEEP_LATENCY_MIN = (5.0, 25.0)
#: ... but at most this share of the night.
MAX_LATENCY_SHARE = 0.1
#: Final wake before the end, minutes, at most this share of the night.
FINAL_WAKE_MIN = (2.0, 10.0)
MAX_FINAL_WAKE_SHARE = 0.06
#: Sleep-onset N1, epochs.
ONSET_N1_EPOCHS = (2, 6)
#: NREM/REM cycle length, minutes (uniform).
CYCLE_MIN = (80.0, 110.0)
#: Nights shorter than this many full cycles are compressed ...
REFERENCE_CYCLES = 4.0
#: ... but never below this scale.
MIN_CYCLE_SCALE = 0.15
#: Minutes of N3 per cycle (uniform ranges; cycles past the list get none).
N3_MIN_BY_CYCLE = ((20.0, 40.0), (10.0, 25.0), (0.0, 10.0))
#: REM period of cycle i: first + i * increment minutes, at most max; +- jitter.
REM_FIRST_MIN = 8.0
REM_INCREMENT_MIN = 8.0
REM_MAX_MIN = 40.0
REM_JITTER_MIN = 4.0
#: Probability that the first cycle has no REM period (a common finding).
SKIP_FIRST_REM_P = 0.2
#: N2 lead-in before N3 in each cycle, minutes.
N2_LEAD_MIN = (5.0, 15.0)
#: Brief awakenings per hour of sleep (normal / fragmented night) ...
AWAKENING_RATE_H = (1.0, 2.5)
#: ... lasting this many epochs, followed by this many N1 epochs.
AWAKENING_EPOCHS = (1, 5)
AFTER_AWAKENING_N1_EPOCHS = (1, 3)
#: Isolated N1 epochs inside N2 per hour of sleep (normal / fragmented).
N1_INTRUSION_RATE_H = (1.0, 3.0)

#: Quiet wake (``NightSpec.quiet_wake``): an early-morning awakening lying still with
#: this probability, in the last this share of the sleep period ...
QUIET_MORNING_P = 0.7
QUIET_MORNING_SHARE = 0.25
#: ... and one anywhere in the sleep period with this probability ...
QUIET_OTHER_P = 0.5
#: ... each lasting this many minutes (uniform), at most this share of the sleep period,
QUIET_WAKE_MIN = (5.0, 40.0)
MAX_QUIET_SHARE = 0.1
#: ... with sleep (no wake) this many epochs either side, and N1 epochs after it.
QUIET_CLEAR_EPOCHS = 2
#: Tries to find a place clear of other wake before giving up a quiet bout.
QUIET_TRIES = 20

# -- respiratory events --------------------------------------------------------
RESP_KINDS = ("obstructive apnea", "central apnea", "mixed apnea", "hypopnea", "rera")
RESP_KIND_P = (0.32, 0.08, 0.05, 0.43, 0.12)
#: Lognormal duration per kind: (median s, sigma, min s, max s).
RESP_DURATION = {
    "obstructive apnea": (20.0, 0.3, 10.0, 60.0),
    "central apnea": (15.0, 0.25, 10.0, 40.0),
    "mixed apnea": (24.0, 0.25, 12.0, 60.0),
    "hypopnea": (22.0, 0.3, 10.0, 70.0),
    "rera": (14.0, 0.25, 10.0, 30.0),
}
#: Relative propensity of respiratory events by stage.
RESP_STAGE_WEIGHT = {"N1": 1.2, "N2": 1.0, "N3": 0.3, "R": 2.0}
#: Events come in clusters: size 1 + geometric(p), at most max ...
RESP_CLUSTER_P = 0.2
RESP_CLUSTER_MAX = 25
#: ... with one event per cycle of this lognormal length (median s, sigma).
RESP_CYCLE = (50.0, 0.25)
#: Same kind as the cluster's dominant kind with this probability.
RESP_SAME_KIND_P = 0.8
#: Minimum gap between two respiratory events, s.
MIN_RESP_GAP_S = 8.0
#: Give up placing after this many tries per requested event.
MAX_TRIES_PER_EVENT = 20

# -- arousals ----------------------------------------------------------------
#: Probability that a respiratory event ends with an arousal, by kind.
RESP_AROUSAL_P = {"obstructive apnea": 0.7, "central apnea": 0.4, "mixed apnea": 0.7,
                  "hypopnea": 0.55, "rera": 1.0}
#: Arousal onset relative to the respiratory event end, s (uniform).
RESP_AROUSAL_OFFSET_S = (-3.0, 2.0)
#: Arousal onset relative to the LM onset, s (uniform).
LM_AROUSAL_OFFSET_S = (0.0, 1.5)
#: Spontaneous arousals per hour of sleep.
SPONTANEOUS_AROUSAL_RATE_H = 5.0
#: Arousal durations: lognormal (median s, sigma), clipped to [3, 15] s.
AROUSAL_DURATION = (6.0, 0.4, 3.0, 15.0)


@dataclass(frozen=True)
class StageTimeline:
    """Per-epoch helper over a hypnogram: stage of a time, sleep masks."""

    hypnogram: Hypnogram

    def stage(self, t: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """Stage at each time (``'n/a'`` outside)."""
        return self.hypnogram.stage_at(np.atleast_1d(np.asarray(t, dtype=float)))

    def asleep(self, t: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each time lies in a sleep epoch."""
        return np.isin(self.stage(t), SLEEP_STAGES)

    def sample_times(self, rng: np.random.Generator, weights: dict[str, float],
                     n: int) -> npt.NDArray[np.float64]:
        """``n`` times, epochs drawn with stage weights, uniform inside an epoch."""
        hyp = self.hypnogram
        w = np.array([weights.get(s, 0.0) for s in hyp.stages], dtype=float)
        w *= hyp.tib_mask()
        if n == 0 or w.sum() <= 0:
            return np.zeros(0)
        idx = rng.choice(hyp.n_epochs, size=n, p=w / w.sum())
        return hyp.epoch_onsets[idx] + rng.uniform(0.0, hyp.epoch_s, size=n)


def lognormal_clipped(rng: np.random.Generator, median: float, sigma: float,
                      lo: float, hi: float, size: int | None = None) -> npt.NDArray[np.float64]:
    """Lognormal draws (median, sigma of the log) clipped to [lo, hi]."""
    return np.clip(rng.lognormal(np.log(median), sigma, size=size), lo, hi)


def simulate_hypnogram(rng: np.random.Generator, duration_s: float, *, lights: bool,
                       fragmented: bool) -> Hypnogram:
    """A realistic adult hypnogram of 30-s epochs covering ``duration_s``.

    Parameters
    ----------
    rng : Generator
    duration_s : float
        Recording length; the hypnogram has ``floor(duration_s / 30)`` epochs.
    lights : bool
        Set lights-off / lights-on markers a few minutes inside the recording.
    fragmented : bool
        More brief awakenings and N1 intrusions.
    """
    n = int(duration_s // EPOCH_S)
    epoch_min = EPOCH_S / S_PER_MIN
    to_ep = lambda minutes: int(round(minutes / epoch_min))  # noqa: E731
    # the recording starts a few minutes before lights off whether or not the
    # markers are set, so the switch changes nothing but the markers
    k_off = min(to_ep(rng.uniform(*LIGHTS_OFF_DELAY_MIN)), int(MAX_LIGHTS_OFF_SHARE * n))
    early_min = rng.uniform(*LIGHTS_ON_EARLY_MIN)
    latency = min(to_ep(rng.uniform(*SLEEP_LATENCY_MIN)), int(MAX_LATENCY_SHARE * n))
    final_wake = min(to_ep(rng.uniform(*FINAL_WAKE_MIN)), int(MAX_FINAL_WAKE_SHARE * n))
    n_sleep = n - k_off - latency - final_wake
    stages: list[str] = ["W"] * (k_off + latency)
    if n_sleep > 0:
        stages += _sleep_period(rng, n_sleep, fragmented=fragmented)
    stages += ["W"] * (n - len(stages))
    lights_off = lights_on = None
    if lights:
        lights_off = k_off * EPOCH_S
        early = min(to_ep(early_min), final_wake)
        lights_on = (n - early) * EPOCH_S
    return Hypnogram(np.asarray(stages[:n], dtype="<U2"), epoch_s=EPOCH_S,
                     lights_off_s=lights_off, lights_on_s=lights_on, source="plms.simulate")


def add_quiet_wake(rng: np.random.Generator, hyp: Hypnogram
                   ) -> tuple[Hypnogram, list[tuple[float, float]]]:
    """``hyp`` with long awakenings spent lying still, and their (start s, end s).

    An early-morning bout (probability :data:`QUIET_MORNING_P`, starting in the
    last :data:`QUIET_MORNING_SHARE` of the sleep period) and one anywhere
    (:data:`QUIET_OTHER_P`), each :data:`QUIET_WAKE_MIN` minutes long (at most
    :data:`MAX_QUIET_SHARE` of the sleep period), are written over sleep epochs
    with sleep for :data:`QUIET_CLEAR_EPOCHS` either side (so each is a wake
    bout of its own), followed by 1-3 N1 epochs. A bout with no clear place is
    left out. The sleep period's first and last epochs stay sleep.

    Examples
    --------
    >>> hyp = Hypnogram(np.array(["W"] * 10 + ["N2"] * 940 + ["W"] * 10))
    >>> out, bouts = add_quiet_wake(np.random.default_rng(1), hyp)
    >>> all(set(out.stages[int(a // 30): int(b // 30)]) == {"W"} for a, b in bouts)
    True
    >>> out.n_epochs == hyp.n_epochs
    True
    """
    stages = hyp.stages.copy()
    sleep_idx = np.flatnonzero(np.isin(stages, SLEEP_STAGES))
    if sleep_idx.size == 0:
        return hyp, []
    first, last = int(sleep_idx[0]), int(sleep_idx[-1])
    period = last - first + 1
    epoch_min = hyp.epoch_s / S_PER_MIN
    bouts: list[tuple[float, float]] = []
    for p, lo_share in ((QUIET_MORNING_P, 1.0 - QUIET_MORNING_SHARE), (QUIET_OTHER_P, 0.0)):
        if rng.random() >= p:
            continue
        minutes = min(rng.uniform(*QUIET_WAKE_MIN), MAX_QUIET_SHARE * period * epoch_min)
        n_w = int(round(minutes / epoch_min))
        n_n1 = int(rng.integers(AFTER_AWAKENING_N1_EPOCHS[0], AFTER_AWAKENING_N1_EPOCHS[1] + 1))
        lo = first + QUIET_CLEAR_EPOCHS + int(lo_share * period)
        hi = last - QUIET_CLEAR_EPOCHS - n_w - n_n1
        for _ in range(QUIET_TRIES if n_w > 0 and hi > lo else 0):
            a = int(rng.integers(lo, hi))
            around = stages[a - QUIET_CLEAR_EPOCHS: a + n_w + n_n1 + QUIET_CLEAR_EPOCHS]
            if np.isin(around, SLEEP_STAGES).all():
                stages[a: a + n_w] = "W"
                stages[a + n_w: a + n_w + n_n1] = "N1"
                bouts.append((hyp.start_s + a * hyp.epoch_s,
                              hyp.start_s + (a + n_w) * hyp.epoch_s))
                break
    out = Hypnogram(stages, epoch_s=hyp.epoch_s, start_s=hyp.start_s,
                    lights_off_s=hyp.lights_off_s, lights_on_s=hyp.lights_on_s, source=hyp.source)
    return out, sorted(bouts)


def _sleep_period(rng: np.random.Generator, n_ep: int, *, fragmented: bool) -> list[str]:
    """Stages of the sleep period (sleep onset to final awakening), ``n_ep`` epochs."""
    epoch_min = EPOCH_S / S_PER_MIN
    scale = float(np.clip(n_ep * epoch_min / (REFERENCE_CYCLES * np.mean(CYCLE_MIN)),
                          MIN_CYCLE_SCALE, 1.0))
    ep = lambda minutes: max(0, int(round(minutes * scale / epoch_min)))  # noqa: E731
    seq: list[str] = ["N1"] * int(rng.integers(ONSET_N1_EPOCHS[0], ONSET_N1_EPOCHS[1] + 1))
    cycle = 0
    while len(seq) < n_ep:
        length = ep(rng.uniform(*CYCLE_MIN))
        n3 = ep(rng.uniform(*N3_MIN_BY_CYCLE[cycle])) if cycle < len(N3_MIN_BY_CYCLE) else 0
        rem_min = min(REM_FIRST_MIN + cycle * REM_INCREMENT_MIN, REM_MAX_MIN)
        rem = ep(max(rem_min + rng.uniform(-REM_JITTER_MIN, REM_JITTER_MIN), 1.0))
        if cycle == 0 and rng.random() < SKIP_FIRST_REM_P:
            rem = 0
        lead = ep(rng.uniform(*N2_LEAD_MIN))
        n2_tail = max(length - lead - n3 - rem, 1)
        seq += ["N2"] * max(lead, 1) + ["N3"] * n3 + ["N2"] * n2_tail + ["R"] * rem
        if rem:
            seq += ["N1"]  # REM usually ends through a light stage
        cycle += 1
    stages = np.asarray(seq[:n_ep], dtype="<U2")
    sleep_h = n_ep * EPOCH_S / S_PER_H
    rate_aw = AWAKENING_RATE_H[int(fragmented)]
    for start in np.sort(rng.uniform(0, n_ep, size=rng.poisson(rate_aw * sleep_h)).astype(int)):
        n_w = int(rng.integers(AWAKENING_EPOCHS[0], AWAKENING_EPOCHS[1] + 1))
        n_n1 = int(rng.integers(AFTER_AWAKENING_N1_EPOCHS[0], AFTER_AWAKENING_N1_EPOCHS[1] + 1))
        stages[start:start + n_w] = "W"
        stages[start + n_w:start + n_w + n_n1] = "N1"
    rate_n1 = N1_INTRUSION_RATE_H[int(fragmented)]
    spots = rng.integers(0, n_ep, size=rng.poisson(rate_n1 * sleep_h))
    spots = spots[stages[spots] == "N2"]
    stages[spots] = "N1"
    stages[0] = "N1"  # sleep onset is N1 whatever happened above
    return stages.tolist()


def simulate_respiratory(rng: np.random.Generator, timeline: StageTimeline,
                         rate_per_h: float) -> pd.DataFrame:
    """Clustered respiratory events in sleep, ``rate_per_h`` per hour of sleep.

    Every event lies entirely in sleep epochs; events are at least
    ``MIN_RESP_GAP_S`` apart.
    """
    hyp = timeline.hypnogram
    target = int(rng.poisson(rate_per_h * hyp.tst_min / MIN_PER_H)) if rate_per_h > 0 else 0
    events: list[tuple[float, float, str]] = []
    tries = 0
    while len(events) < target and tries < MAX_TRIES_PER_EVENT * max(target, 1):
        tries += 1
        start = timeline.sample_times(rng, RESP_STAGE_WEIGHT, 1)
        if start.size == 0:
            break
        t = float(start[0])
        main_kind = str(rng.choice(RESP_KINDS, p=RESP_KIND_P))
        size = min(1 + int(rng.geometric(RESP_CLUSTER_P)), RESP_CLUSTER_MAX,
                   target - len(events))
        for _ in range(size):
            kind = main_kind if rng.random() < RESP_SAME_KIND_P else str(
                rng.choice(RESP_KINDS, p=RESP_KIND_P))
            dur = float(lognormal_clipped(rng, *RESP_DURATION[kind]))
            if _fits(events, t, dur) and timeline.asleep([t, t + dur / 2, t + dur]).all():
                events.append((t, dur, kind))
            t += max(float(lognormal_clipped(rng, RESP_CYCLE[0], RESP_CYCLE[1], 0.0, np.inf)),
                     dur + MIN_RESP_GAP_S)
    table = pd.DataFrame(events, columns=["onset", "duration", "kind"])
    return table.sort_values("onset", ignore_index=True)


def _fits(events: list[tuple[float, float, str]], t: float, dur: float) -> bool:
    """Whether [t, t+dur] keeps ``MIN_RESP_GAP_S`` from every event."""
    return all(t >= s + d + MIN_RESP_GAP_S or t + dur + MIN_RESP_GAP_S <= s
               for s, d, _ in events)


def simulate_arousals(rng: np.random.Generator, timeline: StageTimeline,
                      respiratory: pd.DataFrame, lm_onsets: npt.ArrayLike,
                      lm_arousal_share: float, duration_s: float) -> pd.DataFrame:
    """Arousals after respiratory events, after some LMs, and spontaneous ones.

    Only arousals whose onset lies in sleep are kept; overlapping ones are merged.

    Parameters
    ----------
    lm_onsets : array
        Onsets of the (combined) leg movements that may trigger an arousal.
    lm_arousal_share : float
        Probability that an LM in sleep is followed by an arousal.
    """
    onsets: list[npt.NDArray[np.float64]] = []
    if len(respiratory):
        ends = (respiratory["onset"] + respiratory["duration"]).to_numpy()
        p = respiratory["kind"].map(RESP_AROUSAL_P).to_numpy(dtype=float)
        hit = rng.random(ends.size) < p
        onsets.append(ends[hit] + rng.uniform(*RESP_AROUSAL_OFFSET_S, size=int(hit.sum())))
    lm = np.asarray(lm_onsets, dtype=float)
    hit = rng.random(lm.size) < lm_arousal_share
    onsets.append(lm[hit] + rng.uniform(*LM_AROUSAL_OFFSET_S, size=int(hit.sum())))
    n_spont = rng.poisson(SPONTANEOUS_AROUSAL_RATE_H * timeline.hypnogram.tst_min / MIN_PER_H)
    onsets.append(timeline.sample_times(rng, {s: 1.0 for s in SLEEP_STAGES}, int(n_spont)))
    start = np.sort(np.concatenate(onsets))
    dur = lognormal_clipped(rng, *AROUSAL_DURATION, size=start.size)
    keep = timeline.asleep(start) & (start >= 0) & (start + dur <= duration_s)
    return merge_intervals(start[keep], dur[keep])


def merge_intervals(onset: npt.ArrayLike, duration: npt.ArrayLike) -> pd.DataFrame:
    """Union of intervals, as a sorted ``onset``/``duration`` table."""
    on = np.asarray(onset, dtype=float)
    off = on + np.asarray(duration, dtype=float)
    order = np.argsort(on)
    on, off = on[order], off[order]
    merged: list[list[float]] = []
    for a, b in zip(on.tolist(), off.tolist(), strict=True):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    arr = np.asarray(merged, dtype=float).reshape(-1, 2)
    return pd.DataFrame({"onset": arr[:, 0], "duration": arr[:, 1] - arr[:, 0]})
