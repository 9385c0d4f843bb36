"""The leg EMG of a night already loaded in MNE-Python (``mne.io.Raw``).

:func:`recording_from_raw` turns an ``mne.io.BaseRaw`` into the same
:class:`~plms.io.psg.edf.Recording` that :func:`~plms.io.psg.edf.read_recording`
reads from a file: the leg and ECG channels chosen from ``raw.ch_names`` by
the same rules, their samples in µV (MNE keeps volts), the start from
``raw.info["meas_date"]`` and the annotations from ``raw.annotations``
mapped like EDF+ annotation texts. MNE itself is not imported here: the
object is duck-typed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from plms.errors import PlmsInputError
from plms.io.annotations.adapters import annotations_from_mne
from plms.io.channels import choose_leg_channels
from plms.io.ecg_channel import choose_ecg_channel, ecg_rate_warning
from plms.io.psg.edf import Channel, Recording, unit_scale

#: Unit of the arrays ``Raw.get_data()`` returns for voltage channels.
MNE_UNIT = "V"
#: Name a Raw without a file goes by (``summary["file"]``, output stem "night").
IN_MEMORY_NAME = "mne.io.Raw"


def is_mne_raw(obj: Any) -> bool:
    """Whether ``obj`` is an ``mne.io.BaseRaw`` (without importing MNE).

    >>> is_mne_raw("night.edf")
    False
    """
    return any(cls.__name__ == "BaseRaw" and cls.__module__.startswith("mne.")
               for cls in type(obj).__mro__)


def raw_source(raw: Any) -> Path | None:
    """The file a Raw was read from, None for one built in memory."""
    names = [n for n in (getattr(raw, "filenames", None) or ()) if n is not None]
    return Path(names[0]) if names else None


def _channel(raw: Any, label: str, unit: str) -> Channel:
    """One channel of ``raw`` whose data are in ``unit``, calibrated to µV."""
    scale = unit_scale(unit)
    calibrated = np.asarray(raw.get_data(picks=[label])[0], dtype=np.float64) * scale
    data = calibrated.astype(np.float32)
    data.setflags(write=False)
    finite = data[np.isfinite(data)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 0.0
    return Channel(label=label, data=data, fs=float(raw.info["sfreq"]), unit=unit,
                   physical_min=low, physical_max=high, saturated_fraction=0.0)


def _leg(raw: Any, label: str, pair: tuple[str, str] | None, unit: str) -> Channel:
    """A leg channel, or the difference of its two electrodes (``A`` minus ``B``)."""
    if pair is None:
        return _channel(raw, label, unit)
    a, b = (_channel(raw, electrode, unit) for electrode in pair)
    data = np.subtract(a.data, b.data, dtype=np.float32)
    data.setflags(write=False)
    return Channel(label=label, data=data, fs=a.fs, unit=unit,
                   physical_min=a.physical_min - b.physical_max,
                   physical_max=a.physical_max - b.physical_min, saturated_fraction=0.0)


def raw_start(raw: Any) -> dt.datetime | None:
    """Clock time of the first sample, naive like an EDF header's (MNE reads it as UTC)."""
    meas = raw.info.get("meas_date")
    if meas is None:
        return None
    start = meas + dt.timedelta(seconds=float(raw.first_time))
    return start.replace(tzinfo=None)


def recording_from_raw(
    raw: Any,
    *,
    left: str | None = None,
    right: str | None = None,
    ecg: str | None = None,
    unit: str | None = None,
    read_annotations: bool = True,
    legs: str | None = None,
) -> Recording:
    """The leg EMG (and ECG) of an ``mne.io.Raw`` as a :class:`Recording`.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The night; not modified.
    left, right, ecg : str, optional
        Channel names overriding the automatic choice.
    unit : str, optional
        Unit of ``raw.get_data()`` for the leg channels when it is not MNE's
        volts (a Raw built from µV arrays: ``"uV"``).
    read_annotations : bool
        Also map ``raw.annotations`` (stages, respiratory events, arousals).
    legs : str, optional
        The one channel of both legs (side ``combined``, :mod:`plms.io.channels`).

    Raises
    ------
    PlmsInputError
        Leg channels missing or ambiguous, an unknown ``unit``, no samples.
    """
    source = raw_source(raw)
    name = str(source) if source is not None else IN_MEMORY_NAME
    labels = tuple(str(c) for c in raw.ch_names)
    fs = float(raw.info["sfreq"])
    if not fs > 0:
        raise PlmsInputError(f"the sampling rate {fs:g} Hz is not positive", path=name)
    choice = choose_leg_channels(labels, left, right, path=name, legs=legs)
    ecg_label = choose_ecg_channel(labels, ecg, path=name)
    leg_unit = MNE_UNIT if unit is None else unit
    try:
        unit_scale(leg_unit)
    except PlmsInputError as exc:
        raise exc.with_path(name) from None
    channels: dict[str, Channel] = {
        side: _leg(raw, str(choice.label(side)), choice.pair(side), leg_unit)
        for side in choice.sides}
    slow_ecg = None if ecg_label is None else ecg_rate_warning(ecg_label, fs)
    ecg_ch = (_channel(raw, ecg_label, MNE_UNIT)
              if ecg_label is not None and slow_ecg is None else None)
    duration_s = raw.n_times / fs
    start = raw_start(raw)
    from plms.annotations import Annotations

    annotations = Annotations(source=name)
    if read_annotations and len(raw.annotations):
        orig = raw.info.get("meas_date")
        if orig is not None:
            # MNE counts onsets from meas_date; plms from the first sample
            orig = orig + dt.timedelta(seconds=float(raw.first_time))
        annotations = annotations_from_mne(raw.annotations, orig_time=orig,
                                           duration_s=duration_s)
    return Recording(
        path=source if source is not None else Path(IN_MEMORY_NAME),
        start=start,  # type: ignore[arg-type]   # None when MNE has no meas_date
        duration_s=duration_s, legs=channels, ecg=ecg_ch, choice=choice,
        annotations=annotations, labels=labels, file_type="mne.io.Raw",
        warnings=choice.warnings + ((slow_ecg,) if slow_ecg is not None else ()),
    )
