"""Figures of a multi-day recording (issue 16): the actogram and the PLMS index per night.

- :func:`plot_actogram`: the days stacked one row each (noon to noon, so a
  night is never cut, or midnight to midnight), the activity per minute, the
  non-wear stretches hatched, each night's window (lights off to on) and
  sleep period, the naps, and the PLMs in sleep as ticks
  (:func:`actogram_caption` says what it draws);
- :func:`plot_index_by_night`: the PLMS index of each night against the
  clinical threshold (15/h), the nights not scored named.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.plots._common import (
    DEFAULT_DPI, EXCLUDED_COLOR, EXCLUDED_HATCH, PLM_SHADE, THRESHOLD_COLOR, _new_figure,
    _note, _style, legend_outside,
)
from plms.rules import WASM2016  # the clinical PLMS-index threshold (same in every preset)
from plms.stages import SLEEP_STAGES  # counted as sleep for the PLMS ticks

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from plms.result import DaysResult

#: Where a row of the actogram starts: noon (nights whole) or midnight.
ACTOGRAM_ANCHORS = ("noon", "midnight")
#: Hour of the day each row starts at, per anchor.
ANCHOR_HOUR = {"noon": 12, "midnight": 0}
DAY_S = 86400.0
#: Fraction of a row's height the activity may fill; the rest separates the rows.
ROW_FILL = 0.75
#: Activity shown up to this percentile of the recording's minutes (one restless
#: minute does not flatten the rest).
ACTIVITY_PERCENTILE = 99.0
ACTIVITY_COLOR = "#333333"
WINDOW_COLOR = "#cfe0f1"
SLEEP_COLOR = "#3a78b5"
NAP_COLOR = "#e8a33d"
PLMS_COLOR = "#c0392b"


def _start(result: DaysResult) -> datetime | None:
    text = result.summary.get("recording_start")
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def actogram_origin(start: datetime | None, anchor: str = "noon") -> float:
    """Seconds from the first row's start to the recording start.

    Rows start at noon (or midnight) on or before the recording start; an
    unknown clock time starts the first row at the recording start.

    >>> actogram_origin(datetime(2026, 1, 5, 9, 30)), actogram_origin(
    ...     datetime(2026, 1, 5, 9, 30), "midnight")
    (77400.0, 34200.0)
    """
    if anchor not in ACTOGRAM_ANCHORS:
        raise ValueError(f"anchor must be one of {', '.join(ACTOGRAM_ANCHORS)}, not {anchor!r}")
    if start is None:
        return 0.0
    first = start.replace(hour=ANCHOR_HOUR[anchor], minute=0, second=0, microsecond=0)
    if first > start:
        first -= timedelta(days=1)
    return (start - first).total_seconds()


def split_by_row(start_s: float, end_s: float, origin_s: float
                 ) -> list[tuple[int, float, float]]:
    """``(row, from_h, to_h)`` pieces of a stretch (s from the recording start) per row.

    >>> split_by_row(10 * 3600.0, 30 * 3600.0, 0.0)
    [(0, 10.0, 24.0), (1, 0.0, 6.0)]
    """
    pieces = []
    a, b = start_s + origin_s, end_s + origin_s
    row = int(np.floor(a / DAY_S))
    while a < b:
        row_end = (row + 1) * DAY_S
        stop = min(b, row_end)
        pieces.append((row, (a - row * DAY_S) / 3600.0, (stop - row * DAY_S) / 3600.0))
        a, row = stop, row + 1
    return pieces


def _seconds(value: Any, start: datetime | None) -> float | None:
    """A clock time (ISO text) as seconds from the recording start."""
    if start is None or value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    try:
        return (datetime.fromisoformat(str(value)) - start).total_seconds()
    except ValueError:
        return None


def _bands(ax: Axes, stretches: list[tuple[float, float]], origin: float, y: tuple[float, float],
           **style: Any) -> None:
    by_row: dict[int, list[tuple[float, float]]] = {}
    for a, b in stretches:
        for row, lo, hi in split_by_row(a, b, origin):
            by_row.setdefault(row, []).append((lo, hi - lo))
    for row, bars in by_row.items():
        ax.broken_barh(bars, (row + y[0], y[1] - y[0]), **style)


def _plms_onsets(result: DaysResult) -> np.ndarray:
    onsets = []
    for night in result.results.values():
        ev = night.events
        if ev is None or len(ev) == 0 or "plm" not in ev:
            continue
        in_sleep = ev["stage"].astype(str).isin(SLEEP_STAGES) if "stage" in ev else True
        onsets.append(ev.loc[ev["plm"].astype(bool) & in_sleep, "onset"].to_numpy(float))
    return np.concatenate(onsets) if onsets else np.zeros(0)


def _windows(result: DaysResult, start: datetime | None
             ) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The nights' windows and their sleep periods, s from the recording start."""
    windows, sleeps = [], []
    for row in result.nights.to_dict("records"):
        a, b = row.get("start_s"), row.get("end_s")
        if a is not None and b is not None and np.isfinite(a) and np.isfinite(b):
            windows.append((float(a), float(b)))
        on = _seconds(row.get("sleep_onset"), start)
        off = _seconds(row.get("sleep_offset"), start)
        if on is not None and off is not None and off > on:
            sleeps.append((on, off))
    return windows, sleeps


