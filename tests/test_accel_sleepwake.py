"""Sleep/wake from ankle accelerometers on hand-built signals (docs/ACCEL.md)."""

from __future__ import annotations

import numpy as np
import pytest

from plms.signal.accel import SleepWakeSettings, estimate_sleep_wake
from plms.signal.accel.sleepwake import segment_medians
from plms.signal.accel.sleepwake_rules import anchored_still
from plms.simulate.accel import AccelSpec, simulate_accel_night

FS = 10.0
REST = np.array([0.2, 0.5, 0.84])
REST = REST / np.linalg.norm(REST)
AXIS = np.array([1.0, 0.0, 0.0])
NOISE_G = 0.003
#: Minutes of stillness after the start (and after long wake) that are rescored as wake.
RESCORE_MIN = SleepWakeSettings().rescore_s / 60.0
#: Minutes of stillness after the start (or lights off) that are rescored as wake.
ONSET_MIN = SleepWakeSettings().onset_rescore_s / 60.0
#: Rescored time after a wake bout in the night, per minute of the bout (at most RESCORE_MIN).
RATIO = SleepWakeSettings().rescore_ratio
#: Turn wake switched off, to look at the still period alone.
NO_TURN_WAKE = {"turn_wake_before_s": 0.0, "turn_wake_after_s": 0.0}


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


