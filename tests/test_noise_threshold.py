"""Thresholds that respect the resting noise (issue 14, docs/DETECTION.md).

Constructed leg EMG with known truth: Gaussian noise whose mean rectified
amplitude is the resting tone (x sqrt(pi/2) for the standard deviation), a
stretch of raised resting tone, and movements of known onset, length and
amplitude added to the tone. The rectified noise of a 30-µV tone crosses
baseline + 8 µV by itself; a movement of 60 µV on it is a movement.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import plms
from plms.rules import AASM, WASM2016
from plms.signal.emg.baseline import resting_baseline, resting_baseline_and_noise
from plms.signal.emg.detect import DetectorSettings, detect_leg
from plms.signal.emg.thresholds import noise_thresholds
from plms.simulate import NightSpec, SimChannel, simulate_night, write_edf

FS = 256.0
#: Standard deviation of Gaussian noise per µV of mean rectified amplitude.
SD_PER_LEVEL = float(np.sqrt(np.pi / 2.0))
REST_UV = 3.0            # an ordinary resting tone
RAISED_UV = 30.0         # a raised-tone stretch (x10 of REST_UV: well above the x3-4.5)
RAISED_S = (120.0, 420.0)  # 5 min of raised tone, ramps included
RAMP_S = 30.0            # the tone rises and falls over 30 s
DURATION_S = 600.0
#: (onset s, length s, amplitude µV above the tone): two outside the raised
#: stretch, three inside it.
MOVEMENTS = ((40.0, 1.5, 40.0), (80.0, 3.0, 25.0),
             (200.0, 2.0, 60.0), (260.0, 1.0, 80.0), (330.0, 4.0, 50.0))
ONSET_TOLERANCE_S = 0.15
OFFSET_TOLERANCE_S = 0.3


def _tone(t: np.ndarray, raised: bool) -> np.ndarray:
    """The resting tone (mean rectified µV) at times ``t``."""
    tone = np.full(t.size, REST_UV)
    if raised:
        # muscle tone builds up and relaxes over seconds (a step within 2 s to a
        # steady level is what a detached electrode looks like, docs/DETECTION.md)
        up = np.clip((t - RAISED_S[0]) / RAMP_S, 0.0, 1.0)
        down = np.clip((RAISED_S[1] - t) / RAMP_S, 0.0, 1.0)
        tone += (RAISED_UV - REST_UV) * np.minimum(up, down)
    return tone


def _emg(seed: int, raised: bool = True, movements: tuple = MOVEMENTS) -> np.ndarray:
    """Constructed EMG (µV): the tone plus the movements' amplitude, times unit noise."""
    t = np.arange(int(DURATION_S * FS)) / FS
    amp = _tone(t, raised)
    for onset, length, size in movements:
        amp[(t >= onset) & (t < onset + length)] += size
    rng = np.random.default_rng(seed)
    return rng.standard_normal(t.size) * amp * SD_PER_LEVEL


