"""What a user sees of a multi-day recording (issue 16): files, report, plots, read back.

The result is built by hand (:mod:`tests.days_helpers`): two generated
30-min nights placed at 23:00 on the first two evenings of a recording that
starts at noon, a third evening without sleep period, one non-wear stretch
and one nap, so every expected value below is known from the construction.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from days_helpers import NAP_S, NIGHT_H, NONWEAR_S, WINDOWS_S, clock, days_result
from plms.io.names import days_files
from plms.outputs.days import NIGHTS_CSV_COLUMNS, nights_to_csv
from plms.result import NIGHT_COLUMNS, NIGHT_NO_SLEEP, DaysResult
from plms.rules import WASM2016


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> DaysResult:
    return days_result(tmp_path_factory.mktemp("days-src"))


@pytest.fixture(scope="module")
def written(days: DaysResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("days-out")
    days.write(out)
    return out


def test_nights_csv_has_every_night_iso_times_and_empty_unknowns(days, written):
    table = pd.read_csv(days_files(written, "week").nights_csv, dtype=str,
                        keep_default_na=False)
    assert tuple(table.columns) == NIGHTS_CSV_COLUMNS == NIGHT_COLUMNS
    assert table["night"].tolist() == ["1", "2", "3"]
    assert table["lights_off"].tolist()[:2] == [clock(WINDOWS_S[1]), clock(WINDOWS_S[2])]
    assert table.loc[0, "lights_off"] == "2026-01-05T23:00:00"
    third = table.iloc[2]
    assert third["status"] == NIGHT_NO_SLEEP
    assert third["lights_off"] == third["tst_min"] == third["plms_index"] == ""
    assert third["warnings"] == "no main sleep period: awake all night"
    assert float(table.loc[1, "start_s"]) == WINDOWS_S[2]


def test_each_night_has_its_events_with_onsets_from_the_recording_start(days, written):
    from plms.io.results import read_events_tsv, read_summary_json

    files = days_files(written, "week")
    for n, start in WINDOWS_S.items():
        night = files.night(n)
        assert night.events_tsv.parent == written / "week"
        events = read_events_tsv(night.events_tsv)
        assert len(events) == len(days.results[n].events) > 0
        assert events["onset"].between(start, start + NIGHT_H * 3600.0).all()
        assert json.loads(night.events_json.read_text())["onset"]["Units"] == "s"
        summary = read_summary_json(night.summary_json)
        assert summary["night"] == n and summary["window_s"] == [start, start + 1800.0]
        assert summary["plms_index"] == pytest.approx(days.results[n].summary["plms_index"])
    assert not files.night(3).events_tsv.exists()


def test_recording_summary_holds_the_figures_nonwear_and_naps(days, written):
    data = json.loads(days_files(written, "week").summary_json.read_text())
    assert data["kind"] == "days" and data["rules"] == "wasm2016" and data["plms_version"]
    assert data["nights_scored"] == 2 and data["n_nights"] == 3
    indices = [days.results[n].summary["plms_index"] for n in (1, 2)]
    assert data["plms_index_mean"] == pytest.approx(np.mean(indices))
    assert data["plms_index_sd"] == pytest.approx(np.std(indices, ddof=1))
    assert [(r["start_s"], r["end_s"], r["side"]) for r in data["nonwear"]] == [
        (NONWEAR_S[0], NONWEAR_S[1], "both")]
    assert [(r["start_s"], r["start"]) for r in data["naps"]] == [(NAP_S[0], clock(NAP_S[0]))]
    assert data["night_files"]["2"]["events"] == "week/night02.events.tsv"
    assert [r["n_lm"] for r in data["nights"]][:2] == [days.results[n].summary["n_lm"]
                                                       for n in (1, 2)]
    assert isinstance(data["nights"][0]["n_lm"], int)
    assert data["nights"][0]["warnings"] == []                 # "" in the table: none
    assert data["nights"][2]["warnings"] == ["no main sleep period: awake all night"]


def test_output_paths_are_the_files_written(days, tmp_path):
    paths = days.write(tmp_path)
    assert paths == days.output_paths(tmp_path)
    on_disk = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == set(paths.values())


def test_all_or_nothing_when_the_nights_folder_cannot_be_made(days, tmp_path):
    (tmp_path / "week").write_text("a file where the nights' folder goes")
    with pytest.raises(OSError):
        days.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["week"]


def test_rewriting_with_fewer_nights_removes_the_old_night_files(days, tmp_path):
    days.write(tmp_path)
    fewer = replace(days, results={1: days.results[1]})
    fewer.write(tmp_path)
    names = sorted(p.name for p in (tmp_path / "week").iterdir())
    assert names == ["night01.events.json", "night01.events.tsv", "night01.summary.json"]


def test_summary_frame_and_key_figures(days):
    frame = days.summary_frame()
    assert frame.index.tolist() == [1, 2, 3]
    assert frame.loc[1, "n_clm"] == days.results[1].summary["n_clm"]
    assert pd.isna(frame.loc[3, "n_clm"])
    figures = days.key_figures()
    assert figures.loc["Nights scored", "value"] == "2"
    assert figures.loc["Non-wear", "value"] == "90.0"      # 14:00-15:30 of day 2


def test_nights_csv_text_of_an_empty_table():
    text = nights_to_csv(pd.DataFrame(columns=list(NIGHT_COLUMNS)))
    assert text.strip() == ",".join(NIGHTS_CSV_COLUMNS)


# ------------------------------------------------------------------ plots and report

def test_actogram_rows_follow_the_anchor(days):
    from plms.plots import plot_actogram

    noon = plot_actogram(days).axes[0]
    assert noon.get_ylim() == (3.0, 0.0)          # starts at noon: three whole days
    midnight = plot_actogram(days, anchor="midnight").axes[0]
    assert midnight.get_ylim() == (4.0, 0.0)      # noon to noon spans four calendar days
    with pytest.raises(ValueError, match="noon, midnight"):
        plot_actogram(days, anchor="dawn")


def test_index_by_night_draws_the_threshold(days):
    from plms.plots import plot_index_by_night

    ax = plot_index_by_night(days).axes[0]
    levels = [line.get_ydata()[0] for line in ax.get_lines()]
    assert WASM2016.plms_index_threshold_per_h in levels
    assert len(ax.patches) == 2                   # a bar per scored night


def test_report_links_every_scored_night(days, tmp_path):
    from plms.report import write_days_report

    days.write(tmp_path)
    written = write_days_report(days, tmp_path, dpi=40)
    page = written[0]
    assert page == tmp_path / "week.report.html"
    assert written[1:] == [tmp_path / "week" / "night01.report.html",
                           tmp_path / "week" / "night02.report.html"]
    html = page.read_text()
    assert 'href="week/night01.report.html"' in html and 'href="week/night02.report.html"' in html
    assert html.count("<img") == 2 and "no sleep period" in html
    night = written[1].read_text()
    assert "<h1>Leg movements in sleep: week night 1</h1>" in night


def test_outputs_read_back_and_report_rebuilt(days, tmp_path):
    from plms.report import days_from_outputs, report_from_outputs

    days.write(tmp_path)
    back = days_from_outputs(days_files(tmp_path, "week").summary_json)
    assert sorted(back.results) == [1, 2] and back.stem == "week"
    assert back.nights["status"].tolist() == days.nights["status"].tolist()
    np.testing.assert_allclose(back.results[2].events["onset"],
                               days.results[2].events["onset"], atol=1e-3)
    assert back.nonwear["start_s"].tolist() == [NONWEAR_S[0]]
    page = report_from_outputs(days_files(tmp_path, "week").summary_json, dpi=40)
    assert page == tmp_path / "week.report.html" and page.is_file()


def test_cohort_lists_the_recording_and_its_nights(days, tmp_path):
    from plms.report import cohort_table

    days.write(tmp_path)
    table = cohort_table(tmp_path).set_index("night")
    assert table.loc["week", "kind"] == "recording"
    assert table.loc["week", "plms_index"] == pytest.approx(days.summary["plms_index_pooled"])
    assert table.loc["week/night02", "kind"] == "night"
    assert table.loc["week/night02", "plms_index"] == pytest.approx(
        days.results[2].summary["plms_index"])


def test_a_night_report_sees_the_night_as_if_recorded_alone(days):
    from plms.report._days import night_as_recorded

    night = night_as_recorded(days, 2)
    assert night.events["onset"].between(0.0, NIGHT_H * 3600.0).all()
    np.testing.assert_allclose(night.events["onset"] + WINDOWS_S[2],
                               days.results[2].events["onset"])
    assert night.summary["recording_start"] == clock(WINDOWS_S[2])
    assert night.stem == "week night 2"
    assert days.results[2].events["onset"].min() >= WINDOWS_S[2]     # the input untouched


@pytest.mark.parametrize("stage", ["writing", "renaming"])
def test_a_write_failing_midway_leaves_nothing_behind(days, tmp_path, monkeypatch, stage):
    import plms.outputs.atomic as atomic

    calls = {"n": 0}

    def fail_third(real):
        def wrapped(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt   # an interruption, not only an error
            return real(*args, **kwargs)
        return wrapped

    if stage == "writing":
        monkeypatch.setattr("plms.outputs.files._text_writer",
                            lambda text: fail_third(lambda path: path.write_text(text)))
    else:
        monkeypatch.setattr(atomic.os, "replace", fail_third(atomic.os.replace))
    with pytest.raises(KeyboardInterrupt):
        days.write(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_rewrite_failing_while_renaming_keeps_the_earlier_run(days, tmp_path, monkeypatch):
    import plms.outputs.atomic as atomic

    days.write(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    (tmp_path / "week.nights.csv").write_text("earlier run")
    before[tmp_path / "week.nights.csv"] = b"earlier run"
    real, calls = atomic.os.replace, {"n": 0}

    def fail_third(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk gone")
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", fail_third)
    with pytest.raises(OSError, match="disk gone"):
        days.write(tmp_path)
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
