"""The accelerometer leg-movement detector as a scikit-learn estimator, for tuning.

A wearables team that has scored some nights by hand (or by PSG) can tune the
detector's thresholds on them with scikit-learn's model selection, e.g.
:class:`~sklearn.model_selection.GridSearchCV`, and keep the rules untouched.

The estimator follows scikit-learn's conventions: parameters are stored in
``__init__`` as given (validated in :meth:`~AccelLMDetector.fit`), ``fit``
returns ``self``, ``get_params``/``set_params`` come from
:class:`~sklearn.base.BaseEstimator`, and :meth:`~AccelLMDetector.score` is
the event F1 (higher is better), pooled over the recordings.

One sample of ``X`` is one leg's recording: a pair ``(acceleration, fs)``
(samples x axes in g, Hz), or anything with ``data`` and ``fs`` attributes
(:class:`plms.io.accel.read.AccelSignal`). One target of ``y`` is that leg's
scored movements: a DataFrame with ``onset`` and ``duration`` in seconds.

Examples
--------
>>> import numpy as np, pandas as pd
>>> fs = 50.0
>>> t = np.arange(int(120 * fs)) / fs
>>> acc = np.tile([0.0, 0.0, 1.0], (t.size, 1))
>>> moving = (t >= 60) & (t < 62)                       # a 2-s foot movement at 60 s
>>> acc[moving] = [0.0, np.sin(np.radians(20)), np.cos(np.radians(20))]
>>> truth = pd.DataFrame({"onset": [60.0], "duration": [2.0]})
>>> det = AccelLMDetector().fit([(acc, fs)], [truth])
>>> det.score([(acc, fs)], [truth])
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from plms.signal.accel.detect import AccelDetectorSettings, detect_lm_accel
from plms.validation.agreement import match_events
from plms.rules import Rules, get_rules

_DEFAULT = AccelDetectorSettings()
#: Default least overlap (intersection over union) for a detected movement to
#: match a scored one, as in ``plms validate``.
DEFAULT_MIN_IOU = 0.2


def _recording(item: Any) -> tuple[np.ndarray, float]:
    """``(data, fs)`` of one sample of ``X``."""
    if hasattr(item, "data") and hasattr(item, "fs"):
        return np.asarray(item.data), float(item.fs)
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return np.asarray(item[0]), float(item[1])
    raise TypeError("each sample of X must be a pair (acceleration, fs) or have .data and .fs, "
                    f"not {type(item).__name__}")


class AccelLMDetector(BaseEstimator):  # sklearn is untyped: BaseEstimator is Any
    """Leg-movement detection in ankle acceleration, tunable with scikit-learn.

    Parameters
    ----------
    threshold_mg, offset_mg, noise_factor, gravity_window_s, smoothing_s : float
        The detector's choices (:class:`plms.signal.accel.detect.AccelDetectorSettings`,
        whose defaults these are).
    rules : {"wasm2016", "aasm"} or Rules
        The preset whose LM duration rules the detector applies.
    min_iou : float
        Least intersection over union for a detected movement to count as a
        match of a scored one in :meth:`score`.

    Attributes
    ----------
    settings_ : AccelDetectorSettings
        The validated settings, set by :meth:`fit`.
    rules_ : Rules
    n_recordings_ : int
        Number of recordings seen by :meth:`fit`.
    """

    def __init__(
        self,
        threshold_mg: float = _DEFAULT.threshold_mg,
        offset_mg: float = _DEFAULT.offset_mg,
        noise_factor: float = _DEFAULT.noise_factor,
        gravity_window_s: float = _DEFAULT.gravity_window_s,
        smoothing_s: float = _DEFAULT.smoothing_s,
        rules: str | Rules = "wasm2016",
        min_iou: float = DEFAULT_MIN_IOU,
    ) -> None:
        self.threshold_mg = threshold_mg
        self.offset_mg = offset_mg
        self.noise_factor = noise_factor
        self.gravity_window_s = gravity_window_s
        self.smoothing_s = smoothing_s
        self.rules = rules
        self.min_iou = min_iou

    def fit(self, X: Sequence[Any], y: Sequence[pd.DataFrame] | None = None
            ) -> AccelLMDetector:
        """Validate the parameters; the detector has nothing to learn from the data.

        Tuning happens in the model selection around it (``GridSearchCV``),
        which compares the :meth:`score` of parameter sets.

        Raises
        ------
        ValueError
            For an invalid parameter (the message names it and what is allowed).
        """
        del y
        if not 0.0 <= float(self.min_iou) < 1.0:
            raise ValueError(f"min_iou must lie in [0, 1), got {self.min_iou!r}")
        self.settings_ = replace(
            AccelDetectorSettings(), threshold_mg=float(self.threshold_mg),
            offset_mg=float(self.offset_mg), noise_factor=float(self.noise_factor),
            gravity_window_s=float(self.gravity_window_s), smoothing_s=float(self.smoothing_s))
        self.rules_ = get_rules(self.rules)
        self.n_recordings_ = len(X)
        return self

    def predict(self, X: Sequence[Any]) -> list[pd.DataFrame]:
        """The detected movements of each recording (``onset``, ``duration``, ...)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "settings_")
        out = []
        for item in X:
            data, fs = _recording(item)
            out.append(detect_lm_accel(data, fs, rules=self.rules_,
                                       settings=self.settings_).events)
        return out

    def score(self, X: Sequence[Any], y: Sequence[pd.DataFrame]) -> float:
        """Event F1 of the detections against ``y``, pooled over the recordings.

        Matches are one to one by overlap: pairs with an IoU above ``min_iou``
        are the candidates, then the assignment with the largest total IoU
        (:func:`plms.signal.events.match_pairs`, as in ``plms validate``); F1 is
        2 TP / (n scored + n detected) over all recordings together, so that
        nights with many movements weigh more. 1.0 when both are empty.
        """
        if len(X) != len(y):
            raise ValueError(f"X holds {len(X)} recordings but y {len(y)} scorings")
        tp = n_ref = n_test = 0
        for detected, truth in zip(self.predict(X), y, strict=True):
            agreement = match_events(truth, detected, min_iou=float(self.min_iou))
            tp += agreement.true_positives
            n_ref += agreement.n_reference
            n_test += agreement.n_test
        return 1.0 if n_ref + n_test == 0 else 2.0 * tp / (n_ref + n_test)
