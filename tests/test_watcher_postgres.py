"""Two service instances, one shared inbox, one PostgreSQL ledger (issue 17): each with a state
folder of its own (work folder, locks, log), as two machines on one share would be. Files are
dropped at once; one instance is killed with SIGKILL mid-file and started again; the database
is restarted while files are in flight. Every file and every email must come out exactly once.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from postgres_server import Cluster, fresh_database
from service_harness import ServiceProcess, csv_bytes, service_starter, sha, wait_for

FILES = int(os.environ.get("RECONCILER_TEST_SHARED_FILES", "40"))


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    yield from service_starter()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A cluster of this test's own: it is restarted mid-test."""
    try:
        import psycopg  # noqa: F401

        own = Cluster()
    except (ImportError, FileNotFoundError, OSError) as e:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is needed in CI: {e}")
        pytest.skip(f"no PostgreSQL here ({e})")
    try:
        yield own
    finally:
        own.stop()


def instance(root: Path, shared: Path, url: str) -> Path:
    """A machine's folder: its config (shared inbox, outbox, archive, quarantine; its own
    state) and nothing else."""
    root.mkdir(parents=True)
    config = {
        "inventory": {"path": "inventory.xlsx"},
        **{k: str(shared / k) for k in ("inbox", "outbox", "archive", "quarantine")},
        "state": str(root / "state"),
        "watch": {"settle_seconds": 0.3, "interval_seconds": 1.0},
        "mail": {
            "transport": "file",
            "recipients": {"default": ["buh@corp.example"]},
            "reviewers": ["it@corp.example"],
        },
        "ledger": {"url": url},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return root


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return list(conn.execute(sql).fetchall())


def settled(url: str, n: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            [(done,)] = rows(
                url,
                "SELECT count(*) FROM files WHERE state IN ('archived', 'quarantined') "
                "AND notified_at IS NOT NULL",
            )
        except Exception:  # the schema is not there yet, or the database is restarting
            return False
        return int(str(done)) >= n

    return check


def test_two_instances_on_one_share_with_a_kill_and_a_database_restart_process_each_file_once(
    tmp_path: Path, services: Callable[..., ServiceProcess], cluster: Cluster
) -> None:
    databases = fresh_database(cluster.url)
    url = next(databases)
    shared = tmp_path / "share"
    (shared / "inbox").mkdir(parents=True)
    a = instance(tmp_path / "a", shared, url)
    b = instance(tmp_path / "b", shared, url)
    first, second = services(a), services(b)
    # Each file takes a moment in its child, so the kill and the restart meet files in hand.
    dropped = {
        f"dept{i % 3}/r{i:03d}.csv": csv_bytes(f"INV-{i};item {i}", "#slow=0.3")
        for i in range(FILES)
    }
    staging = tmp_path / "staging"
    for rel, data in dropped.items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_bytes(data)
    time.sleep(1.0)  # both are up and scanning
    for rel in dropped:  # all appear at once
        (shared / "inbox" / rel).parent.mkdir(parents=True, exist_ok=True)
        os.rename(staging / rel, shared / "inbox" / rel)

    wait_for(first.has_child, timeout=60, what="instance a reading a file")
    first.proc.send_signal(signal.SIGKILL)  # kill -9 mid-file
    first.wait_for_death()
    first = services(a)
    wait_for(lambda: settled(url, FILES // 3)(), timeout=120, what="a third of the files")
    cluster.restart()  # connections cut while files are in flight
    wait_for(settled(url, FILES), timeout=300, what=f"all {FILES} files")
    assert first.stop() == 0 and second.stop() == 0

    results = [p for p in (shared / "outbox").glob("*/results.json")]
    archived = Counter(sha(p.read_bytes()) for p in (shared / "archive").rglob("*") if p.is_file())
    complete = Counter(
        str(s) for (s,) in rows(url, "SELECT sha256 FROM runs WHERE outcome = 'complete'")
    )
    for rel, data in dropped.items():
        h = sha(data)
        assert (archived[h], complete[h]) == (1, 1), rel
    assert len(results) == FILES
    assert not list((shared / "outbox").glob("*.partial"))
    assert not [p for p in (tmp_path / "a" / "state" / "work").rglob("*") if p.is_file()]
    assert not [p for p in (tmp_path / "b" / "state" / "work").rglob("*") if p.is_file()]
    assert rows(url, "SELECT count(*) FROM files") == [(FILES,)]
    # Every email once: two per run (accountants, reviewers), all sent, one .eml each.
    emails = rows(url, "SELECT kind, state, eml_path FROM emails WHERE kind <> 'operator'")
    assert Counter((k, s) for k, s, _ in emails) == {
        ("accounting", "sent"): FILES,
        ("reviewers", "sent"): FILES,
    }
    assert len({p for _, _, p in emails}) == 2 * FILES
    assert not [p for p in (shared / "quarantine").rglob("*") if p.is_file()]
    # Both instances did work: the share really was shared.
    logs = [(tmp_path / m / "state" / "reconciler.log").read_text() for m in ("a", "b")]
    assert all("processed" in log for log in logs)
    databases.close()
