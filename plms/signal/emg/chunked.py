"""The LM rules on a leg's 100-Hz bins, a chunk at a time, with the figures of the whole record.

:func:`detect_bins` is the one implementation of the detector's 100-Hz
stage: :func:`plms.signal.emg.detect.detect_conditioned` runs it on the whole
record as one chunk, the streaming pipeline on chunks of a few minutes,
whose memory does not grow with the recording's length.

Every step is either local or global on small arrays:

- local (gate, envelopes, quiet test, movement edges, morphology, peak):
  each chunk is processed with margins on both sides
  (:func:`context_bins`, from the settings and rules) longer than every such
  context, and every figure is computed in a way that does not depend on
  where the chunk starts (:func:`plms.signal.emg.conditioning.window_sums`);
- global (the beats' artifact on the leg, the resting baseline and noise,
  which interpolate across excluded stretches and take the nearest block
  at rest): one small value per beat or per 1-s block is gathered over the
  whole record first (:class:`~plms.signal.emg.baseline.RestingBlocks`), then
  read back per chunk (:class:`~plms.signal.emg.baseline.BlockBaseline`).

Movements are found by hysteresis, whose state carries over: a chunk keeps
the movements whose onset lies in its core, once its scan is in step with
the whole record's (a quiet period starts in the left margin: any movement
begun earlier has ended there); a movement still open at the end of the right
margin widens the window until it ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.rules import TIME_TOLERANCE_S, Rules
from plms.signal.emg.baseline import BlockBaseline, RestingBlocks, block_bins, resting_blocks
from plms.signal.emg.cardiac import (
    Heartbeats, artifact_centres, artifact_rows, extent_from_rows, gate_widths, qrs_valid_mask,
)
from plms.signal.emg.conditioning import envelope
from plms.signal.emg.settings import DetectorSettings
from plms.signal.emg.thresholds import noise_thresholds, passes_morphology
from plms.signal.events import hysteresis_events

#: Seconds in a minute (the minutes of raised tone are reported).
SECONDS_PER_MINUTE = 60.0
#: Bytes of a float64.
FLOAT64_BYTES = 8

FloatArray = npt.NDArray[np.floating]


class BinSource(Protocol):
    """Rectified sums and valid-sample counts per 100-Hz bin, a stretch at a time."""

    @property
    def n_bins(self) -> int:
        """Bins in the record."""
        ...

    def read(self, start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        """Sums and counts of bins ``start:stop``."""
        ...


@dataclass(frozen=True, eq=False)
class ArrayBins:
    """A :class:`BinSource` over arrays held in memory."""

    sums: FloatArray
    counts: FloatArray

    @property
    def n_bins(self) -> int:
        """Bins in the record."""
        return int(self.sums.size)

    def read(self, start: int, stop: int) -> tuple[FloatArray, FloatArray]:
        """Sums and counts of bins ``start:stop``."""
        return self.sums[start:stop], self.counts[start:stop]


#: Receives the envelope and baseline of consecutive chunks (float32) and,
#: called with None, returns them whole.
Sink = Callable[[npt.NDArray[np.float32] | None, npt.NDArray[np.float32] | None],
                tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]] | None]


def memory_sink() -> Sink:
    """A :data:`Sink` that joins the chunks in memory."""
    envs: list[npt.NDArray[np.float32]] = []
    bases: list[npt.NDArray[np.float32]] = []

    def sink(env: npt.NDArray[np.float32] | None, base: npt.NDArray[np.float32] | None
             ) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]] | None:
        if env is not None and base is not None:
            envs.append(env)
            bases.append(base)
            return None
        if len(envs) == 1:
            return envs[0], bases[0]
        return (np.concatenate(envs) if envs else np.zeros(0, np.float32),
                np.concatenate(bases) if bases else np.zeros(0, np.float32))

    return sink


@dataclass(frozen=True, eq=False)
class BinsFound:
    """What :func:`detect_bins` found: the LM table and the per-bin signals."""

    events: pd.DataFrame
    envelope: npt.NDArray[np.floating]
    baseline: npt.NDArray[np.floating]
    high_tone_min: float


@dataclass(frozen=True, eq=False)
class _Context:
    """What every chunk needs of the whole record."""

    bins: BinSource
    rate: float
    rules: Rules
    settings: DetectorSettings
    width: int
    fine_width: int
    gate: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                npt.NDArray[np.float64]] | None
    electrode_off: npt.NDArray[np.float64]


def context_bins(rate_hz: float, rules: Rules, settings: DetectorSettings,
                 fine_width: int) -> int:
    """Margin on each side of a chunk (bins, whole blocks), longer than every local context.

    The envelopes' smoothing, the quiet period looked ahead for an offset,
    the look-back of :func:`~plms.signal.emg.detect.refine_onsets`, and the
    widest stretch a heart beat's gate can leave out (the envelope
    interpolates across it, and bridges the windows it starves from the
    nearest windows that hold enough: at most one window farther), twice over.
    """
    gate_s = 2.0 * (settings.other_shape_span_s + settings.qrs_gate_before_s
                    + settings.qrs_gate_after_s)
    context_s = (settings.envelope_smoothing_s + fine_width / rate_hz
                 + rules.lm_offset_quiet_s + gate_s)
    block = block_bins(rate_hz, settings.baseline)
    return int(np.ceil(context_s * rate_hz / block) + 1) * block


def _cores(n: int, chunk: int) -> Iterator[tuple[int, int]]:
    for a in range(0, n, chunk):
        yield a, min(n, a + chunk)


def _window_envelopes(ctx: _Context, lo: int, hi: int
                      ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The gated envelope and light envelope of bins ``lo:hi`` (exact away from the cut ends)."""
    sums, counts = ctx.bins.read(lo, hi)
    full = None
    if ctx.gate is not None:
        times, before, after = ctx.gate
        reach = float(max(before.max(), after.max())) if times.size else 0.0
        near = slice(int(np.searchsorted(times, (lo - 1) / ctx.rate - reach)),
                     int(np.searchsorted(times, (hi + 1) / ctx.rate + reach)))
        valid = qrs_valid_mask(hi - lo, ctx.rate, times[near], before[near], after[near],
                               start=lo)
        full = counts
        sums, counts = np.where(valid, sums, 0.0), np.where(valid, counts, 0.0)
    # a window the gate left with fewer than edge_min_samples is bridged from the
    # nearest windows that hold enough; the light envelope keeps the few samples
    # beside a gate (they place edges in it)
    return (envelope(sums, counts, ctx.width, full, ctx.settings.edge_min_samples),
            envelope(sums, counts, ctx.fine_width))


