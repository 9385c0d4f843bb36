"""The mains test of a detached electrode fed a stretch at a time (issue 15)."""

from __future__ import annotations

import numpy as np
import pytest


def test_mains_blocks_fed_in_pieces_measure_the_hum_of_the_whole_signal():
    """The mains test fed a stretch at a time (as the filtering reads a leg) finds
    the hum put into known blocks, with the figures of the whole signal at once."""
    from plms.signal.emg.artifacts import (
        MAINS_ROW_GROUP, MainsBlocks, mains_amplitude, one_blas_thread,
    )

    fs, block = 128.0, 256                       # 2-s blocks of 256 samples
    n_blocks = MAINS_ROW_GROUP + 40              # two groups, the second partial
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 5.0, n_blocks * block + 100).astype(np.float32)
    t = np.arange(x.size) / fs
    hum_blocks = slice(MAINS_ROW_GROUP - 3, MAINS_ROW_GROUP + 2)   # across the group edge
    span = slice(hum_blocks.start * block, hum_blocks.stop * block)
    x[span] += (300.0 * np.sin(2 * np.pi * 50.0 * t[span])).astype(np.float32)
    blocks = MainsBlocks(x.size, fs)
    cuts = np.sort(rng.integers(0, x.size, 25))
    with one_blas_thread():   # as mains_amplitude (the products' last bits depend on it)
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, x.size], strict=True):
            blocks.feed(x[a:b])
    amp, around = blocks.result()
    assert amp.size == n_blocks
    np.testing.assert_allclose(amp[hum_blocks], 300.0, rtol=0.02)
    assert np.all(amp[: hum_blocks.start] < 10.0) and np.all(amp[hum_blocks.stop:] < 10.0)
    whole = mains_amplitude(x, fs)
    np.testing.assert_array_equal(amp, whole[0])
    np.testing.assert_array_equal(around, whole[1])


def test_mains_blocks_refuse_a_result_before_every_block_is_fed():
    from plms.signal.emg.artifacts import MainsBlocks

    blocks = MainsBlocks(10 * 256, 128.0)
    blocks.feed(np.zeros(5 * 256, np.float32))
    with pytest.raises(ValueError, match="not fed"):
        blocks.result()
