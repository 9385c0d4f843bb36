"""Heart beats of irregular rhythms and ectopic beats, and their gate in the leg EMG (issue 14).

The ECGs and legs here are built beat by beat, so the beats, which of them
are ectopic and where the movements are, are known by construction: an
atrial-fibrillation-like rhythm (RR 0.45-1.3 s), regular rhythms of 40-150
bpm, and ectopic beats with a wide QRS of the other polarity that leave twice
the usual QRS, wider, in the legs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plms.signal.emg.cardiac import (
    Heartbeats,
    detect_heartbeats,
    detect_r_peaks,
    leg_artifact_extent,
)
from plms.signal.emg.detect import DetectorSettings, detect_leg
from plms.simulate import NightSpec, simulate_night
from plms.simulate.conditions import condition_spec
from plms.validation.agreement import match_events

#: A found beat within this of a true one is that beat, s.
BEAT_TOLERANCE_S = 0.1
#: Onsets and offsets of the constructed movements are found within this, s: a
#: movement edge inside a beat's gate moves to the gate's edge (an ectopic
#: beat's gate is up to ~0.3 s long).
EDGE_TOLERANCE_S = 0.3
#: (amplitude uV, centre s from R, sd s) of the normal complex (no P: atrial fibrillation) ...
NORMAL_WAVES = ((-100.0, -0.035, 0.010), (1000.0, 0.0, 0.011), (-250.0, 0.035, 0.012),
                (300.0, 0.28, 0.05))
#: ... and of the ectopic one: wide QRS, other polarity, inverted T.
ECTOPIC_WAVES = ((-1400.0, 0.0, 0.035), (400.0, 0.07, 0.03), (350.0, 0.3, 0.06))


def _waves(t: np.ndarray, beats: np.ndarray, waves: tuple) -> np.ndarray:
    x = np.zeros(t.size)
    for b in beats:
        lo, hi = np.searchsorted(t, [b - 0.4, b + 0.6])
        tt = t[lo:hi] - b
        x[lo:hi] += sum(a * np.exp(-0.5 * ((tt - c) / s) ** 2) for a, c, s in waves)
    return x


def _rhythm(rng: np.random.Generator, duration_s: float, rr_s: tuple[float, float],
            ectopic_every: int) -> tuple[np.ndarray, np.ndarray]:
    """Beat times with RR uniform in ``rr_s``; every n-th beat early (0.45 s) and ectopic."""
    rr = rng.uniform(*rr_s, size=int(duration_s / min(rr_s[0], 0.45)) + 2)
    ectopic = np.zeros(rr.size, dtype=bool)
    ectopic[ectopic_every::ectopic_every] = True
    rr[ectopic] = np.minimum(rr[ectopic], 0.45)
    beats = 0.7 + np.cumsum(rr)
    keep = beats < duration_s - 0.7
    return beats[keep], ectopic[keep]


def _ecg(rng: np.random.Generator, fs: float, duration_s: float, beats: np.ndarray,
         ectopic: np.ndarray) -> np.ndarray:
    t = np.arange(int(duration_s * fs)) / fs
    wander = 60.0 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 2 * np.pi))
    return (_waves(t, beats[~ectopic], NORMAL_WAVES) + _waves(t, beats[ectopic], ECTOPIC_WAVES)
            + wander + rng.normal(0.0, 6.0, t.size))


def _sensitivity_ppv(truth: np.ndarray, found: np.ndarray) -> tuple[float, float]:
    def hits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        i = np.clip(np.searchsorted(b, a), 1, b.size - 1)
        return np.minimum(np.abs(b[i - 1] - a), np.abs(b[i] - a)) <= BEAT_TOLERANCE_S
    return float(hits(truth, found).mean()), float(hits(found, truth).mean())


@pytest.mark.parametrize("fs", [128.0, 200.0, 512.0])
def test_every_beat_of_an_irregular_rhythm_is_found_and_ectopic_beats_are_marked(fs):
    rng = np.random.default_rng(int(fs))
    beats, ectopic = _rhythm(rng, 300.0, (0.45, 1.3), ectopic_every=9)
    found = detect_heartbeats(_ecg(rng, fs, 300.0, beats, ectopic), fs)
    sensitivity, ppv = _sensitivity_ppv(beats, found.times_s)
    assert sensitivity == 1.0 and ppv == 1.0
    # which found beat is which true beat: the nearest
    nearest = np.abs(found.times_s[:, None] - beats[None, :]).argmin(axis=1)
    np.testing.assert_array_equal(found.other_shape, ectopic[nearest])
    np.testing.assert_array_equal(detect_r_peaks(_ecg(np.random.default_rng(int(fs)), fs, 300.0,
                                                      beats, ectopic), fs).size, beats.size)


@pytest.mark.parametrize("bpm", [40, 60, 90, 120, 150])
def test_beats_are_found_at_40_to_150_bpm_with_ectopic_beats(bpm):
    rng = np.random.default_rng(bpm)
    rr = 60.0 / bpm
    beats, ectopic = _rhythm(rng, 240.0, (0.97 * rr, 1.03 * rr), ectopic_every=7)
    found = detect_heartbeats(_ecg(rng, 256.0, 240.0, beats, ectopic), 256.0)
    assert _sensitivity_ppv(beats, found.times_s) == (1.0, 1.0)
    assert found.other_shape.sum() == ectopic.sum()


def test_a_regular_rhythm_has_no_beat_of_another_shape():
    rng = np.random.default_rng(7)
    beats, ectopic = _rhythm(rng, 300.0, (0.8, 1.0), ectopic_every=10**6)
    found = detect_heartbeats(_ecg(rng, 256.0, 300.0, beats, ectopic), 256.0)
    assert found.times_s.size == beats.size and not found.other_shape.any()


def _leg(rng: np.random.Generator, fs: float, duration_s: float, beats: np.ndarray,
         ectopic: np.ndarray, movements: list[tuple[float, float]]) -> np.ndarray:
    """Rest of 3 uV RMS, the beats' QRS (60 uV, 0.08 s; ectopic: 120 uV, 0.2 s, other sign)
    and movements (onset, duration) of 40 uV RMS."""
    t = np.arange(int(duration_s * fs)) / fs
    x = rng.normal(0.0, 3.0, t.size)
    for b, e in zip(beats, ectopic, strict=True):
        sd, size = (0.033, -120.0) if e else (0.013, 60.0)
        lo, hi = np.searchsorted(t, [b - 3 * sd, b + 3 * sd])
        tt = (t[lo:hi] - b) / sd
        x[lo:hi] += size * tt * np.exp(0.5 - 0.5 * tt ** 2)   # a biphasic spike of peak |size|
    for onset, duration in movements:
        lo, hi = np.searchsorted(t, [onset, onset + duration])
        x[lo:hi] += rng.normal(0.0, 40.0, hi - lo)
    return x


@pytest.mark.parametrize("rules", ["aasm", "wasm2016"])
def test_ectopic_beats_in_a_fast_irregular_rhythm_make_no_movement(rules):
    fs, duration = 256.0, 600.0
    rng = np.random.default_rng(11)
    beats, ectopic = _rhythm(rng, duration, (0.45, 1.0), ectopic_every=8)
    movements = [(float(m), 2.0) for m in np.arange(30.0, 580.0, 25.0)]
    ecg = _ecg(rng, fs, duration, beats, ectopic)
    leg = _leg(rng, fs, duration, beats, ectopic, movements)
    truth = pd.DataFrame(movements, columns=["onset", "duration"])
    found = detect_leg(leg, fs, rules=rules, heartbeats_s=detect_heartbeats(ecg, fs)).events
    agreement = match_events(truth, found)
    assert agreement.n_test == len(truth) and agreement.f1 == 1.0
    assert np.abs(found.onset.to_numpy() - truth.onset.to_numpy()).max() < EDGE_TOLERANCE_S
    assert np.abs((found.onset + found.duration).to_numpy()
                  - (truth.onset + truth.duration).to_numpy()).max() < EDGE_TOLERANCE_S


def test_the_gate_of_ectopic_beats_follows_their_artifact_on_the_leg():
    rate = 100.0
    sums, counts = np.full(12000, 3.0), np.ones(12000)
    beats = np.arange(1.0, 118.0, 0.9)
    for b in beats:
        k = int(b * rate)
        sums[k - 15: k + 8] = 50.0                      # -150 ms to +80 ms
    sums[3000:3300] = 80.0                              # a movement over a few beats
    extent = leg_artifact_extent(sums, counts, rate, beats, span_s=0.3, margin_uv=1.0,
                                 min_beats=20)
    assert extent == pytest.approx((0.16, 0.08))
    assert leg_artifact_extent(sums, counts, rate, beats[:19], span_s=0.3, margin_uv=1.0,
                               min_beats=20) is None
    flat = leg_artifact_extent(np.full(12000, 3.0), counts, rate, beats, span_s=0.3,
                               margin_uv=1.0, min_beats=20)
    assert flat is None


def test_heartbeats_need_one_mark_per_beat_and_a_positive_rate():
    with pytest.raises(ValueError, match="same length"):
        Heartbeats(np.zeros(3), np.zeros(2, dtype=bool))
    with pytest.raises(ValueError, match="positive"):
        detect_heartbeats(np.zeros(100), 0.0)
    with pytest.raises(ValueError, match="other_shape_margin_share"):
        DetectorSettings(other_shape_margin_share=-1.0)


@pytest.mark.parametrize("seed", [0, 3])
def test_generated_irregular_nights_beats_and_movements(seed):
    spec = condition_spec("irregular_rhythm", NightSpec(duration_h=0.6, fs_leg=(512, 256, 200,
                                                                                128)[seed % 4]))
    night = simulate_night(seed=seed, spec=spec)
    ecg = night.signals[night.ecg_label]
    found = detect_heartbeats(ecg.data, ecg.fs)
    assert _sensitivity_ppv(night.beats_s, found.times_s) == (1.0, 1.0)
    marked = found.times_s[found.other_shape]
    assert _sensitivity_ppv(night.ectopic_s, marked) == (1.0, 1.0)
    for side, label in (("left", night.left_label), ("right", night.right_label)):
        ch = night.signals[label]
        det = detect_leg(ch.as_uv(), ch.fs, rules="aasm", heartbeats_s=found)
        truth = night.truth_lms[night.truth_lms.side == side]
        assert match_events(truth, det.events).f1 >= 0.97, side


def test_a_generated_regular_night_has_no_beat_of_another_shape():
    night = simulate_night(seed=1, spec=NightSpec(duration_h=0.5, fs_leg=256))
    ecg = night.signals[night.ecg_label]
    found = detect_heartbeats(ecg.data, ecg.fs)
    assert _sensitivity_ppv(night.beats_s, found.times_s) == (1.0, 1.0)
    assert not found.other_shape.any()
