"""Which channels of a recording are the leg EMG (and the ECG).

Detection works on the channel labels only, with a few regular expressions
that each cover one family of labels seen in real montages (FORMATS.md).
Every decision is explained in :attr:`ChannelChoice.reason` and can be
overridden by naming the channels (``--left``/``--right`` on the command line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Literal

from plms.errors import PlmsInputError

Side = Literal["left", "right"]

#: Side words and letters, as they appear in labels (English and Italian).
_SIDE_WORDS: dict[str, Side] = {
    "l": "left", "lt": "left", "left": "left", "sx": "left",
    "r": "right", "rt": "right", "right": "right", "dx": "right",
}
_SIDE = r"(?P<side>l|lt|left|sx|r|rt|right|dx)"
#: Words naming the leg or the tibialis anterior muscle.
_LEG_WORD = r"(?:leg|legs|tib|tibialis|tibiale|antib|anttib|plm|gamba)"

# Prefixes and suffixes that say "this is an EMG" and carry no side.
_EMG_PREFIX = re.compile(r"^emg[\s._-]*")
_EMG_SUFFIX = re.compile(r"[\s._-]*emg$")

#: One regex per family of leg labels; each has a ``side`` group.
_LEG_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Side first, glued or separated: LAT, RAT, LLEG1, L-Leg1, Left Leg,
    # LAntib1, LTib; optionally a bipolar derivation of the same side,
    # e.g. LLEG1-LLEG2, LAntib1-LAntib2, LAT1-LAT2.
    re.compile(
        r"^(?P<side>l|r|left|right)[\s._-]?(?P<word>at|leg|antib|anttib|tib|tibialis)\d*"
        r"(?:-(?P=side)[\s._-]?(?P=word)\d*|[\s._-]+(?:ant|anterior))?$"
    ),
    # Leg word first, then the side: Leg L, Tib-L, EMG Tib L, PLM l, Tib sx,
    # Tibialis-Leg-Left, Tibialis-Leg.Right, Leg Left, Leg/R, Tib ant dx.
    re.compile(
        rf"^{_LEG_WORD}(?:[\s./_-]*(?:leg|ant|anterior|anteriore))*[\s./_-]*{_SIDE}\d*$"
    ),
    # Italian bare derivations: DX1-DX2 (right), SX1-SX2 (left), DX, SX.
    re.compile(r"^(?P<side>dx|sx)\d*(?:-(?P=side)\d*)?$"),
)

#: Leg-like labels without a usable side (mentioned in error messages).
_LEG_LIKE = re.compile(r"(?:^|[^a-z])(?:leg|legs|tib|tibialis|antib|plm|lat|rat)(?:[^a-z]|$)")

#: ISRUC montage: the leg EMG channels are X3 (left) and X4 (right).
ISRUC_LEFT, ISRUC_RIGHT = "X3", "X4"

_ECG = re.compile(r"ecg|ekg")
#: ECG labels of a ready-made lead (bipolar), preferred over single electrodes.
_ECG_BIPOLAR = re.compile(r"^(?:ecg|ekg)(?:[\s._-]*(?:i|ii|iii|lead\s*[i]+))?$|-")
#: ECG-derived values that are not the ECG waveform.
_ECG_NOT_WAVEFORM = re.compile(r"rate|\bhr\b|bpm")


def _normalize(label: str) -> str:
    """Lower-case the label and drop a side-less ``EMG`` prefix or suffix."""
    text = str(label).strip().lower()
    text = _EMG_PREFIX.sub("", text)
    return _EMG_SUFFIX.sub("", text)


def leg_side(label: str) -> Side | None:
    """The leg of a tibialis-EMG label, or ``None`` if it is not one.

    Examples
    --------
    >>> [leg_side(x) for x in ("LAT", "Leg R", "EMG.Tibialis-Leg-Left", "Tib dx", "SX1-SX2")]
    ['left', 'right', 'left', 'right', 'left']
    >>> [leg_side(x) for x in ("EMG Chin", "Left Arm", "Ankle L X", "LAT-RAT", "X3")]
    [None, None, None, None, None]
    """
    text = _normalize(label)
    for pattern in _LEG_PATTERNS:
        match = pattern.match(text)
        if match:
            return _SIDE_WORDS[match.group("side")]
    return None


def is_leg_label(label: str) -> bool:
    """Whether ``label`` names a tibialis EMG of one leg.

    >>> is_leg_label("LLEG1-LLEG2"), is_leg_label("ECG I")
    (True, False)
    """
    return leg_side(label) is not None


@dataclass(frozen=True)
class ChannelChoice:
    """The leg channels chosen and why.

    Attributes
    ----------
    left, right : str or None
        Labels of the left and right tibialis EMG.
    reason : str
        Human-readable explanation (which labels were found, why these).
    """

    left: str | None
    right: str | None
    reason: str


def _resolve_given(
    given: str, labels: Sequence[str], option: str, path: str | PathLike[str] | None
) -> str:
    """The label the user named; exact match first, then ignoring case and spaces."""
    if given in labels:
        return given
    loose = [lab for lab in labels if lab.strip().lower() == given.strip().lower()]
    if len(loose) == 1:
        return loose[0]
    raise PlmsInputError(
        f"the channel {given!r} given by {option} does not exist; "
        f"available labels: {_listing(labels)}",
        path=path,
    )


def _listing(labels: Sequence[str]) -> str:
    return ", ".join(repr(lab) for lab in labels) if labels else "(none)"


def _bipolar_parts(label: str) -> tuple[str, ...]:
    """The electrode names of a bipolar label ``A-B`` (upper-cased), else ()."""
    parts = [p.strip().upper() for p in label.split("-")]
    return tuple(parts) if len(parts) == 2 and all(parts) else ()


def _pick_one(candidates: list[str]) -> str | None:
    """One label out of several for the same leg, or None if ambiguous.

    A bipolar derivation wins over its own single-electrode parts
    (``LLEG1-LLEG2`` over ``LLEG1`` and ``LLEG2``).
    """
    if len(candidates) == 1:
        return candidates[0]
    for i, cand in enumerate(candidates):
        parts = set(_bipolar_parts(cand))
        others = candidates[:i] + candidates[i + 1:]
        if parts and all(o.strip().upper() in parts for o in others):
            return cand
    return None


def _detect_side(
    side: Side, labels: Sequence[str], exclude: str | None
) -> tuple[list[str], str | None]:
    """Candidate labels for ``side`` and the one picked (None if none/ambiguous)."""
    cands = [lab for lab in labels if lab != exclude and leg_side(lab) == side]
    return cands, (_pick_one(cands) if cands else None)


def choose_leg_channels(
    labels: Sequence[str],
    left: str | None = None,
    right: str | None = None,
    path: str | PathLike[str] | None = None,
) -> ChannelChoice:
    """Choose the left and right tibialis-EMG channels among ``labels``.

    Channels named by the user win; the other side is detected from the
    labels. Both legs are required.

    Raises
    ------
    PlmsInputError
        A given label does not exist, or detection finds no leg, only one
        leg, or several candidates for one leg.

    Examples
    --------
    >>> choose_leg_channels(["C3-M2", "LAT", "RAT"]).reason
    'LAT, RAT: leg EMG labels with side left/right'
    >>> choose_leg_channels(["X1", "X3", "X4"]).left
    'X3'
    """
    labels = [str(lab) for lab in labels]
    if left is not None:
        left = _resolve_given(left, labels, "--left", path)
    if right is not None:
        right = _resolve_given(right, labels, "--right", path)
    if left is not None and left == right:
        raise PlmsInputError(
            f"the same channel {left!r} was given for both legs; name two different channels",
            path=path,
        )
    if left is not None and right is not None:
        return ChannelChoice(left, right, f"{left}, {right}: given by --left/--right")

    found = {s: _detect_side(s, labels, left or right) for s in ("left", "right")}
    isruc = _isruc_choice(labels, found)
    if isruc is not None and left is None and right is None:
        return isruc

    chosen: dict[str, str] = {}
    dropped: list[str] = []
    for side, given in (("left", left), ("right", right)):
        if given is not None:
            chosen[side] = given
            continue
        cands, pick = found[side]
        if pick is None:
            raise PlmsInputError(_detection_problem(side, cands, labels, found), path=path)
        chosen[side] = pick
        dropped += [c for c in cands if c != pick]
    if left is None and right is None:
        how = "leg EMG labels with side left/right"
    else:
        given_side = "left" if left is not None else "right"
        how = f"{given_side} given by --{given_side}, the other detected from its label"
    if dropped:
        how += f" (bipolar derivations preferred over their electrodes {', '.join(dropped)})"
    reason = f"{chosen['left']}, {chosen['right']}: {how}"
    return ChannelChoice(chosen["left"], chosen["right"], reason)


def _isruc_choice(
    labels: Sequence[str], found: dict[str, tuple[list[str], str | None]]
) -> ChannelChoice | None:
    """X3 left / X4 right when both exist and no other label names a leg."""
    upper = [lab.strip().upper() for lab in labels]
    if ISRUC_LEFT not in upper or ISRUC_RIGHT not in upper:
        return None
    if found["left"][0] or found["right"][0]:
        return None
    return ChannelChoice(
        labels[upper.index(ISRUC_LEFT)],
        labels[upper.index(ISRUC_RIGHT)],
        f"ISRUC montage: {ISRUC_LEFT} taken as left, {ISRUC_RIGHT} as right "
        "(no side in the labels)",
    )


def _detection_problem(
    side: str,
    cands: list[str],
    labels: Sequence[str],
    found: dict[str, tuple[list[str], str | None]],
) -> str:
    """One sentence saying why ``side`` could not be chosen."""
    option = f"--{side}"
    if cands:
        return (
            f"several {side}-leg EMG channels were found ({', '.join(cands)}); "
            f"choose one with {option}"
        )
    other = "right" if side == "left" else "left"
    other_cands = found[other][0]
    unsided = [lab for lab in labels if _LEG_LIKE.search(lab.lower()) and leg_side(lab) is None]
    hint = f"; leg-like labels without a side: {', '.join(unsided)}" if unsided else ""
    if other_cands:
        return (
            f"only {other}-leg EMG was found ({', '.join(other_cands)}), no {side}-leg channel"
            f"{hint}; available labels: {_listing(labels)}; name it with {option}"
        )
    return (
        f"no leg EMG channel was found{hint}; available labels: {_listing(labels)}; "
        "name the channels with --left and --right"
    )


def choose_ecg_channel(
    labels: Sequence[str],
    ecg: str | None = None,
    path: str | PathLike[str] | None = None,
) -> str | None:
    """The ECG channel, or ``None`` when the recording has none.

    A ready-made lead (``ECG I``, ``ECG1-ECG2``, ``EKG``) is preferred over a
    single electrode (``ECG L``); among equals the first in the file wins.

    Examples
    --------
    >>> choose_ecg_channel(["ECG L", "ECG R", "ECG I", "LAT"])
    'ECG I'
    >>> choose_ecg_channel(["C3-M2", "LAT"]) is None
    True
    """
    labels = [str(lab) for lab in labels]
    if ecg is not None:
        return _resolve_given(ecg, labels, "--ecg", path)
    cands = [
        lab for lab in labels
        if _ECG.search(lab.lower()) and not _ECG_NOT_WAVEFORM.search(lab.lower())
    ]
    if not cands:
        return None
    bipolar = [lab for lab in cands if _ECG_BIPOLAR.search(lab.strip().lower())]
    return (bipolar or cands)[0]
