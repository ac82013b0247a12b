"""The service with the real pipeline on synthetic registers (reconciler.synth): files copied in
chunks beside locks and litter, a damaged workbook, subfolders, unicode names, kill -9 at every
step of a file's life and a restart. The ground truth: each file has one complete run folder,
one archive copy byte for byte, one complete run and one set of emails in the ledger.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import signal
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
    xlsx_bytes,
)

from reconciler import synth

pytestmark = pytest.mark.slow
REAL = {"RECONCILER_TEST_PROCESSOR": ""}  # the real pipeline.run_file in the child


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    """Starts `reconciler watch` subprocesses; kills leftovers at the end."""
    yield from service_starter()


@pytest.mark.parametrize("polling", [False, True], ids=["native", "polling"])
def test_registers_dropped_beside_locks_and_litter_are_each_processed_once_when_complete(
    tmp_path: Path, services: Callable[..., ServiceProcess], polling: bool
) -> None:
    ws = real_workspace(tmp_path, polling=polling)
    inbox, sources = ws / "inbox", tmp_path / "sources"
    data = synth.generate(20, seed=7)  # the workspace's own data: these rows match its inventory
    synth.write_register_plain(data, sources / "plain.xlsx")
    synth.write_register_1c(synth.generate(20, seed=8), sources / "other.xlsx")
    good = {
        "moscow/ведомость ОС №1 (копия).xlsx": (sources / "ведомость-ОС.xlsx").read_bytes(),
        "Assets register.xlsx": (sources / "plain.xlsx").read_bytes(),
    }
    service = services(ws, **REAL)
    for rel, content in good.items():
        drop(inbox / rel, content)
    shutil.copy(sources / "other.xlsx", tmp_path / "saved elsewhere.xlsx")
    good["spb/отдел 2/saved elsewhere.xlsx"] = (sources / "other.xlsx").read_bytes()
    (inbox / "spb" / "отдел 2").mkdir(parents=True)
    os.rename(tmp_path / "saved elsewhere.xlsx", inbox / "spb" / "отдел 2" / "saved elsewhere.xlsx")
    noise = {
        "moscow/~$домость ОС №1 (копия).xlsx": b"lock of a user who closed Excel long ago",
        "moscow/upload.tmp": b"temp",
        ".hidden.xlsx": xlsx_bytes("hidden"),
        "Thumbs.db": b"thumbs",
    }
    for rel, content in noise.items():
        (inbox / rel).write_bytes(content)
    old = 1_000_000_000  # the lock above is stale (2001): it must not hold the file back
    os.utime(inbox / "moscow" / "~$домость ОС №1 (копия).xlsx", (old, old))
    damaged = good["Assets register.xlsx"][:-200]  # the central directory is missing
    drop(inbox / "moscow" / "битый.xlsx", damaged)

    wait_for(settled(ws, 4), timeout=60, what="three registers and the damaged file")
    assert service.stop() == 0, service.output()

    assert_processed_exactly_once(ws, good)
    for rel, content in good.items():
        assert (ws / "archive" / rel).read_bytes() == content
    by_file = {doc["source"]["file"]: doc for doc in results(ws)}
    assert {name: doc["source"]["folder"] for name, doc in by_file.items()} == {
        "ведомость ОС №1 (копия).xlsx": "moscow",
        "Assets register.xlsx": "",
        "saved elsewhere.xlsx": "spb/отдел 2",
    }
    for doc in by_file.values():
        assert doc["summary"]["rows"] == 20
        stored = ledger_rows(ws, f"SELECT count(*) FROM findings WHERE run_id = '{doc['run_id']}'")
        assert stored == [(len(doc["findings"]),)]
    assert (ws / "quarantine" / "moscow" / "битый.xlsx").read_bytes() == damaged
    reason = (ws / "quarantine" / "moscow" / "битый.xlsx.error.txt").read_text("utf-8")
    assert "Причина: Файл «битый.xlsx» повреждён или скопирован не до конца" in reason
    [eml] = (ws / "state" / "mail").glob("quarantine-*.eml")  # the email says it in Russian too
    body = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    text = body.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Скопируйте его в папку ещё раз" in text and "Details for IT" not in text
    for rel, content in noise.items():
        assert (inbox / rel).read_bytes() == content
    log = (ws / "state" / "reconciler.log").read_text("utf-8")
    assert all(event in log for event in ("received", "claimed", "processed", "quarantined"))
    mails = ledger_rows(ws, "SELECT kind, count(*) FROM emails GROUP BY 1 ORDER BY 1")
    assert mails == [("accounting", 3), ("quarantine", 1), ("reviewers", 3)]


CRASH_POINTS = [
    "inserted",
    "claimed",
    "processing",
    "running",
    "staged",
    "recorded",
    "archived",
    "queued",
]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_kill_9_at_any_step_then_a_restart_processes_the_file_exactly_once(
    tmp_path: Path, services: Callable[..., ServiceProcess], point: str
) -> None:
    """The crash points, in a file's order: after the claim is written to the ledger, after
    the claim's rename, after the run is started,
    with the child running, after the child wrote the run, after it recorded the findings,
    after the archive move, after the emails were queued."""
    ws = real_workspace(tmp_path)
    register = tmp_path / "sources" / "ведомость-ОС.xlsx"
    crashing = services(ws, RECONCILER_TEST_CRASH_AT=point, **REAL)
    (ws / "inbox" / "moscow").mkdir(exist_ok=True)
    shutil.copy(register, ws / "inbox" / "moscow" / register.name)
    assert crashing.wait_for_death(timeout=60) == -signal.SIGKILL, crashing.output()
    assert f"test crash at {point}" in crashing.output()

    restarted = services(ws, **REAL)
    wait_for(settled(ws, 1), timeout=60, what="the file after the restart")
    assert restarted.stop() == 0, restarted.output()
    assert_processed_exactly_once(ws, {register.name: register.read_bytes()})
    assert ledger_rows(ws, "SELECT outcome, count(*) FROM runs GROUP BY 1") == [("complete", 1)]
    mails = ledger_rows(ws, "SELECT kind, count(*) FROM emails GROUP BY 1 ORDER BY 1")
    assert mails == [("accounting", 1), ("reviewers", 1)]
