"""<stem>.discrepancies.xlsx: one row per finding for IT and the auditors, the review sheet,
and a sheet of IT assets that are on no book row. Every value goes through the safe writer
(xlsx_writer)."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font
from openpyxl.workbook.workbook import Workbook

from reconciler.models import RunResult
from reconciler.names import fit
from reconciler.outputs.added_sheets import (
    add_not_on_books_sheet,
    add_review_sheet,
    add_summary_sheet,
    reading_warnings,
)
from reconciler.outputs.findings_table import add_findings_sheet
from reconciler.outputs.xlsx_writer import bold_font, write_value


def discrepancies_name(file_name: str) -> str:
    suffix = ".discrepancies.xlsx"
    return fit(Path(file_name).stem + suffix, room=5, suffix=suffix)  # room: its atomic write


def mark_run(wb: Workbook, run_id: str) -> None:
    """The run id in the custom document properties, as on the annotated copy: a reply is
    recognised by it (decisions.read.RUN_ID_PROPERTY)."""
    from reconciler.outputs.annotate import RUN_ID_PROPERTY

    wb.properties.identifier = run_id
    wb.properties.keywords = f"reconciler run {run_id}"
    wb.custom_doc_props.append(StringProperty(name=RUN_ID_PROPERTY, value=run_id))


def build_discrepancy_workbook(result: RunResult, language: str) -> bytes:
    """The IT reviewers' workbook. It carries the run id like the annotated copy and the same
    Accepted / Comment and Decision columns, so a reviewer decides in the workbook they read
    and drops it back (decisions.read takes it as a reply)."""
    wb = Workbook()
    wb.remove(wb.active)
    ws = add_findings_sheet(wb, result, language, codes=True)
    source = f"{result.register.file_name} · SHA-256 {result.register.sha256} · run {result.run_id}"
    footer = ws.max_row + 2
    write_value(ws, footer, 1, source).font = Font(name=bold_font(ws).name, italic=True)
    add_review_sheet(wb, result, language)
    add_not_on_books_sheet(wb, result, language)  # the same sheet as in the workbook
    read = set(reading_warnings(result))  # listed under their own heading
    lost = [w for w in result.warnings if w not in read]
    add_summary_sheet(wb, result, language, lost=lost, notes=[])
    mark_run(wb, result.run_id)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
