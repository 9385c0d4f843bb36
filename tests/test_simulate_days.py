"""Multi-day ankle-accelerometer generator: truth consistency, signals, streaming EDF."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plms.io.accel.read import read_accel
from plms.simulate import (
    DaysSpec, simulate_accel_days, simulate_accel_night, write_accel_days_edf,
    write_accel_days_truth,
)
from plms.simulate.accel import NOISE_G
from plms.simulate.accel_days_plan import BED_WAKE_MIN, NAP_MIN, NIGHT_H, NONWEAR_H, plan_days
from plms.simulate.accel_daytime import HANDLING_S, NONWEAR_TILT_DEG, STEP_HZ
from plms.stages import SLEEP_STAGES

FS = 25
SPEC = DaysSpec(days=2, fs_hz=FS, duration_h=30)
SEED = 3
#: EDF storage step of a +-8 g channel over 16 bits, g.
EDF_STEP_G = 16.0 / 65535


@pytest.fixture(scope="module")
def days():
    return simulate_accel_days(SEED, SPEC)


def _rows(days, start_s: float, end_s: float, label: str) -> np.ndarray:
    return days.signals[label][int(start_s * FS):int(end_s * FS)].astype(float)


def _in_nonwear(days, start_s: float, end_s: float) -> bool:
    return any(min(end_s, w.end_s) > max(start_s, w.start_s) for w in days.nonwear.itertuples())


def test_nights_inside_the_recording_and_consistent(days):
    nights = days.truth_nights
    assert nights["night"].tolist() == [1]
    assert nights["complete"].all()
    n = nights.iloc[0]
    assert 0 <= n.lights_off_s < n.sleep_onset_s < n.sleep_offset_s <= n.lights_on_s
    assert n.lights_on_s <= days.duration_s
    # lights off at bedtime, on before the night's end; each edge snapped to 30 s
    in_bed_min = (n.lights_on_s - n.lights_off_s) / 60
    assert NIGHT_H[0] * 60 <= in_bed_min <= NIGHT_H[1] * 60 + BED_WAKE_MIN[1] + 1
    assert n.tst_min <= (n.sleep_offset_s - n.sleep_onset_s) / 60 - n.waso_min + 1e-9
    assert n.sol_min == pytest.approx((n.sleep_onset_s - n.lights_off_s) / 60)
    # the hypnogram spans the recording; sleep only in nights and naps
    h = days.hypnogram
    assert h.n_epochs * h.epoch_s == days.duration_s
    asleep = np.isin(h.stages, list(SLEEP_STAGES))
    onsets = h.epoch_onsets
    inside = np.zeros(asleep.shape, dtype=bool)
    for a, b in list(zip(nights.lights_off_s, nights.lights_on_s, strict=True)) + list(
            zip(days.naps.start_s, days.naps.end_s, strict=True)):
        inside |= (onsets >= a) & (onsets < b)
    assert asleep.any() and not (asleep & ~inside).any()


def test_segments_tile_the_recording(days):
    seg = days.segments
    assert seg["start_s"].iloc[0] == 0.0 and seg["end_s"].iloc[-1] == days.duration_s
    assert (seg["start_s"].to_numpy()[1:] == seg["end_s"].to_numpy()[:-1]).all()
    assert (seg["start_s"] % 30 == 0).all()
    assert {"walk", "sit", "stand", "bed_wake", "night"} <= set(seg["kind"])


def test_naps_and_nonwear_outside_nights(days):
    n = days.truth_nights.iloc[0]
    for nap in days.naps.itertuples():
        assert nap.end_s <= n.lights_off_s or nap.start_s >= n.lights_on_s
        assert NAP_MIN[0] <= (nap.end_s - nap.start_s) / 60 <= NAP_MIN[1]
        assert not _in_nonwear(days, nap.start_s, nap.end_s)
    kinds = days.nonwear["kind"].tolist()
    assert kinds.count("bedtime") == 1
    bed = days.nonwear[days.nonwear["kind"] == "bedtime"].iloc[0]
    assert bed.start_s < n.lights_off_s < bed.end_s < n.sleep_offset_s
    assert n.nonwear_min == pytest.approx((bed.end_s - n.lights_off_s) / 60)
    for w in days.nonwear.itertuples():
        if w.start_s > 0 and w.end_s < days.duration_s:  # not cut by the recording
            assert NONWEAR_H[0] * 3600 <= w.end_s - w.start_s <= NONWEAR_H[1] * 3600


def test_truth_lms_belong_to_their_night(days):
    lms = days.truth_lms
    n = days.truth_nights.iloc[0]
    assert len(lms) > 0 and (lms["night"] == 1).all()
    assert (lms["onset"] >= n.lights_off_s).all() and (lms["onset"] < n.lights_on_s + 60).all()
    bed = days.nonwear[days.nonwear["kind"] == "bedtime"].iloc[0]
    assert lms["nonwear"].tolist() == ((lms["onset"] >= bed.start_s)
                                       & (lms["onset"] < bed.end_s)).tolist()


def test_night_signals_are_those_of_simulate_accel_night(days):
    n = days.truth_nights.iloc[0]
    night = simulate_accel_night(int(n.seed), days.night_spec(1))
    start = days.segments.query("kind == 'night'")["start_s"].iloc[0]
    off_end = days.nonwear.query("kind == 'bedtime'")["end_s"].iloc[0]
    k = int((off_end - start) * FS)  # the sensor is back on the ankle from here
    for label, x in night.signals.items():
        got = days.signals[label][int(start * FS):int(start * FS) + x.shape[0]]
        np.testing.assert_array_equal(got[k:], x[k:].astype(np.float32))
    assert night.hypnogram.stages.tolist() == days.hypnogram.stages[
        int(start // 30):int(start // 30) + night.hypnogram.n_epochs].tolist()


def test_nonwear_is_still_at_a_table_orientation(days):
    top_noise = NOISE_G["hard"][1]
    step = 16.0 / 4096  # 12-bit sensor step at +-8 g
    margin = HANDLING_S[1] + 1
    for w in days.nonwear.itertuples():
        labels = days.sides.values() if w.side == "both" else [days.sides[w.side]]
        for label in labels:
            x = _rows(days, w.start_s + margin, w.end_s - margin, label)
            blocks = x[:x.shape[0] // (60 * FS) * 60 * FS].reshape(-1, 60 * FS, 3)
            assert blocks.std(axis=1).max() < top_noise + step  # sensor noise only
            g = x.mean(axis=0) / np.linalg.norm(x.mean(axis=0))
            tilt = np.degrees(np.arccos(np.abs(g).max()))
            assert tilt < NONWEAR_TILT_DEG[1] + 3  # drift of up to ~40 mg tilts it a little


def test_walking_has_gait_band_power_and_sitting_is_still(days):
    shares, still = [], []
    for seg in days.segments.itertuples():
        if _in_nonwear(days, seg.start_s, seg.end_s) or seg.end_s - seg.start_s < 300:
            continue
        m = np.linalg.norm(_rows(days, seg.start_s, seg.end_s, "Ankle L"), axis=1)
        if seg.kind == "walk":
            assert 0.1 < m.std() < 0.8
            p = np.abs(np.fft.rfft(m - m.mean())) ** 2
            f = np.fft.rfftfreq(m.size, 1 / FS)
            gait = (f >= STEP_HZ[0] - 0.1) & (f <= STEP_HZ[1] + 0.1)
            shares.append(p[gait].sum() / p[(f >= 0.3) & (f <= 10)].sum())
        elif seg.kind == "sit":
            still.append(m.std())
    assert len(shares) >= 5 and np.median(shares) > 0.3
    assert still and max(still) < 0.03


def test_same_seed_same_recording_other_seed_other():
    spec = DaysSpec(days=1, fs_hz=FS, sides=("left",), duration_h=4,
                    start=datetime(2026, 1, 5, 13, 0))
    a, b = simulate_accel_days(5, spec), simulate_accel_days(5, spec)
    np.testing.assert_array_equal(a.signals["Ankle L"], b.signals["Ankle L"])
    pd.testing.assert_frame_equal(a.segments, b.segments)
    assert plan_days(6, spec).segments != plan_days(5, spec).segments


def test_partial_night_at_the_start_is_flagged():
    spec = DaysSpec(days=1, fs_hz=FS, sides=("left",), duration_h=3, nonwear=False,
                    start=datetime(2026, 1, 5, 3, 0))
    days = simulate_accel_days(1, spec)
    n = days.truth_nights.iloc[0]
    assert not n.complete and n.lights_off_s == 0.0
    assert days.segments["start_s"].iloc[0] == 0.0


def test_streamed_edf_reads_back_equal(tmp_path: Path):
    spec = DaysSpec(days=1, fs_hz=FS, duration_h=16, start=datetime(2026, 1, 5, 18, 0))
    path = tmp_path / "days.edf"
    truth = write_accel_days_edf(SEED, spec, path)
    mem = simulate_accel_days(SEED, spec)
    pd.testing.assert_frame_equal(truth.truth_nights, mem.truth_nights)
    pd.testing.assert_frame_equal(truth.truth_lms, mem.truth_lms)
    assert truth.signals == {}
    rec = read_accel(path)
    assert rec.start == spec.start and rec.duration_s == mem.duration_s
    for side, label in mem.sides.items():
        np.testing.assert_allclose(rec.signals[side].data, mem.signals[label], rtol=0,
                                   atol=EDF_STEP_G / 2 + 1e-6)
    files = write_accel_days_truth(truth, tmp_path, "days")
    nights = pd.read_csv(files[0], sep="\t")
    assert nights["night"].tolist() == mem.truth_nights["night"].tolist()
    assert [p.name for p in files][:4] == ["days.nights.tsv", "days.lms.tsv", "days.naps.tsv",
                                           "days.nonwear.tsv"]
