"""Hand-derived tests: combining the two legs (RULES.md section 2).

WASM: LMs of the two legs that overlap, or whose next onset is < 0.5 s after
the (combined) offset, form one bilateral LM; chains grow. Bilateral CLM:
combined duration <= 15 s, <= 4 parts, every part a CLM.
AASM: an LM joins when its onset is < 5 s after the onset of an LM of the
*other* leg already in the group (CONTRACT); each part 0.5-10 s for a CLM.
"""

from __future__ import annotations

import pytest

from plms.scoring import apply_rules
from rules_helpers import flags, imis, lm_table, series_ids

NAN = float("nan")


# --- WASM ------------------------------------------------------------------------

@pytest.mark.parametrize("first, second", [("left", "right"), ("right", "left")])
def test_wasm_overlapping_legs_form_one_bilateral_lm(first, second):
    """100-102 on one leg, 101-103 on the other: overlap -> one LM 100-103
    (3 s), side 'bilateral', 2 parts, a CLM."""
    out = apply_rules(lm_table((100, 2, first), (101, 2, second)), "wasm2016")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["side"] == "bilateral"
    assert int(row["n_parts"]) == 2
    assert row["onset"] == pytest.approx(100.0)
    assert row["duration"] == pytest.approx(3.0)
    assert bool(row["lm"]) and bool(row["clm"])


@pytest.mark.parametrize(
    "gap, n_rows",
    [
        (0.4, 1),  # next onset 0.4 s after the other leg's offset: < 0.5 -> combined
        (0.5, 2),  # 0.5 is not < 0.5 -> separate
        (0.6, 2),
    ],
)
def test_wasm_gap_between_legs(gap, n_rows):
    """Left 100-102, right starts at 102 + gap and lasts 1 s."""
    out = apply_rules(lm_table((100, 2, "left"), (102 + gap, 1, "right")), "wasm2016")
    assert len(out) == n_rows
    if n_rows == 1:
        assert out.iloc[0]["side"] == "bilateral"
        assert out.iloc[0]["duration"] == pytest.approx(3.0 + gap)
        assert int(out.iloc[0]["n_parts"]) == 2
    else:
        assert out["side"].tolist() == ["left", "right"]
        assert out["n_parts"].tolist() == [1, 1]


def test_wasm_chain_of_three_parts():
    """Left 100-102, right 102.3-104.3 (0.3 s after left), left 104.6-105.6
    (0.3 s after the combined offset 104.3; 2.6 s after its own leg, so no
    same-leg merge). Chain grows: one bilateral LM 100-105.6, 3 parts, CLM."""
    out = apply_rules(
        lm_table((100, 2, "left"), (102.3, 2, "right"), (104.6, 1, "left")), "wasm2016"
    )
    assert len(out) == 1
    row = out.iloc[0]
    assert row["side"] == "bilateral"
    assert int(row["n_parts"]) == 3
    assert row["onset"] == pytest.approx(100.0)
    assert row["duration"] == pytest.approx(5.6)
    assert bool(row["clm"])


@pytest.mark.parametrize(
    "right_onset, duration, clm",
    [
        (107.0, 15.0, True),   # left 100-108, right 107-115: 15.0 s <= 15 -> CLM
        (107.5, 15.5, False),  # right 107.5-115.5: 15.5 s > 15 -> non-CLM breaker
    ],
)
def test_wasm_bilateral_combined_duration_limit(right_onset, duration, clm):
    out = apply_rules(lm_table((100, 8, "left"), (right_onset, 8, "right")), "wasm2016")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["side"] == "bilateral"
    assert row["duration"] == pytest.approx(duration)
    assert bool(row["lm"]) is True  # a long bilateral stays an LM under WASM
    assert bool(row["clm"]) is clm


