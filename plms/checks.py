"""Checks of a run's options made before any work: the output folder, the unit.

Each answers with the problem as text (``None`` when there is none), so that
the command line can print it as one line (exit 2) and the Python API
(:mod:`plms.options`, :mod:`plms.batch`) raise it. This module sits low in the
layers (it reads only :mod:`plms.io`), so that the options and the batch
engines need nothing from the command line.
They import nothing heavy until called.
"""

from __future__ import annotations

import os
from pathlib import Path

_MODALITIES = ("auto", "emg", "accel")


def out_dir_problem(out: str | os.PathLike[str]) -> str | None:
    """Why ``out`` cannot be an output folder, or ``None`` when it can.

    It must be a folder, or be creatable: its nearest existing parent a folder
    this process may write in. Nothing is created here.

    >>> out_dir_problem(__file__)
    'it is a file, not a folder'
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        return "it is a file, not a folder"
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"it cannot be created: {existing} is a file, not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "write in it" if existing == path else f"create it in {existing}"
        return f"no permission to {what}"
    return None


def unit_problem(unit: str, modality: str = "auto") -> str | None:
    """Why ``unit`` is not a unit of the leg channels of ``modality``, or ``None``.

    EMG channels take a voltage, accelerometers an acceleration; ``auto``
    takes either.

    >>> unit_problem("mV"), unit_problem("mg", "accel")
    (None, None)
    >>> unit_problem("furlongs")
    "unknown unit 'furlongs'; allowed: uV, µV, mV, V, nV (EMG), g, mg, m/s^2 (accelerometer)"
    """
    from plms.errors import PlmsInputError
    from plms.io.accel.read import KNOWN_ACCEL_UNITS, accel_unit_scale
    from plms.io.psg.edf import KNOWN_UNITS, unit_scale

    kinds = {"emg": (unit_scale, KNOWN_UNITS, "EMG"),
             "accel": (accel_unit_scale, KNOWN_ACCEL_UNITS, "accelerometer")}
    if modality not in (*kinds, "auto"):
        raise ValueError(f"modality must be one of {', '.join(_MODALITIES)}, not {modality!r}")
    chosen = list(kinds.values()) if modality == "auto" else [kinds[modality]]
    for check, _, _ in chosen:
        try:
            check(unit)
        except PlmsInputError:
            continue
        return None
    allowed = ", ".join(f"{known} ({name})" for _, known, name in chosen)
    return f"unknown unit {unit!r}; allowed: {allowed}"


def annotations_problem(annotations: object, n_nights: int,
                        option: str = "--annotations") -> str | None:
    """Why ``annotations`` cannot be used for ``n_nights`` nights, or ``None``.

    One annotation file belongs to one night: with several nights it is refused.

    >>> annotations_problem("n1.xml", 2)
    '--annotations names one file, so it needs exactly one NIGHT'
    >>> annotations_problem("n1.xml", 2, option="annotations")
    'annotations names one file, so it needs exactly one night'
    >>> annotations_problem(None, 5) is None and annotations_problem("n1.xml", 1) is None
    True
    """
    if annotations is None or n_nights <= 1:
        return None
    night = "NIGHT" if option.startswith("--") else "night"
    return f"{option} names one file, so it needs exactly one {night}"
