"""Hand-derived tests: respiratory- and arousal-related LMs (RULES.md section 4).

Respiratory window, closed bounds, any part of the LM interval in it:
  WASM: [event end - 2.0 s, event end + 10.25 s]
  AASM: [event start - 0.5 s, event end + 0.5 s]
Resp-related CLMs are removed before series are found; IMIs bridge over them;
a resp-related non-CLM (WASM) still breaks.
Arousal-related: an arousal overlaps [LM onset - 0.5, LM offset + 0.5] (closed).
"""

from __future__ import annotations

import pandas as pd
import pytest

from plms.scoring import apply_rules
from rules_helpers import flags, imis, lm_table, series_ids, train

NAN = float("nan")
PRESETS = ["wasm2016", "aasm"]


def events(*rows):
    """Rows of (onset, duration) for respiratory events or arousals."""
    return pd.DataFrame(
        [{"onset": float(o), "duration": float(d)} for o, d in rows],
        columns=["onset", "duration"],
    ).astype(float)


# --- respiratory window edges ---------------------------------------------------

APNEA_100_120 = events((100, 20))  # start 100, end 120


@pytest.mark.parametrize(
    "onset, duration, expected",
    [
        (117.0, 1.0, True),    # ends exactly at 120 - 2.0 = 118.0 (closed)
        (116.99, 1.0, False),  # ends 117.99, 0.01 s before the window
        (130.25, 1.0, True),   # starts exactly at 120 + 10.25 (closed)
        (130.26, 1.0, False),  # starts 0.01 s after the window
        (105.0, 1.0, False),   # during the event but before end - 2 s
        (110.0, 9.0, True),    # 110-119 reaches into [118, 130.25]
    ],
)
def test_wasm_respiratory_window(onset, duration, expected):
    """WASM window for an event 100-120 s: [118.0, 130.25]."""
    out = apply_rules(lm_table((onset, duration)), "wasm2016", respiratory=APNEA_100_120)
    assert flags(out, "resp") == [expected]


@pytest.mark.parametrize(
    "onset, duration, expected",
    [
        (98.5, 1.0, True),     # ends exactly at 100 - 0.5 = 99.5 (closed)
        (98.49, 1.0, False),   # ends 99.49
        (105.0, 1.0, True),    # during the event
        (120.5, 1.0, True),    # starts exactly at 120 + 0.5
        (120.51, 1.0, False),
        (125.0, 1.0, False),   # in WASM's window, not in AASM's
    ],
)
def test_aasm_respiratory_window(onset, duration, expected):
    """AASM window for an event 100-120 s: [99.5, 120.5]."""
    out = apply_rules(lm_table((onset, duration)), "aasm", respiratory=APNEA_100_120)
    assert flags(out, "resp") == [expected]


@pytest.mark.parametrize("rules", PRESETS)
def test_no_respiratory_table_means_nothing_is_resp_related(rules):
    out = apply_rules(train([0, 20, 40, 60]), rules, respiratory=None)
    assert flags(out, "resp") == [False] * 4
    assert flags(out, "plm") == flags(out, "plm_incl_resp") == [True] * 4


# --- effect on series ------------------------------------------------------------

def test_wasm_resp_related_clm_is_removed_and_imi_bridges():
    """CLMs 0,20,40,60,80; an apnea 25-35 (window [33, 45.25]) catches only
    the CLM at 40. Removed: 0,20,60,80 with IMIs 20,40,20 -> series of 4.
    Kept (plm_incl_resp): 0..80 IMIs all 20 -> series of 5."""
    out = apply_rules(train([0, 20, 40, 60, 80]), "wasm2016", respiratory=events((25, 10)))
    assert flags(out, "resp") == [False, False, True, False, False]
    assert flags(out, "clm") == [True] * 5
    assert flags(out, "plm") == [True, True, False, True, True]
    assert series_ids(out) == [1, 1, None, 1, 1]
    assert imis(out) == pytest.approx([NAN, 20, NAN, 40, 20], nan_ok=True)
    assert flags(out, "plm_incl_resp") == [True] * 5
    assert out.iloc[2]["note"] != ""


def test_wasm_bridged_imi_over_90_s_breaks():
    """CLMs 0,50,100,150,200; apnea 90-98 (window [96, 108.25]) catches 100.
    Removed: 0,50,150,200, IMIs 50,100,50 -> no series.
    Kept: IMIs 50 x4 -> series of 5 in plm_incl_resp."""
    out = apply_rules(train([0, 50, 100, 150, 200]), "wasm2016", respiratory=events((90, 8)))
    assert flags(out, "resp") == [False, False, True, False, False]
    assert flags(out, "plm") == [False] * 5
    assert imis(out) == pytest.approx([NAN, 50, NAN, 100, 50], nan_ok=True)
    assert flags(out, "plm_incl_resp") == [True] * 5


