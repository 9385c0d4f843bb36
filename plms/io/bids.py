"""BIDS datasets: the recordings of a dataset and what their sidecars say.

A BIDS root is a folder holding ``dataset_description.json``
(:func:`is_bids_root`). :func:`find_bids_recordings` lists its EDF/BDF
recordings (``sub-*/[ses-*/]<datatype>/sub-*_..._<datatype>.edf``; the
``derivatives``, ``sourcedata`` and ``code`` folders are left out) with the
sidecars beside them: ``STEM_channels.tsv`` (:func:`read_channels_tsv`: the
leg channels, the ECG and their units) and ``STEM_events.tsv`` (stages,
respiratory events and arousals, read by
:func:`plms.io.annotations.tables.read_events_table`). Listing a dataset
needs mne-bids (``pip install 'plms[bids]'``); reading the sidecars does not.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from plms.errors import PlmsError, PlmsInputError
from plms.io.annotations._textfiles import is_missing, read_text
from plms.io.channels import leg_side
from plms.io.names import (
    BIDS_CHANNELS_TSV,
    BIDS_EVENTS_SIDECAR,
    BIDS_RECORDING_SUFFIXES,
    DATASET_DESCRIPTION_JSON,
)

#: Top-level folders of a dataset that hold no raw recording to score.
SKIPPED_FOLDERS = ("derivatives", "sourcedata", "code", "stimuli")
#: ``channels.tsv`` types of the channels plms looks at (upper case, BIDS spelling).
EMG_TYPE = "EMG"
ECG_TYPE = "ECG"
#: ``status`` of a channel that must not be used.
BAD_STATUS = "bad"
#: Words of a ``channels.tsv`` description that name a leg muscle.
_LEG_WORDS = re.compile(r"\b(?:leg|legs|tibialis|tibial|tib|limb|ankle|calf)\b")
_SIDE_WORDS = {"left": "left", "right": "right"}


def is_bids_root(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder holding ``dataset_description.json``."""
    folder = Path(path)
    return folder.is_dir() and (folder / DATASET_DESCRIPTION_JSON).is_file()


def require_mne_bids() -> ModuleType:
    """mne_bids, or a :class:`~plms.errors.PlmsError` asking to install the extra."""
    try:
        import mne_bids
    except ImportError:
        raise PlmsError("scoring a BIDS dataset needs mne-bids, from the optional extra: "
                        "pip install 'plms[bids]'") from None
    return mne_bids


@dataclass(frozen=True)
class BidsRecording:
    """One recording of a BIDS dataset.

    Attributes
    ----------
    path : Path
        The EDF/BDF file.
    subdir : Path
        Its folder relative to the root (``sub-01/ses-1/eeg``): where its
        derivative files go below the output folder.
    stem : str
        Its name without the datatype suffix (``sub-01_ses-1_task-sleep``):
        the stem of its derivative files.
    entities : dict
        The BIDS entities of its name (``subject``, ``session``, ``task``...).
    """

    path: Path
    subdir: Path
    stem: str
    entities: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def channels_tsv(self) -> Path | None:
        """``STEM_channels.tsv`` beside the recording, None when there is none."""
        return sidecar(self.path, BIDS_CHANNELS_TSV)

    @property
    def events_tsv(self) -> Path | None:
        """``STEM_events.tsv`` beside the recording, None when there is none."""
        return sidecar(self.path, BIDS_EVENTS_SIDECAR)


def recording_stem(path: str | os.PathLike[str]) -> str:
    """The name of a BIDS recording without its datatype suffix and extension.

    >>> recording_stem("sub-01/ses-1/eeg/sub-01_ses-1_task-sleep_eeg.edf")
    'sub-01_ses-1_task-sleep'
    """
    name = Path(path).name
    base = name[: -len(Path(name).suffix)] if Path(name).suffix else name
    return base.rpartition("_")[0] or base


def sidecar(recording: str | os.PathLike[str], suffix: str) -> Path | None:
    """The sidecar ``STEM<suffix>`` beside ``recording`` when it exists."""
    path = Path(recording).with_name(recording_stem(recording) + suffix)
    return path if path.is_file() else None


def find_bids_recordings(root: str | os.PathLike[str]) -> list[BidsRecording]:
    """The EDF/BDF recordings of the BIDS dataset at ``root``, in a stable order.

    Raises
    ------
    PlmsError
        mne-bids is not installed.
    PlmsInputError
        ``root`` is not a folder.
    """
    folder = Path(root)
    if not folder.is_dir():
        raise PlmsInputError("the BIDS dataset folder does not exist", path=folder)
    mne_bids = require_mne_bids()
    found = mne_bids.find_matching_paths(folder, extensions=list(BIDS_RECORDING_SUFFIXES))
    recordings = []
    for bids_path in found:
        path = Path(bids_path.fpath)
        relative = path.relative_to(folder)
        top = relative.parts[0]
        if top in SKIPPED_FOLDERS or not top.startswith("sub-") or any(
                part.startswith(".") for part in relative.parts):
            continue
        entities = {k: str(v) for k, v in bids_path.entities.items() if v is not None}
        recordings.append(BidsRecording(path, relative.parent, recording_stem(path), entities))
    return sorted(recordings, key=lambda r: r.path.relative_to(folder).as_posix())


