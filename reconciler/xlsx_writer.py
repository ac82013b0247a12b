"""The one way reconciler puts a value into a cell, and the few styles it adds.

Values from the register or the inventory are untrusted: a string such as "=HYPERLINK(...)"
would become a live formula in the accountant's workbook (CWE-1236, PITFALLS.md). So every
string is stored as a plain string (data_type "s") with quotePrefix, which makes Excel show a
leading "=" as text even after the user edits the cell. Formulas come only from our own code
(the native charts reference cells; no formula is ever built from input values).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

MAX_CELL_TEXT = 32767  # Excel's limit; longer text makes the file "need repair"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")

# Row fills of the added columns, by what the reconciler decided about the row.
FILLS = {
    "matched": PatternFill("solid", fgColor="C6EFCE"),  # green
    "review": PatternFill("solid", fgColor="FFEB9C"),  # amber
    "unmatched": PatternFill("solid", fgColor="FFC7CE"),  # red
    "has_findings": PatternFill("solid", fgColor="F8CBAD"),  # orange
}
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
HEADER_FONT = Font(bold=True)
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAP = Alignment(wrap_text=True, vertical="top")
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def clean_text(text: str) -> str:
    """Text Excel can store: no control characters, not longer than its limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


def write_value(ws: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write an untrusted value: strings as text (never formulas), numbers, dates, or blank."""
    cell: Cell = ws.cell(row=row, column=column)
    if value is None or value == "":
        cell.value = None
        return cell
    if isinstance(value, bool):
        cell.value = value
    elif isinstance(value, Decimal):
        cell.value = float(value)
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, int | float):
        cell.value = value
    elif isinstance(value, datetime):
        cell.value = value
        cell.number_format = "DD.MM.YYYY HH:MM" if (value.hour or value.minute) else DATE_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        text = clean_text(str(value))
        # Assigning runs openpyxl's type guess ("=..." -> formula, "#N/A" -> error); the
        # data_type set right after makes it a plain string whatever it looked like.
        cell.value = text
        cell.data_type = "s"
        if text.startswith(_RISKY_START):
            cell.quotePrefix = True
    return cell


def style_header(cell: Cell) -> None:
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    cell.border = BOX


def write_table(
    ws: Worksheet,
    headers: list[str],
    rows: list[list[Any]],
    *,
    first_row: int = 1,
    widths: list[float] | None = None,
) -> None:
    """A plain table of untrusted values with a styled header, autofilter and frozen header."""
    from openpyxl.utils import get_column_letter

    for c, header in enumerate(headers, start=1):
        style_header(write_value(ws, first_row, c, header))
    for r, values in enumerate(rows, start=first_row + 1):
        for c, value in enumerate(values, start=1):
            cell = write_value(ws, r, c, value)
            if isinstance(value, str) and len(value) > 40:
                cell.alignment = WRAP
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A{first_row}:{last}{first_row + max(len(rows), 1)}"
    ws.freeze_panes = ws.cell(row=first_row + 1, column=1)
    for c, header in enumerate(headers, start=1):
        width = widths[c - 1] if widths else min(max(len(header) + 2, 12), 50)
        ws.column_dimensions[get_column_letter(c)].width = width
