"""Shared pieces of :mod:`plms.plots`: style, colours, figure creation, PNG output.

matplotlib is imported on first use only, inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from plms.result import ScoreResult

#: Length of the EMG excerpt kept by :func:`plms.score_edf` and drawn, seconds.
DEFAULT_EXCERPT_S = 90.0
#: Seconds shown before the first movement of the excerpt.
EXCERPT_LEAD_S = 5.0
#: Default resolution of the figures (dots per inch).
DEFAULT_DPI = 100
#: Stage colours (hypnogram) and drawing order top to bottom.
STAGE_COLORS: dict[str, str] = {"W": "#e8a33d", "R": "#c0392b", "N1": "#8fb8de",
                                "N2": "#3a78b5", "N3": "#1c3f73", "MT": "#999999",
                                "U": "#cccccc", "S": "#5b8fc7"}
_STAGE_Y = {"W": 5, "R": 4, "N1": 3, "N2": 2, "N3": 1, "MT": 5, "U": 0, "S": 2}
LEG_COLORS = {"left": "#1f77b4", "right": "#2ca02c", "bilateral": "#7b4ea3"}
PLM_SHADE = "#f4b400"
RESP_COLOR = "#d62728"
AROUSAL_COLOR = "#555555"
THRESHOLD_COLOR = "#c0392b"
_RC = {
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
    for on, du in zip(inside["onset"], inside["duration"]):
        ax.axvspan(on, on + du, color=LEG_COLORS[leg], alpha=0.12, lw=0)
        ax.axvline(on, color="#1a9850", lw=1.0)
        ax.axvline(on + du, color="#d73027", lw=1.0)
    if len(ev):
        members = ev.loc[ev["plm"].astype(bool) & ev["side"].isin([leg, "bilateral"])
                         & (ev["onset"] >= start) & (ev["onset"] <= end)]
        for on, du in zip(members["onset"], members["duration"]):
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
