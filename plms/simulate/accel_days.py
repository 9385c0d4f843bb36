"""Simulated multi-day ankle-accelerometer recordings with known truth (issue 16).

A recording of ``days`` x 24 h (or ``duration_h``) from ``start`` (default
noon) is planned first, without a sample (:func:`plms.simulate.accel_days_plan.plan_days`),
then rendered segment by segment in time order (:func:`iter_accel_days`), so
that a writer can stream it (:func:`plms.simulate.accel_days_export.write_accel_days_edf`).
All times are seconds from the recording start; every segment starts and ends
on the 30-s epoch grid of the recording.

Day plan (each day from the morning rise to the next bedtime, seed-driven):

- daytime bouts (:mod:`plms.simulate.accel_daytime`): walking 2-25 min,
  sitting with legs still 5-90 min, sitting and fidgeting 5-45 min, standing
  1-15 min, drawn with weights that differ per day (an office day, an active
  day); each bout starts with a 1-3 s transition from where the last one ended;
- an afternoon nap on about half of the days (``naps``): lying 20-90 min
  starting 13:00-16:30, asleep after 3-15 min (N1, then N2, N3 in long naps),
  still with 2-10 foot movements per hour; reported in ``naps``, sleep in the
  truth hypnogram, not a night;
- the evening in bed: lying awake for 10-40 min from the bedtime (21:30-00:30),
  quiet (breathing only: motionless wake) or restless (20-60 foot movements
  per hour), truth stage W; the lying direction is the night's first one;
- the night: :func:`plms.simulate.simulate_accel_night` of 6-9 h (its seed is
  ``seed`` in ``truth_nights``) with its own sleep architecture, PLM plans and
  nuisances, unchanged; its severity (``NightSpec.plm_severity``) varies from
  night to night around a level of the recording; the morning rise ends it;
- non-wear (``nonwear``): 0-2 stretches of 1-3 h per day (both sensors, or
  one) and one per recording overlapping a bedtime (starting 30-80 min before
  it, ending 30-100 min into the night: the true night still happens, the
  sensor misses its start): the sensor lies on a table, one axis within 3
  degrees of +-1 g, sensor noise and a few seconds of handling at either end.

Truth: ``truth_nights`` (lights off = the bedtime, lights on = the night's
lights on, sleep onset/offset the first/last sleep epoch between them), the
nights' ``truth_lms`` shifted to the recording, one
:class:`~plms.hypnogram.Hypnogram` over the whole recording (W by day and in
bed awake, the naps' and the nights' stages; :meth:`SimulatedAccelDays.night_hypnogram`
cuts one night out), ``naps``, ``nonwear`` and the ``segments``. A night cut
by the start or the end of the recording is kept with ``complete`` False.

Each sensor keeps one noise level, range and 12-bit step over the recording;
the day carries a slow offset drift of the recording, each night the offset
and drift of its own simulation (a step of tens of mg at bedtime and at the rise).

>>> days = simulate_accel_days(1, DaysSpec(days=1, fs_hz=25, sides=("left",),
...                                        duration_h=3, nonwear=False))
>>> days.signals["Ankle L"].shape, days.signals["Ankle L"].dtype.name
((270000, 3), 'float32')
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.hypnogram import Hypnogram
from plms.simulate import accel_daytime as dt
from plms.simulate import accel_events as ev
from plms.simulate.accel import ADC_BITS, NOISE_G, SIDE_LABELS, TRUTH_COLUMNS, AccelSpec, \
    simulate_accel_night
from plms.simulate.accel_days_plan import (
    DAYS_SPAWN_KEY, EPOCH_S, DayPlan, DaysSpec, NightPlan, NonWearPlan, Segment, plan_days,
    stage_array,
)
from plms.simulate.movements import SIDES
from plms.simulate.spec import S_PER_H, S_PER_MIN
from plms.stages import SLEEP_STAGES

#: Columns of the truth tables.
NIGHT_TRUTH_COLUMNS = ("night", "date", "lights_off_s", "lights_on_s", "sleep_onset_s",
                       "sleep_offset_s", "tst_min", "waso_min", "sol_min", "seed",
                       "plm_severity", "bed_wake_min", "restless", "nonwear_min", "complete")
NAP_COLUMNS = ("start_s", "end_s", "sleep_onset_s", "sleep_offset_s", "tst_min")
NONWEAR_COLUMNS = ("start_s", "end_s", "side", "kind")
SEGMENT_COLUMNS = ("start_s", "end_s", "kind", "night")
LMS_COLUMNS = (*TRUTH_COLUMNS, "night", "nonwear")
#: Transition from one daytime bout to the next (uniform s).
TRANSITION_S = (1.0, 3.0)
#: Foot movements per hour of a restless evening in bed and of a nap (uniform).
RESTLESS_PER_H = dt.RESTLESS_PER_H
NAP_MOVES_PER_H = dt.NAP_MOVES_PER_H
#: Stream numbers under DAYS_SPAWN_KEY (the plan uses none of them).
_SENSOR, _WEARER, _SEGMENT, _NOISE, _NONWEAR = 1, 2, 3, 4, 5


@dataclass(frozen=True, eq=False)
class SimulatedAccelDays:
    """A multi-day ankle recording and its truth (times in s from the recording start).

    Attributes
    ----------
    signals : dict of str to ndarray
        Label (``Ankle L``/``Ankle R``) to (n, 3) float32 samples in g (empty when
        returned by the streaming writer).
    sides : dict of str to str
        Side to label.
    truth_nights : DataFrame
        :data:`NIGHT_TRUTH_COLUMNS`: ``night`` (1, 2, ...), ``date`` (evening, ISO),
        ``lights_off_s`` (the bedtime), ``lights_on_s``, ``sleep_onset_s``,
        ``sleep_offset_s``, ``tst_min``, ``waso_min``, ``sol_min`` (from the
        bedtime), ``seed`` and ``plm_severity`` of the night's
        :func:`simulate_accel_night` (:meth:`night_spec` gives its spec),
        ``bed_wake_min`` (awake in bed before that simulation starts),
        ``restless`` (that wake had foot movements), ``nonwear_min`` (sensor
        off between lights off and on), ``complete``.
    truth_lms : DataFrame
        The nights' truth movements (:data:`LMS_COLUMNS`: those of
        :data:`plms.simulate.accel.TRUTH_COLUMNS`, onsets shifted to the
        recording, plus ``night`` and ``nonwear``: that side's sensor was off).
    hypnogram : Hypnogram
        30-s epochs over the whole recording (no lights markers).
    naps, nonwear, segments : DataFrame
        :data:`NAP_COLUMNS`; :data:`NONWEAR_COLUMNS` (``side`` ``both`` or a
        side, ``kind`` ``day`` or ``bedtime``); :data:`SEGMENT_COLUMNS` (walk,
        sit, sit_fidget, stand, nap, bed_wake, night).
    """

    spec: DaysSpec
    seed: int
    fs: float
    start: datetime
    duration_s: float
    sides: dict[str, str]
    signals: dict[str, npt.NDArray[np.float32]]
    truth_nights: pd.DataFrame
    truth_lms: pd.DataFrame
    hypnogram: Hypnogram
    naps: pd.DataFrame
    nonwear: pd.DataFrame
    segments: pd.DataFrame
    night_specs: dict[int, AccelSpec] = field(default_factory=dict)

    def night_spec(self, night: int) -> AccelSpec:
        """The spec of night ``night``'s :func:`simulate_accel_night` (seed in ``truth_nights``)."""
        if night not in self.night_specs:
            raise ValueError(f"night must be one of {sorted(self.night_specs)}, got {night!r}")
        return self.night_specs[night]

    def night_hypnogram(self, night: int) -> Hypnogram:
        """The truth hypnogram of one night, lights off to on, in recording time."""
        row = self.truth_nights.loc[self.truth_nights["night"] == night]
        if row.empty:
            raise ValueError(f"night must be one of {self.truth_nights['night'].tolist()}, "
                             f"got {night!r}")
        off, on = float(row["lights_off_s"].iloc[0]), float(row["lights_on_s"].iloc[0])
        k0, k1 = int(off // EPOCH_S), int(np.ceil(on / EPOCH_S))
        return Hypnogram(self.hypnogram.stages[k0:k1], EPOCH_S, k0 * EPOCH_S,
                         lights_off_s=off, lights_on_s=on, source="plms.simulate days")

    def __repr__(self) -> str:
        return (f"SimulatedAccelDays(seed={self.seed}, {self.duration_s / S_PER_H:g} h, "
                f"{self.fs:g} Hz, {len(self.truth_nights)} nights)")


@dataclass
class _Nights:
    """The nights' simulations' truth, filled while rendering."""

    lms: dict[int, pd.DataFrame] = field(default_factory=dict)
    hypnograms: dict[int, Hypnogram] = field(default_factory=dict)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(key)))


