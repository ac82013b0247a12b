"""Email delivery: who gets what, what arrives, and that the queue neither loses nor repeats.

Every SMTP test talks to a real aiosmtpd server on 127.0.0.1 (tests/smtp_server.py). Time is
injected into send_due, so retries and deadlines are tested without sleeping.
"""

from __future__ import annotations

import getpass
import io
import json
import logging
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from smtp_server import SmtpServer, free_port, self_signed_certificate, server_tls_context

from reconciler.cli import cli
from reconciler.config import Config
from reconciler.errors import ConfigError, DeliveryError
from reconciler.ledger import emails as ledger_emails
from reconciler.ledger import schema as ledger_schema
from reconciler.ledger.db import Ledger, Row
from reconciler.mail import compose as mail_compose
from reconciler.mail import queue as deliver
from reconciler.mail import send as mail_send
from reconciler.outputs.results import read_results
from reconciler.text import mail as mail_text

# Plain AUTH without TLS is what these loopback tests do on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

T0 = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)
RUN_ID = "20261124-090000-a1b2c3"
PASSWORD_ENV = "RECONCILER_TEST_SMTP_PASSWORD"


def make_config(tmp_path: Path, **mail: Any) -> Config:
    settings: dict[str, Any] = {
        "transport": "file",
        "from": "reconciler@corp.example",
        "reply_to": "it-assets@corp.example",
        "recipients": {
            "default": ["buh@corp.example"],
            "by_folder": {"moscow": ["buh-msk@corp.example", "glavbuh@corp.example"]},
        },
        "reviewers": ["it-assets@corp.example"],
        "retry": {"first_delay_seconds": 60, "max_delay_seconds": 600, "deadline_hours": 24},
    }
    for key, value in mail.items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    return Config.model_validate(
        {
            "inventory": {"path": str(tmp_path / "inventory.xlsx")},
            "state": str(tmp_path / "state"),
            "outbox": str(tmp_path / "outbox"),
            "mail": settings,
        }
    )


