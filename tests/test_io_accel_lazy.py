"""Accelerometer recordings opened lazily: windows and chunks equal the whole read, bit for bit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_io_edfwriter import Fixture, Sig, write_fixture

import plms.io.accel.source as source
from plms.errors import PlmsInputError
from plms.io import read_accel
from plms.io.accel.lazy import open_accel, sample_index

SECONDS = 40
DMIN, DMAX = -32768, 32767
RANGE_G = 8.0


def _motion(n: int, fs: float, phase: float = 0.0) -> np.ndarray:
    """An ankle at rest (about 1 g) with a wobble and a few held turns, in g, shape (n, 3)."""
    t = np.arange(n) / fs
    turn = 0.3 * ((t % 7.0) < 1.3)   # a 17-degree turn held 1.3 s every 7 s
    return np.stack([0.1 * np.sin(2 * np.pi * 0.5 * t + phase) + turn,
                     0.2 * np.cos(2 * np.pi * 0.3 * t),
                     0.95 + 0.02 * np.sin(2 * np.pi * 1.1 * t)], axis=1)


def _digital(values: np.ndarray, lo: float, hi: float, dmin: int, dmax: int) -> np.ndarray:
    scaled = (values - lo) / (hi - lo) * (dmax - dmin) + dmin
    return np.clip(np.rint(scaled), dmin, dmax).astype(int)


def _two_ankles(path, *, fmt="EDF", unit="g", factor=1.0, clip_left_s=None):
    """Left ankle at 50 Hz, right at 25 Hz (1-s records), a C3 channel between them, EDF+C
    with a hypnogram and two apneas; ``clip_left_s`` = (a, b) holds the left X axis at the
    range limit over that stretch."""
    dmin, dmax = (DMIN, DMAX) if fmt == "EDF" else (-(2 ** 23), 2 ** 23 - 1)
    lo, hi = -RANGE_G * factor, RANGE_G * factor
    sigs = []
    for side, fs, phase in (("L", 50, 0.0), ("R", 25, 1.0)):
        data = _motion(fs * SECONDS, fs, phase) * factor
        if side == "L" and clip_left_s is not None:
            data[clip_left_s[0] * fs: clip_left_s[1] * fs, 0] = hi
        for k, axis in enumerate("XYZ"):
            sigs.append(Sig(f"Ankle {side} {axis}", _digital(data[:, k], lo, hi, dmin, dmax),
                            fs, unit=unit, pmin=lo, pmax=hi, dmin=dmin, dmax=dmax))
        if side == "L":
            sigs.append(Sig("C3-M2", np.zeros(100 * SECONDS, dtype=int), 100))
    stages = [(30.0 * k, 30.0, f"Sleep stage {s}") for k, s in enumerate(("W", "2"))]
    return write_fixture(path, Fixture(
        sigs, n_records=SECONDS, fmt=fmt, reserved=f"{fmt}+C",
        annotations=stages + [(4.0, 10.0, "Obstructive Apnea"), (33.5, 12.0, "Hypopnea")]))


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("fmt", ["EDF", "BDF"])
def test_windows_equal_the_whole_read_bit_for_bit(tmp_path, fmt, monkeypatch):
    path = _two_ankles(tmp_path / f"night.{fmt.lower()}", fmt=fmt)
    whole = read_accel(path)
    # the whole read is the generated motion, to a digital step
    for side, fs, phase in (("left", 50, 0.0), ("right", 25, 1.0)):
        np.testing.assert_allclose(whole.signals[side].data,
                                   _motion(fs * SECONDS, fs, phase), atol=RANGE_G / DMAX)
    monkeypatch.setattr(source, "READ_CHUNK_BYTES", 1000)   # several record blocks per window
    src = open_accel(path)
    assert src.sides == ("left", "right") and src.fs == {"left": 50.0, "right": 25.0}
    assert src.labels == {"left": "Ankle L", "right": "Ankle R"}
    assert src.duration_s == SECONDS and src.start == whole.start
    # windows on and off record boundaries (1-s records), and one past the end
    for a, b in [(0.0, 40.0), (0.0, 1.0), (3.0, 7.0), (2.37, 11.91), (12.5, 12.52),
                 (39.99, 40.0), (31.02, 55.0)]:
        win = src.window(a, b)
        assert win.duration_s == pytest.approx(min(b, SECONDS) - a)
        assert win.start == whole.start + dt.timedelta(seconds=a)
        for side, sig in whole.signals.items():
            fs = sig.fs
            i, j = int(np.ceil(a * fs - 1e-6)), int(np.ceil(min(b, SECONDS) * fs - 1e-6))
            got = win.signals[side]
            assert _same_bits(got.data, sig.data[i:j]), (a, b, side)
            assert not got.data.flags.writeable
            assert (got.label, got.axes, got.channel_labels, got.fs, got.unit, got.range_g) == (
                sig.label, sig.axes, sig.channel_labels, sig.fs, sig.unit, sig.range_g)


def test_window_units_checks_and_clipping_are_those_of_the_stretch(tmp_path):
    path = _two_ankles(tmp_path / "mg.edf", unit="mg", factor=1000.0, clip_left_s=(10, 14))
    whole = read_accel(path)
    win = open_accel(path).window(8.0, 18.0)
    # 4 s clipped of the left ankle's 40 s, and of the window's 10 s
    assert whole.signals["left"].clipped_fraction == pytest.approx(4 / 40)
    assert win.signals["left"].clipped_fraction == pytest.approx(4 / 10)
    assert win.signals["right"].clipped_fraction == 0.0
    assert any("range limits in 40.00%" in w for w in win.warnings)
    assert _same_bits(win.signals["left"].data, whole.signals["left"].data[400:900])
    np.testing.assert_allclose(whole.signals["right"].data, _motion(25 * SECONDS, 25, 1.0),
                               atol=RANGE_G / DMAX)
    # a unit that is not acceleration is refused when opening
    with pytest.raises(PlmsInputError, match="unknown acceleration unit"):
        open_accel(path, unit="uV")
    # the same file read as g is 1000 times too large: refused for a window too
    with pytest.raises(PlmsInputError, match="looks like mg labelled as g"):
        open_accel(path, unit="g").window(0.0, 10.0)


def test_window_annotations_are_moved_to_the_window(tmp_path):
    src = open_accel(_two_ankles(tmp_path / "night.edf"))
    assert src.annotations.hypnogram is not None
    assert src.annotations.hypnogram.stages.tolist() == ["W", "N2"]
    win = src.window(30.0, 40.0)
    hyp = win.annotations.hypnogram
    assert hyp is not None and hyp.stages.tolist() == ["N2"] and hyp.start_s == 0.0
    resp = win.annotations.respiratory
    assert resp.onset.tolist() == [pytest.approx(3.5)] and resp.kind.tolist() == ["hypopnea"]
    early = src.window(2.0, 20.0).annotations
    assert early.respiratory.onset.tolist() == [pytest.approx(2.0)]
    assert early.hypnogram is None   # no epoch starts in 2-20 s


@pytest.mark.parametrize("chunk_s, overlap_s", [(7.0, 0.0), (10.0, 2.5), (0.98, 0.0),
                                                (100.0, 0.0)])
def test_chunks_tile_the_recording(tmp_path, chunk_s, overlap_s):
    path = _two_ankles(tmp_path / "night.edf")
    whole = read_accel(path)
    chunks = list(open_accel(path).chunks(chunk_s, overlap_s))
    assert [t0 for t0, _ in chunks] == pytest.approx(
        [k * chunk_s for k in range(int(np.ceil(SECONDS / chunk_s)))])
    for side, sig in whole.signals.items():
        for t0, parts in chunks:
            i = sample_index(t0, sig.fs, sig.data.shape[0])
            j = sample_index(t0 + chunk_s + overlap_s, sig.fs, sig.data.shape[0])
            assert _same_bits(parts[side], sig.data[i:j])
        if overlap_s == 0:
            assert _same_bits(np.concatenate([p[side] for _, p in chunks]), sig.data)


def test_chunks_and_windows_refuse_nonsense(tmp_path):
    src = open_accel(_two_ankles(tmp_path / "night.edf"))
    with pytest.raises(ValueError, match="chunk_s"):
        next(src.chunks(0.0))
    with pytest.raises(ValueError, match="overlap_s"):
        next(src.chunks(5.0, -1.0))
    with pytest.raises(ValueError, match="after start_s"):
        src.window(5.0, 5.0)
    with pytest.raises(ValueError, match="outside the recording"):
        src.window(50.0, 60.0)


def test_csv_is_read_whole_and_sliced(tmp_path):
    fs, n = 50, 50 * SECONDS
    data = _motion(n, fs)
    start = pd.Timestamp("2026-11-25 22:30:00")
    stamps = [(start + pd.Timedelta(seconds=i / fs)).isoformat() for i in range(n)]
    path = tmp_path / "night-right.csv"
    pd.DataFrame({"time": stamps, "x": data[:, 0], "y": data[:, 1],
                  "z": data[:, 2]}).to_csv(path, index=False)
    whole = read_accel(path)
    src = open_accel(path)
    assert src.sides == ("right",) and src.fs["right"] == pytest.approx(50.0)
    win = src.window(3.3, 9.0)
    assert _same_bits(win.signals["right"].data, whole.signals["right"].data[165:450])
    assert win.start == whole.start + dt.timedelta(seconds=3.3)
    parts = [p["right"] for _, p in src.chunks(6.0)]
    assert _same_bits(np.concatenate(parts), whole.signals["right"].data)


# ------------------------------------------------ lazy signals through detection and sleep/wake

NIGHT_S, NIGHT_FS = 1800, 50


def _night(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Half an hour of an ankle at 50 Hz (g): sensor noise, and turns of 8-25 degrees held
    0.8-4 s at random times 12-40 s apart; returns the samples and the turns' onsets (s)."""
    rng = np.random.default_rng(seed)
    n = NIGHT_S * NIGHT_FS
    angle = np.zeros(n)
    onsets = np.cumsum(rng.uniform(12.0, 40.0, size=80))
    onsets = onsets[onsets < NIGHT_S - 10]
    for t0 in onsets:
        a, b = int(t0 * NIGHT_FS), int((t0 + rng.uniform(0.8, 4.0)) * NIGHT_FS)
        angle[a:b] = np.deg2rad(rng.uniform(8.0, 25.0))
    acc = np.stack([0.05 + 0.0 * angle, np.sin(angle), np.cos(angle)], axis=1)
    return acc + rng.normal(0.0, 0.003, size=acc.shape), onsets


