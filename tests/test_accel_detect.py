"""The accelerometer LM detector on hand-built signals with known truth (docs/ACCEL.md)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from plms.signal.accel import AccelDetectorSettings, accel_activity, detect_lm_accel
from plms.validation.agreement import match_events
from plms.pipeline.core import score_lms
from plms.rules import WASM2016
from plms.simulate.accel import AccelSpec, simulate_accel_night

FS = 50.0
REST = np.array([0.3, -0.4, 0.866])
REST = REST / np.linalg.norm(REST)
AXIS = np.array([1.0, 0.0, 0.0])
RAMP_S = 0.15
EDGE_TOL_S = 0.2
NOISE_G = 0.002
QUANT_G = 0.004


def _rotate(v: np.ndarray, axis: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Rotate each row of ``v`` about ``axis`` by ``theta`` radians (Rodrigues)."""
    k = axis / np.linalg.norm(axis)
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    return v * c + np.cross(k, v) * s + np.outer(v @ k, k) * (1.0 - c)


def _angle_profile(n: int, moves: list[tuple[float, float, float]], fs: float = FS) -> np.ndarray:
    """Rotation angle (rad) per sample: (onset, duration, degrees) held with raised-cosine ramps."""
    t = np.arange(n) / fs
    theta = np.zeros(n)
    for onset, dur, deg in moves:
        ramp = min(RAMP_S, dur / 3)
        edge = np.clip(np.minimum(t - onset, onset + dur - t) / ramp, 0.0, 1.0)
        theta = np.maximum(theta, np.radians(deg) * (0.5 - 0.5 * np.cos(np.pi * edge)))
    return theta


def _signal(duration_s: float, moves: list[tuple[float, float, float]], *, fs: float = FS,
            noise_g: float = NOISE_G, seed: int = 0, quantise: bool = True) -> np.ndarray:
    n = int(duration_s * fs)
    acc = _rotate(np.tile(REST, (n, 1)), AXIS, _angle_profile(n, moves, fs))
    rng = np.random.default_rng(seed)
    acc = acc + rng.normal(0.0, noise_g, acc.shape)
    return np.round(acc / QUANT_G) * QUANT_G if quantise else acc


def test_rotation_detected_with_edges_where_magnitude_sees_nothing():
    acc = _signal(120.0, [(60.0, 2.0, 20.0)])
    det = detect_lm_accel(acc, FS)
    assert len(det.events) == 1
    ev = det.events.iloc[0]
    assert abs(ev.onset - 60.0) <= EDGE_TOL_S
    assert abs(ev.onset + ev.duration - 62.0) <= EDGE_TOL_S
    assert ev.rotation_deg == pytest.approx(20.0, abs=2.0)
    assert ev.peak_mg == pytest.approx(2000 * np.sin(np.radians(10.0)), rel=0.1)
    # the magnitude of a pure rotation does not change: its activity stays at the noise
    magnitude = np.linalg.norm(acc, axis=1)
    act, _ = accel_activity(magnitude, FS)
    assert np.nanmax(act) < AccelDetectorSettings().threshold_mg
    assert detect_lm_accel(magnitude, FS).events.empty


def test_permanent_posture_change_gives_one_short_event():
    n = int(600 * FS)
    t = np.arange(n) / FS
    s = np.clip((t - 300.0) / 2.0, 0.0, 1.0)          # turns 60 degrees over 2 s, stays
    acc = _rotate(np.tile(REST, (n, 1)), AXIS, np.radians(60.0) * s * s * (3 - 2 * s))
    acc = acc + np.random.default_rng(1).normal(0.0, NOISE_G, acc.shape)
    det = detect_lm_accel(acc, FS)
    assert len(det.events) == 1
    ev = det.events.iloc[0]
    assert 299.0 <= ev.onset <= 300.5
    assert ev.duration < 4.0


def test_short_movements_and_knocks_are_dropped():
    acc = _signal(120.0, [(40.0, 0.3, 25.0)])
    acc[int(80 * FS): int(80 * FS) + 3] += [1.5, -0.8, 0.5]      # a 60-ms knock
    assert detect_lm_accel(acc, FS).events.empty


