"""Write a simulated night as the files sleep labs exchange.

- :func:`write_edf`: EDF/EDF+/BDF/BDF+ with a PSG montage at mixed rates and,
  in EDF+/BDF+, the scoring as annotations.
- :func:`write_nsrr_xml`: an NSRR (Compumedics Profusion style) XML sidecar.
- :func:`write_truth_tsv`: the truth leg movements as a BIDS-style events.tsv.

A night can be written with one leg channel (``write_edf(..., legs=...)``):
the two legs summed onto one channel, as when both legs' electrodes are
bridged, or one leg alone; :func:`one_channel_truth` is the truth such a
channel shows.

Every writer writes to a temporary file in the target folder and renames it
into place, so a reader never sees half a file.
"""

from __future__ import annotations

import math
import os
import warnings
from functools import partial
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyedflib

from plms.outputs.atomic import atomic_path
from plms.outputs.edf_plus import (
    BDF_DIGITAL,
    EDF_DIGITAL,
    LIGHTS_TEXT,
    MAX_ANNOTATION_SIGNALS,
    STAGE_TEXT,
    write_records,
)
from plms.outputs.nsrr_xml import (
    NSRR_LM,
    nsrr_event,
    nsrr_root,
    nsrr_stage_events,
    write_xml,
)
from plms.simulate.extras import EEG_KINDS, EXTRA_STREAMS, ExtraChannel
from plms.simulate.extras import extra_channels as montage_channels
from plms.simulate.night import stream_seed
from plms.simulate.spec import UV_PER_MV, SimChannel, SimulatedNight

if TYPE_CHECKING:  # pragma: no cover
    from plms.simulate.accel import SimulatedAccelNight

#: Recording start written in headers (local wall-clock time, no zone).
DEFAULT_START = datetime(2024, 1, 1, 22, 30, 0)
#: Physical ranges of the leg channels: (EDF, BDF) per unit. EDF in uV gives 0.1 uV steps.
LEG_RANGES = {"uV": ((-3276.8, 3276.7), (-8000.0, 8000.0)),
              "mV": ((-3.2768, 3.2767), (-8.0, 8.0))}
#: Physical range of the ECG channel, uV.
ECG_RANGE_UV = (-5000.0, 5000.0)
RESP_TEXT = {"obstructive apnea": "Obstructive Apnea", "central apnea": "Central Apnea",
             "mixed apnea": "Mixed Apnea", "hypopnea": "Hypopnea", "rera": "RERA"}
AROUSAL_TEXT = "Arousal"
#: NSRR XML concepts.
NSRR_RESP = {"obstructive apnea": "Obstructive apnea|Obstructive Apnea",
             "central apnea": "Central apnea|Central Apnea",
             "mixed apnea": "Mixed apnea|Mixed Apnea", "hypopnea": "Hypopnea|Hypopnea",
             "rera": "RERA|RERA"}
NSRR_RESP_LOCATION = "Airflow"
NSRR_AROUSAL_LOCATION = "C4-M1"

#: Common reference of legs written as electrode pairs (``leg_electrodes``): mains
#: pick-up, a slow drift and broadband noise, the same on every electrode, so that it
#: cancels in each pair's difference and swamps the EMG wherever it does not.
REFERENCE_MAINS_UV = 150.0
REFERENCE_DRIFT_UV = 300.0
REFERENCE_DRIFT_HZ = 0.05
REFERENCE_NOISE_UV = 20.0
#: Child of the "extras" random stream that draws the reference noise (after the
#: children of :data:`plms.simulate.extras.EXTRA_STREAMS`, which it leaves unchanged).
REFERENCE_STREAM = len(EXTRA_STREAMS)
#: Electrode labels of each leg, (left pair, right pair); each pair is (A, B), leg = A - B.
Electrodes = tuple[tuple[str, str], tuple[str, str]]

