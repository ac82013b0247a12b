"""Email and the outgoing queue: nothing sent twice, nothing lost.

Every message is built whole (mail_compose), written as an .eml file and recorded in the
ledger's `emails` table as `queued` BEFORE anything is sent. `send_due` then hands each due
message to the transport and marks it `sent` in the statement right after the server accepts
it; a failure records the attempt and the error and schedules a retry with exponential backoff
(mail.retry.first_delay_seconds doubling up to max_delay_seconds), across restarts, until
mail.retry.deadline_hours after it was queued; then it is marked `failed` and logged as an error.

Transports (mail.transport):
- `file`: the .eml in the run folder IS the delivery (no mail server needed); send_due marks it
  sent.
- `smtp`: the stored bytes go to the server through yagmail (mail_smtp), byte for byte.

Where messages are stored: run messages in `<run_dir>/mail/<kind>.eml`; quarantine and test
messages, which have no run folder, in `<state>/mail/`.

Never twice: the Message-ID is a function of the run and kind (or the quarantine id), the
ledger's UNIQUE constraint refuses a second entry, and a message is taken (attempts + 1, its
next attempt moved past the SMTP timeout) in one transaction before it is sent, its row read
FOR UPDATE SKIP LOCKED on PostgreSQL (ledger/emails.py), so service instances sharing the
ledger never send the same row at once. The one window left: the
server has accepted the message and the process dies before the ledger says `sent`. The row is
then sent again after the claim expires. It is narrowed to the time between the server's reply
to DATA and one autocommit UPDATE on an open connection, and the resend carries the same
Message-ID, which receiving servers and mail clients use to drop duplicates.

Times are ISO 8601 UTC text with seconds, as everywhere in the ledger, so they compare as text.
`now` is injectable for tests; a naive datetime is taken as UTC.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path

from reconciler.atomic import write_atomically
from reconciler.config import Config
from reconciler.errors import ConfigError, DeliveryError, Problem
from reconciler.ledger import emails as ledger_emails
from reconciler.ledger import faults as ledger_faults
from reconciler.ledger.db import Ledger
from reconciler.ledger.emails import EmailRecord
from reconciler.ledger.schema import open_ledger
from reconciler.mail import compose as mail_compose
from reconciler.mail import smtp as mail_smtp
from reconciler.outputs.results import Results, ResultsUnreadable, read_results

log = logging.getLogger(__name__)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def backoff_delay(config: Config, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: first, 2x first, 4x ... up to max."""
    retry = config.mail.retry
    seconds = retry.first_delay_seconds * 2 ** max(0, min(attempts - 1, 40))
    return timedelta(seconds=min(seconds, retry.max_delay_seconds))


# --- queueing ----------------------------------------------------------------------------


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
    now = _utc(now)
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
        now=_iso(now),
        deadline=_iso(deadline),
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
    moment = _utc(now)
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
    moment = _utc(now)
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


def _lease_end(config: Config, now: datetime) -> str:
    """A taken message's next attempt: past the longest a send can take, so a crash mid-send
    is retried later, not by a second instance at the same moment."""
    return _iso(now + timedelta(seconds=max(4 * config.mail.smtp.timeout_seconds, 60)))


def _mark_retry(
    conn: Ledger, config: Config, row: EmailRecord, now: datetime, error: Exception
) -> None:
    attempts = row.attempts + 1  # the take counted this attempt
    retry_at = now + backoff_delay(config, attempts)
    ledger_emails.mark_retry(conn, row.id, _iso(retry_at), str(error))
    level = logging.ERROR if isinstance(error, mail_smtp.Rejected) else logging.WARNING
    log.log(
        level,
        "%s message %s (run %s): attempt %d failed, retry at %s: %s",
        row.kind,
        row.message_id,
        row.run_id,
        attempts,
        _iso(retry_at),
        error,
    )


