"""score_edf on nights with problems in the signals or the annotations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import plms
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.simulate import NightSpec, SimChannel, simulate_night, write_edf, write_nsrr_xml

SPEC = NightSpec(duration_h=0.25, fs_leg=256, plm_severity=60.0)


@pytest.fixture(scope="module")
def night():
    return simulate_night(seed=41, spec=SPEC)


def _with_leg(night, data):
    ch = night.signals[night.left_label]
    signals = dict(night.signals)
    signals[night.left_label] = SimChannel(np.asarray(data, dtype=float), ch.fs, ch.unit)
    return dataclasses.replace(night, signals=signals)


def test_flat_leg_channel_is_refused(night, tmp_path):
    flat = _with_leg(night, np.zeros(night.signals[night.left_label].data.size))
    path = write_edf(flat, tmp_path / "flat.edf", extra_channels=False)
    with pytest.raises(PlmsInputError, match=r"flat.edf: .*'Leg L' is flat"):
        plms.score_edf(path)


def test_saturated_leg_channel_is_refused(night, tmp_path):
    n = night.signals[night.left_label].data.size
    railing = np.where(np.arange(n) % 2 == 0, 1e6, -1e6)       # far beyond the range
    path = write_edf(_with_leg(night, railing), tmp_path / "sat.edf", extra_channels=False)
    with pytest.raises(PlmsInputError, match="saturated"):
        plms.score_edf(path)


def test_partly_clipped_channel_is_a_warning(night, tmp_path):
    data = night.signals[night.left_label].data.copy()
    data[: data.size // 100] = 1e6                              # 1 % at the limit
    path = write_edf(_with_leg(night, data), tmp_path / "clip.edf", extra_channels=False)
    result = plms.score_edf(path)
    assert any("physical limits" in w for w in result.warnings)


def test_low_sampling_rate_is_scored_with_a_warning(tmp_path):
    low = simulate_night(seed=2, spec=dataclasses.replace(SPEC, fs_leg=128))
    result = plms.score_edf(write_edf(low, tmp_path / "low.edf", extra_channels=False))
    assert any("128 Hz" in w and "200 Hz" in w for w in result.warnings)
    assert result.summary["n_lm"] > 0


def test_hypnogram_longer_than_recording_is_cut_with_warning(night, tmp_path):
    extra = np.r_[night.hypnogram.stages, np.full(20, "N2")]
    longer_hypnogram = dataclasses.replace(night.hypnogram, stages=extra)
    longer = dataclasses.replace(night, hypnogram=longer_hypnogram)
    path = write_edf(night, tmp_path / "n.edf", extra_channels=False, annotations=False)
    write_nsrr_xml(longer, tmp_path / "n-nsrr.xml")
    result = plms.score_edf(path)
    # the XML carries no lights markers: every epoch inside the recording is in bed
    assert result.summary["tib_min"] == pytest.approx(night.duration_s / 60.0)
    assert any("longer than the recording" in w for w in result.warnings)


def test_hypnogram_shorter_than_recording_warns_and_leaves_tail_unstaged(night, tmp_path):
    half = night.hypnogram.n_epochs // 2
    shorter = dataclasses.replace(night, hypnogram=Hypnogram(night.hypnogram.stages[:half]))
    path = write_edf(night, tmp_path / "s.edf", extra_channels=False, annotations=False)
    write_nsrr_xml(shorter, tmp_path / "s-nsrr.xml")
    result = plms.score_edf(path)
    assert any("ends at" in w for w in result.warnings)
    tail = result.events[result.events.onset >= half * 30.0]
    assert (tail.stage == "n/a").all()


def test_events_outside_the_recording_are_dropped_with_a_count(night, tmp_path):
    resp = pd.concat([night.respiratory, pd.DataFrame(
        {"onset": [night.duration_s + 100.0, night.duration_s + 200.0], "duration": [20.0, 20.0],
         "kind": ["hypopnea", "hypopnea"]})], ignore_index=True)
    path = write_edf(night, tmp_path / "o.edf", extra_channels=False, annotations=False)
    write_nsrr_xml(dataclasses.replace(night, respiratory=resp), tmp_path / "o-nsrr.xml")
    result = plms.score_edf(path)
    assert any(w.startswith("2 respiratory") and "outside the recording" in w
               for w in result.warnings)


def test_explicit_annotations_override_the_sidecar(night, tmp_path):
    path = write_edf(night, tmp_path / "x.edf", extra_channels=False, annotations=False)
    other = dataclasses.replace(night, hypnogram=Hypnogram(np.full(night.hypnogram.n_epochs, "W")))
    write_nsrr_xml(night, tmp_path / "x-nsrr.xml")
    write_nsrr_xml(other, tmp_path / "awake.xml")
    result = plms.score_edf(path, annotations=tmp_path / "awake.xml")
    assert result.summary["tst_min"] == 0.0
    assert result.summary["plms_index"] is None
    assert result.summary["annotations_source"].endswith("awake.xml")


def test_score_edf_matches_score_lms_on_its_own_detections(night, tmp_path):
    """The pipeline adds nothing hidden: rules on its per-leg table give its events."""
    path = write_edf(night, tmp_path / "p.edf", extra_channels=False)
    result = plms.score_edf(path)
    again = plms.score_lms(result.per_leg, hypnogram=result.hypnogram,
                           respiratory=night.respiratory, arousals=night.arousals)
    pd.testing.assert_frame_equal(result.events, again.events)


def test_remlogic_clock_times_are_aligned_to_the_edf_start(night, tmp_path):
    """A RemLogic export is in wall-clock time: its first stage epoch at 22:31:00
    lies 60 s after an EDF that starts at 22:30:00, so every epoch moves by 60 s."""
    from datetime import datetime

    start = datetime(2024, 1, 1, 22, 30, 0)
    path = write_edf(night, tmp_path / "r.edf", extra_channels=False, annotations=False,
                     start=start)
    lines = ["RemLogic Event Export", "Patient ID:\tX", "Recording Date:\t1/1/2024", "",
             "Time [hh:mm:ss]\tEvent\tDuration[s]\tLocation"]
    for k in range(20):
        t = datetime(2024, 1, 1, 22, 31, 0).timestamp() + 30 * k
        stamp = datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S.000000")
        lines.append(f"{stamp}\t{'SLEEP-S0' if k < 2 else 'SLEEP-S2'}\t30\tEEG-C4-A1")
    remlogic = tmp_path / "r-events.txt"
    remlogic.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    result = plms.score_edf(path, annotations=remlogic)
    hyp = result.hypnogram
    assert hyp.start_s == pytest.approx(60.0)
    assert hyp.stage_at([59.0, 61.0, 121.0]).tolist() == ["n/a", "W", "N2"]
    assert result.summary["tst_min"] == pytest.approx(9.0)
