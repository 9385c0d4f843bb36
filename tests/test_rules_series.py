"""Hand-derived tests: PLM series, IMIs and wake handling (RULES.md section 3).

WASM: >= 4 consecutive CLMs, every IMI (onset to onset) in [10, 90] s (both
included); a non-CLM LM breaks; after an out-of-range IMI the next CLM may start
a new series; series run over sleep and wake.
AASM: >= 4 consecutive LMs, IMIs in [5, 90] s; wake LMs are dropped before
series are found and the IMI bridges over them.
All LMs are 1 s long on the left leg unless said otherwise.
"""

from __future__ import annotations

import pytest

from plms.hypnogram import Hypnogram
from plms.scoring.indices import compute_summary
from plms.rules import AASM, WASM2016
from plms.scoring import apply_rules
from rules_helpers import flags, imis, lm_table, series_ids, train

NAN = float("nan")
PRESETS = ["wasm2016", "aasm"]


# --- minimum count ---------------------------------------------------------------

@pytest.mark.parametrize("rules", PRESETS)
def test_three_clms_are_not_a_series(rules):
    """0,20,40: IMIs 20,20 in range, but only 3 CLMs < 4."""
    out = apply_rules(train([0, 20, 40]), rules)
    assert flags(out, "plm") == [False, False, False]
    assert series_ids(out) == [None, None, None]
    assert imis(out) == pytest.approx([NAN, 20, 20], nan_ok=True)


@pytest.mark.parametrize("rules", PRESETS)
def test_four_clms_are_a_series(rules):
    """0,20,40,60: IMIs 20,20,20 in range, 4 CLMs -> series 1."""
    out = apply_rules(train([0, 20, 40, 60]), rules)
    assert flags(out, "plm") == [True] * 4
    assert series_ids(out) == [1, 1, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, 20, 20], nan_ok=True)


# --- IMI bounds ----------------------------------------------------------------

@pytest.mark.parametrize(
    "rules, g, is_series",
    [
        ("wasm2016", 10.0, True),    # lower bound included
        ("wasm2016", 90.0, True),    # upper bound included
        ("wasm2016", 9.99, False),
        ("wasm2016", 90.01, False),
        ("wasm2016", 5.0, False),    # in AASM's range, not in WASM's
        ("aasm", 5.0, True),         # AASM lower bound 5 s included
        ("aasm", 4.9, False),
        ("aasm", 90.0, True),
        ("aasm", 90.01, False),
    ],
)
def test_imi_bounds(rules, g, is_series):
    """CLMs at 0, 20, 20+g, 40+g: IMIs 20, g, 20. A series of 4 iff g is in
    range; otherwise 0,20 | 20+g,40+g (2 + 2, nothing). The IMI of the third
    row is g either way (it is in the sequence)."""
    out = apply_rules(train([0, 20, 20 + g, 40 + g]), rules)
    assert flags(out, "plm") == [is_series] * 4
    assert series_ids(out) == ([1] * 4 if is_series else [None] * 4)
    assert imis(out) == pytest.approx([NAN, 20, g, 20], nan_ok=True)


@pytest.mark.parametrize(
    "onsets",
    [
        [6.4, 16.4, 36.4, 56.4],     # 16.4 - 6.4 == 9.999999999999998 in floats
        [38.3, 128.3, 148.3, 168.3],  # 128.3 - 38.3 == 90.00000000000001 in floats
    ],
)
def test_imi_bounds_tolerate_float_noise(onsets):
    """An IMI of exactly 10 s / 90 s written with decimals is still inside
    (CONTRACT: bounds included with a 1e-6 s tolerance) -> series of 4."""
    out = apply_rules(train(onsets), "wasm2016")
    assert flags(out, "plm") == [True] * 4


# --- breaking and restarting ---------------------------------------------------

