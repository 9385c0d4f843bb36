"""Reading leg EMG from EDF/EDF+/BDF: values, units, rates, EDF+D, speed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyedflib
import pytest
from test_io_edfwriter import Fixture, Sig, fixture_bytes, legs_fixture, write_fixture

from plms.errors import PlmsInputError
from plms.io import read_edf_annotations, read_recording, to_microvolts, unit_scale

FS = 512
SECONDS = 20


def _pyedflib_file(path, channels, *, file_type=pyedflib.FILETYPE_EDFPLUS, annotations=()):
    """Write physical signals with pyedflib (an independent writer)."""
    writer = pyedflib.EdfWriter(str(path), len(channels), file_type=file_type)
    writer.setSignalHeaders([
        dict(label=lab, dimension=unit, sample_frequency=fs, physical_min=lo, physical_max=hi,
             digital_min=-32768, digital_max=32767)
        for lab, unit, fs, lo, hi, _ in channels
    ])
    writer.setStartdatetime(dt.datetime(2024, 3, 1, 22, 15, 30))
    writer.writeSamples([np.asarray(data, dtype=float) for *_, data in channels])
    for onset, duration, text in annotations:
        writer.writeAnnotation(onset, duration, text)
    writer.close()
    return path


@pytest.fixture
def psg(tmp_path):
    """A small EDF+ PSG: EEG at 256 Hz, legs at 512 Hz (one in mV), ECG, SpO2 at 1 Hz."""
    t = np.arange(FS * SECONDS) / FS
    left_uv = 40 * np.sin(2 * np.pi * 30 * t)
    right_uv = 25 * np.cos(2 * np.pi * 45 * t)
    channels = [
        ("EEG C3-M2", "uV", 256, -500, 500, np.zeros(256 * SECONDS)),
        ("Leg L", "uV", FS, -1000, 1000, left_uv),
        ("Leg R", "mV", FS, -1, 1, right_uv / 1000),
        ("ECG I", "mV", FS, -5, 5, np.zeros(FS * SECONDS)),
        ("SpO2", "%", 1, 0, 100, np.full(SECONDS, 97.0)),
    ]
    path = _pyedflib_file(tmp_path / "psg.edf", channels, annotations=[
        (0, 30, "Sleep stage W"), (5.0, 10.0, "Obstructive Apnea"), (7.5, 0.8, "LM@@Leg L"),
    ])
    return path, left_uv, right_uv


def test_reads_legs_in_microvolts_at_their_own_rate(psg):
    path, left_uv, right_uv = psg
    rec = read_recording(path)
    assert (rec.left.label, rec.right.label) == ("Leg L", "Leg R")
    assert rec.left.fs == FS and rec.right.fs == FS
    assert rec.left.data.dtype == np.float32 and rec.left.data.size == FS * SECONDS
    # one digital step of each channel is the tolerance
    np.testing.assert_allclose(rec.left.data, left_uv, atol=rec.left.digital_resolution_uv)
    np.testing.assert_allclose(rec.right.data, right_uv, atol=rec.right.digital_resolution_uv)
    assert rec.right.unit == "mV" and rec.right.physical_max == pytest.approx(1000.0)
    assert rec.ecg is not None and rec.ecg.label == "ECG I"
    assert rec.file_type == "EDF+C" and rec.duration_s == SECONDS
    assert rec.start == dt.datetime(2024, 3, 1, 22, 15, 30) and rec.start.tzinfo is None
    assert "EEG C3-M2" in rec.labels and "EDF Annotations" not in rec.labels
    assert rec.warnings == ()
    assert not rec.left.data.flags.writeable


def test_recording_carries_the_edf_plus_annotations(psg):
    rec = read_recording(psg[0])
    ann = rec.annotations
    assert ann.respiratory.values.tolist() == [[5.0, 10.0, "obstructive apnea"]]
    assert ann.leg_movements[["onset", "side"]].values.tolist() == [[7.5, "left"]]
    assert ann.hypnogram is not None and ann.hypnogram.stages.tolist() == ["W"]
    assert read_recording(psg[0], read_annotations=False).annotations.hypnogram is None
    assert read_edf_annotations(psg[0]).respiratory.shape[0] == 1


def test_user_choice_overrides_detection(psg):
    rec = read_recording(psg[0], left="Leg R", right="Leg L", ecg="EEG C3-M2")
    assert (rec.left.label, rec.right.label, rec.ecg.label) == ("Leg R", "Leg L", "EEG C3-M2")
    assert "--left/--right" in rec.choice.reason
    with pytest.raises(PlmsInputError, match="'LAT' given by --left does not exist.*'Leg L'"):
        read_recording(psg[0], left="LAT")


@pytest.mark.parametrize(
    ("unit", "text", "scale"),
    [
        (b"uV", "uV", 1.0), (b"UV", "UV", 1.0), (b"\xb5V", "µV", 1.0),  # raw latin-1 micro sign
        ("µV".encode(), "µV", 1.0), ("μV".encode(), "μV", 1.0),  # UTF-8 in the header
        (b"mV", "mV", 1e3), (b"V", "V", 1e6), (b"nV", "nV", 1e-3),
    ],
)
def test_header_units_are_converted_to_microvolts(tmp_path, unit, text, scale):
    fx = legs_fixture(n_records=2, spr=128)
    for sig in fx.signals:
        sig.unit = unit
    rec = read_recording(write_fixture(tmp_path / "u.edf", fx))
    gain = (3276.7 + 3276.8) / 65535
    expected = (fx.signals[0].digital + 32768) * gain - 3276.8
    np.testing.assert_allclose(rec.left.data, expected * scale, rtol=1e-6, atol=1e-6)  # float32 µV
    assert rec.left.unit == text  # as written: UTF-8 read as UTF-8, a lone 0xB5 as latin-1


@pytest.mark.parametrize(
    ("unit", "problem"), [(b"", "has no physical unit"), (b"degC", "has the physical unit 'degC'")]
)
def test_unusable_unit_is_a_clear_error_unless_stated(tmp_path, unit, problem):
    fx = legs_fixture(n_records=1, spr=128)
    fx.signals[0].unit = unit
    path = write_fixture(tmp_path / "u.edf", fx)
    with pytest.raises(PlmsInputError, match=f"channel 'LAT' {problem}.*--unit"):
        read_recording(path)
    rec = read_recording(path, unit="mV")
    assert rec.left.unit == "mV" and rec.right.unit == "mV"
    assert any("'RAT' in 'uV'" in w for w in rec.warnings)  # RAT's header said otherwise
    with pytest.raises(PlmsInputError, match="'furlong' given by --unit"):
        read_recording(path, unit="furlong")


def test_unit_scale_and_to_microvolts():
    assert unit_scale("\u00b5V") == unit_scale("\u03bcV") == unit_scale("uv") == 1.0
    assert unit_scale("\ufffdV") == 1.0  # 0xB5 as decoded by an ASCII reader
    assert unit_scale("MV") == 1e3  # case-insensitive: no megavolt EMG exists
    np.testing.assert_array_equal(to_microvolts([1.0, -2.0], "V", label="x"), [1e6, -2e6])
    with pytest.raises(PlmsInputError, match="channel 'LAT' has no physical unit"):
        to_microvolts([1.0], " ", label="LAT", path="a.edf")
    with pytest.raises(PlmsInputError):
        unit_scale("%")


def test_saturated_fraction_counts_samples_at_the_range_limits(tmp_path):
    fx = legs_fixture(n_records=1, spr=200)
    fx.signals[0].digital[:10] = 32767
    fx.signals[0].digital[10:15] = -32768
    rec = read_recording(write_fixture(tmp_path / "s.edf", fx))
    assert rec.left.saturated_fraction == pytest.approx(15 / 200)
    assert rec.right.saturated_fraction == 0.0


@pytest.mark.parametrize(("spr", "outcome"), [(64, "error"), (150, "warning"), (256, "ok")])
def test_leg_sampling_rate_limits(tmp_path, spr, outcome):
    path = write_fixture(tmp_path / "r.edf", legs_fixture(n_records=2, spr=spr))
    if outcome == "error":
        with pytest.raises(PlmsInputError, match="sampled at 64 Hz, too slow"):
            read_recording(path)
        return
    rec = read_recording(path)
    assert rec.left.fs == spr
    assert any(">= 200 Hz" in w for w in rec.warnings) == (outcome == "warning")


def test_bdf_24_bit_values_and_annotations(tmp_path):
    fx = legs_fixture(n_records=3, spr=256, fmt="BDF", reserved="BDF+C",
                      annotations=[(1.0, 30.0, "Sleep stage N2")])
    fx.signals[0].digital[:3] = [-8388608, -1, 8388607]
    rec = read_recording(write_fixture(tmp_path / "b.bdf", fx))
    gain = 16000.0 / (2**24 - 1)
    expected = (fx.signals[0].digital + 8388608) * gain - 8000.0
    np.testing.assert_allclose(rec.left.data, expected, rtol=1e-6, atol=1e-6)  # float32 µV
    assert rec.file_type == "BDF+"
    assert rec.annotations.hypnogram.stages.tolist() == ["N2"]
    assert rec.annotations.hypnogram.start_s == 1.0


def test_subsecond_start_shifts_start_time_and_annotation_onsets(tmp_path):
    fx = legs_fixture(n_records=3, reserved="EDF+C", record_onsets=[0.5, 1.5, 2.5],
                      annotations=[(1.5, 0.7, "LM@@RAT")])
    rec = read_recording(write_fixture(tmp_path / "o.edf", fx))
    assert rec.start == dt.datetime(2026, 11, 25, 22, 30, 0, 500000)
    assert rec.annotations.leg_movements[["onset", "side"]].values.tolist() == [[1.0, "right"]]


def test_edf_plus_d_contiguous_is_read_with_a_warning(tmp_path):
    fx = legs_fixture(n_records=4, reserved="EDF+D", record_onsets=[0.0, 1.0, 2.0, 3.0])
    rec = read_recording(write_fixture(tmp_path / "d.edf", fx))
    assert rec.file_type == "EDF+D" and rec.duration_s == 4.0
    assert any("contiguous" in w for w in rec.warnings)


def test_edf_plus_d_with_a_gap_is_refused(tmp_path):
    fx = legs_fixture(n_records=4, reserved="EDF+D", record_onsets=[0.0, 1.0, 5.0, 6.0])
    path = write_fixture(tmp_path / "g.edf", fx)
    with pytest.raises(PlmsInputError, match=r"EDF\+D with gaps is not supported: data record 3 "
                                             r"starts at 5 s but the one before ends at 2 s"):
        read_recording(path)


def test_duplicate_leg_label_is_refused(tmp_path):
    path = write_fixture(tmp_path / "dup.edf", legs_fixture(labels=("LAT", "RAT", "LAT")))
    with pytest.raises(PlmsInputError, match="several left-leg EMG channels"):
        read_recording(path)
    with pytest.raises(PlmsInputError, match="'LAT' occurs 2 times"):
        read_recording(path, left="LAT", right="RAT")


def test_a_missing_leg_leaves_the_other_alone(tmp_path):
    path = write_fixture(tmp_path / "one.edf", legs_fixture(labels=("LAT", "EMG Chin")))
    rec = read_recording(path)
    assert list(rec.legs) == ["left"] and rec.left.label == "LAT" and rec.right is None


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(("unit", "said"), [
    ("bpm?", "its unit 'bpm?' is not a voltage"), ("", "the header gives it no unit"),
])
def test_ecg_in_a_unit_that_is_no_voltage_is_skipped_naming_it(tmp_path, unit, said, lazy):
    """The warning names the channel and its unit, and does not point to --unit (legs only)."""
    fx = legs_fixture(labels=("LAT", "RAT", "ECG"))
    fx.signals[2].unit = unit
    rec = read_recording(write_fixture(tmp_path / "e.edf", fx), lazy=lazy)
    assert rec.ecg is None and set(rec.legs) == {"left", "right"}
    (note,) = [w for w in rec.warnings if "ECG" in w]
    assert note.startswith("the ECG channel 'ECG' was not used") and said in note
    assert "--unit" not in note and "without an ECG channel" in note


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize(("spr", "used"), [(32, False), (99, False), (100, True), (256, True)])
def test_ecg_sampled_too_slowly_for_r_peaks_is_skipped(tmp_path, spr, used, lazy):
    """An ECG below 100 Hz (e.g. ``--ecg Airflow`` at 32 Hz) is not used, with a warning."""
    fx = legs_fixture(labels=("LAT", "RAT"))
    fx.signals.append(Sig("Airflow", np.zeros(fx.n_records * spr, dtype=np.int64), spr))
    rec = read_recording(write_fixture(tmp_path / "slow.edf", fx), ecg="Airflow", lazy=lazy)
    notes = [w for w in rec.warnings if "Airflow" in w]
    if used:
        assert rec.ecg is not None and rec.ecg.fs == spr and notes == []
        return
    assert rec.ecg is None and len(notes) == 1
    assert f"sampled at {spr} Hz" in notes[0] and "at least 100 Hz" in notes[0]


def test_eight_hour_night_reads_only_the_legs(tmp_path):
    """An 8-h, 22-channel EDF (legs at 512 Hz): the legs are read whole, nothing else
    is loaded (its speed is measured by scripts/benchmark.py, not asserted here)."""
    hours, rates = 8, [256] * 8 + [512, 512, 512, 512] + [32] * 6 + [1] * 4
    labels = [f"CH{i}" for i in range(len(rates))]
    labels[9], labels[10] = "LAT", "RAT"
    n_records = hours * 3600
    fx = Fixture(signals=[Sig(lab, np.zeros(0), fs) for lab, fs in zip(labels, rates, strict=True)],
                 n_records=0)
    header = fixture_bytes(fx)
    header = header[:236] + str(n_records).encode().ljust(8) + header[244:]
    path = tmp_path / "night.edf"
    with path.open("wb") as f:  # a sparse file: header, then zeros
        f.write(header)
        f.truncate(len(header) + n_records * sum(rates) * 2)
    rec = read_recording(path)
    assert rec.left.data.size == n_records * 512 and rec.duration_s == hours * 3600
    assert (rec.left.label, rec.right.label, rec.ecg) == ("LAT", "RAT", None)
    assert len(rec.labels) == len(rates)


def test_bdf_written_by_pyedflib(tmp_path):
    t = np.arange(256 * 4) / 256
    truth = 120 * np.sin(2 * np.pi * 20 * t)
    channels = [
        (lab, "uV", 256, -8000, 8000, truth * sign) for lab, sign in (("LAT", 1), ("RAT", -1))
    ]
    path = tmp_path / "p.bdf"
    writer = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_BDFPLUS)
    writer.setSignalHeaders([
        dict(label=lab, dimension=unit, sample_frequency=fs, physical_min=lo, physical_max=hi,
             digital_min=-8388608, digital_max=8388607)
        for lab, unit, fs, lo, hi, _ in channels
    ])
    writer.writeSamples([data for *_, data in channels])
    writer.writeAnnotation(1.0, 2.0, "Central Apnea")
    writer.close()
    rec = read_recording(path)
    assert rec.file_type == "BDF+"
    np.testing.assert_allclose(rec.right.data, -truth, atol=rec.right.digital_resolution_uv)
    assert rec.annotations.respiratory["kind"].tolist() == ["central apnea"]


def test_annotation_only_edf_hypnogram(tmp_path):
    # as Sleep-EDF stores hypnograms: no signals, record duration 0, one record
    fx = Fixture(signals=[], n_records=1, record_duration=0, reserved="EDF+C",
                 annotations=[(0, 60, "Sleep stage W"), (60, 30, "Sleep stage 3"),
                              (90, 30, "Movement time")])
    path = write_fixture(tmp_path / "hyp.edf", fx)
    ann = read_edf_annotations(path)
    assert ann.hypnogram.stages.tolist() == ["W", "W", "N3", "MT"]
    with pytest.raises(PlmsInputError, match=r"no leg EMG channel .*\(none\)"):
        read_recording(path)


# -- which library reads what (plms.io._readers) --------------------------------------

def _latin1_annotation_fixture(unit="uV"):
    """EDF+ whose annotation text is latin-1 ('é' as 0xE9), not the UTF-8 EDF+ asks for."""
    fx = legs_fixture(n_records=3, reserved="EDF+C", annotations=[(1.0, None, "Patient eveille")])
    for sig in fx.signals:
        sig.unit = unit
    return fixture_bytes(fx).replace(b"eveille", b"\xe9veill\xe9")


def test_annotation_text_edfio_cannot_decode_is_read_through_pyedflib(tmp_path):
    path = tmp_path / "latin.edf"
    path.write_bytes(_latin1_annotation_fixture())
    for ann in (read_recording(path).annotations, read_edf_annotations(path)):
        assert any("'Patient éveillé'" in w for w in ann.warnings)
        assert ann.source == str(path)


def test_annotations_neither_library_reads_are_one_clear_error(tmp_path):
    path = tmp_path / "latin_mu.edf"
    path.write_bytes(_latin1_annotation_fixture(unit=b"\xb5V"))  # pyedflib refuses 0xB5
    for reader in (read_recording, read_edf_annotations):
        with pytest.raises(PlmsInputError, match=r"EDF\+C annotations cannot be read \(edfio says "
                                                 r"UnicodeDecodeError") as info:
            reader(path)
        assert "\n" not in str(info.value)
    assert read_recording(path, read_annotations=False).left.unit == "\u00b5V"


def test_bdf_that_pyedflib_refuses_is_read_through_edfio(tmp_path):
    fx = legs_fixture(n_records=2, spr=256, fmt="BDF", reserved="BDF+C",
                      annotations=[(0.0, 30.0, "Sleep stage N1")])
    for sig in fx.signals:
        sig.unit = b"\xb5V"  # EDFlib accepts only ASCII header bytes
    rec = read_recording(write_fixture(tmp_path / "mu.bdf", fx))
    expected = (fx.signals[1].digital + 8388608) * (16000.0 / (2**24 - 1)) - 8000.0
    np.testing.assert_allclose(rec.right.data, expected, rtol=1e-6, atol=1e-6)  # float32 µV
    assert rec.annotations.hypnogram.stages.tolist() == ["N1"]


def test_compliant_bdf_is_not_decoded_whole(tmp_path, monkeypatch):
    """edfio decodes every channel of a BDF; pyedflib reads only the wanted ones."""
    import edfio

    def refuse(*args, **kwargs):
        raise AssertionError("edfio.read_bdf loads the whole file")

    path = tmp_path / "c.bdf"
    writer = pyedflib.EdfWriter(str(path), 3, file_type=pyedflib.FILETYPE_BDFPLUS)
    writer.setSignalHeaders([
        dict(label=lab, dimension="uV", sample_frequency=256, physical_min=-8000,
             physical_max=8000, digital_min=-8388608, digital_max=8388607)
        for lab in ("LAT", "RAT", "EEG C3-M2")
    ])
    writer.writeSamples([np.full(256 * 2, 10.0), np.full(256 * 2, -10.0), np.zeros(256 * 2)])
    writer.writeAnnotation(0.0, 30.0, "Sleep stage W")
    writer.close()
    monkeypatch.setattr(edfio, "read_bdf", refuse)
    rec = read_recording(path)
    np.testing.assert_allclose(rec.right.data, -10.0, atol=rec.right.digital_resolution_uv)
    assert rec.annotations.hypnogram.stages.tolist() == ["W"]
