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


# -- the generator's own thresholds (issue 14) ---------------------------------------------
def test_generator_thresholds_are_the_rule_sheet():
    """The truth thresholds equal the rule sheet, hand-copied here, not read from plms.rules."""
    import ast
    import inspect

    from plms.simulate import movements

    # ../shared/RULES.md section 1: onset >= 8 uV above the resting baseline; offset at the
    # start of >= 0.5 s below 2 uV above it. Section 2: LMs of the two legs are bilateral when
    # the next onset is < 0.5 s after the previous offset.
    assert movements.ONSET_UV == 8.0
    assert movements.OFFSET_UV == 2.0
    assert movements.QUIET_S == 0.5
    assert movements.BILATERAL_JOIN_S == 0.5
    imported = {node.module for node in ast.walk(ast.parse(inspect.getsource(movements)))
                if isinstance(node, ast.ImportFrom)}
    assert not any(m and m.startswith("plms.rules") for m in imported)


def test_truth_measure_on_a_hand_built_envelope():
    from plms.simulate.movements import measure

    fs = 100.0
    k = np.arange(201)
    # rises 0 -> 20 uV over 1 s, falls back over 1 s: first sample >= 8 uV is k = 40,
    # last sample >= 2 uV is k = 190, so the truth is [0.40, 1.91) s after the start
    env = np.where(k <= 100, k / 5.0, 20.0 - (k - 100) / 5.0)
    assert measure(0, env, fs) == pytest.approx((0.40, 1.91))
    assert measure(50, env, fs) == pytest.approx((0.90, 2.41))
    # two 20-uV plateaus 0.4 s apart are one movement; 0.6 s apart, two (no single truth)
    for gap_s, expected in ((0.4, (0.0, 1.4)), (0.6, None)):
        burst = np.full(50, 20.0)
        two = np.concatenate([burst, np.zeros(int(gap_s * fs)), burst])
        got = measure(0, two, fs)
        assert got == (None if expected is None else pytest.approx(expected))
    assert measure(0, np.full(100, 7.9), fs) is None


# -- harder recording conditions (issue 14) -------------------------------------------------
HARDER_BASE = NightSpec(duration_h=0.1, fs_leg=256, electrode_off=False)


def _clean(**kw):
    return NightSpec(difficulty="clean", electrode_off=False, **kw)


def test_harder_conditions_are_off_by_default():
    from plms.simulate.conditions import CONDITIONS, condition_spec

    spec = NightSpec()
    assert not (spec.high_tone or spec.irregular_rhythm or spec.amplifier_notch
                or spec.invert_polarity or spec.mains_harmonics)
    assert spec.amplifier_band_hz is None and spec.storage_uv_per_bit is None
    assert spec.dc_offset_uv == 0.0
    assert condition_spec("today") == spec
    assert set(CONDITIONS) == {"today", "high_tone", "irregular_rhythm", "amplifier", "coarse",
                               "dc_inverted", "mains_harmonics", "all"}
    with pytest.raises(ValueError, match="high_tone"):
        condition_spec("noisy")


@pytest.mark.parametrize("name", ["high_tone", "irregular_rhythm", "amplifier", "coarse",
                                  "dc_inverted", "mains_harmonics", "all"])
def test_harder_condition_keeps_truth_and_changes_the_legs(name):
    from plms.simulate.conditions import condition_spec

    base = simulate_night(4, HARDER_BASE)
    hard = simulate_night(4, condition_spec(name, HARDER_BASE))
    pd.testing.assert_frame_equal(base.truth_lms, hard.truth_lms)
    pd.testing.assert_frame_equal(base.respiratory, hard.respiratory)
    for label in HARDER_BASE.leg_labels:
        assert hard.signals[label].data.size == base.signals[label].data.size
        assert not np.allclose(hard.signals[label].data, base.signals[label].data)


def _rms(x, fs):
    return float(np.sqrt(np.mean(reference_bandpass(x, fs) ** 2)))


