"""The public plotting functions return matplotlib Figures for every kind of night."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402

from plms import Hypnogram, score_lms  # noqa: E402
from plms import plots  # noqa: E402

DPI = 60


def _series(start: float, n: int = 5, side: str = "left", step: float = 20.0) -> pd.DataFrame:
    return pd.DataFrame({"onset": start + step * np.arange(n), "duration": 2.0, "side": side})


@pytest.fixture(scope="module")
def full():
    lms = pd.concat([_series(300.0), _series(900.0, 6, "right"), _series(1500.0, 4)],
                    ignore_index=True)
    hyp = Hypnogram.from_labels(["W"] * 6 + ["N2"] * 30 + ["R"] * 10 + ["W"] * 4 + ["N3"] * 20)
    resp = pd.DataFrame({"onset": [1000.0], "duration": [15.0], "kind": ["hypopnea"]})
    ar = pd.DataFrame({"onset": [320.0, 1505.0], "duration": [5.0, 4.0]})
    return score_lms(lms, hypnogram=hyp, respiratory=resp, arousals=ar)


@pytest.fixture(scope="module")
def bare():
    return score_lms(_series(100.0))


@pytest.fixture(scope="module")
def empty():
    lms = pd.DataFrame({"onset": pd.Series(dtype=float), "duration": pd.Series(dtype=float),
                        "side": pd.Series(dtype=str)})
    return score_lms(lms, hypnogram=Hypnogram.from_labels(["N2"] * 20))


@pytest.mark.parametrize("name", ["full", "bare", "empty"])
@pytest.mark.parametrize("plot", [plots.plot_night, plots.plot_imi_histograms,
                                  plots.plot_plms_by_stage_and_hour, plots.plot_emg_excerpt])
def test_plots_return_figures(request, name, plot):
    fig = plot(request.getfixturevalue(name), dpi=DPI)
    assert isinstance(fig, Figure)
    assert fig.axes
    assert plots.figure_png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_emg_excerpt_draws_kept_signal_and_detections(full):
    from plms.signal.emg.detect import LegDetection

    rate, n = 100.0, 2400 * 100
    env = np.full(n, 3.0, dtype=np.float32)
    det = LegDetection(events=pd.DataFrame(), envelope=env, baseline=env * 0 + 2.0,
                       rate_hz=rate, excluded=pd.DataFrame(), mains_hz=None)
    ev = full.events
    kept = plots.emg_excerpt({"left": (np.random.default_rng(0).normal(size=2400 * 200), 200.0)},
                             ev, window_s=60.0)
    assert kept["series"] == 2          # the longest series (6 members, right leg)
    assert kept["start_s"] == pytest.approx(895.0)
    assert kept["legs"]["left"]["data"].size == 60 * 200
    full.details["emg_excerpt"] = kept
    full.details["detections"] = {"left": det}
    try:
        fig = plots.plot_emg_excerpt(full, dpi=DPI)
        assert len(fig.axes) == 2       # left raw + left envelope
        one = plots.plot_emg_excerpt(full, series=1, window_s=30, side="left", dpi=DPI)
        assert one.axes[-1].get_xlim() == pytest.approx((295.0, 325.0))
        assert len(one.axes) == 1       # the kept raw EMG does not reach series 1
        with pytest.raises(ValueError, match="no PLM series 9"):
            plots.plot_emg_excerpt(full, series=9, dpi=DPI)
    finally:
        full.details.pop("emg_excerpt")
        full.details.pop("detections")


def test_series_table_and_window(full, empty):
    table = plots.series_table(full.events)
    assert table["n"].tolist() == [5, 6, 4]
    assert plots.series_table(empty.events).empty
    assert plots.excerpt_window(empty.events, window_s=30.0) == (0.0, 30.0, None)


def test_plms_index_distribution():
    df = pd.DataFrame({"plms_index": [3.0, 20.0, None, 40.5]})
    fig = plots.plot_plms_index_distribution(df, dpi=DPI)
    assert isinstance(fig, Figure)
    assert "2 at or above 15/h" in fig.axes[0].get_title(loc="left")
    assert isinstance(plots.plot_plms_index_distribution(pd.DataFrame(), dpi=DPI), Figure)
    batch = pd.DataFrame({"plms_index_per_h": [30.0, None]})      # a batch summary.csv
    title = plots.plot_plms_index_distribution(batch, dpi=DPI).axes[0].get_title(loc="left")
    assert "1 night(s): 1 at or above" in title


def test_importing_plms_and_scoring_does_not_load_matplotlib():
    code = ("import sys, plms, plms.pipeline.emg, plms.pipeline.accel, plms.plots, plms.report, "
            "plms.cli; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- issue 12: excluded stretches, clock time, legends, histogram, captions ----------

def _night(**extra):
    """Two PLM series (left from 300 s, right from 900 s) in a 1-h recording."""
    lms = pd.concat([_series(300.0), _series(900.0, 6, "right")], ignore_index=True)
    return score_lms(lms, hypnogram=Hypnogram.from_labels(["N2"] * 120),
                     extra_summary={"recording_duration_s": 3600.0, **extra})


def _drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def test_excluded_stretches_from_emg_and_accelerometer_detections():
    """EMG: the detector's excluded table as it is. Accelerometer at 25 Hz: NaN
    activity in samples 250-499 -> 10.0 s for 10.0 s; and 2475-2499 -> 99.0 s for 1.0 s."""
    from types import SimpleNamespace

    result = _night()
    act = np.zeros(2500, dtype=np.float32)
    act[250:500] = np.nan
    act[2475:] = np.nan
    result.details["detections"] = {"left": SimpleNamespace(
        excluded=pd.DataFrame({"onset": [600.0], "duration": [300.0]}))}
    result.details["accel_detections"] = {"right": SimpleNamespace(activity_mg=act,
                                                                   rate_hz=25.0)}
    table = plots.excluded_stretches(result)
    assert table[["side", "onset", "duration"]].values.tolist() == [
        ["left", 600.0, 300.0], ["right", 10.0, 10.0], ["right", 99.0, 1.0]]
    assert plots.excluded_stretches(_night()).empty


def test_night_overview_hatches_the_excluded_stretch_on_every_track():
    """Left electrode off 600-900 s: a hatched span over 600/3600-900/3600 h on the
    hypnogram and on the movement tracks, and a legend entry of 5.0 min."""
    from types import SimpleNamespace

    result = _night()
    result.details["detections"] = {"left": SimpleNamespace(
        excluded=pd.DataFrame({"onset": [600.0], "duration": [300.0]}))}
    fig = plots.plot_night(result, dpi=DPI)
    ax_h, ax_r = fig.axes[:2]
    for ax in (ax_h, ax_r):
        spans = [p for p in ax.patches if p.get_hatch()]
        assert len(spans) == 1
        assert spans[0].get_x() == pytest.approx(600 / 3600)
        assert spans[0].get_width() == pytest.approx(300 / 3600)
    legend = [t.get_text() for t in ax_r.get_legend().get_texts()]
    assert any("not scored, left leg: 5.0 min" in t for t in legend)
    assert "left leg 5.0 min" in plots.night_caption(result)
    plain = plots.plot_night(_night(), dpi=DPI)
    assert not [p for ax in plain.axes for p in ax.patches if p.get_hatch()]
    assert "Hatched" not in plots.night_caption(_night())


def test_night_overview_time_axis_is_clock_time_with_hours_on_top():
    """Start 22:25:00, 1 h: ticks every 10 min at round clock times, the first
    (22:30) 5 min = 0.0833 h after the start; hours from the start on top."""
    fig = plots.plot_night(_night(recording_start="2024-01-01T22:25:00"), dpi=DPI)
    ax_h, ax_r = fig.axes[:2]
    _drawn(fig)
    labels = [t.get_text() for t in ax_r.get_xticklabels()]
    assert labels == ["22:30", "22:40", "22:50", "23:00", "23:10", "23:20"]
    assert ax_r.get_xticks()[0] == pytest.approx(5 / 60)
    assert ax_r.get_xticks()[3] == pytest.approx(35 / 60)    # 23:00
    assert "clock time" in ax_r.get_xlabel()
    (top,) = ax_h.child_axes
    assert top.get_xlabel() == "hours from recording start"
    unknown = plots.plot_night(_night(), dpi=DPI)
    assert unknown.axes[1].get_xlabel().startswith("hours from recording start")
    assert not unknown.axes[0].child_axes


def test_clock_ticks_cross_midnight_and_scale_with_length():
    """8 h from 23:10: hourly ticks 00:00 ... 07:00, the first 50 min after the start."""
    from datetime import datetime

    pos, labels = plots.clock_ticks(datetime(2024, 1, 1, 23, 10), 8.0)
    assert labels == [f"{h:02d}:00" for h in range(0, 8)]
    assert pos[0] == pytest.approx(50 / 60)


def _outside_every_axes(fig) -> int:
    renderer = _drawn(fig)
    boxes = [ax.get_window_extent(renderer) for ax in fig.axes]
    n = 0
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        n += 1
        box = legend.get_window_extent(renderer)
        for other in boxes:
            assert not box.overlaps(other), (ax.get_ylabel(), box, other)
    return n


def test_legends_never_cover_data(full):
    """Every legend of the overview, the EMG and accelerometer excerpts and the cohort
    histogram lies outside every axes (data area)."""
    from types import SimpleNamespace

    from plms.signal.emg.detect import LegDetection

    n = 2400 * 100
    det = LegDetection(events=pd.DataFrame(), envelope=np.full(n, 3.0, dtype=np.float32),
                       baseline=np.full(n, 2.0, dtype=np.float32), rate_hz=100.0,
                       excluded=pd.DataFrame({"onset": [1200.0], "duration": [60.0]}),
                       mains_hz=None)
    emg = plots.emg_excerpt({"left": (np.random.default_rng(0).normal(size=2400 * 200),
                                      200.0)}, full.events, window_s=60.0)
    acc = SimpleNamespace(data=np.random.default_rng(1).normal(0, 0.01, (2400 * 25, 3)),
                          fs=25.0, axes=("x", "y", "z"), label="Ankle L")
    activity = SimpleNamespace(activity_mg=np.ones(2400 * 25, dtype=np.float32), rate_hz=25.0,
                               threshold_mg=30.0, offset_mg=15.0)
    full.details.update(detections={"left": det}, emg_excerpt=emg,
                        accel_excerpt=plots.accel_excerpt({"left": acc}, full.events,
                                                          window_s=60.0),
                        accel_detections={"left": activity})
    try:
        assert _outside_every_axes(plots.plot_night(full, dpi=DPI)) == 1
        assert _outside_every_axes(plots.plot_emg_excerpt(full, dpi=DPI)) == 1
        assert _outside_every_axes(plots.plot_accel_excerpt(full, dpi=DPI)) == 2
    finally:
        for key in ("detections", "emg_excerpt", "accel_excerpt", "accel_detections"):
            full.details.pop(key)
    cohort = plots.plot_plms_index_distribution(pd.DataFrame({"plms_index": [3.0, 40.5]}),
                                                dpi=DPI)
    assert _outside_every_axes(cohort) == 1


@pytest.mark.parametrize("values", [[30.0, 36.8], [3.0, 20.0, 40.5], [0.0], [15.0, 15.0, 15.0]])
def test_cohort_histogram_counts_whole_nights_and_cuts_no_bar(values):
    fig = plots.plot_plms_index_distribution(pd.DataFrame({"plms_index": values}), dpi=DPI)
    ax = fig.axes[0]
    _drawn(fig)
    ticks = ax.get_yticks()
    assert np.allclose(ticks, np.round(ticks))
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert sum(p.get_height() for p in bars) == len(values)
    x1, y1 = ax.get_xlim()[1], ax.get_ylim()[1]
    for bar in bars:
        assert bar.get_x() >= 0 and bar.get_x() + bar.get_width() < x1
        assert bar.get_height() < y1
    assert max(values) < x1


def test_emg_excerpt_caption_says_what_is_drawn(full):
    """Kept: the left leg only, 60 s from 895 s (series 2 of 6 movements, the longest);
    the night scored with an onset threshold of 10 µV above the baseline: the
    caption names the left leg and not the right, the window, the series and
    the threshold, and the drawn threshold line is the baseline + 10 µV."""
    from plms.signal.emg.detect import LegDetection

    n = 2400 * 100
    det = LegDetection(events=pd.DataFrame(), envelope=np.full(n, 3.0, dtype=np.float32),
                       baseline=np.full(n, 2.0, dtype=np.float32), rate_hz=100.0,
                       excluded=pd.DataFrame(), mains_hz=None)
    kept = plots.emg_excerpt({"left": (np.zeros(2400 * 200), 200.0)}, full.events,
                             window_s=60.0, labels={"left": "Leg L"})
    detail = dict(full.summary["rules_detail"], lm_onset_above_baseline_uv=10.0)
    night = type(full)(events=full.events, summary={**full.summary, "rules_detail": detail},
                       per_leg=full.per_leg, details={"emg_excerpt": kept,
                                                      "detections": {"left": det}})
    caption = plots.emg_excerpt_caption(night)
    assert "left 'Leg L'" in caption and "right" not in caption
    assert "895-955 s from the recording start" in caption
    assert "PLM series 2, 6 movements (the longest)" in caption
    assert "baseline + 10 µV" in caption
    fig = plots.plot_emg_excerpt(night, dpi=DPI)
    assert len(fig.axes) == 2
    line = next(ln for ln in fig.axes[1].get_lines() if "onset threshold" in ln.get_label())
    assert np.allclose(line.get_ydata(), 12.0)
    assert "895-955 s" in fig.get_suptitle()
    one = plots.emg_excerpt_caption(night, series=1, window_s=30)
    assert "295-325 s" in one and "PLM series 1, 5 movements" in one
    assert "raw EMG" not in one             # the kept raw EMG does not reach series 1


def test_accel_excerpt_caption_names_only_the_ankle_drawn(full):
    from types import SimpleNamespace

    acc = SimpleNamespace(data=np.zeros((2400 * 25, 3)), fs=25.0, axes=("x", "y", "z"),
                          label="Ankle R")
    activity = SimpleNamespace(activity_mg=np.ones(2400 * 25, dtype=np.float32), rate_hz=25.0,
                               threshold_mg=42.0, offset_mg=15.0)
    night = type(full)(events=full.events, summary=dict(full.summary), per_leg=full.per_leg,
                       details={"accel_excerpt": plots.accel_excerpt(
                           {"right": acc}, full.events, window_s=60.0),
                           "accel_detections": {"right": activity}})
    caption = plots.accel_excerpt_caption(night)
    assert "right 'Ankle R'" in caption and "left" not in caption
    assert "onset threshold (42 mg) and offset level (15 mg)" in caption
    assert "895-955 s" in caption
    assert len(plots.plot_accel_excerpt(night, dpi=DPI).axes) == 2


def test_night_overview_draws_only_the_recorded_legs():
    single = _night(channels={"left": None, "right": "Ankle R", "ecg": None})
    fig = plots.plot_night(single, dpi=DPI)
    rows = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert "right leg" in rows and "left leg" not in rows
    assert "right leg" in plots.night_caption(single)
    assert "left" not in plots.night_caption(single)