Montage = Literal["full", "light"]
#: The leg channels written: both legs, the two summed onto one channel, or one leg.
LegChannels = Literal["both", "combined", "left", "right"]
#: Label of the one channel of both legs (``legs="combined"``), as cohorts name it.
COMBINED_LEG_LABEL = "Leg"
#: Channels written before the ECG and the legs (EEG, EOG, chin), as PSG montages do.
EXG_KINDS = (*EEG_KINDS, "E1-M2", "E2-M2", "Chin1-Chin2")


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
              extra_channels: bool | Montage = True, start: datetime | None = None,
              leg_electrodes: Electrodes | None = None, legs: LegChannels = "both") -> Path:
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
    leg_electrodes : ((str, str), (str, str)), optional
        Write each leg as two electrodes against a common reference, as some
        systems export them: ``((A, B), (C, D))`` gives channels A (left leg
        plus the reference), B (the reference), C and D likewise for the
        right leg, so that A - B is the left leg's signal.
    legs : {"both", "combined", "left", "right"}
        The leg channels: one per leg; one channel :data:`COMBINED_LEG_LABEL`
        holding the sum of the two legs' signals (both legs' electrodes on
        one channel; its truth is :func:`one_channel_truth`); or one leg alone.
        Not with ``leg_electrodes``.

    Returns
    -------
    Path
        The written file.
    """
    if annotations and not edf_plus:
        warnings.warn("annotations need EDF+/BDF+; writing the file without them", stacklevel=2)
        annotations = False
    if legs not in ("both", "combined", "left", "right"):
        raise ValueError(f"legs must be both, combined, left or right, not {legs!r}")
    if legs != "both" and leg_electrodes is not None:
        raise ValueError(f"leg_electrodes writes both legs: not with legs={legs!r}")
    montage: Montage | None = "full" if extra_channels is True else (
        None if extra_channels is False else extra_channels)
    digital = BDF_DIGITAL if bdf else EDF_DIGITAL
    channels = _channels(night, montage, bdf, leg_electrodes, legs)
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
            rates = [ch.fs for ch in channels]
            write_records(writer, lambda k, r0, m: data[k][r0 * rates[k]:(r0 + m) * rates[k]],
                          rates, n_records)
            for onset, duration, text in texts:
                writer.writeAnnotation(onset, duration, text)
        finally:
            writer.close()
    return final


def _samples(ch: SimChannel) -> npt.NDArray[np.float64]:
    return ch.data


def _leg_range(night: SimulatedNight, bdf: bool) -> tuple[float, float]:
    """Physical range of the leg channels.

    With ``storage_uv_per_bit`` an EDF stores the legs at exactly that step
    (digital value = signal / step); otherwise, and in a BDF (24 bits, far
    finer), :data:`LEG_RANGES`.
    """
    unit = night.spec.leg_unit
    step = night.spec.storage_uv_per_bit
    if step is None or bdf:
        return LEG_RANGES[unit][int(bdf)]
    step_in_unit = step / UV_PER_MV if unit == "mV" else step
    return EDF_DIGITAL[0] * step_in_unit, EDF_DIGITAL[1] * step_in_unit


def _reference(night: SimulatedNight, ch: SimChannel) -> npt.NDArray[np.float64]:
    """The common reference of electrode pairs, in the unit of the leg channel ``ch``."""
    rng = np.random.default_rng(stream_seed(night.seed, "extras").spawn(REFERENCE_STREAM + 1)[-1])
    t = np.arange(ch.data.size) / ch.fs
    ref = (REFERENCE_MAINS_UV * np.sin(2 * np.pi * night.spec.mains_hz * t)
           + REFERENCE_DRIFT_UV * np.sin(2 * np.pi * REFERENCE_DRIFT_HZ * t)
           + REFERENCE_NOISE_UV * rng.standard_normal(t.size))
    return ref / UV_PER_MV if ch.unit == "mV" else ref


def _leg_plus_reference(night: SimulatedNight, ch: SimChannel) -> npt.NDArray[np.float64]:
    """The first electrode of a pair: the leg's signal on top of the common reference."""
    return ch.data + _reference(night, ch)


def _summed_legs(night: SimulatedNight) -> npt.NDArray[np.float64]:
    """The two legs' signals on one channel (their electrodes bridged)."""
    left, right = (night.signals[label].data for label in night.leg_labels)
    return np.asarray(left + right, dtype=np.float64)


