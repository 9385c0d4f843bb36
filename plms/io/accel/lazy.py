"""Open an accelerometer recording of any format for windows and chunks in bounded memory.

:func:`open_accel` is the dispatcher: EDF/EDF+/BDF files are opened lazily
(:class:`~plms.io.accel.source.AccelSource` reads the data records of the
stretch asked for); CSV and device files are read whole by
:func:`~plms.io.accel.read.read_accel`, and their windows and chunks are
slices in memory (the same interface, not the same memory bound).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from plms.io.accel.read import read_accel
from plms.io.accel.source import AccelSource, open_accel_edf, sample_index
from plms.io.names import EDF_SUFFIXES

__all__ = ["AccelSource", "open_accel", "open_accel_edf", "sample_index"]


def open_accel(path: str | PathLike[str], *, side: str | None = None,
               unit: str | None = None) -> AccelSource:
    """Open an accelerometer recording for windows and chunks in bounded memory.

    EDF/EDF+/BDF: the header and annotations are read now, the samples when a
    window or chunk asks for them (:func:`open_accel_edf`). CSV and device
    files are read whole (:func:`~plms.io.accel.read.read_accel`) and sliced.

    Parameters
    ----------
    path : path-like
    side : {"left", "right"}, optional
        Leg of a device whose labels carry no side (as :func:`~plms.io.accel.read.read_accel`).
    unit : str, optional
        Unit of the acceleration, overriding the header (EDF) or the default g (CSV).
    """
    if Path(path).suffix.lower() in EDF_SUFFIXES:
        return open_accel_edf(path, side=side, unit=unit)
    rec = read_accel(path, side=side, unit=unit)
    return AccelSource(rec.path, rec.start, rec.duration_s, rec.annotations, rec.file_type,
                       rec.warnings, signals=dict(rec.signals))
