"""EDF+ outputs: the leg movements and every other input of the rules as annotations.

- :func:`write_edf_annotations`: an EDF+ file that holds the annotations and
  a single flat placeholder signal (see below);
- :func:`write_annotated_copy`: the original signals with the annotations
  added, for review in EDFbrowser or MNE.

Both are written with pyedflib to a temporary file beside the target and
renamed into place only when complete. Annotation onsets and durations are
stored to 100 µs (:data:`TIME_RESOLUTION_S`); edflib cuts texts longer than
40 characters.
"""

from __future__ import annotations

import math
import os
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyedflib

from plms.outputs._events import (
    RulesInputs,
    event_rows,
    excluded_text,
    leg_rows,
    lm_text,
    marker_texts,
    recording_start,
    rules_inputs,
)
from plms.outputs.atomic import atomic_path
from plms.stages import EDF_PLUS_STAGE_TEXT

if TYPE_CHECKING:  # pragma: no cover
    from plms.hypnogram import Hypnogram
    from plms.result import ScoreResult

#: Digital ranges of EDF (16 bit) and BDF (24 bit).
EDF_DIGITAL = (-32768, 32767)
BDF_DIGITAL = (-8388608, 8388607)
#: Data records written per block (memory vs. call overhead).
RECORDS_PER_BLOCK = 600
#: Upper bound of annotation signals in an EDF+ file.
MAX_ANNOTATION_SIGNALS = 64
#: Resolution of annotation onsets and durations written by pyedflib, s.
TIME_RESOLUTION_S = 1e-4
#: Texts of the hypnogram (EDF+ / EDFbrowser conventions).
STAGE_TEXT = EDF_PLUS_STAGE_TEXT
LIGHTS_TEXT = ("Lights off", "Lights on")
#: Texts of the respiratory events (by ``kind``; an unknown kind is a plain
#: ``Apnea``) and arousals, as :func:`plms.io.classify_annotation` reads them.
RESPIRATORY_TEXT = {"obstructive apnea": "Obstructive Apnea", "central apnea": "Central Apnea",
                    "mixed apnea": "Mixed Apnea", "apnea": "Apnea", "hypopnea": "Hypopnea",
                    "rera": "RERA"}
AROUSAL_TEXT = "Arousal"
#: The placeholder signal of the annotations-only file.
PLACEHOLDER_LABEL = "Annotations only"
PLACEHOLDER_FS = 1
#: Start written when the result does not know the recording start (EDF's
#: conventional "unknown" date).
UNKNOWN_START = datetime(1985, 1, 1, 0, 0, 0)
#: Written in the header's equipment field.
EQUIPMENT = "plms"

Annotation = tuple[float, float, str]


# -- annotation lists ---------------------------------------------------------
def hypnogram_annotations(hypnogram: Hypnogram | None, *, lights: bool = True
                          ) -> list[Annotation]:
    """One ``Sleep stage X`` annotation per epoch, plus (``lights``) the lights markers."""
    if hypnogram is None:
        return []
    items = [(float(t), float(hypnogram.epoch_s), STAGE_TEXT[s])
             for t, s in zip(hypnogram.epoch_onsets, hypnogram.stages.tolist(), strict=True)]
    for t, text in zip((hypnogram.lights_off_s, hypnogram.lights_on_s), LIGHTS_TEXT, strict=True):
        if lights and t is not None:
            items.append((float(t), -1.0, text))
    return items


def lm_annotations(result: ScoreResult, *, split_bilateral: bool = True) -> list[Annotation]:
    """One annotation per leg movement (``LM left``, ``PLM bilateral``, ``LM right (resp)``).

    With ``split_bilateral`` (the default) a bilateral movement is written as
    its leg parts (``LM left`` + ``LM right``, ``PLM ...`` when the movement is
    a PLM): what a technician reviews and corrects per leg, and what plms
    reads back and rescores to the same events. Without it, as one
    ``LM bilateral``, which names no single leg and cannot be rescored.
    """
    rows = leg_rows(result) if split_bilateral else event_rows(result)
    return [(r.onset, r.duration, lm_text(r.side, plm=r.plm, resp=r.resp)) for r in rows]


