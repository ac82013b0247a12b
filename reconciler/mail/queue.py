"""Email and the outgoing queue: nothing sent twice, nothing lost.

Every message is built whole (mail/compose.py), written as an .eml file and recorded in the
ledger's `emails` table as `queued` BEFORE anything is sent; mail/send.py sends what is due.

Where messages are stored: run messages in `<run_dir>/mail/<kind>.eml`; quarantine, operator,
answer and audit messages, which have no run folder, in the shared `outbox/mail/`.

Never twice: the Message-ID is a function of the run and kind (or the quarantine id), and the
ledger's UNIQUE constraint refuses a second entry. The one window left: the server has
accepted the message and the process dies before the ledger says `sent`. The row is then sent
again after its claim expires, with the same Message-ID, which receiving servers and mail
clients use to drop duplicates (send.py narrows that window).

Times are ISO 8601 UTC text with seconds, as everywhere in the ledger, so they compare as text.
`now` is injectable for tests; a naive datetime is taken as UTC.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from reconciler.atomic import write_atomically
from reconciler.config import Config
from reconciler.errors import DeliveryError
from reconciler.ledger import emails as ledger_emails
from reconciler.ledger.db import Ledger
from reconciler.mail import compose as mail_compose
from reconciler.outputs.results import Results, ResultsUnreadable, read_results

log = logging.getLogger(__name__)


def as_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _read_results(run_dir: Path) -> Results:
    try:
        return read_results(run_dir)
    except ResultsUnreadable as e:
        # Mail is queued only for a complete run folder (a quarantined file has its own
        # message, queue_quarantine_message): a folder without sound results cannot be mailed.
        raise DeliveryError(str(e)) from None


def queue_message(
    conn: Ledger,
    config: Config,
    composed: mail_compose.Composed,
    *,
    message_id: str,
    eml_path: Path,
    run_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Write the .eml, then record it as queued. False when it was queued before (no change).

    The general entry for messages other than runs and quarantine (audit packs): the caller
    composes, chooses a Message-ID that is a function of what the message is about
    (mail_compose.message_id_for) and where the .eml is kept.
    """
    now = as_utc(now)
    if ledger_emails.is_queued(conn, message_id):
        return False
    msg = mail_compose.build_message(
        config, composed, message_id=message_id, now=now, run_id=run_id
    )
    eml_path.parent.mkdir(parents=True, exist_ok=True)
    # The file first: a crash before the INSERT leaves an .eml nobody refers to, which the
    # next call rewrites; never a ledger row pointing at a missing or half-written file.
    write_atomically(eml_path, msg.as_bytes())
    deadline = now + timedelta(hours=config.mail.retry.deadline_hours)
    queued = ledger_emails.add_queued(
        conn,
        run_id=run_id,
        kind=composed.kind,
        message_id=message_id,
        recipients=json.dumps(composed.recipients, ensure_ascii=False),
        subject=composed.subject,
        eml_path=str(eml_path),
        now=iso_utc(now),
        deadline=iso_utc(deadline),
    )
    if queued:
        log.info("queued %s message %s to %s", composed.kind, message_id, composed.recipients)
    return queued


def queue_run_messages(
    conn: Ledger,
    config: Config,
    run_dir: Path,
    folder: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Build and queue the run's messages; return the Message-IDs queued by THIS call.

    One to the accountants of `folder` (recipients.by_folder, else default) with the annotated
    workbook, one to mail.reviewers with the discrepancy report and report.html; files not yet
    written are left out. Calling it again for the same run queues nothing and returns [].
    """
    moment = as_utc(now)
    results = _read_results(run_dir)
    run_id = results.run_id
    files = mail_compose.find_run_files(run_dir)
    composed = [
        mail_compose.compose_accounting(results, files, config, folder),
        mail_compose.compose_reviewers(results, files, config, folder),
    ]
    queued = []
    for message in composed:
        if not message.recipients:
            log.warning(
                "run %s: no recipients for the %s message (folder %r); set mail.recipients or "
                "mail.reviewers in the config",
                run_id,
                message.kind,
                folder,
            )
            continue
        message_id = mail_compose.message_id_for(config, f"{run_id}.{message.kind}")
        eml = run_dir / "mail" / f"{message.kind}.eml"
        if queue_message(
            conn, config, message, message_id=message_id, eml_path=eml, run_id=run_id, now=moment
        ):
            queued.append(message_id)
    return queued


def queue_quarantine_message(
    conn: Ledger,
    config: Config,
    *,
    file_name: str,
    folder: str,
    reason: str | None,
    quarantine_id: str,
    now: datetime | None = None,
) -> str:
    """Tell the folder's recipients why their file was not read and what to do; return its id.

    Idempotent per quarantine_id: a second call returns the same Message-ID, queues nothing.
    """
    moment = as_utc(now)
    composed = mail_compose.compose_quarantine(
        config, file_name=file_name, folder=folder, reason=reason, quarantine_id=quarantine_id
    )
    message_id = mail_compose.message_id_for(config, f"{quarantine_id}.quarantine")
    if not composed.recipients:
        log.warning(
            "quarantined %s (folder %r): nobody to tell; set mail.recipients.default",
            file_name,
            folder,
        )
        return message_id
    eml = kept_eml(config, f"quarantine-{_file_safe(quarantine_id)}.eml")
    queue_message(
        conn, config, composed, message_id=message_id, eml_path=eml, run_id=None, now=moment
    )
    return message_id


def queue_operator_message(
    conn: Ledger,
    config: Config,
    *,
    fault_id: int,
    kind: str,
    summary: str,
    detail: str,
    file_name: str,
    folder: str,
    now: datetime | None = None,
) -> str | None:
    """Tell mail.operators of our own fault (ledger/faults.py), once per fault; its Message-ID,
    or None when no operator is configured (the log has it all the same)."""
    composed = mail_compose.compose_operator(
        config, kind=kind, summary=summary, detail=detail, file_name=file_name, folder=folder
    )
    if not composed.recipients:
        log.warning("%s fault: no operator to tell; set mail.operators", kind)
        return None
    message_id = mail_compose.message_id_for(config, f"fault-{fault_id}")
    name = f"fault-{fault_id}.eml"
    try:
        queue_message(
            conn, config, composed, message_id=message_id, eml_path=kept_eml(config, name), now=now
        )
    except OSError as e:
        # The fault may be the outbox itself (full, read-only): the notice is still written,
        # in this machine's state/mail/, and sent from there (the log says where it is).
        log.warning("the operators' notice goes to %s: the outbox refused it (%s)", name, e)
        eml = config.state / "mail" / name
        queue_message(conn, config, composed, message_id=message_id, eml_path=eml, now=now)
    return message_id


def kept_eml(config: Config, name: str) -> Path:
    """Where the .eml of a message of no run folder (quarantine, operators, answers, audit) is
    kept: outbox/mail/, not state/mail/. The state folder is one machine's; the mail queue may
    be every instance's (ledger.url: one PostgreSQL for a share), and any instance may take any
    queued message (SKIP LOCKED), so every instance must be able to read it. With the file
    transport the .eml is the delivery: it lies on the share beside the run folders, where
    people look, whichever machine wrote it."""
    return config.outbox / "mail" / name


def _file_safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)[:100]


# --- sending -----------------------------------------------------------------------------
