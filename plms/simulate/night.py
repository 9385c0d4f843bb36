"""Assemble a simulated night: sleep, events, movements, then the signals.

Each part draws from its own random stream (spawned from the seed), so that
switching a nuisance on or off leaves everything else, the truth included,
unchanged (except the electrode-off period, which hides movements, and the
wake fidgets, which add movements and may push a few others off IMI rule edges).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.hypnogram import SLEEP_STAGES, Hypnogram
from plms.simulate import artifacts, cardiac, fidgets, movements, recording, sleep, sources, tone
from plms.simulate.emg import emg_noise, upsample_linear
from plms.simulate.spec import (
    ARTIFACT_COLUMNS, UV_PER_MV, NightSpec, SimChannel, SimulatedNight,
)

#: Names of the independent random streams, in spawn order (append only).
STREAMS = ("hypnogram", "respiratory", "movements", "envelopes", "electrode_off", "arousals",
           "twitches", "pops", "rest", "heart", "ecg", "noise_left", "noise_right", "leg_ecg",
           "mains", "drift", "breathing", "positions", "extras", "fidgets",
           "stretches", "rhythm", "harmonics", "recording", "quiet_wake")
#: Body positions and how likely each new one is.
POSITIONS = ("supine", "left", "right", "prone")
POSITION_P = (0.45, 0.25, 0.25, 0.05)


def stream_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of the stream ``name`` (an entry of :data:`STREAMS`)."""
    if name not in STREAMS:
        raise ValueError(f"unknown random stream {name!r}")
    return np.random.SeedSequence(int(seed)).spawn(len(STREAMS))[STREAMS.index(name)]


def random_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per entry of :data:`STREAMS`."""
    children = np.random.SeedSequence(int(seed)).spawn(len(STREAMS))
    return {name: np.random.default_rng(child)
            for name, child in zip(STREAMS, children, strict=True)}


def breathing_rate(seed: int) -> float:
    """Breaths per minute of the night simulated with ``seed``."""
    return float(np.random.default_rng(stream_seed(seed, "breathing")).uniform(
        *tone.BREATHS_PER_MIN))


def _hypnogram(rng: dict[str, np.random.Generator], spec: NightSpec
               ) -> tuple[Hypnogram, list[tuple[float, float]]]:
    """The night's hypnogram and its quiet-wake bouts (``spec.quiet_wake``; else none)."""
    hyp = sleep.simulate_hypnogram(rng["hypnogram"], spec.duration_s,
                                   lights=spec.enabled("lights"),
                                   fragmented=spec.enabled("fragmentation"))
    if not spec.quiet_wake:
        return hyp, []
    return sleep.add_quiet_wake(rng["quiet_wake"], hyp)


