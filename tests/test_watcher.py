"""The service as it runs for real: `python -m reconciler watch` in a subprocess on a temp
workspace, files copied in chunks, kill -9 at named points, two instances on one inbox.

The service processes files with tests/tiny_pipeline.py (RECONCILER_TEST_PROCESSOR), a small
real reader with run_file's contract, so these tests exercise intake, the child process, the
ledger and the moves, whatever state the reconciliation stages are in.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path

import pytest
import yaml

from reconciler.config import load_config
from reconciler.watcher import Service

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def xlsx_bytes(marker: str) -> bytes:
    """A real zip container with workbook parts (the tiny reader lists its parts as rows)."""
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", f"<workbook>{marker}</workbook>")
        z.writestr("xl/worksheets/sheet1.xml", os.urandom(20_000).hex())  # some bulk to copy
    return buf.getvalue()


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def write_workspace(root: Path, *, polling: bool = False, **sections: dict) -> Path:
    """A workspace config: short settle and rescan times, the given extra sections."""
    config = {
        "inventory": {"path": "inventory.xlsx"},
        "watch": {"polling": polling, "settle_seconds": 0.3, "interval_seconds": 1.0},
        "mail": {"transport": "file"},
    }
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value}
    root.mkdir(parents=True, exist_ok=True)
    (root / "inbox").mkdir(exist_ok=True)
    (root / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


class ServiceProcess:
    """One `reconciler watch` subprocess; its stderr goes to a file the failures show."""

    count = 0

    def __init__(self, ws: Path, **env: str) -> None:
        ServiceProcess.count += 1
        self.log = ws / f"service-{ServiceProcess.count}.stderr"
        full_env = {
            **os.environ,
            "PYTHONPATH": str(TESTS),
            "RECONCILER_TEST_PROCESSOR": "tiny_pipeline:run_file",
            **env,
        }
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "reconciler", "watch", "--config", str(ws / "config.yaml")],
                cwd=ws,
                env=full_env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)

    def wait_for_death(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    """Starts services; kills any still running at the end so no test leaks a process."""
    started: list[ServiceProcess] = []

    def start(ws: Path, **env: str) -> ServiceProcess:
        s = ServiceProcess(ws, **env)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def drop(path: Path, data: bytes, *, chunks: int = 4, pause: float = 0.12) -> None:
    """Copy as a slow share does: the file grows in chunks, pausing under the settle time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    step = max(1, len(data) // chunks)
    with open(path, "wb") as f:
        for i in range(0, len(data), step):
            f.write(data[i : i + step])
            f.flush()
            time.sleep(pause)


def wait_for(condition: Callable[[], object], timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")


def results(ws: Path) -> list[dict]:
    return [
        json.loads((d / "results.json").read_text(encoding="utf-8"))
        for d in sorted((ws / "outbox").glob("*"))
        if (d / "results.json").is_file()
    ]


def ledger_rows(ws: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(ws / "state" / "ledger.sqlite")
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def settled(ws: Path, n: int) -> Callable[[], bool]:
    """n files have reached a final, notified state in the ledger."""

    def check() -> bool:
        if not (ws / "state" / "ledger.sqlite").exists():
            return False
        rows = ledger_rows(
            ws,
            "SELECT count(*) FROM files WHERE state IN ('archived', 'quarantined') "
            "AND notified_at IS NOT NULL",
        )
        return rows[0][0] >= n

    return check


def assert_processed_exactly_once(ws: Path, dropped: dict[str, bytes]) -> None:
    """Each dropped content: one complete run folder, one archive copy, one complete run row."""
    by_sha: dict[str, int] = {}
    for doc in results(ws):
        by_sha[doc["source"]["sha256"]] = by_sha.get(doc["source"]["sha256"], 0) + 1
    archived: dict[str, int] = {}
    for p in (ws / "archive").rglob("*"):
        if p.is_file():
            archived[sha(p.read_bytes())] = archived.get(sha(p.read_bytes()), 0) + 1
    complete = dict(
        ledger_rows(ws, "SELECT sha256, count(*) FROM runs WHERE outcome='complete' GROUP BY 1")
    )
    for name, data in dropped.items():
        h = sha(data)
        assert (by_sha.get(h), archived.get(h), complete.get(h)) == (1, 1, 1), name
    assert not list((ws / "outbox").glob("*.partial")), "a partial run folder was left behind"
    assert not [p for p in (ws / "state" / "work").rglob("*") if p.is_file()]


@pytest.mark.parametrize("polling", [False, True], ids=["native", "polling"])
def test_dropped_files_are_each_processed_once_after_they_are_complete(
    tmp_path: Path, services: Callable[..., ServiceProcess], polling: bool
) -> None:
    ws = write_workspace(tmp_path / "ws", polling=polling)
    inbox = ws / "inbox"
    service = services(ws)
    good = {
        "ведомость ОС №1 (копия).xlsx": xlsx_bytes("one"),
        "moscow/Register 2.xlsx": xlsx_bytes("two"),
        "spb/отдел ИТ/опись 3.csv": csv_bytes("INV-1;server", "INV-2;laptop"),
    }
    for rel, data in good.items():
        drop(inbox / rel, data)
    renamed = tmp_path / "elsewhere.csv"  # saved outside, then moved in whole
    renamed.write_bytes(csv_bytes("INV-9;switch"))
    good["renamed in.csv"] = renamed.read_bytes()
    os.rename(renamed, inbox / "renamed in.csv")
    noise = {
        "~$ведомость ОС №1 (копия).xlsx": b"lock of another user",
        "spb/.~lock.опись 3.csv#": b"libreoffice lock",
        "moscow/upload.tmp": b"temp",
        ".hidden.xlsx": xlsx_bytes("hidden"),
        "desktop.ini": b"[.ShellClassInfo]",
    }
    for rel, data in noise.items():
        (inbox / rel).write_bytes(data)
    half = xlsx_bytes("corrupt")
    drop(inbox / "moscow" / "битый файл.xlsx", half[: len(half) // 2])

    wait_for(settled(ws, 4), what="the good files")
    wait_for(lambda: (ws / "quarantine" / "moscow" / "битый файл.xlsx").exists(), what="quarantine")
    wait_for(settled(ws, 5), what="the quarantined file to be recorded")
    assert service.stop() == 0, service.output()

    assert_processed_exactly_once(ws, good)
    folders = {doc["source"]["file"]: doc["source"]["folder"] for doc in results(ws)}
    assert folders == {
        "ведомость ОС №1 (копия).xlsx": "",
        "Register 2.xlsx": "moscow",
        "опись 3.csv": "spb/отдел ИТ",
        "renamed in.csv": "",
    }
    for rel, data in good.items():  # byte for byte, under the subfolder it came from
        assert (ws / "archive" / rel).read_bytes() == data
    reason = (ws / "quarantine" / "moscow" / "битый файл.xlsx.error.txt").read_text("utf-8")
    assert "битый файл.xlsx" in reason and "damaged" in reason and "drop" in reason
    assert (ws / "quarantine" / "moscow" / "битый файл.xlsx").read_bytes() == half[: len(half) // 2]
    for rel, data in noise.items():  # locks, temp and hidden files are nobody's business
        assert (inbox / rel).read_bytes() == data
    assert ledger_rows(ws, "SELECT state, folder FROM files WHERE name = 'битый файл.xlsx'") == [
        ("quarantined", "moscow")
    ]
    log = (ws / "state" / "reconciler.log").read_text("utf-8")
    for event in ("received", "claimed", "processed", "quarantined"):
        assert event in log


def test_a_workbook_open_in_excel_waits_for_its_lock_to_go(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    ws = write_workspace(tmp_path / "ws")
    (ws / "inbox" / "~$r.xlsx").write_bytes(b"owner")
    drop(ws / "inbox" / "r.xlsx", xlsx_bytes("open"))
    service = services(ws)
    time.sleep(2.5)  # several settle times and rescans
    assert results(ws) == []
    (ws / "inbox" / "~$r.xlsx").unlink()  # Excel closed the workbook
    wait_for(settled(ws, 1))
    assert service.stop() == 0
    assert [doc["source"]["file"] for doc in results(ws)] == ["r.xlsx"]


CRASH_POINTS = ["claimed", "processing", "running", "staged", "recorded", "archived"]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_kill_9_at_any_step_then_a_restart_processes_every_file_exactly_once(
    tmp_path: Path, services: Callable[..., ServiceProcess], point: str
) -> None:
    ws = write_workspace(tmp_path / "ws")
    dropped = {
        "moscow/a.csv": csv_bytes("INV-1;x", "#slow=0.5"),
        "b.xlsx": xlsx_bytes("b"),
    }
    crashing = services(ws, RECONCILER_TEST_CRASH_AT=point)
    for rel, data in dropped.items():
        (ws / "inbox" / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / "inbox" / rel).write_bytes(data)
    assert crashing.wait_for_death() == -signal.SIGKILL, crashing.output()
    assert f"test crash at {point}" in crashing.output()

    restarted = services(ws)
    wait_for(settled(ws, 2), what="both files after the restart")
    assert restarted.stop() == 0, restarted.output()
    assert_processed_exactly_once(ws, dropped)
    assert ledger_rows(ws, "SELECT count(*) FROM runs WHERE outcome != 'complete'") == [(0,)]


def test_two_services_on_one_inbox_process_each_file_once(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    ws = write_workspace(tmp_path / "ws")
    first, second = services(ws), services(ws)
    time.sleep(1.0)  # both are up and scanning
    dropped = {f"dept{i % 2}/r{i}.csv": csv_bytes(f"INV-{i};item {i}") for i in range(10)}
    staging = tmp_path / "staging"
    for rel, data in dropped.items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_bytes(data)
    for rel in dropped:  # all appear at once, ready for both instances at the same moment
        (ws / "inbox" / rel).parent.mkdir(parents=True, exist_ok=True)
        os.rename(staging / rel, ws / "inbox" / rel)
    wait_for(settled(ws, 10), what="all ten files")
    assert first.stop() == 0 and second.stop() == 0
    assert_processed_exactly_once(ws, dropped)
    assert ledger_rows(ws, "SELECT count(*) FROM files") == [(10,)]


def test_sigterm_during_a_long_file_exits_0_and_the_file_is_done_at_the_next_start(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    ws = write_workspace(tmp_path / "ws")
    data = csv_bytes("INV-1;slow", "#slow=3")
    (ws / "inbox" / "slow.csv").write_bytes(data)
    service = services(ws)
    wait_for(lambda: "claimed slow.csv" in service.output(), what="the claim")
    started = time.monotonic()
    assert service.stop() == 0
    assert time.monotonic() - started < 2.5  # abandoned, not waited for
    assert "abandoned slow.csv" in service.output()
    assert results(ws) == [] and not list((ws / "outbox").glob("*.partial"))

    again = services(ws)
    wait_for(settled(ws, 1))
    assert again.stop() == 0
    assert_processed_exactly_once(ws, {"slow.csv": data})


def test_a_file_over_a_limit_or_crashing_the_reader_is_quarantined_and_the_service_goes_on(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    limits = {"max_file_mb": 0.01, "max_seconds": 2, "max_memory_mb": 400}
    ws = write_workspace(tmp_path / "ws", limits=limits)
    bad = {
        "big.csv": (csv_bytes(*(f"INV-{i};{'x' * 40}" for i in range(400))), "max_file_mb"),
        "slow.csv": (csv_bytes("INV-1;x", "#slow=30"), "max_seconds"),
        "hog.csv": (csv_bytes("INV-1;x", "#allocate=1000"), "max_memory_mb"),
        "abort.csv": (csv_bytes("INV-1;x", "#crash=abort"), "SIGABRT"),
    }
    good = {"good.csv": csv_bytes("INV-2;fine")}
    for name, (data, _) in bad.items():
        (ws / "inbox" / name).write_bytes(data)
    (ws / "inbox" / "good.csv").write_bytes(good["good.csv"])
    service = services(ws)
    wait_for(settled(ws, 5), timeout=30, what="all five files")
    assert service.stop() == 0
    assert_processed_exactly_once(ws, good)
    for name, (data, words) in bad.items():
        assert (ws / "quarantine" / name).read_bytes() == data
        assert words in (ws / "quarantine" / f"{name}.error.txt").read_text("utf-8"), name
    errors = {
        r[0]: r[1]
        for r in ledger_rows(ws, "SELECT file_name, error FROM runs WHERE outcome='quarantined'")
    }
    assert set(errors) == set(bad)


def test_the_same_content_dropped_again_is_reprocessed_and_names_the_earlier_run(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    ws = write_workspace(tmp_path / "ws")
    data = csv_bytes("INV-1;server")
    service = services(ws)
    (ws / "inbox" / "r.csv").write_bytes(data)
    wait_for(settled(ws, 1))
    (ws / "inbox" / "r.csv").write_bytes(data)  # the accountant sends it again
    wait_for(settled(ws, 2))
    assert service.stop() == 0
    first, second = results(ws)
    assert "duplicate_of" not in first
    assert second["duplicate_of"]["run_id"] == first["run_id"]
    assert second["duplicate_of"]["received_at"]
    assert sorted(p.name for p in (ws / "archive").iterdir()) == ["r (2).csv", "r.csv"]


def test_with_on_duplicate_point_the_same_content_is_archived_and_points_to_the_earlier_run(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    ws = write_workspace(tmp_path / "ws", watch={"on_duplicate": "point"})
    data = csv_bytes("INV-1;server")
    service = services(ws)
    (ws / "inbox" / "r.csv").write_bytes(data)
    wait_for(settled(ws, 1))
    (ws / "inbox" / "again.csv").write_bytes(data)
    wait_for(settled(ws, 2))
    assert service.stop() == 0
    [only] = results(ws)
    runs = ledger_rows(ws, "SELECT file_name, outcome, run_dir FROM runs ORDER BY started_at")
    assert runs[1][:2] == ("again.csv", "duplicate")
    assert runs[1][2] == str(ws / "outbox" / only["run_id"])
    assert (ws / "archive" / "again.csv").read_bytes() == data


@pytest.mark.parametrize("polling", [False, True], ids=["native", "polling"])
def test_a_dead_observer_is_restarted(tmp_path: Path, polling: bool) -> None:
    """watchdog #452/#1065: the emitter thread dies while the observer still says alive."""
    ws = write_workspace(tmp_path / "ws", polling=polling)
    service = Service(load_config(ws / "config.yaml"))
    try:
        service.ensure_observer()
        old = service.observer
        for emitter in list(old.emitters):
            emitter.stop()
            emitter.join(5)
        assert old.is_alive()  # what the bug looks like from outside
        service.ensure_observer()
        assert service.observer is not old
        assert all(e.is_alive() for e in service.observer.emitters)
        service.wake.clear()
        (ws / "inbox" / "r.csv").write_bytes(b"x")
        assert service.wake.wait(5)  # the new observer delivers hints again
    finally:
        service._stop_observer()
        service.conn.close()


def test_the_service_loop_stops_cleanly_when_asked(tmp_path: Path) -> None:
    """stop() (what SIGTERM calls) ends run() within a tick even with nothing to do."""
    ws = write_workspace(tmp_path / "ws")
    service = Service(load_config(ws / "config.yaml"))
    runner = threading.Thread(target=service.run)
    runner.start()
    time.sleep(0.5)
    service.stop()
    runner.join(5)
    assert not runner.is_alive()