def test_high_tone_level_and_raised_stretches():
    night = simulate_night(2, _clean(duration_h=1.0, fs_leg=128, high_tone=True))
    fs = 128
    stretches = night.artifacts[night.artifacts["kind"] == "raised_tone"]
    assert len(stretches) == 4  # four stretches of 5-15 min (the 1-h night caps them at 12)
    assert stretches["duration"].between(300.0, 720.0).all()
    assert set(stretches["side"]) <= {"left", "right", "both"}
    for label, side in zip(night.leg_labels, ("left", "right"), strict=True):
        x = night.signals[label].data
        band = reference_bandpass(x, fs)
        quiet = np.ones(x.size, dtype=bool)
        for r in night.truth_lms[night.truth_lms["side"] == side].itertuples():
            quiet[max(0, int((r.onset - 1) * fs)):int((r.onset + r.duration + 1) * fs)] = False
        raised = np.zeros(x.size, dtype=bool)
        for r in stretches.itertuples():
            raised[int(r.onset * fs):int((r.onset + r.duration) * fs)] = True
        outside = np.sqrt(np.mean(band[quiet & ~raised] ** 2))
        assert 4.0 * 0.95 <= outside <= 9.0 * 1.05  # 4-9 uV RMS at rest
        for r in stretches.itertuples():
            middle = np.zeros(x.size, dtype=bool)  # away from the 30-s ramps
            middle[int((r.onset + 40) * fs):int((r.onset + r.duration - 40) * fs)] = True
            ratio = np.sqrt(np.mean(band[quiet & middle] ** 2)) / outside
            if r.side in (side, "both"):
                assert 3.0 * 0.93 <= ratio <= 4.5 * 1.07, (label, r)
            else:
                assert 0.9 <= ratio <= 1.1, (label, r)


def test_irregular_rhythm_with_ectopic_beats():
    night = simulate_night(3, _clean(duration_h=1.0, fs_leg=256, rest_range_uv=(1.5, 1.5),
                                     irregular_rhythm=True))
    fs = 256
    rr = np.diff(night.beats_s)
    assert rr.min() >= 0.45 and rr.max() <= 1.3
    assert rr.std() / rr.mean() > 0.15  # irregular (a sinus rhythm varies by a few %)
    ectopic = np.isin(night.beats_s, night.ectopic_s)
    assert 0.03 < ectopic.mean() < 0.15
    peaks, shapes = [], []
    for label in night.leg_labels:
        x = night.signals[label].data
        idx = np.rint(night.beats_s * fs).astype(int)
        idx = idx[(idx > fs) & (idx < x.size - fs)]
        keep = np.isin(np.rint(night.beats_s * fs).astype(int), idx)
        windows = np.stack([x[i - int(0.06 * fs):i + int(0.1 * fs)] for i in idx])
        peak = np.abs(windows).max(axis=1)
        peaks.append((np.median(peak[~ectopic[keep]]), np.median(peak[ectopic[keep]])))
        shapes.append((windows[~ectopic[keep]].mean(axis=0), windows[ectopic[keep]].mean(axis=0)))
    strong = int(np.argmax([p[0] for p in peaks]))
    normal, ectopic_peak = peaks[strong]
    assert 50.0 <= normal <= 95.0  # about 70 uV of ECG in the stronger leg
    assert 1.6 <= ectopic_peak / normal <= 2.4  # ectopic beats: twice the QRS
    assert peaks[1 - strong][0] <= 0.6 * normal  # the other leg sees less
    a, b = shapes[strong]
    assert np.corrcoef(a, b)[0, 1] < 0.5  # and another shape


def test_amplifier_band_pass_and_notch():
    from scipy import signal as sps

    from plms.simulate.recording import amplifier_band

    spec = _clean(duration_h=0.1, fs_leg=512, mains=True, drift=True)
    base = simulate_night(6, spec)
    amp = simulate_night(6, dataclasses.replace(spec, amplifier_band_hz=(10.0, 100.0),
                                                amplifier_notch=True))
    fs = 512
    f, p_base = sps.welch(base.signals["Leg L"].data, fs=fs, nperseg=4 * fs)
    _, p_amp = sps.welch(amp.signals["Leg L"].data, fs=fs, nperseg=4 * fs)
    ratio = p_amp / p_base
    at = {hz: ratio[np.argmin(np.abs(f - hz))] for hz in (0.5, 30.0, 50.0)}
    assert at[0.5] < 0.01  # 2nd-order 10-Hz high-pass: |H(0.5 Hz)|^2 ~ (0.5/10)^4
    assert 0.8 < at[30.0] < 1.2  # pass band
    assert at[50.0] < 0.01  # notch at the 50-Hz mains
    assert amplifier_band((10.0, 100.0), 200.0) == (10.0, 90.0)  # capped at 0.45 fs


