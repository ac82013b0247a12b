"""Read an accounting register, however it is laid out, into a Register of BookRows.

Every sheet with a recognisable header is read (others are skipped, unless none qualifies).
Title rows, the 1-2-3 numbering row, page-break header repeats, blank, group and total rows
are not data rows; a group caption's МОЛ, place or account is carried into the rows under it
(captions.py). Row numbers are Excel's own; columns that are not canonical fields travel
in `BookRow.extra` under their header text, untouched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from reconciler.content import sha256_of
from reconciler.errors import InputError
from reconciler.models import BOOK_FIELDS, BookRow, ReadingNote, Register, SheetInfo
from reconciler.read import values
from reconciler.read.captions import BOOK_KEYS, GroupCaptions
from reconciler.read.header import (
    HEADER_SCAN_ROWS,
    DataRow,
    SynonymIndex,
    Table,
    data_rows,
    find_table,
    fold_header,
    header_texts_found,
    is_total_row,
    synonym_index,
    title_date,
)
from reconciler.read.sheets import Grid, Workbook, cell_text, open_workbook
from reconciler.rules import ColumnRules
from reconciler.text.reading_notes import note

log = logging.getLogger(__name__)

RULES_HINT = "rules/columns.yaml"
# A register table must name at least one of these, or it is some other table (a summary).
BOOK_IDENTITY = ("inventory_number", "name", "serial")

Parser = Callable[[Any, str], Any]
# A date the reader cannot make out is a warning on its row, the cell left empty: one odd
# date must not refuse a register of thousands of rows. Numbers still refuse (a cost read
# wrong would be a wrong finding).
LENIENT_FIELDS = ("acquired_on",)
SHOWN_PER_COLUMN = 20  # cells named one by one in the warnings; the rest are counted
DATE_FIELDS = ("acquired_on",)
# What a field's cell must hold, for a parser's bare ValueError
# (text/errors_reading.EXPECTED_VALUES).
FIELD_EXPECTS = {
    "quantity": "whole_number",
    "cost": "number",
    "book_value": "number",
    "acquired_on": "date",
    "useful_life_months": "useful_life",
}

BOOK_PARSERS: dict[str, Parser] = {
    "inventory_number": lambda v, _h: values.parse_text(v),
    "name": lambda v, _h: values.parse_text(v),
    "vendor": lambda v, _h: values.parse_text(v),
    "model": lambda v, _h: values.parse_text(v),
    "serial": lambda v, _h: values.parse_text(v),
    "barcode": lambda v, _h: values.parse_text(v),
    "quantity": lambda v, _h: values.parse_quantity(v),
    "cost": lambda v, _h: values.parse_decimal(v),
    "book_value": lambda v, _h: values.parse_decimal(v),
    "acquired_on": lambda v, _h: values.parse_date(v),
    "useful_life_months": lambda v, h: values.parse_months(v, unit_hint=h),
    "location": lambda v, _h: values.parse_text(v),
    "custodian": lambda v, _h: values.parse_text(v),
    "account": lambda v, _h: values.parse_text(v),
}


def read_register(path: Path, columns: ColumnRules, *, file_name: str | None = None) -> Register:
    """Read every register sheet of `path`; InputError (file, sheet, row, fix) for bad input."""
    name = file_name or path.name
    book = open_workbook(path, file_name=name)
    index = synonym_index(columns.book)
    sheets: list[SheetInfo] = []
    rows: list[BookRow] = []
    report_date = None
    title: list[str] = []  # the texts above each sheet's header: organisation, report name
    warnings: list[ReadingNote] = list(book.notes)
    found_tables = list(
        find_tables(book, index, identity=BOOK_IDENTITY, purpose="register", rules_key="book")
    )
    found_tables = _without_summaries(found_tables, name)
    for grid, table in found_tables:
        groups = GroupCaptions.of(grid, table, index, columns.category_captions)
        combined = holds_name_and_number(table, index)
        for data, fields, extra in parse_rows(
            grid,
            table,
            BOOK_PARSERS,
            file_name=name,
            total_markers=columns.total_markers,
            skip=groups.take,
            warnings=warnings,
        ):
            row = _book_row(table, fields, extra, data)
            if combined:
                split_name_and_number(row)
            groups.fill(row)
            rows.append(row)
        sheets.append(
            SheetInfo(
                name=table.sheet,
                header_row=table.header_row,
                header_end_row=table.header_end_row,
                columns=dict(table.columns),
                headers=dict(table.headers),
                max_column=table.max_column,
                max_row=table.max_row,
            )
        )
        report_date = report_date or title_date(table.title)
        title += [t for t in table.title if t not in title]
    if not rows:
        where = ", ".join(f"'{s.name}' (header at row {s.header_row})" for s in sheets)
        raise InputError(
            f"the register has a header but no data rows under it: {where}",
            file=name,
            hint="export the register with its rows, or check the right file was sent",
            code="NO_DATA_ROWS",
            params={"sheets": [{"sheet": s.name, "header_row": s.header_row} for s in sheets]},
        )
    log.info("%s: %d rows from %d sheet(s)", name, len(rows), len(sheets))
    return Register(
        path=path,
        file_name=name,
        sha256=sha256_of(path),
        format=book.format,
        sheets=sheets,
        rows=rows,
        report_date=report_date,
        warnings=warnings,
        title=title,
    )


def find_tables(
    book: Workbook,
    index: SynonymIndex,
    *,
    identity: tuple[str, ...],
    purpose: str,
    rules_key: str,
    only_sheet: str | None = None,
    first_only: bool = False,
) -> list[tuple[Grid, Table]]:
    """Every sheet (or the first) whose header names an identity field; InputError if none."""
    found: list[tuple[Grid, Table]] = []
    seen: dict[str, list[str]] = {}
    names = book.sheet_names
    if only_sheet is not None:
        if only_sheet not in names:
            raise InputError(
                f"no sheet named '{only_sheet}'; the sheets are {', '.join(names)}",
                file=book.file_name,
                hint="fix the sheet name in config.yaml",
                code="NO_SUCH_SHEET",
                params={"sheet": only_sheet, "sheets": list(names)},
            )
        names = [only_sheet]
    for sheet_name in names:
        grid = book.sheet(sheet_name)
        if not grid.max_row:
            continue
        table = find_table(grid, index)
        if table is None or not any(f in table.columns for f in identity):
            seen[sheet_name] = header_texts_found(grid)
            log.debug("%s: sheet '%s' has no %s header", book.file_name, sheet_name, purpose)
            continue
        found.append((grid, table))
        if first_only:
            break
    if found:
        return found
    if not seen:
        raise InputError(
            "the file is empty: no sheet holds any value",
            file=book.file_name,
            hint="export the register again with its data",
            code="EMPTY_FILE",
        )
    shown = "; ".join(
        f"sheet '{s}': " + (", ".join(f"'{t}'" for t in texts[:12]) or "no text")
        for s, texts in seen.items()
    )
    expected = [
        index.expected[f][0] for f in (*identity, "cost", "location") if f in index.expected
    ]
    expected_text = ", ".join(f"'{e}'" for e in expected)
    raise InputError(
        f"no recognisable {purpose} header in the first {HEADER_SCAN_ROWS} rows of any sheet; "
        f"found {shown}; "
        f"expected column headings such as {expected_text}",
        file=book.file_name,
        hint=f"rename the columns, or add your headings under '{rules_key}:' in {RULES_HINT}",
        code="NO_HEADER",
        params={
            "found": [{"sheet": s, "texts": texts[:12]} for s, texts in seen.items()],
            "expected": expected,
            "rows": HEADER_SCAN_ROWS,
            "purpose": purpose,
            "rules_hint": f"{RULES_HINT} ({rules_key}:)",
        },
    )


_UNSEEN = object()  # a text not parsed yet (None is a parsed value: an empty cell)


def parse_rows(
    grid: Grid,
    table: Table,
    parsers: dict[str, Parser],
    *,
    file_name: str,
    total_markers: list[str],
    skip: Callable[[DataRow], bool] | None = None,
    warnings: list[ReadingNote] | None = None,
) -> Iterator[tuple[DataRow, dict[str, Any], dict[str, Any]]]:
    """(DataRow, parsed fields, extra) for each data row that is not a total row.

    A row holding one of BOOK_KEYS is an item, never a total row.
    `skip` sees every other row, in order, before it is parsed: True leaves it out (a caption).
    A date column is read day first or month first as all its values say (decided once);
    a date cell that still cannot be read is left empty with a line in `warnings`.
    """
    warnings = [] if warnings is None else warnings
    left_empty: dict[str, int] = {}  # header -> cells left empty
    parsers = dict(parsers)
    for name in DATE_FIELDS:
        col = table.columns.get(name)
        if name not in parsers or col is None:
            continue
        column = [line[col - 1] for line in grid.cells[table.header_end_row :] if col <= len(line)]
        if values.month_first_column(column):
            parsers[name] = lambda v, _h: values.parse_date(v, month_first=True)
            sample = next(v for v in column if isinstance(v, str) and values.is_us_date(v))
            warnings.append(
                note(
                    "MONTH_FIRST_DATES",
                    source=f"{file_name}, sheet '{table.sheet}'",
                    column=f"{table.headers.get(col, '')} ({get_column_letter(col)})",
                    sample=sample,
                    read=f"{values.parse_date(sample, month_first=True):%d.%m.%Y}",
                )
            )
    fields = [
        (f, c - 1, table.headers.get(c, "")) for f, c in table.columns.items() if f in parsers
    ]
    mapped = set(table.columns.values())
    extras = extra_columns(table, mapped)
    key_cols = [table.columns[f] - 1 for f in BOOK_KEYS if f in table.columns]
    # Each field's text cells parsed once per distinct text: a register repeats its places,
    # people, accounts, dates and costs, and the parsers are pure. A text that fails is not
    # kept, so it fails again, with its own row in the message. The rows share the values.
    known: dict[str, dict[str, Any]] = {name: {} for name, _col, _header in fields}
    for data in data_rows(grid, table):
        if is_total_row(data, key_cols, total_markers):
            continue
        if skip is not None and skip(data):
            continue
        line = data.cells
        parsed: dict[str, Any] = {}
        for name, col, header in fields:
            raw = line[col] if col < len(line) else ""
            try:
                if type(raw) is str:
                    seen = known[name]
                    value = seen.get(raw, _UNSEEN)
                    if value is _UNSEEN:
                        value = seen[raw] = parsers[name](raw, header)
                    parsed[name] = value
                else:
                    parsed[name] = parsers[name](raw, header)
            except ValueError as e:
                letter = get_column_letter(col + 1)
                if name in LENIENT_FIELDS:
                    parsed[name] = None
                    left_empty[header] = left_empty.get(header, 0) + 1
                    if left_empty[header] <= SHOWN_PER_COLUMN:
                        warnings.append(
                            note(
                                "DATE_LEFT_EMPTY",
                                sheet=table.sheet,
                                row=data.row,
                                column=header,
                                letter=letter,
                                value=cell_text(raw),
                            )
                        )
                    continue
                raise InputError(
                    f"column '{header}' ({letter}): {e}",
                    file=file_name,
                    sheet=table.sheet,
                    row=data.row,
                    hint="correct or clear the cell and send the file again",
                    code="UNREADABLE_CELL",
                    params={
                        "column": header,
                        "column_letter": letter,
                        "value": cell_text(raw),
                        "expected": getattr(e, "expected", None) or FIELD_EXPECTS.get(name),
                    },
                ) from None
        extra = {
            key: (None if values.is_empty(line[c]) else line[c]) if c < len(line) else None
            for key, c in extras
        }
        yield data, parsed, extra
    for header, count in left_empty.items():
        if count > SHOWN_PER_COLUMN:
            warnings.append(
                note(
                    "MORE_LEFT_EMPTY",
                    sheet=table.sheet,
                    column=header,
                    count=count - SHOWN_PER_COLUMN,
                )
            )


_HEADING_PARTS = re.compile(r"[,;/]|\s+и\s+|\s+and\s+")


def holds_name_and_number(table: Table, index: SynonymIndex) -> bool:
    """Whether the name column's heading names the inventory number too, and no other column
    does: 1C's «Ведомость амортизации ОС» prints "Основное средство, Инвентарный номер" over
    cells such as "Сплит-система AERONIK ..., М000000524"."""
    col = table.columns.get("name")
    if col is None or "inventory_number" in table.columns:
        return False
    parts = [fold_header(p) for p in _HEADING_PARTS.split(table.headers.get(col, ""))]
    return any((index.match(p) or ("",))[0] == "inventory_number" for p in parts[1:])


def split_name_and_number(row: BookRow) -> None:
    """ "Name, М000000524" -> name and inventory number: the text after the last comma when it
    is one word holding a digit (a comma inside the name stays in the name)."""
    if row.name is None or row.inventory_number is not None:
        return
    name, comma, tail = row.name.rpartition(",")
    number = tail.strip()
    if comma and name.strip() and number and " " not in number and any(map(str.isdigit, number)):
        row.name, row.inventory_number = name.strip(), number


def extra_columns(table: Table, mapped: set[int]) -> list[tuple[str, int]]:
    """(key, 0-based column) for every column that is not a canonical field."""
    out: list[tuple[str, int]] = []
    used: set[str] = set()
    for col in range(1, table.max_column + 1):
        if col in mapped:
            continue
        key = table.headers.get(col) or f"Column {get_column_letter(col)}"
        if key in used:
            key = f"{key} ({get_column_letter(col)})"
        used.add(key)
        out.append((key, col - 1))
    return out


def _book_row(
    table: Table, fields: dict[str, Any], extra: dict[str, Any], data: DataRow
) -> BookRow:
    quantity = fields.pop("quantity", None)
    row = BookRow(
        sheet=table.sheet, row=data.row, **{k: v for k, v in fields.items() if k in BOOK_FIELDS}
    )
    row.quantity = 1 if quantity is None else quantity
    # Headerless columns only matter when they hold something.
    row.extra = {k: v for k, v in extra.items() if v is not None or not k.startswith("Column ")}
    return row


def _without_summaries(tables: list[tuple[Grid, Table]], name: str) -> list[tuple[Grid, Table]]:
    """Beside a register with inventory numbers or serials, a sheet naming neither ("Свод":
    name, quantity, cost per asset group) is a summary of it, not more items."""
    keyed = [t for t in tables if any(k in t[1].columns for k in BOOK_KEYS)]
    if not keyed or len(keyed) == len(tables):
        return tables
    for _grid, table in tables:
        if not any(k in table.columns for k in BOOK_KEYS):
            log.info(
                "%s: sheet '%s' names no inventory number or serial beside a sheet that does: "
                "a summary, not read",
                name,
                table.sheet,
            )
    return keyed
