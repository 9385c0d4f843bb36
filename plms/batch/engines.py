"""Where the nights of a batch run: this process, worker processes, or a Dask cluster.

Every engine has the same small interface (:class:`Engine`): ``run(fn,
tasks)`` calls the picklable ``fn`` on each task somewhere and yields
``(index, value, crash)`` as the tasks finish, in any order. ``crash`` is
``None`` when ``fn`` returned ``value``, else a sentence saying how the worker
died (``fn`` itself is expected to catch the errors of a task). Closing the
generator early stops the work at once (workers are killed).

- :class:`InlineEngine`: one after the other in this process;
- :class:`ProcessEngine`: N worker processes; a worker that dies (a segfault
  in a C extension, ``os.abort``, the out-of-memory killer) costs only the
  night it was working on: it is reported and replaced;
- :class:`DaskEngine`: a ``dask.distributed`` cluster (optional extra).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from multiprocessing.connection import wait
from typing import Any

from plms.errors import PlmsError

Outcome = tuple[int, Any, "str | None"]
#: What :meth:`Engine.run` returns (closing it stops the work).
Runs = Generator[Outcome, None, None]
#: Modules the fork server imports once, so that each new worker starts warm.
PRELOAD = ["plms.batch.worker", "plms.api", "plms.pipeline.emg", "plms.io.psg.edf",
           "plms.pipeline.rescore", "plms.outputs.files"]


class Engine:
    """The interface of an engine (see the module docstring)."""

    #: Short name, shown in messages.
    name = "engine"
    #: How many tasks run at once.
    workers = 1

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Runs:
        raise NotImplementedError


class InlineEngine(Engine):
    """Run the tasks one after the other in this process (no crash isolation)."""

    name = "inline"

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Runs:
        for i, task in enumerate(tasks):
            yield i, fn(task), None


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _start_method() -> str:
    """``forkserver`` where it exists (cheap, thread-safe forks), else ``spawn``."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


#: Native thread pools (BLAS, OpenMP) of each worker: one thread, so that N
#: workers use N cores (with 2 BLAS threads each, 2 workers on 2 cores lose ~20%).
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                     "MKL_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
                     "NUMEXPR_NUM_THREADS": "1"}


