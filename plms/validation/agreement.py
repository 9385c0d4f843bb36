"""Agreement between two scorings of the same movements, event by event.

Used to measure the detector against the truth of generated nights, and the
base of validating one scoring against another.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.signal.events import match_pairs, overlap_iou

__all__ = ["EventAgreement", "match_events", "overlap_iou"]


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


def match_events(ref: pd.DataFrame, test: pd.DataFrame, *, min_iou: float = 0.0
                 ) -> EventAgreement:
    """Match events one to one by overlap, then count.

    Two events can match when their intersection over union exceeds
    ``min_iou``; among those candidates the matching with the largest total
    IoU is taken (:func:`plms.signal.events.match_pairs`, the matcher of
    ``plms validate``: threshold first, then the assignment).

    Examples
    --------
    >>> ref = pd.DataFrame({"onset": [0.0, 10.0, 20.0], "duration": [1.0, 1.0, 1.0]})
    >>> test = pd.DataFrame({"onset": [0.2, 20.5, 40.0], "duration": [1.0, 1.0, 1.0]})
    >>> a = match_events(ref, test)
    >>> a.true_positives, round(a.sensitivity, 3), round(a.precision, 3)
    (2, 0.667, 0.667)
    """
    n_ref, n_test = len(ref), len(test)
    rows, cols = match_pairs(ref, test, method="iou", min_iou=min_iou)
    tp = int(rows.size)
    errors = np.zeros(0)
    if tp:
        errors = test["onset"].to_numpy(float)[cols] - ref["onset"].to_numpy(float)[rows]
    sens = tp / n_ref if n_ref else None
    prec = tp / n_test if n_test else None
    f1 = (2 * tp / (n_ref + n_test)) if (n_ref + n_test) else None
    return EventAgreement(n_ref, n_test, tp, sens, prec, f1, errors)
