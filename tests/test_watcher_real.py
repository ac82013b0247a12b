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
import stat
import time
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
    [eml] = (ws / "outbox" / "mail").glob("quarantine-*.eml")  # the email says it in Russian too
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


# --- a shared folder is hostile ground (issue 10, items 1 and 2) ------------------------------


def _name_of_bytes(n: int, ext: str = ".xlsx") -> str:
    """A Russian register name of exactly n bytes in UTF-8 (Cyrillic letters are 2 bytes)."""
    room = n - len(ext.encode())
    return "В" * (room // 2) + "a" * (room % 2) + ext


def _plain_text(eml: Path) -> str:
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    return message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def _attachment_names(eml: Path) -> list[str]:
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    return [part.get_filename() or "" for part in message.iter_attachments()]


def _written_files(ws: Path) -> Iterator[Path]:
    """Every regular file the service wrote in the workspace; links are not followed."""
    for root, _dirs, files in os.walk(ws):
        for name in files:
            path = Path(root) / name
            if stat.S_ISREG(os.lstat(path).st_mode):
                yield path


def _assert_never_quoted(ws: Path, service: ServiceProcess, secret: bytes) -> None:
    """The secret is in no output: not a note, a run folder, an email, the ledger or a log."""
    for path in _written_files(ws):
        assert secret not in path.read_bytes(), f"{path} quotes the link's target"
    assert secret.decode() not in service.output()


@pytest.mark.parametrize(
    "nbytes",
    [240, 243, 247, 248, 249, 255],
    ids=lambda n: f"{n}-bytes",
)
def test_a_register_with_a_name_up_to_255_bytes_is_reconciled_and_mailed_like_any_other(
    tmp_path: Path, services: Callable[..., ServiceProcess], nbytes: int
) -> None:
    """248 bytes made the service exit 3 at start (the `.~lock.<name>#` check); 240-247 bytes
    broke the names we derive from it (the reconciled workbook, the note's temp file)."""
    ws = real_workspace(tmp_path)
    name = _name_of_bytes(nbytes)
    assert len(name.encode()) == nbytes
    content = (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes()
    damaged_name = "Б" + name[1:]  # another name of the same length
    service = services(ws, **REAL)
    drop(ws / "inbox" / "moscow" / name, content)
    drop(ws / "inbox" / "moscow" / damaged_name, content[:-200])  # central directory missing

    wait_for(settled(ws, 2), timeout=90, what="the long-named register and the damaged one")
    assert service.proc.poll() is None, service.output()
    assert service.stop() == 0, service.output()

    assert_processed_exactly_once(ws, {name: content})
    [doc] = results(ws)
    assert (doc["source"]["file"], doc["source"]["folder"]) == (name, "moscow")
    run_dir = ws / "outbox" / doc["run_id"]
    assert any(p.name.endswith(".reconciled.xlsx") for p in run_dir.iterdir())
    [accounting] = run_dir.glob("mail/accounting*.eml")
    assert f"Файл «{name}»" in _plain_text(accounting)
    assert any(n.endswith(".reconciled.xlsx") for n in _attachment_names(accounting))
    [archived] = (ws / "archive" / "moscow").iterdir()
    assert archived.read_bytes() == content and not archived.is_symlink()

    [quarantined] = [p for p in (ws / "quarantine" / "moscow").iterdir() if p.suffix == ".xlsx"]
    assert quarantined.read_bytes() == content[:-200]
    note = quarantined.with_name(quarantined.name + ".error.txt").read_text("utf-8")
    assert f"Файл «{damaged_name}» повреждён или скопирован не до конца" in note
    [eml] = (ws / "outbox" / "mail").glob("quarantine-*.eml")
    assert f"Файл «{damaged_name}»" in _plain_text(eml)
    names = ledger_rows(ws, "SELECT name, state FROM files ORDER BY name")
    assert sorted(names) == sorted([(name, "archived"), (damaged_name, "quarantined")])
    assert "Traceback" not in service.output()
    assert "READER_CRASHED" not in (ws / "state" / "reconciler.log").read_text("utf-8")


def test_a_symlink_in_the_inbox_is_refused_with_a_note_and_its_target_is_never_read(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """A link to another department's register was reconciled and mailed; a link to a system
    file had its text quoted in the quarantine note and the email."""
    ws = real_workspace(tmp_path)
    elsewhere = tmp_path / "other department"
    elsewhere.mkdir()
    register = elsewhere / "их ведомость.xlsx"
    shutil.copy(tmp_path / "sources" / "ведомость-ОС.xlsx", register)
    secret = b"root:x:0:0:SECRET-7f3a9c:/root:/bin/bash\n"
    system_file = elsewhere / "passwd.csv"
    system_file.write_bytes(secret)
    before = register.read_bytes()
    service = services(ws, **REAL)
    (ws / "inbox" / "moscow").mkdir(exist_ok=True)
    (ws / "inbox" / "moscow" / "ведомость.xlsx").symlink_to(register)
    (ws / "inbox" / "moscow" / "accounts.csv").symlink_to(system_file)

    wait_for(settled(ws, 2), timeout=60, what="the two links refused")
    assert service.stop() == 0, service.output()

    assert results(ws) == [] and not list((ws / "archive").rglob("*.*"))
    assert ledger_rows(ws, "SELECT outcome, count(*) FROM runs GROUP BY 1") == [("quarantined", 2)]
    mails = ledger_rows(ws, "SELECT kind, count(*) FROM emails GROUP BY 1")
    assert mails == [("quarantine", 2)]
    for name in ("ведомость.xlsx", "accounts.csv"):
        note = (ws / "quarantine" / "moscow" / f"{name}.error.txt").read_text("utf-8")
        assert f"«{name}» — не сам файл, а ссылка" in note, note
        assert "Скопируйте в папку сам файл ведомости" in note
    texts = [_plain_text(eml) for eml in (ws / "outbox" / "mail").glob("quarantine-*.eml")]
    assert all("ссылка" in text for text in texts), texts
    _assert_never_quoted(ws, service, b"SECRET-7f3a9c")
    assert register.read_bytes() == before and system_file.read_bytes() == secret


def test_a_symlinked_department_folder_is_not_looked_into(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    ws = real_workspace(tmp_path)
    elsewhere = tmp_path / "another share"
    elsewhere.mkdir()
    shutil.copy(tmp_path / "sources" / "ведомость-ОС.xlsx", elsewhere / "их ведомость.xlsx")
    (ws / "inbox" / "филиал").symlink_to(elsewhere, target_is_directory=True)
    content = (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes()
    service = services(ws, **REAL)
    drop(ws / "inbox" / "moscow" / "наша ведомость.xlsx", content)

    wait_for(settled(ws, 1), timeout=60, what="the register beside the linked folder")
    time.sleep(2.5)  # two more rescans: the linked folder would have been found by now
    assert service.stop() == 0, service.output()

    assert [doc["source"]["file"] for doc in results(ws)] == ["наша ведомость.xlsx"]
    assert ledger_rows(ws, "SELECT name FROM files") == [("наша ведомость.xlsx",)]
    assert (elsewhere / "их ведомость.xlsx").read_bytes() == content
    assert "a link to a folder: not looked into" in service.output()


def test_a_hard_link_in_the_inbox_is_refused_with_a_note_and_the_other_name_keeps_its_file(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    ws = real_workspace(tmp_path)
    elsewhere = tmp_path / "other department"
    elsewhere.mkdir()
    register = elsewhere / "их ведомость.xlsx"
    shutil.copy(tmp_path / "sources" / "ведомость-ОС.xlsx", register)
    before = register.read_bytes()
    service = services(ws, **REAL)
    (ws / "inbox" / "moscow").mkdir(exist_ok=True)
    os.link(register, ws / "inbox" / "moscow" / "ведомость.xlsx")

    wait_for(settled(ws, 1), timeout=60, what="the hard link refused")
    assert service.stop() == 0, service.output()

    assert results(ws) == [] and not list((ws / "archive").rglob("*.*"))
    note = (ws / "quarantine" / "moscow" / "ведомость.xlsx.error.txt").read_text("utf-8")
    assert "«ведомость.xlsx» — не сам файл, а ссылка" in note and "hard link" in note
    [eml] = (ws / "outbox" / "mail").glob("quarantine-*.eml")
    assert "Скопируйте в папку сам файл ведомости" in _plain_text(eml)
    assert register.read_bytes() == before


@pytest.mark.parametrize("point", ["claimed", "processing"])
def test_a_claimed_file_swapped_for_a_symlink_is_refused_unread_after_a_restart(
    tmp_path: Path, services: Callable[..., ServiceProcess], point: str
) -> None:
    """The check is repeated on what sits in state/work: whoever swaps the claimed file for a
    link (while the service is down, here) gets a refusal, never the target's content."""
    ws = real_workspace(tmp_path)
    secret_file = tmp_path / "secret.csv"
    secret_file.write_bytes(b"inventory_number;name\nSECRET-51d0e2;server\n")
    crashing = services(ws, RECONCILER_TEST_CRASH_AT=point, **REAL)
    drop(ws / "inbox" / "ведомость.xlsx", (tmp_path / "sources" / "ведомость-ОС.xlsx").read_bytes())
    assert crashing.wait_for_death(timeout=60) == -signal.SIGKILL, crashing.output()
    [claimed] = [p for p in (ws / "state" / "work").rglob("*") if p.is_file()]
    claimed.unlink()
    claimed.symlink_to(secret_file)

    restarted = services(ws, **REAL)
    wait_for(settled(ws, 1), timeout=60, what="the swapped file refused")
    assert restarted.stop() == 0, restarted.output()

    assert results(ws) == []
    assert ledger_rows(ws, "SELECT name, state FROM files") == [("ведомость.xlsx", "quarantined")]
    note = (ws / "quarantine" / "ведомость.xlsx.error.txt").read_text("utf-8")
    assert "«ведомость.xlsx» — не сам файл, а ссылка" in note
    _assert_never_quoted(ws, restarted, b"SECRET-51d0e2")


def test_an_empty_file_that_stays_empty_is_quarantined_with_a_note_and_the_sender_told(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """A 0-byte register stayed in the inbox forever: one "received" line, no note, no email.
    It waits out the stale-lock time (here 1.2 s) with no lock beside it, then is refused."""
    ws = real_workspace(tmp_path, watch={"stale_lock_minutes": 0.02})
    service = services(ws, **REAL)
    (ws / "inbox" / "moscow").mkdir(exist_ok=True)
    (ws / "inbox" / "moscow" / "ведомость.xlsx").write_bytes(b"")

    wait_for(settled(ws, 1), timeout=60, what="the empty file refused")
    assert service.stop() == 0, service.output()

    assert not list((ws / "inbox").rglob("*.xlsx"))
    assert (ws / "quarantine" / "moscow" / "ведомость.xlsx").read_bytes() == b""
    note = (ws / "quarantine" / "moscow" / "ведомость.xlsx.error.txt").read_text("utf-8")
    assert "Файл «ведомость.xlsx» пустой" in note and "Выгрузите ведомость заново" in note, note
    assert ledger_rows(ws, "SELECT outcome, count(*) FROM runs GROUP BY 1") == [("quarantined", 1)]
    [eml] = (ws / "outbox" / "mail").glob("quarantine-*.eml")
    assert "пустой" in _plain_text(eml)
    assert "has stayed empty" in service.output()
