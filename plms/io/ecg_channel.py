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
