"""``plms.rescore`` on hand-checked nights: every expected figure is derived by hand.

The nights are written as NSRR XML files (the reader is part of what is
tested) with the hypnogram

    epochs 0-19   W   (0-600 s)      -> wake 10 min
    epochs 20-139 N2  (600-4200 s)   -> TST 60 min, TIB 70 min (no lights markers)

so an index per hour of sleep equals the count, and a PLMW index is
6 x the count (10 min of wake = 1/6 h).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from plms import rescore
from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.pipeline.rescore import dropped_lm_notes

STAGES = ["W"] * 20 + ["N2"] * 120
NSRR_STAGE = {"W": "Wake|0", "N2": "Stage 2 sleep|2"}
NSRR_LM = {"left": "Limb movement - left|Limb Movement (Left)",
           "right": "Limb movement - right|Limb Movement (Right)"}


def write_nsrr(path: Path, lms, *, apneas=(), arousals=(), stages=STAGES) -> Path:
    """An NSRR XML with the stages, (onset, duration) apneas/arousals and
    (onset, duration, side) leg movements."""
    root = ET.Element("PSGAnnotation")
    ET.SubElement(root, "EpochLength").text = "30"
    events = ET.SubElement(root, "ScoredEvents")

    def event(etype, concept, start, duration):
        ev = ET.SubElement(events, "ScoredEvent")
        ET.SubElement(ev, "EventType").text = etype
        ET.SubElement(ev, "EventConcept").text = concept
        ET.SubElement(ev, "Start").text = repr(float(start))
        ET.SubElement(ev, "Duration").text = repr(float(duration))

    for i, stage in enumerate(stages):
        event("Stages|Stages", NSRR_STAGE[stage], 30 * i, 30)
    for on, dur in apneas:
        event("Respiratory|Respiratory", "Obstructive apnea|Obstructive Apnea", on, dur)
    for on, dur in arousals:
        event("Arousals|Arousals", "Arousal|Arousal ()", on, dur)
    for on, dur, side in lms:
        event("Limb Movement|Limb Movement", NSRR_LM[side], on, dur)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path


# --------------------------------------------------------------------------
# Night 1: wake series, bilateral LM, too-short and 0-s LMs, a long LM, an arousal
# --------------------------------------------------------------------------
NIGHT1_LMS = [
    # wake: 4 left CLMs, IMI 20
    (100, 2, "left"), (120, 2, "left"), (140, 2, "left"), (160, 2, "left"),
    # sleep: 5 CLMs with IMI 20; the third is bilateral (1040-1042 + 1041-1043)
    (1000, 1.0, "left"), (1020, 1.5, "right"), (1040, 2.0, "left"), (1041, 2.0, "right"),
    (1060, 1.0, "left"), (1080, 1.0, "right"),
    # dropped by the rules: 0.3 s and 0 s
    (1100, 0.3, "left"), (1105, 0.0, "right"),
    # a 12-s LM, then 3 CLMs with IMI 20, then an isolated CLM
    (1120, 12.0, "right"),
    (1140, 1.0, "left"), (1160, 1.0, "left"), (1180, 1.0, "left"),
    (2000, 1.0, "right"),
]
NIGHT1_AROUSALS = [(1061.2, 3.0), (3000.0, 10.0)]


@pytest.fixture
def night1(tmp_path):
    return write_nsrr(tmp_path / "night1.xml", NIGHT1_LMS, arousals=NIGHT1_AROUSALS)


def test_night1_wasm2016(night1):
    """WASM 2016, derived by hand.

    Per-leg clean-up: 1100 (0.3 s) and 1105 (0 s) are dropped. Legs combined
    by overlap: 1040 L (to 1042) and 1041 R (to 1043) overlap -> one bilateral
    LM 1040-1043 (3 s, 2 parts, a CLM). Rows: 100 120 140 160 | 1000 1020
    1040b 1060 1080 | 1120 (12 s: LM, not a CLM, breaker) | 1140 1160 1180 |
    2000 = 14 rows.

    n_lm = 14; n_clm = 13 (all but 1120).
    Series (over wake and sleep together): 100-160 (IMI 20 x3) = series 1,
    in W; 1000 has IMI 840 (> 90) and starts 1000-1080 (IMI 20 x4) = series
    2, in N2; 1120 breaks; 1140 (no IMI after a breaker), 1160, 1180 are only
    3 -> no series; 2000 (IMI 820) alone.
    n_plm = 9, n_plms = 5, n_plmw = 4.
    plms_index = 5 / 1 h = 5.0; no respiratory event -> incl_resp = 5.0.
    plmw_index = 4 / (10/60 h) = 24.0.
    lms_index = LMs in sleep (1000..2000: 5 + 1 + 3 + 1) = 10.0; clms_index = 9.0.
    Arousal at 1061.2-1064.2 touches [1060-0.5, 1061+0.5] -> 1060 (a PLMS)
    is arousal-related; the one at 3000 has no LM -> plms_arousal_index = 1.0.
    IMIs of rows in sleep: 840, 20, 20, 20, 20, (1120 n/a), (1140 n/a), 20, 20,
    820 -> imi_counts lt10 0, 10to90 6, gt90 2.
    Periodicity: runs of >= 3 in-range IMIs: 120-160 (wake), 1020-1080 (4);
    1160-1180 is a run of 2. Numerator in sleep 4, IMIs in sleep 8 -> 0.5.
    PLM/CLM = 5 / 9 (CLMs in sleep, none respiratory).
    """
    r = rescore(night1, "wasm2016")
    s = r.summary
    assert (s["tst_min"], s["tib_min"], s["wake_min"]) == (60.0, 70.0, 10.0)
    assert (s["n_lm"], s["n_clm"], s["n_plm"], s["n_plms"], s["n_plmw"]) == (14, 13, 9, 5, 4)
    assert s["plms_index"] == pytest.approx(5.0)
    assert s["plms_index_incl_resp"] == pytest.approx(5.0)
    assert s["plmw_index"] == pytest.approx(24.0)
    assert s["lms_index"] == pytest.approx(10.0)
    assert s["clms_index"] == pytest.approx(9.0)
    assert s["plms_arousal_index"] == pytest.approx(1.0)
    assert s["imi_counts"] == {"lt10": 0, "10to90": 6, "gt90": 2}
    assert s["periodicity_index"] == pytest.approx(0.5)
    assert s["plm_clm_ratio"] == pytest.approx(5 / 9)
    assert s["n_clm_resp"] == 0 and s["respiratory_scored"] and s["arousals_scored"]

    ev = r.events
    assert ev["onset"].tolist() == [100, 120, 140, 160, 1000, 1020, 1040, 1060, 1080, 1120,
                                    1140, 1160, 1180, 2000]
    bi = ev.loc[ev["onset"] == 1040].iloc[0]
    assert (bi["side"], bi["duration"], bi["n_parts"], bool(bi["clm"])) == (
        "bilateral", 3.0, 2, True)
    assert [None if pd.isna(x) else int(x) for x in ev["series"]] == [
        1, 1, 1, 1, 2, 2, 2, 2, 2, None, None, None, None, None]
    assert ev["arousal"].tolist() == [o == 1060 for o in ev["onset"]]

    assert s["modality"] == "scored" and s["channels"] is None and s["fs_hz"] is None
    assert s["source"] == str(night1) and s["annotations_source"] == str(night1)
    assert s["scored_lms"] == {"left": 11, "right": 6, "zero_duration": 1, "too_short": 1}
    assert "1 leg movement(s) of 0 s (as some exports write them) were dropped" in s["warnings"]
    assert any("shorter than 0.5 s" in w and w.startswith("1 ") for w in s["warnings"])
    assert r.stem == "night1"


def test_night1_aasm(night1):
    """AASM, derived by hand.

    1100 and 1105 dropped as under WASM. 1040 L / 1041 R: onsets 1 s apart
    (< 5 s) -> one bilateral LM 1040-1043. 1120 (12 s) is not a leg movement:
    it neither counts nor breaks. LMs in W (100-160) are not scored: removed
    before series, and PLMW is not defined (None).
    Rows: 14 as under WASM; n_lm = 13 (not 1120); n_clm = 13.
    Sequence: 1000 1020 1040 1060 1080 1140 1160 1180 2000; IMIs (first has
    none) 20 20 20 20 60 20 20 820 -> all in [5, 90] up to 1180: one series
    of 8 (1000-1180); 2000 (820) alone.
    n_plm = n_plms = 8 -> plms_index = 8.0 = incl_resp (no respiratory event).
    lms_index = clms_index = 9 LMs in sleep = 9.0; plms_arousal_index = 1.0 (1060).
    imi_counts in sleep: 20 x4, 60, 20 x2 in 10-90 (7); 820 > 90 (1).
    Periodicity: 1020..1180 is a run of 7 in-range IMIs; 7 of 8 IMIs -> 0.875.
    PLM/CLM = 8 / 9.
    """
    s = rescore(night1, "aasm").summary
    assert s["rules"] == "aasm"
    assert (s["n_lm"], s["n_clm"], s["n_plm"], s["n_plms"]) == (13, 13, 8, 8)
    assert s["n_plmw"] is None and s["plmw_index"] is None
    assert "plmw_index" in s
    assert s["plms_index"] == pytest.approx(8.0)
    assert s["plms_index_incl_resp"] == pytest.approx(8.0)
    assert s["lms_index"] == pytest.approx(9.0)
    assert s["clms_index"] == pytest.approx(9.0)
    assert s["plms_arousal_index"] == pytest.approx(1.0)
    assert s["imi_counts"] == {"lt10": 0, "10to90": 7, "gt90": 1}
    assert s["periodicity_index"] == pytest.approx(0.875)
    assert s["plm_clm_ratio"] == pytest.approx(8 / 9)


# --------------------------------------------------------------------------
# Night 2: heavy respiratory load, no LM in wake
# --------------------------------------------------------------------------
#: 16 left CLMs of 1.5 s, every 30 s from 1000 s (in N2).
NIGHT2_LMS = [(1000 + 30 * k, 1.5, "left") for k in range(16)]
#: An obstructive apnea ending 0.5 s after each of the first 12 LM onsets.
NIGHT2_APNEAS = [(985 + 30 * k, 15.5) for k in range(12)]


@pytest.fixture
def night2(tmp_path):
    return write_nsrr(tmp_path / "night2.xml", NIGHT2_LMS, apneas=NIGHT2_APNEAS)


@pytest.mark.parametrize("rules", ["wasm2016", "aasm"])
def test_night2_heavy_respiratory_load(night2, rules):
    """Respiratory-related CLMs removed vs kept, both presets, by hand.

    Apnea k runs 985+30k .. 1000.5+30k. WASM window [end - 2, end + 10.25] =
    [998.5+30k, 1010.75+30k]; AASM window [start - 0.5, end + 0.5] =
    [984.5+30k, 1001+30k]. Either touches LM k (1000+30k .. 1001.5+30k) and no
    other LM (the next starts 30 s later, the previous ended 28.5 s before).
    So LMs 0-11 are respiratory-related CLMs: n_clm_resp = 12.

    Removed (headline): the sequence is LMs 12-15 (1360, 1390, 1420, 1450),
    IMIs 30 x3 -> one series of 4 -> plms_index = 4 / 1 h = 4.0.
    Kept: all 16 with IMI 30 -> one series of 16 -> plms_index_incl_resp = 16.0.
    4.0 is a quarter of 16.0.
    lms_index = clms_index = 16.0; arousals scored (the file has stages), none
    -> plms_arousal_index = 0.0. imi_counts: only LMs 13-15 have an IMI (30)
    -> 10to90 3; periodicity 3 / 3 = 1.0; PLM/CLM = 4 / 4 non-resp CLMs = 1.0.
    No LM in wake while 10 min of wake: WASM PLMW = 0, index 0.0 (reported,
    not omitted); AASM: not defined (None).
    """
    s = rescore(night2, rules).summary
    assert s["n_clm_resp"] == 12
    assert (s["n_lm"], s["n_clm"], s["n_plm"], s["n_plms"]) == (16, 16, 4, 4)
    assert s["plms_index"] == pytest.approx(4.0)
    assert s["plms_index_incl_resp"] == pytest.approx(16.0)
    assert s["plms_index"] <= s["plms_index_incl_resp"] / 4
    assert s["lms_index"] == pytest.approx(16.0) and s["clms_index"] == pytest.approx(16.0)
    assert s["plms_arousal_index"] == pytest.approx(0.0)
    assert s["imi_counts"] == {"lt10": 0, "10to90": 3, "gt90": 0}
    assert s["periodicity_index"] == pytest.approx(1.0)
    assert s["plm_clm_ratio"] == pytest.approx(1.0)
    if rules == "wasm2016":
        assert s["n_plmw"] == 0 and s["plmw_index"] == 0.0
    else:
        assert s["n_plmw"] is None and s["plmw_index"] is None


def test_night2_events_mark_the_respiratory_ones(night2):
    ev = rescore(night2).events
    assert ev["resp"].tolist() == [True] * 12 + [False] * 4
    assert ev["plm"].tolist() == [False] * 12 + [True] * 4
    assert ev["plm_incl_resp"].all()
    assert all(n == "respiratory-related: left out of series" for n in ev["note"][:12])


def test_plmw_zero_is_written_not_omitted(night2, tmp_path):
    import json

    rescore(night2).write(tmp_path / "out")
    summary = json.loads((tmp_path / "out" / "night2.summary.json").read_text())
    assert summary["plmw_index"] == 0.0 and summary["n_plmw"] == 0


# --------------------------------------------------------------------------
# Python API on tables, dropped movements, empty and unusable files
# --------------------------------------------------------------------------
def _lm_frame(rows):
    return pd.DataFrame(rows, columns=["onset", "duration", "side"])


def test_zero_duration_movements_are_counted_in_warnings():
    """3 LMs of 0 s and 2 of 0.2/0.49 s are dropped; the 4 others (IMI 20) are a series."""
    lms = _lm_frame([(600, 0, "left"), (605, 0.0, "right"), (610, 0, "left"),
                     (615, 0.2, "left"), (625, 0.49, "right"),
                     (700, 1, "left"), (720, 1, "left"), (740, 1, "left"), (760, 1, "left")])
    ann = Annotations(hypnogram=Hypnogram.from_labels(["N2"] * 120), leg_movements=lms)
    r = rescore(ann)
    assert "3 leg movement(s) of 0 s (as some exports write them) were dropped" in r.warnings
    assert any(w.startswith("2 leg movement(s) shorter than 0.5 s") for w in r.warnings)
    assert r.summary["scored_lms"]["zero_duration"] == 3
    assert r.summary["n_lm"] == 4 and r.summary["n_plms"] == 4
    assert r.summary["plms_index"] == pytest.approx(4.0)
    assert r.summary["source"] == "given in Python"
    assert r.stem == "night"
    assert dropped_lm_notes(lms, "aasm")[0] == {"zero_duration": 3, "too_short": 2}


def test_same_figures_as_score_lms_on_tables():
    """rescore on Annotations gives the figures of score_lms on the same DataFrames."""
    from plms import score_lms

    hyp = Hypnogram.from_labels(STAGES)
    lms = _lm_frame(NIGHT2_LMS)
    resp = pd.DataFrame({"onset": [a for a, _ in NIGHT2_APNEAS],
                         "duration": [b for _, b in NIGHT2_APNEAS],
                         "kind": "obstructive apnea"})
    ann = Annotations(hypnogram=hyp, leg_movements=lms, respiratory=resp,
                      respiratory_scored=True)
    a = rescore(ann, "aasm").summary
    b = score_lms(lms, "aasm", hypnogram=hyp, respiratory=resp).summary
    for key in ("n_lm", "n_plms", "plms_index", "plms_index_incl_resp", "imi_counts"):
        assert a[key] == b[key], key


def test_no_scored_leg_movements_with_a_scoring_is_zero_with_a_warning(tmp_path):
    path = write_nsrr(tmp_path / "empty.xml", [])
    r = rescore(path)
    assert r.summary["n_lm"] == 0 and r.summary["plms_index"] == 0.0
    assert r.summary["plmw_index"] == 0.0
    assert any("no scored leg movement" in w for w in r.warnings)


def test_nothing_scored_at_all_is_an_error():
    with pytest.raises(PlmsInputError, match="nothing to rescore"):
        rescore(Annotations(source="x.tsv"))


def test_one_leg_only_is_said(tmp_path):
    r = rescore(write_nsrr(tmp_path / "n.xml", NIGHT2_LMS))
    assert any("right leg" in w for w in r.warnings)


def test_unusable_movements_name_the_file():
    lms = _lm_frame([(600, math.nan, "left")])
    with pytest.raises(PlmsInputError, match="unusable"):
        rescore(Annotations(hypnogram=Hypnogram.from_labels(["N2"] * 4), leg_movements=lms))


def test_bad_file_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?>\n<PSGAnnotation>\n<ScoredEvents>\n</Oops>\n')
    with pytest.raises(PlmsInputError) as exc:
        rescore(bad)
    assert str(bad) in str(exc.value) and "line 4" in str(exc.value)


def test_unknown_format_is_refused(night1):
    with pytest.raises(ValueError, match="unknown format"):
        rescore(night1, fmt="docx")


def test_stem_and_nsrr_format(night1):
    r = rescore(night1, fmt="nsrr", stem="custom")
    assert r.stem == "custom" and r.summary["n_plms"] == 5
