"""The annotated copy of the accountant's workbook: their sheets untouched, our columns beside.

xlsx/xlsm are loaded with openpyxl (normal mode, keep_vba for xlsm) so every original value,
merged range, width and format is saved back as it was; match and inventory columns go to the
right of the used range, on the header row, and new sheets (summary, review, not on books)
follow. What openpyxl cannot keep is found in the original zip first (xlsx_features) and said.
xls, ods, csv and html exports cannot be rewritten in place: they get a fresh .xlsx with the
grid values at the same Excel positions, plus the same added columns and sheets.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from reconciler.atomic import write_atomically
from reconciler.config import Config
from reconciler.models import Asset, Finding, RowMatch, RowStatus, RunResult, SheetInfo
from reconciler.names import fit
from reconciler.outputs.added_sheets import (
    add_findings_sheet,
    add_not_on_books_sheet,
    add_review_sheet,
    add_summary_sheet,
    new_sheet,
    vendor_model,
)
from reconciler.outputs.lost_features import detect_lost_features
from reconciler.outputs.xlsx_writer import (
    FILLS,
    TOP,
    WRAP,
    clean_text,
    fit_width,
    gc_paused,
    grow_row,
    shown_text,
    style_header,
    text_width,
    wrapped_lines,
    write_value,
)
from reconciler.rules import Rules
from reconciler.text.labels import format_date, format_money
from reconciler.text.report import labels

log = logging.getLogger(__name__)

RUN_ID_PROPERTY = "reconciler_run_id"  # the reply workbook is recognised by it
OPENPYXL_FORMATS = ("xlsx", "xlsm")
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
ADDED_MAX_WIDTH = 36  # the match and IT columns: longer values (kits) wrap
FINDINGS_WIDTH = 60  # the findings in words: wide enough that most take one or two lines
VALUES_ONLY = (
    "копия .xlsx из файла {fmt}: перенесены только значения (и объединения ячеек, где они "
    "известны); шрифты, заливки, ширины столбцов и форматы чисел исходного файла не переносятся",
    "an .xlsx copy of the {fmt} file: values only (and merged cells where known); fonts, "
    "fills, column widths and number formats of the original are not carried over",
)


def annotated_name(file_name: str, fmt: str) -> str:
    suffix = ".reconciled.xlsm" if fmt == "xlsm" else ".reconciled.xlsx"
    # room: the dot and `.tmp` of its atomic write
    return fit(Path(file_name).stem + suffix, room=5, suffix=suffix)


def write_annotated_workbook(
    result: RunResult, rules: Rules, config: Config
) -> tuple[Path, list[str]]:
    """Write <stem>.reconciled.xlsx (.xlsm) into result.run_dir; return it and what openpyxl lost."""
    register = result.register
    with gc_paused():
        data, lost = build_annotated_workbook(result, rules, config.report.language)
    out = result.run_dir / annotated_name(register.file_name, register.format)
    write_atomically(out, data)
    log.info("annotated workbook %s (%d features openpyxl drops)", out.name, len(lost))
    return out, lost


def build_annotated_workbook(
    result: RunResult, rules: Rules, language: str
) -> tuple[bytes, list[str]]:
    """The annotated workbook's bytes, and what openpyxl lost of the original."""
    register = result.register
    lost: list[str] = []
    if register.format in OPENPYXL_FORMATS:
        lost = detect_lost_features(register.path, language)
        with warnings.catch_warnings():
            # "extension is not supported and will be removed": detected and said above.
            warnings.simplefilter("ignore", UserWarning)
            wb = openpyxl.load_workbook(
                register.path, keep_vba=register.format == "xlsm", keep_links=True, rich_text=True
            )
        sheets = {ws.title: ws for ws in wb.worksheets}
    else:
        wb, sheets = copy_grid_workbook(register.path, register.file_name)
        lost = [VALUES_ONLY[language == "en"].format(fmt=register.format)]
    notes = annotate_register_sheets(wb, sheets, result, rules, language)
    add_summary_sheet(wb, result, language, lost=lost, notes=notes)
    add_review_sheet(wb, result, language)
    add_not_on_books_sheet(wb, result, language)
    add_findings_sheet(wb, result, language)
    mark_run(wb, result.run_id)
    buffer = io.BytesIO()
    wb.save(buffer)
    if wb.vba_archive is not None:
        # The macros' in-memory zip: closed now, not by the collector, which may close its
        # buffer first (a "ValueError: I/O operation on closed file" at exit).
        wb.vba_archive.close()
    return buffer.getvalue(), lost


