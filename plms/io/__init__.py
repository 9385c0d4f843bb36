"""Reading layer: PSG signals (EDF/EDF+/BDF) and scored annotations.

Data flows one way: this package reads files into :class:`Recording` and
:class:`~plms.annotations.Annotations`; it knows nothing of detection or
scoring.

>>> from plms.io import leg_side, classify_annotation
>>> leg_side("RLEG1-RLEG2"), classify_annotation("Sleep stage R")
('right', ('stage', 'R'))
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from os import PathLike
from pathlib import Path

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.channels import (
    ChannelChoice,
    choose_leg_channels,
    is_combined_leg_label,
    is_leg_label,
    leg_side,
)
from plms.io.ecg_channel import choose_ecg_channel
from plms.io.annotations._textfiles import read_text
from plms.io.accel.read import (
    AccelRecording,
    AccelSignal,
    accel_unit_scale,
    looks_like_accel,
    read_accel,
    read_accel_edf,
)
from plms.io.accel.csv import read_accel_csv
from plms.io.accel.devices import read_accel_device
from plms.io.accel.labels import accel_axis_side, is_accel_label
from plms.io.annotations.adapters import annotations_from_mne, annotations_from_yasa
from plms.io.psg.edf import Channel, Recording, read_recording, to_microvolts, unit_scale
from plms.io.annotations.edf_annotations import annotations_from_tal, read_edf_annotations
from plms.io.annotations.hypnogram_text import (
    DIGIT_MAPPINGS,
    looks_like_hypnogram_text,
    read_hypnogram_text,
)
from plms.io.annotations.labels import RESPIRATORY_KINDS, classify_annotation
from plms.io.names import EDF_SUFFIXES, NSRR_XML_SUFFIXES, SIDECAR_SUFFIXES, TABLE_SUFFIXES
from plms.io.annotations._xml import PROFUSION_ROOT, xml_root_name
from plms.io.annotations.nsrr import read_nsrr_xml
from plms.io.annotations.profusion import read_profusion_xml
from plms.io.annotations.remlogic import looks_like_remlogic, read_remlogic
from plms.io.annotations.tables import looks_like_table, read_events_table
from plms.io.bids import (
    BidsRecording,
    ChannelSidecar,
    find_bids_recordings,
    is_bids_root,
    read_channels_tsv,
)

__all__ = [
    "ANNOTATION_FORMATS",
    "DIGIT_MAPPINGS",
    "RESPIRATORY_KINDS",
    "AccelRecording",
    "AccelSignal",
    "BidsRecording",
    "Channel",
    "ChannelChoice",
    "ChannelSidecar",
    "Recording",
    "accel_axis_side",
    "accel_unit_scale",
    "annotations_from_mne",
    "annotations_from_tal",
    "annotations_from_yasa",
    "choose_ecg_channel",
    "choose_leg_channels",
    "classify_annotation",
    "detect_format",
    "find_bids_recordings",
    "find_sidecar",
    "is_accel_label",
    "is_bids_root",
    "is_combined_leg_label",
    "is_leg_label",
    "looks_like_accel",
    "leg_side",
    "read_accel",
    "read_accel_csv",
    "read_accel_device",
    "read_accel_edf",
    "read_annotations",
    "read_channels_tsv",
    "read_edf_annotations",
    "read_events_table",
    "read_hypnogram_text",
    "read_nsrr_xml",
    "read_profusion_xml",
    "read_recording",
    "read_remlogic",
    "to_microvolts",
    "unit_scale",
]

#: Values of ``fmt`` in :func:`read_annotations`.
ANNOTATION_FORMATS = ("auto", "remlogic", "nsrr", "profusion", "edf", "tsv", "csv", "hypnogram")


def detect_format(path: str | PathLike[str]) -> str:
    """The annotation format of a file, from its suffix and, for text files, its content.

    ``.xml`` is Compumedics Profusion when its root element is
    ``<CMPStudyConfig>``, else NSRR; ``.edf``/``.bdf``/``.rec`` EDF+,
    ``.tsv``/``.csv`` a table; other files are read: a RemLogic export (first line ``RemLogic
    Event Export`` or a RemLogic column header), a table (``onset`` and
    ``duration`` columns) or a hypnogram text (one token per line).

    Raises
    ------
    PlmsInputError
        The file is none of these.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in NSRR_XML_SUFFIXES:
        return "profusion" if xml_root_name(path) == PROFUSION_ROOT else "nsrr"
    if suffix in EDF_SUFFIXES:
        return "edf"
    if suffix in TABLE_SUFFIXES:
        return suffix[1:]
    text = read_text(path)
    if looks_like_remlogic(text):
        return "remlogic"
    if looks_like_table(text):
        return "tsv"
    if looks_like_hypnogram_text(text):
        return "hypnogram"
    raise PlmsInputError(
        "the annotation format was not recognised; plms reads NSRR XML and Compumedics Profusion "
        "XML (.xml), EDF+/BDF+ "
        "(.edf, .bdf), RemLogic event exports, hypnogram text (one stage per line) and "
        "CSV/TSV tables with onset and duration columns",
        path=path,
    )


