"""Binary outputs written whole or not at all.

Libraries such as pyedflib write to a path, not to a stream. These helpers
hand them a temporary path in the target folder and rename the file into
place only when it is complete, so a reader never sees half a file and an
error leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any


def temp_path_for(path: str | os.PathLike[str]) -> Path:
    """A fresh hidden name beside ``path`` (``.NAME.PID.RANDOM.tmp``), not yet created."""
    final = Path(path)
    return final.with_name(f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it once the block succeeds.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "a.txt") as tmp:
    ...     _ = tmp.write_text("done")
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt']
    >>> import shutil; shutil.rmtree(folder)
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(final)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _make_parents(path: Path, made: list[Path]) -> None:
    """Create ``path``'s missing parent folders, noting each one made (outermost first)."""
    missing = [d for d in (path.parent, *path.parent.parents) if not d.exists()]
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        made.append(folder)


def _backup(path: Path) -> Path | None:
    """A hard link to ``path``'s present content (None when there is no file to keep)."""
    if not path.is_file():
        return None
    backup = temp_path_for(path)
    try:
        os.link(path, backup)
    except OSError:   # a file system without hard links
        shutil.copyfile(path, backup)
    return backup


def write_paths_all_or_nothing(writers: Mapping[Path, Callable[[Path], Any]]) -> list[Path]:
    """Write several files with path-taking writers; all appear or none changes.

    Each writer is called with a temporary path beside its target. Only when
    every writer has returned are the files renamed into place; on any error
    (or an interruption), even while renaming, every temporary file is
    removed, a target already renamed gets its earlier content back (or is
    removed when it is new) and the folders made for the targets are removed,
    so nothing of the write is left behind.
    """
    temps: dict[Path, Path] = {}
    made: list[Path] = []
    backups: dict[Path, Path | None] = {}
    try:
        for path, write in writers.items():
            path = Path(path)
            _make_parents(path, made)
            tmp = temp_path_for(path)
            temps[path] = tmp
            write(tmp)
            if not tmp.exists():
                raise OSError(f"the writer of {path.name} produced no file")
        for path, tmp in temps.items():
            backups[path] = _backup(path)
            os.replace(tmp, path)
    except BaseException:
        for path, backup in backups.items():
            if not temps[path].exists():   # renamed into place: undo
                if backup is None:
                    path.unlink(missing_ok=True)
                else:
                    os.replace(backup, path)
        for tmp in [*temps.values(), *(b for b in backups.values() if b is not None)]:
            tmp.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):   # not empty: something else is there too
                folder.rmdir()
        raise
    for backup in backups.values():
        if backup is not None:
            backup.unlink(missing_ok=True)
    return [Path(p) for p in writers]
