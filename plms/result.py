"""The result of scoring one night: events, summary, and the means to save them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from plms.hypnogram import Hypnogram
from plms.io.names import night_files
from plms.io.results import NIGHTS_CSV_COLUMNS
from plms.outputs import events_sidecar, events_to_tsv, summary_to_json, write_all_or_nothing
from plms.summary import Summary

#: The figures printed by :meth:`ScoreResult.key_figures`, with their labels and units.
KEY_FIGURES: tuple[tuple[str, str, str, int], ...] = (
    ("tst_min", "Total sleep time", "min", 1),
    ("n_lm", "Leg movements (all)", "", 0),
    ("n_plms", "PLM in sleep", "", 0),
    ("plms_index", "PLMS index", "/h", 1),
    ("plms_index_incl_resp", "PLMS index, resp.-related kept", "/h", 1),
    ("plmw_index", "PLMW index", "/h", 1),
    ("plms_arousal_index", "PLMS-arousal index", "/h", 1),
    ("periodicity_index", "Periodicity index", "", 2),
)
#: Figures that need no sleep scoring, printed after the leg-movement count when the
#: night has no sleep time (no hypnogram): the sleep figures above are then n/a.
RECORDING_FIGURES: tuple[tuple[str, str, str, int], ...] = (
    ("n_plm", "PLM, whole recording", "", 0),
    ("lm_index_recording", "LM per hour of recording", "/h", 1),
    ("plm_index_recording", "PLM per hour of recording", "/h", 1),
)


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """A scored night.

    Attributes
    ----------
    events : DataFrame
        One row per leg movement after bilateral combination (``docs/CONTRACT.md``).
    summary : Summary
        Night-level figures, JSON-ready (a typed dict, docs/CONTRACT.md);
        ``None`` marks a figure that could not be computed
        (``summary["warnings"]`` says why).
    per_leg : DataFrame
        The movements of each leg before combination (``onset``, ``duration``,
        ``side``, ``peak_uv``...).
    hypnogram : Hypnogram or None
    stem : str
        Base name for output files.
    details : dict
        Intermediate results (e.g. per-leg detections, the annotations, a
        signal excerpt) for plots and writers; complete when the result is
        built, never written.
    """

    events: pd.DataFrame
    summary: Summary
    per_leg: pd.DataFrame
    hypnogram: Hypnogram | None = None
    stem: str = "night"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """Human-readable problems met while scoring."""
        return list(self.summary.get("warnings", []))

    def summary_frame(self) -> pd.DataFrame:
        """The scalar figures of the summary as a one-row DataFrame."""
        flat = {k: v for k, v in self.summary.items()
                if not isinstance(v, (dict, list, tuple))}
        for key, value in (self.summary.get("imi_counts") or {}).items():
            flat[f"imi_{key}"] = value
        return pd.DataFrame([flat], index=pd.Index([self.stem], name="night"))

    def key_figures(self) -> pd.DataFrame:
        """The figures a lab reads first, as a small table (None shown as n/a).

        Without sleep time (no hypnogram) the figures per hour of recording
        (:data:`RECORDING_FIGURES`) follow the leg-movement count.
        """
        figures = list(KEY_FIGURES)
        if self.summary.get("tst_min") is None:
            at = next(i for i, f in enumerate(figures) if f[0] == "n_lm") + 1
            figures[at:at] = RECORDING_FIGURES
        return _figure_rows(dict(self.summary), figures)

    def output_paths(self, out_dir: str | Path) -> dict[str, Path]:
        """Where :meth:`write` puts each file (names: :mod:`plms.io.names`)."""
        files = night_files(out_dir, self.stem)
        return {"events": files.events_tsv, "events_json": files.events_json,
                "summary": files.summary_json}

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``STEM.events.tsv`` (+ its BIDS ``.json``) and ``STEM.summary.json``.

        All files appear together or not at all (temporary names, then renames).
        """
        paths = self.output_paths(out_dir)
        write_all_or_nothing({
            paths["events"]: events_to_tsv(self.events),
            paths["events_json"]: events_sidecar(list(self.events.columns)),
            paths["summary"]: summary_to_json(self.summary),
        })
        return paths

    def __repr__(self) -> str:
        idx = self.summary.get("plms_index")
        shown = "n/a" if idx is None else f"{idx:.1f}/h"
        return (f"ScoreResult({self.stem!r}, rules={self.summary.get('rules')!r}, "
                f"{len(self.events)} LMs, PLMS index {shown})")


#: The figures of a multi-day recording printed by :meth:`DaysResult.key_figures`
#: (summary key, label, unit, decimals).
DAYS_KEY_FIGURES: tuple[tuple[str, str, str, int], ...] = (
    ("n_nights", "Nights found", "", 0),
    ("nights_scored", "Nights scored", "", 0),
    ("plms_index_mean", "PLMS index, mean of nights", "/h", 1),
    ("plms_index_median", "PLMS index, median of nights", "/h", 1),
    ("plms_index_sd", "PLMS index, SD across nights", "/h", 1),
    ("plms_index_cv", "PLMS index, coefficient of variation", "", 2),
    ("nights_plms_ge_15", "Nights at or above 15/h", "", 0),
    ("plms_index_pooled", "PLMS index, all nights pooled", "/h", 1),
    ("nonwear_min", "Non-wear", "min", 1),
)


