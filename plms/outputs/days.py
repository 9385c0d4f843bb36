"""The files of a multi-day recording (issue 16), written all together or not at all.

A recording ``STEM`` split into nights (:class:`plms.result.DaysResult`) gives,
in ``OUT`` (names: :func:`plms.io.names.days_files`):

- ``STEM.nights.csv``: one row per night (:data:`NIGHTS_CSV_COLUMNS`), clock
  times as ISO text, an empty cell where a figure is unknown, the warnings
  of a night joined by ``"; "``;
- ``STEM.summary.json``: the multi-night figures (``DaysResult.summary``),
  ``"kind": "days"``, the nights (as in the table), the non-wear stretches
  and the naps (``start_s``/``end_s`` from the recording start, ``start``/``end``
  clock times), and where each night's files are;
- ``STEM/nightNN.events.tsv`` (+ ``.events.json``) and
  ``STEM/nightNN.summary.json`` for each scored night, exactly as a single
  night's files, the onsets in seconds from the recording start; the night's
  summary also names its night (``night``, ``date``, ``window_s``).

Night files of an earlier run that this run did not score (a night number
no longer found) are removed after the new files are in place, so the
folder always shows one run.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from plms._version import __version__
from plms.io.names import days_files
from plms.io.results import DAYS_KIND, NIGHTS_CSV_COLUMNS
from plms.outputs.files import events_sidecar, events_to_tsv, summary_to_json, write_all_or_nothing

if TYPE_CHECKING:  # pragma: no cover
    from plms.result import DaysResult

#: Decimals of the figures in ``STEM.nights.csv`` (the per-night summaries keep them all).
NIGHTS_CSV_DECIMALS: dict[str, int] = {
    "tib_min": 1, "tst_min": 1, "waso_min": 1, "sol_min": 1, "sleep_efficiency": 3,
    "plms_index": 1, "plmw_index": 1, "nonwear_min": 1, "start_s": 3, "end_s": 3,
}
#: Integer columns of ``STEM.nights.csv``.
NIGHTS_CSV_INT_COLUMNS: tuple[str, ...] = ("night", "n_lm", "n_plms")
#: Separator of a night's warnings in one cell.
WARNINGS_SEPARATOR = "; "
_NIGHT_FILE = re.compile(r"^night(\d+)\.")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def iso_text(value: Any) -> str | None:
    """A clock time as ISO text (seconds), None when unknown; text is kept as it is.

    >>> iso_text(datetime(2026, 1, 5, 23, 10, 30, 400)), iso_text(None), iso_text("23:10")
    ('2026-01-05T23:10:30', None, '23:10')
    """
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell(column: str, value: Any) -> str:
    if _missing(value):
        return ""
    if column == "warnings":
        items = [value] if isinstance(value, str) else list(value)
        return WARNINGS_SEPARATOR.join(str(v) for v in items)
    if column in NIGHTS_CSV_INT_COLUMNS:
        return str(int(value))
    if column in NIGHTS_CSV_DECIMALS:
        return f"{float(value):.{NIGHTS_CSV_DECIMALS[column]}f}"
    return str(iso_text(value))


def nights_to_csv(nights: pd.DataFrame) -> str:
    """``STEM.nights.csv``: the nights table as CSV text (empty cells for unknown values).

    Columns are :data:`NIGHTS_CSV_COLUMNS` (a column the table lacks is left
    empty); clock times are ISO text.
    """
    rows = {c: [_cell(c, v) for v in (nights[c] if c in nights.columns
                                      else [None] * len(nights))]
            for c in NIGHTS_CSV_COLUMNS}
    frame = pd.DataFrame(rows, columns=list(NIGHTS_CSV_COLUMNS))
    return frame.to_csv(index=False, lineterminator="\n")


def _json_value(column: str, value: Any) -> Any:
    if _missing(value):
        return None
    if column == "warnings":   # a list, or the text of a table cell ("" for none)
        return ([w for w in value.split(WARNINGS_SEPARATOR) if w] if isinstance(value, str)
                else [str(v) for v in value])
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return iso_text(value)
    if hasattr(value, "item"):   # numpy scalars
        value = value.item()
    if column in NIGHTS_CSV_INT_COLUMNS and isinstance(value, float) and value.is_integer():
        return int(value)   # a column with a missing night is float in the table
    return value


def _records(table: pd.DataFrame | None) -> list[dict[str, Any]]:
    if table is None or len(table) == 0:
        return []
    return [{str(k): _json_value(str(k), v) for k, v in row.items()}
            for row in table.to_dict("records")]


def _first_night_value(result: DaysResult, key: str) -> Any:
    for number in sorted(result.results):
        value = result.results[number].summary.get(key)
        if value is not None:
            return value
    return None


def days_summary(result: DaysResult, out_dir: str | os.PathLike[str] | None = None
                 ) -> dict[str, Any]:
    """The content of ``STEM.summary.json`` (JSON-ready; the result is not changed).

    ``rules`` and ``plms_version`` (which every plms summary names) come from
    the summary, else from the first scored night, else this plms.
    """
    summary: dict[str, Any] = dict(result.summary)
    summary["kind"] = DAYS_KIND
    summary.setdefault("rules", _first_night_value(result, "rules"))
    if summary.get("plms_version") is None:
        summary["plms_version"] = _first_night_value(result, "plms_version") or __version__
    summary["nights"] = _records(result.nights)
    summary["nonwear"] = _records(result.nonwear)
    summary["naps"] = _records(result.naps)
    files = days_files(out_dir if out_dir is not None else ".", result.stem)
    summary["night_files"] = {
        str(n): {"events": files.night(n).events_tsv.relative_to(files.out_dir).as_posix(),
                 "summary": files.night(n).summary_json.relative_to(files.out_dir).as_posix()}
        for n in sorted(result.results)}
    return summary


def days_totals(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A multi-day ``STEM.summary.json``'s figures as one row of a table of nights.

    ``tib_min``, ``tst_min``, ``n_lm`` and ``n_plms`` summed over the nights of
    status ``ok`` (None when one of them lacks the figure or none was scored),
    ``plms_index`` the index of all nights pooled, ``n_nights`` the nights scored.

    >>> days_totals({"nights": [{"status": "ok", "tst_min": 400.0, "n_plms": 60},
    ...                         {"status": "no sleep period", "tst_min": None}],
    ...              "plms_index_pooled": 9.0, "nights_scored": 1})["tst_min"]
    400.0
    """
    scored = [n for n in summary.get("nights") or [] if n.get("status") == "ok"]

    def total(key: str) -> Any:
        values = [n.get(key) for n in scored]
        return None if not values or any(v is None for v in values) else sum(values)

    return {"tib_min": total("tib_min"), "tst_min": total("tst_min"), "n_lm": total("n_lm"),
            "n_plms": total("n_plms"), "plms_index": summary.get("plms_index_pooled"),
            "n_nights": summary.get("nights_scored", len(scored))}


