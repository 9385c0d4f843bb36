"""The plan of a multi-day recording (no samples): what happens when, and the specs.

See :mod:`plms.simulate.accel_days` for the day plan it draws. Times are
seconds from the recording start, on its 30-s epoch grid.

>>> plan = plan_days(0, DaysSpec(days=2, fs_hz=25))
>>> [n.number for n in plan.nights], plan.duration_s
([1, 2], 172800.0)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from plms.simulate.accel import RANGE_CHOICES_G, AccelSpec
from plms.simulate.sleep import EPOCH_S
from plms.simulate.spec import S_PER_H, S_PER_MIN, NightSpec

S_PER_DAY = 86400.0
#: Default recording start: Monday 5 January 2026, noon.
DEFAULT_DAYS_START = datetime(2026, 1, 5, 12, 0, 0)
#: Recording lengths accepted, days.
MIN_DAYS, MAX_DAYS = 1, 14
#: Spawn key separating the day streams from those of the nights.
DAYS_SPAWN_KEY = 7002
#: Exclusive bound of the seeds drawn for nights and segments.
SEED_BOUND = 2 ** 31
#: Bedtime (uniform clock hours, beyond 24 = after midnight), awake in bed first (min).
BEDTIME_H = (21.5, 24.5)
BED_WAKE_MIN = (10.0, 40.0)
#: Share of the evenings whose wake in bed is restless (else quiet: motionless).
RESTLESS_P = 0.5
#: Night length (uniform h) and PLM severity: a level per recording, a factor per night.
NIGHT_H = (6.0, 9.0)
SEVERITY_LEVEL = (3.0, 50.0)
SEVERITY_SIGMA = 0.5
SEVERITY_MAX = 90.0
#: Daytime bouts: duration ranges (min) and weight ranges (uniform per day).
BOUT_MIN = {"walk": (2.0, 25.0), "sit": (5.0, 90.0), "sit_fidget": (5.0, 45.0),
            "stand": (1.0, 15.0)}
BOUT_WEIGHT = {"walk": (0.15, 0.4), "sit": (0.2, 0.5), "sit_fidget": (0.1, 0.3),
               "stand": (0.1, 0.25)}
#: Naps: chance per day, start (clock h), length (min), latency (min), N3 after (min).
NAP_P = 0.5
NAP_START_H = (13.0, 16.5)
NAP_MIN = (20.0, 90.0)
NAP_LATENCY_MIN = (3.0, 15.0)
NAP_N1_EPOCHS = (2, 6)
NAP_N3_AFTER_MIN = 45.0
NAP_WAKE_EPOCHS = 2
#: Daytime non-wear: count per day and chances, length (h), clearance from the day's ends (h).
NONWEAR_COUNTS = (0, 1, 2)
NONWEAR_COUNT_P = (0.4, 0.45, 0.15)
NONWEAR_H = (1.0, 3.0)
NONWEAR_CLEAR_H = 0.5
NONWEAR_BOTH_P = 0.7
NONWEAR_TRIES = 20
#: The bedtime non-wear: starts this long before the bedtime, ends this long into the night (min).
BEDTIME_NONWEAR_BEFORE_MIN = (30.0, 80.0)
BEDTIME_NONWEAR_INTO_MIN = (30.0, 100.0)
#: Minutes of daytime kept between a nap and the day's ends (more than the bedtime
#: non-wear starts before the bedtime, so the two never meet).
NAP_CLEAR_MIN = 90.0


@dataclass(frozen=True)
class DaysSpec:
    """What multi-day recording to simulate.

    Parameters
    ----------
    days : int
        Length in days of 24 h (1-14).
    fs_hz : float
        Sampling rate, a whole number of Hz in [25, 100].
    sides : tuple of str
        Ankles wearing a sensor.
    range_g : float
        Sensor range +- g.
    start : datetime
        Clock time of the first sample (default Monday 2026-01-05 12:00).
    nonwear, naps : bool
        Plan non-wear stretches and afternoon naps.
    difficulty : {"clean", "hard"}
        Of every night (see :class:`~plms.simulate.AccelSpec`) and of the day's sensor.
    duration_h : float or None
        Recording length in hours instead of ``days * 24`` (short test recordings).
    psg_fs_leg : int
        EMG rate of the nights' PSG sleepers (their truth is drawn at this rate).
    """

    days: int = 3
    fs_hz: float = 50.0
    sides: tuple[str, ...] = ("left", "right")
    range_g: float = 8.0
    start: datetime = DEFAULT_DAYS_START
    nonwear: bool = True
    naps: bool = True
    difficulty: Literal["clean", "hard"] = "hard"
    duration_h: float | None = None
    psg_fs_leg: int = 100

    def __post_init__(self) -> None:
        if isinstance(self.days, bool) or not isinstance(self.days, int) \
                or not MIN_DAYS <= self.days <= MAX_DAYS:
            raise ValueError(f"days must be a whole number in [{MIN_DAYS}, {MAX_DAYS}], "
                             f"got {self.days!r}")
        if not isinstance(self.start, datetime):
            raise TypeError(f"start must be a datetime, got {type(self.start).__name__}")
        if self.duration_h is not None and not (
                isinstance(self.duration_h, (int, float))
                and EPOCH_S <= self.duration_h * S_PER_H <= MAX_DAYS * S_PER_DAY):
            raise ValueError(f"duration_h must be in [{EPOCH_S / S_PER_H:g}, {MAX_DAYS * 24}] "
                             f"h or None, got {self.duration_h!r}")
        if float(self.range_g) not in RANGE_CHOICES_G:
            raise ValueError(f"range_g must be one of {RANGE_CHOICES_G}, got {self.range_g!r}")
        self.night_spec(S_PER_H, 1.0)  # validates the rate, sides and difficulty

    @property
    def duration_s(self) -> float:
        """Recording length, whole 30-s epochs."""
        hours = self.days * 24.0 if self.duration_h is None else float(self.duration_h)
        return float(np.floor(hours * S_PER_H / EPOCH_S) * EPOCH_S)

    def night_spec(self, duration_s: float, severity: float) -> AccelSpec:
        """The :class:`AccelSpec` of a night of ``duration_s`` at PLM ``severity``."""
        psg = NightSpec(duration_h=duration_s / S_PER_H, fs_leg=self.psg_fs_leg,
                        difficulty=self.difficulty, plm_severity=severity)
        return AccelSpec(duration_h=duration_s / S_PER_H, fs_hz=self.fs_hz, sides=self.sides,
                         range_g=self.range_g, difficulty=self.difficulty,
                         psg_fs_leg=self.psg_fs_leg, psg_spec=psg)

    def as_dict(self) -> dict[str, object]:
        """Every field, for provenance."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class NightPlan:
    """One evening in bed and its night (times of the recording, s)."""

    number: int
    date: str
    bed_s: float
    start_s: float
    end_s: float
    seed: int
    severity: float
    restless: bool
    spec: AccelSpec


