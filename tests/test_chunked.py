"""The 100-Hz stage a chunk at a time gives the figures of the whole record (issue 15).

Generated nights with a detached electrode, stretches of raised tone (steps
of the resting level), ectopic beats (the gate measured on the leg) and
movements are scored whole and in chunks of several sizes, down to 37 s,
whose cuts fall inside movements, tone steps and the detached stretch:
events, envelope, baseline and minutes of raised tone must be identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plms.rules import get_rules
from plms.signal.emg.cardiac import detect_heartbeats
from plms.signal.emg.detect import DetectorSettings, condition_leg, detect_conditioned
from plms.simulate import NightSpec, simulate_night

#: Chunk sizes, bins at 100 Hz: 37 s, an odd size (rounded up to whole 1-s
#: blocks), 10 min.
CHUNKS = (3700, 12345, 60000)


@pytest.fixture(scope="module")
def night():
    spec = NightSpec(duration_h=1.0, difficulty="hard", high_tone=True, irregular_rhythm=True)
    sim = simulate_night(seed=5, spec=spec)
    legs = {}
    for label in spec.leg_labels:
        ch = sim.signals[label]
        legs[label] = condition_leg(ch.data, ch.fs)
    ecg = sim.signals[spec.ecg_label]
    return sim, legs, detect_heartbeats(ecg.data, ecg.fs)


def _cut(events: pd.DataFrame, chunk_s: float) -> int:
    """How many events a chunk boundary falls inside."""
    first = np.floor(events["onset"] / chunk_s)
    last = np.floor((events["onset"] + events["duration"]) / chunk_s)
    return int(np.count_nonzero(last > first))


@pytest.mark.parametrize("gate", ["beats", "times", "none"])
def test_chunks_give_the_figures_of_the_whole_record(night, gate):
    sim, legs, beats = night
    heartbeats = {"beats": beats, "times": beats.times_s, "none": None}[gate]
    for label, cond in legs.items():
        whole = detect_conditioned(cond, heartbeats_s=heartbeats)
        assert len(whole.events) > 20
        for chunk in CHUNKS:
            part = detect_conditioned(cond, heartbeats_s=heartbeats, chunk_bins=chunk)
            pd.testing.assert_frame_equal(part.events, whole.events, check_exact=True)
            assert np.array_equal(part.envelope, whole.envelope)
            assert np.array_equal(part.baseline, whole.baseline, equal_nan=True)
            assert part.high_tone_min == whole.high_tone_min
        # the 37-s cuts fall inside movements
        assert _cut(whole.events, CHUNKS[0] / cond.rate_hz) > 0, label


def test_the_night_holds_what_the_chunks_must_cut_through(night):
    """The night tested has a detached stretch longer than a chunk and raised tone."""
    sim, legs, beats = night
    kinds = set(sim.artifacts["kind"])
    assert {"electrode_off", "raised_tone"} <= kinds
    off = [leg.electrode_off for leg in legs.values() if leg.electrode_off.size]
    assert off and max(float(np.max(iv[:, 1] - iv[:, 0])) for iv in off) > 2 * CHUNKS[0] / 100
    assert beats.other_shape.sum() > 20
    raised = [detect_conditioned(leg, heartbeats_s=beats).high_tone_min for leg in legs.values()]
    assert max(raised) > 1.0


def test_a_movement_longer_than_the_margins_is_not_cut():
    """A 12-s movement (4 times the margins) across a chunk cut, and a tone step.

    With 10-s chunks the movement begins in one chunk and ends in the next but
    one: its chunk widens to the right until it ends, the next ones look back
    until their scan is in step.
    """
    from plms.signal.emg.detect import ConditionedLeg

    rate, n = 100.0, 60000
    rng = np.random.default_rng(1)
    level = np.where(np.arange(n) < 30000, 3.0, 9.0)            # tone step at 300 s
    level[10000:11200] = 40.0                                   # 12 s of activity from 100 s
    level[20000:20080] = 30.0                                   # a 0.8-s movement at 200 s
    counts = np.full(n, 5.0, dtype=np.float32)
    sums = (level * (1 + 0.05 * rng.standard_normal(n)) * counts).astype(np.float32)
    leg = ConditionedLeg(sums, counts, rate, None, np.zeros((0, 2)))
    rules = get_rules("aasm")
    whole = detect_conditioned(leg, rules=rules)
    assert np.round(whole.events["onset"].to_numpy(), 1).tolist()[:2] == [100.0, 200.0]
    assert whole.events["duration"].iloc[0] == pytest.approx(12.0, abs=0.3)
    for chunk in (1000, 3700):
        part = detect_conditioned(leg, rules=rules, chunk_bins=chunk)
        pd.testing.assert_frame_equal(part.events, whole.events, check_exact=True)


class _OnDemand:
    """An array read a stretch at a time, counting the largest stretch read."""

    def __init__(self, data):
        self._data = np.asarray(data, dtype=np.float32)
        self.size = self._data.size
        self.largest = 0

    def read(self, start, stop):
        self.largest = max(self.largest, stop - start)
        return self._data[start:stop].copy()


@pytest.mark.parametrize("chunk_s", [10.0, 37.0, 600.0])
def test_heartbeats_in_chunks_are_those_of_the_whole_ecg(night, chunk_s):
    sim, _, beats = night
    ecg = sim.signals[sim.spec.ecg_label]
    source = _OnDemand(ecg.data)
    part = detect_heartbeats(source, ecg.fs, chunk_s=chunk_s)
    assert np.array_equal(part.times_s, beats.times_s)
    assert np.array_equal(part.other_shape, beats.other_shape)
    assert source.largest < ecg.data.size / 4    # never the whole ECG at once


def test_a_leg_read_on_demand_gives_the_figures_of_the_leg_held_whole(night):
    from plms.signal.emg.streaming import file_sink, stream_leg

    sim, legs, beats = night
    rules = get_rules("wasm2016")
    label = sim.spec.leg_labels[0]
    ch = sim.signals[label]
    source = _OnDemand(ch.data)
    streamed = stream_leg(source, ch.fs, rules=rules, settings=DetectorSettings())
    assert source.largest < ch.data.size / 3   # 17 min of 2-s mains blocks at most
    whole = detect_conditioned(legs[label], heartbeats_s=beats)
    part = detect_conditioned(streamed, heartbeats_s=beats, chunk_bins=3700,
                              sink=file_sink(streamed.bins.n_bins))
    assert streamed.mains_hz == legs[label].mains_hz
    assert np.array_equal(streamed.electrode_off, legs[label].electrode_off)
    pd.testing.assert_frame_equal(part.events, whole.events, check_exact=True)
    assert np.array_equal(np.asarray(part.envelope), whole.envelope)
    assert np.array_equal(np.asarray(part.baseline), whole.baseline, equal_nan=True)
    assert part.high_tone_min == whole.high_tone_min


def test_the_mains_test_in_the_filtering_pass_finds_the_stretches_of_the_whole_signal(night):
    """The 2-s mains amplitudes taken chunk by chunk during the filtering give the
    detached stretches :func:`electrode_off_intervals` finds on the whole signal."""
    from plms.signal.emg.artifacts import DetachedSettings, electrode_off_intervals
    from plms.signal.emg.streaming import stream_leg

    sim, _, _ = night
    settings = DetectorSettings(detached=DetachedSettings(enabled=False))
    found = []
    for label in sim.spec.leg_labels:
        ch = sim.signals[label]
        expected = electrode_off_intervals(ch.data, ch.fs)
        streamed = stream_leg(_OnDemand(ch.data), ch.fs, rules=get_rules("wasm2016"),
                              settings=settings)
        assert np.array_equal(streamed.electrode_off, expected)
        found.append(expected.shape[0])
    assert sum(found) > 0