def test_wasm_resp_related_non_clm_still_breaks():
    """CLMs 0,20,40; LM 60-70.5 (10.5 s, non-CLM); CLMs 80,100,120. Apnea
    50-62 (window [60, 72.25]) makes the long LM resp-related only. It still
    breaks: 3 + 3 CLMs, no series (were it removed like a CLMr, 0..120 with
    IMIs 20,20,40,20,20 would be a series of 6). Same with resp kept."""
    lms = lm_table((0, 1), (20, 1), (40, 1), (60, 10.5), (80, 1), (100, 1), (120, 1))
    out = apply_rules(lms, "wasm2016", respiratory=events((50, 12)))
    assert flags(out, "resp") == [False, False, False, True, False, False, False]
    assert flags(out, "plm") == [False] * 7
    assert flags(out, "plm_incl_resp") == [False] * 7
    assert imis(out) == pytest.approx([NAN, 20, 20, NAN, NAN, 20, 20], nan_ok=True)


def test_aasm_resp_related_lm_is_removed_and_imi_bridges():
    """AASM: CLMs 0,20,40,60,80; hypopnea 38-43 (window [37.5, 43.5]) catches
    only 40-41. Sequence 0,20,60,80, IMIs 20,40,20 -> series of 4."""
    out = apply_rules(train([0, 20, 40, 60, 80]), "aasm", respiratory=events((38, 5)))
    assert flags(out, "resp") == [False, False, True, False, False]
    assert flags(out, "plm") == [True, True, False, True, True]
    assert imis(out) == pytest.approx([NAN, 20, NAN, 40, 20], nan_ok=True)
    assert flags(out, "plm_incl_resp") == [True] * 5


def test_wasm_resp_removal_can_create_a_series():
    """CLMs 0,20,25,45,65,85. Apnea 12-22 (window [20, 32.25]) catches 20-21
    and 25-26. Removed: sequence 0,45,65,85 with IMIs 45,20,20 -> series of 4,
    so the CLM at 0 is a PLM only because the CLMr were taken out."""
    out = apply_rules(
        train([0, 20, 25, 45, 65, 85]), "wasm2016", respiratory=events((12, 10))
    )
    assert flags(out, "resp") == [False, True, True, False, False, False]
    assert flags(out, "plm") == [True, False, False, True, True, True]
    assert imis(out) == pytest.approx([NAN, NAN, NAN, 45, 20, 20], nan_ok=True)
    # with resp kept: IMIs 20,5,20,20,20 -> 0,20 | 25,45,65,85 (series of 4)
    assert flags(out, "plm_incl_resp") == [False, False, True, True, True, True]


# --- arousals --------------------------------------------------------------------

@pytest.mark.parametrize("rules", PRESETS)
@pytest.mark.parametrize(
    "arousal, expected",
    [
        ((95.0, 4.5), True),     # ends exactly at 100 - 0.5 = 99.5 (closed)
        ((95.0, 4.49), False),   # ends 99.49, 0.51 s before the onset
        ((102.5, 3.0), True),    # starts exactly at offset 102 + 0.5
        ((102.51, 3.0), False),  # starts 0.51 s after the offset
        ((100.5, 1.0), True),    # inside the LM
        ((90.0, 20.0), True),    # covers the whole LM
    ],
)
def test_arousal_window(rules, arousal, expected):
    """LM 100-102 s: window [99.5, 102.5], closed, arousal from either side."""
    out = apply_rules(lm_table((100, 2)), rules, arousals=events(arousal))
    assert flags(out, "arousal") == [expected]


@pytest.mark.parametrize("rules", PRESETS)
def test_no_arousal_table_means_no_arousal_flags(rules):
    out = apply_rules(train([0, 20, 40, 60]), rules, arousals=None)
    assert flags(out, "arousal") == [False] * 4


def test_arousal_does_not_change_series():
    """Arousals mark PLMs but do not remove them: 0..60 stays a series of 4."""
    out = apply_rules(train([0, 20, 40, 60]), "wasm2016", arousals=events((21, 3)))
    assert flags(out, "arousal") == [False, True, False, False]
    assert flags(out, "plm") == [True] * 4
