"""Reading leg accelerometers: labels, EDF units and checks, CSV tables, device files."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_io_edfwriter import Fixture, Sig, write_fixture

from plms.errors import PlmsInputError
from plms.io import (
    accel_axis_side,
    is_accel_label,
    looks_like_accel,
    read_accel,
    read_accel_csv,
    read_accel_device,
    read_accel_edf,
)

DATA = Path(__file__).parent / "data" / "accelerometer"
FS = 50
SECONDS = 20
G = 9.80665
DMIN, DMAX = -32768, 32767


# ---------------------------------------------------------------- labels

@pytest.mark.parametrize("label, expected", [
    ("ACC X", ("ACC", "x", None)),
    ("Accel_Y", ("Accel", "y", None)),
    ("AccZ", ("Acc", "z", None)),
    ("Ankle L X", ("Ankle L", "x", "left")),
    ("Ankle_R_Y", ("Ankle R", "y", "right")),
    ("Acc L Z", ("Acc L", "z", "left")),
    ("LAnkle-X", ("L Ankle", "x", "left")),
    ("Accelerometer X", ("Accelerometer", "x", None)),
    ("Acc_X_L", ("Acc L", "x", "left")),
    ("Acc Mag", ("Acc", "mag", None)),
    ("acc.right.z", ("acc right", "z", "right")),
    ("Foot Lt Y", ("Foot Lt", "y", "left")),
])
def test_accel_labels(label, expected):
    assert tuple(accel_axis_side(label)) == expected
    assert is_accel_label(label)


@pytest.mark.parametrize("label", [
    "LAT", "RAT", "Leg L", "EMG Tib L", "Fp1", "C3-M2", "ECG", "ECG I", "Activity", "X3",
    "ax", "az", "Position", "Gyro X", "EMG Acc X", "Acc L R X", "Ankle L", "SpO2", "Pos X",
])
def test_not_accel_labels(label):
    assert accel_axis_side(label) is None
    assert not is_accel_label(label)


# ---------------------------------------------------------------- EDF

def _motion(n: int) -> np.ndarray:
    """A leg at rest (about 1 g) with a small wobble, in g, shape (n, 3)."""
    t = np.arange(n) / FS
    return np.stack([0.1 * np.sin(2 * np.pi * 0.5 * t), 0.2 * np.cos(2 * np.pi * 0.3 * t),
                     0.97 + 0.02 * np.sin(2 * np.pi * 1.1 * t)], axis=1)


def _digital(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    scaled = (values - lo) / (hi - lo) * (DMAX - DMIN) + DMIN
    return np.clip(np.rint(scaled), DMIN, DMAX).astype(int)


def _accel_edf(path, labels=("Ankle L X", "Ankle L Y", "Ankle L Z"), *, unit="g",
               factor=1.0, range_g=8.0, data=None, spr=None, extra=(), **kwargs):
    """An EDF whose axes hold ``data`` (g) written as ``data * factor`` in ``unit``.

    ``spr`` gives each axis its samples per 1-s record (default: ``FS`` for every axis).
    """
    data = _motion(FS * SECONDS) if data is None else data
    spr = (FS,) * len(labels) if spr is None else spr
    lo, hi = -range_g * factor, range_g * factor
    sigs = [Sig(lab, _digital(data[:, i] * factor, lo, hi)[:: FS // s], s, unit=unit,
                pmin=lo, pmax=hi) for i, (lab, s) in enumerate(zip(labels, spr, strict=True))]
    return write_fixture(path, Fixture(sigs + list(extra), n_records=SECONDS, **kwargs))


@pytest.mark.parametrize("unit, factor", [
    ("g", 1.0), ("G", 1.0), ("mg", 1000.0), ("m/s^2", G), ("m/s2", G), ("m/s\u00b2", G),
])
def test_edf_units_give_identical_g(tmp_path, unit, factor):
    rec = read_accel_edf(_accel_edf(tmp_path / "a.edf", unit=unit, factor=factor))
    reference = read_accel_edf(_accel_edf(tmp_path / "ref.edf"))
    sig = rec.signals["left"]
    assert list(rec.signals) == ["left"] and sig.side == "left" and sig.label == "Ankle L"
    assert sig.axes == ("x", "y", "z") and sig.fs == FS and sig.data.shape == (FS * SECONDS, 3)
    assert sig.data.dtype == np.float32 and not sig.data.flags.writeable
    # the header's physical range has 8 characters: m/s^2 ranges are rounded to a digital step
    step = 2 * 8.0 / (DMAX - DMIN)
    np.testing.assert_allclose(sig.data, reference.signals["left"].data, rtol=1e-5, atol=step)
    np.testing.assert_allclose(sig.data, _motion(FS * SECONDS), atol=8.0 / 32767)
    assert sig.unit == unit and sig.range_g == pytest.approx(8.0)
    assert rec.start == dt.datetime(2026, 11, 25, 22, 30) and rec.duration_s == SECONDS
    assert rec.warnings == () and sig.clipped_fraction == 0.0


def test_edf_two_legs_and_annotations(tmp_path):
    labels = ("Acc_X_L", "Acc_Y_L", "Acc_Z_L")
    right = _accel_edf(tmp_path / "r.edf", ("Acc_X_R", "Acc_Y_R", "Acc_Z_R"))
    data = _motion(FS * SECONDS)
    extra = [Sig(lab, _digital(data[:, i], -8, 8), FS, unit="g", pmin=-8, pmax=8)
             for i, lab in enumerate(("Acc_X_R", "Acc_Y_R", "Acc_Z_R"))]
    extra.append(Sig("C3-M2", np.zeros(FS * SECONDS, dtype=int), FS))
    path = _accel_edf(tmp_path / "both.edf", labels, extra=extra, reserved="EDF+C",
                      annotations=[(0.0, 30.0, "Sleep stage W"), (4.0, 10.0, "Obstructive Apnea")])
    rec = read_accel_edf(path)
    assert sorted(rec.signals) == ["left", "right"]
    assert rec.signals["right"].channel_labels == ("Acc_X_R", "Acc_Y_R", "Acc_Z_R")
    assert rec.annotations.hypnogram is not None
    assert rec.annotations.respiratory.shape[0] == 1 and rec.file_type == "EDF+C"
    assert read_accel_edf(path, read_annotations=False).annotations.hypnogram is None
    assert looks_like_accel(path) and looks_like_accel(right)
    assert read_accel(path).signals.keys() == rec.signals.keys()


def test_edf_unknown_side_and_side_option(tmp_path):
    path = _accel_edf(tmp_path / "a.edf", ("Acc X", "Acc Y", "Acc Z"))
    rec = read_accel_edf(path)
    assert list(rec.signals) == ["left"] and "scored as left" in rec.warnings[0]
    rec = read_accel_edf(path, side="right")
    assert list(rec.signals) == ["right"] and rec.warnings == ()


def test_edf_wrong_unit_is_refused(tmp_path):
    path = _accel_edf(tmp_path / "a.edf", unit="uV")
    with pytest.raises(PlmsInputError, match=r"a\.edf: channel 'Ankle L X' has the unit 'uV'"):
        read_accel_edf(path)
    assert read_accel_edf(path, unit="g").signals["left"].unit == "g"


@pytest.mark.parametrize("factor, hint", [(G, "m/s\\^2 labelled as g"), (1000.0, "mg labelled")])
def test_edf_values_that_cannot_be_g(tmp_path, factor, hint):
    path = _accel_edf(tmp_path / "a.edf", factor=factor)  # written in g units but scaled
    with pytest.raises(PlmsInputError, match=hint):
        read_accel_edf(path)


def test_edf_single_and_two_axes_warn(tmp_path):
    rec = read_accel_edf(_accel_edf(tmp_path / "one.edf", ("Ankle R Z",)))
    sig = rec.signals["right"]
    assert sig.data.shape == (FS * SECONDS, 1) and "single axis" in rec.warnings[0]
    rec = read_accel_edf(_accel_edf(tmp_path / "two.edf", ("Ankle R X", "Ankle R Y")))
    assert "only two axes" in rec.warnings[0]


def test_edf_rates_of_one_device_must_agree(tmp_path):
    path = _accel_edf(tmp_path / "a.edf", spr=(FS, FS, FS // 2))
    with pytest.raises(PlmsInputError, match="different sampling rates"):
        read_accel_edf(path)


def test_edf_clipping(tmp_path):
    data = _motion(FS * SECONDS)
    data[:5, 0] = 9.0  # beyond the 8 g range: clipped
    rec = read_accel_edf(_accel_edf(tmp_path / "few.edf", data=data))
    assert rec.signals["left"].clipped_fraction == pytest.approx(5 / data.shape[0])
    assert "clipped" in rec.warnings[0]
    data[:, 2] = 20.0
    with pytest.raises(PlmsInputError, match="range limits in 100%"):
        read_accel_edf(_accel_edf(tmp_path / "all.edf", data=data))


def test_edf_without_accel_lists_labels(tmp_path):
    path = write_fixture(tmp_path / "psg.edf", Fixture(
        [Sig("LAT", np.zeros(512, dtype=int), 256), Sig("RAT", np.zeros(512, dtype=int), 256)],
        n_records=2))
    with pytest.raises(PlmsInputError, match="no accelerometer channel.*'LAT', 'RAT'"):
        read_accel_edf(path)
    assert not looks_like_accel(path)


# ---------------------------------------------------------------- CSV

def _csv(path, n=FS * SECONDS, *, time=None, extra_rows="", sep=","):
    data = _motion(n)
    table = pd.DataFrame({"acc_x": data[:, 0], "acc_y": data[:, 1], "acc_z": data[:, 2]})
    if time is not None:
        table.insert(0, *time)
    path.write_text(table.to_csv(index=False, sep=sep) + extra_rows)
    return path


def test_csv_iso_timestamps(tmp_path):
    stamps = pd.date_range("2024-03-01 22:00:00", periods=FS * SECONDS, freq="20ms")
    rec = read_accel_csv(_csv(tmp_path / "a.csv", time=("timestamp", stamps.astype(str))))
    sig = rec.signals["left"]
    assert sig.fs == pytest.approx(FS) and sig.data.shape == (FS * SECONDS, 3)
    assert rec.start == dt.datetime(2024, 3, 1, 22) and rec.duration_s == pytest.approx(SECONDS)
    np.testing.assert_allclose(sig.data, _motion(FS * SECONDS), atol=1e-6)


def test_csv_epoch_seconds_with_jitter_and_mg(tmp_path):
    rng = np.random.default_rng(1)
    t = 1.7e9 + np.arange(FS * SECONDS) / FS + rng.uniform(-2e-3, 2e-3, FS * SECONDS)
    table = pd.DataFrame({"Time": t, "X": _motion(t.size)[:, 0] * 1000,
                          "Y": _motion(t.size)[:, 1] * 1000, "Z": _motion(t.size)[:, 2] * 1000})
    path = tmp_path / "a.tsv"
    path.write_text(table.to_csv(index=False, sep="\t"))
    rec = read_accel(path, unit="mg", side="right")
    assert rec.signals["right"].fs == pytest.approx(FS, rel=1e-3)
    assert rec.start == dt.datetime(1970, 1, 1) + dt.timedelta(seconds=t[0])
    with pytest.raises(PlmsInputError, match="looks like mg labelled as g"):
        read_accel_csv(path)


def test_csv_sample_index_needs_fs(tmp_path):
    path = _csv(tmp_path / "a.csv", time=("sample", np.arange(FS * SECONDS)))
    with pytest.raises(PlmsInputError, match="give it with fs="):
        read_accel_csv(path)
    rec = read_accel_csv(path, fs=FS)
    assert rec.signals["left"].fs == FS and rec.start is None


def test_csv_without_time_column(tmp_path):
    rec = read_accel_csv(_csv(tmp_path / "a.csv"), fs=FS)
    assert rec.duration_s == SECONDS and "scored as left" in rec.warnings[0]


def test_csv_given_fs_must_agree(tmp_path):
    path = _csv(tmp_path / "a.csv", time=("time", np.arange(FS * SECONDS) / FS))
    assert read_accel_csv(path, fs=FS * 1.005).signals["left"].fs == pytest.approx(FS * 1.005)
    with pytest.raises(PlmsInputError, match="rate of 50 Hz, not the 64 Hz given"):
        read_accel_csv(path, fs=64)


def test_csv_time_going_back(tmp_path):
    t = np.arange(FS * SECONDS) / FS
    t[100] = t[98]
    path = _csv(tmp_path / "a.csv", time=("time", t))
    with pytest.raises(PlmsInputError, match=r"a\.csv: the time does not increase at line 102"):
        read_accel_csv(path)


def test_csv_gaps(tmp_path):
    t = np.arange(FS * SECONDS) / FS
    t[300:] += 2.0
    t[700:] += 0.5
    path = _csv(tmp_path / "a.csv", time=("time", t))
    with pytest.raises(PlmsInputError, match="2 gaps .* first at line 302 .*: 2 s without"):
        read_accel_csv(path)
    index = np.arange(FS * SECONDS)
    index[500:] += 7
    with pytest.raises(PlmsInputError, match="1 gap in"):
        read_accel_csv(_csv(tmp_path / "b.csv", time=("index", index)), fs=FS)
    rec = read_accel_csv(path, max_gap_s=3)
    assert rec.signals["left"].data.shape[0] == FS * SECONDS + FS * 2.5 and "filled" in \
        rec.warnings[-1]


def test_csv_non_numeric_and_empty(tmp_path):
    path = _csv(tmp_path / "a.csv", extra_rows="0.1,abc,1.0\n")
    with pytest.raises(PlmsInputError, match=f"line {FS * SECONDS + 2}, column 'acc_y'.*'abc'"):
        read_accel_csv(path, fs=FS)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(PlmsInputError, match="empty.csv: the file is empty"):
        read_accel_csv(tmp_path / "empty.csv", fs=FS)
    (tmp_path / "header.csv").write_text("x,y,z\n")
    with pytest.raises(PlmsInputError, match="no data rows"):
        read_accel_csv(tmp_path / "header.csv", fs=FS)
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(PlmsInputError, match="no acceleration column"):
        read_accel_csv(tmp_path / "other.csv", fs=FS)


def test_csv_magnitude_and_preamble(tmp_path):
    n = FS * SECONDS
    lines = ["------------ Data File Created By Some Logger -----------", "Serial: 123",
             "Magnitude"] + ["1.0"] * n
    path = tmp_path / "mag.csv"
    path.write_text("\n".join(lines) + "\n")
    rec = read_accel_csv(path, fs=FS, side="right")
    sig = rec.signals["right"]
    assert sig.axes == ("mag",) and sig.data.shape == (n, 1) and "single axis" in rec.warnings[0]


# ---------------------------------------------------------------- device files

@pytest.mark.parametrize("name, fs, n, start, device", [
    ("ax3_sample.cwa", 197.24, 58800, dt.datetime(2020, 2, 12, 9, 3, 37, 480000), "Axivity"),
    ("ax6_sample.cwa", 98.41, 10360, dt.datetime(2019, 10, 29, 9, 3, 6, 300000), "Axivity"),
    # one 0.5-s jump at the first page boundary is filled: 900 samples + 25
    ("gnactv_sample.bin", 50.0, 925, dt.datetime(2019, 5, 21, 16, 16, 43, 500000), "GENEActiv"),
])
def test_real_device_files(name, fs, n, start, device):
    rec = read_accel_device(DATA / name, side="right")
    sig = rec.signals["right"]
    assert sig.fs == pytest.approx(fs, abs=0.01) and sig.data.shape == (n, 3)
    assert rec.start == start and rec.file_type == device
    assert rec.duration_s == pytest.approx(n / fs, rel=1e-3)
    magnitude = np.median(np.linalg.norm(sig.data, axis=1))
    assert 0.95 < magnitude < 1.05
    assert looks_like_accel(DATA / name)


@pytest.mark.parametrize("name, cut, problem", [
    ("ax3_sample.cwa", 40_000, "not a whole number of 512-byte blocks"),
    ("ax6_sample.cwa", 700, "less than a header and one data block"),
    ("gnactv_sample.bin", 6_000, r"announces 3 pages, only 2 found"),
    ("gnactv_sample.bin", 12_700, "page 3 of 3 has no complete data line"),
])
def test_truncated_device_files(tmp_path, name, cut, problem):
    path = tmp_path / name
    path.write_bytes((DATA / name).read_bytes()[:cut])
    with pytest.raises(PlmsInputError, match=problem) as err:
        read_accel_device(path)
    assert err.value.path == str(path)


def test_damaged_cwa_blocks(tmp_path):
    raw = (DATA / "ax3_sample.cwa").read_bytes()
    path = tmp_path / "bad.cwa"
    path.write_bytes(raw[:1024] + bytes(range(256)) * 20)
    with pytest.raises(PlmsInputError, match="bad.cwa: the Axivity file cannot be decoded"):
        read_accel_device(path)


def test_missing_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skdh.io", None)
    monkeypatch.setitem(sys.modules, "pygt3x.reader", None)
    shutil.copy(DATA / "ax6_sample.cwa", tmp_path / "night.cwa")
    (tmp_path / "night.gt3x").write_bytes(b"PK")
    with pytest.raises(PlmsInputError,
                       match=r"reading \.cwa files needs the optional extra: pip install "):
        read_accel(tmp_path / "night.cwa")
    with pytest.raises(PlmsInputError, match=r"\.gt3x files needs the optional extra"):
        read_accel(tmp_path / "night.gt3x")


def _fake_pygt3x(frame=None, error=None):
    class FileReader:
        def __init__(self, name):
            self.info = types.SimpleNamespace(sample_rate=FS)

        def __enter__(self):
            if error is not None:
                raise error
            return self

        def __exit__(self, *exc):
            return False

        def to_pandas(self):
            return frame

    return types.SimpleNamespace(FileReader=FileReader)


def test_gt3x_through_pygt3x(tmp_path, monkeypatch):
    n = FS * SECONDS
    data = _motion(n)
    frame = pd.DataFrame({"X": data[:, 0], "Y": data[:, 1], "Z": data[:, 2],
                          "IdleSleepMode": np.arange(n) < 10},
                         index=pd.Index(1.7e9 + np.arange(n) / FS, name="Timestamp"))
    monkeypatch.setitem(sys.modules, "pygt3x.reader", _fake_pygt3x(frame))
    path = tmp_path / "night.gt3x"
    path.write_bytes(b"PK")
    rec = read_accel(path, side="left")
    assert rec.signals["left"].fs == pytest.approx(FS) and rec.file_type == "ActiGraph"
    assert any("idle sleep mode" in w for w in rec.warnings)
    monkeypatch.setitem(sys.modules, "pygt3x.reader",
                        _fake_pygt3x(error=KeyError("There is no item named 'info.txt'")))
    with pytest.raises(PlmsInputError, match="night.gt3x: the ActiGraph file cannot be decoded"):
        read_accel(path)


def test_read_accel_dispatch_refuses_unknown_suffix(tmp_path):
    with pytest.raises(PlmsInputError, match="not an accelerometer file"):
        read_accel(tmp_path / "x.dat")
    assert not looks_like_accel(tmp_path / "x.dat")


def test_read_accel_common_options(tmp_path):
    edf = _accel_edf(tmp_path / "a.edf")
    rec = read_accel(edf, side=None, unit=None, fs=None)
    assert rec.warnings == ()
    assert "50 Hz given was ignored" in read_accel(edf, fs=50).warnings[-1]
    csv = _csv(tmp_path / "a.csv")
    assert read_accel(csv, side="right", unit=None, fs=FS).signals["right"].unit == "g"
    rec = read_accel(DATA / "gnactv_sample.bin", side="left", unit="mg", fs=None)
    assert "device files are read in g" in rec.warnings[-1]


def test_csv_clipping_at_a_standard_range_is_found(tmp_path):
    """A CSV does not state its range: 30 of 3000 samples (1%) stuck at +8 g on
    x is clipping at the 8-g range (warning); 60% stuck is refused."""
    n = 3000
    t = np.arange(n) / 50.0
    acc = np.tile([0.0, 0.0, 1.0], (n, 1))
    acc[100:130, 0] = 8.0
    path = tmp_path / "clip.csv"
    pd.DataFrame({"time": t, "x": acc[:, 0], "y": acc[:, 1], "z": acc[:, 2]}).to_csv(
        path, index=False)
    rec = read_accel_csv(path, side="left")
    sig = rec.signals["left"]
    assert sig.clipped_fraction == pytest.approx(0.01)
    assert sig.range_g == 8.0
    assert any("clipped" in w for w in rec.warnings)
    acc[:1800, 0] = -8.0
    pd.DataFrame({"time": t, "x": acc[:, 0], "y": acc[:, 1], "z": acc[:, 2]}).to_csv(
        path, index=False)
    with pytest.raises(PlmsInputError, match="clipped"):
        read_accel_csv(path, side="left")


# ---------------------------------------------------------------- issue 12


def test_non_numeric_cell_in_a_long_csv_is_one_clear_error_without_dtype_warning(tmp_path):
    """pandas reads a long file in chunks; a bad cell in a late chunk made it warn
    (DtypeWarning) before plms's own message."""
    import warnings

    n = 300_000
    rows = np.full(n, "0.010000,0.020000,1.000000", dtype=object)
    rows[n - 5] = "0.010000,abc,1.000000"
    path = tmp_path / "long.csv"
    path.write_text("x,y,z\n" + "\n".join(rows) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PlmsInputError, match=rf"line {n - 5 + 2}, column 'y'.*'abc'"):
            read_accel_csv(path, fs=50)


