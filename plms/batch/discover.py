"""Finding the nights of a batch: folders (recursively), glob patterns and files."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

#: Recordings ``plms score`` finds in a folder (suffix compared case-insensitively).
RECORDING_SUFFIXES = (".edf", ".bdf")
#: ... and with ``--modality accel`` also accelerometer files (CSV, raw device files).
ACCEL_SUFFIXES = (".edf", ".bdf", ".csv", ".cwa", ".bin", ".gt3x")
#: Annotation files ``plms rescore`` finds in a folder.
ANNOTATION_SUFFIXES = (".xml", ".txt", ".tsv", ".csv")
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Found:
    """One input of a batch.

    Attributes
    ----------
    path : Path
        The file (it may not exist when named explicitly: scoring then says so).
    subdir : Path
        Where its outputs go below the output folder: its folder relative to
        the searched folder (so that ``visit1/night.edf`` and
        ``visit2/night.edf`` do not collide), else ``.``.
    error : str or None
        Why the input cannot be processed at all (a pattern matching nothing).
    """

    path: Path
    subdir: Path = Path(".")
    error: str | None = None


def _matches(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.is_file() and path.suffix.lower() in suffixes and not path.name.startswith(".")


def find_inputs(inputs: list[str | os.PathLike[str]] | str | os.PathLike[str],
                command: str = "score", *, modality: str = "auto") -> list[Found]:
    """Expand folders and glob patterns into the files to process, in a stable order.

    A folder is searched recursively for recordings (``.edf``/``.bdf``, any
    case) for ``score``, annotation files (``.xml``, ``.txt``, ``.tsv``,
    ``.csv``) for ``rescore``; ``score --modality accel`` adds accelerometer
    files (``.csv``, ``.cwa``, ``.bin``, ``.gt3x``); for ``score``, XML sidecars beside the
    recordings are annotations, not inputs. A pattern (``*``, ``?``, ``[``)
    is expanded (``**`` recursively); an explicit file is kept as given.
    The same file named twice is processed once.
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
        else:
            found.append(Found(path))
    seen: set[Path] = set()
    unique = []
    for f in found:
        key = f.path.resolve() if f.error is None else f.path
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
