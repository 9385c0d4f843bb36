"""mne.Annotations and yasa.Hypnogram (duck-typed) to plms annotations."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import mne
import pandas as pd
import pytest

from plms.errors import PlmsInputError
from plms.io import annotations_from_mne, annotations_from_yasa


def test_mne_annotations_are_classified_with_channel_sides():
    ann = mne.Annotations(
        onset=[0, 30, 60, 65, 70, 72, 75, 80],
        duration=[30, 30, 30, 12, 3, 1.5, 2, 1],
        description=["Sleep stage W", "Sleep stage N2", "Sleep stage R", "Hypopnea", "Arousal",
                     "LM@@LAT", "LM", "LM"],
        ch_names=[(), (), (), (), (), (), ("RLEG1-RLEG2",), ()],
    )
    out = annotations_from_mne(ann)
    assert out.hypnogram.stages.tolist() == ["W", "N2", "R"]
    assert out.respiratory.values.tolist() == [[65.0, 12.0, "hypopnea"]]
    assert out.arousals.values.tolist() == [[70.0, 3.0]]
    assert out.leg_movements.values.tolist() == [[72.0, 1.5, "left"], [75.0, 2.0, "right"]]
    assert any("1 leg-movement annotation(s) name no leg" in w for w in out.warnings)
    assert out.source == "mne.Annotations"


def test_mne_onsets_are_shifted_to_the_recording_start():
    own = datetime(2020, 1, 1, 22, 0, 10, tzinfo=timezone.utc)
    ann = mne.Annotations([0, 20], [30, 1], ["Sleep stage W", "LM@@RAT"], orig_time=own)
    out = annotations_from_mne(ann, orig_time=datetime(2020, 1, 1, 22, 0, 0))
    assert out.hypnogram.start_s == 10.0
    assert out.leg_movements["onset"].tolist() == [30.0]
    assert annotations_from_mne(ann).hypnogram.start_s == 0.0


def test_mne_duration_crops():
    ann = mne.Annotations([10, 500], [1, 1], ["LM@@LAT", "LM@@LAT"])
    out = annotations_from_mne(ann, duration_s=100)
    assert out.leg_movements["onset"].tolist() == [10.0]
    assert any("lie outside the recording" in w for w in out.warnings)


def _yasa_like(stages, freq="30s", start=None):
    """What annotations_from_yasa reads of a yasa.Hypnogram."""
    return SimpleNamespace(hypno=pd.Series(stages, name="Stage"), freq=freq, start=start)


def test_yasa_like_hypnogram():
    hyp = _yasa_like(["WAKE", "N1", "N2", "N3", "REM", "ART", "UNS"], freq="20s")
    out = annotations_from_yasa(hyp)
    assert out.hypnogram.stages.tolist() == ["W", "N1", "N2", "N3", "R", "U", "U"]
    assert out.hypnogram.epoch_s == 20 and out.hypnogram.start_s == 0


def test_yasa_start_is_aligned_to_the_recording_start():
    hyp = _yasa_like(["WAKE", "N2"], start=pd.Timestamp("2022-12-15 22:31:00"))
    out = annotations_from_yasa(hyp, start=datetime(2022, 12, 15, 22, 30, 0))
    assert out.hypnogram.start_s == 60.0


def test_yasa_coarse_hypnograms_are_refused():
    with pytest.raises(PlmsInputError, match=r"stages plms cannot use \(NREM\)"):
        annotations_from_yasa(_yasa_like(["WAKE", "NREM", "REM"]))
    with pytest.raises(TypeError, match="expected a yasa.Hypnogram"):
        annotations_from_yasa(["W", "N1"])


def test_real_yasa_hypnogram():
    yasa = pytest.importorskip("yasa")
    hyp = yasa.Hypnogram(["W", "N1", "N2", "N3", "R", "W"], start="2022-12-15 22:30:00")
    out = annotations_from_yasa(hyp, start=datetime(2022, 12, 15, 22, 29, 30))
    assert out.hypnogram.stages.tolist() == ["W", "N1", "N2", "N3", "R", "W"]
    assert out.hypnogram.start_s == 30.0
