"""Our faults are not the sender's (issue 10, item 3): a full disk, a read-only or forbidden outbox, a ledger
locked past its busy timeout, the IT inventory's server down, a bug. Through the real service on a real folder: the file is
kept (never quarantined, its sender told nothing), the operators are told once per fault, and
once the fault clears the file is processed normally. Mounts need root: skipped otherwise.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from inventory_api import REAL as REAL_SAMPLES
from inventory_api import page, snipeit_rows
from service_harness import (
    ServiceProcess,
    assert_processed_exactly_once,
    csv_bytes,
    drop,
    ledger_rows,
    real_workspace,
    results,
    service_starter,
    settled,
    wait_for,
    write_workspace,
)

pytestmark = pytest.mark.slow
REAL = {"RECONCILER_TEST_PROCESSOR": ""}  # the real pipeline.run_file in the child
OPERATORS: dict[str, Any] = {"mail": {"operators": ["ops@example.com"]}}
NO_PERMISSION_OVERRIDE = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a tmpfs or a read-only bind mount needs root"
)


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    yield from service_starter()


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@contextlib.contextmanager
def _mounted(target: Path, *args: str) -> Iterator[None]:
    _mount(*args, str(target))
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True)


def _fill(folder: Path) -> Path:
    """Fill the filesystem of `folder` to the last byte; the filler file is returned."""
    filler = folder / "filler.bin"
    with open(filler, "wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    with contextlib.suppress(OSError), open(filler, "ab") as f:
        while True:  # the last partial block
            f.write(b"\0" * 512)
            f.flush()
    return filler


def _held(ws: Path) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return bool(ledger_rows(ws, "SELECT count(*) FROM holds")[0][0])
        except sqlite3.OperationalError:
            return False

    return check


def _assert_went_through_once_and_the_fault_cleared(ws: Path, content: bytes) -> None:
    """One run, one archive copy, its two emails and the operators' one notice; no hold left."""
    assert_processed_exactly_once(ws, {"ведомость.xlsx": content})
    _assert_sender_told_nothing_wrong(ws)
    mails = ledger_rows(ws, "SELECT kind, count(*) FROM emails GROUP BY 1 ORDER BY 1")
    assert mails == [("accounting", 1), ("operator", 1), ("reviewers", 1)]
    assert ledger_rows(ws, "SELECT count(*) FROM holds") == [(0,)]
    assert ledger_rows(ws, "SELECT count(*) FROM faults WHERE cleared_at IS NULL") == [(0,)]


def _wait_held_and_retried(ws: Path, fault: str) -> None:
    wait_for(_held(ws), timeout=60, what=f"the file held for {fault}")
    wait_for(
        lambda: ledger_rows(ws, "SELECT times FROM faults")[0][0] >= 2,
        timeout=60,
        what=f"a retry meeting {fault} again",
    )


def _operator_mails(ws: Path) -> list[email.message.EmailMessage]:
    """The notices in the shared outbox/mail/, or in this machine's state/mail/ when the
    outbox was the fault (mail/queue.py)."""
    found = []
    for eml in sorted(
        [
            *(ws / "outbox" / "mail").glob("fault-*.eml"),
            *(ws / "state" / "mail").glob("fault-*.eml"),
        ]
    ):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        found.append(msg)
    return found


