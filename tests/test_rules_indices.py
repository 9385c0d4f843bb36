"""Hand-derived tests: sleep times and indices (RULES.md section 5, CONTRACT summary).

Figures are worked out by hand in each docstring. "In sleep" = stage N1, N2,
N3 or R and the onset's epoch in TIB (between the lights markers).
All LMs are 1 s long on the left leg unless said otherwise.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from plms.hypnogram import Hypnogram
from plms.scoring.indices import compute_summary
from plms.rules import AASM, WASM2016
from plms.scoring import apply_rules
from rules_helpers import lm_table, series_ids, train


def events(*rows):
    return pd.DataFrame(
        [{"onset": float(o), "duration": float(d)} for o, d in rows],
        columns=["onset", "duration"],
    ).astype(float)


def warned(summary, *words):
    """Some warning mentions one of ``words`` (case-insensitive)."""
    return any(any(w in msg.lower() for w in words) for msg in summary["warnings"])


def all_n2(n_epochs=120):
    """n epochs of 30 s, all N2 (120 epochs: TST = TIB = 60 min, wake 0)."""
    return Hypnogram.from_labels(["N2"] * n_epochs, epoch_s=30)


# --- a constructed night ---------------------------------------------------------
#
# 120 epochs of 30 s (60 min): epochs 0-9 W, 10-89 N2, 90-109 R, 110-119 W.
# TIB 60 min, TST 50 min (N2 40 + R 10), wake 10 min.
#
#   A  100,120,140,160        epochs 3-5     W    IMIs 20      (WASM: a PLMW series)
#   B  600,620,640,660        epochs 20-22   N2   IMIs 20      (PLMS series)
#   C  1500                   epoch 50       N2   isolated
#   D  2000, 2005             epoch 66       N2   IMI 5
#   E  2400, 12 s long        epoch 80       N2   WASM breaker; AASM not an LM
#   F  2800,2820,2840,2860    epochs 93-95   R    IMIs 20      (PLMS series)
#   G  3400                   epoch 113      W    isolated
#
# 17 rows.

NIGHT_HYP = Hypnogram.from_labels(
    ["W"] * 10 + ["N2"] * 80 + ["R"] * 20 + ["W"] * 10, epoch_s=30
)
NIGHT_LMS = lm_table(
    (100, 1), (120, 1), (140, 1), (160, 1),
    (600, 1), (620, 1), (640, 1), (660, 1),
    (1500, 1),
    (2000, 1), (2005, 1),
    (2400, 12),
    (2800, 1), (2820, 1), (2840, 1), (2860, 1),
    (3400, 1),
)


@pytest.fixture(scope="module")
def wasm_night():
    events_ = apply_rules(NIGHT_LMS, "wasm2016", hypnogram=NIGHT_HYP)
    return events_, compute_summary(events_, WASM2016, NIGHT_HYP)


@pytest.fixture(scope="module")
def aasm_night():
    events_ = apply_rules(NIGHT_LMS, "aasm", hypnogram=NIGHT_HYP)
    return events_, compute_summary(events_, AASM, NIGHT_HYP)


def test_night_times(wasm_night):
    _, s = wasm_night
    assert s["tib_min"] == pytest.approx(60.0)
    assert s["tst_min"] == pytest.approx(50.0)
    assert s["wake_min"] == pytest.approx(10.0)


def test_wasm_night_series(wasm_night):
    """WASM series: A (1), B (2), F (3); C, D, G isolated; E breaks (F starts
    right after it, so F's first IMI is NaN)."""
    ev, _ = wasm_night
    assert series_ids(ev) == [1] * 4 + [2] * 4 + [None] * 4 + [3] * 4 + [None]


def test_wasm_night_counts(wasm_night):
    """n_lm 17 (all rows), n_clm 16 (all but E), n_plm 12 (A, B, F),
    n_plms 8 (B in N2 + F in R), n_plmw 4 (A in W), no resp scored."""
    _, s = wasm_night
    assert s["n_lm"] == 17
    assert s["n_clm"] == 16
    assert s["n_plm"] == 12
    assert s["n_plms"] == 8
    assert s["n_plmw"] == 4
    assert s["n_clm_resp"] == 0


def test_wasm_night_indices(wasm_night):
    """TST 50 min = 5/6 h, wake 10 min = 1/6 h.
    plms_index  = 8 / (5/6)  = 9.6
    plmw_index  = 4 / (1/6)  = 24.0
    lms_index   = 12 / (5/6) = 14.4   (lm in sleep: B4 C1 D2 E1 F4)
    clms_index  = 11 / (5/6) = 13.2   (clm in sleep: B4 C1 D2 F4)
    plm_clm_ratio = 8 / 11
    """
    _, s = wasm_night
    assert s["plms_index"] == pytest.approx(9.6)
    assert s["plmw_index"] == pytest.approx(24.0)
    assert s["lms_index"] == pytest.approx(14.4)
    assert s["clms_index"] == pytest.approx(13.2)
    assert s["plm_clm_ratio"] == pytest.approx(8 / 11)
    assert s["plms_arousal_index"] is None  # arousals not scored


def test_wasm_night_imi_counts(wasm_night):
    """Non-NaN IMIs of rows in sleep: 600 (440), 620/640/660 (20), 1500 (840),
    2000 (500), 2005 (5), 2820/2840/2860 (20); 2800 is NaN (after breaker E),
    A and G are in wake. -> lt10 1, 10to90 6, gt90 3."""
    _, s = wasm_night
    assert s["imi_counts"] == {"lt10": 1, "10to90": 6, "gt90": 3}


def test_wasm_night_periodicity(wasm_night):
    """Runs (>= 3 consecutive IMIs in [10, 90]) in the whole sequence: A's
    three IMIs (wake rows), B's three, F's three. Sleep rows with an IMI: 10
    (see imi_counts); of those in runs: B's 3 + F's 3 = 6 -> 6/10 = 0.6."""
    _, s = wasm_night
    assert s["periodicity_index"] == pytest.approx(0.6)


def test_aasm_night_series_and_counts(aasm_night):
    """AASM: A and G (wake) dropped, E not an LM. Sequence 600..660, 1500,
    2000, 2005, 2800..2860 with IMIs NaN,20,20,20, 840, 500, 5, 795, 20,20,20.
    Series: B (1), F (2); 2000,2005 is a run of 2 only.
    n_lm 16 (all but E), n_clm 16, n_plm = n_plms = 8, PLMW undefined."""
    ev, s = aasm_night
    assert series_ids(ev) == [None] * 4 + [1] * 4 + [None] * 4 + [2] * 4 + [None]
    assert s["n_lm"] == 16
    assert s["n_clm"] == 16
    assert s["n_plm"] == 8
    assert s["n_plms"] == 8
    assert s["n_plmw"] is None
    assert s["plmw_index"] is None
    assert warned(s, "plmw", "wake")


def test_aasm_night_indices(aasm_night):
    """plms_index 8/(5/6) = 9.6; lms_index 11/(5/6) = 13.2 (E is not an LM);
    clms_index 11/(5/6) = 13.2; plm_clm_ratio 8/11; periodicity: sleep rows
    with an IMI are 620,640,660,1500,2000,2005,2800,2820,2840,2860 (10; 600 is
    first in the AASM sequence), in runs B's 3 + F's 3 -> 0.6."""
    _, s = aasm_night
    assert s["plms_index"] == pytest.approx(9.6)
    assert s["lms_index"] == pytest.approx(13.2)
    assert s["clms_index"] == pytest.approx(13.2)
    assert s["plm_clm_ratio"] == pytest.approx(8 / 11)
    assert s["periodicity_index"] == pytest.approx(0.6)


def test_summary_names_rules_and_is_json_ready(wasm_night, aasm_night):
    for (_, s), name, imi_min in ((wasm_night, "wasm2016", 10.0), (aasm_night, "aasm", 5.0)):
        assert s["rules"] == name
        assert s["rules_detail"]["imi_min_s"] == pytest.approx(imi_min)
        assert s["respiratory_scored"] is False
        assert s["arousals_scored"] is False
        json.dumps(s)  # plain Python types only (no numpy scalars)


# --- lights markers --------------------------------------------------------------

def test_lights_markers_limit_tib_and_what_counts():
    """Epochs 0-3 W, 4-115 N2, 116-117 W, 118-119 N2; lights off 60 s (start of
    epoch 2), on 3540 s (end of epoch 117). TIB = epochs 2..117 = 116 -> 58 min;
    wake in TIB = epochs 2,3,116,117 -> 2 min; TST = epochs 4..115 -> 56 min.

    WASM series: 5,20,35,50 (W, epochs 0-1, before lights off) = series 1;
    600..660 (N2) = series 2; 3485..3530 (W in TIB, epochs 116-117) and
    3545..3590 (N2 after lights on, epochs 118-119), IMIs 15 throughout =
    series 3 of 8. n_plm 16; n_plms 4 (only 600..660); n_plmw 4 (3485..3530).
    plms_index = 4 / (56/60) = 30/7; plmw_index = 4 / (2/60) = 120.
    """
    hyp = Hypnogram.from_labels(
        ["W"] * 4 + ["N2"] * 112 + ["W"] * 2 + ["N2"] * 2,
        epoch_s=30, lights_off_s=60, lights_on_s=3540,
    )
    onsets = [5, 20, 35, 50, 600, 620, 640, 660,
              3485, 3500, 3515, 3530, 3545, 3560, 3575, 3590]
    ev = apply_rules(train(onsets), "wasm2016", hypnogram=hyp)
    assert series_ids(ev) == [1] * 4 + [2] * 4 + [3] * 8
    s = compute_summary(ev, WASM2016, hyp)
    assert s["tib_min"] == pytest.approx(58.0)
    assert s["wake_min"] == pytest.approx(2.0)
    assert s["tst_min"] == pytest.approx(56.0)
    assert s["n_plm"] == 16
    assert s["n_plms"] == 4
    assert s["n_plmw"] == 4
    assert s["plms_index"] == pytest.approx(30 / 7)
    assert s["plmw_index"] == pytest.approx(120.0)
    assert s["lms_index"] == pytest.approx(30 / 7)


# --- figures that cannot be computed ---------------------------------------------

def test_no_hypnogram_gives_none_times_and_indices_but_counts():
    """0,20,40,60,65: IMIs 20,20,20,5 -> series 0..60. Counts: n_lm 5, n_clm 5,
    n_plm 4. No hypnogram: times and per-hour indices None (never 0), with a
    warning. Periodicity over all rows: IMIs 20,20,20 form a run of 3, the 5 is
    outside -> 3/4."""
    ev = apply_rules(train([0, 20, 40, 60, 65]), "wasm2016")
    s = compute_summary(ev, WASM2016, None)
    assert s["n_lm"] == 5
    assert s["n_clm"] == 5
    assert s["n_plm"] == 4
    for key in ("tst_min", "tib_min", "wake_min", "plms_index", "plmw_index",
                "lms_index", "clms_index"):
        assert s[key] is None, key
    assert s["periodicity_index"] == pytest.approx(0.75)
    assert warned(s, "hypnogram")


def test_no_wake_time_gives_plmw_index_none():
    """All N2, 60 min: wake 0 min -> plmw_index None (not 0) with a warning;
    n_plmw 0; plms_index 4 / 1 h = 4.0."""
    hyp = all_n2()
    ev = apply_rules(train([0, 20, 40, 60]), "wasm2016", hypnogram=hyp)
    s = compute_summary(ev, WASM2016, hyp)
    assert s["wake_min"] == pytest.approx(0.0)
    assert s["n_plmw"] == 0
    assert s["plmw_index"] is None
    assert warned(s, "plmw", "wake")
    assert s["plms_index"] == pytest.approx(4.0)


def test_no_sleep_time_gives_sleep_indices_none():
    """4 epochs, all W (2 min): TST 0 -> plms/lms/clms index None with a
    warning. WASM: 0..60 is a series in wake -> n_plmw 4, plmw_index 4/(2/60) = 120."""
    hyp = Hypnogram.from_labels(["W"] * 4, epoch_s=30)
    ev = apply_rules(train([0, 20, 40, 60]), "wasm2016", hypnogram=hyp)
    s = compute_summary(ev, WASM2016, hyp)
    assert s["tst_min"] == pytest.approx(0.0)
    assert s["plms_index"] is None
    assert s["lms_index"] is None
    assert s["clms_index"] is None
    assert s["warnings"]
    assert s["n_plmw"] == 4
    assert s["plmw_index"] == pytest.approx(120.0)


def test_no_movements_gives_zero_index_and_none_periodicity():
    """No LMs in 60 min of N2: plms_index is computable and 0.0; no IMIs ->
    periodicity None; no CLMs -> plm_clm_ratio None (0/0)."""
    hyp = all_n2()
    ev = apply_rules(lm_table(), "wasm2016", hypnogram=hyp)
    s = compute_summary(ev, WASM2016, hyp)
    assert s["n_lm"] == 0
    assert s["n_plm"] == 0
    assert s["plms_index"] == pytest.approx(0.0)
    assert s["lms_index"] == pytest.approx(0.0)
    assert s["periodicity_index"] is None
    assert s["plm_clm_ratio"] is None


# --- arousal and respiratory figures ---------------------------------------------

def test_plms_arousal_index():
    """N2 60 min. Series 0,20,40,60 and isolated CLM 300. Arousals 21-24
    (on the PLM at 20), 59.6-59.8 (within 59.5, before the PLM at 60) and
    301-302 (on the non-PLM at 300). Arousal-related PLMS: 2 -> 2.0 /h."""
    hyp = all_n2()
    ev = apply_rules(
        train([0, 20, 40, 60, 300]), "wasm2016", hypnogram=hyp,
        arousals=events((21, 3), (59.6, 0.2), (301, 1)),
    )
    assert [bool(x) for x in ev["arousal"]] == [False, True, False, True, True]
    s = compute_summary(ev, WASM2016, hyp, arousals_scored=True)
    assert s["arousals_scored"] is True
    assert s["plms_arousal_index"] == pytest.approx(2.0)


def test_arousals_not_scored_gives_none_arousal_index():
    hyp = all_n2()
    ev = apply_rules(train([0, 20, 40, 60]), "wasm2016", hypnogram=hyp, arousals=None)
    s = compute_summary(ev, WASM2016, hyp, arousals_scored=False)
    assert s["plms_arousal_index"] is None
    assert warned(s, "arousal")


def test_respiratory_figures():
    """N2 60 min. CLMs 0,20,40,60,80; apnea 25-35 (WASM window [33, 45.25])
    catches 40. Without it: series 0,20,60,80 (IMIs 20,40,20) -> 4 PLMS ->
    plms_index 4.0; with it kept: 5 -> plms_index_incl_resp 5.0.
    n_clm 5 (incl. resp), n_clm_resp 1, clms_index 5.0,
    plm_clm_ratio = 4 / (5 CLMs - 1 CLMr) = 1.0."""
    hyp = all_n2()
    ev = apply_rules(
        train([0, 20, 40, 60, 80]), "wasm2016", hypnogram=hyp, respiratory=events((25, 10))
    )
    s = compute_summary(ev, WASM2016, hyp, respiratory_scored=True)
    assert s["respiratory_scored"] is True
    assert s["n_clm"] == 5
    assert s["n_clm_resp"] == 1
    assert s["n_plm"] == 4
    assert s["plms_index"] == pytest.approx(4.0)
    assert s["plms_index_incl_resp"] == pytest.approx(5.0)
    assert s["clms_index"] == pytest.approx(5.0)
    assert s["plm_clm_ratio"] == pytest.approx(1.0)


# --- IMI distribution and periodicity ------------------------------------------

def test_imi_counts_bin_edges():
    """N2 60 min. Onsets 0,5,15,105,205,214.99,305 -> IMIs 5, 10, 90, 100,
    9.99, 90.01. 10 and 90 are in the middle bin: lt10 2, 10to90 2, gt90 2.
    (No series: the longest in-range run is 5,15,105 = 3 CLMs.)"""
    hyp = all_n2()
    ev = apply_rules(train([0, 5, 15, 105, 205, 214.99, 305]), "wasm2016", hypnogram=hyp)
    s = compute_summary(ev, WASM2016, hyp)
    assert s["n_plm"] == 0
    assert s["imi_counts"] == {"lt10": 2, "10to90": 2, "gt90": 2}


@pytest.mark.parametrize(
    "onsets, expected",
    [
        # IMIs 20,20,20 | 5 | 20,20 | 95 | 20: only the first run has >= 3 -> 3/8
        ([0, 20, 40, 60, 65, 85, 105, 200, 220], 3 / 8),
        # IMIs 20,20: a run of 2 only -> 0/2 (computable, so 0.0, not None)
        ([0, 20, 40], 0.0),
        # IMIs 20,20,20: one run of 3 -> 3/3
        ([0, 20, 40, 60], 1.0),
        # IMIs 10,90,90: bounds included -> one run of 3 -> 3/3
        ([0, 10, 100, 190], 1.0),
        # IMIs 9.99,90,90: the first is out, the run is 2 long -> 0/3
        ([0, 9.99, 99.99, 189.99], 0.0),
    ],
)
def test_periodicity_index(onsets, expected):
    hyp = all_n2()
    ev = apply_rules(train(onsets), "wasm2016", hypnogram=hyp)
    s = compute_summary(ev, WASM2016, hyp)
    assert s["periodicity_index"] == pytest.approx(expected)


def test_periodicity_runs_are_found_over_the_whole_sequence():
    """Epochs N2, W, N2 x6. WASM CLMs 5 (N2), 25 (N2), 45 (W), 65 (N2), 200 (N2):
    IMIs 20, 20, 20, 135. The run 20,20,20 (rows 25, 45, 65) has length 3 in
    the whole sequence; sleep rows with an IMI: 25, 65, 200 (3); of those in
    the run: 25, 65 -> 2/3. (Counting runs among sleep IMIs only would give 0.)"""
    hyp = Hypnogram.from_labels(["N2", "W"] + ["N2"] * 6, epoch_s=30)
    ev = apply_rules(train([5, 25, 45, 65, 200]), "wasm2016", hypnogram=hyp)
    assert ev["stage"].tolist() == ["N2", "N2", "W", "N2", "N2"]
    s = compute_summary(ev, WASM2016, hyp)
    assert s["periodicity_index"] == pytest.approx(2 / 3)


def test_unstaged_sleep_counts_as_sleep_but_has_no_stage_breakdown():
    """An actigraphy hypnogram: 20 epochs W (10 min) then 100 epochs S (50 min).
    Movements at 0,20,40,60 s (wake) and 900,920,940,960 s (S): each group is a
    series of 4. TST 50 min -> PLMS index 4 / (50/60) = 4.8; PLMW 4 / (10/60) = 24.
    By stage cannot be said: None with a warning, never four zeros."""
    hyp = Hypnogram.from_labels(["W"] * 20 + ["S"] * 100, epoch_s=30)
    assert not hyp.staged
    ev = apply_rules(train([0, 20, 40, 60, 900, 920, 940, 960]), "wasm2016", hypnogram=hyp)
    assert ev["stage"].tolist() == ["W"] * 4 + ["S"] * 4
    s = compute_summary(ev, WASM2016, hyp)
    assert s["tst_min"] == pytest.approx(50.0)
    assert s["n_plms"] == 4
    assert s["plms_index"] == pytest.approx(4.8)
    assert s["plmw_index"] == pytest.approx(24.0)
    assert s["plms_by_stage"] is None
    assert warned(s, "not staged")
    assert s["plms_by_hour"] == [4]


# --- figures per hour of recording (no sleep scoring needed) ----------------------

#: 8 leg movements in a 2-h recording: a series of 4 (IMIs 20 s) and 4 isolated ones.
RECORDING_LMS = train([600, 620, 640, 660, 1800, 3000, 4200, 6000])


@pytest.mark.parametrize("rules", [WASM2016, AASM])
def test_no_hypnogram_gives_indices_per_hour_of_recording(rules):
    """No hypnogram, 2 h recorded: 8 LM / 2 h = 4.0/h; the 4-member series (600-660)
    is PLM under both presets (without stages nothing is wake, so AASM drops
    nothing): 4 PLM / 2 h = 2.0/h. Sleep figures stay None."""
    ev = apply_rules(RECORDING_LMS, rules)
    assert ev["plm"].tolist() == [True] * 4 + [False] * 4
    s = compute_summary(ev, rules, None, recording_duration_s=7200.0)
    assert s["recording_min"] == pytest.approx(120.0)
    assert s["lm_index_recording"] == pytest.approx(4.0)
    assert s["plm_index_recording"] == pytest.approx(2.0)
    for key in ("tst_min", "plms_index", "lms_index", "n_plms"):
        assert s[key] is None, key
    assert warned(s, "per hour of recording")
    json.dumps(s)


def test_recording_indices_with_a_hypnogram_count_wake_too(wasm_night, aasm_night):
    """The constructed night, 60 min recorded. WASM: 17 LM -> 17/h; PLM series A (wake),
    B, F = 12 -> 12/h. AASM: E (12 s) is not an LM -> 16/h; A is in wake and
    dropped -> 8 PLM -> 8/h."""
    for (ev, _), rules, n_lm, n_plm in ((wasm_night, WASM2016, 17, 12),
                                        (aasm_night, AASM, 16, 8)):
        s = compute_summary(ev, rules, NIGHT_HYP, recording_duration_s=3600.0)
        assert s["lm_index_recording"] == pytest.approx(float(n_lm))
        assert s["plm_index_recording"] == pytest.approx(float(n_plm))
        assert s["plms_index"] is not None


@pytest.mark.parametrize("duration", [None, 0.0, float("nan")])
def test_unknown_recording_length_gives_none_recording_indices(duration):
    ev = apply_rules(RECORDING_LMS, WASM2016)
    s = compute_summary(ev, WASM2016, None, recording_duration_s=duration)
    assert s["recording_min"] is None
    assert s["lm_index_recording"] is None and s["plm_index_recording"] is None
    assert warned(s, "recording length unknown")


def test_printed_figures_without_sleep_show_the_recording_indices():
    """What ``plms score`` prints for a night without hypnogram: the sleep figures
    are n/a, the figures per hour of recording are there (8 LM, 4 PLM in 2 h)."""
    from plms.pipeline.core import score_lms

    result = score_lms(RECORDING_LMS, extra_summary={"recording_duration_s": 7200.0})
    shown = result.key_figures()["value"]
    assert shown["PLMS index"] == "n/a"
    assert shown["PLM, whole recording"] == "4"
    assert shown["LM per hour of recording"] == "4.0"
    assert shown["PLM per hour of recording"] == "2.0"
    with_sleep = score_lms(RECORDING_LMS, hypnogram=Hypnogram.from_labels(["N2"] * 240),
                           extra_summary={"recording_duration_s": 7200.0})
    assert with_sleep.summary["plm_index_recording"] == pytest.approx(2.0)
    assert "PLM per hour of recording" not in with_sleep.key_figures().index
