"""Writers for our long tables, side by side on one table: xlsxwriter in constant-memory mode,
rustpy-xlsxwriter (records, no per-cell formats) and table_writer (sheet XML straight into
the package, what the outputs use). Same rows: N lines of 12 columns (text, numbers, dates),
every third line filled; seconds to a finished .xlsx in memory.

    .venv/bin/python bench/bench_writers.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from datetime import date
from typing import Any

from reconciler.outputs.side_sheets import SheetAssembly
from reconciler.outputs.styles_append import EMPTY_STYLES
from reconciler.outputs.table_writer import TableBook, write_table
from reconciler.outputs.xlsx_package import Package, empty_workbook


def rows_of(n: int) -> list[list[Any]]:
    return [
        [
            f"A-{i:06d}",
            f"ОС-{i:06d}",
            f"Ноутбук Lenovo ThinkPad T14 Gen {i % 5}",
            "Lenovo T14",
            f"PF{i:08X}",
            f"host-{i}",
            "Москва, ЦОД-1",
            "Петров П.П.",
            "в эксплуатации",
            date(2020, 1 + i % 12, 1 + i % 28),
            85000.0 + i,
            "=not a formula" if i % 97 == 0 else None,
        ]
        for i in range(n)
    ]


def with_xlsxwriter(headers: list[str], rows: list[list[Any]]) -> float:
    import xlsxwriter

    started = time.perf_counter()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False})
    ws = book.add_worksheet("T")
    fill = book.add_format({"bg_color": "#FFC7CE", "valign": "top"})
    plain = book.add_format({"valign": "top"})
    day = book.add_format({"num_format": "dd.mm.yyyy", "valign": "top"})
    for c, h in enumerate(headers):
        ws.write_string(0, c, h)
    for r, line in enumerate(rows, start=1):
        style = fill if r % 3 == 0 else plain
        for c, v in enumerate(line):
            if isinstance(v, str):
                ws.write_string(r, c, v, style)
            elif isinstance(v, date):
                ws.write_datetime(r, c, v, day)
            elif v is not None:
                ws.write_number(r, c, v, style)
    book.close()
    return time.perf_counter() - started


def with_rustpy(headers: list[str], rows: list[list[Any]]) -> float:
    from rustpy_xlsxwriter import FastExcel

    started = time.perf_counter()
    records = [dict(zip(headers, line, strict=True)) for line in rows]
    FastExcel(io.BytesIO()).sheet("T", records).save()
    return time.perf_counter() - started


def with_table_writer(headers: list[str], rows: list[list[Any]]) -> float:
    started = time.perf_counter()
    package = Package.open(io.BytesIO(empty_workbook(EMPTY_STYLES)))
    assembly = SheetAssembly(package)

    def table(book: TableBook) -> None:
        fills = ["FFC7CE" if r % 3 == 2 else None for r in range(len(rows))]
        write_table(book, book.sheet("T"), headers, rows, fills=fills)

    assembly.tables(table)
    assembly.finish()
    package.write(io.BytesIO())
    package.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    headers = [f"col{c}" for c in range(12)]
    rows = rows_of(args.rows)
    load = os.getloadavg()[0]
    out: dict[str, Any] = {"rows": args.rows, "columns": 12}
    for name, run in (
        ("xlsxwriter_constant_memory", with_xlsxwriter),
        ("rustpy_xlsxwriter", with_rustpy),
        ("table_writer", with_table_writer),
    ):
        try:
            out[name] = round(run(headers, rows), 2)
        except ImportError as e:
            out[name] = f"not installed ({e.name})"
    out["load_average"] = [round(load, 1), round(os.getloadavg()[0], 1)]
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