def _figure_rows(summary: dict[str, Any],
                 figures: tuple[tuple[str, str, str, int], ...] | list[Any]) -> pd.DataFrame:
    """``figure``/``value``/``unit`` rows of ``summary``'s figures (None shown as n/a)."""
    rows = []
    for key, label, unit, decimals in figures:
        value = summary.get(key)
        shown = "n/a" if value is None else (f"{value:.{decimals}f}"
                                             if isinstance(value, float) else str(value))
        rows.append({"figure": label, "value": shown, "unit": unit})
    return pd.DataFrame(rows).set_index("figure")


#: Columns of :attr:`DaysResult.nights`, one row per night of a multi-day recording
#: (``STEM.nights.csv``, issue 16, :data:`plms.io.results.NIGHTS_CSV_COLUMNS`); clock
#: times are ISO text, ``None`` when unknown.
NIGHT_COLUMNS: tuple[str, ...] = NIGHTS_CSV_COLUMNS
#: ``status`` of a night that was scored.
NIGHT_OK = "ok"
#: ``status`` of a day whose main sleep period was not found (sensor off, awake all night).
NIGHT_NO_SLEEP = "no sleep period"
#: ``status`` of a night left out (e.g. mostly non-wear); ``warnings`` says why.
NIGHT_EXCLUDED = "excluded"


@dataclass(frozen=True, eq=False)
class DaysResult:
    """A multi-day (wearable) recording split into nights, each scored as one night.

    Attributes
    ----------
    nights : DataFrame
        One row per night (:data:`NIGHT_COLUMNS`); ``start_s``/``end_s`` are the
        night's window (lights off, lights on) in seconds from the recording
        start, ``window_source`` says where it comes from (``"diary"`` or
        ``"detected"``).
    results : dict of int to ScoreResult
        The scored nights (``status == "ok"``) by night number; their event
        onsets are seconds from the recording start.
    nonwear : DataFrame
        Stretches where the sensor was off the ankle: ``start_s``, ``end_s``,
        ``side`` (``left``/``right``/``both``), ``start``/``end`` (ISO clock).
    naps : DataFrame
        Daytime sleep periods that are not nights: ``start_s``, ``end_s``,
        ``start``/``end``.
    activity : DataFrame
        One row per minute for the actogram: ``t_s`` (minute start, s from the
        recording start), ``activity_mg`` (per side columns allowed:
        ``activity_mg_left``...), ``nonwear`` (bool).
    summary : dict
        Recording-level figures, JSON-ready: the file, recording start and
        duration, ``n_nights``, ``nights_scored``, ``plms_index_mean``,
        ``plms_index_median``, ``plms_index_sd``, ``plms_index_cv``,
        ``nights_plms_ge_15``, ``plms_index_pooled`` (all nights' PLMS over all
        nights' sleep), ``nonwear_min``, ``warnings``; ``None`` where a figure
        cannot be computed.
    stem : str
        Base name for output files.
    """

    nights: pd.DataFrame
    results: dict[int, ScoreResult]
    nonwear: pd.DataFrame
    naps: pd.DataFrame
    activity: pd.DataFrame
    summary: dict[str, Any]
    stem: str = "recording"

    @property
    def warnings(self) -> list[str]:
        """Human-readable problems met while splitting and scoring."""
        return list(self.summary.get("warnings", []))

    def night(self, number: int) -> ScoreResult:
        """The scored night ``number`` (1, 2, ...); ``KeyError`` naming the scored ones."""
        if number not in self.results:
            raise KeyError(f"night {number} was not scored; scored nights: "
                           f"{sorted(self.results) or 'none'}")
        return self.results[number]

    def summary_frame(self) -> pd.DataFrame:
        """One row per night, indexed by night number: the nights table, then the other
        scalar figures of each scored night's summary (empty for nights not scored)."""
        frame = self.nights.set_index("night", drop=True)
        extra = [r.summary_frame().assign(night=n).set_index("night")
                 for n, r in sorted(self.results.items())]
        if extra:
            more = pd.concat(extra)
            more = more[[c for c in more.columns if c not in frame.columns]]
            frame = frame.join(more, how="left")
        return frame

    def key_figures(self) -> pd.DataFrame:
        """The multi-night figures a lab reads first (:data:`DAYS_KEY_FIGURES`; None is n/a)."""
        return _figure_rows(self.summary, DAYS_KEY_FIGURES)

    def output_paths(self, out_dir: str | Path) -> dict[str, Path]:
        """Where :meth:`write` puts each file: ``nights`` (``STEM.nights.csv``), ``summary``
        (``STEM.summary.json``), then ``nightNN_events``, ``nightNN_events_json`` and
        ``nightNN_summary`` per scored night (``STEM/nightNN.*``)."""
        from plms.outputs.days import days_output_paths

        return days_output_paths(self, out_dir)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``STEM.nights.csv``, ``STEM.summary.json`` and each scored night's
        ``STEM/nightNN.events.tsv`` (+ ``.json``) and ``.summary.json``, all or none
        (:func:`plms.outputs.days.write_days`)."""
        from plms.outputs.days import write_days

        return write_days(self, out_dir)

    def __repr__(self) -> str:
        mean = self.summary.get("plms_index_mean")
        shown = "n/a" if mean is None else f"{mean:.1f}/h"
        return (f"DaysResult({self.stem!r}, {len(self.results)} of {len(self.nights)} nights "
                f"scored, mean PLMS index {shown})")
