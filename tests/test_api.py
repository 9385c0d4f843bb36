"""The Python API researchers use: ``import plms`` alone, MNE objects, clear pointers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import plms
from plms.errors import PlmsInputError
from plms.simulate import AccelSpec, NightSpec, simulate_accel_night, simulate_night, write_edf
from plms.simulate import write_accel_edf


def test_submodules_named_in_the_readme_work_after_import_plms_alone():
    """A fresh interpreter, so that the submodules imported by this test session
    cannot hide a missing attribute."""
    code = ("import plms; plms.io.read_annotations; plms.rules.WASM2016; "
            "plms.validation.validate; plms.rules.AASM; plms.simulate.simulate_night; "
            "plms.annotations.Annotations; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_dir_lists_the_submodules_and_unknown_names_still_fail():
    names = dir(plms)
    for name in ("io", "rules", "validation", "score_edf", "detect_lm"):
        assert name in names
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        plms.nonexistent  # noqa: B018


# ------------------------------------------------------------------ score_edf(mne.io.Raw)
@pytest.fixture(scope="module")
def psg(tmp_path_factory):
    """A generated 30-min PSG with periodic leg movements, as EDF+ (legs and ECG)."""
    night = simulate_night(seed=41, spec=NightSpec(duration_h=0.5, fs_leg=256,
                                                   plm_severity=60.0))
    path = write_edf(night, tmp_path_factory.mktemp("api") / "n41.edf", extra_channels=False)
    return night, path


def _in_memory(path):
    """The EDF loaded by MNE and copied into a RawArray (no file behind it)."""
    mne = pytest.importorskip("mne")
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    mem = mne.io.RawArray(raw.get_data(), raw.info, verbose="error")   # volts, as MNE keeps
    mem.set_annotations(raw.annotations)
    return mem


def test_score_edf_accepts_an_mne_raw_and_finds_the_same_movements(psg):
    night, path = psg
    from_file = plms.score_edf(path)
    raw = _in_memory(path)
    before = raw.get_data().copy()
    from_raw = plms.score_edf(raw)
    np.testing.assert_array_equal(raw.get_data(), before)          # not modified
    # the same night: the same movements, sleep stages and figures
    assert len(from_raw.events) == len(from_file.events) > 0
    np.testing.assert_allclose(from_raw.events["onset"], from_file.events["onset"], atol=0.011)
    np.testing.assert_allclose(from_raw.events["duration"], from_file.events["duration"],
                               atol=0.021)
    assert from_raw.events["side"].tolist() == from_file.events["side"].tolist()
    assert from_raw.events["stage"].tolist() == from_file.events["stage"].tolist()
    s = from_raw.summary
    assert s["plms_index"] == pytest.approx(from_file.summary["plms_index"])
    assert s["plms_index"] > 0
    # the hypnogram, respiratory events and arousals came from raw.annotations
    assert s["tst_min"] == pytest.approx(night.hypnogram.tst_min)
    assert s["respiratory_scored"] and s["arousals_scored"]
    assert s["annotations_source"] == "mne.io.Raw annotations"
    assert s["recording_start"] == from_file.summary["recording_start"]
    assert s["channels"]["ecg"] == night.ecg_label
    assert s["file"] == "mne.io.Raw" and from_raw.stem == "night"


def test_score_edf_on_a_raw_without_date_or_annotations(psg):
    mne = pytest.importorskip("mne")
    _, path = psg
    raw = _in_memory(path)
    bare = mne.io.RawArray(raw.get_data(), mne.create_info(raw.ch_names, raw.info["sfreq"],
                                                           "misc"), verbose="error")
    r = plms.score_edf(bare)
    assert r.summary["recording_start"] is None
    assert r.summary["annotations_source"] == "none"
    assert r.summary["plms_index"] is None        # no sleep time without a hypnogram
    assert r.summary["n_lm"] == plms.score_edf(raw).summary["n_lm"]


def test_score_edf_on_a_raw_in_microvolts_with_unit(psg):
    mne = pytest.importorskip("mne")
    _, path = psg
    raw = _in_memory(path)
    in_uv = mne.io.RawArray(raw.get_data() * 1e6, raw.info, verbose="error")
    in_uv.set_annotations(raw.annotations)
    got = plms.score_edf(in_uv, unit="uV")
    pd.testing.assert_series_equal(got.events["onset"], plms.score_edf(raw).events["onset"])
    assert got.summary["units"] == {"left": "uV", "right": "uV"}


def test_score_edf_on_an_accelerometer_edf_points_to_score_accel(tmp_path):
    dev = simulate_accel_night(21, AccelSpec(duration_h=0.1, fs_hz=50.0))
    path = write_accel_edf(dev, tmp_path / "ankles.edf")
    with pytest.raises(PlmsInputError, match=r"plms\.score_accel") as exc:
        plms.score_edf(path)
    message = str(exc.value)
    assert message.startswith(str(path)) and "--left" not in message
    assert "accelerometer" in message
    assert plms.score_accel(path).summary["n_lm"] >= 0    # the pointer leads somewhere
