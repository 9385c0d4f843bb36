"""The accelerometer excerpt: ankle acceleration and the detector's activity around a PLM series."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.plots._common import (
    DEFAULT_DPI, LEG_COLORS, RESP_COLOR, _new_figure, _note, _shade_movements, _style,
    legend_outside,
)
from plms.pipeline.excerpt import excerpt_window
from plms.plots.excerpt import series_text, window_text

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from plms.result import ScoreResult

#: Colours of the x, y, z axes of the acceleration.
AXIS_COLORS = ("#d62728", "#2ca02c", "#1f77b4", "#7f7f7f")
#: Share of the activity's range above its 99.5th percentile kept in view.
ACTIVITY_HEADROOM = 1.2
#: Smallest activity range shown, mg (so that a quiet stretch does not look busy).
MIN_ACTIVITY_RANGE_MG = 60.0


def _draw_raw(ax: Axes, part: dict[str, Any], start: float, end: float) -> None:
    data = np.asarray(part["data"], dtype=float)
    t = start + np.arange(data.shape[0]) / part["fs"]
    for k, name in enumerate(part["axes"]):
        y = data[:, k] - float(np.median(data[:, k])) if data.size else data[:, k]
        ax.plot(t, 1000.0 * y, color=AXIS_COLORS[min(k, 3)], lw=0.6, label=name)
    ax.set_ylabel(f"{part['label']}\nacceleration\n(mg, median removed)")
    legend_outside(ax, title="axis")


def _draw_activity(ax: Axes, det: Any, leg: str, start: float, end: float) -> None:
    rate = float(det.rate_hz)
    i0, i1 = int(start * rate), int(end * rate)
    act = np.asarray(det.activity_mg[i0:i1], dtype=float)
    t = (i0 + np.arange(act.size)) / rate
    ax.plot(t, act, color=LEG_COLORS[leg], lw=0.8, label="activity\n(gravity removed)")
    ax.axhline(det.threshold_mg, color=RESP_COLOR, lw=0.7, ls=":",
               label=f"onset threshold\n({det.threshold_mg:g} mg)")
    ax.axhline(det.offset_mg, color="#888888", lw=0.7, ls="--",
               label=f"offset level\n({det.offset_mg:g} mg)")
    top = float(np.nanpercentile(act, 99.5)) if np.isfinite(act).any() else 0.0
    ax.set_ylim(0, max(top * ACTIVITY_HEADROOM, det.threshold_mg * ACTIVITY_HEADROOM,
                       MIN_ACTIVITY_RANGE_MG))
    ax.set_ylabel(f"{leg} ankle\nactivity (mg)")
    legend_outside(ax)


def accel_excerpt_view(result: ScoreResult, *, series: int | None = None,
                       window_s: float | None = None) -> dict[str, Any]:
    """What :func:`plot_accel_excerpt` draws: window, series, panels and levels.

    Returns ``start_s``, ``end_s``, ``series``, ``panels`` (``(leg, "raw" |
    "activity")``), ``labels`` and ``axes`` (sensor label and axis names per
    leg with a raw panel), and per leg with an activity panel its onset
    threshold and offset level (``threshold_mg``, ``offset_mg``).
    """
    ev = result.events if result.events is not None else pd.DataFrame()
    kept = result.details.get("accel_excerpt")
    detections = result.details.get("accel_detections") or {}
    start, end, chosen = excerpt_window(ev, series=series, window_s=window_s,
                                        duration_s=result.summary.get("recording_duration_s"))
    if isinstance(kept, dict) and series is None and window_s is None:
        start, end, chosen = kept["start_s"], kept["end_s"], kept.get("series")
    panels: list[tuple[str, str]] = []
    labels: dict[str, str] = {}
    axes: dict[str, tuple[str, ...]] = {}
    levels: dict[str, tuple[float, float]] = {}
    for leg in ("left", "right"):
        if isinstance(kept, dict) and leg in kept.get("legs", {}) \
                and kept["start_s"] <= start and kept["end_s"] >= end:
            panels.append((leg, "raw"))
            labels[leg] = str(kept["legs"][leg]["label"])
            axes[leg] = tuple(str(a) for a in kept["legs"][leg]["axes"])
        if leg in detections:
            panels.append((leg, "activity"))
            levels[leg] = (float(detections[leg].threshold_mg),
                           float(detections[leg].offset_mg))
    return {"start_s": float(start), "end_s": float(end), "series": chosen,
            "panels": panels, "labels": labels, "axes": axes, "levels": levels}


def accel_excerpt_caption(result: ScoreResult, **view: Any) -> str:
    """The caption of :func:`plot_accel_excerpt` (same arguments): what is drawn, exactly."""
    v = accel_excerpt_view(result, **view)
    if not v["panels"]:
        return "No accelerometer signal at hand for the excerpt."
    raw = [leg for leg, kind in v["panels"] if kind == "raw"]
    act = [leg for leg, kind in v["panels"] if kind == "activity"]
    parts = []
    if raw:
        names = " and ".join(f"{leg} '{v['labels'][leg]}'" for leg in raw)
        axes = sorted({", ".join(v["axes"][leg]) for leg in raw})
        parts.append(f"the acceleration of the {names} ankle{'s' if len(raw) > 1 else ''} "
                     f"(axes {'; '.join(axes)}, median removed)")
    if act:
        levels = {v["levels"][leg] for leg in act}
        if len(levels) == 1:
            on, off = levels.pop()
            where = f"onset threshold ({on:g} mg) and offset level ({off:g} mg)"
        else:
            where = "onset threshold and offset level (" + "; ".join(
                f"{leg}: {v['levels'][leg][0]:g} and {v['levels'][leg][1]:g} mg"
                for leg in act) + ")"
        parts.append(f"the gravity-removed activity of the {' and '.join(act)} "
                     f"ankle{'s' if len(act) > 1 else ''} with the {where}")
    drawn = "; ".join(parts)
    return (f"{drawn[:1].upper()}{drawn[1:]}, {window_text(result, v['start_s'], v['end_s'])}, "
            f"around {series_text(result, v['series'])}. Each detected movement is shaded, "
            "onset green, offset red; PLM members are marked on top: check that they sit "
            "where the foot moves.")


def plot_accel_excerpt(result: ScoreResult, *, series: int | None = None,
                       window_s: float | None = None, dpi: int = DEFAULT_DPI,
                       width: float = 11.0) -> Figure:
    """A zoomed stretch of the ankle acceleration around a PLM series.

    Per ankle: the acceleration of each axis (median removed, so that a foot
    movement that turns the sensor shows as steps of opposite sign) from
    ``result.details["accel_excerpt"]``, and the detector's gravity-removed
    activity with its onset threshold and offset level from
    ``result.details["accel_detections"]`` (both kept by
    :func:`plms.score_accel`). Each detected movement is shaded, onset green,
    offset red; PLMs are marked on top. What is drawn is
    :func:`accel_excerpt_view`; :func:`accel_excerpt_caption` says it in
    words. Legends sit outside the plots, to the right.
    """
    ev = result.events if result.events is not None else pd.DataFrame()
    v = accel_excerpt_view(result, series=series, window_s=window_s)
    start, end, chosen, panels = v["start_s"], v["end_s"], v["series"], v["panels"]
    # a raw panel is only in the view when an excerpt was kept
    kept: dict[str, Any] = result.details.get("accel_excerpt") or {}
    detections = result.details.get("accel_detections") or {}
    with _style():
        if not panels:
            fig = _new_figure(width, 1.6, dpi)
            ax = fig.subplots()
            ax.set_axis_off()
            _note(ax, "no accelerometer signal at hand")
            return fig
        fig = _new_figure(width, 1.5 * len(panels) + 0.7, dpi)
        axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True))
        for ax, (leg, kind) in zip(axes, panels, strict=True):
            if kind == "raw":
                _draw_raw(ax, kept["legs"][leg], kept["start_s"], kept["end_s"])
            else:
                _draw_activity(ax, detections[leg], leg, start, end)
            _shade_movements(ax, result, ev, leg, start, end)
        axes[-1].set_xlim(start, end)
        axes[-1].set_xlabel("seconds from recording start")
        fig.suptitle(f"Accelerometer excerpt {window_text(result, start, end)}: "
                     f"{series_text(result, chosen)}; green = onset, red = offset",
                     x=0.01, ha="left", fontsize=10)
        return fig
