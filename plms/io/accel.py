"""Read leg accelerometer recordings (EDF/BDF, CSV, device files) in g.

One :class:`AccelRecording` holds one :class:`AccelSignal` per leg, keyed
``"left"``/``"right"``. The side of a device comes from its channel labels
(:mod:`plms.io.accel_labels`), else from the ``side`` option, else from a
side word ending the file name (``night-right.csv``); a recording of a
single device whose side is unknown is scored as the left leg, with a
warning saying so (give ``side`` to change it). A night recorded as one file
per ankle is read by :func:`plms.io.accel_pair.read_accel_pair`. Several devices without a
side are an error.

Every reader converts to g (1 g = 9.80665 m/s^2) and refuses values that
cannot be g: a worn accelerometer reads about 1 g of gravity, so a median
magnitude near 9.8 or 1000 means m/s^2 or mg labelled as g.

>>> from plms.io.accel import accel_unit_scale
>>> accel_unit_scale("mg"), round(accel_unit_scale("m/s^2"), 5)
(0.001, 0.10197)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io._edfformat import EdfHeader, SignalHeader, read_header
from plms.io._readers import LibraryFile
from plms.io.accel_labels import (
    DeviceChannels,
    Side,
    assign_sides,
    find_accel_channels,
    group_devices,
    select_accel_channels,
    side_from_name,
)
from plms.io.channels import is_leg_label
from plms.io.edf import time_keeping
from plms.io.edf_annotations import annotations_from_tal
from plms.io.names import ACCEL_CSV_SUFFIXES, ACCEL_DEVICE_SUFFIXES, EDF_SUFFIXES

#: Standard gravity: m/s^2 in one g.
STANDARD_GRAVITY = 9.80665
#: Factor from each acceleration unit to g (keys compared lower-case, spaces removed).
_TO_G = {
    "g": 1.0, "mg": 1e-3,
    **{u: 1.0 / STANDARD_GRAVITY for u in (
        "m/s^2", "m/s2", "m/s\u00b2", "m/s/s", "ms^-2", "ms-2", "m*s^-2", "m.s-2", "m.s^-2")},
}
KNOWN_ACCEL_UNITS = "g, mg, m/s^2"
#: Clipped share above which a warning is given, and above which the signal is refused.
CLIPPED_WARNING_FRACTION = 1e-3
CLIPPED_ERROR_FRACTION = 0.5
#: A worn accelerometer's median magnitude (gravity) lies in this band, in g.
PLAUSIBLE_MAGNITUDE_G = (0.5, 2.0)
#: Measuring ranges of accelerometers, g, and how close a peak must be to one to be a limit.
STANDARD_RANGES_G = (2.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 200.0)
RANGE_MATCH_TOLERANCE = 0.03
#: Relative rounding within which a sample is at the peak (values stored as text).
PEAK_RTOL = 1e-6
#: Samples at the peak needed before a peak counts as a clipping limit.
MIN_CLIPPED_SAMPLES = 3
#: Samples the plausibility check looks at (a regular subsample of longer recordings).
PLAUSIBILITY_SAMPLES = 100_000
#: A single axis whose median absolute value exceeds this cannot be in g.
PLAUSIBLE_AXIS_MAX_G = 2.0
#: Below this rate a leg movement (0.5 s at least) spans too few samples.
MIN_ACCEL_RATE_HZ = 10.0
#: Suffixes of the readers of :func:`read_accel` (defined in :mod:`plms.io.names`).
CSV_SUFFIXES = ACCEL_CSV_SUFFIXES
DEVICE_SUFFIXES = ACCEL_DEVICE_SUFFIXES


@dataclass(frozen=True, eq=False)
class AccelSignal:
    """The acceleration of one device (one leg), in g.

    Attributes
    ----------
    label : str
        Device name: the labels' common part (e.g. ``"Ankle L"``).
    side : {"left", "right"} or None
    data : ndarray of float32, shape (n, k)
        Samples in g (read-only); k = 3 axes, 2, or 1 (one axis or a magnitude).
    axes : tuple of str
        Axis of each column: ``"x"``, ``"y"``, ``"z"`` or ``"mag"``.
    channel_labels : tuple of str
        The channel or column each axis was read from.
    fs : float
        Sampling rate in Hz.
    unit : str
        Unit as written in the file (or as given).
    clipped_fraction : float
        Share of samples with an axis at the range limits (0 when unknown).
    range_g : float or None
        Measuring range (largest absolute value) in g, when the file says.
    """

    label: str
    side: Side | None
    data: npt.NDArray[np.float32]
    axes: tuple[str, ...]
    channel_labels: tuple[str, ...]
    fs: float
    unit: str
    clipped_fraction: float = 0.0
    range_g: float | None = None

    @property
    def duration_s(self) -> float:
        """Length of the signal in seconds."""
        return self.data.shape[0] / self.fs


@dataclass(frozen=True, eq=False)
class AccelRecording:
    """The leg accelerometers of one recording.

    ``signals`` maps ``"left"``/``"right"`` to the device on that leg (one or
    both). ``start`` is ``None`` when the file has no clock time.
    """

    path: Path
    start: dt.datetime | None
    duration_s: float
    signals: dict[str, AccelSignal]
    annotations: Annotations = field(default_factory=Annotations)
    file_type: str = "EDF"
    warnings: tuple[str, ...] = ()


def accel_unit_scale(unit: str) -> float:
    """Factor that converts values in ``unit`` to g.

    Raises
    ------
    PlmsInputError
        Not an acceleration unit plms knows.

    >>> accel_unit_scale("G"), accel_unit_scale(" m/s\u00b2 ") == 1 / STANDARD_GRAVITY
    (1.0, True)
    """
    key = "".join(str(unit).split()).lower()
    if key not in _TO_G:
        raise PlmsInputError(f"unknown acceleration unit {unit!r} (known: {KNOWN_ACCEL_UNITS})")
    return _TO_G[key]


def _unit_hint(value_g: float, unit: str) -> str:
    """Which unit would bring a median magnitude ``value_g`` near 1 g."""
    low, high = PLAUSIBLE_MAGNITUDE_G
    for factor, name in ((1 / STANDARD_GRAVITY, "m/s^2"), (1e-3, "mg"), (STANDARD_GRAVITY, "g"),
                         (1e3, "g")):
        if low <= value_g * factor <= high and name != unit:
            return f"looks like {name} labelled as {unit}; give the unit (unit=/--unit {name})"
    return "check the unit (unit=/--unit) and that gravity was not filtered out"


def plausibility_problem(data_g: npt.NDArray[np.floating], axes: Sequence[str],
                         label: str, unit: str) -> str | None:
    """Why ``data_g`` cannot be acceleration in g, or None if it can.

    >>> plausibility_problem(np.full((10, 3), 9.80665 / 3 ** 0.5), "xyz", "Acc", "g")[:50]
    "accelerometer 'Acc' has a median magnitude of 9.81"
    """
    if data_g.shape[0] == 0:
        return None
    # a regular subsample of about PLAUSIBILITY_SAMPLES samples tells the median as well
    data_g = data_g[:: max(1, data_g.shape[0] // PLAUSIBILITY_SAMPLES)]
    low, high = PLAUSIBLE_MAGNITUDE_G
    if set(axes) >= {"x", "y", "z"} or tuple(axes) == ("mag",):
        columns = [axes.index(a) for a in ("x", "y", "z")] if "x" in axes else [0]
        value = float(np.median(np.linalg.norm(data_g[:, columns], axis=1)))
        if low <= value <= high:
            return None
        what = "median magnitude"
    else:
        value = float(np.max(np.median(np.abs(data_g), axis=0)))
        if value <= PLAUSIBLE_AXIS_MAX_G:
            return None
        what = "median absolute value"
    return (f"accelerometer {label!r} has a {what} of {value:.3g} g where a worn "
            f"accelerometer reads about 1 g (gravity): it {_unit_hint(value, unit)}")


def clipped_at_range(data_g: npt.ArrayLike) -> tuple[float, float | None]:
    """Share of samples stuck at a standard measuring range, and that range (g).

    For files that do not state their range (CSV, some device exports): a
    sample is clipped when an axis sits exactly at its largest absolute value
    and that value is a standard accelerometer range (:data:`STANDARD_RANGES_G`,
    within :data:`RANGE_MATCH_TOLERANCE`) reached by at least
    :data:`MIN_CLIPPED_SAMPLES` samples.

    Examples
    --------
    >>> x = np.zeros((1000, 3)); x[:, 2] = 1.0; x[10:40, 0] = 8.0
    >>> clipped_at_range(x)
    (0.03, 8.0)
    >>> clipped_at_range(np.full((100, 3), 0.5))
    (0.0, None)
    """
    data = np.asarray(data_g, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.size == 0:
        return 0.0, None
    clipped = np.zeros(data.shape[0], dtype=bool)
    found: float | None = None
    for k in range(data.shape[1]):
        column = np.abs(data[:, k])
        peak = float(np.nanmax(column)) if np.isfinite(column).any() else 0.0
        ranges = [r for r in STANDARD_RANGES_G if abs(peak - r) <= RANGE_MATCH_TOLERANCE * r]
        at_peak = column >= peak * (1.0 - PEAK_RTOL)
        if ranges and int(at_peak.sum()) >= MIN_CLIPPED_SAMPLES:
            clipped |= at_peak
            found = max(found or 0.0, ranges[0])
    return float(clipped.mean()), found


def make_signal(
    *, label: str, side: Side | None, data_g: npt.ArrayLike, axes: Sequence[str],
    channel_labels: Sequence[str], fs: float, unit: str, path: str | PathLike[str] | None,
    clipped_fraction: float = 0.0, range_g: float | None = None,
) -> tuple[AccelSignal, list[str]]:
    """Check one device's data in g and wrap it; returns the signal and warnings.

    Raises
    ------
    PlmsInputError
        Rate too low, more than half the samples clipped, or values that
        cannot be g.
    """
    data = np.asarray(data_g, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    if fs < MIN_ACCEL_RATE_HZ:
        raise PlmsInputError(
            f"accelerometer {label!r} is sampled at {fs:g} Hz; at least "
            f"{MIN_ACCEL_RATE_HZ:g} Hz is needed to see leg movements", path=path)
    if clipped_fraction > CLIPPED_ERROR_FRACTION:
        raise PlmsInputError(
            f"accelerometer {label!r} is at its range limits in {clipped_fraction:.0%} of "
            "the samples: the signal is clipped", path=path)
    notes = []
    if clipped_fraction > CLIPPED_WARNING_FRACTION:
        notes.append(f"accelerometer {label!r} is at its range limits in "
                     f"{clipped_fraction:.2%} of the samples (clipped)")
    problem = plausibility_problem(data, tuple(axes), label, unit)
    if problem is not None:
        raise PlmsInputError(problem, path=path)
    if len(axes) == 1:
        notes.append(f"accelerometer {label!r} has a single axis ({axes[0]}): rotation of "
                     "the leg cannot be seen from a single axis")
    elif len(axes) == 2:
        notes.append(f"accelerometer {label!r} has only two axes ({', '.join(axes)})")
    data.setflags(write=False)
    signal = AccelSignal(
        label=label, side=side, data=data, axes=tuple(axes),
        channel_labels=tuple(channel_labels), fs=float(fs), unit=unit,
        clipped_fraction=float(clipped_fraction), range_g=range_g,
    )
    return signal, notes


def _signal_header(header: EdfHeader, label: str) -> SignalHeader:
    matches = [s for s in header.ordinary_signals if s.label == label]
    if len(matches) != 1:
        raise PlmsInputError(f"the label {label!r} occurs {len(matches)} times in the file; "
                             "plms cannot tell these channels apart", path=header.path)
    return matches[0]


def _read_axis(header: EdfHeader, sig: SignalHeader, unit: str | None,
               source: LibraryFile) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_],
                                            float]:
    """One axis in g, its clipped samples, and the range in g."""
    used = sig.unit if unit is None else unit
    if not used.strip():
        raise PlmsInputError(f"channel {sig.label!r} has no physical unit in the header; "
                             f"give it with unit=/--unit ({KNOWN_ACCEL_UNITS})", path=header.path)
    try:
        scale = accel_unit_scale(used)
    except PlmsInputError:
        raise PlmsInputError(
            f"channel {sig.label!r} has the unit {used!r}, which is not an acceleration unit "
            f"({KNOWN_ACCEL_UNITS}); if it holds acceleration, give the unit with unit=/--unit",
            path=header.path) from None
    if sig.digital_max <= sig.digital_min or sig.physical_max == sig.physical_min:
        raise PlmsInputError(f"channel {sig.label!r} has an unusable calibration (digital "
                             f"{sig.digital_min}..{sig.digital_max}, physical "
                             f"{sig.physical_min:g}..{sig.physical_max:g})", path=header.path)
    digital = source.digital(sig)
    gain = (sig.physical_max - sig.physical_min) / (sig.digital_max - sig.digital_min)
    offset = sig.physical_min - sig.digital_min * gain
    data = np.multiply(digital, np.float32(gain * scale), dtype=np.float32)
    data += np.float32(offset * scale)
    clipped = (digital <= sig.digital_min) | (digital >= sig.digital_max)
    range_g = max(abs(sig.physical_min), abs(sig.physical_max)) * scale
    return data, clipped, range_g


def _read_device(header: EdfHeader, device: DeviceChannels, side: Side, unit: str | None,
                 source: LibraryFile) -> tuple[AccelSignal, list[str]]:
    sigs = [_signal_header(header, lab) for lab in device.labels]
    if len(set(device.axes)) != len(device.axes):
        raise PlmsInputError(f"accelerometer {device.name!r} has the same axis twice "
                             f"({', '.join(device.labels)}); choose with channels=",
                             path=header.path)
    rates = {header.sampling_rate(s) for s in sigs}
    if len(rates) > 1:
        raise PlmsInputError(
            f"the axes of accelerometer {device.name!r} have different sampling rates ("
            + ", ".join(f"{s.label} {header.sampling_rate(s):g} Hz" for s in sigs) + ")",
            path=header.path)
    columns = [_read_axis(header, s, unit, source) for s in sigs]
    clipped = np.any(np.stack([c[1] for c in columns]), axis=0)
    return make_signal(
        label=device.name, side=side, data_g=np.stack([c[0] for c in columns], axis=1),
        axes=device.axes, channel_labels=device.labels, fs=rates.pop(),
        unit=unit or sigs[0].unit, path=header.path,
        clipped_fraction=float(clipped.mean()) if clipped.size else 0.0,
        range_g=max(c[2] for c in columns),
    )


def read_accel_edf(
    path: str | PathLike[str], *, side: str | None = None,
    channels: Sequence[str] | None = None, unit: str | None = None,
    read_annotations: bool = True,
) -> AccelRecording:
    """Read the leg accelerometers of an EDF, EDF+ or BDF file.

    Parameters
    ----------
    path : path-like
    side : {"left", "right"}, optional
        Leg of a device whose labels carry no side (else the side word ending the
        file name, ``night_R.edf``, else left).
    channels : sequence of str, optional
        Labels of the accelerometer channels, overriding detection.
    unit : str, optional
        Unit of the accelerometer channels (g, mg, m/s^2), overriding the header.
    read_annotations : bool
        Also read the EDF+ annotations (hypnogram, events).

    Raises
    ------
    PlmsInputError
        No accelerometer channel; an axis in a unit that is not acceleration;
        axes of one device at different rates; more than half clipped; values
        that cannot be g; two devices on a leg; any problem with the file.
    """
    path = Path(path)
    if unit is not None:
        try:
            accel_unit_scale(unit)  # refuse an unknown unit before reading
        except PlmsInputError as exc:
            raise exc.with_path(path) from None
    header = read_header(path)
    labels = [s.label for s in header.ordinary_signals]
    devices = group_devices(select_accel_channels(labels, channels, path))
    named = side_from_name(path.stem)
    placed, notes = assign_sides(devices, lambda d: d.side, lambda d: d.name, side, path,
                                 name_side=named[1] if named else None)
    start_offset, time_notes = time_keeping(header)
    notes += time_notes
    with_annotations = read_annotations and bool(header.annotation_signals)
    signals: dict[str, AccelSignal] = {}
    with LibraryFile(header, annotations=with_annotations) as source:
        for leg, device in placed.items():
            signals[leg], device_notes = _read_device(header, device, leg, unit, source)
            notes += device_notes
        annotations = Annotations(source=str(path))
        if with_annotations:
            annotations = annotations_from_tal(
                source.annotations(), duration_s=header.duration_s, source=str(path))
    return AccelRecording(
        path=path, start=header.start + dt.timedelta(seconds=start_offset),
        duration_s=header.duration_s, signals=signals, annotations=annotations,
        file_type=header.file_type, warnings=tuple(notes),
    )


def read_accel(
    path: str | PathLike[str], *, side: str | None = None, unit: str | None = None,
    fs: float | None = None, **kwargs: Any,
) -> AccelRecording:
    """Read an accelerometer recording with the reader its suffix calls for.

    ``.edf``/``.bdf``/``.rec``: :func:`read_accel_edf`; ``.csv``/``.tsv``/
    ``.txt``: :func:`~plms.io.accel_csv.read_accel_csv`; ``.cwa``/``.bin``/
    ``.gt3x``: :func:`~plms.io.accel_devices.read_accel_device`. ``side``
    goes to every reader; ``unit`` to the EDF reader (None: the header's)
    and the CSV reader (None: g); ``fs`` to the CSV reader. Where ``fs`` or
    ``unit`` do not apply (the file states them) they are ignored with a
    warning. Other keyword arguments go to the reader as they are.

    >>> read_accel("night.xyz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    plms.errors.PlmsInputError: night.xyz: not an accelerometer file plms reads (.edf, ...)
    """
    suffix = Path(path).suffix.lower()
    ignored = []
    if suffix in EDF_SUFFIXES:
        rec = read_accel_edf(path, side=side, unit=unit, **kwargs)
    elif suffix in CSV_SUFFIXES:
        from plms.io.accel_csv import read_accel_csv

        return read_accel_csv(path, side=side, unit=unit or "g", fs=fs, **kwargs)
    elif suffix in DEVICE_SUFFIXES:
        from plms.io.accel_devices import read_accel_device

        named = side_from_name(Path(path).stem)
        rec = read_accel_device(path, side=side or (named[1] if named else None), **kwargs)
        if unit is not None and accel_unit_scale(unit) != 1.0:
            ignored.append(f"the unit {unit!r} was ignored: device files are read in g")
    else:
        known = ", ".join(EDF_SUFFIXES + CSV_SUFFIXES + DEVICE_SUFFIXES)
        raise PlmsInputError(f"not an accelerometer file plms reads ({known})", path=path)
    if fs is not None:
        ignored.append(f"the sampling rate {fs:g} Hz given was ignored: the file states its own")
    return replace(rec, warnings=rec.warnings + tuple(ignored)) if ignored else rec


def looks_like_accel(path: str | PathLike[str]) -> bool:
    """Whether ``path`` is an accelerometer recording rather than a PSG with leg EMG.

    An EDF/BDF file is one when it has accelerometer channels and no leg EMG
    channel (a header that cannot be read is not); CSV and device files are.

    >>> looks_like_accel("night.cwa"), looks_like_accel("notes.pdf")
    (True, False)
    """
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES or suffix in DEVICE_SUFFIXES:
        return True
    if suffix not in EDF_SUFFIXES:
        return False
    try:
        labels = [s.label for s in read_header(path).ordinary_signals]
    except PlmsInputError:
        return False
    return bool(find_accel_channels(labels)) and not any(is_leg_label(lab) for lab in labels)
