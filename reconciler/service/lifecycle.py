"""The life of one dropped file, one idempotent step at a time (states: models.FileState).

Every step first does its work on disk in a way that can be redone or recognised as done, then
records the new state in one short transaction. advance() reads the state and takes the next
step, so a fresh claim and a resume after kill -9 at any point run the same code. A per-file
lock (flock on state/locks/<file id>.lock, inherited by the child process) makes sure only one
live process advances a file; the lock dies with its holders, so a crash never strands a file.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from reconciler.config import Config
from reconciler.errors import LimitExceeded
from reconciler.ledger import files as ledger_files
from reconciler.ledger import runs as ledger_runs
from reconciler.ledger.db import Ledger, new_run_id
from reconciler.ledger.files import FileRecord
from reconciler.models import FINAL_STATES, FileState
from reconciler.service import endings, faults, holding, intake, isolation, own_files
from reconciler.text.error_catalogue import ErrorRecord

log = logging.getLogger(__name__)


class FileLock:
    """An exclusive, non-blocking flock; released when every holder (parent, child) is gone."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def acquire(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            return False
        return True

    def release(self, *, remove: bool = False) -> None:
        if remove:  # whoever opens it later re-reads the ledger and finds nothing to do
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        os.close(self.fd)


class FileLifecycle:
    """Claims ready files and advances every file in the ledger to its final state."""

    def __init__(self, config: Config, conn: Ledger, *, stopping: Any) -> None:
        self.config = config
        self.conn = conn
        self.stopping = stopping  # a threading.Event set by SIGTERM/SIGINT
        self.locks = config.state / "locks"
        self.faults = holding.FaultKeeper(config, conn)  # ours, not the files': they wait

    def lock(self, file_id: int) -> FileLock | None:
        lock = FileLock(self.locks / f"{file_id}.lock")
        return lock if lock.acquire() else None

    # --- claiming ---------------------------------------------------------------------------

    def claim(self, dropped: intake.Dropped, received_at: str) -> bool:
        """Take a ready file into the work folder and process it; False if another got it.

        Raises what kept it from being taken (the file stays in the inbox): see holding.FaultKeeper.note."""
        with self.conn.transaction():
            file_id = ledger_files.add_file(self.conn, dropped.name, dropped.folder, received_at)
            target = intake.claimed_path(
                self.config.work_dir, dropped.folder, file_id, dropped.name
            )
            ledger_files.update_file(self.conn, file_id, claimed_as=str(target))
        isolation.crash_point("inserted")
        lock = self.lock(file_id)
        if lock is None:  # a resume sweep elsewhere holds it and will forget the row
            return False
        try:
            if ledger_files.get_file(self.conn, file_id) is None:
                return False
            if not intake.claim(dropped.path, target):
                ledger_files.forget_file(self.conn, file_id)
                log.debug("%s was taken by another instance", dropped.path)
                return False
            isolation.crash_point("claimed")
            self.advance(file_id, lock, dropped)
        finally:
            self._release(file_id, lock)
        return True

    def _mark_claimed(
        self, file_id: int, target: Path, dropped: intake.Dropped | None = None
    ) -> None:
        """Hash what was taken, checking again that it is a regular file of its own (the
        same inode as seen in the inbox, on a fresh claim); a link is refused unread."""
        name = target.name.split("__", 1)[1]
        try:
            size, digest = intake.take_claimed(target, name, dropped)
        except intake.LinkRefused as e:
            self._refuse(file_id, e)
            return
        except PermissionError as e:  # its own permissions: the file's problem, not ours
            if e.filename is not None and Path(os.fsdecode(e.filename)) != target:
                raise
            self._refuse(file_id, intake.not_readable(name, e))
            return
        ledger_files.update_file(
            self.conn, file_id, state=FileState.CLAIMED, size=size, sha256=digest
        )
        log.info("claimed %s as %s", target.name.split("__", 1)[1], target)

    def _refuse(self, file_id: int, error: intake.LinkRefused) -> None:
        """A claimed entry that is not taken as a register: failed with a run of its own, so
        it is quarantined with its note and the sender is told why, like an unreadable file."""
        row = ledger_files.get_file(self.conn, file_id)
        if row is None:
            return
        error = type(error)(
            error.reason,
            file=row.name,  # the user's whole name, not the shortened one on disk
            hint=error.hint,
            params={"detail": error.params.get("detail")},
        )
        self._fail_now(row, ErrorRecord.of(error))

    def _fail_now(self, row: FileRecord, error: ErrorRecord) -> None:
        """Failed with a run of its own (quarantined next, the sender told why)."""
        run_id = row.run_id or new_run_id()
        with self.conn.transaction():
            ledger_runs.start_run(
                self.conn,
                run_id,
                file_id=row.id,
                file_name=row.name,
                folder=row.folder,
                sha256=row.sha256,
            )
            self._fail(row, run_id, error)

    def _release(self, file_id: int, lock: FileLock) -> None:
        try:
            row = ledger_files.get_file(self.conn, file_id)
        except Exception as e:  # the ledger is down: the lock must still go, or this process
            # would hold it for ever and never resume the file when the ledger is back
            log.debug("file %d: its lock kept on disk, the ledger did not answer: %s", file_id, e)
            lock.release()
            return
        done = row is None or (row.state in FINAL_STATES and row.notified_at)
        lock.release(remove=bool(done))

    # --- resuming ---------------------------------------------------------------------------

    def resume(self) -> None:
        """Advance every unfinished file no live process holds (after a crash or a stop) and
        whose wait for one of our faults is over."""
        self.faults.tell_untold()
        waiting = self.faults.waiting()
        for file_id in ledger_files.unfinished_files(self.conn, self.config.work_dir):
            if self.stopping.is_set():
                return
            if file_id in waiting:
                continue
            lock = self.lock(file_id)
            if lock is None:
                continue
            try:
                self.advance(file_id, lock)
            finally:
                self._release(file_id, lock)

    # --- the state machine ------------------------------------------------------------------

    def advance(self, file_id: int, lock: FileLock, dropped: intake.Dropped | None = None) -> None:
        """Take steps until the file is final and notified, the service is stopping, or one
        of our own faults holds the file (then it keeps its state and is retried later)."""
        try:
            self._advance(file_id, lock, dropped)
        except Exception as e:  # not the file's fault: InputErrors were handled in the steps
            self.faults.hold(file_id, faults.classify(e, self.faults.places))

    def _advance(self, file_id: int, lock: FileLock, dropped: intake.Dropped | None) -> None:
        while not self.stopping.is_set():
            row = ledger_files.get_file(self.conn, file_id)
            if row is None:
                return
            state = row.state
            if state == FileState.CLAIMING:
                if not os.path.lexists(row.claimed_path):
                    ledger_files.forget_file(self.conn, file_id)  # the rename never happened
                    return
                self._mark_claimed(file_id, row.claimed_path, dropped)
            elif state == FileState.CLAIMED:
                if not self._start(row, lock):
                    return
            elif state == FileState.PROCESSING:
                if not self._process(row, lock):
                    return
            elif state == FileState.DONE:
                endings.archive(self.conn, self.config, row)
            elif state == FileState.FAILED:
                endings.quarantine(self.conn, self.config, row)
            elif row.notified_at is None:
                endings.after_run(self.conn, self.config, row)
                isolation.crash_point("queued")
                ledger_files.mark_notified(self.conn, file_id)
                self.faults.release(file_id)
                return
            else:
                return

    def _too_large(self, row: FileRecord) -> bool:
        return bool((row.size or 0) > self.config.limits.max_file_mb * 1024 * 1024)

    def _take_reply(self, row: FileRecord, lock: FileLock) -> str:
        """A reviewer's reply to an earlier run (decisions.apply): its decisions are recorded
        and answered by email, and it goes on to the archive (done) without a run of its own.
        Read in the limited child like a register (its sheets may claim a million rows), and
        only after the folder check. Redone after a stop or a crash, it answers from the
        ledger's record instead of applying twice.

        'done' (applied, or failed with its reason), 'register' (not a reply), 'stop' (the
        service is stopping, or one of our faults holds it)."""
        if self._too_large(row):
            return "register"  # the register path quarantines it, saying why
        from reconciler.decisions import read as decisions_read

        path = row.claimed_path
        ours = decisions_read.run_id_of(path)  # the properties only: bounded
        if ours is None:
            return "register"
        run_id = decisions_read.is_reply(path, self.conn)
        if run_id is None:
            # Our own workbook, of a run this ledger never completed: still never a register
            # (its findings would come back as new ones). Answered and archived, no run.
            self._answer_own_file(row, own_files.OwnFile.UNKNOWN_RUN, ours)
            return "done"
        run = ledger_runs.get_run(self.conn, run_id)
        if run is not None and run.folder != row.folder:
            # Not this folder's run: answered here without reading a sheet of it.
            from reconciler.decisions import apply as decisions_apply

            decisions_apply.apply_reply(
                self.conn,
                self.config,
                path,
                file_name=row.name,
                dropped_in=row.folder,
                file_id=row.id,
            )
            ledger_files.update_file(self.conn, row.id, state=FileState.DONE)
            return "done"
        outcome = isolation.run_isolated(
            self.config,
            path=path,
            file_name=row.name,
            folder=row.folder,
            run_id="",
            duplicate_of=None,
            lock_fd=lock.fd,
            should_stop=self.stopping.is_set,
            reply_of_file=row.id,
        )
        if outcome is None:
            log.info("stopping: abandoned the reply %s; it is redone at the next start", row.name)
            return "stop"
        if outcome.fault is not None:
            self.faults.hold(row.id, outcome.fault)
            return "stop"
        if outcome.ok and outcome.counts.get("own_file"):
            # Read in the child: no decision in it, or its decision sheets are gone.
            self._answer_own_file(row, own_files.OwnFile.NO_DECISIONS, run_id)
            return "done"
        if outcome.ok:
            ledger_files.update_file(self.conn, row.id, state=FileState.DONE)
            log.info(
                "%s: reply to run %s, %s decision(s) applied, %s problem(s)",
                row.name,
                outcome.counts.get("run_id"),
                outcome.counts.get("applied"),
                outcome.counts.get("problems"),
            )
            return "done"
        assert outcome.error is not None
        if outcome.error.code in isolation.LIMIT_CODES:  # over a limit: said, not read again
            self._fail_now(row, outcome.error)
            return "done"
        # Not readable as a reply: the register path says why.
        log.warning("%s names an earlier run but cannot be applied: %s", row.name, outcome.reason)
        return "register"

    def _answer_own_file(self, row: FileRecord, kind: own_files.OwnFile, run_id: str) -> None:
        own_files.answer(
            self.conn,
            self.config,
            kind=kind,
            run_id=run_id,
            file_id=row.id,
            file_name=row.name,
            folder=row.folder,
        )
        ledger_files.update_file(self.conn, row.id, state=FileState.DONE)

    def _start(self, row: FileRecord, lock: FileLock) -> bool:
        """Start the file's run (or take it as a reply); False: stop advancing it for now."""
        taken = self._take_reply(row, lock)
        if taken != "register":
            return taken == "done"
        file_id, name = row.id, row.name
        limits = self.config.limits
        run_id = new_run_id()
        with self.conn.transaction():
            ledger_runs.start_run(
                self.conn,
                run_id,
                file_id=file_id,
                file_name=name,
                folder=row.folder,
                sha256=row.sha256,
            )
            if self._too_large(row):
                size_mb = round((row.size or 0) / 1024 / 1024, 2)
                error = LimitExceeded(
                    f"the file is {size_mb:.2f} MB, over limits.max_file_mb = "
                    f"{limits.max_file_mb:g} MB",
                    file=name,
                    hint=isolation.LIMIT_HINT,
                    code="FILE_TOO_LARGE",
                    params={"size_mb": size_mb, "limit_mb": limits.max_file_mb},
                )
                self._fail(row, run_id, ErrorRecord.of(error))
                return True
            point = self.config.watch.on_duplicate == "point"
            if point and (earlier := ledger_runs.earlier_run(self.conn, row.sha256, file_id)):
                earlier_dir = self.config.outbox / earlier["run_id"]
                ledger_runs.finish_run(
                    self.conn,
                    run_id,
                    "duplicate",
                    error=f"same content as run {earlier['run_id']} "
                    f"(received {earlier['received_at']})",
                    run_dir=earlier_dir,
                )
                ledger_files.update_file(self.conn, file_id, state=FileState.DONE, run_id=run_id)
                log.info("%s is the same as run %s: not processed again", name, earlier["run_id"])
                return True
            ledger_files.update_file(self.conn, file_id, state=FileState.PROCESSING, run_id=run_id)
        isolation.crash_point("processing")
        return True

    def _process(self, row: FileRecord, lock: FileLock) -> bool:
        """Run the file in a child; False if the service stopped before it finished."""
        file_id, run_id, outbox = row.id, row.run, self.config.outbox
        run = ledger_runs.get_run(self.conn, run_id)
        recorded = run is not None and run.outcome == "complete"
        staged = isolation.staging_dir(outbox, run_id)
        if (outbox / run_id).exists() or (recorded and staged.exists()):
            run_dir = isolation.publish(outbox, run_id)  # the child died after recording
            ledger_files.update_file(self.conn, file_id, state=FileState.DONE)
            log.info("%s: run %s was complete, resumed", row.name, run_dir)
            return True
        shutil.rmtree(isolation.staging_dir(outbox, run_id), ignore_errors=True)
        duplicate_of = ledger_runs.earlier_run(self.conn, row.sha256, excluding_file=file_id)
        if duplicate_of:
            log.info("%s has the same content as run %s", row.name, duplicate_of["run_id"])
        try:  # swapped for a link since the claim: refused before anything reads it
            intake.check_still_regular(row.claimed_path, row.name)
        except intake.LinkRefused as e:
            self._refuse(file_id, e)
            return True
        progress = _Progress(row.name)
        try:
            outcome = isolation.run_isolated(
                self.config,
                path=row.claimed_path,
                file_name=row.name,
                folder=row.folder,
                run_id=run_id,
                duplicate_of=duplicate_of,
                lock_fd=lock.fd,
                should_stop=self.stopping.is_set,
                on_tick=progress.tick,
            )
        finally:
            progress.close()
        if outcome is None:
            shutil.rmtree(isolation.staging_dir(outbox, run_id), ignore_errors=True)
            log.info("stopping: abandoned %s; it is redone at the next start", row.name)
            return False
        if outcome.fault is not None:  # ours, not the file's: it waits, nobody blames it
            shutil.rmtree(isolation.staging_dir(outbox, run_id), ignore_errors=True)
            self.faults.hold(file_id, outcome.fault)
            return False
        if outcome.ok:
            ledger_files.update_file(self.conn, file_id, state=FileState.DONE)
            log.info(
                "processed %s: %s rows (%s matched, %s to review, %s unmatched), %s findings "
                "in %.1f s -> %s",
                row.name,
                *(outcome.counts.get(k) for k in ("rows", "matched", "review", "unmatched")),
                outcome.counts.get("findings"),
                outcome.seconds,
                outcome.run_dir,
            )
        else:
            assert outcome.error is not None
            with self.conn.transaction():
                self._fail(row, run_id, outcome.error)
            isolation.crash_point("failed")
        return True

    def _fail(self, row: FileRecord, run_id: str, error: ErrorRecord) -> None:
        """The run keeps the English one-liner; the file's `reason` keeps the whole record
        (code, params) until the note and the email are written in the sender's language."""
        ledger_runs.finish_run(self.conn, run_id, "quarantined", error=error.message)
        ledger_files.update_file(
            self.conn, row.id, state=FileState.FAILED, run_id=run_id, reason=error.to_json()
        )


class _Progress:
    """A spinner with elapsed time for a long file, only when a person watches the terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def tick(self, elapsed: float) -> None:
        if self.bar is None and elapsed > 3 and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", markup=False),  # names may hold [brackets]
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.start()
            self.bar.add_task(self.label, total=None)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
