"""Which channels of a recording are the leg EMG (and the ECG).

Detection works on the channel labels only, with a few regular expressions
that each cover one family of labels seen in real montages (FORMATS.md).
Every decision is explained in :attr:`ChannelChoice.reason` and can be
overridden by naming the channels (``--left``/``--right`` on the command line).

When several channels could be one leg's, they are ranked (:func:`choose_leg_channels`):

1. a channel whose label is a derivation of other candidates (``LLEG1-LLEG2``)
   wins over those electrodes (``LLEG1``, ``LLEG2``): it is the same signal;
2. a recorded channel (``Leg L``) wins over a derivation plms would compute
   from two numbered electrodes (``Lleg1``/``Lleg2``), with a warning naming
   the derivation passed over;
3. two numbered electrodes of the same name (``Lleg1``/``Lleg2``, ``LAT1``/
   ``LAT2``, ``LEFT LEG1``/``LEFT LEG2``), each recorded against a common
   reference, give the leg's bipolar signal as their difference
   (``Lleg1-Lleg2`` = ``Lleg1`` minus ``Lleg2``).

Two candidates of the same rank (``Leg L`` and ``Left Leg``) are refused,
naming them: plms does not guess between two recorded channels.

A recording with one leg channel is scored as one channel (RULES.md "One leg
channel"): a leg label of one side when the other side has none (``Leg L``
alone, or ``--left`` given and no right-leg label), or one channel of both
legs (side ``combined``): a leg label without a side (``Leg``, ``Legs``,
``EMG Tib``), one leg's electrode against the other's (``LAT-RAT``), or the
channel named by ``--legs``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Literal

from plms.annotations import COMBINED, LEG_SIDES
from plms.errors import PlmsInputError

Side = Literal["left", "right"]
#: The two legs, in the order plms reports them.
SIDES: tuple[Side, Side] = ("left", "right")
#: What :attr:`ChannelChoice.sides` holds: the legs, or ``combined`` (both on one channel).
LegSide = Literal["left", "right", "combined"]

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

#: A leg channel without a side: ``Leg``, ``Legs``, ``Leg EMG``, ``Tib``, ``Tib ant``, ``PLM``.
_UNSIDED_LEG = re.compile(rf"^{_LEG_WORD}(?:[\s./_-]*(?:leg|legs|ant|anterior|anteriore))*$")

#: Leg-like labels without a usable side (mentioned in error messages).
_LEG_LIKE = re.compile(r"(?:^|[^a-z])(?:leg|legs|tib|tibialis|antib|plm|lat|rat)(?:[^a-z]|$)")

#: ISRUC montage: the leg EMG channels are X3 (left) and X4 (right).
ISRUC_LEFT, ISRUC_RIGHT = "X3", "X4"


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


def is_combined_leg_label(label: str) -> bool:
    """Whether ``label`` names one channel of both legs: no side, or leg against leg.

    >>> [is_combined_leg_label(x) for x in ("Leg", "EMG Legs", "Tib ant", "LAT-RAT", "Leg L")]
    [True, True, True, True, False]
    >>> [is_combined_leg_label(x) for x in ("LLEG1-LLEG2", "Leg1", "Ankle X", "Chin")]
    [False, False, False, False]
    """
    if _UNSIDED_LEG.match(_normalize(label)):
        return True
    for k in [i for i, char in enumerate(label) if char == "-"]:
        sides = {leg_side(label[:k]), leg_side(label[k + 1:])}
        if sides == set(SIDES):
            return True
    return False


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
        Labels of the left and right tibialis EMG; for a leg derived from two
        electrodes, the derivation ``A-B``.
    reason : str
        Human-readable explanation (which labels were found, why these).
    left_pair, right_pair : (str, str) or None
        The two electrode channels ``(A, B)`` a leg is derived from
        (signal = A minus B), None when the leg is one recorded channel.
    warnings : tuple of str
        Candidates passed over by the ranking (module docstring), named.
    combined, combined_pair : str or None, (str, str) or None
        The one channel of both legs (then ``left`` and ``right`` are None)
        and the electrodes it is derived from.
    """

    left: str | None
    right: str | None
    reason: str
    left_pair: tuple[str, str] | None = None
    right_pair: tuple[str, str] | None = None
    warnings: tuple[str, ...] = ()
    combined: str | None = None
    combined_pair: tuple[str, str] | None = None

    @property
    def sides(self) -> tuple[LegSide, ...]:
        """The sides chosen, in report order: both legs, one leg, or ``("combined",)``.

        >>> ChannelChoice("LAT", None, "").sides
        ('left',)
        >>> ChannelChoice(None, None, "", combined="Leg").sides
        ('combined',)
        """
        return tuple(side for side in LEG_SIDES if self.label(side) is not None)  # type: ignore[misc]

    def label(self, side: str) -> str | None:
        """The channel of ``side`` (``left``, ``right`` or ``combined``), None when not chosen."""
        return {"left": self.left, "right": self.right, COMBINED: self.combined}.get(side)

    def pair(self, side: str) -> tuple[str, str] | None:
        """The electrodes ``side`` is derived from, None for a recorded channel."""
        return {"left": self.left_pair, "right": self.right_pair,
                COMBINED: self.combined_pair}.get(side)


