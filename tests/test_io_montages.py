"""Montages of real labs and cohorts: header encodings, electrode pairs, ambiguity."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_io_edfwriter import legs_fixture, write_fixture

import plms
from plms.errors import PlmsInputError
from plms.io import choose_leg_channels, leg_side, read_recording
from plms.io._edfformat import read_header

#: ``Jambe gauche é`` as a UTF-8 recorder writes it, ``Jambe droite é`` in latin-1.
UTF8_LEFT = "Jambe gauche \u00e9".encode()
LATIN1_RIGHT = "Jambe droite \u00e9".encode("latin-1")


def test_non_ascii_labels_are_read_in_their_encoding(tmp_path):
    assert UTF8_LEFT.endswith(b"\xc3\xa9") and LATIN1_RIGHT.endswith(b"\xe9")
    fx = legs_fixture(labels=(UTF8_LEFT, LATIN1_RIGHT))
    path = write_fixture(tmp_path / "fr.edf", fx)
    labels = [s.label for s in read_header(path).signals]
    assert labels == ["Jambe gauche \u00e9", "Jambe droite \u00e9"]
    rec = read_recording(path, left="Jambe gauche \u00e9", right="Jambe droite \u00e9")
    assert (rec.left.label, rec.right.label) == ("Jambe gauche \u00e9", "Jambe droite \u00e9")
    np.testing.assert_allclose(rec.left.data, fx.signals[0].digital * 0.1, atol=1e-3)
    np.testing.assert_allclose(rec.right.data, fx.signals[1].digital * 0.1, atol=1e-3)


def test_non_ascii_label_reaches_the_summary(tmp_path):
    """End to end: --left with the accented label, and the summary shows it as written."""
    night = plms.simulate.simulate_night(seed=3, spec=plms.simulate.NightSpec(
        duration_h=0.1, fs_leg=256, difficulty="clean"))
    path = plms.simulate.write_edf(night, tmp_path / "fr.edf", extra_channels=False)
    raw = bytearray(path.read_bytes())
    header = read_header(path)
    for sig, new in zip((s for s in header.signals if s.label in night.leg_labels),
                        (UTF8_LEFT, LATIN1_RIGHT), strict=True):
        at = 256 + 16 * sig.index
        raw[at:at + 16] = new.ljust(16, b" ")
    path.write_bytes(bytes(raw))
    result = plms.score_edf(path, left="Jambe gauche \u00e9", right="Jambe droite \u00e9")
    assert result.summary["channels"]["left"] == "Jambe gauche \u00e9"
    assert result.summary["channels"]["right"] == "Jambe droite \u00e9"
    written = result.write(tmp_path / "out")["summary"]
    summary = json.loads(written.read_text(encoding="utf-8"))
    assert summary["channels"]["left"] == "Jambe gauche \u00e9"


@pytest.mark.parametrize("unit", [b"\xb5V", "\u00b5V".encode(), b"uV"])
def test_micro_sign_in_either_encoding_is_microvolts(tmp_path, unit):
    fx = legs_fixture()
    for sig in fx.signals:
        sig.unit = unit
    rec = read_recording(write_fixture(tmp_path / "u.edf", fx))
    assert rec.left.unit in ("\u00b5V", "uV")
    np.testing.assert_allclose(rec.left.data, fx.signals[0].digital * 0.1, atol=1e-3)


# ------------------------------------------------------------ cohort and vendor labels
#: Leg labels of NSRR cohorts and vendors (FORMATS.md, "Leg montages as recorded").
COHORT_PAIRS = [
    ("Leg L", "Leg R"), ("L Leg", "R Leg"), ("Leg/L", "Leg/R"), ("LLEG", "RLEG"),
    ("LAT", "RAT"), ("EMG LAT", "EMG RAT"), ("Tib sx", "Tib dx"), ("TIB Sx", "TIB Dx"),
    ("SX1-SX2", "DX1-DX2"), ("PLMl", "PLMr"),
    ("EMG.Tibialis-Leg-Left", "EMG.Tibialis-Leg-Right"),
]
#: The rest of a PSG montage around the legs.
OTHERS = ["C4-M1", "E1-M2", "Chin1-Chin2", "ECG", "Airflow", "SpO2"]


@pytest.mark.parametrize(("left", "right"), COHORT_PAIRS)
def test_cohort_labels_are_chosen_with_their_side(left, right):
    assert (leg_side(left), leg_side(right)) == ("left", "right")
    choice = choose_leg_channels([*OTHERS[:3], right, left, *OTHERS[3:]])
    assert (choice.left, choice.right) == (left, right)
    assert choice.left_pair is None and choice.warnings == ()


# ------------------------------------------------------------ electrode pairs
ELECTRODE_PAIRS = [
    (("Lleg1", "Lleg2"), ("Rleg1", "Rleg2")),
    (("LEFT LEG1", "LEFT LEG2"), ("RIGHT LEG1", "RIGHT LEG2")),
    (("L-LEG1", "L-LEG2"), ("R-LEG1", "R-LEG2")),
    (("LAT1", "LAT2"), ("RAT1", "RAT2")),
]


@pytest.mark.parametrize(("left", "right"), ELECTRODE_PAIRS)
def test_electrode_pairs_give_a_derived_leg(left, right):
    labels = [*OTHERS[:3], *left, *right, *OTHERS[3:]]
    choice = choose_leg_channels(labels)
    assert choice.left == f"{left[0]}-{left[1]}" and choice.left_pair == left
    assert choice.right == f"{right[0]}-{right[1]}" and choice.right_pair == right
    assert f"{left[0]}-{left[1]} derived as {left[0]} minus {left[1]}" in choice.reason
    assert choice.warnings == ()


def test_a_recorded_derivation_wins_over_its_electrodes_silently():
    labels = ["LLEG1", "LLEG2", "LLEG1-LLEG2", "RLEG1", "RLEG2", "RLEG1-RLEG2"]
    choice = choose_leg_channels(labels)
    assert (choice.left, choice.right) == ("LLEG1-LLEG2", "RLEG1-RLEG2")
    assert choice.left_pair is None and choice.warnings == ()   # the same signal


def test_a_derivation_can_be_asked_for_by_name():
    labels = ["Leg L", "Lleg1", "Lleg2", "Leg R"]
    choice = choose_leg_channels(labels, left="Lleg1-Lleg2")
    assert choice.left == "Lleg1-Lleg2" and choice.left_pair == ("Lleg1", "Lleg2")
    assert choice.right == "Leg R" and choice.right_pair is None
    # loose like a label: case and blanks
    assert choose_leg_channels(labels, left="lleg1-LLEG2").left_pair == ("Lleg1", "Lleg2")


# ------------------------------------------------------------ ambiguity
def test_a_recorded_channel_wins_over_electrodes_with_a_warning():
    choice = choose_leg_channels(["Leg L", "Lleg1", "Lleg2", "Leg R"])
    assert (choice.left, choice.right) == ("Leg L", "Leg R") and choice.left_pair is None
    (warning,) = choice.warnings
    assert "'Leg L' was used" in warning and "Lleg1 / Lleg2" in warning
    assert "--left" in warning and "Lleg1-Lleg2" in warning


def test_the_warning_reaches_the_recording(tmp_path):
    fx = legs_fixture(labels=("Leg L", "Lleg1", "Lleg2", "Leg R"))
    rec = read_recording(write_fixture(tmp_path / "amb.edf", fx))
    assert rec.left.label == "Leg L"
    assert any("'Leg L' was used" in w for w in rec.warnings)


@pytest.mark.parametrize("labels", [
    ["Leg L", "Left Leg", "Leg R"],                       # two recorded channels
    ["Lleg1", "Lleg2", "LAT1", "LAT2", "RAT"],            # two electrode pairs
])
def test_candidates_of_one_rank_are_refused_and_named(labels):
    with pytest.raises(PlmsInputError, match=r"several left-leg EMG channels.*--left") as err:
        choose_leg_channels(labels, path="n.edf")
    for name in ("Leg L, Left Leg",) if "Left Leg" in labels else ("Lleg1-Lleg2", "LAT1-LAT2"):
        assert name in str(err.value)


# ------------------------------------------------------------ derived legs end to end
def _leg_f1(night, per_leg, side):
    from plms.validation.agreement import match_events

    truth = night.truth_lms[night.truth_lms.side == side]
    return match_events(truth, per_leg[per_leg.side == side], min_iou=0.5).f1


def test_a_night_of_electrode_pairs_scores_like_its_standard_montage(tmp_path):
    """Each leg written as leg+reference and reference: the difference is scored."""
    spec = plms.simulate.NightSpec(duration_h=0.25, fs_leg=256, difficulty="clean",
                                   plm_severity=60.0, ecg=True)
    night = plms.simulate.simulate_night(seed=42, spec=spec)
    pairs = (("Lleg1", "Lleg2"), ("Rleg1", "Rleg2"))
    derived = plms.score_edf(plms.simulate.write_edf(
        night, tmp_path / "pairs.edf", extra_channels=False, leg_electrodes=pairs))
    standard = plms.score_edf(plms.simulate.write_edf(
        night, tmp_path / "std.edf", extra_channels=False))
    channels = derived.summary["channels"]
    assert (channels["left"], channels["right"]) == ("Lleg1-Lleg2", "Rleg1-Rleg2")
    assert "derived as Lleg1 minus Lleg2" in channels["reason"]
    for side in ("left", "right"):
        f1 = _leg_f1(night, derived.per_leg, side)
        assert f1 >= 0.97, (side, f1)
        assert f1 == pytest.approx(_leg_f1(night, standard.per_leg, side), abs=0.02)


def test_electrodes_alone_are_swamped_by_the_reference(tmp_path):
    """One electrode alone is far from the leg's signal (the reference is large); the
    difference gives it back to within one digital step of each electrode."""
    night = plms.simulate.simulate_night(seed=42, spec=plms.simulate.NightSpec(
        duration_h=0.1, fs_leg=256, difficulty="clean", plm_severity=60.0))
    path = plms.simulate.write_edf(night, tmp_path / "p.edf", extra_channels=False,
                                   leg_electrodes=(("Lleg1", "Lleg2"), ("Rleg1", "Rleg2")))
    rec = read_recording(path, left="Lleg1", right="Rleg1")
    derived = read_recording(path)
    truth = night.signals[night.left_label].data
    assert np.abs(rec.left.data - truth).std() > 10.0                 # reference left in
    np.testing.assert_allclose(derived.left.data, truth, atol=0.11)   # one 0.1-uV step each


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("spr", 128, r"sampled at 256 and 128 Hz"),
    ("unit", "mV", r"different units \('uV' and 'mV'\)"),
])
def test_electrodes_of_one_leg_must_match(tmp_path, field, value, problem):
    fx = legs_fixture(labels=("Lleg1", "Lleg2", "RAT"))
    second = fx.signals[1]
    setattr(second, field, value)
    if field == "spr":
        second.digital = second.digital[: fx.n_records * value]
    path = write_fixture(tmp_path / "mixed.edf", fx)
    with pytest.raises(PlmsInputError, match=rf"mixed.edf.*'Lleg1-Lleg2'.*{problem}"):
        read_recording(path)


def test_a_raw_with_electrode_pairs_gives_the_difference():
    mne = pytest.importorskip("mne")
    from plms.io.psg.mne_raw import recording_from_raw

    fs, n = 256.0, 512
    rng = np.random.default_rng(5)
    left_uv, right_uv, ref_uv = (rng.normal(0.0, s, n) for s in (5.0, 7.0, 300.0))
    volts = np.vstack([left_uv + ref_uv, ref_uv, right_uv + ref_uv, ref_uv]) * 1e-6
    info = mne.create_info(["Lleg1", "Lleg2", "Rleg1", "Rleg2"], fs, ch_types="emg")
    rec = recording_from_raw(mne.io.RawArray(volts, info, verbose="error"))
    assert (rec.left.label, rec.right.label) == ("Lleg1-Lleg2", "Rleg1-Rleg2")
    np.testing.assert_allclose(rec.left.data, left_uv, atol=1e-3)
    np.testing.assert_allclose(rec.right.data, right_uv, atol=1e-3)


@pytest.fixture(scope="module")
def standard_night_scored(tmp_path_factory):
    """The night the cohort-label nights are compared with, written with the usual labels."""
    spec = plms.simulate.NightSpec(duration_h=0.2, fs_leg=256, difficulty="clean",
                                   plm_severity=60.0)
    night = plms.simulate.simulate_night(seed=31, spec=spec)
    path = plms.simulate.write_edf(night, tmp_path_factory.mktemp("std") / "std.edf",
                                   extra_channels="full")
    return night, plms.score_edf(path)


#: EDF labels hold 16 characters; longer cohort labels come through MNE or BIDS.
EDF_LABEL_CHARS = 16


def _as_raw(night, left, right):
    """The night's legs and ECG as an ``mne.io.RawArray`` (volts) with the given leg
    labels, without stages (only the movements are compared)."""
    import mne

    legs = [night.signals[night.left_label], night.signals[night.right_label]]
    ecg = night.signals[night.ecg_label]
    if ecg.fs != legs[0].fs:
        raise ValueError("the test night's ECG must share the legs' rate")
    data = np.vstack([legs[0].as_uv(), legs[1].as_uv(), ecg.as_uv()]) * 1e-6
    info = mne.create_info([left, right, "ECG"], legs[0].fs, ["emg", "emg", "ecg"])
    return mne.io.RawArray(data, info, verbose="error")


@pytest.mark.parametrize(("left", "right"), COHORT_PAIRS)
def test_a_night_with_cohort_labels_scores_like_the_standard_montage(
        tmp_path, standard_night_scored, left, right):
    """The same generated night written with each cohort's labels among a full PSG
    montage (labels over 16 characters, which no EDF header holds: as an MNE Raw):
    each side is scored from its own channel (F1 against that side's truth) and
    gives the standard montage's movements."""
    _, standard = standard_night_scored
    fits_edf = max(len(left), len(right)) <= EDF_LABEL_CHARS
    labels = (left, right) if fits_edf else ("Leg L", "Leg R")
    spec = plms.simulate.NightSpec(duration_h=0.2, fs_leg=256, difficulty="clean",
                                   plm_severity=60.0, leg_labels=labels)
    night = plms.simulate.simulate_night(seed=31, spec=spec)
    if fits_edf:
        result = plms.score_edf(plms.simulate.write_edf(night, tmp_path / "cohort.edf",
                                                        extra_channels="full"))
    else:
        result = plms.score_edf(_as_raw(night, left, right))
    assert (result.summary["channels"]["left"], result.summary["channels"]["right"]) == (
        left, right)
    for side in ("left", "right"):
        assert _leg_f1(night, result.per_leg, side) >= 0.97, side
    cols = ["onset", "duration", "side"]
    if fits_edf:
        assert result.per_leg[cols].equals(standard.per_leg[cols])
        assert result.summary["plms_index"] == standard.summary["plms_index"] > 0


def test_an_annotated_copy_of_a_file_with_accented_labels(tmp_path):
    """pyedflib refuses non-ASCII header text: the copy is made with the labels
    transliterated, the samples unchanged, and no temporary file left behind."""
    import pyedflib

    from plms.outputs import write_annotated_copy

    fx = legs_fixture(labels=(UTF8_LEFT, LATIN1_RIGHT))
    path = write_fixture(tmp_path / "fr.edf", fx)
    result = plms.score_edf(path, left="Jambe gauche \u00e9", right="Jambe droite \u00e9")
    out = tmp_path / "out"
    out.mkdir()
    copy = write_annotated_copy(result, path, out / "fr.annotated.edf")
    reader = pyedflib.EdfReader(str(copy))
    try:
        labels = reader.getSignalLabels()
        assert labels[:2] == ["Jambe gauche e", "Jambe droite e"]
        for k in range(2):
            np.testing.assert_array_equal(reader.readSignal(k, digital=True),
                                          fx.signals[k].digital)
    finally:
        reader.close()
    assert sorted(p.name for p in out.iterdir()) == ["fr.annotated.edf"]


def _bdf_header(label: bytes) -> bytes:
    """A one-signal BDF header (version ``\\xffBIOSEMI``), blank but for ``label``."""
    main = bytearray(b"\xffBIOSEMI" + b" " * 248)
    main[252:256] = b"1   "
    signal = bytearray(b" " * 256)
    signal[:len(label)] = label
    return bytes(main + signal)


def test_an_ascii_bdf_is_not_copied_for_pyedflib(tmp_path):
    """The BDF version byte 0xFF is no header text: an all-ASCII BDF is read as it is."""
    from plms.outputs.edf_plus import _readable_copy

    path = tmp_path / "a.bdf"
    path.write_bytes(_bdf_header(b"Tib-L"))
    assert _readable_copy(path, tmp_path) is None
    path.write_bytes(_bdf_header("Tib-L \u00e9".encode()))
    copy = _readable_copy(path, tmp_path)
    assert copy is not None
    assert copy.read_bytes() == _bdf_header(b"Tib-L e")   # version kept, label ASCII


def test_a_failed_ascii_copy_leaves_no_file(tmp_path, monkeypatch):
    import shutil

    from plms.outputs.edf_plus import _readable_copy

    path = tmp_path / "a.bdf"
    path.write_bytes(_bdf_header("Tib-L \u00e9".encode()))
    out = tmp_path / "out"
    out.mkdir()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full_disk)
    with pytest.raises(OSError):
        _readable_copy(path, out)
    assert list(out.iterdir()) == []