def event_annotations(inputs: RulesInputs) -> list[Annotation]:
    """The respiratory events (:data:`RESPIRATORY_TEXT`) and arousals the rules used."""
    items: list[Annotation] = []
    if inputs.respiratory is not None:
        items += [(float(r.onset), float(r.duration),
                   RESPIRATORY_TEXT.get(str(r.kind).strip().lower(), "Apnea"))
                  for r in inputs.respiratory.itertuples(index=False)]
    if inputs.arousals is not None:
        items += [(float(r.onset), float(r.duration), AROUSAL_TEXT)
                  for r in inputs.arousals.itertuples(index=False)]
    return items


def marker_annotations(inputs: RulesInputs) -> list[Annotation]:
    """Whether respiratory events and arousals were scored (at 0 s), and the
    stretches of one leg excluded from scoring (``plms: excluded left leg``)."""
    items = [(0.0, -1.0, text) for text in marker_texts(inputs)]
    items += [(float(r.onset), float(r.duration), excluded_text(str(r.side)))
              for r in inputs.excluded.itertuples(index=False)]
    return items


def result_annotations(result: ScoreResult, *, hypnogram: bool = True, lights: bool = True,
                       split_bilateral: bool = True, events: bool = True) -> list[Annotation]:
    """Everything the rules used, as annotations sorted by onset.

    The leg movements, the markers (:func:`marker_annotations`), with
    ``events`` the respiratory events and arousals, with ``hypnogram`` the
    hypnogram (with ``lights`` its lights markers).
    """
    inputs = rules_inputs(result)
    items = lm_annotations(result, split_bilateral=split_bilateral)
    items += marker_annotations(inputs)
    if events:
        items += event_annotations(inputs)
    if hypnogram:
        items += hypnogram_annotations(result.hypnogram, lights=lights)
    return sorted((a for a in items if a[0] >= 0), key=lambda a: a[0])


def _end_of(items: Iterable[Annotation]) -> float:
    return max((on + max(du, 0.0) for on, du, _ in items), default=0.0)


# -- writing ------------------------------------------------------------------
def write_records(writer: pyedflib.EdfWriter,
                  read_block: Callable[[int, int, int], npt.NDArray[np.integer]],
                  samples_per_record: Sequence[int], n_records: int) -> None:
    """Write ``n_records`` data records of digital samples, a block at a time.

    ``read_block(k, first, count)`` returns the digital samples of signal
    ``k`` for records ``first`` to ``first + count`` (``count *
    samples_per_record[k]`` values), so that only one block of every signal
    is in memory at a time.
    """
    widths = np.asarray(samples_per_record, dtype=int)
    edges = np.concatenate([[0], np.cumsum(widths)])
    block = np.zeros((min(RECORDS_PER_BLOCK, max(n_records, 1)), int(edges[-1])), dtype=np.int32)
    for r0 in range(0, n_records, RECORDS_PER_BLOCK):
        m = min(RECORDS_PER_BLOCK, n_records - r0)
        for k, w in enumerate(widths):
            data = np.asarray(read_block(k, r0, m))
            if data.size != m * w:
                raise OSError(f"signal {k} gave {data.size} samples for {m} data records "
                              f"of {w} samples")
            block[:m, edges[k]:edges[k + 1]] = data.reshape(m, w)
        for row in block[:m]:
            if writer.blockWriteDigitalSamples(np.ascontiguousarray(row)) != 0:
                raise OSError(f"pyedflib could not write data record {r0}")


def annotation_signals_needed(n_annotations: int, n_records: int) -> int:
    """Annotation signals needed to hold ``n_annotations`` in ``n_records`` records.

    edflib stores one annotation per annotation signal and data record.
    """
    return min(MAX_ANNOTATION_SIGNALS,
               max(1, math.ceil(n_annotations / max(n_records, 1)) + 1))


def _write_annotations(writer: pyedflib.EdfWriter, items: Iterable[Annotation]) -> None:
    for onset, duration, text in items:
        duration = duration if duration is not None and math.isfinite(duration) else -1.0
        if writer.writeAnnotation(onset, duration if duration >= 0 else -1, text) != 0:
            raise OSError(f"pyedflib could not write the annotation {text!r} at {onset:g} s")


