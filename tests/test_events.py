"""The shared event primitives (plms.signal.events): run edges, hysteresis, the one matcher."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plms.validation.agreement import match_events
from plms.signal.events import hysteresis_events, match_pairs, quiet_run_starts, true_runs

# The example of issue 13: (onset, duration) of three reference and three test events.
ISSUE_REF = pd.DataFrame({"onset": [2.6, 6.3, 2.4], "duration": [2.1, 1.0, 1.9]})
ISSUE_TEST = pd.DataFrame({"onset": [1.6, 2.1, 6.0], "duration": [1.5, 2.2, 3.9]})


def _frozen(values: list[bool]) -> np.ndarray:
    arr = np.array(values, dtype=bool)
    arr.flags.writeable = False  # any attempt to modify the input raises
    return arr


# ---------------------------------------------------------------- true_runs
@pytest.mark.parametrize(("mask", "starts", "stops"), [
    ([], [], []),
    ([False, False, False], [], []),
    ([True, True, True], [0], [3]),
    ([True], [0], [1]),
    ([True, False, False, True, True], [0, 3], [1, 5]),      # touching both ends
    ([False, True, True, False, True, False], [1, 4], [3, 5]),
])
def test_true_runs_edges(mask: list[bool], starts: list[int], stops: list[int]) -> None:
    got_starts, got_stops = true_runs(_frozen(mask))
    assert got_starts.tolist() == starts
    assert got_stops.tolist() == stops
    assert got_starts.dtype == np.int64 and got_stops.dtype == np.int64


def test_true_runs_rejects_bad_masks() -> None:
    with pytest.raises(ValueError, match="1-D"):
        true_runs(np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="dtype bool"):
        true_runs(np.array([0.0, 1.0]))


# ---------------------------------------------------------------- quiet_run_starts
def test_quiet_run_starts_counts_a_short_run_at_the_end() -> None:
    quiet = _frozen([True, True, True, False, True, True, False, True])
    # runs of 3: [0, 3) only; [4, 6) is 2 long; the 1-long run at 7 reaches the end
    assert quiet_run_starts(quiet, 3).tolist() == [True, False, False, False,
                                                   False, False, False, True]
    assert quiet_run_starts(quiet, 1).tolist() == quiet.tolist()
    assert quiet_run_starts(np.zeros(0, dtype=bool), 2).tolist() == []


@pytest.mark.parametrize("q", [0, -1, 1.5])
def test_quiet_run_starts_rejects_bad_length(q: float) -> None:
    with pytest.raises(ValueError, match="integer >= 1"):
        quiet_run_starts(np.ones(4, dtype=bool), q)  # type: ignore[arg-type]


# ---------------------------------------------------------------- hysteresis_events
def test_hysteresis_events_hand_built() -> None:
    n = 30
    onset = np.zeros(n, dtype=bool)
    onset[[2, 3, 6, 15, 28]] = True
    quiet = np.zeros(n, dtype=bool)
    quiet[[0, 1, 5, 8, 9, 10, 20, 21]] = True
    # event 1: hit 2, first quiet start after it is 5 -> [2, 5); the hit at 3 is inside
    # event 2: hit 6 (searched from 5) -> first quiet after 6 is 8 -> [6, 8)
    # event 3: hit 15 -> quiet 20 -> [15, 20); event 4: hit 28, no quiet after -> [28, 30)
    on, off = hysteresis_events(_frozen(onset.tolist()), _frozen(quiet.tolist()))
    assert on.tolist() == [2, 6, 15, 28]
    assert off.tolist() == [5, 8, 20, 30]
    on, off = hysteresis_events(onset, quiet, min_samples=3)
    assert on.tolist() == [2, 15]
    assert off.tolist() == [5, 20]


def test_hysteresis_events_rewind_stops_at_previous_offset() -> None:
    onset = np.zeros(20, dtype=bool)
    onset[[4, 12]] = True
    quiet = np.zeros(20, dtype=bool)
    quiet[[8, 16]] = True
    below = np.ones(20, dtype=bool)
    below[2:8] = False     # the first movement leaves the offset level at 2
    below[8:16] = False    # the second never returns below it after the first offset
    on, off = hysteresis_events(onset, quiet, rewind=below)
    assert on.tolist() == [2, 8]        # 8: not before the previous offset
    assert off.tolist() == [8, 16]


def test_hysteresis_events_empty_and_bad_arguments() -> None:
    empty = np.zeros(0, dtype=bool)
    on, off = hysteresis_events(empty, empty)
    assert on.size == 0 and off.size == 0
    with pytest.raises(ValueError, match="same length"):
        hysteresis_events(np.zeros(3, dtype=bool), np.zeros(4, dtype=bool))
    with pytest.raises(ValueError, match="finite"):
        hysteresis_events(np.zeros(3, dtype=bool), np.zeros(3, dtype=bool),
                          min_samples=float("nan"))
    with pytest.raises(ValueError, match="dtype bool"):
        hysteresis_events(np.zeros(3), np.zeros(3, dtype=bool))


def test_emg_and_accel_finders_share_the_hysteresis() -> None:
    """Square movements through both detectors' finders: hand-derived edges."""
    from plms.signal.accel.features import find_events
    from plms.signal.emg.detect import find_movements
    from plms.rules import WASM2016

    rate = 100.0
    level = np.full(2000, 2.0)
    level[300:420] = 30.0          # 1.2-s movement
    level[1000:1030] = 30.0        # 0.3 s: shorter than the minimum duration
    level[1500:1700] = 30.0        # 2 s
    on, off = find_movements(level, np.full(level.size, 2.0), rate, WASM2016)
    # EMG offset: the mean excess over the next 0.5 s (50 bins) falls under 2 µV once
    # at most 3 of the 50 bins are 28 µV above the baseline (3 * 28 / 50 = 1.68)
    assert on.tolist() == [300, 1500] and off.tolist() == [417, 1697]
    # accelerometer offset: 0.5 s entirely below the offset level
    on, off = find_events(level - 2.0, rate, 8.0, 2.0, WASM2016)
    assert on.tolist() == [300, 1500] and off.tolist() == [420, 1700]