def _wandering(minutes: float, every_s: float, step_deg: float, seed: int = 6) -> np.ndarray:
    """Fidgets every ``every_s``: a 2-s swing that leaves the foot ``step_deg`` elsewhere."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * FS)
    rest, out = REST.copy(), np.empty((n, 3))
    for i in range(0, n, int(every_s * FS)):
        swing = int(2.0 * FS)
        axis = rng.normal(size=3)
        out[i: i + swing] = _rotate(rest[None, :], AXIS, np.radians([20.0]))[0]
        rest = _rotate(rest[None, :], axis - (axis @ rest) * rest, np.radians([step_deg]))[0]
        out[i + swing: i + int(every_s * FS)] = rest
    return out + rng.normal(0.0, NOISE_G, (n, 3))


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
    raw = estimate_sleep_wake(_still(30.0), FS, settings=SleepWakeSettings(rescore_s=0.0))
    assert raw.hypnogram.tst_min == 30.0
    assert set(raw.hypnogram.stages.tolist()) == {"S"}
    assert raw.sleep_onset_s == 0.0 and raw.sleep_end_s == 1800.0
    assert raw.method.startswith("van Hees 2015")


def test_first_minutes_of_stillness_are_wake():
    """Lying still before falling asleep looks like sleep: the first minutes are rescored."""
    est = estimate_sleep_wake(_still(30.0), FS)
    assert est.hypnogram.tst_min == 30.0 - ONSET_MIN
    assert est.sleep_onset_s == ONSET_MIN * 60 and est.sleep_end_s == 1800.0
    lights = estimate_sleep_wake(_still(30.0), FS, lights_off_s=600.0)
    assert lights.sleep_onset_s == 600.0 + ONSET_MIN * 60
    # without its own onset time, the onset is rescored as after any long bout
    same = estimate_sleep_wake(_still(30.0), FS, settings=SleepWakeSettings(onset_rescore_s=None))
    assert same.hypnogram.tst_min == 30.0 - RESCORE_MIN
    short = estimate_sleep_wake(_still(30.0), FS, settings=SleepWakeSettings(onset_rescore_s=120.0))
    assert short.hypnogram.tst_min == 28.0


def test_continuous_fidgeting_is_wake():
    est = estimate_sleep_wake(_fidgeting(30.0), FS)
    assert est.hypnogram.tst_min == 0.0
    assert est.sleep_onset_s is None


def test_wake_then_sleep_then_wake():
    acc = np.vstack([_fidgeting(15.0), _still(60.0), _fidgeting(15.0, seed=2)])
    est = estimate_sleep_wake(acc, FS)
    assert est.hypnogram.tst_min == pytest.approx(60.0 - ONSET_MIN, abs=1.0)
    assert est.sleep_onset_s == pytest.approx((15 + ONSET_MIN) * 60, abs=60)
    assert est.sleep_end_s == pytest.approx(75 * 60, abs=60)


@pytest.mark.parametrize("dur_s", [2.0, 6.0])
def test_periodic_leg_movements_do_not_break_sleep(dur_s):
    onsets = np.arange(60.0, 29 * 60, 30.0)
    acc = _with_movements(_still(30.0), onsets, dur_s, 25.0)
    est = estimate_sleep_wake(acc, FS)
    assert est.hypnogram.tst_min >= 29.0 - ONSET_MIN



#: Restless wake in bed: returning foot movements 100-130 s apart (not periodic), last at 12 min.
RESTLESS_ONSETS_S = np.array([20.0, 130.0, 260.0, 370.0, 500.0, 620.0, 720.0])
MOVE_S = 4.0   # longer than half the 5-s rolling median: seen as a change


def test_restless_wake_after_lights_off_is_wake():
    """Movements that follow lights off and each other closely are wake up to the last one.

    Each returns to rest (so the still period is unbroken); the first sleep
    then starts after the last movement, less the onset rescoring.
    """
    acc = _with_movements(_still(40.0), RESTLESS_ONSETS_S, MOVE_S, 25.0)
    est = estimate_sleep_wake(acc, FS)
    last = RESTLESS_ONSETS_S[-1] + MOVE_S
    assert est.sleep_onset_s == pytest.approx(last + ONSET_MIN * 60, abs=30.0)
    assert est.hypnogram.tst_min == pytest.approx(40.0 - (last / 60 + ONSET_MIN), abs=0.5)
    off = estimate_sleep_wake(acc, FS, settings=SleepWakeSettings(restless_gap_s=0.0))
    assert off.sleep_onset_s == ONSET_MIN * 60   # as before: the movements are bridged


def test_restless_chain_starts_at_lights_off():
    """The same movements starting later than the gap after lights off are not restless wake."""
    gap_s = SleepWakeSettings().restless_gap_s
    late = RESTLESS_ONSETS_S + gap_s + 60.0
    est = estimate_sleep_wake(_with_movements(_still(40.0), late, MOVE_S, 25.0), FS)
    assert est.sleep_onset_s == ONSET_MIN * 60
    # lights off after the movements: they lie before it, the chain has nothing to follow
    lights = gap_s + RESTLESS_ONSETS_S[-1] + 60.0
    est = estimate_sleep_wake(_with_movements(_still(40.0), RESTLESS_ONSETS_S, MOVE_S, 25.0),
                              FS, lights_off_s=lights)
    assert est.sleep_onset_s == pytest.approx(lights + ONSET_MIN * 60, abs=30.0)


def test_a_periodic_series_does_not_make_restless_wake():
    """Leg movements every 30 s right after lights off are a PLM series: sleep, not restlessness."""
    onsets = np.arange(30.0, 25 * 60, 30.0)
    est = estimate_sleep_wake(_with_movements(_still(30.0), onsets, MOVE_S, 25.0), FS)
    assert est.sleep_onset_s == ONSET_MIN * 60
    none_periodic = SleepWakeSettings(periodic_count=0)
    est = estimate_sleep_wake(_with_movements(_still(30.0), onsets, MOVE_S, 25.0), FS,
                              settings=none_periodic)
    assert est.hypnogram.tst_min == 0.0   # every movement then extends the chain to the end

def test_without_the_bridge_long_leg_movements_break_sleep():
    onsets = np.arange(60.0, 29 * 60, 30.0)
    acc = _with_movements(_still(30.0), onsets, 6.0, 25.0)
    plain = estimate_sleep_wake(acc, FS, settings=SleepWakeSettings(bridge_max_s=0.0))
    assert plain.hypnogram.tst_min < 5.0


@pytest.mark.parametrize(("dur_s", "every_s"), [(2.0, 15.0), (4.0, 10.0), (6.0, 12.0),
                                                 (8.0, 12.0), (9.0, 15.0)])
def test_dense_plm_series_inside_sleep_stays_sleep(dur_s, every_s):
    """20 min of returning movements, however dense, inside a still hour: all sleep."""
    onsets = np.arange(20 * 60.0, 40 * 60, every_s)
    acc = _with_movements(_still(60.0), onsets, dur_s, 25.0)
    est = estimate_sleep_wake(acc, FS)
    stages = est.hypnogram.stages
    assert set(stages[int(ONSET_MIN * 2):].tolist()) == {"S"}
    assert est.hypnogram.tst_min == 60.0 - ONSET_MIN


def test_chain_needs_the_resting_anchor_and_returns_between_segments():
    """4-s movements every 12 s: no 5-s segment is wholly at rest, seconds of each are."""
    onsets = np.arange(20 * 60.0, 40 * 60, 12.0)
    medians = segment_medians(_with_movements(_still(60.0), onsets, 4.0, 25.0), FS, 5.0)
    orient = medians.mean(axis=1)
    with_returns = anchored_still(orient, 2.0, 4, 2.5, medians=medians, min_back=10)
    assert with_returns.all()
    assert not anchored_still(orient, 2.0, 4, 2.5).all()


def test_fidgets_that_leave_the_foot_elsewhere_are_wake():
    """A swing every 30 s that leaves the foot 4 degrees elsewhere, for 20 min: wake."""
    acc = np.vstack([_still(20.0), _wandering(20.0, 30.0, 4.0)])
    acc = np.vstack([acc, _still(20.0, seed=7, rest=acc[-1] / np.linalg.norm(acc[-1]))])
    est = estimate_sleep_wake(acc, FS)
    stages = est.hypnogram.stages
    assert set(stages[42:78].tolist()) == {"W"}       # 21-39 min
    # 18 min of wake in between: the rescoring after it is capped at RESCORE_MIN
    assert est.hypnogram.tst_min == pytest.approx(40.0 - ONSET_MIN - RESCORE_MIN, abs=1.5)


def _two_turns() -> np.ndarray:
    """Two posture turns 5 min apart inside 45 min of stillness."""
    other = _rotate(REST[None, :], np.array([0.0, 1.0, 0.0]), np.radians([60.0]))[0]
    return np.vstack([_still(20.0), _still(5.0, seed=8, rest=other), _still(20.0, seed=9)])


def test_a_lone_posture_turn_does_not_end_the_still_period():
    """Two turns 5 min apart: the 5 min between them stay sleep."""
    acc = _two_turns()
    est = estimate_sleep_wake(acc, FS, settings=SleepWakeSettings(rescore_s=0.0, **NO_TURN_WAKE))
    assert est.hypnogram.tst_min == 45.0
    assert est.lone_turns.sum() == 2
    plain = estimate_sleep_wake(acc, FS, settings=SleepWakeSettings(
        isolation_s=0.0, rescore_s=0.0, **NO_TURN_WAKE))
    assert plain.hypnogram.tst_min == pytest.approx(40.0, abs=1.0)
    assert not plain.lone_turns.any()


def test_a_lone_posture_turn_is_a_brief_awakening():
    """Each turn costs about its minute and a bit of wake, not the still period around it."""
    settings = SleepWakeSettings(rescore_s=0.0)
    est = estimate_sleep_wake(_two_turns(), FS, settings=settings)
    per_turn_min = (settings.turn_wake_before_s + settings.turn_wake_after_s) / 60.0
    assert est.hypnogram.tst_min == pytest.approx(45.0 - 2 * per_turn_min, abs=1.0)
    stages = est.hypnogram.stages
    assert stages[40] == "W" and stages[50] == "W"          # at 20 and 25 min
    assert set(stages[42:50].tolist()) == {"S"}             # between them


def test_posture_changes_between_still_periods_stay_sleep():
    other = _rotate(REST[None, :], np.array([0.0, 1.0, 0.0]), np.radians([60.0]))[0]
    acc = np.vstack([_still(20.0), _still(20.0, seed=3, rest=other)])
    est = estimate_sleep_wake(acc, FS)
    per_turn_min = (est.params["turn_wake_before_s"] + est.params["turn_wake_after_s"]) / 60.0
    assert est.hypnogram.tst_min >= 39.0 - ONSET_MIN - per_turn_min


def test_rescoring_after_a_brief_awakening_is_short():
    """2 min of fidgeting inside sleep: the stillness after it is rescored for 1.5 min, not 6."""
    acc = np.vstack([_still(30.0), _fidgeting(2.0, seed=3), _still(30.0, seed=4)])
    est = estimate_sleep_wake(acc, FS)
    assert est.hypnogram.tst_min == pytest.approx(60.0 - ONSET_MIN - RATIO * 2.0, abs=1.0)
    flat = estimate_sleep_wake(acc, FS, settings=SleepWakeSettings(rescore_ratio=np.inf))
    assert flat.hypnogram.tst_min == pytest.approx(60.0 - ONSET_MIN - RESCORE_MIN, abs=1.0)
    long_wake = np.vstack([_still(30.0), _fidgeting(15.0, seed=3), _still(30.0, seed=4)])
    capped = estimate_sleep_wake(long_wake, FS)           # 15 min of wake: at most 6 rescored
    assert capped.hypnogram.tst_min == pytest.approx(60.0 - ONSET_MIN - RESCORE_MIN, abs=1.0)


def test_two_ankles_need_both_still():
    left = _still(30.0)
    right = np.vstack([_still(10.0, seed=4), _fidgeting(10.0), _still(10.0, seed=5)])
    no_rescore = SleepWakeSettings(rescore_s=0.0)
    both = estimate_sleep_wake([left, right], FS, settings=no_rescore)
    assert both.hypnogram.tst_min == pytest.approx(20.0, abs=1.0)
    assert estimate_sleep_wake(left, FS, settings=no_rescore).hypnogram.tst_min == 30.0
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
    with pytest.raises(ValueError, match="isolation_s must be zero or positive"):
        SleepWakeSettings(isolation_s=-1.0)
    with pytest.raises(ValueError, match="turn_max_s must be a positive number"):
        SleepWakeSettings(turn_max_s=0.0)
    with pytest.raises(ValueError, match="turn_wake_after_s must be zero or positive"):
        SleepWakeSettings(turn_wake_after_s=-1.0)
    with pytest.raises(ValueError, match="onset_rescore_s must be None, zero or positive"):
        SleepWakeSettings(onset_rescore_s=-1.0)
    with pytest.raises(ValueError, match="restless_gap_s must be zero or positive"):
        SleepWakeSettings(restless_gap_s=-1.0)
    with pytest.raises(ValueError, match="restless_first_s must be None, zero or positive"):
        SleepWakeSettings(restless_first_s=-1.0)
    with pytest.raises(ValueError, match="periodic_count must be zero or positive"):
        SleepWakeSettings(periodic_count=-1)
    with pytest.raises(ValueError, match="rescore_ratio must be zero or positive"):
        SleepWakeSettings(rescore_ratio=float("nan"))


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


def _anchored_still_reference(orient, threshold, span, tolerance, medians, min_back):
    """The rule of anchored_still written plainly, one segment at a time (the specification)."""
    def angle(a, b):
        cos = np.sum(a * b, axis=-1) / np.maximum(
            np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
        return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))

    n = orient.shape[0]
    still = np.zeros(n, dtype=bool)
    still[0] = True
    anchor = previous = orient[0]
    i = 1
    while i < n:
        if angle(orient[i], anchor) < threshold:
            still[i] = True
            previous, anchor = anchor, orient[i]
            i += 1
            continue
        stop = min(i + span, n)
        back = ((angle(orient[i:stop], anchor) < tolerance)
                | (angle(orient[i:stop], previous) < tolerance))
        back |= (angle(medians[i:stop], anchor) < tolerance).sum(axis=1) >= min_back
        if back.any():
            j = i + int(np.argmax(back))
            still[i: j + 1] = True
            i = j + 1
        else:
            previous = anchor = orient[i]
            i += 1
    return still


@pytest.mark.parametrize("seed", range(4))
def test_anchored_still_follows_the_rule_segment_by_segment(seed):
    """Runs of small changes are taken at once: the same result as one segment at a time."""
    rng = np.random.default_rng(seed)
    for _ in range(30):
        n = int(rng.integers(1, 250))
        steps = rng.normal(0.0, 0.02, (n, 3))
        moves = rng.random(n) < 0.2                         # movements of 5-30 degrees
        steps[moves] += rng.normal(0.0, 0.3, (int(moves.sum()), 3))
        returns = rng.random(n) < 0.5                       # half of them come back
        orient = REST + np.cumsum(steps * ~returns[:, None], axis=0) + steps * returns[:, None]
        medians = orient[:, None, :] + rng.normal(0.0, 0.01, (n, 5, 3))
        args = (orient, rng.uniform(1.0, 4.0), int(rng.integers(0, 5)), rng.uniform(1.0, 4.0))
        back = int(rng.integers(1, 6))
        assert np.array_equal(anchored_still(*args, medians=medians, min_back=back),
                              _anchored_still_reference(*args, medians, back))


def test_run_rules_at_the_edges():
    from plms.signal.accel.sleepwake_rules import (
        covered, lone_breaks, mark_brief_wake, rescore_after_wake,
    )

    assert not lone_breaks(np.ones(6, dtype=bool), 2, 1).any()          # no break at all
    # breaks at the very start and end count the record's edges as far away
    still = np.array([False] + [True] * 4 + [False])
    assert lone_breaks(still, 4, 1).astype(int).tolist() == [1, 0, 0, 0, 0, 1]
    assert lone_breaks(still, 5, 1).astype(int).tolist() == [0] * 6     # only 4 between
    # wake from each mark to one segment after it, clipped at the end
    marks = np.array([True, False, False, True, False])
    assert mark_brief_wake(np.ones(5, dtype=bool), marks, 0, 1).astype(int).tolist() == [
        0, 0, 1, 0, 0]
    # lights off at segment 3: the first 2 segments after it are rescored (those before
    # it are left to the hypnogram's time in bed)
    assert rescore_after_wake(np.ones(8, dtype=bool), 3, 5, 2).astype(int).tolist() == [
        1, 1, 1, 0, 0, 1, 1, 1]
    # the onset has its own length; a bout in the night keeps ratio x bout, at most rescore:
    # sleep 0-5, wake 6-9 (4 segments), sleep 10-19; lights off at 0
    sleep = np.array([True] * 6 + [False] * 4 + [True] * 10)
    got = rescore_after_wake(sleep, 0, 2, 3, ratio=0.5, onset=5)
    assert got.astype(int).tolist() == [0] * 5 + [1] + [0] * 4 + [0, 0] + [1] * 8
    got = rescore_after_wake(sleep, 0, 2, 3, ratio=1.0, onset=0)       # bout 4 -> capped at 3
    assert got.astype(int).tolist() == [1] * 6 + [0] * 4 + [0, 0, 0] + [1] * 7
    assert rescore_after_wake(sleep, 0, 2, 0, onset=5).tolist() == sleep.tolist()  # all off
    assert covered(4, [], []).tolist() == [False] * 4


def test_leading_nan_keeps_the_rolling_median_it_had():
    """NaN before the first valid sample stays NaN in the orientation; the rolling median
    of such a record is scipy's (its NaN handling is its own), as before the numpy filter."""
    from scipy.ndimage import median_filter

    acc = _still(3.0)
    acc[: int(20 * FS)] = np.nan
    medians = segment_medians(acc, FS, 5.0)
    step = int(FS // 5.0)
    work = acc[: acc.shape[0] // step * step].reshape(-1, step, 3).mean(axis=1)
    expected = median_filter(work, size=(25, 1), mode="nearest")
    assert np.array_equal(medians.reshape(-1, 3), expected[: medians.size // 3], equal_nan=True)
