"""The ledger: every file, run, finding and email, in SQLite (WAL) under state/.

One schema, versioned by PRAGMA user_version, so a later PostgreSQL ledger can mirror it.
Times are ISO 8601 UTC text. Every write is one short transaction: a kill -9 at any moment
leaves the database consistent, and the service's resume logic reads the states below.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,          -- as dropped by the user
    folder      TEXT NOT NULL DEFAULT '', -- inbox subfolder ('' for the inbox itself)
    size        INTEGER,
    sha256      TEXT,
    received_at TEXT NOT NULL,
    claimed_as  TEXT,                   -- path in the work folder after the atomic rename
    state       TEXT NOT NULL,          -- claimed, processing, done, quarantined
    archived_as TEXT,
    reason      TEXT                    -- why it was quarantined
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
    kind        TEXT NOT NULL,          -- accounting, reviewers, quarantine, audit, test
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
"""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create or migrate) the ledger. Autocommit; use `with conn:` for transactions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")  # several instances share one ledger
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version < SCHEMA_VERSION:
        conn.executescript(SCHEMA)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return conn
