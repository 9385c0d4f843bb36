"""ISO timestamps decoded from the bytes of a CSV (plms.io.accel._fastcsv), and the reader."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from plms.io.accel import csv as accel_csv
from plms.io.accel._fastcsv import line_start_timestamps
from plms.io.accel.csv import read_accel_csv

EPOCH = dt.datetime(1970, 1, 1)


def _ns(stamp: dt.datetime) -> int:
    return (stamp - EPOCH) // dt.timedelta(microseconds=1) * 1000


def _write(tmp_path, text: str, name: str = "a.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


@pytest.mark.parametrize(("stamp", "expected"), [
    ("1970-01-01T00:00:00.000", dt.datetime(1970, 1, 1)),
    ("2024-02-29T23:59:59.999", dt.datetime(2024, 2, 29, 23, 59, 59, 999000)),  # leap day
    ("2000-03-01 12:00:00.25", dt.datetime(2000, 3, 1, 12, 0, 0, 250000)),     # space, 2 dec.
    ("1999-12-31T23:59:59", dt.datetime(1999, 12, 31, 23, 59, 59)),            # no decimals
    ("2100-01-01T00:00:00.000001", dt.datetime(2100, 1, 1, 0, 0, 0, 1)),       # microseconds
])
def test_known_instants(tmp_path, stamp, expected):
    path = _write(tmp_path, f"time,x,y,z\n{stamp},0,0,1\n{stamp},0,0,1\n")
    ns = line_start_timestamps(path, header_line=0, sep=",", n_columns=4)
    assert ns is not None and ns.tolist() == [_ns(expected)] * 2


@pytest.mark.parametrize("line", [
    "2023-02-29T00:00:00.000,0,0,1",      # not a leap year
    "2024-13-01T00:00:00.000,0,0,1",      # month 13
    "2024-01-01T24:00:00.000,0,0,1",      # hour 24
    "2024-01-01T00:00:60.000,0,0,1",      # second 60
    "2024-01-01T00:00:00.00,0,0,1",       # another width than the first line
    "2024-01-01T00:00:00.000Z,0,0,1",     # a time zone
    "2024-01-01T00:00:0x.000,0,0,1",      # not a digit
    "2024-01-01T00:00:00.000,0,0,1,5",    # a field too many
    "2024-01-01T00:00:00.000,0,0",        # a field too few
])
def test_anything_else_is_left_to_pandas(tmp_path, line):
    path = _write(tmp_path, "time,x,y,z\n2024-01-01T00:00:00.000,0,0,1\n" + line + "\n")
    assert line_start_timestamps(path, header_line=0, sep=",", n_columns=4) is None


def test_preamble_blank_lines_crlf_and_no_final_newline(tmp_path):
    text = ("device: test\r\nrate: 50\r\ntime;x;y;z\r\n2024-05-01T10:00:00.000;0;0;1\r\n\r\n"
            "2024-05-01T10:00:00.020;0;0;1")
    path = _write(tmp_path, text)
    ns = line_start_timestamps(path, header_line=2, sep=";", n_columns=4)
    start = _ns(dt.datetime(2024, 5, 1, 10))
    assert ns is not None and ns.tolist() == [start, start + 20_000_000]


def test_same_instants_as_pandas(tmp_path):
    rng = np.random.default_rng(5)
    seconds = np.sort(rng.integers(0, 200 * 365 * 86400, 500)) + rng.integers(0, 999, 500) / 1e3
    stamps = pd.Timestamp("1900-01-01") + pd.to_timedelta(seconds, unit="s")
    text = "timestamp,x,y,z\n" + "".join(f"{s.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]},0,0,1\n"
                                         for s in stamps)
    path = _write(tmp_path, text)
    expected = pd.to_datetime(pd.read_csv(path)["timestamp"], format="ISO8601")
    ns = line_start_timestamps(path, header_line=0, sep=",", n_columns=4)
    assert ns is not None
    assert ns.tolist() == expected.to_numpy(dtype="datetime64[ns]").astype(np.int64).tolist()


def test_reader_gives_the_same_recording_either_way(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    n = 3000
    xyz = np.round(rng.normal(0.0, 0.5, (n, 3)), 6)
    stamps = pd.date_range("2024-01-01 22:30", periods=n, freq="20ms")
    lines = [f"{s.isoformat(timespec='milliseconds')},{a:.6f},{b:.6f},{c:.6f}"
             for s, (a, b, c) in zip(stamps, xyz, strict=True)]
    path = _write(tmp_path, "timestamp,x,y,z,temperature\n"
                  + "\n".join(f"{line},21.5" for line in lines) + "\n", "night-left.csv")
    assert line_start_timestamps(path, header_line=0, sep=",", n_columns=5) is not None
    fast = read_accel_csv(path)
    monkeypatch.setattr(accel_csv, "line_start_timestamps", lambda *a, **k: None)
    slow = read_accel_csv(path)
    assert fast.start == slow.start == dt.datetime(2024, 1, 1, 22, 30)
    assert fast.duration_s == slow.duration_s == n / 50.0
    assert fast.warnings == slow.warnings
    assert np.array_equal(fast.signals["left"].data, slow.signals["left"].data)
    assert np.array_equal(fast.signals["left"].data, xyz.astype(np.float32))
