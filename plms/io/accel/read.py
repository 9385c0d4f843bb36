"""Read leg accelerometer recordings (EDF/BDF, CSV, device files) in g.

One :class:`AccelRecording` holds one :class:`AccelSignal` per leg, keyed
``"left"``/``"right"``. The side of a device comes from its channel labels
(:mod:`plms.io.accel.labels`), else from the ``side`` option, else from a
side word ending the file name (``night-right.csv``); a recording of a
single device whose side is unknown is scored as the left leg, with a
warning saying so (give ``side`` to change it). A night recorded as one file
per ankle is read by :func:`plms.io.accel.pair.read_accel_pair`. Several devices without a
side are an error.

Every reader converts to g (1 g = 9.80665 m/s^2) and refuses values that
cannot be g: a worn accelerometer reads about 1 g of gravity, so a median
magnitude near 9.8 or 1000 means m/s^2 or mg labelled as g.

>>> from plms.io.accel.read import accel_unit_scale
>>> accel_unit_scale("mg"), round(accel_unit_scale("m/s^2"), 5)
(0.001, 0.10197)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io._edfformat import read_header
from plms.io.accel._common import (  # noqa: F401 - re-exported: plms.io.accel.read's names
    STANDARD_GRAVITY,
    KNOWN_ACCEL_UNITS,
    CLIPPED_WARNING_FRACTION,
    CLIPPED_ERROR_FRACTION,
    PLAUSIBLE_MAGNITUDE_G,
    STANDARD_RANGES_G,
    RANGE_MATCH_TOLERANCE,
    PEAK_RTOL,
    MIN_CLIPPED_SAMPLES,
    PLAUSIBILITY_SAMPLES,
    PLAUSIBLE_AXIS_MAX_G,
    MIN_ACCEL_RATE_HZ,
    CSV_SUFFIXES,
    DEVICE_SUFFIXES,
    AccelSignal,
    AccelRecording,
    accel_unit_scale,
    plausibility_problem,
    clipped_at_range,
    make_signal,
)
from plms.io.accel.source import open_accel_edf
from plms.io.accel.labels import (
    assign_sides,
    find_accel_channels,
    group_devices,
    select_accel_channels,
    side_from_name,
)
from plms.io.channels import is_combined_leg_label, is_leg_label
from plms.io.names import EDF_SUFFIXES


def read_accel_edf(
    path: str | PathLike[str], *, side: str | None = None,
    channels: Sequence[str] | None = None, unit: str | None = None,
    read_annotations: bool = True, lazy: bool = False,
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
    lazy : bool
        Hold no samples: each signal's ``data`` is a
        :class:`~plms.io.accel._common.LazyAxes` that reads a stretch when
        asked (same values; the checks read the file once, in chunks). The
        whole read and the lazy one are :meth:`plms.io.accel.source.AccelSource.whole`.

    Raises
    ------
    PlmsInputError
        No accelerometer channel; an axis in a unit that is not acceleration;
        axes of one device at different rates; more than half clipped; values
        that cannot be g; two devices on a leg; any problem with the file.
    """
    return open_accel_edf(path, side=side, channels=channels, unit=unit,
                          read_annotations=read_annotations).whole(lazy=lazy)


def read_accel(
    path: str | PathLike[str], *, side: str | None = None, unit: str | None = None,
    fs: float | None = None, lazy: bool = False, **kwargs: Any,
) -> AccelRecording:
    """Read an accelerometer recording with the reader its suffix calls for.

    ``.edf``/``.bdf``/``.rec``: :func:`read_accel_edf`; ``.csv``/``.tsv``/
    ``.txt``: :func:`~plms.io.accel.csv.read_accel_csv`; ``.cwa``/``.bin``/
    ``.gt3x``: :func:`~plms.io.accel.devices.read_accel_device`. ``side``
    goes to every reader; ``unit`` to the EDF reader (None: the header's)
    and the CSV reader (None: g); ``fs`` to the CSV reader. Where ``fs`` or
    ``unit`` do not apply (the file states them) they are ignored with a
    warning. ``lazy`` goes to the EDF reader (samples read when asked, in
    bounded memory); CSV and device files are read whole. Other keyword
    arguments go to the reader as they are.

    >>> read_accel("night.xyz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    plms.errors.PlmsInputError: night.xyz: not an accelerometer file plms reads (.edf, ...)
    """
    suffix = Path(path).suffix.lower()
    ignored = []
    if suffix in EDF_SUFFIXES:
        rec = read_accel_edf(path, side=side, unit=unit, lazy=lazy, **kwargs)
    elif suffix in CSV_SUFFIXES:
        from plms.io.accel.csv import read_accel_csv

        return read_accel_csv(path, side=side, unit=unit or "g", fs=fs, **kwargs)
    elif suffix in DEVICE_SUFFIXES:
        from plms.io.accel.devices import read_accel_device

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
    return bool(find_accel_channels(labels)) and not any(
        is_leg_label(lab) or is_combined_leg_label(lab) for lab in labels)