def _night_edf(path):
    sigs = []
    for side, seed in (("L", 1), ("R", 2)):
        acc, _ = _night(seed)
        for k, axis in enumerate("XYZ"):
            sigs.append(Sig(f"Ankle {side} {axis}",
                            _digital(acc[:, k], -RANGE_G, RANGE_G, DMIN, DMAX), NIGHT_FS,
                            unit="g", pmin=-RANGE_G, pmax=RANGE_G))
    return write_fixture(path, Fixture(sigs, n_records=NIGHT_S, reserved="EDF+C"))


def _set_chunks(monkeypatch, rows: int) -> None:
    """Every chunked step of reading and detection works ``rows`` rows (or records) at a time."""
    import plms.io.accel._common as common
    import plms.signal.accel._filters as filters
    import plms.signal.accel.detect as detect

    monkeypatch.setattr(filters, "BLOCK_CHUNK_SAMPLES", rows)
    monkeypatch.setattr(detect, "DISTANCE_CHUNK_ROWS", rows)
    monkeypatch.setattr(detect, "BLOCK_CHUNK_ROWS", rows)
    monkeypatch.setattr(source, "SCAN_SAMPLES", rows)
    monkeypatch.setattr(source, "READ_CHUNK_BYTES", rows * 16)
    monkeypatch.setattr(common, "LAZY_READ_ROWS", rows)