def write_edf_annotations(result: ScoreResult, path: str | os.PathLike[str], *,
                          duration_s: float | None = None, start: datetime | None = None,
                          hypnogram: bool = True, split_bilateral: bool = True) -> Path:
    """Write the leg movements and the hypnogram of ``result`` as an EDF+ file.

    EDF+ allows a file without ordinary signals, but MNE then reads it as
    1 s long and drops every later annotation, so the file holds one flat
    1-Hz placeholder signal labelled ``Annotations only`` that spans the
    recording.

    Annotation texts: ``LM left``/``LM right``/``LM bilateral``, ``PLM ...``
    for members of a PLM series, `` (resp)`` appended for respiratory-related
    movements; the hypnogram as ``Sleep stage W/N1/N2/N3/R``,
    ``Movement time``, ``Sleep stage ?`` per epoch, plus ``Lights off`` /
    ``Lights on``; the respiratory events and arousals the rules used
    (:data:`RESPIRATORY_TEXT`, ``Arousal``); at 0 s the markers ``plms:
    respiratory events scored`` (or ``not scored``) and the same for
    arousals; ``plms: excluded left leg`` (or right) over each stretch left
    out of scoring. Onsets are seconds from the recording start, stored to 100 µs.

    Parameters
    ----------
    result : ScoreResult
    path : path-like
        Target file, replaced atomically.
    duration_s : float, optional
        Length of the file; default the recording length the result names
        (``summary["recording_duration_s"]``), at least up to the end of the
        last annotation.
    start : datetime, optional
        Start written in the header; default the result's recording start,
        else 1 Jan 1985 (EDF's "unknown").
    hypnogram : bool
        Write the hypnogram too.
    split_bilateral : bool
        Write bilateral movements as their leg parts (see :func:`lm_annotations`).

    Returns
    -------
    Path
    """
    items = result_annotations(result, hypnogram=hypnogram, split_bilateral=split_bilateral)
    if duration_s is None:
        duration_s = result.summary.get("recording_duration_s") or 0.0
    duration = max(float(duration_s), _end_of(items), 1.0)
    n_records = max(math.ceil(duration - 1e-9),
                    math.ceil(len(items) / (MAX_ANNOTATION_SIGNALS - 1)))
    final = Path(path)
    with atomic_path(final) as tmp:
        writer = pyedflib.EdfWriter(str(tmp), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
        try:
            writer.setSignalHeaders([{
                "label": PLACEHOLDER_LABEL, "dimension": "", "sample_frequency": PLACEHOLDER_FS,
                "physical_min": -1.0, "physical_max": 1.0,
                "digital_min": EDF_DIGITAL[0], "digital_max": EDF_DIGITAL[1],
                "transducer": "", "prefilter": ""}])
            writer.setStartdatetime(start or recording_start(result) or UNKNOWN_START)
            writer.setEquipment(EQUIPMENT)
            writer.set_number_of_annotation_signals(
                annotation_signals_needed(len(items), n_records))
            write_records(writer, lambda k, r0, m: np.zeros(m * PLACEHOLDER_FS, np.int32),
                          [PLACEHOLDER_FS], n_records)
            _write_annotations(writer, items)
        finally:
            writer.close()
    return final


# -- annotated copy -----------------------------------------------------------
def _ascii(text: str) -> str:
    """Header text as printable ASCII (``µV`` -> ``uV``), as EDF requires."""
    text = str(text).replace("\u00b5", "u").replace("\u03bc", "u")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c if 32 <= ord(c) < 127 else "_" for c in text)


def _ascii_header(head: bytes) -> bytes:
    """The header ``head`` (main + signal headers) with every text field in printable ASCII.

    Each field is decoded as plms reads it (UTF-8, else latin-1) and
    transliterated (``é`` -> ``e``, ``µ`` -> ``u``), padded to its width.
    """
    from plms.io._edfformat import decode_header_text, text_field_spans

    out = bytearray(head)
    for at, width in text_field_spans(_n_signals(head)):
        text = _ascii(decode_header_text(bytes(head[at:at + width])).strip())
        out[at:at + width] = text[:width].ljust(width).encode("ascii")
    return bytes(out)


def _n_signals(main: bytes) -> int:
    """The number of signals in a main header (0 when it is no number)."""
    field = main[252:256].decode("ascii", "replace").strip()
    return int(field) if field.isdigit() else 0