def test_coarse_storage_in_memory_and_in_the_edf(tmp_path):
    for unit, step in (("uV", 0.5), ("mV", 1.0)):
        night = simulate_night(2, dataclasses.replace(SHORT, duration_h=0.03, leg_unit=unit,
                                                      storage_uv_per_bit=step))
        path = write_edf(night, tmp_path / f"coarse-{unit}.edf", extra_channels=False)
        signals = {s.label: s for s in edfio.read_edf(path).signals}
        for label in night.leg_labels:
            uv = night.signals[label].as_uv()
            np.testing.assert_allclose(uv / step, np.rint(uv / step), atol=1e-6)
            sig = signals[label]
            pmin, pmax = sig.physical_min, sig.physical_max
            per_bit = (pmax - pmin) / (sig.digital_max - sig.digital_min)
            assert per_bit * (1000.0 if unit == "mV" else 1.0) == pytest.approx(step)
            np.testing.assert_allclose(sig.data, night.signals[label].data,
                                       atol=1e-6 * (1e-3 if unit == "mV" else 1.0))


def test_dc_offset_and_inverted_polarity():
    spec = dataclasses.replace(HARDER_BASE, duration_h=0.03)
    base = simulate_night(8, spec)
    moved = simulate_night(8, dataclasses.replace(spec, dc_offset_uv=400.0,
                                                  invert_polarity=True))
    for label in spec.leg_labels:
        offset = moved.signals[label].data + base.signals[label].data  # -x + c + x
        assert np.ptp(offset) < 1e-9
        assert 200.0 <= abs(offset[0]) <= 400.0


def test_mains_with_harmonics():
    from scipy import signal as sps

    spec = _clean(duration_h=0.05, fs_leg=512, mains_hz=60.0)
    base = simulate_night(9, spec)
    hum = simulate_night(9, dataclasses.replace(spec, mains_harmonics=True))
    f, p_base = sps.welch(base.signals["Leg R"].data, fs=512, nperseg=2048)
    _, p_hum = sps.welch(hum.signals["Leg R"].data, fs=512, nperseg=2048)
    ratio = {hz: p_hum[np.argmin(np.abs(f - hz))] / p_base[np.argmin(np.abs(f - hz))]
             for hz in (50.0, 60.0, 120.0, 180.0, 240.0)}
    for hz in (60.0, 120.0, 180.0):  # fundamental and the harmonics below 0.45 fs
        assert ratio[hz] > 100.0, hz
    assert ratio[50.0] == pytest.approx(1.0, rel=0.05)
    assert ratio[240.0] == pytest.approx(1.0, rel=0.05)  # above 0.45 fs: filtered out


@pytest.mark.parametrize(("field", "value", "match"), [
    ("amplifier_band_hz", (100.0, 10.0), "amplifier_band_hz"),
    ("amplifier_band_hz", (0.0, 70.0), "amplifier_band_hz"),
    ("storage_uv_per_bit", 0.0, "storage_uv_per_bit"),
    ("storage_uv_per_bit", 20.0, "storage_uv_per_bit"),
    ("dc_offset_uv", 5000.0, "dc_offset_uv"),
    ("dc_offset_uv", float("nan"), "dc_offset_uv"),
    ("high_tone", None, "high_tone"),
])
def test_harder_condition_validation(field, value, match):
    with pytest.raises(ValueError, match=match):
        NightSpec(**{field: value})


def test_evaluate_detection_script(capsys):
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "evaluate_detection.py"
    spec = importlib.util.spec_from_file_location("evaluate_detection", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.parse_seeds("500-503") == [500, 501, 502, 503]
    assert module.parse_seeds("7") == [7]
    code = module.main(["--condition", "coarse", "--hours", "0.05", "--seeds", "3-3"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "seed    3" in out and "condition coarse" in out and "offset error" in out
    with pytest.raises(SystemExit):
        module.main(["--condition", "noisy"])
