"""<stem>.discrepancies.xlsx: one row per finding for IT and the auditors, and a sheet of IT
assets that are on no book row. Every value goes through the safe writer (xlsx_writer)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl.styles import Font
from openpyxl.workbook.workbook import Workbook

from reconciler.models import RunResult
from reconciler.names import fit
from reconciler.outputs.added_sheets import (
    add_not_on_books_sheet,
    add_summary_sheet,
    reading_warnings,
)
from reconciler.outputs.figures import findings_with_sources
from reconciler.outputs.xlsx_writer import bold_font, write_table, write_value
from reconciler.text.report import labels

FINDING_COLUMNS = (
    "code",
    "severity",
    "message",
    "sheet",
    "row",
    "inventory_number",
    "name",
    "book_value",
    "it_value",
    "asset_id",
    "amount",
)


def discrepancies_name(file_name: str) -> str:
    suffix = ".discrepancies.xlsx"
    return fit(Path(file_name).stem + suffix, room=5, suffix=suffix)  # room: its atomic write


def finding_rows(result: RunResult, language: str) -> list[list[Any]]:
    t = labels(language)
    out = []
    for f, row, asset in findings_with_sources(result):
        out.append(
            [
                f.code,
                t["severity"].get(str(f.severity), str(f.severity)),
                f.message,
                f.sheet,
                f.row,
                (row.inventory_number if row else None)
                or (asset.inventory_number if asset else None),
                (row.name if row else None) or (asset.name if asset else None),
                f.book_value,
                f.it_value,
                f.asset_id,
                f.amount,
            ]
        )
    return out


def build_discrepancy_workbook(result: RunResult, language: str) -> bytes:
    t = labels(language)
    wb = Workbook()
    ws = wb.active
    ws.title = t["sheet_findings"]
    headers = [t["finding_columns"][k] for k in FINDING_COLUMNS]
    rows = finding_rows(result, language)
    write_table(ws, headers, rows, widths=[38, 10, 60, 14, 8, 16, 40, 30, 30, 14, 18])
    source = f"{result.register.file_name} · SHA-256 {result.register.sha256} · run {result.run_id}"
    write_value(ws, len(rows) + 3, 1, source).font = Font(name=bold_font(ws).name, italic=True)
    add_not_on_books_sheet(wb, result, language)  # the same sheet as in the workbook
    read = set(reading_warnings(result))  # listed under their own heading
    lost = [w for w in result.warnings if w not in read]
    add_summary_sheet(wb, result, language, lost=lost, notes=[])
    wb.properties.identifier = result.run_id
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