#: A numbered electrode of a leg: its name and the number 1 or 2 (``Lleg1``, ``LEFT LEG 2``).
_ELECTRODE = re.compile(r"^(?P<base>.*?\D)\s*(?P<number>[12])$")
#: The electrode numbers that make a pair (signal = first minus second).
_PAIR_NUMBERS = ("1", "2")


def _loose(label: str) -> str:
    """A label compared loosely: Unicode NFC, case-folded, without outer blanks."""
    return unicodedata.normalize("NFC", str(label)).strip().casefold()


def _find_label(given: str, labels: Sequence[str]) -> str | None:
    """The label ``given`` names: exact match first, then ignoring case, blanks and NFC/NFD."""
    if given in labels:
        return given
    loose = [lab for lab in labels if _loose(lab) == _loose(given)]
    return loose[0] if len(loose) == 1 else None


def _given_pair(given: str, labels: Sequence[str]) -> tuple[str, str] | None:
    """``A-B`` naming two existing channels A and B (a derivation to compute), else None."""
    found = set()
    for k in [i for i, char in enumerate(given) if char == "-"]:
        a, b = _find_label(given[:k], labels), _find_label(given[k + 1:], labels)
        if a is not None and b is not None and a != b:
            found.add((a, b))
    return found.pop() if len(found) == 1 else None


def _resolve_given(
    given: str, labels: Sequence[str], option: str, path: str | PathLike[str] | None
) -> tuple[str, tuple[str, str] | None]:
    """The channel the user named, or the two electrodes of a derivation ``A-B`` named."""
    label = _find_label(given, labels)
    if label is not None:
        return label, None
    pair = _given_pair(given, labels)
    if pair is not None:
        return f"{pair[0]}-{pair[1]}", pair
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


def _electrode_pairs(cands: list[str]) -> list[tuple[str, str]]:
    """Pairs of numbered electrodes of one name among ``cands`` (``Lleg1``, ``Lleg2``)."""
    by_base: dict[str, dict[str, list[str]]] = {}
    for lab in cands:
        match = _ELECTRODE.match(lab.strip())
        if match:
            numbers = by_base.setdefault(_loose(match.group("base")).rstrip(" ._-"), {})
            numbers.setdefault(match.group("number"), []).append(lab)
    pairs = []
    for numbers in by_base.values():
        firsts, seconds = (numbers.get(n, []) for n in _PAIR_NUMBERS)
        if len(firsts) == 1 and len(seconds) == 1:
            pairs.append((firsts[0], seconds[0]))
    return pairs


@dataclass(frozen=True)
class _SidePick:
    """What detection found for one leg: the candidates and the one picked."""

    candidates: list[str]
    label: str | None = None
    pair: tuple[str, str] | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _detect_side(side: Side, labels: Sequence[str], exclude: set[str]) -> _SidePick:
    """Rank the candidates of ``side`` (module docstring) and pick one, if one ranks first."""
    cands = [lab for lab in labels if lab not in exclude and leg_side(lab) == side]
    parts = {p for lab in cands for p in _bipolar_parts(lab)}
    dropped = [lab for lab in cands if lab.strip().upper() in parts]
    notes = (f"a derivation preferred over its electrodes {', '.join(dropped)}",) if dropped \
        else ()
    recorded = [lab for lab in cands if lab not in dropped]
    pairs = _electrode_pairs(recorded)
    in_pairs = {lab for pair in pairs for lab in pair}
    recorded = [lab for lab in recorded if lab not in in_pairs]
    derived = [f"{a}-{b}" for a, b in pairs]
    if len(recorded) == 1:
        warnings = () if not pairs else (
            f"{side} leg: the recorded channel {recorded[0]!r} was used; the electrodes "
            f"{' and '.join(' / '.join(p) for p in pairs)} could also give it "
            f"({', '.join(derived)}; choose that with --{side} {derived[0]})",)
        return _SidePick(cands, recorded[0], None, notes, warnings)
    if not recorded and len(pairs) == 1:
        a, b = pairs[0]
        note = f"{derived[0]} derived as {a} minus {b}, two electrodes against a common reference"
        return _SidePick(cands, derived[0], pairs[0], (*notes, note))
    return _SidePick(recorded + derived)


