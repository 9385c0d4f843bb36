"""CSV/TSV event tables: stages, plms's own events.tsv, BIDS text columns, bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from plms.errors import PlmsInputError
from plms.io import read_annotations, read_events_table
from plms.io.annotations.tables import looks_like_table

DATA = Path(__file__).parent / "data"
PER_LEG = DATA / "events_per_leg.tsv"  # a plms events.tsv with per-leg rows only


def _write(tmp_path, text: str, name: str = "events.tsv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plms_events_tsv_gives_leg_movements():
    ann = read_events_table(PER_LEG)
    assert ann.leg_movements.values.tolist() == [
        [12.5, 1.25, "left"], [30.0, 0.0, "right"], [41.25, 2.0, "left"]]
    # the stage column of an events.tsv is the stage at the movement, not a hypnogram
    assert ann.hypnogram is None and ann.respiratory.empty and not ann.respiratory_scored
    assert ann.source == str(PER_LEG)


def test_bilateral_rows_are_refused_naming_the_line(tmp_path):
    path = _write(tmp_path, "onset\tduration\tside\n1\t1\tleft\n5\t2\tbilateral\n")
    with pytest.raises(PlmsInputError, match=r"events.tsv: line 3 is a bilateral leg movement.*"
                                             r"one row per leg"):
        read_events_table(path)


def test_unknown_or_missing_side(tmp_path):
    with pytest.raises(PlmsInputError,
                       match=r"line 2: the side 'both' is not left, right or combined"):
        read_events_table(_write(tmp_path, "onset\tduration\tside\n1\t1\tboth\n"))
    with pytest.raises(PlmsInputError, match=r"line 2 has no side"):
        read_events_table(_write(tmp_path, "onset\tduration\tside\n1\t1\tn/a\n"))


def test_stage_table_with_semicolons_becomes_a_hypnogram(tmp_path):
    text = "Onset;Duration;Stage\n0;60;W\n60;30;N1\n90;30.0;REM\n150;30;N2\n"
    ann = read_events_table(_write(tmp_path, text, "hyp.csv"))
    assert ann.hypnogram.stages.tolist() == ["W", "W", "N1", "R", "U", "N2"]
    assert any("1 epoch(s) have no stage annotation (the first at 120 s)" in w
               for w in ann.warnings)


def test_stage_digits_and_unknown_stages_are_refused(tmp_path):
    with pytest.raises(PlmsInputError, match=r"line 3: the stage '2' is a digit"):
        read_events_table(_write(tmp_path, "onset,duration,stage\n0,30,W\n30,30,2\n", "h.csv"))
    with pytest.raises(PlmsInputError, match=r"line 2: unknown sleep stage 'deep'"):
        read_events_table(_write(tmp_path, "onset,duration,stage\n0,30,deep\n", "h.csv"))


def test_overlapping_stages_name_both_lines(tmp_path):
    text = "onset,duration,stage\n0,60,W\n30,30,N1\n"
    with pytest.raises(PlmsInputError, match=r"line 3: the N1 epoch at 30 s overlaps the W "
                                             r"epoch of line 2"):
        read_events_table(_write(tmp_path, text, "h.csv"))


def test_bids_trial_type_is_classified(tmp_path):
    text = (
        "onset\tduration\ttrial_type\tvalue\n"
        "0\t30\tSleep stage W\tn/a\n30\t30\tSleep stage N2\tn/a\n"
        "35.5\t12\tObstructive Apnea\tn/a\n40\tn/a\tArousal\tn/a\n"
        "42\t1.5\tLM@@LAT\tn/a\n44\t1\tPLM (Right)\tn/a\n50\t5\tSpO2 desaturation\tn/a\n"
    )
    ann = read_events_table(_write(tmp_path, text))
    assert ann.hypnogram.stages.tolist() == ["W", "N2"]
    assert ann.respiratory.values.tolist() == [[35.5, 12.0, "obstructive apnea"]]
    assert ann.arousals.values.tolist() == [[40.0, 0.0]]
    assert ann.leg_movements.values.tolist() == [[42.0, 1.5, "left"], [44.0, 1.0, "right"]]
    assert ann.respiratory_scored and ann.arousals_scored


def test_text_leg_movement_takes_the_side_column(tmp_path):
    text = "onset,duration,type,side\n10,2,LM,right\n20,1,Hypopnea,n/a\n"
    ann = read_events_table(_write(tmp_path, text, "e.csv"))
    assert ann.leg_movements.values.tolist() == [[10.0, 2.0, "right"]]
    assert ann.respiratory["kind"].tolist() == ["hypopnea"]


def test_events_before_zero_are_dropped_and_duration_crops(tmp_path):
    text = "onset\tduration\tside\n-3\t1\tleft\n10\t1\tleft\n500\t1\tright\n"
    ann = read_events_table(_write(tmp_path, text), duration_s=100)
    assert ann.leg_movements["onset"].tolist() == [10.0]
    assert any("1 event(s) start before the recording start" in w and "line 2" in w
               for w in ann.warnings)
    assert any("1 leg movements event(s) lie outside the recording (0-100 s)" in w
               for w in ann.warnings)


@pytest.mark.parametrize("text, problem", [
    ("onset\tside\n1\tleft\n",
     r"line 1: the table has no duration column \(columns: onset, side\)"),
    ("onset\tduration\tside\n1\t-2\tleft\n", r"line 2: the duration '-2' is negative"),
    ("onset\tduration\tside\nn/a\t2\tleft\n", r"line 2 has no onset"),
    ("onset\tduration\tside\nabc\t2\tleft\n", r"line 2: the onset 'abc' is not a number"),
    ("onset\tduration\tside\n1\t2\tleft\tx\n", r"line 2 has 4 columns, more than the header's 3"),
    ("\n\n", r"the table is empty"),
])
def test_bad_tables_name_the_line(tmp_path, text, problem):
    with pytest.raises(PlmsInputError, match=problem):
        read_events_table(_write(tmp_path, text))


def test_dispatch_by_suffix_and_content(tmp_path):
    assert read_annotations(PER_LEG).leg_movements.shape[0] == 3
    txt = _write(tmp_path, "onset,duration,stage\n0,30,W\n", "hyp.txt")
    assert looks_like_table(txt.read_text())
    assert read_annotations(txt).hypnogram.stages.tolist() == ["W"]
    assert read_annotations(txt, fmt="csv").hypnogram.stages.tolist() == ["W"]


def test_unknown_format_and_unrecognised_content(tmp_path):
    with pytest.raises(ValueError, match=r"unknown annotation format 'xls'; allowed: auto, "
                                         r"remlogic, nsrr, profusion, edf, tsv, csv, hypnogram"):
        read_annotations(PER_LEG, fmt="xls")
    odd = _write(tmp_path, "some notes\nabout a night\n", "notes.txt")
    with pytest.raises(PlmsInputError, match="notes.txt: the annotation format was not recognised"):
        read_annotations(odd)