@dataclass(frozen=True)
class ChannelSidecar:
    """What a ``channels.tsv`` says about the channels plms uses.

    Attributes
    ----------
    left, right : str or None
        The EMG channel of each leg, when exactly one good channel names it
        (by its name or description); None leaves the choice to the labels.
    ecg : str or None
        The first good ECG channel.
    units : dict
        The ``units`` column by channel name (``n/a`` left out).
    notes : tuple of str
        Why a leg was left to the labels (several candidates).
    """

    left: str | None = None
    right: str | None = None
    ecg: str | None = None
    units: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _description_side(text: str) -> str | None:
    """The leg a description names (``left tibialis anterior``), None when unclear.

    >>> _description_side("Tibialis anterior, left"), _description_side("left arm")
    ('left', None)
    """
    norm = re.sub(r"[^a-z0-9]+", " ", text.lower())
    if not _LEG_WORDS.search(norm):
        return None
    sides = {_SIDE_WORDS[w] for w in norm.split() if w in _SIDE_WORDS}
    return sides.pop() if len(sides) == 1 else None


def _rows(path: Path) -> list[dict[str, str]]:
    lines = [line for line in read_text(path).splitlines() if line.strip()]
    if not lines:
        raise PlmsInputError("the channels table is empty", path=path)
    reader = csv.reader(lines, delimiter="\t")
    names = [n.strip().lower() for n in next(reader)]
    if "name" not in names:
        raise PlmsInputError(f"the channels table has no 'name' column (columns: "
                             f"{', '.join(names)})", path=path)
    return [{k: v.strip() for k, v in zip(names, values, strict=False)} for values in reader]


def read_channels_tsv(path: str | os.PathLike[str]) -> ChannelSidecar:
    """The leg EMG channels, the ECG and the units a BIDS ``channels.tsv`` gives.

    A leg is an ``EMG`` channel (``type`` column; any channel when the table
    has none) whose name (:func:`plms.io.channels.leg_side`) or
    ``description`` names one leg (``left tibialis anterior``); channels
    whose ``status`` is ``bad`` are left out.

    Raises
    ------
    PlmsInputError
        The table is empty or has no ``name`` column.
    """
    file = Path(path)
    rows = _rows(file)
    sides: dict[str, list[str]] = {"left": [], "right": []}
    ecg = None
    units = {}
    for row in rows:
        name = row.get("name", "")
        if not name or row.get("status", "").lower() == BAD_STATUS:
            continue
        if not is_missing(row.get("units", "")):
            units[name] = row["units"]
        kind = row.get("type", EMG_TYPE).upper()
        if kind == ECG_TYPE and ecg is None:
            ecg = name
        if kind != EMG_TYPE:
            continue
        side = leg_side(name) or _description_side(row.get("description", ""))
        if side is not None:
            sides[side].append(name)
    chosen: dict[str, str | None] = {}
    notes = []
    for side, names in sides.items():
        chosen[side] = names[0] if len(names) == 1 else None
        if len(names) > 1:
            notes.append(f"{file.name} names several {side} leg channels "
                         f"({', '.join(names)}): chosen by their labels")
    return ChannelSidecar(left=chosen["left"], right=chosen["right"], ecg=ecg, units=units,
                          notes=tuple(notes))


def _voltage_scale(unit: str) -> float | None:
    from plms.io.psg.edf import unit_scale

    try:
        return unit_scale(unit)
    except PlmsInputError:
        return None


def absent_channels(recording: str | os.PathLike[str], labels: list[str]) -> list[str]:
    """The ``labels`` the recording does not hold (compared ignoring case and outer blanks)."""
    from plms.io._edfformat import read_header

    held = {s.label.strip().casefold() for s in read_header(recording).signals}
    return [label for label in labels if label.strip().casefold() not in held]


def leg_unit(recording: str | os.PathLike[str], channels: ChannelSidecar,
             left: str | None = None, right: str | None = None, *, legs: str | None = None
             ) -> tuple[str | None, list[str]]:
    """The unit ``channels.tsv`` gives the leg channels when it differs from the EDF header's.

    The legs are ``left``/``right`` (or the one channel of both, ``legs``)
    when given, else the channels the labels choose, one channel of both legs
    included (:func:`plms.io.channels.choose_leg_channels`). The sidecar
    unit is returned (to be passed as the legs' unit) only when both legs
    have the same voltage unit there and the header says otherwise (or
    gives no voltage); the notes say so, or why the header's units stand.

    Returns
    -------
    unit : str or None
        The unit to read the legs in, None to keep the header's.
    notes : list of str
        Warnings for the summary.
    """
    from plms.io._edfformat import read_header
    from plms.io.channels import choose_leg_channels

    if not channels.units:
        return None, []
    header = read_header(recording)
    signals = {s.label: s for s in header.signals if not s.is_annotation}
    try:
        choice = choose_leg_channels(list(signals), left=left, right=right, legs=legs)
    except PlmsInputError:   # the reader says it, with the whole story
        return None, []
    chosen = [label for label in map(choice.label, choice.sides) if label in signals]
    given = {label: channels.units[label] for label in chosen if label in channels.units}
    if len(chosen) != len(given) or not given:
        return None, []
    scales = {_voltage_scale(unit) for unit in given.values()}
    if None in scales:   # not a voltage (an accelerometer night): nothing to say
        return None, []
    if len(scales) > 1:
        shown = ", ".join(f"{label!r} in {unit!r}" for label, unit in given.items())
        return None, [f"channels.tsv gives the legs different units ({shown}); the EDF "
                      "header's are used"]
    unit = next(iter(given.values()))
    scale = _voltage_scale(unit)
    differing = [label for label in chosen if _voltage_scale(signals[label].unit) != scale]
    if not differing:
        return None, []
    header_units = ", ".join(f"{label!r} in {signals[label].unit.strip() or 'no unit'!r}"
                             for label in differing)
    return unit, [f"channels.tsv gives the leg channels in {unit!r}, the EDF header "
                  f"{header_units}: read as {unit!r}, as channels.tsv says"]
