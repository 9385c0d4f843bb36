"""Tests of the ankle-accelerometer night simulator (plms.simulate.accel)."""

from __future__ import annotations

import dataclasses

import edfio
import numpy as np
import pandas as pd
import pytest

from plms.io.annotations.nsrr import read_nsrr_xml
from plms.simulate import (
    AccelSpec, NightSpec, simulate_accel_night, simulate_night, write_accel_csv,
    write_accel_edf, write_accel_hypnogram_xml, write_accel_truth_tsv,
)
from plms.simulate import accel_realism as ar
from plms.simulate.accel_export import UNIT_PER_G
from plms.simulate.accel_motion import angle_deg, unit

SEED = 3
SPEC = AccelSpec(duration_h=0.5, fs_hz=25)
ROTATION_KINDS = ("series", "isolated", "respiratory", "wake_fidget")
PSG_KINDS = ("series", "isolated", "respiratory")
#: A longer hard night with every kind of nuisance (weak LMs, crosstalk, bed motion, slips).
LONG_SEED = 5
LONG_SPEC = AccelSpec(duration_h=1.5, fs_hz=25)
NUISANCE_TABLES = ("knocks", "crosstalk", "bed_motion", "slips")


@pytest.fixture(scope="module")
def hard():
    return simulate_accel_night(SEED, SPEC)


@pytest.fixture(scope="module")
def clean():
    return simulate_accel_night(SEED, dataclasses.replace(SPEC, difficulty="clean"))


@pytest.fixture(scope="module")
def long_night():
    return simulate_accel_night(LONG_SEED, LONG_SPEC)


def _mech(table):
    """The truth as mechanical intervals (onset, duration)."""
    return table.assign(onset=table["mech_onset"], duration=table["mech_duration"])


def _busy(night, side, margin_s=1.0):
    """Per-sample mask of anything moving on ``side`` (LMs, turns, nuisances) plus a margin."""
    n = night.signals[night.label_of(side)].shape[0]
    mask = np.zeros(n, dtype=bool)
    rows = [_mech(night.truth_lms[night.truth_lms["side"] == side])]
    rows += [t[t["side"].isin([side, "both"])] for t in
             (getattr(night, name) for name in NUISANCE_TABLES)]
    changes = night.positions["onset"].to_numpy()[1:]
    extra = pd.DataFrame({"onset": changes - 5.0, "duration": np.full(changes.size, 10.0)})
    for table in (*rows, extra):
        for on, du in zip(table["onset"], table["duration"], strict=True):
            i0 = max(int((on - margin_s) * night.fs), 0)
            mask[i0:int((on + du + margin_s) * night.fs) + 1] = True
    return mask


def _direction(x, fs, t0, t1):
    i0, i1 = int(t0 * fs), int(t1 * fs)
    return unit(x[i0:i1].mean(axis=0))


def test_deterministic_by_seed():
    spec = dataclasses.replace(SPEC, duration_h=0.1)
    a, b, c = (simulate_accel_night(s, spec) for s in (5, 5, 6))
    for label in a.signals:
        np.testing.assert_array_equal(a.signals[label], b.signals[label])
    pd.testing.assert_frame_equal(a.truth_lms, b.truth_lms)
    for name in NUISANCE_TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.signals["Ankle L"], c.signals["Ankle L"])


def test_shapes_rate_and_sides(hard):
    n = int(SPEC.duration_s * SPEC.fs_hz)
    assert hard.fs == 25.0 and hard.sides == {"left": "Ankle L", "right": "Ankle R"}
    for x in hard.signals.values():
        assert x.shape == (n, 3) and x.dtype == np.float64
        assert np.abs(x).max() <= SPEC.range_g
    one = simulate_accel_night(SEED, dataclasses.replace(SPEC, sides=("left",)))
    assert list(one.signals) == ["Ankle L"]
    np.testing.assert_array_equal(one.signals["Ankle L"], hard.signals["Ankle L"])
    assert set(one.truth_lms["side"]) == {"left"}
    pd.testing.assert_frame_equal(
        one.truth_lms, hard.truth_lms[hard.truth_lms["side"] == "left"].reset_index(drop=True))
    assert hard.truth_tst_min == hard.hypnogram.tst_min > 0


def test_quantised_to_12_bits(hard):
    step = 2 * SPEC.range_g / 2 ** 12
    x = hard.signals["Ankle R"]
    np.testing.assert_allclose(x / step, np.round(x / step), atol=1e-6)