@pytest.mark.parametrize(("gap_s", "n_events"), [(0.3, 1), (1.0, 2)])
def test_bursts_closer_than_the_quiet_period_merge(gap_s, n_events):
    first_end = 50.0 + 1.5
    acc = _signal(120.0, [(50.0, 1.5, 20.0), (first_end + gap_s, 1.5, 20.0)])
    det = detect_lm_accel(acc, FS)
    assert len(det.events) == n_events
    if n_events == 1:
        assert det.events.duration.iloc[0] == pytest.approx(3.0 + gap_s, abs=2 * EDGE_TOL_S)


def test_noise_floor_raises_the_threshold_on_a_noisy_recording():
    quiet = detect_lm_accel(_signal(300.0, [], seed=2), FS)
    assert quiet.threshold_mg == AccelDetectorSettings().threshold_mg
    noisy = detect_lm_accel(_signal(300.0, [(150.0, 2.0, 30.0)], noise_g=0.04, seed=3), FS)
    assert noisy.threshold_mg > AccelDetectorSettings().threshold_mg
    assert noisy.threshold_mg == pytest.approx(
        AccelDetectorSettings().noise_factor * noisy.noise_floor_mg)
    assert any("noisy recording" in w for w in noisy.warnings)
    assert len(noisy.events) == 1                      # the 30-degree movement, no noise events


@pytest.mark.parametrize(("deg", "found"), [(5.4, False), (6.1, True)])
def test_threshold_edge(deg, found):
    # held_fraction=1: the weak-movement path starts at the threshold too, so the
    # threshold alone decides
    settings = AccelDetectorSettings(threshold_mg=100.0, offset_mg=30.0, held_fraction=1.0)
    plateau_mg = 2000 * np.sin(np.radians(deg) / 2)     # 94 mg and 106 mg
    assert (plateau_mg >= settings.threshold_mg) == found
    acc = _signal(120.0, [(60.0, 2.0, deg)], noise_g=0.0, quantise=False)
    det = detect_lm_accel(acc, FS, settings=settings)
    assert len(det.events) == int(found)


@pytest.mark.parametrize("threshold_mg", [40.0, 100.0])
def test_weak_path_follows_the_threshold(threshold_mg):
    """A 6-degree movement (105 mg) below a 300-mg threshold is found by the held
    deviation (reach 0.4 x 300 = 120 mg) only when the threshold is lowered."""
    acc = _signal(120.0, [(60.0, 2.0, 6.0)])
    assert len(detect_lm_accel(acc, FS, settings=AccelDetectorSettings(
        threshold_mg=threshold_mg)).events) == 1
    assert detect_lm_accel(acc, FS, settings=AccelDetectorSettings(threshold_mg=300.0)).events.empty


def test_minimum_duration_comes_from_the_rules():
    acc = _signal(120.0, [(60.0, 0.8, 20.0)])
    assert len(detect_lm_accel(acc, FS).events) == 1
    strict = dataclasses.replace(WASM2016, name="min1s", lm_min_duration_s=1.2)
    assert detect_lm_accel(acc, FS, rules=strict).events.empty


def test_long_movements_are_kept():
    det = detect_lm_accel(_signal(180.0, [(60.0, 14.0, 20.0)]), FS)
    assert len(det.events) == 1
    assert det.events.duration.iloc[0] == pytest.approx(14.0, abs=2 * EDGE_TOL_S)


def test_input_not_mutated_and_read_only_accepted():
    acc = _signal(60.0, [(30.0, 2.0, 20.0)])
    before = acc.copy()
    acc.setflags(write=False)
    det = detect_lm_accel(acc, FS)
    np.testing.assert_array_equal(acc, before)
    assert det.activity_mg.dtype == np.float32
    assert det.rate_hz == FS / 2


