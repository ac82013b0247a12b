"""The ledger's outgoing mail queue: one row per message, keyed by its Message-ID.

Never twice: the Message-ID is a function of what the message is about, and its UNIQUE
constraint refuses a second row. A due message is taken in one transaction that counts the
attempt and moves its next attempt past a lease; where the database has row locks (PostgreSQL)
the row is read FOR UPDATE SKIP LOCKED, so two instances never take the same row and neither
waits for the other. Times are ISO 8601 UTC text: they compare as text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from reconciler.ledger.db import Ledger, Row

QUEUED, SENT, FAILED = "queued", "sent", "failed"


@dataclass(frozen=True)
class EmailRecord:
    id: int
    run_id: str | None  # None for test, audit and decision answers
    kind: str  # accounting, reviewers, quarantine, audit, decisions, test
    message_id: str
    recipients: str  # JSON list
    subject: str
    eml_path: str  # the whole message as built, kept for resending
    state: str  # QUEUED, SENT, FAILED
    attempts: int
    created_at: str
    next_attempt_at: str
    deadline_at: str
    sent_at: str | None
    last_error: str | None

    @classmethod
    def of(cls, row: Row) -> EmailRecord:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


def is_queued(db: Ledger, message_id: str) -> bool:
    return db.one("SELECT 1 AS x FROM emails WHERE message_id = ?", (message_id,)) is not None


def get_email(db: Ledger, message_id: str) -> EmailRecord | None:
    row = db.one("SELECT * FROM emails WHERE message_id = ?", (message_id,))
    return None if row is None else EmailRecord.of(row)


def add_queued(
    db: Ledger,
    *,
    run_id: str | None,
    kind: str,
    message_id: str,
    recipients: str,
    subject: str,
    eml_path: str,
    now: str,
    deadline: str,
) -> bool:
    """Record a message as queued; False when its Message-ID was queued before."""
    new_id = db.insert(
        "INSERT INTO emails (run_id, kind, message_id, recipients, subject, eml_path,"
        " state, attempts, created_at, next_attempt_at, deadline_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"
        " ON CONFLICT (message_id) DO NOTHING RETURNING id",
        (run_id, kind, message_id, recipients, subject, eml_path, QUEUED, now, now, deadline),
    )
    return new_id is not None


def last_id(db: Ledger) -> int:
    """The newest message's id: a sending round takes only what was queued before it."""
    return int(db.value("SELECT max(id) FROM emails") or 0)


def take_due(db: Ledger, now: str, lease_until: str, up_to: int) -> EmailRecord | None:
    """The next due message (id up to `up_to`), taken for one attempt (attempts + 1, next
    attempt at the lease's end, so a crash mid-send is retried later); None when nothing is
    due. The record is as it was before the take."""
    with db.transaction():
        row = db.one(
            "SELECT * FROM emails WHERE state = ? AND next_attempt_at <= ? AND id <= ?"
            " ORDER BY next_attempt_at, id LIMIT 1" + db.for_update_skip_locked,
            (QUEUED, now, up_to),
        )
        if row is None:
            return None
        db.execute(
            "UPDATE emails SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
            (lease_until, row["id"]),
        )
    return EmailRecord.of(row)


def take(db: Ledger, email_id: int, lease_until: str) -> bool:
    """Take this queued message for an attempt now, due or not (a test message)."""
    changed = db.execute(
        "UPDATE emails SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND state = ?",
        (lease_until, email_id, QUEUED),
    )
    return changed == 1


def mark_sent(db: Ledger, email_id: int, now: str, note: str | None) -> None:
    db.execute(
        "UPDATE emails SET state = ?, sent_at = ?, last_error = ? WHERE id = ?",
        (SENT, now, note, email_id),
    )


def mark_retry(db: Ledger, email_id: int, retry_at: str, error: str) -> None:
    db.execute(
        "UPDATE emails SET next_attempt_at = ?, last_error = ? WHERE id = ?",
        (retry_at, error, email_id),
    )


def mark_failed(db: Ledger, email_id: int, error: str | None = None) -> bool:
    """Give a queued message up; False when it was no longer queued (another got there)."""
    changed = db.execute(
        "UPDATE emails SET state = ?, last_error = COALESCE(?, last_error) "
        "WHERE id = ? AND state = ?",
        (FAILED, error, email_id, QUEUED),
    )
    return changed == 1


def past_deadline(db: Ledger, now: str) -> list[EmailRecord]:
    """Queued messages whose deadline has come."""
    rows = db.all("SELECT * FROM emails WHERE state = ? AND deadline_at <= ?", (QUEUED, now))
    return [EmailRecord.of(r) for r in rows]


def all_emails(db: Ledger) -> list[EmailRecord]:
    return [EmailRecord.of(r) for r in db.all("SELECT * FROM emails ORDER BY id")]
