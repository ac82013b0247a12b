"""The audit pack: figures across runs from a real SQLite ledger, the xlsx, the html, the
schedule's catch-up. Ledgers are built with plain SQL, as the service would leave them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from reconciler.audit.figures import (
    AuditFigures,
    Episode,
    Period,
    compute_audit,
    episodes_of_series,
    read_occurrences,
    read_runs,
)
from reconciler.audit.pack import (
    choose_period,
    last_fired,
    run_scheduled,
    scheduled_period,
    write_audit_pack,
)
from reconciler.config import Config, InventoryConfig, LedgerConfig
from reconciler.errors import InputError
from reconciler.ledger import schema as ledger_schema
from reconciler.ledger.db import Ledger, Row

PERIOD = Period(date(2026, 9, 15), date(2026, 11, 20))
EVIL_PLACE = "<b>Склад</b> & Co"
EVIL_PERSON = '=HYPERLINK("http://evil.example","x")'


def add_run(
    conn: Ledger,
    run_id: str,
    folder: str,
    started_at: str,
    outcome: str = "complete",
    counts: tuple[int, int, int, int] = (0, 0, 0, 0),
    findings: list[dict[str, object]] | None = None,
) -> None:
    """One file, its run and its findings, as the service records them."""
    rows, matched, review, unmatched = counts
    findings = findings or []
    with conn.transaction():
        file_id = conn.insert(
            "INSERT INTO files (name, folder, received_at, state) VALUES (?, ?, ?, 'done') "
            "RETURNING id",
            (f"{run_id}.xlsx", folder, started_at),
        )
        conn.execute(
            "INSERT INTO runs (id, file_id, file_name, folder, started_at, finished_at, outcome,"
            " rows, matched, review, unmatched, findings, run_dir)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                file_id,
                f"{run_id}.xlsx",
                folder,
                started_at,
                started_at,
                outcome,
                rows,
                matched,
                review,
                unmatched,
                len(findings),
                f"outbox/{run_id}",
            ),
        )
        for f in findings:
            conn.execute(
                "INSERT INTO findings (run_id, identity, code, severity, sheet, row, asset_id,"
                " inventory_number, serial, location, custodian, amount, message, accepted)"
                " VALUES (?, ?, ?, 'medium', 'TDSheet', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    f["identity"],
                    f["code"],
                    f.get("row"),
                    f.get("asset_id"),
                    f.get("inventory_number"),
                    f.get("serial"),
                    f.get("location"),
                    f.get("custodian"),
                    f.get("amount"),
                    f.get("message", f"{f['code']} planted"),
                    int(bool(f.get("accepted", False))),
                ),
            )


LOC = {
    "identity": "LOCATION_MISMATCH|INV-001|A-1",
    "code": "LOCATION_MISMATCH",
    "row": 7,
    "asset_id": "A-1",
    "inventory_number": "INV-001",
    "location": "Москва, каб. 101",
    "custodian": "Иванов И.И.",
    "amount": 120000.0,
}
SURPLUS_MSK = {
    "identity": "MISSING_IN_BOOKS|A-77",
    "code": "MISSING_IN_BOOKS",
    "asset_id": "A-77",
    "serial": "CZJ1234ABC",
    "location": "Москва, серверная",
    "custodian": "Петров П.П.",
    "amount": 250000.5,
}
ACCEPTED = {
    "identity": "CUSTODIAN_MISMATCH|INV-009|A-9",
    "code": "CUSTODIAN_MISMATCH",
    "row": 9,
    "asset_id": "A-9",
    "location": "Москва, каб. 101",
    "custodian": "Иванов И.И.",
    "amount": 30000.0,
    "accepted": True,
}
SHORT_050 = {
    "identity": "MISSING_IN_INVENTORY|INV-050",
    "code": "MISSING_IN_INVENTORY",
    "row": 20,
    "inventory_number": "INV-050",
    "location": "Москва, склад",
    "custodian": "Сидоров С.С.",
    "amount": 80000.0,
}
SHORT_051 = {**SHORT_050, "identity": "MISSING_IN_INVENTORY|INV-051", "row": 21}
SHORT_051.update(inventory_number="INV-051", amount=45000.25)
COST = {
    "identity": "COST_MISMATCH|INV-003|A-3",
    "code": "COST_MISMATCH",
    "row": 11,
    "asset_id": "A-3",
    "location": "Москва, каб. 101",
    "custodian": "Иванов И.И.",
    "amount": 15000.0,
}
SURPLUS_SPB = {
    "identity": "MISSING_IN_BOOKS|B-5",
    "code": "MISSING_IN_BOOKS",
    "asset_id": "B-5",
    "location": EVIL_PLACE,
    "custodian": EVIL_PERSON,
    "amount": 60000.0,
    "message": "<script>alert(1)</script>",
}
SHORT_SPB = {
    "identity": "MISSING_IN_INVENTORY|INV-700",
    "code": "MISSING_IN_INVENTORY",
    "row": 5,
    "inventory_number": "INV-700",
    "location": "СПб, офис",
    "custodian": None,
    "amount": 10000.0,
}


def plant_two_departments(conn: Ledger) -> None:
    """moscow: monthly complete runs on 31 Aug, 30 Sep, 31 Oct (+ a failed run on 15 Oct and a
    clean run on 25 Nov, after the audited period):
      - LOCATION_MISMATCH INV-001 (120 000) in run 1 only: fixed by run 2;
      - MISSING_IN_BOOKS A-77 (250 000.50, серверная, Петров) in every run: stays open;
      - CUSTODIAN_MISMATCH INV-009 accepted by a reviewer, in every run;
      - MISSING_IN_INVENTORY INV-050 (80 000, склад, Сидоров) from run 1, INV-051 (45 000.25,
        same place and person) from run 2: both stay open;
      - COST_MISMATCH INV-003 (15 000) new in run 3.
    spb: complete runs on 10 Oct and 10 Nov, a quarantined file on 12 Nov:
      - MISSING_IN_BOOKS B-5 (60 000) whose place, person and message hold html and a formula;
      - MISSING_IN_INVENTORY INV-700 (10 000, no custodian) new in the second run.
    """
    add_run(conn, "m1", "moscow", "2026-08-31T10:00:00+00:00", counts=(50, 45, 3, 2),
            findings=[LOC, SURPLUS_MSK, ACCEPTED, SHORT_050])  # fmt: skip
    add_run(conn, "m2", "moscow", "2026-09-30T10:00:00+00:00", counts=(50, 47, 2, 1),
            findings=[SURPLUS_MSK, ACCEPTED, SHORT_050, SHORT_051])  # fmt: skip
    add_run(conn, "m-failed", "moscow", "2026-10-15T10:00:00+00:00", outcome="failed")
    add_run(conn, "m3", "moscow", "2026-10-31T10:00:00+00:00", counts=(52, 48, 2, 2),
            findings=[SURPLUS_MSK, ACCEPTED, SHORT_050, SHORT_051, COST])  # fmt: skip
    add_run(conn, "m4", "moscow", "2026-11-25T10:00:00+00:00", counts=(52, 52, 0, 0))
    add_run(conn, "s1", "spb", "2026-10-10T09:00:00+00:00", counts=(20, 20, 0, 0),
            findings=[SURPLUS_SPB])  # fmt: skip
    add_run(conn, "s2", "spb", "2026-11-10T09:00:00+00:00", counts=(20, 18, 1, 1),
            findings=[SURPLUS_SPB, SHORT_SPB])  # fmt: skip
    add_run(conn, "s-quarantined", "spb", "2026-11-12T09:00:00+00:00", outcome="quarantined")


@pytest.fixture
def conn(tmp_path: Path, ledger_url: str) -> Ledger:
    """A real ledger (a SQLite file, or a PostgreSQL database) holding the two departments
    of plant_two_departments."""
    connection = ledger_schema.connect(tmp_path / "state" / "ledger.sqlite", ledger_url)
    plant_two_departments(connection)
    return connection


@pytest.fixture
def config(tmp_path: Path, ledger_url: str) -> Config:
    """A config whose outbox and state are under tmp_path (no inventory is read by audits),
    on the same ledger as `conn`."""
    return Config(
        inventory=InventoryConfig(path=tmp_path / "inventory.xlsx"),
        outbox=tmp_path / "outbox",
        state=tmp_path / "state",
        ledger=LedgerConfig(url=ledger_url),
    )


@pytest.fixture
def figures(conn: Ledger) -> AuditFigures:
    return compute_audit(conn, PERIOD)


def identities(episodes: list[Episode]) -> list[str]:
    return sorted(e.identity for e in episodes)


# --- figures ------------------------------------------------------------------------------


def test_runs_files_rows_and_match_rates_per_department(figures: AuditFigures) -> None:
    moscow, spb = figures.departments
    assert moscow.folder == "moscow"
    assert (moscow.runs, moscow.runs_complete, moscow.runs_failed) == (3, 2, 1)
    assert moscow.files == 3  # 30 Sep, 15 Oct, 31 Oct; 31 Aug and 25 Nov are outside
    assert (moscow.rows, moscow.matched, moscow.review, moscow.unmatched) == (102, 95, 4, 3)
    assert moscow.match_rate == 93.1  # 95 / 102
    assert (spb.runs, spb.runs_complete, spb.runs_quarantined, spb.files) == (3, 2, 1, 3)
    assert (spb.rows, spb.matched, spb.match_rate) == (40, 38, 95.0)


def test_overall_adds_up_the_departments(figures: AuditFigures) -> None:
    o = figures.overall
    assert (o.runs, o.runs_complete, o.runs_failed, o.runs_quarantined, o.files) == (6, 4, 1, 1, 6)
    assert (o.rows, o.matched, o.match_rate) == (142, 133, 93.7)


def test_a_fixed_finding_is_resolved_at_the_first_run_without_it(figures: AuditFigures) -> None:
    moscow = figures.departments[0]
    assert identities(moscow.resolved) == ["LOCATION_MISMATCH|INV-001|A-1"]
    (fixed,) = moscow.resolved
    assert fixed.first_seen.date() == date(2026, 8, 31)
    assert fixed.resolved_at is not None and fixed.resolved_at.date() == date(2026, 9, 30)
    assert fixed.runs_seen == 1
    assert moscow.resolved_value == Decimal("120000.00")


def test_opened_counts_only_findings_first_seen_in_the_period(figures: AuditFigures) -> None:
    moscow, spb = figures.departments
    assert identities(moscow.opened) == [
        "COST_MISMATCH|INV-003|A-3",
        "MISSING_IN_INVENTORY|INV-051",
    ]
    assert moscow.opened_value == Decimal("60000.25")
    assert identities(spb.opened) == ["MISSING_IN_BOOKS|B-5", "MISSING_IN_INVENTORY|INV-700"]
    assert figures.overall.opened_value == Decimal("130000.25")


def test_still_open_findings_with_runs_seen_and_age_at_the_period_end(
    figures: AuditFigures,
) -> None:
    end = PERIOD.end
    seen = {
        e.identity: (e.runs_seen, e.age_days(end), e.amount) for e in figures.overall.still_open
    }
    assert seen == {
        "MISSING_IN_BOOKS|A-77": (3, 81, Decimal("250000.50")),  # 31 Aug -> 20 Nov
        "MISSING_IN_INVENTORY|INV-050": (3, 81, Decimal("80000.00")),
        "MISSING_IN_INVENTORY|INV-051": (2, 51, Decimal("45000.25")),  # 30 Sep
        "COST_MISMATCH|INV-003|A-3": (1, 20, Decimal("15000.00")),  # 31 Oct
        "MISSING_IN_BOOKS|B-5": (2, 41, Decimal("60000.00")),  # 10 Oct
        "MISSING_IN_INVENTORY|INV-700": (1, 10, Decimal("10000.00")),  # 10 Nov
    }
    assert figures.departments[0].open_value == Decimal("390000.75")
    assert figures.overall.open_value == Decimal("460000.75")


def test_accepted_findings_are_counted_apart_not_as_open(figures: AuditFigures) -> None:
    o = figures.overall
    assert identities(o.accepted) == ["CUSTODIAN_MISMATCH|INV-009|A-9"]
    everything = o.opened + o.resolved + o.still_open
    assert "CUSTODIAN_MISMATCH|INV-009|A-9" not in identities(everything)


def test_a_run_after_the_period_does_not_resolve_anything_in_it(figures: AuditFigures) -> None:
    # m4 on 25 Nov has no findings at all; at --to 20 Nov everything above is still open.
    assert len(figures.overall.still_open) == 6
    assert len(figures.overall.resolved) == 1


def test_a_failed_run_resolves_nothing(conn: Ledger) -> None:
    runs = read_runs(conn, date(2026, 10, 20), "moscow")
    episodes = episodes_of_series(runs, read_occurrences(conn, [r.id for r in runs]))
    assert not any(e.resolved_run == "m-failed" for e in episodes)


def test_a_finding_that_comes_back_opens_a_new_episode(tmp_path: Path) -> None:
    connection = ledger_schema.connect(tmp_path / "ledger.sqlite")
    add_run(connection, "r1", "kazan", "2026-10-01T08:00:00+00:00", findings=[COST])
    add_run(connection, "r2", "kazan", "2026-10-08T08:00:00+00:00")
    add_run(connection, "r3", "kazan", "2026-10-15T08:00:00+00:00", findings=[COST])
    f = compute_audit(connection, Period(date(2026, 10, 1), date(2026, 10, 31)))
    (kazan,) = f.departments
    assert len(kazan.opened) == 2
    assert len(kazan.resolved) == 1
    assert [e.first_seen.day for e in kazan.still_open] == [15]


def test_breakdown_by_code_with_values_and_oldest_age(figures: AuditFigures) -> None:
    by_code = {
        b.key: (
            *(b.opened, b.opened_value, b.resolved, b.resolved_value),
            *(b.still_open, b.open_value, b.oldest_days),
        )
        for b in figures.by_code
    }
    assert by_code == {
        "MISSING_IN_BOOKS": (1, Decimal("60000.00"), 0, 0, 2, Decimal("310000.50"), 81),
        "MISSING_IN_INVENTORY": (2, Decimal("55000.25"), 0, 0, 3, Decimal("135000.25"), 81),
        "COST_MISMATCH": (1, Decimal("15000.00"), 0, 0, 1, Decimal("15000.00"), 20),
        "LOCATION_MISMATCH": (0, 0, 1, Decimal("120000.00"), 0, 0, None),
    }


def test_breakdown_by_location_and_custodian(figures: AuditFigures) -> None:
    by_place = {b.key: (b.still_open, b.open_value) for b in figures.by_location}
    assert by_place["Москва, склад"] == (2, Decimal("125000.25"))
    assert by_place["Москва, каб. 101"] == (1, Decimal("15000.00"))  # COST open; LOC resolved
    by_person = {b.key: (b.resolved, b.still_open, b.open_value) for b in figures.by_custodian}
    assert by_person["Иванов И.И."] == (1, 1, Decimal("15000.00"))
    assert by_person[None] == (0, 1, Decimal("10000.00"))


def test_comparison_statement_of_surpluses_and_shortages(figures: AuditFigures) -> None:
    lines = [
        (
            *(c.folder, c.location, c.custodian),
            *(c.surplus_count, c.surplus_value, c.shortage_count, c.shortage_value),
        )
        for c in figures.comparison
    ]
    assert lines == [
        ("moscow", "Москва, серверная", "Петров П.П.", 1, Decimal("250000.50"), 0, 0),
        ("moscow", "Москва, склад", "Сидоров С.С.", 0, 0, 2, Decimal("125000.25")),
        ("spb", EVIL_PLACE, EVIL_PERSON, 1, Decimal("60000.00"), 0, 0),
        ("spb", "СПб, офис", None, 0, 0, 1, Decimal("10000.00")),
    ]
    s = figures.comparison_totals
    assert (s.surplus_count, s.surplus_value) == (2, Decimal("310000.50"))
    assert (s.shortage_count, s.shortage_value) == (3, Decimal("135000.25"))


def test_trend_counts_open_findings_of_each_run_in_the_period(figures: AuditFigures) -> None:
    assert [(p.run_id, p.open_findings) for p in figures.trend] == [
        ("m2", 3),  # A-77, INV-050, INV-051; the accepted one is not counted
        ("s1", 1),
        ("m3", 4),
        ("s2", 2),
    ]


def test_one_department_only(conn: Ledger) -> None:
    f = compute_audit(conn, PERIOD, folder="spb")
    assert [d.folder for d in f.departments] == ["spb"]
    assert f.overall.runs == 3
    assert len(f.overall.still_open) == 2


def test_an_empty_ledger_gives_an_empty_pack_not_an_error(tmp_path: Path, config: Config) -> None:
    connection = ledger_schema.connect(tmp_path / "empty.sqlite")
    pack = write_audit_pack(connection, config, PERIOD)
    assert pack.figures.overall.runs == 0
    assert pack.figures.overall.match_rate is None
    assert pack.xlsx.exists() and pack.html.exists()


# --- the period ---------------------------------------------------------------------------


def test_the_default_period_is_thirty_days_to_today() -> None:
    assert choose_period(None, None, date(2026, 11, 24)) == Period(
        date(2026, 10, 25), date(2026, 11, 24)
    )
    assert choose_period(None, date(2026, 3, 1), date(2026, 11, 24)).start == date(2026, 1, 30)


def test_from_after_to_is_bad_input_naming_both() -> None:
    with pytest.raises(InputError, match="--from 2026-12-01 is after --to 2026-11-01"):
        choose_period(date(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 24))


# --- the workbook and the page ------------------------------------------------------------


def sheet_rows(path: Path, title: str) -> list[tuple[object, ...]]:
    wb = openpyxl.load_workbook(path)
    return [r for r in wb[title].iter_rows(min_row=6, values_only=True)]


def test_the_pack_is_named_by_period_and_written_into_outbox_audit(
    conn: Ledger, config: Config
) -> None:
    pack = write_audit_pack(conn, config, PERIOD)
    assert pack.xlsx == config.outbox / "audit" / "audit-2026-09-15-2026-11-20.xlsx"
    assert pack.html == config.outbox / "audit" / "audit-2026-09-15-2026-11-20.html"
    assert sorted(p.name for p in pack.xlsx.parent.iterdir()) == [
        "audit-2026-09-15-2026-11-20.html",
        "audit-2026-09-15-2026-11-20.xlsx",
    ]  # no temporary file left behind


def test_the_workbook_holds_the_summary_and_comparison_figures(
    conn: Ledger, config: Config
) -> None:
    pack = write_audit_pack(conn, config, PERIOD)
    summary = sheet_rows(pack.xlsx, "Сводка")
    moscow, spb, overall = summary
    # department, runs, complete, failed, quarantined, files, rows, matched, review, unmatched,
    # match rate, opened, value, resolved, value, still open, value, accepted
    assert moscow == ("moscow", 3, 2, 1, 0, 3, 102, 95, 4, 3, 93.1, 2, 60000.25, 1, 120000,
                      4, 390000.75, 1)  # fmt: skip
    assert spb[:11] == ("spb", 3, 2, 0, 1, 3, 40, 38, 1, 1, 95)
    assert overall[0] == "Все подразделения"
    assert overall[16] == 460000.75
    comparison = sheet_rows(pack.xlsx, "Сличительная ведомость")
    assert comparison[1] == ("moscow", "Москва, склад", "Сидоров С.С.", 0, 0, 2, 125000.25)
    assert comparison[3] == ("spb", "СПб, офис", "(не указано)", 0, 0, 1, 10000)
    assert comparison[-1] == ("Итого", None, None, 2, 310000.5, 3, 135000.25)


def test_the_workbook_lists_open_findings_oldest_first_with_age(
    conn: Ledger, config: Config
) -> None:
    pack = write_audit_pack(conn, config, PERIOD)
    rows = sheet_rows(pack.xlsx, "Неустранённые")
    # department, code, location, custodian, inv no, serial, asset, first seen, resolved,
    # runs seen, age, value, ...
    assert [(r[1], r[10], r[11]) for r in rows] == [
        ("MISSING_IN_BOOKS", 81, 250000.5),
        ("MISSING_IN_INVENTORY", 81, 80000),
        ("MISSING_IN_INVENTORY", 51, 45000.25),
        ("MISSING_IN_BOOKS", 41, 60000),
        ("COST_MISMATCH", 20, 15000),
        ("MISSING_IN_INVENTORY", 10, 10000),
    ]


def test_untrusted_text_is_never_a_formula_in_the_workbook(conn: Ledger, config: Config) -> None:
    pack = write_audit_pack(conn, config, PERIOD)
    ws = openpyxl.load_workbook(pack.xlsx)["Сличительная ведомость"]
    cell = ws.cell(row=8, column=3)
    assert cell.value == EVIL_PERSON
    assert cell.data_type == "s"


def test_the_trend_is_a_native_line_chart_over_the_runs(conn: Ledger, config: Config) -> None:
    pack = write_audit_pack(conn, config, PERIOD)
    ws = openpyxl.load_workbook(pack.xlsx)["Динамика"]
    assert [c.value for c in ws[5]][:3] == ["Дата", "moscow", "spb"]
    assert [r for r in ws.iter_rows(min_row=6, values_only=True)] == [
        ("2026-09-30 10:00", 3, None),
        ("2026-10-10 09:00", None, 1),
        ("2026-10-31 10:00", 4, None),
        ("2026-11-10 09:00", None, 2),
    ]
    # openpyxl reads charts back only through the drawing part: check the xml holds a lineChart.
    import zipfile

    with zipfile.ZipFile(pack.xlsx) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode("utf-8")
    assert "<lineChart>" in xml
    assert xml.count("<ser>") == 2  # one line per department
    assert '<dispBlanksAs val="span"/>' in xml
    # A one-point series shows (a marker), and no line is smoothed below the data.
    assert xml.count('<symbol val="circle"/>') == 2
    assert xml.count('<smooth val="0"/>') >= 2 and '<smooth val="1"/>' not in xml


def test_the_html_shows_the_figures_and_escapes_what_came_from_files(
    conn: Ledger, config: Config
) -> None:
    pack = write_audit_pack(conn, config, PERIOD)
    page = pack.html.read_text(encoding="utf-8")
    assert "390\u00a0000,75" in page  # moscow's value still open
    assert "460\u00a0000,75" in page
    assert '<td class="n">93,1</td>' in page  # moscow's match rate, Russian decimal comma
    assert "&lt;b&gt;Склад&lt;/b&gt; &amp; Co" in page
    assert "<b>Склад</b>" not in page
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<svg" in page and page.count("<polyline") == 2


def test_the_pack_in_english(conn: Ledger, config: Config) -> None:
    config.report.language = "en"
    pack = write_audit_pack(conn, config, PERIOD)
    assert "Comparison statement" in openpyxl.load_workbook(pack.xlsx).sheetnames
    page = pack.html.read_text(encoding="utf-8")
    assert "390,000.75" in page and "Still open" in page and ">93.1<" in page


# --- email and the schedule ---------------------------------------------------------------


@pytest.fixture
def mailing_config(config: Config) -> Config:
    """config with two auditors, a monthly schedule and the file transport (.eml on disk)."""
    config.mail.auditors = ["audit@corp.ru", "cfo@corp.ru"]
    config.audit.schedule = "0 8 1 * *"
    return config


def audit_emails(conn: Ledger) -> list[Row]:
    return conn.all("SELECT * FROM emails WHERE kind = 'audit' ORDER BY id")


def test_the_schedule_is_armed_on_first_start_without_sending(
    conn: Ledger, mailing_config: Config
) -> None:
    assert run_scheduled(conn, mailing_config, datetime(2026, 11, 24, 12, tzinfo=UTC)) is None
    assert last_fired(conn) == datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert audit_emails(conn) == []


def test_downtime_over_several_fire_times_is_caught_up_exactly_once(
    conn: Ledger, mailing_config: Config
) -> None:
    run_scheduled(conn, mailing_config, datetime(2026, 8, 20, 12, tzinfo=UTC))  # armed
    # Down from 20 Aug to 24 Nov: 1 Sep, 1 Oct and 1 Nov were missed.
    ticks = [datetime(2026, 11, 24, 12, m, tzinfo=UTC) for m in range(0, 50, 10)]
    written = [run_scheduled(conn, mailing_config, now) for now in ticks]
    assert written[0] == mailing_config.outbox / "audit" / "audit-2026-10-01-2026-10-31.xlsx"
    assert written[1:] == [None] * 4
    (mail,) = audit_emails(conn)
    assert mail["state"] == "sent"  # the file transport delivers by writing the .eml
    assert '"audit@corp.ru"' in mail["recipients"]
    assert last_fired(conn) == datetime(2026, 11, 1, 8, tzinfo=UTC)
    # The next fire time sends the next pack, once.
    assert run_scheduled(conn, mailing_config, datetime(2026, 12, 1, 7, 59, tzinfo=UTC)) is None
    later = run_scheduled(conn, mailing_config, datetime(2026, 12, 1, 8, 0, 30, tzinfo=UTC))
    assert later is not None and later.name == "audit-2026-11-01-2026-11-30.xlsx"
    assert len(audit_emails(conn)) == 2


def test_the_scheduled_mail_carries_both_files(conn: Ledger, mailing_config: Config) -> None:
    run_scheduled(conn, mailing_config, datetime(2026, 10, 20, tzinfo=UTC))
    run_scheduled(conn, mailing_config, datetime(2026, 11, 21, tzinfo=UTC))
    (mail,) = audit_emails(conn)
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(Path(mail["eml_path"]).read_bytes())
    names = sorted(part.get_filename() or "" for part in msg.iter_attachments())
    assert names == ["audit-2026-10-01-2026-10-31.html", "audit-2026-10-01-2026-10-31.xlsx"]
    assert "Аудит расхождений" in str(msg["Subject"])


def test_no_schedule_means_nothing_happens(conn: Ledger, config: Config) -> None:
    assert run_scheduled(conn, config, datetime(2026, 11, 24, tzinfo=UTC)) is None
    assert conn.value("SELECT count(*) AS n FROM audit_sends") == 0  # nor armed


def test_a_scheduled_period_runs_from_the_previous_fire_to_the_day_before() -> None:
    fired = datetime(2026, 12, 1, 8, tzinfo=UTC)
    assert scheduled_period("0 8 1 * *", fired) == Period(date(2026, 11, 1), date(2026, 11, 30))
    weekly = datetime(2026, 11, 23, 8, tzinfo=UTC)  # a Monday
    assert scheduled_period("0 8 * * 1", weekly) == Period(date(2026, 11, 16), date(2026, 11, 22))


# --- the command --------------------------------------------------------------------------


def write_config(tmp_path: Path, extra: str = "", ledger_url: str = "") -> Path:
    cfg = tmp_path / "config.yaml"
    ledger = f"ledger: {{url: '{ledger_url}'}}\n" if ledger_url else ""
    cfg.write_text(f"inventory: {{path: inventory.xlsx}}\n{ledger}{extra}", encoding="utf-8")
    return cfg


def test_the_audit_command_prints_the_paths_it_wrote(
    conn: Ledger, tmp_path: Path, ledger_url: str
) -> None:
    from reconciler.cli import cli

    cfg = write_config(tmp_path, ledger_url=ledger_url)
    out = tmp_path / "pack"
    result = CliRunner().invoke(
        cli,
        ["audit", "--config", str(cfg), "--from", "2026-09-15", "--to", "2026-11-20",
         "--folder", "moscow", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [
        str(out / "audit-2026-09-15-2026-11-20.xlsx"),
        str(out / "audit-2026-09-15-2026-11-20.html"),
    ]
    summary = sheet_rows(out / "audit-2026-09-15-2026-11-20.xlsx", "Сводка")
    assert [r[0] for r in summary] == ["moscow", "Все подразделения"]


def test_audit_email_without_auditors_is_a_config_error(tmp_path: Path) -> None:
    from reconciler.cli import cli

    result = CliRunner().invoke(cli, ["audit", "--config", str(write_config(tmp_path)), "--email"])
    assert result.exit_code == 2
    assert "mail.auditors" in result.output


def test_audit_help_states_the_default_period() -> None:
    from reconciler.cli import cli

    result = CliRunner().invoke(cli, ["audit", "--help"])
    assert "default: 30 days before --to" in " ".join(result.output.split())


def test_first_seen_and_resolved_are_real_dates_in_the_workbook(
    conn: Ledger, config: Config
) -> None:
    pack = write_audit_pack(conn, config, PERIOD)
    resolved = sheet_rows(pack.xlsx, "Выявлено и устранено")[-1]
    assert resolved[:3] == ("Устранено", "moscow", "LOCATION_MISMATCH")
    assert resolved[8:10] == (datetime(2026, 8, 31), datetime(2026, 9, 30))


def test_audit_email_queues_and_sends_the_pack_to_the_auditors(
    conn: Ledger, tmp_path: Path, ledger_url: str
) -> None:
    from reconciler.cli import cli

    cfg = write_config(tmp_path, "mail: {auditors: [audit@corp.ru]}\n", ledger_url)
    args = ["audit", "--config", str(cfg), "--to", "2026-11-20", "--email"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[0].endswith("audit-2026-10-21-2026-11-20.xlsx")
    (mail,) = audit_emails(conn)
    assert (mail["state"], mail["recipients"]) == ("sent", '["audit@corp.ru"]')


def test_two_rows_with_one_identity_count_once_in_figures_and_trend(tmp_path: Path) -> None:
    connection = ledger_schema.connect(tmp_path / "ledger.sqlite")
    duplicate = {"identity": "DUPLICATE_ON_BOOKS|INV-9", "code": "DUPLICATE_ON_BOOKS"}
    add_run(connection, "r1", "tver", "2026-10-01T08:00:00+00:00",
            findings=[{**duplicate, "row": 5}, {**duplicate, "row": 6}])  # fmt: skip
    f = compute_audit(connection, Period(date(2026, 10, 1), date(2026, 10, 31)))
    assert len(f.overall.still_open) == 1
    assert [p.open_findings for p in f.trend] == [1]


def test_every_audit_sheet_fits_its_values_filters_and_prints_one_page_wide(
    conn: Ledger, config: Config
) -> None:
    """Before: 10-character columns showed amounts as ### and cut codes, places and messages."""
    pack = write_audit_pack(conn, config, PERIOD)
    wb = openpyxl.load_workbook(pack.xlsx)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows == "$5:$5", ws.title
        for row in ws.iter_rows(min_row=6):
            for cell in row:
                if cell.value is None:
                    continue
                width = ws.column_dimensions[cell.column_letter].width
                if cell.number_format == "#,##0.00":  # amounts never wrap: they must fit
                    assert len(f"{cell.value:,.2f}") * 1.15 + 2 <= width + 0.01, cell.coordinate
                elif isinstance(cell.value, str) and len(cell.value) * 1.15 + 2 > width:
                    assert cell.alignment.wrap_text, (ws.title, cell.coordinate, cell.value)
    findings = wb["Неустранённые"]
    assert findings.auto_filter.ref and findings.auto_filter.ref.startswith("A5:")
    assert findings["A5"].font.b and findings["A5"].font.name


