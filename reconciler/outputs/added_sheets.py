"""The sheets reconciler adds to the annotated workbook: summary, review, not on the books,
findings.

The review and findings sheets are read back later (a reviewer's decisions, decisions.py), so
their first columns are a fixed, machine-readable layout: review: sheet, row, candidate asset
ids, Decision, Comment; findings: sheet, row, asset id, code, Accepted, Comment.
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from reconciler.models import Asset, AssetStatus, FindingCode, RowStatus, RunResult
from reconciler.outputs import table_writer
from reconciler.outputs.charts import add_bar_chart
from reconciler.outputs.figures import Figures, run_figures
from reconciler.outputs.table_writer import FILL_COLOURS, SharedTables, TableBook
from reconciler.outputs.xlsx_package import sheet_title
from reconciler.outputs.xlsx_writer import (
    FILLS,
    LEFT,
    LINE_HEIGHT,
    WRAP,
    bold_font,
    lines_needed,
    set_print_layout,
    style_header,
    write_table,
    write_value,
)
from reconciler.text import reading_notes
from reconciler.text import scope as scope_text
from reconciler.text.glossary import display_serial, status_word
from reconciler.text.labels import code_label
from reconciler.text.report import labels

# The drop-down's words in the reader's language (decisions.read takes either language).
DECISIONS = {"ru": ("подтвердить", "отклонить"), "en": ("confirm", "reject")}
REVIEW_COLUMNS = ("sheet", "row", "candidates", "decision", "comment")  # fixed: read back later
BOOK_COLUMNS = ("inventory_number", "name", "serial", "location", "custodian", "cost")
# The findings sheet is read back too (findings_table): a finding accepted is a known exception.


def new_sheet(wb: Workbook, title: str) -> Worksheet:
    """A sheet named `title`, or `title (2)` if the accountant already has one so named.

    `title` may be any text (a sheet name from an xls or ods): it is made a valid Excel title
    first (sheet_title).
    """
    return wb.create_sheet(sheet_title(title, wb.sheetnames))


def add_summary_sheet(
    wb: Workbook,
    result: RunResult,
    language: str,
    *,
    lost: list[str],
    notes: list[str],
    codes: bool = False,
    figures: Figures | None = None,
) -> Worksheet:
    """`codes`: a column of finding codes beside their names (the IT workbook only: codes are
    for IT and scripts, the accountant reads the names). `figures`: the run's (run_figures),
    computed here when not given."""
    t = labels(language)
    s = t["summary"]
    fig = figures or run_figures(result, language)
    ws = new_sheet(wb, t["sheet_summary"])
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 44
    ws.column_dimensions["C"].width = 18
    ws.column_dimensions["D"].width = 34
    bold = bold_font(ws)
    title = write_value(ws, 1, 1, s["title"])
    title.font = bold_font(ws, size=14)
    scope_lines = scope_text.lines(result.scope, language)
    for i, line in enumerate(scope_lines):  # what the run answered for, before any figure
        write_value(ws, 2 + i, 1, line).font = bold
    facts: list[tuple[str, Any]] = [
        (s["source_file"], result.register.file_name),
        (s["sha256"], result.register.sha256),
        (s["run_id"], result.run_id),
        (s["report_date"], result.report_date),
        (s["inventory_source"], result.inventory.source),
        (s["rows"], fig.rows),
        (s["assets"], fig.assets),
        (s["assets_not_on_books"], fig.assets_not_on_books),
        (s["findings"], fig.findings),
        (s["value_at_stake"], fig.value_at_stake),
        (s["notes"], fig.notes),
    ]
    r = 3 + len(scope_lines)
    for label, value in facts:
        write_value(ws, r, 1, label).font = bold
        # Text and numbers in one column: one alignment reads as a list, not a ragged edge.
        write_value(ws, r, 2, value).alignment = LEFT
        r += 1
    r += 1
    style_header(write_value(ws, r, 1, s["by_status"]))
    style_header(write_value(ws, r, 2, s["count"]))
    for status, count in fig.by_status.items():
        r += 1
        write_value(ws, r, 1, t["status"][status]).fill = FILLS[status]
        write_value(ws, r, 2, count)
    r += 2
    code_header = r
    heads = (s["kind"], s["count"], s["amount"], *((s["code"],) if codes else ()))
    for col, head in enumerate(heads, start=1):
        style_header(write_value(ws, r, col, head))
    for group in fig.by_code:
        r += 1
        write_value(ws, r, 1, code_label(group.key, language))
        write_value(ws, r, 2, group.count)
        write_value(ws, r, 3, group.amount)
        if codes:
            write_value(ws, r, 4, group.key)
    add_bar_chart(
        ws,
        title=s["chart_codes"],
        labels_column=1,
        values_column=2,
        header_row=code_header,
        last_row=r,
        anchor="F3",
    )
    if fig.notes_by_kind:
        r += 2
        for col, head in enumerate((s["notes_by_kind"], s["count"]), start=1):
            style_header(write_value(ws, r, col, head))
        for group in fig.notes_by_kind:
            r += 1
            write_value(ws, r, 1, code_label(group.key, language))
            write_value(ws, r, 2, group.count)
    r += 2
    write_value(ws, r, 1, s["legend"]).font = bold
    for key in ("matched", "has_findings", "review", "unmatched", "accepted"):
        r += 1
        text = s[key] if key in ("has_findings", "accepted") else t["status"][key]
        write_value(ws, r, 1, text).fill = FILLS[key]
    read_notes = reading_warnings(result, language)
    if read_notes:  # an encoding guessed, dates read month first, cells left empty
        r += 2
        write_value(ws, r, 1, s["read_notes"]).font = bold
        for line in read_notes:
            r += 1
            write_value(ws, r, 1, "• " + line)
    r += 2
    write_value(ws, r, 1, s["lost"]).font = bold
    for line in lost or [s["nothing_lost"]]:
        r += 1
        write_value(ws, r, 1, "• " + line)
    for line in notes:
        r += 1
        write_value(ws, r, 1, "• " + line)
    set_print_layout(ws)
    return ws


def reading_warnings(result: RunResult, language: str) -> list[str]:
    """What reading the register and the inventory decided or left empty, in `language`."""
    notes = [*result.register.warnings, *result.inventory.warnings]
    return [reading_notes.render(n, language) for n in notes]


def vendor_model(asset: Asset) -> str | None:
    """ "Dell Latitude 5520": the one column that shows an asset's vendor and model together."""
    return " ".join(p for p in (asset.vendor, asset.model) if p) or None


