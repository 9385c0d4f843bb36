"""``bland_altman.png`` of ``plms validate``: one Bland-Altman panel per night figure.

A panel is drawn for the PLMS index and, where hypnograms were compared, for
TST, sleep efficiency, WASO and sleep onset latency, each when at least
:data:`MIN_NIGHTS` nights give that figure on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from plms.validation.sleep import SLEEP_FIGURES

__all__ = ["MIN_NIGHTS", "Panel", "bland_altman_figure", "panels"]

#: Nights a panel needs (a spread of differences).
MIN_NIGHTS = 2
#: Panels per row of the figure.
PANELS_PER_ROW = 3
#: Size of one panel, inches.
PANEL_SIZE_IN = (4.2, 3.4)


class Panel(NamedTuple):
    """One Bland-Altman panel: paired values (NaN for a missing side) and their agreement."""

    label: str
    unit: str
    ref: Sequence[float]
    test: Sequence[float]
    agreement: dict[str, Any]


def panels(nights: pd.DataFrame, plms_agreement: dict[str, Any],
           sleep_figures: dict[str, dict[str, Any]] | None) -> list[Panel]:
    """The panels with at least :data:`MIN_NIGHTS` nights, PLMS index first."""
    out = []
    candidates = [("plms_index", "PLMS index", "/h", plms_agreement)]
    candidates += [(key, label, unit, (sleep_figures or {}).get(key, {}))
                   for key, label, unit in SLEEP_FIGURES]
    for key, label, unit, agreement in candidates:
        ref_col, test_col = f"ref_{key}", f"test_{key}"
        if ref_col not in nights or test_col not in nights:
            continue
        d = nights[[ref_col, test_col]].astype(float).dropna()
        if len(d) >= MIN_NIGHTS:
            out.append(Panel(label, unit, d[ref_col].tolist(), d[test_col].tolist(), agreement))
    return out


def bland_altman_figure(chosen: Sequence[Panel], *, dpi: int = 100) -> Any:
    """Bland-Altman plots, test - reference against the mean (matplotlib Figure)."""
    from plms.plots._common import THRESHOLD_COLOR, _new_figure, _style

    n_cols = min(len(chosen), PANELS_PER_ROW)
    n_rows = -(-len(chosen) // PANELS_PER_ROW)
    with _style():
        fig = _new_figure(PANEL_SIZE_IN[0] * n_cols, PANEL_SIZE_IN[1] * n_rows + 0.4, dpi)
        for k, panel in enumerate(chosen):
            ax = fig.add_subplot(n_rows, n_cols, k + 1)
            ref, test = np.asarray(panel.ref, float), np.asarray(panel.test, float)
            ax.scatter((ref + test) / 2, test - ref, s=18, color="#1f77b4")
            unit = panel.unit if panel.unit in ("", "/h") else f" {panel.unit}"
            a = panel.agreement
            legend = []
            if a.get("bias") is not None:
                ax.axhline(a["bias"], color="#333333", lw=1)
                legend.append(f"bias {a['bias']:.3g}{unit}")
            if a.get("loa_lower") is not None:
                for key in ("loa_lower", "loa_upper"):
                    ax.axhline(a[key], color=THRESHOLD_COLOR, lw=1, ls="--")
                legend.append(f"limits {a['loa_lower']:.3g} to {a['loa_upper']:.3g}{unit}")
            shown = f" ({unit.strip()})" if unit else ""
            ax.set_xlabel(f"mean {panel.label} of the two scorings{shown}")
            ax.set_ylabel(f"test - reference{shown}")
            ax.set_title(f"{panel.label}, {len(ref)} nights\n{'; '.join(legend)}", fontsize=9)
    return fig
