"""The service's mechanics, for real: `python -m reconciler watch` in a subprocess on a temp
workspace, locks, limits, SIGTERM, two instances on one inbox, duplicates, a dead observer.

These runs process files with tests/tiny_pipeline.py (RECONCILER_TEST_PROCESSOR), a small real
reader with run_file's contract that a file can steer (#slow=, #allocate=, #crash=), so every
limit and timing is deterministic. test_watcher_real.py runs the real pipeline.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from service_harness import (
    ServiceProcess,
    assert_processed_exactly_once,
    csv_bytes,
    drop,
    ledger_rows,
    results,
    service_starter,
    settled,
    wait_for,
    write_workspace,
    xlsx_bytes,
)

from reconciler.config import load_config
from reconciler.errors import ConfigError
from reconciler.service.loop import Service

pytestmark = pytest.mark.slow


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    """Starts `reconciler watch` subprocesses; kills leftovers at the end."""
    yield from service_starter()


@pytest.mark.parametrize("polling", [False, True], ids=["native", "polling"])
def test_a_workbook_open_in_excel_waits_for_its_lock_to_go(
    tmp_path: Path, services: Callable[..., ServiceProcess], polling: bool
) -> None:
    ws = write_workspace(tmp_path / "ws", polling=polling)
    (ws / "inbox" / "~$r.xlsx").write_bytes(b"owner")
    drop(ws / "inbox" / "r.xlsx", xlsx_bytes("open"))
    service = services(ws)
    time.sleep(2.5)  # several settle times and rescans
    assert results(ws) == []
    (ws / "inbox" / "~$r.xlsx").unlink()  # Excel closed the workbook
    wait_for(settled(ws, 1))
    assert service.stop() == 0
    assert [doc["source"]["file"] for doc in results(ws)] == ["r.xlsx"]


MAIL = {"recipients": {"default": ["buh@example.com"]}, "reviewers": ["it@example.com"]}


@pytest.mark.parametrize("point", ["failed", "quarantine-moved", "queued"])
def test_kill_9_while_quarantining_then_a_restart_quarantines_the_file_once(
    tmp_path: Path, services: Callable[..., ServiceProcess], point: str
) -> None:
    """After the failure is recorded, after the move into quarantine, after the mail is queued."""
    ws = write_workspace(tmp_path / "ws", mail=MAIL)
    data = b"\xff\xfe not a register"
    (ws / "inbox" / "dept").mkdir()
    (ws / "inbox" / "dept" / "bad.xls").write_bytes(data)
    crashing = services(ws, RECONCILER_TEST_CRASH_AT=point)
    assert crashing.wait_for_death() == -signal.SIGKILL, crashing.output()
    again = services(ws)
    wait_for(settled(ws, 1), what="the quarantined file after the restart")
    assert again.stop() == 0
    assert sorted(p.name for p in (ws / "quarantine" / "dept").iterdir()) == [
        "bad.xls",
        "bad.xls.error.txt",
    ]
    assert (ws / "quarantine" / "dept" / "bad.xls").read_bytes() == data
    note = (ws / "quarantine" / "dept" / "bad.xls.error.txt").read_text("utf-8")
    assert note.startswith("Файл «bad.xls» не обработан.")  # report.language ru comes first
    assert "Причина: Файл «bad.xls» — не таблица Excel: это двоичные данные" in note
    assert "binary data" in note
    assert not (ws / "archive" / "dept").exists()
    assert ledger_rows(ws, "SELECT outcome, count(*) FROM runs GROUP BY 1") == [("quarantined", 1)]
    assert ledger_rows(ws, "SELECT kind, count(*) FROM emails GROUP BY 1") == [("quarantine", 1)]
    [run_dir] = [d for d in (ws / "outbox").iterdir() if d.name != "mail"]  # mail/: the email
    [eml] = (ws / "outbox" / "mail").iterdir()
    assert eml.name.startswith("quarantine-")
    assert (run_dir / "error.txt").read_text("utf-8") == note  # the same note, ru first


@pytest.mark.parametrize("polling", [False, True], ids=["native", "polling"])
def test_two_services_on_one_inbox_process_each_file_once(
    tmp_path: Path, services: Callable[..., ServiceProcess], polling: bool
) -> None:
    ws = write_workspace(tmp_path / "ws", polling=polling)
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


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_during_a_long_file_exits_0_and_the_file_is_done_at_the_next_start(
    tmp_path: Path, services: Callable[..., ServiceProcess], signum: int
) -> None:
    ws = write_workspace(tmp_path / "ws")
    data = csv_bytes("INV-1;slow", "#slow=3")
    (ws / "inbox" / "slow.csv").write_bytes(data)
    service = services(ws)
    wait_for(lambda: "claimed slow.csv" in service.output(), what="the claim")
    # The claim is logged before the child starts; a stop in between has nothing to abandon.
    wait_for(service.has_child, what="the child reading slow.csv")
    assert service.stop(signum) == 0
    assert "abandoned slow.csv" in service.output()  # the child was stopped, not waited for
    assert results(ws) == [] and not list((ws / "outbox").glob("*.partial"))

    again = services(ws)
    wait_for(settled(ws, 1))
    assert again.stop() == 0
    assert_processed_exactly_once(ws, {"slow.csv": data})


def test_a_file_over_a_limit_or_crashing_the_reader_is_quarantined_and_the_service_goes_on(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    # 6 s, not less: the good file must finish inside it, child start-up included, on a
    # loaded 2-core runner; slow.csv sleeps 30 s, so it is over any limit this size.
    limits = {"max_file_mb": 0.01, "max_seconds": 6, "max_memory_mb": 400}
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
    russian = {  # report.language ru: the sender reads why in Russian, IT the setting's name
        "big.csv": "Файл «big.csv» слишком большой",
        "slow.csv": "Обработка файла «slow.csv» заняла больше допустимых 6 с",
        "hog.csv": "больше памяти, чем разрешено (400 МБ)",
        "abort.csv": "программа чтения аварийно завершилась",
    }
    for name, (data, words) in bad.items():
        assert (ws / "quarantine" / name).read_bytes() == data
        note = (ws / "quarantine" / f"{name}.error.txt").read_text("utf-8")
        assert words in note and russian[name] in note, name
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


def test_a_state_folder_on_another_filesystem_than_the_inbox_is_a_config_error(
    tmp_path: Path,
) -> None:
    """No atomic claim across filesystems: say so at start-up rather than fail on each file."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the temp folder")
    state = Path(tempfile.mkdtemp(dir=shm))
    try:
        ws = write_workspace(tmp_path / "ws", state=str(state))
        with pytest.raises(ConfigError, match="another filesystem than the inbox"):
            Service(load_config(ws / "config.yaml"))
    finally:
        shutil.rmtree(state)


