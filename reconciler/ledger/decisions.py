"""The ledger's decisions: reviewers' decisions, the replies they came in, each run's row keys.

decisions        one row per decision; revoked_at set when withdrawn or superseded
decision_replies one row per reply workbook applied, with what was applied and the problems;
                 UNIQUE file_id: a reply file is applied once, whichever instance takes it
run_rows         each run's book rows with their keys, so a reply is validated against the
                 run it answers (the row exists, and which book row it is)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.ledger.db import Ledger, Row, utcnow
from reconciler.models import Decision


def _decision(row: Row) -> Decision:
    # keys(), not iteration: a sqlite3.Row iterates over its values
    return Decision.from_row({k: row[k] for k in row.keys()})  # noqa: SIM118


@dataclass(frozen=True)
class ReplyRecord:
    id: int
    outcome: str  # JSON: applied and problems, as the email says them


def active_decisions(db: Ledger, folder: str | None = None) -> list[Decision]:
    sql = "SELECT * FROM decisions WHERE revoked_at IS NULL"
    args: tuple[str, ...] = ()
    if folder is not None:
        sql, args = sql + " AND folder = ?", (folder,)
    return [_decision(r) for r in db.all(sql + " ORDER BY id", args)]


def list_decisions(
    db: Ledger, *, folder: str | None = None, include_revoked: bool = True
) -> list[Decision]:
    sql, args = "SELECT * FROM decisions WHERE 1 = 1", []
    if folder is not None:
        sql += " AND folder = ?"
        args.append(folder)
    if not include_revoked:
        sql += " AND revoked_at IS NULL"
    return [_decision(r) for r in db.all(sql + " ORDER BY id", args)]


def get_decision(db: Ledger, decision_id: int) -> Decision | None:
    row = db.one("SELECT * FROM decisions WHERE id = ?", (decision_id,))
    return None if row is None else _decision(row)


def revoke_decision(db: Ledger, decision_id: int, why: str, when: str | None = None) -> bool:
    """Withdraw an active decision; False when it was already revoked."""
    changed = db.execute(
        "UPDATE decisions SET revoked_at = ?, revoked_why = ? WHERE id = ? AND revoked_at IS NULL",
        (when or utcnow(), why, decision_id),
    )
    return changed == 1


def add_decision(
    db: Ledger,
    *,
    run_id: str,
    folder: str,
    sheet: str | None,
    row: int | None,
    book_key: str | None,
    asset_id: str | None,
    kind: str,
    finding_identity: str | None,
    comment: str | None,
    decided_by: str,
    decided_at: str,
    source_file: str,
    reply_id: int,
) -> int:
    new_id = db.insert(
        "INSERT INTO decisions (run_id, folder, sheet, row, book_key, asset_id, kind, "
        "finding_identity, comment, decided_by, decided_at, source_file, reply_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            run_id,
            folder,
            sheet,
            row,
            book_key,
            asset_id,
            kind,
            finding_identity,
            comment,
            decided_by,
            decided_at,
            source_file,
            reply_id,
        ),
    )
    assert new_id is not None
    return new_id


def reply_of_file(db: Ledger, file_id: int) -> ReplyRecord | None:
    row = db.one("SELECT id, outcome FROM decision_replies WHERE file_id = ?", (file_id,))
    return None if row is None else ReplyRecord(int(row["id"]), str(row["outcome"]))


def add_reply(
    db: Ledger,
    *,
    file_id: int | None,
    run_id: str,
    folder: str,
    file_name: str,
    decided_by: str,
) -> int:
    """A reply taken; its outcome is filled in by set_reply_outcome in the same transaction."""
    new_id = db.insert(
        "INSERT INTO decision_replies (file_id, run_id, folder, file_name, decided_by, "
        "received_at, outcome) VALUES (?, ?, ?, ?, ?, ?, '{}') RETURNING id",
        (file_id, run_id, folder, file_name, decided_by, utcnow()),
    )
    assert new_id is not None
    return new_id


def set_reply_outcome(db: Ledger, reply_id: int, outcome: str) -> None:
    db.execute("UPDATE decision_replies SET outcome = ? WHERE id = ?", (outcome, reply_id))


def remember_rows(db: Ledger, run_id: str, keys: Iterable[tuple[str, int, str]]) -> None:
    """The run's (sheet, row, book key) triples, replacing any an earlier attempt kept."""
    with db.transaction():
        db.execute("DELETE FROM run_rows WHERE run_id = ?", (run_id,))
        db.many(
            "INSERT INTO run_rows (run_id, sheet, row, book_key) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (run_id, sheet, row) DO NOTHING",
            [(run_id, sheet, row, key) for sheet, row, key in keys],
        )


def row_keys(db: Ledger, run_id: str) -> dict[tuple[str, int], str]:
    """(sheet, row) -> book key of one run's rows."""
    rows = db.all("SELECT sheet, row, book_key FROM run_rows WHERE run_id = ?", (run_id,))
    return {(r["sheet"], int(r["row"])): r["book_key"] for r in rows}
