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


def write_paths_all_or_nothing(writers: Mapping[Path, Callable[[Path], Any]]) -> list[Path]:
    """Write several files with path-taking writers; all appear or none changes.

    Each writer is called with a temporary path beside its target. Only when
    every writer has returned are the files renamed into place; on any error
    every temporary file is removed and no target is touched.
    """
    temps: dict[Path, Path] = {}
    try:
        for path, write in writers.items():
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_path_for(path)
            temps[path] = tmp
            write(tmp)
            if not tmp.exists():
                raise OSError(f"the writer of {path.name} produced no file")
        for path, tmp in temps.items():
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    return [Path(p) for p in writers]
