"""Figures of one night: overview, IMI histograms, PLMS per stage and per hour."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plms.plots._common import (
    _STAGE_Y, AROUSAL_COLOR, DEFAULT_DPI, EXCLUDED_COLOR, EXCLUDED_HATCH, LEG_COLORS,
    PLM_SHADE, RESP_COLOR, STAGE_COLORS, _leg_intervals, _new_figure, _note, _style,
    excluded_stretches, legend_outside, recorded_sides, recording_start, time_axis,
)
from plms.plots.excerpt import series_table

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from plms.hypnogram import Hypnogram
    from plms.result import ScoreResult


def _hours(seconds: Any) -> Any:
    return np.asarray(seconds, dtype=float) / 3600.0


def _night_length_s(result: ScoreResult) -> float:
    cands = [float(result.summary.get("recording_duration_s") or 0.0)]
    if result.hypnogram is not None:
        cands.append(result.hypnogram.end_s)
    ev = result.events
    if ev is not None and len(ev):
        cands.append(float((ev["onset"] + ev["duration"]).max()))
    return max(max(cands), 60.0)


def _annotation_tables(result: ScoreResult) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    ann = result.details.get("annotations")
    resp = arousals = None
    if ann is not None:
        if ann.respiratory_scored:
            resp = ann.respiratory
        if ann.arousals_scored:
            arousals = ann.arousals
    return resp, arousals


def _draw_hypnogram(ax: Axes, result: ScoreResult) -> None:
    hyp = result.hypnogram
    ax.set_yticks([1, 2, 3, 4, 5], ["N3", "N2", "N1", "REM", "W"])
    ax.set_ylim(0.5, 5.5)
    ax.set_ylabel("stage")
    if hyp is not None and not hyp.staged:
        ax.set_yticks([2, 5], ["sleep\n(est.)", "W"])
    if hyp is None or hyp.n_epochs == 0:
        _note(ax, "no hypnogram: sleep stages unknown")
        return
    y = np.array([_STAGE_Y[s] for s in hyp.stages], dtype=float)
    y[y == 0] = np.nan
    x = _hours(np.r_[hyp.epoch_onsets, hyp.end_s])
    ax.step(x, np.r_[y, y[-1:]], where="post", color="#333333", lw=0.8)
    rem = hyp.stages == "R"
    for on in hyp.epoch_onsets[rem]:
        ax.plot(_hours([on, on + hyp.epoch_s]), [4, 4], color=STAGE_COLORS["R"], lw=3,
                solid_capstyle="butt")
    tib = hyp.tib_mask()
    if not tib.all():
        for on in hyp.epoch_onsets[~tib]:
            ax.axvspan(*_hours([on, on + hyp.epoch_s]), color="#eeeeee", lw=0, zorder=0)


def _draw_excluded(axes: list[Axes], result: ScoreResult) -> list[Any]:
    """Hatch the stretches excluded from scoring on every track; legend handles."""
    from matplotlib.patches import Patch

    table = excluded_stretches(result)
    handles = []
    for side, part in table.groupby("side", sort=True):
        for on, du in zip(part["onset"], part["duration"], strict=True):
            for ax in axes:
                ax.axvspan(*_hours([on, on + du]), facecolor="none", edgecolor=EXCLUDED_COLOR,
                           hatch=EXCLUDED_HATCH, lw=0, zorder=0.5)
        what = "both legs" if side == "both" else f"{side} leg"
        minutes = float(part["duration"].sum()) / 60.0
        handles.append(Patch(facecolor="none", edgecolor=EXCLUDED_COLOR, hatch=EXCLUDED_HATCH,
                             lw=0, label=f"not scored, {what}: {minutes:.1f} min\n"
                                         f"({part['reason'].iloc[0]})"))
    return handles


def _bars(table: pd.DataFrame, min_w: float) -> list[tuple[float, float]]:
    """(start, width) in hours of every row of ``table``, at least ``min_w`` wide."""
    return [(h, max(d, min_w)) for h, d in zip(_hours(table["onset"]),
                                               _hours(table["duration"]), strict=True)]


def _draw_combined(ax: Axes, ev: pd.DataFrame, y: float, min_w: float) -> list[Any]:
    """The combined movements at height ``y``, coloured by kind; their legend handles."""
    if not len(ev):
        return []
    plm, resp, clm = (ev[c].astype(bool) for c in ("plm", "resp", "clm"))
    kinds = [
        ("PLM", plm, PLM_SHADE),
        ("resp.-related", resp & ~plm, RESP_COLOR),
        ("CLM", clm & ~plm & ~resp, "#555555"),
        ("other LM", ~clm & ~resp, "#bbbbbb"),
    ]
    handles: list[Any] = []
    for name, mask, color in kinds:
        sel = ev.loc[mask.to_numpy()]
        if len(sel) == 0:      # only what the night holds
            continue
        handles.append(ax.broken_barh(_bars(sel, min_w), (y - 0.35, 0.7), color=color, lw=0,
                                      label=f"combined: {name} ({len(sel)})"))
    return handles


def _draw_series(axes: list[Axes], ev: pd.DataFrame) -> list[Any]:
    """The PLM series shaded across ``axes``; the legend handle (none without a series)."""
    from matplotlib.patches import Patch

    series = series_table(ev)
    for s in series.itertuples(index=False):
        for ax in axes:
            ax.axvspan(*_hours([s.start, s.end]), color=PLM_SHADE, alpha=0.25, lw=0, zorder=0)
    if not len(series):
        return []
    return [Patch(color=PLM_SHADE, alpha=0.25, lw=0, label=f"PLM series ({len(series)})")]


def plot_night(result: ScoreResult, *, width: float = 11.0, dpi: int = DEFAULT_DPI) -> Figure:
    """The night at a glance.

    Top: the hypnogram (REM in red, out-of-bed epochs greyed). Below, one
    row per recorded leg with its leg movements as ticks, a row of the
    combined movements coloured by kind (PLM, CLM, other LM,
    respiratory-related), the PLM series shaded across all rows, and rows for
    respiratory events and arousals when they were scored. Stretches
    excluded from scoring (a detached electrode, an ankle sensor without
    signal) are hatched across every row. The x axis is clock time when the
    recording start is known, with hours from the start on top; else hours
    from the start. The legend sits outside the plot, to the right.
    """
    with _style():
        fig = _new_figure(width, 4.8, dpi)
        ax_h, ax_r = fig.subplots(2, 1, sharex=True, height_ratios=[1.0, 1.5])
        _draw_hypnogram(ax_h, result)
        length_h = _hours(_night_length_s(result))
        ax_r.set_xlim(0, float(length_h))
        resp, arousals = _annotation_tables(result)
        rows: list[tuple[str, pd.DataFrame, str]] = [
            (f"{side} leg", _leg_intervals(result, side), LEG_COLORS[side])
            for side in recorded_sides(result)
        ]
        ev = result.events if result.events is not None else pd.DataFrame()
        labels = [r[0] for r in rows] + ["combined"]
        if resp is not None:
            labels.append("respiratory")
        if arousals is not None:
            labels.append("arousals")
        ypos = {lab: len(labels) - i for i, lab in enumerate(labels)}
        min_w = float(length_h) / 1500.0   # a movement stays visible at night scale
        for label, table, color in rows:
            ax_r.broken_barh(_bars(table, min_w), (ypos[label] - 0.35, 0.7), color=color, lw=0)
        handles: list[Any] = _draw_combined(ax_r, ev, ypos["combined"], min_w)
        handles += _draw_series([ax_h, ax_r], ev)
        handles += _draw_excluded([ax_h, ax_r], result)
        for label, table, color in (("respiratory", resp, RESP_COLOR),
                                    ("arousals", arousals, AROUSAL_COLOR)):
            if table is None:
                continue
            ax_r.broken_barh(_bars(table, min_w), (ypos[label] - 0.3, 0.6), color=color, lw=0)
        ax_r.set_yticks([ypos[lab] for lab in labels], labels)
        ax_r.set_ylim(0.4, len(labels) + 0.6)
        time_axis(ax_r, recording_start(result), float(length_h), top_ax=ax_h)
        if len(ev) == 0:
            ax_r.text(0.5, 0.93, "no leg movement in this night", transform=ax_r.transAxes,
                      ha="center", va="top", color="#666666")
        if handles:
            legend_outside(ax_r, handles=handles)
        missing = [name for name, t in (("respiratory events", resp), ("arousals", arousals))
                   if t is None]
        title = "The night at a glance (PLM series shaded)"
        if missing:
            title += f"; not scored: {', '.join(missing)}"
        ax_h.set_title(title, loc="left")
        return fig


def night_caption(result: ScoreResult) -> str:
    """The caption of :func:`plot_night`: the rows and marks it draws for this night."""
    legs = " and ".join(recorded_sides(result))
    resp, arousals = _annotation_tables(result)
    rows = [f"the leg movements of the {legs} leg" + ("s" if "and" in legs else ""),
            "the combined movements by kind"]
    rows += [name for name, table in (("respiratory events", resp), ("arousals", arousals))
             if table is not None]
    hyp = result.hypnogram
    top = ("no hypnogram (sleep stages unknown)" if hyp is None or hyp.n_epochs == 0
           else "the estimated sleep/wake" if not hyp.staged else "the hypnogram")
    text = f"Top: {top}. Below: {', '.join(rows[:-1])} and {rows[-1]}; PLM series shaded."
    excluded = excluded_stretches(result)
    if len(excluded):
        parts = [f"{'both legs' if side == 'both' else side + ' leg'} "
                 f"{float(g['duration'].sum()) / 60.0:.1f} min"
                 for side, g in excluded.groupby("side", sort=True)]
        text += f" Hatched: excluded from scoring ({', '.join(parts)})."
    start = recording_start(result)
    text += (" Time axis: clock time, hours from the recording start on top."
             if start is not None else " Time axis: hours from the recording start.")
    return text


def _imi_rules(result: ScoreResult) -> Any:
    from plms.rules import get_rules

    return get_rules(result.summary.get("rules") or "wasm2016")


def _imi_scope(result: ScoreResult) -> tuple[pd.DataFrame | None, str]:
    """The rows whose IMIs are counted: in sleep (as ``imi_counts``), else all."""
    from plms.hypnogram import SLEEP_STAGES

    ev = result.events
    if ev is None or len(ev) == 0 or result.summary.get("tst_min") is None:
        return ev, "whole record"
    sleep = ev["stage"].astype(str).isin(SLEEP_STAGES).to_numpy().copy()
    if result.hypnogram is not None:
        sleep &= result.hypnogram.in_tib(ev["onset"].to_numpy(dtype=float))
    return ev.loc[sleep], "in sleep"


def plot_imi_histograms(result: ScoreResult, *, width: float = 10.0,
                        dpi: int = DEFAULT_DPI) -> Figure:
    """IMIs <= 90 s in 2-s bins (left) and ln(IMI) in 0.1 bins over 0-4.5 (right).

    The IMIs are those of ``result.events`` (:func:`plms.scoring.indices.imi_histograms`):
    onset to onset within the sequence the series rules use, never across a
    non-CLM; with a hypnogram only those of movements in sleep, as
    ``summary["imi_counts"]``. The ln axis has ticks at 2, 10, 20, 40, 60 and 90 s; the 10-90 s
    range of periodic movements is shaded.
    """
    from plms.scoring.indices import LN_IMI_RANGE, imi_histograms

    rules = _imi_rules(result)
    ev, scope = _imi_scope(result)
    with _style():
        fig = _new_figure(width, 3.0, dpi)
        ax1, ax2 = fig.subplots(1, 2)
        if ev is None or len(ev) == 0 or ev["imi"].notna().sum() == 0:
            for ax in (ax1, ax2):
                _note(ax, "no inter-movement interval")
        else:
            lin, ln = imi_histograms(ev, rules)
            ax1.bar(lin["left"], lin["count"], width=lin["right"] - lin["left"], align="edge",
                    color="#3a78b5", edgecolor="white", lw=0.4)
            ax2.bar(ln["left"], ln["count"], width=ln["right"] - ln["left"], align="edge",
                    color="#3a78b5", edgecolor="white", lw=0.4)
        lo, hi = rules.imi_min_s, rules.imi_max_s
        ax1.axvspan(lo, hi, color=PLM_SHADE, alpha=0.12, lw=0, zorder=0)
        ax1.set_xlim(0, hi)
        ax1.set_xlabel("IMI (s), 2-s bins")
        ax1.set_ylabel("count")
        for ax in (ax1, ax2):
            _integer_counts(ax)
        ax1.set_title(f"IMI <= {hi:g} s ({scope})", loc="left")
        ticks = [2, 10, 20, 40, 60, 90]
        ax2.set_xticks(np.log(ticks), [str(t) for t in ticks])
        ax2.set_xlim(*LN_IMI_RANGE)
        ax2.axvspan(np.log(lo), np.log(hi), color=PLM_SHADE, alpha=0.12, lw=0, zorder=0)
        ax2.set_xlabel("IMI (s), log scale, ln bins of 0.1")
        ax2.set_title("ln(IMI)", loc="left")
        return fig


def _draw_by_stage(ax: Axes, by_stage: dict[str, int], hyp: Hypnogram | None) -> None:
    stages = list(by_stage)
    counts = [by_stage[k] for k in stages]
    names = ["REM" if k == "R" else k for k in stages]
    bars = ax.bar(names, counts, color=[STAGE_COLORS.get(k, "#888888") for k in stages])
    if hyp is not None:
        for bar, k, n in zip(bars, stages, counts, strict=True):
            minutes = hyp.minutes((k,))
            text = f"{n / (minutes / 60):.1f}/h" if minutes > 0 else "no time"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.set_ylabel("PLMS")
    ax.set_ylim(0, max(max(counts, default=0), 1) * 1.2)
    _integer_counts(ax)


def _integer_counts(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _draw_by_hour(ax: Axes, hours: list[int], night_s: float, start: datetime | None) -> None:
    n_hours = max(len(hours), int(np.ceil(night_s / 3600.0)))
    hours = hours + [0] * (n_hours - len(hours))
    ax.bar(np.arange(n_hours) + 0.5, hours, width=0.85, color="#3a78b5")
    ax.set_xlim(0, max(n_hours, 1))
    ax.set_ylim(0, max(max(hours, default=0), 1) * 1.1)
    _integer_counts(ax)
    edges = np.arange(0, n_hours + 1)
    if start is None:
        ax.set_xticks(edges)
        ax.set_xlabel("hours from recording start")
    else:
        ax.set_xticks(edges, [f"{h}\n{start + timedelta(hours=int(h)):%H:%M}" for h in edges])
        ax.set_xlabel("hours from recording start (clock time below)")


def plot_plms_by_stage_and_hour(result: ScoreResult, *, width: float = 10.0,
                                dpi: int = DEFAULT_DPI) -> Figure:
    """PLMS counts per sleep stage (N1, N2, N3, REM) and per hour of the night.

    From ``summary["plms_by_stage"]`` and ``summary["plms_by_hour"]`` (hour 0
    starts at the recording start); without a hypnogram both say so. Per
    stage, the PLMS index within that stage is written on the bar when the
    hypnogram is at hand.
    """
    s = result.summary
    by_stage, by_hour = s.get("plms_by_stage"), s.get("plms_by_hour")
    with _style():
        fig = _new_figure(width, 2.8, dpi)
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 2])
        if by_stage is None:
            _note(ax1, "no hypnogram: PLMS per stage unknown" if by_hour is None
                  else "sleep not staged: PLMS per stage unknown")
        else:
            _draw_by_stage(ax1, by_stage, result.hypnogram)
        if by_hour is None:
            _note(ax2, "no hypnogram: PLMS per hour unknown")
        else:
            _draw_by_hour(ax2, list(by_hour), _night_length_s(result), recording_start(result))
            if not any((by_stage or {}).values()) and not any(by_hour):
                _note(ax2, "no PLM in sleep")
        ax1.set_title("PLMS per stage", loc="left")
        ax2.set_title("PLMS per hour of the night", loc="left")
        return fig
