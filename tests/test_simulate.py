"""Tests of the PSG night simulator (plms.simulate)."""

from __future__ import annotations

import dataclasses
import warnings
import xml.etree.ElementTree as ET

import edfio
import numpy as np
import pandas as pd
import pytest

from plms.annotations import Annotations
from plms.simulate import (
    NightSpec, emg_level, reference_bandpass, simulate_night, truth_annotations, write_edf,
    write_nsrr_xml, write_truth_tsv,
)
from plms.simulate import fidgets
from plms.simulate.movements import (
    FORBIDDEN_CROSS_GAP_S, FORBIDDEN_DURATION_S, MIN_SAME_LEG_GAP_S,
)

SHORT = NightSpec(duration_h=0.25, fs_leg=200, plm_severity=60, respiratory_load=30)


@pytest.fixture(scope="module")
def hard_night():
    return simulate_night(7, SHORT)


@pytest.fixture(scope="module")
def clean_night():
    return simulate_night(7, dataclasses.replace(SHORT, difficulty="clean",
                                                 rest_range_uv=(3.0, 6.0)))


def test_deterministic_by_seed():
    spec = dataclasses.replace(SHORT, duration_h=0.1)
    a, b, c = simulate_night(3, spec), simulate_night(3, spec), simulate_night(4, spec)
    for label in a.signals:
        np.testing.assert_array_equal(a.signals[label].data, b.signals[label].data)
    pd.testing.assert_frame_equal(a.truth_lms, b.truth_lms)
    pd.testing.assert_frame_equal(a.respiratory, b.respiratory)
    np.testing.assert_array_equal(a.hypnogram.stages, b.hypnogram.stages)
    assert not np.array_equal(a.signals["Leg L"].data, c.signals["Leg L"].data)