# ---------------------------------------------------------------- the one matcher
def test_issue_example_threshold_first_finds_three_matches() -> None:
    # IoU (hand): ref0-test0 0.5/3.1 = 0.161 (below 0.2), ref0-test1 1.7/2.6 = 0.654,
    # ref2-test0 0.7/2.7 = 0.259, ref2-test1 1.9/2.2 = 0.864, ref1-test2 1.0/3.9 = 0.256.
    # Raw IoU pairs ref0-test0 + ref2-test1 (1.025 > 0.913) and then drops ref0-test0;
    # threshold first pairs ref0-test1, ref2-test0 and ref1-test2.
    rows, cols = match_pairs(ISSUE_REF, ISSUE_TEST, min_iou=0.2)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (1, 2), (2, 0)]
    agreement = match_events(ISSUE_REF, ISSUE_TEST, min_iou=0.2)
    assert agreement.true_positives == 3
    assert agreement.f1 == pytest.approx(1.0)
    # test minus reference onsets: 2.1-2.6, 6.0-6.3, 1.6-2.4
    assert sorted(agreement.onset_error_s.round(6).tolist()) == [-0.8, -0.5, -0.3]


def test_onset_matching_hand_derived() -> None:
    ref = pd.DataFrame({"onset": [0.0, 0.5, 10.0, 20.0], "duration": 1.0})
    test = pd.DataFrame({"onset": [0.45, 0.9, 10.6, 20.5], "duration": 5.0})
    # within 0.5 s: ref0-test0 (0.45), ref1-test0 (0.05), ref1-test1 (0.4), ref3-test3 (0.5,
    # the bound counts); 10.0-10.6 is too far. Pairing the closest (ref1-test0) would leave
    # ref0 alone; as many pairs as possible: ref0-test0, ref1-test1, ref3-test3.
    rows, cols = match_pairs(ref, test, method="onset", onset_tolerance_s=0.5)
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0), (1, 1), (3, 3)]


def test_validation_uses_the_one_matcher() -> None:
    from plms.validation import compare_events

    # two movements per leg, far apart so that scoring does not merge them
    ref = pd.DataFrame({"onset": [0.0, 0.5 + 30], "duration": 1.0, "side": "left"})
    test = pd.DataFrame({"onset": [0.45, 0.9 + 30], "duration": 1.0, "side": "left"})
    table = compare_events(ref, test, onset_tolerance_s=0.5).set_index(["leg", "match"])
    assert int(table.loc[("left", "onset"), "tp"]) == 2
    # IoU of 0.55/1.45 = 0.379 and 0.6/1.4 = 0.429
    assert int(table.loc[("left", "iou"), "tp"]) == 2
    assert int(compare_events(ref, test, min_iou=0.4).set_index(["leg", "match"])
               .loc[("left", "iou"), "tp"]) == 1


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"method": "offset"}, "iou, onset"),
    ({"min_iou": 1.0}, r"\[0, 1\)"),
    ({"min_iou": -0.1}, r"\[0, 1\)"),
    ({"onset_tolerance_s": -1.0}, ">= 0"),
])
def test_match_pairs_rejects_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        match_pairs(ISSUE_REF, ISSUE_TEST, **kwargs)  # type: ignore[arg-type]


def test_match_pairs_empty_and_unchanged_inputs() -> None:
    empty = pd.DataFrame({"onset": [], "duration": []})
    for a, b in ((empty, ISSUE_TEST), (ISSUE_REF, empty)):
        rows, cols = match_pairs(a, b)
        assert rows.size == 0 and cols.size == 0
    before = ISSUE_REF.copy()
    match_pairs(ISSUE_REF, ISSUE_TEST, method="onset")
    pd.testing.assert_frame_equal(ISSUE_REF, before)
    with pytest.raises(ValueError, match="missing duration"):
        match_pairs(ISSUE_REF[["onset"]], ISSUE_TEST)
