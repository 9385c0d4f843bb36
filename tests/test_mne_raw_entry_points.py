"""Every entry point that takes a recording also takes an ``mne.io.Raw`` (issue 17).

MNE keeps voltages in volts; an accelerometer in g it leaves unconverted, with
no unit (the unit then comes from ``unit=``, or the header of the file MNE read). Each entry point
is held to what it gives on the same night as a file or as arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import plms
from plms.errors import PlmsInputError
from plms.simulate import (
    AccelSpec, NightSpec, one_channel_truth, simulate_accel_night, simulate_night,
    write_accel_edf,
)
from plms.validation.agreement import match_events

mne = pytest.importorskip("mne")

FS = 256
SPEC = NightSpec(duration_h=0.25, fs_leg=FS, plm_severity=60.0, difficulty="clean")
UV = 1e-6   # MNE's volts per µV
MIN_F1 = 0.97


@pytest.fixture(scope="module")
def night():
    return simulate_night(seed=31, spec=SPEC)


def _raw(channels: dict[str, np.ndarray], fs: float, kinds: list[str]):
    info = mne.create_info(list(channels), fs, kinds)
    return mne.io.RawArray(np.vstack(list(channels.values())), info, verbose="error")


@pytest.fixture(scope="module")
def two_legs(night):
    sig = night.signals
    return _raw({lab: sig[lab].data * UV for lab in (*night.leg_labels, night.ecg_label)},
                FS, ["emg", "emg", "ecg"])


@pytest.fixture(scope="module")
def one_channel(night):
    sig = night.signals
    both = (sig[night.left_label].data + sig[night.right_label].data) * UV
    return _raw({"Leg": both, night.ecg_label: sig[night.ecg_label].data * UV}, FS,
                ["emg", "ecg"])


def test_score_and_score_edf_take_a_raw_of_one_leg_channel(night, one_channel):
    truth = one_channel_truth(night, "combined")
    ann = night.truth_annotations()
    by_score = plms.score(one_channel, annotations=ann, keep_excerpt=False)
    by_edf = plms.score_edf(one_channel, annotations=ann, legs="Leg", keep_excerpt=False)
    for result in (by_score, by_edf):
        assert result.summary["channels"]["combined"] == "Leg"
        assert result.summary["file"] == "mne.io.Raw"
        assert match_events(truth, result.per_leg, min_iou=0.5).f1 >= MIN_F1
    pd.testing.assert_frame_equal(by_score.events, by_edf.events)


def test_score_night_takes_a_raw(one_channel, night, tmp_path):
    written = plms.api.score_night(one_channel, tmp_path, annotations=night.truth_annotations(),
                                   write="nsrr-xml")
    assert [p.name for p in written.paths] == ["night.events.tsv", "night.summary.json",
                                               "night.plms-nsrr.xml"]
    again = plms.rescore(tmp_path / "night.plms-nsrr.xml").summary
    assert again["n_plms"] == written.result.summary["n_plms"]


def test_detect_lm_raw_chooses_the_channels_like_a_file(night, two_legs, one_channel):
    both = plms.detect_lm_raw(two_legs, ecg=night.ecg_label)   # channels detected
    given = plms.detect_lm_raw(two_legs, night.left_label, night.right_label,
                               ecg=night.ecg_label)
    pd.testing.assert_frame_equal(both, given)
    for side in ("left", "right"):
        truth = night.truth_lms[night.truth_lms.side == side]
        assert match_events(truth, both[both.side == side], min_iou=0.5).f1 >= MIN_F1
    combined = plms.detect_lm_raw(one_channel, ecg=night.ecg_label)
    assert set(combined.side) == {"combined"}
    truth = one_channel_truth(night, "combined")
    assert match_events(truth, combined, min_iou=0.5).f1 >= MIN_F1
    left_only = plms.detect_lm_raw(two_legs, legs=night.left_label)
    assert set(left_only.side) == {"combined"}
    np.testing.assert_allclose(left_only.onset, both[both.side == "left"].onset)


def test_detect_lm_raw_derives_a_leg_from_two_electrodes(night):
    sig = night.signals
    reference = np.random.default_rng(0).standard_normal(sig[night.left_label].data.size) * 50
    raw = _raw({"Lleg1": (sig[night.left_label].data + reference) * UV,
                "Lleg2": reference * UV}, FS, ["emg", "emg"])
    derived = plms.detect_lm_raw(raw)                           # Lleg1 minus Lleg2, left alone
    truth = night.truth_lms[night.truth_lms.side == "left"]
    assert set(derived.side) == {"left"}
    assert match_events(truth, derived, min_iou=0.5).f1 >= MIN_F1


@pytest.fixture(scope="module")
def ankles(tmp_path_factory):
    accel = simulate_accel_night(21, AccelSpec(duration_h=0.5, fs_hz=50.0, difficulty="clean"))
    path = write_accel_edf(accel, tmp_path_factory.mktemp("acc") / "ankles.edf")
    return accel, path


def test_score_accel_takes_a_raw_read_by_mne(ankles):
    _, path = ankles
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")   # g, unit from the header
    from_file = plms.score_accel(path, keep_excerpt=False)
    from_raw = plms.score_accel(raw, keep_excerpt=False)
    by_score = plms.score(raw, keep_excerpt=False)                    # modality decided: accel
    assert by_score.summary["modality"] == "accel"
    for result in (from_raw, by_score):
        assert result.summary["file"] == str(path)
        pd.testing.assert_frame_equal(result.per_leg, from_file.per_leg, atol=1e-3)
        assert result.summary["n_plm"] == from_file.summary["n_plm"]


def test_score_accel_on_a_raw_array_needs_its_unit(ankles):
    accel, path = ankles
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    bare = mne.io.RawArray(raw.get_data() * 1000.0, mne.create_info(
        raw.ch_names, raw.info["sfreq"], "misc"), verbose="error")     # the same night in mg
    with pytest.raises(PlmsInputError, match="unit of the accelerometer channels"):
        plms.score_accel(bare)
    in_mg = plms.score_accel(bare, unit="mg", keep_excerpt=False)
    from_file = plms.score_accel(path, keep_excerpt=False)
    assert in_mg.summary["file"] == "mne.io.Raw" and in_mg.stem == "night"
    pd.testing.assert_frame_equal(in_mg.per_leg, from_file.per_leg, atol=1e-3)
    truth = accel.truth_lms
    assert len(truth) and in_mg.summary["n_lm"] > 0


def test_raw_sampled_too_slowly_for_an_ecg_leaves_it_out_with_a_warning():
    """A Raw at 64 Hz: its ECG cannot give R peaks (100 Hz needed), so it is not used."""
    from plms.io.psg.mne_raw import recording_from_raw

    fs = 64.0
    rng = np.random.default_rng(0)
    raw = _raw({lab: rng.standard_normal(int(60 * fs)) * UV for lab in ("LAT", "RAT", "ECG")},
               fs, ["emg", "emg", "ecg"])
    rec = recording_from_raw(raw)
    assert rec.ecg is None and set(rec.legs) == {"left", "right"}
    (note,) = [w for w in rec.warnings if "'ECG'" in w]
    assert "64 Hz" in note and "at least 100 Hz" in note
