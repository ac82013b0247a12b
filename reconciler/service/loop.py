"""The service loop: watchdog events are hints, a rescan every `watch.interval_seconds` is the
guarantee (inotify sees nothing on SMB/NFS; PollingObserver can die and still say it is alive).

serve() runs until SIGINT/SIGTERM: it resumes what a crash left unfinished, then loops: check
the observer, rescan the inbox, claim and process what is ready (lifecycle.py), sweep for files
another instance left behind, let delivery send what is due, and sleep until an event or the
next rescan.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from reconciler.config import Config
from reconciler.errors import ConfigError, Problem
from reconciler.ledger.db import Ledger
from reconciler.ledger.schema import open_ledger
from reconciler.service import endings, faults, intake, lifecycle

log = logging.getLogger(__name__)


class _Hint(FileSystemEventHandler):
    """Any change in the inbox wakes the loop early; it never decides anything itself."""

    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.wake.set()


class Service:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.stopping = threading.Event()
        self.stopped_by = ""  # the signal's name, for the last log line
        self.wake = threading.Event()
        self.observer: Any = None
        self.tracker = intake.ReadinessTracker(
            config.watch.settle_seconds, config.watch.stale_lock_minutes
        )
        for folder in (config.inbox, config.outbox, config.archive, config.quarantine):
            folder.mkdir(parents=True, exist_ok=True)
        config.work_dir.mkdir(parents=True, exist_ok=True)
        if config.inbox.stat().st_dev != config.work_dir.stat().st_dev:
            raise ConfigError(
                Problem(
                    f"key 'state': the work folder {config.work_dir} is on another filesystem "
                    f"than the inbox {config.inbox}, so a file cannot be claimed by an atomic "
                    "rename; put state/ on the same disk or share as the inbox",
                    "WORK_ON_ANOTHER_DISK",
                    {"work": str(config.work_dir), "inbox": str(config.inbox)},
                ),
                source=str(config.source),
            )
        self.conn: Ledger = open_ledger(config)
        self.files = lifecycle.FileLifecycle(config, self.conn, stopping=self.stopping)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    # --- the observer: hints only --------------------------------------------------------

    def _observer_healthy(self) -> bool:
        obs = self.observer
        return bool(obs and obs.is_alive() and all(e.is_alive() for e in obs.emitters))

    def ensure_observer(self) -> None:
        """Start the observer, or restart one that died (watchdog #452, #1065)."""
        if self._observer_healthy():
            return
        if self.observer is not None:
            log.warning("file watcher stopped; restarting it (rescans cover the gap)")
            self._stop_observer()
        watch = self.config.watch
        try:
            if watch.polling:
                obs: Any = PollingObserver(timeout=max(0.5, min(watch.settle_seconds, 5.0)))
            else:
                obs = Observer()
            obs.schedule(_Hint(self.wake), str(self.config.inbox), recursive=True)
            obs.start()
        except OSError as e:  # e.g. the inotify watch limit: rescans still find every file
            log.warning("cannot watch %s (%s); relying on rescans", self.config.inbox, e)
            self.observer = None
            return
        self.observer = obs

    def _stop_observer(self) -> None:
        obs, self.observer = self.observer, None
        if obs is not None:
            try:
                obs.stop()
                obs.join(timeout=5)
            except Exception as e:  # a dead emitter may fail to stop; it is dropped anyway
                log.debug("stopping the observer: %s", e)

    # --- the loop ------------------------------------------------------------------------

    def intake_once(self) -> int:
        """Rescan the inbox, claim and process every ready file; return how many still settle."""
        try:
            found = intake.scan_inbox(self.config.inbox, self.tracker.complain)
        except OSError as e:  # the inbox itself is gone or unreadable: the next rescan retries
            self.tracker.complain(self.config.inbox, f"cannot list the inbox: {e}")
            return 0
        ready, waiting = self.tracker.update(found)
        for dropped in ready:
            if self.stopping.is_set():
                break
            received = self.tracker.received_at(dropped.path)
            self.tracker.forget(dropped.path)
            try:
                self.files.claim(dropped, received)
            except Exception as e:  # one file never stops the service: it waits in the inbox
                fault = faults.environment_fault(e, self.files.faults.places)
                if fault is None and isinstance(e, OSError):  # this entry's own trouble
                    self.tracker.complain(dropped.path, f"could not take it: {e}")
                    continue
                self.files.faults.note(fault or faults.bug(e), dropped.name, dropped.folder)
                self.tracker.complain(dropped.path, "waits: not taken because of our own fault")
        return waiting

    def run(self) -> None:
        watch, config = self.config.watch, self.config
        log.info(
            "started: inbox %s, outbox %s, archive %s, quarantine %s, state %s; %s, rescan "
            "every %g s, settle %g s; mail %s",
            config.inbox,
            config.outbox,
            config.archive,
            config.quarantine,
            config.state,
            "polling" if watch.polling else "native events",
            watch.interval_seconds,
            watch.settle_seconds,
            "by SMTP" if config.mail.transport == "smtp" else f"written to {config.state / 'mail'}",
        )
        next_sweep = 0.0
        self.sweep(start=True)
        try:
            while not self.stopping.is_set():
                self.ensure_observer()
                if time.monotonic() >= next_sweep:  # files a crash or another instance left
                    self.sweep()
                    next_sweep = time.monotonic() + watch.interval_seconds
                waiting = self.intake_once()
                try:
                    endings.send_due(self.conn, self.config)
                except Exception as e:  # retried next tick; said once, not on every tick
                    fault = faults.classify(e, self.files.faults.places)
                    self.files.faults.note(fault, "(sending queued mail)", "")
                if self.config.audit.schedule:
                    self.send_scheduled_audit()
                timeout = watch.interval_seconds
                if waiting:  # look again when the waiting files may have settled
                    timeout = min(timeout, max(watch.settle_seconds / 2, 0.1))
                self.wake.wait(timeout)
                self.wake.clear()
        finally:
            self._stop_observer()
            self.conn.close()
            log.info("stopped%s", f" on {self.stopped_by}" if self.stopped_by else "")

    def sweep(self, *, start: bool = False) -> None:
        """Resume what a crash, a stop or one of our faults left; never stops the loop (each
        file's own trouble is handled in lifecycle; this is the ledger failing to answer)."""
        try:
            if start:
                self.files.faults.retry_at_start()
            self.files.resume()
        except Exception as e:
            fault = faults.classify(e, self.files.faults.places)
            self.files.faults.note(fault, "(resuming files)", "")

    def send_scheduled_audit(self) -> None:
        """The audit pack on `audit.schedule`; a fire missed while down is caught up once."""
        # Imported here: the audit pack needs openpyxl, which the service loop otherwise never
        # loads (the stages run in children).
        from reconciler.audit import pack as audit

        try:
            pack = audit.run_scheduled(self.conn, self.config, datetime.now(UTC))
        except Exception:
            log.exception("the scheduled audit pack failed; it is tried again next tick")
            return
        if pack is not None:
            log.info("audit pack sent: %s", pack)


def serve(config: Config) -> None:
    """`reconciler watch`: run until SIGINT/SIGTERM, then return (exit 0)."""
    service = Service(config)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        service.stopped_by = signal.Signals(signum).name
        log.info("received %s: finishing up", service.stopped_by)
        service.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        service.run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