def _table_stretches(table: pd.DataFrame | None) -> list[tuple[float, float]]:
    if table is None or len(table) == 0:
        return []
    return [(float(a), float(b)) for a, b in zip(table["start_s"], table["end_s"], strict=True)]


def _activity(ax: Axes, result: DaysResult, origin: float) -> bool:
    act = result.activity
    if act is None or len(act) == 0 or "t_s" not in act:
        return False
    columns = [c for c in act.columns if str(c).startswith("activity_mg")]
    if not columns:
        return False
    values = act[columns].to_numpy(dtype=float).max(axis=1)
    if "nonwear" in act:
        values = np.where(act["nonwear"].to_numpy(dtype=bool), np.nan, values)
    finite = values[np.isfinite(values)]
    top = float(np.percentile(finite, ACTIVITY_PERCENTILE)) if finite.size else 0.0
    scaled = np.clip(values / top, 0.0, 1.0) if top > 0 else np.zeros_like(values)
    t = act["t_s"].to_numpy(dtype=float) + origin
    rows = np.floor(t / DAY_S).astype(int)
    for row in np.unique(rows):
        sel = rows == row
        x = (t[sel] - row * DAY_S) / 3600.0
        base = row + 0.05 + ROW_FILL
        ax.fill_between(x, base, base - ROW_FILL * scaled[sel], step="post",
                        color=ACTIVITY_COLOR, lw=0)
    return True


def plot_actogram(result: DaysResult, *, anchor: str = "noon", width: float = 11.0,
                  dpi: int = DEFAULT_DPI) -> Figure:
    """The days of the recording stacked, one row per day (day 1 on top).

    Each row spans 24 h from noon (``anchor="noon"``: a night stays on one
    row) or from midnight. Drawn: the activity per minute (the larger of the
    ankles, scaled to the recording's 99th percentile), non-wear hatched,
    each night's window (lights off to lights on) in light blue with its
    sleep period as a blue bar under the row, the naps as orange bars, and
    each PLM in sleep as a red tick above the row. The x axis is clock time
    (hours from the recording start when its clock time is unknown).
    """
    from matplotlib.patches import Patch

    start = _start(result)
    origin = actogram_origin(start, anchor)
    duration = float(result.summary.get("recording_duration_s") or 0.0)
    if result.activity is not None and len(result.activity) and "t_s" in result.activity:
        duration = max(duration, float(result.activity["t_s"].max()) + 60.0)
    n_rows = max(1, int(np.ceil((duration + origin) / DAY_S)))
    windows, sleeps = _windows(result, start)
    with _style():
        fig = _new_figure(width, 1.0 + 0.55 * n_rows, dpi)
        ax = fig.subplots()
        handles: list[Any] = []
        _bands(ax, windows, origin, (0.0, 1.0), color=WINDOW_COLOR, lw=0, zorder=0)
        handles.append(Patch(color=WINDOW_COLOR, label="night window"))
        nonwear = _table_stretches(result.nonwear)
        _bands(ax, nonwear, origin, (0.0, 1.0), facecolor="none", edgecolor=EXCLUDED_COLOR,
               hatch=EXCLUDED_HATCH, lw=0, zorder=1)
        if nonwear:
            handles.append(Patch(facecolor="none", edgecolor=EXCLUDED_COLOR,
                                 hatch=EXCLUDED_HATCH, label="non-wear"))
        drew = _activity(ax, result, origin)
        if drew:
            handles.append(Patch(color=ACTIVITY_COLOR, label="activity"))
        _bands(ax, sleeps, origin, (0.86, 0.96), color=SLEEP_COLOR, lw=0)
        if sleeps:
            handles.append(Patch(color=SLEEP_COLOR, label="sleep period"))
        naps = _table_stretches(result.naps)
        _bands(ax, naps, origin, (0.86, 0.96), color=NAP_COLOR, lw=0)
        if naps:
            handles.append(Patch(color=NAP_COLOR, label="nap"))
        plms_t = _plms_onsets(result) + origin
        if plms_t.size:
            rows = np.floor(plms_t / DAY_S)
            ax.vlines((plms_t - rows * DAY_S) / 3600.0, rows, rows + 0.08, color=PLMS_COLOR,
                      lw=0.6)
            handles.append(Patch(color=PLMS_COLOR, label=f"PLM in sleep ({plms_t.size})"))
        if not drew:
            _note(ax, "no activity at hand")
        for row in range(1, n_rows):
            ax.axhline(row, color="#dddddd", lw=0.6, zorder=0)
        ax.set_xlim(0, 24)
        ax.set_ylim(n_rows, 0)
        _row_labels(ax, start, origin, n_rows, anchor)
        legend_outside(ax, handles=handles)
        ax.set_title(f"Actogram: {n_rows} day(s), {len(windows)} night window(s)", loc="left")
        return fig


