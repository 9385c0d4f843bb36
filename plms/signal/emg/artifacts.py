"""Stretches of a leg channel that cannot be scored: a detached electrode.

A leg electrode that comes off picks up mains hum of hundreds of µV to mV.
plms measures the mains amplitude per block and excludes the blocks where it
is far above the channel's usual level; no LM is reported there.

An amplifier's mains notch removes that hum (and a 60-Hz line at 128 Hz lies
next to Nyquist). What is left of a detached electrode is an open input: a
sudden step (the electrode pop) into minutes of featureless broadband noise
far above the resting EMG, with no movement in it, ending with another step.
:func:`detached_level_intervals` finds such stretches from the 1-s levels of
the band-passed, rectified EMG (see docs/DETECTION.md).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController

from plms.rules import Rules, get_rules
from plms.signal.emg.conditioning import MAINS_CANDIDATES_HZ, Samples, Signal, take
from plms.signal.events import true_runs

#: Length of the blocks the mains amplitude is measured on.
ARTIFACT_BLOCK_S = 2.0
#: A block is "electrode off" when its mains amplitude exceeds this ...
ELECTRODE_OFF_MAINS_UV = 50.0
#: ... and this multiple of the channel's median mains amplitude.
ELECTRODE_OFF_RATIO = 10.0
#: ... and this multiple of the amplitude at the neighbouring frequencies on
#: each side of the line (EMG is broadband: a strong movement raises them all
#: alike; hum raises one line). Each side is compared on its own: at a low
#: sampling rate the neighbours above 50 Hz lie in the recorder's anti-alias
#: roll-off (at 128 Hz, 54 and 57 Hz), so a mean over both sides would sit too
#: low and a movement's chance 50-Hz bin would pass for hum.
ELECTRODE_OFF_LINE_RATIO = 5.0
#: Offsets (Hz) of the neighbouring frequencies the mains line is compared with:
#: six a side, every 1 Hz (independent bins of a 2-s block) from 3 Hz, past the
#: leakage of a line slightly off 50 or 60 Hz. A broadband movement's amplitude
#: at one frequency scatters like a Rayleigh variable: against the mean of two
#: bins a side, its chance 50-Hz bin passed for hum on 19 of 60 dev nights at
#: 128 Hz; against six a side the chance is negligible (docs/DETECTION.md).
NEIGHBOUR_OFFSETS_HZ = (-8.0, -7.0, -6.0, -5.0, -4.0, -3.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)
#: Flagged stretches are widened by this much on each side.
ARTIFACT_MARGIN_S = 2.0
#: Blocks whose mains amplitude is measured at a time (about 17 min of 2-s
#: blocks: a few MB at any rate; the groups start at fixed blocks, so a
#: signal read a stretch at a time gives the figures of one held whole).
MAINS_ROW_GROUP = 512


def _line_amplitudes(frames: npt.NDArray[np.float32], fs: float,
                     freqs_hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Amplitude of the sine at each of ``freqs_hz`` in every row of ``frames``, µV.

    One matrix product against the cosine and sine of every frequency reads
    the frames once, whatever the number of frequencies (rows x frequencies).
    """
    t = np.arange(frames.shape[1]) / fs
    phase = 2.0 * np.pi * np.outer(t, freqs_hz)
    basis = np.concatenate([np.cos(phase), np.sin(phase)], axis=1).astype(np.float32)
    proj = (frames @ basis).astype(np.float64)
    k = freqs_hz.size
    return 2.0 * np.hypot(proj[:, :k], proj[:, k:]) / frames.shape[1]


