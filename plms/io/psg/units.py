"""Physical units of voltage channels: the factor to microvolts, with clear errors."""

from __future__ import annotations

from os import PathLike

import numpy as np
import numpy.typing as npt

from plms.errors import PlmsInputError

#: Factor from each physical dimension to microvolts (keys compared lower-case).
_TO_MICROVOLT = {
    unit.lower(): factor
    for unit, factor in {
        "uV": 1.0,
        "\u00b5V": 1.0,  # MICRO SIGN, also what a latin-1 byte 0xB5 decodes to
        "\u03bcV": 1.0,  # GREEK SMALL LETTER MU
        "\u00c2\u00b5V": 1.0,  # UTF-8 MICRO SIGN read as latin-1 ('Âµ')
        "\u00ce\u00bcV": 1.0,  # UTF-8 GREEK MU read as latin-1 ('Î¼')
        "\ufffdV": 1.0,  # 0xB5 decoded as ASCII by another tool: the only non-ASCII unit seen
        "mV": 1e3,
        "V": 1e6,
        "nV": 1e-3,
    }.items()
}
KNOWN_UNITS = "uV, µV, mV, V, nV"


def unit_scale(unit: str) -> float:
    """Factor that converts values in ``unit`` to microvolts.

    Raises
    ------
    PlmsInputError
        The unit is blank or not a voltage plms knows.

    Examples
    --------
    >>> unit_scale("uV"), unit_scale("\u00b5V"), unit_scale("mV"), unit_scale(" v ")
    (1.0, 1.0, 1000.0, 1000000.0)
    """
    key = str(unit).strip().lower()
    if key not in _TO_MICROVOLT:
        raise PlmsInputError(f"unknown physical unit {unit!r} (known: {KNOWN_UNITS})")
    return _TO_MICROVOLT[key]


def _scale_for(unit: str, label: str, path: str | PathLike[str] | None) -> float:
    """Like :func:`unit_scale`, with a message that names the channel."""
    if not str(unit).strip():
        raise PlmsInputError(
            f"channel {label!r} has no physical unit in the header; "
            "state it with --unit (e.g. --unit uV)",
            path=path,
        )
    try:
        return unit_scale(unit)
    except PlmsInputError:
        raise PlmsInputError(
            f"channel {label!r} has the physical unit {unit!r}, which is not a voltage "
            f"plms knows ({KNOWN_UNITS}); state the unit with --unit",
            path=path,
        ) from None


def to_microvolts(
    data: npt.ArrayLike, unit: str, *, label: str, path: str | PathLike[str] | None = None
) -> npt.NDArray[np.float64]:
    """``data`` in ``unit`` converted to microvolts.

    >>> to_microvolts([0.5, -1.0], "mV", label="LAT").tolist()
    [500.0, -1000.0]
    """
    return np.asarray(data, dtype=np.float64) * _scale_for(unit, label, path)