def choose_leg_channels(
    labels: Sequence[str],
    left: str | None = None,
    right: str | None = None,
    path: str | PathLike[str] | None = None,
    *,
    legs: str | None = None,
) -> ChannelChoice:
    """Choose the left and right tibialis-EMG channels among ``labels``.

    Channels named by the user win (a name ``A-B`` that is no label but
    joins two labels asks for their difference); the other side is detected
    from the labels, ranking several candidates as the module docstring says.
    A recording with one leg channel gives one side (module docstring):
    ``legs`` names the one channel of both legs (side ``combined``).

    Raises
    ------
    PlmsInputError
        A given label does not exist, ``legs`` is given with ``left`` or
        ``right``, or detection finds no leg, several candidates of the same
        rank for one leg, or one leg beside a leg label without a side.

    Examples
    --------
    >>> choose_leg_channels(["C3-M2", "LAT", "RAT"]).reason
    'LAT, RAT: leg EMG labels with side left/right'
    >>> choose_leg_channels(["X1", "X3", "X4"]).left
    'X3'
    >>> c = choose_leg_channels(["Lleg1", "Lleg2", "Rleg1", "Rleg2"])
    >>> c.left, c.left_pair, c.right
    ('Lleg1-Lleg2', ('Lleg1', 'Lleg2'), 'Rleg1-Rleg2')
    >>> c = choose_leg_channels(["C3-M2", "Leg", "ECG"])
    >>> c.sides, c.combined
    (('combined',), 'Leg')
    """
    labels = [str(lab) for lab in labels]
    if legs is not None:
        if left is not None or right is not None:
            raise PlmsInputError("--legs names the one channel of both legs: give it alone, "
                                 "not with --left/--right", path=path)
        label, pair = _resolve_given(legs, labels, "--legs", path)
        how = f"derived as {pair[0]} minus {pair[1]} as asked; " if pair else ""
        return ChannelChoice(None, None, f"{label}: {how}both legs on one channel, given by "
                             "--legs", combined=label, combined_pair=pair)
    given = _given_channels(labels, left, right, path)
    exclude = {lab for label, pair in given.values() for lab in (label, *(pair or ()))}
    found = {s: _detect_side(s, labels, exclude) for s in SIDES}
    if not given:
        isruc = _isruc_choice(labels, found)
        if isruc is not None:
            return isruc
    one = _one_channel_choice(labels, given, found, path)
    if one is not None:
        return one
    chosen: dict[Side, tuple[str, tuple[str, str] | None]] = {}
    notes: list[str] = []
    warnings: list[str] = []
    for side in SIDES:
        if side in given:
            chosen[side] = label, pair = given[side]
            if pair is not None:
                notes.append(f"{label} derived as {pair[0]} minus {pair[1]} as asked")
            continue
        pick = found[side]
        if pick.label is None:
            raise PlmsInputError(_detection_problem(side, pick.candidates, labels, found),
                                 path=path)
        chosen[side] = (pick.label, pick.pair)
        notes += pick.notes
        warnings += pick.warnings
    (left_label, left_pair), (right_label, right_pair) = chosen["left"], chosen["right"]
    return ChannelChoice(
        left_label, right_label, f"{left_label}, {right_label}: {_how(given, notes)}",
        left_pair=left_pair, right_pair=right_pair, warnings=tuple(warnings),
    )