def test_trend_dates_are_one_per_day_never_printed_over_each_other_in_the_readers_format() -> None:
    """Four runs on one day put four '2026-11-24' at nearly one x, printed over each other."""
    from datetime import datetime as dt
    from itertools import pairwise

    from reconciler.audit.figures import TrendPoint
    from reconciler.audit.render import X_LABEL_SPACING, svg_chart
    from reconciler.text.audit import texts

    times = [dt(2026, 11, 24, 9, m) for m in (0, 5, 10, 40)] + [dt(2026, 11, 25, 8, 0)]
    times += [dt(2026, 12, d, 9, 0) for d in range(1, 31)]
    trend = [TrendPoint("moscow", f"r{i}", when, 10 - i % 3) for i, when in enumerate(times)]
    chart = svg_chart(trend, texts("ru"))
    assert chart is not None
    xs = [x for x, _ in chart.x_labels]
    shown = [label for _, label in chart.x_labels]
    assert shown[0] == "24.11.2026" and len(set(shown)) == len(shown)
    assert all(b - a >= X_LABEL_SPACING for a, b in pairwise(xs))


def test_the_trend_scale_ends_on_a_labelled_tick_at_or_above_the_highest_point() -> None:
    from datetime import datetime as dt

    from reconciler.audit.figures import TrendPoint
    from reconciler.audit.render import svg_chart
    from reconciler.text.audit import texts

    trend = [TrendPoint("moscow", "r1", dt(2026, 11, 24, 9), 18)]
    chart = svg_chart(trend, texts("ru"))
    assert chart is not None
    values = [v for _, v in chart.y_ticks]
    assert values[-1] >= 18 and values == sorted(values)
    assert chart.lines[0].dots[0][1] >= min(y for y, _ in chart.y_ticks)  # not above the top


