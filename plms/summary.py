"""The night's summary (``STEM.summary.json``): its type and the one builder of its header.

:class:`SummaryFigures` are the figures :func:`plms.scoring.indices.compute_summary`
computes from the scored events; :class:`Summary` adds the header that says
what was scored and how (file, recording, modality, sleep source, channels,
annotations). :func:`summary_header` builds that header for every pipeline
(EMG, accelerometer, rescoring), so that the three write the same fields in
the same order. docs/CONTRACT.md documents every field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from plms._version import __version__

#: ``modality`` of a night: leg EMG, ankle accelerometers, or movements scored in a file.
MODALITY_VALUES = ("emg", "accel", "scored")
#: ``sleep_source`` when sleep time comes from a scored hypnogram.
SLEEP_FROM_HYPNOGRAM = "hypnogram"


class SummaryFigures(TypedDict):
    """The figures of a scored night (RULES.md section 5); ``None``: not computable."""

    rules: str
    recording_min: float | None
    tst_min: float | None
    tib_min: float | None
    wake_min: float | None
    n_lm: int
    n_clm: int
    n_plm: int
    n_plms: int | None
    n_plmw: int | None
    plms_index: float | None
    plms_index_incl_resp: float | None
    plmw_index: float | None
    lms_index: float | None
    clms_index: float | None
    lm_index_recording: float | None
    plm_index_recording: float | None
    plms_arousal_index: float | None
    periodicity_index: float | None
    plm_clm_ratio: float | None
    imi_counts: dict[str, int]
    n_clm_resp: int
    respiratory_scored: bool
    arousals_scored: bool
    plms_by_stage: dict[str, int] | None
    plms_by_hour: list[int] | None
    rules_detail: dict[str, Any]
    warnings: list[str]


class Summary(SummaryFigures, total=False):
    """A night's summary: the header, then :class:`SummaryFigures`.

    The header fields are absent only from a summary built on DataFrames by
    :func:`plms.score_lms` without ``extra_summary`` (then only
    ``plms_version`` is there); every night scored from a file has them all
    (``files``, ``source``, ``units``, ``mains_hz``, ``excluded_min``,
    ``high_tone_min``, ``accel_detector``, ``annotations_format`` and ``scored_lms`` only where
    they apply).
    """

    plms_version: str
    file: str
    files: dict[str, str]
    source: str
    recording_start: str | None
    recording_duration_s: float | None
    modality: str
    sleep_source: str | None
    channels: dict[str, Any] | None
    fs_hz: dict[str, float] | None
    units: dict[str, str]
    mains_hz: dict[str, float | None]
    excluded_min: dict[str, float]
    high_tone_min: dict[str, float]
    accel_detector: dict[str, Any]
    annotations_source: str
    annotations_format: str
    scored_lms: dict[str, int]


def summary_header(
    *,
    file: str,
    recording_start: str | None,
    recording_duration_s: float | None,
    modality: str,
    sleep_source: str | None,
    channels: Mapping[str, Any] | None,
    fs_hz: Mapping[str, float] | None,
    annotations_source: str,
    warnings: Sequence[str],
    identity: Mapping[str, Any] | None = None,
    signal: Mapping[str, Any] | None = None,
    annotation_details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The header of a night's summary, in the order every pipeline writes it.

    Parameters
    ----------
    file : str
        The file scored (or ``mne.io.Raw`` / ``arrays`` for a night in memory).
    recording_start : str or None
        ISO date-time of the first sample.
    recording_duration_s : float or None
        Length of the recording, s (rescoring: the scored hypnogram's end).
    modality : {"emg", "accel", "scored"}
    sleep_source : str or None
        ``"hypnogram"``, an estimate's name, or None (no sleep time).
    channels, fs_hz : mapping or None
        The channels used and their sampling rates, Hz (None without signal).
    annotations_source : str
        Where the hypnogram and events come from.
    warnings : list of str
        The pipeline's warnings; :func:`plms.score_lms` appends the figures'.
    identity : mapping, optional
        Fields written right after ``file`` (``files``, ``source``).
    signal : mapping, optional
        Fields of the signals, after ``fs_hz`` (``units``, ``mains_hz``,
        ``excluded_min``, ``high_tone_min``, ``accel_detector``).
    annotation_details : mapping, optional
        Fields after ``annotations_source`` (``annotations_format``,
        ``scored_lms``, ``excluded_min`` of a rescored night).

    Returns
    -------
    dict
        The header, ``plms_version`` first, ``warnings`` last; the
        ``extra_summary`` of :func:`plms.score_lms`.

    Examples
    --------
    >>> h = summary_header(file="n.xml", recording_start=None, recording_duration_s=600.0,
    ...                    modality="scored", sleep_source="hypnogram", channels=None,
    ...                    fs_hz=None, annotations_source="n.xml", warnings=[])
    >>> list(h)[:4], h["sleep_source"]
    (['plms_version', 'file', 'recording_start', 'recording_duration_s'], 'hypnogram')
    >>> summary_header(file="n", recording_start=None, recording_duration_s=None,
    ...                modality="ecg", sleep_source=None, channels=None, fs_hz=None,
    ...                annotations_source="none", warnings=[])
    Traceback (most recent call last):
    ...
    ValueError: modality must be one of emg, accel, scored, not 'ecg'
    """
    if modality not in MODALITY_VALUES:
        raise ValueError(f"modality must be one of {', '.join(MODALITY_VALUES)}, "
                         f"not {modality!r}")
    header: dict[str, Any] = {"plms_version": __version__, "file": file}
    header.update(identity or {})
    header.update({
        "recording_start": recording_start,
        "recording_duration_s": recording_duration_s,
        "modality": modality,
        "sleep_source": sleep_source,
        "channels": None if channels is None else dict(channels),
        "fs_hz": None if fs_hz is None else dict(fs_hz),
    })
    header.update(signal or {})
    header["annotations_source"] = annotations_source
    header.update(annotation_details or {})
    header["warnings"] = list(warnings)
    return header


__all__ = ["MODALITY_VALUES", "SLEEP_FROM_HYPNOGRAM", "Summary", "SummaryFigures",
           "summary_header"]