def test_gravity_about_one_g_at_rest(hard, clean):
    for night, tol in ((clean, 0.01), (hard, 0.12)):
        for side, label in night.sides.items():
            still = ~_busy(night, side)
            assert still.mean() > 0.5  # the sleeper is still most of the time
            mag = np.linalg.norm(night.signals[label][still], axis=1)
            assert np.quantile(np.abs(mag - 1.0), 0.99) < tol
    # noise: the hard night's sample-to-sample jitter at rest is a few mg
    still = ~_busy(hard, "left")
    step = np.diff(hard.signals["Ankle L"][:, 0])[still[1:] & still[:-1]]
    assert 0.0005 < np.std(step) / np.sqrt(2) < 0.006


def test_lms_rotate_gravity_more_than_they_change_magnitude(hard, clean):
    truth = hard.truth_lms[hard.truth_lms["kind"].isin(ROTATION_KINDS) & ~hard.truth_lms["weak"]]
    assert len(truth) >= 10
    assert (truth["rotation_deg"] >= 3.0).all()
    chord_mg = 2000.0 * np.sin(np.radians(truth["rotation_deg"]) / 2)
    assert (chord_mg > truth["peak_mg"]).mean() >= 0.6
    assert truth["peak_mg"].median() < 150.0
    weak = truth[truth["kind"] != "wake_fidget"]["rotation_deg"] < 10.0
    assert 0.05 <= weak.mean() <= 0.6
    # in the signal: the direction (0.2-s means) turns while the magnitude stays near 1 g
    fs = clean.fs
    width = int(0.2 * fs)
    for r in clean.truth_lms.itertuples():
        if r.kind not in ROTATION_KINDS:
            continue
        x = clean.signals[clean.label_of(r.side)]
        before = _direction(x, fs, r.onset - 0.6, r.onset - 0.1)
        seg = x[int(r.onset * fs):int((r.onset + r.duration) * fs) + 1]
        kernel = np.ones(width) / width
        smooth = np.stack([np.convolve(seg[:, a], kernel, "valid") for a in range(3)], axis=1)
        turned = float(angle_deg(smooth, before).max())
        assert turned > 0.6 * r.rotation_deg - 1.0
        assert np.median(np.abs(np.linalg.norm(seg, axis=1) - 1.0)) < 0.1


def test_truth_matches_psg_night_of_the_same_seed(hard):
    """Every EMG-defined row, the wake fidgets included, is the PSG truth's."""
    psg = simulate_night(SEED, NightSpec(duration_h=SPEC.duration_h, electrode_off=False))
    ours = hard.truth_lms
    assert (ours["kind"] == "wake_fidget").any()
    pd.testing.assert_series_equal(ours["onset"], psg.truth_lms["onset"])
    assert ours["side"].tolist() == psg.truth_lms["side"].tolist()
    assert ours["kind"].tolist() == psg.truth_lms["origin"].tolist()
    np.testing.assert_allclose(ours["duration"], psg.truth_lms["duration"])
    default = simulate_night(SEED, NightSpec(duration_h=SPEC.duration_h))
    np.testing.assert_array_equal(hard.hypnogram.stages, default.hypnogram.stages)
    pd.testing.assert_frame_equal(hard.positions, default.positions)


def test_fidgets_follow_the_psg_switch(clean):
    """A clean sleeper has no wake fidgets (``NightSpec.wake_fidgets`` off), on
    either device; switched on, the accelerometer takes over those of the PSG."""
    assert not (clean.truth_lms["kind"] == "wake_fidget").any()
    psg_spec = NightSpec(duration_h=SPEC.duration_h, difficulty="clean", wake_fidgets=True)
    night = simulate_accel_night(SEED, dataclasses.replace(SPEC, difficulty="clean",
                                                           psg_spec=psg_spec))
    psg = simulate_night(SEED, psg_spec)
    mine = night.truth_lms[night.truth_lms["kind"] == "wake_fidget"].reset_index(drop=True)
    theirs = psg.truth_lms[psg.truth_lms["origin"] == "wake_fidget"].reset_index(drop=True)
    assert len(mine) >= 1
    pd.testing.assert_frame_equal(mine[["onset", "duration", "side"]],
                                  theirs[["onset", "duration", "side"]])
    assert (mine["n_phases"] == theirs["n_bursts"]).all()
    assert (mine["rotation_deg"] > 1.0).all()


def test_posture_changes_leave_a_new_orientation(clean):
    turns = clean.truth_lms[clean.truth_lms["kind"] == "posture"]
    assert len(turns) >= 1
    for r in turns.itertuples():
        x = clean.signals[clean.label_of(r.side)]
        before = _direction(x, clean.fs, r.onset - 1.0, r.onset - 0.2)
        after = _direction(x, clean.fs, r.onset + r.duration + 0.2, r.onset + r.duration + 1.0)
        assert float(angle_deg(before, after)) > 20.0
        assert r.peak_mg > 100.0


