"""Which channels of a recording are accelerometer axes, and of which device.

A label is split into words (at spaces, ``_``, ``.``, ``-``, ``/`` and
where a side letter or an axis letter is glued to a known word, as in
``LAnkle`` or ``AccZ``). It names an accelerometer axis when it has

* a word saying "accelerometer" (``acc``, ``accel``, ``accelerometer``,
  ``acceleration``) or the body site of a leg accelerometer (``ankle``,
  ``foot``), and
* an axis word: ``x``, ``y``, ``z`` or a magnitude (``mag``, ``magnitude``,
  ``norm``, ``vm``),

and no word of another signal (``emg``, ``eeg``, ``ecg``, ``tib``...).
The side comes from a side word (``L``, ``R``, ``Left``, ``Right``, ``Lt``,
``Rt``, ``sx``, ``dx``). The other words are the device's name: channels
with the same name and side are the axes of one device.

Bare ``ax``/``ay``/``az`` (no accelerometer word) count only in context:
:func:`find_accel_channels` takes them when all three are in the file.
``Activity`` is *not* taken: it usually labels activity counts (an epoch
summary), not raw acceleration; name such a channel explicitly if it is raw.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Literal, NamedTuple, TypeVar

from plms.errors import PlmsInputError

Side = Literal["left", "right"]
SIDES: tuple[Side, ...] = ("left", "right")
#: Side of a single device whose side is not known.
DEFAULT_SIDE: Side = "left"
_T = TypeVar("_T")

#: Words that say "accelerometer".
ACCEL_WORDS = frozenset({"acc", "accel", "accelerometer", "acceleration", "accelerometry", "acm"})
#: Body sites of a leg accelerometer.
SITE_WORDS = frozenset({"ankle", "foot"})
#: Words of other signals: a label with one of them is never an accelerometer axis.
OTHER_SIGNAL_WORDS = frozenset({
    "emg", "eeg", "ecg", "ekg", "eog", "tib", "tibialis", "leg", "chin", "activity",
    "position", "pos", "gyro", "gyr", "mag_field", "spo2", "flow",
})
#: Axis words and the axis they name.
AXIS_WORDS = {
    "x": "x", "y": "y", "z": "z",
    "mag": "mag", "magnitude": "mag", "norm": "mag", "vm": "mag", "svm": "mag",
}
#: Bare axis names that need context (all three present in the file).
BARE_AXES = {"ax": "x", "ay": "y", "az": "z"}
#: Side words and the side they name.
SIDE_WORDS: dict[str, Side] = {
    "l": "left", "lt": "left", "left": "left", "sx": "left",
    "r": "right", "rt": "right", "right": "right", "dx": "right",
}
#: Order of the axes of a device.
AXIS_ORDER = ("x", "y", "z", "mag")

_KNOWN = "|".join(sorted(ACCEL_WORDS | SITE_WORDS, key=len, reverse=True))
#: ``LAnkle``, ``RAcc``: a side letter glued in front of a known word.
_GLUED_SIDE = re.compile(rf"(?<![a-z])(l|r)({_KNOWN})(?![a-z])", re.IGNORECASE)
#: ``AccZ``, ``AnkleX``: an axis letter glued after a known word.
_GLUED_AXIS = re.compile(rf"(?<![a-z])({_KNOWN})(x|y|z)(?![a-z])", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s._\-/:]+")


class AccelLabel(NamedTuple):
    """What an accelerometer label says.

    ``prefix`` is the label without its axis word (the device's name, side
    word included); ``axis`` one of :data:`AXIS_ORDER`; ``side`` ``"left"``,
    ``"right"`` or ``None``.
    """

    prefix: str
    axis: str
    side: Side | None


def _words(label: str) -> list[str]:
    """The words of ``label``, case kept, glued side/axis letters split off."""
    text = _GLUED_SIDE.sub(r"\1 \2", str(label).strip())
    text = _GLUED_AXIS.sub(r"\1 \2", text)
    return [w for w in _SEPARATORS.split(text) if w]


def _parse(label: str, *, bare_axes: bool, need_context: bool) -> AccelLabel | None:
    words = _words(label)
    lower = [w.lower() for w in words]
    if not words or any(w in OTHER_SIGNAL_WORDS for w in lower):
        return None
    context = any(w in ACCEL_WORDS or w in SITE_WORDS for w in lower)
    axes = {i: AXIS_WORDS[w] for i, w in enumerate(lower) if w in AXIS_WORDS}
    if not axes and bare_axes:
        axes = {i: BARE_AXES[w] for i, w in enumerate(lower) if w in BARE_AXES}
        context = context or bool(axes)
    if len(axes) != 1 or (need_context and not context):
        return None
    sides = {SIDE_WORDS[w] for w in lower if w in SIDE_WORDS}
    if len(sides) > 1:
        return None
    (position, axis), = axes.items()
    prefix = " ".join(w for i, w in enumerate(words) if i != position)
    return AccelLabel(prefix, axis, sides.pop() if sides else None)


def accel_axis_side(label: str) -> AccelLabel | None:
    """The device name, axis and side of an accelerometer label, else ``None``.

    Examples
    --------
    >>> accel_axis_side("Ankle_R_Y")
    AccelLabel(prefix='Ankle R', axis='y', side='right')
    >>> [tuple(accel_axis_side(x)) for x in ("AccZ", "LAnkle-X", "Acc Mag")]
    [('Acc', 'z', None), ('L Ankle', 'x', 'left'), ('Acc', 'mag', None)]
    >>> [accel_axis_side(x) for x in ("LAT", "Leg L", "EMG Tib L", "Fp1", "ax", "X3")]
    [None, None, None, None, None, None]
    """
    return _parse(label, bare_axes=False, need_context=True)


def is_accel_label(label: str) -> bool:
    """Whether ``label`` names one axis of an accelerometer.

    >>> is_accel_label("Accelerometer X"), is_accel_label("ECG"), is_accel_label("Activity")
    (True, False, False)
    """
    return accel_axis_side(label) is not None


def column_axis_side(name: str) -> AccelLabel | None:
    """Like :func:`accel_axis_side` for a column of an accelerometer table.

    The file is known to hold acceleration, so bare axis names count.

    >>> [tuple(column_axis_side(c)) for c in ("x", "acc_y", "AZ", "ankle_l_x", "magnitude")]
    [('', 'x', None), ('acc', 'y', None), ('', 'z', None), ('ankle l', 'x', 'left'),
     ('', 'mag', None)]
    """
    return _parse(name.lower(), bare_axes=True, need_context=False)


@dataclass(frozen=True)
class DeviceChannels:
    """The channels of one accelerometer: labels in axis order."""

    name: str
    side: Side | None
    axes: tuple[str, ...]
    labels: tuple[str, ...]


def group_devices(parsed: Sequence[tuple[str, AccelLabel]]) -> list[DeviceChannels]:
    """Group (label, parsed label) pairs into devices by name and side.

    Devices keep the order of their first channel; axes are sorted x, y, z,
    magnitude. A device with the same axis twice keeps both labels in the
    order given (the caller reports it).

    >>> pairs = [(x, accel_axis_side(x)) for x in ("Acc R Y", "Acc L X", "Acc R X")]
    >>> [(d.name, d.side, d.labels) for d in group_devices(pairs)]
    [('Acc R', 'right', ('Acc R X', 'Acc R Y')), ('Acc L', 'left', ('Acc L X',))]
    """
    groups: dict[tuple[str, Side | None], list[tuple[str, AccelLabel]]] = {}
    for label, info in parsed:
        groups.setdefault((info.prefix.lower(), info.side), []).append((label, info))
    devices = []
    for (_, side), members in groups.items():
        members.sort(key=lambda m: AXIS_ORDER.index(m[1].axis))
        devices.append(DeviceChannels(
            name=members[0][1].prefix, side=side,
            axes=tuple(m[1].axis for m in members), labels=tuple(m[0] for m in members),
        ))
    return devices


def find_accel_channels(labels: Sequence[str]) -> list[tuple[str, AccelLabel]]:
    """The accelerometer channels among ``labels``, parsed.

    Bare ``ax``/``ay``/``az`` labels (optionally with a side) are taken only
    when all three axes are present with the same side.

    >>> [lab for lab, _ in find_accel_channels(["C3", "ax", "ay", "az", "Acc L X"])]
    ['ax', 'ay', 'az', 'Acc L X']
    >>> find_accel_channels(["ax", "EMG"])
    []
    """
    strict = {lab: accel_axis_side(lab) for lab in labels}
    loose = {
        lab: _parse(lab, bare_axes=True, need_context=False)
        for lab in labels if strict[lab] is None
    }
    bare = {
        lab: p for lab, p in loose.items()
        if p is not None and all(w.lower() in BARE_AXES or w.lower() in SIDE_WORDS
                                 for w in _words(lab))
    }
    by_side: dict[Side | None, set[str]] = {}
    for p in bare.values():
        by_side.setdefault(p.side, set()).add(p.axis)
    complete = {side for side, axes in by_side.items() if axes >= {"x", "y", "z"}}
    found = []
    for lab in labels:
        info = strict[lab] or bare.get(lab)
        if info is None or (lab in bare and info.side not in complete):
            continue
        found.append((lab, info))
    return found


def select_accel_channels(
    labels: Sequence[str], channels: Sequence[str] | None,
    path: str | PathLike[str] | None = None,
) -> list[tuple[str, AccelLabel]]:
    """The accelerometer channels: detected, or the ones named in ``channels``.

    Named channels whose labels give no axis are taken as x, y, z in order.

    Raises
    ------
    PlmsInputError
        None detected, or a named channel that does not exist.

    >>> [(lab, p.axis) for lab, p in select_accel_channels(["C3", "A1", "A2"], ["A1", "A2"])]
    [('A1', 'x'), ('A2', 'y')]
    """
    if channels is None:
        found = find_accel_channels(labels)
        if not found:
            listing = ", ".join(repr(lab) for lab in labels) or "(none)"
            raise PlmsInputError(
                f"no accelerometer channel was found; available labels: {listing}; "
                "name the channels with channels=", path=path)
        return found
    chosen = []
    for given in channels:
        matches = [lab for lab in labels if lab == given] or [
            lab for lab in labels if lab.strip().lower() == str(given).strip().lower()]
        if len(matches) != 1:
            raise PlmsInputError(f"the channel {given!r} does not exist (or is not unique); "
                                 f"available labels: {', '.join(map(repr, labels))}", path=path)
        chosen.append(matches[0])
    parsed = [accel_axis_side(lab) or column_axis_side(lab) for lab in chosen]
    if all(p is not None for p in parsed):
        return list(zip(chosen, parsed, strict=True))  # type: ignore[arg-type]
    if len(chosen) > len("xyz"):
        raise PlmsInputError("the axes of the channels given are not in their labels; "
                             "give at most 3 channels of one device, in x, y, z order", path=path)
    # at most 3 channels (checked above): the first ones take x, y, z in turn
    return [(lab, AccelLabel("accelerometer", axis, None))
            for lab, axis in zip(chosen, "xyz", strict=False)]


#: A side word at the end of a file name's stem, after a separator (``night-left``,
#: ``n1_R``, ``sub.lt``), or the whole stem (``left``).
_SIDE_ALTERNATIVES = "|".join(sorted(SIDE_WORDS, key=len, reverse=True))
_NAME_SIDE = re.compile(
    rf"^(?:(?P<stem>.*?)[\s._\-]+)?(?P<side>{_SIDE_ALTERNATIVES})$",
    re.IGNORECASE)


def side_from_name(stem: str) -> tuple[str, Side] | None:
    """The stem without its side word, and the side, of a file name's stem.

    A per-ankle file says its leg in its name: a side word (``left``,
    ``right``, ``L``, ``R``, ``Lt``, ``Rt``, ``sx``, ``dx``, any case) at the
    end of the stem, after ``-``, ``_``, ``.`` or a space, or as the whole stem.

    Examples
    --------
    >>> side_from_name("night1-left"), side_from_name("N1_R"), side_from_name("right")
    (('night1', 'left'), ('N1', 'right'), ('', 'right'))
    >>> side_from_name("night1"), side_from_name("clr"), side_from_name("left-night")
    (None, None, None)
    """
    match = _NAME_SIDE.match(str(stem).strip())
    if match is None:
        return None
    return match.group("stem") or "", SIDE_WORDS[match.group("side").lower()]


def side_not_used_note(side: str) -> str:
    """The warning when ``side``/``--side`` was given but the labels say the side."""
    return f"--side {side} was not used: the labels give the side"


def _side_option(side: str | None) -> Side | None:
    """``side`` checked to be a leg (or None)."""
    if side is None:
        return None
    if side == "left":
        return "left"
    if side == "right":
        return "right"
    raise ValueError(f"side must be 'left' or 'right', not {side!r}")


def assign_sides(
    devices: Sequence[_T], side_of: Callable[[_T], Side | None], name_of: Callable[[_T], str],
    side: str | None, path: str | PathLike[str] | None, *, name_side: Side | None = None,
) -> tuple[dict[Side, _T], list[str]]:
    """Put each device on a leg: its label's side, else ``side``, else ``name_side``, else left.

    ``name_side`` is the side the file's name gives (:func:`side_from_name`);
    it places a single device without a side in its labels, without a warning.
    Returns the devices by leg and warnings.

    Raises
    ------
    PlmsInputError
        Two devices on one leg, or several devices without a side.

    >>> assign_sides(["Acc"], lambda d: None, str, "right", None)
    ({'right': 'Acc'}, [])
    """
    given = _side_option(side)
    name_side = _side_option(name_side)
    sided = [d for d in devices if side_of(d) is not None]
    unsided = [d for d in devices if side_of(d) is None]
    notes: list[str] = []
    if len(unsided) > 1:
        raise PlmsInputError(
            f"several accelerometers without a side in their labels "
            f"({', '.join(repr(name_of(d)) for d in unsided)}); choose one with channels/--side",
            path=path,
        )
    placed: dict[Side, list[_T]] = {s: [d for d in sided if side_of(d) == s] for s in SIDES}
    if unsided:
        if side is None and sided:
            raise PlmsInputError(
                f"the side of accelerometer {name_of(unsided[0])!r} is not in its labels; "
                "give it with --side",
                path=path,
            )
        chosen = given or name_side or DEFAULT_SIDE
        if side is None and name_side is None:
            notes.append(f"the leg of accelerometer {name_of(unsided[0])!r} is not known (no "
                         f"side in its labels); scored as {DEFAULT_SIDE} (give --side)")
        placed[chosen].append(unsided[0])
    elif side is not None and sided:
        notes.append(side_not_used_note(side))
    for leg, found in placed.items():
        if len(found) > 1:
            raise PlmsInputError(
                f"several accelerometers on the {leg} leg "
                f"({', '.join(repr(name_of(d)) for d in found)}); choose with channels",
                path=path,
            )
    return {leg: found[0] for leg, found in placed.items() if found}, notes
