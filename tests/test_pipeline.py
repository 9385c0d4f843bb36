"""score_edf on nights with problems in the signals or the annotations."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import plms
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.simulate import (
    NightSpec, SimChannel, SimulatedNight, simulate_night, write_edf, write_nsrr_xml,
)

SPEC = NightSpec(duration_h=0.25, fs_leg=256, plm_severity=60.0)


@pytest.fixture(scope="module")
def night():
    return simulate_night(seed=41, spec=SPEC)


def _with_leg(night, data):
    ch = night.signals[night.left_label]
    signals = dict(night.signals)
    signals[night.left_label] = SimChannel(np.asarray(data, dtype=float), ch.fs, ch.unit)
    return dataclasses.replace(night, signals=signals)


def test_flat_leg_channel_is_refused(night, tmp_path):
    flat = _with_leg(night, np.zeros(night.signals[night.left_label].data.size))
    path = write_edf(flat, tmp_path / "flat.edf", extra_channels=False)
    with pytest.raises(PlmsInputError, match=r"flat.edf: .*'Leg L' is flat"):
        plms.score_edf(path)


def test_saturated_leg_channel_is_refused(night, tmp_path):
    n = night.signals[night.left_label].data.size
    railing = np.where(np.arange(n) % 2 == 0, 1e6, -1e6)       # far beyond the range
    path = write_edf(_with_leg(night, railing), tmp_path / "sat.edf", extra_channels=False)
    with pytest.raises(PlmsInputError, match="saturated"):
        plms.score_edf(path)


def test_partly_clipped_channel_is_a_warning(night, tmp_path):
    data = night.signals[night.left_label].data.copy()
    data[: data.size // 100] = 1e6                              # 1 % at the limit
    path = write_edf(_with_leg(night, data), tmp_path / "clip.edf", extra_channels=False)
    result = plms.score_edf(path)
    assert any("physical limits" in w for w in result.warnings)


def test_low_sampling_rate_is_scored_with_a_warning(tmp_path):
    low = simulate_night(seed=2, spec=dataclasses.replace(SPEC, fs_leg=128))
    result = plms.score_edf(write_edf(low, tmp_path / "low.edf", extra_channels=False))
    assert any("128 Hz" in w and "200 Hz" in w for w in result.warnings)
    assert result.summary["n_lm"] > 0


def test_ecg_sampled_too_slowly_is_not_used_and_the_warnings_say_so(night, tmp_path):
    """``--ecg Airflow`` at 32 Hz: not used, and no warning says no ECG channel was found."""
    ecg = night.signals[night.ecg_label]
    signals = {lab: ch for lab, ch in night.signals.items() if lab != night.ecg_label}
    signals["Airflow"] = SimChannel(ecg.data[:: int(ecg.fs) // 32], 32, "uV")
    slow = dataclasses.replace(night, signals=signals, ecg_label="Airflow")
    path = write_edf(slow, tmp_path / "airflow.edf", extra_channels=False)
    result = plms.score_edf(path, ecg="Airflow")
    (note,) = [w for w in result.warnings if "'Airflow'" in w]
    assert "32 Hz" in note and "at least 100 Hz" in note
    assert any(w.startswith("no usable ECG channel") for w in result.warnings)
    assert not any("no ECG channel found" in w for w in result.warnings)
    assert result.summary["channels"]["ecg"] is None


def test_hypnogram_longer_than_recording_is_cut_with_warning(night, tmp_path):
    extra = np.r_[night.hypnogram.stages, np.full(20, "N2")]
    longer_hypnogram = dataclasses.replace(night.hypnogram, stages=extra)
    longer = dataclasses.replace(night, hypnogram=longer_hypnogram)
    path = write_edf(night, tmp_path / "n.edf", extra_channels=False, annotations=False)
    write_nsrr_xml(longer, tmp_path / "n-nsrr.xml")
    result = plms.score_edf(path)
    # the XML carries no lights markers: every epoch inside the recording is in bed
    assert result.summary["tib_min"] == pytest.approx(night.duration_s / 60.0)
    assert any("longer than the recording" in w for w in result.warnings)


def test_hypnogram_shorter_than_recording_warns_and_leaves_tail_unstaged(night, tmp_path):
    half = night.hypnogram.n_epochs // 2
    shorter = dataclasses.replace(night, hypnogram=Hypnogram(night.hypnogram.stages[:half]))
    path = write_edf(night, tmp_path / "s.edf", extra_channels=False, annotations=False)
    write_nsrr_xml(shorter, tmp_path / "s-nsrr.xml")
    result = plms.score_edf(path)
    assert any("ends at" in w for w in result.warnings)
    tail = result.events[result.events.onset >= half * 30.0]
    assert (tail.stage == "n/a").all()


def test_events_outside_the_recording_are_dropped_with_a_count(night, tmp_path):
    resp = pd.concat([night.respiratory, pd.DataFrame(
        {"onset": [night.duration_s + 100.0, night.duration_s + 200.0], "duration": [20.0, 20.0],
         "kind": ["hypopnea", "hypopnea"]})], ignore_index=True)
    path = write_edf(night, tmp_path / "o.edf", extra_channels=False, annotations=False)
    write_nsrr_xml(dataclasses.replace(night, respiratory=resp), tmp_path / "o-nsrr.xml")
    result = plms.score_edf(path)
    assert any(w.startswith("2 respiratory") and "outside the recording" in w
               for w in result.warnings)


def test_explicit_annotations_override_the_sidecar(night, tmp_path):
    path = write_edf(night, tmp_path / "x.edf", extra_channels=False, annotations=False)
    other = dataclasses.replace(night, hypnogram=Hypnogram(np.full(night.hypnogram.n_epochs, "W")))
    write_nsrr_xml(night, tmp_path / "x-nsrr.xml")
    write_nsrr_xml(other, tmp_path / "awake.xml")
    result = plms.score_edf(path, annotations=tmp_path / "awake.xml")
    assert result.summary["tst_min"] == 0.0
    assert result.summary["plms_index"] is None
    assert result.summary["annotations_source"].endswith("awake.xml")


def test_score_edf_matches_score_lms_on_its_own_detections(night, tmp_path):
    """The pipeline adds nothing hidden: rules on its per-leg table give its events."""
    path = write_edf(night, tmp_path / "p.edf", extra_channels=False)
    result = plms.score_edf(path)
    again = plms.score_lms(result.per_leg, hypnogram=result.hypnogram,
                           respiratory=night.respiratory, arousals=night.arousals)
    pd.testing.assert_frame_equal(result.events, again.events)


def test_remlogic_clock_times_are_aligned_to_the_edf_start(night, tmp_path):
    """A RemLogic export is in wall-clock time: its first stage epoch at 22:31:00
    lies 60 s after an EDF that starts at 22:30:00, so every epoch moves by 60 s."""
    from datetime import datetime

    start = datetime(2024, 1, 1, 22, 30, 0)
    path = write_edf(night, tmp_path / "r.edf", extra_channels=False, annotations=False,
                     start=start)
    lines = ["RemLogic Event Export", "Patient ID:\tX", "Recording Date:\t1/1/2024", "",
             "Time [hh:mm:ss]\tEvent\tDuration[s]\tLocation"]
    for k in range(20):
        t = datetime(2024, 1, 1, 22, 31, 0).timestamp() + 30 * k
        stamp = datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S.000000")
        lines.append(f"{stamp}\t{'SLEEP-S0' if k < 2 else 'SLEEP-S2'}\t30\tEEG-C4-A1")
    remlogic = tmp_path / "r-events.txt"
    remlogic.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    result = plms.score_edf(path, annotations=remlogic)
    hyp = result.hypnogram
    assert hyp.start_s == pytest.approx(60.0)
    assert hyp.stage_at([59.0, 61.0, 121.0]).tolist() == ["n/a", "W", "N2"]
    assert result.summary["tst_min"] == pytest.approx(9.0)


# ------------------------------------------------------------ legs and truths
def _leg_f1(night: SimulatedNight, per_leg: pd.DataFrame, side: str, other: str) -> float | None:
    """F1 at IoU >= 0.5 of ``side``'s detections against ``other``'s truth."""
    from plms.validation.agreement import match_events

    truth = night.truth_lms[night.truth_lms.side == other]
    return match_events(truth, per_leg[per_leg.side == side], min_iou=0.5).f1


def test_per_leg_matches_each_sides_own_truth(tmp_path):
    """Each side's reported movements are that leg's (a leg swap would fail here)."""
    spec = NightSpec(duration_h=0.25, fs_leg=256, difficulty="clean", plm_severity=60.0,
                     ecg=True, tone_changes=True, twitches=True)
    night = simulate_night(seed=42, spec=spec)
    result = plms.score_edf(write_edf(night, tmp_path / "legs.edf", extra_channels=False))
    per_leg = result.per_leg
    for side, other in (("left", "right"), ("right", "left")):
        own, crossed = _leg_f1(night, per_leg, side, side), _leg_f1(night, per_leg, side, other)
        assert own >= 0.97, (side, own)
        assert crossed < 0.8, (side, own, crossed)   # the two legs differ enough to tell


#: A hand-made 30-min night: stages per 30-s epoch, and the onsets (s) of
#: 1.5-s bursts of 40 µV on the LEFT leg only.
HAND_STAGES = ["W"] * 4 + ["N2"] * 36 + ["R"] * 10 + ["W"] * 10   # W 0-120, N2 -1200, R -1500
HAND_SERIES = {
    "N2 series of 6 (IMI 20 s)": [200.0, 220.0, 240.0, 260.0, 280.0, 300.0],
    "isolated": [500.0],
    "N2 run of 3 (IMI 30 s): no series": [700.0, 730.0, 760.0],
    "REM series of 5 (IMI 15 s)": [1250.0, 1265.0, 1280.0, 1295.0, 1310.0],
    "wake series of 4 (IMI 20 s)": [1600.0, 1620.0, 1640.0, 1660.0],
}
HAND_BURST_S, HAND_BURST_UV, HAND_REST_UV, HAND_FS = 1.5, 40.0, 3.0, 256


def _band_noise(n: int, fs: float, seed: int) -> np.ndarray:
    """Noise in the EMG band (10-100 Hz) with a mean rectified value of 1."""
    from scipy import signal as sps

    sos = sps.butter(4, [10.0, 100.0], btype="bandpass", fs=fs, output="sos")
    x = sps.sosfiltfilt(sos, np.random.default_rng(seed).standard_normal(n))
    return x / np.mean(np.abs(x))


def _hand_night(tmp_path: Path) -> Path:
    """The hand-made night as an EDF+ (stages as annotations, no respiratory events)."""
    duration_s = 30.0 * len(HAND_STAGES)
    vehicle = simulate_night(seed=1, spec=NightSpec(duration_h=duration_s / 3600.0,
                                                    fs_leg=HAND_FS, difficulty="clean"))
    t = np.arange(int(duration_s * HAND_FS)) / HAND_FS
    left = np.full(t.size, HAND_REST_UV)
    for onset in np.concatenate(list(HAND_SERIES.values())):
        left[(t >= onset) & (t < onset + HAND_BURST_S)] += HAND_BURST_UV
    ecg_fs = vehicle.signals[vehicle.ecg_label].fs
    te = np.arange(int(duration_s * ecg_fs)) / ecg_fs
    beats = np.arange(0.4, duration_s, 0.9)                      # 67 bpm
    ecg = 1000.0 * np.exp(-0.5 * ((te[:, None] - beats[None, :50]) / 0.012) ** 2).sum(1)
    ecg = np.tile(ecg[te < 45.0], int(np.ceil(duration_s / 45.0)))[: te.size]
    signals = {
        vehicle.left_label: SimChannel(left * _band_noise(t.size, HAND_FS, 1), HAND_FS, "uV"),
        vehicle.right_label: SimChannel(HAND_REST_UV * _band_noise(t.size, HAND_FS, 2),
                                        HAND_FS, "uV"),
        vehicle.ecg_label: SimChannel(ecg, ecg_fs, "uV"),
    }
    empty = pd.DataFrame({"onset": [], "duration": [], "kind": []})
    hand = dataclasses.replace(
        vehicle, signals=signals, hypnogram=Hypnogram(np.array(HAND_STAGES)),
        respiratory=empty, arousals=empty.drop(columns="kind"))
    return write_edf(hand, tmp_path / "hand.edf", extra_channels=False)


@pytest.fixture(scope="module")
def hand_edf(tmp_path_factory):
    return _hand_night(tmp_path_factory.mktemp("hand"))


def test_movements_on_one_leg_are_reported_on_that_leg_only(hand_edf):
    result = plms.score_edf(hand_edf)
    per_leg = result.per_leg
    assert (per_leg.side == "right").sum() == 0
    left = per_leg[per_leg.side == "left"]
    placed = np.sort(np.concatenate(list(HAND_SERIES.values())))
    assert len(left) == placed.size
    np.testing.assert_allclose(left.onset, placed, atol=0.15)
    np.testing.assert_allclose(left.duration, HAND_BURST_S, atol=0.15)
    assert set(result.events.side) == {"left"}


@pytest.mark.parametrize("rules", ["wasm2016", "aasm"])
def test_hand_made_night_gives_the_hand_counted_plms(hand_edf, rules):
    """Counted by hand from RULES.md sections 3 and 5 (not by score_lms):
    TST = N2 18 min + R 5 min = 23 min, wake 4 + 10 = 14 epochs = 7 min.
    Series: N2 6 (IMI 20 s), REM 5 (IMI 15 s), wake 4 (IMI 20 s); the
    isolated LM and the run of 3 are no series (gaps of 200 s and more
    break every run). PLMS = 6 + 5 = 11, index 11 / (23/60 h) = 28.70/h.
    WASM: wake LMs count, 4 PLMW, 34.29/h over 7 min of wake, 19 LMs;
    AASM: wake LMs are detected (19 LMs) but dropped before series, PLMW null."""
    s = plms.score_edf(hand_edf, rules=rules).summary
    assert s["tst_min"] == pytest.approx(23.0)
    assert s["wake_min"] == pytest.approx(7.0)
    assert s["n_plms"] == 11
    assert s["plms_index"] == pytest.approx(11 / (23.0 / 60.0))
    assert s["plms_by_stage"]["N2"] == 6 and s["plms_by_stage"]["R"] == 5
    if rules == "wasm2016":
        assert s["n_lm"] == 19 and s["n_plm"] == 15 and s["n_plmw"] == 4
        assert s["plmw_index"] == pytest.approx(4 / (7.0 / 60.0))
    else:
        assert s["n_lm"] == 19 and s["n_plm"] == 11 and s["plmw_index"] is None
