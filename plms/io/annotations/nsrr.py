"""NSRR XML annotations (Compumedics Profusion export used by the NSRR cohorts).

The file is parsed with :mod:`defusedxml`, which refuses entity declarations
and external references, so a hostile file cannot expand into gigabytes or
make the parser fetch anything.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from os import PathLike
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException, EntitiesForbidden

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import DEFAULT_EPOCH_S
from plms.io.annotations._build import Event, annotations_from_events, plms_marker
from plms.io.channels import leg_side
from plms.io.annotations.labels import classify_annotation
from plms.stages import NSRR_STAGE_CODES

STAGE_EVENT_TYPE = "stages"
LIMB_EVENT_TYPE = "limb movement"


def _parse_xml(path: Path) -> ET.Element:
    """Parse ``path`` with a hardened parser; every failure is a PlmsInputError."""
    if not path.exists():
        raise PlmsInputError("the file does not exist", path=path)
    try:
        return SafeET.parse(path).getroot()
    except EntitiesForbidden:
        raise PlmsInputError(
            "refused: the XML declares entities (possible entity-expansion attack)", path=path
        ) from None
    except DefusedXmlException:
        raise PlmsInputError(
            "refused: the XML refers to an external resource (possible external-entity attack)",
            path=path,
        ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f" at line {line}, column {column}" if line is not None else ""
        raise PlmsInputError(f"the XML is malformed{where}", path=path) from None
    except OSError as exc:
        raise PlmsInputError(f"the file cannot be read ({exc.strerror})", path=path) from None
    except (LookupError, ValueError) as exc:  # e.g. an unknown encoding in the XML declaration
        problem = " ".join(str(exc).split())[:200]
        raise PlmsInputError(f"the XML cannot be decoded ({problem})", path=path) from None


def _field(event: ET.Element, tag: str) -> str:
    node = event.find(tag)
    return (node.text or "").strip() if node is not None else ""


def _seconds(event: ET.Element, tag: str, number: int, path: Path, default: float | None) -> float:
    text = _field(event, tag)
    if not text and default is not None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise PlmsInputError(
            f"scored event {number} has no valid <{tag}> ({text!r})", path=path
        )
    return value


def _event_type(event: ET.Element) -> str:
    return _field(event, "EventType").partition("|")[0].strip().lower()


def _classify(event: ET.Element, number: int, path: Path) -> Event | None:
    """One ScoredEvent as an :class:`Event`, None when plms does not use it."""
    concept = _field(event, "EventConcept")
    etype = _event_type(event)
    onset = _seconds(event, "Start", number, path, None)
    duration = _seconds(event, "Duration", number, path, 0.0)
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
        side = side or leg_side(_field(event, "SignalLocation"))
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
    root = _parse_xml(path)
    scored = root.find("ScoredEvents") if root.tag != "ScoredEvents" else root
    if scored is None:
        raise PlmsInputError(
            f"not an NSRR annotation file: no <ScoredEvents> element (the root is <{root.tag}>)",
            path=path,
        )
    epoch_text = _field(root, "EpochLength")
    try:
        epoch_s = float(epoch_text) if epoch_text else DEFAULT_EPOCH_S
    except ValueError:
        epoch_s = float("nan")
    if not epoch_s > 0:
        raise PlmsInputError(
            f"the <EpochLength> {epoch_text!r} is not a positive number", path=path
        )
    events = [
        ev for number, node in enumerate(scored.iter("ScoredEvent"), start=1)
        if (ev := _classify(node, number, path)) is not None
    ]
    has_stages = any(e.kind == "stage" for e in events)
    ann = annotations_from_events(
        events,
        epoch_s=epoch_s,
        respiratory_scored=has_stages or any(e.kind == "respiratory" for e in events),
        arousals_scored=has_stages or any(e.kind == "arousal" for e in events),
        source=str(path),
        path=path,
    )
    if not has_stages:
        ann = ann.with_warnings("the file holds no sleep-stage events")
    return ann if duration_s is None else ann.cropped(duration_s)