def smtp_settings(port: int, **extra: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": port, "starttls": False, "timeout_seconds": 5, **extra}


def write_workbook(path: Path, title: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "TDSheet"
    ws.append(["Инв. номер", "Наименование", title])
    ws.append(["00-000123", "Сервер HP ProLiant DL380 Gen10", "совпадает"])
    wb.save(path)


def results_doc(findings: int = 3, rows: int = 57) -> dict[str, Any]:
    codes = ["LOCATION_MISMATCH", "MISSING_IN_INVENTORY", "COST_MISMATCH"]
    found = [
        {
            "code": codes[i % 3],
            "severity": "medium",
            "sheet": "TDSheet",
            "row": 7 + i,
            "asset_id": f"A-{i:06d}",
            "message": f"Место: в учёте «Склад {i}», в ИТ «Серверная <b>2</b>»",
            "book_value": f"Склад {i}",
            "it_value": "Серверная <b>2</b>",
            "amount": 1000.5,
            "accepted": False,
        }
        for i in range(findings)
    ]
    return {
        "version": 1,
        "run_id": RUN_ID,
        "source": {
            "file": "ведомость.xlsx",
            "sha256": "ab" * 32,
            "format": "xlsx",
            "sheets": [{"name": "TDSheet", "header_row": 4}],
            "folder": "moscow",
        },
        "inventory": {"source": "inventory.xlsx", "assets": rows},
        "report_date": "2026-09-30",
        "rows": [],  # mail says the summary and the findings, not the rows
        "assets_not_on_books": [],
        "findings": found,
        "warnings": ["openpyxl drops the data bars on sheet 'TDSheet'"],
        "timings": {},
        "summary": {
            "rows": rows,
            "matched": rows - 7,
            "review": 2,
            "unmatched": 5,
            "assets": rows,
            "assets_not_on_books": 0,
            "findings": findings,
            "findings_by_code": dict(Counter(f["code"] for f in found)),
            "value_at_stake": 1234567.89,
            "report_date": "2026-09-30",
            "exit_code": 1,
        },
    }


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A finished run folder as the outputs stage leaves it: results.json (version 1, 57 rows,
    3 findings, file 'ведомость.xlsx' from folder 'moscow'), a real annotated workbook
    'ведомость.reconciled.xlsx', a real 'ведомость.discrepancies.xlsx' and a report.html."""
    folder = tmp_path / "outbox" / RUN_ID
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(
        json.dumps(results_doc(), ensure_ascii=False), encoding="utf-8"
    )
    write_workbook(folder / "ведомость.reconciled.xlsx", "Сверка: статус")
    write_workbook(folder / "ведомость.discrepancies.xlsx", "Расхождение")
    (folder / "report.html").write_text(
        "<html><body><h1>Расхождения</h1>\n</body></html>", encoding="utf-8"
    )
    return folder


@pytest.fixture
def conn(tmp_path: Path, ledger_url: str) -> Iterator[Ledger]:
    """A fresh ledger: a file in tmp_path/state, or a new PostgreSQL database."""
    c = ledger_schema.connect(tmp_path / "state" / "ledger.sqlite", ledger_url)
    yield c
    c.close()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    """A running SMTP server on a free loopback port, no authentication."""
    s = SmtpServer(free_port()).start()
    yield s
    s.stop()


@pytest.fixture
def no_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes any attempt to prompt for a password fail the test instead of hanging it."""

    def refuse(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("a password prompt was attempted")

    monkeypatch.setattr(getpass, "getpass", refuse)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))


def emails(conn: Ledger) -> dict[str, Row]:
    return {r["kind"]: r for r in conn.all("SELECT * FROM emails ORDER BY id")}


def by_kind(server: SmtpServer) -> dict[str, Any]:
    return {r.message["X-Reconciler-Kind"]: r for r in server.received}


def attachment_names(msg: EmailMessage) -> list[str]:
    return [str(a.get_filename()) for a in msg.iter_attachments()]


def html_part(msg: EmailMessage) -> str:
    body = msg.get_body(("html",))
    assert body is not None
    return str(body.get_content()).rstrip("\r\n")  # the MIME encoder ends a part with CRLF


# --- file transport ----------------------------------------------------------------------


def test_file_transport_writes_eml_files_into_the_run_folder_that_parse(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    config = make_config(tmp_path)
    ids = deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    assert len(ids) == 2
    accounting = mail_send.read_eml(run_dir / "mail" / "accounting.eml")
    reviewers = mail_send.read_eml(run_dir / "mail" / "reviewers.eml")
    assert accounting["Subject"] == "Сверка ОС, moscow: ведомость.xlsx — 57 строк, 3 расхождения"
    assert accounting["To"] == "buh-msk@corp.example, glavbuh@corp.example"
    assert accounting["Reply-To"] == "it-assets@corp.example"
    assert reviewers["To"] == "it-assets@corp.example"
    assert {accounting["Message-ID"], reviewers["Message-ID"]} == set(ids)
    assert attachment_names(accounting) == ["ведомость.reconciled.xlsx"]

    assert mail_send.send_due(conn, config, now=T0) == 2
    assert {r["state"] for r in emails(conn).values()} == {"sent"}
    assert mail_send.send_due(conn, config, now=T0 + timedelta(hours=1)) == 0


def test_every_message_is_queued_in_the_ledger_with_its_eml_before_any_sending(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(free_port()))
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    rows = emails(conn)
    assert set(rows) == {"accounting", "reviewers"}
    for row in rows.values():
        assert row["state"] == "queued" and row["attempts"] == 0 and row["run_id"] == RUN_ID
        assert Path(row["eml_path"]).is_file()
        assert row["deadline_at"] == (T0 + timedelta(hours=24)).isoformat()
    assert json.loads(rows["accounting"]["recipients"]) == [
        "buh-msk@corp.example",
        "glavbuh@corp.example",
    ]


def test_queueing_the_same_run_twice_queues_nothing_new(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    config = make_config(tmp_path)
    first = deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    eml_before = (run_dir / "mail" / "accounting.eml").read_bytes()
    again = deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0 + timedelta(1))
    assert len(first) == 2 and again == []
    assert conn.value("SELECT count(*) FROM emails") == 2
    assert (run_dir / "mail" / "accounting.eml").read_bytes() == eml_before


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("moscow", "buh-msk@corp.example, glavbuh@corp.example"),
        ("moscow/it-dept", "buh-msk@corp.example, glavbuh@corp.example"),
        ("kazan", "buh@corp.example"),
        ("", "buh@corp.example"),
    ],
)
def test_accountants_are_chosen_by_inbox_folder_then_its_parent_then_default(
    tmp_path: Path, run_dir: Path, conn: Ledger, folder: str, expected: str
) -> None:
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, folder, now=T0)
    assert mail_send.read_eml(run_dir / "mail" / "accounting.eml")["To"] == expected


def test_a_run_folder_without_results_json_is_a_delivery_error_naming_it(
    tmp_path: Path, conn: Ledger
) -> None:
    empty = tmp_path / "outbox" / "20261124-090000-ffffff"
    empty.mkdir(parents=True)
    with pytest.raises(DeliveryError, match=r"results\.json"):
        deliver.queue_run_messages(conn, make_config(tmp_path), empty, "moscow")


