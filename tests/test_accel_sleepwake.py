"""Sleep/wake from ankle accelerometers on hand-built signals (docs/ACCEL.md)."""

from __future__ import annotations

import numpy as np
import pytest

from plms.accel import SleepWakeSettings, estimate_sleep_wake
from plms.simulate.accel import AccelSpec, simulate_accel_night

FS = 10.0
REST = np.array([0.2, 0.5, 0.84])
REST = REST / np.linalg.norm(REST)
AXIS = np.array([1.0, 0.0, 0.0])
NOISE_G = 0.003


def _rotate(v: np.ndarray, axis: np.ndarray, theta: np.ndarray) -> np.ndarray:
    k = axis / np.linalg.norm(axis)
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    return v * c + np.cross(k, v) * s + np.outer(v @ k, k) * (1.0 - c)


def _still(minutes: float, seed: int = 0, rest: np.ndarray = REST) -> np.ndarray:
    n = int(minutes * 60 * FS)
    return rest + np.random.default_rng(seed).normal(0.0, NOISE_G, (n, 3))


def _with_movements(acc: np.ndarray, onsets_s: np.ndarray, dur_s: float, deg: float
                    ) -> np.ndarray:
    """Rotations of ``deg`` held ``dur_s`` that return to the rest orientation."""
    theta = np.zeros(acc.shape[0])
    for on in onsets_s:
        theta[int(on * FS): int((on + dur_s) * FS)] = np.radians(deg)
    return _rotate(acc, AXIS, theta)


def _fidgeting(minutes: float, seed: int = 1) -> np.ndarray:
    """Restless wake: a new random orientation every few seconds, never settling."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * FS)
    out = np.empty((n, 3))
    i = 0
    while i < n:
        hold = int(rng.uniform(2.0, 12.0) * FS)
        g = REST + rng.normal(0.0, 0.3, 3)
        out[i: i + hold] = g / np.linalg.norm(g)
        i += hold
    return out + rng.normal(0.0, NOISE_G, (n, 3))


def test_still_half_hour_is_sleep():
    est = estimate_sleep_wake(_still(30.0), FS)
    assert est.hypnogram.tst_min == 30.0
    assert set(est.hypnogram.stages.tolist()) == {"S"}
    assert est.sleep_onset_s == 0.0 and est.sleep_end_s == 1800.0
    assert est.method.startswith("van Hees 2015")


def test_continuous_fidgeting_is_wake():
    est = estimate_sleep_wake(_fidgeting(30.0), FS)
    assert est.hypnogram.tst_min == 0.0
    assert est.sleep_onset_s is None


def test_wake_then_sleep_then_wake():
    acc = np.vstack([_fidgeting(15.0), _still(60.0), _fidgeting(15.0, seed=2)])
    est = estimate_sleep_wake(acc, FS)
    assert est.hypnogram.tst_min == pytest.approx(60.0, abs=1.0)
    assert est.sleep_onset_s == pytest.approx(15 * 60, abs=60)
    assert est.sleep_end_s == pytest.approx(75 * 60, abs=60)


@pytest.mark.parametrize("dur_s", [2.0, 6.0])
def test_periodic_leg_movements_do_not_break_sleep(dur_s):
    onsets = np.arange(60.0, 29 * 60, 30.0)
    acc = _with_movements(_still(30.0), onsets, dur_s, 25.0)
    est = estimate_sleep_wake(acc, FS)
    assert est.hypnogram.tst_min >= 29.0


def test_without_the_bridge_long_leg_movements_break_sleep():
    onsets = np.arange(60.0, 29 * 60, 30.0)
    acc = _with_movements(_still(30.0), onsets, 6.0, 25.0)
    plain = estimate_sleep_wake(acc, FS, settings=SleepWakeSettings(bridge_max_s=0.0))
    assert plain.hypnogram.tst_min < 5.0


def test_posture_changes_between_still_periods_stay_sleep():
    other = _rotate(REST[None, :], np.array([0.0, 1.0, 0.0]), np.radians([60.0]))[0]
    acc = np.vstack([_still(20.0), _still(20.0, seed=3, rest=other)])
    est = estimate_sleep_wake(acc, FS)
    assert est.hypnogram.tst_min >= 39.0


def test_two_ankles_need_both_still():
    left = _still(30.0)
    right = np.vstack([_still(10.0, seed=4), _fidgeting(10.0), _still(10.0, seed=5)])
    both = estimate_sleep_wake([left, right], FS)
    assert both.hypnogram.tst_min == pytest.approx(20.0, abs=1.0)
    assert estimate_sleep_wake(left, FS).hypnogram.tst_min == 30.0
    assert both.params["n_ankles"] == 2.0


def test_input_not_mutated():
    acc = _still(10.0)
    before = acc.copy()
    estimate_sleep_wake(acc, FS)
    np.testing.assert_array_equal(acc, before)


def test_invalid_input_is_refused():
    with pytest.raises(ValueError, match="three axes"):
        estimate_sleep_wake(np.ones(1000), FS)
    with pytest.raises(ValueError, match="positive"):
        estimate_sleep_wake(_still(1.0), FS, epoch_s=0.0)
    with pytest.raises(ValueError, match="bridge_max_s"):
        SleepWakeSettings(bridge_max_s=-1.0)


# -- generated nights (plms.simulate.accel) ------------------------------------
GENERATED_TST_ERROR_MIN = 12.0


@pytest.mark.parametrize(("seed", "fs"), [(0, 25), (3, 50), (4, 100)])
def test_generated_night_total_sleep_time(seed, fs):
    night = simulate_accel_night(seed, AccelSpec(duration_h=1.0, fs_hz=fs, difficulty="hard"))
    hyp = night.hypnogram
    est = estimate_sleep_wake(list(night.signals.values()), night.fs,
                              lights_off_s=hyp.lights_off_s, lights_on_s=hyp.lights_on_s)
    assert abs(est.hypnogram.tst_min - night.truth_tst_min) <= GENERATED_TST_ERROR_MIN
    assert est.sleep_onset_s is not None and est.sleep_onset_s < est.sleep_end_s
