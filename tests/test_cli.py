"""End-to-end: ``plms score`` on generated EDF nights, good and bad.

Each bad input must give one clear line naming the file and the problem, a
non-zero exit, no traceback (unless --debug) and no output file for it, while
the other inputs of the same run are still scored.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import output_names, run_cli
from plms.cli import main
from plms.simulate import NightSpec, simulate_night, write_edf, write_nsrr_xml

SPEC = NightSpec(duration_h=0.5, fs_leg=256, plm_severity=60.0)


@pytest.fixture(scope="module")
def night():
    return simulate_night(seed=31, spec=SPEC)


@pytest.fixture(scope="module")
def edf(tmp_path_factory, night):
    path = tmp_path_factory.mktemp("nights") / "night1.edf"
    write_edf(night, path, extra_channels="light")
    return path


_run = run_cli
_outputs = output_names


def test_score_writes_events_and_summary(edf, night, tmp_path, capsys):
    code, out, err = _run(["score", edf, "--out", tmp_path], capsys)
    assert code == 0, err
    assert "PLMS index" in out and "night1.summary.json" in out
    events = pd.read_csv(tmp_path / "night1.events.tsv", sep="\t", na_values="n/a")
    assert list(events.columns[:11]) == ["onset", "duration", "side", "stage", "clm", "resp",
                                         "arousal", "plm", "series", "imi", "peak_uv"]
    assert set(events.side) <= {"left", "right", "bilateral"}
    assert set(events.stage.dropna()) <= {"W", "N1", "N2", "N3", "R"}
    summary = json.loads((tmp_path / "night1.summary.json").read_text())
    for key in ("rules", "tst_min", "tib_min", "wake_min", "n_lm", "n_clm", "n_plm", "n_plms",
                "n_plmw", "plms_index", "plms_index_incl_resp", "plmw_index", "lms_index",
                "clms_index", "plms_arousal_index", "periodicity_index", "plm_clm_ratio",
                "imi_counts", "n_clm_resp", "channels", "fs_hz", "warnings", "plms_version"):
        assert key in summary, key
    assert summary["rules"] == "wasm2016"
    assert summary["channels"]["left"] == night.left_label
    assert summary["fs_hz"]["left"] == pytest.approx(256.0)
    # the EDF+ carries the truth hypnogram: TST equals the truth's
    assert summary["tst_min"] == pytest.approx(night.hypnogram.tst_min)
    assert summary["n_lm"] == len(events)
    assert summary["n_plm"] == int(events.plm.sum())
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))


def test_score_finds_the_truths_plms_index(edf, night, tmp_path, capsys):
    from plms import score_lms

    _run(["score", edf, "--out", tmp_path], capsys)
    summary = json.loads((tmp_path / "night1.summary.json").read_text())
    truth = score_lms(night.truth_lms, hypnogram=night.hypnogram,
                      respiratory=night.respiratory, arousals=night.arousals).summary
    assert summary["plms_index"] == pytest.approx(truth["plms_index"], abs=2.0)


def test_aasm_rules_and_sidecar_xml(tmp_path, night, capsys):
    src = tmp_path / "in"
    src.mkdir()
    path = src / "n2.edf"
    write_edf(night, path, extra_channels="light", annotations=False)
    write_nsrr_xml(night, src / "n2-nsrr.xml")
    code, out, err = _run(["score", path, "--out", tmp_path / "out", "--rules", "aasm"], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "n2.summary.json").read_text())
    assert summary["rules"] == "aasm"
    assert summary["plmw_index"] is None
    assert summary["annotations_source"].endswith("n2-nsrr.xml")
    assert summary["tst_min"] == pytest.approx(night.hypnogram.tst_min)


def test_no_hypnogram_gives_null_indices_with_warning(tmp_path, night, capsys):
    path = tmp_path / "bare.edf"
    write_edf(night, path, extra_channels="light", annotations=False)
    code, _, err = _run(["score", path, "--out", tmp_path / "out"], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "bare.summary.json").read_text())
    assert summary["plms_index"] is None and summary["tst_min"] is None
    assert summary["n_lm"] > 0
    assert any("hypnogram" in w for w in summary["warnings"])


def test_channel_override(edf, night, tmp_path, capsys):
    code, _, err = _run(["score", edf, "--out", tmp_path, "--left", night.right_label,
                         "--right", night.left_label], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "night1.summary.json").read_text())
    assert summary["channels"]["left"] == night.right_label


def _truncated(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def _not_edf(dst: Path) -> Path:
    dst.write_text("this is a text file, not an EDF\n" * 20)
    return dst


def _no_legs(dst: Path, night) -> Path:
    import dataclasses

    spec = dataclasses.replace(SPEC, leg_labels=("Chin A", "Chin B"), duration_h=0.05)
    write_edf(simulate_night(seed=1, spec=spec), dst, extra_channels=False)
    return dst


def _bad_xml(dst_edf: Path, src: Path) -> Path:
    shutil.copy(src, dst_edf)
    dst_edf.with_name(dst_edf.stem + "-nsrr.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><PSGAnnotation>&a;</PSGAnnotation>')
    return dst_edf


@pytest.mark.parametrize("kind, words", [
    ("truncated", "truncated"),
    ("not_edf", "not an EDF"),
    ("no_legs", "leg"),
    ("missing", "does not exist"),
    ("hostile_sidecar", "entit"),
])
def test_bad_input_one_clear_line_and_others_still_scored(kind, words, edf, night, tmp_path,
                                                          capsys):
    bad = tmp_path / f"bad_{kind}.edf"
    if kind == "truncated":
        _truncated(edf, bad)
    elif kind == "not_edf":
        _not_edf(bad)
    elif kind == "no_legs":
        _no_legs(bad, night)
    elif kind == "hostile_sidecar":
        _bad_xml(bad, edf)
    out_dir = tmp_path / "out"
    code, out, err = _run(["score", bad, edf, "--out", out_dir], capsys)
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert str(bad.with_suffix("")) in lines[0] and words.lower() in lines[0].lower()
    assert "Traceback" not in err
    assert _outputs(out_dir) == ["night1.events.json", "night1.events.tsv", "night1.summary.json"]
    assert "1 of 2 night(s) scored" in out


def test_debug_shows_the_traceback(tmp_path, capsys):
    bad = _not_edf(tmp_path / "x.edf")
    code, _, err = _run(["score", bad, "--out", tmp_path / "o", "--debug"], capsys)
    assert code == 1 and "Traceback" in err


def test_unknown_rules_is_a_usage_error(edf, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["score", str(edf), "--out", str(tmp_path), "--rules", "wasm"])
    assert exc.value.code == 2
    assert "wasm2016" in capsys.readouterr().err


def test_existing_outputs_are_kept_when_a_rerun_fails(edf, tmp_path, capsys):
    """No data lost: a failing rerun leaves the previous complete outputs untouched."""
    _run(["score", edf, "--out", tmp_path], capsys)
    before = (tmp_path / "night1.summary.json").read_text()
    _truncated(edf, tmp_path / "night1.edf")
    code, _, _ = _run(["score", tmp_path / "night1.edf", "--out", tmp_path], capsys)
    assert code == 1
    assert (tmp_path / "night1.summary.json").read_text() == before


def test_console_script_runs(edf, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "plms.cli", "score", str(edf), "--out",
                           str(tmp_path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "night1.events.tsv").exists()


def test_python_api_result(edf):
    import plms

    result = plms.score_edf(edf)
    assert isinstance(result.events, pd.DataFrame)
    assert result.summary["n_lm"] == len(result.events)
    assert list(result.key_figures().index)[0] == "Total sleep time"
    frame = result.summary_frame()
    assert frame.loc["night1", "plms_index"] == result.summary["plms_index"]
    assert np.isfinite(result.events.onset).all()


# --- issue 12: errors, not tracebacks ------------------------------------------------


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("command", ["score", "rescore", "report", "validate"])
def test_out_naming_a_file_is_one_clear_line(command, edf, tmp_path, capsys):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    night_input = {"score": [edf], "rescore": [tmp_path / "x.tsv"],
                   "report": [tmp_path / "x.summary.json"],
                   "validate": [tmp_path, tmp_path]}[command]
    for out in (existing, existing / "sub"):
        code, _, err = _run([command, *night_input, "--out", out], capsys)
        assert code == 2
        line = _one_error_line(err)
        assert str(out) in line and "is a file, not a folder" in line
    assert existing.read_text() == "keep me"


def test_out_without_write_permission_is_one_clear_line(edf, tmp_path, capsys, monkeypatch):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() != 0:   # root writes anywhere: then the permission check is faked
        locked.chmod(0o555)
    else:
        real_access = os.access
        monkeypatch.setattr("plms.checks.os.access", lambda p, mode: (
            False if Path(p) == locked else real_access(p, mode)))
    try:
        for out in (locked, locked / "new"):
            code, _, err = _run(["score", edf, "--out", out], capsys)
            assert code == 2
            line = _one_error_line(err)
            assert str(out) in line and "no permission" in line
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_missing_input_folder_creates_no_output_folder(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = _run(["score", tmp_path / "no_such_dir", "--out", out], capsys)
    assert code == 1
    line = _one_error_line(err)
    assert "no_such_dir" in line and "does not exist" in line
    assert not out.exists()
    # an existing output folder (and its table) is left as it was
    out.mkdir()
    (out / "summary.csv").write_text("input,night,status\n")
    code, _, _ = _run(["score", tmp_path / "no_such_dir", tmp_path / "nor_this.edf",
                       "--out", out], capsys)
    assert code == 1
    assert (out / "summary.csv").read_text() == "input,night,status\n"


def test_unknown_unit_is_a_usage_error(edf, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        main(["score", str(edf), "--out", str(out), "--unit", "furlongs"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "furlongs" in err and "uV" in err and "m/s^2" in err and "Traceback" not in err
    # a unit of the other modality
    code, _, err = _run(["score", edf, "--out", out, "--unit", "mg", "--modality", "emg"],
                        capsys)
    assert code == 2 and "'mg'" in _one_error_line(err) and "mV" in err
    assert not out.exists()
    from plms.batch import run_batch

    with pytest.raises(ValueError, match="furlongs.*allowed"):
        run_batch([edf], out, unit="furlongs")
    assert not out.exists()
