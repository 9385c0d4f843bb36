"""Read the leg EMG (and ECG) of a PSG recording from EDF, EDF+ or BDF.

The header is validated by :mod:`plms.io._edfformat`; the samples of only
the channels needed, each at its own sampling rate, and the annotations are
read through edfio (EDF) or pyedflib (BDF), see :mod:`plms.io._readers`.
Every problem with the file is a :class:`~plms.errors.PlmsInputError` with
one sentence naming it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import numpy.typing as npt

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io._edfformat import EdfHeader, SignalHeader, read_header
from plms.io._edftal import first_record_onset, read_annotation_bytes, record_onsets
from plms.io._readers import LibraryFile
from plms.io.channels import ChannelChoice, choose_leg_channels
from plms.io.ecg_channel import (
    choose_ecg_channel, ecg_not_used, ecg_rate_warning, ecg_unit_warning,
)
from plms.io.psg.lazy import LazySamples, SignalColumns
from plms.io.psg.units import _TO_MICROVOLT, KNOWN_UNITS, _scale_for, unit_scale
from plms.io.psg.units import to_microvolts as to_microvolts  # re-exported
from plms.io.annotations.edf_annotations import annotations_from_tal

#: Below this rate a channel cannot hold the 10-100 Hz EMG band at all.
MIN_LEG_RATE_HZ = 100.0
#: AASM asks for at least this rate (RULES.md section 1); below it we warn.
AASM_MIN_RATE_HZ = 200.0
#: EDF+D records closer than this to their expected start count as contiguous.
CONTIGUITY_TOLERANCE_S = 1e-3



@dataclass(frozen=True, eq=False)
class Channel:
    """One signal, calibrated to microvolts.

    Attributes
    ----------
    label : str
    data : ndarray of float32 or LazySamples
        Samples in µV (read-only; read on demand when the recording was read
        with ``lazy=True``).
    fs : float
        Sampling rate in Hz.
    unit : str
        Physical dimension as written in the header (or as given by the user).
    physical_min, physical_max : float
        Range of the recording system, in µV.
    saturated_fraction : float
        Share of samples at the physical minimum or maximum (clipped).
    digital_resolution_uv : float or None
        Size of one digital step in µV (of a leg derived from two electrodes:
        the coarser of their two steps).
    """

    label: str
    data: npt.NDArray[np.float32] | LazySamples
    fs: float
    unit: str
    physical_min: float
    physical_max: float
    saturated_fraction: float
    digital_resolution_uv: float | None = None

    @property
    def duration_s(self) -> float:
        """Length of the signal in seconds."""
        return self.data.size / self.fs


@dataclass(frozen=True, eq=False)
class Recording:
    """The leg EMG of one night and what came with it.

    ``legs`` maps each side chosen (``choice.sides``: ``left`` and ``right``,
    one leg, or ``combined`` for one channel of both legs) to its channel.
    ``warnings`` are about the signals; the annotations carry their own in
    ``annotations.warnings``.
    """

    path: Path
    start: dt.datetime
    duration_s: float
    legs: dict[str, Channel]
    ecg: Channel | None
    choice: ChannelChoice
    annotations: Annotations = field(default_factory=Annotations)
    labels: tuple[str, ...] = ()
    file_type: str = "EDF"
    warnings: tuple[str, ...] = ()

    @property
    def left(self) -> Channel | None:
        """The left leg's channel, None when it was not recorded on its own."""
        return self.legs.get("left")

    @property
    def right(self) -> Channel | None:
        """The right leg's channel, None when it was not recorded on its own."""
        return self.legs.get("right")


def _check_calibration(header: EdfHeader, sig: SignalHeader) -> None:
    if sig.digital_max <= sig.digital_min or sig.physical_max == sig.physical_min:
        raise PlmsInputError(
            f"channel {sig.label!r} has an unusable calibration (digital "
            f"{sig.digital_min}..{sig.digital_max}, physical {sig.physical_min:g}.."
            f"{sig.physical_max:g})",
            path=header.path,
        )


def _check_given_unit(header: EdfHeader, unit: str | None) -> None:
    if unit is not None and unit.strip().lower() not in _TO_MICROVOLT:
        raise PlmsInputError(
            f"the unit {unit!r} given by --unit is not a voltage plms knows ({KNOWN_UNITS})",
            path=header.path)


