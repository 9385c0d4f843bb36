"""Scoring an accelerometer recording end to end: read, detect, sleep time, rules, sum up.

The accelerometer counterpart of :func:`plms.pipeline.emg.score_edf`: the leg
movements come from the ankle acceleration (:mod:`plms.signal.accel.detect`), then
exactly the same CLM, bilateral, series and index rules apply
(RULES.md section 6). Sleep time comes from a hypnogram when one is given
(a sidecar or the EDF+'s own annotations), else from an actigraphy
sleep/wake estimate (:mod:`plms.signal.accel.sleepwake`), and the summary then says
``"sleep_source": "estimated from accelerometer"``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from plms.signal.accel.detect import AccelDetection, AccelDetectorSettings, detect_lm_accel
from plms.signal.accel.sleepwake import SleepWakeSettings, estimate_sleep_wake
from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.options import SLEEP_CHOICES as _SLEEP_CHOICES
from plms.pipeline.excerpt import accel_excerpt
from plms.pipeline.core import apply_and_sum, external_annotations, load_annotations, make_result
from plms.result import ScoreResult
from plms.rules import Rules, get_rules
from plms.summary import SLEEP_FROM_HYPNOGRAM, summary_header

#: ``summary["sleep_source"]`` when sleep time is estimated from the acceleration
#: (RULES.md section 6; ``SLEEP_FROM_HYPNOGRAM`` when it comes from a hypnogram).
SLEEP_ESTIMATED = "estimated from accelerometer"
#: ``summary["modality"]`` of an accelerometer recording.
MODALITY = "accel"
#: Values of ``sleep=`` in :func:`score_accel` (:data:`plms.options.SLEEP_CHOICES`).
SLEEP_CHOICES = _SLEEP_CHOICES
#: Two devices whose rates differ by less than this share one rate, Hz.
RATE_TOLERANCE_HZ = 1e-6
#: Largest denominator of the rational resampling ratio between two devices.
MAX_RESAMPLE_DENOMINATOR = 1000


def detect_accel_legs(
    signals: dict[str, Any], rules: Rules, settings: AccelDetectorSettings,
) -> tuple[pd.DataFrame, dict[str, AccelDetection]]:
    """Detect the leg movements of every ankle; one table with a ``side`` column.

    ``signals`` maps ``left``/``right`` to anything with ``data`` (samples x
    axes, in g) and ``fs`` (Hz), e.g. :class:`plms.io.accel.read.AccelSignal`.
    """
    tables, detections = [], {}
    for side, sig in signals.items():
        det = detect_lm_accel(sig.data, sig.fs, rules=rules, settings=settings)
        detections[side] = det
        tables.append(det.events.assign(side=side))
    lms = pd.concat(tables, ignore_index=True).sort_values("onset", kind="stable")
    return lms.reset_index(drop=True), detections


def sleep_hypnogram(
    signals: dict[str, Any], ann: Annotations, sleep: str, settings: SleepWakeSettings,
    path: str | os.PathLike[str],
    lights: tuple[float | None, float | None] = (None, None),
) -> tuple[Hypnogram | None, str | None, list[str]]:
    """The hypnogram to score with, where it comes from (``sleep_source``), and warnings.

    ``sleep="auto"`` takes the annotations' hypnogram when there is one, else
    estimates sleep/wake from the acceleration; ``"estimate"`` always
    estimates; ``"hypnogram"`` requires a scored hypnogram. The estimate needs
    three axes (it follows the sensor's orientation); without them there is
    no sleep time, and the figures that need it are null. ``lights`` (lights
    off, lights on; seconds from the recording start) limit the estimate's
    time in bed; when not given, those of the annotations' hypnogram are used.
    """
    if sleep not in SLEEP_CHOICES:
        raise ValueError(f"sleep must be one of {', '.join(SLEEP_CHOICES)}, not {sleep!r}")
    if ann.hypnogram is not None and sleep != "estimate":
        return ann.hypnogram, SLEEP_FROM_HYPNOGRAM, []
    if sleep == "hypnogram":
        raise PlmsInputError("no hypnogram found (give --annotations, or let plms estimate "
                             "sleep from the accelerometer)", path=path)
    tri = [sig for sig in signals.values() if sig.data.ndim == 2 and sig.data.shape[1] == 3]
    if not tri:
        return None, None, ["sleep time cannot be estimated without three axes (the estimate "
                            "follows the sensor's orientation) and no hypnogram was given: "
                            "sleep time and every per-hour index are not computed"]
    fs = min(float(sig.fs) for sig in tri)
    datas = [_resampled(sig.data, float(sig.fs), fs) for sig in tri]
    off, on = lights
    if ann.hypnogram is not None:
        off = ann.hypnogram.lights_off_s if off is None else off
        on = ann.hypnogram.lights_on_s if on is None else on
    estimate = estimate_sleep_wake(datas if len(datas) > 1 else datas[0], fs,
                                   lights_off_s=off, lights_on_s=on, settings=settings)
    note = (f"sleep time is estimated from the accelerometer ({estimate.method}), not scored "
            "from a PSG: TST and every per-hour index depend on this estimate")
    return estimate.hypnogram, SLEEP_ESTIMATED, [note]


def lights_offset_s(value: float | str | None, start: datetime | None,
                    path: str | os.PathLike[str], what: str = "lights") -> float | None:
    """Seconds from the recording start of a lights marker given as a number or a clock time.

    A number (or numeric text) is seconds from the recording start; ``HH:MM``
    or ``HH:MM:SS`` is a clock time on the night of the recording (the first
    such time at or after its start); an ISO date-time is taken as it is.

    Examples
    --------
    >>> start = datetime(2024, 1, 1, 22, 30)
    >>> lights_offset_s("23:15", start, "n.csv"), lights_offset_s("06:30", start, "n.csv")
    (2700.0, 28800.0)
    >>> lights_offset_s(600, start, "n.csv")
    600.0
    """
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    text = str(value).strip()
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        clock = None
    if clock is not None:
        if start is None:
            raise PlmsInputError(f"{what} is given as a clock time ({text}) but the recording "
                                 "has no start time: give seconds from its start", path=path)
        at = datetime.combine(start.date(), clock)
        if at < start:
            at += timedelta(days=1)
        return (at - start).total_seconds()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise PlmsInputError(f"{what} {text!r} is neither seconds, a clock time (HH:MM) nor a "
                             "date-time", path=path) from None
    if start is None:
        raise PlmsInputError(f"{what} is given as a date-time but the recording has no start "
                             "time: give seconds from its start", path=path)
    return (at.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds()


def _resampled(data: np.ndarray, fs: float, target_hz: float) -> np.ndarray:
    """``data`` (samples x axes) at ``target_hz``; unchanged when already there."""
    if abs(fs - target_hz) < RATE_TOLERANCE_HZ:
        return data
    from fractions import Fraction

    from scipy.signal import resample_poly

    ratio = Fraction(target_hz / fs).limit_denominator(MAX_RESAMPLE_DENOMINATOR)
    return resample_poly(np.asarray(data, dtype=float), ratio.numerator, ratio.denominator,
                         axis=0)


def score_accel(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    rules: str | Rules = "wasm2016",
    annotations: str | os.PathLike[str] | Annotations | None = None,
    *,
    side: str | None = None,
    unit: str | None = None,
    fs: float | None = None,
    sleep: str = "auto",
    lights_off: float | str | None = None,
    lights_on: float | str | None = None,
    settings: AccelDetectorSettings = AccelDetectorSettings(),  # noqa: B008 - frozen
    sleep_settings: SleepWakeSettings = SleepWakeSettings(),  # noqa: B008 - frozen
    keep_excerpt: bool = True,
) -> ScoreResult:
    """Score a night recorded with one or two ankle accelerometers.

    Parameters
    ----------
    path : path, a list of two paths, or mne.io.BaseRaw
        EDF/EDF+/BDF with accelerometer channels, a CSV (timestamps or sample
        index, then x, y, z), a raw device file (``.cwa``, ``.bin``,
        ``.gt3x``; optional extra ``plms[devices]``), or a night loaded in
        MNE-Python (:func:`plms.io.accel.read.accel_from_raw`: the unit of its
        accelerometer channels is ``unit``, else the one in the header of
        the file MNE read; its stages and events from ``raw.annotations``). Two files (one per
        ankle, e.g. ``[night-left.csv, night-right.csv]``) are one two-ankle
        night (:func:`plms.io.accel.pair.read_accel_pair`), named by their
        common stem (``night``); its sidecar is ``night.xml`` beside them.
    rules : {"wasm2016", "aasm"} or Rules
    annotations : path or Annotations, optional
        Hypnogram (and respiratory events, arousals) from the PSG; a sidecar
        ``STEM-nsrr.xml`` / ``STEM-profusion.xml`` / ``STEM.xml`` is used when present.
    side : {"left", "right"}, optional
        Side of a single device whose labels do not say it (default: the side
        word ending the file name, ``night-right.csv``, else left). Not used
        for two files, whose sides come from their labels or names.
    unit : {"g", "mg", "m/s^2"}, optional
        Unit of the acceleration when the file does not say it (CSV) or says
        it wrongly.
    fs : float, optional
        Sampling rate of a CSV without timestamps.
    sleep : {"auto", "estimate", "hypnogram"}
        Where sleep time comes from (see :func:`sleep_hypnogram`).
    lights_off, lights_on : float or str, optional
        Lights markers for an estimated sleep time (e.g. from a sleep diary):
        seconds from the recording start, a clock time ``HH:MM``, or an ISO
        date-time (:func:`lights_offset_s`). Time in bed, and so sleep, lies
        between them.
    settings : AccelDetectorSettings
        The movement detector's choices (threshold in mg, ...).
    sleep_settings : SleepWakeSettings
        The actigraphy sleep/wake estimator's choices.
    keep_excerpt : bool
        Keep a short excerpt of the acceleration in
        ``result.details["accel_excerpt"]`` for :func:`plms.plots.plot_accel_excerpt`
        and the report.

    Returns
    -------
    ScoreResult
        The same contract as :func:`plms.score_edf`; ``summary["modality"]``
        is ``"accel"`` and ``summary["sleep_source"]`` says where sleep time
        comes from.

    Raises
    ------
    PlmsInputError
        For any problem with the inputs, with the file and the problem named.
    """
    from plms.io.accel.read import read_accel

    from plms.io.psg.mne_raw import is_mne_raw

    rules = get_rules(rules)
    if is_mne_raw(path):
        return _score_accel_raw(path, rules, annotations, side=side, unit=unit, sleep=sleep,
                                lights=(lights_off, lights_on), settings=settings,
                                sleep_settings=sleep_settings, keep_excerpt=keep_excerpt)
    files = _night_files(path)
    pair_notes = []
    if len(files) == 2:
        from plms.io.accel.pair import pair_night_name, read_accel_pair

        stem = pair_night_name(files)
        rec = read_accel_pair(files, unit=unit, fs=fs)
        path = rec.path.parent / f"{stem}{rec.path.suffix}"   # names the sidecar, not read
        where: str | Path = " and ".join(str(f) for f in files)
        if side is not None:
            pair_notes.append(f"side={side!r} (--side) was not used: each of the two files' "
                              "side comes from its labels or name")
    else:
        path = files[0]
        stem, where = path.stem, path
        # EDF/BDF samples are read when the detector asks, a stretch at a time
        rec = read_accel(path, side=side, unit=unit, fs=fs, lazy=True)
    chosen, ann_source = external_annotations(path, annotations)
    ann, ann_source = load_annotations(chosen, ann_source, rec.annotations, rec.duration_s,
                                       rec.start)
    identity = ({"files": {leg: str(f) for leg, f in zip(("left", "right"), _by_leg(files, rec),
                                                         strict=True)}}
                if len(files) == 2 else None)
    return _score_read(rec, ann, ann_source, rules, file=str(files[0] if len(files) == 1
                                                             else rec.path),
                       identity=identity, stem=stem, where=where, notes=pair_notes,
                       sleep=sleep, lights=(lights_off, lights_on), settings=settings,
                       sleep_settings=sleep_settings, keep_excerpt=keep_excerpt)


def _score_accel_raw(raw: Any, rules: Rules, annotations: str | os.PathLike[str] | Annotations
                     | None, *, side: str | None, unit: str | None, sleep: str,
                     lights: tuple[float | str | None, float | str | None],
                     settings: AccelDetectorSettings, sleep_settings: SleepWakeSettings,
                     keep_excerpt: bool) -> ScoreResult:
    """:func:`score_accel` of an ``mne.io.Raw``: annotations given, else ``raw.annotations``."""
    from plms.io.accel.read import accel_from_raw
    from plms.io.psg.mne_raw import IN_MEMORY_NAME, raw_source

    rec = accel_from_raw(raw, side=side, unit=unit, read_annotations=annotations is None)
    source = raw_source(raw)
    given = None if annotations is None else (
        "given in Python" if isinstance(annotations, Annotations) else str(annotations))
    if annotations is None:
        has_any = rec.annotations.hypnogram is not None or rec.annotations.respiratory_scored
        given = "mne.io.Raw annotations" if has_any else "none"
    ann, ann_source = load_annotations(annotations, given, rec.annotations, rec.duration_s,
                                       rec.start)
    name = str(source) if source is not None else IN_MEMORY_NAME
    return _score_read(rec, ann, ann_source, rules, file=name, identity=None,
                       stem=source.stem if source is not None else "night", where=name,
                       notes=[], sleep=sleep, lights=lights, settings=settings,
                       sleep_settings=sleep_settings, keep_excerpt=keep_excerpt)


def _score_read(rec: Any, ann: Annotations, ann_source: str, rules: Rules, *, file: str,
                identity: dict[str, Any] | None, stem: str, where: str | Path,
                notes: list[str], sleep: str,
                lights: tuple[float | str | None, float | str | None],
                settings: AccelDetectorSettings, sleep_settings: SleepWakeSettings,
                keep_excerpt: bool) -> ScoreResult:
    """Detect, place sleep, apply the rules and sum up an accelerometer night already read."""
    lights_off, lights_on = lights
    warnings = list(rec.warnings) + notes
    lms, detections = detect_accel_legs(rec.signals, rules, settings)
    for det in detections.values():
        warnings += [w for w in det.warnings if w not in warnings]
    lights_s = (lights_offset_s(lights_off, rec.start, where, "lights off"),
                lights_offset_s(lights_on, rec.start, where, "lights on"))
    if None not in lights_s and lights_s[1] <= lights_s[0]:   # type: ignore[operator]
        raise PlmsInputError(f"lights on ({lights_on}) is not after lights off ({lights_off})",
                             path=where)
    hyp, sleep_source, sleep_notes = sleep_hypnogram(rec.signals, ann, sleep, sleep_settings,
                                                     where, lights_s)
    if sleep_source == SLEEP_FROM_HYPNOGRAM and lights_s != (None, None):
        sleep_notes.append("the lights markers given were not used: sleep time comes from the "
                           "hypnogram, with its own markers")
    sides = list(rec.signals)
    notes = warnings + sleep_notes + list(ann.warnings)
    if len(sides) == 1:
        notes.append(f"one ankle only ({sides[0]}): bilateral movements cannot be combined "
                     "and the indices count that leg's movements alone")
    header = summary_header(
        file=file,
        identity=identity,
        recording_start=rec.start.isoformat() if rec.start is not None else None,
        recording_duration_s=rec.duration_s,
        modality=MODALITY,
        sleep_source=sleep_source,
        channels={
            **{s: rec.signals[s].label if s in rec.signals else None
               for s in ("left", "right")},
            "ecg": None,
            "axes": {s: list(rec.signals[s].channel_labels) for s in sides},
            "reason": "accelerometer channels" + (f" ({rec.file_type})" if rec.file_type
                                                  else ""),
        },
        fs_hz={s: float(rec.signals[s].fs) for s in sides},
        signal={
            "units": {s: rec.signals[s].unit for s in sides},
            "accel_detector": {
                "threshold_mg": {s: float(d.threshold_mg) for s, d in detections.items()},
                "noise_floor_mg": {s: float(d.noise_floor_mg) for s, d in detections.items()},
                "settings": _settings_dict(settings),
            },
        },
        annotations_source=ann_source,
        warnings=notes,
    )
    respiratory = ann.respiratory if ann.respiratory_scored else None
    arousals = ann.arousals if ann.arousals_scored else None
    events, summary = apply_and_sum(lms, rules, hypnogram=hyp, respiratory=respiratory,
                                    arousals=arousals, extra_summary=header)
    details: dict[str, Any] = {"accel_detections": detections, "annotations": ann}
    if keep_excerpt:
        details["accel_excerpt"] = accel_excerpt(rec.signals, events,
                                                 duration_s=rec.duration_s)
    return make_result(lms, events, summary, hypnogram=hyp, respiratory=respiratory,
                       arousals=arousals, stem=stem, details=details)


def _night_files(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
                 ) -> list[Path]:
    """The file(s) of a night: one path, or a list of one or two."""
    if isinstance(path, (str, os.PathLike)):
        return [Path(path)]
    files = [Path(p) for p in path]
    if len(files) not in (1, 2):
        raise ValueError(f"path must be one file or a list of 2 (left and right ankle), not "
                         f"{len(files)} files")
    return files


def _by_leg(files: list[Path], rec: Any) -> list[Path]:
    """The two files in left, right order (the recording's path is the left one)."""
    return files if files[0] == rec.path else files[::-1]


def _settings_dict(settings: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    if not is_dataclass(settings) or isinstance(settings, type):
        return {}
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v)
            for k, v in asdict(settings).items()}
