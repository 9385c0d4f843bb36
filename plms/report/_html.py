"""What the night report and the cohort index share: page frame, style, images."""

from __future__ import annotations

import base64
import html
import json
import math
from typing import Any

#: The one style sheet of every page: plain, readable, print-friendly (A4, no colours needed).
CSS = """
:root { --ink: #222; --muted: #666; --line: #d0d4da; --accent: #3a78b5; --alert: #b03a2e; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 1.5em auto; max-width: 1150px; padding: 0 1em; line-height: 1.35; font-size: 14px; }
h1 { font-size: 1.5em; margin: 0 0 .3em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; border-bottom: 1px solid var(--line);
     padding-bottom: .15em; }
dl.header { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: 0; }
dl.header dt { color: var(--muted); }
dl.header dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; margin: .3em 0; }
th, td { border-bottom: 1px solid var(--line); padding: .22em .7em; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.group th { background: #f2f4f7; font-weight: 600; }
tr.threshold td { font-weight: 700; }
.badge { display: inline-block; padding: 0 .45em; border-radius: .3em; font-size: .85em;
         border: 1px solid var(--line); }
.badge.above { border-color: var(--alert); color: var(--alert); }
.badge.below { color: var(--muted); }
.badge.estimated { border-color: #b7791f; color: #b7791f; }
.badge.recording { color: var(--muted); }
.status-failed, .status-error { color: var(--alert); font-weight: 600; }
ul.warnings li { color: var(--alert); }
.notes { border-left: 4px solid #e8a33d; background: #fdf6e9; padding: .4em .8em; }
.muted { color: var(--muted); }
figure { margin: .6em 0 1.2em; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: var(--muted); font-size: .9em; }
footer { margin-top: 2em; color: var(--muted); font-size: .85em; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, figure { page-break-inside: avoid; break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
@page { size: A4; margin: 12mm; }
"""


def esc(value: Any) -> str:
    """HTML-escaped text of any value."""
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, body: str) -> str:
    """A whole HTML document: inline style, no script, no external resource."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )


def png_img(png: bytes, alt: str) -> str:
    """An ``<img>`` carrying the PNG itself (base64 data URI)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}">'


def json_value(value: Any) -> str:
    """The value as JSON text, for ``data-value`` attributes (NaN as null)."""
    if isinstance(value, float) and math.isnan(value):
        value = None
    return json.dumps(value)


def fmt(value: Any, decimals: int = 1) -> str:
    """A figure as shown: ``n/a`` for None/NaN, floats rounded, ints as they are."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)
