"""What a night is scored with: frozen, validated, picklable option dataclasses.

:class:`ScoreOptions` holds everything :func:`plms.score` (and ``plms score``)
needs besides the recording: the rules, the channels, the unit, the modality,
the annotations, the accelerometer settings (:class:`AccelOptions`), the extra
outputs (:class:`OutputOptions`) and the threads. :class:`RescoreOptions` is
its counterpart for :func:`plms.rescore`. Every field is checked when the
object is built, with a ``ValueError`` naming the allowed values, so a batch
never starts with an option it would refuse on its first night.

Options are built once and derived with :func:`dataclasses.replace`, or from
the flat keyword names of the command line with :func:`score_options` /
:func:`rescore_options`:

>>> opts = score_options(rules="aasm", left="EMG L", report=True)
>>> opts.rules, opts.channels.left, opts.outputs.report
('aasm', 'EMG L', True)
>>> score_options(colour="red")
Traceback (most recent call last):
...
TypeError: unknown option 'colour' of plms score; allowed: accel_threshold, annotations, \
days, diary, ecg, fs, keep_excerpt, left, legs, lights_off, lights_on, modality, report, \
right, rules, side, sleep, threads, unit, write

Importing this module is cheap (the command line builds its parser from its
constants); the checks import what they need when called.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from plms.rules import PRESETS, Rules

#: ``modality`` values: leg EMG, ankle accelerometers, or decided per recording.
MODALITIES = ("auto", "emg", "accel")
#: ``AccelOptions.sleep`` values (:func:`plms.pipeline.accel.sleep_hypnogram`).
SLEEP_CHOICES = ("auto", "estimate", "hypnogram")
#: ``ScoreOptions.days`` values: a recording of several days split into nights when it
#: is an accelerometer recording long enough or a diary is given (``auto``), always
#: (``on``), never (``off``: scored as one night, as before issue 16).
DAYS_CHOICES = ("auto", "on", "off")
#: Ankle of a single accelerometer.
SIDES = ("left", "right")
#: ``RescoreOptions.fmt`` values (and ``plms rescore --format``).
RESCORE_FORMATS = ("auto", "remlogic", "nsrr", "profusion", "edf", "tsv", "csv")


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def _check_positive(name: str, value: float | None, unit: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number of {unit}, not {value!r}")


def _check_label(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a channel label (str) or None, not {value!r}")


def _check_rules(rules: object) -> None:
    if isinstance(rules, Rules):
        return
    if not isinstance(rules, str) or rules.lower() not in PRESETS:
        raise ValueError(f"rules must be a Rules or one of {', '.join(PRESETS)}, "
                         f"not {rules!r}")


@dataclass(frozen=True)
class Channels:
    """Labels of the channels to use, overriding the automatic choice (``None``: automatic).

    Attributes
    ----------
    left, right : str or None
        The left and right tibialis EMG (or ankle accelerometer) channels;
        one of them alone scores that leg alone when the other has no channel.
    ecg : str or None
        The ECG channel (cardiac artifact removal).
    legs : str or None
        The one channel of both legs (side ``combined``: RULES.md "One leg
        channel"); not with ``left`` or ``right``.
    """

    left: str | None = None
    right: str | None = None
    ecg: str | None = None
    legs: str | None = None

    def __post_init__(self) -> None:
        for name in ("left", "right", "ecg", "legs"):
            _check_label(name, getattr(self, name))
        if self.legs is not None and (self.left is not None or self.right is not None):
            raise ValueError("legs names the one channel of both legs: give it alone, not "
                             "with left or right")


@dataclass(frozen=True)
class AccelOptions:
    """Settings of an ankle-accelerometer night (:func:`plms.score_accel`).

    Attributes
    ----------
    side : {"left", "right"} or None
        Ankle of a single device whose labels and file name do not say it.
    fs : float or None
        Sampling rate of a CSV without timestamps, Hz.
    threshold_mg : float or None
        Movement threshold on the gravity-removed acceleration, mg
        (``None``: the detector's default, docs/ACCEL.md).
    sleep : {"auto", "estimate", "hypnogram"}
        Where sleep time comes from: the hypnogram when there is one, else
        estimated (``auto``); always estimated; or a hypnogram required.
    lights_off, lights_on : float, str or None
        Lights markers for an estimated sleep time: seconds from the
        recording start, or a clock time ``HH:MM``.
    """

    side: str | None = None
    fs: float | None = None
    threshold_mg: float | None = None
    sleep: str = "auto"
    lights_off: float | str | None = None
    lights_on: float | str | None = None

    def __post_init__(self) -> None:
        if self.side is not None:
            _check_choice("side", self.side, SIDES)
        _check_positive("fs", self.fs, "Hz")
        _check_positive("threshold_mg", self.threshold_mg, "mg")
        _check_choice("sleep", self.sleep, SLEEP_CHOICES)
        for name in ("lights_off", "lights_on"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, float, str))):
                raise ValueError(f"{name} must be seconds from the recording start or a "
                                 f"clock time HH:MM, not {value!r}")


@dataclass(frozen=True)
class OutputOptions:
    """Files written beside ``STEM.events.tsv`` and ``STEM.summary.json``.

    Attributes
    ----------
    write : tuple of str
        Extra outputs, each one of :data:`EXTRA_FORMATS` (no repeats).
    report : bool
        Also write ``STEM.report.html`` (needs matplotlib).
    """

    write: tuple[str, ...] = ()
    report: bool = False

    def __post_init__(self) -> None:
        from plms.outputs.extras import EXTRA_FORMATS

        if isinstance(self.write, str) or not isinstance(self.write, tuple):
            raise ValueError(f"write must be a tuple of formats ({', '.join(EXTRA_FORMATS)}), "
                             f"not {self.write!r}")
        unknown = [f for f in self.write if f not in EXTRA_FORMATS]
        if unknown:
            raise ValueError(f"unknown output format(s) {', '.join(map(repr, unknown))}; "
                             f"allowed: {', '.join(EXTRA_FORMATS)}")
        if len(set(self.write)) != len(self.write):
            raise ValueError(f"write names a format twice: {self.write!r}")
        if not isinstance(self.report, bool):
            raise ValueError(f"report must be True or False, not {self.report!r}")


@dataclass(frozen=True)
class ScoreOptions:
    """How a recording is scored (:func:`plms.score`, ``plms score``).

    Attributes
    ----------
    rules : {"wasm2016", "aasm"} or Rules
    modality : {"auto", "emg", "accel"}
        ``auto``: accelerometer when the file has accelerometer channels and
        no leg EMG, or is a CSV/.cwa/.bin/.gt3x file; else EMG.
    annotations : path or Annotations, optional
        Hypnogram, respiratory events and arousals of the night (default: a
        sidecar ``STEM.xml``, else the EDF+'s own).
    channels : Channels
    unit : str or None
        Physical unit of the leg channels when the header lacks it (EMG: uV,
        mV, V; accelerometer: g, mg, m/s^2).
    accel : AccelOptions
    outputs : OutputOptions
    threads : int or None
        Threads for the two legs' full-rate work (``None``: one per leg; 1
        when nights run in parallel processes).
    keep_excerpt : bool
        Keep a short excerpt of the signals in ``result.details`` for the
        excerpt plots. The files written never depend on it; writing a
        night keeps it exactly when a report is asked for.
    diary : path or None
        A sleep diary of a multi-day accelerometer recording (CSV ``night``,
        ``lights_off``, ``lights_on``; :func:`plms.io.diary.read_diary`): its
        windows replace the detected nights. Implies a multi-day recording.
    days : {"auto", "on", "off"}
        ``auto``: an accelerometer recording is split into nights
        (:class:`~plms.result.DaysResult`) when it lasts at least
        :data:`plms.pipeline.days.MULTI_DAY_MIN_H` hours or a diary is given;
        ``on``: always (an EMG recording is refused); ``off``: scored as one
        night whatever its length.
    """

    rules: str | Rules = "wasm2016"
    modality: str = "auto"
    annotations: str | os.PathLike[str] | Any | None = None
    channels: Channels = field(default_factory=Channels)
    unit: str | None = None
    accel: AccelOptions = field(default_factory=AccelOptions)
    outputs: OutputOptions = field(default_factory=OutputOptions)
    threads: int | None = None
    keep_excerpt: bool = True
    diary: str | os.PathLike[str] | None = None
    days: str = "auto"

    def __post_init__(self) -> None:
        _check_rules(self.rules)
        _check_choice("modality", self.modality, MODALITIES)
        _check_choice("days", self.days, DAYS_CHOICES)
        if self.diary is not None and not isinstance(self.diary, (str, os.PathLike)):
            raise ValueError(f"diary must be the path of a sleep diary (CSV) or None, not "
                             f"{self.diary!r}")
        if self.diary is not None and self.days == "off":
            raise ValueError("a diary splits a recording into nights: give it with days "
                             "'auto' or 'on', not 'off'")
        if self.diary is not None and self.modality == "emg":
            raise ValueError("a diary is for multi-day accelerometer recordings, not "
                             "modality 'emg'")
        if self.unit is not None:
            from plms.checks import unit_problem

            problem = unit_problem(self.unit, self.modality)
            if problem is not None:
                raise ValueError(problem)
        if self.threads is not None and (isinstance(self.threads, bool)
                                         or not isinstance(self.threads, int)
                                         or self.threads < 1):
            raise ValueError(f"threads must be None or an integer of 1 or more, not "
                             f"{self.threads!r}")
        for name, kind in (("channels", Channels), ("accel", AccelOptions),
                           ("outputs", OutputOptions)):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"{name} must be a {kind.__name__}, not "
                                 f"{getattr(self, name)!r}")


@dataclass(frozen=True)
class RescoreOptions:
    """How annotation files are rescored (:func:`plms.rescore`, ``plms rescore``).

    Attributes
    ----------
    rules : {"wasm2016", "aasm"} or Rules
    fmt : {"auto", "remlogic", "nsrr", "profusion", "edf", "tsv", "csv"}
        Format of the files; ``auto`` guesses it from the name and content.
    outputs : OutputOptions
    """

    rules: str | Rules = "wasm2016"
    fmt: str = "auto"
    outputs: OutputOptions = field(default_factory=OutputOptions)

    def __post_init__(self) -> None:
        _check_rules(self.rules)
        _check_choice("fmt", self.fmt, RESCORE_FORMATS)
        if not isinstance(self.outputs, OutputOptions):
            raise ValueError(f"outputs must be an OutputOptions, not {self.outputs!r}")


#: Flat names (those of the command line) of :class:`ScoreOptions` fields.
_SCORE_FLAT = {
    "rules": ("", "rules"), "modality": ("", "modality"),
    "annotations": ("", "annotations"), "unit": ("", "unit"), "threads": ("", "threads"),
    "keep_excerpt": ("", "keep_excerpt"), "diary": ("", "diary"), "days": ("", "days"),
    "left": ("channels", "left"), "right": ("channels", "right"), "ecg": ("channels", "ecg"),
    "legs": ("channels", "legs"),
    "side": ("accel", "side"), "fs": ("accel", "fs"),
    "accel_threshold": ("accel", "threshold_mg"), "sleep": ("accel", "sleep"),
    "lights_off": ("accel", "lights_off"), "lights_on": ("accel", "lights_on"),
    "write": ("outputs", "write"), "report": ("outputs", "report"),
}
#: ... and of :class:`RescoreOptions` fields (``format`` is ``fmt``).
_RESCORE_FLAT = {
    "rules": ("", "rules"), "fmt": ("", "fmt"), "format": ("", "fmt"),
    "write": ("outputs", "write"), "report": ("outputs", "report"),
}


def _write_value(value: object) -> tuple[str, ...]:
    """``write=`` as given in Python: ``"a,b"``, a list, or None."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(dict.fromkeys(n.strip().lower() for n in value.split(",") if n.strip()))
    if isinstance(value, (list, tuple)):
        return tuple(dict.fromkeys(value))
    raise ValueError(f"write must be formats (see plms.outputs.EXTRA_FORMATS) as a list or "
                     f"comma-separated text, not {value!r}")


def _with_flat(options: Any, flat: Mapping[str, tuple[str, str]], command: str,
               overrides: Mapping[str, Any]) -> Any:
    groups: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        if key not in flat:
            allowed = ", ".join(sorted(k for k in flat if k != "format"))
            raise TypeError(f"unknown option {key!r} of plms {command}; allowed: {allowed}")
        group, name = flat[key]
        groups.setdefault(group, {})[name] = _write_value(value) if key == "write" else value
    top = dict(groups.pop("", {}))
    for group, values in groups.items():
        top[group] = replace(getattr(options, group), **values)
    return replace(options, **top) if top else options


def score_options(options: ScoreOptions | None = None, **overrides: Any) -> ScoreOptions:
    """``options`` (default :class:`ScoreOptions`) with the fields named by their flat names.

    The flat names are those of ``plms score``: ``rules``, ``modality``,
    ``annotations``, ``unit``, ``threads``, ``keep_excerpt``, ``left``,
    ``right``, ``legs``, ``ecg``, ``side``, ``fs``, ``accel_threshold``, ``sleep``,
    ``lights_off``, ``lights_on``, ``write``, ``report``, ``diary``, ``days``.

    Raises
    ------
    TypeError
        An unknown name.
    ValueError
        A value not allowed (the message names the allowed ones).
    """
    base = ScoreOptions() if options is None else options
    if not isinstance(base, ScoreOptions):
        raise ValueError(f"options must be a ScoreOptions, not {type(base).__name__}")
    result: ScoreOptions = _with_flat(base, _SCORE_FLAT, "score", overrides)
    return result


def rescore_options(options: RescoreOptions | None = None, **overrides: Any) -> RescoreOptions:
    """Like :func:`score_options` for :class:`RescoreOptions` (``rules``, ``fmt`` or
    ``format``, ``write``, ``report``)."""
    base = RescoreOptions() if options is None else options
    if not isinstance(base, RescoreOptions):
        raise ValueError(f"options must be a RescoreOptions, not {type(base).__name__}")
    result: RescoreOptions = _with_flat(base, _RESCORE_FLAT, "rescore", overrides)
    return result


__all__ = ["DAYS_CHOICES", "MODALITIES", "RESCORE_FORMATS", "SIDES", "SLEEP_CHOICES",
           "AccelOptions", "Channels", "OutputOptions", "RescoreOptions", "ScoreOptions",
           "rescore_options", "score_options"]