def _candidate_details(asset: Asset | None, asset_id: str, score: float, language: str) -> str:
    if asset is None:
        return f"{asset_id} ({score:.0f}%)"  # a fuzzy score is the match probability
    sn = "с/н" if language == "ru" else "S/N"
    parts = [
        asset.name or vendor_model(asset) or "",
        f"{sn} {display_serial(asset.serial)}" if asset.serial else "",
        asset.location or "",
        asset.custodian or "",
    ]
    return f"{asset_id} ({score:.0f}%): " + ", ".join(p for p in parts if p)


def add_review_sheet(wb: Workbook, result: RunResult, language: str) -> Worksheet:
    """One line per review row; Decision is a confirm/reject list for the reviewer."""
    t = labels(language)
    c = t["review_columns"]
    by_id = result.inventory.by_id()
    ws = new_sheet(wb, t["sheet_review"])
    headers = [
        c[k]
        for k in (
            *REVIEW_COLUMNS,
            *BOOK_COLUMNS,
            "score",
            "details",
        )
    ]
    rows: list[list[Any]] = []
    for m in result.match.rows:
        if m.status is not RowStatus.REVIEW:
            continue
        candidates = m.candidates
        ids = [cand.asset_id for cand in candidates] or list(m.asset_ids)
        details = "\n".join(
            _candidate_details(by_id.get(cand.asset_id), cand.asset_id, cand.score, language)
            for cand in candidates
        )
        best = max((cand.score for cand in candidates), default=m.score)
        rows.append(
            [
                m.row.sheet,
                m.row.row,
                # One a line, beside its line in the details: '; '-joined, LibreOffice broke an
                # id at its hyphen ("A-" / "000043"). A reply reads ids split by any space.
                "\n".join(ids),
                None,
                None,
                # The book row beside its candidates: the reviewer compares them side by side.
                m.row.inventory_number,
                m.row.name,
                display_serial(m.row.serial),
                m.row.location,
                m.row.custodian,
                m.row.cost,
                None if best is None else round(best, 1),
                details or None,
            ]
        )
    # The probability's column as wide as its header's longest word ("Вероятность"), which
    # broke mid-word at 10.
    write_table(ws, headers, rows, widths=[16, 8, 30, 14, 30, 16, 40, 24, 28, 24, 16, 15, 70])
    if not rows:  # said, so that an empty table is not taken for a failed run
        write_value(ws, 2, 1, t["review_none"]).font = Font(name=bold_font(ws).name, italic=True)
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(DECISIONS[language]) + '"',
        allow_blank=True,
        # No error box: another asset ID typed in is a decision too (decisions_read).
        showErrorMessage=False,
        showInputMessage=True,
        promptTitle="reconciler",
        prompt=" / ".join(DECISIONS[language])
        + (" / ID актива" if language == "ru" else " / asset ID"),
    )
    validation.add(f"D2:D{max(len(rows), 1) + 1}")
    ws.add_data_validation(validation)
    # The reviewer types here: room for a decision and a comment even before any value.
    for letter, least in (("D", 14), ("E", 36)):
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, least)
    help_row = len(rows) + 3
    help_cell = write_value(ws, help_row, 1, t["review_help"])
    help_cell.font = Font(name=bold_font(ws).name, italic=True)
    # Wrapped across the table's width: one long line widened the printed page to its length.
    # The reader skips it (no decision in column D), so merging its row takes nothing away.
    last = get_column_letter(len(headers))
    ws.merge_cells(f"A{help_row}:{last}{help_row}")
    help_cell.alignment = WRAP
    table_width = sum(
        ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, len(headers) + 1)
    )
    ws.row_dimensions[help_row].height = LINE_HEIGHT * lines_needed(t["review_help"], table_width)
    return ws


