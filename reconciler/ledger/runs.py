"""The ledger's runs: one per file processed (or refused), with its counts and outcome."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from reconciler.content import sha256_of_stream
from reconciler.ledger import files as ledger_files
from reconciler.ledger.db import Ledger, Row, utcnow
from reconciler.ledger.findings import replace_findings
from reconciler.models import FileState, RowStatus, RunResult


@dataclass(frozen=True)
class RunRecord:
    id: str  # also the outbox folder name
    file_id: int | None
    file_name: str
    folder: str
    sha256: str | None
    started_at: str
    finished_at: str | None
    outcome: str  # running, complete, failed, quarantined, duplicate
    rows: int | None
    matched: int | None
    review: int | None
    unmatched: int | None
    findings: int | None
    report_date: str | None
    run_dir: str | None
    error: str | None

    @classmethod
    def of(cls, row: Row) -> RunRecord:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


def start_run(
    db: Ledger,
    run_id: str,
    *,
    file_id: int | None,
    file_name: str,
    folder: str,
    sha256: str | None,
) -> None:
    """Idempotent: a resumed run keeps its id and starts again."""
    db.execute(
        "INSERT INTO runs (id, file_id, file_name, folder, sha256, started_at, outcome) "
        "VALUES (?, ?, ?, ?, ?, ?, 'running') "
        "ON CONFLICT(id) DO UPDATE SET started_at = excluded.started_at, outcome = 'running', "
        "finished_at = NULL, error = NULL",
        (run_id, file_id, file_name, folder, sha256, utcnow()),
    )


def finish_run(
    db: Ledger,
    run_id: str,
    outcome: str,
    *,
    error: str | None = None,
    run_dir: Path | None = None,
) -> None:
    db.execute(
        "UPDATE runs SET outcome = ?, finished_at = ?, error = ?, "
        "run_dir = COALESCE(?, run_dir) WHERE id = ?",
        (outcome, utcnow(), error, None if run_dir is None else str(run_dir), run_id),
    )


def get_run(db: Ledger, run_id: str) -> RunRecord | None:
    row = db.one("SELECT * FROM runs WHERE id = ?", (run_id,))
    return None if row is None else RunRecord.of(row)


def is_complete(db: Ledger, run_id: str) -> bool:
    row = db.one("SELECT outcome FROM runs WHERE id = ?", (run_id,))
    return row is not None and row["outcome"] == "complete"


def earlier_run(
    db: Ledger, sha256: str | None, excluding_file: int | None = None
) -> dict[str, str] | None:
    """The latest complete run of the same content, for `duplicate_of` in results.json."""
    row = db.one(
        "SELECT runs.id, files.received_at FROM runs JOIN files ON files.id = runs.file_id "
        "WHERE runs.sha256 = ? AND runs.outcome = 'complete' AND files.id != ? "
        "ORDER BY runs.started_at DESC, files.id DESC LIMIT 1",  # files.id: same-second runs
        (sha256, -1 if excluding_file is None else excluding_file),
    )
    return None if row is None else {"run_id": row["id"], "received_at": row["received_at"]}


def record_result(db: Ledger, result: RunResult, *, run_dir: Path) -> None:
    """Counts and every finding of a run, in one transaction; doing it again replaces it.

    The runs row must exist (start_run). `run_dir` is where the run folder will be published.
    """
    rows = result.match.rows
    with db.transaction():
        db.execute(
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
            db.execute(
                "INSERT INTO inventory_snapshots (run_id, kind, source, fetched_at, assets, "
                "sha256, reused) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
                "kind = excluded.kind, source = excluded.source, fetched_at = excluded.fetched_at,"
                " assets = excluded.assets, sha256 = excluded.sha256, reused = excluded.reused",
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
        replace_findings(db, result)


def record_cli_run(
    db: Ledger,
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
    with db.transaction():
        file_id = ledger_files.insert_final_file(
            db,
            name=file_name,
            folder=folder,
            size=path.stat().st_size if path.exists() else None,
            sha256=sha,
            path=str(path),
            state=FileState.ARCHIVED if result is not None else FileState.QUARANTINED,
            run_id=run_id,
            reason=reason or error,
        )
        start_run(db, run_id, file_id=file_id, file_name=file_name, folder=folder, sha256=sha)
    if result is not None:
        record_result(db, result, run_dir=result.run_dir)
    else:
        finish_run(db, run_id, "failed", error=error)
    return file_id


def runs_until(db: Ledger, end: str, folder: str | None) -> list[RunRecord]:
    """Every run started on or before day `end` (ISO date), oldest first: the audit's history."""
    sql = "SELECT * FROM runs WHERE substr(started_at, 1, 10) <= ?"
    params: list[str] = [end]
    if folder is not None:
        sql += " AND folder = ?"
        params.append(folder)
    return [RunRecord.of(r) for r in db.all(sql + " ORDER BY started_at, id", params)]
