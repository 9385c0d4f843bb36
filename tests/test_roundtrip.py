"""Write-back round trips: ``plms score --write ...`` then ``plms rescore`` gives the same night.

Every writer (NSRR XML, EDF+ annotations, annotated EDF copy) must carry
every input the rules used: the leg movements, the hypnogram with its lights
markers, the respiratory events and arousals (and whether they were scored at
all), and the stretches of a leg left out of scoring. Rescoring the written
file must then reproduce the night's figures exactly, for both presets.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import plms
from plms.annotations import Annotations
from plms.hypnogram import Hypnogram
from plms.io import read_edf_annotations, read_nsrr_xml
from plms.outputs import EXTRA_FORMATS, write_edf_annotations, write_extras, write_nsrr_xml
from plms.simulate import NightSpec, simulate_night, write_edf

from cli_helpers import run_cli

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"
PRESETS = ("wasm2016", "aasm")
#: The figures the issue asks to survive, and whether the events were scored.
FIGURES = ("n_lm", "n_plms", "plms_index", "plms_index_incl_resp", "plmw_index",
           "plms_arousal_index", "tib_min", "tst_min", "respiratory_scored", "arousals_scored")
#: Resolution of the times written (EDF+ annotations and NSRR XML), s.
RES = 1e-4


def _figures(result: plms.ScoreResult) -> dict:
    return {k: result.summary.get(k) for k in FIGURES}


def _round_trip(result: plms.ScoreResult, source: Path, out: Path, rules: str
                ) -> dict[str, plms.ScoreResult]:
    """Write every format of ``result``, rescore each written file."""
    paths = write_extras(result, out, EXTRA_FORMATS, source_edf=source)
    fmt = {"nsrr-xml": "nsrr", "edf-annotations": "edf", "edf-copy": "edf"}
    return {name: plms.rescore(path, rules, fmt=fmt[name]) for name, path in paths.items()}


def _assert_same_night(original: plms.ScoreResult, again: dict[str, plms.ScoreResult]) -> None:
    expected = _figures(original)
    for name, res in again.items():
        assert _figures(res) == expected, name
        excluded = original.summary.get("excluded_min") or {}
        if any(excluded.values()):
            assert res.summary["excluded_min"] == pytest.approx(excluded, abs=RES), name


# -- nights ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, object]:
    """A 2-h night with lights markers inside the recording, respiratory events,
    arousals and one leg electrode off for a few minutes, scoring embedded as EDF+."""
    night = simulate_night(7, NightSpec(duration_h=2.0, fs_leg=200, difficulty="clean",
                                        lights=True, electrode_off=True,
                                        respiratory_load=20.0))
    hyp = night.hypnogram
    assert hyp.lights_off_s > 0 and hyp.lights_on_s is not None
    assert len(night.respiratory) and len(night.arousals)
    path = write_edf(night, tmp_path_factory.mktemp("gen") / "night.edf", extra_channels=False)
    return path, night


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample night with its NSRR sidecar (which holds no lights markers,
    while the EDF+'s own annotations do)."""
    folder = tmp_path_factory.mktemp("sample")
    for name in ("sample.edf", "sample-nsrr.xml"):
        shutil.copy(SAMPLES / name, folder / name)
    return folder / "sample.edf"


@pytest.mark.parametrize("rules", PRESETS)
def test_sample_round_trip_every_writer(sample, rules, tmp_path):
    """The issue's night: the sidecar's respiratory events and arousals, and its
    time in bed (the EDF+'s lights markers were not used), survive every writer."""
    original = plms.score_edf(sample, rules)
    assert original.summary["annotations_source"].endswith("sample-nsrr.xml")
    assert original.summary["respiratory_scored"] and original.summary["arousals_scored"]
    # the sidecar has no lights: every epoch of the 1-h recording is in bed
    assert original.summary["tib_min"] == 60.0
    again = _round_trip(original, sample, tmp_path, rules)
    _assert_same_night(original, again)