def test_one_person_is_one_line_however_the_name_is_written(tmp_path: Path) -> None:
    """Four shortages at one place, the МОЛ written four ways; a surplus with the person's
    initials first. One line for the shortages, one for the surplus' place, one name."""
    connection = ledger_schema.connect(tmp_path / "state" / "ledger.sqlite")
    spellings = ("Данилова Е. Ю.", "Данилова Е.Ю.", "Данилова Елена Юрьевна", "Е.Ю. Данилова")
    shortages = [
        {**SHORT_050, "identity": f"MISSING_IN_INVENTORY|INV-{i}", "row": 30 + i, "custodian": who}
        for i, who in enumerate(spellings)
    ]
    surplus = {**SURPLUS_MSK, "custodian": "Е. Ю. Данилова"}
    add_run(connection, "d1", "kzn", "2026-10-10T09:00:00+00:00", findings=[*shortages, surplus])
    found = compute_audit(connection, Period(date(2026, 10, 1), date(2026, 10, 31)))
    lines = [(c.location, c.custodian, c.surplus_count, c.shortage_count) for c in found.comparison]
    assert lines == [
        ("Москва, серверная", "Данилова Елена Юрьевна", 1, 0),
        ("Москва, склад", "Данилова Елена Юрьевна", 0, 4),
    ]
    assert [(b.key, b.still_open) for b in found.by_custodian] == [("Данилова Елена Юрьевна", 5)]