def test_files_not_yet_written_are_left_out_and_the_body_says_so(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    (run_dir / "ведомость.reconciled.xlsx").unlink()
    (run_dir / "report.html").unlink()
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    accounting = mail_send.read_eml(run_dir / "mail" / "accounting.eml")
    reviewers = mail_send.read_eml(run_dir / "mail" / "reviewers.eml")
    assert attachment_names(accounting) == []
    assert "ещё не готова" in html_part(accounting)
    assert attachment_names(reviewers) == ["ведомость.discrepancies.xlsx"]


def test_reviewers_body_lists_at_most_200_findings_and_says_how_many_more(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    (run_dir / "results.json").write_text(
        json.dumps(results_doc(findings=250), ensure_ascii=False), encoding="utf-8"
    )
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    msg = mail_send.read_eml(run_dir / "mail" / "reviewers.eml")
    html = html_part(msg)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The kind in words, no code; IT reads where the equipment is, not a sheet and row.
    assert html.count("<td>средняя</td><td>Другое местонахождение</td>") == 67
    assert "LOCATION_MISMATCH" not in html
    assert "TDSheet, строка 206" in html and "TDSheet, строка 207" not in html
    assert "и ещё 50" in html and "и ещё 50" in text
    assert (
        msg["Subject"]
        == "Расхождения для ИТ, moscow: ведомость.xlsx — 250 расхождений, 2 на проверку"
    )


def test_values_from_the_workbook_are_escaped_in_the_html_body(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    html = html_part(mail_send.read_eml(run_dir / "mail" / "reviewers.eml"))
    assert "Серверная &lt;b&gt;2&lt;/b&gt;" in html
    assert "<b>2</b>" not in html


def test_english_reports_get_english_subjects_and_bodies(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    config = make_config(tmp_path)
    config = config.model_copy(
        update={"report": config.report.model_copy(update={"language": "en"})}
    )
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    msg = mail_send.read_eml(run_dir / "mail" / "accounting.eml")
    assert (
        msg["Subject"] == "Asset reconciliation, moscow: ведомость.xlsx — 57 rows, 3 discrepancies"
    )
    assert "1,234,567.89\u00a0RUB" in html_part(msg)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 строка"), (3, "3 строки"), (5, "5 строк"), (11, "11 строк"), (21, "21 строка"),
     (22, "22 строки"), (112, "112 строк"), (0, "0 строк")],
)  # fmt: skip
def test_russian_counts_take_the_right_plural_form(n: int, expected: str) -> None:
    assert mail_text.counted(n, "rows", "ru") == expected


def test_a_quarantined_file_tells_its_folder_why_and_what_to_do_once(
    tmp_path: Path, conn: Ledger
) -> None:
    config = make_config(tmp_path)
    kwargs = {
        "file_name": "ОС сентябрь.xlsx",
        "folder": "moscow",
        "reason": "password protected: save it without a password",
        "quarantine_id": "20261124-090000-q1",
    }
    first = deliver.queue_quarantine_message(conn, config, **kwargs, now=T0)
    again = deliver.queue_quarantine_message(conn, config, **kwargs, now=T0)
    assert first == again
    row = emails(conn)["quarantine"]
    assert json.loads(row["recipients"]) == ["buh-msk@corp.example", "glavbuh@corp.example"]
    msg = mail_send.read_eml(Path(row["eml_path"]))
    assert msg["Subject"] == "Сверка ОС, moscow: файл ОС сентябрь.xlsx не принят"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "password protected: save it without a password" in text
    assert "положите в ту же папку ещё раз" in text
    assert conn.value("SELECT count(*) FROM emails") == 1


# --- SMTP --------------------------------------------------------------------------------


def test_smtp_delivers_the_workbook_to_the_folder_and_the_report_to_reviewers(
    tmp_path: Path, run_dir: Path, conn: Ledger, server: SmtpServer
) -> None:
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(server.port))
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    assert mail_send.send_due(conn, config, now=T0) == 2

    got = by_kind(server)
    accounting, reviewers = got["accounting"], got["reviewers"]
    assert accounting.mail_from == "reconciler@corp.example"
    assert accounting.rcpt_tos == ["buh-msk@corp.example", "glavbuh@corp.example"]
    assert reviewers.rcpt_tos == ["it-assets@corp.example"]
    assert attachment_names(accounting.message) == ["ведомость.reconciled.xlsx"]
    assert attachment_names(reviewers.message) == ["ведомость.discrepancies.xlsx", "report.html"]

    for received in (accounting, reviewers):
        for part in received.message.iter_attachments():
            if part.get_filename().endswith(".xlsx"):
                assert part.get_content_type() == (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                )
                wb = openpyxl.load_workbook(io.BytesIO(part.get_content()))
                assert wb["TDSheet"]["B2"].value == "Сервер HP ProLiant DL380 Gen10"

    # What arrives is byte for byte what was stored, and the HTML is the rendered template.
    assert accounting.data.rstrip(b"\r\n") == (
        run_dir / "mail" / "accounting.eml"
    ).read_bytes().rstrip(b"\r\n")
    results = read_results(run_dir)
    files = mail_compose.find_run_files(run_dir)
    expected = mail_compose.compose_accounting(results, files, config, "moscow")
    html = html_part(accounting.message)
    assert html == expected.html
    assert "\n" not in html and "<br" not in html
    assert '<td>Строк в ведомости</td><td align="right">57</td>' in html
    assert "1\u00a0234\u00a0567,89\u00a0RUB" in html
    text = accounting.message.get_body(("plain",)).get_content()
    assert "Строк в ведомости: 57" in text and "Другое местонахождение: 1\r\n" in text
    assert emails(conn)["accounting"]["sent_at"] == T0.isoformat()


def test_server_down_at_first_then_up_delivers_each_message_once_after_backoff(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    port = free_port()
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(port))
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)

    assert mail_send.send_due(conn, config, now=T0) == 0  # nobody listens on the port
    for row in emails(conn).values():
        assert row["state"] == "queued" and row["attempts"] == 1
        assert row["next_attempt_at"] == (T0 + timedelta(seconds=60)).isoformat()
        assert "127.0.0.1:" in row["last_error"]

    server = SmtpServer(port).start()
    try:
        assert mail_send.send_due(conn, config, now=T0 + timedelta(seconds=30)) == 0  # not yet due
        assert server.received == []
        assert mail_send.send_due(conn, config, now=T0 + timedelta(seconds=60)) == 2
        assert mail_send.send_due(conn, config, now=T0 + timedelta(hours=2)) == 0
        assert sorted(by_kind(server)) == ["accounting", "reviewers"]
        assert len(server.received) == 2
    finally:
        server.stop()
    assert {(r["state"], r["attempts"]) for r in emails(conn).values()} == {("sent", 2)}


