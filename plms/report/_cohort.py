"""The cohort overview ``DIR/index.html``: every night of a folder, its figures and status."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from plms.errors import PlmsInputError
from plms.io.names import BATCH_SUMMARY_CSV, COHORT_INDEX_HTML, SUMMARY_JSON, night_files
from plms.io.results import read_summary_csv, read_summary_json
from plms.outputs.days import days_totals
from plms.report._html import esc, fmt, json_value, page, png_img
from plms.rules import WASM2016  # the clinical PLMS-index threshold (same in every preset)

#: Columns of the cohort table: (summary key, heading, decimals).
COHORT_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("rules", "rules", 0),
    ("tst_min", "TST (min)", 1),
    ("n_lm", "LM", 0),
    ("n_plms", "PLMS", 0),
    ("plms_index", "PLMS index (/h)", 1),
    ("plms_index_incl_resp", "PLMS index, resp. kept (/h)", 1),
    ("plmw_index", "PLMW index (/h)", 1),
    ("plms_arousal_index", "PLMS-arousal index (/h)", 1),
    ("periodicity_index", "periodicity index", 2),
)
#: Names a batch ``summary.csv`` may give its night, status and error columns.
_NIGHT_NAMES = ("night", "stem", "name")
_STATUS_NAMES = ("status", "state", "result")
_ERROR_NAMES = ("error", "message", "reason", "errors")
_INPUT_NAMES = ("input", "file", "path", "source")


def _pick(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _batch_rows(out: Path) -> dict[str, dict[str, Any]]:
    """Status rows of ``summary.csv`` (written by a batch run), by night name."""
    csv = out / BATCH_SUMMARY_CSV
    if not csv.is_file():
        return {}
    try:
        table = read_summary_csv(csv, complete=False)
    except PlmsInputError:
        return {}
    cols = list(table.columns)
    night, status, error, source = (_pick(cols, n) for n in
                                     (_NIGHT_NAMES, _STATUS_NAMES, _ERROR_NAMES, _INPUT_NAMES))
    rows: dict[str, dict[str, Any]] = {}
    for rec in table.to_dict("records"):
        name = rec.get(night) if night else None
        if not name and source and rec.get(source):
            name = Path(str(rec[source])).stem
        summary_json = str(rec.get("summary_json") or "")
        if summary_json.endswith(SUMMARY_JSON):    # a batch row: the night's place below OUT
            name = Path(summary_json).as_posix()[: -len(SUMMARY_JSON)]
        if not name:
            continue
        rows[str(name)] = {"status": (rec.get(status) or "") if status else "",
                           "error": (rec.get(error) or "") if error else "",
                           "input": (rec.get(source) or "") if source else ""}
    return rows


def _read_summaries(out: Path) -> dict[str, Mapping[str, Any]]:
    """Every ``*.summary.json`` below ``out``, by its place (``sub/STEM``)."""
    found: dict[str, Mapping[str, Any]] = {}
    for path in sorted(out.rglob(f"*{SUMMARY_JSON}")):
        if any(part.startswith(".") for part in path.relative_to(out).parts):
            continue    # staging folders of runs in progress
        stem = path.relative_to(out).as_posix()[: -len(SUMMARY_JSON)]
        try:
            found[stem] = read_summary_json(path)
        except PlmsInputError:
            found[stem] = {"warnings": [f"{path.name} could not be read"]}
    return found


#: ``kind`` of a cohort row: a night, or a multi-day recording (whose nights are rows too).
KIND_NIGHT = "night"
KIND_DAYS = "recording"


def cohort_table(out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per night of a folder: key figures, status, error, report link.

    Nights come from ``*.summary.json`` and from a batch run's ``summary.csv``
    (which also lists the nights that failed). A multi-day recording
    (``STEM.summary.json`` of ``"kind": "days"``) is a row of ``kind``
    ``recording`` (its PLMS index that of all its nights pooled, its report the
    recording's page), and each of its nights (``STEM/nightNN``) a row of its own.
    """
    out = Path(out_dir)
    summaries = _read_summaries(out)
    batch = _batch_rows(out)
    rows = []
    for stem in sorted(set(summaries) | set(batch)):
        s = summaries.get(stem, {})
        b = batch.get(stem, {})
        status = b.get("status") or ("ok" if stem in summaries else "error")
        row: dict[str, Any] = {"night": stem, "status": status, "error": b.get("error", "")}
        days = s.get("kind") == "days"
        figures = days_totals(s) | {"rules": s.get("rules")} if days else s
        for key, _, _ in COHORT_COLUMNS:
            row[key] = figures.get(key)
        row["kind"] = KIND_DAYS if days else KIND_NIGHT
        row["n_warnings"] = len(s.get("warnings") or []) if s else None
        row["file"] = s.get("file") or b.get("input") or ""
        report = night_files(out, stem).report_html
        row["report"] = report.relative_to(out).as_posix() if report.is_file() else ""
        rows.append(row)
    cols = ["night", "status", "error", *(k for k, _, _ in COHORT_COLUMNS), "n_warnings",
            "file", "report", "kind"]
    return pd.DataFrame(rows, columns=cols)