def test_the_service_process_never_imports_the_reading_stages() -> None:
    """A stage that is heavy, or breaks on a file, may only ever cost the child process."""
    probe = "import sys, reconciler.service.loop; print(sorted(m for m in sys.modules if m in %r))"
    heavy = ["reconciler.pipeline", "reconciler.read.sheets", "pandas", "openpyxl", "numpy"]
    out = subprocess.run(
        [sys.executable, "-c", probe % heavy], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_service_logs_its_folders_when_it_starts_and_the_signal_when_it_stops(
    tmp_path: Path, services: Callable[..., ServiceProcess], signum: signal.Signals
) -> None:
    """An operator reading the log saw no line at the stop, and "sent" for mail that the file
    transport only wrote to a folder."""
    ws = write_workspace(tmp_path / "ws", mail=MAIL)
    service = services(ws)
    drop(ws / "inbox" / "r.xlsx", xlsx_bytes("logged"))
    wait_for(settled(ws, 1))
    assert service.stop(signum) == 0
    lines = service.output().splitlines()
    [started] = [line for line in lines if "started: inbox" in line]
    for folder in ("inbox", "outbox", "archive", "quarantine"):
        assert f"{folder} {(ws / folder).resolve()}" in started, started
    assert "native events" in started
    assert f"mail written to {(ws / 'state' / 'mail').resolve()}" in started
    assert lines[-1].endswith(f"stopped on {signum.name}"), lines[-3:]
    delivered = [line for line in lines if "message <" in line and "queued" not in line]
    assert delivered and all("written (.eml, file transport)" in line for line in delivered)
    assert not any(" sent " in line for line in lines), lines