def test_retry_delay_doubles_and_stops_growing_at_the_maximum(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    config = make_config(
        tmp_path,
        transport="smtp",
        smtp=smtp_settings(free_port()),
        retry={"first_delay_seconds": 60, "max_delay_seconds": 200},
    )
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    now, delays = T0, []
    for _ in range(4):
        mail_send.send_due(conn, config, now=now)
        due = datetime.fromisoformat(emails(conn)["accounting"]["next_attempt_at"])
        delays.append(int((due - now).total_seconds()))
        now = due
    assert delays == [60, 120, 200, 200]
    assert emails(conn)["accounting"]["attempts"] == 4


def test_a_restart_mid_queue_sends_nothing_twice(
    tmp_path: Path, run_dir: Path, server: SmtpServer
) -> None:
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(server.port))
    server.handler.tempfail = {"it-assets@corp.example"}  # the reviewers' message must wait
    first = ledger_schema.connect(config.ledger_path)
    deliver.queue_run_messages(first, config, run_dir, "moscow", now=T0)
    assert mail_send.send_due(first, config, now=T0) == 1
    first.close()  # the service stops here

    server.handler.tempfail = set()
    again = ledger_schema.connect(
        config.ledger_path
    )  # ... and starts again, redoing the run's mail step
    assert deliver.queue_run_messages(again, config, run_dir, "moscow", now=T0) == []
    assert mail_send.send_due(again, config, now=T0 + timedelta(seconds=60)) == 1
    assert mail_send.send_due(again, config, now=T0 + timedelta(hours=3)) == 0
    again.close()

    ids = Counter(r.message["Message-ID"] for r in server.received)
    assert len(ids) == 2 and set(ids.values()) == {1}
    assert Counter(r.message["X-Reconciler-Kind"] for r in server.received) == {
        "accounting": 1,
        "reviewers": 1,
    }


def test_login_uses_the_username_and_the_password_from_the_environment(
    tmp_path: Path,
    run_dir: Path,
    conn: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    no_prompt: None,
) -> None:
    server = SmtpServer(free_port(), username="reconciler", password="s3cret-Pa55").start()
    try:
        monkeypatch.setenv(PASSWORD_ENV, "s3cret-Pa55")
        config = make_config(
            tmp_path,
            transport="smtp",
            smtp=smtp_settings(server.port, username="reconciler", password_env=PASSWORD_ENV),
        )
        deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
        assert mail_send.send_due(conn, config, now=T0) == 2
        assert [r.login for r in server.received] == ["reconciler", "reconciler"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("password", "error"),
    [("wrong", "535"), (None, PASSWORD_ENV), ("пароль", "non-ASCII")],
    ids=["wrong password", "variable unset", "non-ASCII password"],
)
def test_a_bad_or_missing_password_is_a_recorded_retry_never_a_prompt(
    tmp_path: Path,
    run_dir: Path,
    conn: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    no_prompt: None,
    password: str | None,
    error: str,
) -> None:
    server = SmtpServer(free_port(), username="reconciler", password="s3cret").start()
    try:
        if password is None:
            monkeypatch.delenv(PASSWORD_ENV, raising=False)
        else:
            monkeypatch.setenv(PASSWORD_ENV, password)
        config = make_config(
            tmp_path,
            transport="smtp",
            smtp=smtp_settings(server.port, username="reconciler", password_env=PASSWORD_ENV),
        )
        deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
        assert mail_send.send_due(conn, config, now=T0) == 0
        assert server.received == []
    finally:
        server.stop()
    row = emails(conn)["accounting"]
    assert (row["state"], row["attempts"]) == ("queued", 1)
    assert error in row["last_error"]


