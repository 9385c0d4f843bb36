"""Shared pieces of :mod:`plms.plots`: style, colours, figure creation, PNG output.

matplotlib is imported on first use only, inside the functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

# one reading of the recording start for every output
from plms.outputs._events import recording_start as recording_start
from plms.pipeline.excerpt import DEFAULT_EXCERPT_S as DEFAULT_EXCERPT_S
from plms.pipeline.excerpt import EXCERPT_LEAD_S as EXCERPT_LEAD_S

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

    from plms.result import ScoreResult

#: Default resolution of the figures (dots per inch).
DEFAULT_DPI = 100
#: Stage colours (hypnogram) and drawing order top to bottom.
STAGE_COLORS: dict[str, str] = {"W": "#e8a33d", "R": "#c0392b", "N1": "#8fb8de",
                                "N2": "#3a78b5", "N3": "#1c3f73", "MT": "#999999",
                                "U": "#cccccc", "S": "#5b8fc7"}
_STAGE_Y = {"W": 5, "R": 4, "N1": 3, "N2": 2, "N3": 1, "MT": 5, "U": 0, "S": 2}
LEG_COLORS = {"left": "#1f77b4", "right": "#2ca02c", "bilateral": "#7b4ea3",
              "combined": "#7b4ea3"}
PLM_SHADE = "#f4b400"
RESP_COLOR = "#d62728"
AROUSAL_COLOR = "#555555"
THRESHOLD_COLOR = "#c0392b"
#: Colour and hatch of the stretches excluded from scoring (detached electrode, no signal).
EXCLUDED_COLOR = "#9e9e9e"
EXCLUDED_HATCH = "////"
#: Steps of the clock-time ticks, minutes; the smallest giving at most
#: :data:`MAX_CLOCK_TICKS` ticks is used.
CLOCK_STEPS_MIN = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360)
MAX_CLOCK_TICKS = 10
_RC: dict[RcKeyType, Any] = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "axes.spines.top": False,
    "axes.spines.right": False, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "legend.frameon": False, "axes.grid": False,
}


def require_matplotlib() -> None:
    """Raise a clear :class:`~plms.errors.PlmsError` when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from plms.errors import PlmsError

        raise PlmsError("the figures and reports need matplotlib, which is not installed: "
                        "pip install 'plms[report]'") from None


def _new_figure(width: float, height: float, dpi: int) -> Figure:
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, layout="constrained")


def _style() -> Any:
    import matplotlib

    return matplotlib.rc_context(_RC)


def _note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            color="#666666", fontsize=9, wrap=True)


def _leg_intervals(result: ScoreResult, side: str) -> pd.DataFrame:
    """The movements of one leg: per-leg table when there is one, else the rows."""
    per_leg = result.per_leg
    if per_leg is not None and len(per_leg) and {"onset", "duration", "side"} <= set(
            per_leg.columns):
        sel = per_leg.loc[per_leg["side"].astype(str).str.lower() == side]
        return sel[["onset", "duration"]].astype(float)
    ev = result.events
    if ev is None or len(ev) == 0:
        return pd.DataFrame({"onset": [], "duration": []})
    sel = ev.loc[ev["side"].isin([side, "bilateral"])]
    return sel[["onset", "duration"]].astype(float)


def _shade_movements(ax: Axes, result: ScoreResult, ev: pd.DataFrame, leg: str,
                     start: float, end: float) -> int:
    """Shade one leg's movements in view (onset green, offset red), PLMs on top; count them."""
    lms = _leg_intervals(result, leg)
    inside = lms.loc[(lms["onset"] + lms["duration"] >= start) & (lms["onset"] <= end)]
    for on, du in zip(inside["onset"], inside["duration"], strict=True):
        ax.axvspan(on, on + du, color=LEG_COLORS[leg], alpha=0.12, lw=0)
        ax.axvline(on, color="#1a9850", lw=1.0)
        ax.axvline(on + du, color="#d73027", lw=1.0)
    if len(ev):
        members = ev.loc[ev["plm"].astype(bool) & ev["side"].isin([leg, "bilateral"])
                         & (ev["onset"] >= start) & (ev["onset"] <= end)]
        for on, du in zip(members["onset"], members["duration"], strict=True):
            ax.axvspan(on, on + du, ymin=0.92, ymax=1.0, color=PLM_SHADE, lw=0)
    return len(inside)


def figure_png(fig: Figure, *, dpi: int | None = None) -> bytes:
    """The figure as PNG bytes (Agg renderer, no GUI)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor="white")
    return buf.getvalue()


def legend_outside(ax: Axes, **kwargs: Any) -> Any:
    """A legend to the right of the axes, outside the data area (never over data)."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                     **kwargs)