def _mark_rejected(
    conn: Ledger, config: Config, row: EmailRecord, now: datetime, error: Exception
) -> None:
    """A permanent refusal (5xx): the message fails at once and mail.operators are told, once
    per refusal of the same recipients (a wrong address refuses every message to it)."""
    ledger_emails.mark_failed(conn, row.id, str(error))
    recipients = json.loads(row.recipients)
    log.error(
        "%s message %s (run %s) to %s refused for good, not retried; marked failed: %s; the "
        "message is in %s",
        row.kind,
        row.message_id,
        row.run_id,
        ", ".join(recipients),
        error,
        row.eml_path,
    )
    if row.kind == "operator":  # telling the operators that their own mail failed: no
        return
    key = "mail:rejected:" + ",".join(sorted(recipients))
    noted = ledger_faults.note_fault(conn, key, "mail", str(error))
    if noted.new:
        queue_operator_message(
            conn,
            config,
            fault_id=noted.fault_id,
            kind="mail",
            summary=str(error),
            detail=f"{row.subject}\n{', '.join(recipients)}\n{error}",
            file_name=row.subject,
            folder="",
            now=now,
        )


def _expire(conn: Ledger, now: datetime) -> None:
    """Queued messages past their deadline become failed, each logged as an error."""
    for row in ledger_emails.past_deadline(conn, _iso(now)):
        if ledger_emails.mark_failed(conn, row.id):
            log.error(
                "%s message %s (run %s) to %s not delivered by its deadline %s after %d "
                "attempts; marked failed; last error: %s; the message is in %s",
                row.kind,
                row.message_id,
                row.run_id,
                ", ".join(json.loads(row.recipients)),
                row.deadline_at,
                row.attempts,
                row.last_error or "none",
                row.eml_path,
            )


def _load_eml(row: EmailRecord) -> bytes:
    path = Path(row.eml_path)
    try:
        return path.read_bytes()
    except OSError as e:
        raise DeliveryError(
            f"{path}: the stored message of {row.message_id} cannot be read ({e}); "
            "restore the file from a backup or requeue the run"
        ) from None


def _envelope_from(config: Config) -> str:
    return parseaddr(config.mail.from_)[1] or config.mail.from_


def _sender(config: Config) -> mail_smtp.SmtpSender | None:
    """The SMTP session for mail.transport smtp; None for file, where the .eml is the delivery."""
    return mail_smtp.SmtpSender(config) if config.mail.transport == "smtp" else None


def delivered_verb(config: Config) -> str:
    """What the log says was done: with the file transport nothing left the machine."""
    return "sent" if config.mail.transport == "smtp" else "written (.eml, file transport)"


def _send_one(sender: mail_smtp.SmtpSender | None, config: Config, row: EmailRecord) -> str | None:
    """Deliver one claimed row; return a note for the ledger (refused recipients) or None."""
    data = _load_eml(row)
    if sender is None:  # file transport: the .eml in its folder is the delivery
        return None
    recipients = json.loads(row.recipients)
    refused = sender.send(_envelope_from(config), recipients, data)
    if refused:
        # Some recipients were accepted: resending would duplicate it for them. Record it.
        note = f"refused by the server for {sorted(refused)}: {refused}"
        log.error("%s message %s: %s", row.kind, row.message_id, note)
        return note
    return None


def send_due(conn: Ledger, config: Config, now: datetime | None = None) -> int:
    """Send every queued message whose time has come; return how many were sent."""
    moment = _utc(now)
    _expire(conn, moment)
    up_to = ledger_emails.last_id(conn)  # what this round's sending queues waits for the next
    row = ledger_emails.take_due(conn, _iso(moment), _lease_end(config, moment), up_to)
    if row is None:
        return 0
    sent = 0
    sender = _sender(config)
    server_down: DeliveryError | None = None
    try:
        while row is not None:
            if server_down is not None:
                # Connecting failed for an earlier message of this round: the same attempt
                # fails for this one, without waiting out another connection timeout.
                _mark_retry(conn, config, row, moment, server_down)
                row = ledger_emails.take_due(conn, _iso(moment), _lease_end(config, moment), up_to)
                continue
            try:
                note = _send_one(sender, config, row)
            except mail_smtp.Rejected as e:  # 5xx: the same answer every time, so no retry
                _mark_rejected(conn, config, row, moment, e)
            except mail_smtp.ConnectionFailed as e:
                server_down = e
                _mark_retry(conn, config, row, moment, e)
            except DeliveryError as e:
                _mark_retry(conn, config, row, moment, e)
            else:  # marked right after acceptance: see module doc
                ledger_emails.mark_sent(conn, row.id, _iso(moment), note)
                sent += 1
                log.info(
                    "%s %s message %s to %s",
                    delivered_verb(config),
                    row.kind,
                    row.message_id,
                    row.recipients,
                )
            row = ledger_emails.take_due(conn, _iso(moment), _lease_end(config, moment), up_to)
    finally:
        if sender is not None:
            sender.close()
    return sent