def test_a_message_past_its_deadline_is_marked_failed_and_logged(
    tmp_path: Path, run_dir: Path, conn: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(free_port()))
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    mail_send.send_due(conn, config, now=T0)
    caplog.set_level(logging.ERROR, logger="reconciler")
    mail_send.send_due(conn, config, now=T0 + timedelta(hours=24))
    rows = emails(conn)
    assert {r["state"] for r in rows.values()} == {"failed"}
    assert rows["accounting"]["attempts"] == 1  # no attempt after the deadline
    failures = [r for r in caplog.records if "marked failed" in r.getMessage()]
    assert len(failures) == 2
    assert rows["accounting"]["message_id"] in failures[0].getMessage() + failures[1].getMessage()
    assert "buh-msk@corp.example" in " ".join(r.getMessage() for r in failures)


# --- mail-test ---------------------------------------------------------------------------


def write_config_file(tmp_path: Path, mail: dict[str, Any]) -> Path:
    import yaml

    path = tmp_path / "config.yaml"
    doc = {"inventory": {"path": "inventory.xlsx"}, "state": "state", "mail": mail}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_mail_test_sends_through_smtp_to_the_given_address_and_says_where(
    tmp_path: Path, server: SmtpServer
) -> None:
    config_file = write_config_file(
        tmp_path,
        {
            "transport": "smtp",
            "from": "reconciler@corp.example",
            "reviewers": ["it@corp.example"],
            "allowed_domains": ["corp.example"],
            "smtp": smtp_settings(server.port),
        },
    )
    result = CliRunner().invoke(
        cli, ["mail-test", "--config", str(config_file), "--to", "me@corp.example"]
    )
    assert result.exit_code == 0, result.output
    assert f"smtp 127.0.0.1:{server.port} to me@corp.example" in result.output
    assert [r.rcpt_tos for r in server.received] == [["me@corp.example"]]
    assert server.received[0].message["Subject"] == "Сверка ОС: тестовое письмо"
    conn = ledger_schema.connect(tmp_path / "state" / "ledger.sqlite")
    assert [(r["kind"], r["state"]) for r in conn.all("SELECT * FROM emails")] == [("test", "sent")]
    conn.close()


def test_mail_test_with_the_server_down_fails_at_once_with_the_reason(tmp_path: Path) -> None:
    port = free_port()
    config_file = write_config_file(
        tmp_path,
        {"transport": "smtp", "reviewers": ["it@corp.example"], "smtp": smtp_settings(port)},
    )
    result = CliRunner().invoke(cli, ["mail-test", "--config", str(config_file)])
    assert result.exit_code == 2
    assert f"127.0.0.1:{port}" in result.output
    conn = ledger_schema.connect(tmp_path / "state" / "ledger.sqlite")
    assert conn.value("SELECT state FROM emails") == "failed"
    conn.close()


def test_mail_test_with_the_file_transport_writes_an_eml_and_prints_its_path(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path)
    where = mail_send.send_test_message(config, None)
    msg = mail_send.read_eml(Path(where))
    assert msg["To"] == "it-assets@corp.example"
    assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None


def test_mail_test_refuses_an_address_outside_the_allowed_domains(tmp_path: Path) -> None:
    config = make_config(tmp_path, allowed_domains=["corp.example"])
    with pytest.raises(ConfigError, match="allowed_domains"):
        mail_send.send_test_message(config, "someone@gmail.com")


class Killed(BaseException):
    """Stands for kill -9: nothing after it in the process runs."""


