"""Simulated ankle-accelerometer nights with known truth (wearables vs PSG).

The sleeper is the one of :func:`plms.simulate.simulate_night` with the same
seed: the same hypnogram, leg movements (onsets, durations, sides, origins)
and posture changes (the PSG night with ``electrode_off=False``: a movement
hidden from the EMG by a loose electrode still moves the ankle). Signal model
of one ankle (g, sensor coordinates)::

    acc = gravity direction (rest, turned by movements) + kinematics
          + turn accelerations + knocks + breathing + drift + noise,
          then clipped to +-range (hard) and quantised to 12 bits.

- truth LMs of the PSG rotate the sensor about the ankle axis (fixed per
  night, jittered per movement): 5-40 degrees (visible change of the gravity
  direction about 3.5-40, a quarter below 10), 0.1-0.4 s raised-cosine ramps,
  a hold with wobble and tremor, 2-3 phases when the EMG has sub-bursts; the
  magnitude changes only by ``r * alpha`` and ``r * omega**2`` (r 5-12 cm):
  typically 50-150 mg at the ramps, a few mg in the hold;
- posture turns (2-8 s of 0.1-0.5 g rms motion with impacts, rarely beyond
  the range) inside the PSG posture LMs, ending in the rest direction of the
  new body position;
- the PSG night's wake fidgets (kind ``wake_fidget``, :mod:`plms.simulate.fidgets`)
  turn the foot by 8-40 degrees, or, now and then a brief one, by 5-15 degrees
  leaving a tilt of 2-8 (none when ``NightSpec.wake_fidgets`` is off);
- electromechanical lag (hard and clean nights: it is physiology): the truth
  is the EMG-defined movement a PSG technician scores, the foot moves from
  20-80 ms after its onset to 0.1-0.6 s after its offset (truth columns
  ``mech_onset``, ``mech_duration``; the measured rotation is that of the foot);
- weak, near-isometric LMs (hard): 5-12 % of the PSG movements per night,
  mostly those of low EMG amplitude, turn the foot by 0.3-2.5 degrees only,
  slowly (a few mg of tangential acceleration); truth column ``weak``;
- nuisances: white noise 1-4 mg (0.5 mg clean), offset 0-40 mg plus drift of
  tens of mg over hours per axis, knocks (< 0.2 s, about 3 per hour), breathing
  micro-motion below 1 mg; and, not leg movements of the ankle that sees them
  (hard nights only, tables on the night):

  - ``crosstalk``: a posture turn or a movement of 25 degrees or more (30-90 %
    of them, per night) shakes the other ankle through the mattress, 10-100 mg
    (40-150 mg for a turn) over part of it, a third with a 0.5-3 degree tilt
    that returns: the false "bilateral" movements of real devices;
  - ``bed_motion``: a bed partner, 0-4 per hour (4-8 on a fifth of the nights),
    a common 0.5-3 Hz sway of 10-60 mg for 1-5 s on both ankles;
  - ``slips``: 0-2 per night, permanent orientation steps of 1-5 degrees
    within 0.05-0.3 s, mostly 0.5-3 s after a posture turn or a fidget.

  Clean nights have noise and breathing only (and the lag).

See :mod:`plms.simulate.accel_realism` for the choices behind these numbers.

>>> night = simulate_accel_night(2, AccelSpec(duration_h=0.25, fs_hz=25))
>>> night.signals["Ankle L"].shape
(22500, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.hypnogram import Hypnogram
from plms.simulate import accel_events as ev
from plms.simulate import accel_motion as am
from plms.simulate import accel_realism as ar
from plms.simulate.accel_posture import plan_turns, rest_gravity
from plms.simulate.movements import SIDES
from plms.simulate.night import POSITIONS, breathing_rate, simulate_night
from plms.simulate.spec import MIN_DURATION_S, MIN_FS_LEG, S_PER_H, NightSpec

AccelDifficulty = Literal["clean", "hard"]

#: Accepted sampling rates, Hz (whole numbers, so 1-s EDF records hold whole samples).
MIN_FS_HZ = 25
MAX_FS_HZ = 100
#: Sensor ranges that exist (+- g).
RANGE_CHOICES_G = (2.0, 4.0, 8.0, 16.0)
#: Channel label of each side.
SIDE_LABELS = {"left": "Ankle L", "right": "Ankle R"}
#: PSG nuisances that do not change the truth, switched off to save time (and the
#: ECG is made at the lowest rate); the electrode-off period is off because the
#: movements it hides still move the ankle.
PSG_OFF = ("electrode_off", "ecg", "pops", "twitches", "rem_twitches", "drift", "mains",
           "tone_changes")
#: Sensor white noise (uniform rms g) of a hard and of a clean night.
NOISE_G = {"hard": (0.001, 0.004), "clean": (0.0005, 0.0005)}
#: Knocks per hour of a hard night.
KNOCK_RATE_H = 3.0
#: ADC bits over the full range.
ADC_BITS = 12
#: Peak rotation of a scored LM: from MIN + SPAN * u**POWER degrees, u the
#: position of the EMG peak in its range (log scale), jittered (sigma of the log).
LM_MIN_DEG = 5.0
LM_SPAN_DEG = 30.0
LM_POWER = 1.3
LM_JITTER = 0.15
LM_MAX_DEG = 40.0
#: Accelerometer truth columns.
TRUTH_COLUMNS = ("onset", "duration", "side", "kind", "rotation_deg", "peak_mg", "n_phases",
                 "mech_onset", "mech_duration", "weak")
KNOCK_COLUMNS = ("onset", "duration", "side", "peak_g")
#: Independent random streams (append only).
STREAMS = ("geometry", "movements", "turns", "fidgets", "knocks", "noise_left", "noise_right",
           "drift", "breathing", "lag", "weak", "crosstalk", "bed", "slips")
#: Spawn key separating these streams from those of the PSG night.
SPAWN_KEY = 7001


@dataclass(frozen=True)
class AccelSpec:
    """What accelerometer night to simulate.

    Parameters
    ----------
    duration_h : float
        Recording length, hours.
    fs_hz : float
        Sampling rate, a whole number of Hz in [25, 100].
    sides : tuple of str
        Ankles wearing a sensor: ``("left", "right")``, ``("left",)`` or ``("right",)``.
    range_g : float
        Sensor range +- g (2, 4, 8 or 16); hard nights clip there.
    difficulty : {"clean", "hard"}
        ``"hard"``: noise 1-4 mg, drift, knocks, clipping, weak LMs, mattress crosstalk,
        bed motion and strap slips; ``"clean"``: 0.5 mg noise only (the
        electromechanical lag is physiology and stays) and the clean PSG
        sleeper (no wake fidgets unless ``psg_spec`` switches them on).
    psg_fs_leg : int
        EMG rate of the PSG night whose truth is reused (512 is the PSG default, so the
        truth equals that of ``simulate_night(seed)`` at its default rate).
    psg_spec : NightSpec or None
        Full control of the PSG sleeper (severity, respiratory load...); its
        duration must match. ``None``: ``NightSpec(duration_h, psg_fs_leg, difficulty)``.
    """

    duration_h: float = 8.0
    fs_hz: float = 50.0
    sides: tuple[str, ...] = ("left", "right")
    range_g: float = 8.0
    difficulty: AccelDifficulty = "hard"
    psg_fs_leg: int = 512
    psg_spec: NightSpec | None = None

    def __post_init__(self) -> None:
        if self.difficulty not in ("clean", "hard"):
            raise ValueError(f"difficulty must be 'clean' or 'hard', got {self.difficulty!r}")
        if not (isinstance(self.duration_h, (int, float)) and self.duration_h * S_PER_H
                >= MIN_DURATION_S):
            raise ValueError(f"duration_h must be at least {MIN_DURATION_S / S_PER_H:.4f} h, "
                             f"got {self.duration_h!r}")
        if not isinstance(self.fs_hz, (int, float)) or int(self.fs_hz) != self.fs_hz \
                or not MIN_FS_HZ <= self.fs_hz <= MAX_FS_HZ:
            raise ValueError(f"fs_hz must be a whole number of Hz in [{MIN_FS_HZ}, {MAX_FS_HZ}],"
                             f" got {self.fs_hz!r}")
        if not isinstance(self.sides, tuple) or not self.sides \
                or len(set(self.sides)) != len(self.sides) \
                or any(s not in SIDE_LABELS for s in self.sides):
            raise ValueError(f"sides must be a non-empty tuple of distinct 'left'/'right', "
                             f"got {self.sides!r}")
        if float(self.range_g) not in RANGE_CHOICES_G:
            raise ValueError(f"range_g must be one of {RANGE_CHOICES_G}, got {self.range_g!r}")
        if self.psg_spec is not None:
            if not isinstance(self.psg_spec, NightSpec):
                raise TypeError(f"psg_spec must be a NightSpec, got "
                                f"{type(self.psg_spec).__name__}")
            if self.psg_spec.duration_s != self.duration_s:
                raise ValueError("psg_spec.duration_h must equal duration_h")
        else:
            NightSpec(duration_h=self.duration_h, fs_leg=self.psg_fs_leg)  # validates the rate

    @property
    def duration_s(self) -> float:
        """Recording length in whole seconds."""
        return float(round(self.duration_h * S_PER_H))

    def night_spec(self) -> NightSpec:
        """The PSG spec whose truth the accelerometer night shares."""
        base = self.psg_spec or NightSpec(duration_h=self.duration_h, fs_leg=self.psg_fs_leg,
                                          difficulty=self.difficulty)
        off: dict[str, Any] = {name: False for name in PSG_OFF}
        return replace(base, fs_ecg=MIN_FS_LEG, **off)

    def as_dict(self) -> dict[str, object]:
        """Every field, for provenance."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, eq=False)
