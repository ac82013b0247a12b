"""The ledger's audit sends: which fire times of `audit.schedule` have had their pack.

fired_at is the primary key: of two instances answering one fire time, one row wins, so a
pack is recorded once (and its email, keyed by the fire time, queued once).
"""

from __future__ import annotations

from reconciler.ledger.db import Ledger


def last_fired(db: Ledger) -> str | None:
    """The latest fire time answered (or armed), ISO 8601 UTC; None before the first."""
    row = db.one("SELECT max(fired_at) AS fired FROM audit_sends")
    return None if row is None or row["fired"] is None else str(row["fired"])


def arm(db: Ledger, fired_at: str, schedule: str) -> None:
    """The first start only arms the schedule: nothing is sent for fire times before it."""
    db.execute(
        "INSERT INTO audit_sends (fired_at, schedule) VALUES (?, ?) "
        "ON CONFLICT (fired_at) DO NOTHING",
        (fired_at, schedule),
    )


def record_send(db: Ledger, fired_at: str, schedule: str, sent_at: str, pack: str) -> None:
    db.execute(
        "INSERT INTO audit_sends (fired_at, schedule, sent_at, pack) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (fired_at) DO NOTHING",
        (fired_at, schedule, sent_at, pack),
    )
