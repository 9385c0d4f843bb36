"""NSRR XML annotations (Compumedics Profusion export used by the NSRR cohorts).

The file is parsed with :mod:`defusedxml` (:mod:`plms.io.annotations._xml`),
which refuses entity declarations and external references, so a hostile file
cannot expand into gigabytes or make the parser fetch anything. The native
Profusion XML (root ``<CMPStudyConfig>``) is read by
:mod:`plms.io.annotations.profusion`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from os import PathLike
from pathlib import Path

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.annotations._xml import (
    PROFUSION_ROOT, epoch_length, field, parse_xml, scored_psg_annotations, seconds,
)
from plms.io.annotations._build import Event, plms_marker
from plms.io.channels import leg_side
from plms.io.annotations.labels import classify_annotation
from plms.stages import NSRR_STAGE_CODES

STAGE_EVENT_TYPE = "stages"
LIMB_EVENT_TYPE = "limb movement"


def _event_type(event: ET.Element) -> str:
    return field(event, "EventType").partition("|")[0].strip().lower()


def _classify(event: ET.Element, number: int, path: Path) -> Event | None:
    """One ScoredEvent as an :class:`Event`, None when plms does not use it."""
    concept = field(event, "EventConcept")
    etype = _event_type(event)
    onset = seconds(event, "Start", number, path, None)
    duration = seconds(event, "Duration", number, path, 0.0)
    marker = plms_marker(concept)
    if marker is not None:
        return Event(marker[0], marker[1], onset, duration)
    detail: str | None
    if etype == STAGE_EVENT_TYPE:
        code = concept.rpartition("|")[2].strip()
        if code in NSRR_STAGE_CODES:
            kind, detail = "stage", NSRR_STAGE_CODES[code]
        else:
            kind, detail = classify_annotation(concept)
        if kind != "stage":
            raise PlmsInputError(
                f"scored event {number} is a stage with the unknown concept {concept!r}", path=path
            )
        return Event("stage", detail, onset, duration)
    kind, detail = classify_annotation(concept)
    if etype == LIMB_EVENT_TYPE or kind == "leg_movement":
        side = detail if kind == "leg_movement" else None
        side = side or leg_side(field(event, "SignalLocation"))
        return Event("leg_movement", side, onset, duration)
    if kind in ("respiratory", "arousal", "lights_off", "lights_on"):
        return Event(kind, detail, onset, duration)
    return None


def read_nsrr_xml(path: str | PathLike[str], *, duration_s: float | None = None) -> Annotations:
    """Read an NSRR (Profusion-style) XML annotation file.

    Parameters
    ----------
    path : path-like
        The ``.xml`` file.
    duration_s : float, optional
        Recording length; events outside it are dropped with a warning.

    Returns
    -------
    Annotations
        Stages from ``Stages|Stages`` events (expanded over their duration),
        respiratory events (``Unsure`` and desaturations skipped), arousals
        and limb movements. When the file holds stage events it is a scored
        PSG, so ``respiratory_scored``/``arousals_scored`` are True and an
        empty table means none occurred; without stages they are True only
        when such events exist. The markers plms writes (``plms: respiratory
        events scored`` / ``... not scored``, the same for arousals;
        ``docs/CONTRACT.md``) overrule both guesses; ``plms: excluded left
        leg`` / ``right leg`` events become ``excluded``.

    Raises
    ------
    PlmsInputError
        Missing, hostile (entities) or malformed XML; not an NSRR file;
        events without valid times; inconsistent stages.
    """
    path = Path(path)
    root = parse_xml(path)
    if root.tag == PROFUSION_ROOT:
        raise PlmsInputError(
            f"this is a Compumedics Profusion XML (root <{PROFUSION_ROOT}>), not NSRR XML; "
            "read it as Profusion (plms.io.read_profusion_xml, --format profusion)",
            path=path,
        )
    scored = root.find("ScoredEvents") if root.tag != "ScoredEvents" else root
    if scored is None:
        raise PlmsInputError(
            f"not an NSRR annotation file: no <ScoredEvents> element (the root is <{root.tag}>)",
            path=path,
        )
    epoch_s = epoch_length(root, path)
    events = [
        ev for number, node in enumerate(scored.iter("ScoredEvent"), start=1)
        if (ev := _classify(node, number, path)) is not None
    ]
    return scored_psg_annotations(events, epoch_s=epoch_s, path=path, notes=(),
                                  no_stages="the file holds no sleep-stage events",
                                  duration_s=duration_s)