def test_channels_and_lengths(hard_night):
    spec = hard_night.spec
    assert set(hard_night.signals) == {"Leg L", "Leg R", "ECG"}
    for label in spec.leg_labels:
        ch = hard_night.signals[label]
        assert ch.fs == 200 and ch.unit == "uV" and ch.data.dtype == np.float64
        assert ch.data.size == int(hard_night.duration_s * 200)
    assert hard_night.hypnogram.n_epochs == int(hard_night.duration_s // 30)


@pytest.mark.parametrize("name", ["hard_night", "restless_night"])
def test_truth_inside_recording_and_unambiguous(name, request):
    hard_night = request.getfixturevalue(name)
    truth = hard_night.truth_lms
    assert len(truth) > 10
    assert list(truth.columns[:4]) == ["onset", "duration", "side", "peak_uv"]
    assert (truth["onset"] >= 0).all()
    assert (truth["onset"] + truth["duration"] <= hard_night.duration_s).all()
    assert set(truth["side"]) <= {"left", "right"}
    assert (truth["peak_uv"] >= 8.0).all()
    for lo, hi in FORBIDDEN_DURATION_S:
        assert not truth["duration"].between(lo, hi).any()
    for side, legs in truth.groupby("side"):
        legs = legs.sort_values("onset")
        gaps = legs["onset"].to_numpy()[1:] - (legs["onset"] + legs["duration"]).to_numpy()[:-1]
        assert (gaps >= MIN_SAME_LEG_GAP_S - 1e-9).all(), side
    left, right = (truth[truth["side"] == s] for s in ("left", "right"))
    for r in left.itertuples():
        gap = np.maximum(r.onset - (right["onset"] + right["duration"]),
                         right["onset"] - (r.onset + r.duration))
        assert not ((gap > FORBIDDEN_CROSS_GAP_S[0]) & (gap < FORBIDDEN_CROSS_GAP_S[1])).any()


def test_electrode_off_hides_that_leg(hard_night):
    offs = hard_night.artifacts[hard_night.artifacts["kind"] == "electrode_off"]
    assert len(offs) == 1
    off = offs.iloc[0]
    assert 120 <= off["duration"] <= 600 or off["duration"] <= 0.3 * hard_night.duration_s
    legs = hard_night.truth_lms[hard_night.truth_lms["side"] == off["side"]]
    end = legs["onset"] + legs["duration"]
    assert not ((end >= off["onset"]) & (legs["onset"] <= off["onset"] + off["duration"])).any()
    label = hard_night.label_of(off["side"])
    fs = hard_night.signals[label].fs
    first, last = int((off["onset"] + 1) * fs), int((off["onset"] + 30) * fs)
    seg = hard_night.signals[label].data[first:last]
    assert np.std(seg) > 100.0  # pick-up far above any EMG


@pytest.fixture(scope="module")
def restless_night():
    """A 3-h night long enough for every kind of wake fidget."""
    return simulate_night(1, NightSpec(duration_h=3.0, fs_leg=128, electrode_off=False))


def test_wake_fidgets_in_restless_wake(restless_night):
    truth = restless_night.truth_lms
    fid = truth[truth["origin"] == fidgets.ORIGIN]
    assert len(fid) >= 20
    hyp = restless_night.hypnogram
    for r in fid.itertuples():
        # inside one wake bout, 0.5 s from its edges
        times = np.arange(r.onset - fidgets.BOUT_MARGIN_S, r.onset + r.duration, 1.0).tolist()
        assert set(hyp.stage_at(times + [r.onset + r.duration + fidgets.BOUT_MARGIN_S])) == {"W"}
    lo, hi = fidgets.FIDGET_AMPLITUDE_UV
    assert fid["peak_uv"].between(lo, hi).all()
    assert (fid["duration"] > 10.0).any() and (fid["duration"] < 3.0).mean() > 0.5
    assert (fid["n_bursts"] > 1).any()
    left, right = (fid[fid["side"] == s]["onset"].to_numpy() for s in ("left", "right"))
    both = np.abs(left[:, None] - right[None, :]).min(axis=1) < 0.5
    assert 0.05 < both.mean() < 0.6  # some bilateral, most on one leg


def test_wake_fidget_switch(restless_night):
    spec = restless_night.spec
    off = simulate_night(1, dataclasses.replace(spec, wake_fidgets=False))
    assert not (off.truth_lms["origin"] == fidgets.ORIGIN).any()
    rest = restless_night.truth_lms[restless_night.truth_lms["origin"] != fidgets.ORIGIN]
    # here (no IMI-edge conflicts) the other movements are unchanged
    pd.testing.assert_frame_equal(rest.reset_index(drop=True), off.truth_lms)
    clean = NightSpec(duration_h=0.5, fs_leg=128, difficulty="clean")
    assert not clean.enabled("wake_fidgets") and NightSpec().enabled("wake_fidgets")
    night = simulate_night(1, dataclasses.replace(clean, wake_fidgets=True))
    fid = night.truth_lms[night.truth_lms["origin"] == fidgets.ORIGIN]
    assert len(fid) >= 1
    # rendered as EMG activation: the level during the fidget reaches its peak
    big = fid.sort_values("peak_uv").iloc[-1]
    label = night.label_of(big["side"])
    ch = night.signals[label]
    seg = ch.data[int(big["onset"] * ch.fs):int((big["onset"] + big["duration"]) * ch.fs)]
    level = emg_level(seg, ch.fs) - night.resting_uv[label].data[0]
    assert 0.3 * big["peak_uv"] < level <= 1.1 * big["peak_uv"]


def test_rest_level_convention_clean(clean_night):
    for label, side in zip(clean_night.leg_labels, ("left", "right"), strict=True):
        ch = clean_night.signals[label]
        fs = int(ch.fs)
        mask = np.ones(ch.data.size, dtype=bool)
        for r in clean_night.truth_lms[clean_night.truth_lms["side"] == side].itertuples():
            mask[max(0, int((r.onset - 1) * fs)):int((r.onset + r.duration + 1) * fs)] = False
        rest = clean_night.resting_uv[label].data
        assert np.ptp(rest) == 0  # constant tone in a clean night
        level = np.mean(np.abs(reference_bandpass(ch.data, fs))[mask])
        assert level == pytest.approx(rest[0], rel=0.05)


def test_lm_level_matches_peak(clean_night):
    truth = clean_night.truth_lms
    big = truth[(truth["n_bursts"] == 1) & (truth["duration"] > 1.5)].iloc[0]
    label = clean_night.label_of(big["side"])
    ch = clean_night.signals[label]
    fs = int(ch.fs)
    seg = ch.data[int(big["onset"] * fs):int((big["onset"] + big["duration"]) * fs)]
    rest = clean_night.resting_uv[label].data[0]
    level = emg_level(seg, fs) - rest
    assert 0.4 * big["peak_uv"] < level <= 1.1 * big["peak_uv"]


def test_uv_and_mv_same_signal():
    spec = dataclasses.replace(SHORT, duration_h=0.05)
    uv = simulate_night(11, spec)
    mv = simulate_night(11, dataclasses.replace(spec, leg_unit="mV"))
    for label in spec.leg_labels:
        assert mv.signals[label].unit == "mV"
        np.testing.assert_allclose(mv.signals[label].data * 1000.0, uv.signals[label].data,
                                   rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(mv.signals[label].as_uv(), uv.signals[label].data, atol=1e-9)
    pd.testing.assert_frame_equal(uv.truth_lms, mv.truth_lms)


def test_nuisance_switches_keep_truth():
    spec = dataclasses.replace(SHORT, duration_h=0.1, electrode_off=False)
    base = simulate_night(5, spec)
    quiet = simulate_night(5, dataclasses.replace(spec, ecg=False, mains=False, pops=False,
                                                  drift=False))
    pd.testing.assert_frame_equal(base.truth_lms, quiet.truth_lms)
    assert not quiet.artifacts["kind"].eq("pop").any()
    assert np.std(quiet.signals["Leg L"].data) < np.std(base.signals["Leg L"].data)


def test_sampling_rates_and_validation():
    for fs in (128, 250, 256, 500):
        night = simulate_night(1, NightSpec(duration_h=0.03, fs_leg=fs))
        assert night.signals["Leg R"].data.size == int(night.duration_s * fs)
    with pytest.raises(ValueError):
        NightSpec(fs_leg=99)
    with pytest.raises(ValueError):
        NightSpec(leg_unit="V")
    with pytest.raises(ValueError):
        NightSpec(amplitude_range_uv=(5.0, 100.0))
    with pytest.raises(ValueError):
        NightSpec(difficulty="medium")


def test_truth_annotations(hard_night):
    ann = truth_annotations(hard_night)
    assert isinstance(ann, Annotations)
    assert ann.respiratory_scored and ann.arousals_scored
    assert ann.hypnogram is hard_night.hypnogram
    assert set(ann.respiratory["kind"]) <= {"obstructive apnea", "central apnea", "mixed apnea",
                                            "hypopnea", "rera"}
    assert len(ann.arousals) > 0
    assert np.isin(hard_night.hypnogram.stage_at(ann.arousals["onset"]),
                   ["N1", "N2", "N3", "R"]).all()


def test_write_edf_roundtrip(tmp_path, hard_night):
    path = write_edf(hard_night, tmp_path / "night.edf", extra_channels="light")
    edf = edfio.read_edf(path)
    signals = {s.label: s for s in edf.signals}
    for label in hard_night.leg_labels:
        sig = signals[label]
        assert sig.physical_dimension == "uV"
        assert sig.sampling_frequency == 200
        ref = np.clip(hard_night.signals[label].data, -3276.8, 3276.7)
        assert np.max(np.abs(sig.data - ref)) <= 0.051
    assert signals["SpO2"].sampling_frequency == 1
    texts = [a.text for a in edf.annotations]
    assert texts.count("Sleep stage W") + texts.count("Sleep stage N2") > 0
    n_stage = sum(t.startswith("Sleep stage") for t in texts)
    assert n_stage == hard_night.hypnogram.n_epochs
    assert texts.count("Arousal") == len(hard_night.arousals)
    assert "Lights off" in texts
    assert not list(tmp_path.glob("*.tmp"))


def test_write_bdf_mv(tmp_path):
    night = simulate_night(2, dataclasses.replace(SHORT, duration_h=0.03, leg_unit="mV"))
    path = write_edf(night, tmp_path / "night.bdf", bdf=True, extra_channels=False)
    bdf = edfio.read_bdf(path)
    sig = {s.label: s for s in bdf.signals}["Leg L"]
    assert sig.physical_dimension == "mV"
    np.testing.assert_allclose(sig.data, np.clip(night.signals["Leg L"].data, -8, 8), atol=2e-6)


def test_plain_edf_warns_without_annotations(tmp_path):
    night = simulate_night(2, dataclasses.replace(SHORT, duration_h=0.03))
    with pytest.warns(UserWarning, match="annotations"):
        write_edf(night, tmp_path / "plain.edf", edf_plus=False, extra_channels=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_edf(night, tmp_path / "plain2.edf", edf_plus=False, annotations=False,
                  extra_channels=False)


def test_nsrr_xml_and_tsv(tmp_path, hard_night):
    path = write_nsrr_xml(hard_night, tmp_path / "night-nsrr.xml", leg_movements=True)
    root = ET.parse(path).getroot()
    events = root.find("ScoredEvents")
    types = [e.findtext("EventType") for e in events]
    stages = [e for e in events if e.findtext("EventType") == "Stages|Stages"]
    total = sum(float(e.findtext("Duration")) for e in stages)
    assert total == hard_night.hypnogram.n_epochs * 30.0
    assert types.count("Respiratory|Respiratory") == len(hard_night.respiratory)
    assert types.count("Arousals|Arousals") == len(hard_night.arousals)
    assert types.count("Limb Movement|Limb Movement") == len(hard_night.truth_lms)
    tsv = pd.read_csv(write_truth_tsv(hard_night, tmp_path / "truth.tsv"), sep="\t")
    assert list(tsv.columns[:2]) == ["onset", "duration"]
    np.testing.assert_allclose(tsv["onset"], hard_night.truth_lms["onset"], atol=1e-4)


def test_hypnogram_architecture():
    from plms.simulate.sleep import simulate_hypnogram

    for seed in range(5):
        hyp = simulate_hypnogram(np.random.default_rng(seed), 8 * 3600.0, lights=True,
                                 fragmented=True)
        stages = hyp.stages
        assert hyp.n_epochs == 960 and stages[0] == "W" and stages[-1] == "W"
        assert hyp.lights_off_s is not None and hyp.lights_on_s is not None
        third = hyp.n_epochs // 3
        assert np.sum(stages[:third] == "N3") > np.sum(stages[2 * third:] == "N3")
        assert np.sum(stages[hyp.n_epochs // 2:] == "R") > np.sum(stages[:hyp.n_epochs // 2] == "R")
        assert 300 <= hyp.tst_min <= 470
        awakenings = np.sum((stages[1:] == "W") & (stages[:-1] != "W"))
        assert awakenings >= 3


def test_series_twitches_and_pops(hard_night):
    truth = hard_night.truth_lms
    series = truth[truth["origin"] == "series"].drop_duplicates("onset")
    imis = np.diff(series["onset"].to_numpy())
    assert 10.0 < np.median(imis[imis > 1.0]) < 90.0
    art = hard_night.artifacts
    twitches = art[art["kind"].isin(["twitch", "rem_twitch"])]
    assert len(twitches) > 0 and (twitches["duration"] < 0.3).all()
    for kind, gap in (("twitch", 1.0), ("rem_twitch", 1.0), ("pop", 1.5)):
        for r in art[art["kind"] == kind].itertuples():
            legs = truth[truth["side"] == r.side]
            near = (legs["onset"] - gap < r.onset + r.duration) & (
                legs["onset"] + legs["duration"] + gap > r.onset)
            assert not near.any(), kind


def test_generate_night_cli(tmp_path):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "generate_night.py"
    spec = importlib.util.spec_from_file_location("generate_night", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "n.edf"
    args = ["--seed", "2", "--hours", "0.05", "--fs", "256", "--unit", "mV", "--montage", "none",
            "--out", str(out), "--xml", "--truth", str(tmp_path / "n.tsv"), "--no-ecg"]
    assert module.main(args) == 0
    assert out.exists() and (tmp_path / "n-nsrr.xml").exists() and (tmp_path / "n.tsv").exists()
    labels = {s.label: s.physical_dimension for s in edfio.read_edf(out).signals}
    assert labels["Leg L"] == "mV" and labels["Leg R"] == "mV"
    assert module.main(["--fs", "90", "--out", str(tmp_path / "bad.edf")]) == 2
