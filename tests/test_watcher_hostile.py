"""A shared folder is hostile ground (issue 10, items 5-7): names that lie about the format,
names with CR/LF in them, files the service may not read. Through the real service on a real
folder with the real pipeline.
"""

from __future__ import annotations

import email
import email.policy
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from service_harness import (
    ServiceProcess,
    assert_processed_exactly_once,
    drop,
    ledger_rows,
    real_workspace,
    results,
    service_starter,
    settled,
    wait_for,
)

pytestmark = pytest.mark.slow
REAL = {"RECONCILER_TEST_PROCESSOR": ""}  # the real pipeline.run_file in the child


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    yield from service_starter()


def _message(eml: Path) -> email.message.EmailMessage:
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def test_an_xlsx_named_csv_xls_or_nothing_is_read_as_the_xlsx_it_is(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """Before: named .xls it was refused with a raw "Cfb error: Invalid OLE" (calamine chose
    its reader by the extension); README says the format comes from the content."""
    ws = real_workspace(tmp_path)
    content = (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes()
    names = ["ведомость.xls", "ведомость.csv", "ведомость"]
    service = services(ws, **REAL)
    for i, name in enumerate(names):
        # Each its own content (a byte appended after the zip): three runs, not duplicates.
        drop(ws / "inbox" / f"отдел{i}" / name, content + bytes([i]))
    wait_for(settled(ws, 3), timeout=120, what="the three misnamed workbooks")
    assert service.stop() == 0, service.output()

    assert_processed_exactly_once(ws, {name: content + bytes([i]) for i, name in enumerate(names)})
    assert sorted(doc["source"]["file"] for doc in results(ws)) == sorted(names)
    assert {doc["summary"]["rows"] for doc in results(ws)} == {20}
    assert "Cfb error" not in service.output()


def test_a_name_with_cr_and_lf_is_reconciled_and_mailed_with_one_line_headers(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """Before: the run completed but building the attachment header failed on every rescan,
    forever: the results were never mailed and the ledger never said notified."""
    ws = real_workspace(tmp_path)
    name = "ведомость\r\nBcc: thief@example.org\r\n.xlsx"
    content = (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes()
    service = services(ws, **REAL)
    drop(ws / "inbox" / "moscow" / name, content)
    wait_for(settled(ws, 1), timeout=90, what="the register with CR/LF in its name")
    assert service.stop() == 0, service.output()

    assert_processed_exactly_once(ws, {name: content})
    [doc] = results(ws)
    assert doc["source"]["file"] == name  # the user's name, as it was, in the results
    mails = ledger_rows(ws, "SELECT kind, state FROM emails ORDER BY kind")
    assert mails == [("accounting", "sent"), ("reviewers", "sent")]
    [accounting] = (ws / "outbox" / doc["run_id"] / "mail").glob("accounting*.eml")
    msg = _message(accounting)
    assert msg["Bcc"] is None
    assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
    [attachment] = [p.get_filename() or "" for p in msg.iter_attachments()]
    assert attachment.startswith("ведомость Bcc: thief@example.org .")
    assert attachment.endswith(".reconciled.xlsx")


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping the read permission override needs root")
def test_a_file_the_service_may_not_read_is_quarantined_once_with_a_note(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """Before: it was renamed into state/work and stayed 'claiming' for good, hashing failing
    on every retry: never archived, never quarantined, nobody told. The service runs as root
    without CAP_DAC_OVERRIDE, as an unprivileged account would meet another user's file."""
    ws = real_workspace(tmp_path, mail={"operators": ["ops@example.com"]})
    content = (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes()
    readable = ws / "inbox" / "moscow" / "ведомость.xlsx"
    secret = ws / "inbox" / "moscow" / "чужая ведомость.xlsx"
    drop(readable, content)
    drop(secret, content + b"\0")
    os.chown(secret, 12345, 12345)
    secret.chmod(0o600)
    no_override = [
        "setpriv",
        "--inh-caps=-dac_override,-dac_read_search",
        "--bounding-set=-dac_override,-dac_read_search",
    ]
    service = services(ws, prefix=no_override, **REAL)
    wait_for(settled(ws, 2), timeout=90, what="the readable file and the unreadable one")
    assert service.stop() == 0, service.output()

    assert_processed_exactly_once(ws, {readable.name: content})
    states = dict(ledger_rows(ws, "SELECT name, state FROM files"))
    assert states == {readable.name: "archived", secret.name: "quarantined"}
    quarantined = ws / "quarantine" / "moscow" / secret.name
    assert quarantined.exists() and quarantined.stat().st_uid == 12345  # moved, not copied
    note = (ws / "quarantine" / "moscow" / f"{secret.name}.error.txt").read_text("utf-8")
    assert f"не может прочитать файл «{secret.name}»" in note
    assert "Скопируйте файл в папку заново" in note
    mails = ledger_rows(ws, "SELECT kind, count(*) FROM emails GROUP BY 1 ORDER BY 1")
    assert mails == [("accounting", 1), ("quarantine", 1), ("reviewers", 1)]
    assert ledger_rows(ws, "SELECT count(*) FROM faults") == [(0,)]  # not ours: no operator
    assert "Traceback" not in service.output()
