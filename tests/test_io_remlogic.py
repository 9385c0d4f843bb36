"""RemLogic event exports: columns by name, both time styles, sides, kinds, bad input."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from plms.errors import PlmsInputError
from plms.io import read_annotations, read_remlogic
from plms.io.annotations.remlogic import looks_like_remlogic

DATA = Path(__file__).parent / "data"
ISO = DATA / "remlogic_iso.txt"  # content described in tests/data/README.md
CLOCK = DATA / "remlogic_clock.txt"

HEADER = "RemLogic Event Export\nPatient:\tX\nRecording Date:\t7/8/2008\n\n"
COLUMNS = "Time [hh:mm:ss]\tEvent\tDuration[s]\tLocation\n"


def _write(tmp_path, body: str, header: str = HEADER + COLUMNS, name: str = "night.txt",
           encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((header + body).replace("\n", "\r\n").encode(encoding))
    return path


def _row(clock: str, event: str, duration="30", location="EEG-F4-A1") -> str:
    return f"2008-07-08T{clock}.000000\t{event}\t{duration}\t{location}\n"


# -- the ISO fixture: stages, kinds, sides, lights ---------------------------------------
def test_iso_export_stages_start_at_the_first_epoch():
    ann = read_remlogic(ISO)
    hyp = ann.hypnogram
    assert hyp.stages.tolist() == ["W", "N1", "N2", "N2", "N3", "N3", "R", "MT", "U", "W"]
    assert hyp.start_s == 0 and hyp.epoch_s == 30
    assert (hyp.lights_off_s, hyp.lights_on_s) == (0.0, 300.0)
    assert ann.source == str(ISO)


def test_iso_export_events_and_their_kinds():
    ann = read_remlogic(ISO)
    # 22:59:00 - 22:56:53 = 127 s; AROUSAL-RERA is a RERA; DESAT is ignored
    assert ann.respiratory.values.tolist() == [
        [127.0, 12.5, "obstructive apnea"], [157.0, 8.0, "rera"], [192.0, 10.5, "hypopnea"]]
    # AROUSAL-LM (on a leg channel) is an arousal, never a leg movement
    assert ann.arousals.values.tolist() == [[108.0, 3.0], [257.0, 4.0]]
    assert ann.respiratory_scored and ann.arousals_scored


def test_iso_export_leg_movements_take_the_leg_from_location():
    ann = read_remlogic(ISO)
    # two labels for the left leg; the 0-s movement is kept (the rules drop it)
    assert ann.leg_movements.values.tolist() == [
        [97.25, 2.0, "left"], [98.0, 0.0, "left"], [107.0, 1.25, "right"]]


def test_iso_export_warns_about_sideless_and_early_events():
    warnings = read_remlogic(ISO).warnings
    assert any("1 leg movement(s) have a Location that names no leg ('EMG-Chin')" in w
               for w in warnings)
    assert any("1 event(s) start before the first sleep-stage epoch (22:56:53)" in w
               and "line 26" in w for w in warnings)


def test_start_aligns_onsets_to_the_edf_start():
    ann = read_remlogic(ISO, start=datetime(2008, 7, 8, 22, 55, 0))
    assert ann.hypnogram.start_s == 113.0  # 22:56:53 - 22:55:00
    assert ann.leg_movements["onset"].tolist() == [60.5, 210.25, 211.0, 220.0]
    assert not any("start before" in w for w in ann.warnings)


def test_a_time_zone_on_start_is_ignored():
    aware = datetime(2008, 7, 8, 22, 55, 0, tzinfo=timezone.utc)
    assert read_remlogic(ISO, start=aware).hypnogram.start_s == 113.0


def test_duration_crops_with_a_warning_counting_the_events():
    ann = read_remlogic(ISO, duration_s=150)
    assert ann.respiratory["onset"].tolist() == [127.0]
    assert any("2 respiratory event(s) lie outside the recording (0-150 s)" in w
               for w in ann.warnings)


def test_a_far_away_start_is_flagged():
    ann = read_remlogic(ISO, start=datetime(2008, 7, 10, 22, 0, 0))
    assert any("check that this export belongs to this recording" in w for w in ann.warnings)


# -- the clock-time fixture: older export, extra columns, midnight -------------------------
def test_clock_times_roll_over_midnight_and_extra_columns_are_skipped():
    ann = read_remlogic(CLOCK)
    assert ann.hypnogram.stages.tolist() == ["W", "W", "N2", "N2"]
    # 00:00:40.125 is 100.125 s after 23:59:00 of the day before
    assert ann.leg_movements.values.tolist() == [
        [45.5, 2.5, "left"], [70.0, 0.0, "right"], [100.125, 1.875, "left"]]
    # the Events Included list has no respiratory event and no arousal: not scored
    assert not ann.respiratory_scored and not ann.arousals_scored


def test_clock_times_use_the_recording_date_against_the_edf_start():
    ann = read_remlogic(CLOCK, start=datetime(2008, 7, 8, 23, 58, 0))
    assert ann.hypnogram.start_s == 60.0
    assert ann.leg_movements["onset"].tolist() == [105.5, 130.0, 160.125]
    ann = read_remlogic(CLOCK, start=datetime(2008, 7, 9, 0, 0, 0))
    assert ann.hypnogram.stages.tolist() == ["N2", "N2"]
    assert ann.leg_movements["onset"].tolist() == [10.0, 40.125]
    assert any("3 event(s) start before the recording start (2008-07-09 00:00:00)" in w
               for w in ann.warnings)


def test_clock_times_without_recording_date_go_next_to_the_start(tmp_path):
    header = "RemLogic Event Export\n\nTime [hh:mm:ss]\tEvent\tDuration[s]\n"
    path = _write(tmp_path, "23:59:30\tSLEEP-S0\t30\n00:00:00\tSLEEP-S1\t30\n", header=header)
    ann = read_remlogic(path, start=datetime(2020, 1, 2, 23, 59, 0))
    assert ann.hypnogram.start_s == 30.0 and ann.hypnogram.stages.tolist() == ["W", "N1"]


# -- variants -------------------------------------------------------------------------------
def test_latin1_file_without_patient_line_and_decimal_time_header(tmp_path):
    header = ("RemLogic Event Export\nPatient ID:\tM\xfcller\nRecording Date:\t7/8/2008\n\n"
              "Time [hh:mm:ss.xxx]\tEvent\tDuration[s]\tLocation\n")
    body = _row("22:00:00", "SLEEP-S2") + "2008-07-08T22:00:10.5\tPLM-LM\t0.5\tLeg R\n"
    ann = read_remlogic(_write(tmp_path, body, header=header, encoding="latin-1"))
    assert ann.leg_movements.values.tolist() == [[10.5, 0.5, "right"]]


def test_without_stages_onsets_count_from_the_first_event(tmp_path):
    body = _row("22:00:00", "PLM-LM", "1", "LAT") + _row("22:00:20", "PLM-LM", "1", "RAT")
    ann = read_remlogic(_write(tmp_path, body))
    assert ann.hypnogram is None
    assert ann.leg_movements["onset"].tolist() == [0.0, 20.0]
    assert any("counted from its first event" in w for w in ann.warnings)


def test_gaps_between_epochs_become_unscored(tmp_path):
    body = _row("22:00:00", "SLEEP-S0") + _row("22:01:30", "SLEEP-S2")
    ann = read_remlogic(_write(tmp_path, body))
    assert ann.hypnogram.stages.tolist() == ["W", "U", "U", "N2"]
    assert any("2 epoch(s) have no stage annotation" in w for w in ann.warnings)


def test_detection_by_first_line_or_column_header(tmp_path):
    assert looks_like_remlogic(ISO.read_text(encoding="utf-8"))
    headerless = _write(tmp_path, _row("22:00:00", "SLEEP-S0"), header=COLUMNS, name="x.txt")
    assert read_annotations(headerless).hypnogram.stages.tolist() == ["W"]
    assert read_annotations(ISO, fmt="remlogic").hypnogram.n_epochs == 10
    ann = read_annotations(CLOCK, start=datetime(2008, 7, 8, 23, 58, 0), duration_s=600)
    assert ann.hypnogram.start_s == 60.0


# -- bad input ------------------------------------------------------------------------------
def test_missing_column_header(tmp_path):
    path = _write(tmp_path, "2008-07-08T22:00:00.000000\tSLEEP-S0\t30\n", header=HEADER)
    with pytest.raises(PlmsInputError, match="no column header line was found"):
        read_remlogic(path)


def test_unknown_stage_names_the_line(tmp_path):
    path = _write(tmp_path, _row("22:00:00", "SLEEP-S0") + _row("22:00:30", "SLEEP-S9"))
    with pytest.raises(PlmsInputError, match=r"line 7: unknown sleep stage 'SLEEP-S9'"):
        read_remlogic(path)


def test_overlapping_epochs_name_both_lines(tmp_path):
    path = _write(tmp_path, _row("22:00:00", "SLEEP-S0", "60") + _row("22:00:30", "SLEEP-S2"))
    with pytest.raises(PlmsInputError, match=r"line 7: the N2 epoch at 30 s overlaps the W "
                                             r"epoch of line 6 \(0-60 s\)"):
        read_remlogic(path)


def test_negative_duration_names_the_line(tmp_path):
    path = _write(tmp_path, _row("22:00:00", "SLEEP-S0") + _row("22:00:05", "PLM-LM", "-1", "LAT"))
    with pytest.raises(PlmsInputError, match=r"night.txt: line 7: the duration '-1' is negative"):
        read_remlogic(path)


@pytest.mark.parametrize("row, problem", [
    ("22:00\tSLEEP-S0\t30\n", r"line 6: '22:00' is not a time"),
    ("2008-07-08T22:00:00\tSLEEP-S0\n", r"line 6 has 2 column\(s\), fewer than the column header"),
    ("2008-07-08T22:00:00\tSLEEP-S0\tabc\n", r"line 6: the duration 'abc' is not a number"),
    ("2008-07-08T22:00:00\t\t30\n", r"line 6 has no event name"),
])
def test_malformed_rows_name_the_line(tmp_path, row, problem):
    with pytest.raises(PlmsInputError, match=problem):
        read_remlogic(_write(tmp_path, row))


def test_mixed_time_styles_are_refused(tmp_path):
    path = _write(tmp_path, _row("22:00:00", "SLEEP-S0") + "22:00:30\tSLEEP-S0\t30\n")
    with pytest.raises(PlmsInputError, match="line 7: .* mixes clock times and date-times"):
        read_remlogic(path)


def test_missing_file():
    with pytest.raises(PlmsInputError, match="does not exist"):
        read_remlogic("no/such/export.txt")