def read_annotations(
    path: str | PathLike[str],
    *,
    duration_s: float | None = None,
    start: datetime | None = None,
    fmt: str = "auto",
    stage_mapping: Mapping[str, str] | str | None = None,
) -> Annotations:
    """Read scored annotations from any supported file.

    Parameters
    ----------
    path : path-like
        The annotation file.
    duration_s : float, optional
        Recording length; events outside it are dropped with a warning.
    start : datetime, optional
        Start of the recording (the EDF header's start). Used by formats
        with clock times (RemLogic) to count onsets from it; other formats
        already count from the recording start.
    fmt : str
        One of :data:`ANNOTATION_FORMATS`; ``"auto"`` detects it
        (:func:`detect_format`). ``"hypnogram"`` is a text file of one stage
        per line; ``"tsv"``/``"csv"`` an events table.
    stage_mapping : str or mapping, optional
        How a hypnogram text file's digits map to stages: a name from
        :data:`DIGIT_MAPPINGS` or a dictionary. Without it digits are refused.

    Raises
    ------
    ValueError
        ``fmt`` is not one of :data:`ANNOTATION_FORMATS`.
    PlmsInputError
        Unrecognised format, or any problem reading the file.
    """
    if fmt not in ANNOTATION_FORMATS:
        raise ValueError(
            f"unknown annotation format {fmt!r}; allowed: {', '.join(ANNOTATION_FORMATS)}"
        )
    path = Path(path)
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt == "nsrr":
        return read_nsrr_xml(path, duration_s=duration_s)
    if fmt == "profusion":
        return read_profusion_xml(path, duration_s=duration_s)
    if fmt == "edf":
        ann = read_edf_annotations(path)
        return ann if duration_s is None else ann.cropped(duration_s)
    if fmt == "remlogic":
        return read_remlogic(path, start=start, duration_s=duration_s)
    if fmt == "hypnogram":
        return read_hypnogram_text(path, mapping=stage_mapping, duration_s=duration_s)
    return read_events_table(path, duration_s=duration_s)


def find_sidecar(edf_path: str | PathLike[str]) -> Path | None:
    """The annotation file that belongs to a recording, if one lies beside it.

    Looks for ``<stem>-nsrr.xml`` (NSRR cohorts), then ``<stem>-profusion.xml``
    (the Profusion export NSRR ships beside it), then ``<stem>.xml``
    (:data:`plms.io.names.SIDECAR_SUFFIXES`); the suffix may be in any case.
    """
    edf_path = Path(edf_path)
    folder, stem = edf_path.parent, edf_path.stem
    try:
        names = {p.name: p for p in folder.iterdir() if p.is_file()}
    except OSError:
        return None
    for suffix in SIDECAR_SUFFIXES:
        for name, candidate in sorted(names.items()):
            if name.startswith(stem) and name[len(stem):].lower() == suffix:
                return candidate
    return None
