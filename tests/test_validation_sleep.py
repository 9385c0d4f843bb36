"""Sleep/wake validated epoch by epoch (issue 16): figures derived by hand."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pandas as pd
import pytest

from cli_helpers import run_cli
from plms.hypnogram import Hypnogram
from plms.validation import validate
from plms.validation.figures import panels
from plms.validation.sleep import EpochAgreement, compare_epochs, compare_sleep, epoch_pairs

#  epoch:  0    1    2     3     4     5    6     7    8    9
REF = ["W", "W", "N1", "N2", "N2", "U", "N3", "R", "W", "R"]
TEST = ["W", "S", "S", "S", "W", "S", "S", "S", "S", "MT"]


def _hyp(labels, **kw) -> Hypnogram:
    return Hypnogram.from_labels(labels, **kw)


# ------------------------------------------------------------------ one night by hand
def test_confusion_matrix_and_rates_by_hand():
    """Epoch 5 (U) and 9 (MT) are left out; of the other 8: both sleep at 2, 3, 6, 7
    (tp 4), reference sleep and test wake at 4 (fn 1), reference wake and test sleep
    at 1, 8 (fp 2), both wake at 0 (tn 1). Kappa: po = 5/8, reference sleep 5/8 and
    test sleep 6/8, so pe = 5/8 * 6/8 + 3/8 * 2/8 = 36/64 and kappa = (40 - 36) / (64 - 36)."""
    a = compare_epochs(_hyp(REF), _hyp(TEST))
    assert (a.tp, a.fn, a.fp, a.tn) == (4, 1, 2, 1)
    assert (a.n_epochs, a.n_unscored) == (8, 2)
    assert a.accuracy == pytest.approx(5 / 8)
    assert a.sensitivity == pytest.approx(4 / 5)
    assert a.specificity == pytest.approx(1 / 3)
    assert a.always_sleep_accuracy == pytest.approx(5 / 8)
    assert a.kappa == pytest.approx(4 / 28)


def test_one_class_only_gives_no_kappa_and_no_specificity():
    a = EpochAgreement.from_epochs([True] * 4, [True] * 4)
    assert a.accuracy == 1.0 and a.kappa is None and a.specificity is None
    assert a.always_sleep_accuracy == 1.0


def test_shift_reads_the_test_on_the_reference_grid():
    """The test's clock runs 45 s late: its epoch 0 is the reference's 0 s + 45 s."""
    ref = _hyp(["W", "N2", "N2", "W", "R", "W"])
    late = _hyp(["W", "S", "S", "W", "S", "W"], start_s=45.0)
    assert compare_epochs(ref, late, shift_s=45.0).accuracy == 1.0
    # unshifted, reference epoch k takes the test's epoch k - 1 (or none for k = 0)
    r, t, n = epoch_pairs(ref, late)
    assert r.tolist() == [True, True, False, True, False]
    assert t.tolist() == [False, True, True, False, True] and n == 0


def test_only_epochs_in_bed_on_both_sides_count():
    """Reference in bed from 60 s (epoch 2), the test until 240 s (epoch 7 ends there)."""
    ref = _hyp(["N2"] * 10, lights_off_s=60.0)
    test = _hyp(["S"] * 10, lights_on_s=240.0)
    r, _, _ = epoch_pairs(ref, test)
    assert len(r) == 6                                   # epochs 2..7


def test_tst_se_waso_sol_by_hand():
    """Lights 30-330 s: epochs 1-10 in bed (10 epochs, 5 min). Sleep at 2, 3, 6, 7, 9
    (2.5 min, SE 0.5); onset at 60 s, 30 s after lights off; wake between onset and the
    last sleep epoch at 4, 5, 8 (1.5 min); epoch 10 is the final awakening, not WASO."""
    h = _hyp(["W", "W", "N1", "N2", "W", "W", "N2", "R", "W", "N3", "W", "W"],
             lights_off_s=30.0, lights_on_s=330.0)
    assert (h.tib_min, h.tst_min) == (5.0, 2.5)
    assert h.sleep_efficiency == pytest.approx(0.5)
    assert h.sol_min == pytest.approx(0.5)
    assert h.waso_min == pytest.approx(1.5)
    awake = _hyp(["W", "W"])
    assert awake.sleep_efficiency == 0.0 and awake.sol_min is None and awake.waso_min is None


def test_nights_pooled_and_bland_altman_by_hand():
    """Night a: REF/TEST above (tp 4, fn 1, fp 2, tn 1); night b: the same hypnogram on
    both sides (sleep 2, 3, 4, 6, 7, 9: tp 6; wake 0, 1, 8: tn 3; U at 5 left out);
    pooled 14 / 17 right, 11 of the 17 reference epochs sleep. TST: a 3.0 vs 3.5 min
    (+0.5; MT and U are not sleep), b 3.0 vs 3.0 (0): bias 0.25, SD sqrt(0.125)."""
    ref, test = _hyp(REF), _hyp(TEST)
    s = compare_sleep([("a", ref, test, 0.0), ("b", ref, ref, 0.0), ("c", ref, None, 0.0)])
    assert s.n_nights == 2
    p = s.pooled
    assert (p.tp, p.fn, p.fp, p.tn, p.n_unscored) == (10, 1, 2, 4, 3)
    assert p.accuracy == pytest.approx(14 / 17)
    assert p.always_sleep_accuracy == pytest.approx(11 / 17)
    tst = s.figures["tst_min"]
    assert tst["n_nights"] == 2 and tst["bias"] == pytest.approx(0.25)
    sd = math.sqrt(0.125)
    assert tst["sd_diff"] == pytest.approx(sd)
    assert tst["loa_upper"] == pytest.approx(0.25 + 1.96 * sd)
    c = s.nights[2]
    assert c.epochs is None and c.test is None and c.reference is not None
    assert "no hypnogram for the test" in c.note
    frame = s.frame()
    assert list(frame.index) == ["a", "b", "c", "pooled"]
    assert math.isnan(frame.loc["c", "sleep_kappa"])        # null, never 0
    assert frame.loc["pooled", "sleep_accuracy"] == pytest.approx(14 / 17)


# ------------------------------------------------------------------ through validate
def _write_hypnogram(path: Path, labels) -> Path:
    path.write_text("\n".join(labels) + "\n")
    return path


def test_cli_two_hypnogram_files(tmp_path, capsys):
    ref = _write_hypnogram(tmp_path / "psg.txt", REF)
    test = _write_hypnogram(tmp_path / "est.txt", TEST)
    out = tmp_path / "out"
    code, stdout, err = run_cli(["validate", ref, test, "--out", out], capsys)
    assert code == 0, err
    data = json.loads((out / "validation.json").read_text())
    pooled = data["sleep"]["pooled"]
    assert (pooled["tp"], pooled["fn"], pooled["fp"], pooled["tn"]) == (4, 1, 2, 1)
    assert pooled["kappa"] == pytest.approx(4 / 28)
    assert pooled["specificity"] == pytest.approx(1 / 3)
    night = data["sleep"]["per_night"][0]
    assert night["reference"]["tst_min"] == 3.0 and night["test"]["tst_min"] == 3.5
    assert night["reference"]["waso_min"] == pytest.approx(0.5)     # epoch 8
    assert night["test"]["sol_min"] == pytest.approx(0.5)
    row = pd.read_csv(out / "nights.csv").iloc[0]
    assert row["sleep_accuracy"] == pytest.approx(0.625)
    assert row["ref_sleep_efficiency"] == pytest.approx(0.6)
    assert "movement time or unscored on a side, left out" in err
    assert "kappa 0.143" in stdout and "always sleep 0.625" in stdout
    assert "wake specificity 0.333" in stdout
    assert "bland_altman.png" not in {p.name for p in out.iterdir()}   # one night


def test_folders_of_hypnograms_draw_the_sleep_panels(tmp_path, capsys):
    ref, test = tmp_path / "ref", tmp_path / "test"
    ref.mkdir()
    test.mkdir()
    nights = {"n1": (REF, TEST), "n2": (REF, REF), "n3": (["W", "N2", "N2", "N2", "W"],
                                                           ["W", "W", "S", "S", "W"])}
    for stem, (r, t) in nights.items():
        _write_hypnogram(ref / f"{stem}.txt", r)
        _write_hypnogram(test / f"{stem}.txt", t)
    out = tmp_path / "out"
    code, stdout, err = run_cli(["validate", ref, test, "--out", out], capsys)
    assert code == 0, err
    assert (out / "bland_altman.png").stat().st_size > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = validate(ref, test)
    assert [p.label for p in panels(v.nights, v.agreement, v.sleep.figures)] == [
        "TST", "sleep efficiency", "WASO", "sleep onset latency"]
    # TST differences +0.5, 0, -0.5 min: bias 0
    assert v.sleep.figures["tst_min"]["bias"] == pytest.approx(0.0)
    assert "TST bias +0.0 min" in stdout
    summary = v.sleep_summary()
    assert summary.loc["n3", "sleep_kappa"] == pytest.approx(0.32 / 0.52)   # po 0.8, pe 0.48


def _tsv_night(path: Path, stages, lms_onsets=(600.0, 620.0, 640.0, 660.0)) -> Path:
    rows = [(30.0 * i, 30.0, f"Sleep stage {s}") for i, s in enumerate(stages)]
    rows += [(on, 2.0, "Leg movement left") for on in lms_onsets]
    rows.sort(key=lambda r: r[0])
    path.write_text("onset\tduration\tdescription\n"
                    + "".join(f"{a:g}\t{b:g}\t{c}\n" for a, b, c in rows))
    return path


def test_plms_own_output_reads_the_hypnogram_written_beside_it(tmp_path):
    """plms's events.tsv holds no hypnogram: without the --write nsrr-xml file beside it
    the sleep figures are null with a note; with it, they are compared."""
    from plms.outputs.nsrr_xml import write_nsrr_xml
    from plms.pipeline.rescore import rescore

    stages = ["W"] * 4 + ["N2"] * 30 + ["W"] * 2 + ["N2"] * 4
    ref = _tsv_night(tmp_path / "n1.tsv", stages)
    scored = rescore(ref)
    events = scored.write(tmp_path / "own")["events"]
    with pytest.warns(UserWarning, match="no hypnogram for the test.*--write nsrr-xml"):
        v = validate(ref, events)
    assert v.sleep.nights[0].epochs is None and v.sleep.pooled is None
    assert math.isnan(v.nights["sleep_accuracy"].iloc[0])
    assert v.nights["ref_waso_min"].iloc[0] == pytest.approx(1.0)
    write_nsrr_xml(scored, tmp_path / "own" / "n1.plms-nsrr.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = validate(ref, events)
    assert v.sleep.pooled.accuracy == 1.0 and v.sleep.pooled.n_epochs == 40
    # in a folder, the xml beside n1.events.tsv is its hypnogram, not another night
    folder = tmp_path / "refs"
    folder.mkdir()
    _tsv_night(folder / "n1.tsv", stages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = validate(folder, tmp_path / "own")
    assert v.nights["night"].tolist() == ["n1"] and v.sleep.n_nights == 1


def test_psg_xml_with_stages_only_against_an_estimate_through_plms_validate(tmp_path):
    """An NSRR XML with a hypnogram and no leg movement is compared as a hypnogram only:
    its PLMS index is null (not 0 movements), and the sleep is compared."""
    import plms
    from plms.annotations import Annotations
    from plms.outputs.nsrr_xml import write_nsrr_xml
    from plms.pipeline.rescore import rescore

    psg = write_nsrr_xml(rescore(Annotations(hypnogram=_hyp(REF))), tmp_path / "n1.xml")
    est = _write_hypnogram(tmp_path / "n1.txt", TEST)
    with pytest.warns(UserWarning, match="no PLMS index for the reference.*hypnogram only"):
        v = plms.validate(psg, est)
    assert math.isnan(v.nights["ref_plms_index"].iloc[0])
    assert math.isnan(v.nights["ref_n_lm"].iloc[0]) and math.isnan(v.nights["test_n_lm"].iloc[0])
    assert v.agreement["n_nights"] == 0 and len(v.events) == 0
    assert isinstance(v.sleep.pooled, EpochAgreement)
    assert (v.sleep.pooled.tp, v.sleep.pooled.fn, v.sleep.pooled.fp) == (4, 1, 2)
    assert v.sleep.nights[0].reference.tst_min == 3.0
    assert v.to_dict()["sleep"]["n_nights"] == 1


def test_cli_shift_moves_the_test_hypnogram(tmp_path, capsys):
    """The test's clock runs 30 s late: reference epoch k is the test's epoch k + 1."""
    ref = _write_hypnogram(tmp_path / "psg.txt", ["W", "N2", "N2", "W"])
    test = _write_hypnogram(tmp_path / "est.txt", ["W", "W", "S", "S", "W"])
    for shift, accuracy in (("30", 1.0), ("0", 0.5)):
        out = tmp_path / f"out{shift}"
        code, _, err = run_cli(["validate", ref, test, "--out", out, "--shift", shift,
                                "--quiet"], capsys)
        assert code == 0, err
        pooled = json.loads((out / "validation.json").read_text())["sleep"]["pooled"]
        assert (pooled["n_epochs"], pooled["accuracy"]) == (4, accuracy)
