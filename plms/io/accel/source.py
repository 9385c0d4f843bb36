"""Accelerometer recordings opened without reading their samples: windows and chunks.

:func:`~plms.io.accel.lazy.open_accel` gives an :class:`AccelSource`: the header, sides, labels,
rates and annotations of a recording, and its samples on demand.
``window(start_s, stop_s)`` is exactly what :func:`~plms.io.accel.read.read_accel`
returns, restricted to that stretch (same float32 values, scaling, unit
checks and warnings, ``t = 0`` at ``start_s``); ``chunks(chunk_s)`` walks the
whole recording a stretch at a time. Memory is bounded by the stretch asked
for, not by the recording.

EDF/EDF+/BDF files are read here, a block of data records at a time, with
one seek and one read per block (:func:`plms.io._edfformat.read_records`; no
memory map, whose touched pages would count in the resident memory). The
whole-file reader :func:`~plms.io.accel.read.read_accel_edf` is this module's
:meth:`AccelSource.whole`, so a whole read and a window cannot disagree.

CSV and device files (``.csv``, ``.cwa``, ``.bin``, ``.gt3x``) have no
records to seek to: :func:`~plms.io.accel.lazy.open_accel` reads them whole and windows and
chunks are slices of the signals in memory (the checks, clipping share and
warnings are those of the whole file).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path

import numpy as np
import numpy.typing as npt

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.io._edfformat import (
    READ_CHUNK_BYTES,
    EdfHeader,
    SignalHeader,
    read_header,
    read_records,
    record_samples,
)
from plms.io._readers import LibraryFile
from plms.io.accel._common import (
    KNOWN_ACCEL_UNITS,
    AccelRecording,
    AccelSignal,
    LazyAxes,
    accel_unit_scale,
    signal_notes,
    thinning_step,
)
from plms.io.accel.labels import (
    DeviceChannels,
    Side,
    assign_sides,
    group_devices,
    select_accel_channels,
    side_from_name,
)
from plms.io.annotations.edf_annotations import annotations_from_tal
from plms.io.psg.edf import time_keeping

#: Samples a lazy signal's checks read at a time.
SCAN_SAMPLES = 1 << 18
#: A time within this many samples of a sample's time is that sample (rounding of t * fs).
SAMPLE_TOLERANCE = 1e-6


def sample_index(t_s: float, fs: float, n: int) -> int:
    """The first sample at or after ``t_s`` seconds, clipped to ``0..n``.

    >>> sample_index(1.5, 100.0, 1000), sample_index(0.015, 100.0, 1000)
    (150, 2)
    >>> sample_index(99.0, 100.0, 1000)
    1000
    """
    if math.isinf(t_s):
        return 0 if t_s < 0 else n
    return min(n, max(0, math.ceil(t_s * fs - SAMPLE_TOLERANCE)))


@dataclass(frozen=True)
class _Axis:
    """One axis channel and the float32 factors that turn its integers into g."""

    signal: SignalHeader
    gain: np.float32
    offset: np.float32
    range_g: float


@dataclass(frozen=True)
class _Device:
    """One accelerometer of an EDF file: its axes' channels, checked, on one leg."""

    channels: DeviceChannels
    side: Side
    fs: float
    unit: str
    columns: tuple[_Axis, ...]
    n_samples: int


def _signal_header(header: EdfHeader, label: str) -> SignalHeader:
    matches = [s for s in header.ordinary_signals if s.label == label]
    if len(matches) != 1:
        raise PlmsInputError(f"the label {label!r} occurs {len(matches)} times in the file; "
                             "plms cannot tell these channels apart", path=header.path)
    return matches[0]


def _axis(header: EdfHeader, sig: SignalHeader, unit: str | None) -> _Axis:
    """An axis channel with its conversion to g, its unit and calibration checked."""
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
    return _Axis(sig, np.float32(sig.gain * scale), np.float32(sig.offset * scale),
                 max(abs(sig.physical_min), abs(sig.physical_max)) * scale)


def _device(header: EdfHeader, device: DeviceChannels, side: Side, unit: str | None) -> _Device:
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
    columns = tuple(_axis(header, s, unit) for s in sigs)
    return _Device(device, side, rates.pop(), unit or sigs[0].unit, columns,
                   header.n_records * sigs[0].samples_per_record)


