"""Heart beats found in the legs' own cardiac artifact when there is no ECG channel (issue 14).

The legs here are built beat by beat: resting EMG (white noise), a QRS-like
complex at every beat (stronger in one leg), ectopic beats twice as large,
wider and of the other polarity, and movements where wanted; so the beats
and movements are known by construction.
"""

from __future__ import annotations

import numpy as np
import pytest

from plms.pipeline.core import LegSignal
from plms.pipeline.emg import detect_legs
from plms.rules import get_rules
from plms.signal.emg.detect import DetectorSettings, condition_leg
from plms.signal.emg.leg_beats import LegBeatSettings, LegTrace, heartbeats_from_legs
from plms.simulate import NightSpec, simulate_night
from plms.simulate.conditions import condition_spec
from plms.validation.agreement import match_events

FS = 256.0
DURATION_S = 300.0
#: A found beat within this of a true one is that beat, s.
BEAT_TOLERANCE_S = 0.1
#: Resting EMG, µV (standard deviation of the white noise).
REST_SD_UV = 3.0
#: Peak of the QRS-like complex in the strong and the weak leg, µV; its width, s.
QRS_UV = (50.0, 20.0)
QRS_WIDTH_S = 0.08
#: Ectopic complexes: this times larger and this times wider, of the other polarity.
ECTOPIC_GAIN, ECTOPIC_WIDTH = 2.0, 1.8
NO_BEATS = DetectorSettings(leg_beats=LegBeatSettings(enabled=False))


def _complex(t: np.ndarray, width: float) -> np.ndarray:
    """A biphasic QRS-like wave (Gaussian and its derivative) of peak |1|."""
    sd = width / 6.0
    g = np.exp(-0.5 * (t / sd) ** 2)
    wave = 0.6 * g - 0.8 * (t / sd) * g
    return wave / np.max(np.abs(wave))


def _legs(beats: np.ndarray, ectopic: np.ndarray, sizes: tuple[float, float],
          seed: int = 0, movements: tuple[tuple[float, float], ...] = ()) -> dict[str, np.ndarray]:
    """Two legs (µV) with the complexes of ``beats`` at ``sizes`` µV and 50-µV movements."""
    rng = np.random.default_rng(seed)
    n = int(DURATION_S * FS)
    t = np.arange(n) / FS
    legs = {}
    for side, size in zip(("left", "right"), sizes, strict=True):
        x = rng.standard_normal(n) * REST_SD_UV
        for onset, length in movements:
            on = (t >= onset) & (t < onset + length)
            x[on] += rng.standard_normal(int(on.sum())) * 50.0
        half = int(0.3 * FS)
        tt = np.arange(-half, half + 1) / FS
        normal, wide = _complex(tt, QRS_WIDTH_S), -_complex(tt, QRS_WIDTH_S * ECTOPIC_WIDTH)
        for b, e in zip(beats, ectopic, strict=True):
            k = int(round(b * FS))
            if half <= k < n - half:
                x[k - half: k + half + 1] += size * (ECTOPIC_GAIN * wide if e else normal)
        legs[side] = x
    return legs


def _found(legs: dict[str, np.ndarray]):
    traces = {}
    for side, x in legs.items():
        c = condition_leg(x, FS)
        traces[side] = LegTrace(c.sums, c.counts, c.rate_hz, x, FS)
    return heartbeats_from_legs(traces)


