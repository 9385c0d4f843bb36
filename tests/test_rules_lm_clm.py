"""Hand-derived tests: LM duration edges, same-leg merge, CLM flags, output columns.

Every expected value below is derived by hand from /work/shared/RULES.md
(sections 1-3) and docs/CONTRACT.md; none is computed with plms itself.
"""

from __future__ import annotations

import pandas as pd
import pytest

from plms.hypnogram import Hypnogram
from plms.scoring import apply_rules
from rules_helpers import flags, imis, lm_table, series_ids, train

NAN = float("nan")
PRESETS = ["wasm2016", "aasm"]

# The contract columns in its order, then the plms extras (docs/CONTRACT.md).
CONTRACT_COLUMNS = [
    "onset", "duration", "side", "stage", "clm", "resp", "arousal", "plm",
    "series", "imi", "peak_uv", "lm", "n_parts", "plm_incl_resp", "note",
]


# --- output shape -----------------------------------------------------------

@pytest.mark.parametrize("rules", PRESETS)
def test_output_columns_in_contract_order(rules):
    out = apply_rules(train([0, 20, 40, 60]), rules)
    assert list(out.columns) == CONTRACT_COLUMNS
    assert str(out["series"].dtype) == "Int64"


@pytest.mark.parametrize("rules", PRESETS)
def test_empty_input_gives_empty_table_with_contract_columns(rules):
    out = apply_rules(lm_table(), rules)
    assert len(out) == 0
    assert list(out.columns) == CONTRACT_COLUMNS


# --- minimum duration 0.5 s ---------------------------------------------------

@pytest.mark.parametrize("rules", PRESETS)
def test_lm_of_0_49_s_is_dropped(rules):
    """0.49 s < 0.5 s minimum: not an LM, no row at all."""
    out = apply_rules(lm_table((100, 0.49)), rules)
    assert len(out) == 0


@pytest.mark.parametrize("rules", PRESETS)
def test_lm_of_0_5_s_is_kept_and_is_a_clm(rules):
    """0.5 s is the minimum itself (included): one row, LM and CLM."""
    out = apply_rules(lm_table((100, 0.5)), rules)
    assert len(out) == 1
    row = out.iloc[0]
    assert bool(row["lm"]) and bool(row["clm"])
    assert row["duration"] == pytest.approx(0.5)
    assert int(row["n_parts"]) == 1


@pytest.mark.parametrize(
    "rules, duration, lm, clm",
    [
        ("wasm2016", 10.0, True, True),    # 10.0 s included in 0.5-10 s
        ("wasm2016", 10.01, True, False),  # WASM: stays an LM, not a CLM (breaker)
        ("aasm", 10.0, True, True),
        ("aasm", 10.01, False, False),     # AASM: not a leg movement at all
    ],
)
def test_clm_upper_duration_bound(rules, duration, lm, clm):
    out = apply_rules(lm_table((100, duration)), rules)
    assert len(out) == 1  # the row stays in the table either way
    assert bool(out.iloc[0]["lm"]) is lm
    assert bool(out.iloc[0]["clm"]) is clm


@pytest.mark.parametrize("rules", PRESETS)
def test_dropped_short_lm_breaks_nothing(rules):
    """CLMs at 0,20,40,60 plus a 0.49 s LM at 22.

    If it were kept, IMIs would be 20,2,18,20 and the 2-s IMI would split the
    run into 2 + 3 (no series under either preset). It is dropped, so the
    sequence is 0,20,40,60 with IMIs 20,20,20: one series of 4.
    """
    out = apply_rules(lm_table((0, 1), (20, 1), (22, 0.49), (40, 1), (60, 1)), rules)
    assert out["onset"].tolist() == pytest.approx([0, 20, 40, 60])
    assert flags(out, "plm") == [True] * 4
    assert series_ids(out) == [1, 1, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, 20, 20], nan_ok=True)


