"""A detached electrode whose mains pick-up is notched out or sits next to Nyquist (issue 14).

The signals are built here with a known truth: where the electrode is off,
and where the movements are. Nothing is scored inside a detached stretch;
raised tone that ramps up and a posture step between quiet levels are not
taken for one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from plms.signal.emg.artifacts import (
    DetachedSettings,
    detached_level_intervals,
    electrode_off_intervals,
    merge_intervals,
)
from plms.signal.emg.detect import detect_leg
from plms.simulate import NightSpec, simulate_night
from plms.simulate.conditions import condition_spec
from plms.validation.agreement import match_events

REST_SD_UV = 3.0
MOVE_SD_UV = 60.0
MOVE_S = 2.0
OFF = (300.0, 480.0)          # the electrode is off here, s
DURATION_S = 780.0
#: Movements every 20 s, none within 15 s of the detached stretch.
MOVES = [t for t in np.arange(20.0, DURATION_S - 20.0, 20.0)
         if t + MOVE_S < OFF[0] - 15.0 or t > OFF[1] + 15.0]


def _night(fs: float, *, mains_hz: float | None, notch: bool, seed: int = 0) -> np.ndarray:
    """Resting EMG with movements; in OFF, open-input noise (and mains) with a pop at each end."""
    rng = np.random.default_rng(seed)
    n = int(DURATION_S * fs)
    t = np.arange(n) / fs
    sd = np.full(n, REST_SD_UV)
    for m in MOVES:
        sd[(t >= m) & (t < m + MOVE_S)] = MOVE_SD_UV
    x = sd * rng.standard_normal(n)
    off = (t >= OFF[0]) & (t < OFF[1])
    x[off] = 40.0 * rng.standard_normal(int(off.sum()))
    if mains_hz is not None:
        x[off] += 800.0 * np.sin(2 * np.pi * mains_hz * t[off])
    for edge in OFF:                               # electrode pops at detachment and back
        k = t >= edge
        x[k] += 2000.0 * np.exp(-(t[k] - edge) / 0.05)
    if notch and mains_hz is not None:
        b, a = signal.iirnotch(mains_hz, 30.0, fs=fs)
        x = signal.lfilter(b, a, x)
    return x


def _covers(intervals: np.ndarray, a: float, b: float) -> bool:
    union = merge_intervals(intervals)
    return bool(((union[:, 0] <= a) & (union[:, 1] >= b)).any())


def _check(det, rules: str) -> None:
    ex = det.excluded.to_numpy()
    iv = np.column_stack([ex[:, 0], ex[:, 0] + ex[:, 1]]) if ex.size else np.zeros((0, 2))
    assert _covers(iv, *OFF), f"detached stretch {OFF} not excluded under {rules}: {iv.tolist()}"
    # nothing excluded far from it
    assert (iv[:, 0] >= OFF[0] - 5.0).all() and (iv[:, 1] <= OFF[1] + 5.0).all()
    ev = det.events
    inside = ev[(ev.onset + ev.duration > OFF[0]) & (ev.onset < OFF[1])]
    assert inside.empty, inside
    truth = {"onset": MOVES, "duration": [MOVE_S] * len(MOVES)}
    agreement = match_events(pd.DataFrame(truth), ev.reset_index(drop=True))
    assert agreement.f1 == 1.0


@pytest.mark.parametrize("rules", ["wasm2016", "aasm"])
def test_notched_detached_electrode_is_excluded(rules):
    """200 Hz, 50-Hz mains notched by the amplifier: no hum left to see."""
    fs = 200.0
    x = _night(fs, mains_hz=50.0, notch=True)
    det = detect_leg(x, fs, rules=rules)
    _check(det, rules)


@pytest.mark.parametrize("rules", ["wasm2016", "aasm"])
def test_detached_electrode_with_60_hz_at_128_hz(rules):
    """128 Hz, 60-Hz mains: the line lies 4 Hz below Nyquist, above the EMG band."""
    fs = 128.0
    x = _night(fs, mains_hz=60.0, notch=False)
    det = detect_leg(x, fs, rules=rules)
    _check(det, rules)


def test_mains_test_sees_60_hz_at_128_hz():
    fs = 128.0
    x = _night(fs, mains_hz=60.0, notch=False)
    iv = electrode_off_intervals(x, fs)
    assert _covers(iv, OFF[0] + 2.0, OFF[1] - 2.0)


def test_ramping_raised_tone_is_not_detached():
    """Tone raised x4 over a 30-s ramp for 5 min, with movements on it: scored, not excluded."""
    lv = np.full(900, 5.0)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(30) / 30)
    lv[300:330] = 5.0 * (1 + 3 * ramp)
    lv[330:600] = 20.0
    lv[600:630] = 5.0 * (1 + 3 * ramp[::-1])
    assert detached_level_intervals(lv).size == 0


def test_raised_tone_with_a_movement_on_its_ramp_is_not_detached():
    """The same, with a movement on the ramp making the jump from rest."""
    lv = np.full(900, 5.0)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(30) / 30)
    lv[300:330] = 5.0 * (1 + 3 * ramp)
    lv[330:600] = 20.0
    lv[600:630] = 5.0 * (1 + 3 * ramp[::-1])
    lv[318:322] = 140.0
    assert detached_level_intervals(lv).size == 0


def test_quiet_posture_step_is_not_detached():
    """Resting tone 2 -> 6 -> 2 uV at posture changes: less than the onset threshold above."""
    lv = np.full(900, 2.0)
    lv[300:600] = 6.0
    assert detached_level_intervals(lv).size == 0


def test_stretch_with_movements_is_not_detached():
    """A sustained high level holding movements (bursts every 5 s) is muscle, not an open input."""
    lv = np.full(900, 3.0)
    lv[300:600] = 30.0
    lv[302:600:5] = 100.0
    lv[303:600:5] = 100.0
    assert detached_level_intervals(lv).size == 0


def test_detached_until_the_end_of_the_record():
    lv = np.full(600, 3.0)
    lv[400:] = 30.0
    assert detached_level_intervals(lv).tolist() == [[398.0, 600.0]]


@pytest.mark.parametrize("field, value", [("level_ratio", 0.5), ("smooth_blocks", 0),
                                          ("min_duration_s", 0.0), ("edge_s", -1.0),
                                          ("min_edge_share", 1.5)])
def test_settings_reject_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        DetachedSettings(**{field: value})


@pytest.mark.parametrize("condition, seed, fs", [("amplifier", 3, 128), ("amplifier", 2, 200),
                                                 ("mains_harmonics", 3, 128)])
def test_generated_night_detached_leg(condition, seed, fs):
    """The detached leg of a generated 1-h night: F1 >= 0.97 against the truth."""
    spec = condition_spec(condition, NightSpec(duration_h=1.0, fs_leg=fs, leg_unit="uV"))
    night = simulate_night(seed=seed, spec=spec)
    off = night.artifacts[night.artifacts.kind == "electrode_off"].iloc[0]
    label = night.left_label if off.side == "left" else night.right_label
    ch = night.signals[label]
    det = detect_leg(ch.as_uv(), ch.fs, rules="wasm2016", heartbeats_s=night.beats_s)
    truth = night.truth_lms[night.truth_lms.side == off.side].reset_index(drop=True)
    assert match_events(truth, det.events).f1 >= 0.97


@pytest.mark.parametrize("onset_uv, flagged", [(8.0, True), (12.0, False)])
def test_the_least_excess_of_a_detached_stretch_is_the_rules_onset_threshold(onset_uv, flagged):
    """1-s levels of 3 µV with 200 s at 13 µV: 4.3 times the rest and 10 µV above it.

    Under the rules' 8-µV onset threshold that is a detached electrode; a
    preset whose onset threshold is 12 µV asks for more than the 10-µV excess.
    """
    import dataclasses

    from plms.rules import WASM2016

    levels = np.full(600, 3.0)
    levels[200:400] = 13.0
    rules = dataclasses.replace(WASM2016, name="onset-test", lm_onset_above_baseline_uv=onset_uv)
    found = detached_level_intervals(levels, DetachedSettings(), rules)
    assert (len(found) == 1) is flagged
    if flagged:
        assert found[0, 0] <= 200.0 and found[0, 1] >= 400.0


def _movement_at_128_hz(line_uv: float) -> np.ndarray:
    """60 s of 3-µV rest at 128 Hz with a 2-s movement at 30 s made of sines every
    1 Hz from 19 to 49 Hz (100 µV each) and none above 53 Hz (the recorder's
    anti-alias roll-off), whose 50-Hz sine has ``line_uv``."""
    fs = 128.0
    t = np.arange(int(60 * fs)) / fs
    x = np.random.default_rng(3).normal(0.0, 3.0, t.size)
    burst = (t >= 30.0) & (t < 32.0)
    rng = np.random.default_rng(4)
    for f in np.arange(19.0, 50.0, 1.0):
        x[burst] += 100.0 * np.sin(2 * np.pi * f * t[burst] + rng.uniform(0, 2 * np.pi))
    x[burst] += line_uv * np.sin(2 * np.pi * 50.0 * t[burst])
    return x


def test_movement_with_a_strong_50_hz_bin_at_128_hz_is_not_detached():
    # The neighbours above 50 Hz are empty (the roll-off): averaged with the ones
    # below (100 µV), the 300-µV line stood 6 times above the mean of 43, 46, 54
    # and 57 Hz and the movement was taken for hum; each side on its own, it
    # stands 3 times above the side below, and is kept.
    assert electrode_off_intervals(_movement_at_128_hz(300.0), 128.0).size == 0


def test_hum_standing_above_both_sides_at_128_hz_is_detached():
    # the same block with 50-Hz hum of 800 µV (8 times the side below): off
    iv = electrode_off_intervals(_movement_at_128_hz(800.0), 128.0)
    assert iv.shape == (1, 2) and iv[0, 0] <= 30.0 and iv[0, 1] >= 32.0
