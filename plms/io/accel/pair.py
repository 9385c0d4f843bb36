"""One night recorded as two per-ankle files (``night-left.csv`` and ``night-right.csv``).

Wearables often store each ankle's device in its own file. :func:`read_accel_pair`
reads both and makes one two-ankle :class:`~plms.io.accel.read.AccelRecording` of
them, so that bilateral movements are combined as in a two-ankle EDF.

The leg of each file comes from its labels (columns, channels), else from a
side word ending its name (:func:`~plms.io.accel.labels.side_from_name`), else
from its place in the list (first left, second right). The two files must
cover the same night: with clock times they are cut to the time both cover
(an error when that is less than :data:`PAIR_MIN_OVERLAP_FRACTION` of the
shorter one); without clock times (sample-numbered CSVs) they are taken to
start together, with a warning.

:func:`pair_night_name` and :func:`pair_by_side` group file names; the batch
discovery (:mod:`plms.batch.discover`) uses them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from os import PathLike
from pathlib import Path

from plms.annotations import Annotations
from plms.errors import PlmsInputError
from plms.io.accel.read import AccelRecording, AccelSignal, read_accel
from plms.io.accel.labels import SIDES, side_from_name, side_not_used_note

#: Starts (and ends) of the two files closer than this are the same, s.
PAIR_START_TOLERANCE_S = 1.0
#: The time both files cover must be at least this share of the shorter file.
PAIR_MIN_OVERLAP_FRACTION = 0.5


def pair_night_name(paths: Sequence[str | PathLike[str]]) -> str:
    """The name of a night of several per-ankle files: their common stem.

    >>> pair_night_name(["a/n1-left.csv", "a/n1-right.csv"]), pair_night_name(["x.csv", "y.csv"])
    ('n1', 'x+y')
    """
    stems = [Path(p).stem for p in paths]
    named = [side_from_name(s) for s in stems]
    if all(n is not None and n[0] for n in named):
        shared = {n[0].lower() for n in named if n is not None}
        if len(shared) == 1:
            return named[0][0]  # type: ignore[index]
    return "+".join(stems)


def pair_by_side(paths: Sequence[Path]) -> list[tuple[Path, ...]]:
    """Group files of one folder whose stems differ only by a side word.

    Files with the same suffix (any case) and the same stem once a side word
    is removed (``n1-left``/``n1-right``, ``n1_L``/``n1_R``, any case) make a
    pair ``(left, right)``; every other file stays alone. The order of the
    first file of each group is kept.

    >>> [tuple(p.name for p in g) for g in pair_by_side(
    ...     [Path("n1_R.csv"), Path("n1_L.csv"), Path("n2-left.csv"), Path("n3.csv")])]
    [('n1_L.csv', 'n1_R.csv'), ('n2-left.csv',), ('n3.csv',)]
    """
    keys: dict[tuple[str, str, str], dict[str, list[Path]]] = {}
    for path in paths:
        named = side_from_name(path.stem)
        if named is not None and named[0]:
            key = (str(path.parent), named[0].lower(), path.suffix.lower())
            keys.setdefault(key, {}).setdefault(named[1], []).append(path)
    paired: dict[Path, tuple[Path, ...]] = {}
    for by_side in keys.values():
        if all(len(by_side.get(side, [])) == 1 for side in SIDES):
            pair = (by_side["left"][0], by_side["right"][0])
            paired.update({p: pair for p in pair})
    groups: list[tuple[Path, ...]] = []
    seen: set[tuple[Path, ...]] = set()
    for path in paths:
        group = paired.get(path, (path,))
        if group not in seen:
            seen.add(group)
            groups.append(group)
    return groups


def _read_one(path: Path, position_side: str, unit: str | None,
              fs: float | None) -> AccelRecording:
    """One file of the pair: its labels' side, else its name's, else its place."""
    if side_from_name(path.stem) is not None:
        rec = read_accel(path, unit=unit, fs=fs)
    else:
        rec = read_accel(path, side=position_side, unit=unit, fs=fs)
        unused = side_not_used_note(position_side)
        rec = replace(rec, warnings=tuple(w for w in rec.warnings if w != unused))
    if len(rec.signals) != 1:
        raise PlmsInputError(f"holds {len(rec.signals)} accelerometers; a night of two files "
                             "takes one ankle from each file", path=path)
    return rec


def _cut(sig: AccelSignal, skip_s: float, length_s: float) -> AccelSignal:
    first = int(round(skip_s * sig.fs))
    count = int(length_s * sig.fs + 1e-6)
    return replace(sig, data=sig.data[first:first + count])


def _clock(start: dt.datetime) -> str:
    return start.isoformat(sep=" ", timespec="seconds")


def read_accel_pair(
    paths: Sequence[str | PathLike[str]], *, unit: str | None = None, fs: float | None = None,
) -> AccelRecording:
    """Read one night's two per-ankle files as one two-ankle recording.

    Parameters
    ----------
    paths : sequence of two path-likes
        The files of the two ankles (CSV, EDF, device files), in any order
        when their labels or names say the side, else left first.
    unit, fs : optional
        As for :func:`plms.io.accel.read.read_accel`, for both files.

    Returns
    -------
    AccelRecording
        ``path`` is the left file; ``start`` and ``duration_s`` those of the
        time both files cover. The annotations are those of a file starting
        at that time (an EDF+ with a hypnogram), if any.

    Raises
    ------
    ValueError
        Not two paths.
    PlmsInputError
        A file unreadable or holding both ankles; both files on one leg; one
        file with clock times and the other without; files that do not cover
        the same night.
    """
    files = [Path(p) for p in paths]
    if len(files) != 2:
        raise ValueError(f"a night of per-ankle files needs 2 paths (left, right), not "
                         f"{len(files)}")
    both = " and ".join(str(p) for p in files)
    recs = [_read_one(p, side, unit, fs) for p, side in zip(files, SIDES, strict=True)]
    legs = [next(iter(r.signals)) for r in recs]
    if legs[0] == legs[1]:
        raise PlmsInputError(f"both files hold the {legs[0]} ankle (from their labels or "
                             "names): a night of two files needs a left and a right one",
                             path=both)
    by_leg = dict(zip(legs, recs, strict=True))
    left, right = by_leg["left"], by_leg["right"]
    notes = [f"{r.path.name}: {w}" for r in (left, right) for w in r.warnings]
    starts = [r.start for r in (left, right)]
    if (starts[0] is None) != (starts[1] is None):
        timed = left if starts[0] is not None else right
        raise PlmsInputError(f"only {timed.path.name} has clock times, so the two files "
                             "cannot be aligned: give both with clock times (or both "
                             "without)", path=both)
    shorter = min(left.duration_s, right.duration_s)
    left_start, right_start = left.start, right.start
    start: dt.datetime | None
    if left_start is None or right_start is None:
        offsets = {"left": 0.0, "right": 0.0}
        start = None
        length = shorter
        if abs(left.duration_s - right.duration_s) > PAIR_START_TOLERANCE_S:
            notes.append(f"the two files have no clock times: taken to start together and "
                         f"scored over the shorter one ({shorter / 60:.1f} min; left "
                         f"{left.duration_s / 60:.1f} min, right {right.duration_s / 60:.1f} "
                         "min)")
    else:
        clocks = [left_start, right_start]
        start = max(clocks)
        ends = [s + dt.timedelta(seconds=r.duration_s)
                for s, r in zip(clocks, (left, right), strict=True)]
        length = (min(ends) - start).total_seconds()
        if length < PAIR_MIN_OVERLAP_FRACTION * shorter:
            raise PlmsInputError(
                f"the two files are not of the same night: left {_clock(clocks[0])} to "
                f"{_clock(ends[0])}, right {_clock(clocks[1])} to {_clock(ends[1])} "
                f"({max(length, 0.0) / 60:.1f} min in common)", path=both)
        offsets = {leg: (start - s).total_seconds() for leg, s in zip(SIDES, clocks, strict=True)}
        if (abs(offsets["left"] - offsets["right"]) > PAIR_START_TOLERANCE_S
                or abs((ends[0] - ends[1]).total_seconds()) > PAIR_START_TOLERANCE_S):
            notes.append(f"the two files cover different times (left {_clock(clocks[0])} to "
                         f"{_clock(ends[0])}, right {_clock(clocks[1])} to {_clock(ends[1])}): "
                         f"scored over the {length / 60:.1f} min both cover, from "
                         f"{_clock(start)}")
    signals = {leg: _cut(r.signals[leg], offsets[leg], length)
               for leg, r in (("left", left), ("right", right))}
    annotations = Annotations()
    for leg, r in (("left", left), ("right", right)):
        ann = r.annotations
        if ann.hypnogram is None and not (ann.respiratory_scored or ann.arousals_scored):
            continue
        if offsets[leg] <= PAIR_START_TOLERANCE_S:
            if annotations.hypnogram is None:
                annotations = ann
        else:
            notes.append(f"the annotations of {r.path.name} were not used: the night starts "
                         f"{offsets[leg]:.0f} s after that file")
    types = dict.fromkeys(r.file_type for r in (left, right))
    return AccelRecording(path=left.path, start=start, duration_s=length, signals=signals,
                          annotations=annotations, file_type="+".join(types),
                          warnings=tuple(notes))