def test_lazy_read_equals_the_whole_read(tmp_path, monkeypatch):
    path = _two_ankles(tmp_path / "mg.edf", unit="mg", factor=1000.0, clip_left_s=(10, 11))
    eager = read_accel(path)
    _set_chunks(monkeypatch, 333)
    lazy_rec = read_accel(path, lazy=True)
    assert lazy_rec.warnings == eager.warnings and len(eager.warnings) == 1   # the clipping
    for side, sig in eager.signals.items():
        got = lazy_rec.signals[side]
        assert isinstance(got.data, source.LazyAxes) and got.data.shape == sig.data.shape
        assert got.clipped_fraction == sig.clipped_fraction
        assert _same_bits(np.asarray(got.data), sig.data)
        assert _same_bits(got.data[7:1234:5], sig.data[7:1234:5])
        assert _same_bits(got.data[100:900, 2], sig.data[100:900, 2])
    win = open_accel(path).window(5.5, 30.25, lazy=True)
    assert _same_bits(np.asarray(win.signals["left"].data), eager.signals["left"].data[275:1513])


@pytest.mark.parametrize("rows", [997, 4096, 30_011])
def test_detection_in_chunks_equals_whole_processing(tmp_path, monkeypatch, rows):
    from plms.signal.accel.detect import detect_lm_accel
    from plms.signal.accel.sleepwake import estimate_sleep_wake

    path = _night_edf(tmp_path / "night.edf")
    _set_chunks(monkeypatch, 1 << 30)   # whole arrays at once: the reference
    eager = read_accel(path)
    whole = {s: detect_lm_accel(sig.data, sig.fs) for s, sig in eager.signals.items()}
    sleep = estimate_sleep_wake([sig.data for sig in eager.signals.values()], NIGHT_FS)
    # the constructed turns are found (a reference that works)
    for side, seed in (("left", 1), ("right", 2)):
        found = whole[side].events.onset.to_numpy()
        truth = _night(seed)[1]
        assert np.min(np.abs(found[:, None] - truth[None, :]), axis=0).max() < 0.5
    _set_chunks(monkeypatch, rows)   # chunks cut through movements
    rec = read_accel(path, lazy=True)
    for side, sig in rec.signals.items():
        det = detect_lm_accel(sig.data, sig.fs)
        pd.testing.assert_frame_equal(det.events, whole[side].events, check_exact=True)
        assert _same_bits(det.activity_mg, whole[side].activity_mg)
        assert (det.noise_floor_mg, det.threshold_mg) == (whole[side].noise_floor_mg,
                                                          whole[side].threshold_mg)
    chunked = estimate_sleep_wake([sig.data for sig in rec.signals.values()], NIGHT_FS)
    assert chunked.hypnogram.stages.tolist() == sleep.hypnogram.stages.tolist()
    assert _same_bits(chunked.angle_change_deg, sleep.angle_change_deg)
