"""Reading layer: PSG signals (EDF/EDF+/BDF) and scored annotations.

Data flows one way: this package reads files into :class:`Recording` and
:class:`~plms.annotations.Annotations`; it knows nothing of detection or
scoring.

>>> from plms.io import leg_side, classify_annotation
>>> leg_side("RLEG1-RLEG2"), classify_annotation("Sleep stage R")
('right', ('stage', 'R'))
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.channels import (
    ChannelChoice,
    choose_ecg_channel,
    choose_leg_channels,
    is_leg_label,
    leg_side,
)
from plms.io.edf import Channel, Recording, read_recording, to_microvolts, unit_scale
from plms.io.edf_annotations import annotations_from_tal, read_edf_annotations
from plms.io.labels import RESPIRATORY_KINDS, classify_annotation
from plms.io.nsrr import read_nsrr_xml

__all__ = [
    "RESPIRATORY_KINDS",
    "Channel",
    "ChannelChoice",
    "Recording",
    "annotations_from_tal",
    "choose_ecg_channel",
    "choose_leg_channels",
    "classify_annotation",
    "find_sidecar",
    "is_leg_label",
    "leg_side",
    "read_annotations",
    "read_edf_annotations",
    "read_nsrr_xml",
    "read_recording",
    "to_microvolts",
    "unit_scale",
]

#: Sidecar annotation names tried next to ``<stem>.edf``, in order of preference.
SIDECAR_SUFFIXES = ("-nsrr.xml", ".xml")
_EDF_SUFFIXES = (".edf", ".bdf", ".rec")


def read_annotations(path: str | PathLike[str], *, duration_s: float | None = None) -> Annotations:
    """Read scored annotations from an NSRR XML or an EDF+/BDF+ file.

    Parameters
    ----------
    path : path-like
        ``.xml`` (NSRR) or ``.edf``/``.bdf`` (EDF+/BDF+ annotation signal).
    duration_s : float, optional
        Recording length; events outside it are dropped with a warning.

    Raises
    ------
    PlmsInputError
        Unsupported format, or any problem reading the file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xml":
        return read_nsrr_xml(path, duration_s=duration_s)
    if suffix in _EDF_SUFFIXES:
        ann = read_edf_annotations(path)
        return ann if duration_s is None else ann.cropped(duration_s)
    raise PlmsInputError(
        f"annotation files of type {path.suffix or '(no suffix)'!r} are not supported; "
        "plms reads NSRR XML (.xml) and EDF+/BDF+ annotations (.edf, .bdf)",
        path=path,
    )


def find_sidecar(edf_path: str | PathLike[str]) -> Path | None:
    """The annotation file that belongs to a recording, if one lies beside it.

    Looks for ``<stem>-nsrr.xml`` (NSRR cohorts), then ``<stem>.xml``; the
    suffix may be in any case.
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
