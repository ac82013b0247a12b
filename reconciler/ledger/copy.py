"""`reconciler ledger copy`: an existing SQLite ledger moved into PostgreSQL, counts checked.

Every table is copied row for row with its ids (emails keep their Message-IDs, decisions their
numbers, files their ids, which the work folder's names carry), in one transaction: the target
ends up with the whole ledger or nothing. The target must hold no files, runs or emails yet, so
a copy run twice (or onto a ledger already in use) is refused rather than merged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from reconciler.errors import ConfigError, Problem
from reconciler.ledger.db import Ledger, redact
from reconciler.ledger.schema import TABLES, migrate

log = logging.getLogger(__name__)

BATCH = 2000


@dataclass(frozen=True)
class Copied:
    table: str
    source: int
    target: int


def _count(db: Ledger, table: str) -> int:
    row = db.one(f"SELECT count(*) AS n FROM {table}")
    return int(row["n"]) if row is not None else 0


def copy_ledger(source: Ledger, target: Ledger, *, target_name: str = "") -> list[Copied]:
    """Copy every table of `source` into the empty `target`; the counts of each."""
    migrate(source)
    migrate(target)
    used = [t for t in ("files", "runs", "emails", "decisions") if _count(target, t)]
    if used:
        raise ConfigError(
            Problem(
                f"ledger {redact(target_name)}: expected an empty ledger to copy into, found "
                f"rows in {', '.join(used)}; copy into a new database, or leave ledger.url as "
                "it is",
                "COPY_TARGET_NOT_EMPTY",
                {"target": redact(target_name), "tables": ", ".join(used)},
            )
        )
    copied: list[Copied] = []
    with target.transaction():
        for table in TABLES:
            rows = source.all(f"SELECT * FROM {table}")
            if rows:
                columns = list(rows[0].keys())
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                for i in range(0, len(rows), BATCH):
                    target.many(sql, [[r[c] for c in columns] for r in rows[i : i + BATCH]])
            copied.append(Copied(table, len(rows), _count(target, table)))
        wrong = [c for c in copied if c.source != c.target]
        if wrong:  # raised inside the transaction: nothing of the copy is kept
            raise ConfigError(
                "ledger copy: the counts differ ("
                + ", ".join(f"{c.table} {c.source} -> {c.target}" for c in wrong)
                + "); nothing was copied; report this with both databases"
            )
        if target.dialect == "postgresql":  # new rows go on numbering after the copied ones
            for table in TABLES:
                if table in ("files", "findings", "emails", "decisions", "decision_replies"):
                    target.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
    log.info("ledger copied: %s", ", ".join(f"{c.table} {c.target}" for c in copied))
    return copied
