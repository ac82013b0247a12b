"""The progress line of `reconciler run` on a terminal: the stage, the counts known so far and
the time elapsed, on stderr.

Only for a person watching: nothing when stderr is not a terminal (a pipe, a log file, cron,
the service), and nothing for a run shorter than a few seconds, where a flash of text would be
noise. The line is transient: when the run ends it disappears and the summary stays alone.
stdout is never touched, so scripts reading the run folder's path keep working.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from reconciler.text.progress import stage_line

SHOW_AFTER_SECONDS = 2.0


class RunProgress:
    """A pipeline StageListener that shows a spinner and the current stage once the run has
    taken `after` seconds. Use as a context manager; `console` is for tests (a rich Console
    forced to act as a terminal)."""

    def __init__(self, language: str, *, after: float | None = None, console: Any = None) -> None:
        self.language = language
        self.after = SHOW_AFTER_SECONDS if after is None else after
        self.console = console
        self.enabled = console is not None or sys.stderr.isatty()
        self.description = ""
        self.lock = threading.Lock()
        self.bar: Any = None
        self.task: Any = None
        self.timer: threading.Timer | None = None
        self.closed = False
        self.handlers: list[tuple[logging.StreamHandler[Any], Any]] = []

    def __enter__(self) -> RunProgress:
        if self.enabled and self.after <= 0:
            self._show()
        elif self.enabled:
            # The bar appears only when the run is still going `after` seconds in.
            self.timer = threading.Timer(self.after, self._show)
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def __call__(self, stage: str, counts: Mapping[str, object]) -> None:
        with self.lock:
            self.description = stage_line(stage, counts, self.language)
            if self.bar is not None:
                self.bar.update(self.task, description=self.description)
                self.bar.refresh()  # each stage is drawn, however quickly the next one comes

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with self.lock:
            if self.closed:
                return
            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),  # names may hold [brackets]
                TimeElapsedColumn(),
                console=self.console or Console(stderr=True),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.description, total=None)
            # Log lines go above the bar, not through it: the package's stderr handler writes
            # to the stream it was given at start-up, so point it at the bar's stand-in.
            self.handlers = [
                (h, h.setStream(sys.stderr))
                for h in logging.getLogger("reconciler").handlers
                if type(h) is logging.StreamHandler and h.stream is sys.__stderr__
            ]

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            self.closed = True
            if self.bar is not None:
                for handler, stream in self.handlers:
                    handler.setStream(stream)
                self.bar.stop()
                self.bar = None
