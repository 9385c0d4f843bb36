"""The per-night HTML report: one self-contained file (images inside, no script)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from plms.annotations import COMBINED, LEG_SIDES
from plms.report._html import esc, fmt, json_value, page, png_img
from plms.rules import WASM2016  # the clinical PLMS-index threshold (same in every preset)

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import ScoreResult

#: Default resolution of the report's images.
REPORT_DPI = 100
#: Clinical threshold when the rules do not name one, per hour.
DEFAULT_THRESHOLD_PER_H = WASM2016.plms_index_threshold_per_h

#: Group of the figures per hour of recording (no sleep scoring needed, wake included).
RECORDING_GROUP = "Per hour of recording (no sleep scoring needed)"
#: The table of figures: (group, summary key or ``derived.*``, label, unit, decimals).
#: ``imi_counts.lt10`` reads a nested key. ``derived.*`` rows are counted from the
#: events table (``data-source="events"``); every other row is the summary's value.
FIGURE_ROWS: tuple[tuple[str, str, str, str, int], ...] = (
    ("Sleep", "tib_min", "Time in bed (TIB)", "min", 1),
    ("Sleep", "tst_min", "Total sleep time (TST)", "min", 1),
    ("Sleep", "wake_min", "Wake in bed", "min", 1),
    ("Counts", "n_lm", "Leg movements (LM), whole record", "", 0),
    ("Counts", "derived.lm_sleep", "LM in sleep", "", 0),
    ("Counts", "derived.lm_wake", "LM in wake", "", 0),
    ("Counts", "n_clm", "Candidate LM (CLM), whole record", "", 0),
    ("Counts", "derived.clm_sleep", "CLM in sleep", "", 0),
    ("Counts", "derived.clm_wake", "CLM in wake", "", 0),
    ("Counts", "n_clm_resp", "CLM respiratory-related", "", 0),
    ("Counts", "n_plm", "PLM, whole record", "", 0),
    ("Counts", "n_plms", "PLM in sleep (PLMS)", "", 0),
    ("Counts", "n_plmw", "PLM in wake (PLMW)", "", 0),
    ("Indices", "plms_index", "PLMS index", "/h", 1),
    ("Indices", "plms_index_incl_resp", "PLMS index, resp.-related CLMs kept", "/h", 1),
    ("Indices", "plmw_index", "PLMW index", "/h", 1),
    ("Indices", "lms_index", "LMS index", "/h", 1),
    ("Indices", "clms_index", "CLMS index", "/h", 1),
    ("Indices", "plms_arousal_index", "PLMS-arousal index", "/h", 1),
    ("Indices", "periodicity_index", "Periodicity index", "", 3),
    ("Indices", "plm_clm_ratio", "PLM / CLM (in sleep)", "", 3),
    (RECORDING_GROUP, "recording_min", "Recording length", "min", 1),
    (RECORDING_GROUP, "lm_index_recording", "LM per hour of recording", "/h", 1),
    (RECORDING_GROUP, "plm_index_recording", "PLM per hour of recording", "/h", 1),
    ("IMI", "imi_counts.lt10", "IMI < 10 s", "", 0),
    ("IMI", "imi_counts.10to90", "IMI 10-90 s", "", 0),
    ("IMI", "imi_counts.gt90", "IMI > 90 s", "", 0),
)


#: Figures that depend on sleep time; marked "estimated" when sleep was not scored.
SLEEP_DEPENDENT = frozenset({
    "tib_min", "tst_min", "wake_min", "derived.lm_sleep", "derived.lm_wake",
    "derived.clm_sleep", "derived.clm_wake", "n_plms", "n_plmw", "plms_index",
    "plms_index_incl_resp", "plmw_index", "lms_index", "clms_index", "plms_arousal_index",
    "plm_clm_ratio",
})
#: How the header names where the leg movements come from, per ``summary["modality"]``.
MODALITY_TEXT = {"emg": "detected in the EMG", "accel": "detected in the ankle accelerometer(s)",
                 "scored": "as scored in the annotation file"}


def sleep_is_estimated(summary: Mapping[str, Any]) -> bool:
    """Whether sleep time (and all that depends on it) is an estimate, not a scored hypnogram."""
    return summary.get("sleep_source") not in (None, "hypnogram")


def summary_value(summary: Mapping[str, Any], key: str) -> Any:
    """``summary[key]``, with ``a.b`` reading ``summary[a][b]`` (None when absent)."""
    value: Any = summary
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def derived_counts(result: ScoreResult) -> dict[str, int | None]:
    """LM and CLM counts in sleep and in wake (in bed), from the events and hypnogram.

    Without a hypnogram (or stages) these are None; when the hypnogram could
    not be re-read for a rebuilt report, the ``stage`` column decides alone.
    """
    from plms.hypnogram import SLEEP_STAGES

    ev = result.events
    keys = ("lm_sleep", "lm_wake", "clm_sleep", "clm_wake")
    if result.summary.get("tst_min") is None:
        return dict.fromkeys(keys)
    if ev is None or len(ev) == 0:
        return dict.fromkeys(keys, 0)
    stage = ev["stage"].astype(str).to_numpy()
    in_bed = np.ones(len(ev), dtype=bool)
    if result.hypnogram is not None:
        in_bed = result.hypnogram.in_tib(ev["onset"].to_numpy(dtype=float))
    sleep = np.isin(stage, SLEEP_STAGES) & in_bed
    wake = (stage == "W") & in_bed
    lm = ev["lm"].to_numpy(dtype=bool) if "lm" in ev else np.ones(len(ev), dtype=bool)
    clm = ev["clm"].to_numpy(dtype=bool)
    return {"lm_sleep": int((lm & sleep).sum()), "lm_wake": int((lm & wake).sum()),
            "clm_sleep": int((clm & sleep).sum()), "clm_wake": int((clm & wake).sum())}


def threshold_of(summary: Mapping[str, Any]) -> float:
    detail = summary.get("rules_detail")
    if isinstance(detail, dict) and detail.get("plms_index_threshold_per_h") is not None:
        return float(detail["plms_index_threshold_per_h"])
    return DEFAULT_THRESHOLD_PER_H


def figures_table(result: ScoreResult) -> str:
    """The table of figures; each value cell carries its key and exact value."""
    s = result.summary
    derived = derived_counts(result)
    threshold = threshold_of(s)
    estimated = sleep_is_estimated(s)
    rows = ['<table class="figures">',
            '<thead><tr><th>figure</th><th class="num">value</th><th>unit</th>'
            '<th></th></tr></thead><tbody>']
    group = None
    for grp, key, label, unit, decimals in FIGURE_ROWS:
        if grp != group:
            group = grp
            rows.append(f'<tr class="group"><th colspan="4">{esc(grp)}</th></tr>')
        if key.startswith("derived."):
            value, source = derived[key.split(".", 1)[1]], "events"
        else:
            value, source = summary_value(s, key), "summary"
        extra, cls = "", ""
        if estimated and key in SLEEP_DEPENDENT and value is not None:
            extra = '<span class="badge estimated">estimated sleep</span> '
        if grp == RECORDING_GROUP and key != "recording_min" and value is not None:
            extra = '<span class="badge recording">whole recording, wake included</span> '
        if key == "plms_index":
            cls = ' class="threshold"'
            if value is None:
                extra = '<span class="badge below">not computed</span>'
            elif value >= threshold:
                extra += (f'<span class="badge above">at or above the clinical threshold '
                          f'({threshold:g}/h): significant PLMS</span>')
            else:
                extra += (f'<span class="badge below">below the clinical threshold '
                          f'({threshold:g}/h)</span>')
        rows.append(
            f'<tr{cls}><td>{esc(label)}</td>'
            f'<td class="num" data-key="{esc(key)}" data-source="{source}" '
            f'data-value="{esc(json_value(value))}">{esc(fmt(value, decimals))}</td>'
            f'<td>{esc(unit)}</td><td>{extra}</td></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _channels_text(s: Mapping[str, Any]) -> str:
    ch = s.get("channels")
    if not isinstance(ch, dict):
        return ("none: leg movements as scored in the annotation file"
                if s.get("modality") == "scored" else "none: leg movements given as a table")
    fs = s.get("fs_hz") or {}
    present = [side for side in LEG_SIDES if ch.get(side)]
    legs = ", ".join(
        f"{side} '{ch[side]}'" + (f" at {fs[side]:g} Hz" if fs.get(side) else "")
        for side in present) or "no leg channel named"
    if len(present) == 1 and s.get("modality") == "accel":
        legs += " (one ankle only)"
    elif present == [COMBINED]:
        legs += " (one channel of both legs: their movements cannot be told apart)"
    elif len(present) == 1:
        legs += " (one leg only: the other leg's movements are missed)"
    ecg = f"ECG '{ch['ecg']}'" if ch.get("ecg") else "no ECG"
    reason = f" (chosen because: {ch['reason']})" if ch.get("reason") else ""
    return f"{legs}; {ecg}{reason}"


def _sleep_text(s: Mapping[str, Any]) -> str:
    if sleep_is_estimated(s):
        return (f"{s['sleep_source']} (no PSG hypnogram): total sleep time and every "
                "per-hour index below are estimates")
    if s.get("tst_min") is None:
        return "unknown (no hypnogram)"
    return "from the scored hypnogram"


def header_html(result: ScoreResult) -> str:
    s = result.summary
    duration_s = s.get("recording_duration_s")
    items = [
        ("file", s.get("file") or s.get("source") or result.stem),
        ("recording start", s.get("recording_start") or "unknown"),
        ("recording length",
         f"{duration_s / 3600:.2f} h" if duration_s else "unknown"),
        ("rules", s.get("rules")),
        ("plms version", s.get("plms_version")),
        ("leg movements", MODALITY_TEXT.get(str(s.get("modality")))
         or s.get("modality") or "given as a table (plms.score_lms)"),
        ("sleep time", _sleep_text(s)),
        ("channels", _channels_text(s)),
        ("annotations", s.get("annotations_source") or "none"),
        ("respiratory events", "scored" if s.get("respiratory_scored") else "not scored"),
        ("arousals", "scored" if s.get("arousals_scored") else "not scored"),
    ]
    out = ['<dl class="header">']
    out += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items]
    out.append("</dl>")
    warnings = s.get("warnings") or []
    out.append("<h2>Warnings</h2>")
    if warnings:
        out.append('<ul class="warnings">' + "".join(f"<li>{esc(w)}</li>" for w in warnings)
                   + "</ul>")
    else:
        out.append('<p class="muted">none</p>')
    return "\n".join(out)


def _figure(make: Callable[[], Any], alt: str, caption: str, dpi: int) -> str:
    from plms.plots import figure_png

    try:
        png = figure_png(make(), dpi=dpi)
    except Exception as exc:  # noqa: BLE001 - one failed figure must not lose the report
        return (f'<p class="notes">figure "{esc(alt)}" could not be drawn '
                f'({esc(type(exc).__name__)}: {esc(exc)})</p>')
    return f"<figure>{png_img(png, alt)}<figcaption>{esc(caption)}</figcaption></figure>"


def _excerpt_html(result: ScoreResult, dpi: int) -> list[str]:
    """The signal excerpt section: EMG, or the ankle acceleration, around a PLM series.

    The caption is built from what the figure draws (legs, window, series,
    thresholds), by the same function that chooses it.
    """
    from plms import plots

    s = result.summary
    if s.get("modality") == "accel":
        return ["<h2>Accelerometer excerpt</h2>", _figure(
            lambda: plots.plot_accel_excerpt(result, dpi=dpi), "accelerometer excerpt",
            plots.accel_excerpt_caption(result), dpi)]
    if not plots.emg_excerpt_view(result)["panels"]:
        why = ("the leg movements were read from an annotation file"
               if s.get("modality") == "scored" else
               "the result holds no signal (scored from a table, or the recording could not "
               "be re-read)")
        return ["<h2>EMG excerpt</h2>",
                f'<p class="notes">No EMG signal at hand: {esc(why)}.</p>']
    return ["<h2>EMG excerpt</h2>", _figure(
        lambda: plots.plot_emg_excerpt(result, dpi=dpi), "EMG excerpt",
        plots.emg_excerpt_caption(result), dpi)]


def report_html(result: ScoreResult, *, dpi: int = REPORT_DPI) -> str:
    """The whole report page of a night, as text."""
    from plms import plots

    s = result.summary
    notes = list(result.details.get("report_notes") or [])
    body = [f"<h1>Leg movements in sleep: {esc(result.stem)}</h1>"]
    if sleep_is_estimated(s):
        body.append('<div class="notes"><strong>Sleep time is estimated</strong> '
                    f"({esc(s['sleep_source'])}), not scored from a PSG hypnogram: the total "
                    "sleep time and every figure marked <em>estimated sleep</em> depend on "
                    "this estimate.</div>")
    body.append(header_html(result))
    if notes:
        body.append("<h2>What this report could not rebuild</h2>")
        body.append('<div class="notes"><ul>' + "".join(f"<li>{esc(n)}</li>" for n in notes)
                    + "</ul></div>")
    body.append("<h2>Figures</h2>")
    body.append(figures_table(result))
    if result.events is None or len(result.events) == 0:
        body.append('<p class="notes">No leg movement was found in this night: every count '
                    "is 0 and the IMI figures cannot be computed.</p>")
    body.append("<h2>The night at a glance</h2>")
    body.append(_figure(lambda: plots.plot_night(result, dpi=dpi), "night overview",
                        plots.night_caption(result), dpi))
    body.append("<h2>Inter-movement intervals</h2>")
    body.append(_figure(lambda: plots.plot_imi_histograms(result, dpi=dpi), "IMI histograms",
                        "IMIs (onset to onset, never across a non-CLM) up to 90 s in 2-s "
                        "bins, and ln(IMI) in 0.1 bins over 0-4.5; the 10-90 s range shaded.",
                        dpi))
    body.append("<h2>PLMS per sleep stage and per hour</h2>")
    body.append(_figure(lambda: plots.plot_plms_by_stage_and_hour(result, dpi=dpi),
                        "PLMS per stage and hour",
                        "PLM in sleep per stage (with the index within the stage) and per "
                        "hour from the recording start.", dpi))
    body += _excerpt_html(result, dpi)
    made = datetime.now().astimezone().isoformat(timespec="seconds")
    body.append(f"<footer>Written by plms {esc(s.get('plms_version'))} on {esc(made)} "
                f"from the result of {esc(s.get('file') or result.stem)}.</footer>")
    return page(f"plms report: {result.stem}", "\n".join(body))


def write_report(result: ScoreResult, path: str | os.PathLike[str], *,
                 dpi: int = REPORT_DPI) -> Path:
    """Write the night's self-contained HTML report to ``path`` (whole or not at all).

    Parameters
    ----------
    result : ScoreResult
        From :func:`plms.score_edf`, :func:`plms.rescore` or :func:`plms.score_lms`.
    path : path-like
        Target, by convention ``OUT/STEM.report.html``; a folder means
        ``FOLDER/STEM.report.html``.
    dpi : int
        Resolution of the images.

    Returns
    -------
    Path
        The written file.
    """
    from plms.io.names import night_files
    from plms.outputs.atomic import atomic_path
    from plms.plots import require_matplotlib

    require_matplotlib()
    target = Path(path)
    if target.is_dir():
        target = night_files(target, result.stem).report_html
    text = report_html(result, dpi=dpi)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


# -- rebuilding a result from the files a run wrote -------------------------------