def test_a_crash_after_the_server_accepted_resends_once_later_with_the_same_message_id(
    tmp_path: Path, run_dir: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one documented window: accepted by the server, the process dies before the ledger
    says sent. The claim keeps any instance from resending before it expires; the one resend
    carries the same Message-ID, so receivers can drop it."""
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(server.port))
    first = ledger_schema.connect(config.ledger_path)
    deliver.queue_run_messages(first, config, run_dir, "moscow", now=T0)

    def die(*args: Any) -> None:
        raise Killed

    monkeypatch.setattr(ledger_emails, "mark_sent", die)
    with pytest.raises(Killed):
        mail_send.send_due(first, config, now=T0)
    monkeypatch.undo()
    first.close()
    assert len(server.received) == 1  # accepted, but the ledger still says queued

    again = ledger_schema.connect(config.ledger_path)
    assert mail_send.send_due(again, config, now=T0 + timedelta(seconds=10)) == 1  # the other one
    assert len(server.received) == 2
    lease = timedelta(seconds=max(4 * config.mail.smtp.timeout_seconds, 60))
    assert mail_send.send_due(again, config, now=T0 + lease) == 1  # the claim expired: resent
    assert mail_send.send_due(again, config, now=T0 + timedelta(days=1)) == 0
    again.close()
    ids = Counter(r.message["Message-ID"] for r in server.received)
    assert sorted(ids.values()) == [1, 2]  # exactly one message went twice, same Message-ID


def _another_run(run_dir: Path) -> Path:
    """A copy of the run folder as a later run of the same register."""
    other = run_dir.with_name(run_dir.name + "-later")
    shutil.copytree(run_dir, other)
    doc = json.loads((other / "results.json").read_text(encoding="utf-8"))
    doc["run_id"] = other.name
    (other / "results.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return other


def test_a_message_the_server_refuses_for_good_fails_at_once_and_the_operators_are_told_once(
    tmp_path: Path,
    run_dir: Path,
    conn: Ledger,
    server: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Before: a 550 was retried with backoff until the deadline, three days later."""
    server.handler.reject = {"it-assets@corp.example"}
    config = make_config(
        tmp_path, transport="smtp", smtp=smtp_settings(server.port), operators=["ops@corp.example"]
    )
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    caplog.set_level(logging.WARNING, logger="reconciler")
    assert mail_send.send_due(conn, config, now=T0) == 1
    row = emails(conn)["reviewers"]
    assert (row["state"], row["attempts"]) == ("failed", 1)
    assert "550" in row["last_error"]
    assert any(r.levelno == logging.ERROR and "550" in r.getMessage() for r in caplog.records)
    assert mail_send.send_due(conn, config, now=T0 + timedelta(seconds=1)) == 1  # the notice
    notice = by_kind(server)["operator"]
    assert notice.rcpt_tos == ["ops@corp.example"]
    text = notice.message.get_body(("plain",)).get_content()
    assert "it-assets@corp.example" in text and "550" in text
    assert "повторяться не будет" in text
    deliver.queue_run_messages(conn, config, _another_run(run_dir), "moscow", now=T0)
    mail_send.send_due(conn, config, now=T0 + timedelta(seconds=2))  # refused again: no notice
    kinds = Counter(r["kind"] for r in conn.all("SELECT kind FROM emails"))
    assert kinds == {"accounting": 2, "reviewers": 2, "operator": 1}
    assert mail_send.send_due(conn, config, now=T0 + timedelta(days=1)) == 0  # nothing retried


def test_when_one_of_two_recipients_is_refused_the_other_gets_it_and_the_refusal_is_recorded(
    tmp_path: Path, run_dir: Path, conn: Ledger, server: SmtpServer
) -> None:
    server.handler.reject = {"glavbuh@corp.example"}
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(server.port))
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    assert mail_send.send_due(conn, config, now=T0) == 2
    assert by_kind(server)["accounting"].rcpt_tos == ["buh-msk@corp.example"]
    row = emails(conn)["accounting"]
    assert row["state"] == "sent" and "glavbuh@corp.example" in row["last_error"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1, trusted by nobody unless a test says."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test certificate")
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_verifies_the_server_certificate_and_delivers_once_it_is_trusted(
    tmp_path: Path,
    run_dir: Path,
    conn: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    certificate: tuple[Path, Path],
    mode: str,
) -> None:
    context = server_tls_context(*certificate)
    tls = {"starttls": context} if mode == "starttls" else {"implicit_tls": context}
    server = SmtpServer(free_port(), **tls).start()  # type: ignore[arg-type]
    try:
        smtp = smtp_settings(server.port, starttls=mode == "starttls", ssl=mode == "ssl")
        config = make_config(tmp_path, transport="smtp", smtp=smtp)
        deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        assert mail_send.send_due(conn, config, now=T0) == 0  # an unknown certificate: refused
        assert "CERTIFICATE_VERIFY_FAILED" in emails(conn)["accounting"]["last_error"]
        assert server.received == []

        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the operator trusts it
        assert mail_send.send_due(conn, config, now=T0 + timedelta(minutes=1)) == 2
        assert len(server.received) == 2
    finally:
        server.stop()