def simulate_night(seed: int = 0, spec: NightSpec | None = None) -> SimulatedNight:
    """Simulate one PSG night with known truth.

    Parameters
    ----------
    seed : int
        Seed of every random draw; the same seed and spec give the same night.
    spec : NightSpec, optional
        What to simulate; the default is a hard, realistic 8-h night at 512 Hz.

    Returns
    -------
    SimulatedNight
        Leg and ECG signals, and the truth (leg movements, hypnogram,
        respiratory events, arousals, artefacts).

    Examples
    --------
    >>> night = simulate_night(3, NightSpec(duration_h=0.25, fs_leg=200, difficulty="clean"))
    >>> sorted(night.signals), night.signals["Leg L"].fs
    (['ECG', 'Leg L', 'Leg R'], 200.0)
    """
    spec = NightSpec() if spec is None else spec
    if not isinstance(spec, NightSpec):
        raise TypeError(f"spec must be a NightSpec, got {type(spec).__name__}")
    seed = int(seed)
    rng = random_streams(seed)
    duration_s = spec.duration_s
    fs = int(spec.fs_leg)
    n = int(duration_s * fs)

    hyp, quiet = _hypnogram(rng, spec)
    timeline = sleep.StageTimeline(hyp)
    respiratory = sleep.simulate_respiratory(rng["respiratory"], timeline, spec.respiratory_load)

    groups = sources.Groups()
    r = rng["movements"]
    posture, step_times = sources.posture_candidates(r, timeline, spec, groups)
    candidates = (posture + sources.respiratory_candidates(r, respiratory, spec, groups)
                  + sources.series_candidates(r, timeline, spec, groups)
                  + sources.isolated_candidates(r, timeline, spec, groups))
    placed = movements.place_movements(rng["envelopes"], candidates, spec, fs)
    if spec.enabled("wake_fidgets"):
        placed = sorted(placed + fidgets.place_fidgets(rng["fidgets"], hyp, spec, fs, placed,
                                                       groups.next, quiet=quiet),
                        key=lambda p: (p.onset, p.side))

    offs = [artifacts.draw_electrode_off(rng["electrode_off"], duration_s)] \
        if spec.enabled("electrode_off") else []
    visible = movements.drop_edge_intervals(
        [p for p in placed
         if not any(o.covers(p.side, p.onset, p.offset, artifacts.OFF_MARGIN_S) for o in offs)])
    arousals = sleep.simulate_arousals(rng["arousals"], timeline, respiratory,
                                       _group_onsets(visible, timeline), spec.lm_arousal_share,
                                       duration_s)
    twitches = artifacts.place_twitches(rng["twitches"], timeline, duration_s, fs, visible, offs,
                                        isolated=spec.enabled("twitches"),
                                        rem=spec.enabled("rem_twitches"))
    pops = artifacts.place_pops(rng["pops"], duration_s, fs, visible, twitches, offs) \
        if spec.enabled("pops") else []

    breaths = breathing_rate(seed)
    beats, ectopic, leg_qrs_uv = _heart(rng, spec, hyp, duration_s, arousals, breaths)
    rest_range = tone.high_rest_range_uv() if spec.high_tone else spec.rest_range_uv
    stretches = tone.raised_stretches(rng["stretches"], duration_s) if spec.high_tone else []

    signals: dict[str, SimChannel] = {}
    resting: dict[str, SimChannel] = {}
    art_rows: list[tuple[float, float, str, str, float]] = []
    for side, label in enumerate(spec.leg_labels):
        rest = tone.rest_tone(rng["rest"], hyp, duration_s, rest_range, step_times,
                              spec.enabled("tone_changes"))
        if stretches:
            rest = tone.raise_tone(rest, stretches, movements.SIDES[side])
        resting[label] = SimChannel(rest[:-1].copy(), float(tone.REST_GRID_FS), "uV")
        env = upsample_linear(rest, tone.REST_GRID_FS, fs, n)
        movements.render(visible + twitches, side, env)
        env *= emg_noise(rng[f"noise_{movements.SIDES[side]}"], n, fs)
        x = env
        if spec.enabled("ecg") or spec.irregular_rhythm:
            cardiac.add_leg_qrs(rng["leg_ecg"], x, beats, fs, step_times, leg_qrs_uv[side],
                                ectopic)
        if spec.enabled("mains"):
            tone.add_mains(rng["mains"], x, duration_s, fs, spec.mains_hz)
        if spec.mains_harmonics:
            tone.add_mains_harmonics(rng["harmonics"], x, fs, spec.mains_hz)
        if spec.enabled("drift"):
            x += tone.drift(rng["drift"], duration_s, fs, n,
                            [p for p in visible if p.side == side], breaths)
        artifacts.render_pops(x, pops, side, fs)
        for off in offs:
            if off.side == side:
                amp = artifacts.apply_electrode_off(rng["electrode_off"], x, fs, off,
                                                    spec.mains_hz)
                art_rows.append((off.onset, off.duration, movements.SIDES[side], "electrode_off",
                                 amp))
        x = recording.record(rng["recording"], x, fs, spec)
        if spec.leg_unit == "mV":
            x /= UV_PER_MV
        signals[label] = SimChannel(x, float(fs), spec.leg_unit)
    signals.update(_ecg(rng["ecg"], spec, beats, breaths, ectopic))

    art_rows += [(p.onset, p.duration, movements.SIDES[p.side], p.origin, p.peak)
                 for p in twitches]
    art_rows += [(p.onset, p.duration, movements.SIDES[p.side], "pop", p.amplitude) for p in pops]
    art_rows += _stretch_rows(stretches, resting, spec.leg_labels)
    artifacts_table = pd.DataFrame(art_rows, columns=list(ARTIFACT_COLUMNS)).astype(
        {"onset": float, "duration": float, "amplitude_uv": float})
    return SimulatedNight(
        spec=spec, seed=seed, duration_s=duration_s, signals=signals,
        left_label=spec.leg_labels[0], right_label=spec.leg_labels[1], ecg_label=spec.ecg_label,
        truth_lms=movements.truth_table(visible), hypnogram=hyp, respiratory=respiratory,
        arousals=arousals,
        artifacts=artifacts_table.sort_values(["onset", "side"], ignore_index=True),
        resting_uv=resting, beats_s=beats,
        positions=_positions(rng["positions"], step_times),
        ectopic_s=beats[ectopic] if ectopic is not None else np.zeros(0),
    )


