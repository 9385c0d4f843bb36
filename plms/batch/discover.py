"""Finding the nights of a batch: folders (recursively), glob patterns and files."""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from plms.io.names import (
    FOLDER_ACCEL_SUFFIXES,
    FOLDER_ANNOTATION_SUFFIXES,
    FOLDER_PER_ANKLE_SUFFIXES,
    FOLDER_RECORDING_SUFFIXES,
)

#: Recordings ``plms score`` finds in a folder (suffix compared case-insensitively).
RECORDING_SUFFIXES: tuple[str, ...] = FOLDER_RECORDING_SUFFIXES
#: ... and with ``--modality accel`` also accelerometer files (CSV, raw device files).
ACCEL_SUFFIXES: tuple[str, ...] = FOLDER_ACCEL_SUFFIXES
#: Annotation files ``plms rescore`` finds in a folder.
ANNOTATION_SUFFIXES: tuple[str, ...] = FOLDER_ANNOTATION_SUFFIXES
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Found:
    """One input of a batch.

    Attributes
    ----------
    path : Path
        The file (or, with ``error``, the input that could not be used).
    subdir : Path
        Where its outputs go below the output folder: its folder relative to
        the searched folder (so that ``visit1/night.edf`` and
        ``visit2/night.edf`` do not collide), else ``.``.
    error : str or None
        Why the input cannot be processed at all (a pattern matching nothing).
    paths : tuple of Path
        All the files of a night recorded as one file per ankle (left, right),
        ``path`` being the first; empty for a night of one file.
    """

    path: Path
    subdir: Path = Path(".")
    error: str | None = None
    paths: tuple[Path, ...] = ()

    @property
    def name(self) -> str:
        """The night's name: the file's stem, or the per-ankle files' common stem."""
        if len(self.paths) > 1:
            from plms.io.accel.pair import pair_night_name

            return pair_night_name(self.paths)
        return self.path.stem


def _matches(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith(".")


#: Files that may hold one ankle each (the nights ``pair_sides`` groups).
PER_ANKLE_SUFFIXES: tuple[str, ...] = FOLDER_PER_ANKLE_SUFFIXES


def _pair_sides(found: list[Found]) -> list[Found]:
    """Group per-ankle files (``n1-left.csv``, ``n1-right.csv``) into two-ankle nights."""
    candidates = [f.path for f in found
                  if f.error is None and f.path.suffix.lower() in PER_ANKLE_SUFFIXES]
    from plms.io.accel.pair import pair_by_side

    groups = {g[0]: g for g in pair_by_side(candidates) if len(g) > 1}
    members = {p for g in groups.values() for p in g}
    result = []
    for f in found:
        if f.path in groups:
            result.append(Found(f.path, f.subdir, paths=groups[f.path]))
        elif f.path not in members or f.error is not None:
            result.append(f)
    return result


def find_inputs(inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
                command: str = "score", *, modality: str = "auto",
                pair_sides: bool = True) -> list[Found]:
    """Expand folders and glob patterns into the files to process, in a stable order.

    A folder is searched recursively for recordings (``.edf``/``.bdf``, any
    case) for ``score``, annotation files (``.xml``, ``.txt``, ``.tsv``,
    ``.csv``) for ``rescore``; ``score --modality accel`` adds accelerometer
    files (``.csv``, ``.cwa``, ``.bin``, ``.gt3x``); for ``score``, XML sidecars beside the
    recordings are annotations, not inputs. A pattern (``*``, ``?``, ``[``)
    is expanded (``**`` recursively); an explicit file is kept as given (one
    that does not exist is an error :attr:`Found.error`).
    The same file named twice is processed once.

    With ``pair_sides`` (``score`` only, not ``modality="emg"``), CSV and
    device files of one folder whose stems differ only by a side word
    (``n1-left.csv``/``n1-right.csv``, ``n1_L.cwa``/``n1_R.cwa``) are one
    two-ankle night named ``n1`` (:attr:`Found.paths`).
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    suffixes = ANNOTATION_SUFFIXES
    if command == "score":
        suffixes = ACCEL_SUFFIXES if modality == "accel" else RECORDING_SUFFIXES
    found: list[Found] = []
    for item in inputs:
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            hits = sorted((p for p in path.rglob("*") if _matches(p, suffixes)),
                          key=lambda p: p.relative_to(path).as_posix())
            hits = [p for p in hits
                    if not any(part.startswith(".") for part in p.relative_to(path).parts)]
            found += [Found(p, p.parent.relative_to(path)) for p in hits]
            if not hits:
                found.append(Found(path, error=f"{path}: the folder holds no "
                                               f"{'/'.join(s[1:].upper() for s in suffixes)} "
                                               "file"))
        elif _GLOB_CHARS & set(text) and not path.exists():
            hits = sorted(Path(p) for p in glob.glob(text, recursive=True))
            hits = [p for p in hits if p.is_file()]
            found += [Found(p) for p in hits]
            if not hits:
                found.append(Found(path, error=f"{text}: the pattern matches no file"))
        elif not path.exists():
            found.append(Found(path, error=f"{text}: the file or folder does not exist"))
        else:
            found.append(Found(path))
    seen: set[Path] = set()
    unique = []
    for f in found:
        key = f.path.resolve() if f.error is None else f.path
        if key not in seen:
            seen.add(key)
            unique.append(f)
    if pair_sides and command == "score" and modality != "emg":
        unique = _pair_sides(unique)
    return unique