def deliver_run(conn: Ledger, config: Config, run_dir: Path, folder: str) -> None:
    """`reconciler run`: queue the run's messages, then send whatever is due (these included)."""
    queue_run_messages(conn, config, run_dir, folder)
    send_due(conn, config)


# --- mail-test ---------------------------------------------------------------------------


def _test_recipients(config: Config, to: str | None) -> list[str]:
    if to:
        addresses = [a for _, a in getaddresses([to]) if a]
        for address in addresses:
            domain = address.rsplit("@", 1)[-1].lower()
            if "@" not in address or (
                config.mail.allowed_domains and domain not in config.mail.allowed_domains
            ):
                domains = ", ".join(config.mail.allowed_domains) or "any"
                raise ConfigError(
                    Problem(
                        f"--to {address!r}: expected an address in mail.allowed_domains "
                        f"({domains}); use one of those",
                        "TO_OUTSIDE_DOMAINS",
                        {"found": address, "domains": domains},
                    )
                )
        if not addresses:
            raise ConfigError(
                Problem(
                    f"--to {to!r}: expected an email address", "TO_NOT_AN_ADDRESS", {"found": to}
                )
            )
        return addresses
    recipients = list(config.mail.reviewers or config.mail.recipients.default)
    if not recipients:
        raise ConfigError(
            Problem(
                "key 'mail.reviewers': no address to send the test message to; pass --to "
                "ADDRESS or set mail.reviewers",
                "NOBODY_TO_TEST",
            ),
            source=str(config.source),
        )
    return recipients


def send_test_message(config: Config, to: str | None = None) -> str:
    """Send one test message now, through the queue, and say where it went.

    It is recorded in the ledger (kind `test`) like every message, then tried once: a test
    that fails should say so at once (DeliveryError), not retry for days, so a failed test
    message is marked failed rather than left queued.
    """
    recipients = _test_recipients(config, to)
    moment = _utc(None)
    via = mail_smtp.describe(config) if config.mail.transport == "smtp" else "file (.eml)"
    composed = mail_compose.compose_test(config, recipients, via)
    key = f"test-{moment:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    message_id = mail_compose.message_id_for(config, key)
    eml = config.state / "mail" / f"{key}.eml"
    conn = open_ledger(config)
    try:
        queue_message(
            conn, config, composed, message_id=message_id, eml_path=eml, run_id=None, now=moment
        )
        row = ledger_emails.get_email(conn, message_id)
        assert row is not None
        ledger_emails.take(conn, row.id, _lease_end(config, moment))
        sender = _sender(config)
        try:
            note = _send_one(sender, config, row)
        except DeliveryError as e:
            ledger_emails.mark_failed(conn, row.id, str(e))
            raise
        finally:
            if sender is not None:
                sender.close()
        ledger_emails.mark_sent(conn, row.id, _iso(moment), note)
    finally:
        conn.close()
    if sender is None:
        return str(eml)
    return f"{via} to {', '.join(recipients)}"


def read_eml(path: Path) -> EmailMessage:
    """Parse a stored message (for tests, audits and resending by hand)."""
    with open(path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    assert isinstance(msg, EmailMessage)
    return msg
