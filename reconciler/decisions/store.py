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

Where they are kept: ledger/decisions.py (decisions, the replies they came in, each run's row
keys).
"""

from __future__ import annotations

import logging

from reconciler.config import Config
from reconciler.errors import InputError
from reconciler.ledger import decisions as ledger_decisions
from reconciler.ledger.db import Ledger
from reconciler.ledger.decisions import active_decisions, list_decisions
from reconciler.ledger.findings import book_key, book_row_of, finding_identity
from reconciler.ledger.schema import open_ledger
from reconciler.match.decisions import DecisionSet
from reconciler.models import Decision, Finding, Register

log = logging.getLogger(__name__)

__all__ = ["Decision", "DecisionSet", "active_decisions", "list_decisions"]


def load_active(config: Config, folder: str) -> DecisionSet:
    """What pipeline.run_file applies: the folder's decisions not revoked (none: no ledger)."""
    if not config.ledger.url and not config.ledger_path.exists():
        return DecisionSet()
    with open_ledger(config) as conn:
        found = DecisionSet.of(active_decisions(conn, folder))
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
        decision = decisions.accepted.get(finding_identity(f, book_row_of(f, by_key)))
        if decision is not None:
            f.accepted = True
            f.accepted_by = decision.decided_by or None
            f.accepted_at = decision.decided_at
            f.accepted_comment = decision.comment
            if decision.row is not None and (decision.sheet, decision.row) != (f.sheet, f.row):
                f.accepted_on_row = decision.row
            n += 1
    return n


def remember_rows(config: Config, run_id: str, register: Register) -> None:
    """The run's rows and their keys, so a reply to this run can be checked row by row."""
    with open_ledger(config) as conn:
        keys = [(r.sheet, r.row, book_key(r)) for r in register.rows]
        ledger_decisions.remember_rows(conn, run_id, keys)


# --- `reconciler decisions list | revoke` --------------------------------------------------


def revoke(conn: Ledger, decision_id: int, *, why: str = "revoked") -> Decision:
    """Withdraw a decision: later runs no longer apply it. InputError if there is none."""
    if ledger_decisions.get_decision(conn, decision_id) is None:
        raise InputError(
            f"decision {decision_id}: expected an existing decision id, found none",
            hint="see the ids with `reconciler decisions list`",
            code="DECISION_NOT_FOUND",
            params={"id": decision_id},
        )
    if ledger_decisions.revoke_decision(conn, decision_id, why):
        log.info("decision %d revoked (%s)", decision_id, why)
    revoked = ledger_decisions.get_decision(conn, decision_id)
    assert revoked is not None
    return revoked


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
