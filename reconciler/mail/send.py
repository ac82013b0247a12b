"""Sending the queued email: each due message once, retried with backoff, never twice.

`send_due` hands each due message to the transport and marks it `sent` in the statement right
after the server accepts it; a failure records the attempt and the error and schedules a retry
with exponential backoff (mail.retry.first_delay_seconds doubling up to max_delay_seconds),
across restarts, until mail.retry.deadline_hours after it was queued; then it is marked
`failed` and logged as an error. A message is taken (attempts + 1, its next attempt moved past
the SMTP timeout) in one transaction before it is sent, its row read FOR UPDATE SKIP LOCKED on
PostgreSQL (ledger/emails.py), so service instances sharing the ledger never send one row at
once. queue.py says how messages are stored and why none is queued twice.

Transports (mail.transport): `file`, the .eml IS the delivery (send_due marks it sent); `smtp`,
the stored bytes go to the server (mail/smtp.py) byte for byte.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path

from reconciler.config import Config
from reconciler.errors import ConfigError, DeliveryError, Problem
from reconciler.ledger import emails as ledger_emails
from reconciler.ledger import faults as ledger_faults
from reconciler.ledger.db import Ledger
from reconciler.ledger.emails import EmailRecord
from reconciler.ledger.schema import open_ledger
from reconciler.mail import compose as mail_compose
from reconciler.mail import smtp as mail_smtp
from reconciler.mail.queue import (
    as_utc,
    iso_utc,
    queue_message,
    queue_operator_message,
    queue_run_messages,
)

log = logging.getLogger(__name__)


def backoff_delay(config: Config, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: first, 2x first, 4x ... up to max."""
    retry = config.mail.retry
    seconds = retry.first_delay_seconds * 2 ** max(0, min(attempts - 1, 40))
    return timedelta(seconds=min(seconds, retry.max_delay_seconds))


# --- queueing ----------------------------------------------------------------------------


def _lease_end(config: Config, now: datetime) -> str:
    """A taken message's next attempt: past the longest a send can take, so a crash mid-send
    is retried later, not by a second instance at the same moment."""
    return iso_utc(now + timedelta(seconds=max(4 * config.mail.smtp.timeout_seconds, 60)))


def _mark_retry(
    conn: Ledger, config: Config, row: EmailRecord, now: datetime, error: Exception
) -> None:
    attempts = row.attempts + 1  # the take counted this attempt
    retry_at = now + backoff_delay(config, attempts)
    ledger_emails.mark_retry(conn, row.id, iso_utc(retry_at), str(error))
    level = logging.ERROR if isinstance(error, mail_smtp.Rejected) else logging.WARNING
    log.log(
        level,
        "%s message %s (run %s): attempt %d failed, retry at %s: %s",
        row.kind,
        row.message_id,
        row.run_id,
        attempts,
        iso_utc(retry_at),
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
    for row in ledger_emails.past_deadline(conn, iso_utc(now)):
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
    moment = as_utc(now)
    _expire(conn, moment)
    up_to = ledger_emails.last_id(conn)  # what this round's sending queues waits for the next
    row = ledger_emails.take_due(conn, iso_utc(moment), _lease_end(config, moment), up_to)
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
                row = ledger_emails.take_due(
                    conn, iso_utc(moment), _lease_end(config, moment), up_to
                )
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
                ledger_emails.mark_sent(conn, row.id, iso_utc(moment), note)
                sent += 1
                log.info(
                    "%s %s message %s to %s",
                    delivered_verb(config),
                    row.kind,
                    row.message_id,
                    row.recipients,
                )
            row = ledger_emails.take_due(conn, iso_utc(moment), _lease_end(config, moment), up_to)
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
    moment = as_utc(None)
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
        ledger_emails.mark_sent(conn, row.id, iso_utc(moment), note)
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