@pytest.mark.parametrize("right_onset, n_plm", [(67.0, 7), (67.5, 0)])
def test_wasm_bilateral_non_clm_breaks_series(right_onset, n_plm):
    """Left CLMs 0,20,40; bilateral left 60-68 + right (67 or 67.5)+8; left
    CLMs 80,100,120 (80 is 5 s / 4.5 s after the bilateral offset: separate).

    15.0 s bilateral is a CLM: 0..120, 7 LMs with IMIs all 20 -> one series of 7.
    15.5 s bilateral is a breaker: 0,20,40 | 80,100,120 -> 3 + 3, no series.
    """
    lms = lm_table(
        (0, 1), (20, 1), (40, 1), (60, 8, "left"), (right_onset, 8, "right"),
        (80, 1), (100, 1), (120, 1),
    )
    out = apply_rules(lms, "wasm2016")
    assert out["onset"].tolist() == pytest.approx([0, 20, 40, 60, 80, 100, 120])
    assert out["side"].tolist()[3] == "bilateral"
    assert sum(flags(out, "plm")) == n_plm
    if n_plm:
        assert series_ids(out) == [1] * 7
    else:
        assert imis(out) == pytest.approx([NAN, 20, 20, NAN, NAN, 20, 20], nan_ok=True)


FIVE_PARTS = [
    (100, 1, "left"),     # 100-101
    (101.2, 1, "right"),  # 101.2-102.2 (0.2 s after 101)
    (102.4, 1, "left"),   # 102.4-103.4 (0.2 s after 102.2; 1.4 s after own leg)
    (103.6, 1, "right"),  # 103.6-104.6
    (104.8, 1, "left"),   # 104.8-105.8
]


@pytest.mark.parametrize(
    "n_parts, duration, clm", [(4, 4.6, True), (5, 5.8, False)]
)
def test_wasm_bilateral_part_count_limit(n_parts, duration, clm):
    """Alternating 1-s LMs 0.2 s apart chain into one bilateral LM; at most 4
    parts may form a CLM; with 5 parts (5.8 s, well under 15 s) it is a non-CLM LM."""
    out = apply_rules(lm_table(*FIVE_PARTS[:n_parts]), "wasm2016")
    assert len(out) == 1
    row = out.iloc[0]
    assert int(row["n_parts"]) == n_parts
    assert row["duration"] == pytest.approx(duration)
    assert bool(row["lm"]) is True
    assert bool(row["clm"]) is clm
    if not clm:
        assert row["note"] != ""


@pytest.mark.parametrize(
    "left_dur, right_onset, duration, clm",
    [
        (10.0, 109.8, 10.8, True),   # left part exactly 10 s is a CLM part
        (10.5, 110.2, 11.2, False),  # left part 10.5 s is not a CLM -> whole LM is not
    ],
)
def test_wasm_bilateral_with_a_long_part_is_not_clm(left_dur, right_onset, duration, clm):
    """Combined duration < 15 s and 2 parts, but every part must be a CLM."""
    out = apply_rules(lm_table((100, left_dur, "left"), (right_onset, 1, "right")), "wasm2016")
    assert len(out) == 1
    assert out.iloc[0]["side"] == "bilateral"
    assert out.iloc[0]["duration"] == pytest.approx(duration)
    assert bool(out.iloc[0]["lm"]) is True
    assert bool(out.iloc[0]["clm"]) is clm


def test_wasm_does_not_use_the_onset_rule():
    """Left 100-101, right 104.9-105.9: onsets 4.9 s apart but a 3.9 s gap:
    WASM keeps two monolateral LMs."""
    out = apply_rules(lm_table((100, 1, "left"), (104.9, 1, "right")), "wasm2016")
    assert out["side"].tolist() == ["left", "right"]


# --- AASM ------------------------------------------------------------------------

@pytest.mark.parametrize("diff, n_rows", [(4.9, 1), (5.0, 2), (5.1, 2)])
def test_aasm_onsets_less_than_5_s_apart_are_one_lm(diff, n_rows):
    """Left 100-101, right onset 100+diff (1 s). Onsets < 5 s apart -> one LM
    100 to 101+diff (earliest onset to latest offset); 5.0 and 5.1 -> two."""
    out = apply_rules(lm_table((100, 1, "left"), (100 + diff, 1, "right")), "aasm")
    assert len(out) == n_rows
    if n_rows == 1:
        row = out.iloc[0]
        assert row["side"] == "bilateral"
        assert int(row["n_parts"]) == 2
        assert row["onset"] == pytest.approx(100.0)
        assert row["duration"] == pytest.approx(1.0 + diff)
        assert bool(row["lm"]) and bool(row["clm"])
    else:
        assert out["side"].tolist() == ["left", "right"]


