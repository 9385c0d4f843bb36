"""What the two Compumedics XML readers share: a hardened parse and field access.

Both the NSRR XML (:mod:`plms.io.annotations.nsrr`) and the native Profusion
XML (:mod:`plms.io.annotations.profusion`) are parsed with :mod:`defusedxml`,
which refuses entity declarations and external references, so a hostile file
cannot expand into gigabytes or make the parser fetch anything.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException, EntitiesForbidden

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import DEFAULT_EPOCH_S
from plms.io.annotations._build import Event, annotations_from_events

#: Root element of a native Compumedics Profusion export.
PROFUSION_ROOT = "CMPStudyConfig"
#: Bytes read to find the root element of an XML file (:func:`xml_root_name`).
ROOT_PEEK_BYTES = 64 * 1024
#: The first element of an XML text, after the declaration, comments and a DOCTYPE.
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.-]*)")
_SKIPPED = re.compile(rb"<\?.*?\?>|<!--.*?-->|<![^>]*>", re.DOTALL)


def parse_xml(path: Path) -> ET.Element:
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


def xml_root_name(path: Path) -> str | None:
    """The tag of the root element, read from the start of the file without parsing it.

    None when the file cannot be read or no element starts in its first
    :data:`ROOT_PEEK_BYTES` bytes (the full parse then says what is wrong).
    """
    try:
        with path.open("rb") as f:
            head = f.read(ROOT_PEEK_BYTES)
    except OSError:
        return None
    match = _FIRST_ELEMENT.search(_SKIPPED.sub(b"", head))
    return match.group(1).decode("ascii") if match else None


def field(event: ET.Element, tag: str) -> str:
    """The text of the child ``tag`` of ``event``, stripped; empty when absent."""
    node = event.find(tag)
    return (node.text or "").strip() if node is not None else ""


def seconds(event: ET.Element, tag: str, number: int, path: Path, default: float | None) -> float:
    """A time field (s) of scored event ``number``; a missing one is ``default`` if given."""
    text = field(event, tag)
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


def epoch_length(root: ET.Element, path: Path) -> float:
    """The ``<EpochLength>`` of the file (s), 30 s when absent."""
    text = field(root, "EpochLength")
    try:
        epoch_s = float(text) if text else DEFAULT_EPOCH_S
    except ValueError:
        epoch_s = float("nan")
    if not epoch_s > 0:
        raise PlmsInputError(f"the <EpochLength> {text!r} is not a positive number", path=path)
    return epoch_s


def scored_psg_annotations(events: list[Event], *, epoch_s: float, path: Path,
                           notes: Sequence[str], no_stages: str,
                           duration_s: float | None) -> Annotations:
    """The :class:`Annotations` of a Compumedics XML file's classified ``events``.

    A file holding stage events is a scored PSG: respiratory events and
    arousals count as scored (an empty table means none occurred); without
    stages they are scored only when some exist, and the warning
    ``no_stages`` says the stages are missing. ``notes`` (the reader's own
    warnings) come after those of :func:`annotations_from_events`, and the
    events are cropped to ``duration_s`` when it is given.
    """
    has_stages = any(e.kind == "stage" for e in events)
    ann = annotations_from_events(
        events,
        epoch_s=epoch_s,
        respiratory_scored=has_stages or any(e.kind == "respiratory" for e in events),
        arousals_scored=has_stages or any(e.kind == "arousal" for e in events),
        source=str(path),
        path=path,
    )
    warnings = [*notes] if has_stages else [*notes, no_stages]
    ann = ann.with_warnings(*warnings) if warnings else ann
    return ann if duration_s is None else ann.cropped(duration_s)
