"""Scoring a PSG night end to end: read, condition, detect, apply the rules, sum up."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.pipeline.core import (
    LegSignal, apply_and_sum, check_leg, external_annotations, load_annotations, make_result,
    one_channel_warning,
)
from plms.pipeline.excerpt import emg_excerpt
from plms.result import ScoreResult
from plms.rules import Rules, get_rules
from plms.io.psg.lazy import LazySamples
from plms.signal.emg.artifacts import one_blas_thread
from plms.signal.emg.detect import (
    ConditionedLeg, DetectorSettings, LegDetection, condition_leg, detect_conditioned,
)
from plms.signal.emg.streaming import StreamedLeg, file_sink, stream_leg
from plms.summary import SLEEP_FROM_HYPNOGRAM, summary_header

if TYPE_CHECKING:  # pragma: no cover
    import mne

    from plms.io.psg.edf import Recording
    from plms.signal.emg.cardiac import Heartbeats


#: A night read from a file is scored this long a chunk at a time (10 min of
#: 100-Hz bins: a few MB, whatever the length of the recording).
STREAM_CHUNK_S = 600.0

#: A leg whose onset threshold the resting noise raised for at least this many
#: minutes (``LegDetection.high_tone_min``) gets a warning: a stretch of high
#: resting tone, where small movements may be missed. Shorter raised stretches
#: (a few noisy blocks on an ordinary night) are reported in the summary only.
HIGH_TONE_WARNING_MIN = 1.0


def detect_legs(
    legs: dict[str, LegSignal],
    rules: Rules,
    *,
    heartbeats_s: Heartbeats | None,
    settings: DetectorSettings,
    threads: int | None = None,
    ecg: tuple[npt.NDArray[np.float32] | LazySamples, float] | None = None,
) -> tuple[pd.DataFrame, dict[str, LegDetection], list[str]]:
    """Detect on each leg; return the per-leg table, the detections and warnings.

    The legs' full-rate work runs in threads, one per leg (FFTs and
    reductions release the GIL, chunking bounds their memory), beside the
    R-peak detection of ``ecg`` (samples in µV, rate) when it is given; the
    rules on the 100-Hz bins, with the heart beats gated out, run one leg
    after the other, which keeps the peak memory of a night low (when the
    beats come from the ECG, a leg's rules run while the next leg is still
    being conditioned). ``threads``
    caps the threads (default one per leg); 1 works in this thread. Without
    ``heartbeats_s`` nor ``ecg`` (no ECG channel) the beats are sought in the
    legs' own cardiac artifact (``settings.leg_beats``); a warning says what
    was found.
    """
    from concurrent.futures import ThreadPoolExecutor

    from plms.signal.emg.cardiac import detect_heartbeats

    tables: list[pd.DataFrame] = []
    detections: dict[str, LegDetection] = {}
    warnings: list[str] = []
    chunk_s = STREAM_CHUNK_S if ecg is not None and isinstance(ecg[0], LazySamples) else None
    # the beats are known without the legs: each leg's rules may follow its conditioning
    beats_first = ecg is not None or heartbeats_s is not None or not settings.leg_beats.enabled
    if threads is not None and threads <= 1:
        conditioned = {side: _condition(leg, rules, settings) for side, leg in legs.items()}
        if ecg is not None:
            heartbeats_s = detect_heartbeats(*ecg, chunk_s=chunk_s)
    else:
        workers = max(1, min(len(legs), threads or len(legs)))
        # BLAS on one thread while the legs' threads run: a leg leaving its own limit
        # (one_blas_thread) would otherwise restore BLAS threads under the other's products
        with one_blas_thread(), ThreadPoolExecutor(max_workers=workers) as pool:
            beats_job = (pool.submit(detect_heartbeats, *ecg, chunk_s=chunk_s)
                         if ecg is not None else None)
            futures = {side: pool.submit(_condition, leg, rules, settings)
                       for side, leg in legs.items()}
            if beats_job is not None:
                heartbeats_s = beats_job.result()
            if beats_first:
                # a leg's rules (here) while the pool still conditions the next leg;
                # the legs' rules still one after the other
                for side, job in futures.items():
                    detections[side] = _detect(job.result(), rules, heartbeats_s, settings)
            conditioned = {side: job.result() for side, job in futures.items()
                           if side not in detections}
    del ecg
    if heartbeats_s is None and settings.leg_beats.enabled:
        heartbeats_s = _beats_from_legs(legs, conditioned, settings, warnings)
    for side, leg in legs.items():
        if side not in detections:
            detections[side] = _detect(conditioned.pop(side), rules, heartbeats_s, settings)
        det = detections[side]
        tables.append(det.events.assign(side=side))
        excluded_min = float(det.excluded["duration"].sum()) / 60.0
        if excluded_min > 0:
            warnings.append(
                f"leg channel '{leg.label}': {excluded_min:.1f} min look like a detached "
                "electrode (strong mains pick-up) and were not scored")
        if det.high_tone_min >= HIGH_TONE_WARNING_MIN:
            warnings.append(
                f"leg channel '{leg.label}': for {det.high_tone_min:.1f} min the resting EMG "
                "fluctuated so much (high resting tone) that the onset threshold was raised "
                "above the rules' 8 \u00b5V: small movements there may be missed and scoring "
                "is unreliable (summary high_tone_min)")
    lms = pd.concat(tables, ignore_index=True).sort_values("onset", kind="stable")
    return lms.reset_index(drop=True), detections, warnings


def _detect(cond: ConditionedLeg | StreamedLeg, rules: Rules, heartbeats_s: Heartbeats | None,
            settings: DetectorSettings) -> LegDetection:
    """The rules applied to a conditioned leg (a 10-min chunk at a time when streamed)."""
    chunk = None
    sink = None
    if isinstance(cond, StreamedLeg):
        chunk = int(round(STREAM_CHUNK_S * cond.rate_hz))
        sink = file_sink(cond.bins.n_bins)
    return detect_conditioned(cond, rules=rules, heartbeats_s=heartbeats_s,
                              settings=settings, chunk_bins=chunk, sink=sink)


def _condition(leg: LegSignal, rules: Rules, settings: DetectorSettings
               ) -> ConditionedLeg | StreamedLeg:
    """A leg conditioned: its bins in memory, or in a temporary file when read on demand."""
    if isinstance(leg.data_uv, LazySamples):
        return stream_leg(leg.data_uv, leg.fs, rules=rules, settings=settings)
    return condition_leg(leg.data_uv, leg.fs, rules=rules, settings=settings)


def _beats_from_legs(legs: dict[str, LegSignal],
                     conditioned: dict[str, ConditionedLeg | StreamedLeg],
                     settings: DetectorSettings, warnings: list[str]) -> Heartbeats | None:
    """The heart beats found in the legs' cardiac artifact (None: none), with a warning.

    The search takes every bin and sample of the legs at once (a night read
    on demand is read whole here: recordings without an ECG channel are not
    yet scored in bounded memory).
    """
    from plms.signal.emg.leg_beats import LegTrace, heartbeats_from_legs

    traces = {}
    for side, c in conditioned.items():
        sums, counts = c.bins.read(0, c.bins.n_bins)
        traces[side] = LegTrace(sums, counts, c.rate_hz, np.asarray(legs[side].data_uv),
                                legs[side].fs)
    found = heartbeats_from_legs(traces, settings.leg_beats)
    if found.heartbeats is None:
        warnings.append("no usable ECG channel, and no cardiac artifact found in the leg "
                        "channels: nothing was gated out (name an ECG channel with --ecg)")
        return None
    named = " and ".join(f"'{legs[side].label}'" for side in found.sides)
    warnings.append(f"no usable ECG channel: {found.n_beats} heart beats were taken from the "
                    f"cardiac artifact in the leg channel{'s' if len(found.sides) > 1 else ''} "
                    f"{named} and gated out of the leg EMG (name an ECG channel with --ecg)")
    return found.heartbeats


def _accel_only_hint(path: Path, exc: PlmsInputError) -> PlmsInputError:
    """The error for a file without leg EMG: pointing to score_accel when it has accelerometers."""
    from plms.io.accel.read import looks_like_accel

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
    from plms.io.psg.edf import Recording
    from plms.io.psg.mne_raw import IN_MEMORY_NAME, is_mne_raw, raw_source, recording_from_raw

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
    from plms.io.psg.edf import read_recording

    path = Path(source)
    chosen, ann_source_found = external_annotations(path, annotations)
    try:
        rec = read_recording(path, read_annotations=chosen is None, left=channels.get("left"),
                             right=channels.get("right"), ecg=channels.get("ecg"),
                             unit=channels.get("unit"), legs=channels.get("legs"), lazy=True)
    except PlmsInputError as exc:
        if all(channels.get(option) is None for option in ("left", "right", "legs")):
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
    legs: str | None = None,
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
        Hypnogram, respiratory events and arousals (any file
        :func:`plms.io.read_annotations` reads: NSRR or Profusion XML, EDF+...).
        When absent, a sidecar ``STEM-nsrr.xml`` / ``STEM-profusion.xml`` /
        ``STEM.xml`` beside the EDF is used, else the EDF+'s own annotations
        (for a Raw: ``raw.annotations``).
    left, right, ecg : str, optional
        Channel labels overriding the automatic choice (``left="Lleg1-Lleg2"``
        derives a leg from two electrodes, :mod:`plms.io.channels`). One leg
        given when the other has no channel scores that leg alone.
    unit : str, optional
        Physical unit of the leg channels when the header does not say it
        (for a Raw: the unit of ``raw.get_data()`` when it is not volts).
    legs : str, optional
        The one channel of both legs: scored as one channel of side
        ``combined``, without bilateral combination (RULES.md "One leg
        channel"; a recording whose only leg label has no side, ``Leg``, is
        scored so without it). The summary's ``channels``, ``fs_hz`` and
        per-side fields then hold that side alone, and a warning says what
        one channel cannot see.
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
    rules = get_rules(rules)
    rec, ann, ann_source, name, stem = _read_night(path, annotations, left=left, right=right,
                                                   legs=legs, ecg=ecg, unit=unit)
    warnings = list(rec.warnings)
    signals = {side: LegSignal(ch.label, ch.data, ch.fs, ch.saturated_fraction)
               for side, ch in rec.legs.items()}
    one_channel = one_channel_warning({side: ch.label for side, ch in rec.legs.items()})
    if one_channel is not None:
        warnings.append(one_channel)
    for leg in signals.values():
        warnings += [w for w in check_leg(leg, rules, name) if w not in warnings]
    ecg_label, ecg_signal = None, None
    if rec.ecg is not None:
        ecg_label, ecg_signal = rec.ecg.label, (rec.ecg.data, rec.ecg.fs)
        rec = replace(rec, ecg=None)   # the ECG samples are freed once its beats are found
    elif not settings.leg_beats.enabled:
        warnings.append("no usable ECG channel: cardiac artifact in the leg channels was not "
                        "removed (name one with --ecg)")
    lms, detections, det_warnings = detect_legs(signals, rules, heartbeats_s=None,
                                                settings=settings, threads=threads,
                                                ecg=ecg_signal)
    del ecg_signal
    header = summary_header(
        file=name,
        recording_start=rec.start.isoformat() if rec.start is not None else None,
        recording_duration_s=rec.duration_s,
        modality="emg",
        sleep_source=SLEEP_FROM_HYPNOGRAM if ann.hypnogram is not None else None,
        channels={**{side: ch.label for side, ch in rec.legs.items()}, "ecg": ecg_label,
                  "reason": rec.choice.reason},
        fs_hz={side: ch.fs for side, ch in rec.legs.items()},
        signal={
            "units": {side: ch.unit for side, ch in rec.legs.items()},
            "mains_hz": {side: det.mains_hz for side, det in detections.items()},
            "excluded_min": {side: float(det.excluded["duration"].sum()) / 60.0
                             for side, det in detections.items()},
            "high_tone_min": {side: det.high_tone_min for side, det in detections.items()},
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
        details["emg_excerpt"] = emg_excerpt(
            {side: (leg.data_uv, leg.fs) for side, leg in signals.items()}, events,
            duration_s=rec.duration_s, labels={side: leg.label for side, leg in signals.items()})
    return make_result(lms, events, summary, hypnogram=ann.hypnogram, respiratory=respiratory,
                       arousals=arousals, stem=stem, details=details)