def scratch_file() -> IO[bytes]:
    """A temporary file, deleted when closed (or when the process ends); it lives as long
    as what holds it (the bins of a leg, a memory map of its envelope)."""
    return tempfile.TemporaryFile()


class _Envelopes:
    """The envelope and light envelope of every bin, computed once (in chunks), read by stretch.

    Held in memory for a record processed whole, else in two temporary files
    (float64, read back with a seek and a read).
    """

    def __init__(self, whole: bool) -> None:
        self._held: list[npt.NDArray[np.float64]] = []
        self._files = None if whole else (scratch_file(), scratch_file())

    def add(self, env: npt.NDArray[np.float64], fine: npt.NDArray[np.float64]) -> None:
        """The next stretch of both."""
        if self._files is None:
            self._held = [env, fine]
            return
        env.astype(np.float64, copy=False).tofile(self._files[0])
        fine.astype(np.float64, copy=False).tofile(self._files[1])

    def read(self, lo: int, hi: int
             ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Both for bins ``lo:hi``."""
        if self._files is None:
            return self._held[0][lo:hi], self._held[1][lo:hi]
        out = []
        for fh in self._files:
            fh.seek(lo * FLOAT64_BYTES)
            out.append(np.fromfile(fh, dtype=np.float64, count=hi - lo))
        return out[0], out[1]


def _excluded(ctx: _Context, lo: int, hi: int) -> npt.NDArray[np.bool_]:
    """Bins ``lo:hi`` inside an electrode-off stretch."""
    out = np.zeros(hi - lo, dtype=bool)
    for a, b in ctx.electrode_off:
        first, stop = max(int(a * ctx.rate), lo), min(int(np.ceil(b * ctx.rate)), hi)
        if stop > first:
            out[first - lo: stop - lo] = True
    return out


def _gate(bins: BinSource, rate: float, heartbeats: npt.ArrayLike | Heartbeats | None,
          rules: Rules, settings: DetectorSettings, chunk: int
          ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                     npt.NDArray[np.float64]] | None:
    """Beat times and gate widths; the beats of another shape measured on this leg."""
    if heartbeats is None:
        return None
    extent = None
    if isinstance(heartbeats, Heartbeats):
        half = int(round(settings.other_shape_span_s * rate))
        other = np.asarray(heartbeats.times_s, dtype=float)[heartbeats.other_shape]
        centre = artifact_centres(other, rate, bins.n_bins, half)
        rows = [np.zeros((0, 2 * half + 1))]
        for a, b in _cores(bins.n_bins, chunk):
            mine = centre[(centre >= a) & (centre < b)]
            if mine.size:
                lo, hi = a - half, b + half
                sums, counts = bins.read(max(0, lo), min(bins.n_bins, hi))
                rows.append(artifact_rows(sums, counts, mine - max(0, lo), half))
        extent = extent_from_rows(
            np.concatenate(rows), half, rate,
            margin_uv=settings.other_shape_margin_share * rules.lm_offset_above_baseline_uv,
            min_beats=settings.other_shape_min_beats, smoothing_s=settings.other_shape_smoothing_s)
    times, before, after = gate_widths(heartbeats, settings.qrs_gate_before_s,
                                       settings.qrs_gate_after_s, extent)
    order = np.argsort(times, kind="stable")   # a chunk then takes the beats near it
    return times[order], before[order], after[order]


def movement_masks(env: npt.NDArray[np.float64], base: npt.NDArray[np.float64],
                   level: npt.NDArray[np.float64], rate_hz: float, rules: Rules,
                   onset_uv: npt.NDArray[np.float64], offset_uv: npt.NDArray[np.float64]
                   ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Bins at the onset level and bins where a quiet period starts (:func:`find_movements`)."""
    from plms.signal.emg.detect import quiet_from

    return env >= base + onset_uv, quiet_from(level, base, rate_hz, rules, offset_uv)


def _chunk_events(ctx: _Context, envelopes: _Envelopes, blocks: BlockBaseline,
                  core: tuple[int, int], margin: int, sink: Sink
                  ) -> tuple[list[npt.NDArray[np.float64]], int]:
    """The movements with their onset in ``core`` (global bins) and the raised-tone bins there."""
    from plms.signal.emg.detect import refine_onsets

    n, rate, rules = ctx.bins.n_bins, ctx.rate, ctx.rules
    a, b = core
    lo, hi = max(0, a - margin), min(n, b + margin)
    on = off = np.zeros(0, dtype=np.int64)
    while True:
        env, fine = envelopes.read(lo, hi)
        base = blocks.baseline(lo, hi)
        onset_uv, offset_uv = noise_thresholds(blocks.noise(lo, hi), rules,
                                               ctx.settings.noise_onset_sd,
                                               ctx.settings.noise_offset_sd)
        hits, quiet = movement_masks(env, base, fine, rate, rules, onset_uv, offset_uv)
        # in step with the whole record's scan from the first quiet start in the valid part
        valid_lo = 0 if lo == 0 else margin
        starts = np.flatnonzero(quiet[valid_lo:])
        if lo > 0 and (starts.size == 0 or starts[0] + valid_lo > a - lo):
            lo = max(0, lo - max(margin, a - lo))   # a long movement: look twice as far back
            continue
        on, off = hysteresis_events(hits, quiet, min_samples=0.0)
        mine = (on >= a - lo) & (on < b - lo)
        on, off = on[mine], off[mine]
        if hi < n and off.size and off[-1] > hi - lo - margin:
            hi = min(n, hi + max(margin, hi - b))   # still moving: twice as far ahead
            continue
        break
    excluded = _excluded(ctx, lo, hi)
    inner = slice(a - lo, b - lo)
    raised = int(np.count_nonzero((onset_uv[inner] > rules.lm_onset_above_baseline_uv)
                                  & ~excluded[inner]))
    sink(env[inner].astype(np.float32), base[inner].astype(np.float32))
    min_bins = rules.lm_min_duration_s * rate - TIME_TOLERANCE_S
    long_enough = (off - on) >= min_bins
    on, off = on[long_enough], off[long_enough]
    on = refine_onsets(on, off, fine, base, ctx.width, rules, onset_uv)
    long_enough = (off - on) >= min_bins
    on, off = on[long_enough], off[long_enough]
    spans = list(zip(on.tolist(), off.tolist(), strict=True))
    keep = np.array([not excluded[s:e].any() for s, e in spans], dtype=np.bool_)
    if rules.apply_morphology:
        keep &= np.array([passes_morphology(env, base, s, e, rate, rules, offset_uv)
                          for s, e in spans], dtype=np.bool_)
    on, off = on[keep], off[keep]
    peak = np.array([float(np.max(env[s:e] - base[s:e]))
                     for s, e in zip(on.tolist(), off.tolist(), strict=True)])
    rows = [(on + lo).astype(np.float64), (off + lo).astype(np.float64),
            peak if peak.size else np.zeros(0), base[on] if on.size else np.zeros(0)]
    return rows, raised


def detect_bins(
    bins: BinSource, rate_hz: float, *, rules: Rules, settings: DetectorSettings,
    electrode_off: npt.NDArray[np.float64], mean_count: float,
    heartbeats_s: npt.ArrayLike | Heartbeats | None = None,
    chunk_bins: int | None = None, sink: Sink | None = None,
) -> BinsFound:
    """Gate the heart beats out of a leg's bins and apply the LM rules (RULES.md section 1).

    Parameters
    ----------
    bins : BinSource
        The leg's rectified sums and valid-sample counts per bin.
    rate_hz : float
        Bin rate, Hz.
    rules, settings
    electrode_off : array, shape (n, 2)
        Stretches not scored, s.
    mean_count : float
        Mean valid samples per bin (before gating): sets the light envelope's width.
    heartbeats_s : array or Heartbeats, optional
    chunk_bins : int, optional
        Bins per chunk (rounded up to whole baseline blocks); None: the whole record at once.
    sink : Sink, optional
        Where the envelope and baseline go (default: joined in memory).

    Returns
    -------
    BinsFound
        Identical whatever ``chunk_bins``.
    """
    n = bins.n_bins
    width = max(1, int(round(settings.envelope_smoothing_s * rate_hz)))
    fine_width = max(1, int(round(max(settings.edge_smoothing_s * rate_hz,
                                      settings.edge_min_samples / max(mean_count, 1.0)))))
    block = block_bins(rate_hz, settings.baseline)
    chunk = max(1, n) if chunk_bins is None else max(block, -(-int(chunk_bins) // block) * block)
    ctx = _Context(bins, rate_hz, rules, settings, width, fine_width,
                   _gate(bins, rate_hz, heartbeats_s, rules, settings, chunk),
                   np.asarray(electrode_off, dtype=np.float64).reshape(-1, 2))
    margin = context_bins(rate_hz, rules, settings, fine_width)
    envelopes = _Envelopes(whole=chunk >= n)
    parts = []
    for a, b in _cores(n, chunk):
        lo, hi = max(0, a - margin), min(n, b + margin)
        env, fine = _window_envelopes(ctx, lo, hi)
        envelopes.add(env[a - lo: b - lo], fine[a - lo: b - lo])
        env = np.where(_excluded(ctx, a, b), np.nan, env[a - lo: b - lo])
        parts.append(resting_blocks(env, rate_hz, settings.baseline))
    resting = RestingBlocks.join(parts) if parts else RestingBlocks(np.zeros(0), np.zeros(0),
                                                                    block)
    blocks = BlockBaseline.from_blocks(resting, rules.lm_offset_above_baseline_uv,
                                       settings.baseline)
    sink = sink or memory_sink()
    columns: list[list[npt.NDArray[np.float64]]] = [[], [], [], []]
    raised = 0
    for core in _cores(n, chunk):
        rows, up = _chunk_events(ctx, envelopes, blocks, core, margin, sink)
        raised += up
        for col, part in zip(columns, rows, strict=True):
            col.append(part)
    first, last, peak, base_on = [np.concatenate(c) if c else np.zeros(0) for c in columns]
    events = pd.DataFrame({"onset": first / rate_hz, "duration": (last - first) / rate_hz,
                           "peak_uv": peak, "baseline_uv": base_on})
    whole = sink(None, None)
    if whole is None:  # pragma: no cover - a sink returns its arrays when asked
        raise RuntimeError("the sink returned nothing")
    return BinsFound(events, whole[0], whole[1], raised / rate_hz / SECONDS_PER_MINUTE)
