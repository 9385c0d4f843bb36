"""Compumedics Profusion XML annotations (the native export, root ``<CMPStudyConfig>``).

NSRR ships it beside its own XML as ``STEM-profusion.xml`` (FORMATS.md)::

    <CMPStudyConfig>
      <EpochLength>30</EpochLength>
      <ScoredEvents>
        <ScoredEvent>
          <Name>Limb Movement (Left)</Name>
          <Start>1234.5</Start>          seconds from the recording start
          <Duration>1.5</Duration>
          <Input>Leg L</Input>           the channel it was scored on
        </ScoredEvent> ...
      </ScoredEvents>
      <SleepStages>
        <SleepStage>0</SleepStage>     one integer per epoch, from the recording start
        ...

Stages are R&K digits (:data:`plms.stages.RK_DIGITS`): 0 wake, 1-3 N1-N3,
4 (R&K stage 4) N3, 5 REM, 6 movement time (NSRR's ``Movement|6`` for the same
code), 9 unscored; any other integer is unscored too, with a warning. Event
names are free text that differs between sites and versions: they are looked
up, ignoring case and blanks, in :data:`PROFUSION_EVENTS` (names as the NSRR
cohorts' Profusion files write them); names plms knows but does not use
(:data:`PROFUSION_IGNORED`, e.g. ``SpO2 desaturation``) are skipped, and any
other name is skipped with a warning quoting it. Parsing is hardened like the
NSRR reader's (:mod:`plms.io.annotations._xml`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Final

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.annotations._build import MAX_QUOTED_TEXTS, Event, plms_marker
from plms.io.annotations._xml import (
    PROFUSION_ROOT, epoch_length, field, parse_xml, scored_psg_annotations, seconds,
)
from plms.io.channels import leg_side
from plms.stages import RK_DIGITS

#: The stage of an epoch whose code is none of :data:`plms.stages.RK_DIGITS`.
UNKNOWN_CODE_STAGE = "U"

_ARO = ("arousal", None)
#: Profusion event names (lower case, single spaces) -> (kind, detail), as
#: :func:`plms.io.annotations.labels.classify_annotation` gives them. An
#: ``Arousal (ARO RES)`` is an arousal that followed a respiratory event, not
#: a RERA (the NSRR XML reader reads its concept the same way).
PROFUSION_EVENTS: Final = MappingProxyType({
    "obstructive apnea": ("respiratory", "obstructive apnea"),
    "central apnea": ("respiratory", "central apnea"),
    "mixed apnea": ("respiratory", "mixed apnea"),
    "hypopnea": ("respiratory", "hypopnea"),
    "obstructive hypopnea": ("respiratory", "hypopnea"),
    "central hypopnea": ("respiratory", "hypopnea"),
    "rera": ("respiratory", "rera"),
    "arousal ()": _ARO,
    "arousal": _ARO,
    "arousal (asda)": _ARO,
    "arousal (standard)": _ARO,
    "arousal (aro spont)": _ARO,
    "arousal (aro res)": _ARO,
    "arousal (aro limb)": _ARO,
    "arousal (cheshire)": _ARO,
    "arousal (external arousal)": _ARO,
    "limb movement (left)": ("leg_movement", "left"),
    "limb movement (right)": ("leg_movement", "right"),
    "plm (left)": ("leg_movement", "left"),
    "plm (right)": ("leg_movement", "right"),
    "limb movement": ("leg_movement", None),   # the side from <Input>
    "plm": ("leg_movement", None),
})
#: Profusion event names plms knows and does not use (no warning).
PROFUSION_IGNORED: Final = frozenset({
    "spo2 desaturation", "spo2 artifact", "unsure", "respiratory artifact",
    "periodic breathing", "tachycardia", "bradycardia", "blood pressure artifact",
})


def _key(name: str) -> str:
    return " ".join(name.split()).lower()


def _stages(root: ET.Element, epoch_s: float, path: Path) -> tuple[list[Event], list[str]]:
    """One stage event per ``<SleepStage>``, and a warning for codes plms does not know."""
    node = root.find("SleepStages")
    if node is None:
        return [], []
    events, odd = [], []
    for k, stage in enumerate(node.iter("SleepStage")):
        code = (stage.text or "").strip()
        if code in RK_DIGITS:
            label = RK_DIGITS[code]
        else:
            try:
                int(code)
            except ValueError:
                raise PlmsInputError(
                    f"sleep stage {k + 1} is not an integer stage code ({code!r})", path=path
                ) from None
            label = UNKNOWN_CODE_STAGE
            odd.append(code)
        events.append(Event("stage", label, k * epoch_s, epoch_s))
    notes = []
    if odd:
        codes = ", ".join(sorted(set(odd), key=int))
        notes.append(f"{len(odd)} epoch(s) have the stage code(s) {codes}, which Profusion "
                     "does not define: read as unscored")
    return events, notes


def _event(node: ET.Element, number: int, path: Path, unknown: list[str]) -> Event | None:
    """One ``<ScoredEvent>`` as an :class:`Event`; None when unused (unknown names noted)."""
    name = field(node, "Name")
    onset = seconds(node, "Start", number, path, None)
    duration = seconds(node, "Duration", number, path, 0.0)
    marker = plms_marker(name)
    if marker is not None:
        return Event(marker[0], marker[1], onset, duration)
    key = _key(name)
    if key in PROFUSION_IGNORED:
        return None
    if key not in PROFUSION_EVENTS:
        unknown.append(name)
        return None
    kind, detail = PROFUSION_EVENTS[key]
    if kind == "leg_movement" and detail is None:
        detail = leg_side(field(node, "Input"))
    return Event(kind, detail, onset, duration)


def read_profusion_xml(
    path: str | PathLike[str], *, duration_s: float | None = None
) -> Annotations:
    """Read a Compumedics Profusion XML annotation file.

    Parameters
    ----------
    path : path-like
        The ``.xml`` file (root ``<CMPStudyConfig>``).
    duration_s : float, optional
        Recording length; events outside it are dropped with a warning.

    Returns
    -------
    Annotations
        The hypnogram from ``<SleepStages>`` (epoch k starts at k times
        ``<EpochLength>``), respiratory events, arousals and limb movements
        from ``<ScoredEvents>``. With stages the file is a scored PSG, so
        ``respiratory_scored``/``arousals_scored`` are True and an empty table
        means none occurred; without them they are True only when such
        events exist (as for NSRR XML).

    Raises
    ------
    PlmsInputError
        Missing, hostile (entities) or malformed XML; another root element;
        a stage code that is not an integer; events without valid times.
    """
    path = Path(path)
    root = parse_xml(path)
    if root.tag != PROFUSION_ROOT:
        raise PlmsInputError(
            f"not a Compumedics Profusion file: the root element is <{root.tag}>, "
            f"not <{PROFUSION_ROOT}>",
            path=path,
        )
    epoch_s = epoch_length(root, path)
    events, notes = _stages(root, epoch_s, path)
    unknown: list[str] = []
    scored = root.find("ScoredEvents")
    nodes = list(scored.iter("ScoredEvent")) if scored is not None else []
    for number, node in enumerate(nodes, start=1):
        event = _event(node, number, path, unknown)
        if event is not None:
            events.append(event)
    if unknown:
        distinct = list(dict.fromkeys(unknown))
        quoted = ", ".join(repr(t) for t in distinct[:MAX_QUOTED_TEXTS])
        notes.append(f"{len(unknown)} scored event(s) with a name plms does not know were "
                     f"ignored: {quoted}" + (" ..." if len(distinct) > MAX_QUOTED_TEXTS else ""))
    return scored_psg_annotations(events, epoch_s=epoch_s, path=path, notes=notes,
                                  no_stages="the file holds no sleep stages",
                                  duration_s=duration_s)