def read_channel(
    header: EdfHeader, sig: SignalHeader, *, unit: str | None = None,
    source: LibraryFile | None = None,
) -> Channel:
    """Read one signal and calibrate it to µV.

    ``unit`` overrides the header's physical dimension; ``source`` is the file
    already opened through the libraries (opened here when not given).
    """
    _check_calibration(header, sig)
    used_unit = sig.unit if unit is None else unit
    _check_given_unit(header, unit)
    scale = _scale_for(used_unit, sig.label, header.path)
    if source is None:
        with LibraryFile(header) as own:
            digital = own.digital(sig)
    else:
        digital = source.digital(sig)
    gain, offset = sig.gain, sig.offset
    # float32 holds 16- and 24-bit samples with room to spare (~1e-7 relative)
    # and halves the memory of a night (118 -> 59 MB per 8-h channel at 512 Hz).
    data = np.multiply(digital, np.float32(gain * scale), dtype=np.float32)
    data += np.float32(offset * scale)
    data.setflags(write=False)
    clipped = np.count_nonzero(digital <= sig.digital_min)
    clipped += np.count_nonzero(digital >= sig.digital_max)
    return Channel(
        label=sig.label, data=data, fs=header.sampling_rate(sig), unit=used_unit,
        physical_min=min(sig.physical_min, sig.physical_max) * scale,
        physical_max=max(sig.physical_min, sig.physical_max) * scale,
        saturated_fraction=clipped / digital.size if digital.size else 0.0,
        digital_resolution_uv=abs(gain) * scale,
    )


def _signal(header: EdfHeader, label: str) -> SignalHeader:
    """The one ordinary signal with ``label``."""
    matches = [s for s in header.ordinary_signals if s.label == label]
    if len(matches) != 1:
        raise PlmsInputError(
            f"the label {label!r} occurs {len(matches)} times in the file; "
            "plms cannot tell these channels apart",
            path=header.path,
        )
    return matches[0]


def _leg_rate_notes(header: EdfHeader, sig: SignalHeader) -> list[str]:
    """Error for a rate that cannot hold EMG; warning below the AASM minimum."""
    fs = header.sampling_rate(sig)
    if fs < MIN_LEG_RATE_HZ:
        raise PlmsInputError(
            f"leg channel {sig.label!r} is sampled at {fs:g} Hz, too slow for tibialis EMG "
            f"(at least {MIN_LEG_RATE_HZ:g} Hz needed, AASM asks for >= {AASM_MIN_RATE_HZ:g} Hz)",
            path=header.path,
        )
    if fs < AASM_MIN_RATE_HZ:
        return [
            f"leg channel {sig.label!r} is sampled at {fs:g} Hz; AASM asks for "
            f">= {AASM_MIN_RATE_HZ:g} Hz, so short or small movements may be missed"
        ]
    return []


def time_keeping(header: EdfHeader) -> tuple[float, list[str]]:
    """Sub-second start of the first record; checks that EDF+D records touch.

    Raises
    ------
    PlmsInputError
        EDF+D records with gaps (or out of order), or EDF+D without an
        annotation signal.
    """
    signals = header.annotation_signals
    if not signals:
        if header.is_discontinuous:
            raise PlmsInputError(
                f"{header.file_type} file without an annotation signal: the start times "
                "of its data records are unknown",
                path=header.path,
            )
        return 0.0, []
    if not header.is_discontinuous:
        return first_record_onset(read_annotation_bytes(header, signals[0], 1)) or 0.0, []
    rows = read_annotation_bytes(header, signals[0])
    onsets = record_onsets(rows, header)
    expected = onsets[0] + header.record_duration_s * np.arange(onsets.size)
    off_grid = np.flatnonzero(np.abs(onsets - expected) > CONTIGUITY_TOLERANCE_S)
    if off_grid.size:
        k = int(off_grid[0])
        prev_end = onsets[k - 1] + header.record_duration_s
        raise PlmsInputError(
            f"{header.file_type} with gaps is not supported: data record {k + 1} starts at "
            f"{onsets[k]:g} s but the one before ends at {prev_end:g} s; export the "
            "recording as continuous EDF+C or split it at the gap",
            path=header.path,
        )
    return float(onsets[0]), [
        f"{header.file_type} file whose data records are contiguous: read as one "
        "continuous recording"
    ]


