"""Running `python -m reconciler watch` for real in tests: workspaces, dropping files the way a
share does, waiting for the ledger, and the exactly-once check. Used by test_watcher*.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

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


def _merge(config: dict[str, Any], sections: dict[str, Any]) -> None:
    """A test's sections over the config: a mapping adds to the section, anything else replaces it."""
    for key, value in sections.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value


def write_workspace(root: Path, *, polling: bool = False, **sections: Any) -> Path:
    """A workspace config: short settle and rescan times, the given keys (sections merged)."""
    config = {
        "inventory": {"path": "inventory.xlsx"},
        "watch": {"polling": polling, "settle_seconds": 0.3, "interval_seconds": 1.0},
        "mail": {"transport": "file"},
    }
    _merge(config, sections)
    root.mkdir(parents=True, exist_ok=True)
    (root / "inbox").mkdir(exist_ok=True)
    (root / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


class ServiceProcess:
    """One `reconciler watch` subprocess; its stderr goes to a file the failures show."""

    count = 0

    def __init__(self, ws: Path, *, prefix: Sequence[str] = (), **env: str) -> None:
        """`prefix`: a command the service runs under (setpriv, to drop a capability)."""
        ServiceProcess.count += 1
        self.log = ws / f"service-{ServiceProcess.count}.stderr"
        full_env = {
            **os.environ,
            "PYTHONPATH": str(TESTS),
            "RECONCILER_TEST_PROCESSOR": "tiny",
            "PYTHONFAULTHANDLER": "1",  # stacks on SIGABRT, for a service that hangs
            **env,
        }
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [
                    *prefix,
                    sys.executable,
                    "-m",
                    "reconciler",
                    "watch",
                    "--config",
                    str(ws / "config.yaml"),
                ],
                cwd=ws,
                env=full_env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def has_child(self) -> bool:
        """A file's child process is running (Linux /proc): a stop now interrupts real work."""
        tasks = Path(f"/proc/{self.proc.pid}/task")
        return any(t.read_text().split() for t in tasks.glob("*/children"))

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Signal the service and return its exit code. One that does not stop within a
        minute (SQLite's 30 s busy wait fits in it, on a loaded CI machine) is a hang: its
        threads' stacks are dumped (faulthandler, on SIGABRT) into the failure message."""
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)
            self.proc.wait(timeout=20)
            raise AssertionError(
                f"the service did not stop within 60 s of {signal.Signals(signum).name}; "
                f"its stacks and log:\n{self.output()}"
            ) from None

    def wait_for_death(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout=timeout)


def service_starter() -> Iterator[Callable[..., ServiceProcess]]:
    """The body of each test module's `services` fixture: starts services, and kills any still
    running at the end so no test leaks a process."""
    started: list[ServiceProcess] = []

    def start(ws: Path, *, prefix: Sequence[str] = (), **env: str) -> ServiceProcess:
        s = ServiceProcess(ws, prefix=prefix, **env)
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
        try:
            rows = ledger_rows(
                ws,
                "SELECT count(*) FROM files WHERE state IN ('archived', 'quarantined') "
                "AND notified_at IS NOT NULL",
            )
        except sqlite3.OperationalError:  # the service is still creating the schema
            return False
        return rows[0][0] >= n

    return check


def assert_processed_exactly_once(ws: Path, dropped: dict[str, bytes]) -> None:
    """Each dropped content: one complete run folder, one archive copy, one complete run row."""
    by_sha = Counter(doc["source"]["sha256"] for doc in results(ws))
    archived = Counter(sha(p.read_bytes()) for p in (ws / "archive").rglob("*") if p.is_file())
    complete = dict(
        ledger_rows(ws, "SELECT sha256, count(*) FROM runs WHERE outcome='complete' GROUP BY 1")
    )
    for name, data in dropped.items():
        h = sha(data)
        assert (by_sha.get(h), archived.get(h), complete.get(h)) == (1, 1, 1), name
    assert not list((ws / "outbox").glob("*.partial")), "a partial run folder was left behind"
    assert not [p for p in (ws / "state" / "work").rglob("*") if p.is_file()]


def real_workspace(root: Path, *, rows: int = 20, polling: bool = False, **sections: Any) -> Path:
    """A `reconciler demo` workspace (synthetic inventory, rules, mail to example.com) with an
    empty inbox and short watch times; its 1C register is moved to root/sources/."""
    from reconciler import synth

    ws = root / "ws"
    synth.write_demo_workspace(ws, seed=7, rows=rows)
    config = yaml.safe_load((ws / "config.yaml").read_text(encoding="utf-8"))
    config["watch"] = {"polling": polling, "settle_seconds": 0.3, "interval_seconds": 1.0}
    _merge(config, sections)
    (ws / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    sources = root / "sources"
    sources.mkdir()
    for register in [p for p in (ws / "inbox").rglob("*") if p.is_file()]:
        register.rename(sources / register.name)
    return ws
