"""Named harder recording conditions (issue 14) for the EMG night generator.

Each condition is a set of :class:`plms.simulate.NightSpec` fields; all of
them are off in a default spec (``"today"``), so today's nights are unchanged.
``scripts/evaluate_detection.py --condition NAME`` scores the detector on them.

>>> from plms.simulate import NightSpec
>>> condition_spec("coarse", NightSpec(duration_h=1.0)).storage_uv_per_bit
1.0
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any

from plms.simulate.spec import NightSpec

#: Condition name -> the NightSpec fields it sets.
CONDITIONS: MappingProxyType[str, MappingProxyType[str, Any]] = MappingProxyType({
    "today": MappingProxyType({}),
    # 4-9 uV RMS resting tone, four 5-15-min stretches raised x3-x4.5
    "high_tone": MappingProxyType({"high_tone": True}),
    # AF-like RR 0.45-1.3 s, ectopic beats (2x QRS, other shape), ~70 uV ECG in one leg
    "irregular_rhythm": MappingProxyType({"irregular_rhythm": True}),
    # amplifier band-pass 10-100 Hz (capped at 0.45 fs) with a 50-Hz notch
    "amplifier": MappingProxyType({"amplifier_band_hz": (10.0, 100.0), "amplifier_notch": True,
                                   "mains_hz": 50.0}),
    # stored at 1 uV per bit
    "coarse": MappingProxyType({"storage_uv_per_bit": 1.0}),
    # a DC offset of 250-500 uV and inverted polarity
    "dc_inverted": MappingProxyType({"dc_offset_uv": 500.0, "invert_polarity": True}),
    # strong 60-Hz mains with its harmonics
    "mains_harmonics": MappingProxyType({"mains_hz": 60.0, "mains_harmonics": True}),
    # everything together: 10-70 Hz with a notch at the 60-Hz mains, 0.5 uV per bit
    "all": MappingProxyType({
        "high_tone": True, "irregular_rhythm": True, "amplifier_band_hz": (10.0, 70.0),
        "amplifier_notch": True, "storage_uv_per_bit": 0.5, "dc_offset_uv": 500.0,
        "invert_polarity": True, "mains_hz": 60.0, "mains_harmonics": True}),
})


def condition_spec(name: str, base: NightSpec | None = None) -> NightSpec:
    """``base`` (default: ``NightSpec()``) with the fields of condition ``name`` set.

    Raises
    ------
    ValueError
        When ``name`` is not a key of :data:`CONDITIONS` (the message lists them).
    """
    if name not in CONDITIONS:
        raise ValueError(f"unknown condition {name!r}; choose one of: {', '.join(CONDITIONS)}")
    return dataclasses.replace(NightSpec() if base is None else base, **dict(CONDITIONS[name]))
