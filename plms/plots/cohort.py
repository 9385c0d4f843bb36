"""Figures across nights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plms.plots._common import DEFAULT_DPI, THRESHOLD_COLOR, _new_figure, _note, _style
from plms.rules import WASM2016  # the clinical PLMS-index threshold (same in every preset)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


def plot_plms_index_distribution(summaries: pd.DataFrame, *, threshold: float = WASM2016.plms_index_threshold_per_h,
                                 width: float = 8.0, dpi: int = DEFAULT_DPI) -> Figure:
    """The PLMS index across nights: histogram with each night as a tick below it.

    ``summaries`` has one row per night and a ``plms_index`` column (or the
    ``plms_index_per_h`` of a batch ``summary.csv``; None/NaN for nights
    without one, counted in the title); the clinical threshold
    (default 15/h) is drawn.
    """
    column = next((c for c in ("plms_index", "plms_index_per_h") if c in summaries.columns),
                  None)
    values = (pd.to_numeric(summaries[column], errors="coerce").to_numpy(dtype=float)
              if column is not None else np.zeros(0))
    ok = values[np.isfinite(values)]
    with _style():
        fig = _new_figure(width, 3.0, dpi)
        ax = fig.subplots()
        if ok.size == 0:
            _note(ax, "no night with a PLMS index")
        else:
            top = max(float(ok.max()) * 1.05, threshold * 1.5, 1.0)
            bins = np.linspace(0.0, top, min(30, max(8, ok.size)) + 1)
            ax.hist(ok, bins=bins, color="#3a78b5", edgecolor="white", lw=0.5)
            ax.plot(ok, np.zeros_like(ok), "|", color="#222222", ms=12, mew=1,
                    transform=ax.get_xaxis_transform(), clip_on=False)
            ax.set_xlim(0, top)
        ax.axvline(threshold, color=THRESHOLD_COLOR, ls="--", lw=1.2,
                   label=f"clinical threshold {threshold:g}/h")
        n_above = int((ok >= threshold).sum())
        ax.set_xlabel("PLMS index (/h)")
        ax.set_ylabel("nights")
        ax.legend(loc="upper right")
        missing = values.size - ok.size
        title = f"PLMS index over {ok.size} night(s): {n_above} at or above {threshold:g}/h"
        if missing:
            title += f" ({missing} without an index)"
        ax.set_title(title, loc="left")
        return fig
