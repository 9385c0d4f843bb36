"""Signal conditioning building blocks against straightforward references."""

from __future__ import annotations

import numpy as np
import pytest

from plms.signal.emg.baseline import BaselineSettings, resting_baseline, window_rest_level
from plms.signal.emg.cardiac import detect_r_peaks, qrs_valid_mask
from plms.signal.emg.conditioning import (
    binned_rectified,
    choose_band,
    design_fir,
    detect_mains,
    envelope,
    fir_filter,
    moving_sum,
    row_nanquantile,
)
from plms.rules import WASM2016

#: The quiet margin the detector gives the baseline: the offset threshold.
QUIET_UV = WASM2016.lm_offset_above_baseline_uv


@pytest.mark.parametrize("n", [0, 1, 2, 5, 19, 20, 21, 200])
@pytest.mark.parametrize("width", [1, 2, 5, 20])
def test_moving_sum_matches_a_plain_loop(n, width):
    x = np.random.default_rng(n).standard_normal(n)
    half = width // 2
    expected = [x[max(0, i - half): max(0, i - half + width)].sum() for i in range(n)]
    np.testing.assert_allclose(moving_sum(x, width), expected, atol=1e-9)


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_row_nanquantile_matches_numpy_lower():
    rng = np.random.default_rng(0)
    frames = rng.standard_normal((50, 37))
    frames[rng.random(frames.shape) < 0.1] = np.nan
    frames[3] = np.nan
    expected = np.nanquantile(frames, 0.3, axis=1, method="lower")
    np.testing.assert_array_equal(row_nanquantile(frames, 0.3), expected)


@pytest.mark.parametrize("fs", [128.0, 200.0, 256.0, 512.0])
def test_fir_passes_the_band_with_zero_phase_and_stops_drift(fs):
    t = np.arange(int(20 * fs)) / fs
    in_band = np.sin(2 * np.pi * 30.0 * t)
    drift = 100.0 * np.sin(2 * np.pi * 0.5 * t)
    y = fir_filter(in_band + drift, design_fir(choose_band(fs, None)))
    core = slice(int(2 * fs), int(18 * fs))
    np.testing.assert_allclose(y[core], in_band[core], atol=0.02)


def test_fir_notches_mains():
    fs = 512.0
    t = np.arange(int(20 * fs)) / fs
    hum = 50.0 * np.sin(2 * np.pi * 50.0 * t)
    y = fir_filter(hum, design_fir(choose_band(fs, 50.0)))
    assert np.abs(y[int(2 * fs): int(18 * fs)]).max() < 0.5


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_detect_mains_finds_the_line(mains):
    fs = 256.0
    rng = np.random.default_rng(1)
    t = np.arange(int(120 * fs)) / fs
    x = rng.standard_normal(t.size) * 5 + 3.0 * np.sin(2 * np.pi * mains * t)
    assert detect_mains(x, fs) == mains
    assert detect_mains(rng.standard_normal(t.size) * 5, fs) is None


def test_binned_rectified_chunks_equal_one_pass():
    fs = 250.0
    x = np.random.default_rng(2).standard_normal(int(fs * 300)).astype(np.float32)
    taps = design_fir(choose_band(fs, 50.0))
    whole = binned_rectified(fir_filter(x, taps), fs)
    chunked = binned_rectified(x, fs, taps=taps, chunk_bins=777)
    np.testing.assert_allclose(chunked[0], whole[0], rtol=1e-4)
    np.testing.assert_array_equal(chunked[1], whole[1])
    assert whole[0].size == 300 * 100


def test_r_peaks_on_a_realistic_ecg_with_wander():
    fs = 512.0
    rng = np.random.default_rng(3)
    t = np.arange(int(60 * fs)) / fs
    beats = np.cumsum(rng.uniform(0.7, 1.1, 80))
    beats = beats[beats < 59.5]
    ecg = 200 * np.sin(2 * np.pi * 0.2 * t) + rng.standard_normal(t.size) * 10
    for b in beats:
        ecg += 1000 * np.exp(-0.5 * ((t - b) / 0.012) ** 2)          # R
        ecg += 250 * np.exp(-0.5 * ((t - b - 0.25) / 0.04) ** 2)     # T
    found = detect_r_peaks(ecg, fs)
    assert len(found) == len(beats)
    np.testing.assert_allclose(found, beats, atol=0.02)


def test_qrs_gate_marks_the_window_around_each_beat():
    valid = qrs_valid_mask(1000, 100.0, [2.0, 5.0], 0.06, 0.09)
    assert not valid[194:210].any() and not valid[494:510].any()
    assert valid[:194].all() and valid[210:494].all() and valid[510:].all()


def test_baseline_ignores_movements_and_follows_tone_steps():
    rate = 100.0
    env = np.r_[np.full(9000, 2.0), np.full(9000, 9.0)]        # tone step at 90 s
    for start in [*range(500, 5000, 2000), *range(9500, 18000, 2000)]:   # 3-s LMs
        env[start:start + 300] += 60.0
    base = resting_baseline(env, rate, quiet_margin_uv=QUIET_UV)
    assert np.abs(base[:8950] - 2.0).max() < 1e-9              # up to the last block centre
    assert np.abs(base[9050:] - 9.0).max() < 1e-9              # from the first one after