def _plain(msg: email.message.EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def _assert_sender_told_nothing_wrong(ws: Path) -> None:
    assert not [p for p in (ws / "quarantine").rglob("*") if p.is_file()]
    assert not list((ws / "outbox").rglob("error.txt"))
    assert ledger_rows(ws, "SELECT count(*) FROM emails WHERE kind = 'quarantine'") == [(0,)]
    assert ledger_rows(ws, "SELECT count(*) FROM runs WHERE outcome = 'quarantined'") == [(0,)]


@needs_root
@pytest.mark.parametrize("fault", ["full-disk", "read-only", "forbidden"])
def test_a_good_register_waits_out_a_full_read_only_or_forbidden_outbox_then_goes_through(
    tmp_path: Path, services: Callable[..., ServiceProcess], fault: str
) -> None:
    """Before: quarantined as READER_CRASHED, the accountant told to save the file again from
    the accounting system, and nothing retried once the disk had room again."""
    ws = real_workspace(tmp_path, **OPERATORS)
    outbox = ws / "outbox"
    outbox.mkdir(exist_ok=True)
    content = (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes()
    prefix: list[str] = []
    with contextlib.ExitStack() as mounts:
        if fault == "full-disk":
            mounts.enter_context(_mounted(outbox, "-t", "tmpfs", "-o", "size=8m", "tmpfs"))
            filler = _fill(outbox)
        elif fault == "read-only":
            mounts.enter_context(_mounted(outbox, "--bind", str(outbox)))
            _mount("-o", "remount,bind,ro", str(outbox))
        else:  # root without the override of permissions, as a service account would run
            outbox.chmod(0o555)
            prefix = NO_PERMISSION_OVERRIDE
        service = services(ws, prefix=prefix, **REAL)
        drop(ws / "inbox" / "moscow" / "ведомость.xlsx", content)
        _wait_held_and_retried(ws, "the outbox's fault")

        errno_name = {"full-disk": "ENOSPC", "read-only": "EROFS", "forbidden": "EACCES"}[fault]
        [(key, kind)] = ledger_rows(ws, "SELECT key, kind FROM faults")
        assert (kind, key) == ("environment", f"environment:outbox:{errno_name}")
        _assert_sender_told_nothing_wrong(ws)
        [claimed] = [p for p in (ws / "state" / "work").rglob("*") if p.is_file()]
        assert claimed.read_bytes() == content
        [notice] = _operator_mails(ws)
        assert notice["To"] == "ops@example.com"
        assert "Сверка ОС: сбой окружения службы" in str(notice["Subject"])
        text = _plain(notice)
        assert "«ведомость.xlsx» из папки «moscow»" in text and errno_name in text
        assert "отправителю ничего не сообщалось" in text

        if fault == "full-disk":
            filler.unlink()
        elif fault == "read-only":
            _mount("-o", "remount,bind,rw", str(outbox))
        else:
            outbox.chmod(0o755)
        wait_for(settled(ws, 1), timeout=90, what="the file once the outbox is writable")
        assert service.stop() == 0, service.output()

        _assert_went_through_once_and_the_fault_cleared(ws, content)
        assert service.output().count(errno_name) >= 1
        assert "READER_CRASHED" not in service.output()


def test_a_ledger_locked_past_its_busy_timeout_holds_the_file_until_it_is_free(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """The child's run finished while another connection held the ledger for longer than the
    30 s busy timeout: its findings could not be recorded. Not the file's fault."""
    ws = write_workspace(tmp_path / "ws", **OPERATORS)
    content = csv_bytes("INV-1;server", "INV-2;laptop", "#slow=2")
    service = services(ws)
    drop(ws / "inbox" / "ведомость.csv", content)

    def processing() -> bool:
        with contextlib.suppress(sqlite3.OperationalError):
            return ledger_rows(ws, "SELECT state FROM files") == [("processing",)]
        return False

    wait_for(processing, timeout=30, what="the file's child running")
    blocker = sqlite3.connect(ws / "state" / "ledger.sqlite", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    time.sleep(36)  # the child's busy timeout (30 s) runs out meanwhile
    blocker.execute("ROLLBACK")
    blocker.close()

    wait_for(settled(ws, 1), timeout=60, what="the file once the ledger is free")
    assert service.stop() == 0, service.output()
    assert_processed_exactly_once(ws, {"ведомость.csv": content})
    _assert_sender_told_nothing_wrong(ws)
    [(key, cleared)] = ledger_rows(ws, "SELECT key, cleared_at IS NOT NULL FROM faults")
    assert key.startswith("environment:ledger:") and "locked" in key and cleared
    [notice] = _operator_mails(ws)
    assert "locked by another process" in _plain(notice)
    assert "READER_CRASHED" not in service.output()


class _SnipeIt(BaseHTTPRequestHandler):
    """Snipe-IT's /api/v1/hardware, page by page, with the sample assets."""

    rows = snipeit_rows() if REAL_SAMPLES.is_dir() else []

    def do_GET(self) -> None:
        args = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        body = page(self.rows, int(args.get("offset", 0)), int(args.get("limit", 500))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # the test's output stays quiet
        pass


@pytest.mark.skipif(not REAL_SAMPLES.is_dir(), reason="real sample files not present")
def test_an_inventory_server_that_is_down_holds_the_register_until_it_is_back(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """Snipe-IT on loopback is not listening when the register arrives (and no snapshot was
    ever fetched to fall back on). Before: quarantined as INVENTORY_UNAVAILABLE and the
    accountant asked to drop the file again. Now it is held like our other faults, the
    operators told once, and it goes through by itself once the server answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    ws = real_workspace(tmp_path, **OPERATORS)
    config = yaml.safe_load((ws / "config.yaml").read_text(encoding="utf-8"))
    config["inventory"] = {
        "source": "snipeit",
        "url": f"http://127.0.0.1:{port}/",
        "token_env": "INV_TOKEN",
        "retries": 0,
        "timeout_seconds": 5,
    }
    (ws / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    content = (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes()
    service = services(ws, INV_TOKEN="token-1", **REAL)
    drop(ws / "inbox" / "moscow" / "ведомость.xlsx", content)
    _wait_held_and_retried(ws, "the inventory's outage")
    [(key, kind)] = ledger_rows(ws, "SELECT key, kind FROM faults")
    assert (kind, key) == ("environment", "environment:inventory:unavailable")
    _assert_sender_told_nothing_wrong(ws)
    [notice] = _operator_mails(ws)
    assert notice["To"] == "ops@example.com"
    assert f"127.0.0.1:{port}" in _plain(notice) and "отправителю ничего не сообщалось" in _plain(
        notice
    )

    server = ThreadingHTTPServer(("127.0.0.1", port), _SnipeIt)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_for(settled(ws, 1), timeout=120, what="the file once the inventory answers")
        assert service.stop() == 0, service.output()
    finally:
        server.shutdown()
        server.server_close()
    _assert_went_through_once_and_the_fault_cleared(ws, content)
    assert "INVENTORY_UNAVAILABLE" not in service.output()
    [doc] = results(ws)
    assert doc["inventory"]["kind"] == "snipeit" and doc["inventory"]["assets"] == 22


def test_our_bug_keeps_the_files_and_tells_the_operators_the_traceback_once(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """Two files meet the same bug: both are kept (not quarantined, senders told nothing), one
    message with the traceback goes to the operators, and the traceback is logged once, not
    on every rescan. A restart tries them once more (it may run a fixed version)."""
    ws = write_workspace(tmp_path / "ws", **OPERATORS)
    files = {
        "первая.csv": csv_bytes("INV-1;server", "#crash=bug"),
        "вторая.csv": csv_bytes("INV-2;laptop", "#crash=bug"),
    }
    service = services(ws)
    for name, content in files.items():
        drop(ws / "inbox" / name, content)

    def both_held() -> bool:
        return _held(ws)() and ledger_rows(ws, "SELECT count(*) FROM holds") == [(2,)]

    wait_for(both_held, timeout=30, what="both files held for the bug")
    time.sleep(3.5)  # several rescans and sweeps
    assert service.stop() == 0, service.output()

    _assert_sender_told_nothing_wrong(ws)
    kept = sorted(p.name.split("__", 1)[1] for p in (ws / "state" / "work").rglob("*.csv"))
    assert kept == sorted(files)
    [(kind, times)] = ledger_rows(ws, "SELECT kind, times FROM faults")
    assert (kind, times) == ("bug", 2)
    [notice] = _operator_mails(ws)
    assert "Сверка ОС: ошибка в программе — ZeroDivisionError" in str(notice["Subject"])
    assert "Traceback (most recent call last)" in _plain(notice)
    assert service.output().count("Traceback") == 1, service.output()

    restarted = services(ws)
    wait_for(
        lambda: ledger_rows(ws, "SELECT times FROM faults") == [(4,)],
        timeout=30,
        what="the files tried again at the start",
    )
    time.sleep(2.5)  # and not again on the rescans after it
    assert restarted.stop() == 0, restarted.output()
    assert ledger_rows(ws, "SELECT times FROM faults") == [(4,)]
    assert len(_operator_mails(ws)) == 1
    _assert_sender_told_nothing_wrong(ws)
