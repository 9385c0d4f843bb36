"""Reading a channel a stretch at a time (``read_recording(lazy=True)``): the same samples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyedflib
import pytest

from plms.io import read_recording

FS = 256
SECONDS = 30
#: Stretches read back: inside one record, across records, the ends, beyond the end.
RANGES = ((0, 1), (5, 200), (250, 1300), (FS * SECONDS - 7, FS * SECONDS),
          (FS * SECONDS - 3, FS * SECONDS + 50), (1000, 1000), (0, FS * SECONDS))


def _write(path, file_type, clip_at):
    """EDF/BDF written by pyedflib: legs (one with clipped samples), electrodes, ECG."""
    rng = np.random.default_rng(3)
    n = FS * SECONDS
    left = rng.normal(0, 30, n)
    left[clip_at] = 5000.0   # beyond the physical maximum: written as the digital maximum
    digital = (-32768, 32767) if file_type == pyedflib.FILETYPE_EDFPLUS else (-8388608, 8388607)
    channels = [("Leg L", "uV", FS, -1000, 1000, left),
                ("Leg R", "mV", FS, -1, 1, rng.normal(0, 0.02, n)),
                ("Lleg1", "uV", FS, -800, 800, rng.normal(0, 40, n)),
                ("Lleg2", "uV", FS, -800, 800, rng.normal(0, 10, n)),
                ("ECG", "mV", FS // 2, -5, 5, rng.normal(0, 0.5, n // 2))]
    writer = pyedflib.EdfWriter(str(path), len(channels), file_type=file_type)
    writer.setSignalHeaders([
        dict(label=lab, dimension=unit, sample_frequency=fs, physical_min=lo, physical_max=hi,
             digital_min=digital[0], digital_max=digital[1])
        for lab, unit, fs, lo, hi, _ in channels])
    writer.setStartdatetime(dt.datetime(2024, 3, 1, 22, 0, 0))
    writer.writeSamples([np.clip(d, lo, hi) if lab == "Leg L" else d
                         for lab, _, _, lo, hi, d in channels])
    writer.close()
    return path


@pytest.mark.parametrize("kind", ["edf", "bdf"])
@pytest.mark.parametrize("legs", [("Leg L", "Leg R"), ("Lleg1-Lleg2", "Leg R")])
def test_lazy_channels_hold_the_samples_of_the_whole_channel_reader(tmp_path, kind, legs):
    file_type = pyedflib.FILETYPE_EDFPLUS if kind == "edf" else pyedflib.FILETYPE_BDFPLUS
    path = _write(tmp_path / f"night.{kind}", file_type, clip_at=slice(100, 140))
    whole = read_recording(path, left=legs[0], right=legs[1], ecg="ECG")
    lazy = read_recording(path, left=legs[0], right=legs[1], ecg="ECG", lazy=True)
    for side in ("left", "right", "ecg"):
        a, b = getattr(whole, side), getattr(lazy, side)
        assert b.data.size == a.data.size and b.fs == a.fs and b.label == a.label
        assert (b.physical_min, b.physical_max) == (a.physical_min, a.physical_max)
        assert b.digital_resolution_uv == a.digital_resolution_uv
        assert b.saturated_fraction == a.saturated_fraction
        for lo, hi in RANGES:
            assert np.array_equal(b.data[lo:hi], a.data[lo:hi])
        assert np.array_equal(b.data[3::97], a.data[3::97])
        assert np.array_equal(np.asarray(b.data), a.data)
    if legs[0] == "Leg L":   # the 40 samples written beyond the physical maximum
        assert lazy.left.saturated_fraction == pytest.approx(40 / (FS * SECONDS))


@pytest.mark.parametrize("kind", ["edf", "bdf"])
def test_the_records_are_read_once_for_all_the_lazy_channels(tmp_path, monkeypatch, kind):
    """One pass over the data records copies the legs' and the ECG's bytes; every later
    read (clipping scan, stretches, whole channels) takes them from that copy."""
    import plms.io.psg.lazy as lazy_module

    file_type = pyedflib.FILETYPE_EDFPLUS if kind == "edf" else pyedflib.FILETYPE_BDFPLUS
    path = _write(tmp_path / f"night.{kind}", file_type, clip_at=slice(100, 140))
    whole = read_recording(path, left="Lleg1-Lleg2", right="Leg R", ecg="ECG")
    reads = []
    real = lazy_module.read_records

    def counted(header, first, last):
        reads.append((first, last))
        return real(header, first, last)

    monkeypatch.setattr(lazy_module, "READ_CHUNK_BYTES", 1)   # one record a read
    monkeypatch.setattr(lazy_module, "read_records", counted)
    monkeypatch.setattr(lazy_module, "read_digital_range", None)   # never called
    rec = read_recording(path, left="Lleg1-Lleg2", right="Leg R", ecg="ECG", lazy=True)
    for side in ("left", "right", "ecg"):
        a, b = getattr(whole, side), getattr(rec, side)
        assert b.saturated_fraction == a.saturated_fraction
        for lo, hi in RANGES:
            assert np.array_equal(b.data[lo:hi], a.data[lo:hi])
    assert reads == [(k, k + 1) for k in range(SECONDS)]   # 1-s records, each read once