def _agreement(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Sensitivity and PPV of ``found`` against ``truth`` (nearest within the tolerance)."""
    def near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if b.size == 0:
            return np.zeros(a.size, dtype=bool)
        gap = np.abs(a[:, None] - b[None, :]).min(axis=1)
        return gap <= BEAT_TOLERANCE_S
    return float(near(truth, found).mean()), float(near(found, truth).mean())


@pytest.mark.parametrize("bpm", [40.0, 90.0, 150.0])
def test_regular_rhythms_are_found_in_the_legs(bpm):
    beats = np.arange(1.0, DURATION_S - 1.0, 60.0 / bpm)
    found = _found(_legs(beats, np.zeros(beats.size, dtype=bool), QRS_UV))
    assert found.heartbeats is not None and found.sides[0] == "left"
    sens, ppv = _agreement(found.heartbeats.times_s, beats)
    assert sens >= 0.99 and ppv >= 0.99, (sens, ppv)
    assert not found.heartbeats.other_shape.any()


def test_irregular_rhythm_with_ectopic_beats_is_found_and_marked():
    rng = np.random.default_rng(7)
    rr = rng.uniform(0.45, 1.3, size=int(DURATION_S / 0.45))
    ectopic = np.zeros(rr.size, dtype=bool)
    ectopic[6::9] = True
    rr[ectopic] = 0.5                          # early, then the usual pause after it
    beats = 1.0 + np.cumsum(rr)
    keep = beats < DURATION_S - 1.0
    beats, ectopic = beats[keep], ectopic[keep]
    found = _found(_legs(beats, ectopic, QRS_UV, seed=1))
    assert found.heartbeats is not None
    times, other = found.heartbeats.times_s, found.heartbeats.other_shape
    sens, ppv = _agreement(times, beats)
    assert sens >= 0.98 and ppv >= 0.98, (sens, ppv)
    ect_sens, ect_ppv = _agreement(times[other], beats[ectopic])
    assert ect_sens >= 0.9 and ect_ppv >= 0.9, (ect_sens, ect_ppv)


def test_legs_without_cardiac_pick_up_show_no_beats_and_change_nothing():
    beats = np.arange(1.0, DURATION_S - 1.0, 0.8)
    movements = tuple((float(s), 1.5) for s in np.arange(20.0, DURATION_S - 20.0, 25.0))
    legs = _legs(beats, np.zeros(beats.size, dtype=bool), (0.0, 0.0), seed=2,
                 movements=movements)
    found = _found(legs)
    assert found.heartbeats is None and found.n_beats == 0
    assert not any(c.accepted for c in found.checks.values())
    signals = {side: LegSignal(side, x, FS) for side, x in legs.items()}
    rules = get_rules("aasm")
    with_search, _, warnings = detect_legs(signals, rules, heartbeats_s=None,
                                           settings=DetectorSettings(), threads=1)
    without, _, _ = detect_legs(signals, rules, heartbeats_s=None, settings=NO_BEATS,
                                threads=1)
    assert with_search.equals(without) and len(without) == 2 * len(movements)
    assert any("no cardiac artifact found in the leg channels" in w for w in warnings)


def test_generated_night_without_ecg_channel_is_scored_with_leg_beats():
    spec = condition_spec("irregular_rhythm", NightSpec(duration_h=0.5, fs_leg=256,
                                                        ecg_channel=False))
    night = simulate_night(3, spec)
    assert night.ecg_label not in night.signals and night.beats_s.size > 0
    legs = {side: LegSignal(night.label_of(side), night.signals[night.label_of(side)].as_uv(),
                            night.signals[night.label_of(side)].fs)
            for side in ("left", "right")}
    lms, _, warnings = detect_legs(legs, get_rules("aasm"), heartbeats_s=None,
                                   settings=DetectorSettings(), threads=1)
    note = [w for w in warnings if "heart beats were taken from the cardiac artifact" in w]
    assert len(note) == 1
    n_beats = int(note[0].split(": ")[1].split(" ")[0])
    assert 0.8 * night.beats_s.size <= n_beats <= 1.05 * night.beats_s.size
    for side in ("left", "right"):
        truth = night.truth_lms[night.truth_lms.side == side].reset_index(drop=True)
        found = lms[lms.side == side].reset_index(drop=True)
        assert match_events(truth, found).f1 >= 0.98, side   # 1.000 and 1.000 measured