def test_wake_fidgets_only_in_wake_and_knocks_apart(hard):
    fidgets = hard.truth_lms[hard.truth_lms["kind"] == "wake_fidget"]
    assert len(fidgets) >= 1
    hyp = hard.hypnogram
    for r in fidgets.itertuples():
        times = np.arange(r.onset, r.onset + r.duration, 1.0).tolist() + [r.onset + r.duration]
        assert set(hyp.stage_at(times).tolist()) == {"W"}
    knocks = hard.knocks
    assert (knocks["duration"] < 0.2).all()
    for k in knocks.itertuples():
        lms = hard.truth_lms[hard.truth_lms["side"] == k.side]
        assert not ((lms["onset"] < k.onset + 1.0) & (lms["onset"] + lms["duration"]
                                                       > k.onset - 1.0)).any()


@pytest.mark.parametrize("unit_name", sorted(UNIT_PER_G))
def test_edf_round_trip(hard, tmp_path, unit_name):
    path = write_accel_edf(hard, tmp_path / "a.edf", unit=unit_name)
    edf = edfio.read_edf(path)
    labels = [s.label for s in edf.signals]
    assert labels == [f"Ankle {s} {a}" for s in "LR" for a in "XYZ"]
    factor = UNIT_PER_G[unit_name]
    half_step = SPEC.range_g * factor / 65535
    for k, sig in enumerate(edf.signals):
        assert sig.physical_dimension == unit_name and sig.sampling_frequency == hard.fs
        expected = hard.signals[hard.sides["left" if k < 3 else "right"]][:, k % 3] * factor
        np.testing.assert_allclose(sig.data, expected, atol=half_step * 1.01)
    stages = [a for a in edf.annotations if a.text.startswith("Sleep stage")]
    assert len(stages) == hard.hypnogram.n_epochs


def test_edf_acc_labels_need_one_side(hard, tmp_path):
    with pytest.raises(ValueError, match="one-sided"):
        write_accel_edf(hard, tmp_path / "x.edf", label_style="acc")
    with pytest.raises(ValueError, match="unit"):
        write_accel_edf(hard, tmp_path / "x.edf", unit="furlong")
    one = simulate_accel_night(SEED, AccelSpec(duration_h=0.05, fs_hz=100, sides=("right",)))
    edf = edfio.read_edf(write_accel_edf(one, tmp_path / "r.edf", label_style="acc"))
    assert [s.label for s in edf.signals] == ["ACC X", "ACC Y", "ACC Z"]


def test_csv_truth_and_hypnogram_files(hard, tmp_path):
    table = pd.read_csv(write_accel_csv(hard, tmp_path / "l.csv", "left"))
    assert list(table.columns) == ["timestamp", "x", "y", "z"]
    times = pd.to_datetime(table["timestamp"])
    assert np.allclose(times.diff().dt.total_seconds().iloc[1:], 1 / hard.fs)
    np.testing.assert_allclose(table[["x", "y", "z"]].to_numpy(), hard.signals["Ankle L"],
                               atol=1e-6)
    indexed = pd.read_csv(write_accel_csv(hard, tmp_path / "r.csv", "right", time="index"))
    assert list(indexed.columns) == ["sample", "x", "y", "z"]
    assert indexed["sample"].iloc[-1] == hard.signals["Ankle R"].shape[0] - 1
    with pytest.raises(ValueError):
        write_accel_csv(hard, tmp_path / "bad.csv", "left", time="clock")
    truth = pd.read_csv(write_accel_truth_tsv(hard, tmp_path / "t.tsv"), sep="\t")
    assert len(truth) == len(hard.truth_lms)
    assert set(truth["channel"]) == {"Ankle L", "Ankle R"}
    ann = read_nsrr_xml(write_accel_hypnogram_xml(hard, tmp_path / "h.xml"))
    np.testing.assert_array_equal(ann.hypnogram.stages, hard.hypnogram.stages)


@pytest.mark.parametrize("kwargs, match", [
    ({"fs_hz": 24}, "fs_hz"), ({"fs_hz": 101}, "fs_hz"), ({"fs_hz": 50.5}, "fs_hz"),
    ({"duration_h": 0}, "duration_h"), ({"sides": ("up",)}, "sides"), ({"sides": ()}, "sides"),
    ({"sides": ("left", "left")}, "sides"), ({"difficulty": "easy"}, "difficulty"),
    ({"range_g": 3.0}, "range_g"), ({"psg_fs_leg": 50}, "fs_leg"),
    ({"psg_spec": NightSpec(duration_h=1.0)}, "psg_spec"),
])
def test_spec_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AccelSpec(**kwargs)


