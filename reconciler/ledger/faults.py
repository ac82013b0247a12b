"""The service's own trouble in the ledger: faults (what is wrong) and holds (who waits for it).

A fault is ours, never the sender's: the environment (disk full, a read-only folder, the ledger
busy or down) or a bug. A fault row lives from its first occurrence until a file it held goes
through (`cleared_at`); while it is open, more occurrences only count (`times`), so the operators
are told once per fault, not once per file or per retry. A hold keeps a file in the state it
was in (claimed, processing ...) with a time for the next attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.ledger.db import Ledger, Row, utcnow


@dataclass(frozen=True)
class Noted:
    fault_id: int
    new: bool  # first occurrence (or again after it cleared): the operators are to be told


def note_fault(conn: Ledger, key: str, kind: str, detail: str, *, occurred: bool = True) -> Noted:
    """Record an occurrence of the fault `key` (occurred=False: only find or open its row);
    inside the caller's transaction."""
    now = utcnow()
    found = conn.value(
        "SELECT id FROM faults WHERE key = ? AND cleared_at IS NULL ORDER BY id DESC LIMIT 1",
        (key,),
    )
    if found is not None:
        if occurred:
            conn.execute(
                "UPDATE faults SET last_at = ?, times = times + 1 WHERE id = ?", (now, found)
            )
        return Noted(int(found), new=False)
    new_id = conn.insert(
        "INSERT INTO faults (key, kind, detail, first_at, last_at) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id",
        (key, kind, detail, now, now),
    )
    return Noted(int(new_id or 0), new=True)


def hold_file(conn: Ledger, file_id: int, fault_id: int, next_attempt_at: str | None) -> int:
    """Hold the file until `next_attempt_at` (None: the next start); return its attempts."""
    conn.execute(
        "INSERT INTO holds (file_id, fault_id, attempts, held_at, next_attempt_at) "
        "VALUES (?, ?, 1, ?, ?) ON CONFLICT(file_id) DO UPDATE SET fault_id = excluded.fault_id,"
        " attempts = attempts + 1, held_at = excluded.held_at,"
        " next_attempt_at = excluded.next_attempt_at",
        (file_id, fault_id, utcnow(), next_attempt_at),
    )
    return int(conn.value("SELECT attempts FROM holds WHERE file_id = ?", (file_id,)))


def attempts_of(conn: Ledger, file_id: int) -> int:
    attempts = conn.value("SELECT attempts FROM holds WHERE file_id = ?", (file_id,))
    return 0 if attempts is None else int(attempts)


def release(conn: Ledger, file_id: int) -> None:
    """The file went a step further: its hold goes, and the fault that held it is over."""
    fault_id = conn.value("SELECT fault_id FROM holds WHERE file_id = ?", (file_id,))
    if fault_id is None:
        return
    with conn.transaction():
        conn.execute("DELETE FROM holds WHERE file_id = ?", (file_id,))
        conn.execute(
            "UPDATE faults SET cleared_at = ? WHERE id = ? AND cleared_at IS NULL",
            (utcnow(), fault_id),
        )


def waiting(conn: Ledger, now: str) -> set[int]:
    """Files held whose next attempt has not come (or waits for the next start)."""
    rows = conn.all(
        "SELECT file_id FROM holds WHERE next_attempt_at IS NULL OR next_attempt_at > ?", (now,)
    )
    return {int(r["file_id"]) for r in rows}


def retry_at_start(conn: Ledger) -> int:
    """A new start may run a fixed version: files held for a bug are tried once more."""
    return conn.execute(
        "UPDATE holds SET next_attempt_at = ? WHERE next_attempt_at IS NULL", (utcnow(),)
    )


def open_faults(conn: Ledger) -> list[Row]:
    """The faults not cleared, oldest first, with how many files each holds."""
    return conn.all(
        "SELECT faults.*, (SELECT count(*) FROM holds WHERE holds.fault_id = faults.id) AS files"
        " FROM faults WHERE cleared_at IS NULL ORDER BY id"
    )
