"""Batch runs: a folder of nights, corrupt ones among them, resumed after a kill, crashes.

The nights are short (a few minutes) so that the whole file runs in seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from batch_helpers import BAD, GOOD, make_cohort, night_files, read_table
from cli_helpers import run_cli
from plms.batch import SUMMARY_COLUMNS, find_inputs, run_batch


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return make_cohort(tmp_path_factory.mktemp("cohort"))


@pytest.fixture(scope="module")
def full_run(cohort, tmp_path_factory):
    """An uninterrupted run with 2 worker processes: (exit code, stdout, stderr, out)."""
    out = tmp_path_factory.mktemp("full")
    from plms.cli import main

    code = main(["score", str(cohort), "--out", str(out), "--jobs", "2", "--quiet"])
    return code, out


def _stem(name: str) -> str:
    return Path(name).stem


def test_finds_recordings_recursively_any_case(cohort):
    found = find_inputs([cohort])
    names = sorted(f.path.relative_to(cohort).as_posix() for f in found)
    assert names == sorted([*GOOD, *BAD])
    sub = [f for f in found if f.path.name == "n5.edf"][0]
    assert sub.subdir == Path("visit2")
    pattern = find_inputs([str(cohort / "n*.edf")])
    assert [f.path.name for f in pattern] == ["n1.edf", "n2.edf", "n3.edf"]
    assert [f.path.name for f in find_inputs([cohort], "rescore")] == ["notes.txt"]
    nothing = find_inputs([str(cohort / "zz*.edf")])
    assert nothing[0].error and "matches no file" in nothing[0].error


def test_folder_run_scores_good_nights_and_reports_bad_ones(full_run, cohort):
    code, out = full_run
    assert code == 1
    table = read_table(out)
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    assert "plms_index_per_h" in table.columns and "tst_min" in table.columns
    assert len(table) == len(GOOD) + len(BAD)
    by_night = table.set_index("night")
    for name in GOOD:
        row = by_night.loc[_stem(name)]
        assert row.status == "ok" and row.error == ""
        summary = json.loads((out / row.summary_json).read_text())
        assert row.plms_index_per_h == round(summary["plms_index"], 1)   # 0.1/h in the CSV
        assert row.tst_min == round(summary["tst_min"], 1)
        assert row.n_lm == summary["n_lm"]
        assert (out / row.events_tsv).is_file()
    assert by_night.loc["n5"].events_tsv == "visit2/n5.events.tsv"
    for name, word in BAD.items():
        row = by_night.loc[_stem(name)]
        assert row.status == "error"
        assert str(cohort / name) in row.error and word.lower() in row.error.lower()
        assert pd.isna(row.plms_index_per_h) and pd.isna(row.events_tsv)
    # nothing at all for the bad nights, no temporary file left
    names = night_files(out)
    assert not [n for n in names if n.split("/")[-1].startswith("bad_")]
    assert not [n for n in names if "/." in f"/{n}" or n.endswith(".tmp")]
    assert len(names) == 3 * len(GOOD)


def test_killed_run_resumes_to_the_same_outputs(full_run, cohort, tmp_path):
    _, full_out = full_run
    out = tmp_path / "out"
    first = run_batch(cohort, out, jobs=2, stop_after=3)
    assert len(first) == 3          # the nights finished before the "kill"
    partial = night_files(out)
    assert not [n for n in partial if n.endswith(".tmp")]
    assert len(read_table(out)) == 3
    second = run_batch(cohort, out, jobs=2)
    assert night_files(out) == night_files(full_out)
    pd.testing.assert_frame_equal(second, read_table(full_out))
    pd.testing.assert_frame_equal(read_table(out), read_table(full_out))


def test_second_run_skips_complete_nights_unless_forced(full_run, cohort, tmp_path, capsys):
    _, full_out = full_run
    out = tmp_path / "out"
    good = [str(cohort / n) for n in GOOD[:2]]
    code, _, err = run_cli(["score", *good, "--out", out, "--jobs", "2"], capsys)
    assert code == 0, err
    before = {p: (out / p).stat().st_mtime_ns for p in night_files(out)}
    code, out_text, _ = run_cli(["score", *good, "--out", out, "--jobs", "2"], capsys)
    assert code == 0
    assert out_text.count("already complete, skipped") == 2
    assert "2 of 2 night(s) scored, 2 of them already done" in out_text
    assert {p: (out / p).stat().st_mtime_ns for p in night_files(out)} == before
    # a summary.json removed: that night is redone, the other kept
    (out / "n1.summary.json").unlink()
    code, out_text, _ = run_cli(["score", *good, "--out", out, "--jobs", "2"], capsys)
    assert code == 0 and out_text.count("skipped") == 1
    assert (out / "n1.summary.json").is_file()
    code, out_text, _ = run_cli(["score", *good, "--out", out, "--force", "--quiet"], capsys)
    assert code == 0 and "skipped" not in out_text
    # other rules: not the same result, so not skipped
    code, out_text, _ = run_cli(["score", *good, "--out", out, "--rules", "aasm"], capsys)
    assert code == 0 and "skipped" not in out_text
    assert set(read_table(out).rules) == {"aasm"}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_crashing_worker_costs_only_its_night(cohort, tmp_path):
    """A segfault (a C extension on a corrupt file) and an abort in two workers."""
    nights = [cohort / n for n in GOOD[:4]]
    out = tmp_path / "out"
    table = run_batch(nights, out, jobs=2, _faults={"n2": "segfault", "n3": "abort"})
    by_night = table.set_index("night")
    assert by_night.loc["n2"].status == "error" and "SIGSEGV" in by_night.loc["n2"].error
    assert by_night.loc["n3"].status == "error" and "SIGABRT" in by_night.loc["n3"].error
    assert "nothing was written" in by_night.loc["n2"].error
    assert list(by_night.loc[["n1", "N4"]].status) == ["ok", "ok"]
    assert sorted(night_files(out)) == sorted(
        f"{s}.{k}" for s in ("n1", "N4") for k in ("events.tsv", "events.json", "summary.json"))
    # the crashed nights are simply redone by the next run
    again = run_batch(nights, out, jobs=2)
    assert set(again.status) == {"ok"}


def test_plain_progress_lines_and_clear_summary_when_not_a_terminal(cohort, tmp_path, capsys):
    nights = [cohort / n for n in (*GOOD[:2], "bad_not_edf.edf")]
    code, out, err = run_cli(["score", *nights, "--out", tmp_path, "--jobs", "2"], capsys)
    assert code == 1
    assert "[3/3]" in out and "failed so far" in out and "left" in out
    assert "2 of 3 night(s) scored" in out and "summary.csv" in out
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert "not an EDF" in err
    code, out, err = run_cli(["score", *nights, "--out", tmp_path / "q", "--jobs", "2",
                              "--quiet"], capsys)
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1


def test_one_night_in_this_process(cohort, tmp_path, capsys):
    code, out, err = run_cli(["score", cohort / "n1.edf", "--out", tmp_path], capsys)
    assert code == 0, err
    table = read_table(tmp_path)
    assert list(table.status) == ["ok"] and list(table.night) == ["n1"]


def test_scheduler_without_the_dask_extra_is_a_clear_error(cohort, tmp_path, capsys,
                                                           monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, _, err = run_cli(["score", cohort / "n1.edf", "--out", tmp_path, "--scheduler",
                            "tcp://127.0.0.1:1"], capsys)
    assert code == 2
    assert "plms[dask]" in err


def test_python_api_options_and_table(cohort, tmp_path):
    table = run_batch([cohort / "n1.edf"], tmp_path, jobs=1, rules="aasm")
    assert list(table.rules) == ["aasm"]
    with pytest.raises(TypeError, match="colour"):
        run_batch([cohort / "n1.edf"], tmp_path, colour="red")


def test_progress_line_says_why_a_night_failed(cohort, tmp_path, capsys):
    nights = [cohort / n for n in ("n1.edf", "bad_not_edf.edf", "bad_no_legs.edf")]
    code, out, _ = run_cli(["score", *nights, "--out", tmp_path, "--jobs", "1"], capsys)
    assert code == 1
    lines = {ln.split("]", 1)[1].split(":", 1)[0].strip(): ln
             for ln in out.splitlines() if ln.startswith("[")}
    assert "not an EDF" in lines["bad_not_edf"] and str(cohort) not in lines["bad_not_edf"]
    assert "no leg EMG channel" in lines["bad_no_legs"]
    assert all(len(ln) < 200 for ln in lines.values())
    assert lines["n1"].split(";")[0].endswith("n1: ok")


def test_resume_redoes_a_night_whose_report_is_missing(cohort, tmp_path):
    """A run with --report interrupted after one night: the next run writes the report of
    every night, redoing only those whose requested outputs are incomplete."""
    nights = [cohort / n for n in GOOD[:2]]
    out = tmp_path / "out"
    assert set(run_batch(nights, out, jobs=1).status) == {"ok"}   # no report asked for
    first = run_batch(nights, out, jobs=1, report=True, stop_after=1)
    assert list(first.night) == ["n1"] and list(first.status) == ["ok"]
    assert (out / "n1.report.html").is_file() and not (out / "n2.report.html").exists()
    done_first = (out / "n1.report.html").stat().st_mtime_ns
    table = run_batch(nights, out, jobs=1, report=True)
    assert list(table.status) == ["ok", "ok"]
    assert (out / "n2.report.html").is_file()
    assert (out / "n1.report.html").stat().st_mtime_ns == done_first   # complete: skipped
    assert list(table.extra_outputs) == ["n1.report.html", "n2.report.html"]
