"""Time load_inventory on a large Snipe-IT-like export (xlsx, csv) and a SQLite table.

Run: .venv/bin/python bench/bench_inventory.py [ROWS]   (default 150000). Not a test.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from reconciler.config import InventoryConfig
from reconciler.inventory.load import load_inventory
from reconciler.rules import default_rules

HEADERS = [
    "ID",
    "Asset Tag",
    "Name",
    "Serial",
    "Model",
    "Category",
    "Manufacturer",
    "Status",
    "Location",
    "Checked Out To",
    "Purchase Date",
    "Purchase Cost",
    "Warranty Expires",
    "Notes",
]


def rows(n: int):
    statuses = ["Deployed (user)", "Ready to Deploy", "Archived", "Broken"]
    for i in range(1, n + 1):
        yield [
            i,
            f"ОС-{i:07d}",
            f"host-{i}",
            f"SN{i:010d}",
            "ProLiant DL380 Gen10",
            "Servers",
            "HPE",
            statuses[i % 4],
            f"Site {i % 50}",
            f"User {i % 900}",
            "2019-03-15",
            "1,234.50",
            "2024-03-15",
            "note",
        ]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 150_000
    rules = default_rules()
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "inventory.xlsx"
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Assets")
        ws.append(HEADERS)
        for row in rows(n):
            ws.append(row)
        wb.save(xlsx)
        csv_path = Path(tmp) / "inventory.csv"
        with csv_path.open("w", encoding="cp1251", newline="") as f:
            out = csv.writer(f, delimiter=";")
            out.writerow(HEADERS)
            out.writerows(rows(n))
        db = Path(tmp) / "inventory.sqlite"
        con = sqlite3.connect(db)
        con.execute(
            "CREATE TABLE assets (id, asset_tag, name, serial, model, category, "
            "manufacturer, status, location, assigned_to, purchase_date, purchase_cost, "
            "warranty_expires, notes)"
        )
        con.executemany("INSERT INTO assets VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows(n))
        con.commit()
        con.close()
        for label, config in (
            ("xlsx", InventoryConfig(path=xlsx)),
            ("csv", InventoryConfig(path=csv_path)),
            ("sqlite", InventoryConfig(path=db, table="assets")),
        ):
            start = time.perf_counter()
            inventory = load_inventory(config, rules)
            took = time.perf_counter() - start
            print(f"{label:7s} {len(inventory.assets):>8,d} assets in {took:5.1f} s")


if __name__ == "__main__":
    main()
