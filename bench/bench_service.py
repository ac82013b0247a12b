"""The service's latency: a register dropped into the inbox -> its emails queued in the ledger.

A `reconciler demo` workspace of N rows (synthetic inventory of 1.5 N assets) with short watch
times and file mail; `python -m reconciler watch` runs as a user starts it. The register is
dropped --drops times, one after another, each as a new file name written to a dot-temp name
and renamed in (as a share's copy finishes); the time from the rename to the moment the
ledger holds the run's accounting email is one sample. Reported: p50, p95, min and max, and
the load average before and after (the box is shared).

    .venv/bin/python bench/bench_service.py [--rows 1000] [--drops 20]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from reconciler import synth


def queued_runs(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5) as conn:
            (n,) = conn.execute(
                "SELECT COUNT(DISTINCT run_id) FROM emails WHERE kind = 'accounting'"
            ).fetchone()
            return int(n)
    except sqlite3.Error:
        return 0


def measure(rows: int, drops: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        synth.write_demo_workspace(ws, seed=7, rows=rows)
        config = yaml.safe_load((ws / "config.yaml").read_text(encoding="utf-8"))
        config["watch"] = {"settle_seconds": 0.3, "interval_seconds": 1.0}
        config.setdefault("mail", {})["transport"] = "file"
        (ws / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
        (register,) = [p for p in (ws / "inbox").rglob("*") if p.is_file()]
        data = register.read_bytes()
        folder = register.parent
        register.unlink()
        ledger = Path(config.get("state", "state"))
        ledger = (ws / ledger if not ledger.is_absolute() else ledger) / "ledger.sqlite"
        load_before = os.getloadavg()[0]
        service = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "watch", "--config", str(ws / "config.yaml")],
            cwd=ws,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        samples = []
        try:
            time.sleep(2.0)  # the service's start, not a drop's latency
            for i in range(drops):
                tmp_name = folder / f".drop-{i}.xlsx.tmp"
                tmp_name.write_bytes(data)
                started = time.perf_counter()
                tmp_name.rename(folder / f"ведомость-{i:02d}.xlsx")
                deadline = started + 300
                while queued_runs(ledger) < i + 1:
                    if time.perf_counter() > deadline or service.poll() is not None:
                        raise SystemExit(f"drop {i}: no email queued (service {service.poll()})")
                    time.sleep(0.05)
                samples.append(time.perf_counter() - started)
        finally:
            service.terminate()
            service.wait(timeout=60)
        load_after = os.getloadavg()[0]
        ordered = sorted(samples)
        return {
            "rows": rows,
            "drops": drops,
            "p50_s": round(statistics.median(ordered), 2),
            "p95_s": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
            "min_s": round(ordered[0], 2),
            "max_s": round(ordered[-1], 2),
            "load_average": [round(load_before, 1), round(load_after, 1)],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--drops", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(measure(args.rows, args.drops), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
