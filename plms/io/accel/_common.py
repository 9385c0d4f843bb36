"""What the accelerometer readers share: the signal and recording types, units in g,
clipping and plausibility checks.

:mod:`plms.io.accel.read` (EDF/BDF), :mod:`plms.io.accel.csv` and
:mod:`plms.io.accel.devices` all build on this module, which imports none of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import numpy.typing as npt

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.accel.labels import Side
from plms.io.names import ACCEL_CSV_SUFFIXES, ACCEL_DEVICE_SUFFIXES

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
#: Rows a lazy signal reads at a time for a strided slice.
LAZY_READ_ROWS = 1 << 18
#: A single axis whose median absolute value exceeds this cannot be in g.
PLAUSIBLE_AXIS_MAX_G = 2.0
#: Below this rate a leg movement (0.5 s at least) spans too few samples.
MIN_ACCEL_RATE_HZ = 10.0
#: Suffixes of the readers of :func:`read_accel` (defined in :mod:`plms.io.names`).
CSV_SUFFIXES = ACCEL_CSV_SUFFIXES
DEVICE_SUFFIXES = ACCEL_DEVICE_SUFFIXES


class LazyAxes:
    """Samples x axes in g (float32) of one device, read from the file when asked for.

    Stands for the ``data`` array of an :class:`AccelSignal` read with
    ``lazy=True``: row slices (``data[a:b]``, ``data[a:b:k]``, ``data[a:b, j]``)
    read just that stretch, ``np.asarray(data)`` reads everything; the values
    are those of the array a whole read gives.

    Parameters
    ----------
    n, k : int
        Samples and axes.
    read : callable
        ``read(start, stop)`` -> float32 array (stop - start, k) of samples ``start:stop``.
    """

    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, n: int, k: int, read: Callable[[int, int], npt.NDArray[np.float32]]
                 ) -> None:
        self.shape = (int(n), int(k))
        self.size = self.shape[0] * self.shape[1]
        self._read = read

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: slice | tuple[slice, int | slice]) -> npt.NDArray[np.float32]:
        rows, cols = (key if isinstance(key, tuple) else (key, slice(None)))
        if not isinstance(rows, slice):
            raise TypeError("LazyAxes takes slices of rows only")
        start, stop, step = rows.indices(self.shape[0])
        if step < 1:
            raise ValueError("LazyAxes takes forward slices only")
        data = self._read(start, max(start, stop)) if step == 1 else np.concatenate(
            [self._read(a, min(stop, a + LAZY_READ_ROWS // step * step))[::step]
             for a in range(start, stop, max(step, LAZY_READ_ROWS // step * step))]
            or [np.zeros((0, self.shape[1]), dtype=np.float32)])
        return data[:, cols]

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
                  ) -> npt.NDArray[np.float32]:
        """All the samples at once."""
        data = self._read(0, self.shape[0])
        return data if dtype is None else data.astype(dtype)


@dataclass(frozen=True, eq=False)
class AccelSignal:
    """The acceleration of one device (one leg), in g.

    Attributes
    ----------
    label : str
        Device name: the labels' common part (e.g. ``"Ankle L"``).
    side : {"left", "right"} or None
    data : ndarray of float32, shape (n, k), or LazyAxes
        Samples in g (read-only); k = 3 axes, 2, or 1 (one axis or a magnitude).
        Read on demand (:class:`LazyAxes`, same values) when the recording
        was read with ``lazy=True``.
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
    data: npt.NDArray[np.float32] | LazyAxes
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


def thinning_step(n: int) -> int:
    """Step of the regular subsample of ``n`` samples the plausibility check looks at.

    >>> thinning_step(50_000), thinning_step(2_880_000)
    (1, 28)
    """
    return max(1, n // PLAUSIBILITY_SAMPLES)


def plausibility_problem(data_g: npt.NDArray[np.floating], axes: Sequence[str],
                         label: str, unit: str, *, thinned: bool = False) -> str | None:
    """Why ``data_g`` cannot be acceleration in g, or None if it can.

    ``thinned``: ``data_g`` is already the subsample ``[::thinning_step(n)]``
    of the ``n`` samples (a signal read in chunks).

    >>> plausibility_problem(np.full((10, 3), 9.80665 / 3 ** 0.5), "xyz", "Acc", "g")[:50]
    "accelerometer 'Acc' has a median magnitude of 9.81"
    """
    if data_g.shape[0] == 0:
        return None
    # a regular subsample of about PLAUSIBILITY_SAMPLES samples tells the median as well
    if not thinned:
        data_g = data_g[:: thinning_step(data_g.shape[0])]
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


def _abs_peak(column: npt.NDArray[np.float64]) -> float:
    """Largest absolute value, NaN left out (0 when every sample is NaN; inf with an inf)."""
    high, low = np.fmax.reduce(column), np.fmin.reduce(column)
    return 0.0 if np.isnan(high) else max(float(high), -float(low))


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
        column = data[:, k]
        peak = _abs_peak(column)
        ranges = [r for r in STANDARD_RANGES_G if abs(peak - r) <= RANGE_MATCH_TOLERANCE * r]
        if not ranges:  # no limit to be stuck at: nothing of this axis is clipped
            continue
        at_peak = np.abs(column) >= peak * (1.0 - PEAK_RTOL)
        if int(at_peak.sum()) >= MIN_CLIPPED_SAMPLES:
            clipped |= at_peak
            found = max(found or 0.0, ranges[0])
    return float(clipped.mean()), found


def signal_notes(*, label: str, axes: Sequence[str], fs: float, unit: str,
                 path: str | PathLike[str] | None, clipped_fraction: float,
                 thinned: npt.NDArray[np.floating]) -> list[str]:
    """The checks of one device's data in g, and its warnings.

    ``thinned`` is the data's regular subsample ``[::thinning_step(n)]``
    (:func:`plausibility_problem`).

    Raises
    ------
    PlmsInputError
        Rate too low, more than half the samples clipped, or values that
        cannot be g.
    """
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
    problem = plausibility_problem(thinned, tuple(axes), label, unit, thinned=True)
    if problem is not None:
        raise PlmsInputError(problem, path=path)
    if len(axes) == 1:
        notes.append(f"accelerometer {label!r} has a single axis ({axes[0]}): rotation of "
                     "the leg cannot be seen from a single axis")
    elif len(axes) == 2:
        notes.append(f"accelerometer {label!r} has only two axes ({', '.join(axes)})")
    return notes


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
        cannot be g (:func:`signal_notes`).
    """
    data = np.asarray(data_g, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    notes = signal_notes(label=label, axes=axes, fs=fs, unit=unit, path=path,
                         clipped_fraction=clipped_fraction,
                         thinned=data[:: thinning_step(data.shape[0])])
    data.setflags(write=False)
    signal = AccelSignal(
        label=label, side=side, data=data, axes=tuple(axes),
        channel_labels=tuple(channel_labels), fs=float(fs), unit=unit,
        clipped_fraction=float(clipped_fraction), range_g=range_g,
    )
    return signal, notes
