"""Figures of a scored night, for the HTML report and for notebooks.

Every public function returns a :class:`matplotlib.figure.Figure` built
directly (no :mod:`matplotlib.pyplot` global state, no GUI backend), so they
are safe in scripts, threads and notebooks alike (a notebook shows a returned
Figure as it is). matplotlib is imported on first use only: ``plms score``
without ``--report`` never pays for it. Install it with ``pip install
plms[report]``.

- :func:`plot_night`: hypnogram, each leg's LMs as a raster over the night,
  PLM series shaded, respiratory events and arousals marked;
- :func:`plot_imi_histograms`: IMIs <= 90 s in 2-s bins and ln(IMI) in 0.1 bins;
- :func:`plot_plms_by_stage_and_hour`: PLMS per sleep stage and per hour;
- :func:`plot_emg_excerpt`: the EMG around a PLM series with the detected
  onsets and offsets;
- :func:`plot_plms_index_distribution`: the PLMS index across nights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from plms.result import ScoreResult

__all__ = [
    "DEFAULT_EXCERPT_S", "STAGE_COLORS", "emg_excerpt", "excerpt_window", "figure_png",
    "plot_emg_excerpt", "plot_imi_histograms", "plot_night", "plot_plms_by_stage_and_hour",
    "plot_plms_index_distribution", "require_matplotlib", "series_table",
]

#: Length of the EMG excerpt kept by :func:`plms.score_edf` and drawn, seconds.
DEFAULT_EXCERPT_S = 90.0
#: Seconds shown before the first movement of the excerpt.
EXCERPT_LEAD_S = 5.0
#: Default resolution of the figures (dots per inch).
DEFAULT_DPI = 100
#: Stage colours (hypnogram) and drawing order top to bottom.
STAGE_COLORS: dict[str, str] = {"W": "#e8a33d", "R": "#c0392b", "N1": "#8fb8de",
                                "N2": "#3a78b5", "N3": "#1c3f73", "MT": "#999999",
                                "U": "#cccccc"}
_STAGE_Y = {"W": 5, "R": 4, "N1": 3, "N2": 2, "N3": 1, "MT": 5, "U": 0}
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


# -- helpers without matplotlib ------------------------------------------------
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


def emg_excerpt(signals: dict[str, tuple[np.ndarray, float]], events: pd.DataFrame, *,
                window_s: float | None = None, duration_s: float | None = None,
                labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A short copy of the raw leg EMG around the night's most telling PLM series.

    ``signals`` maps ``left``/``right`` to ``(samples in µV, rate in Hz)``.
    The result is what :func:`plot_emg_excerpt` reads from
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


# -- matplotlib ------------------------------------------------------------------
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


def _draw_hypnogram(ax: Axes, result: ScoreResult) -> None:
    hyp = result.hypnogram
    ax.set_yticks([1, 2, 3, 4, 5], ["N3", "N2", "N1", "REM", "W"])
    ax.set_ylim(0.5, 5.5)
    ax.set_ylabel("stage")
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


def plot_night(result: ScoreResult, *, width: float = 11.0, dpi: int = DEFAULT_DPI) -> Figure:
    """The night at a glance.

    Top: the hypnogram (REM in red, out-of-bed epochs greyed). Below, one
    row per leg with its leg movements as ticks, a row of the combined
    movements coloured by kind (PLM, CLM, other LM, respiratory-related), the
    PLM series shaded across all rows, and rows for respiratory events and
    arousals when they were scored. The x axis is hours from the recording
    start.
    """
    with _style():
        fig = _new_figure(width, 4.6, dpi)
        ax_h, ax_r = fig.subplots(2, 1, sharex=True, height_ratios=[1.0, 1.5])
        _draw_hypnogram(ax_h, result)
        length_h = _hours(_night_length_s(result))
        ax_r.set_xlim(0, float(length_h))
        resp, arousals = _annotation_tables(result)
        rows: list[tuple[str, pd.DataFrame, str]] = [
            ("left leg", _leg_intervals(result, "left"), LEG_COLORS["left"]),
            ("right leg", _leg_intervals(result, "right"), LEG_COLORS["right"]),
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
            bars = [(h, max(d, min_w)) for h, d in zip(_hours(table["onset"]),
                                                       _hours(table["duration"]))]
            ax_r.broken_barh(bars, (ypos[label] - 0.35, 0.7), color=color, lw=0)
        if len(ev):
            kinds = [
                ("PLM", ev["plm"].astype(bool), PLM_SHADE),
                ("resp.-related", ev["resp"].astype(bool) & ~ev["plm"].astype(bool),
                 RESP_COLOR),
                ("CLM", ev["clm"].astype(bool) & ~ev["plm"].astype(bool)
                 & ~ev["resp"].astype(bool), "#555555"),
                ("other LM", ~ev["clm"].astype(bool) & ~ev["resp"].astype(bool), "#bbbbbb"),
            ]
            for name, mask, color in kinds:
                sel = ev.loc[mask.to_numpy()]
                bars = [(h, max(d, min_w)) for h, d in zip(_hours(sel["onset"]),
                                                           _hours(sel["duration"]))]
                ax_r.broken_barh(bars, (ypos["combined"] - 0.35, 0.7), color=color, lw=0,
                                 label=f"{name} ({len(sel)})")
        for s in series_table(ev).itertuples(index=False):
            ax_r.axvspan(*_hours([s.start, s.end]), color=PLM_SHADE, alpha=0.25, lw=0,
                         zorder=0)
            ax_h.axvspan(*_hours([s.start, s.end]), color=PLM_SHADE, alpha=0.25, lw=0,
                         zorder=0)
        for label, table, color in (("respiratory", resp, RESP_COLOR),
                                    ("arousals", arousals, AROUSAL_COLOR)):
            if table is None:
                continue
            bars = [(h, max(d, min_w)) for h, d in zip(_hours(table["onset"]),
                                                       _hours(table["duration"]))]
            ax_r.broken_barh(bars, (ypos[label] - 0.3, 0.6), color=color, lw=0)
        ax_r.set_yticks([ypos[lab] for lab in labels], labels)
        ax_r.set_ylim(0.4, len(labels) + 0.6)
        ax_r.set_xlabel("hours from recording start")
        if len(ev) == 0:
            ax_r.text(0.5, 0.93, "no leg movement in this night", transform=ax_r.transAxes,
                      ha="center", va="top", color="#666666")
        else:
            ax_r.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="combined",
                        title_fontsize=8)
        missing = [name for name, t in (("respiratory events", resp), ("arousals", arousals))
                   if t is None]
        title = "The night at a glance (PLM series shaded)"
        if missing:
            title += f"; not scored: {', '.join(missing)}"
        ax_h.set_title(title, loc="left")
        return fig


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

    The IMIs are those of ``result.events`` (:func:`plms.indices.imi_histograms`):
    onset to onset within the sequence the series rules use, never across a
    non-CLM; with a hypnogram only those of movements in sleep, as
    ``summary["imi_counts"]``. The ln axis has ticks at 2, 10, 20, 40, 60 and 90 s; the 10-90 s
    range of periodic movements is shaded.
    """
    from plms.indices import LN_IMI_RANGE, imi_histograms

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
        ax1.set_title(f"IMI <= {hi:g} s ({scope})", loc="left")
        ticks = [2, 10, 20, 40, 60, 90]
        ax2.set_xticks(np.log(ticks), [str(t) for t in ticks])
        ax2.set_xlim(*LN_IMI_RANGE)
        ax2.axvspan(np.log(lo), np.log(hi), color=PLM_SHADE, alpha=0.12, lw=0, zorder=0)
        ax2.set_xlabel("IMI (s), log scale, ln bins of 0.1")
        ax2.set_title("ln(IMI)", loc="left")
        return fig


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
            _note(ax1, "no hypnogram: PLMS per stage unknown")
            _note(ax2, "no hypnogram: PLMS per hour unknown")
        else:
            stages = list(by_stage)
            counts = [by_stage[k] for k in stages]
            names = ["REM" if k == "R" else k for k in stages]
            bars = ax1.bar(names, counts, color=[STAGE_COLORS.get(k, "#888888") for k in stages])
            hyp = result.hypnogram
            if hyp is not None:
                for bar, k, n in zip(bars, stages, counts):
                    minutes = hyp.minutes((k,))
                    text = f"{n / (minutes / 60):.1f}/h" if minutes > 0 else "no time"
                    ax1.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                                 ha="center", va="bottom", fontsize=7)
            ax1.set_ylabel("PLMS")
            ax1.set_ylim(0, max(max(counts, default=0), 1) * 1.2)
            hours = list(by_hour or [])
            n_hours = max(len(hours), int(np.ceil(_night_length_s(result) / 3600.0)))
            hours += [0] * (n_hours - len(hours))
            ax2.bar(np.arange(n_hours) + 0.5, hours, width=0.85, color="#3a78b5")
            ax2.set_xlim(0, max(n_hours, 1))
            ax2.set_ylim(0, max(max(hours, default=0), 1) * 1.1)
            ax2.set_xticks(np.arange(0, n_hours + 1))
            ax2.set_xlabel("hour of the night")
            if not any(counts) and not any(hours):
                _note(ax2, "no PLM in sleep")
        ax1.set_title("PLMS per stage", loc="left")
        ax2.set_title("PLMS per hour of the night", loc="left")
        return fig


