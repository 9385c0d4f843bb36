"""Annotations from Python objects: ``mne.Annotations`` and ``yasa.Hypnogram``.

Neither library is imported here: the objects are duck-typed, so YASA stays
an optional extra.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.io.annotations.edf_annotations import annotations_from_tal
from plms.io.annotations.labels import MNE_CHANNEL_SEPARATOR
from plms.stages import YASA_NAMES

#: YASA stage names (``Hypnogram.hypno``) to plms stages; artefact epochs are unscored.
YASA_STAGES = YASA_NAMES


def _as_utc(moment: datetime) -> datetime:
    """A time zone-aware datetime; a naive one is taken as UTC (MNE's convention)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _with_channel(text: str, ch_names: Iterable[str]) -> str:
    """``text@@channel`` when the annotation concerns exactly one channel."""
    channels = list(ch_names)
    if MNE_CHANNEL_SEPARATOR in text or len(channels) != 1:
        return text
    return f"{text}{MNE_CHANNEL_SEPARATOR}{channels[0]}"


def annotations_from_mne(
    annotations: Any,
    *,
    orig_time: datetime | None = None,
    duration_s: float | None = None,
) -> Annotations:
    """Convert ``mne.Annotations`` (e.g. ``raw.annotations``) to plms annotations.

    Parameters
    ----------
    annotations : mne.Annotations
        Descriptions are classified like EDF+ annotation texts; a leg
        movement takes its side from its text, from MNE's channel-specific
        style (``LM@@LAT``) or from its single channel in ``ch_names``.
    orig_time : datetime, optional
        Start of the recording (e.g. ``raw.info["meas_date"]``). When given
        and the annotations have an ``orig_time`` of their own, onsets are
        shifted to count from it; otherwise the onsets are taken as seconds
        from the recording start. Naive datetimes are taken as UTC, as in MNE.
    duration_s : float, optional
        Recording length; events outside it are dropped with a warning.

    Examples
    --------
    >>> import mne
    >>> ann = annotations_from_mne(mne.Annotations(
    ...     [0, 30, 40], [30, 30, 1.5], ["Sleep stage W", "Sleep stage N2", "LM"],
    ...     ch_names=[(), (), ("RAT",)]))
    >>> ann.hypnogram.stages.tolist(), ann.leg_movements["side"].tolist()
    (['W', 'N2'], ['right'])
    """
    shift = 0.0
    own = getattr(annotations, "orig_time", None)
    if orig_time is not None and own is not None:
        shift = (_as_utc(own) - _as_utc(orig_time)).total_seconds()
    channels = getattr(annotations, "ch_names", None)
    if channels is None:
        channels = [()] * len(annotations.onset)
    items = [
        (float(onset) + shift, float(duration), _with_channel(str(text), chans))
        for onset, duration, text, chans in zip(
            annotations.onset, annotations.duration, annotations.description, channels,
            strict=True,
        )
    ]
    return annotations_from_tal(items, duration_s=duration_s, source="mne.Annotations")


def annotations_from_yasa(
    hyp: Any,
    *,
    start: datetime | None = None,
    duration_s: float | None = None,
) -> Annotations:
    """Convert a ``yasa.Hypnogram`` (5 stages) to plms annotations.

    Parameters
    ----------
    hyp : yasa.Hypnogram
        Read through its ``hypno`` (stage names ``WAKE``, ``N1``, ``N2``,
        ``N3``, ``REM``, ``ART``, ``UNS``; artefact and unscored epochs become
        ``U``), ``freq`` (epoch length, e.g. ``"30s"``) and ``start``.
    start : datetime, optional
        Start of the recording. When given and the hypnogram has a start of
        its own, the first epoch is placed at their difference; otherwise at 0 s.
        When only one of the two carries a time zone, both are compared as
        wall-clock times.
    duration_s : float, optional
        Recording length; epochs past it are dropped with a warning.

    Raises
    ------
    PlmsInputError
        A 2-, 3- or 4-stage hypnogram (``SLEEP``, ``NREM``, ``LIGHT``,
        ``DEEP``): plms needs N1, N2, N3 and REM apart.
    TypeError
        ``hyp`` is not a yasa.Hypnogram (it has no ``hypno``).
    """
    import pandas as pd

    values = getattr(hyp, "hypno", None)
    if values is None:
        raise TypeError(f"expected a yasa.Hypnogram, got {type(hyp).__name__}")
    labels = [str(v).strip().upper() for v in values]
    unknown = sorted(set(labels) - set(YASA_STAGES))
    if unknown:
        raise PlmsInputError(
            f"the YASA hypnogram holds stages plms cannot use ({', '.join(unknown)}); "
            "give a 5-stage hypnogram (WAKE, N1, N2, N3, REM)",
            path="yasa.Hypnogram",
        )
    epoch_s = pd.Timedelta(getattr(hyp, "freq", "30s")).total_seconds()
    start_s = 0.0
    own = getattr(hyp, "start", None)
    if start is not None and own is not None:
        own = pd.Timestamp(own).to_pydatetime()
        if (own.tzinfo is None) != (start.tzinfo is None):
            own, start = own.replace(tzinfo=None), start.replace(tzinfo=None)
        start_s = (own - start).total_seconds()
    try:
        hypnogram = Hypnogram.from_labels(
            [YASA_STAGES[lab] for lab in labels], epoch_s=epoch_s, start_s=start_s,
            source="yasa.Hypnogram",
        )
    except ValueError as exc:
        raise PlmsInputError(str(exc), path="yasa.Hypnogram") from None
    ann = Annotations(hypnogram=hypnogram, source="yasa.Hypnogram")
    return ann if duration_s is None else ann.cropped(duration_s)
