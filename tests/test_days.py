"""Multi-day ankle recordings: features, non-wear, sleep periods, diary, night-by-night scoring."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import edfio
import numpy as np
import pandas as pd
import pytest

from plms.errors import PlmsInputError
from plms.io.diary import read_diary
from plms.pipeline.accel import score_accel
from plms.pipeline.days import score_accel_days
from plms.result import NIGHT_NO_SLEEP, NIGHT_OK
from plms.signal.accel.days import (
    DaySettings, SegmentFeatures, features_from_chunks, find_sleep_periods, nonwear_mask,
    segment_features,
)
from plms.simulate.accel import AccelSpec, simulate_accel_night

FS = 25.0
H = 3600.0
START = dt.datetime(2026, 1, 5, 12, 0)
UP = np.array([0.0, 0.0, 1.0])          # shank upright (sensor frame): standing, walking
LYING = np.array([0.0, 1.0, 0.0])       # shank horizontal: in bed
TABLE = np.array([1.0, 0.0, 0.0])       # flat on a table


def _tilted(base: np.ndarray, deg: float, axis: int = 0) -> np.ndarray:
    t = np.deg2rad(deg)
    rot = np.eye(3)
    i, j = [k for k in range(3) if k != axis]
    rot[i, i], rot[i, j], rot[j, i], rot[j, j] = np.cos(t), -np.sin(t), np.sin(t), np.cos(t)
    return rot @ base


def awake(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Daytime: walking bouts (1.8 Hz, 300 mg) and sitting with the leg shifting every 20-60 s."""
    n = int(seconds * FS)
    t = np.arange(n) / FS
    out = np.empty((n, 3))
    at = 0
    while at < n:
        length = int(rng.uniform(20, 60) * FS)
        base = _tilted(UP, rng.uniform(-40, 40), axis=int(rng.integers(0, 2)))
        out[at: at + length] = base
        at += length
    walk = (t % 600) < 240
    out[walk, 2] += 0.3 * np.sin(2 * np.pi * 1.8 * t[walk])
    return out + rng.normal(0, 0.002, out.shape)


def asleep(rng: np.random.Generator, seconds: float, lms: bool = True) -> np.ndarray:
    """In bed: lying still with breathing sway, a turn every 40 min, PLM series (2 s, 15 deg)."""
    n = int(seconds * FS)
    t = np.arange(n) / FS
    out = np.empty((n, 3))
    pose = LYING
    for k, first in enumerate(range(0, n, int(40 * 60 * FS))):
        pose = _tilted(LYING, 25.0 * (k % 3), axis=2)
        out[first:] = pose
    if lms:
        for onset in np.arange(600.0, seconds - 600.0, 30.0):
            i = int(onset * FS)
            out[i: i + int(2 * FS)] = _tilted(out[i], 15.0, axis=1)
    sway = 0.003 * np.sin(2 * np.pi * 0.25 * t)[:, None] * np.array([0.0, 0.3, 1.0])
    return out + sway + rng.normal(0, 0.002, out.shape)