@contextlib.contextmanager
def _single_thread_env() -> Iterator[None]:
    """Set :data:`SINGLE_THREAD_ENV` while the fork server / workers start (the
    user's own values win), then restore this process's environment."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD_ENV}
    for key, value in SINGLE_THREAD_ENV.items():
        os.environ.setdefault(key, value)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _worker_main(conn: Any) -> None:  # pragma: no cover - runs in the child
    """Loop of a worker process: receive ``(fn, task)``, send back the value."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        fn, task = item
        try:
            value: Any = ("ok", fn(task))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            value = ("raised", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        try:
            conn.send(value)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable value
            conn.send(("raised", f"cannot send the result back ({exc})"))


def describe_exit(exitcode: int | None) -> str:
    """A sentence for how a worker process ended."""
    if exitcode is None:
        return "the worker process stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process died ({name}) while processing it"
    return f"the worker process exited (code {exitcode}) while processing it"


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.done = 0
        self.task: int | None = None

    def stop(self, kill: bool = False) -> None:
        if self.proc.is_alive():
            if kill:
                self.proc.kill()
            else:
                try:
                    self.conn.send(None)
                except OSError:
                    self.proc.kill()
        self.proc.join(timeout=5)
        if self.proc.is_alive():  # pragma: no cover - a stuck worker
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class ProcessEngine(Engine):
    """Run the tasks in ``jobs`` worker processes that survive each other's crashes.

    Parameters
    ----------
    jobs : int, optional
        Worker processes (default: the cores this process may use).
    max_tasks_per_child : int
        A worker is replaced after this many tasks, which bounds what leaks.
    start_method : str, optional
        ``multiprocessing`` start method (default ``forkserver`` where
        available, else ``spawn``).
    """

    name = "processes"

    def __init__(self, jobs: int | None = None, *, max_tasks_per_child: int = 50,
                 start_method: str | None = None) -> None:
        self.workers = max(1, int(jobs or default_jobs()))
        self.max_tasks_per_child = max(1, int(max_tasks_per_child))
        self.start_method = start_method or _start_method()

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Runs:
        ctx = mp.get_context(self.start_method)
        if self.start_method == "forkserver":
            ctx.set_forkserver_preload(PRELOAD)
        pending = deque(range(len(tasks)))
        idle: list[_Worker] = []
        busy: dict[Any, _Worker] = {}
        n_workers = min(self.workers, len(tasks))
        try:
            while pending or busy:
                self._start_tasks(ctx, fn, tasks, pending, idle, busy, n_workers)
                ready = wait([*busy, *(w.proc.sentinel for w in busy.values())])
                for conn, worker in list(busy.items()):
                    if conn in ready or worker.proc.sentinel in ready:
                        yield self._collect(conn, worker, idle, busy)
        finally:
            for worker in list(busy.values()):
                worker.stop(kill=True)
            for worker in idle:
                worker.stop()

    @staticmethod
    def _start_tasks(ctx: Any, fn: Callable[[Any], Any], tasks: Sequence[Any],
                     pending: deque[int], idle: list[_Worker], busy: dict[Any, _Worker],
                     n_workers: int) -> None:
        """Hand pending tasks to idle (or new) workers until ``n_workers`` are busy."""
        while pending and len(busy) < n_workers:
            if idle:
                worker = idle.pop()
            else:
                with _single_thread_env():
                    worker = _Worker(ctx)
            worker.task = pending.popleft()
            try:
                worker.conn.send((fn, tasks[worker.task]))
            except (OSError, EOFError):  # died between two tasks: retry elsewhere
                pending.appendleft(worker.task)
                worker.stop(kill=True)
                continue
            busy[worker.conn] = worker

    def _collect(self, conn: Any, worker: _Worker, idle: list[_Worker],
                 busy: dict[Any, _Worker]) -> Outcome:
        """The outcome of a worker that is ready: its answer, or how it died."""
        index = worker.task if worker.task is not None else -1
        try:
            if not conn.poll():
                raise EOFError
            kind, value = conn.recv()
        except (EOFError, OSError):
            worker.proc.join(timeout=5)
            del busy[conn]
            crash = describe_exit(worker.proc.exitcode)
            worker.stop(kill=True)
            return index, None, crash
        del busy[conn]
        worker.done += 1
        if worker.done >= self.max_tasks_per_child:
            worker.stop()
        else:
            idle.append(worker)
        if kind == "ok":
            return index, value, None
        return index, None, f"the task raised {value}"


class DaskEngine(Engine):
    """Run the tasks on a ``dask.distributed`` cluster.

    Parameters
    ----------
    scheduler : str or distributed.Client
        The scheduler's address (``tcp://host:8786``), its scheduler file
        (``dask scheduler --scheduler-file``), or a connected client (left
        open). The workers must see the input and output paths (a shared
        file system) and have ``plms`` installed.
    """

    name = "dask"

    def __init__(self, scheduler: Any) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise PlmsError(
                "--scheduler runs the nights on a Dask cluster, which needs the optional "
                "extra: pip install 'plms[dask]'") from None
        self.scheduler = scheduler
        self.workers = 0

    def _client(self) -> tuple[Any, bool]:
        from distributed import Client

        if isinstance(self.scheduler, Client):
            return self.scheduler, False
        try:
            if isinstance(self.scheduler, (str, os.PathLike)) and os.path.isfile(
                    self.scheduler):
                return Client(scheduler_file=os.fspath(self.scheduler), timeout="30s"), True
            return Client(self.scheduler, timeout="30s"), True
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError (3.10: asyncio's)
            raise PlmsError(f"cannot reach the Dask scheduler at {self.scheduler}: "
                            f"{exc}") from None

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Runs:
        from distributed import as_completed

        client, own = self._client()
        self.workers = sum(client.nthreads().values()) or 1
        futures = {}
        try:
            for i, task in enumerate(tasks):
                futures[client.submit(fn, task, pure=False, retries=0)] = i
            for future in as_completed(futures):
                i = futures[future]
                try:
                    value = future.result()
                except Exception as exc:  # noqa: BLE001 - KilledWorker, lost worker...
                    yield i, None, (f"the Dask worker failed on it ({type(exc).__name__}: "
                                    f"{exc})")
                else:
                    yield i, value, None
        finally:
            unfinished = [f for f in futures if not f.done()]
            if unfinished:
                client.cancel(unfinished)
            if own:
                client.close()


def make_engine(jobs: int | None = None, scheduler: Any = None, n_tasks: int = 2) -> Engine:
    """The engine for ``--jobs`` / ``--scheduler``: Dask when a scheduler is given,
    in this process when one task at a time would run, else worker processes."""
    if scheduler is not None:
        return DaskEngine(scheduler)
    jobs = int(jobs) if jobs else default_jobs()
    if jobs < 1:
        raise ValueError("jobs must be 1 or more")
    if min(jobs, n_tasks) <= 1:
        return InlineEngine()
    return ProcessEngine(jobs)


__all__ = ["DaskEngine", "Engine", "InlineEngine", "ProcessEngine", "default_jobs",
           "describe_exit", "make_engine"]