def clock_ticks(start: datetime, length_h: float) -> tuple[np.ndarray, list[str]]:
    """Ticks at round clock times over ``[0, length_h]`` hours from ``start``.

    Returns the positions (hours from the start) and their ``HH:MM`` labels.

    Examples
    --------
    >>> pos, labels = clock_ticks(datetime(2024, 1, 1, 22, 25), 1.0)
    >>> labels
    ['22:30', '22:40', '22:50', '23:00', '23:10', '23:20']
    >>> round(float(pos[0]), 4)
    0.0833
    """
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    offset_min = (start - midnight).total_seconds() / 60.0
    span_min = max(float(length_h) * 60.0, 1.0)
    step = next((s for s in CLOCK_STEPS_MIN if span_min / s <= MAX_CLOCK_TICKS),
                CLOCK_STEPS_MIN[-1])
    first = np.ceil(offset_min / step - 1e-9) * step
    minutes = np.arange(first, offset_min + span_min + 1e-9, step)
    pos = (minutes - offset_min) / 60.0
    labels = [(midnight + timedelta(minutes=float(m))).strftime("%H:%M") for m in minutes]
    return pos, labels


def time_axis(ax: Axes, start: datetime | None, length_h: float,
              top_ax: Axes | None = None) -> None:
    """Label an x axis in hours from the start as clock time, hours from the start on top.

    ``ax`` (the bottom axes) gets ``HH:MM`` ticks at round clock times; ``top_ax``
    (default ``ax``) a secondary axis on top in hours from the recording start.
    When the start is unknown the bottom axis is in hours from the start and
    there is no top axis.
    """
    if start is None:
        ax.set_xlabel("hours from recording start (clock time unknown)")
        return
    pos, labels = clock_ticks(start, length_h)
    ax.set_xticks(pos, labels)
    ax.set_xlabel(f"clock time (recording started {start:%Y-%m-%d %H:%M:%S})")
    sec = (top_ax or ax).secondary_xaxis("top")
    sec.set_xlabel("hours from recording start")
    sec.tick_params(labelsize=7)


def _nan_runs(values: np.ndarray, rate_hz: float) -> list[tuple[float, float]]:
    """(onset, duration) in seconds of every run of non-finite values."""
    from plms.signal.events import true_runs

    starts, ends = true_runs(~np.isfinite(np.asarray(values, dtype=float)))
    return [(a / rate_hz, (b - a) / rate_hz) for a, b in zip(starts, ends, strict=True)]


def excluded_stretches(result: ScoreResult) -> pd.DataFrame:
    """Stretches excluded from scoring: ``side``, ``onset``, ``duration`` (s), ``reason``.

    From the EMG detections (a detached electrode: ``LegDetection.excluded``),
    the accelerometer detections (no signal: NaN activity, e.g. a sensor not
    worn or a gap) and, when the annotations carry them, their ``excluded``
    table (``side`` ``both`` when it names none). Empty when nothing was excluded
    or the result no longer holds the detections (a rebuilt report).
    """
    rows: list[tuple[str, float, float, str]] = []
    for side, det in sorted((result.details.get("detections") or {}).items()):
        table = getattr(det, "excluded", None)
        if table is not None and len(table):
            rows += [(side, float(on), float(du), "signal unusable (detached electrode)")
                     for on, du in zip(table["onset"], table["duration"], strict=True)]
    for side, det in sorted((result.details.get("accel_detections") or {}).items()):
        act = getattr(det, "activity_mg", None)
        if act is not None and getattr(det, "rate_hz", None):
            rows += [(side, on, du, "no signal (sensor not worn or missing)")
                     for on, du in _nan_runs(act, float(det.rate_hz))]
    table = getattr(result.details.get("annotations"), "excluded", None)
    if isinstance(table, pd.DataFrame) and len(table) and {"onset", "duration"} <= set(table):
        sides = (table["side"].astype(str) if "side" in table
                 else pd.Series("both", index=table.index))
        rows += [(str(s), float(on), float(du), "excluded in the annotation file")
                 for s, on, du in zip(sides, table["onset"], table["duration"], strict=True)]
    out = pd.DataFrame(rows, columns=["side", "onset", "duration", "reason"])
    out = out.astype({"onset": float, "duration": float})
    return out.drop_duplicates(["side", "onset", "duration"]).reset_index(drop=True)


def recorded_sides(result: ScoreResult) -> list[str]:
    """The legs (ankles) recorded: those named in ``summary["channels"]`` (``combined``:
    one channel of both legs), else the sides of the per-leg movements, else both."""
    from plms.annotations import LEG_SIDES

    ch = result.summary.get("channels")
    if isinstance(ch, dict):
        sides = [s for s in LEG_SIDES if ch.get(s)]
        if sides:
            return sides
    per_leg = result.per_leg
    if per_leg is not None and len(per_leg) and "side" in per_leg:
        sides = [s for s in LEG_SIDES if (per_leg["side"].astype(str) == s).any()]
        if sides:
            return sides
    return ["left", "right"]