def mark_run(wb: Workbook, run_id: str) -> None:
    """The run id in the document properties: a reply is recognised by it later."""
    wb.properties.identifier = run_id
    wb.properties.keywords = f"reconciler run {run_id}"
    props = wb.custom_doc_props
    for prop in list(props.props):
        if prop.name == RUN_ID_PROPERTY:
            props.props.remove(prop)
    props.append(StringProperty(name=RUN_ID_PROPERTY, value=run_id))


# --- a fresh workbook for formats openpyxl cannot load -----------------------------------


def copy_grid_workbook(path: Path, file_name: str) -> tuple[Workbook, dict[str, Worksheet]]:
    """Every sheet's values at the same Excel row and column, merged ranges where known."""
    from reconciler.read.sheets import open_workbook

    source = open_workbook(path, file_name=file_name)
    wb = Workbook()
    wb.remove(wb.active)
    sheets: dict[str, Worksheet] = {}
    for grid in source.sheets():
        ws = new_sheet(wb, grid.name)
        sheets[grid.name] = ws
        for r, line in enumerate(grid.cells, start=1):
            for c, value in enumerate(line, start=1):
                if value is not None and value != "":
                    write_value(ws, r, c, value)
        for r1, c1, r2, c2 in grid.merged or []:
            if (r1, c1) != (r2, c2):
                ws.merge_cells(
                    start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1
                )
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    return wb, sheets


# --- the added columns --------------------------------------------------------------------


def _last_used_column(ws: Worksheet, info: SheetInfo) -> int:
    """The right edge of everything on the sheet: values, merged ranges, what layout saw."""
    # openpyxl's own cell store, so formatted-but-empty cells far right do not push us out.
    cells: dict[tuple[int, int], Any] = getattr(ws, "_cells", {})
    last = max([info.max_column, *(c for (_r, c), cell in cells.items() if cell.value is not None)])
    for merged in ws.merged_cells.ranges:
        last = max(last, merged.max_col)
    return last


def _asset_value(asset: Asset, field: str) -> Any:
    if field == "vendor_model":
        return vendor_model(asset)
    if field == "status":
        return asset.status_raw or (None if asset.status == "unknown" else str(asset.status))
    return getattr(asset, field, None)


def _joined(values: list[Any], language: str) -> Any:
    """One asset: the typed value; a kit: every asset's value as text joined with '; '."""
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return None
    if len(values) == 1:
        return present[0]
    shown = []
    for v in present:
        if isinstance(v, date):
            shown.append(format_date(v, language))
        elif isinstance(v, Decimal):
            shown.append(format_money(v, language))
        else:
            shown.append(str(v))
    return "; ".join(shown)