@dataclass(frozen=True)
class _Sensor:
    noise_g: float
    drift: npt.NDArray[np.float64]  # (m, 3) on the DRIFT_GRID_S grid
    wearer: dt.Wearer


def _sensors(seed: int, spec: DaysSpec, duration_s: float) -> dict[str, _Sensor]:
    out: dict[str, _Sensor] = {}
    for side in spec.sides:
        rng = _rng(seed, DAYS_SPAWN_KEY, _SENSOR, SIDES.index(side))
        noise = float(rng.uniform(*NOISE_G[spec.difficulty]))
        drift = ev.drift(rng, duration_s + 2 * ev.DRIFT_GRID_S, 1.0 / ev.DRIFT_GRID_S)
        wearer = dt.draw_wearer(_rng(seed, DAYS_SPAWN_KEY, _WEARER, SIDES.index(side)))
        out[side] = _Sensor(noise, drift, wearer)
    return out


def _finish(clean: npt.NDArray[np.float64], t0_s: float, spec: DaysSpec, sensor: _Sensor,
            rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Drift and noise added, clipped (hard) and quantised like a night's sensor."""
    x = clean.copy()
    if spec.difficulty == "hard":
        t = t0_s + np.arange(clean.shape[0]) / float(spec.fs_hz)
        grid = np.arange(sensor.drift.shape[0]) * ev.DRIFT_GRID_S
        for a in range(3):
            x[:, a] += np.interp(t, grid, sensor.drift[:, a])
    x += rng.normal(scale=sensor.noise_g, size=x.shape)
    if spec.difficulty == "hard":
        np.clip(x, -spec.range_g, spec.range_g, out=x)
    step = 2 * spec.range_g / 2 ** ADC_BITS
    return (np.round(x / step) * step).astype(np.float32)


def _nonwear_clean(window: NonWearPlan, side: int, t0_s: float, n: int,
                   fs: float) -> npt.NDArray[np.float64]:
    """The off-ankle signal of ``window`` from ``t0_s`` over ``n`` samples (handling included)."""
    x = np.tile(dt.nonwear_direction(_rng(window.seed, _NONWEAR, side)), (n, 1))
    first = int(round(t0_s * fs))
    for end, k in ((False, 1), (True, 2)):
        motion = dt.handling(_rng(window.seed, _NONWEAR, side, k), fs)
        at = int(round((window.end_s if end else window.start_s) * fs)) - (
            motion.shape[0] if end else 0) - first
        lo, hi = max(at, 0), min(at + motion.shape[0], n)
        if hi > lo:
            x[lo:hi] += motion[lo - at:hi - at]
    return x


def _day_clean(segment: Segment, side: int, sensor: _Sensor, seed: int, n: int, fs: float,
               lie_at: npt.NDArray[np.float64] | None, restless: bool,
               ) -> npt.NDArray[np.float64]:
    rng = _rng(seed, DAYS_SPAWN_KEY, _SEGMENT, segment.index, side)
    w = sensor.wearer
    if segment.kind == "walk":
        return dt.walking(rng, n, fs, w)
    if segment.kind == "stand":
        return dt.standing(rng, n, fs, w)
    if segment.kind in ("sit", "sit_fidget"):
        return dt.sitting(rng, n, fs, w, fidget=segment.kind == "sit_fidget")
    if segment.kind == "nap":
        return dt.lying(rng, n, fs, w, float(rng.uniform(*NAP_MOVES_PER_H)))
    if segment.kind == "bed_wake":
        rate = float(rng.uniform(*RESTLESS_PER_H)) if restless else 0.0
        return dt.lying(rng, n, fs, w, rate, lie_at)
    raise ValueError(f"unknown segment kind {segment.kind!r}")


def _blend_in(x: npt.NDArray[np.float64], last: npt.NDArray[np.float64] | None, fs: float,
              rng: np.random.Generator) -> None:
    """Start ``x`` from ``last`` with a short transition (in place)."""
    if last is None:
        return
    k = min(int(rng.uniform(*TRANSITION_S) * fs), x.shape[0])
    w = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / max(k, 1))
    x[:k] = last * (1 - w[:, None]) + x[:k] * w[:, None]


