"""Stretches of a leg channel that cannot be scored: a detached electrode.

A leg electrode that comes off picks up mains hum of hundreds of µV to mV.
plms measures the mains amplitude per block and excludes the blocks where it
is far above the channel's usual level; no LM is reported there.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from plms.signal.emg.conditioning import MAINS_CANDIDATES_HZ
from plms.signal.events import true_runs

#: Length of the blocks the mains amplitude is measured on.
ARTIFACT_BLOCK_S = 2.0
#: A block is "electrode off" when its mains amplitude exceeds this ...
ELECTRODE_OFF_MAINS_UV = 50.0
#: ... and this multiple of the channel's median mains amplitude.
ELECTRODE_OFF_RATIO = 10.0
#: ... and this multiple of the amplitude at the neighbouring frequencies (EMG is
#: broadband: a strong movement raises them all alike; hum raises one line).
ELECTRODE_OFF_LINE_RATIO = 5.0
#: Offsets (Hz) of the neighbouring frequencies the mains line is compared with.
NEIGHBOUR_OFFSETS_HZ = (-7.0, -4.0, 4.0, 7.0)
#: Flagged stretches are widened by this much on each side.
ARTIFACT_MARGIN_S = 2.0


def _line_amplitude(frames: npt.NDArray[np.float32], fs: float, f0: float
                    ) -> npt.NDArray[np.float64]:
    """Amplitude of the sine at ``f0`` in every row of ``frames``, µV."""
    t = np.arange(frames.shape[1]) / fs
    basis = np.exp(-2j * np.pi * f0 * t)
    proj = frames @ basis.real.astype(np.float32) + 1j * (frames @ basis.imag.astype(np.float32))
    return 2.0 * np.abs(proj) / frames.shape[1]


def mains_amplitude(x_uv: npt.ArrayLike, fs: float, block_s: float = ARTIFACT_BLOCK_S
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per block: the largest mains (50 or 60 Hz) sine amplitude, and the mean
    amplitude at the neighbouring frequencies of that line, both in µV."""
    x = np.asarray(x_uv, dtype=np.float32)
    n = max(1, int(round(block_s * fs)))
    n_blocks = x.size // n
    if n_blocks == 0:
        return np.zeros(0), np.zeros(0)
    frames = x[: n_blocks * n].reshape(n_blocks, n)
    amp, around = np.zeros(n_blocks), np.ones(n_blocks)
    for f0 in MAINS_CANDIDATES_HZ:
        if f0 + max(NEIGHBOUR_OFFSETS_HZ) >= fs / 2:
            continue
        line = _line_amplitude(frames, fs, f0)
        near = np.mean([_line_amplitude(frames, fs, f0 + d) for d in NEIGHBOUR_OFFSETS_HZ], axis=0)
        better = line > amp
        amp[better], around[better] = line[better], near[better]
    return amp, around


def electrode_off_intervals(x_uv: npt.ArrayLike, fs: float) -> npt.NDArray[np.float64]:
    """Intervals (onset, offset in s) where the electrode looks detached.

    Examples
    --------
    >>> fs = 256.0
    >>> t = np.arange(int(60 * fs)) / fs
    >>> x = np.random.default_rng(0).normal(0, 5, t.size)
    >>> x[(t >= 20) & (t < 40)] += 500 * np.sin(2 * np.pi * 50 * t[(t >= 20) & (t < 40)])
    >>> electrode_off_intervals(x, fs).tolist()
    [[18.0, 42.0]]
    """
    amp, around = mains_amplitude(x_uv, fs)
    if amp.size == 0:
        return np.zeros((0, 2))
    limit = max(ELECTRODE_OFF_MAINS_UV, ELECTRODE_OFF_RATIO * float(np.median(amp)))
    bad = (amp > limit) & (amp > ELECTRODE_OFF_LINE_RATIO * around)
    first, stop = true_runs(bad)
    starts = first * ARTIFACT_BLOCK_S - ARTIFACT_MARGIN_S
    ends = stop * ARTIFACT_BLOCK_S + ARTIFACT_MARGIN_S
    duration = np.asarray(x_uv).size / fs
    return np.column_stack([np.clip(starts, 0, duration), np.clip(ends, 0, duration)])
