"""Compumedics Profusion XML: reading, the same night as NSRR XML, detection, sidecars."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import run_cli

import plms
from plms.errors import PlmsInputError
from plms.io import detect_format, find_sidecar, read_annotations, read_nsrr_xml
from plms.io import read_profusion_xml

DATA = Path(__file__).parent / "data"
# One constructed night written twice (content in tests/data/README.md).
PROFUSION = DATA / "night_b-profusion.xml"
NSRR = DATA / "night_b-nsrr.xml"

#: The night's 30-s epochs: codes 0 x4, 1, 2 x15, 4 x4 (N3), 5 x8, 6 (MT), 9 (U), 0 x6.
STAGES = ["W"] * 4 + ["N1"] + ["N2"] * 15 + ["N3"] * 4 + ["R"] * 8 + ["MT", "U"] + ["W"] * 6
LMS = [
    [200.0, 1.5, "left"], [220.0, 2.0, "left"], [240.5, 1.5, "left"], [260.0, 1.0, "left"],
    [280.0, 1.5, "left"], [300.0, 2.5, "right"], [300.75, 1.0, "right"],
    [730.0, 2.0, "right"], [750.0, 2.0, "right"], [751.0, 1.5, "left"], [770.0, 2.0, "right"],
    [790.0, 2.0, "right"], [810.0, 2.0, "right"], [1100.0, 3.0, "left"],
]
RESPIRATORY = [[245.0, 14.0, "obstructive apnea"], [736.0, 12.0, "hypopnea"]]
AROUSALS = [[221.0, 4.0], [791.0, 5.0]]


def _profusion(events: str = "", stages: str = "<SleepStage>0</SleepStage>") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<CMPStudyConfig>\n<EpochLength>30</EpochLength>\n'
        f"<ScoredEvents>{events}</ScoredEvents>\n<SleepStages>{stages}</SleepStages>\n"
        "</CMPStudyConfig>\n"
    )


def _event(name: str, start: float, duration: float, source: str = "Leg L") -> str:
    return (f"<ScoredEvent><Name>{name}</Name><Start>{start}</Start>"
            f"<Duration>{duration}</Duration><Input>{source}</Input></ScoredEvent>")


def _write(tmp_path: Path, text: str, name: str = "n-profusion.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_the_profusion_fixture():
    ann = read_profusion_xml(PROFUSION)
    assert ann.hypnogram.stages.tolist() == STAGES
    assert ann.hypnogram.epoch_s == 30 and ann.hypnogram.start_s == 0
    assert ann.leg_movements.values.tolist() == LMS
    assert ann.respiratory.values.tolist() == RESPIRATORY      # desaturation, Unsure skipped
    assert ann.arousals.values.tolist() == AROUSALS
    assert ann.respiratory_scored and ann.arousals_scored
    assert ann.warnings == ()


def test_the_nsrr_fixture_is_the_same_night():
    ann = read_nsrr_xml(NSRR)
    assert ann.hypnogram.stages.tolist() == STAGES
    assert ann.leg_movements.values.tolist() == LMS
    assert ann.respiratory.values.tolist() == RESPIRATORY
    assert ann.arousals.values.tolist() == AROUSALS


@pytest.mark.parametrize("rules", ["wasm2016", "aasm"])
def test_rescored_profusion_gives_the_nsrr_figures(rules):
    ours, theirs = plms.rescore(PROFUSION, rules=rules), plms.rescore(NSRR, rules=rules)
    pd.testing.assert_frame_equal(ours.events, theirs.events)
    assert ours.summary["n_plm"] > 0 and ours.events["arousal"].any()    # a night with content
    assert (ours.summary["annotations_format"], theirs.summary["annotations_format"]) == (
        "profusion", "nsrr")
    source_fields = {"file", "source", "annotations_source", "annotations_format"}
    figures = {k: v for k, v in ours.summary.items() if k not in source_fields}
    assert figures == {k: v for k, v in theirs.summary.items() if k not in source_fields}


def test_format_detection_reads_the_root_element(tmp_path):
    assert detect_format(PROFUSION) == "profusion" and detect_format(NSRR) == "nsrr"
    # the name does not matter, the root does; a comment and a DOCTYPE are passed over
    renamed = _write(tmp_path, "<?xml version='1.0'?>\n<!-- export -->\n<!DOCTYPE x>\n"
                     + PROFUSION.read_text(encoding="utf-8").split("\n", 1)[1], "night.XML")
    assert detect_format(renamed) == "profusion"
    assert read_annotations(renamed).hypnogram.stages.tolist() == STAGES


def test_plms_rescore_recognises_a_profusion_file(tmp_path, capsys):
    code, _, err = run_cli(["rescore", PROFUSION, "--out", tmp_path / "out"], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "night_b-profusion.summary.json").read_text())
    assert summary["n_plm"] == plms.rescore(NSRR).summary["n_plm"]
    code, _, err = run_cli(["rescore", PROFUSION, "--format", "profusion",
                            "--out", tmp_path / "out2"], capsys)
    assert code == 0, err


def test_sidecar_discovery_finds_the_profusion_export(tmp_path):
    edf = tmp_path / "night_b.edf"
    edf.write_bytes(b"")
    profusion = shutil.copy(PROFUSION, tmp_path / "night_b-profusion.xml")
    assert find_sidecar(edf) == Path(profusion)
    nsrr = shutil.copy(NSRR, tmp_path / "night_b-nsrr.xml")
    assert find_sidecar(edf) == Path(nsrr)          # NSRR's own XML first when both exist


def test_unknown_names_are_skipped_with_a_warning(tmp_path):
    events = (_event("Limb Movement (Left)", 40, 1) + _event("Snore event", 50, 2)
              + _event("Weird thing", 60, 1) + _event("SpO2 artifact", 70, 5)
              + _event("limb  movement (RIGHT)", 80, 1.5))
    ann = read_profusion_xml(_write(tmp_path, _profusion(events)))
    assert ann.leg_movements.values.tolist() == [[40.0, 1.0, "left"], [80.0, 1.5, "right"]]
    (warning,) = ann.warnings
    assert warning.startswith("2 scored event(s)") and "'Snore event', 'Weird thing'" in warning


def test_a_limb_movement_without_side_takes_it_from_its_input(tmp_path):
    ann = read_profusion_xml(_write(tmp_path, _profusion(_event("Limb Movement", 40, 1, "RAT"))))
    assert ann.leg_movements.values.tolist() == [[40.0, 1.0, "right"]]


def test_stage_codes(tmp_path):
    stages = "".join(f"<SleepStage>{c}</SleepStage>" for c in ("0", "4", "5", "7", " 3 ", "9"))
    ann = read_profusion_xml(_write(tmp_path, _profusion(stages=stages)))
    assert ann.hypnogram.stages.tolist() == ["W", "N3", "R", "U", "N3", "U"]
    assert any("stage code(s) 7" in w for w in ann.warnings)
    with pytest.raises(PlmsInputError, match=r"sleep stage 2 is not an integer.*'N2'"):
        read_profusion_xml(_write(tmp_path, _profusion(stages="<SleepStage>0</SleepStage>"
                                                               "<SleepStage>N2</SleepStage>")))


def test_without_stages_nothing_is_taken_as_scored(tmp_path):
    text = _profusion(_event("PLM (Left)", 3, 1), stages="")
    ann = read_profusion_xml(_write(tmp_path, text))
    assert ann.hypnogram is None and not ann.respiratory_scored and not ann.arousals_scored
    assert "the file holds no sleep stages" in ann.warnings


def test_hostile_and_foreign_xml_is_refused(tmp_path):
    entities = ('<?xml version="1.0"?>\n<!DOCTYPE CMPStudyConfig [<!ENTITY a "aaaa">'
                '<!ENTITY b "&a;&a;&a;&a;">]>\n<CMPStudyConfig><EpochLength>&b;</EpochLength>'
                "</CMPStudyConfig>")
    with pytest.raises(PlmsInputError, match="refused: the XML declares entities"):
        read_profusion_xml(_write(tmp_path, entities))
    with pytest.raises(PlmsInputError, match=r"not a Compumedics Profusion file.*<PSGAnnotation>"):
        read_profusion_xml(NSRR)
    with pytest.raises(PlmsInputError, match=r"scored event 1 has no valid <Start>"):
        read_profusion_xml(_write(tmp_path, _profusion(_event("Hypopnea", "x", 10))))