def iter_accel_days(seed: int, spec: DaysSpec, *, plan: DayPlan | None = None,
                    nights: _Nights | None = None,
                    ) -> Iterator[tuple[int, dict[str, npt.NDArray[np.float32]]]]:
    """Render the recording in time order: ``(first sample, {label: (m, 3) float32 g})``.

    Pieces are segments (a night at most), so memory stays bounded by the
    longest night; ``nights`` receives the nights' truth on the way.
    """
    plan = plan_days(seed, spec) if plan is None else plan
    nights = _Nights() if nights is None else nights
    fs = float(spec.fs_hz)
    sensors = _sensors(seed, spec, plan.duration_s)
    by_number = {p.number: p for p in plan.nights}
    last: dict[str, npt.NDArray[np.float64] | None] = dict.fromkeys(spec.sides)
    pending: dict[str, npt.NDArray[np.float64]] | None = None
    for segment in plan.segments:
        first = int(round(segment.start_s * fs))
        n = int(round(segment.end_s * fs)) - first
        night = by_number.get(segment.night)
        if segment.kind in ("bed_wake", "night") and pending is None and night is not None:
            pending = _simulate_night(night, nights)
        out: dict[str, npt.NDArray[np.float32]] = {}
        for side_name in spec.sides:
            side = SIDES.index(side_name)
            sensor = sensors[side_name]
            noise = _rng(seed, DAYS_SPAWN_KEY, _NOISE, segment.index, side)
            if segment.kind == "night" and pending is not None:
                data = pending[side_name][:n].astype(np.float32)
                last[side_name] = pending[side_name][-1].astype(float)
            else:
                lie_at = None
                if segment.kind == "bed_wake" and pending is not None:
                    lie_at = np.mean(pending[side_name][:int(fs)], axis=0)
                clean = _day_clean(segment, side, sensor, seed, n, fs, lie_at,
                                   night is not None and night.restless)
                _blend_in(clean, last[side_name], fs, noise)
                last[side_name] = clean[-1].copy()
                data = _finish(clean, segment.start_s, spec, sensor, noise)
            for window in plan.nonwear:
                if window.side not in ("both", side_name):
                    continue
                lo = max(int(round(window.start_s * fs)) - first, 0)
                hi = min(int(round(window.end_s * fs)) - first, n)
                if hi > lo:
                    clean_off = _nonwear_clean(window, side, (first + lo) / fs, hi - lo, fs)
                    data[lo:hi] = _finish(clean_off, (first + lo) / fs, spec, sensor,
                                          _rng(window.seed, _NONWEAR, side, 3, segment.index))
            out[SIDE_LABELS[side_name]] = data
        if segment.kind == "night":
            pending = None
        lo = max(-first, 0)
        hi = min(n, int(round(plan.duration_s * fs)) - first)
        if hi > lo:
            yield first + lo, {label: x[lo:hi] for label, x in out.items()}


