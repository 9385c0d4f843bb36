"""Agreement between two scorings of the same night(s): ``plms validate``.

Compares a *test* scoring (an ankle device, a program) against a *reference*
(the PSG's EMG scoring by a technician, ...):

* event level (:func:`compare_events`), per leg and after bilateral
  combination, matching one to one by overlap (IoU) and by onset tolerance;
* night level (:func:`compare_nights`): PLMS index bias, Bland-Altman limits
  of agreement, ICC(A,1), correlations and agreement at PLMS index >= 15/h;
* clock offset between the devices (:func:`estimate_shift`).

Every time is in seconds from the reference's zero; a positive shift means
the test's clock runs late (its onsets are ``shift`` seconds after the
reference's), and is subtracted from the test's onsets before matching.
"""

from plms.validation.metrics import compare_events, compare_nights, estimate_shift, icc_a1
from plms.validation.run import Validation, validate

__all__ = ["Validation", "compare_events", "compare_nights", "estimate_shift", "icc_a1",
           "validate"]