@pytest.mark.parametrize("rules", PRESETS)
def test_half_second_lm_is_kept_and_can_break_a_run(rules):
    """Same as above but the extra LM lasts 0.5 s: it is a CLM in the sequence.

    Sequence 0,20,22,40,60, IMIs 20,2,18,20: 2 s < 5 s (and < 10 s) ends the
    run 0,20 (2 CLMs); 22,40,60 is 3 CLMs: no series at all.
    """
    out = apply_rules(lm_table((0, 1), (20, 1), (22, 0.5), (40, 1), (60, 1)), rules)
    assert len(out) == 5
    assert flags(out, "plm") == [False] * 5
    assert imis(out) == pytest.approx([NAN, 20, 2, 18, 20], nan_ok=True)


@pytest.mark.parametrize("rules", PRESETS)
def test_dropped_short_lm_does_not_make_a_bilateral(rules):
    """Left 100-101 and a 0.49 s right burst at 100.5: the burst is dropped
    before legs are combined, so one left monolateral LM remains."""
    out = apply_rules(lm_table((100, 1, "left"), (100.5, 0.49, "right")), rules)
    assert len(out) == 1
    assert out.iloc[0]["side"] == "left"
    assert int(out.iloc[0]["n_parts"]) == 1
    assert out.iloc[0]["duration"] == pytest.approx(1.0)


# --- same-leg merge (offset rule) ---------------------------------------------

@pytest.mark.parametrize("rules", PRESETS)
def test_same_leg_gap_0_4_s_merges_into_one_lm(rules):
    """Left 0-1 and left 1.4-2.4: gap 0.4 < 0.5 -> one left LM 0-2.4 (one LM,
    so one monolateral part)."""
    out = apply_rules(lm_table((0, 1), (1.4, 1)), rules)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["onset"] == pytest.approx(0.0)
    assert row["duration"] == pytest.approx(2.4)
    assert row["side"] == "left"
    assert int(row["n_parts"]) == 1
    assert bool(row["clm"])


@pytest.mark.parametrize("rules", PRESETS)
@pytest.mark.parametrize("gap", [0.5, 0.6])
def test_same_leg_gap_of_half_second_or_more_keeps_two_lms(rules, gap):
    """Gap must be < 0.5 s to merge; 0.5 and 0.6 s leave two left LMs."""
    out = apply_rules(lm_table((0, 1), (1 + gap, 1)), rules)
    assert len(out) == 2
    assert out["side"].tolist() == ["left", "left"]
    assert out["duration"].tolist() == pytest.approx([1.0, 1.0])


@pytest.mark.parametrize("rules, lm", [("wasm2016", True), ("aasm", False)])
def test_merged_duration_decides_clm(rules, lm):
    """Left 0-6 and left 6.4-12.4 merge (gap 0.4) into one 12.4 s LM > 10 s:
    not a CLM; WASM keeps it as an LM (breaker), AASM does not count it."""
    out = apply_rules(lm_table((0, 6), (6.4, 6)), rules)
    assert len(out) == 1
    assert out.iloc[0]["duration"] == pytest.approx(12.4)
    assert bool(out.iloc[0]["clm"]) is False
    assert bool(out.iloc[0]["lm"]) is lm


@pytest.mark.parametrize("rules", PRESETS)
def test_merged_duration_of_10_s_with_float_noise_is_a_clm(rules):
    """Left 0.1-4.8 and 5.2-10.1 merge (gap 0.4) into 0.1-10.1; in floats the
    duration is 10.000000000000002, inside 10 s with the 1e-6 s tolerance."""
    out = apply_rules(lm_table((0.1, 4.7), (5.2, 4.9)), rules)
    assert len(out) == 1
    assert out.iloc[0]["duration"] == pytest.approx(10.0)
    assert bool(out.iloc[0]["clm"])


# --- long LMs: breaker (WASM) versus not an LM (AASM) ---------------------------

LONG_IN_RUN = lm_table(
    (0, 1), (20, 1), (40, 1), (60, 10.01), (80, 1), (100, 1), (120, 1), (140, 1)
)


