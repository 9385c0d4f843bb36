"""Exceptions raised by plms.

Every problem with an input is a :class:`PlmsInputError` whose message names the
file and the problem in one sentence, so that the command line can print it
without a traceback.
"""

from __future__ import annotations

from os import PathLike


class PlmsError(Exception):
    """Base class of every error plms raises on purpose."""


class PlmsInputError(PlmsError, ValueError):
    """An input file or array cannot be used as it is.

    Parameters
    ----------
    problem : str
        What is wrong, as one human-readable sentence.
    path : str or PathLike, optional
        The file concerned; it is put in front of the message.

    Examples
    --------
    >>> str(PlmsInputError("no leg EMG channel found", path="night1.edf"))
    'night1.edf: no leg EMG channel found'
    """

    def __init__(self, problem: str, path: str | PathLike[str] | None = None) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        super().__init__(problem if self.path is None else f"{self.path}: {problem}")

    def with_path(self, path: str | PathLike[str]) -> PlmsInputError:
        """Return the same error attributed to ``path`` (keeps an existing one)."""
        if self.path is not None:
            return self
        return type(self)(self.problem, path=path)