def _finding_comment(findings: list[Finding], language: str) -> Comment:
    t = labels(language)
    book_word, it_word = ("Учет", "ИТ") if language == "ru" else ("Books", "IT")
    parts = []
    for f in findings:
        lines = [f"{f.code} ({t['severity'].get(str(f.severity), f.severity)}): {f.message}"]
        if f.book_value:
            lines.append(f"{book_word}: {f.book_value}")
        if f.it_value:
            lines.append(f"{it_word}: {f.it_value}")
        parts.append("\n".join(lines))
    text = clean_text("\n\n".join(parts))
    comment = Comment(text, "reconciler")
    comment.width = 420
    comment.height = min(600, 60 + 18 * text.count("\n") + len(text) // 3)
    return comment


def annotate_register_sheets(
    wb: Workbook,
    sheets: dict[str, Worksheet],
    result: RunResult,
    rules: Rules,
    language: str,
) -> list[str]:
    """Add the match, inventory and finding columns to every register sheet; return notes."""
    t = labels(language)
    enrich = list(rules.checks.annotate_columns)
    heads = [t["columns"][k] for k in ("status", "score", "matched_on", "asset_ids")]
    heads += [t["columns"]["status_it" if k == "status" else k] for k in enrich]
    heads.append(t["columns"]["findings"])
    by_id = result.inventory.by_id()
    by_row: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for f in result.findings:
        if f.sheet is not None and f.row is not None:
            by_row[(f.sheet, f.row)].append(f)
    rows_by_sheet: dict[str, list[RowMatch]] = defaultdict(list)
    for m in result.match.rows:
        rows_by_sheet[m.row.sheet].append(m)
    notes: list[str] = []
    for info in result.register.sheets:
        ws = sheets.get(info.name)
        if ws is None:
            log.warning("sheet %r of the register is not in the workbook; not annotated", info.name)
            continue
        first = _last_used_column(ws, info) + 1
        lines: list[tuple[RowMatch, list[Any], list[Finding]]] = []
        for m in rows_by_sheet.get(info.name, []):
            assets = [by_id[a] for a in m.asset_ids if a in by_id]
            found = sorted(
                by_row.get(m.row.key, []), key=lambda f: SEVERITY_ORDER.get(str(f.severity), 9)
            )
            values: list[Any] = [
                t["status"].get(str(m.status), str(m.status)),
                # A row with no asset has no score worth showing: the best it came to is noise.
                None if m.score is None or not m.asset_ids else round(m.score, 1),
                t["matched_on"].get(m.matched_on, m.matched_on),
                "; ".join(m.asset_ids) or None,
            ]
            values += [_joined([_asset_value(a, k) for a in assets], language) for k in enrich]
            values.append("\n".join(f.message for f in found) or None)
            lines.append((m, values, found))
        header_font = _header_font(ws, info, first)
        for i, head in enumerate(heads):
            col = first + i
            style_header(write_value(ws, info.header_row, col, head), like=header_font)
            if info.header_end_row > info.header_row:
                ws.merge_cells(
                    start_row=info.header_row,
                    start_column=col,
                    end_row=info.header_end_row,
                    end_column=col,
                )
            most = FINDINGS_WIDTH if i == len(heads) - 1 else ADDED_MAX_WIDTH
            width = fit_width([v[i] for _m, v, _f in lines], head, least=10, most=most)
            ws.column_dimensions[get_column_letter(col)].width = width
        last_row = info.header_end_row
        columns = range(first, first + len(heads))
        widths = [ws.column_dimensions[get_column_letter(col)].width for col in columns]
        findings_col = columns[-1]
        for m, values, found in lines:
            fill_key = str(m.status)
            if m.status is RowStatus.MATCHED and found:
                fill_key = "has_findings"
            fill = FILLS[fill_key]
            row_lines = 1
            for col, width, value in zip(columns, widths, values, strict=True):
                wrap = (value is not None and text_width(shown_text(value)) > (width or 0)) or (
                    bool(found) and col == findings_col
                )
                cell = write_value(
                    ws, m.row.row, col, value, fill=fill, alignment=WRAP if wrap else TOP
                )
                if wrap:
                    row_lines = max(row_lines, wrapped_lines(cell._value, width))
            if found:
                cell.comment = _finding_comment(found, language)
            # Wrapped text in a row of fixed height would spill over the rows below it.
            grow_row(ws, m.row.row, row_lines)
            last_row = max(last_row, m.row.row)
        last = first + len(heads) - 1
        if ws.auto_filter.ref:
            note = (
                f"на листе «{info.name}» уже был автофильтр {ws.auto_filter.ref}: он сохранен, "
                "для добавленных столбцов фильтр не ставился"
                if language == "ru"
                else f"sheet '{info.name}' already had an autofilter on {ws.auto_filter.ref}: "
                "it is kept, none was added for the new columns"
            )
            notes.append(note)
            log.info(note)
        else:
            # The whole table: accountants filter by their own columns (place, person) too.
            ws.auto_filter.ref = (
                f"A{info.header_end_row}:"
                f"{get_column_letter(last)}{max(last_row, info.header_end_row + 1)}"
            )
        if ws.freeze_panes is None:
            ws.freeze_panes = ws.cell(row=info.header_end_row + 1, column=1)
    return notes


def _header_font(ws: Worksheet, info: SheetInfo, first: int) -> Font | None:
    """The font of the accountant's own header (its last filled cell), for ours to match."""
    for row in range(info.header_end_row, info.header_row - 1, -1):
        for col in range(first - 1, 0, -1):
            cell = ws.cell(row=row, column=col)
            if cell.value is not None and isinstance(cell.font, Font):
                return cell.font
    return None
