"""The accelerometer excerpt: ankle acceleration and the detector's activity around a PLM series."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.plots._common import (
    DEFAULT_DPI, LEG_COLORS, RESP_COLOR, _new_figure, _note, _shade_movements, _style,
)
from plms.plots.excerpt import excerpt_window

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


def accel_excerpt(signals: dict[str, Any], events: pd.DataFrame, *,
                  window_s: float | None = None, duration_s: float | None = None
                  ) -> dict[str, Any]:
    """A short copy of each ankle's acceleration around the night's longest PLM series.

    ``signals`` maps ``left``/``right`` to anything with ``data`` (samples x
    axes, g), ``fs``, ``axes`` and ``label`` (:class:`plms.io.accel.AccelSignal`).
    The result is what :func:`plot_accel_excerpt` reads from
    ``result.details["accel_excerpt"]``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> sig = SimpleNamespace(data=np.zeros((6000, 3)), fs=50.0, axes=("x", "y", "z"),
    ...                       label="Ankle L")
    >>> exc = accel_excerpt({"left": sig}, pd.DataFrame(), window_s=30)
    >>> exc["start_s"], exc["end_s"], exc["legs"]["left"]["data"].shape
    (0.0, 30.0, (1500, 3))
    """
    start, end, chosen = excerpt_window(events, window_s=window_s, duration_s=duration_s)
    legs = {}
    for side, sig in signals.items():
        i0, i1 = int(round(start * sig.fs)), int(round(end * sig.fs))
        legs[side] = {"data": np.array(sig.data[i0:i1], dtype=np.float32), "fs": float(sig.fs),
                      "axes": tuple(sig.axes), "label": sig.label}
    return {"start_s": start, "end_s": end, "series": chosen, "legs": legs}


def _draw_raw(ax: Axes, part: dict[str, Any], start: float, end: float) -> None:
    data = np.asarray(part["data"], dtype=float)
    t = start + np.arange(data.shape[0]) / part["fs"]
    for k, name in enumerate(part["axes"]):
        y = data[:, k] - float(np.median(data[:, k])) if data.size else data[:, k]
        ax.plot(t, 1000.0 * y, color=AXIS_COLORS[min(k, 3)], lw=0.6, label=name)
    ax.set_ylabel(f"{part['label']}\nacceleration\n(mg, median removed)")
    ax.legend(loc="upper right", ncols=len(part["axes"]))


def _draw_activity(ax: Axes, det: Any, leg: str, start: float, end: float) -> None:
    rate = float(det.rate_hz)
    i0, i1 = int(start * rate), int(end * rate)
    act = np.asarray(det.activity_mg[i0:i1], dtype=float)
    t = (i0 + np.arange(act.size)) / rate
    ax.plot(t, act, color=LEG_COLORS[leg], lw=0.8, label="activity (gravity removed)")
    ax.axhline(det.threshold_mg, color=RESP_COLOR, lw=0.7, ls=":",
               label=f"onset threshold ({det.threshold_mg:.0f} mg)")
    ax.axhline(det.offset_mg, color="#888888", lw=0.7, ls="--",
               label=f"offset level ({det.offset_mg:.0f} mg)")
    top = float(np.nanpercentile(act, 99.5)) if np.isfinite(act).any() else 0.0
    ax.set_ylim(0, max(top * ACTIVITY_HEADROOM, det.threshold_mg * ACTIVITY_HEADROOM,
                       MIN_ACTIVITY_RANGE_MG))
    ax.set_ylabel(f"{leg} ankle\nactivity (mg)")
    ax.legend(loc="upper right", ncols=3)


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
    offset red; PLMs are marked on top.
    """
    ev = result.events if result.events is not None else pd.DataFrame()
    kept = result.details.get("accel_excerpt")
    detections = result.details.get("accel_detections") or {}
    start, end, chosen = excerpt_window(ev, series=series, window_s=window_s,
                                        duration_s=result.summary.get("recording_duration_s"))
    if isinstance(kept, dict) and series is None and window_s is None:
        start, end, chosen = kept["start_s"], kept["end_s"], kept.get("series")
    panels: list[tuple[str, str]] = []
    for leg in ("left", "right"):
        if isinstance(kept, dict) and leg in kept.get("legs", {}) \
                and kept["start_s"] <= start and kept["end_s"] >= end:
            panels.append((leg, "raw"))
        if leg in detections:
            panels.append((leg, "activity"))
    with _style():
        if not panels:
            fig = _new_figure(width, 1.6, dpi)
            ax = fig.subplots()
            ax.set_axis_off()
            _note(ax, "no accelerometer signal at hand")
            return fig
        fig = _new_figure(width, 1.5 * len(panels) + 0.7, dpi)
        axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True))
        for ax, (leg, kind) in zip(axes, panels):
            if kind == "raw":
                _draw_raw(ax, kept["legs"][leg], kept["start_s"], kept["end_s"])
            else:
                _draw_activity(ax, detections[leg], leg, start, end)
            _shade_movements(ax, result, ev, leg, start, end)
        axes[-1].set_xlim(start, end)
        axes[-1].set_xlabel("seconds from recording start")
        what = f"PLM series {chosen}" if chosen is not None else "no PLM series in this night"
        fig.suptitle(f"Accelerometer excerpt {start:.0f}-{end:.0f} s ({what}); green = "
                     "onset, red = offset", x=0.01, ha="left", fontsize=10)
        return fig

