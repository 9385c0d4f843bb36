"""Scoring accelerometer recordings end to end: plms.score_accel and plms score."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import plms
from plms.errors import PlmsInputError
from plms.validation.agreement import match_events
from plms.scoring import EVENT_COLUMNS
from plms.simulate import (
    AccelSpec, simulate_accel_night, simulate_night, write_accel_csv, write_accel_edf, write_edf,
)
from plms.simulate import NightSpec
from cli_helpers import output_names, run_cli


@pytest.fixture(scope="module")
def night():
    return simulate_accel_night(21, AccelSpec(duration_h=1.0, fs_hz=50.0))


@pytest.fixture(scope="module")
def night_edf(night, tmp_path_factory):
    """The night as an EDF+ with both ankles and the PSG hypnogram as annotations."""
    return write_accel_edf(night, tmp_path_factory.mktemp("acc") / "ankles.edf")


@pytest.fixture(scope="module")
def scored(night_edf):
    return plms.score_accel(night_edf)


def test_same_contract_as_emg_with_modality_and_sleep_source(scored, night):
    assert tuple(scored.events.columns[: len(EVENT_COLUMNS)]) == EVENT_COLUMNS
    s = scored.summary
    assert s["modality"] == "accel"
    assert s["sleep_source"] == "hypnogram"
    assert s["annotations_source"] == "EDF+ annotations"
    assert s["tst_min"] == pytest.approx(night.truth_tst_min)
    assert s["channels"]["left"] and s["channels"]["right"]
    assert s["fs_hz"] == {"left": 50.0, "right": 50.0}
    assert set(s["accel_detector"]["threshold_mg"]) == {"left", "right"}
    json.dumps(s)   # JSON-ready


def test_detected_movements_agree_with_the_generated_truth(scored, night):
    """Per leg, the detected movements match the truth (IoU > 0.2) with F1 >= 0.85,
    and the PLMS index is that of the true movements scored by the same rules
    within 3/h on this 1-h night (seeds 21-32: worst error 2.5/h, 8 of 12 nights
    exact; the full 8-h figures: scripts/evaluate_accel.py)."""
    for side in ("left", "right"):
        det = scored.per_leg[scored.per_leg["side"] == side]
        truth = night.truth_lms[night.truth_lms["side"] == side]
        assert match_events(truth, det, min_iou=0.2).f1 >= 0.85, side
    truth_score = plms.score_lms(night.truth_lms[["onset", "duration", "side"]],
                                 hypnogram=night.hypnogram)
    assert truth_score.summary["plms_index"] > 0
    assert abs(scored.summary["plms_index"] - truth_score.summary["plms_index"]) <= 3.0


def test_without_hypnogram_sleep_is_estimated_and_marked(night_edf, night):
    r = plms.score_accel(night_edf, sleep="estimate")
    s = r.summary
    assert s["sleep_source"] == "estimated from accelerometer"
    assert set(r.hypnogram.stages.tolist()) <= {"W", "S"}
    assert s["plms_by_stage"] is None
    assert s["plms_by_hour"] is not None
    assert any("estimated" in w for w in s["warnings"])
    # seeds 21-32 of this 1-h night: worst TST error 10.5 min (this one 4.5 min)
    assert s["tst_min"] is not None and abs(s["tst_min"] - night.truth_tst_min) <= 12.0
    # the movements do not depend on where sleep time comes from
    pd.testing.assert_frame_equal(r.per_leg, plms.score_accel(night_edf).per_leg)


def test_hypnogram_required_but_missing_is_a_clear_error(night, tmp_path):
    csv = write_accel_csv(night, tmp_path / "left.csv", "left")
    with pytest.raises(PlmsInputError, match="no hypnogram"):
        plms.score_accel(csv, side="left", sleep="hypnogram")
    with pytest.raises(ValueError, match="sleep must be one of"):
        plms.score_accel(csv, side="left", sleep="psg")


def test_one_ankle_from_csv(night, tmp_path):
    csv = write_accel_csv(night, tmp_path / "right.csv", "right")
    r = plms.score_accel(csv, side="right")
    assert set(r.per_leg["side"]) == {"right"}
    assert set(r.events["side"]) <= {"right"}
    assert r.summary["channels"]["left"] is None
    assert any("one ankle only" in w for w in r.summary["warnings"])
    assert r.summary["sleep_source"] == "estimated from accelerometer"


# --- command line ------------------------------------------------------------------


def test_cli_detects_the_modality_and_marks_estimated_sleep(night, tmp_path, capsys):
    csv = write_accel_csv(night, tmp_path / "n1.csv", "left")
    out = tmp_path / "out"
    code, text, err = run_cli(["score", csv, "--side", "left", "--out", out, "--report"],
                              capsys)
    assert code == 0, err
    assert "accelerometers: left" in text
    assert "sleep time: estimated from accelerometer" in text
    summary = json.loads((out / "n1.summary.json").read_text())
    assert summary["modality"] == "accel"
    html = (out / "n1.report.html").read_text()
    assert "Sleep time is estimated" in html and "estimated sleep</span>" in html
    assert "<h2>Accelerometer excerpt</h2>" in html and "could not be drawn" not in html


def test_cli_threshold_option_reaches_the_detector(night_edf, tmp_path, capsys):
    code, _, err = run_cli(["score", night_edf, "--out", tmp_path, "--accel-threshold",
                            "5000"], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "ankles.summary.json").read_text())
    assert summary["accel_detector"]["settings"]["threshold_mg"] == 5000.0
    assert summary["n_lm"] == 0


def test_cli_wrong_modality_is_one_clear_error(night_edf, tmp_path, capsys):
    emg = write_edf(simulate_night(2, NightSpec(duration_h=0.05, fs_leg=200,
                                                difficulty="clean")), tmp_path / "psg.edf")
    out = tmp_path / "out"
    code, _, err = run_cli(["score", emg, "--modality", "accel", "--out", out], capsys)
    assert code != 0
    assert str(emg) in err and "Traceback" not in err
    code, _, err = run_cli(["score", night_edf, "--modality", "emg", "--out", out], capsys)
    assert code != 0
    assert str(night_edf) in err and "Traceback" not in err
    assert output_names(out) == []


def test_cli_bad_csv_is_refused_and_the_others_are_scored(night, tmp_path, capsys):
    folder = tmp_path / "nights"
    folder.mkdir()
    write_accel_csv(night, folder / "good.csv", "left")
    lines = (folder / "good.csv").read_text().splitlines()
    lines[100], lines[101] = lines[101], lines[100]            # time goes back
    (folder / "bad.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    code, _, err = run_cli(["score", folder, "--modality", "accel", "--side", "left",
                            "--out", out], capsys)
    assert code == 1
    assert "bad.csv" in err and "Traceback" not in err
    assert output_names(out) == ["good.events.json", "good.events.tsv", "good.summary.json"]
    table = pd.read_csv(out / "summary.csv")
    assert table.set_index("night").loc["good", "modality"] == "accel"
    assert table.set_index("night").loc["bad", "status"] == "error"


def test_accelerometer_excerpt_figure(scored):
    from plms.plots import plot_accel_excerpt

    fig = plot_accel_excerpt(scored)
    assert len(fig.axes) == 4          # raw axes and activity, per ankle
    start, end = fig.axes[-1].get_xlim()
    assert 0 < end - start <= 120
    empty = plms.score_lms(scored.per_leg.iloc[:0], stem="none")
    assert len(plot_accel_excerpt(empty).axes) == 1   # says there is no signal


def test_single_axis_scores_movements_but_no_sleep_time(night, tmp_path):
    """A magnitude-only CSV: movements are still detected (with a warning that
    rotation is invisible), but sleep cannot be estimated from one axis, so TST
    and the per-hour indices are null with a warning, never 0."""
    label = night.sides["left"]
    mag = np.linalg.norm(night.signals[label], axis=1)
    t = pd.date_range("2024-01-01 22:00", periods=mag.size, freq=pd.Timedelta(seconds=1 / night.fs))
    csv = tmp_path / "mag.csv"
    pd.DataFrame({"timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%f"), "magnitude": mag}).to_csv(
        csv, index=False)
    r = plms.score_accel(csv, side="left")
    s = r.summary
    assert s["sleep_source"] is None
    assert s["tst_min"] is None and s["plms_index"] is None
    assert any("three axes" in w for w in s["warnings"])
    assert s["n_lm"] > 0


def test_ankle_device_validated_against_the_psg_emg_scoring(tmp_path):
    """The same sleeper (seed) recorded by PSG EMG and by ankle accelerometers
    whose clock starts 8 s late (the device file misses the first 8 s, so its
    onsets are 8 s early: shift -8 s). ``validate(..., shift_s="auto")`` must
    find the offset and, realigned, the device's movements must match the
    EMG's, restless-wake movements included (both generators render the same
    sleeper's movements; the device also sees crosstalk and misses weak ones)."""
    seed, minutes = 31, 30
    psg = simulate_night(seed, NightSpec(duration_h=minutes / 60, fs_leg=256,
                                         electrode_off=False))
    emg = plms.score_edf(write_edf(psg, tmp_path / "psg.edf"))
    dev = simulate_accel_night(seed, AccelSpec(duration_h=minutes / 60, fs_hz=50.0))
    late = 8.0
    csvs = {side: write_accel_csv(dev, tmp_path / f"{side}.csv", side) for side in dev.sides}
    tables = []
    for side, path in csvs.items():
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:1] + lines[1 + int(late * dev.fs):]) + "\n")
        tables.append(plms.score_accel(path, side=side, sleep="estimate").per_leg)
    device = pd.concat(tables, ignore_index=True)

    from plms.validation import validate

    with pytest.warns(UserWarning, match="no PLMS index"):   # a bare table has no index
        v = validate(emg, device, shift_s="auto")
    assert v.nights["shift_s"].iloc[0] == pytest.approx(-late, abs=0.25)
    combined = v.events.set_index(["leg", "match"]).loc[("combined", "iou")]
    assert combined.sensitivity >= 0.85
    assert combined.precision >= 0.8
    assert combined.f1 >= 0.85


