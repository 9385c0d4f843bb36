"""The clipping scan of a channel read on demand keeps the quick look at it (issue 15):
``samples[::thinning_step(size)]`` then costs no second pass over the file."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyedflib
import pytest

import plms.io.psg.lazy as lazy
from plms.io import read_recording

FS = 256
SECONDS = 20


def _write(path):
    rng = np.random.default_rng(5)
    n = FS * SECONDS
    channels = [("Lleg1", rng.normal(0, 40, n)), ("Lleg2", rng.normal(0, 10, n)),
                ("Leg R", rng.normal(0, 30, n))]
    writer = pyedflib.EdfWriter(str(path), len(channels), file_type=pyedflib.FILETYPE_EDFPLUS)
    writer.setSignalHeaders([
        dict(label=lab, dimension="uV", sample_frequency=FS, physical_min=-800,
             physical_max=800, digital_min=-32768, digital_max=32767) for lab, _ in channels])
    writer.setStartdatetime(dt.datetime(2024, 3, 1, 22, 0, 0))
    writer.writeSamples([d for _, d in channels])
    writer.close()


@pytest.mark.parametrize("left", ["Lleg1-Lleg2", None])
def test_the_thinned_samples_come_from_the_clipping_scan(tmp_path, monkeypatch, left):
    path = tmp_path / "night.edf"
    _write(path)
    monkeypatch.setattr(lazy, "THINNED_SAMPLES", 97)          # a step of 52 samples
    eager = read_recording(path, read_annotations=False, left=left or "Leg R",
                           right="Leg R" if left else None)
    rec = read_recording(path, read_annotations=False, left=left or "Leg R",
                         right="Leg R" if left else None, lazy=True)
    x = rec.legs["left"].data
    step = lazy.thinning_step(x.size)
    assert step == FS * SECONDS // 97

    def no_reading(*args, **kwargs):
        raise AssertionError("read the file again")

    monkeypatch.setattr(lazy.SignalColumns, "digital", no_reading)
    monkeypatch.setattr(lazy, "read_digital_range", no_reading)
    np.testing.assert_array_equal(x[::step], eager.legs["left"].data[::step])
    with pytest.raises(AssertionError, match="read the file again"):
        x[::step]                                            # handed out once, then freed