def _heart(rng: dict[str, np.random.Generator], spec: NightSpec, hyp: Hypnogram,
           duration_s: float, arousals: pd.DataFrame, breaths: float
           ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None,
                      tuple[float | None, float | None]]:
    """Beat times, which are ectopic (irregular rhythm only) and the leg QRS sizes (or None)."""
    if spec.irregular_rhythm:
        beats, ectopic = cardiac.irregular_beats(rng["rhythm"], duration_s)
        return beats, ectopic, _irregular_leg_qrs(rng["rhythm"])
    hr = cardiac.heart_rate(rng["heart"], hyp, duration_s, arousals["onset"].to_numpy(), breaths)
    return cardiac.beat_times(rng["heart"], hr, duration_s), None, (None, None)


def _ecg(rng: np.random.Generator, spec: NightSpec, beats: npt.NDArray[np.float64],
         breaths: float, ectopic: npt.NDArray[np.bool_] | None) -> dict[str, SimChannel]:
    """The ECG channel, keyed by its label (none when ``spec.ecg_channel`` is False)."""
    if not spec.ecg_channel:
        return {}
    fs_ecg = spec.fs_ecg_hz
    ecg = cardiac.ecg_channel(rng, beats, fs_ecg, int(spec.duration_s * fs_ecg), breaths,
                              spec.mains_hz if spec.enabled("mains") else None, ectopic)
    return {spec.ecg_label: SimChannel(ecg, float(fs_ecg), "uV")}


def _irregular_leg_qrs(rng: np.random.Generator) -> tuple[float | None, float | None]:
    """ECG pick-up size of (left, right) under an irregular rhythm: one leg stronger, uV."""
    strong = float(rng.uniform(*cardiac.IRREGULAR_LEG_QRS_UV))
    weak = strong * float(rng.uniform(*cardiac.IRREGULAR_WEAK_SHARE))
    return (strong, weak) if rng.random() < 0.5 else (weak, strong)


def _stretch_rows(stretches: list[tuple[float, float, float, str]],
                  resting: dict[str, SimChannel],
                  labels: tuple[str, str]) -> list[tuple[float, float, str, str, float]]:
    """Artefact rows of the raised-tone stretches: amplitude is their peak resting level, uV."""
    rows = []
    for onset, length, _factor, side in stretches:
        legs = [labels[k] for k, s in enumerate(movements.SIDES) if side in (s, "both")]
        i, j = int(onset * tone.REST_GRID_FS), int(np.ceil((onset + length) * tone.REST_GRID_FS))
        peak = max(float(np.max(resting[label].data[i:j + 1])) for label in legs)
        rows.append((onset, length, side, "raised_tone", peak))
    return rows


def _group_onsets(placed: list[movements.Placed],
                  timeline: sleep.StageTimeline) -> npt.NDArray[np.float64]:
    """Earliest onset of each movement group (one per bilateral pair) in sleep."""
    first: dict[int, float] = {}
    for p in placed:
        first[p.group] = min(first.get(p.group, np.inf), p.onset)
    onsets = np.sort(np.fromiter(first.values(), dtype=float, count=len(first)))
    return onsets[np.isin(timeline.stage(onsets), SLEEP_STAGES)] if onsets.size else onsets


def _positions(rng: np.random.Generator, step_times: npt.ArrayLike) -> pd.DataFrame:
    """Body-position segments: a new position at every posture change."""
    times = np.concatenate([[0.0], np.sort(np.asarray(step_times, dtype=float))])
    current = str(rng.choice(POSITIONS, p=POSITION_P))
    rows = []
    for t in times:
        rows.append((float(t), current))
        p = np.array(POSITION_P) * (np.array(POSITIONS) != current)
        current = str(rng.choice(POSITIONS, p=p / p.sum()))
    return pd.DataFrame(rows, columns=["onset", "position"])