@dataclass(frozen=True)
class Segment:
    """What the wearer does from ``start_s`` to ``end_s`` (``night``: its number, else 0)."""

    index: int
    start_s: float
    end_s: float
    kind: str
    night: int = 0


@dataclass(frozen=True)
class NapPlan:
    """An afternoon nap: lying from ``start_s`` to ``end_s``, its 30-s stages."""

    start_s: float
    end_s: float
    stages: tuple[str, ...]


@dataclass(frozen=True)
class NonWearPlan:
    """The sensor(s) off the ankle from ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float
    side: str
    kind: str
    seed: int


@dataclass(frozen=True)
class DayPlan:
    """Everything planned, in time order; only what overlaps the recording.

    Non-wear starting before the recording is dropped (the sensor is on from the start).
    """

    duration_s: float
    nights: tuple[NightPlan, ...]
    segments: tuple[Segment, ...]
    naps: tuple[NapPlan, ...]
    nonwear: tuple[NonWearPlan, ...]


def _snap(t: float) -> float:
    return float(np.round(t / EPOCH_S) * EPOCH_S)


def nap_stages(rng: np.random.Generator, n_epochs: int) -> tuple[str, ...]:
    """Stages of a nap of ``n_epochs``: W, N1, N2 (N3 in long naps), W at the end."""
    latency = int(rng.uniform(*NAP_LATENCY_MIN) * S_PER_MIN / EPOCH_S)
    n1 = int(rng.integers(NAP_N1_EPOCHS[0], NAP_N1_EPOCHS[1] + 1))
    stages = ["W"] * n_epochs
    for k in range(latency, max(n_epochs - NAP_WAKE_EPOCHS, latency)):
        minutes = (k - latency) * EPOCH_S / S_PER_MIN
        stages[k] = "N1" if k < latency + n1 else (
            "N3" if minutes >= NAP_N3_AFTER_MIN and k % 7 < 4 else "N2")
    return tuple(stages)


def _bouts(rng: np.random.Generator, a: float, b: float,
           weights: dict[str, float]) -> list[tuple[float, float, str]]:
    kinds = list(weights)
    p = np.array([weights[k] for k in kinds])
    out: list[tuple[float, float, str]] = []
    t = a
    while t < b:
        kind = kinds[int(rng.choice(len(kinds), p=p / p.sum()))]
        end = min(b, t + max(_snap(rng.uniform(*BOUT_MIN[kind]) * S_PER_MIN), EPOCH_S))
        out.append((t, end, kind))
        t = end
    return out


def _free(start: float, end: float, taken: list[tuple[float, float]]) -> bool:
    return all(end <= s or start >= e for s, e in taken)


def _day_nonwear(rng: np.random.Generator, a: float, b: float, taken: list[tuple[float, float]],
                 sides: tuple[str, ...]) -> list[NonWearPlan]:
    out: list[NonWearPlan] = []
    count = int(rng.choice(NONWEAR_COUNTS, p=NONWEAR_COUNT_P))
    clear = NONWEAR_CLEAR_H * S_PER_H
    for _ in range(count):
        for _ in range(NONWEAR_TRIES):
            length = _snap(rng.uniform(*NONWEAR_H) * S_PER_H)
            if b - a - 2 * clear < length:
                break
            start = _snap(rng.uniform(a + clear, b - clear - length))
            if _free(start, start + length, taken):
                side = "both" if len(sides) == 1 or rng.random() < NONWEAR_BOTH_P \
                    else str(rng.choice(sides))
                out.append(NonWearPlan(start, start + length, side, "day",
                                       int(rng.integers(SEED_BOUND))))
                taken.append((start, start + length))
                break
    return out


def plan_days(seed: int, spec: DaysSpec) -> DayPlan:
    """Draw the plan of recording ``seed`` (cheap: no samples, no night simulated)."""
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(DAYS_SPAWN_KEY,)))
    total = spec.duration_s
    midnight = datetime.combine(spec.start.date(), datetime.min.time())
    t0 = (spec.start - midnight).total_seconds()
    level = float(rng.uniform(*SEVERITY_LEVEL))
    raw_nights: list[tuple[str, float, float, float, int, float, bool]] = []
    day = -1
    while True:
        bed = _snap(day * S_PER_DAY + rng.uniform(*BEDTIME_H) * S_PER_H - t0)
        start = bed + _snap(rng.uniform(*BED_WAKE_MIN) * S_PER_MIN)
        end = start + _snap(rng.uniform(*NIGHT_H) * S_PER_H)
        severity = float(min(level * rng.lognormal(0.0, SEVERITY_SIGMA), SEVERITY_MAX))
        restless = bool(rng.random() < RESTLESS_P)
        night_seed = int(rng.integers(SEED_BOUND))
        if bed >= total:
            break
        evening = (spec.start.date() + timedelta(days=day)).isoformat()
        raw_nights.append((evening, bed, start, end, night_seed, severity, restless))
        day += 1
    kept = [r for r in raw_nights if r[3] > 0]
    nights = tuple(NightPlan(k + 1, ev, bed, st, en, sd, sev, rl, spec.night_spec(en - st, sev))
                   for k, (ev, bed, st, en, sd, sev, rl) in enumerate(kept))
    # daytime between the previous night's end and the next bedtime
    ends = [raw_nights[0][1] - S_PER_DAY / 2] + [r[3] for r in raw_nights]
    beds = [r[1] for r in raw_nights] + [max(total, ends[-1]) + EPOCH_S]
    pieces: list[tuple[float, float, str, int]] = []
    naps: list[NapPlan] = []
    nonwear: list[NonWearPlan] = []
    number = {r[1]: k + 1 for k, r in enumerate(kept)}
    for k, (a, b) in enumerate(zip(ends, beds, strict=True)):
        weights = {kind: float(rng.uniform(*w)) for kind, w in BOUT_WEIGHT.items()}
        taken: list[tuple[float, float]] = []
        day_start = a - (a + t0) % S_PER_DAY  # this day's midnight, recording time
        if spec.naps and rng.random() < NAP_P:
            n_start = _snap(day_start + rng.uniform(*NAP_START_H) * S_PER_H)
            n_end = n_start + _snap(rng.uniform(*NAP_MIN) * S_PER_MIN)
            if a + NAP_CLEAR_MIN * S_PER_MIN <= n_start and n_end <= b - NAP_CLEAR_MIN * S_PER_MIN:
                stages = nap_stages(rng, int(round((n_end - n_start) / EPOCH_S)))
                naps.append(NapPlan(n_start, n_end, stages))
                taken.append((n_start, n_end))
        bounds = [a] + [t for n in naps if a <= n.start_s < b for t in (n.start_s, n.end_s)] + [b]
        for j in range(0, len(bounds) - 1):
            if j % 2:
                pieces.append((bounds[j], bounds[j + 1], "nap", 0))
            else:
                pieces += [(s, e, kind, 0) for s, e, kind in _bouts(rng, bounds[j],
                                                                    bounds[j + 1], weights)]
        if spec.nonwear:
            nonwear += _day_nonwear(rng, a, b, taken, spec.sides)
        if k < len(raw_nights):
            _, bed, start, end, *_ = raw_nights[k]
            pieces.append((bed, start, "bed_wake", number.get(bed, 0)))
            pieces.append((start, end, "night", number.get(bed, 0)))
    complete = [n for n in nights if n.bed_s >= 0 and n.end_s <= total]
    if spec.nonwear and complete:
        night = complete[int(rng.integers(len(complete)))]
        start = _snap(night.bed_s - rng.uniform(*BEDTIME_NONWEAR_BEFORE_MIN) * S_PER_MIN)
        end = _snap(night.start_s + rng.uniform(*BEDTIME_NONWEAR_INTO_MIN) * S_PER_MIN)
        end = min(end, start + NONWEAR_H[1] * S_PER_H)  # 1-3 h like the others
        nonwear = [w for w in nonwear if w.end_s <= start or w.start_s >= end]
        nonwear.append(NonWearPlan(max(start, 0.0), end, "both", "bedtime",
                                   int(rng.integers(SEED_BOUND))))
    segments = tuple(Segment(k, s, e, kind, night) for k, (s, e, kind, night)
                     in enumerate(p for p in pieces if p[1] > 0 and p[0] < total and p[1] > p[0]))
    return DayPlan(total, nights, segments,
                   tuple(n for n in naps if n.end_s > 0 and n.start_s < total),
                   tuple(sorted((w for w in nonwear if w.start_s >= 0 and w.start_s < total),
                                key=lambda w: w.start_s)))


def stage_array(plan: DayPlan, night_stages: dict[int, npt.NDArray[np.str_]]) -> list[str]:
    """30-s truth stages over the recording: W, the naps', the nights' (cropped)."""
    n = int(plan.duration_s // EPOCH_S)
    stages = ["W"] * n
    placed = [(n_.start_s, list(n_.stages)) for n_ in plan.naps]
    placed += [(p.start_s, list(night_stages[p.number])) for p in plan.nights
               if p.number in night_stages]
    for start, labels in placed:
        k0 = int(round(start / EPOCH_S))
        for j, label in enumerate(labels):
            if 0 <= k0 + j < n:
                stages[k0 + j] = label
    return stages