def test_wasm_long_lm_is_a_breaker_row():
    """WASM: CLMs 0,20,40 | LM 60 (10.01 s, non-CLM) | CLMs 80,100,120,140.

    The breaker ends the run 0,20,40 (3 CLMs: no series); after it, 80 has no
    IMI (NaN) and 80..140 (IMIs 20,20,20) is series 1.
    """
    out = apply_rules(LONG_IN_RUN, "wasm2016")
    assert len(out) == 8
    assert flags(out, "lm") == [True] * 8
    assert flags(out, "clm") == [True, True, True, False, True, True, True, True]
    assert flags(out, "plm") == [False, False, False, False, True, True, True, True]
    assert series_ids(out) == [None, None, None, None, 1, 1, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, 20, NAN, NAN, 20, 20, 20], nan_ok=True)
    assert out.iloc[3]["note"] != ""


def test_aasm_long_lm_is_not_an_lm_and_series_continue_over_it():
    """AASM: the 10.01 s LM is lm=False and removed from the sequence (not a
    breaker). Sequence 0,20,40,80,100,120,140; IMIs 20,20,40,20,20,20 all in
    [5,90]: one series of 7; 80's IMI bridges over the long LM (40 s)."""
    out = apply_rules(LONG_IN_RUN, "aasm")
    assert len(out) == 8
    assert flags(out, "lm") == [True, True, True, False, True, True, True, True]
    assert flags(out, "clm") == [True, True, True, False, True, True, True, True]
    assert flags(out, "plm") == [True, True, True, False, True, True, True, True]
    assert series_ids(out) == [1, 1, 1, None, 1, 1, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, 20, NAN, 40, 20, 20, 20], nan_ok=True)
    assert out.iloc[3]["note"] != ""


@pytest.mark.parametrize("rules", PRESETS)
def test_ordinary_clm_has_empty_note(rules):
    out = apply_rules(train([0, 20, 40, 60]), rules)
    assert out["note"].tolist() == ["", "", "", ""]


# --- stage and peak columns ------------------------------------------------------

@pytest.mark.parametrize("rules", PRESETS)
def test_stage_is_stage_of_onset_epoch(rules):
    """Epochs of 30 s: W N1 N2 N3 R MT U (0-210 s). One LM 5 s into each epoch
    and one at 215 s (past the end). MT, U and outside -> 'n/a'. The N4 label
    would fold into N3 but is not used here."""
    hyp = Hypnogram.from_labels(["W", "N1", "N2", "N3", "R", "MT", "U"], epoch_s=30)
    out = apply_rules(train([5, 35, 65, 95, 125, 155, 185, 215]), rules, hypnogram=hyp)
    assert out["stage"].tolist() == ["W", "N1", "N2", "N3", "R", "n/a", "n/a", "n/a"]


@pytest.mark.parametrize("rules", PRESETS)
def test_stage_is_na_without_hypnogram(rules):
    out = apply_rules(train([0, 20]), rules)
    assert out["stage"].tolist() == ["n/a", "n/a"]


def test_stage_uses_onset_not_middle_of_lm():
    """An LM at 29-31 s straddles epochs 0 (N2) and 1 (W): the onset's epoch counts."""
    hyp = Hypnogram.from_labels(["N2", "W"], epoch_s=30)
    out = apply_rules(lm_table((29, 2)), "wasm2016", hypnogram=hyp)
    assert out["stage"].tolist() == ["N2"]


def test_peak_uv_is_max_of_parts_and_nan_when_absent():
    """WASM bilateral of left 100-102 (30 uV) and right 101-103 (50 uV):
    peak 50. Without a peak_uv column: NaN."""
    with_peak = lm_table((100, 2, "left"), (101, 2, "right"))
    with_peak["peak_uv"] = [30.0, 50.0]
    out = apply_rules(with_peak, "wasm2016")
    assert len(out) == 1
    assert out.iloc[0]["peak_uv"] == pytest.approx(50.0)

    out2 = apply_rules(lm_table((100, 2, "left")), "wasm2016")
    assert pd.isna(out2.iloc[0]["peak_uv"])
