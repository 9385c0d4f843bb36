"""The stretch of a night kept for reports and figures: the PLM series table, the excerpt
window and short copies of the raw signals around it.

numpy and pandas only (no matplotlib): the pipelines keep an excerpt when asked
(``keep_excerpt``) without importing :mod:`plms.plots`, which draws it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from plms.io.psg.lazy import LazySamples

#: Length of the EMG excerpt kept by :func:`plms.score_edf` and drawn, seconds.
DEFAULT_EXCERPT_S = 90.0
#: Seconds shown before the first movement of the excerpt.
EXCERPT_LEAD_S = 5.0

__all__ = ["DEFAULT_EXCERPT_S", "EXCERPT_LEAD_S", "accel_excerpt", "emg_excerpt",
           "excerpt_window", "series_table"]


def series_table(events: pd.DataFrame) -> pd.DataFrame:
    """One row per PLM series: ``series``, ``start``, ``end`` (s), ``n`` members.

    Examples
    --------
    >>> ev = pd.DataFrame({"onset": [10.0, 30, 50, 70], "duration": 2.0,
    ...                    "series": pd.array([1, 1, 1, 1], dtype="Int64")})
    >>> series_table(ev).to_dict("records")
    [{'series': 1, 'start': 10.0, 'end': 72.0, 'n': 4}]
    """
    cols = ["series", "start", "end", "n"]
    if events is None or len(events) == 0 or "series" not in events:
        return pd.DataFrame(columns=cols)
    ev = events.loc[events["series"].notna()]
    if len(ev) == 0:
        return pd.DataFrame(columns=cols)
    offset = ev["onset"].astype(float) + ev["duration"].astype(float)
    g = pd.DataFrame({"series": ev["series"].astype(int), "onset": ev["onset"].astype(float),
                      "offset": offset}).groupby("series")
    out = pd.DataFrame({"start": g["onset"].min(), "end": g["offset"].max(),
                        "n": g["onset"].size()}).reset_index()
    return out[cols].astype({"series": int, "n": int})


def excerpt_window(events: pd.DataFrame, *, series: int | None = None,
                   window_s: float | None = None, duration_s: float | None = None
                   ) -> tuple[float, float, int | None]:
    """The stretch of the night to show as the EMG excerpt: ``(start, end, series)``.

    By default the PLM series with the most members (the first of equals),
    from a few seconds before its first movement; without any series, the
    first leg movement; without any movement, the start of the recording.

    Examples
    --------
    >>> ev = pd.DataFrame({"onset": [100.0, 120, 140, 160], "duration": 2.0,
    ...                    "series": pd.array([1] * 4, dtype="Int64")})
    >>> excerpt_window(ev, window_s=60)
    (95.0, 155.0, 1)
    """
    window = float(window_s or DEFAULT_EXCERPT_S)
    table = series_table(events)
    chosen: int | None = None
    if series is not None:
        if not (table["series"] == series).any():
            raise ValueError(f"no PLM series {series} in this night "
                             f"({len(table)} series)")
        chosen = int(series)
    elif len(table):
        chosen = int(table.sort_values(["n", "series"], ascending=[False, True])
                     .iloc[0]["series"])
    if chosen is not None:
        first = float(table.loc[table["series"] == chosen, "start"].iloc[0])
    elif events is not None and len(events):
        first = float(events["onset"].min())
    else:
        first = EXCERPT_LEAD_S
    start = max(0.0, first - EXCERPT_LEAD_S)
    end = start + window
    if duration_s is not None and end > duration_s:
        end = float(duration_s)
        start = max(0.0, end - window)
    return start, end, chosen


def emg_excerpt(signals: Mapping[str, tuple[np.ndarray | LazySamples, float]],
                events: pd.DataFrame, *,
                window_s: float | None = None, duration_s: float | None = None,
                labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A short copy of the raw leg EMG around the night's most telling PLM series.

    ``signals`` maps ``left``/``right`` to ``(samples in µV, rate in Hz)``.
    The result is what :func:`plms.plots.plot_emg_excerpt` reads from
    ``result.details["emg_excerpt"]``: ``start_s``, ``end_s``, ``series`` and
    per side ``{"data": float32 array, "fs": rate, "label": channel}``.
    """
    start, end, chosen = excerpt_window(events, window_s=window_s, duration_s=duration_s)
    legs = {}
    for side, (data, fs) in signals.items():
        i0, i1 = int(round(start * fs)), int(round(end * fs))
        legs[side] = {"data": np.array(data[i0:i1], dtype=np.float32), "fs": float(fs),
                      "label": (labels or {}).get(side, side)}
    return {"start_s": start, "end_s": end, "series": chosen, "legs": legs}


def accel_excerpt(signals: dict[str, Any], events: pd.DataFrame, *,
                  window_s: float | None = None, duration_s: float | None = None
                  ) -> dict[str, Any]:
    """A short copy of each ankle's acceleration around the night's longest PLM series.

    ``signals`` maps ``left``/``right`` to anything with ``data`` (samples x
    axes, g), ``fs``, ``axes`` and ``label`` (:class:`plms.io.accel.AccelSignal`).
    The result is what :func:`plms.plots.plot_accel_excerpt` reads from
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
