"""The ledger: every file, run, finding and email, in SQLite (WAL) under state/.

One schema, versioned by PRAGMA user_version, so a later PostgreSQL ledger can mirror it.
Times are ISO 8601 UTC text. Every write is one short transaction: a kill -9 at any moment
leaves the database consistent, and the service's resume logic reads the states below.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.content import sha256_of_stream
from reconciler.models import FINAL_STATES, Asset, BookRow, FileState, Finding, RowStatus, RunResult

# 2: faults and holds (the service's own trouble, kept apart); 3: inventory_snapshots
SCHEMA_VERSION = 3

# files.state: the life of a dropped file is models.FileState.

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,          -- as dropped by the user
    folder      TEXT NOT NULL DEFAULT '', -- inbox subfolder ('' for the inbox itself)
    size        INTEGER,
    sha256      TEXT,
    received_at TEXT NOT NULL,
    claimed_as  TEXT,                   -- path in the work folder after the atomic rename
    state       TEXT NOT NULL,          -- models.FileState
    run_id      TEXT,                   -- the run of this file (set when processing starts)
    archived_as TEXT,                   -- archive or quarantine path, chosen before the move
    reason      TEXT,                   -- why it was quarantined: error_text.ErrorRecord as JSON
    notified_at TEXT                    -- when after_run queued its email (NULL: not yet)
);
CREATE INDEX IF NOT EXISTS files_sha256 ON files(sha256);

CREATE TABLE IF NOT EXISTS runs (
    id          TEXT PRIMARY KEY,       -- run_id, also the outbox folder name
    file_id     INTEGER REFERENCES files(id),
    file_name   TEXT NOT NULL,
    folder      TEXT NOT NULL DEFAULT '',
    sha256      TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT NOT NULL,          -- running, complete, failed, quarantined
    rows        INTEGER,
    matched     INTEGER,
    review      INTEGER,
    unmatched   INTEGER,
    findings    INTEGER,
    report_date TEXT,
    run_dir     TEXT,
    error       TEXT
);
CREATE INDEX IF NOT EXISTS runs_folder ON runs(folder, started_at);

CREATE TABLE IF NOT EXISTS findings (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id),
    identity    TEXT NOT NULL,          -- stable across runs: code + book key + asset id
    code        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    sheet       TEXT,
    row         INTEGER,
    asset_id    TEXT,
    inventory_number TEXT,
    serial      TEXT,
    location    TEXT,
    custodian   TEXT,
    amount      REAL,
    message     TEXT NOT NULL,
    accepted    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id);
CREATE INDEX IF NOT EXISTS findings_identity ON findings(identity);

CREATE TABLE IF NOT EXISTS emails (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT,                   -- NULL for test and audit messages
    kind        TEXT NOT NULL,          -- accounting, reviewers, quarantine, audit, test, operator
    message_id  TEXT NOT NULL UNIQUE,   -- derived from the run: a retry never sends twice
    recipients  TEXT NOT NULL,          -- JSON list
    subject     TEXT NOT NULL,
    eml_path    TEXT NOT NULL,          -- the whole message as built, kept for resending
    state       TEXT NOT NULL,          -- queued, sent, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    deadline_at TEXT NOT NULL,
    sent_at     TEXT,
    last_error  TEXT
);
CREATE INDEX IF NOT EXISTS emails_due ON emails(state, next_attempt_at);

-- Reviewers' decisions (decisions.py): each kept with who, when and the reply it came from.
CREATE TABLE IF NOT EXISTS decisions (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL,          -- the run the reply answered
    folder      TEXT NOT NULL,          -- scope: the series (inbox subfolder) of that run
    sheet       TEXT,                   -- the register row as it was in that run
    row         INTEGER,
    book_key    TEXT,                   -- inv:<n> | sn:<serial> | row:<sheet>!<row>
    asset_id    TEXT,
    kind        TEXT NOT NULL,          -- confirm, reject, asset, accept
    finding_identity TEXT,              -- accept only: ledger.finding_identity
    comment     TEXT,
    decided_by  TEXT NOT NULL,          -- the inbox subfolder the reply came from (or cli:<user>)
    decided_at  TEXT NOT NULL,
    source_file TEXT NOT NULL,          -- the reply workbook, sheet and row
    reply_id    INTEGER,
    revoked_at  TEXT,
    revoked_why TEXT
);
CREATE INDEX IF NOT EXISTS decisions_folder ON decisions(folder, revoked_at);

CREATE TABLE IF NOT EXISTS decision_replies (
    id          INTEGER PRIMARY KEY,
    file_id     INTEGER UNIQUE,         -- the service's files row; NULL for `reconciler run`
    run_id      TEXT NOT NULL,
    folder      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    decided_by  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    outcome     TEXT NOT NULL           -- JSON: applied and problems, as the email says them
);

CREATE TABLE IF NOT EXISTS run_rows (
    run_id      TEXT NOT NULL,
    sheet       TEXT NOT NULL,
    row         INTEGER NOT NULL,
    book_key    TEXT NOT NULL,
    PRIMARY KEY (run_id, sheet, row)
);

-- The inventory each run used (inventory/snapshot.py): an API source's fetch, or the last
-- good one standing in for a failed fetch (reused = 1).
CREATE TABLE IF NOT EXISTS inventory_snapshots (
    run_id      TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,          -- inventory.source
    source      TEXT NOT NULL,          -- path or URL
    fetched_at  TEXT NOT NULL,
    assets      INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    reused      INTEGER NOT NULL DEFAULT 0
);

-- The scheduled audit packs sent (audit.py), so a missed fire is caught up once.
CREATE TABLE IF NOT EXISTS audit_sends (
    fired_at TEXT PRIMARY KEY,  -- the schedule's fire time (UTC) this row answers
    schedule TEXT NOT NULL,     -- the expression in force then
    sent_at  TEXT,              -- NULL: the row only arms the schedule (first start, nothing sent)
    pack     TEXT               -- the xlsx written
);

-- The service's own trouble, never the sender's (ledger/faults.py): an environment fault (disk
-- full, a read-only folder, the ledger busy) or a bug. One row per fault while it lasts, so the
-- operators are told once, not on every retry.
CREATE TABLE IF NOT EXISTS faults (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL,          -- what is wrong: environment:<where>:<errno>, bug:<digest>
    kind        TEXT NOT NULL,          -- environment, bug
    detail      TEXT NOT NULL,          -- the one-liner, or the traceback of a bug
    first_at    TEXT NOT NULL,
    last_at     TEXT NOT NULL,
    times       INTEGER NOT NULL DEFAULT 1,
    cleared_at  TEXT                    -- a file it held went through: told again if it recurs
);
CREATE INDEX IF NOT EXISTS faults_open ON faults(key, cleared_at);

-- A file waiting for our fault to clear: it keeps its state (claimed, processing ...) and is
-- not quarantined; resume() leaves it alone until next_attempt_at (NULL: the next start).
CREATE TABLE IF NOT EXISTS holds (
    file_id     INTEGER PRIMARY KEY REFERENCES files(id),
    fault_id    INTEGER NOT NULL REFERENCES faults(id),
    attempts    INTEGER NOT NULL,
    held_at     TEXT NOT NULL,
    next_attempt_at TEXT
);
"""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id(now: datetime | None = None) -> str:
    """Run ids sort by time as text (milliseconds included, so two runs in one second keep
    their order) and stay unique across instances sharing an outbox (random hex). Here rather
    than in pipeline: the service needs them and its process never imports the stages."""
    now = now or datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}-{secrets.token_hex(3)}"


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create or migrate) the ledger. Autocommit; use `with conn:` for transactions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=30000")  # several instances share one ledger
    # Switching a new file to WAL needs it to itself, and SQLite answers "locked" at once,
    # without waiting, when another instance is opening it at the same moment: wait here.
    _retry_while_locked(lambda: conn.execute("PRAGMA journal_mode=WAL"))
    conn.execute("PRAGMA foreign_keys=ON")
    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        _retry_while_locked(lambda: _migrate(conn))
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")  # one instance creates the schema, the others then see it
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            for statement in _statements(SCHEMA):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> Iterator[str]:
    """One SQL statement at a time (executescript would commit the IMMEDIATE transaction);
    split where SQLite itself sees a statement end, not at a ';' inside a comment."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete statement at the end of the schema: {pending!r}")


def _retry_while_locked(step: Callable[[], object], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# --- files -------------------------------------------------------------------------------


def add_file(conn: sqlite3.Connection, name: str, folder: str, received_at: str) -> int:
    cur = conn.execute(
        "INSERT INTO files (name, folder, received_at, state) VALUES (?, ?, ?, 'claiming')",
        (name, folder, received_at),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def get_file(conn: sqlite3.Connection, file_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM files WHERE id = ?", (file_id,)
    ).fetchone()
    return row


_FILE_COLUMNS = {"claimed_as", "state", "size", "sha256", "run_id", "archived_as", "reason"}


def update_file(conn: sqlite3.Connection, file_id: int, **values: Any) -> None:
    unknown = set(values) - _FILE_COLUMNS
    assert not unknown, f"not a files column: {unknown}"
    sets = ", ".join(f"{k} = ?" for k in values)
    conn.execute(f"UPDATE files SET {sets} WHERE id = ?", (*values.values(), file_id))


def forget_file(conn: sqlite3.Connection, file_id: int) -> None:
    """A claim that lost the race (or whose file vanished) leaves no trace."""
    conn.execute("DELETE FROM files WHERE id = ? AND state = 'claiming'", (file_id,))


def mark_notified(conn: sqlite3.Connection, file_id: int) -> None:
    conn.execute("UPDATE files SET notified_at = ? WHERE id = ?", (utcnow(), file_id))


def unfinished_files(conn: sqlite3.Connection) -> list[int]:
    """Files a crash (or a stop) left between two steps, oldest first."""
    rows = conn.execute(
        "SELECT id FROM files WHERE state NOT IN (?, ?) OR notified_at IS NULL ORDER BY id",
        FINAL_STATES,
    ).fetchall()
    return [r[0] for r in rows]


def earlier_run(
    conn: sqlite3.Connection, sha256: str, excluding_file: int | None = None
) -> dict[str, str] | None:
    """The latest complete run of the same content, for `duplicate_of` in results.json."""
    row = conn.execute(
        "SELECT runs.id, files.received_at FROM runs JOIN files ON files.id = runs.file_id "
        "WHERE runs.sha256 = ? AND runs.outcome = 'complete' AND files.id != ? "
        "ORDER BY runs.started_at DESC, runs.rowid DESC LIMIT 1",  # rowid: same-second runs
        (sha256, -1 if excluding_file is None else excluding_file),
    ).fetchone()
    return None if row is None else {"run_id": row[0], "received_at": row[1]}


# --- runs --------------------------------------------------------------------------------


def start_run(
    conn: sqlite3.Connection,
    run_id: str,
    *,
    file_id: int | None,
    file_name: str,
    folder: str,
    sha256: str | None,
) -> None:
    """Idempotent: a resumed run keeps its id and starts again."""
    conn.execute(
        "INSERT INTO runs (id, file_id, file_name, folder, sha256, started_at, outcome) "
        "VALUES (?, ?, ?, ?, ?, ?, 'running') "
        "ON CONFLICT(id) DO UPDATE SET started_at = excluded.started_at, outcome = 'running', "
        "finished_at = NULL, error = NULL",
        (run_id, file_id, file_name, folder, sha256, utcnow()),
    )


def finish_run(
    conn: sqlite3.Connection,
    run_id: str,
    outcome: str,
    *,
    error: str | None = None,
    run_dir: Path | None = None,
) -> None:
    conn.execute(
        "UPDATE runs SET outcome = ?, finished_at = ?, error = ?, "
        "run_dir = COALESCE(?, run_dir) WHERE id = ?",
        (outcome, utcnow(), error, None if run_dir is None else str(run_dir), run_id),
    )


def get_run(conn: sqlite3.Connection, run_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    return row


def record_result(conn: sqlite3.Connection, result: RunResult, *, run_dir: Path) -> None:
    """Counts and every finding of a run, in one transaction; doing it again replaces it.

    The runs row must exist (start_run). `run_dir` is where the run folder will be published.
    """
    rows = result.match.rows
    by_key = {r.key: r for r in result.register.rows}
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE runs SET outcome = 'complete', finished_at = ?, rows = ?, matched = ?, "
            "review = ?, unmatched = ?, findings = ?, report_date = ?, run_dir = ?, "
            "sha256 = COALESCE(sha256, ?) WHERE id = ?",
            (
                utcnow(),
                len(rows),
                sum(m.status is RowStatus.MATCHED for m in rows),
                sum(m.status is RowStatus.REVIEW for m in rows),
                sum(m.status is RowStatus.UNMATCHED for m in rows),
                len(result.findings),
                result.report_date.isoformat(),
                str(run_dir),
                result.register.sha256,
                result.run_id,
            ),
        )
        taken = result.inventory.snapshot
        if taken is not None:
            conn.execute(
                "INSERT OR REPLACE INTO inventory_snapshots (run_id, kind, source, fetched_at, "
                "assets, sha256, reused) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    result.run_id,
                    taken.kind,
                    taken.source,
                    taken.fetched_at,
                    taken.assets,
                    taken.sha256,
                    int(taken.reused),
                ),
            )
        conn.execute("DELETE FROM findings WHERE run_id = ?", (result.run_id,))
        conn.executemany(
            "INSERT INTO findings (run_id, identity, code, severity, sheet, row, asset_id, "
            "inventory_number, serial, location, custodian, amount, message, accepted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _finding_rows(result.run_id, result.findings, by_key, result.inventory.by_id()),
        )


def _finding_rows(
    run_id: str,
    findings: Iterable[Finding],
    by_key: dict[tuple[str, int], BookRow],
    assets: dict[str, Asset],
) -> Iterable[tuple[Any, ...]]:
    for f in findings:
        book = book_row_of(f, by_key)
        # A finding on no book row (MISSING_IN_BOOKS) is where IT sees the asset, with whom:
        # the audit's comparison statement attributes each surplus to its place and person.
        it = assets.get(f.asset_id or "") if book is None else None
        yield (
            run_id,
            finding_identity(f, book),
            f.code,
            str(f.severity),
            f.sheet,
            f.row,
            f.asset_id,
            book.inventory_number if book else None,
            book.serial if book else None,
            book.location if book else (it.location if it else None),
            book.custodian if book else (it.custodian if it else None),
            None if f.amount is None else float(f.amount),
            f.message,
            int(f.accepted),
        )


def record_cli_run(
    conn: sqlite3.Connection,
    result: RunResult | None,
    *,
    run_id: str,
    path: Path,
    file_name: str,
    folder: str = "",
    error: str | None = None,
    reason: str | None = None,
) -> int:
    """`reconciler run FILE`: the file stays where it is, so it is recorded as already final
    (archived, or quarantined when it could not be read: `error` is the English line for
    runs.error, `reason` the error record for files.reason, as the service stores them)."""
    sha = result.register.sha256 if result is not None else None
    if sha is None and path.is_file():
        with path.open("rb") as f:
            sha = sha256_of_stream(f)
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.execute(
            "INSERT INTO files (name, folder, size, sha256, received_at, claimed_as, state, "
            "run_id, reason, notified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                file_name,
                folder,
                path.stat().st_size if path.exists() else None,
                sha,
                utcnow(),
                str(path),
                FileState.ARCHIVED if result is not None else FileState.QUARANTINED,
                run_id,
                reason or error,
                utcnow(),
            ),
        )
        file_id = cur.lastrowid
        start_run(conn, run_id, file_id=file_id, file_name=file_name, folder=folder, sha256=sha)
    if result is not None:
        record_result(conn, result, run_dir=result.run_dir)
    else:
        finish_run(conn, run_id, "failed", error=error)
    assert file_id is not None
    return file_id


# --- finding identity --------------------------------------------------------------------

# Cyrillic letters that look like Latin ones: inventory numbers and serials are typed with
# either keyboard layout, and the identity must not change with it. A fixed table on purpose,
# not normalize.yaml's: identities link findings across months of runs and must not change
# when a user edits the matching rules. (It also keeps the service process free of normalize.)
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


def normalize_key(text: str | None) -> str:
    """Upper case, look-alikes folded, only letters and digits: '№ 00-12 3' -> '00123'."""
    if not text:
        return ""
    # '№' is a label, not part of the number; NFKC would make it the letters 'No'.
    folded = unicodedata.normalize("NFKC", str(text).replace("№", " "))
    folded = folded.upper().translate(_LOOKALIKES)
    return "".join(ch for ch in folded if ch.isalnum())


def _stable_key(book: BookRow) -> str | None:
    """The row's inventory number, else its serial: what survives the row moving."""
    if inv := normalize_key(book.inventory_number):
        return f"inv:{inv}"
    if serial := normalize_key(book.serial):
        return f"sn:{serial}"
    return None


def book_key(book: BookRow) -> str:
    """A book row's identity across runs (decisions are kept by it); its position when it has
    neither an inventory number nor a serial."""
    return _stable_key(book) or f"row:{book.sheet}!{book.row}"


def book_row_of(finding: Finding, by_key: dict[tuple[str, int], BookRow]) -> BookRow | None:
    """The register row a finding is about, if it names one (by_key: BookRow.key -> row)."""
    if finding.sheet is None or finding.row is None:
        return None
    return by_key.get((finding.sheet, finding.row))


def finding_identity(finding: Finding, book: BookRow | None) -> str:
    """code + the book row's inventory number or serial + the asset id, whichever apply.

    Stable across runs of the same register, whatever row the line moved to. A book row with
    neither key falls back to its position (unless the asset id already tells the finding
    apart), which is the best the register offers.
    """
    parts: list[str] = [finding.code]
    if book is not None:
        if key := _stable_key(book):
            parts.append(key)
        elif finding.asset_id is None:
            parts.append(f"row:{book.sheet}!{book.row}")
    elif finding.row is not None:
        parts.append(f"row:{finding.sheet}!{finding.row}")
    if finding.asset_id:
        parts.append(f"asset:{finding.asset_id}")
    return "|".join(parts)
