"""Scoring rules as frozen presets.

Every number the scoring applies lives here as a named field of :class:`Rules`,
with the section of ``RULES.md`` (the project's rule sheet, summarising WASM
2016 and the AASM manual) it comes from. Two presets exist:

- ``wasm2016`` (the default): Ferri et al., Sleep Medicine 2016;26:86-95.
- ``aasm``: AASM Manual for the Scoring of Sleep and Associated Events, v2.x.

A researcher who wants another choice derives a preset with
:func:`dataclasses.replace`, which keeps every other rule as it is:

>>> import dataclasses
>>> from plms.rules import get_rules
>>> strict = dataclasses.replace(get_rules("wasm2016"), name="wasm2016-imi20", imi_min_s=20.0)
>>> strict.imi_min_s, strict.imi_max_s
(20.0, 90.0)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

BilateralMode = Literal["overlap", "onset"]
LongLmPolicy = Literal["breaker", "not_lm"]
WakePolicy = Literal["score", "drop"]
RespAnchor = Literal["start", "end"]

#: Tolerance used when comparing times with rule bounds that are *included*
#: (e.g. an IMI of exactly 90 s, an LM of exactly 10.0 s). Times computed as
#: differences of floats carry rounding noise of ~1e-12 s; one microsecond is
#: far below any sampling period and far above that noise.
TIME_TOLERANCE_S = 1e-6


@dataclass(frozen=True)
class Rules:
    """A complete, immutable set of leg-movement scoring rules.

    Field names end with their unit (``_s`` seconds, ``_uv`` microvolts,
    ``_hz`` hertz). The comment of each field cites ``RULES.md``.
    """

    name: str

    # RULES.md section 1: leg movement (LM) from the EMG, per leg.
    #: Onset: rectified EMG at least this far above the resting baseline.
    lm_onset_above_baseline_uv: float = 8.0
    #: Offset: EMG stays below baseline + this for ``lm_offset_quiet_s``.
    lm_offset_above_baseline_uv: float = 2.0
    #: Length of the quiet period that marks an offset.
    lm_offset_quiet_s: float = 0.5
    #: Shorter bursts are not LMs (dropped; they break nothing).
    lm_min_duration_s: float = 0.5
    #: WASM computer scoring: the LM must hold a window of this length ...
    morphology_window_s: float = 0.5
    #: ... whose median is at least this far above the baseline.
    morphology_median_above_baseline_uv: float = 2.0
    #: Whether the morphology criterion is applied at all.
    apply_morphology: bool = True
    #: Sampling rate the standards ask for; below it we still score but warn.
    min_sampling_rate_hz: float = 200.0

    # RULES.md section 2: candidate leg movements and bilateral movements.
    #: A monolateral LM is a CLM when its duration is in [min, max] (max included).
    clm_max_duration_s: float = 10.0
    #: WASM: an LM over the CLM maximum stays an LM and breaks series
    #: ("breaker"); AASM: it is not a leg movement at all ("not_lm").
    long_lm_policy: LongLmPolicy = "breaker"
    #: "overlap" (WASM): overlapping LMs of the two legs, or a next onset less
    #: than ``bilateral_max_gap_s`` after the previous offset, form one LM;
    #: "onset" (AASM): LMs of the two legs with onsets less than
    #: ``bilateral_max_onset_diff_s`` apart count as one.
    bilateral_mode: BilateralMode = "overlap"
    bilateral_max_gap_s: float = 0.5
    bilateral_max_onset_diff_s: float = 5.0
    #: WASM: a bilateral LM is a CLM only up to this combined duration ...
    bilateral_max_duration_s: float | None = 15.0
    #: ... and with at most this many monolateral parts (None: no limit).
    bilateral_max_parts: int | None = 4

    # RULES.md section 3: periodic leg movements.
    #: A series has at least this many consecutive CLMs ...
    series_min_count: int = 4
    #: ... each inter-movement interval (onset to onset) within [min, max], both included.
    imi_min_s: float = 10.0
    imi_max_s: float = 90.0
    #: "score" (WASM): series are built over sleep and wake together;
    #: "drop" (AASM): LMs in wake epochs are removed before series are found.
    wake_policy: WakePolicy = "score"

    # RULES.md section 4: respiratory-related and arousal-related movements.
    #: The respiratory window runs from the event's start or end ("anchor")
    #: minus ``resp_window_before_s`` to the event's end plus ``resp_window_after_s``.
    resp_window_anchor: RespAnchor = "end"
    resp_window_before_s: float = 2.0
    resp_window_after_s: float = 10.25
    #: An arousal overlapping [LM onset - this, LM offset + this] makes the LM arousal-related.
    arousal_window_s: float = 0.5

    # RULES.md section 5: indices.
    #: Periodicity index (Ferri 2006): IMIs in [min, max] ...
    periodicity_imi_min_s: float = 10.0
    periodicity_imi_max_s: float = 90.0
    #: ... that belong to runs of at least this many consecutive such IMIs.
    periodicity_min_run: int = 3
    #: The summary's ``imi_counts`` use the same fixed bounds (< 10, 10-90, > 90 s)
    #: under every preset. A PLMS index at or above this is "significant PLMS" in adults.
    plms_index_threshold_per_h: float = 15.0

    def __post_init__(self) -> None:
        _check_choice("long_lm_policy", self.long_lm_policy, ("breaker", "not_lm"))
        _check_choice("bilateral_mode", self.bilateral_mode, ("overlap", "onset"))
        _check_choice("wake_policy", self.wake_policy, ("score", "drop"))
        _check_choice("resp_window_anchor", self.resp_window_anchor, ("start", "end"))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name.endswith(("_s", "_uv", "_hz")) and value is not None and value < 0:
                raise ValueError(f"rule {field.name} must not be negative, got {value}")
        if self.imi_min_s > self.imi_max_s:
            raise ValueError(f"imi_min_s ({self.imi_min_s}) is above imi_max_s ({self.imi_max_s})")
        if self.series_min_count < 2:
            raise ValueError(f"series_min_count must be at least 2, got {self.series_min_count}")

    def as_dict(self) -> dict[str, object]:
        """Every rule as a plain dict (for summaries and provenance)."""
        return dataclasses.asdict(self)


def _check_choice(field: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"rule {field} must be one of {', '.join(allowed)}; got {value!r}")


#: WASM 2016, the default preset (RULES.md, "WASM 2016" columns).
WASM2016 = Rules(name="wasm2016")

#: AASM manual (RULES.md, "AASM" columns).
AASM = Rules(
    name="aasm",
    apply_morphology=False,
    long_lm_policy="not_lm",
    bilateral_mode="onset",
    bilateral_max_duration_s=None,
    bilateral_max_parts=None,
    imi_min_s=5.0,
    imi_max_s=90.0,
    wake_policy="drop",
    resp_window_anchor="start",
    resp_window_before_s=0.5,
    resp_window_after_s=0.5,
)

#: The presets by name, read-only (derive a variant with :func:`dataclasses.replace`).
PRESETS: Mapping[str, Rules] = MappingProxyType({WASM2016.name: WASM2016, AASM.name: AASM})


def get_rules(rules: str | Rules) -> Rules:
    """Return a preset by name, or ``rules`` itself when it already is a preset.

    Parameters
    ----------
    rules : {"wasm2016", "aasm"} or Rules

    Examples
    --------
    >>> get_rules("aasm").imi_min_s
    5.0
    >>> get_rules("wasm")
    Traceback (most recent call last):
    ...
    ValueError: unknown rules 'wasm'; allowed: wasm2016, aasm
    """
    if isinstance(rules, Rules):
        return rules
    try:
        return PRESETS[str(rules).lower()]
    except KeyError:
        raise ValueError(f"unknown rules {rules!r}; allowed: {', '.join(PRESETS)}") from None