def write_cohort_index(out_dir: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Write (or refresh) ``OUT_DIR/index.html``: the nights of the folder at a glance.

    Lists every night (``*.summary.json`` in the folder and its subfolders,
    and the failed ones a batch ``summary.csv`` names) with its key figures,
    status and a link to its ``STEM.report.html`` when there is one, and
    shows the distribution of the PLMS index across nights. Self-contained
    like the night reports; written whole or not at all.

    Returns
    -------
    Path
        ``OUT_DIR/index.html``.
    """
    from plms.outputs.atomic import atomic_path
    from plms.plots import figure_png, plot_plms_index_distribution

    out = Path(out_dir)
    table = cohort_table(out)
    thresholds = []
    for path in out.glob(f"*{SUMMARY_JSON}"):
        try:
            detail = read_summary_json(path).get("rules_detail") or {}
            thresholds.append(float(detail["plms_index_threshold_per_h"]))
        except (PlmsInputError, KeyError, TypeError, ValueError, AttributeError):
            continue
    threshold = thresholds[0] if thresholds else WASM2016.plms_index_threshold_per_h
    n_ok = int((table["status"].str.lower() == "ok").sum()) if len(table) else 0
    body = [f"<h1>plms: {len(table)} night(s) in {esc(out.name or out)}</h1>",
            f'<p class="muted">{n_ok} scored, {len(table) - n_ok} not; PLMS index at or above '
            f"the clinical threshold ({threshold:g}/h) in bold.</p>"]
    nights = table[table["kind"] != KIND_DAYS] if len(table) else table
    fig = plot_plms_index_distribution(nights, threshold=threshold, dpi=dpi)
    body.append(f"<figure>{png_img(figure_png(fig, dpi=dpi), 'PLMS index distribution')}"
                "<figcaption>Distribution of the PLMS index across the nights "
                "scored.</figcaption></figure>")
    head = "".join(f'<th class="num">{esc(h)}</th>' if k != "rules" else f"<th>{esc(h)}</th>"
                   for k, h, _ in COHORT_COLUMNS)
    lines = ['<table class="cohort"><thead><tr><th>night</th><th>status</th>' + head
             + '<th class="num">warnings</th><th>report</th></tr></thead><tbody>']
    for row in table.to_dict("records"):
        status = str(row["status"] or "")
        name = esc(row["night"]) + (' <span class="muted">(all nights)</span>'
                                    if row["kind"] == KIND_DAYS else "")
        cells = [f"<td>{name}</td>",
                 f'<td class="status-{esc(status.lower())}">{esc(status)}'
                 + (f'<br><span class="muted">{esc(row["error"])}</span>' if row["error"]
                    else "") + "</td>"]
        for key, _, decimals in COHORT_COLUMNS:
            value = row[key]
            if isinstance(value, float) and pd.isna(value):
                value = None
            bold = (key == "plms_index" and value is not None and value >= threshold)
            shown = esc(fmt(value, decimals))
            cells.append(f'<td class="num" data-key="{key}" data-value="{esc(json_value(value))}">'
                         + (f"<strong>{shown}</strong>" if bold else shown) + "</td>")
        n_warn = row["n_warnings"]
        n_warn = None if n_warn is None or pd.isna(n_warn) else int(n_warn)
        cells.append(f'<td class="num">{esc(fmt(n_warn))}</td>')
        cells.append(f'<td><a href="{esc(row["report"])}">report</a></td>' if row["report"]
                     else '<td class="muted">none</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</tbody></table>")
    body.append("\n".join(lines))
    made = datetime.now().astimezone().isoformat(timespec="seconds")
    body.append(f"<footer>Written by plms on {esc(made)}.</footer>")
    target = out / COHORT_INDEX_HTML
    with atomic_path(target) as tmp:
        tmp.write_text(page(f"plms: {out.name}", "\n".join(body)), encoding="utf-8")
    return target
