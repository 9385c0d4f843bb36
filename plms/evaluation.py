"""Agreement between two scorings of the same movements, event by event.

Used to measure the detector against the truth of generated nights, and the
base of validating one scoring against another.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd


class EventAgreement(NamedTuple):
    """Counts and rates of a one-to-one event matching."""

    n_reference: int
    n_test: int
    true_positives: int
    sensitivity: float | None
    precision: float | None
    f1: float | None
    onset_error_s: npt.NDArray[np.float64]
    """Test onset minus reference onset for every matched pair."""


def overlap_iou(ref: pd.DataFrame, test: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Intersection over union of every reference event with every test event."""
    r_on = ref["onset"].to_numpy(float)[:, None]
    r_off = r_on + ref["duration"].to_numpy(float)[:, None]
    t_on = test["onset"].to_numpy(float)[None, :]
    t_off = t_on + test["duration"].to_numpy(float)[None, :]
    inter = np.clip(np.minimum(r_off, t_off) - np.maximum(r_on, t_on), 0, None)
    union = np.maximum(r_off, t_off) - np.minimum(r_on, t_on)
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match_events(ref: pd.DataFrame, test: pd.DataFrame, *, min_iou: float = 0.0
                 ) -> EventAgreement:
    """Match events one to one by overlap (largest total IoU), then count.

    Two events can match when they overlap with an IoU above ``min_iou``.

    Examples
    --------
    >>> ref = pd.DataFrame({"onset": [0.0, 10.0, 20.0], "duration": [1.0, 1.0, 1.0]})
    >>> test = pd.DataFrame({"onset": [0.2, 20.5, 40.0], "duration": [1.0, 1.0, 1.0]})
    >>> a = match_events(ref, test)
    >>> a.true_positives, round(a.sensitivity, 3), round(a.precision, 3)
    (2, 0.667, 0.667)
    """
    from scipy.optimize import linear_sum_assignment

    n_ref, n_test = len(ref), len(test)
    tp = 0
    errors = np.zeros(0)
    if n_ref and n_test:
        iou = overlap_iou(ref, test)
        rows, cols = linear_sum_assignment(-iou)
        ok = iou[rows, cols] > min_iou
        tp = int(ok.sum())
        errors = (test["onset"].to_numpy(float)[cols[ok]] - ref["onset"].to_numpy(float)[rows[ok]])
    sens = tp / n_ref if n_ref else None
    prec = tp / n_test if n_test else None
    f1 = (2 * tp / (n_ref + n_test)) if (n_ref + n_test) else None
    return EventAgreement(n_ref, n_test, tp, sens, prec, f1, errors)
