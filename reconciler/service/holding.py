"""Our own faults while they last: the files they hold, and the operators told once.

A fault of ours (service/faults.py: the environment's, or a bug) never quarantines a file: it
keeps its state and place, and waits. An environment fault is retried from the rescan interval
on, doubling up to 15 minutes; a bug waits for the next start (which may run a fixed version).
Holds and faults are kept in the ledger (ledger/faults.py); when the ledger itself is the fault,
here in memory until it answers. Each fault is logged in full once per process, and
mail.operators get one message per fault, never the sender.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

from reconciler.config import Config
from reconciler.ledger import faults as holds
from reconciler.ledger import files as ledger_files
from reconciler.ledger.db import Ledger, utcnow
from reconciler.mail import queue as deliver
from reconciler.service import faults

log = logging.getLogger(__name__)


class FaultKeeper:
    """The files our faults hold, and the operators' notices, for one service process."""

    def __init__(self, config: Config, conn: Ledger) -> None:
        self.config = config
        self.conn = conn
        self.places = faults.places_of(config)
        # When the ledger itself is the fault, holds and notices wait here until it answers.
        self._held_here: dict[int, float] = {}  # file id -> time.monotonic() of the next try
        self._untold: dict[str, tuple[faults.Fault, str, str]] = {}  # key -> fault, name, folder
        self._logged: set[str] = set()  # fault keys already logged in full by this process

    def waiting(self) -> set[int]:
        """Files whose next try has not come yet."""
        now = time.monotonic()
        here = {file_id for file_id, due in self._held_here.items() if due > now}
        return holds.waiting(self.conn, utcnow()) | here

    def retry_at_start(self) -> None:
        """Files held for a bug get one more try at each start: it may run a fixed version."""
        if n := holds.retry_at_start(self.conn):
            log.info("%d file(s) kept for a bug are tried again", n)

    def _backoff(self, attempts: int) -> float:
        """The rescan interval, doubling with each attempt, up to 15 minutes (or the interval)."""
        first = self.config.watch.interval_seconds
        return float(min(first * 2 ** min(attempts - 1, 20), max(first, 900.0)))

    def hold(self, file_id: int, fault: faults.Fault) -> None:
        """Keep the file where and as it is: retried with backoff (environment) or at the next
        start (bug). Recorded in the ledger when it answers, else remembered here."""
        name, folder = f"file {file_id}", ""
        with contextlib.suppress(Exception):  # only for the words: the ledger may be down
            if row := ledger_files.get_file(self.conn, file_id):
                name, folder = row.name, row.folder
        first = fault.key not in self._logged
        try:
            attempts = holds.attempts_of(self.conn, file_id) + 1
            delay = None if fault.kind is faults.Kind.BUG else self._backoff(attempts)
            retry_at = None
            if delay is not None:
                retry_at = (datetime.now(UTC) + timedelta(seconds=delay)).isoformat(
                    timespec="seconds"
                )
            with self.conn.transaction():
                noted = holds.note_fault(self.conn, fault.key, fault.kind, fault.detail)
                holds.hold_file(self.conn, file_id, noted.fault_id, retry_at)
            self._held_here.pop(file_id, None)
            if noted.new:
                self._untold[fault.key] = (fault, name, folder)
        except Exception as e:  # the ledger is (part of) the fault: hold the file in memory
            delay = self._backoff(2 + int(self._held_here.get(file_id) is not None))
            self._held_here[file_id] = time.monotonic() + delay
            self._untold.setdefault(fault.key, (fault, name, folder))
            log.debug("could not record the hold of %s in the ledger: %s", name, e)
        when = "at the next start" if delay is None else f"in {delay:g} s"
        if first:
            self._logged.add(fault.key)
            log.error(
                "%s: not the file's fault (%s); it is kept and tried again %s; the sender is "
                "told nothing\n%s",
                name,
                fault.kind,
                when,
                fault.detail.rstrip(),
            )
        else:
            log.info("%s waits for %s (tried again %s)", name, fault.summary, when)
        if file_id not in self._held_here:  # the ledger answered: the notice can go now
            self.tell_untold()

    def note(self, fault: faults.Fault, name: str, folder: str) -> None:
        """One of our faults met before a file was taken (it stays in the inbox): logged in
        full once, the operators told once."""
        if fault.key not in self._logged:
            self._logged.add(fault.key)
            log.error(
                "%s stays in the inbox: not the file's fault (%s)\n%s",
                name,
                fault.kind,
                fault.detail.rstrip(),
            )
            self._untold.setdefault(fault.key, (fault, name, folder))
        if not fault.key.startswith("environment:ledger:"):  # else it would wait on it again
            self.tell_untold()

    def tell_untold(self) -> None:
        """Queue the operators' notice of each new fault (once), when the ledger answers."""
        for key, (fault, name, folder) in list(self._untold.items()):
            try:
                with self.conn.transaction():
                    noted = holds.note_fault(
                        self.conn, fault.key, fault.kind, fault.detail, occurred=False
                    )
                    deliver.queue_operator_message(
                        self.conn,
                        self.config,
                        fault_id=noted.fault_id,
                        kind=str(fault.kind),
                        summary=fault.summary,
                        detail=fault.detail,
                        file_name=name,
                        folder=folder,
                    )
            except Exception as e:  # still down (or the state folder full): told later
                log.debug("the operators' notice of %s waits: %s", key, e)
                return
            del self._untold[key]

    def release(self, file_id: int) -> None:
        """The file went through: its hold goes, and the fault that held it is over."""
        if self._held_here.pop(file_id, None) is not None or holds.attempts_of(self.conn, file_id):
            holds.release(self.conn, file_id)
            log.info("file %d went through: the fault that held it is over", file_id)
