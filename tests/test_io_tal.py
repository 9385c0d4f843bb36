"""EDF+ annotations (onset, duration, text) to Annotations: hypnogram and event tables."""

from __future__ import annotations

import pytest

from plms.errors import PlmsInputError
from plms.io import annotations_from_tal


def _stages(ann):
    return ann.hypnogram.stages.tolist()


def test_multi_epoch_stages_are_expanded():
    # Sleep-EDF style: one annotation per run of equal stages
    items = [(0, 90, "Sleep stage W"), (90, 30, "Sleep stage 1"), (120, 60, "Sleep stage 4"),
             (180, 30, "Sleep stage R")]
    ann = annotations_from_tal(items, duration_s=210)
    assert _stages(ann) == ["W", "W", "W", "N1", "N3", "N3", "R"]
    assert ann.hypnogram.epoch_s == 30 and ann.hypnogram.start_s == 0


def test_stage_without_duration_is_one_epoch_and_order_does_not_matter():
    items = [(60, None, "Sleep stage N2"), (0, None, "Sleep stage W"), (30, None, "Sleep stage N1")]
    assert _stages(annotations_from_tal(items, duration_s=90)) == ["W", "N1", "N2"]


def test_epoch_length_comes_from_the_durations():
    items = [(0, 20, "Sleep stage W"), (20, 40, "Sleep stage N2"), (60, 20, "Sleep stage R")]
    ann = annotations_from_tal(items, duration_s=80)
    assert ann.hypnogram.epoch_s == 20
    assert _stages(ann) == ["W", "N2", "N2", "R"]


def test_gaps_between_stages_become_unscored_with_a_warning():
    items = [(0, 30, "Sleep stage W"), (90, 30, "Sleep stage N2")]
    ann = annotations_from_tal(items, duration_s=120)
    assert _stages(ann) == ["W", "U", "U", "N2"]
    assert any("2 epoch(s) have no stage annotation (the first at 30 s)" in w for w in ann.warnings)


def test_overlapping_different_stages_are_an_error_naming_the_onset():
    items = [(0, 60, "Sleep stage W"), (30, 30, "Sleep stage N1")]
    with pytest.raises(PlmsInputError, match=r"overlap with different stages \(W and N1\) at 30 s"):
        annotations_from_tal(items, duration_s=60, source="night.edf")


def test_misaligned_stage_is_an_error():
    with pytest.raises(PlmsInputError, match="at 45 s does not start on the 30-s epoch grid"):
        annotations_from_tal([(0, 30, "Sleep stage W"), (45, 30, "Sleep stage N1")], duration_s=90)


def test_partial_last_epoch_is_dropped_with_a_warning():
    items = [(0, 30, "Sleep stage W"), (30, 45, "Sleep stage N2")]
    ann = annotations_from_tal(items, duration_s=75)
    assert _stages(ann) == ["W", "N2"]
    assert any("last partial epoch was ignored" in w for w in ann.warnings)


def test_events_go_to_their_tables_with_kinds_and_sides():
    items = [
        (0, 120, "Sleep stage N2"),
        (10, 15, "Obstructive Apnea"), (40, 12.5, "Hypopnea"), (70, 11, "RERA"),
        (20, 5, "Arousal"), (90, 3, "AROUSAL-LM"),
        (30, 1.5, "Limb movement - left|Limb Movement (Left)"), (50, 0.8, "LM@@RAT"),
        (60, 1, "LM"),  # no side: dropped with a warning
        (80, 2, "Unsure|Unsure"), (85, 20, "SpO2 desaturation"),
    ]
    ann = annotations_from_tal(items, duration_s=120)
    assert ann.respiratory.values.tolist() == [
        [10, 15, "obstructive apnea"], [40, 12.5, "hypopnea"], [70, 11, "rera"]]
    assert ann.arousals.values.tolist() == [[20, 5], [90, 3]]
    assert ann.leg_movements.values.tolist() == [[30, 1.5, "left"], [50, 0.8, "right"]]
    assert ann.respiratory_scored and ann.arousals_scored
    assert any("1 leg-movement annotation(s) name no leg" in w for w in ann.warnings)


def test_without_events_nothing_counts_as_scored():
    ann = annotations_from_tal([(0, 30, "Sleep stage W")], duration_s=30)
    assert not ann.respiratory_scored and not ann.arousals_scored
    assert ann.respiratory.empty and list(ann.respiratory.columns) == ["onset", "duration", "kind"]


def test_lights_markers_limit_time_in_bed():
    items = [(0, 150, "Sleep stage W"), (30, None, "Lights off"), (120, None, "Lights on")]
    hyp = annotations_from_tal(items, duration_s=150).hypnogram
    assert hyp.lights_off_s == 30 and hyp.lights_on_s == 120
    assert hyp.tib_min == 1.5


def test_lights_on_before_off_is_an_error():
    items = [(0, 150, "Sleep stage W"), (120, None, "Lights off"), (30, None, "Lights on")]
    with pytest.raises(PlmsInputError, match="lights on"):
        annotations_from_tal(items, duration_s=150)


def test_events_outside_the_recording_are_dropped_with_a_warning():
    items = [(0, 60, "Sleep stage W"), (10, 10, "Hypopnea"), (500, 10, "Hypopnea")]
    ann = annotations_from_tal(items, duration_s=60)
    assert ann.respiratory["onset"].tolist() == [10]
    assert any("outside the recording" in w for w in ann.warnings)


def test_unknown_texts_are_reported_when_no_stage_was_found():
    ann = annotations_from_tal([(0, 30, "Stadio W"), (30, 30, "Stadio N1")], duration_s=60)
    assert ann.hypnogram is None
    assert any("no sleep-stage annotation was recognised" in w and "'Stadio W'" in w
               for w in ann.warnings)


def test_absurd_stage_duration_is_refused():
    with pytest.raises(PlmsInputError, match="lasts 1e\\+12 s, longer than any recording"):
        annotations_from_tal([(0, 1e12, "Sleep stage ?")], duration_s=None)
    items = [(0, 30, "Sleep stage W"), (1e10, 30, "Sleep stage W")]
    with pytest.raises(PlmsInputError, match="run from 0 s to 1e\\+10 s"):
        annotations_from_tal(items, duration_s=None)
