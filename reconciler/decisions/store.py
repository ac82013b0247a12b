"""Reviewers' decisions: recorded in the ledger, applied by every later run of their series.

A reviewer answers a run in its annotated workbook (decisions_read.py reads the reply,
decisions_apply.py validates and records it). Each decision is one of:

- confirm: this book row IS this asset. Later runs match the pair first, before the exact keys,
  with matched_on "decision" and score 100; the evidence says who decided and when.
- asset: the reviewer typed another asset ID: a confirm of that asset for the row.
- reject: this book row is NOT this asset. Later runs never pair them, not on an exact key,
  not as a kit unit, not even as a review candidate.
- accept: a finding is a known exception. Later runs report it with Finding.accepted = True
  (so the ledger's findings.accepted and the audit count it apart, not as open).

Keys survive across runs: a book row is known by its normalised inventory number, else its
normalised serial, else (last resort) its sheet and row; findings by ledger.finding_identity,
the identity the ledger and the audit use. Scope: a decision belongs to the series it was made
for (the inbox subfolder of the run it answers) and applies to that folder's runs only: two
departments may carry the same inventory number for different things.

Tables (created here, beside ledger.py's schema, which is left as it is):
  decisions        one row per decision; revoked_at set when withdrawn or superseded
  decision_replies one row per reply workbook applied, with what was applied and the problems
  run_rows         each run's book rows with their keys, so a reply is validated against the
                   run it answers (the row exists, and which book row it is)
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from reconciler.errors import InputError
from reconciler.ledger import store as ledger
from reconciler.ledger.store import book_key
from reconciler.match.decisions import DecisionSet
from reconciler.models import Decision, Finding, Register

log = logging.getLogger(__name__)

connect = ledger.connect  # the decisions' tables are part of the ledger's one schema


def active_decisions(conn: sqlite3.Connection, folder: str | None = None) -> list[Decision]:
    sql = "SELECT * FROM decisions WHERE revoked_at IS NULL"
    args: tuple[str, ...] = ()
    if folder is not None:
        sql, args = sql + " AND folder = ?", (folder,)
    return [Decision.from_row(r) for r in conn.execute(sql + " ORDER BY id", args)]


def load_active(ledger_path: Path, folder: str) -> DecisionSet:
    """What pipeline.run_file applies: the folder's decisions not revoked (none: no ledger)."""
    if not ledger_path.exists():
        return DecisionSet()
    conn = connect(ledger_path)
    try:
        found = DecisionSet.of(active_decisions(conn, folder))
    finally:
        conn.close()
    if found:
        log.info(
            "folder %r: applying %d confirmed, %d rejected, %d accepted decision(s)",
            folder,
            sum(len(v) for v in found.confirmed.values()),
            len(found.rejected),
            len(found.accepted),
        )
    return found


def mark_accepted(findings: list[Finding], register: Register, decisions: DecisionSet) -> int:
    """Set Finding.accepted on the findings a reviewer accepted; return how many."""
    if not decisions.accepted:
        return 0
    by_key = {r.key: r for r in register.rows}
    n = 0
    for f in findings:
        decision = decisions.accepted.get(ledger.finding_identity(f, ledger.book_row_of(f, by_key)))
        if decision is not None:
            f.accepted = True
            f.accepted_by = decision.decided_by or None
            f.accepted_at = decision.decided_at
            f.accepted_comment = decision.comment
            n += 1
    return n


def remember_rows(ledger_path: Path, run_id: str, register: Register) -> None:
    """The run's rows and their keys, so a reply to this run can be checked row by row."""
    conn = connect(ledger_path)
    try:
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM run_rows WHERE run_id = ?", (run_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO run_rows (run_id, sheet, row, book_key) VALUES (?, ?, ?, ?)",
                [(run_id, r.sheet, r.row, book_key(r)) for r in register.rows],
            )
    finally:
        conn.close()


# --- `reconciler decisions list | revoke` --------------------------------------------------


def list_decisions(
    conn: sqlite3.Connection, *, folder: str | None = None, include_revoked: bool = True
) -> list[Decision]:
    sql, args = "SELECT * FROM decisions WHERE 1 = 1", []
    if folder is not None:
        sql += " AND folder = ?"
        args.append(folder)
    if not include_revoked:
        sql += " AND revoked_at IS NULL"
    return [Decision.from_row(r) for r in conn.execute(sql + " ORDER BY id", args)]


def revoke(conn: sqlite3.Connection, decision_id: int, *, why: str = "revoked") -> Decision:
    """Withdraw a decision: later runs no longer apply it. InputError if there is none."""
    row = conn.execute("SELECT * FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    if row is None:
        raise InputError(
            f"decision {decision_id}: expected an existing decision id, found none",
            hint="see the ids with `reconciler decisions list`",
        )
    if row["revoked_at"] is None:
        conn.execute(
            "UPDATE decisions SET revoked_at = ?, revoked_why = ? WHERE id = ?",
            (ledger.utcnow(), why, decision_id),
        )
        log.info("decision %d revoked (%s)", decision_id, why)
    return Decision.from_row(
        conn.execute("SELECT * FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    )


TABLE_COLUMNS = ("id", "folder", "row key", "asset", "kind", "who", "when", "comment", "revoked")


def table_lines(found: list[Decision]) -> list[str]:
    """`reconciler decisions list` as plain aligned columns (scripts can split on 2+ spaces)."""
    rows = [
        (
            str(d.id),
            d.folder or "(inbox)",
            d.book_key or d.finding_identity or "",
            d.asset_id or "",
            d.kind,
            d.decided_by,
            d.decided_at.replace("+00:00", "Z"),
            " ".join((d.comment or "").split()),
            (d.revoked_at or "").replace("+00:00", "Z"),
        )
        for d in found
    ]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(TABLE_COLUMNS)]
    return [
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
        for line in [TABLE_COLUMNS, *rows]
    ]
