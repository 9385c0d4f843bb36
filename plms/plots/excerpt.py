"""The EMG excerpt: the PLM series table, the excerpt window and its figure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.annotations import LEG_SIDES
from plms.pipeline.excerpt import excerpt_window, series_table
from plms.plots._common import (
    DEFAULT_DPI, LEG_COLORS, RESP_COLOR, _new_figure, _note, _shade_movements, _style,
    legend_outside,
)

__all__ = ["emg_excerpt_caption", "emg_excerpt_view", "excerpt_window", "plot_emg_excerpt",
           "series_table"]

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from plms.result import ScoreResult


def _excerpt_source(result: ScoreResult) -> dict[str, Any] | None:
    exc = result.details.get("emg_excerpt")
    return exc if isinstance(exc, dict) and exc.get("legs") else None


def _onset_above_baseline_uv(result: ScoreResult) -> float:
    """The EMG onset threshold above the resting baseline the night was scored with, µV."""
    from plms.rules import get_rules

    detail = result.summary.get("rules_detail")
    if isinstance(detail, dict) and detail.get("lm_onset_above_baseline_uv") is not None:
        return float(detail["lm_onset_above_baseline_uv"])
    return float(get_rules(result.summary.get("rules") or "wasm2016")
                 .lm_onset_above_baseline_uv)


def emg_excerpt_view(result: ScoreResult, *, series: int | None = None,
                     window_s: float | None = None, side: str | None = None
                     ) -> dict[str, Any]:
    """What :func:`plot_emg_excerpt` draws: window, series, panels and threshold.

    Returns ``start_s``, ``end_s``, ``series`` (None without one), ``panels``
    (``(leg, "raw" | "envelope")`` in drawing order), ``labels`` (channel label
    per leg with a raw panel) and ``threshold_uv`` (onset threshold above the
    baseline). No panel means no EMG signal at hand.
    """
    if side is not None and side not in LEG_SIDES:
        raise ValueError(f"side must be 'left', 'right' or 'combined', got {side!r}")
    ev = result.events if result.events is not None else pd.DataFrame()
    kept = _excerpt_source(result)
    detections = result.details.get("detections") or {}
    duration = result.summary.get("recording_duration_s")
    start, end, chosen = excerpt_window(ev, series=series, window_s=window_s,
                                        duration_s=duration)
    if kept is not None and series is None and window_s is None:
        start, end, chosen = kept["start_s"], kept["end_s"], kept.get("series")
    overlap = kept is not None and kept["start_s"] < end and kept["end_s"] > start
    kept_legs: dict[str, Any] = kept["legs"] if kept is not None and overlap else {}
    panels: list[tuple[str, str]] = []
    labels: dict[str, str] = {}
    for leg in [side] if side else LEG_SIDES:
        if leg in kept_legs:
            panels.append((leg, "raw"))
            labels[leg] = str(kept_legs[leg].get("label", leg))
        if detections.get(leg) is not None:
            panels.append((leg, "envelope"))
    return {"start_s": float(start), "end_s": float(end), "series": chosen,
            "panels": panels, "labels": labels,
            "threshold_uv": _onset_above_baseline_uv(result)}


def _clock(result: ScoreResult, seconds: float) -> str:
    from datetime import timedelta

    from plms.plots._common import recording_start

    start = recording_start(result)
    return "" if start is None else (start + timedelta(seconds=seconds)).strftime("%H:%M:%S")


def window_text(result: ScoreResult, start: float, end: float) -> str:
    """``"287-377 s from the recording start (22:34:47-22:36:17)"``, clock part if known."""
    text = f"{start:.0f}-{end:.0f} s from the recording start"
    if _clock(result, start):
        text += f" ({_clock(result, start)}-{_clock(result, end)})"
    return text


def series_text(result: ScoreResult, chosen: int | None) -> str:
    """Which PLM series the window shows, with its number of movements."""
    if chosen is None:
        return "no PLM series in this night: the first leg movement"
    table = series_table(result.events)
    n = table.loc[table["series"] == chosen, "n"]
    members = f", {int(n.iloc[0])} movements" if len(n) else ""
    longest = (len(table) and int(table.sort_values(["n", "series"], ascending=[False, True])
                                  .iloc[0]["series"]) == chosen)
    return f"PLM series {chosen}{members}{' (the longest)' if longest else ''}"


def emg_excerpt_caption(result: ScoreResult, **view: Any) -> str:
    """The caption of :func:`plot_emg_excerpt` (same arguments): what is drawn, exactly."""
    v = emg_excerpt_view(result, **view)
    if not v["panels"]:
        return "No EMG signal at hand for the excerpt."
    raw = [f"{leg} '{v['labels'][leg]}'" for leg, kind in v["panels"] if kind == "raw"]
    env = [leg for leg, kind in v["panels"] if kind == "envelope"]
    parts = []
    if raw:
        parts.append(f"the raw EMG (10-100 Hz) of {' and '.join(raw)}")
    if env:
        parts.append(f"the detector's envelope, resting baseline and onset threshold "
                     f"(baseline + {v['threshold_uv']:g} µV) of the {' and '.join(env)} leg"
                     + ("s" if len(env) > 1 else ""))
    drawn = "; ".join(parts)
    return (f"{drawn[:1].upper()}{drawn[1:]}, "
            f"{window_text(result, v['start_s'], v['end_s'])}, around "
            f"{series_text(result, v['series'])}. Each detected leg movement is shaded, onset "
            "green, offset red; PLM members are marked on top.")


def plot_emg_excerpt(result: ScoreResult, *, series: int | None = None,
                     window_s: float | None = None, side: str | None = None,
                     dpi: int = DEFAULT_DPI, width: float = 11.0) -> Figure:
    """A zoomed stretch of the leg EMG around a PLM series, onsets and offsets drawn.

    Per leg: the raw EMG (µV, from ``result.details["emg_excerpt"]``, kept by
    :func:`plms.score_edf`), and on a second axis the detector's envelope, its
    resting baseline and the onset threshold (baseline +
    ``Rules.lm_onset_above_baseline_uv``) when ``result.details["detections"]``
    holds them. Each detected leg movement is shaded with a green line at its
    onset and a red one at its offset; PLM members are marked on top. What
    is drawn is :func:`emg_excerpt_view`; :func:`emg_excerpt_caption` says it
    in words. Legends sit outside the plots, to the right.

    Parameters
    ----------
    series : int, optional
        The PLM series to show; default: the longest (the first of equals).
    window_s : float, optional
        Length of the excerpt, default 90 s (limited to what was kept).
    side : {"left", "right", "combined"}, optional
        Show one leg (or the one channel of both legs) only.
    """
    ev = result.events if result.events is not None else pd.DataFrame()
    v = emg_excerpt_view(result, series=series, window_s=window_s, side=side)
    start, end, chosen, panels = v["start_s"], v["end_s"], v["series"], v["panels"]
    # a raw panel is only in the view when an excerpt was kept
    kept: dict[str, Any] = _excerpt_source(result) or {}
    detections = result.details.get("detections") or {}
    threshold = v["threshold_uv"]
    with _style():
        if not panels:
            fig = _new_figure(width, 1.6, dpi)
            ax = fig.subplots()
            ax.set_axis_off()
            _note(ax, "no EMG signal at hand (leg movements read from annotations, or the "
                      "recording is no longer where it was scored)")
            return fig
        fig = _new_figure(width, 1.45 * len(panels) + 0.7, dpi)
        axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True))
        titled: set[str] = set()
        for ax, (leg, kind) in zip(axes, panels, strict=True):
            if kind == "raw":
                part = kept["legs"][leg]
                fs, data = part["fs"], _bandpass(np.asarray(part["data"], dtype=float),
                                                 part["fs"])
                t = kept["start_s"] + np.arange(data.size) / fs
                sel = (t >= start) & (t < end)
                if sel.any():
                    ax.plot(t[sel], data[sel], color="#444444", lw=0.4)
                    lim = float(np.percentile(np.abs(data[sel]), 99.0)) * 1.5
                    if lim > 0:
                        ax.set_ylim(-lim, lim)
                ax.set_ylabel(f"{part.get('label', leg)}\nEMG 10-100 Hz (µV)")
            else:
                det = detections[leg]
                rate = float(det.rate_hz)
                i0, i1 = int(start * rate), int(end * rate)
                env = np.asarray(det.envelope[i0:i1], dtype=float)
                base = np.asarray(det.baseline[i0:i1], dtype=float)
                t = (i0 + np.arange(env.size)) / rate
                ax.plot(t, env, color=LEG_COLORS[leg], lw=0.8, label="envelope")
                ax.plot(t, base, color="#888888", lw=0.8, ls="--", label="resting baseline")
                ax.plot(t, base + threshold, color=RESP_COLOR, lw=0.7, ls=":",
                        label=f"onset threshold\n(baseline + {threshold:g} µV)")
                ax.set_ylabel(f"{leg} leg\nenvelope (µV)")
                if env.size:
                    ax.set_ylim(0, max(float(np.nanpercentile(env, 99.5)) * 1.2,
                                       1.5 * threshold))
                legend_outside(ax)
            # PLMs are marked on the leg's first panel only
            n_in_view = _shade_movements(ax, result, ev.iloc[:0] if leg in titled else ev,
                                         leg, start, end)
            if leg not in titled:
                titled.add(leg)
                ax.set_title(f"{leg} leg: {n_in_view} leg movement(s) in view "
                             "(green line = onset, red line = offset, shaded = PLM)",
                             loc="left", fontsize=9)
        axes[-1].set_xlim(start, end)
        axes[-1].set_xlabel("seconds from recording start")
        fig.suptitle(f"EMG excerpt {window_text(result, start, end)}: "
                     f"{series_text(result, chosen)}", x=0.01, ha="left", fontsize=10)
        return fig


def _bandpass(data: np.ndarray, fs: float) -> np.ndarray:
    """The 10-100 Hz band the standards ask for (below Nyquist), for display only."""
    from scipy.signal import butter, sosfiltfilt

    if data.size < 64:
        return data - float(np.mean(data)) if data.size else data
    high = min(100.0, 0.45 * fs)
    sos = butter(4, [10.0, high], btype="bandpass", fs=fs, output="sos")
    return sosfiltfilt(sos, data)
