"""Work done by a forked copy of this process while this one goes on with the rest.

The run is pure Python and uses one of the machine's cores; annotate has two large pieces of
work that need nothing from each other until the end (the register sheets; our long tables
and short sheets), so the register sheets are done by a fork (annotate.py). A fork, not a
thread: Python code holds the interpreter lock; and not a spawned process: a fork starts with
everything the run holds (the RunResult, the package), nothing pickled or read again.

The worker sends messages (pickled, through a pipe) and its log records, which are logged
here as they arrive; it ends by os._exit, never running this process's clean-up. Its failure
is raised here as ours: `WorkerFailed` (a bug, or the environment when its cause says so, as
the service's faults read the cause), never as a fault of the file being processed; a
MemoryError stays a MemoryError (the memory limit, as if it had happened here).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

Send = Callable[[Any], None]


class WorkerFailed(RuntimeError):
    """A forked worker failed or died: our fault, not the file's. Its message carries the
    worker's traceback; its __cause__ is the worker's exception when it could be sent."""


class ForkRefused(OSError):
    """The system would not fork (too many processes, no memory for the page tables): nothing
    was started, and the work can be done here instead."""


def can_fork() -> bool:
    """Whether a worker can run beside this process: fork exists and a second core is free.

    Free: fewer tasks than cores want a core (this process counts one), by the last minute's
    load average or by the tasks runnable now. The average lags: a core freed a few seconds
    ago (another job just ended, a stage of the run that used two) still counts as busy for
    up to a minute, which would refuse the worker on a machine now quiet (BENCHMARKS.md,
    issue 16, end of the eighth session). On a machine busy with other work a worker gains
    nothing and costs: its pages
    copied as either process writes them, and both processes' time when they share a core
    (BENCHMARKS.md, issue 16, sixth pass)."""
    if not hasattr(os, "fork"):
        return False
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except OSError:  # not known here: as if nothing else ran
        load = 1.0
    return core_free(cores, load, runnable_now())


def core_free(cores: int, load: float, runnable: int | None) -> bool:
    """Whether a core is free beside this process: by the load average, or by the count of
    tasks runnable now (this one included; None: not known)."""
    return cores > 1 and (load < cores or (runnable is not None and runnable < cores))


def runnable_now() -> int | None:
    """The tasks runnable at this moment, this process included (Linux's /proc/loadavg)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return int(f.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None


class Forked:
    """`work(send)` run in a forked child; `receive()` takes what it sent, in order."""

    def __init__(self, work: Callable[[Send], None], name: str) -> None:
        self.name = name
        read, write = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as refused:
            os.close(read)
            os.close(write)
            raise ForkRefused(refused.errno, f"{name}: fork refused: {refused}") from refused
        if pid == 0:  # the worker: never returns
            os.close(read)
            _worker_main(work, write, parent)
        os.close(write)
        self.pid: int | None = pid
        self._pipe: BinaryIO = os.fdopen(read, "rb")
        self._done = False

    def receive(self) -> Any:
        """The worker's next message (raises its failure here, as ours)."""
        kind, payload = self._next()
        if kind != "message":
            raise WorkerFailed(f"{self.name}: ended without sending what was expected")
        return payload

    def finish(self) -> None:
        """Wait for the worker to end its work (raises its failure here, as ours). Not for
        its exit, the kernel freeing its copy of our pages (0.07 s at 100k rows): what it
        made is ours already, and `stop` reaps it when we are done too."""
        if self._done:
            return
        kind, _payload = self._next()
        if kind != "done":
            raise WorkerFailed(f"{self.name}: sent more than was expected")
        self._done = True

    def stop(self) -> None:
        """End the worker, whatever it was doing (this process failed, or is done), and reap
        it (a worker that finished is only waited for)."""
        if self.pid is not None:
            if not self._done:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
            self._reap()
        self._pipe.close()

    def __enter__(self) -> Forked:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _next(self) -> tuple[str, Any]:
        try:
            kind, payload, records = pickle.load(self._pipe)
        except (EOFError, pickle.UnpicklingError, OSError) as e:
            status = self._reap()
            raise WorkerFailed(f"{self.name}: the worker {_how(status)}") from e
        for name, level, message in records:  # its log lines, where they would have been
            logging.getLogger(name).log(level, "%s", message)
        if kind == "failed":
            error, text = payload
            self._reap()
            if isinstance(error, MemoryError):
                raise error
            raise WorkerFailed(f"{self.name}: the worker failed:\n{text}") from error
        return kind, payload

    def _reap(self) -> int | None:
        pid, self.pid = self.pid, None
        if pid is None:
            return None
        _pid, status = os.waitpid(pid, 0)
        return status


def _how(status: int | None) -> str:
    if status is None:
        return "was gone"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"was killed by {signal.Signals(number).name}"
        except ValueError:
            return f"was killed by signal {number}"
    return f"ended (exit {os.WEXITSTATUS(status)}) without a word"


class _Collected(logging.Handler):
    """The worker's log records, kept to be sent with its next message."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))

    def take(self) -> list[tuple[str, int, str]]:
        taken, self.records = self.records, []
        return taken


def _worker_main(work: Callable[[Send], None], fd: int, parent: int) -> None:
    code = 1
    try:
        _die_with(parent)
        out = os.fdopen(fd, "wb")
        # Logged through the parent: the worker never writes to the parent's streams, whose
        # locks another thread of the parent may have held at the fork.
        collected = _Collected()
        for logger in (logging.getLogger(), logging.getLogger("reconciler")):
            logger.handlers = [collected]
        logging.getLogger("reconciler").propagate = False

        def send(message: Any) -> None:
            pickle.dump(("message", message, collected.take()), out, pickle.HIGHEST_PROTOCOL)
            out.flush()

        try:
            work(send)
            pickle.dump(("done", None, collected.take()), out, pickle.HIGHEST_PROTOCOL)
            code = 0
        except BaseException as e:
            text = "".join(traceback.format_exception(e))
            pickle.dump(("failed", (_portable(e), text), collected.take()), out)
        out.flush()
    finally:
        os._exit(code)


def _portable(error: BaseException) -> BaseException:
    """`error` if it survives pickling, else a RuntimeError that says it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _die_with(parent: int) -> None:
    """The worker dies with this process (Linux): killed for its time limit, the parent
    leaves no worker running on."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)
