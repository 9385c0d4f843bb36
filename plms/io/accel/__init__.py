"""Ankle accelerometer recordings: EDF/BDF, CSV and device files, read in g.

The shared types and checks live in :mod:`~plms.io.accel._common`; each format
has its reader (:mod:`~plms.io.accel.read` for EDF/BDF and the dispatcher,
:mod:`~plms.io.accel.csv`, :mod:`~plms.io.accel.devices`), a recording opened for
windows and chunks in bounded memory by :func:`~plms.io.accel.lazy.open_accel`
(:mod:`~plms.io.accel.source`), one file per ankle
is paired by :mod:`~plms.io.accel.pair`, and channel labels are parsed by
:mod:`~plms.io.accel.labels`.
"""

from plms.io.accel._common import AccelRecording, AccelSignal, accel_unit_scale
from plms.io.accel.csv import read_accel_csv
from plms.io.accel.devices import read_accel_device
from plms.io.accel.labels import accel_axis_side, is_accel_label
from plms.io.accel.lazy import AccelSource, open_accel
from plms.io.accel.pair import read_accel_pair
from plms.io.accel.read import looks_like_accel, read_accel, read_accel_edf

__all__ = [
    "AccelRecording",
    "AccelSource",
    "AccelSignal",
    "accel_axis_side",
    "accel_unit_scale",
    "is_accel_label",
    "looks_like_accel",
    "open_accel",
    "read_accel",
    "read_accel_csv",
    "read_accel_device",
    "read_accel_edf",
    "read_accel_pair",
]
