"""``plms score/rescore --report``, ``plms report`` and the cohort index from the CLI."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from cli_helpers import run_cli  # noqa: E402
from plms.simulate import NightSpec, simulate_night, write_edf  # noqa: E402


@pytest.fixture(scope="module")
def edfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nights")
    paths = []
    for seed in (11, 12):
        night = simulate_night(seed=seed, spec=NightSpec(duration_h=0.1, fs_leg=200,
                                                         plm_severity=60.0))
        paths.append(write_edf(night, folder / f"rep{seed}.edf", extra_channels=False))
    return paths


def test_score_report_one_night(edfs, tmp_path, capsys):
    code, out, err = run_cli(["score", edfs[0], "--out", tmp_path, "--report", "--jobs", "1"],
                             capsys)
    assert code == 0, err
    report = tmp_path / "rep11.report.html"
    assert report.is_file() and "rep11.report.html" in out
    assert "data:image/png;base64," in report.read_text()
    assert not (tmp_path / "index.html").exists()     # one night: no cohort page


def test_score_report_several_nights_writes_index(edfs, tmp_path, capsys):
    code, out, err = run_cli(["score", *edfs, "--out", tmp_path, "--report", "--jobs", "1"],
                             capsys)
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.glob("*.html"))
    assert names == ["index.html", "rep11.report.html", "rep12.report.html"]
    index = (tmp_path / "index.html").read_text()
    assert 'href="rep11.report.html"' in index and 'href="rep12.report.html"' in index
    assert "http://" not in index and "https://" not in index


def test_score_without_report_writes_no_html(edfs, tmp_path, capsys):
    code, _, err = run_cli(["score", edfs[0], "--out", tmp_path, "--jobs", "1"], capsys)
    assert code == 0, err
    assert not list(tmp_path.glob("*.html"))


def test_rescore_report(tmp_path, capsys):
    src = tmp_path / "scored.tsv"
    pd.DataFrame({"onset": [100.0, 120, 140, 160, 300], "duration": 2.0,
                  "trial_type": ["LM left"] * 5}).to_csv(src, sep="\t", index=False)
    out = tmp_path / "out"
    code, _, err = run_cli(["rescore", src, "--out", out, "--report", "--jobs", "1"], capsys)
    assert code == 0, err
    text = (out / "scored.report.html").read_text()
    assert "as scored in the annotation file" in text and "No EMG signal at hand" in text


def test_report_command_rebuilds_from_outputs(edfs, tmp_path, capsys):
    code, _, err = run_cli(["score", edfs[1], "--out", tmp_path, "--jobs", "1"], capsys)
    assert code == 0, err
    summary = tmp_path / "rep12.summary.json"
    code, out, err = run_cli(["report", summary, "--out", tmp_path / "reports"], capsys)
    assert code == 0, err
    report = tmp_path / "reports" / "rep12.report.html"
    assert report.is_file() and str(report) in out
    figures = json.loads(summary.read_text())
    assert f'data-value="{figures["n_lm"]}"' in report.read_text()
    # default: beside the summary
    code, _, err = run_cli(["report", summary], capsys)
    assert code == 0 and (tmp_path / "rep12.report.html").is_file()


def test_report_command_bad_input_does_not_stop_others(edfs, tmp_path, capsys):
    run_cli(["score", edfs[0], "--out", tmp_path, "--jobs", "1"], capsys)
    bad = tmp_path / "nothing.summary.json"
    code, _, err = run_cli(["report", bad, tmp_path / "rep11.summary.json"], capsys)
    assert code == 1
    assert "nothing.summary.json" in err and err.count("error:") == 1
    assert (tmp_path / "rep11.report.html").is_file()


def test_report_command_after_the_edf_moved(edfs, tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    edf = shutil.copy(edfs[0], src / "moved.edf")
    out = tmp_path / "out"
    assert run_cli(["score", edf, "--out", out, "--jobs", "1"], capsys)[0] == 0
    shutil.rmtree(src)
    code, _, err = run_cli(["report", out / "moved.summary.json"], capsys)
    assert code == 0, err
    text = (out / "moved.report.html").read_text()
    assert "no longer there" in text and "No EMG signal at hand" in text


def test_plain_edf_without_hypnogram_gets_figures_per_hour_of_recording(tmp_path, capsys):
    """A plain EDF (no annotations, no sidecar) of 0.1 h = 6 min: the sleep figures are
    n/a and the figures per hour of recording are printed, written and reported:
    n per hour = n / 0.1 h."""
    night = simulate_night(seed=14, spec=NightSpec(duration_h=0.1, fs_leg=200,
                                                   plm_severity=60.0))
    edf = write_edf(night, tmp_path / "plain.edf", edf_plus=False, annotations=False,
                    extra_channels=False)
    code, out, err = run_cli(["score", edf, "--out", tmp_path / "out", "--report",
                              "--jobs", "1"], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "out" / "plain.summary.json").read_text())
    assert summary["tst_min"] is None and summary["plms_index"] is None
    assert summary["recording_duration_s"] == pytest.approx(360.0)
    assert summary["n_plm"] > 0
    assert summary["plm_index_recording"] == pytest.approx(summary["n_plm"] / 0.1)
    assert summary["lm_index_recording"] == pytest.approx(summary["n_lm"] / 0.1)
    lines = {line.split("  ")[1].strip(): line for line in out.splitlines()
             if line.startswith("  ") and "  " in line[2:]}
    assert f"{summary['n_plm'] / 0.1:.1f} /h" in lines["PLM per hour of recording"]
    assert f"{summary['n_lm'] / 0.1:.1f} /h" in lines["LM per hour of recording"]
    assert "n/a" in lines["PLMS index"]
    html = (tmp_path / "out" / "plain.report.html").read_text()
    assert 'data-key="plm_index_recording"' in html and "None" not in html