# Why an IT asset is on no book row, in the order to act on them.
REPORTED, IN_REVIEW, DISPOSED, LOW_VALUE = 0, 1, 2, 3


def not_on_books_kind(
    asset: Asset, reported: set[str], in_review: frozenset[str] | set[str] = frozenset()
) -> int:
    """REPORTED (a MISSING_IN_BOOKS finding names it), IN_REVIEW (a candidate of a row in
    review), DISPOSED, or LOW_VALUE (the rest)."""
    if asset.asset_id in reported:
        return REPORTED
    if asset.asset_id in in_review:
        return IN_REVIEW
    return DISPOSED if asset.status is AssetStatus.DISPOSED else LOW_VALUE


def not_on_books_note(kind: int, language: str) -> str:
    t = labels(language)
    if kind == REPORTED:
        return str(t["not_on_books_missing"])
    if kind == IN_REVIEW:
        return str(t["not_on_books_in_review"])
    return str(t["not_on_books_disposed" if kind == DISPOSED else "not_on_books_low_value"])


def not_on_books_rows(result: RunResult, language: str) -> list[tuple[int, list[Any]]]:
    """Each IT asset on no book row as (its kind, its row), REPORTED first, then DISPOSED,
    then LOW_VALUE: what needs action first (stable within each, in the inventory's order)."""
    by_id = result.inventory.by_id()
    reported = {
        f.asset_id for f in result.findings if f.code == FindingCode.MISSING_IN_BOOKS and f.asset_id
    }
    in_review = {
        c.asset_id for m in result.match.rows if m.status is RowStatus.REVIEW for c in m.candidates
    }
    # The note, the status and the model in words repeat over few distinct inputs: each
    # made once (46k assets on no book row at 100k).
    notes = [not_on_books_note(kind, language) for kind in range(LOW_VALUE + 1)]
    statuses: dict[tuple[AssetStatus, str | None], str] = {}
    models: dict[tuple[str | None, str | None], str | None] = {}
    rows = []
    for asset_id in result.match.unmatched_asset_ids:
        a = by_id.get(asset_id)
        if a is None:
            continue
        kind = not_on_books_kind(a, reported, in_review)
        status = statuses.get((a.status, a.status_raw))
        if status is None:
            status = statuses[(a.status, a.status_raw)] = status_word(a, language)
        made = (a.vendor, a.model)
        if made in models:
            model = models[made]
        else:
            model = models[made] = vendor_model(a)
        line = [
            a.asset_id,
            a.inventory_number,
            a.name,
            model,
            a.serial,
            a.hostname,
            a.location,
            a.custodian,
            status,
            a.purchased_on,
            a.purchase_cost,
            notes[kind],
        ]
        rows.append((kind, line))
    rows.sort(key=lambda kind_line: kind_line[0])
    return rows


ASSET_COLUMNS = (
    "asset_id",
    "inventory_number",
    "name",
    "vendor_model",
    "serial",
    "hostname",
    "location",
    "custodian",
    "status",
    "purchased_on",
    "purchase_cost",
    "note",
)


def write_not_on_books_sheet(
    book: TableBook, result: RunResult, language: str, shared: SharedTables | None = None
) -> None:
    """`shared`: the run's tables (both workbooks show this one); laid out here when new."""
    t = labels(language)
    ws = book.sheet(t["sheet_not_on_books"])
    key = f"not_on_books {language}"
    if shared is not None and shared.take(key, ws):
        return
    headers = [t["asset_columns"][k] for k in ASSET_COLUMNS]
    kinds_rows = not_on_books_rows(result, language)
    rows = [line for _kind, line in kinds_rows]
    # The ones to act on are red, as on the register.
    red = FILL_COLOURS["unmatched"]
    fills = [red if kind == REPORTED else None for kind, _line in kinds_rows]
    table_writer.write_table(
        book,
        ws,
        headers,
        rows,
        widths=[14, 16, 40, 32, 24, 20, 32, 32, 16, 14, 18, 56],
        fills=fills,
    )
    if shared is not None:
        shared.keep(key, ws)