def _is_accel_unit(unit: str) -> bool:
    try:
        accel_unit_scale(unit)
    except PlmsInputError:
        return False
    return True


def _raw_unit(raw: Any, labels: Sequence[str], unit: str | None, name: str) -> str:
    """The unit of a Raw's accelerometer channels: given, else the header of the file MNE
    read them from (MNE converts volts only, and keeps no acceleration unit)."""
    if unit is None:
        from plms.io.psg.mne_raw import raw_source

        source = raw_source(raw)
        kept: set[str] = set()
        if source is not None and source.suffix.lower() in EDF_SUFFIXES and source.is_file():
            by_label = {s.label: s.unit for s in read_header(source).ordinary_signals}
            kept = {by_label.get(lab, "") for lab in labels}
        if len(kept) != 1 or not _is_accel_unit(next(iter(kept))):
            raise PlmsInputError(
                "the unit of the accelerometer channels is not known (MNE keeps no "
                f"acceleration unit for {', '.join(labels)}): give it with unit=/--unit "
                f"({KNOWN_ACCEL_UNITS})", path=name)
        unit = kept.pop()
    try:
        accel_unit_scale(unit)
    except PlmsInputError as exc:
        raise exc.with_path(name) from None
    return unit


def accel_from_raw(raw: Any, *, side: str | None = None,
                   channels: Sequence[str] | None = None, unit: str | None = None,
                   read_annotations: bool = True) -> AccelRecording:
    """The leg accelerometers of an ``mne.io.Raw``, as :func:`read_accel_edf` reads a file.

    The channels are found by their labels (``raw.ch_names``) as in a file;
    their unit is ``unit``, else the one in the header of the EDF/BDF MNE read
    them from (MNE converts volts only and keeps no acceleration unit). The start comes
    from ``raw.info["meas_date"]`` and the annotations from ``raw.annotations``.

    Raises
    ------
    PlmsInputError
        No accelerometer channel, an unknown unit, implausible values.
    """
    from plms.io.annotations.adapters import annotations_from_mne
    from plms.io.psg.mne_raw import IN_MEMORY_NAME, raw_source, raw_start

    source = raw_source(raw)
    name = str(source) if source is not None else IN_MEMORY_NAME
    labels = [str(c) for c in raw.ch_names]
    devices = group_devices(select_accel_channels(labels, channels, name))
    used = _raw_unit(raw, [lab for d in devices for lab in d.labels], unit, name)
    named = side_from_name(source.stem) if source is not None else None
    placed, notes = assign_sides(devices, lambda d: d.side, lambda d: d.name, side, name,
                                 name_side=named[1] if named else None)
    fs = float(raw.info["sfreq"])
    signals: dict[str, AccelSignal] = {}
    for leg, device in placed.items():
        data = raw.get_data(picks=list(device.labels)).T * accel_unit_scale(used)
        signals[leg], device_notes = make_signal(
            label=device.name, side=leg, data_g=data, axes=device.axes,
            channel_labels=device.labels, fs=fs, unit=used, path=name)
        notes += device_notes
    duration_s = raw.n_times / fs
    start = raw_start(raw)
    annotations = Annotations(source=name)
    if read_annotations and len(raw.annotations):
        orig = None if start is None else raw.info["meas_date"] + dt.timedelta(
            seconds=float(raw.first_time))
        annotations = annotations_from_mne(raw.annotations, orig_time=orig,
                                           duration_s=duration_s)
    return AccelRecording(path=source or Path(IN_MEMORY_NAME), start=start,
                          duration_s=duration_s, signals=signals, annotations=annotations,
                          file_type="mne.io.Raw", warnings=tuple(notes))


def looks_like_accel_raw(raw: Any) -> bool:
    """Whether an ``mne.io.Raw`` holds leg accelerometers and no leg EMG (its labels)."""
    labels = [str(c) for c in raw.ch_names]
    return bool(find_accel_channels(labels)) and not any(
        is_leg_label(lab) or is_combined_leg_label(lab) for lab in labels)