def test_type_errors():
    with pytest.raises(TypeError):
        simulate_accel_night(0, NightSpec(duration_h=0.1))
    with pytest.raises(TypeError):
        AccelSpec(duration_h=0.1, psg_spec="hard")


def _deviation(night, side, t0, t1, ref=(1.5, 0.1), width_s=0.2):
    """Largest deviation (mg) of the 0.2-s mean over [t0, t1] from the mean before ``t0``."""
    x = night.signals[night.label_of(side)]
    fs = night.fs
    base = x[int((t0 - ref[0]) * fs):int((t0 - ref[1]) * fs)].mean(axis=0)
    width = int(width_s * fs)
    seg = x[int(t0 * fs):int(t1 * fs) + 1] - base
    kernel = np.ones(width) / width
    smooth = np.stack([np.convolve(seg[:, a], kernel, "valid") for a in range(3)], axis=1)
    return float(np.linalg.norm(smooth, axis=1).max()) * 1000.0


def _quiet(night, side, t0, t1):
    """Whether nothing but the event itself moves ``side`` over [t0, t1]."""
    mask = _busy(night, side, margin_s=0.0)
    fs = night.fs
    return not mask[int(t0 * fs):int(t1 * fs) + 1].any()


def test_electromechanical_lag(hard, clean):
    for night in (hard, clean):
        t = night.truth_lms
        lag = t["mech_onset"] - t["onset"]
        relax = t["mech_onset"] + t["mech_duration"] - t["onset"] - t["duration"]
        assert lag.between(*ar.LAG_S).all()
        assert relax.between(0.0, ar.RELAX_S[1]).all()
        assert (relax >= ar.RELAX_S[0]).mean() > 0.9  # shortened only before a next movement
        assert lag.std() > 0.005 and relax.std() > 0.05
    # in the signal: at the EMG offset the foot has not returned yet, after the mechanical end
    # it has (clean night, single-phase movements with a long relaxation)
    fs = clean.fs
    checked = 0
    for r in clean.truth_lms.itertuples():
        relax_s = r.mech_onset + r.mech_duration - r.onset - r.duration
        if r.kind not in PSG_KINDS or r.n_phases > 1 or relax_s < 0.3 or r.rotation_deg < 5:
            continue
        x = clean.signals[clean.label_of(r.side)]
        before = _direction(x, fs, r.onset - 0.6, r.onset - 0.1)
        at_offset = float(angle_deg(x[int(round((r.onset + r.duration) * fs))], before))
        end = r.mech_onset + r.mech_duration
        settled = float(angle_deg(_direction(x, fs, end + 0.1, end + 0.4), before))
        assert at_offset > 0.15 * r.rotation_deg
        assert settled < 0.1 * r.rotation_deg + 0.3
        checked += 1
    assert checked >= 3


def test_weak_lms_barely_move_the_foot(hard, long_night):
    for night in (hard, long_night):
        t = night.truth_lms
        psg = t[t["kind"].isin(PSG_KINDS)]
        assert 0.03 <= psg["weak"].mean() <= 0.15
        assert not t.loc[~t["kind"].isin(PSG_KINDS), "weak"].any()
        weak = psg[psg["weak"]]
        assert len(weak) >= 1
        assert weak["rotation_deg"].between(0.2, 2.5).all()
        assert (weak["peak_mg"] < 30.0).all()
        assert (psg.loc[~psg["weak"], "rotation_deg"] >= 3.0).all()


def test_weak_lms_favour_low_emg_amplitudes():
    spec = NightSpec(duration_h=LONG_SPEC.duration_h, electrode_off=False)
    psg = simulate_night(LONG_SEED, spec)
    picked = ar.plan_weak(np.random.default_rng(0), dict(enumerate(psg.truth_lms["peak_uv"])),
                          spec.amplitude_range_uv)
    for seed in range(1, 20):
        picked |= ar.plan_weak(np.random.default_rng(seed),
                               dict(enumerate(psg.truth_lms["peak_uv"])), spec.amplitude_range_uv)
    weak = psg.truth_lms["peak_uv"].iloc[sorted(picked)]
    assert weak.median() < psg.truth_lms["peak_uv"].median()


