"""The numpy moving average and median of the accelerometer code (plms.signal.accel._filters).

Checked by hand on short signals, and bit for bit against scipy.ndimage, whose
numbers the detector's and the sleep/wake estimate's results were tuned with.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import median_filter, uniform_filter1d

from plms.signal.accel._filters import moving_average, moving_median


def test_hand_examples() -> None:
    x = np.array([[1.0, 10.0], [5.0, 10.0], [2.0, 40.0], [8.0, 10.0], [3.0, 10.0]])
    # window of 3 centred, the first and last rows repeated at the edges
    assert moving_median(x, 3)[:, 0].tolist() == [1.0, 2.0, 5.0, 3.0, 3.0]
    assert moving_median(x, 3)[:, 1].tolist() == [10.0] * 5      # a lone spike is removed
    assert moving_average(x, 3)[:, 1].tolist() == [10.0, 20.0, 20.0, 20.0, 10.0]
    # an even window reaches one row further back than forward; median: the upper middle
    assert moving_median(np.array([[4.0], [1.0], [3.0], [2.0]]), 2)[:, 0].tolist() == [
        4.0, 4.0, 3.0, 3.0]
    assert moving_average(np.array([[0.0], [2.0], [4.0]]), 2)[:, 0].tolist() == [0.0, 1.0, 3.0]


def test_window_longer_than_signal_and_empty() -> None:
    x = np.array([[1.0], [2.0], [9.0]])
    # width 7: rows -3..3 hold 1, 1, 1, 1, 2, 9, 9 for the first output
    assert moving_median(x, 7)[0, 0] == 1.0
    assert moving_average(x, 7)[0, 0] == pytest.approx(24.0 / 7)
    assert moving_median(np.zeros((0, 3)), 5).shape == (0, 3)
    assert moving_average(np.zeros((0, 3)), 5).shape == (0, 3)
    with pytest.raises(ValueError, match="at least one row"):
        moving_median(x, 0)
    with pytest.raises(ValueError, match="rows x columns"):
        moving_average(np.zeros(4), 2)


@pytest.mark.parametrize("seed", range(6))
def test_bit_for_bit_as_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n, k, width = int(rng.integers(1, 300)), int(rng.integers(1, 4)), int(rng.integers(1, 70))
        x = rng.normal(size=(n, k)) * 10.0 ** rng.uniform(-3, 4)
        if rng.random() < 0.3:
            x = np.round(x, 1)  # ties
        assert np.array_equal(moving_median(x, width),
                              median_filter(x, size=(width, 1), mode="nearest"))
        assert np.array_equal(moving_average(x, width),
                              uniform_filter1d(x, width, axis=0, mode="nearest"))


def test_long_signal_in_chunks() -> None:
    """Longer than one partition chunk (the chunks must join without a seam)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(200_000, 2))
    assert np.array_equal(moving_median(x, 63), median_filter(x, size=(63, 1), mode="nearest"))
    assert np.array_equal(moving_average(x, 15),
                          uniform_filter1d(x, 15, axis=0, mode="nearest"))


def test_block_means() -> None:
    from plms.signal.accel._filters import BLOCK_CHUNK_SAMPLES, block_means

    x = np.array([[1.0, 0.0], [3.0, 0.0], [5.0, np.nan], [7.0, 1.0], [100.0, 1.0]],
                 dtype=np.float32)
    out = block_means(x, 2, scale=1000.0)
    assert out.dtype == np.float64
    assert out[:, 0].tolist() == [2000.0, 6000.0]        # the partial last block is dropped
    assert out[0, 1] == 0.0 and np.isnan(out[1, 1])      # NaN spoils its block only
    # across chunk boundaries: the same numbers as one float64 pass over the whole signal
    rng = np.random.default_rng(3)
    long = rng.normal(size=(3 * BLOCK_CHUNK_SAMPLES + 17, 3)).astype(np.float32)
    for step in (1, 4, 7, 20):
        n = long.shape[0] // step
        whole = (long.astype(np.float64) * 1000.0)[: n * step].reshape(n, step, 3).mean(axis=1)
        assert np.array_equal(block_means(long, step, 1000.0), whole)
    with pytest.raises(ValueError, match="at least one row"):
        block_means(long, 0)