class SimulatedAccelNight:
    """An ankle-accelerometer night and its truth (times in s from the start).

    Attributes
    ----------
    signals : dict of str to ndarray
        Label (``Ankle L``/``Ankle R``) to (n, 3) float64 samples in g.
    sides : dict of str to str
        Side (``left``/``right``) to label.
    truth_lms : DataFrame
        ``onset``, ``duration`` (the EMG-defined movement, as a PSG scores it),
        ``side``, ``kind`` (the PSG origin: series, isolated, respiratory,
        posture, ``wake_fidget``), ``rotation_deg`` (largest change of the
        gravity direction, posture turns included), ``peak_mg`` (largest
        deviation of the noise-free magnitude from 1 g), ``n_phases``,
        ``mech_onset``, ``mech_duration`` (the foot's own movement: 20-80 ms
        later, 0.1-0.6 s longer), ``weak`` (a near-isometric movement).
    hypnogram : Hypnogram
    truth_tst_min : float
    positions : DataFrame
        ``onset``, ``position`` of the PSG night (turns happen there).
    knocks : DataFrame
        ``onset``, ``duration``, ``side``, ``peak_g`` (not leg movements).
    crosstalk : DataFrame
        ``onset``, ``duration``, ``side`` (the ankle that sees it), ``source_side``,
        ``source_kind``, ``amplitude_mg``, ``tilt_deg``: the other leg's large
        movements through the mattress (not leg movements).
    bed_motion : DataFrame
        ``onset``, ``duration``, ``side`` (``both``), ``amplitude_mg``,
        ``gain_left``, ``gain_right``: whole-bed sway (not leg movements).
    slips : DataFrame
        ``onset``, ``duration``, ``side``, ``angle_deg``, ``after`` (the truth
        kind it follows, or ``none``): permanent orientation steps of the sensor.
    """

    spec: AccelSpec
    seed: int
    duration_s: float
    signals: dict[str, npt.NDArray[np.float64]]
    fs: float
    sides: dict[str, str]
    truth_lms: pd.DataFrame
    hypnogram: Hypnogram
    truth_tst_min: float
    positions: pd.DataFrame
    knocks: pd.DataFrame
    noise_g: dict[str, float] = field(default_factory=dict)
    crosstalk: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ar.CROSSTALK_COLUMNS)))
    bed_motion: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ar.BED_COLUMNS)))
    slips: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ar.SLIP_COLUMNS)))

    def label_of(self, side: str) -> str:
        """Channel label of ``side``."""
        if side not in self.sides:
            raise ValueError(f"side must be one of {sorted(self.sides)}, got {side!r}")
        return self.sides[side]

    def __repr__(self) -> str:
        return (f"SimulatedAccelNight(seed={self.seed}, {self.duration_s / S_PER_H:g} h, "
                f"{self.fs:g} Hz, {len(self.truth_lms)} truth LMs)")


