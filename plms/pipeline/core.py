"""The shared core of the pipelines: apply the rules, sum up, build the result, read annotations.

The EMG (:mod:`plms.pipeline.emg`), accelerometer (:mod:`plms.pipeline.accel`) and
rescoring (:mod:`plms.pipeline.rescore`) pipelines build on these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from plms._version import __version__
from plms.annotations import COMBINED, Annotations
from plms.errors import PlmsInputError
from plms.hypnogram import Hypnogram
from plms.io.psg.lazy import LazySamples, thinning_step
from plms.scoring.indices import compute_summary
from plms.result import ScoreResult
from plms.rules import Rules, get_rules
from plms.scoring import apply_rules
from plms.summary import Summary

#: A leg channel whose robust spread is below this is flat (no EMG at all), µV.
FLAT_CHANNEL_UV = 0.05
#: Share of samples at the physical limits above which a channel is unusable ...
SATURATED_ERROR_FRACTION = 0.5
#: ... and above which a warning is given.
SATURATED_WARN_FRACTION = 0.001
SIDES = ("left", "right")


@dataclass(frozen=True)
class LegSignal:
    """One leg's EMG, ready for detection."""

    label: str
    data_uv: np.ndarray | LazySamples
    """The samples in µV: an array, or read on demand (a night read from a file)."""
    fs: float
    saturated_fraction: float = 0.0


