"""EDF+/BDF+ annotations (TAL, the "EDF Annotations" signal) as :class:`Annotations`.

The annotation list is read by edfio or pyedflib (:mod:`plms.io._readers`);
texts are classified by :func:`plms.io.annotations.labels.classify_annotation`; stages
become a hypnogram, the rest event tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

from plms.annotations import Annotations
from plms.io.annotations._build import Event, annotations_from_events, plms_marker
from plms.io._edfformat import read_header
from plms.io._readers import LibraryFile
from plms.io.annotations.labels import classify_annotation


def annotations_from_tal(
    items: Iterable[tuple[float, float | None, str]],
    *,
    duration_s: float | None,
    source: str | None = None,
) -> Annotations:
    """Build :class:`Annotations` from (onset, duration, text) annotations.

    Parameters
    ----------
    items : iterable of (float, float or None, str)
        Onset and duration in seconds from the recording start, and the text.
    duration_s : float or None
        Length of the recording; events outside it are dropped with a
        warning (see :meth:`Annotations.cropped`). None when unknown.
    source : str, optional
        The file the annotations came from (also prefixed to error messages).

    Returns
    -------
    Annotations
        ``respiratory_scored``/``arousals_scored`` are True when at least one
        such event exists (EDF+ has no way to tell "scored, none found" from
        "not scored"), unless the file holds the markers plms writes for it
        (``plms: respiratory events scored`` / ``... not scored``, the same
        for arousals; ``docs/CONTRACT.md``), which say it. ``plms: excluded
        left leg`` / ``right leg`` annotations become ``excluded``.

    Examples
    --------
    >>> ann = annotations_from_tal(
    ...     [(0, 60, "Sleep stage W"), (60, 30, "Sleep stage N2"), (75, 12, "Hypopnea")],
    ...     duration_s=90)
    >>> ann.hypnogram.stages.tolist(), ann.respiratory["kind"].tolist()
    (['W', 'W', 'N2'], ['hypopnea'])
    """
    events: list[Event] = []
    ignored: list[str] = []
    for onset, duration, text in items:
        kind, detail = plms_marker(text) or classify_annotation(text)
        if kind == "other":
            ignored.append(text)
            continue
        dur = None if duration is None else float(duration)
        events.append(Event(kind, detail, float(onset), dur))
    ann = annotations_from_events(
        events,
        respiratory_scored=any(e.kind == "respiratory" for e in events),
        arousals_scored=any(e.kind == "arousal" for e in events),
        source=source,
        ignored_texts=ignored,
        path=source,
    )
    return ann if duration_s is None else ann.cropped(duration_s)


def read_edf_annotations(path: str | PathLike[str]) -> Annotations:
    """Read only the annotation signal of an EDF+/BDF+ file.

    A plain EDF/BDF (no annotation signal) gives empty :class:`Annotations`
    with a warning. Annotation-only files (record duration 0, as written for
    hypnograms) are supported; their events are not cropped.

    Raises
    ------
    PlmsInputError
        The file is missing or not a valid EDF/BDF, neither edfio nor
        pyedflib can read its annotations, or its stage annotations are
        inconsistent.
    """
    header = read_header(path)
    source = str(path)
    if not header.annotation_signals:
        return Annotations(source=source).with_warnings(
            f"{header.file_type} file without an annotation signal: no annotations read"
        )
    with LibraryFile(header, annotations=True) as lib:
        items = lib.annotations()
    duration = header.duration_s if header.ordinary_signals else None
    return annotations_from_tal(items, duration_s=duration, source=source)