def _seed_children(rng: np.random.Generator, n: int) -> list[np.random.SeedSequence]:
    """``n`` children of the seed sequence ``rng`` was made from."""
    # numpy types seed_seq as ISeedSequence, which has no spawn; default_rng's is a SeedSequence
    return cast(np.random.SeedSequence, rng.bit_generator.seed_seq).spawn(n)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    root = np.random.SeedSequence(int(seed), spawn_key=(SPAWN_KEY,))
    children = root.spawn(len(STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}


def _lm_peak_deg(rng: np.random.Generator, peak_uv: float, amp_range: tuple[float, float]) -> float:
    u = ar.amplitude_rank(peak_uv, amp_range)
    deg = (LM_MIN_DEG + LM_SPAN_DEG * u ** LM_POWER) * rng.lognormal(0.0, LM_JITTER)
    return float(np.clip(deg, LM_MIN_DEG, LM_MAX_DEG))


#: Movement rows (onset, duration, side index, kind, phases), rotations and turns per
#: side (with the row each fills, -1 for none), and the rows of weakened movements.
_Rows = tuple[list[tuple[float, float, int, str, int]], list[list[tuple[int, am.Rotation]]],
              list[list[tuple[int, am.Turn]]], set[int]]


def _movement_rows(rng: dict[str, np.random.Generator], lms: pd.DataFrame,
                   turns: list[list[am.Turn]], fidgets: list[tuple[int, ev.Fidget]],
                   own: set[int], weak: set[int], geometry: list[am.AnkleGeometry],
                   amplitude_range_uv: tuple[float, float]) -> _Rows:
    """The truth rows: scored posture turns, then the PSG's LMs as rotations, then fidgets."""
    weak_rows: set[int] = set()
    rows: list[tuple[float, float, int, str, int]] = []  # onset, duration, side, kind, phases
    rotations: list[list[tuple[int, am.Rotation]]] = [[], []]
    turn_rows: list[list[tuple[int, am.Turn]]] = [[], []]
    for side in range(2):
        for turn in turns[side]:
            turn_rows[side].append((len(rows) if turn.scored else -1, turn))
            if turn.scored:
                rows.append((turn.onset, turn.duration, side, "posture", 1))
    for k, r in enumerate(lms.itertuples(index=False)):
        if k in own:
            continue
        side = SIDES.index(r.side)
        peak = _lm_peak_deg(rng["movements"], float(r.peak_uv), amplitude_range_uv)
        rot = am.draw_rotation(rng["movements"], geometry[side], float(r.onset),
                               float(r.duration), peak, int(r.n_bursts))
        if k in weak:
            rot = ar.weakened(rng["weak"], rot)
            weak_rows.add(len(rows))
        rotations[side].append((len(rows), rot))
        rows.append((float(r.onset), float(r.duration), side, str(r.origin), int(r.n_bursts)))
    for _, f in fidgets:
        rotations[f.side].append((len(rows), am.draw_rotation(
            rng["movements"], geometry[f.side], f.onset, f.duration, f.peak_deg, f.n_phases,
            f.end_deg)))
        rows.append((f.onset, f.duration, f.side, "wake_fidget", f.n_phases))
    return rows, rotations, turn_rows, weak_rows


@dataclass(frozen=True)
class _Scene:
    """What both ankles of a night are rendered from (planned before any sample)."""

    fs: float
    n: int
    duration_s: float
    hard: bool
    range_g: float
    geometry: list[am.AnkleGeometry]
    initial: list[npt.NDArray[np.float64]]
    rotations: list[list[tuple[int, am.Rotation]]]
    turn_rows: list[list[tuple[int, am.Turn]]]
    crosstalk: list[ar.Crosstalk]
    bed: list[ar.BedMotion]
    slips: list[ar.Slip]
    knocks: list[ev.Knock]
    breaths: float


def _render_ankle(scene: _Scene, side: int,
                  rngs: tuple[np.random.Generator, np.random.Generator, np.random.Generator],
                  noise_level: float, measured: dict[int, tuple[float, float]],
                  ) -> npt.NDArray[np.float64]:
    """The samples (g, read-only) of one ankle; the measured truth of its rows into ``measured``.

    ``rngs``: the breathing, drift and noise generators of this ankle.
    """
    breath_rng, drift_rng, noise_rng = rngs
    fs, n = scene.fs, scene.n
    gravity, fixed = rest_gravity(n, fs, scene.initial[side], scene.turn_rows[side],
                                  scene.rotations[side])
    fixed = ar.apply_slips(gravity, fixed, [s for s in scene.slips if s.side == side], fs)
    x = gravity.copy()
    for k, rot in scene.rotations[side]:
        measured[k] = am.render_rotation(rot, scene.geometry[side], gravity, x, fs)
    for k, turn in fixed:
        truth = am.render_turn(turn, x, fs, violent_ok=scene.hard)
        if k >= 0:
            measured[k] = truth
    for event in scene.crosstalk:
        if event.side == side:
            ar.render_crosstalk(event, gravity, x, fs)
    for bump in scene.bed:
        ar.render_bed_motion(bump, side, x, fs)
    x += ev.breathing(breath_rng, n, fs, scene.breaths)
    for knock in scene.knocks:
        if knock.side == side:
            ev.render_knock(knock, x, fs)
    if scene.hard:
        x += ev.drift(drift_rng, scene.duration_s, fs)
    x += noise_rng.normal(scale=noise_level, size=x.shape)
    if scene.hard:
        np.clip(x, -scene.range_g, scene.range_g, out=x)
    step = 2 * scene.range_g / 2 ** ADC_BITS
    x = np.round(x / step) * step
    x.setflags(write=False)
    return x


def simulate_accel_night(seed: int = 0, spec: AccelSpec | None = None) -> SimulatedAccelNight:
    """Simulate ankle accelerometry of the PSG sleeper of ``seed``.

    Parameters
    ----------
    seed : int
        Seed of every draw; the PSG night of the same seed is the same sleeper.
    spec : AccelSpec, optional
        Default: a hard 8-h two-ankle night at 50 Hz, +-8 g.

    Returns
    -------
    SimulatedAccelNight

    Examples
    --------
    >>> night = simulate_accel_night(1, AccelSpec(duration_h=0.25, sides=("left",)))
    >>> list(night.signals), night.fs
    (['Ankle L'], 50.0)
    """
    spec = AccelSpec() if spec is None else spec
    if not isinstance(spec, AccelSpec):
        raise TypeError(f"spec must be an AccelSpec, got {type(spec).__name__}")
    seed = int(seed)
    psg_spec = spec.night_spec()
    psg = simulate_night(seed, psg_spec)
    rng = _streams(seed)
    fs = float(spec.fs_hz)
    duration_s = spec.duration_s
    n = int(round(duration_s * fs))
    hard = spec.difficulty == "hard"

    geometry = [am.draw_geometry(rng["geometry"]) for _ in SIDES]
    bases = [am.position_orientations(rng["geometry"], g, POSITIONS) for g in geometry]
    lms = psg.truth_lms
    turns, used, initial = plan_turns(rng["turns"], psg.positions, lms, geometry, bases)
    existing = [(float(r.onset), float(r.onset + r.duration), SIDES.index(r.side))
                for r in lms.itertuples(index=False)]
    existing += [(t.onset, t.onset + t.duration, s) for s in range(2) for t in turns[s]
                 if not t.scored]
    fidgets = ev.fidget_motions(rng["fidgets"], lms)
    own = used | {k for k, _ in fidgets}  # rows not rendered as ordinary LM rotations

    weak = ar.plan_weak(rng["weak"], {k: float(p) for k, p in enumerate(lms["peak_uv"])
                                      if k not in own},
                        psg_spec.amplitude_range_uv) if hard else set()
    rows, rotations, turn_rows, weak_rows = _movement_rows(
        rng, lms, turns, fidgets, own, weak, geometry, psg_spec.amplitude_range_uv)

    lags = ar.plan_lags(rng["lag"], [(on, d, s) for on, d, s, _, _ in rows])
    mech = [(on + lag, d - lag + relax)
            for (on, d, _, _, _), (lag, relax) in zip(rows, lags, strict=True)]
    rotations = [[(k, ar.lagged_rotation(rot, *lags[k])) for k, rot in mine]
                 for mine in rotations]
    turn_rows = [[(k, ar.lagged_turn(turn, *lags[k]) if k >= 0 else turn) for k, turn in mine]
                 for mine in turn_rows]
    crosstalk, bed, slips = ar.plan_nuisances(
        (rng["crosstalk"], rng["bed"], rng["slips"]), rows, mech, rotations, turn_rows,
        duration_s) if hard else ([], [], [])

    knocks = ev.plan_knocks(rng["knocks"], duration_s, KNOCK_RATE_H, fs, existing + [
        (on, on + d, s) for on, d, s, _, _ in rows]) if hard else []
    breaths = breathing_rate(seed)
    drift_rng = [np.random.default_rng(s) for s in _seed_children(rng["drift"], 2)]
    breath_rng = [np.random.default_rng(s) for s in _seed_children(rng["breathing"], 2)]
    noise_lo, noise_hi = NOISE_G[spec.difficulty]
    noise_level = [float(rng[f"noise_{s}"].uniform(noise_lo, noise_hi)) for s in SIDES]

    scene = _Scene(fs=fs, n=n, duration_s=duration_s, hard=hard, range_g=spec.range_g,
                   geometry=geometry, initial=initial, rotations=rotations,
                   turn_rows=turn_rows, crosstalk=crosstalk, bed=bed, slips=slips,
                   knocks=knocks, breaths=breaths)
    signals: dict[str, npt.NDArray[np.float64]] = {}
    measured: dict[int, tuple[float, float]] = {}
    for side_name in spec.sides:
        side = SIDES.index(side_name)
        signals[SIDE_LABELS[side_name]] = _render_ankle(
            scene, side, (breath_rng[side], drift_rng[side], rng[f"noise_{side_name}"]),
            noise_level[side], measured)

    keep = [k for k, row in enumerate(rows) if SIDES[row[2]] in spec.sides]
    truth = pd.DataFrame(
        [(rows[k][0], rows[k][1], SIDES[rows[k][2]], rows[k][3], *measured[k], rows[k][4],
          *mech[k], k in weak_rows) for k in keep], columns=list(TRUTH_COLUMNS),
    ).astype({"onset": float, "duration": float, "rotation_deg": float, "peak_mg": float,
              "n_phases": int, "mech_onset": float, "mech_duration": float, "weak": bool},
             ).sort_values(["onset", "side"], ignore_index=True)
    knock_table = pd.DataFrame(
        [(k.onset, k.duration, SIDES[k.side], k.peak_g) for k in knocks
         if SIDES[k.side] in spec.sides], columns=list(KNOCK_COLUMNS),
    ).astype({"onset": float, "duration": float, "peak_g": float})
    cross_table, bed_table, slip_table = ar.tables(crosstalk, bed, slips, spec.sides)
    return SimulatedAccelNight(
        spec=spec, seed=seed, duration_s=duration_s, signals=signals, fs=fs,
        sides={s: SIDE_LABELS[s] for s in spec.sides}, truth_lms=truth,
        hypnogram=psg.hypnogram, truth_tst_min=float(psg.hypnogram.tst_min),
        positions=psg.positions.copy(), knocks=knock_table,
        noise_g={SIDE_LABELS[s]: noise_level[SIDES.index(s)] for s in spec.sides},
        crosstalk=cross_table, bed_motion=bed_table, slips=slip_table,
    )

