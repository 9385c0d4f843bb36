"""Optional outputs: EDF+ annotations, annotated EDF copy, NSRR XML, mne.Annotations."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings

import edfio
import mne
import numpy as np
import pandas as pd
import pyedflib
import pytest

import plms
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.io import read_edf_annotations, read_nsrr_xml
from plms.outputs import (
    EXTRA_FORMATS,
    extra_output_paths,
    to_mne_annotations,
    write_annotated_copy,
    write_edf_annotations,
    write_extras,
    write_nsrr_xml,
)
from plms.outputs import edf_plus, nsrr_xml
from plms.outputs._events import leg_rows
from plms.simulate import NightSpec, simulate_night, write_edf

RES = edf_plus.TIME_RESOLUTION_S
STAGES = ["W", "W", "N1"] + ["N2"] * 30 + ["MT", "N3", "N3", "R", "R", "U", "W"]
LIGHTS = (30.0, 1200.0)


def _lms() -> pd.DataFrame:
    rows = [(300.0, 2.0, "right"), (320.0, 2.0, "right"), (340.0, 1.5, "right"),
            (360.0, 2.0, "left"), (360.4, 3.0, "right"),        # bilateral, in the series
            (380.0, 2.0, "right"), (400.0, 2.5, "right"),
            (600.123456, 3.0, "left"), (800.0, 12.0, "right"),   # long: not a CLM
            (900.0, 0.3, "left")]                                # too short: dropped
    return pd.DataFrame(rows, columns=["onset", "duration", "side"])


def _resp() -> pd.DataFrame:
    """One apnea ending at 400 s: the LM at 400 s is respiratory-related (WASM)."""
    return pd.DataFrame({"onset": [390.0], "duration": [10.0]})


def _result(**kwargs) -> plms.ScoreResult:
    hyp = Hypnogram.from_labels(STAGES, lights_off_s=LIGHTS[0], lights_on_s=LIGHTS[1])
    return plms.score_lms(_lms(), hypnogram=hyp, respiratory=_resp(), stem="night1", **kwargs)


@pytest.fixture(scope="module")
def result() -> plms.ScoreResult:
    res = _result()
    ev = res.events
    assert "bilateral" in set(ev["side"]) and ev["resp"].any() and ev["plm"].any()
    return res


@pytest.fixture(scope="module")
def night_edf(tmp_path_factory):
    night = simulate_night(3, NightSpec(duration_h=0.1, fs_leg=200, plm_severity=60))
    path = write_edf(night, tmp_path_factory.mktemp("night") / "sim.edf", extra_channels="light")
    return path, plms.score_edf(path)


def _expected_lm_texts(result) -> list[tuple[float, float, str]]:
    out = []
    for row in result.events.itertuples():
        text = ("PLM " if row.plm else "LM ") + row.side + (" (resp)" if row.resp else "")
        out.append((row.onset, row.duration, text))
    return out


def _is_lm(text: str) -> bool:
    return text.startswith(("LM ", "PLM "))


def _no_temp_files(folder) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]


# -- EDF+ annotations ----------------------------------------------------------
def test_edf_annotations_open_in_mne_and_edfio(result, tmp_path):
    path = write_edf_annotations(result, tmp_path / "a.edf", split_bilateral=False)
    _no_temp_files(tmp_path)
    expected = _expected_lm_texts(result)
    assert [t for _, _, t in expected] == [
        "PLM right", "PLM right", "PLM right", "PLM bilateral", "PLM right", "LM right (resp)",
        "LM left", "LM right"]
    ann = mne.read_annotations(path)
    lms = [(o, d, t) for o, d, t in zip(ann.onset, ann.duration, ann.description, strict=True)
           if _is_lm(t)]
    assert [t for _, _, t in lms] == [t for _, _, t in expected]
    np.testing.assert_allclose([o for o, _, _ in lms], [o for o, _, _ in expected], atol=RES)
    np.testing.assert_allclose([d for _, d, _ in lms], [d for _, d, _ in expected], atol=RES)
    stages = [(o, d, t) for o, d, t in zip(ann.onset, ann.duration, ann.description, strict=True)
              if t.startswith("Sleep stage") or t == "Movement time"]
    assert [t for _, _, t in stages] == [edf_plus.STAGE_TEXT[s] for s in STAGES]
    np.testing.assert_allclose([o for o, _, _ in stages], 30.0 * np.arange(len(STAGES)))
    assert {"Lights off", "Lights on"} <= set(ann.description)

    raw = mne.io.read_raw_edf(path, verbose="error")
    assert raw.ch_names == [edf_plus.PLACEHOLDER_LABEL]
    assert raw.times[-1] + 1 >= len(STAGES) * 30.0
    assert len(raw.annotations) == len(ann)          # none dropped outside the data

    edf = edfio.read_edf(path)
    texts = [a.text for a in edf.annotations]
    assert [t for t in texts if _is_lm(t)] == [t for _, _, t in expected]
    assert len(texts) == len(ann)


def test_edf_annotations_read_back_by_plms(result, tmp_path):
    ann = read_edf_annotations(write_edf_annotations(result, tmp_path / "a.edf",
                                                     split_bilateral=False))
    assert ann.hypnogram.stages.tolist() == STAGES
    assert (ann.hypnogram.lights_off_s, ann.hypnogram.lights_on_s) == LIGHTS
    mono = result.events[result.events["side"] != "bilateral"]
    assert ann.leg_movements["side"].tolist() == mono["side"].tolist()
    assert any("name no leg" in w for w in ann.warnings)   # "LM bilateral"

    # Split into legs (the default), the file re-scores to the same events.
    split = read_edf_annotations(write_edf_annotations(result, tmp_path / "b.edf"))
    again = plms.score_lms(split.leg_movements, hypnogram=split.hypnogram,
                           respiratory=_resp())
    cols = ["side", "clm", "resp", "plm", "series"]
    pd.testing.assert_frame_equal(again.events[cols], result.events[cols])
    np.testing.assert_allclose(again.events["onset"], result.events["onset"], atol=RES)


def test_edf_annotations_without_hypnogram(tmp_path):
    res = plms.score_lms(_lms())
    start = dt.datetime(2023, 5, 6, 23, 10, 5)
    path = write_edf_annotations(res, tmp_path / "a.edf", start=start, duration_s=60.0,
                                 split_bilateral=False)
    raw = mne.io.read_raw_edf(path, verbose="error")
    assert raw.info["meas_date"].replace(tzinfo=None) == start
    last = res.events["onset"].iloc[-1] + res.events["duration"].iloc[-1]
    assert raw.times[-1] + 1 >= last                  # longer than asked: holds every event
    ann = raw.annotations
    lms = [t for t in ann.description if not t.startswith("plms: ")]
    assert all(_is_lm(t) for t in lms) and len(lms) == len(res.events)
    # and what was not scored says so (docs/CONTRACT.md)
    assert sorted(t for t in ann.description if t.startswith("plms: ")) == [
        "plms: arousals not scored", "plms: respiratory events not scored"]
    # without a known start, EDF's "unknown" date
    raw = mne.io.read_raw_edf(write_edf_annotations(res, tmp_path / "b.edf"), verbose="error")
    assert raw.info["meas_date"].replace(tzinfo=None) == edf_plus.UNKNOWN_START


def test_edf_annotations_error_leaves_nothing(result, tmp_path, monkeypatch):
    target = tmp_path / "a.edf"
    target.write_bytes(b"old")

    def fail(writer, items):
        raise OSError("disk full")

    monkeypatch.setattr(edf_plus, "_write_annotations", fail)
    with pytest.raises(OSError, match="disk full"):
        write_edf_annotations(result, target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.edf"]


# -- annotated copy -------------------------------------------------------------
def _same_signals(src, copy) -> None:
    a, b = pyedflib.EdfReader(str(src)), pyedflib.EdfReader(str(copy))
    try:
        assert b.getSignalLabels() == a.getSignalLabels()
        np.testing.assert_array_equal(b.getSampleFrequencies(), a.getSampleFrequencies())
        assert b.datarecord_duration == a.datarecord_duration
        assert b.getStartdatetime() == a.getStartdatetime()
        for k in range(a.signals_in_file):
            assert b.getPhysicalDimension(k) == a.getPhysicalDimension(k)
            np.testing.assert_array_equal(b.readSignal(k, digital=True),
                                          a.readSignal(k, digital=True))
            step = (a.getPhysicalMaximum(k) - a.getPhysicalMinimum(k)) / (
                a.getDigitalMaximum(k) - a.getDigitalMinimum(k))
            np.testing.assert_allclose(b.readSignal(k), a.readSignal(k), atol=step)
    finally:
        a.close()
        b.close()


def test_annotated_copy_keeps_signals_and_adds_lms(night_edf, tmp_path):
    src, res = night_edf
    path = write_annotated_copy(res, src, tmp_path / "copy.edf", split_bilateral=False)
    _no_temp_files(tmp_path)
    _same_signals(src, path)
    source_ann = mne.read_annotations(src)
    ann = mne.read_annotations(path)
    lms = [(o, t) for o, t in zip(ann.onset, ann.description, strict=True) if _is_lm(t)]
    expected = _expected_lm_texts(res)
    assert [t for _, t in lms] == [t for _, _, t in expected]
    np.testing.assert_allclose([o for o, _ in lms], [o for o, _, _ in expected], atol=RES)
    # the source's own annotations (with its stages) are kept, ours not added twice;
    # plms's markers say what was scored (docs/CONTRACT.md)
    markers = [t for t in ann.description if t.startswith("plms: ")]
    assert sorted(t for t in ann.description if not _is_lm(t) and t not in markers) == sorted(
        source_ann.description)
    said = {name: "scored" if res.summary[f"{key}_scored"] else "not scored"
            for name, key in (("respiratory events", "respiratory"), ("arousals", "arousals"))}
    assert {f"plms: {name} {word}" for name, word in said.items()} <= set(markers)
    raw = mne.io.read_raw_edf(path, verbose="error")
    assert len(raw.annotations) == len(ann)
    assert edfio.read_edf(path).num_signals == len(raw.ch_names)
    back = read_edf_annotations(path)
    assert back.hypnogram.stages.tolist() == res.hypnogram.stages.tolist()


def test_annotated_copy_of_bdf_with_long_records(result, tmp_path):
    src = tmp_path / "src.bdf"
    rng = np.random.default_rng(1)
    n_records, record_s = 600, 2.0      # 1200 s, two signals, 256 Hz and 0.5 Hz
    leg = rng.integers(-8_000_000, 8_000_000, size=int(256 * record_s) * n_records)
    slow = rng.integers(-100, 100, size=n_records)
    w = pyedflib.EdfWriter(str(src), 2, file_type=pyedflib.FILETYPE_BDF)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w.setDatarecordDuration(record_s)
        w.setSignalHeaders([
            {"label": "Tib-L", "dimension": "uV", "sample_frequency": 256,
             "physical_min": -5000.0, "physical_max": 5000.0, "digital_min": -8388608,
             "digital_max": 8388607, "transducer": "AgAgCl", "prefilter": "HP:10Hz"},
            {"label": "Hyp", "dimension": "", "sample_frequency": 0.5, "physical_min": -100.0,
             "physical_max": 100.0, "digital_min": -100, "digital_max": 100,
             "transducer": "", "prefilter": ""}])
        w.setStartdatetime(dt.datetime(2022, 2, 3, 21, 0, 0))
        w.writeSamples([leg.astype(np.int32), slow.astype(np.int32)], digital=True)
    finally:
        w.close()
    path = write_annotated_copy(result, src, tmp_path / "copy.bdf", split_bilateral=False)
    _same_signals(src, path)
    ann = read_edf_annotations(path)                 # plain BDF: our hypnogram is added
    assert ann.hypnogram.stages.tolist() == STAGES
    assert len(ann.leg_movements) == (result.events["side"] != "bilateral").sum()


def test_annotated_copy_refuses_discontinuous_and_missing(result, night_edf, tmp_path):
    src, _ = night_edf
    plus_d = tmp_path / "d.edf"
    shutil.copy(src, plus_d)
    with open(plus_d, "r+b") as fh:
        fh.seek(192)
        fh.write(b"EDF+D")
    with pytest.raises(PlmsInputError, match="discontinuous"):
        write_annotated_copy(result, plus_d, tmp_path / "out.edf")
    with pytest.raises(PlmsInputError, match="does not exist"):
        write_annotated_copy(result, tmp_path / "missing.edf", tmp_path / "out.edf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.edf"]


# -- NSRR XML ------------------------------------------------------------------
def test_nsrr_xml_reads_back(result, tmp_path):
    path = write_nsrr_xml(result, tmp_path / "n.xml")
    _no_temp_files(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "<EventConcept>Periodic leg movement - right|PLM (Right)</EventConcept>" in text
    assert "<EventConcept>Limb movement - left|Limb Movement (Left)</EventConcept>" in text
    assert "<EventConcept>Stage 2 sleep|2</EventConcept>" in text
    ann = read_nsrr_xml(path)
    assert ann.hypnogram.stages.tolist() == STAGES
    assert ann.hypnogram.epoch_s == 30.0
    assert (ann.hypnogram.lights_off_s, ann.hypnogram.lights_on_s) == LIGHTS
    parts = list(leg_rows(result))
    assert ann.leg_movements["side"].tolist() == [p.side for p in parts]
    np.testing.assert_allclose(ann.leg_movements["onset"], [p.onset for p in parts], atol=1e-4)
    # the bilateral movement is written as its two legs, which re-score to it
    bil = result.events[result.events["side"] == "bilateral"].iloc[0]
    at = ann.leg_movements[(ann.leg_movements["onset"] >= bil.onset - 1e-4)
                           & (ann.leg_movements["onset"] < bil.onset + bil.duration)]
    assert sorted(at["side"]) == ["left", "right"]
    again = plms.score_lms(ann.leg_movements, hypnogram=ann.hypnogram,
                           respiratory=_resp())
    cols = ["side", "clm", "resp", "plm", "series"]
    pd.testing.assert_frame_equal(again.events[cols], result.events[cols])


def test_nsrr_xml_of_scored_edf_names_channels_and_start(night_edf, tmp_path):
    _, res = night_edf
    text = write_nsrr_xml(res, tmp_path / "n.xml").read_text(encoding="utf-8")
    assert "<ClockTime>00.00.00 22.30.00</ClockTime>" in text
    assert f"<SignalLocation>{res.summary['channels']['left']}</SignalLocation>" in text
    ann = read_nsrr_xml(tmp_path / "n.xml")
    assert ann.hypnogram.stages.tolist() == res.hypnogram.stages.tolist()
    assert len(ann.leg_movements) == len(list(leg_rows(res)))


# -- mne.Annotations -------------------------------------------------------------
def test_mne_annotations_carry_extras(result):
    ann = to_mne_annotations(result)
    ev = result.events
    assert len(ann) == len(ev) and ann.orig_time is None
    assert list(ann.description) == ["PLM" if p else "LM" for p in ev["plm"]]
    np.testing.assert_allclose(ann.onset, ev["onset"])
    extras = ann.extras
    assert [e["side"] for e in extras] == ev["side"].tolist()
    assert [e["plm"] for e in extras] == ev["plm"].astype(int).tolist()
    assert [e["resp"] for e in extras] == ev["resp"].astype(int).tolist()
    assert [e["series"] for e in extras] == [None if pd.isna(s) else int(s) for s in ev["series"]]
    assert {"clm", "arousal", "stage"} <= set(extras[0])

    with_stages = to_mne_annotations(result, hypnogram=True,
                                     orig_time=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    assert len(with_stages) == len(ev) + len(STAGES)
    assert list(with_stages.description).count("Sleep stage N2") == STAGES.count("N2")
    assert with_stages.orig_time is not None


# -- write_extras ----------------------------------------------------------------
def test_write_extras_writes_every_format(night_edf, tmp_path):
    src, res = night_edf
    paths = write_extras(res, tmp_path / "out", EXTRA_FORMATS, source_edf=src)
    assert paths == extra_output_paths(res.stem, tmp_path / "out")
    assert {p.name for p in paths.values()} == {
        "sim.annotations.edf", "sim.annotated.edf", "sim.plms-nsrr.xml"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in paths.values())
    assert read_nsrr_xml(paths["nsrr-xml"]).hypnogram is not None
    assert len(mne.read_annotations(paths["edf-annotations"])) > len(res.events)


def test_write_extras_can_split_bilateral(result, tmp_path):
    paths = write_extras(result, tmp_path, ["edf-annotations"], split_bilateral=True)
    texts = list(mne.read_annotations(paths["edf-annotations"]).description)
    assert "PLM bilateral" not in texts
    assert texts.count("PLM left") == 1
    assert len(read_edf_annotations(paths["edf-annotations"]).leg_movements) == len(
        list(leg_rows(result)))


def test_write_extras_refuses_bad_requests(result, tmp_path):
    with pytest.raises(ValueError, match="allowed: edf-annotations, edf-copy, nsrr-xml"):
        write_extras(result, tmp_path, ["edf-annotations", "pdf"])
    with pytest.raises(ValueError, match="source EDF"):
        write_extras(result, tmp_path, ["nsrr-xml", "edf-copy"])
    assert list(tmp_path.iterdir()) == []
    assert write_extras(result, tmp_path, []) == {}


def test_write_extras_error_leaves_no_file(result, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(nsrr_xml, "write_nsrr_xml", fail)
    with pytest.raises(RuntimeError, match="boom"):
        write_extras(result, tmp_path, ["edf-annotations", "nsrr-xml"])
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    with pytest.raises(PlmsInputError):
        write_extras(result, tmp_path, EXTRA_FORMATS, source_edf=tmp_path / "missing.edf")
    assert list(tmp_path.iterdir()) == []


def test_estimated_sleep_is_written_and_read_back_as_unstaged_sleep(tmp_path):
    """An actigraphy hypnogram (W/S) keeps its S epochs through NSRR XML, and
    EDF+ names them as sleep of unknown stage, not as any stage."""
    hyp = Hypnogram.from_labels(["W"] * 4 + ["S"] * 36)
    res = plms.score_lms(_lms(), hypnogram=hyp, stem="acti")
    ann = read_nsrr_xml(write_nsrr_xml(res, tmp_path / "a.xml"))
    assert ann.hypnogram.stages.tolist() == ["W"] * 4 + ["S"] * 36
    texts = {text for _, _, text in edf_plus.hypnogram_annotations(hyp)}
    assert texts == {"Sleep stage W", "Sleep (stage unknown, estimated)"}
