"""Figures across nights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from plms.plots._common import (
    DEFAULT_DPI, THRESHOLD_COLOR, _new_figure, _note, _style, legend_outside,
)
from plms.rules import WASM2016  # the clinical PLMS-index threshold (same in every preset)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


#: Bin widths the histogram chooses from, per hour.
NICE_BIN_WIDTHS = (0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)
#: At most this many bins.
MAX_BINS = 20


def index_bins(values: np.ndarray, threshold: float) -> np.ndarray:
    """Bin edges from 0 with a round width, the last bin wholly past the largest value.

    Examples
    --------
    >>> index_bins(np.array([30.0, 36.8]), 15.0).tolist()[-3:]
    [34.0, 36.0, 38.0]
    >>> float(index_bins(np.array([20.0]), 15.0)[-1])
    24.0
    """
    top = max(float(np.max(values)) if values.size else 0.0, threshold * 1.5, 1.0)
    width = next((w for w in NICE_BIN_WIDTHS if top / w <= MAX_BINS), NICE_BIN_WIDTHS[-1])
    if top / width > MAX_BINS:
        width = float(np.ceil(top / MAX_BINS))
    n = int(np.floor(top / width + 1e-9)) + 1          # a value on an edge opens a new bin
    return np.arange(n + 1) * width


def plot_plms_index_distribution(
    summaries: pd.DataFrame, *, threshold: float = WASM2016.plms_index_threshold_per_h,
    width: float = 8.0, dpi: int = DEFAULT_DPI,
) -> Figure:
    """The PLMS index across nights: histogram with each night as a tick below it.

    ``summaries`` has one row per night and a ``plms_index`` column (or the
    ``plms_index_per_h`` of a batch ``summary.csv``; None/NaN for nights
    without one, counted in the title); the clinical threshold
    (default 15/h) is drawn. Bins have a round width and end past the
    largest index, so no bar is cut; night counts are whole numbers; the
    legend sits outside the plot.
    """
    from matplotlib.ticker import MaxNLocator

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
            bins = index_bins(ok, threshold).tolist()   # matplotlib's type: a sequence
            counts, _, _ = ax.hist(ok, bins=bins, color="#3a78b5", edgecolor="white", lw=0.5)
            ax.plot(ok, np.zeros_like(ok), "|", color="#222222", ms=12, mew=1,
                    transform=ax.get_xaxis_transform(), clip_on=False)
            ax.set_xlim(0, float(bins[-1] + 0.5 * (bins[1] - bins[0])))   # air past the last bar
            ax.set_ylim(0, float(np.max(counts)) + 1.0)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.axvline(threshold, color=THRESHOLD_COLOR, ls="--", lw=1.2,
                   label=f"clinical threshold\n{threshold:g}/h")
        n_above = int((ok >= threshold).sum())
        ax.set_xlabel("PLMS index (/h)")
        ax.set_ylabel("nights")
        legend_outside(ax)
        missing = values.size - ok.size
        title = f"PLMS index over {ok.size} night(s): {n_above} at or above {threshold:g}/h"
        if missing:
            title += f" ({missing} without an index)"
        ax.set_title(title, loc="left")
        return fig