def _simulate_night(night: NightPlan, store: _Nights) -> dict[str, npt.NDArray[np.float64]]:
    sim = simulate_accel_night(night.seed, night.spec)
    store.hypnograms[night.number] = sim.hypnogram
    store.lms[night.number] = sim.truth_lms
    return {side: sim.signals[label] for side, label in sim.sides.items()}


def simulate_accel_days(seed: int = 0, spec: DaysSpec | None = None) -> SimulatedAccelDays:
    """Simulate a multi-day two-ankle (or one-ankle) recording with known truth.

    Parameters
    ----------
    seed : int
        Seed of every draw.
    spec : DaysSpec, optional
        Default: 3 days at 50 Hz from Monday noon, both ankles.

    Returns
    -------
    SimulatedAccelDays
        Signals held whole as float32 (7 days x 100 Hz: 0.73 GB per ankle;
        stream large recordings with ``write_accel_days_edf``).
    """
    spec = DaysSpec() if spec is None else spec
    if not isinstance(spec, DaysSpec):
        raise TypeError(f"spec must be a DaysSpec, got {type(spec).__name__}")
    plan = plan_days(seed, spec)
    n = int(round(plan.duration_s * spec.fs_hz))
    signals = {SIDE_LABELS[s]: np.empty((n, 3), dtype=np.float32) for s in spec.sides}
    store = _Nights()
    for i0, pieces in iter_accel_days(seed, spec, plan=plan, nights=store):
        for label, x in pieces.items():
            signals[label][i0:i0 + x.shape[0]] = x
    for x in signals.values():
        x.setflags(write=False)
    return days_truth(seed, spec, plan, store, signals)


