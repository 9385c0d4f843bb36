"""Agreement between two scorings of the same night(s): ``plms validate``.

Compares a *test* scoring (an ankle device, a program) against a *reference*
(the PSG's EMG scoring by a technician, ...):

* event level (:func:`compare_events`), per leg and after bilateral
  combination, matching one to one by overlap (IoU) and by onset tolerance;
* night level (:func:`compare_nights`): PLMS index bias, Bland-Altman limits
  of agreement, ICC(A,1), correlations and agreement at PLMS index >= 15/h;
* clock offset between the devices (:func:`estimate_shift`);
* sleep/wake, where both sides have a hypnogram (:mod:`plms.validation.sleep`):
  epoch by epoch (:func:`compare_epochs`: accuracy, Cohen's kappa, sleep
  sensitivity, wake specificity, the accuracy of calling every epoch sleep)
  per night and pooled, and the bias and Bland-Altman limits
  (:func:`bland_altman`) of TST, sleep efficiency, WASO and sleep onset
  latency over the nights (:func:`compare_sleep`).

Every time is in seconds from the reference's zero; a positive shift means
the test's clock runs late (its onsets are ``shift`` seconds after the
reference's), and is subtracted from the test's onsets before matching.
"""

from plms.validation.metrics import (
    bland_altman,
    compare_events,
    compare_nights,
    estimate_shift,
    icc_a1,
)
from plms.validation.run import Validation, validate
from plms.validation.sleep import (
    EpochAgreement,
    SleepAgreement,
    SleepFigures,
    SleepNight,
    compare_epochs,
    compare_sleep,
)

__all__ = ["EpochAgreement", "SleepAgreement", "SleepFigures", "SleepNight", "Validation",
           "bland_altman", "compare_epochs", "compare_events", "compare_nights",
           "compare_sleep", "estimate_shift", "icc_a1", "validate"]
