"""The ledger as the service and the audit read it: files, runs, findings with stable identities."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.cli import cli
from reconciler.ledger import db as ledger_db
from reconciler.ledger import emails as ledger_emails
from reconciler.ledger import files as ledger_files
from reconciler.ledger import findings as ledger_findings
from reconciler.ledger import runs as ledger_runs
from reconciler.ledger import schema as ledger_schema
from reconciler.ledger.db import Ledger
from reconciler.models import (
    BookRow,
    Finding,
    FindingCode,
    Inventory,
    MatchResult,
    Register,
    RowMatch,
    RowStatus,
    RunResult,
    Severity,
)
from reconciler.synth import write_demo_workspace


@pytest.fixture
def conn(tmp_path: Path, ledger_url: str) -> Iterator[Ledger]:
    """A fresh ledger: a file in a temp state folder, or a new PostgreSQL database."""
    c = ledger_schema.connect(tmp_path / "state" / "ledger.sqlite", ledger_url)
    yield c
    c.close()


def make_result(run_id: str, rows: list[BookRow], findings: list[Finding], sha: str) -> RunResult:
    register = Register(
        path=Path("r.xlsx"), file_name="r.xlsx", sha256=sha, format="xlsx", sheets=[], rows=rows
    )
    statuses = [RowStatus.MATCHED, RowStatus.REVIEW, RowStatus.UNMATCHED]
    return RunResult(
        run_id=run_id,
        run_dir=Path("/nowhere") / run_id,
        register=register,
        inventory=Inventory(source="inv", assets=[]),
        match=MatchResult(
            [RowMatch(row=r, status=statuses[i % 3]) for i, r in enumerate(rows)], []
        ),
        findings=findings,
        report_date=date(2026, 9, 30),
    )


def test_the_sqlite_ledger_is_in_wal_mode_so_the_child_and_the_service_write_together(
    tmp_path: Path,
) -> None:
    with ledger_schema.connect(tmp_path / "state" / "ledger.sqlite") as conn:
        assert conn.value("PRAGMA journal_mode") == "wal"


def test_a_finding_keeps_its_identity_when_its_row_moves_and_the_layout_switches(conn) -> None:
    """The same server on row 7 typed in Cyrillic, then on row 12 in Latin, is one identity."""
    first = BookRow(sheet="TDSheet", row=7, inventory_number="ВМ-00 12")
    later = BookRow(sheet="TDSheet", row=12, inventory_number="bm0012")
    f1 = Finding(
        FindingCode.LOCATION_MISMATCH, Severity.MEDIUM, "m", sheet="TDSheet", row=7, asset_id="A-1"
    )
    f2 = Finding(
        FindingCode.LOCATION_MISMATCH, Severity.MEDIUM, "m", sheet="TDSheet", row=12, asset_id="A-1"
    )
    assert ledger_findings.finding_identity(f1, first) == ledger_findings.finding_identity(
        f2, later
    )
    assert ledger_findings.finding_identity(f1, first) == "LOCATION_MISMATCH|inv:BM0012|asset:A-1"


def test_identity_falls_back_to_the_serial_and_to_the_asset_alone() -> None:
    row = BookRow(sheet="S", row=3, serial="czj-1234 abc")
    f = Finding(FindingCode.SERIAL_MISMATCH, Severity.LOW, "m", sheet="S", row=3, asset_id="A-9")
    assert ledger_findings.finding_identity(f, row) == "SERIAL_MISMATCH|sn:CZJ1234ABC|asset:A-9"
    orphan = Finding(FindingCode.MISSING_IN_BOOKS, Severity.HIGH, "m", asset_id="A-200")
    assert ledger_findings.finding_identity(orphan, None) == "MISSING_IN_BOOKS|asset:A-200"


def test_recording_a_run_stores_counts_and_one_row_per_finding_and_redoing_it_replaces(
    conn,
) -> None:
    rows = [BookRow(sheet="S", row=i, inventory_number=f"INV-{i}") for i in range(5, 11)]
    findings = [
        Finding(
            FindingCode.COST_MISMATCH,
            Severity.MEDIUM,
            "cost",
            sheet="S",
            row=5,
            amount=Decimal("10.5"),
        ),
        Finding(FindingCode.MISSING_IN_BOOKS, Severity.HIGH, "not on books", asset_id="A-7"),
    ]
    result = make_result("run-1", rows, findings, "abc")
    ledger_runs.start_run(
        conn, "run-1", file_id=None, file_name="r.xlsx", folder="msk", sha256="abc"
    )
    ledger_runs.record_result(conn, result, run_dir=Path("/out/run-1"))
    ledger_runs.record_result(
        conn, result, run_dir=Path("/out/run-1")
    )  # a resumed child repeats it
    run = ledger_runs.get_run(conn, "run-1")
    assert run is not None
    assert (run.outcome, run.rows, run.matched, run.review, run.unmatched) == (
        "complete",
        6,
        2,
        2,
        2,
    )
    assert (run.findings, run.run_dir, run.report_date) == (2, "/out/run-1", "2026-09-30")
    stored = conn.all(
        "SELECT identity, inventory_number, amount FROM findings WHERE run_id = 'run-1' ORDER BY id"
    )
    assert [(r["identity"], r["inventory_number"], r["amount"]) for r in stored] == [
        ("COST_MISMATCH|inv:INV5", "INV-5", 10.5),
        ("MISSING_IN_BOOKS|asset:A-7", None, None),
    ]


def test_the_same_content_points_to_the_latest_complete_earlier_run(conn) -> None:
    first = ledger_files.add_file(conn, "a.xlsx", "msk", "2026-11-01T10:00:00+00:00")
    ledger_files.update_file(conn, first, state="archived", sha256="same")
    ledger_runs.start_run(
        conn, "r1", file_id=first, file_name="a.xlsx", folder="msk", sha256="same"
    )
    assert ledger_runs.earlier_run(conn, "same", excluding_file=99) is None  # still running
    ledger_runs.record_result(conn, make_result("r1", [], [], "same"), run_dir=Path("/o/r1"))
    again = ledger_files.add_file(conn, "a (copy).xlsx", "msk", "2026-11-02T10:00:00+00:00")
    assert ledger_runs.earlier_run(conn, "same", excluding_file=again) == {
        "run_id": "r1",
        "received_at": "2026-11-01T10:00:00+00:00",
    }
    assert ledger_runs.earlier_run(conn, "same", excluding_file=first) is None
    assert ledger_runs.earlier_run(conn, "other", excluding_file=again) is None


def test_unfinished_files_are_those_not_final_or_not_yet_notified(conn) -> None:
    work = Path("/state/work")
    a, b, c = (ledger_files.add_file(conn, f"{n}.xlsx", "", "t") for n in "abc")
    for file_id in (a, b, c):
        ledger_files.update_file(conn, file_id, claimed_as=f"{work}/{file_id}__x.xlsx")
    ledger_files.update_file(conn, b, state="archived")
    ledger_files.update_file(conn, c, state="quarantined")
    ledger_files.mark_notified(conn, c)
    assert ledger_files.unfinished_files(conn, work) == [a, b]


def test_an_instance_resumes_only_the_files_in_its_own_work_folder(conn) -> None:
    """Two machines share the ledger, each claims into a work folder of its own: a file in
    the other's hands is not this one's to finish (it cannot even see the file)."""
    mine = ledger_files.add_file(conn, "a.xlsx", "", "t")
    theirs = ledger_files.add_file(conn, "b.xlsx", "", "t")
    ledger_files.update_file(conn, mine, claimed_as="/srv/a/state/work/1__a.xlsx")
    ledger_files.update_file(conn, theirs, claimed_as="/srv/a/state/work2/2__b.xlsx")
    assert ledger_files.unfinished_files(conn, Path("/srv/a/state/work")) == [mine]
    assert ledger_files.unfinished_files(conn, Path("/srv/a/state/work2")) == [theirs]


def test_a_lost_claim_is_forgotten_but_a_claimed_file_never_is(conn) -> None:
    a = ledger_files.add_file(conn, "a.xlsx", "", "t")
    b = ledger_files.add_file(conn, "b.xlsx", "", "t")
    ledger_files.update_file(conn, b, state="claimed")
    ledger_files.forget_file(conn, a)
    ledger_files.forget_file(conn, b)
    assert ledger_files.get_file(conn, a) is None
    assert ledger_files.get_file(conn, b) is not None


def test_a_cli_run_is_recorded_as_a_final_file_with_its_run(conn, tmp_path: Path) -> None:
    source = tmp_path / "r.xlsx"
    source.write_bytes(b"x" * 10)
    result = make_result("cli-1", [BookRow(sheet="S", row=2, serial="SN1")], [], "h")
    file_id = ledger_runs.record_cli_run(
        conn, result, run_id="cli-1", path=source, file_name="r.xlsx"
    )
    row = ledger_files.get_file(conn, file_id)
    assert row is not None
    assert (row.state, row.size, row.sha256, row.run_id) == (
        "archived",
        10,
        "h",
        "cli-1",
    )
    assert ledger_files.unfinished_files(conn, source.parent) == []  # final where it lies
    run = ledger_runs.get_run(conn, "cli-1")
    assert run is not None and run.outcome == "complete" and run.file_id == file_id
    bad = ledger_runs.record_cli_run(
        conn, None, run_id="cli-2", path=source, file_name="r.xlsx", error="not a workbook"
    )
    run = ledger_runs.get_run(conn, "cli-2")
    assert run is not None and (run.outcome, run.error) == ("failed", "not a workbook")
    assert getattr(ledger_files.get_file(conn, bad), "state", None) == "quarantined"


def test_reconciler_run_records_the_file_the_run_and_every_finding(tmp_path: Path) -> None:
    """`reconciler run` on the demo workspace's 1C register leaves the service's trace."""
    ws = tmp_path / "ws"
    write_demo_workspace(ws, seed=7, rows=20)
    [register] = [p for p in (ws / "inbox").rglob("*") if p.is_file()]
    out = CliRunner().invoke(cli, ["run", str(register), "--config", str(ws / "config.yaml")])
    assert out.exit_code == 1, out.output  # the demo plants discrepancies
    doc = json.loads((Path(out.output.strip().splitlines()[-1]) / "results.json").read_text())
    conn = ledger_schema.connect(ws / "state" / "ledger.sqlite")
    try:
        [file] = [ledger_files.FileRecord.of(r) for r in conn.all("SELECT * FROM files")]
        assert (file.name, file.state, file.run_id) == (
            register.name,
            "archived",
            doc["run_id"],
        )
        run = ledger_runs.get_run(conn, doc["run_id"])
        assert run is not None and run.outcome == "complete"
        assert (run.rows, run.findings) == (20, len(doc["findings"]))
        codes = [r["code"] for r in conn.all("SELECT code FROM findings ORDER BY id")]
        assert codes == [f["code"] for f in doc["findings"]]
    finally:
        conn.close()


def _open_and_add(path: str, start: float, index: int) -> int:
    """In a child process: wait for the common start moment, open the ledger, add a file."""
    import time

    while time.time() < start:
        pass
    conn = ledger_schema.connect(Path(path))
    try:
        return ledger_files.add_file(conn, f"f{index}.xlsx", "", ledger_db.utcnow())
    finally:
        conn.close()


def test_instances_that_open_a_new_ledger_at_the_same_moment_all_succeed(tmp_path: Path) -> None:
    import multiprocessing
    import time

    path = tmp_path / "state" / "ledger.sqlite"
    start = time.time() + 1.0
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        ids = pool.starmap(_open_and_add, [(str(path), start, i) for i in range(6)])
    assert sorted(ids) == [1, 2, 3, 4, 5, 6]
    conn = ledger_schema.connect(path)
    assert conn.value("PRAGMA journal_mode") == "wal"
    assert conn.value("SELECT count(*) AS n FROM files") == 6


def test_a_number_sign_before_an_inventory_number_does_not_change_its_key() -> None:
    assert (
        ledger_findings.normalize_key("№ 00-12 3")
        == ledger_findings.normalize_key("00123")
        == "00123"
    )
    assert ledger_findings.normalize_key("ВА-000123") == ledger_findings.normalize_key("BA000123")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x4FF) | st.sampled_from("№²ǅß١"), max_size=14))
def test_a_key_is_its_text_folded_letters_and_digits_only_ascii_or_not(text: str) -> None:
    """Keys link findings across months of runs: the shortcut for ASCII keys must give what
    the fold as written gives (NFKC, upper case, look-alikes, letters and digits only)."""
    lookalikes = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
    folded = unicodedata.normalize("NFKC", text.replace("№", " ")).upper().translate(lookalikes)
    assert ledger_findings.normalize_key(text) == "".join(c for c in folded if c.isalnum())


def test_ledger_copy_moves_a_sqlite_ledger_into_postgresql_with_every_count_checked(
    tmp_path: Path, postgres_admin: str
) -> None:
    """The demo's run in SQLite, copied with `reconciler ledger copy`: the same files, runs,
    findings and emails in PostgreSQL, ids kept, and new rows numbered after the copied ones;
    a second copy onto the now used ledger is refused."""
    from postgres_server import fresh_database

    ws = tmp_path / "ws"
    write_demo_workspace(ws, seed=7, rows=20)
    [register] = [p for p in (ws / "inbox").rglob("*") if p.is_file()]
    config = str(ws / "config.yaml")
    assert CliRunner().invoke(cli, ["run", str(register), "--config", config]).exit_code == 1
    databases = fresh_database(postgres_admin)
    url = next(databases)
    try:
        out = CliRunner().invoke(cli, ["ledger", "copy", "--to", url, "--config", config])
        assert out.exit_code == 0, out.output
        with ledger_schema.connect(ws / "state" / "ledger.sqlite") as src:
            counts = {t: src.value(f"SELECT count(*) FROM {t}") for t in ledger_schema.TABLES}
            emails = [r["message_id"] for r in src.all("SELECT message_id FROM emails")]
        assert counts["files"] == 1 and counts["findings"] > 0 and counts["emails"] == 2
        for table, n in counts.items():
            assert f"{table} " in out.output and out.output.count(f"{n:>8} -> {n:>8}") >= 1
        with ledger_schema.connect(tmp_path / "unused.sqlite", url) as dst:
            assert {t: dst.value(f"SELECT count(*) FROM {t}") for t in ledger_schema.TABLES} == (
                counts
            )
            assert [r["message_id"] for r in dst.all("SELECT message_id FROM emails")] == emails
            assert ledger_files.add_file(dst, "next.xlsx", "", "t") == 2  # after the copied one
        again = CliRunner().invoke(cli, ["ledger", "copy", "--to", url, "--config", config])
        assert again.exit_code == 2 and "не пуст (есть строки в files" in again.output
    finally:
        databases.close()


def test_ledger_migrate_reports_the_schema_version_of_a_new_ledger(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write_demo_workspace(ws, seed=7, rows=5)
    out = CliRunner().invoke(cli, ["ledger", "migrate", "--config", str(ws / "config.yaml")])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[-1].endswith(f"schema version {ledger_schema.LATEST}")
    assert (ws / "state" / "ledger.sqlite").is_file()


def test_two_instances_never_take_the_same_queued_message(ledger_url: str, tmp_path: Path) -> None:
    """Two connections (two instances) take due messages in turns: each message once."""
    path = tmp_path / "state" / "ledger.sqlite"
    with ledger_schema.connect(path, ledger_url) as a, ledger_schema.connect(path, ledger_url) as b:
        for i in range(6):
            ledger_emails.add_queued(
                a, run_id=None, kind="test", message_id=f"<m{i}>", recipients="[]",
                subject="s", eml_path="x", now="2026-01-01T00:00:00+00:00",
                deadline="2026-01-02T00:00:00+00:00",
            )  # fmt: skip
        up_to = ledger_emails.last_id(a)
        taken = []
        for db in (a, b, a, b, a, b, a, b):
            row = ledger_emails.take_due(db, "2026-01-01T00:00:00+00:00", "2026-01-01T01:00", up_to)
            if row is not None:
                taken.append(row.message_id)
        assert sorted(taken) == [f"<m{i}>" for i in range(6)]