def _excerpt_source(result: ScoreResult) -> dict[str, Any] | None:
    exc = result.details.get("emg_excerpt")
    return exc if isinstance(exc, dict) and exc.get("legs") else None


def plot_emg_excerpt(result: ScoreResult, *, series: int | None = None,
                     window_s: float | None = None, side: str | None = None,
                     dpi: int = DEFAULT_DPI, width: float = 11.0) -> Figure:
    """A zoomed stretch of the leg EMG around a PLM series, onsets and offsets drawn.

    Per leg: the raw EMG (µV, from ``result.details["emg_excerpt"]``, kept by
    :func:`plms.score_edf`), and on a second axis the detector's envelope, its
    resting baseline and the onset threshold (baseline + 8 µV) when
    ``result.details["detections"]`` holds them. Each detected leg movement is
    shaded with a green line at its onset and a red one at its offset; PLM
    members are numbered by their place in the series.

    Parameters
    ----------
    series : int, optional
        The PLM series to show; default: the longest (the first of equals).
    window_s : float, optional
        Length of the excerpt, default 90 s (limited to what was kept).
    side : {"left", "right"}, optional
        Show one leg only.
    """
    ev = result.events if result.events is not None else pd.DataFrame()
    kept = _excerpt_source(result)
    detections = result.details.get("detections") or {}
    duration = result.summary.get("recording_duration_s")
    start, end, chosen = excerpt_window(ev, series=series, window_s=window_s,
                                        duration_s=duration)
    if kept is not None and series is None and window_s is None:
        start, end, chosen = kept["start_s"], kept["end_s"], kept.get("series")
    sides = [side] if side else ["left", "right"]
    if side is not None and side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    have_signal = bool(detections) or (kept is not None and kept["start_s"] < end
                                       and kept["end_s"] > start)
    with _style():
        if not have_signal:
            fig = _new_figure(width, 1.6, dpi)
            ax = fig.subplots()
            ax.set_axis_off()
            _note(ax, "no EMG signal at hand (leg movements read from annotations, or the "
                      "recording is no longer where it was scored)")
            return fig
        panels: list[tuple[str, str]] = []
        overlap = kept is not None and kept["start_s"] < end and kept["end_s"] > start
        for leg in sides:
            if overlap and leg in kept["legs"]:
                panels.append((leg, "raw"))
            if detections.get(leg) is not None:
                panels.append((leg, "envelope"))
        fig = _new_figure(width, 1.45 * len(panels) + 0.7, dpi)
        axes = np.atleast_1d(fig.subplots(len(panels), 1, sharex=True))
        titled: set[str] = set()
        for ax, (leg, kind) in zip(axes, panels):
            if kind == "raw":
                part = kept["legs"][leg]
                fs, data = part["fs"], _bandpass(np.asarray(part["data"], dtype=float),
                                                 part["fs"])
                t = kept["start_s"] + np.arange(data.size) / fs
                sel = (t >= start) & (t < end)
                if sel.any():
                    ax.plot(t[sel], data[sel], color="#444444", lw=0.4)
                    lim = float(np.percentile(np.abs(data[sel]), 99.0)) * 1.5
                    if lim > 0:
                        ax.set_ylim(-lim, lim)
                ax.set_ylabel(f"{part.get('label', leg)}\nEMG 10-100 Hz (µV)")
            else:
                det = detections[leg]
                rate = float(det.rate_hz)
                i0, i1 = int(start * rate), int(end * rate)
                env = np.asarray(det.envelope[i0:i1], dtype=float)
                base = np.asarray(det.baseline[i0:i1], dtype=float)
                t = (i0 + np.arange(env.size)) / rate
                ax.plot(t, env, color=LEG_COLORS[leg], lw=0.8, label="envelope")
                ax.plot(t, base, color="#888888", lw=0.8, ls="--", label="resting baseline")
                ax.plot(t, base + 8.0, color=RESP_COLOR, lw=0.7, ls=":",
                        label="onset threshold (+8 µV)")
                ax.set_ylabel(f"{leg} leg\nenvelope (µV)")
                if env.size:
                    ax.set_ylim(0, max(float(np.nanpercentile(env, 99.5)) * 1.2, 12.0))
                ax.legend(loc="upper right", ncols=3)
            lms = _leg_intervals(result, leg)
            inside = lms.loc[(lms["onset"] + lms["duration"] >= start) & (lms["onset"] <= end)]
            for on, du in zip(inside["onset"], inside["duration"]):
                ax.axvspan(on, on + du, color=LEG_COLORS[leg], alpha=0.12, lw=0)
                ax.axvline(on, color="#1a9850", lw=1.0)
                ax.axvline(on + du, color="#d73027", lw=1.0)
            if leg not in titled:
                titled.add(leg)
                ax.set_title(f"{leg} leg: {len(inside)} leg movement(s) in view "
                             "(green line = onset, red line = offset, shaded = PLM)",
                             loc="left", fontsize=9)
                if len(ev):
                    members = ev.loc[ev["plm"].astype(bool)
                                     & ev["side"].isin([leg, "bilateral"])
                                     & (ev["onset"] >= start) & (ev["onset"] <= end)]
                    for on, du in zip(members["onset"], members["duration"]):
                        ax.axvspan(on, on + du, ymin=0.92, ymax=1.0, color=PLM_SHADE,
                                   lw=0)
        axes[-1].set_xlim(start, end)
        axes[-1].set_xlabel("seconds from recording start")
        what = f"PLM series {chosen}" if chosen is not None else "no PLM series in this night"
        fig.suptitle(f"EMG excerpt {start:.0f}-{end:.0f} s ({what})", x=0.01, ha="left",
                     fontsize=10)
        return fig


def _bandpass(data: np.ndarray, fs: float) -> np.ndarray:
    """The 10-100 Hz band the standards ask for (below Nyquist), for display only."""
    from scipy.signal import butter, sosfiltfilt

    if data.size < 64:
        return data - float(np.mean(data)) if data.size else data
    high = min(100.0, 0.45 * fs)
    sos = butter(4, [10.0, high], btype="bandpass", fs=fs, output="sos")
    return sosfiltfilt(sos, data)


def plot_plms_index_distribution(summaries: pd.DataFrame, *, threshold: float = 15.0,
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


def figure_png(fig: Figure, *, dpi: int | None = None) -> bytes:
    """The figure as PNG bytes (Agg renderer, no GUI)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor="white")
    return buf.getvalue()
