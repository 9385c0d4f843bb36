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
    from plms.detect import LegDetection

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
    code = ("import sys, plms, plms.pipeline, plms.plots, plms.report, plms.cli; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib loaded'")
    subprocess.run([sys.executable, "-c", code], check=True)
