"""Write a simulated accelerometer night as the files wearables and labs exchange.

- :func:`write_accel_edf`: EDF+ (via edfio), one channel per ankle and axis,
  the hypnogram and lights markers as annotations;
- :func:`write_accel_csv`: one ankle as ``timestamp`` (or ``sample``), ``x, y, z`` in g;
- :func:`write_accel_truth_tsv`: the truth leg movements, BIDS-style;
- :func:`write_accel_hypnogram_xml`: the hypnogram as an NSRR XML sidecar.

Every writer replaces its target atomically.

>>> import tempfile, pathlib
>>> from plms.simulate.accel import AccelSpec, simulate_accel_night
>>> night = simulate_accel_night(0, AccelSpec(duration_h=0.02, fs_hz=25, sides=("left",)))
>>> with tempfile.TemporaryDirectory() as d:
...     p = write_accel_csv(night, pathlib.Path(d) / "left.csv", "left")
...     p.read_text().splitlines()[0]
'timestamp,x,y,z'
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import edfio
import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.outputs.atomic import atomic_path
from plms.outputs.edf_plus import EDF_DIGITAL, hypnogram_annotations
from plms.outputs.nsrr_xml import nsrr_event, nsrr_root, nsrr_stage_events, write_xml
from plms.simulate.accel import SimulatedAccelNight
from plms.simulate.accel_motion import G_MS2

AccelUnit = Literal["g", "mg", "m/s^2"]
LabelStyle = Literal["ankle", "acc"]
TimeColumn = Literal["timestamp", "index"]

#: Physical units and their factor from g.
UNIT_PER_G: dict[str, float] = {"g": 1.0, "mg": 1000.0, "m/s^2": G_MS2}
AXES = ("X", "Y", "Z")
#: Recording start written in headers and CSV timestamps (local wall-clock time).
DEFAULT_START = datetime(2024, 1, 1, 22, 30, 0)
#: EDF data record length, s.
RECORD_S = 1.0
#: Decimals of the CSV samples (well below the 12-bit step of ~4 mg at +-8 g).
CSV_DECIMALS = 6
MS_PER_S = 1000.0


def channel_labels(night: SimulatedAccelNight, label_style: LabelStyle = "ankle") -> list[str]:
    """EDF labels in file order: ``Ankle L X`` ... or ``ACC X`` (one side only)."""
    if label_style == "ankle":
        return [f"{label} {axis}" for label in night.sides.values() for axis in AXES]
    if label_style == "acc":
        if len(night.sides) != 1:
            raise ValueError("label_style='acc' needs a one-sided night "
                             f"(got sides {sorted(night.sides)})")
        return [f"ACC {axis}" for axis in AXES]
    raise ValueError(f"label_style must be 'ankle' or 'acc', got {label_style!r}")


def _factor(unit: str) -> float:
    if unit not in UNIT_PER_G:
        raise ValueError(f"unit must be one of {', '.join(UNIT_PER_G)}, got {unit!r}")
    return UNIT_PER_G[unit]


def write_accel_edf(night: SimulatedAccelNight, path: str | os.PathLike[str], *,
                    unit: AccelUnit = "g", label_style: LabelStyle = "ankle",
                    annotations: bool = True, start: datetime | None = None) -> Path:
    """Write ``night`` as one EDF+ file, three channels per ankle.

    Parameters
    ----------
    night : SimulatedAccelNight
    path : path-like
        Target ``.edf``; replaced atomically.
    unit : {"g", "mg", "m/s^2"}
        Physical dimension of the channels; the 16-bit range spans the sensor range.
    label_style : {"ankle", "acc"}
        ``Ankle L X`` labels, or ``ACC X`` for a one-sided night.
    annotations : bool
        Write the hypnogram (and lights markers) as EDF+ annotations.
    start : datetime, optional
        Recording start (default :data:`DEFAULT_START`).

    Returns
    -------
    Path
    """
    factor = _factor(unit)
    labels = channel_labels(night, label_style)
    top = night.spec.range_g * factor
    signals = []
    names = iter(labels)
    for data in night.signals.values():
        for axis in range(len(AXES)):
            signals.append(edfio.EdfSignal(
                np.clip(data[:, axis] * factor, -top, top), night.fs, label=next(names),
                transducer_type="accelerometer", physical_dimension=unit,
                physical_range=(-top, top), digital_range=EDF_DIGITAL))
    items = hypnogram_annotations(night.hypnogram) if annotations else []
    stamp = start or DEFAULT_START
    edf = edfio.Edf(
        signals,
        patient=edfio.Patient(code=f"SIM{night.seed}"),
        recording=edfio.Recording(startdate=stamp.date(), equipment_code="plms.simulate"),
        starttime=stamp.time(), data_record_duration=RECORD_S,
        annotations=[edfio.EdfAnnotation(on, du if du >= 0 else None, text)
                     for on, du, text in items],
    )
    final = Path(path)
    with atomic_path(final) as tmp:
        edf.write(tmp)
    return final


def timestamps(n: int, fs: float, start: datetime | None = None) -> npt.NDArray[np.str_]:
    """ISO 8601 timestamps with milliseconds of ``n`` samples at ``fs`` Hz."""
    base = np.datetime64(start or DEFAULT_START, "ms")
    offsets = np.rint(np.arange(n) * (MS_PER_S / fs)).astype("timedelta64[ms]")
    return np.datetime_as_string(base + offsets, unit="ms")


def write_accel_csv(night: SimulatedAccelNight, path: str | os.PathLike[str], side: str, *,
                    time: TimeColumn = "timestamp", start: datetime | None = None) -> Path:
    """Write one ankle as CSV: ``timestamp`` (or ``sample``), then ``x, y, z`` in g.

    Parameters
    ----------
    night : SimulatedAccelNight
    path : path-like
    side : {"left", "right"}
        A side of ``night``.
    time : {"timestamp", "index"}
        ISO 8601 times with ms from ``start`` or a 0-based ``sample`` number.
    start : datetime, optional
        Time of the first sample (default :data:`DEFAULT_START`).
    """
    data = night.signals[night.label_of(side)]
    first: tuple[str, npt.NDArray[Any]]
    if time == "timestamp":
        first = ("timestamp", timestamps(data.shape[0], night.fs, start))
    elif time == "index":
        first = ("sample", np.arange(data.shape[0]))
    else:
        raise ValueError(f"time must be 'timestamp' or 'index', got {time!r}")
    table = pd.DataFrame({first[0]: first[1], "x": data[:, 0], "y": data[:, 1],
                          "z": data[:, 2]})
    final = Path(path)
    with atomic_path(final) as tmp:
        table.to_csv(tmp, index=False, float_format=f"%.{CSV_DECIMALS}f")
    return final


def write_accel_truth_tsv(night: SimulatedAccelNight, path: str | os.PathLike[str]) -> Path:
    """Write the truth leg movements as a BIDS-style events.tsv (onset, duration first).

    The same file as :func:`plms.simulate.write_truth_tsv` writes for a PSG
    night, with the accelerometer truth's extra columns.
    """
    from plms.simulate.export import write_truth_tsv

    return write_truth_tsv(night, path)


def write_accel_hypnogram_xml(night: SimulatedAccelNight, path: str | os.PathLike[str], *,
                              start: datetime | None = None) -> Path:
    """Write the truth hypnogram as an NSRR XML sidecar (stages as runs of epochs)."""
    stamp = start or DEFAULT_START
    root, events = nsrr_root(night.hypnogram.epoch_s, "plms.simulate accel")
    nsrr_event(events, "", "Recording Start Time", 0.0, night.duration_s,
               clock=stamp.strftime("00.00.00 %H.%M.%S"))
    nsrr_stage_events(events, night.hypnogram)
    return write_xml(root, path)

