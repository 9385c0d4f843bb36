"""HTML reports: one self-contained page per night, and a cohort overview.

- :func:`write_report` writes ``STEM.report.html`` from a :class:`~plms.result.ScoreResult`;
- :func:`report_from_outputs` does so for a night scored earlier, from its
  ``STEM.summary.json`` and ``STEM.events.tsv`` (``plms report``), read by
  :mod:`plms.io.results` (:func:`read_events_tsv` is that module's);
- :func:`write_days_report` writes the page of a multi-day recording
  (``STEM.report.html``: night table, actogram, PLMS index per night) and each
  night's report (``STEM/nightNN.report.html``);
- :func:`write_cohort_index` writes ``DIR/index.html`` listing every night of
  a folder, with the distribution of the PLMS index.

Pages are plain HTML and CSS: the images are PNGs inside the file, there is no
script and no external resource, and they print cleanly to PDF. The figures
are those of :mod:`plms.plots` (needs matplotlib: ``pip install plms[report]``).
"""

from __future__ import annotations

from plms.io.results import read_events_tsv
from plms.report._cohort import cohort_table, write_cohort_index
from plms.report._days import days_report_html, write_days_report
from plms.report._night import FIGURE_ROWS, report_html, write_report
from plms.report._rebuild import days_from_outputs, report_from_outputs, result_from_outputs

__all__ = [
    "FIGURE_ROWS",
    "cohort_table",
    "days_from_outputs",
    "days_report_html",
    "read_events_tsv",
    "report_from_outputs",
    "report_html",
    "result_from_outputs",
    "write_cohort_index",
    "write_days_report",
    "write_report",
]