@pytest.mark.parametrize("rules", PRESETS)
def test_generated_night_round_trip_every_writer(generated, rules, tmp_path):
    """Own EDF+ annotations: lights markers, respiratory events, arousals and the
    stretch with the electrode off all come back."""
    path, night = generated
    original = plms.score_edf(path, rules)
    hyp = night.hypnogram
    in_bed = hyp.n_epochs * hyp.epoch_s - hyp.lights_off_s - (hyp.end_s - hyp.lights_on_s)
    assert original.summary["tib_min"] == pytest.approx(in_bed / 60.0)
    assert original.summary["excluded_min"]["right"] + original.summary["excluded_min"][
        "left"] > 0
    again = _round_trip(original, path, tmp_path, rules)
    _assert_same_night(original, again)
    for res in again.values():
        back = res.details["annotations"]
        assert (back.hypnogram.lights_off_s, back.hypnogram.lights_on_s) == (
            hyp.lights_off_s, hyp.lights_on_s)
        assert len(back.respiratory) == len(night.respiratory)
        assert back.respiratory["kind"].tolist() == night.respiratory["kind"].tolist()
        np.testing.assert_allclose(back.arousals["onset"], night.arousals["onset"], atol=RES)


@pytest.mark.parametrize("rules", PRESETS)
def test_annotated_copy_writes_the_lights_used_not_the_sources(generated, rules, tmp_path):
    """Scored with other annotations than the EDF's own (lights 10 min later, a
    sidecar-like Annotations), the copy reads back as what was scored: time in
    bed and PLMW follow the lights used, not the EDF's own markers."""
    path, night = generated
    hyp = night.hypnogram
    later = hyp.lights_off_s + 600.0
    used = Annotations(
        hypnogram=Hypnogram(hyp.stages, epoch_s=hyp.epoch_s, lights_off_s=later,
                            lights_on_s=hyp.lights_on_s),
        respiratory=night.respiratory[["onset", "duration", "kind"]],
        arousals=night.arousals[["onset", "duration"]],
        respiratory_scored=True, arousals_scored=True, source="given in Python")
    original = plms.score_edf(path, rules, annotations=used)
    in_bed = hyp.lights_on_s - later
    assert original.summary["tib_min"] == pytest.approx(in_bed / 60.0)
    again = _round_trip(original, path, tmp_path, rules)
    _assert_same_night(original, again)
    copy = read_edf_annotations(tmp_path / "night.annotated.edf")
    assert copy.hypnogram.lights_off_s == later
    assert not any("lights-off markers" in w for w in copy.warnings)   # the EDF's are gone


def test_cli_score_then_rescore_reproduces_the_sample(sample, tmp_path, capsys):
    """The commands of the issue, on the sample night."""
    out = tmp_path / "out"
    code, _, err = run_cli(["score", sample, "--out", out, "--write",
                            "nsrr-xml,edf-annotations,edf-copy"], capsys)
    assert code == 0, err
    original = json.loads((out / "sample.summary.json").read_text())
    for name in ("sample.plms-nsrr.xml", "sample.annotations.edf", "sample.annotated.edf"):
        code, _, err = run_cli(["rescore", out / name, "--out", tmp_path / name], capsys)
        assert code == 0, err
        stem = name.rsplit(".", 1)[0]
        again = json.loads((tmp_path / name / f"{stem}.summary.json").read_text())
        assert {k: again[k] for k in FIGURES} == {k: original[k] for k in FIGURES}, name


# -- "not scored" is not "scored, none found" ----------------------------------
STAGES = ["W"] * 2 + ["N2"] * 116 + ["W"] * 2          # 1 h, lights 60 s to 3540 s
LIGHTS = (60.0, 3540.0)


def _hand_night(respiratory: pd.DataFrame | None, arousals: pd.DataFrame | None
                ) -> plms.ScoreResult:
    """Six right-leg LMs of 2 s every 20 s from 600 s: one PLM series of 6 in N2.

    TST = TIB = 116 epochs = 58 min (lights 60-3540 s). A respiratory event
    ending at 660 s makes the LM at 660 s respiratory-related (WASM window
    [658, 670.25] s): it leaves the sequence and the IMI 640 -> 680 s (40 s)
    bridges it, so 5 PLMS remain; an arousal from 621 s overlaps the LM at
    620-622 s (+-0.5 s).
    """
    lms = pd.DataFrame({"onset": 600.0 + 20.0 * np.arange(6), "duration": 2.0,
                        "side": "right"})
    hyp = Hypnogram.from_labels(STAGES, lights_off_s=LIGHTS[0], lights_on_s=LIGHTS[1])
    return plms.score_lms(lms, hypnogram=hyp, respiratory=respiratory, arousals=arousals,
                          stem="hand")


