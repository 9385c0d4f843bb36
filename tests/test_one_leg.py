"""One leg channel (issue 17, RULES.md "One leg channel"): both legs on one channel
(side ``combined``) or one leg alone, scored end to end and written back.

The truths are constructed: a generated night written with the two legs summed
onto one ``Leg`` channel shows both legs' movements merged (overlapping ones,
or ones closer than the 0.5-s quiet period, are one); a night written with
one leg shows that leg's truth.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import plms
from plms.errors import PlmsInputError
from plms.scoring import apply_rules
from plms.simulate import NightSpec, one_channel_truth, simulate_night, write_edf
from plms.validation.agreement import match_events

from cli_helpers import run_cli

#: A clean night (no detached electrode: one would blind the combined channel to both legs).
SPEC = NightSpec(duration_h=0.5, fs_leg=256, plm_severity=60.0, difficulty="clean")
#: Agreement asked of the standard montage (tests/test_io_montages.py, tests/test_cli.py).
MIN_F1 = 0.97
PLMS_INDEX_TOLERANCE = 2.0
FIGURES = ("n_lm", "n_plms", "plms_index", "plms_index_incl_resp", "plmw_index",
           "plms_arousal_index", "tib_min", "tst_min")


@pytest.fixture(scope="module")
def night():
    return simulate_night(seed=31, spec=SPEC)


@pytest.fixture(scope="module")
def files(tmp_path_factory, night):
    folder = tmp_path_factory.mktemp("one_leg")
    return {legs: write_edf(night, folder / f"{legs}.edf", extra_channels="light", legs=legs)
            for legs in ("combined", "left")}


def _truth_summary(night, truth):
    return plms.score_lms(truth, hypnogram=night.hypnogram, respiratory=night.respiratory,
                          arousals=night.arousals).summary


# ------------------------------------------------------------ the truth of one channel
def test_one_channel_truth_merges_what_one_channel_cannot_tell_apart():
    truth = pd.DataFrame({"onset": [10.0, 11.0, 30.0, 33.3, 50.0, 70.0],
                          "duration": [2.0, 2.0, 3.0, 1.0, 1.0, 1.0],
                          "side": ["left", "right", "left", "right", "right", "left"],
                          "peak_uv": [20.0, 40.0, 30.0, 10.0, 15.0, 25.0]})
    merged = one_channel_truth(SimpleNamespace(truth_lms=truth), "combined")
    # 10-12 and 11-13 overlap; 30-33 and 33.3-34.3 are 0.3 s apart (< 0.5 s): one each
    assert merged[["onset", "duration"]].round(6).values.tolist() == [
        [10.0, 3.0], [30.0, 4.3], [50.0, 1.0], [70.0, 1.0]]
    assert merged["peak_uv"].tolist() == [40.0, 30.0, 15.0, 25.0]
    assert set(merged["side"]) == {"combined"}
    left = one_channel_truth(SimpleNamespace(truth_lms=truth), "left")
    assert left["onset"].tolist() == [10.0, 30.0, 70.0]


# ------------------------------------------------------------ the rules on one channel
def test_combined_movements_are_never_combined():
    # two legs' LMs 1 s apart are one bilateral LM; on one channel (already merged
    # where they touch) every LM stays one LM, under both presets
    two = pd.DataFrame({"onset": [0.0, 3.0, 20.0, 40.0, 60.0], "duration": 2.0,
                        "side": ["left", "right", "left", "left", "left"]})
    one = two.assign(side="combined")
    assert apply_rules(two, "aasm")["side"].tolist()[:1] == ["bilateral"]
    for rules in ("wasm2016", "aasm"):
        ev = apply_rules(one, rules)
        assert ev["onset"].tolist() == [0.0, 3.0, 20.0, 40.0, 60.0]
        assert set(ev["side"]) == {"combined"} and (ev["n_parts"] == 1).all()


def test_combined_beside_left_or_right_is_refused():
    lms = pd.DataFrame({"onset": [0.0, 20.0], "duration": 1.0, "side": ["combined", "left"]})
    with pytest.raises(ValueError, match="mixes combined"):
        apply_rules(lms)


# ------------------------------------------------------------ scoring one channel
def test_a_night_on_one_leg_channel_is_scored_against_the_merged_truth(files, night):
    result = plms.score_edf(files["combined"])
    s = result.summary
    assert s["channels"]["combined"] == "Leg" and "left" not in s["channels"]
    assert "without a side" in s["channels"]["reason"]
    for key in ("fs_hz", "units", "mains_hz", "excluded_min", "high_tone_min"):
        assert list(s[key]) == ["combined"], key
    assert any("cannot be told apart" in w for w in s["warnings"])
    assert set(result.events["side"]) == {"combined"}
    truth = one_channel_truth(night, "combined")
    f1 = match_events(truth, result.per_leg, min_iou=0.5).f1
    assert f1 >= MIN_F1
    expected = _truth_summary(night, truth)["plms_index"]
    assert s["plms_index"] == pytest.approx(expected, abs=PLMS_INDEX_TOLERANCE)
    for key in ("plms_index", "periodicity_index", "lms_index", "plm_index_recording"):
        assert s[key] is not None, key


def test_one_leg_alone_is_scored_against_that_legs_truth(files, night):
    detected = plms.score_edf(files["left"])                      # only 'Leg L' in the file
    given = plms.score(files["left"], left=night.left_label)      # --left alone
    truth = one_channel_truth(night, "left")
    expected = _truth_summary(night, truth)["plms_index"]
    for result in (detected, given):
        s = result.summary
        assert s["channels"]["left"] == night.left_label and "right" not in s["channels"]
        assert list(s["fs_hz"]) == ["left"]
        assert any("the right leg's movements are missed" in w for w in s["warnings"])
        assert match_events(truth, result.per_leg, min_iou=0.5).f1 >= MIN_F1
        assert s["plms_index"] == pytest.approx(expected, abs=PLMS_INDEX_TOLERANCE)
    assert "left given by --left" in given.summary["channels"]["reason"]


def test_legs_names_the_channel_of_both_legs(files):
    given = plms.score(files["left"], legs="Leg L", keep_excerpt=False)
    assert list(given.summary["fs_hz"]) == ["combined"]
    assert "given by --legs" in given.summary["channels"]["reason"]
    with pytest.raises(ValueError, match="give it alone"):
        plms.score(files["left"], legs="Leg L", left="Leg L")


def test_arrays_of_one_channel(night):
    sig = night.signals
    both = sig[night.left_label].data + sig[night.right_label].data
    result = plms.score(plms.api.EmgArrays(None, None, fs=256.0, combined=both,
                                           ecg=sig[night.ecg_label].data * 1e-6),
                        annotations=night.truth_annotations(), keep_excerpt=False)
    truth = one_channel_truth(night, "combined")
    assert match_events(truth, result.per_leg, min_iou=0.5).f1 >= MIN_F1
    with pytest.raises(ValueError, match="not both nor none"):
        plms.api.EmgArrays(both, None, fs=256.0, combined=both)


def test_without_any_leg_channel_the_error_stays(tmp_path, night):
    path = write_edf(night, tmp_path / "none.edf", extra_channels="light", legs="left")
    with pytest.raises(PlmsInputError, match="does not exist"):
        plms.score_edf(path, left="Leg R")
    from plms.io.channels import choose_leg_channels

    with pytest.raises(PlmsInputError, match="no leg EMG channel was found.*--legs"):
        choose_leg_channels(["C3-M2", "ECG", "Chin"])


# ------------------------------------------------------------ command line and write-back
def test_cli_legs_end_to_end_and_the_written_files_read_back(files, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(["score", files["left"], "--out", out, "--legs", "Leg L",
                                 "--write", "nsrr-xml,edf-annotations", "--report"], capsys)
    assert code == 0, err
    assert "combined 'Leg L'" in stdout
    summary = json.loads((out / "left.summary.json").read_text())
    assert summary["channels"]["combined"] == "Leg L"
    events = pd.read_csv(out / "left.events.tsv", sep="\t", na_values="n/a")
    assert set(events["side"]) == {"combined"} and summary["n_lm"] == len(events)
    report = (out / "left.report.html").read_text()
    assert "one channel of both legs" in report
    expected = {k: summary[k] for k in FIGURES}
    for name, fmt in (("left.events.tsv", "tsv"), ("left.plms-nsrr.xml", "nsrr"),
                      ("left.annotations.edf", "edf")):
        again = plms.rescore(out / name, fmt=fmt).summary
        figures = {k: again[k] for k in FIGURES}
        if fmt == "tsv":   # events.tsv holds the movements, not the hypnogram
            figures, wanted = figures["n_lm"], expected["n_lm"]
        else:
            wanted = expected
        assert figures == wanted, name
        assert again["scored_lms"]["combined"] == summary["n_lm"], name
        assert any("cannot be told apart" in w for w in again["warnings"]), name


def test_cli_refuses_legs_with_left(files, tmp_path, capsys):
    code, _, err = run_cli(["score", files["left"], "--out", tmp_path / "o", "--legs", "Leg L",
                            "--left", "Leg L"], capsys)
    assert code == 2 and "give it alone" in err
    assert not (tmp_path / "o").exists()


def test_plots_draw_the_one_channel(files):
    pytest.importorskip("matplotlib")
    from plms.plots import emg_excerpt_view, plot_emg_excerpt, plot_night

    result = plms.score_edf(files["combined"])
    view = emg_excerpt_view(result)
    assert [leg for leg, _ in view["panels"]] == ["combined", "combined"]
    assert plot_emg_excerpt(result).axes and plot_night(result).axes
    assert np.isfinite(view["start_s"])
