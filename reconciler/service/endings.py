"""How a file's life ends: archived (done) or quarantined with its note, then its sender told.

The last steps of service/lifecycle.py's state machine. Each can be redone after a crash: a
move that was cut short is finished (intake.finish_move), and the email queue keys messages by
run, so a second call queues nothing twice.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from reconciler.atomic import write_atomically
from reconciler.config import Config
from reconciler.ledger import files as ledger_files
from reconciler.ledger import runs as ledger_runs
from reconciler.ledger.db import Ledger
from reconciler.ledger.files import FileRecord
from reconciler.mail import queue as deliver
from reconciler.mail import send as mail_send
from reconciler.models import FileState
from reconciler.outputs import run_folder
from reconciler.service import intake, isolation
from reconciler.text import error_catalogue as error_text
from reconciler.text.error_catalogue import ErrorRecord

log = logging.getLogger(__name__)


def _move(conn: Ledger, row: FileRecord, root: Path) -> Path:
    """Move the claimed file to root/<subfolder>/, resuming a move a crash cut short."""
    source = row.claimed_path
    if row.archived_as and intake.finish_move(source, Path(row.archived_as)):
        return Path(row.archived_as)
    while True:
        if not os.path.lexists(source):
            raise FileNotFoundError(f"{source} vanished from the work folder")
        target = intake.free_name(root / row.folder, row.name)
        ledger_files.update_file(conn, row.id, archived_as=str(target))
        if intake.place(source, target):
            return target


def archive(conn: Ledger, config: Config, row: FileRecord) -> None:
    """Done: the file goes to the archive."""
    target = _move(conn, row, config.archive)
    isolation.crash_point("archived")
    ledger_files.update_file(conn, row.id, state=FileState.ARCHIVED)
    log.debug("archived %s as %s", row.name, target)


def quarantine(conn: Ledger, config: Config, row: FileRecord) -> None:
    """Failed: the file goes to quarantine with its note, in both languages, beside it."""
    target = _move(conn, row, config.quarantine)
    isolation.crash_point("quarantine-moved")
    record = ErrorRecord.from_json(row.reason or "no reason was recorded")
    # Both languages, the configured one first: the sender reads it, and so may IT.
    note = error_text.note(record, row.name, config.report.language)
    write_atomically(target.with_name(target.name + ".error.txt"), note.encode("utf-8"))
    _write_error_run(config, row.run, note)
    ledger_files.update_file(conn, row.id, state=FileState.QUARANTINED)
    log.warning("quarantined %s: %s", row.name, record.message)


def _write_error_run(config: Config, run_id: str, note: str) -> None:
    """outbox/<run_id>/error.txt, as `reconciler run` leaves it; appears whole or not."""
    run_folder.write_error_run(config.outbox, run_id, note)


def after_run(conn: Ledger, config: Config, row: FileRecord) -> None:
    """THE delivery call site: queue the email for a finished file (deliver.py owns the queue).

    Called once per file after it is archived or quarantined; a crash before the ledger marks
    it notified calls it again, so deliver's queue functions are idempotent (they key messages
    by run). A run that only pointed to an earlier one sends nothing.
    """
    run = ledger_runs.get_run(conn, row.run_id) if row.run_id else None
    complete = run is not None and run.outcome == "complete"
    if row.state == FileState.ARCHIVED and complete and run is not None and run.run_dir:
        deliver.queue_run_messages(conn, config, Path(run.run_dir), row.folder)
    elif row.state == FileState.QUARANTINED:
        deliver.queue_quarantine_message(
            conn,
            config,
            file_name=row.name,
            folder=row.folder,
            reason=row.reason,
            quarantine_id=row.run,
        )


def send_due(conn: Ledger, config: Config) -> None:
    """Each tick of the service: hand deliver.py the chance to send what is due."""
    sent = mail_send.send_due(conn, config)
    if sent:
        log.info("%s %d queued message(s)", mail_send.delivered_verb(config), sent)
