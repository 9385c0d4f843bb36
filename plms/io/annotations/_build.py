"""Turn classified events into :class:`~plms.annotations.Annotations`.

Shared by the EDF+ and NSRR readers: both first sort every annotation into
a kind (stage, respiratory, arousal, lights, leg movement), then hand the
list here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd

from plms.annotations import (
    AROUSAL_COLUMNS,
    EXCLUDED_COLUMNS,
    LEG_MOVEMENT_COLUMNS,
    LEG_SIDES,
    RESPIRATORY_COLUMNS,
    Annotations,
    empty_table,
)
from plms.errors import PlmsInputError
from plms.hypnogram import DEFAULT_EPOCH_S, Hypnogram

#: Times closer than this are equal when placing stages on the epoch grid.
#: Exporters round onsets to the millisecond or carry float noise; a real
#: misalignment is a sizable part of an epoch.
GRID_TOLERANCE_S = 0.01
#: A stage annotation longer than this is taken as corrupt (guards memory).
MAX_STAGE_SPAN_S = 14 * 24 * 3600.0
#: Shortest scoring epoch accepted (30 s is standard); a shorter one would make
#: a stage annotation expand into millions of epochs (guards time and memory).
MIN_EPOCH_S = 1.0
#: How many unrecognised annotation texts a warning quotes.
MAX_QUOTED_TEXTS = 5

#: Marker texts plms writes for what event tables cannot say (``docs/CONTRACT.md``):
#: whether respiratory events and arousals were scored at all, so that "scored,
#: none found" and "not scored" both survive a write-back; (kind, detail) read back.
SCORING_MARKERS: dict[str, tuple[str, str]] = {
    "plms: respiratory events scored": ("scoring", "respiratory scored"),
    "plms: respiratory events not scored": ("scoring", "respiratory not scored"),
    "plms: arousals scored": ("scoring", "arousals scored"),
    "plms: arousals not scored": ("scoring", "arousals not scored"),
}
#: Marker texts of a stretch of one leg left out of scoring (detached electrode...).
EXCLUDED_MARKERS: dict[str, tuple[str, str]] = {
    "plms: excluded left leg": ("excluded", "left"),
    "plms: excluded right leg": ("excluded", "right"),
    "plms: excluded combined legs": ("excluded", "combined"),
}
#: Separator MNE's EDF exporter puts between a description and its channel.
_CHANNEL_SEPARATOR = "@@"


def plms_marker(text: str) -> tuple[str, str] | None:
    """The (kind, detail) of a marker text plms writes, None for any other text.

    Kinds: ``scoring`` (detail ``respiratory scored``, ``arousals not
    scored``...) and ``excluded`` (detail the leg). Case and surrounding
    blanks are ignored, as is an NSRR ``|label`` or an MNE ``@@channel`` suffix.

    >>> plms_marker("plms: arousals not scored"), plms_marker("PLMS: excluded left leg|x")
    (('scoring', 'arousals not scored'), ('excluded', 'left'))
    >>> plms_marker("Arousal") is None
    True
    """
    key = str(text).partition(_CHANNEL_SEPARATOR)[0].partition("|")[0].strip().lower()
    key = " ".join(key.split())
    return SCORING_MARKERS.get(key) or EXCLUDED_MARKERS.get(key)


@dataclass(frozen=True)
class Event:
    """One classified annotation.

    ``kind`` is a kind of :func:`plms.io.annotations.labels.classify_annotation`;
    ``detail`` its detail (stage, respiratory kind or leg side).
    """

    kind: str
    detail: str | None
    onset: float
    duration: float | None


def _is_multiple(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) * step <= GRID_TOLERANCE_S


def infer_epoch_length(stages: Sequence[Event], path: str | PathLike[str] | None = None) -> float:
    """The scoring epoch length implied by the durations of stage annotations.

    30 s when every duration is a multiple of 30 s (or none is given), else
    the shortest duration when all are multiples of it. The last annotation
    may be shorter (a partial final epoch) and is not considered.

    >>> infer_epoch_length([Event("stage", "W", 0, 60.0), Event("stage", "N1", 60, 30.0)])
    30.0
    >>> infer_epoch_length([Event("stage", "W", 0, 20.0), Event("stage", "N1", 20, 40.0),
    ...                     Event("stage", "N1", 60, 7.0)])
    20.0
    """
    ordered = sorted(stages, key=lambda e: e.onset)
    durations = [e.duration for e in ordered[:-1] if e.duration and e.duration > 0]
    if not durations:
        return DEFAULT_EPOCH_S
    if all(_is_multiple(d, DEFAULT_EPOCH_S) for d in durations):
        return DEFAULT_EPOCH_S
    shortest = min(durations)
    if all(_is_multiple(d, shortest) for d in durations):
        return float(shortest)
    raise PlmsInputError(
        "the stage annotations have durations "
        f"({', '.join(f'{d:g}' for d in sorted(set(durations)))} s) that are not "
        "multiples of one epoch length",
        path=path,
    )


def build_hypnogram(
    stages: Sequence[Event],
    *,
    epoch_s: float | None = None,
    lights_off_s: float | None = None,
    lights_on_s: float | None = None,
    source: str | None = None,
    path: str | PathLike[str] | None = None,
) -> tuple[Hypnogram | None, list[str]]:
    """Expand stage annotations (of one or more epochs each) into a hypnogram.

    Epochs between stage annotations become ``U`` (with a warning); stage
    annotations that overlap with different stages are an error.

    Returns
    -------
    hypnogram : Hypnogram or None
        None when there are no stage annotations.
    warnings : list of str
    """
    if not stages:
        return None, []
    epoch = epoch_s if epoch_s else infer_epoch_length(stages, path)
    if not MIN_EPOCH_S <= epoch <= MAX_STAGE_SPAN_S:
        raise PlmsInputError(
            f"the scoring epoch length {epoch:g} s is implausible (allowed: "
            f"{MIN_EPOCH_S:g} to {MAX_STAGE_SPAN_S:g} s; 30 s is standard)",
            path=path,
        )
    ordered = sorted(stages, key=lambda e: e.onset)
    start = ordered[0].onset
    if ordered[-1].onset - start > MAX_STAGE_SPAN_S:
        raise PlmsInputError(
            f"the stage annotations run from {start:g} s to {ordered[-1].onset:g} s, "
            "longer than any recording",
            path=path,
        )
    assigned: dict[int, str] = {}
    notes: list[str] = []
    for ev in ordered:
        _place(ev, start, epoch, assigned, notes, path)
    if not assigned:
        return None, notes
    n_epochs = max(assigned) + 1
    labels = np.full(n_epochs, "U", dtype="<U2")
    labels[list(assigned)] = list(assigned.values())
    missing = sorted(set(range(n_epochs)) - set(assigned))
    if missing:
        notes.append(
            f"{len(missing)} epoch(s) have no stage annotation (the first at "
            f"{start + missing[0] * epoch:g} s); they are marked U (unscored)"
        )
    try:
        hyp = Hypnogram(
            labels, epoch_s=epoch, start_s=start, lights_off_s=lights_off_s,
            lights_on_s=lights_on_s, source=source,
        )
    except ValueError as exc:
        raise PlmsInputError(str(exc), path=path) from None
    return hyp, notes


def _place(
    ev: Event, start: float, epoch: float, assigned: dict[int, str],
    notes: list[str], path: str | PathLike[str] | None,
) -> None:
    """Write the epochs covered by one stage annotation into ``assigned``."""
    position = (ev.onset - start) / epoch
    first = round(position)
    if abs(position - first) * epoch > GRID_TOLERANCE_S:
        raise PlmsInputError(
            f"the stage annotation at {ev.onset:g} s does not start on the {epoch:g}-s "
            f"epoch grid that begins at {start:g} s",
            path=path,
        )
    count = 1
    if ev.duration and ev.duration > MAX_STAGE_SPAN_S:
        raise PlmsInputError(
            f"the stage annotation at {ev.onset:g} s lasts {ev.duration:g} s, "
            "longer than any recording",
            path=path,
        )
    if ev.duration and ev.duration > 0:
        count = round(ev.duration / epoch)
        if not _is_multiple(ev.duration, epoch):
            count = math.floor(ev.duration / epoch)
            notes.append(
                f"the stage annotation at {ev.onset:g} s lasts {ev.duration:g} s, not a "
                f"whole number of {epoch:g}-s epochs; its last partial epoch was ignored"
            )
    for idx in range(first, first + count):
        previous = assigned.setdefault(idx, str(ev.detail))
        if previous != ev.detail:
            raise PlmsInputError(
                f"stage annotations overlap with different stages ({previous} and "
                f"{ev.detail}) at {start + idx * epoch:g} s",
                path=path,
            )


def _table(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    if not rows:
        return empty_table(columns)
    table = pd.DataFrame(rows, columns=list(columns))
    return table.sort_values("onset", kind="stable").reset_index(drop=True)


def _lights(events: Sequence[Event]) -> tuple[float | None, float | None, list[str]]:
    """Lights off (the first marker) and on (the last one after it)."""
    offs = sorted(e.onset for e in events if e.kind == "lights_off")
    ons = sorted(e.onset for e in events if e.kind == "lights_on")
    notes = []
    off = offs[0] if offs else None
    if len(offs) > 1:
        notes.append(f"{len(offs)} lights-off markers; the first ({off:g} s) is used")
    after = [t for t in ons if off is None or t >= off]
    on = after[-1] if after else (ons[-1] if ons else None)
    if len(ons) > 1:
        notes.append(f"{len(ons)} lights-on markers; the one at {on:g} s is used")
    return off, on, notes


def _scored(events: Sequence[Event], name: str, kind: str, inferred: bool,
            notes: list[str]) -> bool:
    """Whether ``name`` events were scored: the file's plms marker, else ``inferred``.

    A "not scored" marker in a file that holds such events is overruled by
    the events, with a warning.
    """
    said = {e.detail for e in events if e.kind == "scoring"}
    has_events = any(e.kind == kind for e in events)
    if f"{name} scored" in said:
        return True
    if f"{name} not scored" in said:
        if has_events:
            notes.append(f"the file marks {name} as not scored but holds some: "
                         "they are used as scored")
            return True
        return False
    return inferred


def annotations_from_events(
    events: Iterable[Event],
    *,
    epoch_s: float | None = None,
    respiratory_scored: bool,
    arousals_scored: bool,
    source: str | None = None,
    ignored_texts: Sequence[str] = (),
    path: str | PathLike[str] | None = None,
) -> Annotations:
    """Gather classified events into an :class:`Annotations`.

    ``respiratory_scored``/``arousals_scored`` are what the reader infers
    from the file; the markers plms writes (:data:`SCORING_MARKERS`, events
    of kind ``scoring``) overrule them. Events of kind ``excluded`` (detail
    the leg) become ``Annotations.excluded``.
    """
    events = list(events)
    off, on, notes = _lights(events)
    respiratory_scored = _scored(events, "respiratory", "respiratory", respiratory_scored,
                                 notes)
    arousals_scored = _scored(events, "arousals", "arousal", arousals_scored, notes)
    hyp, hyp_notes = build_hypnogram(
        [e for e in events if e.kind == "stage"], epoch_s=epoch_s,
        lights_off_s=off, lights_on_s=on, source=source, path=path,
    )
    notes += hyp_notes
    if hyp is None and (off is not None or on is not None):
        notes.append("lights markers were ignored: there is no hypnogram to limit")
    legs = [e for e in events if e.kind == "leg_movement"]
    sideless = [e for e in legs if e.detail not in LEG_SIDES]
    if sideless:
        notes.append(
            f"{len(sideless)} leg-movement annotation(s) name no leg and were ignored"
        )
    if hyp is None and ignored_texts:
        distinct = list(dict.fromkeys(ignored_texts))
        quoted = ", ".join(repr(t) for t in distinct[:MAX_QUOTED_TEXTS])
        notes.append(
            f"no sleep-stage annotation was recognised; {len(ignored_texts)} annotation(s) "
            f"of unknown meaning were ignored (e.g. {quoted})"
        )
    return Annotations(
        hypnogram=hyp,
        respiratory=_table(
            [(e.onset, e.duration or 0.0, e.detail) for e in events if e.kind == "respiratory"],
            RESPIRATORY_COLUMNS,
        ),
        arousals=_table(
            [(e.onset, e.duration or 0.0) for e in events if e.kind == "arousal"], AROUSAL_COLUMNS
        ),
        leg_movements=_table(
            [(e.onset, e.duration or 0.0, e.detail) for e in legs if e.detail in LEG_SIDES],
            LEG_MOVEMENT_COLUMNS,
        ),
        excluded=_table(
            [(e.onset, e.duration or 0.0, e.detail) for e in events if e.kind == "excluded"],
            EXCLUDED_COLUMNS,
        ),
        source=source,
        warnings=tuple(notes),
        respiratory_scored=respiratory_scored,
        arousals_scored=arousals_scored,
    )
