"""<stem>.discrepancies.xlsx: one row per finding for IT and the auditors, the review sheet,
and a sheet of IT assets that are on no book row. Every value goes through a safe writer
(table_writer, xlsx_writer): no value from data becomes a formula."""

from __future__ import annotations

import io
from pathlib import Path

from reconciler.models import RunResult
from reconciler.names import fit
from reconciler.outputs.added_sheets import (
    add_review_sheet,
    add_summary_sheet,
    reading_warnings,
    write_not_on_books_sheet,
)
from reconciler.outputs.figures import Figures
from reconciler.outputs.findings_table import write_findings_sheet
from reconciler.outputs.side_sheets import SheetAssembly, mark_run
from reconciler.outputs.styles_append import EMPTY_STYLES
from reconciler.outputs.table_writer import SharedTables, TableBook, write_cell
from reconciler.outputs.xlsx_package import Package, empty_workbook


def discrepancies_name(file_name: str) -> str:
    suffix = ".discrepancies.xlsx"
    return fit(Path(file_name).stem + suffix, room=5, suffix=suffix)  # room: its atomic write


def build_discrepancy_workbook(
    result: RunResult,
    language: str,
    figures: Figures | None = None,
    shared: SharedTables | None = None,
) -> bytes:
    """The IT reviewers' workbook. It carries the run id like the annotated copy and the same
    Accepted / Comment and Decision columns, so a reviewer decides in the workbook they read
    and drops it back (decisions.read takes it as a reply).

    The findings sheet and not-on-books, the long ones, are written as sheet XML straight into
    the package (table_writer); review and summary, short and with a list and a chart, by openpyxl; all grafted
    into one package in their order (side_sheets).
    """
    source = f"{result.register.file_name} · SHA-256 {result.register.sha256} · run {result.run_id}"

    def findings(book: TableBook) -> None:
        ws = write_findings_sheet(book, result, language, codes=True, shared=shared)
        write_cell(book, ws, len(result.findings) + 2, 0, source, italic=True)

    package = Package.open(io.BytesIO(empty_workbook(EMPTY_STYLES)))
    try:
        assembly = SheetAssembly(package)
        assembly.tables(findings)
        assembly.openpyxl(lambda wb: add_review_sheet(wb, result, language))
        assembly.tables(lambda book: write_not_on_books_sheet(book, result, language, shared))
        read = set(reading_warnings(result, language))  # listed under their own heading
        lost = [w for w in result.warnings if w not in read]
        assembly.openpyxl(
            lambda wb: add_summary_sheet(
                wb, result, language, lost=lost, notes=[], codes=True, figures=figures
            )
        )
        assembly.finish()
        mark_run(package, result.run_id)
        out = io.BytesIO()
        package.write(out)
    finally:
        package.close()
    return out.getvalue()
