"""Hand-checked tests: the rule presets against RULES.md, and derived presets."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from plms.rules import AASM, WASM2016, Rules, get_rules
from plms.scoring import apply_rules
from rules_helpers import flags, series_ids


def train(onsets, duration=1.0, side="left"):
    return pd.DataFrame(
        {"onset": [float(o) for o in onsets], "duration": float(duration), "side": side},
        columns=["onset", "duration", "side"],
    )


def test_get_rules_unknown_name_raises_and_names_allowed_values():
    with pytest.raises(ValueError) as exc:
        get_rules("nope")
    msg = str(exc.value)
    assert "nope" in msg
    assert "wasm2016" in msg and "aasm" in msg


def test_get_rules_returns_presets_and_passes_rules_through():
    assert get_rules("wasm2016") is WASM2016
    assert get_rules("aasm") is AASM
    custom = dataclasses.replace(WASM2016, name="custom")
    assert get_rules(custom) is custom


def test_rules_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        WASM2016.imi_min_s = 20.0  # type: ignore[misc]
    assert WASM2016.imi_min_s == 10.0


SKIP = "not used by this preset"

# RULES.md values, read off the sheet by hand: (field, WASM 2016, AASM)
SHEET = [
    ("lm_min_duration_s", 0.5, 0.5),
    ("lm_offset_quiet_s", 0.5, 0.5),
    ("clm_max_duration_s", 10.0, 10.0),
    ("long_lm_policy", "breaker", "not_lm"),
    ("bilateral_mode", "overlap", "onset"),
    ("bilateral_max_gap_s", 0.5, SKIP),
    ("bilateral_max_onset_diff_s", SKIP, 5.0),
    ("bilateral_max_duration_s", 15.0, None),
    ("bilateral_max_parts", 4, None),
    ("series_min_count", 4, 4),
    ("imi_min_s", 10.0, 5.0),
    ("imi_max_s", 90.0, 90.0),
    ("wake_policy", "score", "drop"),
    ("resp_window_anchor", "end", "start"),
    ("resp_window_before_s", 2.0, 0.5),
    ("resp_window_after_s", 10.25, 0.5),
    ("arousal_window_s", 0.5, 0.5),
    ("periodicity_imi_min_s", 10.0, 10.0),
    ("periodicity_imi_max_s", 90.0, 90.0),
    ("periodicity_min_run", 3, 3),
]


@pytest.mark.parametrize("field, wasm, aasm", SHEET)
def test_presets_match_rule_sheet(field, wasm, aasm):
    if wasm is not SKIP:
        assert getattr(WASM2016, field) == wasm
    if aasm is not SKIP:
        assert getattr(AASM, field) == aasm


def test_apply_rules_accepts_name_or_rules_object():
    lms = train([0, 6, 12, 18, 40])
    by_name = apply_rules(lms, "aasm")
    by_object = apply_rules(lms, AASM)
    pd.testing.assert_frame_equal(by_name, by_object)


def test_default_preset_is_wasm2016():
    """0,6,12,18: IMIs 6 s -> series under AASM, none under WASM; the default
    must behave as WASM."""
    lms = train([0, 6, 12, 18])
    pd.testing.assert_frame_equal(apply_rules(lms), apply_rules(lms, "wasm2016"))
    assert flags(apply_rules(lms), "plm") == [False] * 4


def test_unknown_rules_name_in_apply_rules_raises():
    with pytest.raises(ValueError):
        apply_rules(train([0, 20, 40, 60]), "nope")


@pytest.mark.parametrize(
    "onsets, default_plm, strict_plm",
    [
        # IMIs 15: inside [10, 90], below 20 -> series only with the default
        ([0, 15, 30, 45, 60], [True] * 5, [False] * 5),
        # IMIs 20: inside both (20 is the new lower bound, included)
        ([0, 20, 40, 60], [True] * 4, [True] * 4),
        # IMIs 20,15,20,20,20: strict: 15 < 20 ends run 0,20 (2); 35..95 (4) -> series
        ([0, 20, 35, 55, 75, 95], [True] * 6, [False, False, True, True, True, True]),
    ],
)
def test_derived_preset_imi_min_20(onsets, default_plm, strict_plm):
    strict = dataclasses.replace(WASM2016, name="wasm2016-imi20", imi_min_s=20.0)
    assert strict.imi_max_s == 90.0  # every other rule is kept
    assert flags(apply_rules(train(onsets), WASM2016), "plm") == default_plm
    assert flags(apply_rules(train(onsets), strict), "plm") == strict_plm


def test_derived_preset_series_min_count_3():
    """0,20,40: 3 CLMs with IMIs 20 -> a series when 3 suffice."""
    three = dataclasses.replace(WASM2016, name="three", series_min_count=3)
    out = apply_rules(train([0, 20, 40]), three)
    assert flags(out, "plm") == [True] * 3
    assert series_ids(out) == [1, 1, 1]


def test_derived_preset_clm_max_duration_5():
    """CLM maximum 5 s: a 6-s LM at 40 becomes a breaker in 0..80 (IMIs 20):
    0,20 | 60,80 -> no series."""
    short = dataclasses.replace(WASM2016, name="short", clm_max_duration_s=5.0)
    lms = pd.concat([train([0, 20]), train([40], duration=6.0), train([60, 80])],
                    ignore_index=True)
    assert flags(apply_rules(lms, WASM2016), "plm") == [True] * 5
    assert flags(apply_rules(lms, short), "plm") == [False] * 5


def test_invalid_derived_preset_is_rejected():
    with pytest.raises(ValueError):
        dataclasses.replace(WASM2016, imi_min_s=100.0)  # above imi_max_s
    with pytest.raises(ValueError):
        Rules(name="bad", wake_policy="sometimes")  # type: ignore[arg-type]