def test_crosstalk_only_on_the_other_leg_during_big_movements(long_night):
    cross = long_night.crosstalk
    assert len(cross) >= 3
    assert (cross["side"] != cross["source_side"]).all()
    assert cross["amplitude_mg"].between(ar.CROSSTALK_MG[0], ar.CROSSTALK_TURN_MG[1]).all()
    assert ((cross["tilt_deg"] == 0) | cross["tilt_deg"].between(*ar.CROSSTALK_TILT_DEG)).all()
    truth = _mech(long_night.truth_lms)
    for c in cross.itertuples():
        src = truth[(truth["side"] == c.source_side) & (truth["onset"] <= c.onset + 1e-9)
                    & (truth["onset"] + truth["duration"] >= c.onset + c.duration - 1e-9)]
        assert len(src) == 1
        # planned rotations of CROSSTALK_MIN_DEG or more; the hold wobble may lower the peak
        assert src["kind"].iloc[0] == "posture" \
            or src["rotation_deg"].iloc[0] >= 0.7 * ar.CROSSTALK_MIN_DEG
    # in the signal of the receiving ankle, when nothing else moves it; the sway
    # reaches 6 Hz, so it is averaged over 0.08 s only (0.2 s would cancel it)
    seen = 0
    for c in cross[cross["amplitude_mg"] >= 30].itertuples():
        others = dataclasses.replace(long_night, crosstalk=cross[cross["onset"] != c.onset])
        if _quiet(others, c.side, c.onset - 1.5, c.onset + c.duration + 0.5):
            assert _deviation(long_night, c.side, c.onset, c.onset + c.duration,
                              width_s=0.08) > 0.4 * c.amplitude_mg
            seen += 1
    assert seen >= 1


def test_bed_motion_on_both_ankles_at_once(long_night):
    bed = long_night.bed_motion
    assert len(bed) >= 2 and (bed["side"] == "both").all()
    assert bed["amplitude_mg"].between(*ar.BED_MG).all()
    assert bed["duration"].between(*ar.BED_S).all()
    seen = 0
    for b in bed[bed["amplitude_mg"] >= 20].itertuples():
        end = b.onset + b.duration
        # nothing else moves either ankle from 1.5 s before to 0.5 s after the event
        others = dataclasses.replace(long_night, bed_motion=bed[bed["onset"] != b.onset])
        if not all(_quiet(others, s, b.onset - 1.5, end + 0.5) for s in ("left", "right")):
            continue
        for s, gain in (("left", b.gain_left), ("right", b.gain_right)):
            assert _deviation(long_night, s, b.onset, end) > 0.3 * b.amplitude_mg * gain
            assert _deviation(long_night, s, end + 0.2, end + 0.5, ref=(1.5 + b.duration + 0.2,
                                                                        b.duration + 0.3)) < 10
        seen += 1
    assert seen >= 1


def test_strap_slips_turn_the_sensor_for_good(long_night):
    slips = long_night.slips
    assert len(slips) >= 1
    assert slips["angle_deg"].between(*ar.SLIP_DEG).all()
    assert (slips["duration"] < 0.3).all()
    fs = long_night.fs
    truth = _mech(long_night.truth_lms)
    for s in slips.itertuples():
        mine = truth[truth["side"] == s.side]
        assert not ((mine["onset"] < s.onset + s.duration + 0.5)
                    & (mine["onset"] + mine["duration"] > s.onset - 0.5)).any()
        if s.after != "none":
            ends = mine[mine["kind"] == s.after]
            ends = ends["onset"] + ends["duration"]
            assert ((s.onset - ends).between(*ar.SLIP_DELAY_S)).any()
        x = long_night.signals[long_night.label_of(s.side)]
        before = _direction(x, fs, s.onset - 0.45, s.onset - 0.05)
        after = _direction(x, fs, s.onset + s.duration + 0.1, s.onset + s.duration + 0.45)
        assert float(angle_deg(before, after)) == pytest.approx(s.angle_deg, abs=0.5)
        # permanent: the sensor stays there until the leg moves again
        later = mine[mine["onset"] > s.onset]
        stop = min(later["onset"].min() if len(later) else np.inf, s.onset + 20.0)
        if stop - s.onset > 3.0:
            held = _direction(x, fs, stop - 1.5, stop - 0.5)
            assert float(angle_deg(after, held)) < 0.5


def test_clean_nights_have_no_weak_lms_or_bed_nuisances(clean):
    assert not clean.truth_lms["weak"].any()
    for name in ("crosstalk", "bed_motion", "slips", "knocks"):
        assert getattr(clean, name).empty
    # the lag is physiology and stays
    assert (clean.truth_lms["mech_onset"] > clean.truth_lms["onset"]).all()