def test_rebuilt_report_does_not_draw_the_psg_hypnogram_for_estimated_sleep(night_edf, tmp_path):
    """Scored with estimated sleep from a file that also holds a PSG hypnogram:
    a report rebuilt from the outputs must not draw that PSG hypnogram as if it
    were the one scored."""
    from plms.report import result_from_outputs

    plms.score_accel(night_edf, sleep="estimate").write(tmp_path)
    rebuilt = result_from_outputs(tmp_path / "ankles.summary.json")
    assert rebuilt.hypnogram is None
    assert any("estimated from the accelerometer" in n for n in rebuilt.details["report_notes"])
    assert rebuilt.summary["sleep_source"] == "estimated from accelerometer"


def test_embedded_ankle_sample_agrees_with_its_truth():
    """data_samples/sample-ankles.edf (written by scripts/make_samples.py) scores
    as an accelerometer night and its movements match sample-ankles.truth.tsv."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "data_samples"
    r = plms.score_accel(root / "sample-ankles.edf")
    truth = pd.read_csv(root / "sample-ankles.truth.tsv", sep="\t")
    assert r.summary["modality"] == "accel" and r.summary["sleep_source"] == "hypnogram"
    for side in ("left", "right"):
        agreement = match_events(truth[truth["side"] == side],
                                 r.per_leg[r.per_leg["side"] == side], min_iou=0.2)
        assert agreement.f1 >= 0.85, side


def test_annotated_copy_holds_the_estimated_sleep_that_was_scored(night_edf, tmp_path):
    """--write edf-copy of a night scored with estimated sleep: the copy holds the
    estimate under its own text in place of the file's PSG stages (both would
    overlap), so that rescoring it gives the night that was scored (issue 12)."""
    import mne

    from plms.outputs import write_extras

    r = plms.score_accel(night_edf, sleep="estimate")
    write_extras(r, tmp_path, ["edf-copy"], source_edf=night_edf)
    (copy,) = tmp_path.glob("*.annotated.edf")
    texts = set(mne.read_annotations(copy).description)
    assert "Sleep (stage unknown, estimated)" in texts
    assert "Sleep stage N2" not in texts
    assert plms.rescore(copy).summary["tst_min"] == r.summary["tst_min"]


def test_lights_markers_limit_the_estimated_sleep(night, tmp_path, capsys):
    """A sleep diary's lights off/on bound time in bed: with lights off 10 min
    after the start and on 10 min before the end of the 60-min recording, TIB is
    40 min and no sleep lies outside. Clock times are read on the recording's
    night; a bad time or on-before-off is one clear error."""
    csv = write_accel_csv(night, tmp_path / "diary.csv", "left")
    start = pd.Timestamp(pd.read_csv(csv, nrows=1)["timestamp"].iloc[0])
    off = (start + pd.Timedelta(minutes=10)).strftime("%H:%M")
    r = plms.score_accel(csv, side="left", lights_off=off, lights_on=50 * 60)
    hyp = r.hypnogram
    assert (hyp.lights_off_s, hyp.lights_on_s) == (600.0, 3000.0)
    assert r.summary["tib_min"] == pytest.approx(40.0)
    assert r.summary["tst_min"] <= 40.0
    with pytest.raises(PlmsInputError, match="lights off 'soon'"):
        plms.score_accel(csv, side="left", lights_off="soon")
    with pytest.raises(PlmsInputError, match="not after lights off"):
        plms.score_accel(csv, side="left", lights_off=3000, lights_on=600)
    code, out, err = run_cli(["score", csv, "--side", "left", "--out", tmp_path / "o",
                              "--lights-off", off, "--lights-on", "3000"], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "o" / "diary.summary.json").read_text())
    assert summary["tib_min"] == pytest.approx(40.0)


def test_real_device_file_scores_end_to_end(tmp_path, capsys):
    """A real Axivity AX3 file (5 min, tests/data/accelerometer) goes through the
    whole command: modality detected from the suffix, rate from the device's
    timestamps, side unknown -> left with a warning. Too short for any sleep:
    the sleep figures are null, never 0."""
    from pathlib import Path

    cwa = Path(__file__).parent / "data" / "accelerometer" / "ax3_sample.cwa"
    code, out, err = run_cli(["score", cwa, "--out", tmp_path], capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "ax3_sample.summary.json").read_text())
    assert summary["modality"] == "accel"
    assert summary["fs_hz"]["left"] == pytest.approx(197.24, abs=0.01)
    assert summary["plms_index"] is None
    assert any("scored as left" in w for w in summary["warnings"])


def test_rebuilt_report_redraws_the_accelerometer_excerpt(night_edf, tmp_path):
    """plms report on an accelerometer night re-reads the recording and
    re-detects with the saved settings: the same movements, and the excerpt."""
    from plms.report import result_from_outputs

    scored = plms.score_accel(night_edf)
    scored.write(tmp_path)
    rebuilt = result_from_outputs(tmp_path / "ankles.summary.json")
    assert set(rebuilt.details["accel_detections"]) == {"left", "right"}
    again = pd.concat([d.events.assign(side=s)
                       for s, d in rebuilt.details["accel_detections"].items()])
    assert len(again) == len(scored.per_leg)
    assert rebuilt.details["accel_excerpt"]["legs"]


def test_rebuilt_report_of_a_csv_night(night, tmp_path):
    from plms.report import result_from_outputs

    csv = write_accel_csv(night, tmp_path / "one.csv", "left")
    plms.score_accel(csv, side="left").write(tmp_path)
    rebuilt = result_from_outputs(tmp_path / "one.summary.json")
    assert set(rebuilt.details["accel_detections"]) == {"left"}


@pytest.mark.parametrize("option", [["--accel-threshold", "-5"], ["--fs", "0"], ["--fs", "nan"]])
def test_cli_refuses_non_positive_numbers_as_usage_errors(night, tmp_path, capsys, option):
    csv = write_accel_csv(night, tmp_path / "n.csv", "left")
    with pytest.raises(SystemExit) as exc:
        run_cli(["score", csv, "--out", tmp_path / "o", *option], capsys)
    assert exc.value.code == 2
    assert "positive" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_python_api_refuses_a_zero_rate_with_a_clear_error(night, tmp_path):
    csv = write_accel_csv(night, tmp_path / "n.csv", "left", time="index")
    with pytest.raises(PlmsInputError, match="positive number of Hz"):
        plms.score_accel(csv, side="left", fs=0.0)


# --- issue 12: one night in two per-ankle files ------------------------------------------


@pytest.fixture(scope="module")
def short_night():
    psg = NightSpec(duration_h=0.75, fs_leg=200, plm_severity=60.0)
    return simulate_accel_night(7, AccelSpec(duration_h=0.75, fs_hz=25.0, psg_spec=psg))


@pytest.fixture(scope="module")
def per_ankle(short_night, tmp_path_factory):
    """The generator's own per-ankle CSVs of one night, alone in a folder."""
    folder = tmp_path_factory.mktemp("ankles")
    return {side: write_accel_csv(short_night, folder / f"pn-{side}.csv", side)
            for side in ("left", "right")}


