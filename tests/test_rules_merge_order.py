"""Same-leg merging comes before the 0.5-s minimum duration (RULES.md section 1).

The offset rule ends an LM only where 0.5 s below the offset threshold begins,
so a short burst within 0.5 s of a movement on the same leg is part of it, and
two short bursts 0.2 s apart are one LM of their combined span; the minimum
duration applies to the merged movement (as the WASM reference implementation
PLMScoRe does). Every expected figure below is derived by hand from the rule
sheet; the same cases are run through the rescoring path and through the EMG
detector on a constructed signal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from plms.annotations import Annotations
from plms.signal.emg.detect import detect_lm
from plms.hypnogram import Hypnogram
from plms.pipeline.rescore import dropped_lm_notes, rescore
from plms.scoring import apply_rules
from rules_helpers import flags, lm_table, series_ids

PRESETS = ["wasm2016", "aasm"]


def _clms(*onsets: float) -> list[tuple[float, float]]:
    return [(o, 1.0) for o in onsets]


@pytest.mark.parametrize("rules", PRESETS)
def test_short_mark_just_after_a_long_lm_lengthens_it_past_the_clm_limit(rules):
    """Left 60-69.6 (9.6 s), then 0.2 s later 69.8-70.1 (0.3 s): one LM 60-70.1 of 10.1 s.

    10.1 s > 10 s: not a CLM. WASM: an LM that is not a CLM breaks the
    sequence, leaving runs 0,20,40 and 80,100,120 of 3 CLMs each: no series.
    AASM: an LM over 10 s is not an LM at all and is skipped, so 0,20,40,80,
    100,120 (IMIs 20,20,40,20,20) form one series of 6, without the 60-s row.
    (Dropping the 0.3-s mark first would leave a 9.6-s CLM and one series of 7.)
    """
    rows = _clms(0, 20, 40) + [(60, 9.6), (69.8, 0.3)] + _clms(80, 100, 120)
    out = apply_rules(lm_table(*rows), rules)
    assert out["onset"].tolist() == pytest.approx([0, 20, 40, 60, 80, 100, 120])
    long_lm = out.loc[out["onset"] == 60].iloc[0]
    assert long_lm["duration"] == pytest.approx(10.1)
    assert not bool(long_lm["clm"])
    if rules == "wasm2016":
        assert flags(out, "plm") == [False] * 7
    else:
        assert flags(out, "plm") == [True, True, True, False, True, True, True]
        assert series_ids(out) == [1, 1, 1, None, 1, 1, 1]


@pytest.mark.parametrize("rules", PRESETS)
def test_two_short_marks_close_together_are_one_clm_that_completes_a_series(rules):
    """Left 60-60.3 and 60.5-60.8 (0.3 s each, gap 0.2 s): one 0.8-s CLM at 60.

    With the CLMs at 0, 20 and 40 it is the 4th CLM of IMI 20: one series of 4.
    (Dropping each 0.3-s mark first would leave 3 CLMs and no series.)
    """
    rows = _clms(0, 20, 40) + [(60, 0.3), (60.5, 0.3)]
    out = apply_rules(lm_table(*rows), rules)
    assert out["onset"].tolist() == pytest.approx([0, 20, 40, 60])
    assert out["duration"].tolist() == pytest.approx([1, 1, 1, 0.8])
    assert flags(out, "clm") == [True] * 4
    assert series_ids(out) == [1, 1, 1, 1]


@pytest.mark.parametrize("rules", PRESETS)
def test_a_short_mark_bridges_two_movements_into_one(rules):
    """Left 40-42, 42.4-42.7 (0.3 s), 43.1-45.1: gaps 0.4 s, one LM 40-45.1 of 5.1 s.

    With CLMs at 0, 20, 60 and 80: five CLMs of IMI 20, one series of 5.
    (Dropping the 0.3-s mark first would leave two LMs 3.1 s apart: the IMI of
    3.1 s ends the runs 0,20,40 and 43.1,60,80, three CLMs each: no series.)
    """
    rows = _clms(0, 20) + [(40, 2), (42.4, 0.3), (43.1, 2)] + _clms(60, 80)
    out = apply_rules(lm_table(*rows), rules)
    assert out["onset"].tolist() == pytest.approx([0, 20, 40, 60, 80])
    assert out.loc[out["onset"] == 40, "duration"].item() == pytest.approx(5.1)
    assert int(out.loc[out["onset"] == 40, "n_parts"].item()) == 1
    assert series_ids(out) == [1] * 5


@pytest.mark.parametrize("rules", PRESETS)
@pytest.mark.parametrize("gap, merged", [(0.49, True), (0.5, False)])
def test_two_short_marks_merge_only_below_the_quiet_period(rules, gap, merged):
    """0.3-s marks 0.49 s apart are one 1.09-s LM; 0.5 s apart they are two
    0.3-s bursts, each dropped (the quiet period is reached between them)."""
    out = apply_rules(lm_table((100, 0.3), (100.3 + gap, 0.3)), rules)
    if merged:
        assert out["duration"].tolist() == pytest.approx([0.6 + gap])
    else:
        assert len(out) == 0


@pytest.mark.parametrize("rules", PRESETS)
def test_zero_second_marks_are_points_and_extend_nothing(rules):
    """A 0-s mark (some exports write them) 0.3 s after an LM has no extent:
    it is dropped before merging and leaves the LM at 1 s."""
    out = apply_rules(lm_table((100, 1.0), (101.3, 0.0)), rules)
    assert out["duration"].tolist() == pytest.approx([1.0])


@pytest.mark.parametrize("rules", PRESETS)
def test_rescoring_counts_only_what_stays_too_short_after_merging(rules):
    """The 0.3+0.3 pair becomes a 0.8-s LM (not counted as dropped); a lone
    0.3-s mark at 800 is dropped; figures follow the merged movements."""
    lms = lm_table(*(_clms(600, 620, 640) + [(660, 0.3), (660.5, 0.3), (800, 0.3)]))
    counts, notes = dropped_lm_notes(lms, rules)
    assert counts == {"zero_duration": 0, "too_short": 1}
    assert len(notes) == 1 and notes[0].startswith("1 leg movement(s) shorter than 0.5 s")
    ann = Annotations(hypnogram=Hypnogram.from_labels(["N2"] * 120), leg_movements=lms)
    s = rescore(ann, rules).summary
    assert s["n_lm"] == 4 and s["n_plms"] == 4            # 1 h of N2: 4/h
    assert s["plms_index"] == pytest.approx(4.0)


# --- the EMG detector merges the same way --------------------------------------------

FS = 256.0
REST_UV = 2.0
BURST_UV = 60.0


def _emg(bursts: list[tuple[float, float]], seconds: float = 60.0, seed: int = 5
         ) -> np.ndarray:
    """White EMG of a 2-µV resting level with 60-µV bursts at (start, duration)."""
    t = np.arange(int(seconds * FS)) / FS
    amp = np.full(t.size, REST_UV)
    for start, dur in bursts:
        amp[(t >= start) & (t < start + dur)] = BURST_UV
    rng = np.random.default_rng(seed)
    return rng.standard_normal(t.size) * amp * np.sqrt(np.pi / 2)


@pytest.mark.parametrize("rules", PRESETS)
@pytest.mark.parametrize("bursts, onset, duration", [
    ([(10.0, 9.6), (19.8, 0.3)], 10.0, 10.1),
    ([(30.0, 0.3), (30.5, 0.3)], 30.0, 0.8),
    ([(20.0, 2.0), (22.4, 0.3), (23.1, 2.0)], 20.0, 5.1),
])
def test_detector_merges_short_bursts_before_the_minimum_duration(rules, bursts, onset,
                                                                 duration):
    """The detector's offset rule gives the same single movements as the rule sheet."""
    lm = detect_lm(_emg(bursts), FS, rules=rules)
    assert len(lm) == 1, lm
    assert lm["onset"].iloc[0] == pytest.approx(onset, abs=0.1)
    assert lm["duration"].iloc[0] == pytest.approx(duration, abs=0.15)


def test_rescored_and_detected_edge_cases_agree():
    """One night of the three designed cases: detection and rescoring of the
    truth marks give the same movements (count and onsets)."""
    bursts = [(10.0, 9.6), (19.8, 0.3), (30.0, 0.3), (30.5, 0.3),
              (40.0, 2.0), (42.4, 0.3), (43.1, 2.0)]
    detected = detect_lm(_emg(bursts), FS)
    truth = apply_rules(pd.DataFrame({"onset": [b[0] for b in bursts],
                                      "duration": [b[1] for b in bursts], "side": "left"}),
                        "wasm2016")
    assert truth["onset"].tolist() == pytest.approx([10.0, 30.0, 40.0])
    np.testing.assert_allclose(detected["onset"], truth["onset"], atol=0.1)
    np.testing.assert_allclose(detected["duration"], truth["duration"], atol=0.15)