def test_wasm_clm_after_short_imi_starts_new_series():
    """0,20,40,45,65,85,105: IMIs 20,20,5,20,20,20.
    The 5-s IMI ends run 0,20,40 (3 CLMs: not a series); 45 starts a new run
    45,65,85,105 (4 CLMs): series 1."""
    out = apply_rules(train([0, 20, 40, 45, 65, 85, 105]), "wasm2016")
    assert flags(out, "plm") == [False, False, False, True, True, True, True]
    assert series_ids(out) == [None, None, None, 1, 1, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, 20, 5, 20, 20, 20], nan_ok=True)


def test_aasm_same_onsets_are_one_series():
    """Same 0,20,40,45,65,85,105 under AASM: 5 s is in [5,90] -> one series of 7."""
    out = apply_rules(train([0, 20, 40, 45, 65, 85, 105]), "aasm")
    assert flags(out, "plm") == [True] * 7
    assert series_ids(out) == [1] * 7


def test_wasm_short_imi_splits_into_two_series():
    """0,20,40,60,65,85,105,125: IMIs 20,20,20,5,20,20,20.
    Run 0..60 (4) = series 1; 65 starts run 65..125 (4) = series 2."""
    out = apply_rules(train([0, 20, 40, 60, 65, 85, 105, 125]), "wasm2016")
    assert flags(out, "plm") == [True] * 8
    assert series_ids(out) == [1, 1, 1, 1, 2, 2, 2, 2]


@pytest.mark.parametrize("rules", PRESETS)
def test_lm_after_long_imi_starts_new_run(rules):
    """0,20,40,140,160,180,200: IMIs 20,20,100,20,20,20. 100 > 90 ends run
    0,20,40 (3: nothing); 140 starts run 140..200 (4): series 1. 140's IMI
    (100 s) is still reported."""
    out = apply_rules(train([0, 20, 40, 140, 160, 180, 200]), rules)
    assert flags(out, "plm") == [False, False, False, True, True, True, True]
    assert series_ids(out) == [None, None, None, 1, 1, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, 20, 100, 20, 20, 20], nan_ok=True)


@pytest.mark.parametrize("rules", PRESETS)
def test_series_are_numbered_1_to_k_in_time_order(rules):
    """Three runs of 4 (IMI 20) separated by 140-s IMIs: series 1, 2, 3."""
    onsets = [0, 20, 40, 60, 200, 220, 240, 260, 400, 420, 440, 460]
    out = apply_rules(train(onsets), rules)
    assert series_ids(out) == [1] * 4 + [2] * 4 + [3] * 4
    assert flags(out, "plm") == [True] * 12


@pytest.mark.parametrize("rules", PRESETS)
def test_isolated_clms_between_series_are_not_plm(rules):
    """0..60 (series 1), 300 alone (IMIs 240, 300), 600..660 (series 2)."""
    out = apply_rules(train([0, 20, 40, 60, 300, 600, 620, 640, 660]), rules)
    assert series_ids(out) == [1, 1, 1, 1, None, 2, 2, 2, 2]
    assert flags(out, "plm") == [True] * 4 + [False] + [True] * 4
    assert imis(out) == pytest.approx([NAN, 20, 20, 20, 240, 300, 20, 20, 20], nan_ok=True)


BREAKER_BETWEEN = lm_table(
    (0, 1), (20, 1), (40, 1), (60, 1), (80, 10.5), (100, 1), (120, 1), (140, 1), (160, 1)
)


def test_wasm_breaker_ends_series_and_resets_imi():
    """WASM: 0..60 series 1; LM 80-90.5 (10.5 s) breaks; 100 has no IMI (NaN,
    right after a breaker), 100..160 is series 2. The breaker itself: NaN IMI."""
    out = apply_rules(BREAKER_BETWEEN, "wasm2016")
    assert series_ids(out) == [1, 1, 1, 1, None, 2, 2, 2, 2]
    assert flags(out, "plm") == [True] * 4 + [False] + [True] * 4
    assert imis(out) == pytest.approx(
        [NAN, 20, 20, 20, NAN, NAN, 20, 20, 20], nan_ok=True
    )


