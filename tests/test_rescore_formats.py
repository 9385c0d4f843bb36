"""The hand-checked nights of test_rescore.py, written as RemLogic exports and
as CSV/TSV event tables: rescoring them gives the same figures as the NSRR XML.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from plms import rescore
from plms.cli import main
from plms.errors import PlmsInputError
from test_rescore import NIGHT1_AROUSALS, NIGHT1_LMS, NIGHT2_APNEAS, NIGHT2_LMS, STAGES

START = datetime(2024, 3, 1, 22, 30, 0)
REMLOGIC_STAGE = {"W": "SLEEP-S0", "N2": "SLEEP-S2"}
REMLOGIC_LEG = {"left": "EMG.Tibialis-Leg-Left", "right": "EMG.Tibialis-Leg-Right"}
TABLE_STAGE = {"W": "Sleep stage W", "N2": "Sleep stage N2"}


def _rows(lms, apneas, arousals):
    """(onset, duration, kind, leg) of every event of a night, stages first."""
    rows = [(30.0 * i, 30.0, "stage", s) for i, s in enumerate(STAGES)]
    rows += [(on, dur, "apnea", None) for on, dur in apneas]
    rows += [(on, dur, "arousal", None) for on, dur in arousals]
    rows += [(on, dur, "lm", side) for on, dur, side in lms]
    return sorted(rows, key=lambda r: r[0])


def write_remlogic(path: Path, lms, apneas=(), arousals=()) -> Path:
    lines = ["RemLogic Event Export", "Patient:\tTest", "Recording Date:\t3/1/2024", "",
             "Time [hh:mm:ss]\tEvent\tDuration[s]\tLocation"]
    for on, dur, kind, detail in _rows(lms, apneas, arousals):
        when = (START + timedelta(seconds=on)).strftime("%Y-%m-%dT%H:%M:%S.%f")
        event, location = {
            "stage": (REMLOGIC_STAGE.get(detail), "EEG-F4-A1"),
            "apnea": ("APNEA-OBSTRUCTIVE", "Flow"),
            "arousal": ("AROUSAL-SPONT", "EEG-C4-A1"),
            "lm": ("PLM-LM", REMLOGIC_LEG.get(detail)),
        }[kind]
        lines.append(f"{when}\t{event}\t{dur:g}\t{location}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_table(path: Path, lms, apneas=(), arousals=(), sep="\t") -> Path:
    lines = [sep.join(["onset", "duration", "description"])]
    for on, dur, kind, detail in _rows(lms, apneas, arousals):
        text = {"stage": TABLE_STAGE.get(detail), "apnea": "Obstructive apnea",
                "arousal": "Arousal", "lm": f"Leg movement {detail}"}[kind]
        lines.append(sep.join([f"{on:g}", f"{dur:g}", text]))
    path.write_text("\n".join(lines) + "\n")
    return path


WRITERS = {
    "remlogic": lambda p, *a: write_remlogic(p.with_suffix(".txt"), *a),
    "tsv": lambda p, *a: write_table(p.with_suffix(".tsv"), *a),
    "csv": lambda p, *a: write_table(p.with_suffix(".csv"), *a, sep=","),
}


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize("rules, expected", [
    # figures derived by hand in test_rescore.py (test_night1_wasm2016, test_night1_aasm)
    ("wasm2016", {"n_lm": 14, "n_plms": 5, "plms_index": 5.0, "plmw_index": 24.0,
                  "plms_arousal_index": 1.0, "periodicity_index": 0.5}),
    ("aasm", {"n_lm": 13, "n_plms": 8, "plms_index": 8.0, "plmw_index": None,
              "plms_arousal_index": 1.0, "periodicity_index": 0.875}),
])
def test_night1_in_other_formats(fmt, rules, expected, tmp_path):
    path = WRITERS[fmt](tmp_path / "night1", NIGHT1_LMS, (), NIGHT1_AROUSALS)
    for given in ("auto", fmt):
        s = rescore(path, rules, fmt=given).summary
        assert {k: s[k] for k in expected} == pytest.approx(expected), given
        assert s["annotations_format"] == fmt
        assert s["scored_lms"]["zero_duration"] == 1


@pytest.mark.parametrize("fmt", list(WRITERS))
@pytest.mark.parametrize("rules", ["wasm2016", "aasm"])
def test_night2_heavy_respiratory_in_other_formats(fmt, rules, tmp_path):
    """test_night2_heavy_respiratory_load: 4.0/h with CLMr removed, 16.0/h kept."""
    path = WRITERS[fmt](tmp_path / "night2", NIGHT2_LMS, NIGHT2_APNEAS, ())
    s = rescore(path, rules).summary
    assert (s["plms_index"], s["plms_index_incl_resp"], s["n_clm_resp"]) == (4.0, 16.0, 12)
    assert s["plmw_index"] == (0.0 if rules == "wasm2016" else None)


def test_cli_rescore_remlogic_and_table(tmp_path, capsys):
    a = write_remlogic(tmp_path / "a.txt", NIGHT2_LMS, NIGHT2_APNEAS)
    b = write_table(tmp_path / "b.tsv", NIGHT2_LMS, NIGHT2_APNEAS)
    code = main(["rescore", str(a), str(b), "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr().err
    for stem in ("a", "b"):
        s = json.loads((tmp_path / "out" / f"{stem}.summary.json").read_text())
        assert (s["plms_index"], s["plms_index_incl_resp"]) == (4.0, 16.0)


def test_a_hypnogram_text_is_refused(tmp_path):
    path = tmp_path / "hyp.txt"
    path.write_text("W\nN1\nN2\nN2\n")
    with pytest.raises(PlmsInputError, match="hypnogram"):
        rescore(path)


def test_bad_remlogic_line_is_named(tmp_path, capsys):
    good = write_remlogic(tmp_path / "good.txt", NIGHT2_LMS, NIGHT2_APNEAS)
    bad = write_remlogic(tmp_path / "bad.txt", NIGHT2_LMS, NIGHT2_APNEAS)
    lines = bad.read_text().splitlines()
    lines[10] = "not-a-time\tPLM-LM\t1\tEMG.Tibialis-Leg-Left"
    bad.write_text("\n".join(lines) + "\n")
    code = main(["rescore", str(bad), str(good), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert str(bad) in err and "line 11" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "good.events.json", "good.events.tsv", "good.summary.json", "summary.csv"]
