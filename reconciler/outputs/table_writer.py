"""Our long tables (findings, IT assets on no book row) written by xlsxwriter in constant-memory
mode: each row goes to the file as it is written, text is stored inline, and memory stays flat
however many rows there are (openpyxl kept several objects per cell and took most of the
outputs' time, BENCHMARKS.md).

The same look and the same safety as xlsx_writer.write_table: every string through
write_string (never a formula; a leading = + - @ gets quotePrefix, as Excel shows it as text
even after an edit), a styled header, widths fitted to the values, wrapped rows grown, an
autofilter, a frozen header and the print layout.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from reconciler.outputs.styles_append import FontInfo
from reconciler.outputs.xlsx_writer import (
    FILLS,
    HEADER_FILL,
    LINE_HEIGHT,
    MAX_WIDTH,
    fit_width,
    stored_value,
    text_width,
    wrapped_lines,
)

A4 = 9  # xlsxwriter's paper code for A4


def _rgb(fill: Any) -> str:
    return "#" + str(fill.fgColor.rgb)[-6:]


FILL_COLOURS = {key: _rgb(fill) for key, fill in FILLS.items()}


class TableBook:
    """An xlsxwriter workbook in constant-memory mode with our formats, made once each."""

    def __init__(self, font: FontInfo | None = None) -> None:
        self.buffer = io.BytesIO()
        default = {"font_name": "Calibri", "font_size": 11}
        if font is not None:
            default = {"font_name": font.name or "Calibri", "font_size": font.size or 11}
        self.font = default
        self.book = xlsxwriter.Workbook(
            self.buffer,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "default_format_properties": default,
            },
        )
        self._formats: dict[tuple[Any, ...], Format] = {}

    def sheet(self, name: str) -> Worksheet:
        return self.book.add_worksheet(name)

    def placeholder(self, name: str) -> None:
        """An empty sheet standing for one that comes from elsewhere (graft)."""
        self.book.add_worksheet(name)

    def fmt(
        self,
        *,
        fill: str | None = None,
        wrap: bool = False,
        number_format: str | None = None,
        quote: bool = False,
        header: bool = False,
        bold: bool = False,
        italic: bool = False,
    ) -> Format:
        key = (fill, wrap, number_format, quote, header, bold, italic)
        found = self._formats.get(key)
        if found is None:
            props: dict[str, Any] = {}
            if header:
                props |= {
                    "bold": True,
                    "bg_color": _rgb(HEADER_FILL),
                    "text_wrap": True,
                    "align": "center",
                    "valign": "vcenter",
                    "border": 1,
                    "border_color": "#A6A6A6",
                }
            else:
                props["valign"] = "top"
            if fill:
                props |= {"pattern": 1, "bg_color": fill}
            if wrap:
                props["text_wrap"] = True
            if number_format:
                props["num_format"] = number_format
            if quote:
                props["quote_prefix"] = True
            if bold:
                props["bold"] = True
            if italic:
                props["italic"] = True
            found = self._formats[key] = self.book.add_format(props)
        return found

    def close(self) -> bytes:
        self.book.close()
        return self.buffer.getvalue()


def write_cell(
    book: TableBook, ws: Worksheet, row: int, col: int, value: Any, **style: Any
) -> None:
    """One untrusted value at 0-based (row, col): text stays text, never a formula."""
    stored, number_format, quote = stored_value(value)
    fmt = book.fmt(number_format=number_format, quote=quote, **style)
    if stored is None:
        if style.get("fill"):  # an empty cell of a filled row keeps the row's colour
            ws.write_blank(row, col, None, fmt)
    elif isinstance(stored, str):
        ws.write_string(row, col, stored, fmt)
    elif isinstance(stored, bool):
        ws.write_boolean(row, col, stored, fmt)
    elif isinstance(stored, datetime | date):
        ws.write_datetime(row, col, stored, fmt)
    else:
        ws.write_number(row, col, stored, fmt)


def write_table(
    book: TableBook,
    ws: Worksheet,
    headers: list[str],
    rows: list[list[Any]],
    *,
    widths: list[float] | None = None,
    fills: list[str | None] | None = None,
    least: dict[int, float] | None = None,
) -> list[float]:
    """Header in row 1, `rows` below (each filled with its `fills` colour); return the widths.

    `widths` are the most each column may take; narrower content gets a narrower column, but
    never narrower than `least` (0-based column -> width: room to type in).
    """
    fitted = []
    for c, header in enumerate(headers):
        most = widths[c] if widths else MAX_WIDTH
        width = fit_width([line[c] for line in rows if c < len(line)], header, most=most)
        fitted.append(max(width, (least or {}).get(c, 0)))
        ws.set_column(c, c, fitted[c])
    header_lines = max(wrapped_lines(h, w) for h, w in zip(headers, fitted, strict=True))
    if header_lines > 1:
        ws.set_row(0, header_lines * LINE_HEIGHT)
    for c, header in enumerate(headers):
        write_cell(book, ws, 0, c, header, header=True)
    for r, values in enumerate(rows, start=1):
        fill = fills[r - 1] if fills else None
        wraps = [
            isinstance(v, str) and ("\n" in v or text_width(v) > fitted[c])
            for c, v in enumerate(values)
        ]
        lines = max(
            [wrapped_lines(stored_value(v)[0], fitted[c]) for c, v in enumerate(values) if wraps[c]]
            or [1]
        )
        if lines > 1:
            # Set before the row's cells: constant-memory mode writes a row out when it is left.
            ws.set_row(r, lines * LINE_HEIGHT)
        for c, value in enumerate(values):
            write_cell(book, ws, r, c, value, fill=fill, wrap=wraps[c])
    ws.autofilter(0, 0, max(len(rows), 1), len(headers) - 1)
    ws.freeze_panes(1, 0)
    set_print_layout(ws, title_rows=True)
    return fitted


def set_print_layout(ws: Worksheet, *, title_rows: bool = False) -> None:
    """Print landscape on A4, one page wide, the header repeated on every page."""
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)
    if title_rows:
        ws.repeat_rows(0)