def test_deliver_run_queues_and_sends_the_run_in_one_call(
    tmp_path: Path, run_dir: Path, conn: Ledger, server: SmtpServer
) -> None:
    config = make_config(tmp_path, transport="smtp", smtp=smtp_settings(server.port))
    mail_send.deliver_run(conn, config, run_dir, "kazan")
    mail_send.deliver_run(conn, config, run_dir, "kazan")  # `reconciler run` repeated: no resend
    assert sorted(r.rcpt_tos[0] for r in server.received) == [
        "buh@corp.example",
        "it-assets@corp.example",
    ]
    assert {r["state"] for r in emails(conn).values()} == {"sent"}


def test_a_quarantine_without_a_recorded_reason_says_so_instead_of_none(
    tmp_path: Path, conn: Ledger
) -> None:
    config = make_config(tmp_path)
    deliver.queue_quarantine_message(
        conn, config, file_name="x.xlsx", folder="", reason=None, quarantine_id="q2", now=T0
    )
    msg = mail_send.read_eml(Path(emails(conn)["quarantine"]["eml_path"]))
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Причина: причина не записана" in text and "None" not in text
    assert msg["To"] == "buh@corp.example"


def test_reconciler_run_writes_both_messages_into_the_run_folder_and_no_mail_writes_none(
    tmp_path: Path,
) -> None:
    """`reconciler run` on the demo workspace (file transport): the two .eml files appear."""
    ws = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["demo", str(ws)]).exit_code == 0
    register = next(p for p in (ws / "inbox").rglob("*.xlsx"))
    config = str(ws / "config.yaml")
    mailed = CliRunner().invoke(cli, ["run", str(register), "--config", config])
    quiet = CliRunner().invoke(cli, ["run", str(register), "--config", config, "--no-mail"])
    mailed_dir = Path(mailed.output.strip().splitlines()[-1])
    quiet_dir = Path(quiet.output.strip().splitlines()[-1])
    assert sorted(p.name for p in (mailed_dir / "mail").iterdir()) == [
        "accounting.eml",
        "reviewers.eml",
    ]
    accounting = mail_send.read_eml(mailed_dir / "mail" / "accounting.eml")
    assert attachment_names(accounting) == [f"{register.stem}.reconciled.xlsx"]
    assert not (quiet_dir / "mail").exists()


