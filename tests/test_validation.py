"""plms.validation and ``plms validate``: hand-derived agreement figures."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli_helpers import run_cli
from plms.errors import PlmsInputError
from plms.validation import compare_events, compare_nights, estimate_shift, icc_a1, validate


def _lms(left=(), right=(), duration=2.0):
    rows = [(on, duration, "left") for on in left] + [(on, duration, "right") for on in right]
    return pd.DataFrame(rows, columns=["onset", "duration", "side"])


def _write(path: Path, lms: pd.DataFrame, n_epochs: int = 240) -> Path:
    """A CSV night: ``n_epochs`` of N2 and the given per-leg movements."""
    rows = [(30.0 * i, 30.0, "Sleep stage N2") for i in range(n_epochs)]
    rows += [(r.onset, r.duration, f"Leg movement {r.side}") for r in lms.itertuples()]
    rows.sort(key=lambda r: r[0])
    lines = ["onset\tduration\tdescription"] + [f"{a:g}\t{b:g}\t{c}" for a, b, c in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _series(start: float, n: int, step: float = 20.0):
    return [start + step * i for i in range(n)]


# ------------------------------------------------------------------ event level
def test_compare_events_by_hand():
    ref = _lms(left=[0, 30, 60], right=[100])
    test = _lms(left=[0.3, 61, 90], right=[100.2])
    t = compare_events(ref, test).set_index(["leg", "match"])
    assert list(t.index) == [(leg, m) for leg in ("left", "right", "combined")
                             for m in ("iou", "onset")]
    # left: 0 vs 0.3 (IoU 1.7/2.3) and 60 vs 61 (IoU 1/3) match by overlap
    assert t.loc[("left", "iou"), ["tp", "fn", "fp"]].tolist() == [2, 1, 1]
    assert t.loc[("left", "iou"), "sensitivity"] == pytest.approx(2 / 3)
    assert t.loc[("left", "iou"), "precision"] == pytest.approx(2 / 3)
    assert t.loc[("left", "iou"), "f1"] == pytest.approx(2 / 3)
    # within 0.5 s of onset only 0 vs 0.3
    assert t.loc[("left", "onset"), "tp"] == 1
    assert t.loc[("left", "onset"), "f1"] == pytest.approx(1 / 3)
    assert t.loc[("right", "iou"), ["sensitivity", "precision", "f1"]].tolist() == [1, 1, 1]
    # combined: 4 reference, 4 test, 3 matched; errors 0.3, 1.0, 0.2
    row = t.loc[("combined", "iou")]
    assert (row.n_ref, row.n_test, row.tp) == (4, 4, 3)
    assert row.f1 == pytest.approx(0.75)
    assert row.onset_error_median_s == pytest.approx(0.3)
    assert row.onset_error_iqr_s == pytest.approx(0.65 - 0.25)
    assert row.offset_error_mae_s == pytest.approx(0.5)
    stricter = compare_events(ref, test, min_iou=0.4).set_index(["leg", "match"])
    assert stricter.loc[("left", "iou"), "tp"] == 1


def test_compare_events_empty_side():
    t = compare_events(_lms(left=[0, 30]), _lms()).set_index(["leg", "match"])
    row = t.loc[("combined", "iou")]
    assert (row.tp, row.sensitivity) == (0, 0.0) and math.isnan(row.precision)


# ------------------------------------------------------------------ night level
def test_compare_nights_by_hand():
    d = compare_nights(pd.Series([5.0, 10, 20, 30]), pd.Series([7.0, 16, 18, 30]))
    sd = math.sqrt(35 / 3)  # differences 2, 6, -2, 0 around their mean 1.5
    assert d["n_nights"] == 4 and d["bias"] == pytest.approx(1.5)
    assert d["sd_diff"] == pytest.approx(sd)
    assert d["loa_lower"] == pytest.approx(1.5 - 1.96 * sd)
    assert d["loa_upper"] == pytest.approx(1.5 + 1.96 * sd)
    # at 15/h: reference -,-,+,+; test -,+,+,+
    assert (d["tp"], d["fp"], d["fn"], d["tn"]) == (2, 1, 0, 1)
    assert (d["sensitivity"], d["specificity"]) == (1.0, 0.5)
    assert d["kappa"] == pytest.approx(0.5)  # (3/4 - 1/2) / (1 - 1/2)
    assert -1 <= d["pearson_r"] <= 1 and -1 <= d["spearman_rho"] <= 1


def test_icc_absolute_agreement_penalises_a_constant_bias():
    assert icc_a1([1, 2, 3], [2, 3, 4]) == pytest.approx(2 / 3)
    assert icc_a1([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    d = compare_nights({"a": 1.0, "b": 2.0, "c": 3.0}, {"a": 2.0, "b": 3.0, "c": 4.0})
    assert d["icc"] == pytest.approx(2 / 3) and d["pearson_r"] == pytest.approx(1.0)
    assert d["kappa"] is None  # every night below 15/h on both sides


def test_compare_nights_pairs_by_night_and_single_night():
    d = compare_nights({"a": 20.0, "b": 3.0}, {"b": 5.0, "z": 9.0})
    assert d["n_nights"] == 1 and d["bias"] == 2.0 and d["loa_lower"] is None


# ------------------------------------------------------------------ shift
def test_estimate_shift_recovers_a_shifted_copy():
    rng = np.random.default_rng(3)
    ref = np.cumsum(rng.uniform(8, 60, 300))
    assert estimate_shift(ref, ref + 37.4) == pytest.approx(37.4, abs=0.05)
    assert estimate_shift(ref, ref - 80.0) == pytest.approx(-80.0, abs=0.05)
    assert estimate_shift([], ref) == 0.0


def test_validate_auto_shift_realigns_the_events():
    rng = np.random.default_rng(5)
    left = np.cumsum(rng.uniform(8, 40, 80)).round(2)
    ref = _lms(left=left, right=left[::3] + 0.2)
    test = ref.assign(onset=ref["onset"] + 12.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = validate(ref, test)
        v = validate(ref, test, shift_s="auto")
        given = validate(ref, test, shift_s=12.5)
    combined = raw.events.set_index(["leg", "match"]).loc[("combined", "iou")]
    assert combined.f1 < 0.2
    assert v.nights["shift_s"].iloc[0] == pytest.approx(12.5, abs=0.01)
    for res in (v, given):
        assert res.events.set_index(["leg", "match"]).loc[("combined", "iou"), "f1"] == 1.0


def test_non_overlapping_nights_are_refused():
    with pytest.raises(PlmsInputError, match="do not overlap in time"):
        validate(_lms(left=_series(0, 50)), _lms(left=_series(5000, 50)))


@pytest.mark.filterwarnings("ignore:night 'night'. no PLMS index")
def test_different_lengths_warn():
    with pytest.warns(UserWarning, match="cover different lengths"):
        v = validate(_lms(left=_series(0, 300)), _lms(left=_series(0, 60)))
    assert any("different lengths" in w for w in v.warnings)


# ------------------------------------------------------------------ CLI
@pytest.fixture
def folders(tmp_path):
    ref, test = tmp_path / "ref", tmp_path / "test"
    ref.mkdir()
    test.mkdir()
    # PLMS index of a night of 2 h N2: PLMs / 2
    plan = {"a": (40, 40), "b": (10, 16), "c": (60, 0), "x": (5, 5)}
    for stem, (n_ref, n_test) in plan.items():
        if stem != "x":
            _write(ref / f"{stem}.tsv", _lms(left=_series(600, n_ref)))
        if stem != "c":
            _write(test / f"{stem}.tsv", _lms(left=[t + 0.1 for t in _series(600, n_test)]))
    return ref, test


def test_cli_folders(folders, tmp_path, capsys):
    ref, test = folders
    out = tmp_path / "out"
    code, stdout, err = run_cli(["validate", ref, test, "--out", out], capsys)
    assert code == 0, err
    assert "only in the reference, left out: c" in err
    assert "only in the test, left out: x" in err
    assert sorted(p.name for p in out.iterdir()) == ["bland_altman.png", "nights.csv",
                                                     "validation.json"]
    nights = pd.read_csv(out / "nights.csv")
    assert nights["night"].tolist() == ["a", "b"]
    assert nights["ref_plms_index"].tolist() == [20.0, 5.0]
    assert nights["test_plms_index"].tolist() == [20.0, 8.0]
    data = json.loads((out / "validation.json").read_text())
    assert data["nights"]["bias"] == pytest.approx(1.5)
    assert data["nights"]["n_nights"] == 2
    combined = next(r for r in data["events"] if r["leg"] == "combined" and r["match"] == "iou")
    assert (combined["n_ref"], combined["n_test"], combined["tp"]) == (50, 56, 50)
    assert len(data["warnings"]) == 2
    assert "PLMS index bias +1.5/h" in stdout


def test_cli_single_files_with_shift(tmp_path, capsys):
    lms = _lms(left=_series(600, 30), right=_series(900.5, 10))
    ref = _write(tmp_path / "psg.tsv", lms)
    test = _write(tmp_path / "ankle.csv", lms.assign(onset=lms["onset"] + 7.0))
    out = tmp_path / "out"
    code, _, err = run_cli(["validate", ref, test, "--out", out, "--shift", "auto",
                            "--quiet"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["nights.csv", "validation.json"]
    data = json.loads((out / "validation.json").read_text())
    assert data["per_night"][0]["shift_s"] == pytest.approx(7.0, abs=0.01)
    assert all(r["f1"] == 1.0 for r in data["events"])


def test_cli_non_overlapping_writes_nothing(tmp_path, capsys):
    ref = _write(tmp_path / "a.tsv", _lms(left=_series(600, 10)))
    test = _write(tmp_path / "b.tsv", _lms(left=_series(6000, 10)), n_epochs=300)
    out = tmp_path / "out"
    code, _, err = run_cli(["validate", ref, test, "--out", out], capsys)
    assert code == 1
    assert err.count("\n") == 1 and "do not overlap in time" in err and "nothing written" in err
    assert not out.exists() or not list(out.iterdir())


def test_cli_file_against_folder_and_bad_shift(folders, tmp_path, capsys):
    ref, test = folders
    code, _, err = run_cli(["validate", ref / "a.tsv", test, "--out", tmp_path / "o"], capsys)
    assert code == 1 and "two files or two folders" in err
    with pytest.raises(SystemExit) as exc:
        run_cli(["validate", ref, test, "--out", tmp_path / "o", "--shift", "soon"], capsys)
    assert exc.value.code == 2
    assert not (tmp_path / "o").exists()


def test_own_events_tsv_is_read(tmp_path, capsys):
    from plms.pipeline.rescore import rescore

    lms = _lms(left=_series(600, 20), right=_series(600.5, 20))  # bilateral after combining
    src = _write(tmp_path / "n1.tsv", lms)
    result = rescore(src)
    assert (result.events["side"] == "bilateral").any()
    paths = result.write(tmp_path / "scored")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = validate(src, paths["events"])
    assert v.events["leg"].tolist() == ["combined", "combined"]
    assert v.events["f1"].tolist() == [1.0, 1.0]
    assert v.nights["test_plms_index"].iloc[0] == result.summary["plms_index"]


def test_cli_bad_iou_is_a_usage_error(folders, tmp_path, capsys):
    ref, test = folders
    code, _, err = run_cli(["validate", ref, test, "--out", tmp_path / "o", "--iou", "1.5"],
                           capsys)
    assert code == 2 and "--iou" in err and not (tmp_path / "o").exists()


# ------------------------------------------------------------------ issue 12: nothing lost
def _write_rows(path: Path, lms: pd.DataFrame, extra=(), n_epochs: int = 240) -> Path:
    """Like :func:`_write`, with extra (onset, duration, text) rows (respiratory events)."""
    rows = [(30.0 * i, 30.0, "Sleep stage N2") for i in range(n_epochs)] + list(extra)
    rows += [(r.onset, r.duration, f"Leg movement {r.side}") for r in lms.itertuples()]
    rows.sort(key=lambda r: r[0])
    lines = ["onset\tduration\tdescription"] + [f"{a:g}\t{b:g}\t{c}" for a, b, c in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_single_ankle_plms_events_keep_the_plms_index_of_their_summary(tmp_path, capsys):
    """A one-leg night scored by plms (events.tsv + summary.json): its events.tsv holds no
    hypnogram, so rescoring it alone lost the PLMS index. 2 h of N2; the reference has
    40 LMs 20 s apart (one series: 40 PLMS, 20/h), the single ankle 30 (15/h)."""
    from plms.pipeline.rescore import rescore

    ref = _write(tmp_path / "n1.tsv", _lms(left=_series(600, 40)))
    ankle = rescore(_write(tmp_path / "ankle.tsv", _lms(left=_series(600.1, 30))))
    test = ankle.write(tmp_path / "scored")["events"]
    assert not (ankle.events["side"] == "bilateral").any()     # one leg: no bilateral row
    out = tmp_path / "out"
    code, stdout, err = run_cli(["validate", ref, test, "--out", out], capsys)
    assert code == 0, err
    assert "no PLMS index" not in err
    night = pd.read_csv(out / "nights.csv").iloc[0]
    assert night["ref_plms_index"] == pytest.approx(20.0)
    assert night["test_plms_index"] == pytest.approx(15.0)
    assert json.loads((out / "validation.json").read_text())["nights"]["bias"] == \
        pytest.approx(-5.0)
    assert "PLMS index bias -5.0/h" in stdout


def test_missing_plms_index_names_the_side_and_the_reason(tmp_path):
    from plms.pipeline.rescore import rescore

    ref = _write(tmp_path / "n1.tsv", _lms(left=_series(600, 40)))
    paths = rescore(_write(tmp_path / "ankle.tsv", _lms(left=_series(600.1, 30)))).write(
        tmp_path / "scored")
    paths["summary"].unlink()                                   # the events.tsv alone
    with pytest.warns(UserWarning, match="no PLMS index for the test") as caught:
        v = validate(ref, paths["events"])
    note = next(str(w.message) for w in caught if "no PLMS index" in str(w.message))
    assert str(paths["events"]) in note and "ankle.summary.json" in note
    assert "reference" not in note
    assert math.isnan(v.nights["test_plms_index"].iloc[0])
    # a bare table of movements on the reference side: that side is named
    with pytest.warns(UserWarning, match="no PLMS index for the reference.*table of leg"):
        validate(_lms(left=_series(600, 40)), ref)


def test_respiratory_events_on_one_side_only_are_reported(tmp_path, capsys):
    """2 h of N2, left LMs every 20 s from 600 s. The reference also scored an apnea
    900-920 s: the LM at 920 s lies in [end - 2, end + 10.25] s and is respiratory-related
    (RULES.md section 4), so 39 PLMS (19.5/h) against 40 with it kept (20/h)."""
    lms = _lms(left=_series(600, 40))
    apnea = [(900.0, 20.0, "Obstructive apnea")]
    ref, test = tmp_path / "ref", tmp_path / "test"
    ref.mkdir()
    test.mkdir()
    _write_rows(ref / "n1.tsv", lms, apnea)
    _write_rows(test / "n1.tsv", lms.assign(onset=lms["onset"] + 0.1))
    _write_rows(ref / "n2.tsv", lms, apnea)                     # both with: nothing to say
    _write_rows(test / "n2.tsv", lms, apnea)
    out = tmp_path / "out"
    code, stdout, err = run_cli(["validate", ref, test, "--out", out], capsys)
    assert code == 0, err
    nights = pd.read_csv(out / "nights.csv").set_index("night")
    assert nights.loc["n1", "ref_plms_index"] == pytest.approx(19.5)
    assert nights.loc["n1", "ref_plms_index_incl_resp"] == pytest.approx(20.0)
    assert nights.loc["n1", "test_plms_index"] == pytest.approx(20.0)
    assert bool(nights.loc["n1", "ref_respiratory_scored"])
    assert not bool(nights.loc["n1", "test_respiratory_scored"])
    resp = json.loads((out / "validation.json").read_text())["nights"]["respiratory_events"]
    assert resp["only_reference"] == ["n1"] and resp["only_test"] == []
    assert (resp["reference_nights"], resp["test_nights"]) == (2, 1)
    assert "reference had respiratory events and the test not" in resp["note"]
    assert "respiratory events scored on one side only" in stdout
    # the same nights with the apnea on both sides: no note
    both = validate(ref / "n2.tsv", test / "n2.tsv")
    assert both.agreement["respiratory_events"]["note"] is None
    assert not any("respiratory" in w for w in both.warnings)


def test_psg_against_a_single_ankle_night_with_estimated_sleep(tmp_path, capsys):
    """The issue's case end to end: the same generated sleeper (seed) scored from the PSG
    and from one ankle accelerometer with estimated sleep, both by ``plms score``; the
    validation keeps both PLMS indices, those the two summaries report."""
    from plms.simulate import (AccelSpec, NightSpec, simulate_accel_night, simulate_night,
                               write_accel_csv, write_edf)

    seed, hours = 31, 0.5
    psg = write_edf(simulate_night(seed, NightSpec(duration_h=hours, fs_leg=256,
                                                   electrode_off=False)),
                    tmp_path / "night.edf", extra_channels=False)
    ankle = write_accel_csv(simulate_accel_night(seed, AccelSpec(duration_h=hours,
                                                                 fs_hz=50.0)),
                            tmp_path / "night.csv", "left")
    for src, out in ((psg, "ref"), (ankle, "test")):
        code, _, err = run_cli(["score", src, "--out", tmp_path / out, "--quiet",
                                "--write", "nsrr-xml"], capsys)
        assert code == 0, err
    test_summary = json.loads((tmp_path / "test" / "night.summary.json").read_text())
    ref_summary = json.loads((tmp_path / "ref" / "night.summary.json").read_text())
    assert test_summary["sleep_source"] == "estimated from accelerometer"
    assert test_summary["plms_index"] is not None and ref_summary["plms_index"] is not None
    out = tmp_path / "val"
    code, stdout, err = run_cli(["validate", tmp_path / "ref" / "night.events.tsv",
                                 tmp_path / "test" / "night.events.tsv", "--out", out], capsys)
    assert code == 0, err
    assert "no PLMS index" not in err
    row = json.loads((out / "validation.json").read_text())["per_night"][0]
    assert row["ref_plms_index"] == pytest.approx(ref_summary["plms_index"])
    assert row["test_plms_index"] == pytest.approx(test_summary["plms_index"])
    assert "PLMS index bias" in stdout
    # the PSG had respiratory events, the ankle night none: said so
    assert ref_summary["respiratory_scored"] and not test_summary["respiratory_scored"]
    assert "respiratory events scored on one side only" in stdout
    # the hypnograms written beside the events.tsv (--write nsrr-xml): the PSG's stages
    # against the estimate, epoch by epoch, with the TST each summary reports
    sleep = json.loads((out / "validation.json").read_text())["sleep"]
    assert sleep["pooled"]["n_epochs"] > 0 and "sleep/wake" in stdout
    night = sleep["per_night"][0]
    assert night["reference"]["tst_min"] == pytest.approx(ref_summary["tst_min"])
    assert night["test"]["tst_min"] == pytest.approx(test_summary["tst_min"])


def test_the_command_line_matches_events_as_the_python_api_does():
    """`plms validate`'s --iou and --tolerance defaults are the matcher's own."""
    from plms.cli import _build_parser
    from plms.signal.events import DEFAULT_MIN_IOU, DEFAULT_ONSET_TOLERANCE_S

    args = _build_parser().parse_args(["validate", "ref", "test", "--out", "o"])
    assert (args.iou, args.tolerance) == (DEFAULT_MIN_IOU, DEFAULT_ONSET_TOLERANCE_S)
