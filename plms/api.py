"""One way in: score a night from a file, an ``mne.io.Raw`` or arrays, with typed options.

:func:`score` is what ``plms score``, the batch workers and notebooks call;
:func:`score_night` and :func:`rescore_night` also write the night's files
(all of them or none, :func:`plms.outputs.write_night`) and its report::

    import plms
    result = plms.score("night.edf", rules="aasm")               # EMG or accelerometer
    result = plms.score(plms.api.EmgArrays(left_uv, right_uv, fs=200.0))
    opts = plms.ScoreOptions(rules="aasm", outputs=plms.options.OutputOptions(report=True))
    written = plms.api.score_night("night.edf", "out/", opts)

The modality of a file is decided as ``plms score --modality auto`` does: an
accelerometer recording when the file has accelerometer channels and no leg
EMG, or is an accelerometer CSV/device file; else leg EMG.

A multi-day accelerometer recording (a week on the ankle, issue 16) is split
into nights, each scored as a single night: :func:`score` returns a
:class:`~plms.result.DaysResult` instead of a :class:`~plms.result.ScoreResult`
when :func:`is_multi_day` says so (``days="auto"``: an accelerometer file of at
least :data:`plms.pipeline.days.MULTI_DAY_MIN_H` hours, or a ``diary``;
``days="on"``: always; ``days="off"``: never). :func:`score_days` always splits,
:func:`score_single` never does; :func:`score_night` writes either::

    days = plms.api.score_days("week.cwa", diary="diary.csv")
    days.nights                       # one row per night
    days.night(2).summary["plms_index"]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from plms.errors import PlmsInputError
from plms.io.names import ACCEL_CSV_SUFFIXES, EDF_SUFFIXES, FOLDER_RECORDING_SUFFIXES, has_suffix
from plms.options import RescoreOptions, ScoreOptions, rescore_options, score_options

if TYPE_CHECKING:  # pragma: no cover
    from plms.io.psg.edf import Recording
    from plms.result import DaysResult, ScoreResult

#: Recordings whose signals ``--write edf-copy`` copies: those ``plms score`` takes as EMG.
EDF_COPY_SUFFIXES: tuple[str, ...] = FOLDER_RECORDING_SUFFIXES
#: ``summary["file"]`` of a night given as arrays (its outputs' stem is ``night``).
ARRAYS_NAME = "arrays"

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class EmgArrays:
    """The legs' EMG of a night as arrays (and an optional ECG), for :func:`score`.

    Two legs (``left`` and ``right``), one leg (the other None), or one
    channel of both legs (``combined``, both legs None; RULES.md "One leg
    channel").

    Attributes
    ----------
    left, right : array of float or None
        Samples of the left and right tibialis EMG, in ``unit``.
    fs : float
        Sampling rate of every array, Hz.
    ecg : array of float, optional
        The ECG, same rate, in volts or any unit (only its beats are used; not
        used, with a warning, below
        :data:`~plms.io.ecg_channel.MIN_ECG_RATE_HZ`).
    unit : {"uV", "mV", "V"}
        Unit of the leg arrays.
    labels : (str, str)
        Names of the left and right channels.
    combined : array of float, optional
        Samples of one channel holding both legs, in ``unit`` (named ``combined``).
    """

    left: npt.ArrayLike | None
    right: npt.ArrayLike | None
    fs: float
    ecg: npt.ArrayLike | None = None
    unit: str = "uV"
    labels: tuple[str, str] = field(default=("left", "right"))
    combined: npt.ArrayLike | None = None

    def __post_init__(self) -> None:
        if isinstance(self.fs, bool) or not isinstance(self.fs, (int, float)) or not (
                np.isfinite(self.fs) and self.fs > 0):
            raise ValueError(f"fs must be a positive finite number of Hz, not {self.fs!r}")
        from plms.io.psg.edf import KNOWN_UNITS, unit_scale

        try:
            unit_scale(self.unit)
        except PlmsInputError:
            raise ValueError(f"unit must be a voltage ({KNOWN_UNITS}), not "
                             f"{self.unit!r}") from None
        legs = [self.left is not None, self.right is not None]
        if (self.combined is not None) == any(legs):
            raise ValueError("give the legs' arrays (left and right, or one of them) or one "
                             "combined array of both legs, not both nor none")

    def recording(self) -> Recording:
        """The arrays as the :class:`~plms.io.psg.edf.Recording` the EMG pipeline scores."""
        from plms.annotations import COMBINED
        from plms.io.channels import ChannelChoice
        from plms.io.ecg_channel import ecg_rate_warning
        from plms.io.psg.edf import Channel, Recording, unit_scale

        def channel(label: str, values: npt.ArrayLike, scale: float, unit: str) -> Channel:
            data = (np.asarray(values, dtype=np.float64).ravel() * scale).astype(np.float32)
            data.setflags(write=False)
            finite = data[np.isfinite(data)]
            low, high = ((float(finite.min()), float(finite.max())) if finite.size
                         else (0.0, 0.0))
            return Channel(label=label, data=data, fs=float(self.fs), unit=unit,
                           physical_min=low, physical_max=high, saturated_fraction=0.0)

        scale = unit_scale(self.unit)
        given = {"left": (self.labels[0], self.left), "right": (self.labels[1], self.right),
                 COMBINED: (COMBINED, self.combined)}
        legs = {side: channel(label, values, scale, self.unit)
                for side, (label, values) in given.items() if values is not None}
        sizes = {ch.data.size for ch in legs.values()}
        if len(sizes) > 1:
            counts = " and ".join(str(ch.data.size) for ch in legs.values())
            raise PlmsInputError(f"the legs' arrays differ in length ({counts} samples)",
                                 path=ARRAYS_NAME)
        slow = None if self.ecg is None else ecg_rate_warning("ECG", float(self.fs))
        ecg = None if self.ecg is None or slow else channel("ECG", self.ecg, 1.0, "V")
        labels = {side: ch.label for side, ch in legs.items()}
        choice = ChannelChoice(labels.get("left"), labels.get("right"), "given as arrays",
                               combined=labels.get(COMBINED))
        return Recording(
            path=Path(ARRAYS_NAME), start=None,  # type: ignore[arg-type]  # no clock time
            duration_s=sizes.pop() / float(self.fs), legs=legs, ecg=ecg, choice=choice,
            labels=(*labels.values(), *(("ECG",) if self.ecg is not None else ())),
            file_type="arrays", warnings=(slow,) if slow else ())


@dataclass(frozen=True, eq=False)
class WrittenNight:
    """A night scored and written: its result and the files written (events table and
    summary first, then the extras, then the report). For a multi-day recording the
    result is a :class:`~plms.result.DaysResult` and the files are ``STEM.nights.csv``,
    ``STEM.summary.json``, the nights' files, then the reports."""

    result: ScoreResult | DaysResult
    paths: tuple[Path, ...]


def _is_pair(source: object) -> bool:
    return isinstance(source, (list, tuple)) and not isinstance(source, EmgArrays)


def _display(source: object) -> str:
    if _is_pair(source):
        return " and ".join(str(p) for p in source)  # type: ignore[attr-defined]
    return str(source)


def modality_of(source: object, options: ScoreOptions) -> str:
    """``"emg"`` or ``"accel"``: how :func:`score` scores ``source`` with ``options``.

    Raises
    ------
    PlmsInputError
        ``modality="emg"`` for a night of per-ankle files.
    """
    from plms.io.psg.mne_raw import is_mne_raw

    if _is_pair(source):
        if options.modality == "emg":
            raise PlmsInputError("--modality emg scores one EDF per night, not a night of "
                                 "per-ankle files (see --no-pair-sides)",
                                 path=_display(source))
        return "accel"
    if options.modality != "auto":
        return options.modality
    if isinstance(source, EmgArrays):
        return "emg"
    from plms.io.accel.read import looks_like_accel, looks_like_accel_raw

    if is_mne_raw(source):
        return "accel" if looks_like_accel_raw(source) else "emg"

    return "accel" if looks_like_accel(Path(source)) else "emg"  # type: ignore[arg-type]


def _multi_day_min_h() -> float:
    from plms.pipeline.days import MULTI_DAY_MIN_H

    return float(MULTI_DAY_MIN_H)


def recording_hours(source: Any, options: ScoreOptions) -> float:
    """Length of an accelerometer recording (a file or two per-ankle files), hours.

    EDF/BDF files are measured from their header, CSV files from their first
    and last lines (or their line count and ``fs``:
    :func:`plms.io.accel.csv.csv_span_s`); device files, and CSVs those do not
    tell, are read whole, once more than scoring them needs.
    """
    from plms.io._edfformat import read_header

    first = Path(list(source)[0] if _is_pair(source) else source)
    if has_suffix(first, EDF_SUFFIXES):
        return read_header(first).duration_s / 3600.0
    if has_suffix(first, ACCEL_CSV_SUFFIXES):
        from plms.io.accel.csv import csv_span_s

        span = csv_span_s(first, fs=options.accel.fs)
        if span is not None:
            return span / 3600.0
    from plms.io.accel.read import read_accel

    return read_accel(first, side=options.accel.side, unit=options.unit,
                      fs=options.accel.fs).duration_s / 3600.0


def is_multi_day(source: Any, options: ScoreOptions) -> bool:
    """Whether :func:`score` splits ``source`` into nights (a :class:`~plms.result.DaysResult`).

    ``options.days``: ``off`` never; ``on`` (or a ``diary``) always; ``auto``
    when the recording is an accelerometer file at least
    :data:`plms.pipeline.days.MULTI_DAY_MIN_H` hours long.

    Raises
    ------
    PlmsInputError
        ``days="on"`` or a diary for a recording that is not an accelerometer
        file (leg EMG, arrays, an ``mne.io.Raw``); the message names it.
    """
    if options.days == "off":
        return False
    wanted = options.days == "on" or options.diary is not None
    why = "--days on" if options.days == "on" else "--diary"
    from plms.io.psg.mne_raw import is_mne_raw

    if isinstance(source, EmgArrays) or is_mne_raw(source):
        if wanted:
            raise PlmsInputError(f"{why}: a multi-day recording is scored from its "
                                 "accelerometer file(s), not from arrays or an mne.io.Raw",
                                 path=ARRAYS_NAME if isinstance(source, EmgArrays)
                                 else "mne.io.Raw")
        return False
    if modality_of(source, options) != "accel":
        if wanted:
            raise PlmsInputError(f"{why}: nights of several days are found in ankle "
                                 "accelerometer recordings; this one is scored as leg EMG "
                                 "(one night): nothing scored (use --modality accel if it "
                                 "holds accelerometers)", path=_display(source))
        return False
    return wanted or recording_hours(source, options) >= _multi_day_min_h()


def score(source: Any, options: ScoreOptions | None = None,
          **overrides: Any) -> ScoreResult | DaysResult:
    """Score a night: a file, two per-ankle files, an ``mne.io.Raw`` or :class:`EmgArrays`.

    A multi-day accelerometer recording (:func:`is_multi_day`) is split into
    nights and returns a :class:`~plms.result.DaysResult` (:func:`score_days`);
    everything else a :class:`~plms.result.ScoreResult` (:func:`score_single`).

    Parameters
    ----------
    source : path, list of two paths, mne.io.BaseRaw or EmgArrays
        An EDF/BDF (leg EMG or ankle accelerometers), an accelerometer CSV or
        device file, the two files of a night recorded one file per ankle,
        a night loaded in MNE-Python, or arrays.
    options : ScoreOptions, optional
        How to score it (default :class:`~plms.options.ScoreOptions`).
    **overrides
        Fields of ``options`` by their flat names (``rules="aasm"``,
        ``left="EMG L"``, ``sleep="estimate"``...; :func:`plms.options.score_options`).

    Returns
    -------
    ScoreResult or DaysResult

    Raises
    ------
    PlmsInputError
        Any problem with the inputs, with the file and the problem named.
    TypeError, ValueError
        An unknown option, or a value not allowed.
    """
    opts = score_options(options, **overrides)
    if is_multi_day(source, opts):
        return score_days(source, opts)
    return score_single(source, opts)


def score_single(source: Any, options: ScoreOptions | None = None,
                 **overrides: Any) -> ScoreResult:
    """Score ``source`` as one night whatever its length (as :func:`score` with
    ``days="off"``; a ``diary`` is not used)."""
    opts = score_options(options, **overrides)
    if modality_of(source, opts) == "accel":
        return _score_accel(source, opts)
    from plms.pipeline.emg import score_edf

    night = source.recording() if isinstance(source, EmgArrays) else source
    ch = opts.channels
    return score_edf(night, opts.rules, opts.annotations, left=ch.left, right=ch.right,
                     legs=ch.legs, ecg=ch.ecg, unit=opts.unit, threads=opts.threads,
                     keep_excerpt=opts.keep_excerpt)


def _score_accel(source: Any, opts: ScoreOptions) -> ScoreResult:
    from plms.signal.accel.detect import AccelDetectorSettings
    from plms.pipeline.accel import score_accel

    if isinstance(source, EmgArrays):
        raise ValueError("modality 'accel' scores accelerometer files (EDF, CSV, .cwa, .bin, "
                         ".gt3x) or an mne.io.Raw, not EMG arrays; allowed sources: a path or "
                         "a list of two paths, or an mne.io.Raw")
    settings = AccelDetectorSettings()
    a = opts.accel
    if a.threshold_mg is not None:
        settings = replace(settings, threshold_mg=a.threshold_mg)
    night = list(source) if _is_pair(source) else source
    return score_accel(night, rules=opts.rules, annotations=opts.annotations, side=a.side,
                       unit=opts.unit, fs=a.fs, sleep=a.sleep, lights_off=a.lights_off,
                       lights_on=a.lights_on, settings=settings,
                       keep_excerpt=opts.keep_excerpt)


def score_days(source: Any, options: ScoreOptions | None = None,
               **overrides: Any) -> DaysResult:
    """Score a multi-day accelerometer recording night by night
    (:func:`plms.pipeline.days.score_accel_days`), whatever its length.

    Parameters
    ----------
    source : path or list of two paths
        An accelerometer file (EDF, CSV, .cwa, .bin, .gt3x), or the two files
        of a recording made one file per ankle.
    options, **overrides
        As for :func:`score`; ``diary`` gives the nights' windows. One night's
        ``lights_off``/``lights_on`` and ``sleep="hypnogram"`` are refused
        (give a diary).

    Raises
    ------
    PlmsInputError
        Not an accelerometer recording, or a problem with it or the diary
        (named).
    ValueError
        Options that do not fit a multi-day recording.
    """
    opts = replace(score_options(options, **overrides), days="on")
    is_multi_day(source, opts)   # refuses what is not an accelerometer file
    a = opts.accel
    if a.lights_off is not None or a.lights_on is not None:
        raise ValueError("lights_off/lights_on mark one night; a multi-day recording takes "
                         "a diary of every night (--diary FILE), or score it as one night "
                         "(--days off)")
    if a.sleep == "hypnogram":
        raise ValueError("sleep 'hypnogram': the nights of a multi-day recording have their "
                         "sleep estimated from the accelerometers (use sleep 'auto' or "
                         "'estimate', or --days off)")
    from plms.pipeline.days import score_accel_days
    from plms.signal.accel.detect import AccelDetectorSettings

    settings = AccelDetectorSettings()
    if a.threshold_mg is not None:
        settings = replace(settings, threshold_mg=a.threshold_mg)
    night = [str(p) for p in source] if _is_pair(source) else source
    return score_accel_days(night, rules=opts.rules, annotations=opts.annotations,
                            diary=opts.diary, side=a.side, unit=opts.unit, fs=a.fs,
                            settings=settings, keep_excerpt=opts.keep_excerpt)


def _source_edf(source: object, formats: Sequence[str]) -> Path | None:
    """The recording ``edf-copy`` copies; refuses ``edf-copy`` for a night that is not one."""
    edf = (Path(source) if isinstance(source, (str, os.PathLike))
           and has_suffix(source, EDF_COPY_SUFFIXES) else None)
    if "edf-copy" in formats and edf is None:
        what = "night" if _is_pair(source) else "file"
        raise PlmsInputError(f"--write edf-copy needs an EDF recording, and this {what} is "
                             "not one: nothing written for it", path=_display(source))
    return edf


def _written(result: ScoreResult | DaysResult, out_dir: PathLike, formats: Sequence[str],
             source_edf: Path | None, report: bool) -> WrittenNight:
    from plms.outputs import write_night
    from plms.result import DaysResult

    if isinstance(result, DaysResult):
        return _written_days(result, out_dir, report)

    paths = write_night(result, out_dir, formats, source_edf=source_edf)
    if report:
        from plms.report import write_report

        paths.append(write_report(result, Path(out_dir) / f"{result.stem}.report.html"))
    return WrittenNight(result, tuple(paths))


def _written_days(result: DaysResult, out_dir: PathLike, report: bool) -> WrittenNight:
    """Write a multi-day recording's files (all or none), then its reports."""
    paths = list(result.write(Path(out_dir)).values())
    if report:
        from plms.report import write_days_report

        paths += write_days_report(result, out_dir)
    return WrittenNight(result, tuple(paths))


def score_night(source: Any, out_dir: PathLike, options: ScoreOptions | None = None,
                **overrides: Any) -> WrittenNight:
    """Score a night (:func:`score`) and write its files into ``out_dir``.

    ``STEM.events.tsv``, ``STEM.summary.json`` and the extras of
    ``options.outputs.write``, all of them or none; then, with
    ``options.outputs.report``, ``STEM.report.html``. The signal excerpt is
    kept exactly when the report needs it.

    A multi-day recording (:func:`is_multi_day`) gives ``STEM.nights.csv``,
    ``STEM.summary.json`` and ``STEM/nightNN.events.tsv`` (+ ``.json``) and
    ``.summary.json`` per scored night, all or none
    (:meth:`plms.result.DaysResult.write`); with a report, each night's
    ``STEM/nightNN.report.html`` and ``STEM.report.html``. The extra formats
    (``--write``) are refused for it (a :class:`PlmsInputError` naming the file).
    """
    opts = score_options(options, **overrides)
    opts = replace(opts, keep_excerpt=opts.outputs.report)
    multi = is_multi_day(source, opts)   # once: it may read the recording's length
    if opts.outputs.write and multi:
        raise PlmsInputError(f"--write {','.join(opts.outputs.write)} is not available for a "
                             "multi-day recording (its nights are written as "
                             "STEM/nightNN.events.tsv): nothing written for it; drop --write "
                             "or score it as one night with --days off",
                             path=_display(source))
    edf = _source_edf(source, opts.outputs.write)
    result = score_days(source, opts) if multi else score_single(source, opts)
    return _written(result, out_dir, opts.outputs.write, edf, opts.outputs.report)


def rescore_night(source: PathLike, out_dir: PathLike,
                  options: RescoreOptions | None = None, **overrides: Any) -> WrittenNight:
    """Rescore an annotation file (:func:`plms.rescore`) and write its files into ``out_dir``,
    as :func:`score_night` does."""
    from plms.pipeline.rescore import rescore

    opts = rescore_options(options, **overrides)
    edf = _source_edf(source, opts.outputs.write)
    result = rescore(source, opts.rules, fmt=opts.fmt)
    return _written(result, out_dir, opts.outputs.write, edf, opts.outputs.report)


__all__ = ["EDF_COPY_SUFFIXES", "EmgArrays", "WrittenNight", "is_multi_day", "modality_of",
           "recording_hours", "rescore_night", "score", "score_days", "score_night",
           "score_single"]