def score_lms(
    lms: pd.DataFrame,
    rules: str | Rules = "wasm2016",
    *,
    hypnogram: Hypnogram | None = None,
    respiratory: pd.DataFrame | None = None,
    arousals: pd.DataFrame | None = None,
    stem: str = "night",
    extra_summary: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> ScoreResult:
    """Apply the rules to per-leg leg movements and compute the night's figures.

    Parameters
    ----------
    lms : DataFrame
        ``onset``, ``duration`` (s), ``side`` (``left``/``right``), optional ``peak_uv``.
    rules : {"wasm2016", "aasm"} or Rules
    hypnogram : Hypnogram, optional
    respiratory, arousals : DataFrame, optional
        ``None`` means "not scored"; an empty table means "scored, none found".
    stem : str
        Base name of the output files.
    extra_summary : mapping, optional
        The summary's header (:func:`plms.summary.summary_header`); its
        ``warnings`` come before those of the figures.
    details : mapping, optional
        Intermediate results kept in ``result.details`` (beside ``rules_inputs``).

    Examples
    --------
    >>> lms = pd.DataFrame({"onset": [600.0, 620, 640, 660], "duration": 2.0, "side": "right"})
    >>> r = score_lms(lms, hypnogram=Hypnogram.from_labels(["N2"] * 240))
    >>> r.summary["plms_index"]
    2.0
    """
    events, summary = apply_and_sum(lms, rules, hypnogram=hypnogram, respiratory=respiratory,
                                    arousals=arousals, extra_summary=extra_summary)
    return make_result(lms, events, summary, hypnogram=hypnogram, respiratory=respiratory,
                       arousals=arousals, stem=stem, details=details)


def apply_and_sum(
    lms: pd.DataFrame,
    rules: str | Rules,
    *,
    hypnogram: Hypnogram | None,
    respiratory: pd.DataFrame | None,
    arousals: pd.DataFrame | None,
    extra_summary: Mapping[str, Any] | None,
) -> tuple[pd.DataFrame, Summary]:
    """The scored events and the summary (header, then figures) of :func:`score_lms`."""
    rules = get_rules(rules)
    events = apply_rules(lms, rules, hypnogram=hypnogram, respiratory=respiratory,
                         arousals=arousals)
    figures = compute_summary(events, rules, hypnogram,
                              respiratory_scored=respiratory is not None,
                              arousals_scored=arousals is not None,
                              recording_duration_s=(extra_summary or {}).get(
                                  "recording_duration_s"))
    head: dict[str, Any] = {"plms_version": __version__}
    if extra_summary:
        head.update({k: v for k, v in extra_summary.items() if k != "warnings"})
        figures["warnings"] = list(extra_summary.get("warnings", [])) + figures["warnings"]
    summary = cast(Summary, {**head, **figures})
    return events, summary


def make_result(
    lms: pd.DataFrame,
    events: pd.DataFrame,
    summary: Summary,
    *,
    hypnogram: Hypnogram | None,
    respiratory: pd.DataFrame | None,
    arousals: pd.DataFrame | None,
    stem: str,
    details: Mapping[str, Any] | None = None,
) -> ScoreResult:
    """The :class:`ScoreResult`, built complete: ``details`` holds ``rules_inputs`` (what
    the rules used, for the writers that write it back) and ``details``."""
    inputs = {"respiratory": respiratory, "arousals": arousals}
    return ScoreResult(events=events, summary=summary, per_leg=lms.copy(),
                       hypnogram=hypnogram, stem=stem,
                       details={"rules_inputs": inputs, **(details or {})})


def one_channel_warning(legs: Mapping[str, str | None]) -> str | None:
    """What a night scored from one leg channel cannot see (RULES.md "One leg channel").

    ``legs`` maps the sides scored to their channel labels (None: not known,
    movements read from a scoring file); None for two legs.

    >>> one_channel_warning({"left": "LAT", "right": "RAT"}) is None
    True
    >>> one_channel_warning({"combined": "Leg"})[:37]
    "one leg channel 'Leg' holds both legs"
    """
    if len(legs) != 1:
        return None
    side, label = next(iter(legs.items()))
    named = f" '{label}'" if label else ""
    if side == COMBINED:
        return (f"one leg channel{named} holds both legs: movements of the two legs cannot "
                "be told apart (no bilateral combination: legs moving together count as one "
                "movement, and the bilateral duration and part limits cannot be applied), so "
                "the figures may differ from a two-channel scoring")
    other = "right" if side == "left" else "left"
    return (f"one leg channel only ({named.strip() + ', ' if named else ''}{side} leg): the "
            f"{other} leg's movements are missed, and the indices count the movements of "
            "that leg alone")


def check_leg(leg: LegSignal, rules: Rules, path: str | None) -> list[str]:
    """Refuse a flat or saturated channel; warn on a low rate or partial saturation."""
    warnings = []
    x = leg.data_uv
    if x.size == 0:
        raise PlmsInputError(f"leg channel '{leg.label}' holds no samples", path=path)
    spread = float(np.subtract(*np.percentile(x[:: thinning_step(x.size)], [75, 25])))
    if spread < FLAT_CHANNEL_UV:
        raise PlmsInputError(f"leg channel '{leg.label}' is flat (no signal): cannot score it",
                             path=path)
    if leg.saturated_fraction > SATURATED_ERROR_FRACTION:
        raise PlmsInputError(
            f"leg channel '{leg.label}' is saturated ({100 * leg.saturated_fraction:.0f}% of "
            "samples at the physical limits): cannot score it", path=path)
    if leg.saturated_fraction > SATURATED_WARN_FRACTION:
        warnings.append(f"leg channel '{leg.label}': {100 * leg.saturated_fraction:.1f}% of "
                        "samples at the physical limits (clipped)")
    if leg.fs < rules.min_sampling_rate_hz:
        warnings.append(
            f"leg channel '{leg.label}' is sampled at {leg.fs:g} Hz, below the "
            f"{rules.min_sampling_rate_hz:g} Hz the standards ask for: scored anyway, "
            "amplitudes above the Nyquist frequency are lost")
    return warnings


def external_annotations(
    path: Path, annotations: str | os.PathLike[str] | Annotations | None
) -> tuple[str | os.PathLike[str] | Annotations | None, str | None]:
    """The annotations to use instead of the EDF+'s own: given > sidecar file."""
    from plms.io import find_sidecar

    if isinstance(annotations, Annotations):
        return annotations, "given in Python"
    if annotations is not None:
        return annotations, str(annotations)
    sidecar = find_sidecar(path)
    return (sidecar, str(sidecar)) if sidecar is not None else (None, None)


def load_annotations(
    chosen: str | os.PathLike[str] | Annotations | None, source: str | None,
    embedded: Annotations, duration_s: float, start: datetime | None = None,
) -> tuple[Annotations, str]:
    """Read the chosen annotations (or take the EDF+'s own), cropped to the recording.

    Formats with clock times (RemLogic) are aligned to ``start``, the EDF's
    start date and time. Returns them and where they come from
    (``summary["annotations_source"]``): ``source`` as given by
    :func:`external_annotations`, else ``"EDF+ annotations"`` or ``"none"``.
    """
    from plms.io import read_annotations

    if isinstance(chosen, Annotations):
        ann = chosen
    elif chosen is not None:
        ann = read_annotations(chosen, duration_s=duration_s, start=start)
    else:
        ann = embedded
    if source is None:
        source = "EDF+ annotations" if ann.hypnogram is not None else "none"
    return ann.cropped(duration_s), source
