"""A multi-day ankle recording end to end: ``plms score`` (and the API, the batch) write
its nights, resume skips it when complete, a diary sets the windows, EMG is refused.

The recording is the two-day one of ``tests/test_days.py`` (one ankle, 25 Hz, noon
to noon twice, nights 23:00-06:00 and 22:30-06:30), so the windows are known.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plms.cli import main
from plms.io.names import days_files
from plms.result import NIGHT_OK, DaysResult, ScoreResult
from test_days import START, two_days, write_edf

EMG_NIGHT = Path(__file__).resolve().parents[1] / "data_samples" / "sample.edf"


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    acc, _ = two_days(np.random.default_rng(5))
    return write_edf(tmp_path_factory.mktemp("week") / "week.edf", {"left": acc})


def test_plms_score_writes_the_nights_and_resume_skips_them(week, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["score", str(week), "--out", str(out), "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "multi-day: 2 night(s) found, 2 scored" in printed
    files = days_files(out, "week")
    nights = pd.read_csv(files.nights_csv)
    assert nights["status"].tolist() == [NIGHT_OK, NIGHT_OK]
    # truth: lights off about 23:00 and 22:30 (the detector's window, within 45 min)
    offsets = [(pd.Timestamp(t) - pd.Timestamp(START)).total_seconds() / 3600.0
               for t in nights["lights_off"]]
    assert offsets == pytest.approx([11.0, 34.5], abs=0.75)
    for n in (1, 2):
        assert files.night(n).events_tsv.is_file() and files.night(n).summary_json.is_file()
    summary = json.loads(files.summary_json.read_text())
    row = pd.read_csv(out / "summary.csv").iloc[0]
    assert row["night"] == "week" and row["n_nights"] == 2 and pd.isna(row["events_tsv"])
    assert row["plms_index_per_h"] == round(summary["plms_index_pooled"], 1)
    assert row["tst_min"] == pytest.approx(nights["tst_min"].sum(), abs=0.05)
    assert row["extra_outputs"] == "week.nights.csv"

    assert main(["score", str(week), "--out", str(out), "--jobs", "1"]) == 0
    assert "outputs already complete, skipped" in capsys.readouterr().out
    files.night(2).events_tsv.unlink()          # a night's file gone: not complete any more
    assert main(["score", str(week), "--out", str(out), "--jobs", "1"]) == 0
    assert "skipped" not in capsys.readouterr().out
    assert files.night(2).events_tsv.is_file()


def test_diary_sets_the_windows(week, tmp_path):
    diary = tmp_path / "diary.csv"
    diary.write_text("night,lights_off,lights_on\n1,23:00,06:00\n2,22:30,06:30\n")
    out = tmp_path / "out"
    assert main(["score", str(week), "--out", str(out), "--diary", str(diary),
                 "--jobs", "1", "--quiet"]) == 0
    files = days_files(out, "week")
    nights = pd.read_csv(files.nights_csv)
    assert nights["window_source"].tolist() == ["diary", "diary"]
    assert nights["lights_off"].tolist() == ["2026-01-05T23:00:00", "2026-01-06T22:30:00"]
    assert nights["start_s"].tolist() == [11 * 3600.0, 34.5 * 3600.0]


def test_api_score_decides_by_length_and_score_days_always_splits(week, tmp_path):
    import plms
    from plms.simulate import AccelSpec, simulate_accel_night, write_accel_edf

    days = plms.score(week)
    assert isinstance(days, DaysResult) and sorted(days.results) == [1, 2]
    one = write_accel_edf(simulate_accel_night(2, AccelSpec(duration_h=0.25, fs_hz=25.0,
                                                            difficulty="clean")),
                          tmp_path / "short.edf")
    assert isinstance(plms.score(one), ScoreResult)
    assert not plms.api.is_multi_day(one, plms.ScoreOptions())
    assert plms.api.is_multi_day(one, plms.ScoreOptions(days="on"))
    assert isinstance(plms.api.score_days(one), DaysResult)
    with pytest.raises(ValueError, match="diary"):
        plms.api.score_days(week, lights_off="23:00")


def test_emg_recording_with_days_on_or_diary_is_refused_naming_it(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["score", str(EMG_NIGHT), "--out", str(out), "--days", "on",
                 "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "sample.edf" in err and "leg EMG" in err and "--days on" in err
    assert not (out / "sample.events.tsv").exists()
    diary = tmp_path / "d.csv"
    diary.write_text("night,lights_off,lights_on\n1,23:00,06:00\n")
    assert main(["score", str(EMG_NIGHT), "--out", str(out), "--diary", str(diary),
                 "--jobs", "1"]) == 1
    assert "--diary" in capsys.readouterr().err


def test_one_diary_for_several_recordings_and_write_extras_are_refused(week, tmp_path,
                                                                        capsys):
    diary = tmp_path / "d.csv"
    diary.write_text("night,lights_off,lights_on\n1,23:00,06:00\n")
    assert main(["score", str(week), str(EMG_NIGHT), "--out", str(tmp_path / "o"),
                 "--diary", str(diary)]) == 2
    assert "--diary names one file" in capsys.readouterr().err
    assert main(["score", str(week), "--out", str(tmp_path / "o"), "--write", "nsrr-xml",
                 "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "week.edf" in err and "multi-day" in err


def test_options_days_and_diary_are_checked():
    from plms.options import ScoreOptions, score_options

    with pytest.raises(ValueError, match="auto, on, off"):
        ScoreOptions(days="sometimes")
    with pytest.raises(ValueError, match="not 'off'"):
        score_options(diary="d.csv", days="off")
    assert score_options(diary="d.csv").days == "auto"


def test_batch_of_a_week_and_a_night_in_processes_and_on_dask(week, tmp_path):
    """A week and a one-night recording in one batch: one row each; worker processes
    and a Dask cluster write the same table."""
    from plms.batch import run_batch
    from plms.simulate import AccelSpec, simulate_accel_night, write_accel_edf

    night = write_accel_edf(simulate_accel_night(3, AccelSpec(duration_h=0.25, fs_hz=25.0,
                                                              difficulty="clean")),
                            tmp_path / "night.edf")
    table = run_batch([week, night], tmp_path / "procs", jobs=2)
    rows = table.set_index("night")
    assert rows["status"].tolist() == ["ok", "ok"]
    assert rows.loc["week", "n_nights"] == 2 and pd.isna(rows.loc["night", "n_nights"])
    assert rows.loc["night", "events_tsv"] == "night.events.tsv"
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = run_batch([week, night], tmp_path / "dask", scheduler=client)
    pd.testing.assert_frame_equal(on_dask, table)


def test_help_and_readme_name_the_length_that_makes_a_recording_multi_day():
    from plms.cli import _build_parser
    from plms.pipeline.days import MULTI_DAY_MIN_H

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"`plms.pipeline.days.MULTI_DAY_MIN_H` hours ({MULTI_DAY_MIN_H:g})" in readme
    score = _build_parser()._subparsers._group_actions[0].choices["score"]   # type: ignore
    assert f"{MULTI_DAY_MIN_H:g} h or more" in " ".join(score.format_help().split())


def test_a_csv_is_measured_from_its_first_and_last_lines_not_read(tmp_path):
    """auto: a CSV spanning 19 h is multi-day, one spanning 2 h is not; neither is read whole
    (these have a 19-h / 2-h gap the reader would refuse)."""
    import plms.api

    for hours, end, multi in ((19, "2026-01-06T07", True), (2, "2026-01-05T14", False)):
        f = tmp_path / f"ankle-{hours}h.csv"
        f.write_text(f"timestamp,x,y,z\n2026-01-05T12:00:00.000,0,0,1\n{end}:00:00.000,0,0,1\n")
        opts = plms.ScoreOptions(modality="accel")
        assert plms.api.is_multi_day(f, opts) is multi
