"""Which channel of a recording is the ECG (cardiac artifact removal in the leg EMG).

Detection works on the labels, as for the legs (:mod:`plms.io.channels`); a
label given by the user (``--ecg``) wins.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from os import PathLike

from plms.errors import PlmsInputError
from plms.io.channels import _find_label, _listing

_ECG = re.compile(r"ecg|ekg")
#: ECG labels of a ready-made lead (bipolar), preferred over single electrodes.
_ECG_BIPOLAR = re.compile(r"^(?:ecg|ekg)(?:[\s._-]*(?:i|ii|iii|lead\s*[i]+))?$|-")
#: ECG-derived values that are not the ECG waveform.
_ECG_NOT_WAVEFORM = re.compile(r"rate|\bhr\b|bpm")
#: Below this rate an ECG is not used: its R peaks cannot be found (the QRS
#: energy reaches ~40 Hz, and the R-peak detector works at
#: :data:`plms.signal.emg.cardiac.R_DETECTION_RATE_HZ` = 128 Hz when it can).
MIN_ECG_RATE_HZ = 100.0
#: What happens to the legs when the ECG channel is not used.
_SCORED_WITHOUT = "the leg EMG was scored as for a recording without an ECG channel"


def choose_ecg_channel(
    labels: Sequence[str],
    ecg: str | None = None,
    path: str | PathLike[str] | None = None,
) -> str | None:
    """The ECG channel, or ``None`` when the recording has none.

    A ready-made lead (``ECG I``, ``ECG1-ECG2``, ``EKG``) is preferred over a
    single electrode (``ECG L``); among equals the first in the file wins.

    Examples
    --------
    >>> choose_ecg_channel(["ECG L", "ECG R", "ECG I", "LAT"])
    'ECG I'
    >>> choose_ecg_channel(["C3-M2", "LAT"]) is None
    True
    """
    labels = [str(lab) for lab in labels]
    if ecg is not None:
        found = _find_label(ecg, labels)
        if found is None:
            raise PlmsInputError(
                f"the channel {ecg!r} given by --ecg does not exist; "
                f"available labels: {_listing(labels)}",
                path=path,
            )
        return found
    cands = [
        lab for lab in labels
        if _ECG.search(lab.lower()) and not _ECG_NOT_WAVEFORM.search(lab.lower())
    ]
    if not cands:
        return None
    bipolar = [lab for lab in cands if _ECG_BIPOLAR.search(lab.strip().lower())]
    return (bipolar or cands)[0]


def ecg_not_used(label: str, reason: str) -> str:
    """The warning for an ECG channel that was not used, and why.

    >>> print(ecg_not_used("ECG", "no samples"))  # doctest: +NORMALIZE_WHITESPACE
    the ECG channel 'ECG' was not used: no samples; the leg EMG was scored as for a
    recording without an ECG channel
    """
    return f"the ECG channel {label!r} was not used: {reason}; {_SCORED_WITHOUT}"


def ecg_rate_warning(label: str, fs: float) -> str | None:
    """The warning for an ECG sampled too slowly to use (None: fast enough).

    Examples
    --------
    >>> ecg_rate_warning("ECG", 256.0) is None
    True
    >>> print(ecg_rate_warning("Airflow", 32.0))  # doctest: +NORMALIZE_WHITESPACE
    the ECG channel 'Airflow' was not used: it is sampled at 32 Hz, too slow to find heart
    beats (at least 100 Hz needed); the leg EMG was scored as for a recording without an ECG
    channel
    """
    if fs >= MIN_ECG_RATE_HZ:
        return None
    return ecg_not_used(label, f"it is sampled at {fs:g} Hz, too slow to find heart beats "
                               f"(at least {MIN_ECG_RATE_HZ:g} Hz needed)")


def ecg_unit_warning(label: str, unit: str, known_units: str) -> str:
    """The warning for an ECG whose unit is not a voltage (``--unit`` is the legs' only).

    >>> print(ecg_unit_warning("ECG", "bpm", "uV, mV, V"))  # doctest: +NORMALIZE_WHITESPACE
    the ECG channel 'ECG' was not used: its unit 'bpm' is not a voltage plms knows
    (uV, mV, V); the leg EMG was scored as for a recording without an ECG channel
    """
    reason = (f"its unit {unit!r} is not a voltage plms knows ({known_units})" if unit.strip()
              else f"the header gives it no unit (a voltage is needed: {known_units})")
    return ecg_not_used(label, reason)
