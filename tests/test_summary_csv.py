"""``summary.csv`` rounds figures as ``plms score`` prints them; summary.json keeps them whole."""

from __future__ import annotations

import csv
import json

from plms.batch.runner import _table, write_summary
from plms.batch.worker import NightTask, summary_row
from plms.options import ScoreOptions

#: A night's summary.json with figures at full float precision.
SUMMARY = {
    "rules": "wasm2016", "recording_duration_s": 3601.0, "tib_min": 59.96666666666667,
    "tst_min": 44.04, "n_lm": 82, "n_clm": 78, "n_plm": 47, "n_plms": 22, "n_plmw": 25,
    "plms_index": 30.000000000000004, "plms_index_incl_resp": 36.81818181818182,
    "plmw_index": 93.75, "lms_index": 43.63636363636364, "plms_arousal_index": None,
    "lm_index_recording": 81.97723, "plm_index_recording": 46.98695,
    "periodicity_index": 0.7142857142857143, "warnings": ["a"], "modality": "emg",
    "plms_version": "0.1.0",
}


def test_summary_csv_rounds_minutes_and_indices_to_a_tenth(tmp_path):
    """Hand-rounded: 3601 s = 60.0166 min -> 60.0; 59.9666 -> 60.0; 44.04 -> 44.0;
    30.000000000000004 -> 30.0; 36.8181 -> 36.8; 93.75 -> 93.8 (an exact half, to
    the even digit); 43.636 -> 43.6;
    81.977 -> 82.0; 46.987 -> 47.0; periodicity 0.714285 -> 0.71; null stays empty."""
    (tmp_path / "n1.summary.json").write_text(json.dumps(SUMMARY))
    task = NightTask(index=0, path="in/n1.edf", out_dir=str(tmp_path),
                     options=ScoreOptions(), out_root=str(tmp_path))
    path = write_summary(_table({0: summary_row(task, tmp_path)}), tmp_path / "summary.csv")
    with path.open(newline="") as fh:
        row = next(csv.DictReader(fh))
    assert {k: row[k] for k in (
        "recording_min", "tib_min", "tst_min", "plms_index_per_h",
        "plms_index_incl_resp_per_h", "plmw_index_per_h", "lms_index_per_h",
        "plms_arousal_index_per_h", "lm_index_recording_per_h", "plm_index_recording_per_h",
        "periodicity_index", "n_lm", "n_plms")} == {
        "recording_min": "60.0", "tib_min": "60.0", "tst_min": "44.0",
        "plms_index_per_h": "30.0", "plms_index_incl_resp_per_h": "36.8",
        "plmw_index_per_h": "93.8", "lms_index_per_h": "43.6",
        "plms_arousal_index_per_h": "", "lm_index_recording_per_h": "82.0",
        "plm_index_recording_per_h": "47.0", "periodicity_index": "0.71",
        "n_lm": "82", "n_plms": "22"}
    kept = json.loads((tmp_path / "n1.summary.json").read_text())
    assert kept["plms_index_incl_resp"] == SUMMARY["plms_index_incl_resp"]   # untouched