def test_nan_stretches_are_excluded_with_a_warning():
    acc = _signal(120.0, [(30.0, 2.0, 20.0), (90.0, 2.0, 20.0)])
    acc[int(55 * FS): int(65 * FS)] = np.nan
    det = detect_lm_accel(acc, FS)
    assert len(det.events) == 2
    assert any("missing" in w for w in det.warnings)
    assert np.isnan(det.activity_mg).any()


def test_nan_stretch_after_the_first_chunks_and_float32_input():
    """A long recording is converted a chunk at a time: a NaN stretch late in it still
    blanks exactly its working-rate blocks, and float32 samples give what float64 give."""
    from plms.signal.accel._filters import BLOCK_CHUNK_SAMPLES

    seconds = 3 * BLOCK_CHUNK_SAMPLES / FS
    acc = _signal(seconds, [(30.0, 2.0, 20.0), (seconds - 60.0, 2.0, 20.0)])
    lo, hi = int((seconds - 200.0) * FS), int((seconds - 190.0) * FS)   # in the last chunk
    acc[lo:hi] = np.nan
    det = detect_lm_accel(acc, FS)
    assert len(det.events) == 2
    step = 2  # 50 Hz -> 25 Hz
    blanked = np.flatnonzero(np.isnan(det.activity_mg))
    assert blanked.tolist() == list(range(lo // step, -(-hi // step)))
    single = detect_lm_accel(acc.astype(np.float32), FS)
    same = acc.astype(np.float32).astype(np.float64)
    pd.testing.assert_frame_equal(single.events, detect_lm_accel(same, FS).events)


def test_single_axis_input_warns():
    acc = _signal(60.0, [(30.0, 2.0, 20.0)])
    det = detect_lm_accel(acc[:, 0], FS)
    assert any("single-axis" in w for w in det.warnings)
    assert det.events.rotation_deg.isna().all()


@pytest.mark.parametrize("kwargs", [
    {"threshold_mg": 0.0}, {"offset_mg": -1.0}, {"threshold_mg": 20.0, "offset_mg": 30.0},
    {"noise_quantile": 1.0}, {"gravity_window_s": 0.5}, {"smoothing_s": float("nan")},
    {"held_fraction": 0.0}, {"held_fraction": 1.5}, {"held_smoothing_s": 0.0},
    {"min_held_to_sway": -1.0}, {"min_coherence": 1.1},
])
def test_invalid_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        AccelDetectorSettings(**kwargs)


def test_invalid_input_is_refused():
    with pytest.raises(ValueError, match="shape"):
        detect_lm_accel(np.zeros((100, 2)), FS)
    with pytest.raises(ValueError, match="positive"):
        detect_lm_accel(np.zeros((100, 3)), 0.0)
    with pytest.raises(ValueError, match="allowed"):
        detect_lm_accel(np.zeros((100, 3)), FS, rules="wasm")


# -- a foot held to one side, or a shaking bed ----------------------------------
SWAY_DIR = np.array([0.6, 0.8, 0.0])


def _sway(n: int, onset_s: float, dur_s: float, freq_hz: float, amp_g: float,
          fs: float = FS) -> np.ndarray:
    """A zero-mean oscillation of the acceleration along ``SWAY_DIR`` (a shaking mattress)."""
    t = np.arange(n) / fs
    on = (t >= onset_s) & (t < onset_s + dur_s)
    return np.outer(amp_g * np.sin(2 * np.pi * freq_hz * (t - onset_s)) * on, SWAY_DIR)


@pytest.mark.parametrize("deg", [1.5, 2.0, 3.0])
def test_weak_held_rotation_is_detected(deg):
    """A near-isometric movement: 2 degrees (35 mg) held 2 s, slow 0.4-s ramps, noise 2 mg
    and 4-mg steps; its peak activity stays below the 40-mg threshold."""
    acc = _signal(120.0, [(60.0, 2.0, deg)])
    det = detect_lm_accel(acc, FS)
    assert len(det.events) == 1
    ev = det.events.iloc[0]
    assert ev.onset < 60.5 and ev.onset + ev.duration > 61.5
    assert ev.held_mg == pytest.approx(2000 * np.sin(np.radians(deg) / 2), rel=0.3)
    assert ev.coherence > 0.8 and ev.held_mg > 2 * ev.sway_mg


@pytest.mark.parametrize(("freq_hz", "amp_g", "dur_s"), [(3.0, 0.06, 3.0), (1.0, 0.05, 4.0),
                                                         (0.5, 0.04, 4.0), (2.0, 0.15, 2.0),
                                                         (6.0, 0.15, 1.5)])
def test_bed_sway_on_a_quiet_leg_is_not_a_movement(freq_hz, amp_g, dur_s):
    """Crosstalk (1-6 Hz) and a bed partner's sway (0.5-3 Hz): oscillations about rest."""
    shaken = _signal(120.0, []) + _sway(6000, 60.0, dur_s, freq_hz, amp_g)
    assert detect_lm_accel(shaken, FS).events.empty


@pytest.mark.parametrize(("freq_hz", "amp_g", "gate"), [(1.0, 0.05, "both"),
                                                        (0.5, 0.04, "coherence"),
                                                        (2.0, 0.15, "both")])
def test_the_gates_are_what_rejects_a_sway(freq_hz, amp_g, gate):
    """With the gates open the sway is an event (a plain threshold counts it); it fails
    the coherence test, and unless it is slow enough to pass the low-pass, the
    held-to-sway test too."""
    settings = AccelDetectorSettings()
    shaken = _signal(120.0, []) + _sway(6000, 60.0, 3.0, freq_hz, amp_g)
    open_gates = dataclasses.replace(settings, min_held_to_sway=0.0, min_coherence=0.0)
    ev = detect_lm_accel(shaken, FS, settings=open_gates).events
    assert len(ev) == 1
    assert ev.coherence.iloc[0] < settings.min_coherence
    swayed = bool(ev.held_mg.iloc[0] < settings.min_held_to_sway * ev.sway_mg.iloc[0])
    assert swayed == (gate == "both")
    assert detect_lm_accel(shaken, FS, settings=settings).events.empty


def test_sway_with_a_small_returning_tilt_is_not_a_movement():
    """Mattress crosstalk that tilts the sensor by 1 degree while shaking it at 2 Hz."""
    acc = _signal(120.0, [(60.0, 3.0, 1.0)]) + _sway(6000, 60.0, 3.0, 2.0, 0.1)
    assert detect_lm_accel(acc, FS).events.empty


def test_sway_over_a_movement_keeps_the_movement():
    """Crosstalk from the other leg during a real 20-degree movement does not hide it."""
    acc = _signal(120.0, [(60.0, 3.0, 20.0)])
    det = detect_lm_accel(acc + _sway(len(acc), 60.5, 2.0, 3.0, 0.06), FS)
    assert len(det.events) == 1
    assert det.events.onset.iloc[0] == pytest.approx(60.0, abs=EDGE_TOL_S)


# -- generated nights (plms.simulate.accel) ------------------------------------
GENERATED_F1 = 0.9
GENERATED_PLMS_ERROR_PER_H = 3.0


@pytest.mark.parametrize(("seed", "fs"), [(0, 25), (1, 50), (3, 100)])
def test_generated_night_agreement(seed, fs):
    night = simulate_accel_night(seed, AccelSpec(duration_h=1.0, fs_hz=fs, difficulty="hard"))
    tables = []
    for side, label in night.sides.items():
        det = detect_lm_accel(night.signals[label], night.fs)
        truth = night.truth_lms[night.truth_lms.side == side]
        assert match_events(truth, det.events, min_iou=0.2).f1 >= GENERATED_F1
        tables.append(det.events.assign(side=side))
    found = score_lms(pd.concat(tables, ignore_index=True), hypnogram=night.hypnogram)
    truth_score = score_lms(night.truth_lms, hypnogram=night.hypnogram)
    assert abs(found.summary["plms_index"] - truth_score.summary["plms_index"]) \
        <= GENERATED_PLMS_ERROR_PER_H
