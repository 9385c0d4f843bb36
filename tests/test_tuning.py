"""The scikit-learn estimator around the accelerometer detector (plms.tuning)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold

from plms.tuning import AccelLMDetector

FS = 50.0


def foot_night(seed: int, onsets, *, angle_deg=20.0, duration_s=2.0, length_s=600.0,
               noise_g=0.002):
    """Resting ankle (gravity on z) with foot movements that turn gravity by
    ``angle_deg`` about x for ``duration_s``; white noise of ``noise_g``.
    Returns the recording and its truth."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(length_s * FS)) / FS
    acc = np.tile([0.0, 0.0, 1.0], (t.size, 1))
    a = np.radians(angle_deg)
    for on in onsets:
        acc[(t >= on) & (t < on + duration_s)] = [0.0, np.sin(a), np.cos(a)]
    acc += rng.normal(0.0, noise_g, acc.shape)
    truth = pd.DataFrame({"onset": np.asarray(onsets, float), "duration": duration_s})
    return (acc, FS), truth


def test_parameters_follow_sklearn_conventions():
    det = AccelLMDetector(threshold_mg=55.0)
    params = det.get_params()
    assert params["threshold_mg"] == 55.0
    assert {"offset_mg", "noise_factor", "gravity_window_s", "smoothing_s", "rules",
            "min_iou"} <= set(params)
    twin = clone(det)
    assert twin is not det and twin.get_params() == params
    assert det.set_params(threshold_mg=70.0) is det and det.threshold_mg == 70.0


def test_invalid_parameters_are_refused_at_fit_not_at_init():
    det = AccelLMDetector(threshold_mg=-5.0)   # stored as given
    with pytest.raises(ValueError):
        det.fit([])
    with pytest.raises(ValueError, match="min_iou"):
        AccelLMDetector(min_iou=1.5).fit([])


def test_fit_returns_self_and_predict_needs_fit():
    rec, _ = foot_night(0, [100.0])
    det = AccelLMDetector()
    with pytest.raises(NotFittedError):
        det.predict([rec])
    assert det.fit([rec]) is det
    assert det.n_recordings_ == 1


def test_score_is_pooled_event_f1():
    """Two recordings: 3 and 2 real movements (all detected); the scoring of the
    first also lists a movement that is not in the signal. TP 5, scored 6,
    detected 5: F1 = 2*5 / (6 + 5) = 10/11."""
    rec1, truth1 = foot_night(1, [100.0, 200.0, 300.0])
    rec2, truth2 = foot_night(2, [150.0, 400.0])
    truth1 = pd.concat([truth1, pd.DataFrame({"onset": [500.0], "duration": [2.0]})],
                       ignore_index=True)
    det = AccelLMDetector().fit([rec1, rec2])
    assert det.score([rec1, rec2], [truth1, truth2]) == pytest.approx(10 / 11)
    with pytest.raises(ValueError, match="recordings"):
        det.score([rec1, rec2], [truth1])


def test_recording_objects_with_data_and_fs_are_accepted():
    rec, truth = foot_night(3, [100.0, 250.0])

    class Signal:
        data, fs = rec

    det = AccelLMDetector().fit([Signal()])
    assert det.score([Signal()], [truth]) == 1.0
    with pytest.raises(TypeError, match="pair"):
        det.predict([42])


def test_grid_search_finds_a_threshold_that_sees_small_movements():
    """Movements turn gravity by 8 degrees: a deviation of 2 sin(4 deg) g = 140 mg.
    A 400-mg threshold misses all of them, 40 mg finds them: the grid search
    must pick 40 and score 1.0 on held-out recordings."""
    onsets = [[60.0, 120.0, 180.0, 240.0], [90.0, 150.0, 210.0], [70.0, 300.0, 330.0],
              [100.0, 400.0]]
    data = [foot_night(10 + i, o, angle_deg=8.0) for i, o in enumerate(onsets)]
    X = [rec for rec, _ in data]
    y = [truth for _, truth in data]
    search = GridSearchCV(AccelLMDetector(), {"threshold_mg": [40.0, 400.0]},
                          cv=KFold(n_splits=2))
    search.fit(X, y)
    assert search.best_params_ == {"threshold_mg": 40.0}
    assert search.best_score_ == pytest.approx(1.0)
    assert AccelLMDetector(threshold_mg=400.0).fit(X).score(X, y) == 0.0


class _FixedDetections(AccelLMDetector):
    """The estimator with given detections, to test :meth:`score` alone."""

    def __init__(self, detections: list[pd.DataFrame] | None = None,
                 min_iou: float = 0.2) -> None:
        super().__init__(min_iou=min_iou)
        self.detections = detections

    def predict(self, X):
        return list(self.detections)


def test_score_matches_with_the_threshold_first():
    # issue 13: raw-IoU pairing finds 2 of these 3 pairs, threshold first all 3
    # (IoU 0.654, 0.256 and 0.259 above 0.2; ref0-test0 0.161 below it)
    truth = pd.DataFrame({"onset": [2.6, 6.3, 2.4], "duration": [2.1, 1.0, 1.9]})
    found = pd.DataFrame({"onset": [1.6, 2.1, 6.0], "duration": [1.5, 2.2, 3.9]})
    det = _FixedDetections([found], min_iou=0.2)
    assert det.score([None], [truth]) == pytest.approx(1.0)
    # above 0.26 only ref0-test1 (0.654) remains: F1 = 2 * 1 / 6
    assert _FixedDetections([found], min_iou=0.26).score([None], [truth]) == pytest.approx(1 / 3)