def _sleep_figures(stages: list[str], off: float, on: float) -> tuple[float, float, float, float,
                                                                        float]:
    """Onset, offset (s), TST, WASO and SOL (min) of the epochs between ``off`` and ``on``."""
    k0, k1 = int(off // EPOCH_S), int(np.ceil(on / EPOCH_S))
    asleep = np.array([s in SLEEP_STAGES for s in stages[k0:k1]], dtype=bool)
    idx = np.flatnonzero(asleep)
    if idx.size == 0:
        return float("nan"), float("nan"), 0.0, 0.0, float("nan")
    onset, offset = (k0 + idx[0]) * EPOCH_S, (k0 + idx[-1] + 1) * EPOCH_S
    tst = asleep.sum() * EPOCH_S / S_PER_MIN
    waso = (idx[-1] + 1 - idx[0] - asleep.sum()) * EPOCH_S / S_PER_MIN
    return onset, offset, float(tst), float(waso), (onset - off) / S_PER_MIN


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def days_truth(seed: int, spec: DaysSpec, plan: DayPlan, store: _Nights,
               signals: dict[str, npt.NDArray[np.float32]]) -> SimulatedAccelDays:
    """Assemble the truth tables once every night is simulated."""
    total = plan.duration_s
    stages = stage_array(plan, {k: h.stages for k, h in store.hypnograms.items()})
    rows, lms = [], []
    for p in plan.nights:
        h = store.hypnograms[p.number]
        off = max(p.bed_s, 0.0)
        on = min(p.start_s + (h.lights_on_s if h.lights_on_s is not None else h.end_s), total)
        onset, offset, tst, waso, sol = _sleep_figures(stages, off, on)
        off_min = sum(_overlap(w.start_s, w.end_s, off, on) for w in plan.nonwear) / S_PER_MIN
        rows.append((p.number, p.date, off, on, onset, offset, tst, waso, sol, p.seed,
                     p.severity, (p.start_s - p.bed_s) / S_PER_MIN, p.restless, off_min,
                     p.bed_s >= 0 and p.end_s <= total))
        t = store.lms[p.number].copy()
        t["onset"] += p.start_s
        t["mech_onset"] += p.start_s
        t["night"] = p.number
        t["nonwear"] = [any(w.start_s <= o < w.end_s and w.side in ("both", s)
                            for w in plan.nonwear) for o, s in zip(t["onset"], t["side"],
                                                                   strict=True)]
        lms.append(t[(t["onset"] >= 0) & (t["onset"] < total)])
    nights = pd.DataFrame(rows, columns=list(NIGHT_TRUTH_COLUMNS))
    truth_lms = (pd.concat(lms, ignore_index=True) if lms else
                 pd.DataFrame(columns=list(LMS_COLUMNS)))
    naps = pd.DataFrame([(n.start_s, n.end_s, *_sleep_figures(stages, n.start_s, n.end_s)[:3])
                         for n in plan.naps], columns=list(NAP_COLUMNS))
    nonwear = pd.DataFrame([(max(w.start_s, 0.0), min(w.end_s, total), w.side, w.kind)
                            for w in plan.nonwear], columns=list(NONWEAR_COLUMNS))
    segments = pd.DataFrame([(max(s.start_s, 0.0), min(s.end_s, total), s.kind, s.night)
                             for s in plan.segments], columns=list(SEGMENT_COLUMNS))
    return SimulatedAccelDays(
        spec=spec, seed=int(seed), fs=float(spec.fs_hz), start=spec.start, duration_s=total,
        sides={s: SIDE_LABELS[s] for s in spec.sides}, signals=signals, truth_nights=nights,
        truth_lms=truth_lms, hypnogram=Hypnogram(np.asarray(stages), EPOCH_S, 0.0,
                                                 source="plms.simulate days"),
        naps=naps, nonwear=nonwear, segments=segments,
        night_specs={p.number: p.spec for p in plan.nights})