def _readable_copy(source: Path, folder: Path) -> Path | None:
    """A copy of ``source`` in ``folder`` whose header text is ASCII, or None when it is already.

    pyedflib refuses a header with non-ASCII text (an accented label, as some
    recorders write); plms reads such files, so the annotated copy is made from
    a copy with the text transliterated. The caller removes it; a copy that
    fails half-way is removed here.
    """
    import shutil
    import tempfile

    with open(source, "rb") as fh:
        main = fh.read(256)
        head = main + fh.read(256 * _n_signals(main))
    if all(32 <= b < 127 for b in head[8:]):   # the version is b"\xffBIOSEMI" in a BDF
        return None
    fd, name = tempfile.mkstemp(suffix=source.suffix, prefix=".plms-ascii-", dir=folder)
    os.close(fd)
    try:
        shutil.copyfile(source, name)
        with open(name, "r+b") as fh:
            fh.write(_ascii_header(head))
    except BaseException:   # a full disk or an interrupt: no half-made copy left
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _open_reader(source: Path, folder: Path) -> tuple[pyedflib.EdfReader, Path | None]:
    """pyedflib's reader of ``source``, or of its ASCII copy in ``folder`` (:func:`_readable_copy`)
    and that copy, for the caller to remove."""
    from plms.errors import PlmsInputError

    ascii_copy = _readable_copy(source, folder)
    try:
        return pyedflib.EdfReader(str(ascii_copy or source)), ascii_copy
    except BaseException as exc:   # not read, or interrupted: the ASCII copy goes too
        if ascii_copy is not None:
            ascii_copy.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise PlmsInputError(f"the EDF file cannot be read ({exc})", path=source) from None
        raise


