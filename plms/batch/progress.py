"""The progress display of a batch: a bar on a terminal, else one line per night."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from plms.batch.engines import Engine
    from plms.batch.worker import NightTask

__all__ = ["Progress", "one_line_reason"]


#: Longest reason for a failure shown on a progress line, characters.
REASON_MAX_CHARS = 100


def one_line_reason(message: str, path: str = "") -> str:
    r"""The reason a night failed, for its progress line: one line, short.

    The file name the message starts with is left out (the line names the
    night); a long reason is cut at :data:`REASON_MAX_CHARS` with an ellipsis.

    >>> one_line_reason("a/n1.edf: not an EDF file\n(header)", "a/n1.edf")
    'not an EDF file (header)'
    >>> len(one_line_reason("x" * 300))
    100
    """
    text = " ".join(str(message).split())
    if path and text.startswith(f"{path}: "):
        text = text[len(path) + 2:]
    if len(text) > REASON_MAX_CHARS:
        text = text[: REASON_MAX_CHARS - 3].rstrip() + "..."
    return text or "unknown error"


def _eta(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Nights done, failures so far and time left: a bar on a terminal, else lines.

    Parameters
    ----------
    quiet : bool
        Show nothing.
    lines : bool or None
        Plain lines (on stdout) instead of a bar; default: when stderr is not
        a terminal.
    """

    def __init__(self, quiet: bool = False, lines: bool | None = None) -> None:
        self.quiet = quiet
        self.lines = (not sys.stderr.isatty()) if lines is None else lines
        self.bar: Any = None
        self.total = 0
        self.done = 0
        self.start_time = 0.0

    def start(self, total: int, engine: Engine) -> None:
        self.total, self.done, self.start_time = total, 0, time.perf_counter()
        if self.quiet or total == 0 or self.lines:
            return
        import tqdm

        tqdm.tqdm.monitor_interval = 0  # no monitor thread (workers are forked)
        self.bar = tqdm.tqdm(total=total, unit="night", file=sys.stderr, dynamic_ncols=True,
                             desc=f"plms ({engine.name})", postfix={"failed": 0})

    def update(self, task: NightTask, status: str, failed: int, reason: str = "") -> None:
        """One more night done; ``reason``: why it failed (its error message)."""
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix(failed=failed, refresh=False)
            self.bar.update(1)
        elif self.lines and not self.quiet and self.total > 1:
            elapsed = time.perf_counter() - self.start_time
            left = elapsed / self.done * (self.total - self.done)
            why = f" ({one_line_reason(reason, task.path)})" if status != "ok" else ""
            print(f"[{self.done}/{self.total}] {task.stem}: {status}{why}; {failed} failed so "
                  f"far; about {_eta(left)} left", flush=True)

    def write(self, text: str, *, err: bool = False) -> None:
        stream = sys.stderr if err else sys.stdout
        if self.bar is not None:
            import tqdm

            tqdm.tqdm.write(text, file=stream)
        else:
            print(text, file=stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
