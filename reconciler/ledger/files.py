"""The ledger's files: every file dropped into the inbox, from its claim to its final folder.

Its life is models.FileState; each step is one short transaction (service/lifecycle.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from reconciler.ledger.db import Ledger, Row, utcnow
from reconciler.models import FINAL_STATES, FileState


@dataclass(frozen=True)
class FileRecord:
    id: int
    name: str  # as dropped by the user
    folder: str  # inbox subfolder ('' for the inbox itself)
    size: int | None
    sha256: str | None
    received_at: str
    claimed_as: str | None  # path in the work folder after the atomic rename
    state: FileState
    run_id: str | None
    archived_as: str | None  # archive or quarantine path, chosen before the move
    reason: str | None  # ErrorRecord as JSON
    notified_at: str | None  # when its email was queued (None: not yet)

    @classmethod
    def of(cls, row: Row) -> FileRecord:
        values = {f.name: row[f.name] for f in fields(cls)}
        return cls(**{**values, "state": FileState(values["state"])})

    @property
    def claimed_path(self) -> Path:
        """Where the file is in the work folder (set in the transaction that adds the row)."""
        assert self.claimed_as is not None, f"file {self.id} has no claimed_as"
        return Path(self.claimed_as)

    @property
    def run(self) -> str:
        """Its run id, set when processing (or a refusal) starts."""
        assert self.run_id is not None, f"file {self.id} ({self.state}) has no run yet"
        return self.run_id

    @property
    def finished(self) -> bool:
        """Final and notified: nothing is left to do for it."""
        return self.state in FINAL_STATES and self.notified_at is not None


def add_file(db: Ledger, name: str, folder: str, received_at: str) -> int:
    file_id = db.insert(
        "INSERT INTO files (name, folder, received_at, state) VALUES (?, ?, ?, 'claiming') "
        "RETURNING id",
        (name, folder, received_at),
    )
    assert file_id is not None
    return file_id


def get_file(db: Ledger, file_id: int) -> FileRecord | None:
    row = db.one("SELECT * FROM files WHERE id = ?", (file_id,))
    return None if row is None else FileRecord.of(row)


_FILE_COLUMNS = {"claimed_as", "state", "size", "sha256", "run_id", "archived_as", "reason"}


def update_file(db: Ledger, file_id: int, **values: Any) -> None:
    unknown = set(values) - _FILE_COLUMNS
    assert not unknown, f"not a files column: {unknown}"
    sets = ", ".join(f"{k} = ?" for k in values)
    db.execute(f"UPDATE files SET {sets} WHERE id = ?", (*values.values(), file_id))


def forget_file(db: Ledger, file_id: int) -> None:
    """A claim that lost the race (or whose file vanished) leaves no trace."""
    db.execute("DELETE FROM files WHERE id = ? AND state = 'claiming'", (file_id,))


def mark_notified(db: Ledger, file_id: int) -> None:
    db.execute("UPDATE files SET notified_at = ? WHERE id = ?", (utcnow(), file_id))


def unfinished_files(db: Ledger, work_dir: Path) -> list[int]:
    """Files a crash (or a stop) left between two steps in THIS work folder, oldest first.

    Each instance (machine) has a work folder of its own and claims into it, so a file in
    hand is another instance's to finish; a ledger shared by several only shows it to all."""
    prefix = str(work_dir) + os.sep
    rows = db.all(
        "SELECT id FROM files WHERE (state NOT IN (?, ?) OR notified_at IS NULL) "
        "AND substr(claimed_as, 1, ?) = ? ORDER BY id",
        (*FINAL_STATES, len(prefix), prefix),
    )
    return [int(r["id"]) for r in rows]


def insert_final_file(
    db: Ledger,
    *,
    name: str,
    folder: str,
    size: int | None,
    sha256: str | None,
    path: str,
    state: FileState,
    run_id: str,
    reason: str | None,
) -> int:
    """`reconciler run FILE`: the file stays where it is, so it is recorded as already final."""
    now = utcnow()
    file_id = db.insert(
        "INSERT INTO files (name, folder, size, sha256, received_at, claimed_as, state, "
        "run_id, reason, notified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (name, folder, size, sha256, now, path, state, run_id, reason, now),
    )
    assert file_id is not None
    return file_id


def count_by_folder(db: Ledger, start: str, end: str, folder: str | None) -> dict[str, int]:
    """Files received from day `start` to day `end` (ISO dates, inclusive), by inbox folder."""
    sql = "SELECT folder, count(*) AS n FROM files WHERE substr(received_at, 1, 10) BETWEEN ? AND ?"
    params = [start, end]
    if folder is not None:
        sql += " AND folder = ?"
        params.append(folder)
    return {r["folder"]: int(r["n"]) for r in db.all(sql + " GROUP BY folder", params)}
