"""The report of a multi-day recording (issue 16): one page, and each night's own report.

``OUT/STEM.report.html`` holds the multi-night figures, a night-by-night
table linking each scored night's report (``OUT/STEM/nightNN.report.html``,
written by the night report code, :func:`plms.report.write_report`), the
actogram, the PLMS index per night against the clinical threshold, and the
non-wear stretches and naps. Self-contained like the night reports.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from plms.io.names import days_files
from plms.report._html import esc, fmt, json_value, page
from plms.report._night import REPORT_DPI, _figure, threshold_of, write_report
from plms.result import DAYS_KEY_FIGURES

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import DaysResult, ScoreResult

#: Columns of the night-by-night table: (nights column, heading, decimals; -1 = clock time).
NIGHT_TABLE: tuple[tuple[str, str, int], ...] = (
    ("night", "night", 0), ("date", "evening", 0), ("lights_off", "lights off", -1),
    ("lights_on", "lights on", -1), ("sleep_onset", "sleep onset", -1),
    ("sleep_offset", "sleep offset", -1), ("tib_min", "TIB (min)", 1),
    ("tst_min", "TST (min)", 1), ("waso_min", "WASO (min)", 1), ("sol_min", "SOL (min)", 1),
    ("sleep_efficiency", "sleep efficiency", 2), ("n_lm", "LM", 0), ("n_plms", "PLMS", 0),
    ("plms_index", "PLMS index (/h)", 1), ("plmw_index", "PLMW index (/h)", 1),
    ("nonwear_min", "non-wear (min)", 1), ("window_source", "window", 0),
    ("status", "status", 0),
)
def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


def _clock(value: Any) -> str:
    """``HH:MM`` of an ISO date-time (the text itself when it is not one)."""
    if _missing(value):
        return "n/a"
    try:
        return datetime.fromisoformat(str(value)).strftime("%H:%M")
    except ValueError:
        return str(value)


def _threshold(result: DaysResult) -> float:
    for number in sorted(result.results):
        return threshold_of(result.results[number].summary)
    return threshold_of(result.summary)


def night_report_path(result: DaysResult, out_dir: str | os.PathLike[str], number: int) -> Path:
    """``OUT/STEM/nightNN.report.html``."""
    return days_files(out_dir, result.stem).night(number).report_html


def _figures_table(summary: Mapping[str, Any]) -> str:
    rows = ['<table class="figures"><thead><tr><th>figure</th><th class="num">value</th>'
            "<th>unit</th></tr></thead><tbody>"]
    for key, label, unit, decimals in DAYS_KEY_FIGURES:
        value = summary.get(key)
        rows.append(f"<tr><td>{esc(label)}</td><td class=\"num\" data-key=\"{esc(key)}\" "
                    f"data-value=\"{esc(json_value(value))}\">{esc(fmt(value, decimals))}</td>"
                    f"<td>{esc(unit)}</td></tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def nights_table_html(result: DaysResult, reports: Mapping[int, str],
                      threshold: float) -> str:
    """The night-by-night table; a night's PLMS index at or above ``threshold`` in bold;
    ``reports`` maps a night to the link of its report."""
    head = "".join(f'<th class="num">{esc(h)}</th>' if d > 0 or key == "night"
                   else f"<th>{esc(h)}</th>" for key, h, d in NIGHT_TABLE)
    lines = [f'<table class="nights"><thead><tr>{head}<th>report</th><th>warnings</th>'
             "</tr></thead><tbody>"]
    for row in result.nights.to_dict("records"):
        cells = []
        for key, _, decimals in NIGHT_TABLE:
            value = row.get(key)
            if decimals < 0:
                cells.append(f'<td data-key="{key}">{esc(_clock(value))}</td>')
                continue
            if _missing(value):
                value = None
            elif key in ("night", "n_lm", "n_plms"):
                value = int(value)
            shown = esc(fmt(value, decimals))
            if key == "plms_index" and value is not None and value >= threshold:
                shown = f"<strong>{shown}</strong>"
            cls = "num" if decimals > 0 or key in ("night", "n_lm", "n_plms") else ""
            if key == "status" and value not in (None, "ok"):
                cls = "status-failed"
            cells.append(f'<td class="{cls}" data-key="{key}" '
                         f'data-value="{esc(json_value(value))}">{shown}</td>')
        number = int(row["night"])
        link = reports.get(number)
        cells.append(f'<td><a href="{esc(link)}">night {number}</a></td>' if link
                     else '<td class="muted">none</td>')
        warnings = row.get("warnings")
        items = ([warnings] if isinstance(warnings, str) else list(warnings or []))
        cells.append(f"<td>{esc('; '.join(str(w) for w in items))}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _stretches_html(table: pd.DataFrame | None, what: str) -> str:
    if table is None or len(table) == 0:
        return f'<p class="muted">no {esc(what)} found</p>'
    items = []
    for row in table.to_dict("records"):
        minutes = (float(row["end_s"]) - float(row["start_s"])) / 60.0
        side = f", {row['side']}" if row.get("side") else ""
        start, end = row.get("start"), row.get("end")
        when = (f"{start} to {end}" if not _missing(start) and not _missing(end)
                else f"{float(row['start_s']):.0f} s to {float(row['end_s']):.0f} s")
        items.append(f"<li>{esc(when)} ({minutes:.0f} min{esc(side)})</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _header(result: DaysResult) -> str:
    s = result.summary
    duration = s.get("recording_duration_s")
    sources = sorted({str(v) for v in result.nights.get("window_source", []) if not _missing(v)})
    first = next(iter(result.results.values()), None)
    items = [
        ("file", s.get("file") or result.stem),
        ("recording start", s.get("recording_start") or "unknown"),
        ("recording length", f"{duration / 3600:.1f} h ({duration / 86400:.1f} days)"
         if duration else "unknown"),
        ("rules", s.get("rules") or (first.summary.get("rules") if first else None)),
        ("plms version", s.get("plms_version")
         or (first.summary.get("plms_version") if first else None)),
        ("nights", f"{len(result.nights)} found, {len(result.results)} scored"),
        ("night windows", ", ".join(sources) or "none"),
    ]
    out = ['<dl class="header">']
    out += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items]
    out.append("</dl>")
    warnings = s.get("warnings") or []
    out.append("<h2>Warnings</h2>")
    out.append('<ul class="warnings">' + "".join(f"<li>{esc(w)}</li>" for w in warnings)
               + "</ul>" if warnings else '<p class="muted">none</p>')
    return "\n".join(out)


def days_report_html(result: DaysResult, reports: Mapping[int, str] | None = None, *,
                     dpi: int = REPORT_DPI, anchor: str = "noon") -> str:
    """The whole page of a multi-day recording, as text (``reports``: night -> link)."""
    from plms import plots

    threshold = _threshold(result)
    body = [f"<h1>Leg movements night by night: {esc(result.stem)}</h1>",
            '<div class="notes">Each night is scored as a single night is: its window '
            "(lights off to lights on) from the sleep diary or found in the activity, its "
            "sleep time estimated from the ankle unless a hypnogram covers it. Per-hour "
            "figures depend on that estimate.</div>",
            _header(result), "<h2>Over all nights</h2>", _figures_table(result.summary),
            "<h2>Night by night</h2>", nights_table_html(result, reports or {}, threshold),
            "<h2>Actogram</h2>",
            _figure(lambda: plots.plot_actogram(result, anchor=anchor, dpi=dpi), "actogram",
                    plots.actogram_caption(result, anchor), dpi),
            "<h2>PLMS index per night</h2>",
            _figure(lambda: plots.plot_index_by_night(result, threshold=threshold, dpi=dpi),
                    "PLMS index per night",
                    f"Each scored night's PLMS index; the dashed line is the clinical "
                    f"threshold ({threshold:g}/h), the dotted one the index of all nights "
                    "pooled.", dpi),
            "<h2>Non-wear</h2>", _stretches_html(result.nonwear, "non-wear stretch"),
            "<h2>Naps (not nights)</h2>", _stretches_html(result.naps, "nap")]
    made = datetime.now().astimezone().isoformat(timespec="seconds")
    body.append(f"<footer>Written by plms {esc(result.summary.get('plms_version') or '')} "
                f"on {esc(made)} from the result of "
                f"{esc(result.summary.get('file') or result.stem)}.</footer>")
    return page(f"plms report: {result.stem}", "\n".join(body))


def night_as_recorded(result: DaysResult, number: int) -> ScoreResult:
    """Night ``number`` with its times from its own window start, as if recorded alone.

    The scored nights of a :class:`~plms.result.DaysResult` have their onsets
    (events, per-leg movements) in seconds from the recording start; the
    night report draws the night from its start, so these are moved back by
    the window start (lights off), and so is a hypnogram that was moved with
    them; the night's recording start becomes the window's clock time. Its
    name is ``STEM night N``.
    """
    night = replace(result.results[number], stem=f"{result.stem} night {number}")
    match = result.nights[result.nights["night"] == number]
    start: Any = match.iloc[0].get("start_s") if len(match) else None
    if _missing(start) or not float(start):
        return night
    shift = float(start)
    events, per_leg = night.events.copy(), night.per_leg.copy()
    for table in (events, per_leg):
        if "onset" in table:
            table["onset"] = table["onset"] - shift
    hyp = night.hypnogram
    if hyp is not None and hyp.start_s >= shift:
        hyp = replace(hyp, start_s=hyp.start_s - shift,
                      lights_off_s=None if hyp.lights_off_s is None else hyp.lights_off_s - shift,
                      lights_on_s=None if hyp.lights_on_s is None else hyp.lights_on_s - shift)
    summary = dict(night.summary)
    begun = result.summary.get("recording_start")
    if begun:
        with contextlib.suppress(ValueError):
            summary["recording_start"] = (datetime.fromisoformat(str(begun))
                                          + timedelta(seconds=shift)).isoformat()
    return replace(night, events=events, per_leg=per_leg, hypnogram=hyp,
                   summary=summary)  # type: ignore[arg-type]


def write_days_report(result: DaysResult, out_dir: str | os.PathLike[str], *,
                      dpi: int = REPORT_DPI, anchor: str = "noon") -> list[Path]:
    """Write each scored night's report, then ``OUT/STEM.report.html``.

    Returns
    -------
    list of Path
        The recording's page first, then the nights' reports.
    """
    from plms.outputs.atomic import atomic_path
    from plms.plots import require_matplotlib

    require_matplotlib()
    files = days_files(out_dir, result.stem)
    written: list[Path] = []
    links: dict[int, str] = {}
    for number in sorted(result.results):
        path = write_report(night_as_recorded(result, number),
                            night_report_path(result, out_dir, number), dpi=dpi)
        written.append(path)
        links[number] = path.relative_to(files.out_dir).as_posix()
    text = days_report_html(result, links, dpi=dpi, anchor=anchor)
    with atomic_path(files.report_html) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return [files.report_html, *written]