def _read_samples(header: EdfHeader, device: _Device, start: int, stop: int,
                  count_clipped: bool = True) -> tuple[npt.NDArray[np.float32], int]:
    """Samples ``start:stop`` of a device in g (samples x axes) and how many are clipped.

    The data records holding them are read a block at a time; each axis is
    scaled as ``digital * gain + offset`` in float32 (elementwise, so any
    stretch gives the values a whole read gives). A sample is clipped when an
    axis is at its digital minimum or maximum (counted when ``count_clipped``, else 0).
    """
    data = np.empty((stop - start, len(device.columns)), dtype=np.float32)
    clipped = 0
    spr = device.columns[0].signal.samples_per_record
    per_block = max(1, READ_CHUNK_BYTES // header.record_bytes)
    first, last = start // spr, -(-stop // spr)
    for r0 in range(first, last, per_block):
        r1 = min(last, r0 + per_block)
        rows = read_records(header, r0, r1)
        lo, hi = max(start, r0 * spr), min(stop, r1 * spr)   # samples of this block kept
        hit = np.zeros(hi - lo if count_clipped else 0, dtype=bool)
        for k, col in enumerate(device.columns):
            digital = record_samples(header, col.signal, rows)[lo - r0 * spr: hi - r0 * spr]
            out = data[lo - start: hi - start, k]
            np.multiply(digital, col.gain, dtype=np.float32, out=out)
            out += col.offset
            if count_clipped:
                hit |= digital <= col.signal.digital_min
                hit |= digital >= col.signal.digital_max
        clipped += int(np.count_nonzero(hit))
    return data, clipped


def _scan(header: EdfHeader, device: _Device, start: int, stop: int
          ) -> tuple[int, npt.NDArray[np.float32]]:
    """Clipped samples of ``start:stop`` and their plausibility subsample, read in chunks.

    The subsample is ``data[::thinning_step(stop - start)]`` of the stretch, as
    :func:`~plms.io.accel._common.make_signal` takes it from a whole array.
    """
    step = thinning_step(stop - start)
    clipped, picked = 0, []
    for a in range(start, stop, SCAN_SAMPLES):
        data, hits = _read_samples(header, device, a, min(stop, a + SCAN_SAMPLES))
        clipped += hits
        picked.append(data[(start - a) % step::step])
    thinned = np.concatenate(picked) if picked else np.zeros((0, len(device.columns)),
                                                            dtype=np.float32)
    return clipped, thinned


def _device_signal(header: EdfHeader, device: _Device, start: int, stop: int, path: Path,
                   lazy: bool) -> tuple[AccelSignal, list[str]]:
    """Samples ``start:stop`` of a device as a checked :class:`AccelSignal` and its warnings.

    ``lazy``: the data are a :class:`~plms.io.accel._common.LazyAxes` that reads
    them when asked (the checks read them once, in chunks); else an array.
    """
    data: npt.NDArray[np.float32] | LazyAxes
    if lazy:
        clipped, thinned = _scan(header, device, start, stop)

        def read(a: int, b: int) -> npt.NDArray[np.float32]:
            return _read_samples(header, device, start + a, start + b, count_clipped=False)[0]

        data = LazyAxes(stop - start, len(device.columns), read)
    else:
        data, clipped = _read_samples(header, device, start, stop)
        thinned = data[:: thinning_step(data.shape[0])]
        data.setflags(write=False)
    n = stop - start
    notes = signal_notes(label=device.channels.name, axes=device.channels.axes, fs=device.fs,
                         unit=device.unit, path=path, clipped_fraction=clipped / n if n else 0.0,
                         thinned=thinned)
    signal = AccelSignal(
        label=device.channels.name, side=device.side, data=data, axes=device.channels.axes,
        channel_labels=device.channels.labels, fs=device.fs, unit=device.unit,
        clipped_fraction=clipped / n if n else 0.0,
        range_g=max(c.range_g for c in device.columns))
    return signal, notes


def _shifted_hypnogram(hyp: Hypnogram, start_s: float, stop_s: float) -> Hypnogram | None:
    """The epochs of ``hyp`` that start in ``[start_s, stop_s)``, times from ``start_s``."""
    onsets = hyp.epoch_onsets
    keep = (onsets >= start_s - SAMPLE_TOLERANCE) & (onsets < stop_s - SAMPLE_TOLERANCE)
    if not keep.any():
        return None
    length = stop_s - start_s

    def moved(t: float | None) -> float | None:
        return None if t is None else min(length, max(0.0, t - start_s))

    return Hypnogram(hyp.stages[keep], epoch_s=hyp.epoch_s,
                     start_s=float(onsets[keep][0]) - start_s,
                     lights_off_s=moved(hyp.lights_off_s), lights_on_s=moved(hyp.lights_on_s),
                     source=hyp.source)


def window_annotations(ann: Annotations, start_s: float, stop_s: float) -> Annotations:
    """The annotations of ``[start_s, stop_s)``: events starting there, times from ``start_s``.

    The hypnogram keeps the epochs that start in the window; lights markers
    are moved and clipped to it.
    """
    tables = {}
    for name in ("respiratory", "arousals", "leg_movements", "excluded"):
        table = getattr(ann, name)
        inside = (table["onset"] >= start_s) & (table["onset"] < stop_s)
        moved = table.loc[inside].reset_index(drop=True)
        moved["onset"] = moved["onset"] - start_s
        tables[name] = moved
    hyp = None if ann.hypnogram is None else _shifted_hypnogram(ann.hypnogram, start_s, stop_s)
    return replace(ann, hypnogram=hyp, **tables)


class AccelSource:
    """An accelerometer recording whose samples are read a stretch at a time.

    Made by :func:`~plms.io.accel.lazy.open_accel`. ``window`` and ``chunks`` read only the data
    records that hold the stretch asked for (EDF/BDF); for other formats
    they slice the signals read whole.

    Attributes
    ----------
    path : Path
    start : datetime or None
        Clock time of the first sample.
    duration_s : float
    annotations : Annotations
        Of the whole recording, as :func:`~plms.io.accel.read.read_accel` gives them.
    file_type : str
    warnings : tuple of str
        The warnings of opening (sides, time keeping); a window adds its own.
    """

    def __init__(self, path: Path, start: dt.datetime | None, duration_s: float,
                 annotations: Annotations, file_type: str, warnings: tuple[str, ...], *,
                 header: EdfHeader | None = None, devices: dict[str, _Device] | None = None,
                 signals: dict[str, AccelSignal] | None = None) -> None:
        self.path, self.start, self.duration_s = path, start, duration_s
        self.annotations, self.file_type, self.warnings = annotations, file_type, warnings
        self._header, self._devices = header, devices or {}
        self._signals = signals or {}

    @property
    def sides(self) -> tuple[str, ...]:
        """The legs with a device, in the order read (``"left"``, ``"right"``)."""
        return tuple(self._devices or self._signals)

    @property
    def labels(self) -> dict[str, str]:
        """Device name per side (e.g. ``{"left": "Ankle L"}``)."""
        if self._devices:
            return {s: d.channels.name for s, d in self._devices.items()}
        return {s: sig.label for s, sig in self._signals.items()}

    @property
    def fs(self) -> dict[str, float]:
        """Sampling rate per side, Hz."""
        if self._devices:
            return {s: d.fs for s, d in self._devices.items()}
        return {s: sig.fs for s, sig in self._signals.items()}

    def n_samples(self, side: str) -> int:
        """Samples of the device on ``side``."""
        if self._devices:
            return self._devices[side].n_samples
        return int(self._signals[side].data.shape[0])

    def samples(self, side: str, start: int, stop: int) -> npt.NDArray[np.float32]:
        """Samples ``start:stop`` (clipped to the signal) of one side in g, (n, axes) float32."""
        n = self.n_samples(side)
        start, stop = max(0, start), max(0, min(stop, n))
        stop = max(start, stop)
        if self._header is not None:
            return _read_samples(self._header, self._devices[side], start, stop,
                                 count_clipped=False)[0]
        return self._signals[side].data[start:stop]

    def whole(self, *, lazy: bool = False) -> AccelRecording:
        """The whole recording (what :func:`~plms.io.accel.read.read_accel` returns).

        ``lazy``: each signal's ``data`` is a :class:`~plms.io.accel._common.LazyAxes`
        that reads a stretch when asked (same values; EDF/BDF only, the
        signals of other formats are in memory already).
        """
        return self._recording(0.0, self.duration_s, self.annotations, lazy)

    def window(self, start_s: float, stop_s: float, *, lazy: bool = False) -> AccelRecording:
        """The stretch ``[start_s, stop_s)`` as an AccelRecording, ``t = 0`` at ``start_s``.

        Each side holds its samples ``i`` with ``start_s <= i / fs < stop_s``
        (times are clipped to the recording), bit for bit those of a whole
        read; the unit and plausibility checks and the clipping share are
        those of the stretch. Annotations are those starting in it
        (:func:`window_annotations`); ``start`` is moved by ``start_s``.
        ``lazy`` as in :meth:`whole`.
        """
        if not stop_s > start_s:
            raise ValueError(f"stop_s ({stop_s}) must be after start_s ({start_s})")
        start_s, stop_s = max(0.0, float(start_s)), min(self.duration_s, float(stop_s))
        if stop_s <= start_s:
            raise ValueError(f"the window lies outside the recording (0-{self.duration_s:g} s)")
        if start_s == 0.0 and stop_s == self.duration_s:
            return self.whole(lazy=lazy)
        return self._recording(start_s, stop_s,
                               window_annotations(self.annotations, start_s, stop_s), lazy)

    def _recording(self, start_s: float, stop_s: float, ann: Annotations,
                   lazy: bool) -> AccelRecording:
        notes = list(self.warnings)
        signals: dict[str, AccelSignal] = {}
        for side in self.sides:
            fs, n = self.fs[side], self.n_samples(side)
            a, b = sample_index(start_s, fs, n), sample_index(stop_s, fs, n)
            if self._header is None:
                signals[side] = replace(self._signals[side], data=self._signals[side].data[a:b])
                continue
            signals[side], device_notes = _device_signal(self._header, self._devices[side], a, b,
                                                         self.path, lazy)
            notes += device_notes
        start = None if self.start is None else self.start + dt.timedelta(seconds=start_s)
        return AccelRecording(path=self.path, start=start, duration_s=stop_s - start_s,
                              signals=signals, annotations=ann, file_type=self.file_type,
                              warnings=tuple(notes))

    def chunks(self, chunk_s: float, overlap_s: float = 0.0
               ) -> Iterator[tuple[float, dict[str, npt.NDArray[np.float32]]]]:
        """``(t0_s, {side: samples})`` of consecutive stretches covering the recording.

        Chunk ``k`` starts at ``t0_s = k * chunk_s`` and holds each side's
        samples from ``t0_s`` to ``t0_s + chunk_s + overlap_s`` (the last one
        is shorter), in g, (n, axes) float32: with ``overlap_s = 0`` the
        chunks tile the recording exactly, sample for sample.
        """
        if not (math.isfinite(chunk_s) and chunk_s > 0):
            raise ValueError(f"chunk_s must be a positive number, got {chunk_s}")
        if not (math.isfinite(overlap_s) and overlap_s >= 0):
            raise ValueError(f"overlap_s must be zero or positive, got {overlap_s}")
        n_chunks = max(1, math.ceil(self.duration_s / chunk_s - SAMPLE_TOLERANCE))
        for k in range(n_chunks):
            t0 = k * chunk_s
            parts = {}
            for side in self.sides:
                fs, n = self.fs[side], self.n_samples(side)
                parts[side] = self.samples(side, sample_index(t0, fs, n),
                                           sample_index(t0 + chunk_s + overlap_s, fs, n))
            yield t0, parts


def open_accel_edf(path: str | PathLike[str], *, side: str | None = None,
                   channels: Sequence[str] | None = None, unit: str | None = None,
                   read_annotations: bool = True) -> AccelSource:
    """Open the leg accelerometers of an EDF, EDF+ or BDF file (header and annotations only).

    The parameters and errors are those of :func:`~plms.io.accel.read.read_accel_edf`,
    except the ones about the samples (clipping, plausibility), which come
    with the stretch read.
    """
    path = Path(path)
    if unit is not None:
        try:
            accel_unit_scale(unit)  # refuse an unknown unit before reading
        except PlmsInputError as exc:
            raise exc.with_path(path) from None
    header = read_header(path)
    labels = [s.label for s in header.ordinary_signals]
    groups = group_devices(select_accel_channels(labels, channels, path))
    named = side_from_name(path.stem)
    placed, notes = assign_sides(groups, lambda d: d.side, lambda d: d.name, side, path,
                                 name_side=named[1] if named else None)
    start_offset, time_notes = time_keeping(header)
    notes += time_notes
    devices = {leg: _device(header, group, leg, unit) for leg, group in placed.items()}
    annotations = Annotations(source=str(path))
    if read_annotations and header.annotation_signals:
        with LibraryFile(header, annotations=True, prefer_unmapped=True) as source:
            annotations = annotations_from_tal(
                source.annotations(), duration_s=header.duration_s, source=str(path))
    return AccelSource(path, header.start + dt.timedelta(seconds=start_offset),
                       header.duration_s, annotations, header.file_type, tuple(notes),
                       header=header, devices={str(k): v for k, v in devices.items()})