@pytest.mark.parametrize("stem, expected", [
    ("night1-left", ("night1", "left")), ("night1-right", ("night1", "right")),
    ("N1_L", ("N1", "left")), ("N1_R", ("N1", "right")), ("n1.Rt", ("n1", "right")),
    ("sub 3 LEFT", ("sub 3", "left")), ("right", ("", "right")),
    ("night1", None), ("clr", None), ("left-night", None), ("n1-lr", None),
])
def test_side_from_file_name(stem, expected):
    from plms.io.accel.labels import side_from_name

    assert side_from_name(stem) == expected


def _xyz_csv(path: Path, columns: str = "x,y,z") -> Path:
    rows = "\n".join("0.01,0.02,1.0" for _ in range(FS * SECONDS))
    path.write_text(f"{columns}\n{rows}\n")
    return path


def test_side_in_the_file_name_is_used_when_the_labels_do_not_say_it(tmp_path):
    right = read_accel_csv(_xyz_csv(tmp_path / "n1_R.csv"), fs=FS)
    assert list(right.signals) == ["right"]
    assert not any("not known" in w for w in right.warnings)
    # through the dispatcher too, and --side still overrides the name
    assert list(read_accel(tmp_path / "n1_R.csv", fs=FS).signals) == ["right"]
    assert list(read_accel(tmp_path / "n1_R.csv", fs=FS, side="left").signals) == ["left"]
    # the labels win over the name
    labelled = _xyz_csv(tmp_path / "n2-right.csv", "ankle_l_x,ankle_l_y,ankle_l_z")
    assert list(read_accel_csv(labelled, fs=FS).signals) == ["left"]
    # no side anywhere: left, with the warning saying so
    plain = read_accel_csv(_xyz_csv(tmp_path / "n3.csv"), fs=FS)
    assert list(plain.signals) == ["left"] and any("not known" in w for w in plain.warnings)


def test_csv_span_is_told_from_the_first_and_last_lines_or_the_line_count(tmp_path):
    """The length plms uses to decide on a multi-day split, without reading the table."""
    from plms.io.accel.csv import csv_span_s

    stamped = tmp_path / "stamped.csv"
    times = pd.date_range("2026-01-05 22:00", periods=7201, freq="500ms")
    pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%S.%f"), "x": 0.0, "y": 0.0,
                  "z": 1.0}).to_csv(stamped, index=False)
    assert csv_span_s(stamped) == pytest.approx(3600.0)       # 7200 steps of 0.5 s
    bare = tmp_path / "bare.csv"
    bare.write_text("x,y,z\n" + "0,0,1\n" * 300 + "0,0,1")     # 301 rows, no final newline
    assert csv_span_s(bare, fs=10.0) == pytest.approx(30.1)
    assert csv_span_s(bare) is None                           # no time column, no rate
    assert csv_span_s(tmp_path / "missing.csv") is None
    blank = tmp_path / "blank.csv"                          # an empty first time cell
    blank.write_text("timestamp,x,y,z\n,0,0,1\n2026-01-05T22:00:01,0,0,1\n")
    assert csv_span_s(blank) is None