def test_aasm_long_lm_does_not_break_and_imi_bridges():
    """AASM: the 10.5 s LM is not an LM; sequence 0,20,40,60,100,..,160 with
    IMIs 20,20,20,40,20,20,20 -> one series of 8; 100's IMI is 40."""
    out = apply_rules(BREAKER_BETWEEN, "aasm")
    assert series_ids(out) == [1, 1, 1, 1, None, 1, 1, 1, 1]
    assert imis(out) == pytest.approx(
        [NAN, 20, 20, 20, NAN, 40, 20, 20, 20], nan_ok=True
    )


@pytest.mark.parametrize("rules, is_series", [("wasm2016", False), ("aasm", True)])
def test_imi_of_6_s(rules, is_series):
    """0,6,12,18: IMIs 6,6,6 -> below WASM's 10 s, inside AASM's [5, 90]."""
    out = apply_rules(train([0, 6, 12, 18]), rules)
    assert flags(out, "plm") == [is_series] * 4


# --- sleep and wake --------------------------------------------------------------

HYP_N2_W_N2 = Hypnogram.from_labels(["N2", "W", "N2"], epoch_s=30)  # W = [30, 60)
ACROSS_WAKE = train([5, 25, 45, 65, 85])  # stages N2 N2 W N2 N2


def test_wasm_series_runs_across_wake_and_plm_take_onset_stage():
    """WASM: IMIs 20,20,20,20 -> one series of 5 over sleep and wake; the PLM
    at 45 s is in W (PLMW), the other 4 in N2 (PLMS)."""
    out = apply_rules(ACROSS_WAKE, "wasm2016", hypnogram=HYP_N2_W_N2)
    assert out["stage"].tolist() == ["N2", "N2", "W", "N2", "N2"]
    assert flags(out, "plm") == [True] * 5
    assert series_ids(out) == [1] * 5
    s = compute_summary(out, WASM2016, HYP_N2_W_N2)
    assert s["n_plm"] == 5
    assert s["n_plms"] == 4
    assert s["n_plmw"] == 1


def test_aasm_drops_wake_lm_and_imi_bridges():
    """AASM: 45 s (W) is dropped: sequence 5,25,65,85, IMIs 20,40,20 -> series
    of 4; the wake row stays in the table, not PLM, NaN IMI, with a note."""
    out = apply_rules(ACROSS_WAKE, "aasm", hypnogram=HYP_N2_W_N2)
    assert out["stage"].tolist() == ["N2", "N2", "W", "N2", "N2"]
    assert flags(out, "plm") == [True, True, False, True, True]
    assert series_ids(out) == [1, 1, None, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, NAN, 40, 20], nan_ok=True)
    assert out.iloc[2]["note"] != ""
    s = compute_summary(out, AASM, HYP_N2_W_N2)
    assert s["n_plms"] == 4
    assert s["n_plmw"] is None
    assert s["plmw_index"] is None
    assert any(("plmw" in w.lower()) or ("wake" in w.lower()) for w in s["warnings"])


@pytest.mark.parametrize("rules, plm", [
    # WASM: IMIs 20,20,3,17,20: runs 5,25,45 and 48,65,85 (3 + 3): nothing.
    ("wasm2016", [False] * 6),
    # AASM: 45 and 48 (W) dropped before series: 5,25,65,85, IMIs 20,40,20 ->
    # series of 4 (the 3-s IMI, < 5 s, never enters the sequence).
    ("aasm", [True, True, False, False, True, True]),
])
def test_wake_lms_with_short_imi(rules, plm):
    out = apply_rules(train([5, 25, 45, 48, 65, 85]), rules, hypnogram=HYP_N2_W_N2)
    assert out["stage"].tolist() == ["N2", "N2", "W", "W", "N2", "N2"]
    assert flags(out, "plm") == plm


def test_aasm_without_hypnogram_drops_nothing():
    """No hypnogram: every stage is 'n/a', nothing is wake, nothing dropped."""
    out = apply_rules(ACROSS_WAKE, "aasm")
    assert flags(out, "plm") == [True] * 5
    assert imis(out) == pytest.approx([NAN, 20, 20, 20, 20], nan_ok=True)