def read_recording(
    path: str | PathLike[str],
    *,
    left: str | None = None,
    right: str | None = None,
    ecg: str | None = None,
    unit: str | None = None,
    read_annotations: bool = True,
    legs: str | None = None,
    lazy: bool = False,
) -> Recording:
    """Read the two leg EMG channels (and the ECG, if any) of a PSG file.

    Parameters
    ----------
    path : path-like
        EDF, EDF+ (C, or D without gaps), BDF or BDF+ file.
    left, right, ecg : str, optional
        Channel labels that override detection (:mod:`plms.io.channels`).
    unit : str, optional
        Physical unit of the leg channels, overriding the header's.
    read_annotations : bool
        Also read the EDF+ annotation signal into ``Recording.annotations``.
    legs : str, optional
        The one channel of both legs (``Recording.legs`` holds ``combined``).
    lazy : bool
        Hold no samples: each channel's ``data`` is a
        :class:`~plms.io.psg.lazy.LazySamples` that reads a stretch when asked
        (same values; for scoring long recordings in bounded memory).

    Raises
    ------
    PlmsInputError
        Missing, corrupt or truncated file; EDF+D with gaps; annotations
        that neither edfio nor pyedflib can read; leg channels missing,
        ambiguous, too slowly sampled or in an unknown unit; the two
        electrodes of a derived leg at different rates or in different units.

    Notes
    -----
    A leg recorded as two electrodes against a common reference (``Lleg1``,
    ``Lleg2``) is read as their difference, labelled ``Lleg1-Lleg2``
    (:mod:`plms.io.channels`); ``Recording.choice.reason`` says so, and the
    ranking of several candidates adds its warnings to ``Recording.warnings``.
    """
    path = Path(path)
    header = read_header(path)
    labels = tuple(s.label for s in header.ordinary_signals)
    choice = choose_leg_channels(labels, left, right, path=path, legs=legs)
    ecg_label = choose_ecg_channel(labels, ecg, path=path)
    sources = {
        side: [_signal(header, lab) for lab in (choice.pair(side) or (str(choice.label(side)),))]
        for side in choice.sides
    }
    leg_signals = [sig for sigs in sources.values() for sig in sigs]
    notes: list[str] = list(choice.warnings)
    for sig in leg_signals:
        notes += _leg_rate_notes(header, sig)
    for side in choice.sides:
        _check_pair(header, str(choice.label(side)), sources[side], unit)
    start_offset, time_notes = time_keeping(header)
    notes += time_notes
    with_annotations = read_annotations and bool(header.annotation_signals)
    ecg_sig, ecg_notes = _usable_ecg(header, ecg_label)
    notes += ecg_notes
    # read on demand: the legs' and the ECG's bytes copied in one pass over the records
    ecg_signals = [] if ecg_sig is None else [ecg_sig]
    columns = SignalColumns(header, leg_signals + ecg_signals) if lazy else None
    with LibraryFile(header, annotations=with_annotations, prefer_unmapped=lazy) as source:
        channels: dict[str, Channel] = {
            side: (_lazy_channel(header, str(choice.label(side)), sources[side], unit, columns)
                   if columns is not None
                   else _read_leg(header, str(choice.label(side)), sources[side], unit, source))
            for side in choice.sides}
        notes += _unit_override_notes(leg_signals, unit)
        ecg_ch, ecg_notes = _read_ecg(header, ecg_sig, source, columns)
        notes += ecg_notes
        annotations = Annotations(source=str(path))
        if with_annotations:
            annotations = annotations_from_tal(
                source.annotations(), duration_s=header.duration_s, source=str(path)
            )
    return Recording(
        path=path,
        start=header.start + dt.timedelta(seconds=start_offset),
        duration_s=header.duration_s,
        legs=channels,
        ecg=ecg_ch,
        choice=choice,
        annotations=annotations,
        labels=labels,
        file_type=header.file_type,
        warnings=tuple(notes),
    )


def _check_pair(
    header: EdfHeader, label: str, sigs: list[SignalHeader], unit: str | None
) -> None:
    """The two electrodes of a derived leg must share their sampling rate and unit."""
    if len(sigs) != 2:
        return
    a, b = sigs
    rates = (header.sampling_rate(a), header.sampling_rate(b))
    if rates[0] != rates[1]:
        raise PlmsInputError(
            f"the leg {label!r} is the difference of the electrodes {a.label!r} and "
            f"{b.label!r}, but they are sampled at {rates[0]:g} and {rates[1]:g} Hz; plms "
            "derives a leg only from two electrodes of one rate (name another channel "
            "with --left/--right)",
            path=header.path,
        )
    if unit is None and _scale_for(a.unit, a.label, header.path) != _scale_for(
            b.unit, b.label, header.path):
        raise PlmsInputError(
            f"the leg {label!r} is the difference of the electrodes {a.label!r} and "
            f"{b.label!r}, but they are in different units ({a.unit!r} and {b.unit!r}); "
            "plms derives a leg only from two electrodes in one unit",
            path=header.path,
        )