@pytest.mark.parametrize("rest", [2.0, 9.0, 30.0])
def test_baseline_does_not_rise_during_long_or_dense_activity(rest):
    """A 25-s movement, and restless wake (15-s movements every 20 s), are not rest."""
    rate = 100.0
    rng = np.random.default_rng(int(rest))
    n = 30_000
    env = rest * (1.0 + 0.1 * rng.standard_normal(n))                # resting scatter
    env[6000:8500] += 15.0                                           # a 25-s movement
    for start in range(12_000, 26_000, 2000):                        # 75 % active
        env[start:start + 1500] += 20.0
    base = resting_baseline(env, rate, quiet_margin_uv=QUIET_UV)
    # resting level within its own scatter everywhere, inside the movements too
    assert np.all(np.abs(base[500:-500] - rest) < 0.15 * rest + 0.5), np.abs(base - rest).max()


def test_baseline_follows_a_tone_step_after_a_posture_change():
    """A posture turn (a 4-s movement) then a higher resting tone: followed within a block."""
    rate = 100.0
    env = np.r_[np.full(12_000, 3.0), np.full(12_000, 12.0)]
    env[11_600:12_000] = 150.0                                       # the turn, ends at the step
    for start in (13_000, 16_000, 19_000):                           # LMs on the new tone
        env[start:start + 200] += 40.0
    base = resting_baseline(env, rate, quiet_margin_uv=QUIET_UV)
    assert np.abs(base[:11_550] - 3.0).max() < 1e-9
    assert np.abs(base[12_050:] - 12.0).max() < 1e-9


def test_window_rest_level_uses_the_quiet_blocks_only():
    levels = np.r_[np.full(10, 4.0), np.full(20, 50.0)]             # a third of the window at rest
    settings = BaselineSettings()
    past = window_rest_level(levels, 30, False, QUIET_UV, settings)
    assert past[-1] == 4.0
    assert np.isnan(past[:14]).all()                                 # under half a window: no vote
    future = window_rest_level(levels, 30, True, QUIET_UV, settings)
    assert future[0] == 4.0 and future[9] == 50.0 and np.isnan(future[-1])


@pytest.mark.parametrize("bad", [{"block_s": 0.0}, {"window_s": -1.0}, {"floor_quantile": 1.5},
                                 {"block_quantile": -0.1}, {"rest_scatter": -0.2},
                                 {"block_s": 2.0, "window_s": 1.0}])
def test_baseline_settings_are_validated(bad):
    with pytest.raises(ValueError):
        BaselineSettings(**bad)


def test_baseline_refuses_a_negative_margin_or_rate():
    with pytest.raises(ValueError, match="quiet_margin_uv"):
        resting_baseline(np.ones(10), 100.0, quiet_margin_uv=-1.0)
    with pytest.raises(ValueError, match="rate_hz"):
        resting_baseline(np.ones(10), 0.0, quiet_margin_uv=QUIET_UV)


def test_a_window_the_gate_starves_is_bridged_from_windows_that_hold_enough():
    """128-Hz-like bins (1.28 samples each, 7 µV at rest): a 0.15-s gate leaves a
    0.2-s window 6 samples, all of a beat's 20-µV residue just past the gate.

    Alone they average 20 µV, above the 7 + 8 µV onset threshold; bridged, the
    bins take values between the nearest windows holding >= 12 samples, whose
    means (hand-derived below) stay under 15 µV. Windows off the gate are unchanged.
    """
    n, width, per_bin, rest, residue = 200, 20, 1.28, 7.0, 20.0
    full = np.full(n, per_bin)
    counts, sums = full.copy(), full * rest
    gate = slice(100, 115)                       # 0.15 s
    counts[gate], sums[gate] = 0.0, 0.0
    sums[115:120] = counts[115:120] * residue    # 0.05 s of residue past the gate
    plain = envelope(sums, counts, width)
    bridged = envelope(sums, counts, width, full, min_samples=12.0)
    assert plain.max() == pytest.approx(residue)          # 6.4 samples, all residue
    assert plain.max() > rest + 8.0
    # the most residue-heavy window holding enough (12 less the half-sample
    # tolerance): 5 bins of residue + 4 of rest, 11.52 samples -> 14.2 µV
    assert bridged.max() == pytest.approx((5 * residue + 4 * rest) / 9)
    assert bridged.max() < rest + 8.0
    far = np.r_[0:80, 140:n - width]
    np.testing.assert_array_equal(bridged[far], plain[far])


def test_bridging_leaves_ungated_short_windows_alone():
    """A window short of min_samples without any gate (the recording's ends) keeps its mean."""
    full = np.full(50, 1.0)
    sums = np.arange(50.0)
    got = envelope(sums, full, 20, full, min_samples=12.0)
    np.testing.assert_array_equal(got, envelope(sums, full, 20))