def _night_row(result: DaysResult, number: int) -> Mapping[str, Any]:
    nights = result.nights
    if "night" not in nights.columns:
        return {}
    match = nights[nights["night"] == number]
    return match.iloc[0].to_dict() if len(match) else {}


def night_summary(result: DaysResult, number: int) -> dict[str, Any]:
    """Night ``number``'s summary as written: its own, plus ``night``, ``date``, ``window_s``."""
    summary: dict[str, Any] = dict(result.results[number].summary)
    row = _night_row(result, number)
    summary["night"] = number
    summary["date"] = iso_text(row.get("date"))
    start: Any = row.get("start_s")
    end: Any = row.get("end_s")
    summary["window_s"] = (None if _missing(start) or _missing(end)
                           else [float(start), float(end)])
    summary["multi_day_recording"] = result.stem
    return summary


def days_output_paths(result: DaysResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Where :func:`write_days` puts each file: ``nights``, ``summary``, then per night
    ``nightNN_events``, ``nightNN_events_json``, ``nightNN_summary``."""
    files = days_files(out_dir, result.stem)
    paths = {"nights": files.nights_csv, "summary": files.summary_json}
    for number in sorted(result.results):
        night = files.night(number)
        name = night.stem
        paths[f"{name}_events"] = night.events_tsv
        paths[f"{name}_events_json"] = night.events_json
        paths[f"{name}_summary"] = night.summary_json
    return paths


def write_days(result: DaysResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write every file of a multi-day recording, all of them or none.

    Returns
    -------
    dict of str to Path
        :func:`days_output_paths`.
    """
    paths = days_output_paths(result, out_dir)
    texts: dict[Path, str] = {
        paths["nights"]: nights_to_csv(result.nights),
        paths["summary"]: summary_to_json(days_summary(result, out_dir)),
    }
    files = days_files(out_dir, result.stem)
    for number in sorted(result.results):
        night = files.night(number)
        events = result.results[number].events
        texts[night.events_tsv] = events_to_tsv(events)
        texts[night.events_json] = events_sidecar(list(events.columns))
        texts[night.summary_json] = summary_to_json(night_summary(result, number))
    write_all_or_nothing(texts)
    remove_stale_nights(files.night_dir, set(result.results))
    return paths


def remove_stale_nights(night_dir: Path, kept: set[int]) -> list[Path]:
    """Remove ``nightNN.*`` files of ``night_dir`` whose night is not in ``kept``."""
    removed: list[Path] = []
    if not night_dir.is_dir():
        return removed
    for path in night_dir.iterdir():
        match = _NIGHT_FILE.match(path.name)
        if match and path.is_file() and int(match.group(1)) not in kept:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
