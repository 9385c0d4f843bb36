"""Scoring a night end to end: read, condition, detect, apply the rules, sum up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from plms._version import __version__
from plms.annotations import Annotations
from plms.detect import DetectorSettings, LegDetection, condition_leg, detect_conditioned
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.indices import compute_summary
from plms.result import ScoreResult
from plms.rules import Rules, get_rules
from plms.scoring import apply_rules
from plms.summary import SLEEP_FROM_HYPNOGRAM, Summary, summary_header

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from plms.io.edf import Recording

#: A leg channel whose robust spread is below this is flat (no EMG at all), µV.
FLAT_CHANNEL_UV = 0.05
#: Share of samples at the physical limits above which a channel is unusable ...
SATURATED_ERROR_FRACTION = 0.5
#: ... and above which a warning is given.
SATURATED_WARN_FRACTION = 0.001
SIDES = ("left", "right")


@dataclass(frozen=True)
class LegSignal:
    """One leg's EMG, ready for detection."""

    label: str
    data_uv: np.ndarray
    fs: float
    saturated_fraction: float = 0.0


def score_lms(
    lms: pd.DataFrame,
    rules: str | Rules = "wasm2016",
    *,
    hypnogram: Hypnogram | None = None,
    respiratory: pd.DataFrame | None = None,
    arousals: pd.DataFrame | None = None,
    stem: str = "night",
    extra_summary: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> ScoreResult:
    """Apply the rules to per-leg leg movements and compute the night's figures.

    Parameters
    ----------
    lms : DataFrame
        ``onset``, ``duration`` (s), ``side`` (``left``/``right``), optional ``peak_uv``.
    rules : {"wasm2016", "aasm"} or Rules
    hypnogram : Hypnogram, optional
    respiratory, arousals : DataFrame, optional
        ``None`` means "not scored"; an empty table means "scored, none found".
    stem : str
        Base name of the output files.
    extra_summary : mapping, optional
        The summary's header (:func:`plms.summary.summary_header`); its
        ``warnings`` come before those of the figures.
    details : mapping, optional
        Intermediate results kept in ``result.details`` (beside ``rules_inputs``).

    Examples
    --------
    >>> lms = pd.DataFrame({"onset": [600.0, 620, 640, 660], "duration": 2.0, "side": "right"})
    >>> r = score_lms(lms, hypnogram=Hypnogram.from_labels(["N2"] * 240))
    >>> r.summary["plms_index"]
    2.0
    """
    events, summary = apply_and_sum(lms, rules, hypnogram=hypnogram, respiratory=respiratory,
                                    arousals=arousals, extra_summary=extra_summary)
    return make_result(lms, events, summary, hypnogram=hypnogram, respiratory=respiratory,
                       arousals=arousals, stem=stem, details=details)


def apply_and_sum(
    lms: pd.DataFrame,
    rules: str | Rules,
    *,
    hypnogram: Hypnogram | None,
    respiratory: pd.DataFrame | None,
    arousals: pd.DataFrame | None,
    extra_summary: Mapping[str, Any] | None,
) -> tuple[pd.DataFrame, Summary]:
    """The scored events and the summary (header, then figures) of :func:`score_lms`."""
    rules = get_rules(rules)
    events = apply_rules(lms, rules, hypnogram=hypnogram, respiratory=respiratory,
                         arousals=arousals)
    figures = compute_summary(events, rules, hypnogram,
                              respiratory_scored=respiratory is not None,
                              arousals_scored=arousals is not None,
                              recording_duration_s=(extra_summary or {}).get(
                                  "recording_duration_s"))
    head: dict[str, Any] = {"plms_version": __version__}
    if extra_summary:
        head.update({k: v for k, v in extra_summary.items() if k != "warnings"})
        figures["warnings"] = list(extra_summary.get("warnings", [])) + figures["warnings"]
    summary = cast(Summary, {**head, **figures})
    return events, summary


def make_result(
    lms: pd.DataFrame,
    events: pd.DataFrame,
    summary: Summary,
    *,
    hypnogram: Hypnogram | None,
    respiratory: pd.DataFrame | None,
    arousals: pd.DataFrame | None,
    stem: str,
    details: Mapping[str, Any] | None = None,
) -> ScoreResult:
    """The :class:`ScoreResult`, built complete: ``details`` holds ``rules_inputs`` (what
    the rules used, for the writers that write it back) and ``details``."""
    inputs = {"respiratory": respiratory, "arousals": arousals}
    return ScoreResult(events=events, summary=summary, per_leg=lms.copy(),
                       hypnogram=hypnogram, stem=stem,
                       details={"rules_inputs": inputs, **(details or {})})


def check_leg(leg: LegSignal, rules: Rules, path: str | None) -> list[str]:
    """Refuse a flat or saturated channel; warn on a low rate or partial saturation."""
    warnings = []
    x = leg.data_uv
    if x.size == 0:
        raise PlmsInputError(f"leg channel '{leg.label}' holds no samples", path=path)
    spread = float(np.subtract(*np.percentile(x[:: max(1, x.size // 200_000)], [75, 25])))
    if spread < FLAT_CHANNEL_UV:
        raise PlmsInputError(f"leg channel '{leg.label}' is flat (no signal): cannot score it",
                             path=path)
    if leg.saturated_fraction > SATURATED_ERROR_FRACTION:
        raise PlmsInputError(
            f"leg channel '{leg.label}' is saturated ({100 * leg.saturated_fraction:.0f}% of "
            "samples at the physical limits): cannot score it", path=path)
    if leg.saturated_fraction > SATURATED_WARN_FRACTION:
        warnings.append(f"leg channel '{leg.label}': {100 * leg.saturated_fraction:.1f}% of "
                        "samples at the physical limits (clipped)")
    if leg.fs < rules.min_sampling_rate_hz:
        warnings.append(
            f"leg channel '{leg.label}' is sampled at {leg.fs:g} Hz, below the "
            f"{rules.min_sampling_rate_hz:g} Hz the standards ask for: scored anyway, "
            "amplitudes above the Nyquist frequency are lost")
    return warnings


def detect_legs(
    legs: dict[str, LegSignal],
    rules: Rules,
    *,
    heartbeats_s: np.ndarray | None,
    settings: DetectorSettings,
    threads: int | None = None,
) -> tuple[pd.DataFrame, dict[str, LegDetection], list[str]]:
    """Detect on each leg; return the per-leg table, the detections and warnings.

    The legs' full-rate work runs in threads, one per leg (FFTs and
    reductions release the GIL, chunking bounds their memory); the rules on
    the 100-Hz bins, with the heart beats gated out, run one leg after the
    other, which keeps the peak memory of a night low. ``threads`` caps the
    threads (default one per leg); 1 works in this thread.
    """
    from concurrent.futures import ThreadPoolExecutor

    tables, detections, warnings = [], {}, []
    if threads is not None and threads <= 1:
        conditioned = {side: condition_leg(leg.data_uv, leg.fs, settings=settings)
                       for side, leg in legs.items()}
    else:
        workers = max(1, min(len(legs), threads or len(legs)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {side: pool.submit(condition_leg, leg.data_uv, leg.fs, settings=settings)
                       for side, leg in legs.items()}
            conditioned = {side: job.result() for side, job in futures.items()}
    for side, leg in legs.items():
        det = detect_conditioned(conditioned.pop(side), rules=rules, heartbeats_s=heartbeats_s,
                                 settings=settings)
        detections[side] = det
        tables.append(det.events.assign(side=side))
        excluded_min = float(det.excluded["duration"].sum()) / 60.0
        if excluded_min > 0:
            warnings.append(
                f"leg channel '{leg.label}': {excluded_min:.1f} min look like a detached "
                "electrode (strong mains pick-up) and were not scored")
    lms = pd.concat(tables, ignore_index=True).sort_values("onset", kind="stable")
    return lms.reset_index(drop=True), detections, warnings


def external_annotations(
    path: Path, annotations: str | os.PathLike[str] | Annotations | None
) -> tuple[str | os.PathLike[str] | Annotations | None, str | None]:
    """The annotations to use instead of the EDF+'s own: given > sidecar file."""
    from plms.io import find_sidecar

    if isinstance(annotations, Annotations):
        return annotations, "given in Python"
    if annotations is not None:
        return annotations, str(annotations)
    sidecar = find_sidecar(path)
    return (sidecar, str(sidecar)) if sidecar is not None else (None, None)


def load_annotations(
    chosen: str | os.PathLike[str] | Annotations | None, source: str | None,
    embedded: Annotations, duration_s: float, start: datetime | None = None,
) -> tuple[Annotations, str]:
    """Read the chosen annotations (or take the EDF+'s own), cropped to the recording.

    Formats with clock times (RemLogic) are aligned to ``start``, the EDF's
    start date and time. Returns them and where they come from
    (``summary["annotations_source"]``): ``source`` as given by
    :func:`external_annotations`, else ``"EDF+ annotations"`` or ``"none"``.
    """
    from plms.io import read_annotations

    if isinstance(chosen, Annotations):
        ann = chosen
    elif chosen is not None:
        ann = read_annotations(chosen, duration_s=duration_s, start=start)
    else:
        ann = embedded
    if source is None:
        source = "EDF+ annotations" if ann.hypnogram is not None else "none"
    return ann.cropped(duration_s), source


def _accel_only_hint(path: Path, exc: PlmsInputError) -> PlmsInputError:
    """The error for a file without leg EMG: pointing to score_accel when it has accelerometers."""
    from plms.io.accel import looks_like_accel

    if not looks_like_accel(path):
        return exc
    return PlmsInputError(
        "holds ankle accelerometer channels and no leg EMG: score it with "
        "plms.score_accel() (on the command line: plms score, which detects the modality)",
        path=path)


def _read_night(
    source: Any,
    annotations: str | os.PathLike[str] | Annotations | None,
    **channels: str | None,
) -> tuple[Recording, Annotations, str, str, str]:
    """Read the night of :func:`score_edf`: recording, annotations and their source, name, stem."""
    from plms.io.edf import Recording
    from plms.io.mne_raw import IN_MEMORY_NAME, is_mne_raw, raw_source, recording_from_raw

    given: str | None = None
    if isinstance(annotations, Annotations):
        given = "given in Python"
    elif annotations is not None:
        given = str(annotations)
    if isinstance(source, Recording):   # built in Python (plms.api.EmgArrays)
        ann, ann_source = load_annotations(annotations, given, source.annotations,
                                           source.duration_s, source.start)
        return source, ann, ann_source, str(source.path), "night"
    if is_mne_raw(source):
        rec = recording_from_raw(source, read_annotations=annotations is None, **channels)
        if annotations is None:
            a = rec.annotations
            has_any = a.hypnogram is not None or a.respiratory_scored or a.arousals_scored
            given = "mne.io.Raw annotations" if has_any else "none"
        ann, ann_source = load_annotations(annotations, given, rec.annotations, rec.duration_s,
                                           rec.start)
        file = raw_source(source)
        return (rec, ann, ann_source, str(file) if file else IN_MEMORY_NAME,
                file.stem if file else "night")
    from plms.io.edf import read_recording

    path = Path(source)
    chosen, ann_source_found = external_annotations(path, annotations)
    try:
        rec = read_recording(path, read_annotations=chosen is None, **channels)
    except PlmsInputError as exc:
        if channels.get("left") is None and channels.get("right") is None:
            raise _accel_only_hint(path, exc) from None
        raise
    ann, ann_source = load_annotations(chosen, ann_source_found, rec.annotations,
                                       rec.duration_s, rec.start)
    return rec, ann, ann_source, str(path), path.stem


def score_edf(
    path: str | os.PathLike[str] | mne.io.BaseRaw | Recording,
    rules: str | Rules = "wasm2016",
    annotations: str | os.PathLike[str] | Annotations | None = None,
    *,
    left: str | None = None,
    right: str | None = None,
    ecg: str | None = None,
    unit: str | None = None,
    settings: DetectorSettings = DetectorSettings(),  # noqa: B008 - frozen, immutable
    threads: int | None = None,
    keep_excerpt: bool = True,
) -> ScoreResult:
    """Score a PSG night in EDF, EDF+ or BDF end to end.

    Parameters
    ----------
    path : path or mne.io.BaseRaw
        The recording: a file, or a night loaded in MNE-Python (``mne.io.Raw``,
        ``RawArray``; its data are taken in volts, its sampling rate from
        ``raw.info["sfreq"]``, its start from ``raw.info["meas_date"]`` and its
        stages and events from ``raw.annotations``). An accelerometer
        recording is refused with a pointer to :func:`plms.score_accel`.
        (:func:`plms.score` also takes arrays, :class:`plms.api.EmgArrays`.)
    rules : {"wasm2016", "aasm"} or Rules
    annotations : path or Annotations, optional
        Hypnogram, respiratory events and arousals (NSRR XML or EDF+). When
        absent, a sidecar ``STEM.xml`` / ``STEM-nsrr.xml`` beside the EDF is
        used, else the EDF+'s own annotations (for a Raw: ``raw.annotations``).
    left, right, ecg : str, optional
        Channel labels overriding the automatic choice.
    unit : str, optional
        Physical unit of the leg channels when the header does not say it
        (for a Raw: the unit of ``raw.get_data()`` when it is not volts).
    threads : int, optional
        Threads for the two legs (default one per leg); 1 when several
        nights run in parallel processes.
    keep_excerpt : bool
        Keep a short EMG excerpt in ``result.details["emg_excerpt"]`` for
        :func:`plms.plots.plot_emg_excerpt` and the report.

    Returns
    -------
    ScoreResult

    Raises
    ------
    PlmsInputError
        For any problem with the inputs, with the file and the problem named.
    """
    from plms.cardiac import detect_r_peaks

    rules = get_rules(rules)
    rec, ann, ann_source, name, stem = _read_night(path, annotations, left=left, right=right,
                                                   ecg=ecg, unit=unit)
    warnings = list(rec.warnings)
    legs = {side: LegSignal(ch.label, ch.data, ch.fs, ch.saturated_fraction)
            for side, ch in (("left", rec.left), ("right", rec.right))}
    for leg in legs.values():
        warnings += [w for w in check_leg(leg, rules, name) if w not in warnings]
    ecg_label, beats = None, None
    if rec.ecg is not None:
        ecg_label, beats = rec.ecg.label, detect_r_peaks(rec.ecg.data, rec.ecg.fs)
        rec = replace(rec, ecg=None)   # frees the ECG samples before the legs' work
    else:
        warnings.append("no ECG channel found: cardiac artifact in the leg channels was not "
                        "removed (name one with --ecg)")
    lms, detections, det_warnings = detect_legs(legs, rules, heartbeats_s=beats,
                                                settings=settings, threads=threads)
    header = summary_header(
        file=name,
        recording_start=rec.start.isoformat() if rec.start is not None else None,
        recording_duration_s=rec.duration_s,
        modality="emg",
        sleep_source=SLEEP_FROM_HYPNOGRAM if ann.hypnogram is not None else None,
        channels={"left": rec.left.label, "right": rec.right.label, "ecg": ecg_label,
                  "reason": rec.choice.reason},
        fs_hz={"left": rec.left.fs, "right": rec.right.fs},
        signal={
            "units": {"left": rec.left.unit, "right": rec.right.unit},
            "mains_hz": {side: det.mains_hz for side, det in detections.items()},
            "excluded_min": {side: float(det.excluded["duration"].sum()) / 60.0
                             for side, det in detections.items()},
        },
        annotations_source=ann_source,
        warnings=warnings + det_warnings + list(ann.warnings),
    )
    respiratory = ann.respiratory if ann.respiratory_scored else None
    arousals = ann.arousals if ann.arousals_scored else None
    events, summary = apply_and_sum(lms, rules, hypnogram=ann.hypnogram,
                                    respiratory=respiratory, arousals=arousals,
                                    extra_summary=header)
    details: dict[str, Any] = {"detections": detections, "annotations": ann}
    if keep_excerpt:
        from plms.plots import emg_excerpt   # numpy/pandas only: matplotlib stays unloaded

        details["emg_excerpt"] = emg_excerpt(
            {side: (leg.data_uv, leg.fs) for side, leg in legs.items()}, events,
            duration_s=rec.duration_s, labels={side: leg.label for side, leg in legs.items()})
    return make_result(lms, events, summary, hypnogram=ann.hypnogram, respiratory=respiratory,
                       arousals=arousals, stem=stem, details=details)