def _channels(night: SimulatedNight, montage: Montage | None, bdf: bool,
              electrodes: Electrodes | None = None, legs: LegChannels = "both"
              ) -> list[ExtraChannel]:
    """The channels to write, in montage order: EEG/EOG/chin, ECG, legs, the rest."""
    leg_range = _leg_range(night, bdf)
    core = [ExtraChannel(night.ecg_label, int(night.signals[night.ecg_label].fs), "uV",
                         ECG_RANGE_UV, lambda: night.signals[night.ecg_label].data)
            ] if night.ecg_label in night.signals else []
    written = {"both": night.leg_labels, "combined": (), "left": (night.left_label,),
               "right": (night.right_label,)}[legs]
    if legs == "combined":
        ch = night.signals[night.left_label]
        core.append(ExtraChannel(COMBINED_LEG_LABEL, int(ch.fs), ch.unit, leg_range,
                                 partial(_summed_legs, night)))
    for k, label in enumerate(written):
        ch = night.signals[label]
        if electrodes is None:
            core.append(ExtraChannel(label, int(ch.fs), ch.unit, leg_range,
                                     partial(_samples, ch)))
            continue
        first, second = electrodes[k]
        core += [
            ExtraChannel(first, int(ch.fs), ch.unit, leg_range,
                         partial(_leg_plus_reference, night, ch)),
            ExtraChannel(second, int(ch.fs), ch.unit, leg_range, partial(_reference, night, ch)),
        ]
    if montage is None:
        return core
    extras = montage_channels(night, montage)
    head = [c for c in extras if c.label in EXG_KINDS]
    tail = [c for c in extras if c not in head]
    return head + core + tail


def _annotation_list(night: SimulatedNight) -> list[tuple[float, float, str]]:
    """(onset, duration, text) of every annotation, sorted by onset."""
    hyp = night.hypnogram
    items = [(float(t), hyp.epoch_s, STAGE_TEXT[s])
             for t, s in zip(hyp.epoch_onsets, hyp.stages.tolist(), strict=True)]
    items += [(float(r.onset), float(r.duration), RESP_TEXT[r.kind])
              for r in night.respiratory.itertuples(index=False)]
    items += [(float(r.onset), float(r.duration), AROUSAL_TEXT)
              for r in night.arousals.itertuples(index=False)]
    for t, text in zip((hyp.lights_off_s, hyp.lights_on_s), LIGHTS_TEXT, strict=True):
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
    root, events = nsrr_root(night.hypnogram.epoch_s, "Compumedics")
    nsrr_event(events, "", "Recording Start Time", 0.0, night.duration_s,
               clock=(DEFAULT_START.strftime("00.00.00 %H.%M.%S")))
    nsrr_stage_events(events, night.hypnogram)
    for r in night.respiratory.itertuples(index=False):
        nsrr_event(events, "Respiratory|Respiratory", NSRR_RESP[r.kind], r.onset, r.duration,
                   location=NSRR_RESP_LOCATION)
    for r in night.arousals.itertuples(index=False):
        nsrr_event(events, "Arousals|Arousals", "Arousal|Arousal ()", r.onset, r.duration,
                   location=NSRR_AROUSAL_LOCATION)
    if leg_movements:
        for r in night.truth_lms.itertuples(index=False):
            nsrr_event(events, "Limb Movement|Limb Movement", NSRR_LM[r.side], r.onset,
                       r.duration, location=night.label_of(r.side))
    return write_xml(root, path)


def one_channel_truth(night: SimulatedNight, legs: LegChannels = "combined") -> pd.DataFrame:
    """The truth leg movements one channel written by ``write_edf(night, legs=legs)`` shows.

    ``left``/``right``: that leg's truth. ``combined``: both legs' movements
    on one channel, side ``combined``, where movements that overlap in time,
    or are less than the rules' quiet period (0.5 s, RULES.md section 1)
    apart, are one movement (one channel cannot tell them apart), with the
    larger ``peak_uv``.
    """
    from plms.scoring.bilateral import same_leg_runs, validate_lms
    from plms.rules import WASM2016

    truth = night.truth_lms
    if legs in ("left", "right"):
        return truth.loc[truth["side"] == legs].reset_index(drop=True)
    if legs != "combined":
        raise ValueError(f"legs must be combined, left or right, not {legs!r}")
    merged = same_leg_runs(validate_lms(truth.assign(side="combined")), WASM2016)
    return merged.loc[:, ["onset", "duration", "side", "peak_uv"]]


def write_truth_tsv(night: SimulatedNight | SimulatedAccelNight,
                    path: str | os.PathLike[str]) -> Path:
    """Write the truth leg movements as a BIDS-style events.tsv (onset, duration first)."""
    table = night.truth_lms.copy()
    table["channel"] = [night.label_of(s) for s in table["side"]]
    final = Path(path)
    with atomic_path(final) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.4f", na_rep="n/a")
    return final