def mains_amplitude(x_uv: npt.ArrayLike | Signal, fs: float, block_s: float = ARTIFACT_BLOCK_S
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per block: the largest mains (50 or 60 Hz) sine amplitude, and the
    amplitude around that line, both in µV.

    The amplitude around the line is the larger of the mean amplitudes at
    its neighbouring frequencies below and above it (``NEIGHBOUR_OFFSETS_HZ``;
    only those below it near Nyquist, e.g. 60 Hz at 128 Hz).

    Examples
    --------
    >>> fs = 128.0
    >>> t = np.arange(int(4 * fs)) / fs
    >>> hum = 100 * np.sin(2 * np.pi * 50 * t)
    >>> amp, around = mains_amplitude(hum + np.sin(2 * np.pi * 57 * t), fs)
    >>> np.round(amp, 1).tolist(), bool(np.all(around < 5))
    ([100.0, 100.0], True)
    """
    x = x_uv if isinstance(x_uv, Samples) else np.asarray(x_uv, dtype=np.float32)
    blocks = MainsBlocks(x.size, fs, block_s)
    step, end = blocks.group_samples, blocks.n_blocks * blocks.block_samples
    with one_blas_thread():
        for a in range(0, end, step):
            blocks.feed(take(x, a, min(a + step, end)))
    return blocks.result()


@cache
def _blas_controller() -> ThreadpoolController:
    """The thread pools of the loaded libraries, inspected once (that takes a while)."""
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[object]:
    """A context in which BLAS runs on one thread, for :class:`MainsBlocks`.

    Its matrix products are small per group, and BLAS threads that wait for
    work spin (a night's CPU time grew by a third with them), while the legs
    already run in threads of their own. Enter it once around all the feeding
    of a signal, not per group: with two legs in threads, each leaving the
    context restores the BLAS threads under the other leg's products.
    """
    return _blas_controller().limit(limits=1, user_api="blas")


class MainsBlocks:
    """:func:`mains_amplitude` of a signal fed a stretch at a time, in order.

    The samples are fed consecutively (any lengths); the blocks are measured
    in groups of ``MAINS_ROW_GROUP`` that start at fixed blocks, so the
    figures do not depend on how the signal was cut. Feed it inside
    :func:`one_blas_thread`.

    Parameters
    ----------
    n_samples : int
        Samples of the whole signal.
    fs : float
    block_s : float
    """

    def __init__(self, n_samples: int, fs: float, block_s: float = ARTIFACT_BLOCK_S) -> None:
        self.fs = fs
        self.block_samples = max(1, int(round(block_s * fs)))
        self.n_blocks = n_samples // self.block_samples
        self.group_samples = MAINS_ROW_GROUP * self.block_samples
        # near Nyquist (60 Hz at 128 Hz) only the neighbours below a line are compared
        lines = [(f0, [f0 + d for d in NEIGHBOUR_OFFSETS_HZ if f0 + d < fs / 2])
                 for f0 in MAINS_CANDIDATES_HZ if f0 < fs / 2]
        self._lines = [(f0, near) for f0, near in lines if near]
        self._freqs = np.array([f for f0, near in self._lines for f in (f0, *near)])
        self._amp, self._around = np.zeros(self.n_blocks), np.ones(self.n_blocks)
        self._group = np.empty(0 if not self._lines else
                               min(self.n_blocks, MAINS_ROW_GROUP) * self.block_samples,
                               dtype=np.float32)   # the samples of the group being filled
        self._filled = 0
        self._next = 0   # first block of that group
        self.fed = 0
        """Samples fed so far."""

    def feed(self, samples: npt.NDArray[np.float32]) -> None:
        """Take the next ``samples`` of the signal; measure every group they complete."""
        self.fed += samples.size
        done = 0
        while self._lines and self._next < self.n_blocks and done < samples.size:
            rows = min(MAINS_ROW_GROUP, self.n_blocks - self._next)
            size = rows * self.block_samples
            piece = samples[done: done + size - self._filled]
            self._group[self._filled: self._filled + piece.size] = piece
            self._filled += piece.size
            done += piece.size
            if self._filled == size:
                self._measure(self._next, self._group[:size].reshape(rows, -1))
                self._next += rows
                self._filled = 0

    def result(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """``(amp, around)`` of every block (all of them must have been fed)."""
        if self._lines and self._next < self.n_blocks:
            raise ValueError(f"{self.n_blocks - self._next} blocks of the signal were not fed")
        return self._amp, self._around

    def _measure(self, g: int, frames: npt.NDArray[np.float32]) -> None:
        """The largest line of blocks ``g:g + len(frames)``, and the amplitude around it."""
        amps = _line_amplitudes(frames, self.fs, self._freqs)
        rows = frames.shape[0]
        amp, around = self._amp[g: g + rows], self._around[g: g + rows]
        col = 0
        for f0, near in self._lines:
            line = amps[:, col]
            near_amps = amps[:, col + 1 : col + 1 + len(near)]
            sides = [near_amps[:, [f < f0 for f in near]],
                     near_amps[:, [f > f0 for f in near]]]
            near_mean = np.max([side.mean(axis=1) for side in sides if side.shape[1]], axis=0)
            col += 1 + len(near)
            better = line > amp
            amp[better] = line[better]
            around[better] = near_mean[better]


def electrode_off_intervals(x_uv: npt.ArrayLike | Signal, fs: float
                            ) -> npt.NDArray[np.float64]:
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
    size = x_uv.size if isinstance(x_uv, Samples) else np.asarray(x_uv).size
    return mains_off_intervals(amp, around, size / fs)


def mains_off_intervals(amp: npt.NDArray[np.float64], around: npt.NDArray[np.float64],
                        duration_s: float) -> npt.NDArray[np.float64]:
    """:func:`electrode_off_intervals` from the blocks' :func:`mains_amplitude`."""
    if amp.size == 0:
        return np.zeros((0, 2))
    limit = max(ELECTRODE_OFF_MAINS_UV, ELECTRODE_OFF_RATIO * float(np.median(amp)))
    bad = (amp > limit) & (amp > ELECTRODE_OFF_LINE_RATIO * around)
    first, stop = true_runs(bad)
    starts = first * ARTIFACT_BLOCK_S - ARTIFACT_MARGIN_S
    ends = stop * ARTIFACT_BLOCK_S + ARTIFACT_MARGIN_S
    return np.column_stack([np.clip(starts, 0, duration_s), np.clip(ends, 0, duration_s)])


@dataclass(frozen=True)
class DetachedSettings:
    """How a detached electrode is recognised without its mains pick-up (estimator choices).

    A stretch is "electrode off" when, on the 1-s levels of the band-passed
    rectified EMG, the level jumps (within ``edge_s``) to at least
    ``level_ratio`` times and ``min_excess_share`` of the rules' onset threshold
    above the resting level
    before it, stays there for ``min_duration_s``, holds no movement (its
    levels scatter as stationary noise does, ``max_spread``), and drops back
    within ``edge_s`` to a level it again exceeds by that ratio and excess
    (or the recording ends); the stretch is at its full level from its first
    to its last seconds (``min_edge_share``).
    """

    #: Detect stretches by their level when the mains line does not show them.
    enabled: bool = True
    #: Length of the blocks whose median rectified amplitude is their level, s.
    block_s: float = 1.0
    #: Blocks of a running median over this many blocks decide where a stretch
    #: runs (one noisy block neither breaks nor extends it).
    smooth_blocks: int = 3
    #: Length of the resting stretch before (and after) whose median level is
    #: the resting level the jump is measured from, s.
    rest_window_s: float = 10.0
    #: The jump happens within this long (the electrode pop and the amplifier's
    #: settling); these blocks are left out of the resting level, s.
    edge_s: float = 2.0
    #: The stretch's level is at least this multiple of the resting level on
    #: both sides. A raised muscle tone ramps up over tens of seconds and a
    #: posture change rarely multiplies the resting level this much at once.
    level_ratio: float = 2.5
    #: ... and at least this share of the rules' onset threshold above it
    #: (``Rules.lm_onset_above_baseline_uv``, RULES.md section 1: 8 µV), so that
    #: a posture step between quiet resting levels of a few µV is never taken
    #: for a detached electrode.
    min_excess_share: float = 1.0
    #: A stretch lasts at least this long, s: six times the longest candidate
    #: LM (10 s, RULES.md section 2) and over twice the longest restless fidget.
    min_duration_s: float = 60.0
    #: The 90th percentile of the stretch's block levels (edges left out) is at
    #: most this multiple of their median: an open input is stationary noise
    #: (1-s levels scatter by under 10 %), muscle activity is not.
    max_spread: float = 1.5
    #: The medians of the first and of the last ``rest_window_s`` of the stretch
    #: (edges left out) are at least this share of its median: an open input
    #: is at full level at once and to the end; a raised tone ramps in and out
    #: over tens of seconds (a movement on the ramp makes the jump, not the level).
    min_edge_share: float = 0.8

    def __post_init__(self) -> None:
        for name in ("block_s", "rest_window_s", "min_duration_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if not self.edge_s >= 0 or not self.min_excess_share >= 0:
            raise ValueError("edge_s and min_excess_share must not be negative, got "
                             f"{self.edge_s} and {self.min_excess_share}")
        if not 0.0 <= self.min_edge_share <= 1.0:
            raise ValueError(f"min_edge_share must be in [0, 1], got {self.min_edge_share}")
        if not self.smooth_blocks >= 1:
            raise ValueError(f"smooth_blocks must be at least 1, got {self.smooth_blocks}")
        for name in ("level_ratio", "max_spread"):
            if not getattr(self, name) >= 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


def block_levels(sums: npt.ArrayLike, counts: npt.ArrayLike, bins_per_block: int
                 ) -> npt.NDArray[np.float64]:
    """Per block of ``bins_per_block`` envelope bins: the median of the bins' mean
    rectified amplitude (µV), robust to heart beats and pops. Bins without a
    sample count as NaN; a trailing partial block is dropped.

    Examples
    --------
    >>> block_levels([1, 2, 30, 4, 4, 4], [1, 1, 1, 1, 1, 1], 3).tolist()
    [2.0, 4.0]
    """
    s, c = np.asarray(sums, dtype=np.float64), np.asarray(counts, dtype=np.float64)
    n_blocks = s.size // max(1, bins_per_block)
    if n_blocks == 0:
        return np.zeros(0)
    m = n_blocks * bins_per_block
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(c[:m] > 0, s[:m] / c[:m], np.nan)
    frames = mean.reshape(n_blocks, bins_per_block)
    if not np.isnan(frames).any():
        return np.median(frames, axis=1)
    with np.errstate(invalid="ignore"):
        out: npt.NDArray[np.float64] = np.nanmedian(frames, axis=1)
    return out


def _running_median(x: npt.NDArray[np.float64], width: int) -> npt.NDArray[np.float64]:
    """Centered running median of ``width`` points (edge values repeated)."""
    if width <= 1 or x.size == 0:
        return x.copy()
    half = width // 2
    padded = np.pad(x, (half, width - 1 - half), mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=1)


#: Windows whose median is taken at a time (rows are independent: the same
#: figures, with temporaries of a few MB on a 72-h record).
MEDIAN_ROW_GROUP = 1 << 14


def _window_medians(x: npt.NDArray[np.float64], width: int) -> npt.NDArray[np.float64]:
    """Median of every ``width`` consecutive values of ``x``."""
    windows = np.lib.stride_tricks.sliding_window_view(x, width)
    out = np.empty(windows.shape[0])
    for a in range(0, out.size, MEDIAN_ROW_GROUP):
        out[a: a + MEDIAN_ROW_GROUP] = np.median(windows[a: a + MEDIAN_ROW_GROUP], axis=1)
    return out


def detached_level_intervals(levels: npt.ArrayLike,
                             settings: DetachedSettings = DetachedSettings(),  # noqa: B008
                             rules: str | Rules = "wasm2016") -> npt.NDArray[np.float64]:
    """Intervals (onset, offset in s) where the levels show a detached electrode.

    Parameters
    ----------
    levels : array
        Level of every ``settings.block_s`` block of the band-passed rectified
        EMG, µV (:func:`block_levels`). Not modified.
    settings : DetachedSettings
    rules : {"wasm2016", "aasm"} or Rules
        Its onset threshold is the least excess of a detached stretch.

    Returns
    -------
    ndarray, shape (n, 2)
        Flagged stretches widened by :data:`ARTIFACT_MARGIN_S`, within the record.

    Examples
    --------
    >>> lv = np.full(600, 3.0); lv[200:400] = 30.0      # 200 s of open-input noise
    >>> detached_level_intervals(lv).tolist()
    [[198.0, 402.0]]
    >>> lv[210:390:4] = 90.0                            # bursts inside: not stationary
    >>> detached_level_intervals(lv).tolist()
    []
    """
    lv = np.asarray(levels, dtype=np.float64)
    cfg = settings
    min_excess_uv = cfg.min_excess_share * get_rules(rules).lm_onset_above_baseline_uv
    n = lv.size
    blk = cfg.block_s
    w = max(1, int(round(cfg.rest_window_s / blk)))
    g = int(round(cfg.edge_s / blk))
    min_len = int(np.ceil(cfg.min_duration_s / blk))
    if n < w + 2 * g + min_len:
        return np.zeros((0, 2))
    rest = _window_medians(lv, w)              # rest[j]: median of lv[j:j + w]
    ahead = _window_medians(lv, min_len)       # ahead[j]: median of lv[j:j + min_len]
    starts = np.arange(w + g, n - g - min_len + 1)
    pre = rest[starts - g - w]
    level = ahead[starts + g]
    need = np.maximum(cfg.level_ratio * pre, pre + min_excess_uv)
    jump = (lv[starts] >= need) & (level >= need)
    rm = _running_median(lv, cfg.smooth_blocks)
    rows: list[tuple[float, float]] = []
    stop = 0
    for i in np.flatnonzero(jump):
        s = int(starts[i])
        if s < stop:
            continue
        # the stretch lasts while the level stays nearer (geometrically) to its own than to rest
        keep = np.sqrt(pre[i] * level[i])
        below = np.flatnonzero(rm[s + g:] < keep)
        e = s + g + (int(below[0]) if below.size else n - s - g)   # exclusive
        if e - s < min_len:
            continue
        core = lv[s + g: e - g]
        mid = float(np.median(core))
        if float(np.quantile(core, 0.9)) > cfg.max_spread * mid:
            continue
        ends = min(float(np.median(core[:w])), float(np.median(core[-w:])))
        if ends < cfg.min_edge_share * mid:
            continue
        if e + g + w <= n:
            post = float(rest[e + g])
            if mid < max(cfg.level_ratio * post, post + min_excess_uv):
                continue
        rows.append((s * blk - ARTIFACT_MARGIN_S, e * blk + ARTIFACT_MARGIN_S))
        stop = e
    if not rows:
        return np.zeros((0, 2))
    return np.clip(np.array(rows), 0.0, n * blk)


def merge_intervals(intervals: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The union of (onset, offset) rows, as sorted disjoint rows.

    Examples
    --------
    >>> merge_intervals([[5.0, 9.0], [0.0, 2.0], [1.0, 3.0]]).tolist()
    [[0.0, 3.0], [5.0, 9.0]]
    """
    iv = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    if iv.shape[0] == 0:
        return iv
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    reach = np.maximum.accumulate(iv[:, 1])
    new = np.r_[True, iv[1:, 0] > reach[:-1]]
    idx = np.flatnonzero(new)
    ends = np.r_[idx[1:], iv.shape[0]] - 1
    return np.column_stack([iv[idx, 0], reach[ends]])


def covered_share(interval: tuple[float, float], others: npt.NDArray[np.float64]) -> float:
    """Share of ``interval`` covered by the union of the rows of ``others``."""
    a, b = interval
    if b <= a:
        return 0.0
    union = merge_intervals(others)
    inside = np.clip(np.minimum(union[:, 1], b) - np.maximum(union[:, 0], a), 0.0, None)
    return float(inside.sum()) / (b - a)


#: A stretch found by its level is added only when the mains test covers less
#: than this share of it: where the mains line shows the detachment, that test
#: places its edges (and the nights it already handles are scored as before).
MAINS_COVERED_SHARE = 0.5


def combine_off_intervals(mains_iv: npt.NDArray[np.float64], level_iv: npt.NDArray[np.float64]
                          ) -> npt.NDArray[np.float64]:
    """The mains-found stretches, plus the level-found ones the mains test missed.

    Returns ``mains_iv`` itself when nothing is added; else the union of the two.
    """
    add = [row for row in level_iv
           if covered_share((float(row[0]), float(row[1])), mains_iv) < MAINS_COVERED_SHARE]
    if not add:
        return mains_iv
    return merge_intervals(np.vstack([mains_iv.reshape(-1, 2), np.array(add)]))