@pytest.mark.parametrize("rules", [WASM2016, AASM], ids=["wasm2016", "aasm"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raised_tone_makes_no_movements_and_keeps_the_true_ones(seed, rules):
    det = detect_leg(_emg(seed), FS, rules=rules)
    ev = det.events
    assert len(ev) == len(MOVEMENTS), ev[["onset", "duration"]].to_string()
    for (onset, length, _), (_, row) in zip(MOVEMENTS, ev.iterrows(), strict=True):
        assert abs(row.onset - onset) < ONSET_TOLERANCE_S
        assert abs(row.onset + row.duration - (onset + length)) < OFFSET_TOLERANCE_S


def test_raised_tone_alone_is_no_movement():
    quiet = detect_leg(_emg(3, movements=()), FS)
    assert quiet.events.empty, quiet.events.to_string()


def test_high_tone_minutes_are_the_raised_stretch():
    det = detect_leg(_emg(4), FS)
    plateau_min = (RAISED_S[1] - RAISED_S[0] - 2 * RAMP_S) / 60.0
    raised_min = (RAISED_S[1] - RAISED_S[0]) / 60.0
    # the plateau at least; the +-30-s windows reach 0.5 min past the stretch at most
    assert plateau_min - 0.1 <= det.high_tone_min <= raised_min + 1.0
    ordinary = detect_leg(_emg(4, raised=False), FS)
    assert ordinary.high_tone_min == 0.0


def test_ordinary_tone_keeps_the_rules_thresholds():
    """At an ordinary tone the thresholds are the rules' 8 and 2 µV everywhere."""
    emg = _emg(5, raised=False)
    det = detect_leg(emg, FS)
    env = det.envelope.astype(np.float64)
    _, noise = resting_baseline_and_noise(env, det.rate_hz, quiet_margin_uv=2.0)
    onset, offset = noise_thresholds(noise, WASM2016, DetectorSettings().noise_onset_sd,
                                     DetectorSettings().noise_offset_sd)
    assert np.all(onset == WASM2016.lm_onset_above_baseline_uv)
    assert np.all(offset == WASM2016.lm_offset_above_baseline_uv)
    assert len(det.events) == len(MOVEMENTS)
    for (onset, _, _), found in zip(MOVEMENTS, det.events.onset, strict=True):
        assert abs(found - onset) < ONSET_TOLERANCE_S

def test_noise_estimate_is_the_resting_envelopes_sd_and_ignores_movements():
    rng = np.random.default_rng(6)
    env = 30.0 + 4.0 * rng.standard_normal(60_000)          # 10 min at 100 Hz, sd 4 µV
    for start in range(5_000, 55_000, 1_500):               # a 4-s movement every 15 s
        env[start: start + 400] += 50.0
    base, sd = resting_baseline_and_noise(env, 100.0, quiet_margin_uv=2.0)
    assert np.all(np.abs(sd - 4.0) < 0.4)
    np.testing.assert_array_equal(base, resting_baseline(env, 100.0, quiet_margin_uv=2.0))


def test_noise_thresholds_raise_only_above_the_rules():
    sd = np.array([0.0, 1.0, 1.6, 2.0, 6.0, np.nan])
    onset, offset = noise_thresholds(sd, WASM2016, 5.0, 2.0)
    np.testing.assert_allclose(onset, [8.0, 8.0, 8.0, 10.0, 30.0, 8.0])
    np.testing.assert_allclose(offset, [2.0, 2.0, 2.0, 4.0, 12.0, 2.0])
    assert np.isnan(sd[-1])                                 # the input is not modified


@pytest.mark.parametrize("name", ["noise_onset_sd", "noise_offset_sd"])
def test_negative_noise_factor_is_refused(name):
    with pytest.raises(ValueError, match=name):
        DetectorSettings(**{name: -1.0})


def test_summary_reports_high_tone_minutes_per_leg_with_a_warning(tmp_path):
    spec = NightSpec(duration_h=0.25, fs_leg=256, plm_severity=30.0)
    night = simulate_night(seed=7, spec=spec)
    left = night.signals[night.left_label]
    n = left.data.size
    t = np.arange(n) / left.fs
    rng = np.random.default_rng(7)
    # 3 min of a 30-µV tone, rising and falling over RAMP_S (as _tone)
    raised = np.clip(np.minimum(t - 300.0, 480.0 - t) / RAMP_S, 0.0, 1.0)
    data = left.as_uv() + rng.standard_normal(n) * raised * RAISED_UV * SD_PER_LEVEL
    signals = dict(night.signals)
    signals[night.left_label] = SimChannel(data, left.fs, "uV")
    path = write_edf(dataclasses.replace(night, signals=signals), tmp_path / "tone.edf",
                     extra_channels=False)
    summary = plms.score_edf(path).summary
    assert 2.5 <= summary["high_tone_min"]["left"] <= 4.0
    assert summary["high_tone_min"]["right"] == 0.0
    assert any("high resting tone" in w and "Leg L" in w for w in summary["warnings"])
    assert not any("high resting tone" in w and "Leg R" in w for w in summary["warnings"])