def _reserved_field(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(256)
    return head[192:236].decode("ascii", "replace").strip()


def _source_annotations(reader: pyedflib.EdfReader) -> list[Annotation]:
    onsets, durations, texts = reader.readAnnotations()
    out = []
    for on, du, text in zip(onsets, durations, texts, strict=True):
        text = str(text)
        if not text.strip() or not float(on) >= 0:   # edflib cannot write negative onsets
            continue
        du = float(du)
        out.append((float(on), du if math.isfinite(du) and du >= 0 else -1.0, text))
    return out


def _scored_from(result: ScoreResult, source: Path) -> bool:
    """Whether the scoring of ``result`` read its annotations from ``source`` itself."""
    ann = result.details.get("annotations")
    where = getattr(ann, "source", None)
    if not where:
        return False
    try:
        return Path(where).resolve() == source.resolve()
    except (OSError, ValueError):
        return False


def write_annotated_copy(result: ScoreResult, source_edf: str | os.PathLike[str],
                         path: str | os.PathLike[str], *, keep_source_annotations: bool = True,
                         hypnogram: bool | None = None, split_bilateral: bool = True) -> Path:
    """Write a copy of ``source_edf`` with the leg movements added as annotations.

    Every ordinary signal is copied sample for sample (digital values), with
    its label, rate, physical and digital range, unit, transducer and
    prefilter, and the data-record length and start time of the source. An
    EDF or EDF+ source gives an EDF+ file, a BDF or BDF+ source a BDF+ file.
    The signals are copied a block of data records at a time, so memory
    stays small whatever the length of the night.

    Parameters
    ----------
    result : ScoreResult
        The scoring of ``source_edf``.
    source_edf : path-like
        The recording (EDF, EDF+C, BDF, BDF+C). EDF+D is refused.
    path : path-like
        Target file, replaced atomically.
    keep_source_annotations : bool
        Copy the annotations of an EDF+/BDF+ source too, except those the
        copy replaces so that it reads back as what was scored: the source's
        leg movements and plms markers always; its stages and lights markers
        when the result's hypnogram is written; its respiratory events and
        arousals when the scoring took them from another file (a sidecar
        XML), in which case the ones it used are written instead. Every other
        annotation (desaturations, notes...) is kept as it is.
    hypnogram : bool, optional
        Write the result's hypnogram (with its lights markers) as stage
        annotations. By default when the scoring did not read the stages
        from the source itself, when the source holds none, or when it is an
        actigraphy estimate (``S`` epochs, written as ``Sleep (stage unknown,
        estimated)``).
    split_bilateral : bool
        Write bilateral movements as their leg parts (see :func:`lm_annotations`).

    Raises
    ------
    PlmsInputError
        The source cannot be read or is discontinuous (EDF+D).
    """
    from plms.errors import PlmsInputError
    from plms.io.annotations._build import plms_marker
    from plms.io.annotations.labels import classify_annotation

    source = Path(source_edf)
    if not source.is_file():
        raise PlmsInputError("the file does not exist", path=source)
    reserved = _reserved_field(source)
    if reserved.startswith(("EDF+D", "BDF+D")):
        raise PlmsInputError("discontinuous recordings (EDF+D/BDF+D) cannot be copied with "
                             "annotations; convert them to a continuous file first", path=source)
    final = Path(path)
    reader, ascii_copy = _open_reader(source, final.parent)
    try:
        bdf = reader.filetype in (pyedflib.FILETYPE_BDF, pyedflib.FILETYPE_BDFPLUS)
        n_signals = reader.signals_in_file
        record_s = float(reader.datarecord_duration)
        n_records = int(reader.datarecords_in_file)
        spr = [int(reader.samples_in_datarecord(k)) for k in range(n_signals)]
        source_items = _source_annotations(reader) if keep_source_annotations else []
        own = bool(source_items) and _scored_from(result, source)
        classified = [(item, plms_marker(item[2]) or classify_annotation(item[2]))
                      for item in source_items]
        kinds = {kind for _, (kind, _) in classified}
        if hypnogram is None:   # an estimate (W/S) is other information than the stages
            estimated = result.hypnogram is not None and not result.hypnogram.staged
            hypnogram = not own or "stage" not in kinds or estimated
        hypnogram = bool(hypnogram) and result.hypnogram is not None
        drop = {"leg_movement", "scoring", "excluded"}
        if hypnogram or (not own and result.hypnogram is None):   # the stages used, or none
            drop |= {"stage", "lights_off", "lights_on"}
        if not own:
            drop |= {"respiratory", "arousal"}
        kept = [item for item, (kind, _) in classified if kind not in drop]
        ours = result_annotations(result, hypnogram=hypnogram, split_bilateral=split_bilateral,
                                  events=not own)
        items = sorted(kept + ours, key=lambda a: a[0])
        needed = math.ceil(len(items) / max(n_records, 1)) + 1
        if needed > MAX_ANNOTATION_SIGNALS:
            raise ValueError(f"{len(items)} annotations do not fit in the {n_records} data "
                             f"records of {source.name}")
        headers: list[dict[str, str | int | float | None]] = [{
            "label": _ascii(reader.getLabel(k)),
            "dimension": _ascii(reader.getPhysicalDimension(k)),
            "sample_frequency": spr[k] / record_s,
            "physical_min": float(reader.getPhysicalMinimum(k)),
            "physical_max": float(reader.getPhysicalMaximum(k)),
            "digital_min": int(reader.getDigitalMinimum(k)),
            "digital_max": int(reader.getDigitalMaximum(k)),
            "transducer": _ascii(reader.getTransducer(k)),
            "prefilter": _ascii(reader.getPrefilter(k))} for k in range(n_signals)]
        file_type = pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS

        def read_block(k: int, r0: int, m: int) -> npt.NDArray[np.integer]:
            return reader.readSignal(k, start=r0 * spr[k], n=m * spr[k], digital=True)

        with atomic_path(final) as tmp:
            writer = pyedflib.EdfWriter(str(tmp), n_signals, file_type=file_type)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    writer.setDatarecordDuration(record_s)
                    writer.setSignalHeaders(headers)
                    for setter, getter in (
                            (writer.setPatientCode, reader.getPatientCode),
                            (writer.setPatientName, reader.getPatientName),
                            (writer.setPatientAdditional, reader.getPatientAdditional),
                            (writer.setTechnician, reader.getTechnician),
                            (writer.setAdmincode, reader.getAdmincode),
                            (writer.setRecordingAdditional, reader.getRecordingAdditional)):
                        setter(_ascii(getter()))
                    writer.setEquipment(_ascii(reader.getEquipment()) or EQUIPMENT)
                    writer.setStartdatetime(reader.getStartdatetime())
                    writer.set_number_of_annotation_signals(needed)
                write_records(writer, read_block, spr, n_records)
                _write_annotations(writer, items)
            finally:
                writer.close()
    finally:
        reader.close()
        if ascii_copy is not None:
            ascii_copy.unlink(missing_ok=True)
    return final