def _row_labels(ax: Axes, start: datetime | None, origin: float, n_rows: int,
                anchor: str) -> None:
    ax.set_yticks(np.arange(n_rows) + 0.5)
    hours = np.arange(0, 25, 3)
    if start is None:
        ax.set_yticklabels([f"day {k + 1}" for k in range(n_rows)])
        ax.set_xticks(hours)
        ax.set_xlabel("hours from the recording start, within each row of 24 h")
        return
    first = start - timedelta(seconds=origin)
    ax.set_yticklabels([f"{first + timedelta(days=k):%a %d %b}" for k in range(n_rows)])
    ax.set_xticks(hours, [f"{(ANCHOR_HOUR[anchor] + int(h)) % 24:02d}:00" for h in hours])
    ax.set_xlabel(f"clock time (each row from {ANCHOR_HOUR[anchor]:02d}:00)")


def actogram_caption(result: DaysResult, anchor: str = "noon") -> str:
    """The caption of :func:`plot_actogram` for this recording."""
    span = "noon to noon" if anchor == "noon" else "midnight to midnight"
    n_nw = 0 if result.nonwear is None else len(result.nonwear)
    n_naps = 0 if result.naps is None else len(result.naps)
    return (f"One row per day ({span}): activity per minute (black; the larger of the "
            f"ankles), night windows (light blue) with the sleep period below (blue), "
            f"{n_naps} nap(s) (orange), {n_nw} non-wear stretch(es) (hatched), and each PLM "
            "in sleep as a red tick at the top of its row.")


def plot_index_by_night(result: DaysResult, *,
                        threshold: float = WASM2016.plms_index_threshold_per_h,
                        width: float = 9.0, dpi: int = DEFAULT_DPI) -> Figure:
    """The PLMS index of each night (bars) against the clinical threshold (dashed).

    Bars at or above the threshold are red; a night not scored (no sleep
    period, excluded) has no bar but its status written at the axis; the
    pooled index is a dotted line when the summary has one.
    """
    nights = result.nights
    numbers = [int(n) for n in nights["night"]] if len(nights) else []
    values = pd.to_numeric(nights["plms_index"], errors="coerce").to_numpy(float) \
        if len(nights) else np.zeros(0)
    with _style():
        fig = _new_figure(width, 2.8, dpi)
        ax = fig.subplots()
        if not numbers:
            _note(ax, "no night found")
        ok = np.isfinite(values)
        colors = [PLMS_COLOR if v >= threshold else SLEEP_COLOR for v in values[ok]]
        ax.bar(np.asarray(numbers)[ok], values[ok], color=colors, width=0.7)
        top = max(float(np.nanmax(values)) if ok.any() else 0.0, threshold) * 1.2
        for n, v, status in zip(numbers, values, nights["status"] if len(nights) else [],
                                strict=True):
            if not np.isfinite(v):
                ax.text(n, top * 0.02, str(status), rotation=90, ha="center", va="bottom",
                        fontsize=7, color="#666666")
        ax.axhline(threshold, color=THRESHOLD_COLOR, ls="--", lw=1.2,
                   label=f"clinical threshold {threshold:g}/h")
        pooled = result.summary.get("plms_index_pooled")
        if pooled is not None:
            ax.axhline(float(pooled), color=PLM_SHADE, ls=":", lw=1.5,
                       label=f"all nights pooled {float(pooled):.1f}/h")
        ax.set_ylim(0, top)
        ax.set_xlim(min(numbers, default=1) - 0.6, max(numbers, default=1) + 0.6)
        ax.set_xticks(numbers)
        ax.set_xlabel("night")
        ax.set_ylabel("PLMS index (/h)")
        legend_outside(ax)
        n_above = int((values[ok] >= threshold).sum())
        ax.set_title(f"PLMS index per night: {n_above} of {int(ok.sum())} scored night(s) "
                     f"at or above {threshold:g}/h", loc="left")
        return fig
