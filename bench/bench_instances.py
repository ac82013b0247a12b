"""Files per minute with one and with two `reconciler watch` instances on one share (issue 17).

A `reconciler demo` workspace gives the inventory, the rules and a real 1C register of --rows
rows; --files copies of it, each made distinct by its zip comment (same sheets, another sha256,
so none is a duplicate of another), go into three department folders. One throwaway
PostgreSQL cluster on loopback (tests/postgres_server.py, as the tests start it) holds a fresh
database per measurement. For 1 and then 2 instances: each instance has a state folder of its
own (work folder, locks, log) and the share's inbox, outbox, archive and quarantine; the
instances start, the files are renamed into the inbox all at once, and the time runs from the
first rename until the ledger has every file final with its email queued. The real pipeline
runs in each file's child, as a user's service runs it.

Also reported: each instance's share of the files (from its log), that every file was
archived once with one complete run and two emails, and whether the audit pack read from the
two-instance ledger equals the one-instance pack (tests/audit_view.py: what an auditor reads,
run ids and moments masked). The load average before and after each measurement is printed:
the box is shared.

    .venv/bin/python bench/bench_instances.py [--files 200] [--rows 20] [--instances 1 2]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import yaml

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from audit_view import auditor_view  # noqa: E402
from postgres_server import ENV, Cluster, fresh_database  # noqa: E402

from reconciler import synth  # noqa: E402
from reconciler.ledger.db import PostgresLedger  # noqa: E402

FOLDERS = ("dept0", "dept1", "dept2")
WATCH = (sys.executable, "-m", "reconciler", "watch", "--config")
PROCESSED = re.compile(r"processed .* rows \(")


def copies(register: bytes, n: int) -> dict[str, bytes]:
    """n distinct files with the register's sheets: only the zip comment differs."""
    out: dict[str, bytes] = {}
    for i in range(n):
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(register)) as src, zipfile.ZipFile(buf, "w") as dst:
            for item in src.infolist():
                dst.writestr(item, src.read(item.filename))
            dst.comment = f"copy {i}".encode()
        out[f"{FOLDERS[i % len(FOLDERS)]}/ведомость-{i:03d}.xlsx"] = buf.getvalue()
    return out


def instance_config(demo: Path, root: Path, share: Path, url: str) -> Path:
    config = yaml.safe_load((demo / "config.yaml").read_text(encoding="utf-8"))
    config.update({k: str(share / k) for k in ("inbox", "outbox", "archive", "quarantine")})
    config["state"] = str(root / "state")
    config["rules"] = str(demo / "rules")
    config["inventory"] = {"path": str(demo / "inventory.xlsx")}
    config["watch"] = {"settle_seconds": 0.3, "interval_seconds": 1.0}
    config["ledger"] = {"url": url}
    root.mkdir(parents=True)
    (root / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return root / "config.yaml"


def count(url: str, sql: str) -> int:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(sql).fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:  # the schema is not there yet
        return 0


SETTLED = (
    "SELECT count(*) FROM files WHERE state IN ('archived', 'quarantined') "
    "AND notified_at IS NOT NULL"
)


def measure(demo: Path, files: dict[str, bytes], instances: int, url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-instances-") as tmp:
        base = Path(tmp)
        share = base / "share"
        (share / "inbox").mkdir(parents=True)
        staging = base / "staging"
        for rel, data in files.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_bytes(data)
        roots = [base / f"machine{k}" for k in range(instances)]
        procs = [
            subprocess.Popen(
                [*WATCH, str(instance_config(demo, root, share, url))],
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for root in roots
        ]
        try:
            deadline = time.monotonic() + 60
            while count(url, "SELECT count(*) FROM ledger_migrations") == 0:
                if time.monotonic() > deadline:
                    raise SystemExit("the instances did not create the ledger schema in 60 s")
                time.sleep(0.2)
            time.sleep(2.0)  # every instance is up and scanning: its start is not the files'
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            for rel in files:
                (share / "inbox" / rel).parent.mkdir(parents=True, exist_ok=True)
                os.rename(staging / rel, share / "inbox" / rel)
            deadline = time.monotonic() + 3600
            while count(url, SETTLED) < len(files):
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise SystemExit(f"{instances} instance(s): not every file came through")
                time.sleep(0.25)
            seconds = time.perf_counter() - started
            load_after = os.getloadavg()[0]
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(timeout=120)
        processed = [
            len(PROCESSED.findall((root / "state" / "reconciler.log").read_text("utf-8")))
            for root in roots
        ]
        archived = sum(1 for p in (share / "archive").rglob("*") if p.is_file())
        return {
            "instances": instances,
            "files": len(files),
            "seconds": round(seconds, 1),
            "files_per_minute": round(len(files) / seconds * 60, 1),
            "per_instance": processed,
            "archived": archived,
            "complete_runs": count(url, "SELECT count(*) FROM runs WHERE outcome = 'complete'"),
            "emails": count(url, "SELECT count(*) FROM emails WHERE kind <> 'operator'"),
            "quarantined": sum(1 for p in (share / "quarantine").rglob("*") if p.is_file()),
            "load_average": [round(load_before, 1), round(load_after, 1)],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
                "python": platform.python_version(),
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            }
        ),
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-demo-") as tmp:
        demo = Path(tmp) / "demo"
        synth.write_demo_workspace(demo, seed=7, rows=args.rows)
        (register,) = [p for p in (demo / "inbox").rglob("*") if p.is_file()]
        files = copies(register.read_bytes(), args.files)
        register.unlink()
        cluster = None if os.environ.get(ENV) else Cluster()
        admin = cluster.url if cluster is not None else os.environ[ENV]
        try:
            views = []
            for n in args.instances:
                databases = fresh_database(admin)
                url = next(databases)
                print(json.dumps(measure(demo, files, n, url)), flush=True)
                with PostgresLedger(url, None) as conn:
                    views.append(auditor_view(conn))
                databases.close()
            if len(views) > 1:
                differ = [
                    {"table": a[0], "one": a[2:], "other": b[2:]}
                    for view in views[1:]
                    for a, b in zip(views[0], view, strict=True)
                    if a != b
                ]
                print(json.dumps({"audit_packs_equal": not differ}), flush=True)
                for table in differ:
                    print(json.dumps(table, ensure_ascii=False), flush=True)
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    main()