WRITERS = {
    "nsrr-xml": lambda res, path: (write_nsrr_xml(res, path), "nsrr"),
    "edf-annotations": lambda res, path: (write_edf_annotations(res, path), "edf"),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_not_scored_stays_not_scored(writer, tmp_path):
    """No respiratory events and no arousals scored: the written file must not
    read back as "scored, none found" (a PLMS-arousal index of 0)."""
    original = _hand_night(None, None)
    assert original.summary["n_plms"] == 6
    assert original.summary["plms_arousal_index"] is None
    path, fmt = WRITERS[writer](original, tmp_path / "hand.out")
    ann = (read_nsrr_xml if fmt == "nsrr" else read_edf_annotations)(path)
    assert not ann.respiratory_scored and not ann.arousals_scored
    again = plms.rescore(path, fmt=fmt)
    assert again.summary["plms_arousal_index"] is None
    assert again.summary["respiratory_scored"] is False
    assert _figures(again) == _figures(original)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_scored_none_found_stays_scored(writer, tmp_path):
    """Scored, none found: read back as scored with empty tables (index 0, not null)."""
    empty_resp = pd.DataFrame({"onset": [], "duration": [], "kind": []})
    empty_ar = pd.DataFrame({"onset": [], "duration": []})
    original = _hand_night(empty_resp, empty_ar)
    assert original.summary["plms_arousal_index"] == 0.0
    path, fmt = WRITERS[writer](original, tmp_path / "hand.out")
    ann = (read_nsrr_xml if fmt == "nsrr" else read_edf_annotations)(path)
    assert ann.respiratory_scored and ann.arousals_scored
    assert len(ann.respiratory) == 0 and len(ann.arousals) == 0
    again = plms.rescore(path, fmt=fmt)
    assert again.summary["plms_arousal_index"] == 0.0
    assert _figures(again) == _figures(original)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_respiratory_events_and_arousals_are_written(writer, tmp_path):
    """Hand-built events come back with their times and kinds, and give the
    hand-derived figures after rescoring."""
    resp = pd.DataFrame({"onset": [650.0], "duration": [10.0], "kind": ["hypopnea"]})
    arousals = pd.DataFrame({"onset": [621.0], "duration": [5.0]})
    original = _hand_night(resp, arousals)
    tst_h = 116 * 30 / 3600
    # the LM at 660 s is respiratory-related and left out of the series
    assert original.summary["plms_index_incl_resp"] == pytest.approx(6 / tst_h)
    assert original.summary["plms_index"] == pytest.approx(5 / tst_h)
    assert original.summary["plms_arousal_index"] == pytest.approx(1 / tst_h)
    path, fmt = WRITERS[writer](original, tmp_path / "hand.out")
    ann = (read_nsrr_xml if fmt == "nsrr" else read_edf_annotations)(path)
    assert ann.respiratory[["onset", "duration", "kind"]].values.tolist() == [
        [650.0, 10.0, "hypopnea"]]
    assert ann.arousals[["onset", "duration"]].values.tolist() == [[621.0, 5.0]]
    assert (ann.hypnogram.lights_off_s, ann.hypnogram.lights_on_s) == LIGHTS
    again = plms.rescore(path, fmt=fmt)
    assert _figures(again) == _figures(original)


def test_an_nsrr_file_without_the_markers_keeps_its_own_reading(tmp_path):
    """Files not written by plms are read as before: an NSRR file with stages
    is a scored PSG (none found), an EDF+ without events says not scored."""
    original = _hand_night(None, None)
    path = write_nsrr_xml(original, tmp_path / "a.xml")
    text = path.read_text(encoding="utf-8")
    stripped = re.sub(r"<ScoredEvent>\s*<EventType>Markers\|Markers</EventType>\s*"
                      r"<EventConcept>plms: [^<]*</EventConcept>.*?</ScoredEvent>", "", text,
                      flags=re.S)
    other = tmp_path / "b.xml"
    other.write_text(stripped, encoding="utf-8")
    assert read_nsrr_xml(other).respiratory_scored            # stages: a scored PSG
    assert not read_nsrr_xml(path).respiratory_scored         # the marker says not scored


def test_not_scored_marker_with_events_counts_them(tmp_path):
    """A technician who adds events to a file marked "not scored" gets them used."""
    from plms.io.annotations.edf_annotations import annotations_from_tal

    ann = annotations_from_tal([(0.0, None, "plms: arousals not scored"),
                                (0.0, 60.0, "Sleep stage N2"), (30.0, 4.0, "Arousal")],
                               duration_s=60.0)
    assert ann.arousals_scored and len(ann.arousals) == 1
    assert any("not scored but holds some" in w for w in ann.warnings)


# -- excluded stretches -----------------------------------------------------------
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_excluded_stretches_survive(writer, tmp_path):
    """Stretches of one leg left out of scoring come back per leg, with their
    times, and the rescored summary gives their minutes."""
    excluded = pd.DataFrame({"onset": [1200.0, 2000.0], "duration": [300.0, 90.0],
                             "side": ["left", "right"]})
    ann = Annotations(
        hypnogram=Hypnogram.from_labels(STAGES, lights_off_s=LIGHTS[0],
                                        lights_on_s=LIGHTS[1]),
        leg_movements=pd.DataFrame({"onset": 600.0 + 20.0 * np.arange(6), "duration": 2.0,
                                    "side": "right"}),
        excluded=excluded, source="given in Python")
    original = plms.rescore(ann)
    assert original.summary["excluded_min"] == {"left": 5.0, "right": 1.5}
    path, fmt = WRITERS[writer](original, tmp_path / "hand.out")
    back = (read_nsrr_xml if fmt == "nsrr" else read_edf_annotations)(path)
    pd.testing.assert_frame_equal(back.excluded.reset_index(drop=True), excluded,
                                  check_dtype=False)
    again = plms.rescore(path, fmt=fmt)
    assert again.summary["excluded_min"] == {"left": 5.0, "right": 1.5}
    assert _figures(again) == _figures(original)


# -- estimated sleep (ankle accelerometers) ------------------------------------------
@pytest.mark.parametrize("rules", PRESETS)
def test_estimated_sleep_round_trip_every_writer(rules, tmp_path):
    """An actigraphy estimate (W/S epochs) with lights off from a sleep diary
    comes back from every writer: the EDF+ text of S epochs is read as S."""
    source = tmp_path / "sample-ankles.edf"
    shutil.copy(SAMPLES / "sample-ankles.edf", source)
    original = plms.score_accel(source, rules, sleep="estimate", lights_off=300)
    assert set(original.hypnogram.stages.tolist()) <= {"W", "S"}
    assert original.hypnogram.lights_off_s == 300.0
    assert original.summary["respiratory_scored"] is False
    again = _round_trip(original, source, tmp_path / "out", rules)
    _assert_same_night(original, again)
    for res in again.values():
        assert res.hypnogram.stages.tolist() == original.hypnogram.stages.tolist()


def test_result_without_its_events_is_written_as_not_scored_with_a_warning(tmp_path):
    """A result that says respiratory events were scored but no longer holds
    them (e.g. rebuilt from its summary) is never written as "scored, none found"."""
    resp = pd.DataFrame({"onset": [650.0], "duration": [10.0], "kind": ["hypopnea"]})
    full = _hand_night(resp, None)
    bare = plms.ScoreResult(events=full.events, summary=full.summary, per_leg=full.per_leg,
                            hypnogram=full.hypnogram, stem="bare")
    with pytest.warns(UserWarning, match="respiratory events were scored but"):
        path = write_nsrr_xml(bare, tmp_path / "bare.xml")
    ann = read_nsrr_xml(path)
    assert not ann.respiratory_scored and len(ann.respiratory) == 0
