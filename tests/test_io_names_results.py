"""Issue 13: one stage vocabulary, one place for file names, one reader of plms's outputs.

Expected values are written by hand from the formats (R&K / NSRR numbering,
RemLogic's event names, the output names of docs/CONTRACT.md), never copied
from the code's output.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plms.errors import PlmsInputError
from plms.io import names
from plms.io.results import (
    SUMMARY_CSV_COLUMNS,
    read_events_tsv,
    read_summary_csv,
    read_summary_json,
)

# ------------------------------------------------------------------ one stage vocabulary
#: Every plms stage and how the formats write it, by hand from their documentation.
STAGE_SPELLINGS = {
    # stage: (R&K/NSRR digit, NSRR concept, EDF+ text, RemLogic event)
    "W": ("0", "Wake|0", "Sleep stage W", "SLEEP-S0"),
    "N1": ("1", "Stage 1 sleep|1", "Sleep stage N1", "SLEEP-S1"),
    "N2": ("2", "Stage 2 sleep|2", "Sleep stage N2", "SLEEP-S2"),
    "N3": ("3", "Stage 3 sleep|3", "Sleep stage N3", "SLEEP-S3"),
    "R": ("5", "REM sleep|5", "Sleep stage R", "SLEEP-REM"),
    "MT": ("6", "Movement|6", "Movement time", "SLEEP-MT"),
    "U": ("9", "Unscored|9", "Sleep stage ?", "SLEEP-UNSCORED"),
}


def test_stage_tables_spell_every_stage_as_the_formats_do():
    from plms import stages

    assert set(stages.NSRR_STAGE_CONCEPTS) == set(stages.STAGES)
    assert set(stages.EDF_PLUS_STAGE_TEXT) == set(stages.STAGES)
    for stage, (digit, concept, edf_text, remlogic) in STAGE_SPELLINGS.items():
        assert stages.RK_DIGITS[digit] == stage
        assert stages.NSRR_STAGE_CODES[digit] == stage
        assert stages.NSRR_STAGE_CONCEPTS[stage] == concept
        assert stages.EDF_PLUS_STAGE_TEXT[stage] == edf_text
        assert stages.REMLOGIC_STAGE_EVENTS[remlogic] == stage
    # R&K stage 4 is folded into N3; YASA numbers REM 4
    assert stages.RK_DIGITS["4"] == "N3" and stages.REMLOGIC_STAGE_EVENTS["SLEEP-S4"] == "N3"
    assert stages.YASA_DIGITS["4"] == "R" and stages.YASA_NAMES["ART"] == "U"
    with pytest.raises(TypeError):
        stages.RK_DIGITS["7"] = "W"  # type: ignore[index] - read-only, no global state


def test_every_written_stage_label_is_read_back_as_that_stage():
    """What the writers put in EDF+ and NSRR files, the readers take back."""
    from plms.io import classify_annotation
    from plms.stages import EDF_PLUS_STAGE_TEXT, NSRR_STAGE_CONCEPTS, STAGES

    for stage in STAGES:
        assert classify_annotation(EDF_PLUS_STAGE_TEXT[stage]) == ("stage", stage)
        assert classify_annotation(NSRR_STAGE_CONCEPTS[stage]) == ("stage", stage)
    for stage, (_, _, _, remlogic) in STAGE_SPELLINGS.items():
        assert classify_annotation(remlogic) == ("stage", stage)


def test_readers_and_writers_use_the_one_vocabulary():
    from plms import hypnogram, stages
    from plms.io.annotations import adapters, hypnogram_text, labels, nsrr
    from plms.outputs import edf_plus, nsrr_xml

    assert hypnogram.STAGES is stages.STAGES and hypnogram.normalize_stage is stages.normalize_stage
    assert hypnogram_text.DIGIT_MAPPINGS["rk"] == dict(stages.RK_DIGITS)
    assert hypnogram_text.DIGIT_MAPPINGS["yasa"] == dict(stages.YASA_DIGITS)
    assert adapters.YASA_STAGES is stages.YASA_NAMES
    assert nsrr.NSRR_STAGE_CODES is stages.NSRR_STAGE_CODES
    assert labels.RK_DIGITS is stages.RK_DIGITS
    assert edf_plus.STAGE_TEXT is stages.EDF_PLUS_STAGE_TEXT
    assert nsrr_xml.NSRR_STAGE is stages.NSRR_STAGE_CONCEPTS


def test_nsrr_file_with_every_stage_code_reads_as_plms_stages(tmp_path):
    """An NSRR file of one epoch per stage concept (estimated sleep too) reads back in order."""
    from plms.io import read_nsrr_xml

    concepts = [c for _, c, _, _ in STAGE_SPELLINGS.values()]
    concepts.append("Sleep, stage unknown (estimated)|S")
    events = "".join(
        f"<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>{c}</EventConcept>"
        f"<Start>{30 * i}</Start><Duration>30</Duration></ScoredEvent>"
        for i, c in enumerate(concepts))
    path = tmp_path / "n.xml"
    path.write_text(f"<PSGAnnotation><EpochLength>30</EpochLength><ScoredEvents>{events}"
                    "</ScoredEvents></PSGAnnotation>")
    hyp = read_nsrr_xml(path).hypnogram
    assert hyp is not None
    assert hyp.stages.tolist() == [*STAGE_SPELLINGS, "S"]


# ------------------------------------------------------------------ one place for names
def test_night_files_name_every_output_of_a_night():
    files = names.night_files(Path("out"), "n1")
    assert files.events_tsv == Path("out/n1.events.tsv")
    assert files.events_json == Path("out/n1.events.json")
    assert files.summary_json == Path("out/n1.summary.json")
    assert files.report_html == Path("out/n1.report.html")
    assert files.extra("edf-annotations") == Path("out/n1.annotations.edf")
    assert files.extra("edf-copy") == Path("out/n1.annotated.edf")
    assert files.extra("nsrr-xml") == Path("out/n1.plms-nsrr.xml")
    with pytest.raises(ValueError, match="allowed: edf-annotations, edf-copy, nsrr-xml"):
        files.extra("pdf")
    assert (names.BATCH_SUMMARY_CSV, names.COHORT_INDEX_HTML) == ("summary.csv", "index.html")
    assert (names.VALIDATION_JSON, names.VALIDATION_NIGHTS_CSV, names.BLAND_ALTMAN_PNG) == (
        "validation.json", "nights.csv", "bland_altman.png")


def test_stem_of_and_has_suffix():
    assert names.stem_of("a/b/n1.summary.json", names.SUMMARY_JSON) == "n1"
    assert names.stem_of("N1.EVENTS.TSV", names.EVENTS_TSV) == "N1"
    assert names.stem_of("n1.events.tsv", names.SUMMARY_JSON) is None
    assert names.stem_of(".summary.json", names.SUMMARY_JSON) is None
    assert names.has_suffix("night.REC", names.EDF_SUFFIXES)
    assert not names.has_suffix("night.edf.gz", names.EDF_SUFFIXES)


def test_the_writers_use_the_names(tmp_path):
    """ScoreResult.write, the extras and the report land where night_files says."""
    from plms import score_lms
    from plms.outputs import extra_output_paths
    from plms.outputs.extras import EXTRA_FORMATS

    lms = pd.DataFrame({"onset": [10.0, 40.0], "duration": [1.0, 1.0],
                        "side": ["left", "left"]})
    result = score_lms(lms, stem="n7")
    files = names.night_files(tmp_path, "n7")
    written = result.write(tmp_path)
    assert written == {"events": files.events_tsv, "events_json": files.events_json,
                       "summary": files.summary_json}
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "n7.events.json", "n7.events.tsv", "n7.summary.json"]
    assert EXTRA_FORMATS == ("edf-annotations", "edf-copy", "nsrr-xml")
    assert extra_output_paths("n7", tmp_path) == {f: files.extra(f) for f in EXTRA_FORMATS}


def test_suffixes_agree_between_readers_and_folder_searches():
    """Every file a folder search picks up is one a reader takes; the readers agree."""
    from plms.io import detect_format
    from plms.io.accel.read import looks_like_accel
    from plms.io.accel.devices import DEVICES

    assert set(names.FOLDER_RECORDING_SUFFIXES) <= set(names.EDF_SUFFIXES)
    assert set(names.FOLDER_ACCEL_SUFFIXES) <= set(names.ACCEL_SUFFIXES)
    assert set(names.FOLDER_PER_ANKLE_SUFFIXES) <= set(
        names.ACCEL_CSV_SUFFIXES + names.ACCEL_DEVICE_SUFFIXES)
    annotation_suffixes = names.NSRR_XML_SUFFIXES + names.TABLE_SUFFIXES + (".txt",)
    assert set(names.FOLDER_ANNOTATION_SUFFIXES) <= set(annotation_suffixes)
    assert set(DEVICES) == set(names.ACCEL_DEVICE_SUFFIXES)
    # an EDF-like file is EDF for the annotation reader, whatever the case of its suffix
    for suffix in names.EDF_SUFFIXES:
        assert detect_format(f"night{suffix.upper()}") == "edf"
    assert detect_format("night.XML") == "nsrr" and detect_format("night.tsv") == "tsv"
    for suffix in names.ACCEL_CSV_SUFFIXES + names.ACCEL_DEVICE_SUFFIXES:
        assert looks_like_accel(f"night{suffix}")


def test_batch_tables_keep_the_reader_columns():
    """The batch worker writes the columns the one reader of summary.csv knows."""
    from plms.batch import worker

    assert tuple(worker.SUMMARY_COLUMNS) == SUMMARY_CSV_COLUMNS


# ------------------------------------------------------------------ one reader of the outputs
def test_read_events_tsv_types_every_column(tmp_path):
    path = tmp_path / "n.events.tsv"
    path.write_text(
        "onset\tduration\tside\tlm\tplm\tresp\timi\tseries\tn_parts\tstage\n"
        "12.5\t1.5\tleft\t1\t1\t0\tn/a\t1\t1\tN2\n"
        "40\t0.75\tbilateral\t1\t0\t1\t27.5\tn/a\t2\tn/a\n")
    ev = read_events_tsv(path)
    assert ev["onset"].tolist() == [12.5, 40.0] and ev["duration"].tolist() == [1.5, 0.75]
    assert ev["plm"].tolist() == [True, False] and ev["resp"].tolist() == [False, True]
    assert ev["clm"].tolist() == [False, False]            # absent flag: False
    assert ev["plm_incl_resp"].tolist() == [True, False]   # absent: as plm
    assert np.isnan(ev["imi"].iloc[0]) and ev["imi"].iloc[1] == 27.5
    assert ev["series"].dtype == "Int64" and ev["series"].iloc[0] == 1
    assert ev["series"].isna().tolist() == [False, True]
    assert ev["n_parts"].tolist() == [1, 2]
    assert ev["stage"].tolist() == ["N2", "n/a"]
    assert ev["side"].tolist() == ["left", "bilateral"]


def test_read_events_tsv_round_trips_the_writer(tmp_path):
    from plms.outputs import events_to_tsv

    events = pd.DataFrame({"onset": [3.0, 33.25], "duration": [0.5, 10.0],
                           "side": ["right", "left"], "lm": [True, True],
                           "plm": [False, True], "imi": [np.nan, 30.25]})
    path = tmp_path / "n.events.tsv"
    path.write_text(events_to_tsv(events))
    back = read_events_tsv(path)
    pd.testing.assert_frame_equal(back[list(events.columns)], events)


@pytest.mark.parametrize("text, problem", [
    ("", "empty"),
    ("duration\tside\n1.0\tleft\n", "no 'onset' column"),
    ("onset\tduration\n12.5\t1.0\nabc\t1.0\n", "'onset' column holds 'abc' (data row 2)"),
])
def test_read_events_tsv_refuses_a_damaged_table(tmp_path, text, problem):
    path = tmp_path / "bad.events.tsv"
    path.write_text(text)
    with pytest.raises(PlmsInputError, match="bad.events.tsv") as err:
        read_events_tsv(path)
    assert problem in str(err.value)
    with pytest.raises(PlmsInputError, match="missing.events.tsv: the file does not exist"):
        read_events_tsv(tmp_path / "missing.events.tsv")


def test_read_summary_json(tmp_path):
    path = tmp_path / "n.summary.json"
    path.write_text(json.dumps({"plms_version": "0.1", "rules": "aasm", "plms_index": None,
                                "tst_min": 420.5}))
    summary = read_summary_json(path)
    assert summary["rules"] == "aasm" and summary["plms_index"] is None
    assert summary["tst_min"] == 420.5
    for text, problem in [("{", "is not JSON"), ("[1, 2]", "is not a plms summary"),
                          ('{"plms_version": "0.1"}', "is not a plms summary (no 'rules')"),
                          ('{"rules": "aasm"}', "no 'plms_version'")]:
        path.write_text(text)
        with pytest.raises(PlmsInputError, match="n.summary.json") as err:
            read_summary_json(path)
        assert problem in str(err.value)


def _batch_csv(columns=SUMMARY_CSV_COLUMNS) -> str:
    ok = {"input": "in/n1.edf", "night": "n1", "status": "ok", "rules": "wasm2016",
          "tst_min": "420.5", "n_lm": "12", "n_warnings": "0", "plms_index_per_h": "",
          "summary_json": "n1.summary.json"}
    failed = {"input": "in/n2.edf", "night": "n2", "status": "error",
              "error": "in/n2.edf: not an EDF file"}
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns)
                                   for row in (ok, failed)]
    return "\n".join(lines) + "\n"


def test_read_summary_csv_types_the_batch_table(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text(_batch_csv())
    table = read_summary_csv(path)
    assert list(table.columns) == list(SUMMARY_CSV_COLUMNS)
    assert table["n_lm"].dtype == "Int64" and table["n_lm"].iloc[0] == 12
    assert table["n_lm"].isna().tolist() == [False, True]
    assert table["tst_min"].dtype == float and table["tst_min"].iloc[0] == 420.5
    assert table["plms_index_per_h"].isna().all()          # not computable: NaN, never 0
    assert table["error"].tolist() == ["", "in/n2.edf: not an EDF file"]
    assert table["rules"].tolist() == ["wasm2016", None]


def test_read_summary_csv_refuses_a_damaged_table(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text(_batch_csv(tuple(c for c in SUMMARY_CSV_COLUMNS if c != "plms_version")))
    with pytest.raises(PlmsInputError, match="summary.csv.*no column 'plms_version'"):
        read_summary_csv(path)
    assert read_summary_csv(path, complete=False)["n_lm"].iloc[0] == 12
    path.write_text(_batch_csv(tuple(c for c in SUMMARY_CSV_COLUMNS if c != "n_nights")))
    older = read_summary_csv(path)       # written before multi-day recordings: still read
    assert older["n_nights"].isna().all() and older["n_nights"].dtype == "Int64"
    path.write_text(_batch_csv().replace(",12,", ",twelve,"))
    with pytest.raises(PlmsInputError, match="summary.csv.*'n_lm' column holds 'twelve'"):
        read_summary_csv(path)
    path.write_text("")
    with pytest.raises(PlmsInputError, match="summary.csv: the file is empty"):
        read_summary_csv(path)


def _scored_night(folder: Path) -> dict[str, Path]:
    """Two left LMs 30 s apart, written by plms into ``folder`` as ``n1``."""
    from plms import score_lms

    lms = pd.DataFrame({"onset": [10.0, 40.0], "duration": [1.0, 1.0],
                        "side": ["left", "left"]})
    return score_lms(lms, stem="n1").write(folder)


def test_report_rebuild_reads_through_the_one_reader(tmp_path):
    """A damaged events table is a clear error naming it, not a night of NaN onsets."""
    from plms.report import result_from_outputs

    paths = _scored_night(tmp_path)
    rebuilt = result_from_outputs(paths["summary"])
    assert rebuilt.stem == "n1" and rebuilt.events["onset"].tolist() == [10.0, 40.0]
    lines = paths["events"].read_text().splitlines()
    lines[2] = "forty" + lines[2][lines[2].index("\t"):]     # the second movement's onset
    paths["events"].write_text("\n".join(lines) + "\n")
    with pytest.raises(PlmsInputError, match="n1.events.tsv.*'onset' column holds 'forty'"):
        result_from_outputs(paths["summary"])


def test_report_and_validate_agree_on_what_a_plms_summary_is(tmp_path):
    """A summary.json without its rules: refused by report and by validate alike."""
    from plms.report import result_from_outputs
    from plms.validation import validate

    paths = _scored_night(tmp_path / "scored")
    summary = json.loads(paths["summary"].read_text())
    del summary["rules"]
    summary["plms_index"] = 99.0                  # would be taken if the summary were used
    paths["summary"].write_text(json.dumps(summary))
    with pytest.raises(PlmsInputError, match="n1.summary.json: is not a plms summary"):
        result_from_outputs(paths["summary"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = validate(paths["events"], paths["events"])
    assert np.isnan(v.nights["test_plms_index"].iloc[0])
    notes = " ".join(str(w.message) for w in caught)
    assert "its n1.summary.json is not a plms summary (no 'rules')" in notes