def test_kinds_of_findings_are_listed_most_frequent_first_in_words_with_their_code(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    """As report.html and the summary sheet list them, so the reader sees one order."""
    doc = results_doc(findings=3)
    doc["summary"]["findings_by_code"] = {"COST_MISMATCH": 1, "LOCATION_MISMATCH": 5}
    (run_dir / "results.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    msg = mail_send.read_eml(run_dir / "mail" / "accounting.eml")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.index("Другое местонахождение: 5") < text.index("Другая стоимость: 1")
    html = html_part(msg)
    assert html.index("Другое местонахождение") < html.index("Другая стоимость")
    assert '<th align="left">Вид</th>' in html  # the column of words has a heading


def test_the_text_body_says_book_and_it_values_once(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    """A message that already quotes both values is not followed by them again."""
    doc = results_doc(findings=1)
    doc["findings"][0] |= {
        "message": "Стоимость: в учете 148 100,00, в ИТ 199 682,00",
        "book_value": "148 100,00",
        "it_value": "199 682,00",
    }
    doc["findings"].append({**doc["findings"][0], "row": 9, "message": "Списано в ИТ"})
    doc["findings"][1] |= {"book_value": "78 664,86", "it_value": "Disposed"}
    (run_dir / "results.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    msg = mail_send.read_eml(run_dir / "mail" / "reviewers.eml")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.count("148 100,00") == 1
    assert "Списано в ИТ (В учете: 78 664,86; В ИТ: Disposed)" in text


def test_reviewers_subject_leaves_out_rows_to_review_when_there_are_none(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    doc = results_doc(findings=3)
    doc["summary"]["review"] = 0
    (run_dir / "results.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    msg = mail_send.read_eml(run_dir / "mail" / "reviewers.eml")
    assert msg["Subject"] == "Расхождения для ИТ, moscow: ведомость.xlsx — 3 расхождения"


# --- what each reader does next ------------------------------------------------------------


def test_the_accountants_email_says_what_the_colours_mean_which_sheet_to_answer_and_what_it_does(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    msg = mail_send.read_eml(run_dir / "mail" / "accounting.eml")
    assert msg["Subject"].startswith("Сверка ОС, moscow: ")  # the department in the subject
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = html_part(msg)
    for body in (text, html):
        assert "Что сделать" in body
        assert "Лист «Расхождения» (3)" in body and "«Принято (исключение)»" in body
        assert "Лист «На проверку» (2)" in body and "«подтвердить»" in body
        assert "положите ее в ту же папку («moscow»)" in body
        assert "зеленый — найдено в ИТ-учете" in body and "голубой — принято как исключение" in body
        assert "Что сделает ИТ" in body
        assert "LOCATION_MISMATCH" not in body  # codes only in the IT workbook and results.json


def test_the_reviewers_email_says_what_to_check_in_which_system_and_where_the_equipment_is(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    doc = results_doc(findings=3)
    doc["findings"][0] |= {"location": "Москва, ЦОД-1", "custodian": "Петров П.П."}
    doc["findings"][0] |= {"severity": "high", "inventory_number": "ОС-000101"}
    (run_dir / "results.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    config = make_config(tmp_path)
    config.inventory.source = "snipeit"
    deliver.queue_run_messages(conn, config, run_dir, "moscow", now=T0)
    msg = mail_send.read_eml(run_dir / "mail" / "reviewers.eml")
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Что проверить" in text
    assert "«Нет в ИТ-учете» (1): найдите оборудование в ИТ-учете (Snipe-IT)" in text
    assert "«На проверку» (2)" in text and "папку «moscow»" in text
    # The worst first, and where it stands rather than which sheet row.
    first = text.split("Расхождения:")[1].strip().splitlines()[0]
    assert first.startswith("[высокая] Москва, ЦОД-1 / Петров П.П., Инв. № ОС-000101: ")


def test_a_repeat_of_the_same_content_is_named_as_such_in_subject_and_body(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    doc = results_doc()
    doc["duplicate_of"] = {"run_id": "20261101-080000-ffffff", "received_at": "2026-11-01T08:00:00"}
    (run_dir / "results.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    for kind in ("accounting", "reviewers"):
        msg = mail_send.read_eml(run_dir / "mail" / f"{kind}.eml")
        assert msg["Subject"].startswith("Повтор: "), kind
        text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "уже сверялся 2026-11-01 08:00, запуск 20261101-080000-ffffff" in text


def test_attachments_carry_an_rfc2231_filename_and_a_name_fallback_for_older_clients(
    tmp_path: Path, run_dir: Path, conn: Ledger
) -> None:
    deliver.queue_run_messages(conn, make_config(tmp_path), run_dir, "moscow", now=T0)
    raw = (run_dir / "mail" / "accounting.eml").read_bytes()
    msg = mail_send.read_eml(run_dir / "mail" / "accounting.eml")
    assert [p.get_content_type() for p in msg.walk()][:3] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
    ]
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "ведомость.reconciled.xlsx"
    assert b"filename*" in raw  # RFC 2231
    content_type = str(part.get("Content-Type"))
    assert content_type.startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert part.get_param("name") == "ведомость.reconciled.xlsx"  # RFC 2047 in name=
    assert b'name="=?utf-8?' in raw


def test_the_emails_of_a_command_line_run_say_each_thing_once_and_where_to_drop_the_reply(
    tmp_path: Path,
) -> None:
    """The demo through `reconciler run` (no inbox folder), its two .eml files as received.
    Before: "положите ее в папку «—»", a kit's count said twice ("в учете 10 шт. ... (В учете:
    10; ..."), a disposed asset's status twice, "2: ... — 2" in the notes line, an IT asset
    without a price as "стоимость ?", and the scope's places run together by commas."""
    ws = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["demo", str(ws)]).exit_code == 0
    register = next(p for p in (ws / "inbox").rglob("*") if p.is_file())
    run = CliRunner().invoke(cli, ["run", str(register), "--config", str(ws / "config.yaml")])
    run_dir = Path(run.output.strip().splitlines()[-1])
    texts = {}
    for kind in ("accounting", "reviewers"):
        message = mail_send.read_eml(run_dir / "mail" / f"{kind}.eml")
        body = message.get_body(("plain",))
        assert body is not None
        texts[kind] = body.get_content()
    reviewers = texts["reviewers"]
    assert "«—»" not in reviewers
    assert "положите ее во входящую папку сверки" in reviewers
    kit = next(x for x in reviewers.splitlines() if "Комплект неполный:" in x and "[" in x)
    assert "(В учете:" not in kit and "В ИТ: A-" in kit, kit  # the count once, the assets once
    disposed = next(x for x in reviewers.splitlines() if "списан, но числится" in x and "[" in x)
    assert disposed.count("списан") == 1, disposed
    assert "стоимость ?" not in reviewers
    for text in texts.values():
        notes = next(x for x in text.splitlines() if "Примечаний (исправлять не нужно)" in x)
        assert notes.strip().endswith("(Полностью амортизирован, но в работе — 2)"), notes
        scope = next(x for x in text.splitlines() if x.startswith("Сверка ограничена: «"))
        assert "«Санкт-Петербург, офис, 3 этаж»" in scope, scope
    html = mail_send.read_eml(run_dir / "mail" / "reviewers.eml").get_body(("html",))
    assert html is not None
    # Beside the kind column, the description does not open with the kind again.
    assert "<td>Нет в ИТ-учете</td>" in html.get_content()
    assert "<td>Нет в ИТ-учете: " not in html.get_content()