def test_aasm_same_leg_3_s_apart_stays_two_lms():
    """Left 100-101 and left 103-104: same leg, gap 2 s (no offset merge) and
    the AASM onset rule only joins LMs of *opposite* legs -> two LMs."""
    out = apply_rules(lm_table((100, 1, "left"), (103, 1, "left")), "aasm")
    assert len(out) == 2
    assert out["side"].tolist() == ["left", "left"]
    assert out["n_parts"].tolist() == [1, 1]


@pytest.mark.parametrize("rules, n_rows", [("wasm2016", 1), ("aasm", 2)])
def test_overlap_with_onsets_6_s_apart(rules, n_rows):
    """Left 100-108, right 106-107: they overlap (WASM: one bilateral) but
    their onsets are 6 s apart (AASM, onset rule only: two LMs)."""
    out = apply_rules(lm_table((100, 8, "left"), (106, 1, "right")), rules)
    assert len(out) == n_rows


def test_aasm_chain_has_no_combined_duration_limit():
    """Left 100-103, right 104-114 (onset 4 s after left 100), left 108-118
    (onset 4 s after right 104, a member of the group; 5 s after its own
    leg's offset, so no same-leg merge). AASM: one LM 100-118 (18 s), 3 parts,
    each part <= 10 s -> a CLM (no 15 s limit)."""
    out = apply_rules(
        lm_table((100, 3, "left"), (104, 10, "right"), (108, 10, "left")), "aasm"
    )
    assert len(out) == 1
    row = out.iloc[0]
    assert row["side"] == "bilateral"
    assert int(row["n_parts"]) == 3
    assert row["duration"] == pytest.approx(18.0)
    assert bool(row["clm"])


def test_wasm_same_input_as_aasm_chain():
    """The same three LMs under WASM: left 100-103 then right 104 (1 s gap:
    separate); right 104-114 and left 108-118 overlap -> bilateral 104-118,
    14 s, 2 parts, CLM."""
    out = apply_rules(
        lm_table((100, 3, "left"), (104, 10, "right"), (108, 10, "left")), "wasm2016"
    )
    assert out["side"].tolist() == ["left", "bilateral"]
    assert out["onset"].tolist() == pytest.approx([100, 104])
    assert out["duration"].tolist() == pytest.approx([3, 14])
    assert out["n_parts"].tolist() == [1, 2]
    assert flags(out, "clm") == [True, True]


def test_aasm_bilateral_counts_once_in_a_series_wasm_does_not_combine():
    """Left 0-1, right 2-3, then left 20, 40, 60.

    AASM: onsets 0 and 2 -> one LM; sequence 0,20,40,60: IMIs 20,20,20 ->
    series of 4.
    WASM: gap 1 s -> two LMs; sequence 0,2,20,40,60: IMIs 2,18,20,20; the 2-s
    IMI ends the run at 0 (1 CLM); 2,20,40,60 is a series of 4.
    """
    lms = lm_table((0, 1, "left"), (2, 1, "right"), (20, 1), (40, 1), (60, 1))

    aasm = apply_rules(lms, "aasm")
    assert aasm["side"].tolist() == ["bilateral", "left", "left", "left"]
    assert flags(aasm, "plm") == [True] * 4
    assert imis(aasm) == pytest.approx([NAN, 20, 20, 20], nan_ok=True)

    wasm = apply_rules(lms, "wasm2016")
    assert wasm["side"].tolist() == ["left", "right", "left", "left", "left"]
    assert flags(wasm, "plm") == [False, True, True, True, True]
    assert series_ids(wasm) == [None, 1, 1, 1, 1]
    assert imis(wasm) == pytest.approx([NAN, 2, 18, 20, 20], nan_ok=True)
