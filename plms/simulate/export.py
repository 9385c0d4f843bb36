"""Write a simulated night as the files sleep labs exchange.

- :func:`write_edf`: EDF/EDF+/BDF/BDF+ with a PSG montage at mixed rates and,
  in EDF+/BDF+, the scoring as annotations.
- :func:`write_nsrr_xml`: an NSRR (Compumedics Profusion style) XML sidecar.
- :func:`write_truth_tsv`: the truth leg movements as a BIDS-style events.tsv.

Every writer writes to a temporary file in the target folder and renames it
into place, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyedflib

from plms.simulate.extras import EEG_KINDS, ExtraChannel
from plms.simulate.extras import extra_channels as montage_channels
from plms.simulate.spec import SimulatedNight

#: Recording start written in headers (local wall-clock time, no zone).
DEFAULT_START = datetime(2024, 1, 1, 22, 30, 0)
#: Digital ranges of EDF (16 bit) and BDF (24 bit).
EDF_DIGITAL = (-32768, 32767)
BDF_DIGITAL = (-8388608, 8388607)
#: Physical ranges of the leg channels: (EDF, BDF) per unit. EDF in uV gives 0.1 uV steps.
LEG_RANGES = {"uV": ((-3276.8, 3276.7), (-8000.0, 8000.0)),
              "mV": ((-3.2768, 3.2767), (-8.0, 8.0))}
#: Physical range of the ECG channel, uV.
ECG_RANGE_UV = (-5000.0, 5000.0)
#: Data records written per block (memory vs. call overhead).
RECORDS_PER_BLOCK = 600
#: Upper bound of annotation signals in an EDF+ file.
MAX_ANNOTATION_SIGNALS = 64
#: Text of the annotations.
STAGE_TEXT = {"W": "Sleep stage W", "N1": "Sleep stage N1", "N2": "Sleep stage N2",
              "N3": "Sleep stage N3", "R": "Sleep stage R", "MT": "Movement time",
              "U": "Sleep stage ?"}
RESP_TEXT = {"obstructive apnea": "Obstructive Apnea", "central apnea": "Central Apnea",
             "mixed apnea": "Mixed Apnea", "hypopnea": "Hypopnea", "rera": "RERA"}
AROUSAL_TEXT = "Arousal"
LIGHTS_TEXT = ("Lights off", "Lights on")
#: NSRR XML concepts.
NSRR_STAGE = {"W": "Wake|0", "N1": "Stage 1 sleep|1", "N2": "Stage 2 sleep|2",
              "N3": "Stage 3 sleep|3", "R": "REM sleep|5", "MT": "Movement|6", "U": "Unscored|9"}
NSRR_RESP = {"obstructive apnea": "Obstructive apnea|Obstructive Apnea",
             "central apnea": "Central apnea|Central Apnea",
             "mixed apnea": "Mixed apnea|Mixed Apnea", "hypopnea": "Hypopnea|Hypopnea",
             "rera": "RERA|RERA"}
NSRR_LM = {"left": "Limb movement - left|Limb Movement (Left)",
           "right": "Limb movement - right|Limb Movement (Right)"}
NSRR_RESP_LOCATION = "Airflow"
NSRR_AROUSAL_LOCATION = "C4-M1"

Montage = Literal["full", "light"]
#: Channels written before the ECG and the legs (EEG, EOG, chin), as PSG montages do.
EXG_KINDS = (*EEG_KINDS, "E1-M2", "E2-M2", "Chin1-Chin2")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it once the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _digital(x: npt.NDArray[np.float64], physical: tuple[float, float],
             digital: tuple[int, int]) -> npt.NDArray[np.int32]:
    """Physical samples to clipped digital values (saturation, like an amplifier)."""
    pmin, pmax = physical
    dmin, dmax = digital
    scale = (dmax - dmin) / (pmax - pmin)
    d = np.rint((np.clip(x, pmin, pmax) - pmin) * scale + dmin)
    return d.astype(np.int16 if dmax <= EDF_DIGITAL[1] else np.int32)


def write_edf(night: SimulatedNight, path: str | os.PathLike[str], *, bdf: bool = False,
              edf_plus: bool = True, annotations: bool = True,
              extra_channels: bool | Montage = True, start: datetime | None = None) -> Path:
    """Write ``night`` as a PSG file.

    Parameters
    ----------
    night : SimulatedNight
    path : path-like
        Target file (``.edf`` / ``.bdf``); replaced atomically.
    bdf : bool
        24-bit BDF instead of 16-bit EDF.
    edf_plus : bool
        EDF+/BDF+ (continuous) rather than plain EDF/BDF.
    annotations : bool
        Write hypnogram, respiratory events, arousals and lights markers as
        EDF+ annotations (only possible with ``edf_plus``; else a warning).
    extra_channels : bool or {"full", "light"}
        The rest of a PSG montage: ``True``/``"full"`` about 20 channels
        (EEG, EOG, chin, breathing, SpO2, pulse, snore, position),
        ``"light"`` a few slow ones (airflow, SpO2, position),
        ``False`` only the legs and the ECG.
    start : datetime, optional
        Recording start written in the header (default :data:`DEFAULT_START`).

    Returns
    -------
    Path
        The written file.
    """
    if annotations and not edf_plus:
        warnings.warn("annotations need EDF+/BDF+; writing the file without them", stacklevel=2)
        annotations = False
    montage: Montage | None = "full" if extra_channels is True else (
        None if extra_channels is False else extra_channels)
    digital = BDF_DIGITAL if bdf else EDF_DIGITAL
    channels = _channels(night, montage, bdf)
    file_type = (pyedflib.FILETYPE_BDFPLUS if edf_plus else pyedflib.FILETYPE_BDF) if bdf else (
        pyedflib.FILETYPE_EDFPLUS if edf_plus else pyedflib.FILETYPE_EDF)
    n_records = int(night.duration_s)
    texts = _annotation_list(night) if annotations else []
    data = [_digital(ch.make(), ch.physical_range, digital) for ch in channels]
    final = Path(path)
    with atomic_path(final) as tmp:
        writer = pyedflib.EdfWriter(str(tmp), len(channels), file_type=file_type)
        try:
            writer.setSignalHeaders([{
                "label": ch.label, "dimension": ch.unit, "sample_frequency": ch.fs,
                "physical_min": ch.physical_range[0], "physical_max": ch.physical_range[1],
                "digital_min": digital[0], "digital_max": digital[1],
                "transducer": "", "prefilter": ""} for ch in channels])
            writer.setStartdatetime(start or DEFAULT_START)
            writer.setPatientCode(f"SIM{night.seed}")
            writer.setEquipment("plms.simulate")
            writer.setRecordingAdditional(f"seed={night.seed}_{night.spec.difficulty}")
            if annotations:
                writer.set_number_of_annotation_signals(
                    min(MAX_ANNOTATION_SIGNALS, max(1, math.ceil(len(texts) / max(n_records, 1)))))
            _write_records(writer, data, [ch.fs for ch in channels], n_records)
            for onset, duration, text in texts:
                writer.writeAnnotation(onset, duration, text)
        finally:
            writer.close()
    return final


def _channels(night: SimulatedNight, montage: Montage | None, bdf: bool) -> list[ExtraChannel]:
    """The channels to write, in montage order: EEG/EOG/chin, ECG, legs, the rest."""
    unit = night.spec.leg_unit
    leg_range = LEG_RANGES[unit][int(bdf)]
    core = [ExtraChannel(night.ecg_label, int(night.signals[night.ecg_label].fs), "uV",
                         ECG_RANGE_UV, lambda: night.signals[night.ecg_label].data)]
    for label in night.leg_labels:
        ch = night.signals[label]
        core.append(ExtraChannel(label, int(ch.fs), ch.unit, leg_range,
                                 lambda ch=ch: ch.data))
    if montage is None:
        return core
    extras = montage_channels(night, montage)
    head = [c for c in extras if c.label in EXG_KINDS]
    tail = [c for c in extras if c not in head]
    return head + core + tail


def _write_records(writer: pyedflib.EdfWriter, data: list[npt.NDArray[np.integer]],
                   rates: list[int], n_records: int) -> None:
    """Write whole data records, interleaving channels block by block."""
    widths = np.asarray(rates, dtype=int)
    edges = np.concatenate([[0], np.cumsum(widths)])
    block = np.zeros((RECORDS_PER_BLOCK, int(edges[-1])), dtype=np.int32)
    for r0 in range(0, n_records, RECORDS_PER_BLOCK):
        m = min(RECORDS_PER_BLOCK, n_records - r0)
        for k, (d, w) in enumerate(zip(data, widths)):
            block[:m, edges[k]:edges[k + 1]] = d[r0 * w:(r0 + m) * w].reshape(m, w)
        for row in block[:m]:
            if writer.blockWriteDigitalSamples(np.ascontiguousarray(row)) != 0:
                raise OSError(f"pyedflib could not write data record {r0}")


def _annotation_list(night: SimulatedNight) -> list[tuple[float, float, str]]:
    """(onset, duration, text) of every annotation, sorted by onset."""
    hyp = night.hypnogram
    items = [(float(t), hyp.epoch_s, STAGE_TEXT[s])
             for t, s in zip(hyp.epoch_onsets, hyp.stages.tolist())]
    items += [(float(r.onset), float(r.duration), RESP_TEXT[r.kind])
              for r in night.respiratory.itertuples(index=False)]
    items += [(float(r.onset), float(r.duration), AROUSAL_TEXT)
              for r in night.arousals.itertuples(index=False)]
    for t, text in zip((hyp.lights_off_s, hyp.lights_on_s), LIGHTS_TEXT):
        if t is not None:
            items.append((float(t), -1.0, text))
    return sorted(items, key=lambda item: item[0])


def write_nsrr_xml(night: SimulatedNight, path: str | os.PathLike[str], *,
                   leg_movements: bool = False) -> Path:
    """Write the scoring of ``night`` as an NSRR / Compumedics XML sidecar.

    Stages are written as runs of equal epochs (as NSRR exports do), then
    respiratory events, arousals and, with ``leg_movements``, the truth LMs
    as ``Limb Movement`` events. RERAs are written as ``RERA|RERA`` under
    ``Respiratory|Respiratory``.
    """
    root = ET.Element("PSGAnnotation")
    ET.SubElement(root, "SoftwareVersion").text = "Compumedics"
    ET.SubElement(root, "EpochLength").text = f"{night.hypnogram.epoch_s:g}"
    events = ET.SubElement(root, "ScoredEvents")
    _nsrr_event(events, "", "Recording Start Time", 0.0, night.duration_s,
                clock=(DEFAULT_START.strftime("00.00.00 %H.%M.%S")))
    hyp = night.hypnogram
    stages = hyp.stages.tolist()
    run_start = 0
    for k in range(1, len(stages) + 1):
        if k == len(stages) or stages[k] != stages[run_start]:
            _nsrr_event(events, "Stages|Stages", NSRR_STAGE[stages[run_start]],
                        float(hyp.epoch_onsets[run_start]), (k - run_start) * hyp.epoch_s)
            run_start = k
    for r in night.respiratory.itertuples(index=False):
        _nsrr_event(events, "Respiratory|Respiratory", NSRR_RESP[r.kind], r.onset, r.duration,
                    location=NSRR_RESP_LOCATION)
    for r in night.arousals.itertuples(index=False):
        _nsrr_event(events, "Arousals|Arousals", "Arousal|Arousal ()", r.onset, r.duration,
                    location=NSRR_AROUSAL_LOCATION)
    if leg_movements:
        for r in night.truth_lms.itertuples(index=False):
            _nsrr_event(events, "Limb Movement|Limb Movement", NSRR_LM[r.side], r.onset,
                        r.duration, location=night.label_of(r.side))
    ET.indent(root)
    final = Path(path)
    with atomic_path(final) as tmp:
        ET.ElementTree(root).write(tmp, encoding="UTF-8", xml_declaration=True)
    return final


def _nsrr_event(parent: ET.Element, etype: str, concept: str, start: float, duration: float,
                *, location: str | None = None, clock: str | None = None) -> None:
    ev = ET.SubElement(parent, "ScoredEvent")
    ET.SubElement(ev, "EventType").text = etype
    ET.SubElement(ev, "EventConcept").text = concept
    ET.SubElement(ev, "Start").text = _seconds(start)
    ET.SubElement(ev, "Duration").text = _seconds(duration)
    if location is not None:
        ET.SubElement(ev, "SignalLocation").text = location
    if clock is not None:
        ET.SubElement(ev, "ClockTime").text = clock


def _seconds(x: float) -> str:
    """Seconds as NSRR writes them: ``930.0``, ``12.3456``."""
    text = f"{float(x):.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def write_truth_tsv(night: SimulatedNight, path: str | os.PathLike[str]) -> Path:
    """Write the truth leg movements as a BIDS-style events.tsv (onset, duration first)."""
    table = night.truth_lms.copy()
    table["channel"] = [night.label_of(s) for s in table["side"]]
    final = Path(path)
    with atomic_path(final) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.4f", na_rep="n/a")
    return final