def _read_leg(
    header: EdfHeader, label: str, sigs: list[SignalHeader], unit: str | None,
    source: LibraryFile,
) -> Channel:
    """A leg: its channel, or the difference of its two electrodes (``A`` minus ``B``)."""
    if len(sigs) == 1:
        return read_channel(header, sigs[0], unit=unit, source=source)
    a, b = (read_channel(header, sig, unit=unit, source=source) for sig in sigs)
    data = np.subtract(a.data, b.data, dtype=np.float32)
    data.setflags(write=False)
    clipped = np.count_nonzero(_at_limits(a) | _at_limits(b))
    return Channel(
        label=label, data=data, fs=a.fs, unit=a.unit,
        physical_min=a.physical_min - b.physical_max,
        physical_max=a.physical_max - b.physical_min,
        saturated_fraction=clipped / data.size if data.size else 0.0,
        digital_resolution_uv=max(a.digital_resolution_uv or 0.0, b.digital_resolution_uv or 0.0),
    )


def _lazy_channel(header: EdfHeader, label: str, sigs: list[SignalHeader],
                  unit: str | None, columns: SignalColumns | None = None) -> Channel:
    """A channel (one signal or the difference of two) whose samples are read when asked."""
    for sig in sigs:
        _check_calibration(header, sig)
    _check_given_unit(header, unit)
    used_unit = sigs[0].unit if unit is None else unit
    scale = _scale_for(used_unit, sigs[0].label, header.path)
    data = LazySamples(header, tuple(sigs), scale, columns)
    ranges = []
    for sig in sigs:
        low, high = sorted((sig.physical_min * scale, sig.physical_max * scale))
        step = abs(sig.gain) * scale
        ranges.append((low, high, step))
    if len(ranges) == 1:
        low, high, step = ranges[0]
    else:
        low, high = ranges[0][0] - ranges[1][1], ranges[0][1] - ranges[1][0]
        step = max(ranges[0][2], ranges[1][2])
    return Channel(
        label=label, data=data, fs=header.sampling_rate(sigs[0]), unit=used_unit,
        physical_min=low, physical_max=high,
        saturated_fraction=data.clipped_count() / data.size if data.size else 0.0,
        digital_resolution_uv=step,
    )


def _at_limits(ch: Channel) -> npt.NDArray[np.bool_]:
    """Samples of ``ch`` at its physical minimum or maximum (within half a digital step)."""
    half_step = (ch.digital_resolution_uv or 0.0) / 2
    data = np.asarray(ch.data)
    return (data <= ch.physical_min + half_step) | (data >= ch.physical_max - half_step)


def _unit_override_notes(legs: list[SignalHeader], unit: str | None) -> list[str]:
    """Say when a unit given by the user contradicts a known header unit."""
    if unit is None:
        return []
    notes = []
    for sig in legs:
        header_scale = _TO_MICROVOLT.get(sig.unit.strip().lower())
        if header_scale is not None and header_scale != unit_scale(unit):
            notes.append(
                f"the header gives channel {sig.label!r} in {sig.unit!r}; it was read as "
                f"{unit!r} as told"
            )
    return notes


def _usable_ecg(header: EdfHeader, label: str | None
                ) -> tuple[SignalHeader | None, list[str]]:
    """The ECG's signal if its unit is a voltage and its rate high enough, else a warning."""
    if label is None:
        return None, []
    sig = _signal(header, label)
    if sig.unit.strip().lower() not in _TO_MICROVOLT:
        return None, [ecg_unit_warning(label, sig.unit, KNOWN_UNITS)]
    slow = ecg_rate_warning(label, header.sampling_rate(sig))
    return (None, [slow]) if slow is not None else (sig, [])


def _read_ecg(header: EdfHeader, sig: SignalHeader | None, source: LibraryFile,
              columns: SignalColumns | None = None) -> tuple[Channel | None, list[str]]:
    """The ECG channel (on demand with ``columns``); an unusable one is skipped with a warning."""
    if sig is None:
        return None, []
    try:
        if columns is not None:
            return _lazy_channel(header, sig.label, [sig], None, columns), []
        return read_channel(header, sig, source=source), []
    except PlmsInputError as exc:
        return None, [ecg_not_used(sig.label, exc.problem)]
