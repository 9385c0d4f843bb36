"""NSRR-style XML (Compumedics Profusion layout) with the scored leg movements.

The layout is the one :func:`plms.io.read_nsrr_xml` reads and the NSRR
cohorts publish (``/work/shared/FORMATS.md``)::

    <PSGAnnotation>
      <SoftwareVersion>plms ...</SoftwareVersion>
      <EpochLength>30</EpochLength>
      <ScoredEvents>
        <ScoredEvent>
          <EventType>Stages|Stages</EventType>
          <EventConcept>Stage 2 sleep|2</EventConcept>
          <Start>930.0</Start>
          <Duration>60.0</Duration>
        </ScoredEvent>
        <ScoredEvent>
          <EventType>Limb Movement|Limb Movement</EventType>
          <EventConcept>Periodic leg movement - left|PLM (Left)</EventConcept>
          ...
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from plms.annotations import LEG_SIDES
from plms.outputs._events import (
    excluded_text,
    leg_channel,
    leg_rows,
    marker_texts,
    recording_start,
    rules_inputs,
)
from plms.outputs.atomic import atomic_path
from plms.stages import NSRR_STAGE_CONCEPTS

if TYPE_CHECKING:  # pragma: no cover
    from plms.hypnogram import Hypnogram
    from plms.result import ScoreResult

#: Stage concepts (R&K / EDF FAQ numbering, as NSRR exports them).
NSRR_STAGE = NSRR_STAGE_CONCEPTS
STAGE_EVENT_TYPE = "Stages|Stages"
LIMB_EVENT_TYPE = "Limb Movement|Limb Movement"
#: Leg movements that are not (``NSRR_LM``) and are (``NSRR_PLM``) in a PLM series.
NSRR_LM = {"left": "Limb movement - left|Limb Movement (Left)",
           "right": "Limb movement - right|Limb Movement (Right)",
           "combined": "Limb movement - combined|Limb Movement (Combined)"}
NSRR_PLM = {"left": "Periodic leg movement - left|PLM (Left)",
            "right": "Periodic leg movement - right|PLM (Right)",
            "combined": "Periodic leg movement - combined|PLM (Combined)"}
MARKER_EVENT_TYPE = "Markers|Markers"
NSRR_LIGHTS = ("Lights off|Lights off", "Lights on|Lights on")
#: Respiratory events by ``kind`` (an unknown kind is a plain ``Apnea|Apnea``)
#: and arousals, as the NSRR cohorts name them.
RESPIRATORY_EVENT_TYPE = "Respiratory|Respiratory"
NSRR_RESPIRATORY = {"obstructive apnea": "Obstructive apnea|Obstructive Apnea",
                    "central apnea": "Central apnea|Central Apnea",
                    "mixed apnea": "Mixed apnea|Mixed Apnea", "apnea": "Apnea|Apnea",
                    "hypopnea": "Hypopnea|Hypopnea", "rera": "RERA|RERA"}
AROUSAL_EVENT_TYPE = "Arousals|Arousals"
NSRR_AROUSAL = "Arousal|Arousal ()"
RECORDING_START_CONCEPT = "Recording Start Time"


def nsrr_seconds(x: float) -> str:
    """Seconds as NSRR writes them: ``930.0``, ``12.3456``.

    >>> nsrr_seconds(930), nsrr_seconds(12.345649)
    ('930.0', '12.3456')
    """
    text = f"{float(x):.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def nsrr_event(parent: ET.Element, etype: str, concept: str, start: float, duration: float,
               *, location: str | None = None, clock: str | None = None) -> ET.Element:
    """Append one ``<ScoredEvent>`` to ``parent``."""
    ev = ET.SubElement(parent, "ScoredEvent")
    ET.SubElement(ev, "EventType").text = etype
    ET.SubElement(ev, "EventConcept").text = concept
    ET.SubElement(ev, "Start").text = nsrr_seconds(start)
    ET.SubElement(ev, "Duration").text = nsrr_seconds(duration)
    if location is not None:
        ET.SubElement(ev, "SignalLocation").text = location
    if clock is not None:
        ET.SubElement(ev, "ClockTime").text = clock
    return ev


def nsrr_stage_events(parent: ET.Element, hypnogram: Hypnogram) -> None:
    """The hypnogram as runs of equal epochs, one ``Stages|Stages`` event per run."""
    stages = hypnogram.stages.tolist()
    onsets = hypnogram.epoch_onsets
    run_start = 0
    for k in range(1, len(stages) + 1):
        if k == len(stages) or stages[k] != stages[run_start]:
            nsrr_event(parent, STAGE_EVENT_TYPE, NSRR_STAGE[stages[run_start]],
                       float(onsets[run_start]), (k - run_start) * hypnogram.epoch_s)
            run_start = k


def nsrr_root(epoch_s: float, software: str) -> tuple[ET.Element, ET.Element]:
    """A ``<PSGAnnotation>`` root and its ``<ScoredEvents>`` element."""
    root = ET.Element("PSGAnnotation")
    ET.SubElement(root, "SoftwareVersion").text = software
    ET.SubElement(root, "EpochLength").text = f"{epoch_s:g}"
    return root, ET.SubElement(root, "ScoredEvents")


def write_xml(root: ET.Element, path: str | os.PathLike[str]) -> Path:
    """Write ``root`` indented, UTF-8 with declaration, atomically."""
    ET.indent(root)
    final = Path(path)
    with atomic_path(final) as tmp:
        ET.ElementTree(root).write(tmp, encoding="UTF-8", xml_declaration=True)
    return final


def write_nsrr_xml(result: ScoreResult, path: str | os.PathLike[str], *,
                   start: datetime | None = None) -> Path:
    """Write the hypnogram and the leg movements of ``result`` as NSRR XML.

    - the recording start (``Recording Start Time``, when known);
    - the hypnogram as ``Stages|Stages`` events, one per run of equal epochs
      (W ``Wake|0``, N1-N3 ``Stage k sleep|k``, R ``REM sleep|5``, MT
      ``Movement|6``, U ``Unscored|9``), and the lights markers;
    - the respiratory events (``Respiratory|Respiratory``, e.g.
      ``Obstructive apnea|Obstructive Apnea``, ``Hypopnea|Hypopnea``) and
      arousals (``Arousals|Arousals``, ``Arousal|Arousal ()``) the rules used;
    - ``Markers|Markers`` events that say whether respiratory events and
      arousals were scored (``plms: respiratory events scored`` or ``... not
      scored``, at 0 s), so that an empty list reads back as "scored, none
      found" and an unscored one as "not scored" (``docs/CONTRACT.md``), and
      one ``plms: excluded left leg`` (or right) per stretch of a leg left out
      of scoring (detached electrode);
    - one ``Limb Movement|Limb Movement`` event per leg movement of one leg:
      ``Limb movement - left|Limb Movement (Left)`` (or right), and for
      members of a PLM series ``Periodic leg movement - left|PLM (Left)``.
      NSRR has no bilateral concept: a bilateral movement is written as its
      leg parts, which re-scoring combines again. The movements of one
      channel of both legs are ``Limb movement - combined|Limb Movement
      (Combined)`` (and ``PLM (Combined)``). ``SignalLocation`` names the
      leg channel when the result knows it.

    Reads back with :func:`plms.io.read_nsrr_xml`.
    """
    from plms._version import __version__

    hyp = result.hypnogram
    root, events = nsrr_root(hyp.epoch_s if hyp is not None else 30.0, f"plms {__version__}")
    begin = start or recording_start(result)
    if begin is not None:
        length = float(result.summary.get("recording_duration_s") or 0.0)
        nsrr_event(events, "", RECORDING_START_CONCEPT, 0.0, length,
                   clock=begin.strftime("00.00.00 %H.%M.%S"))
    if hyp is not None:
        nsrr_stage_events(events, hyp)
        for t, concept in zip((hyp.lights_off_s, hyp.lights_on_s), NSRR_LIGHTS, strict=True):
            if t is not None:
                nsrr_event(events, MARKER_EVENT_TYPE, concept, float(t), 0.0)
    inputs = rules_inputs(result)
    for text in marker_texts(inputs):
        nsrr_event(events, MARKER_EVENT_TYPE, f"{text}|{text}", 0.0, 0.0)
    if inputs.respiratory is not None:
        for r in inputs.respiratory.itertuples(index=False):
            concept = NSRR_RESPIRATORY.get(str(r.kind).strip().lower(), NSRR_RESPIRATORY["apnea"])
            nsrr_event(events, RESPIRATORY_EVENT_TYPE, concept, float(r.onset), float(r.duration))
    if inputs.arousals is not None:
        for r in inputs.arousals.itertuples(index=False):
            nsrr_event(events, AROUSAL_EVENT_TYPE, NSRR_AROUSAL, float(r.onset),
                       float(r.duration))
    locations = {side: leg_channel(result, side) for side in LEG_SIDES}
    for r in inputs.excluded.itertuples(index=False):
        text = excluded_text(str(r.side))
        nsrr_event(events, MARKER_EVENT_TYPE, f"{text}|{text}", float(r.onset),
                   float(r.duration), location=locations.get(str(r.side)))
    for lm in leg_rows(result):
        concept = (NSRR_PLM if lm.plm else NSRR_LM)[lm.side]
        nsrr_event(events, LIMB_EVENT_TYPE, concept, lm.onset, lm.duration,
                   location=locations[lm.side])
    return write_xml(root, path)