def _one_channel_choice(
    labels: Sequence[str], given: dict[Side, tuple[str, tuple[str, str] | None]],
    found: dict[Side, _SidePick], path: str | PathLike[str] | None,
) -> ChannelChoice | None:
    """One leg (or both legs on one channel) when that is all there is; None: two legs."""
    present = [s for s in SIDES if s in given or found[s].candidates]
    if len(present) == len(SIDES):
        return None
    other_side = "no {other}-leg channel found, one leg scored"
    if len(given) == 1:
        side = next(iter(given))
        label, pair = given[side]
        how = f"derived as {pair[0]} minus {pair[1]} as asked; " if pair else ""
        other = "right" if side == "left" else "left"
        reason = f"{label}: {how}{side} given by --{side}; {other_side.format(other=other)}"
        return _one_side(side, label, pair, reason, ())
    unsided = [lab for lab in labels if is_combined_leg_label(lab)]
    if len(present) == 1:
        side = present[0]
        other = "right" if side == "left" else "left"
        if unsided:
            raise PlmsInputError(
                f"only {side}-leg EMG was found ({', '.join(found[side].candidates)}), beside "
                f"a leg channel without a side ({', '.join(unsided)}): name the channels with "
                f"--left and --right, or the one channel of both legs with --legs", path=path)
        pick = found[side]
        if pick.label is None:
            raise PlmsInputError(_detection_problem(side, pick.candidates, labels, found),
                                 path=path)
        notes = "".join(f"; {note}" for note in pick.notes)
        reason = (f"{pick.label}: {side}-leg EMG label{notes}; "
                  f"{other_side.format(other=other)}")
        return _one_side(side, pick.label, pick.pair, reason, pick.warnings)
    if len(unsided) == 1:
        return ChannelChoice(None, None, f"{unsided[0]}: the only leg EMG label, without a "
                             "side: both legs on one channel", combined=unsided[0])
    if unsided:
        raise PlmsInputError(
            f"several leg channels without a side were found ({', '.join(unsided)}): name "
            "the one channel of both legs with --legs, or the two legs with --left and "
            f"--right; available labels: {_listing(labels)}", path=path)
    return None


def _one_side(side: Side, label: str, pair: tuple[str, str] | None, reason: str,
              warnings: tuple[str, ...]) -> ChannelChoice:
    if side == "left":
        return ChannelChoice(label, None, reason, left_pair=pair, warnings=warnings)
    return ChannelChoice(None, label, reason, right_pair=pair, warnings=warnings)


def _given_channels(
    labels: Sequence[str], left: str | None, right: str | None,
    path: str | PathLike[str] | None,
) -> dict[Side, tuple[str, tuple[str, str] | None]]:
    """The legs named by the user: label, and the electrodes of a derivation asked for."""
    given: dict[Side, tuple[str, tuple[str, str] | None]] = {}
    for side, name in zip(SIDES, (left, right), strict=True):
        if name is not None:
            given[side] = _resolve_given(name, labels, f"--{side}", path)
    if len(given) == len(SIDES) and given["left"][0] == given["right"][0]:
        raise PlmsInputError(
            f"the same channel {given['left'][0]!r} was given for both legs; name two different "
            "channels",
            path=path,
        )
    return given


def _how(given: dict[Side, tuple[str, tuple[str, str] | None]], notes: list[str]) -> str:
    """How the legs were chosen, for :attr:`ChannelChoice.reason`."""
    if len(given) == len(SIDES):
        how = "given by --left/--right"
    elif not given:
        how = "leg EMG labels with side left/right"
    else:
        given_side = next(iter(given))
        how = f"{given_side} given by --{given_side}, the other detected from its label"
    return f"{how} ({'; '.join(notes)})" if notes else how


def _isruc_choice(labels: Sequence[str], found: dict[Side, _SidePick]) -> ChannelChoice | None:
    """X3 left / X4 right when both exist and no other label names a leg."""
    upper = [lab.strip().upper() for lab in labels]
    if ISRUC_LEFT not in upper or ISRUC_RIGHT not in upper:
        return None
    if found["left"].candidates or found["right"].candidates:
        return None
    return ChannelChoice(
        labels[upper.index(ISRUC_LEFT)],
        labels[upper.index(ISRUC_RIGHT)],
        f"ISRUC montage: {ISRUC_LEFT} taken as left, {ISRUC_RIGHT} as right "
        "(no side in the labels)",
    )


def _detection_problem(
    side: Side, cands: list[str], labels: Sequence[str], found: dict[Side, _SidePick]
) -> str:
    """One sentence saying why ``side`` could not be chosen."""
    option = f"--{side}"
    if cands:
        return (
            f"several {side}-leg EMG channels were found ({', '.join(cands)}) and none ranks "
            f"first; choose one with {option}"
        )
    other: Side = "right" if side == "left" else "left"
    other_cands = found[other].candidates
    unsided = [lab for lab in labels if _LEG_LIKE.search(lab.lower()) and leg_side(lab) is None]
    hint = f"; leg-like labels without a side: {', '.join(unsided)}" if unsided else ""
    if other_cands:
        return (
            f"only {other}-leg EMG was found ({', '.join(other_cands)}), no {side}-leg channel"
            f"{hint}; available labels: {_listing(labels)}; name it with {option}"
        )
    return (
        f"no leg EMG channel was found{hint}; available labels: {_listing(labels)}; "
        "name the channels with --left and --right (one channel of both legs: --legs)"
    )