def test_two_per_ankle_csvs_are_one_two_ankle_night(short_night, per_ankle):
    r = plms.score_accel([per_ankle["right"], per_ankle["left"]])   # any order
    s = r.summary
    assert r.stem == "pn"
    assert s["files"] == {side: str(per_ankle[side]) for side in ("left", "right")}
    assert s["channels"]["left"] and s["channels"]["right"]
    assert not any("one ankle only" in w for w in s["warnings"])
    assert s["recording_duration_s"] == pytest.approx(short_night.duration_s)
    for side in ("left", "right"):
        det = r.per_leg[r.per_leg["side"] == side]
        truth = short_night.truth_lms[short_night.truth_lms["side"] == side]
        assert len(truth) > 3
        assert match_events(truth, det, min_iou=0.2).f1 >= 0.85, side
        # each leg is detected as when its file is scored alone, on the right leg
        alone = plms.score_accel(per_ankle[side]).per_leg
        assert set(alone["side"]) == {side}
        pd.testing.assert_frame_equal(det.reset_index(drop=True), alone.reset_index(drop=True))
    # bilateral combination happened: fewer movements than the two legs' sum
    assert s["n_lm"] < len(r.per_leg)


def test_cli_pairs_per_ankle_files_by_stem_unless_told_not_to(per_ankle, tmp_path, capsys):
    folder = per_ankle["left"].parent
    out = tmp_path / "folder"
    code, _, err = run_cli(["score", folder, "--modality", "accel", "--out", out], capsys)
    assert code == 0, err
    assert output_names(out) == ["pn.events.json", "pn.events.tsv", "pn.summary.json"]
    table = pd.read_csv(out / "summary.csv")
    assert list(table.night) == ["pn"]
    assert table.input[0] == f"{per_ankle['left']};{per_ankle['right']}"
    summary = json.loads((out / "pn.summary.json").read_text())
    assert summary["channels"]["left"] and summary["channels"]["right"]
    # explicit files pair the same way; --no-pair-sides scores each alone, on its own leg
    code, _, err = run_cli(["score", per_ankle["left"], per_ankle["right"], "--out",
                            tmp_path / "files"], capsys)
    assert code == 0 and output_names(tmp_path / "files")[0].startswith("pn.")
    apart = tmp_path / "apart"
    code, _, err = run_cli(["score", per_ankle["left"], per_ankle["right"], "--out", apart,
                            "--no-pair-sides"], capsys)
    assert code == 0, err
    for side in ("left", "right"):
        alone = json.loads((apart / f"pn-{side}.summary.json").read_text())
        assert alone["channels"][side] and not alone["channels"][
            "right" if side == "left" else "left"]


