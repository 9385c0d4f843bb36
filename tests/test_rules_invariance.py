"""Properties that need no derivation: inputs are never mutated, output rows
are sorted by onset, and the order of input rows changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plms.hypnogram import Hypnogram
from plms.scoring.indices import compute_summary
from plms.rules import get_rules
from plms.scoring import apply_rules

PRESETS = ["wasm2016", "aasm"]

# A mixed night: bilateral pairs, a long LM, a short burst, same-leg merge,
# wake, resp- and arousal-related movements, a peak column.
RICH_LMS = pd.DataFrame(
    [
        (0.0, 1.0, "left", 20.0),
        (20.0, 1.0, "left", 21.0),
        (20.5, 1.0, "right", 35.0),    # bilateral with the one above
        (40.0, 1.0, "left", 22.0),
        (41.3, 0.3, "left", 99.0),     # short burst: dropped
        (60.0, 1.0, "right", 23.0),
        (61.4, 1.0, "right", 24.0),    # same-leg merge with the one above
        (80.0, 12.0, "left", 25.0),    # long LM
        (100.0, 1.0, "left", 26.0),
        (103.0, 1.0, "right", 27.0),   # AASM: onsets 3 s apart -> one LM
        (120.0, 1.0, "left", 28.0),
        (140.0, 1.0, "left", 29.0),
        (160.0, 1.0, "left", 30.0),
        (185.0, 1.0, "right", 31.0),
        (205.0, 1.0, "left", 32.0),
        (225.0, 1.0, "left", 33.0),
        (245.0, 1.0, "left", 34.0),
    ],
    columns=["onset", "duration", "side", "peak_uv"],
)
RICH_RESP = pd.DataFrame({"onset": [130.0], "duration": [8.0]})
RICH_AROUSALS = pd.DataFrame({"onset": [41.0, 206.0], "duration": [3.0, 3.0]})
RICH_HYP = Hypnogram.from_labels(["N2"] * 6 + ["W"] + ["N2"] * 3, epoch_s=30)


def run(lms, rules, resp=RICH_RESP, arousals=RICH_AROUSALS):
    return apply_rules(lms, rules, hypnogram=RICH_HYP, respiratory=resp, arousals=arousals)


@pytest.mark.parametrize("rules", PRESETS)
def test_inputs_are_not_mutated(rules):
    lms = RICH_LMS.copy(deep=True)
    resp, ar = RICH_RESP.copy(deep=True), RICH_AROUSALS.copy(deep=True)
    run(lms, rules, resp, ar)
    pd.testing.assert_frame_equal(lms, RICH_LMS)
    pd.testing.assert_frame_equal(resp, RICH_RESP)
    pd.testing.assert_frame_equal(ar, RICH_AROUSALS)


@pytest.mark.parametrize("rules", PRESETS)
def test_summary_does_not_mutate_events(rules):
    events = run(RICH_LMS, rules)
    before = events.copy(deep=True)
    compute_summary(events, get_rules(rules), RICH_HYP, respiratory_scored=True,
                    arousals_scored=True)
    pd.testing.assert_frame_equal(events, before)


@pytest.mark.parametrize("rules", PRESETS)
def test_output_sorted_by_onset(rules):
    out = run(RICH_LMS.iloc[::-1].reset_index(drop=True), rules)
    assert out["onset"].is_monotonic_increasing
    assert len(out) > 0


@pytest.mark.parametrize("rules", PRESETS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffled_input_gives_identical_output(rules, seed):
    reference = run(RICH_LMS, rules).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    shuffled = RICH_LMS.iloc[rng.permutation(len(RICH_LMS))]  # keeps a scrambled index
    out = run(shuffled, rules).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, reference)


@pytest.mark.parametrize("rules", PRESETS)
def test_shuffled_event_tables_give_identical_output(rules):
    reference = run(RICH_LMS, rules).reset_index(drop=True)
    out = run(
        RICH_LMS, rules,
        resp=RICH_RESP.iloc[::-1],
        arousals=RICH_AROUSALS.iloc[::-1],
    ).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, reference)


@pytest.mark.parametrize("rules", PRESETS)
def test_left_right_swap_changes_only_side_labels(rules):
    """Mirroring the legs changes nothing but 'left' <-> 'right'."""
    swapped = RICH_LMS.copy()
    swapped["side"] = swapped["side"].map({"left": "right", "right": "left"})
    a = run(RICH_LMS, rules).reset_index(drop=True)
    b = run(swapped, rules).reset_index(drop=True)
    b["side"] = b["side"].map({"left": "right", "right": "left", "bilateral": "bilateral"})
    pd.testing.assert_frame_equal(a.drop(columns="note"), b.drop(columns="note"))