def off_ankle(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """Non-wear: on a table, sensor noise only."""
    n = int(seconds * FS)
    return np.tile(TABLE, (n, 1)) + rng.normal(0, 0.0015, (n, 3))


def write_edf(path: Path, data: dict[str, np.ndarray], start: dt.datetime = START) -> Path:
    """Write per-side (n, 3) g arrays as an EDF+ with ``Ankle L X``... labels."""
    signals = []
    for side, arr in data.items():
        letter = side[0].upper()
        for k, axis in enumerate("XYZ"):
            signals.append(edfio.EdfSignal(np.clip(arr[:, k], -8, 8), FS,
                                           label=f"Ankle {letter} {axis}",
                                           physical_dimension="g", physical_range=(-8, 8),
                                           digital_range=(-32768, 32767)))
    edf = edfio.Edf(signals, starttime=start.time(),
                    recording=edfio.Recording(startdate=start.date()))
    edf.write(path)
    return path


def two_days(rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Noon to noon twice: night 1 23:00-06:00, night 2 22:30-06:30; truth windows in s."""
    parts = [awake(rng, 11 * H), asleep(rng, 7 * H), awake(rng, 16.5 * H),
             asleep(rng, 8 * H), awake(rng, 5.5 * H)]
    return np.vstack(parts), [(11 * H, 18 * H), (34.5 * H, 42.5 * H)]


def test_features_from_chunks_equal_whole() -> None:
    rng = np.random.default_rng(1)
    acc = awake(rng, 1000.0)
    whole = segment_features(acc, FS)
    step = int(125 * FS)   # 25 segments
    chunks = ((i / FS, {"left": acc[i: i + step]}) for i in range(0, acc.shape[0], step))
    got = features_from_chunks(chunks, FS)["left"]
    np.testing.assert_array_equal(got.orientation, whole[0])
    np.testing.assert_array_equal(got.sd_mg, whole[1])


def test_nonwear_table_vs_still_sleeping_ankle() -> None:
    rng = np.random.default_rng(2)
    table = SegmentFeatures(5.0, *segment_features(off_ankle(rng, 1.5 * H), FS))
    assert nonwear_mask(table).all()
    # a sleeping ankle as still as a table (no LM, no turn for 90 min) but with breathing
    # sway and twitches of a few mg now and then: worn
    n = int(1.5 * H * FS)
    t = np.arange(n) / FS
    still = np.tile(LYING, (n, 1)) + rng.normal(0, 0.0015, (n, 3))
    still[:, 2] += 0.004 * np.sin(2 * np.pi * 0.25 * t) * (np.sin(2 * np.pi * t / 97) > 0.3)
    worn = SegmentFeatures(5.0, *segment_features(still, FS))
    assert not nonwear_mask(worn).any()
    # a leg at rest while seated: slow sway of a few tenths of a degree, worn
    sway = np.deg2rad(0.4) * np.sin(2 * np.pi * t / 40.0)
    seated = np.stack([np.zeros(n), np.sin(sway), np.cos(sway)], axis=1)
    seated += rng.normal(0, 0.0015, (n, 3))
    assert not nonwear_mask(SegmentFeatures(5.0, *segment_features(seated, FS))).any()
    # shorter than an hour on the table mid-recording: not non-wear; at its start: non-wear
    short = np.vstack([awake(rng, 600.0), off_ankle(rng, 0.8 * H), awake(rng, 600.0)])
    assert not nonwear_mask(SegmentFeatures(5.0, *segment_features(short, FS))).any()
    first = np.vstack([off_ankle(rng, 0.4 * H), awake(rng, 600.0)])
    mask = nonwear_mask(SegmentFeatures(5.0, *segment_features(first, FS)))
    assert mask[: int(0.4 * H / 5) - 1].all() and not mask[int(0.4 * H / 5) + 1:].any()


def test_nonwear_despite_offset_drift() -> None:
    """A sensor cooling on a table drifts by tens of mg: still non-wear (sliding windows)."""
    rng = np.random.default_rng(9)
    table = off_ankle(rng, 3 * H)
    table[:, 1] += np.linspace(0.0, 0.12, table.shape[0])   # 120 mg over 3 h
    acc = np.vstack([awake(rng, 600.0), table, awake(rng, 600.0)])
    mask = nonwear_mask(SegmentFeatures(5.0, *segment_features(acc, FS)))
    got = np.flatnonzero(mask) * 5.0
    assert abs(got[0] - 600.0) <= 10 and abs(got[-1] + 5 - (600.0 + 3 * H)) <= 10
    assert mask.sum() * 5.0 >= 0.99 * 3 * H


def test_sleep_periods_nonwear_and_no_sleep_day() -> None:
    rng = np.random.default_rng(3)
    # day 1: night 23:00-06:00; day 2: sensor off 20:00-23:00 then awake all night
    acc = np.vstack([awake(rng, 11 * H), asleep(rng, 7 * H), awake(rng, 14 * H),
                     off_ankle(rng, 3 * H), awake(rng, 13 * H)])
    feats = {"left": SegmentFeatures(5.0, *segment_features(acc, FS))}
    periods = find_sleep_periods(feats, START, acc.shape[0] / FS, DaySettings())
    days = periods.days
    assert days["status"].tolist() == [NIGHT_OK, NIGHT_NO_SLEEP]
    assert abs(days["start_s"][0] - 11 * H) < 10 * 60
    assert abs(days["end_s"][0] - 18 * H) < 10 * 60
    nw = periods.nonwear
    assert len(nw) == 1
    assert abs(nw["start_s"][0] - 32 * H) < 60 and abs(nw["end_s"][0] - 35 * H) < 60
    assert days["reason"][1]


def test_nap_is_not_a_night() -> None:
    rng = np.random.default_rng(4)
    acc = np.vstack([awake(rng, 3 * H), asleep(rng, 0.75 * H, lms=False), awake(rng, 7.25 * H),
                     asleep(rng, 8 * H), awake(rng, 5 * H)])
    feats = {"left": SegmentFeatures(5.0, *segment_features(acc, FS))}
    periods = find_sleep_periods(feats, START, acc.shape[0] / FS)
    assert periods.days["status"].tolist() == [NIGHT_OK]
    assert abs(periods.days["start_s"][0] - 11 * H) < 10 * 60
    assert len(periods.naps) == 1
    assert abs(periods.naps["start_s"][0] - 3 * H) < 10 * 60


@pytest.fixture(scope="module")
def two_day_edf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    rng = np.random.default_rng(5)
    acc, truth = two_days(rng)
    path = write_edf(tmp_path_factory.mktemp("days") / "rec.edf", {"left": acc})
    return path, truth


def test_score_accel_days_nights_found(two_day_edf: tuple[Path, list]) -> None:
    path, truth = two_day_edf
    res = score_accel_days(path)
    nights = res.nights
    assert nights["status"].tolist() == [NIGHT_OK, NIGHT_OK]
    assert nights["date"].tolist() == ["2026-01-05", "2026-01-06"]
    for (a, b), row in zip(truth, nights.itertuples(), strict=True):
        assert abs(row.start_s - a) < 20 * 60 and abs(row.end_s - b) < 20 * 60
        assert row.window_source == "detected"
        onset = dt.datetime.fromisoformat(row.sleep_onset)
        assert abs((onset - START).total_seconds() - a) < 30 * 60
    # event onsets in s from the recording start, inside each night's window
    for number, result in res.results.items():
        row = nights[nights["night"] == number].iloc[0]
        assert result.events["onset"].between(row.start_s, row.end_s).all()
        assert len(result.events) > 0
    assert res.summary["nights_scored"] == 2 and res.summary["plms_index_pooled"] is not None
    assert res.activity["t_s"].diff().dropna().eq(60.0).all()


def test_diary_overrides_detected(two_day_edf: tuple[Path, list], tmp_path: Path) -> None:
    path, _ = two_day_edf
    diary = tmp_path / "diary.csv"
    diary.write_text("night,lights_off,lights_on\n2,22:00,2026-01-07T07:00:00\n")
    res = score_accel_days(path, diary=diary)
    n1, n2 = res.nights.iloc[0], res.nights.iloc[1]
    assert n1.window_source == "detected" and n2.window_source == "diary"
    assert n2.start_s == 34 * H and n2.end_s == 43 * H
    assert n2.lights_off == "2026-01-06T22:00:00"
    assert not any("diary" in w for w in res.warnings)


def test_a_diary_night_outside_the_recording_is_named(two_day_edf: tuple[Path, list],
                                                      tmp_path: Path) -> None:
    path, _ = two_day_edf
    diary = tmp_path / "diary.csv"
    diary.write_text("night,lights_off,lights_on\n9,2026-01-20T22:00,2026-01-21T06:00\n")
    res = score_accel_days(path, diary=diary)
    assert "diary night 9 lies outside the recording: not used" in res.warnings
    assert (res.nights["window_source"] != "diary").all()


def test_one_night_scored_exactly_as_alone(tmp_path: Path) -> None:
    """A night inside a multi-day recording gives the events and figures of the night alone."""
    night = simulate_accel_night(7, AccelSpec(duration_h=2.0, fs_hz=FS, sides=("left",)))
    data = np.asarray(night.signals["Ankle L"])
    alone = write_edf(tmp_path / "alone.edf", {"left": data},
                      start=dt.datetime(2026, 1, 5, 23, 0))
    rng = np.random.default_rng(6)
    multi = np.vstack([awake(rng, 11 * H), data, awake(rng, 6 * H)])
    whole = write_edf(tmp_path / "multi.edf", {"left": multi})
    diary = tmp_path / "diary.csv"
    diary.write_text("night,lights_off,lights_on\n1,23:00,01:00\n")
    one = score_accel(alone, keep_excerpt=False)
    days = score_accel_days(whole, diary=diary)
    got = days.night(1)
    expect = one.events.assign(onset=one.events["onset"] + 11 * H)
    pd.testing.assert_frame_equal(got.events.reset_index(drop=True),
                                  expect.reset_index(drop=True))
    for key in ("tst_min", "tib_min", "n_lm", "n_plms", "plms_index", "plmw_index"):
        assert got.summary[key] == one.summary[key], key
    assert days.nights["plms_index"][0] == one.summary["plms_index"]


def test_nonwear_excluded_from_night(tmp_path: Path) -> None:
    """Non-wear inside a diary window is reported and no movement is found in it."""
    rng = np.random.default_rng(8)
    acc = np.vstack([awake(rng, 10 * H), off_ankle(rng, 1.5 * H), asleep(rng, 7 * H),
                     awake(rng, 5.5 * H)])
    path = write_edf(tmp_path / "nw.edf", {"left": acc})
    diary = tmp_path / "d.csv"
    diary.write_text("night,lights_off,lights_on\n1,22:00,06:30\n")
    res = score_accel_days(path, diary=diary)
    assert len(res.nonwear) == 1
    assert abs(res.nonwear["start_s"][0] - 10 * H) < 60
    row = res.nights.iloc[0]
    assert abs(row.nonwear_min - 90) < 2
    ev = res.night(1).events
    assert not ev["onset"].between(10 * H, 11.5 * H).any()
    detected = score_accel_days(path)
    assert detected.nights["start_s"][0] >= 11.5 * H - 60


@pytest.mark.parametrize(("text", "problem"), [
    ("night,lights_off\n1,23:00\n", "line 1: a sleep diary needs"),
    ("night,lights_off,lights_on\nx,23:00,07:00\n", "line 2: night must be"),
    ("night,lights_off,lights_on\n1,23:00,07:00\n1,23:00,07:00\n", "line 3: night 1 is given"),
    ("night,lights_off,lights_on\n1,late,07:00\n", "line 2: lights_off 'late'"),
    ("night,lights_off,lights_on\n1,2026-01-05T23:00,2026-01-05T22:00\n", "line 2: lights on"),
    # the columns swapped: clock times read as 06:00 to 05:00 the next day, 23 h
    ("night,lights_off,lights_on\n1,06:00,05:00\n", "line 2: the night from 06:00 to 05:00 "
                                                     "lasts over 16 h"),
])
def test_read_diary_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "diary.csv"
    path.write_text(text)
    with pytest.raises(PlmsInputError, match=problem) as err:
        read_diary(path, START)
    assert str(path) in str(err.value)


def test_read_diary_times(tmp_path: Path) -> None:
    path = tmp_path / "diary.csv"
    path.write_text("night,lights_off,lights_on\n2,00:30,08:00\n1,23:00,07:15:30\n")
    got = read_diary(path, START)
    assert got["night"].tolist() == [1, 2]
    assert got["lights_off_s"].tolist() == [11 * H, 36.5 * H]
    assert got["lights_on_s"].tolist() == [19.25 * H + 30, 44 * H]
    with pytest.raises(PlmsInputError, match="missing.edf"):
        read_diary(tmp_path / "missing.edf", START)


def test_day_settings_validated() -> None:
    with pytest.raises(ValueError, match="nonwear_axes"):
        DaySettings(nonwear_axes=4)
    assert dataclasses.replace(DaySettings(), night_min_s=60.0).night_min_s == 60.0


def _segments(rng: np.random.Generator, hours: float, off: bool) -> tuple[np.ndarray, np.ndarray]:
    """5-s segment features: on a table (still, 1 mg) or awake (wandering orientation, 50 mg)."""
    n = int(hours * H / 5.0)
    if off:
        return np.tile(TABLE, (n, 1)), np.full((n, 3), 1.0)
    orient = UP + rng.normal(0, 0.2, (n, 3))
    return orient / np.linalg.norm(orient, axis=1, keepdims=True), np.full((n, 3), 50.0)


def test_no_sleep_day_mostly_off_the_ankle_follows_night_off_share() -> None:
    rng = np.random.default_rng(5)
    # noon to 20:00 awake, 20:00-06:00 on a table (10 of the 12 night hours), then awake
    parts = [_segments(rng, 8, False), _segments(rng, 10, True), _segments(rng, 6, False)]
    feats = {"left": SegmentFeatures(5.0, np.vstack([p[0] for p in parts]),
                                     np.vstack([p[1] for p in parts]))}
    default = find_sleep_periods(feats, START, 24 * H, DaySettings()).days
    assert default["status"].tolist() == [NIGHT_NO_SLEEP]
    assert "off the ankle" in default["reason"][0]
    strict = find_sleep_periods(feats, START, 24 * H, DaySettings(night_off_share=0.9)).days
    assert "off the ankle" not in strict["reason"][0]   # 10/12 of the night is not above 0.9
    with pytest.raises(ValueError, match="night_off_share"):
        DaySettings(night_off_share=1.5)