def test_two_files_must_be_one_night(short_night, tmp_path):
    from datetime import timedelta

    from plms.simulate.accel_export import DEFAULT_START

    left = write_accel_csv(short_night, tmp_path / "a-left.csv", "left")
    later = write_accel_csv(short_night, tmp_path / "a-right.csv", "right",
                            start=DEFAULT_START + timedelta(hours=3))
    with pytest.raises(PlmsInputError, match="not of the same night") as info:
        plms.score_accel([left, later])
    assert "a-left.csv" in str(info.value) and "a-right.csv" in str(info.value)
    numbered = write_accel_csv(short_night, tmp_path / "b-right.csv", "right", time="index")
    with pytest.raises(PlmsInputError, match="only a-left.csv has clock times"):
        plms.score_accel([left, numbered], fs=25.0)
    with pytest.raises(PlmsInputError, match="both files hold the left ankle"):
        plms.score_accel([left, write_accel_csv(short_night, tmp_path / "c-left.csv", "left")])
    with pytest.raises(ValueError, match="2"):
        plms.score_accel([left, left, left])


def test_two_files_starting_a_minute_apart_are_scored_over_their_common_time(short_night,
                                                                           tmp_path):
    from datetime import timedelta

    from plms.simulate.accel_export import DEFAULT_START

    left = write_accel_csv(short_night, tmp_path / "d-left.csv", "left")
    right = write_accel_csv(short_night, tmp_path / "d-right.csv", "right",
                            start=DEFAULT_START + timedelta(seconds=60))
    r = plms.score_accel([left, right])
    s = r.summary
    assert s["recording_duration_s"] == pytest.approx(short_night.duration_s - 60.0)
    assert s["recording_start"].startswith("2024-01-01T22:31:00")
    assert any("cover different times" in w for w in s["warnings"])
    # the night starts with the right file (22:31): its movements keep their times, the
    # left file's come 60 s earlier than in that file
    length = s["recording_duration_s"]
    for side, shift in (("right", 0.0), ("left", -60.0)):
        truth = short_night.truth_lms[short_night.truth_lms["side"] == side]
        truth = truth.assign(onset=truth["onset"] + shift)
        truth = truth[(truth.onset > 0) & (truth.onset + truth.duration < length)]
        det = r.per_leg[r.per_leg["side"] == side]
        assert match_events(truth, det, min_iou=0.2).f1 >= 0.85, side
