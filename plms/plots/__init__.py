"""Figures of a scored night, for the HTML report and for notebooks.

Every public function returns a :class:`matplotlib.figure.Figure` built
directly (no :mod:`matplotlib.pyplot` global state, no GUI backend), so they
are safe in scripts, threads and notebooks alike (a notebook shows a returned
Figure as it is). matplotlib is imported on first use only: ``plms score``
without ``--report`` never pays for it. Install it with ``pip install
plms[report]``.

- :func:`plot_night`: hypnogram, each recorded leg's LMs as a raster over the
  night, PLM series shaded, respiratory events and arousals marked, stretches
  excluded from scoring hatched, on a clock-time axis (:func:`night_caption`
  says what it shows);
- :func:`plot_imi_histograms`: IMIs <= 90 s in 2-s bins and ln(IMI) in 0.1 bins;
- :func:`plot_plms_by_stage_and_hour`: PLMS per sleep stage and per hour;
- :func:`plot_emg_excerpt`: the EMG around a PLM series with the detected
  onsets and offsets (:func:`emg_excerpt_caption` says what it shows);
- :func:`plot_accel_excerpt`: the ankle acceleration and the detector's
  activity around a PLM series (accelerometer nights);
- :func:`plot_plms_index_distribution`: the PLMS index across nights;
- :func:`plot_actogram` and :func:`plot_index_by_night`: a multi-day recording's days
  stacked, and its PLMS index per night (:mod:`plms.plots.days`).
"""

from __future__ import annotations

from plms.plots._common import (  # noqa: F401  (private names kept importable)
    _RC, _STAGE_Y, AROUSAL_COLOR, DEFAULT_DPI, DEFAULT_EXCERPT_S, EXCERPT_LEAD_S,
    LEG_COLORS, PLM_SHADE, RESP_COLOR, STAGE_COLORS, THRESHOLD_COLOR, _leg_intervals,
    _new_figure, _note, _style, figure_png, require_matplotlib,
)
from plms.plots._common import clock_ticks, excluded_stretches, recording_start
from plms.pipeline.excerpt import accel_excerpt, emg_excerpt, excerpt_window, series_table
from plms.plots.accel import accel_excerpt_caption, accel_excerpt_view, plot_accel_excerpt
from plms.plots.days import actogram_caption, plot_actogram, plot_index_by_night
from plms.plots.cohort import index_bins, plot_plms_index_distribution
from plms.plots.excerpt import (  # noqa: F401
    _bandpass, _excerpt_source, emg_excerpt_caption, emg_excerpt_view, plot_emg_excerpt,
)
from plms.plots.night import (  # noqa: F401
    _annotation_tables, _draw_hypnogram, _hours, _imi_rules, _imi_scope, _night_length_s,
    night_caption, plot_imi_histograms, plot_night, plot_plms_by_stage_and_hour,
)

__all__ = [
    "DEFAULT_EXCERPT_S", "STAGE_COLORS", "accel_excerpt", "accel_excerpt_caption",
    "actogram_caption", "plot_actogram", "plot_index_by_night",
    "accel_excerpt_view", "clock_ticks", "emg_excerpt", "emg_excerpt_caption",
    "emg_excerpt_view", "excerpt_window", "excluded_stretches", "figure_png", "index_bins",
    "night_caption", "plot_accel_excerpt", "plot_emg_excerpt", "plot_imi_histograms",
    "plot_night", "plot_plms_by_stage_and_hour", "plot_plms_index_distribution",
    "recording_start", "require_matplotlib", "series_table",
]
