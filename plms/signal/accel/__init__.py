"""Leg movements and sleep/wake from ankle accelerometers.

See RULES.md section 6 and ``docs/ACCEL.md``.
"""

from plms.signal.accel.detect import (
    ACCEL_LM_COLUMNS,
    AccelDetection,
    AccelDetectorSettings,
    accel_activity,
    detect_lm_accel,
)
from plms.signal.accel.sleepwake import SleepWakeEstimate, SleepWakeSettings, estimate_sleep_wake

__all__ = [
    "ACCEL_LM_COLUMNS",
    "AccelDetection",
    "AccelDetectorSettings",
    "SleepWakeEstimate",
    "SleepWakeSettings",
    "accel_activity",
    "detect_lm_accel",
    "estimate_sleep_wake",
]
