"""The one way reconciler puts a value into a cell, and the few styles it adds.

Values from the register or the inventory are untrusted: a string such as "=HYPERLINK(...)"
would become a live formula in the accountant's workbook (CWE-1236, PITFALLS.md). So every
string is stored as a plain string (data_type "s") with quotePrefix, which makes Excel show a
leading "=" as text even after the user edits the cell. Formulas come only from our own code
(the native charts reference cells; no formula is ever built from input values).
"""

from __future__ import annotations

import gc
import math
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.workbook.workbook import Workbook
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
    "accepted": PatternFill("solid", fgColor="DDEBF7"),  # blue: a reviewer accepted it
}
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAP = Alignment(wrap_text=True, vertical="top")
LEFT = Alignment(horizontal="left")
# Rows grow to fit wrapped text; every cell of such a row then starts at the top, level with it.
TOP = Alignment(vertical="top")
THIN = Side(style="thin", color="A6A6A6")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a workbook is loaded, filled and saved.

    openpyxl makes several objects per cell and keeps them all: each full collection walks
    every one of them again, so a sheet of 1M cells spent much of its time in the collector
    (BENCHMARKS.md, outputs stage). Nothing made here is garbage until the workbook is
    dropped; the collector runs as usual afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def clean_text(text: str) -> str:
    """Text Excel can store: no control characters, not longer than its limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


class StyleCache:
    """The style indices (StyleArray) each combination of styles ends in, for one workbook.

    Assigning cell.font/fill/alignment/border hashes the style object and looks it up in the
    workbook's list of styles, per cell: at 10k rows most of the annotated workbook's time. The
    first cell of each combination is styled the ordinary way, so the workbook's style lists
    grow in the same order as before; every later cell gets a copy of the indices it ended in.
    The key is the cell's starting indices (an accountant's formatted cell keeps what we do not
    set), the attribute names and the identity of each value (hashing a style object is the
    slow part); the entry holds the values, so no id is reused by another object while it
    exists. Equal values that are different objects only miss the cache, never mix up.
    """

    def __init__(self) -> None:
        self._done: dict[tuple[Any, ...], tuple[StyleArray, dict[str, Any]]] = {}

    def apply(self, cell: Cell, styles: dict[str, Any]) -> None:
        start = cell._style
        if not start:  # a cell openpyxl created without one, as its setters do
            start = cell._style = StyleArray()
        key = (start.tobytes(), *styles, *map(id, styles.values()))
        done = self._done.get(key)
        if done is None:
            for name, value in styles.items():
                setattr(cell, name, value)
            self._done[key] = (StyleArray(cell._style), styles)
        else:
            cell._style = StyleArray(done[0])


_CACHES: weakref.WeakKeyDictionary[Workbook, StyleCache] = weakref.WeakKeyDictionary()


def style_cache(wb: Workbook) -> StyleCache:
    cache = _CACHES.get(wb)
    if cache is None:
        cache = _CACHES[wb] = StyleCache()
    return cache


def stored_value(value: Any) -> tuple[Any, str | None, bool]:
    """What write_value stores for `value`: the cell value, the number format it sets (None:
    the cell keeps its own), and whether it is text that needs quotePrefix."""
    if value is None or value == "":
        return None, None, False
    if isinstance(value, bool):
        return value, None, False
    if isinstance(value, Decimal):
        return float(value), MONEY_FORMAT, False
    if isinstance(value, int | float):
        return value, None, False
    if isinstance(value, datetime):
        return value, "DD.MM.YYYY HH:MM" if (value.hour or value.minute) else DATE_FORMAT, False
    if isinstance(value, date):
        return value, DATE_FORMAT, False
    text = clean_text(str(value))
    return text, None, text.startswith(_RISKY_START)


def write_value(ws: Worksheet, row: int, column: int, value: Any, **styles: Any) -> Cell:
    """Write an untrusted value: strings as text (never formulas), numbers, dates, or blank.

    `styles` (fill=..., alignment=..., font=...) are set with the value, through the workbook's
    StyleCache: the fast way to style many cells alike.
    """
    cell: Cell = ws.cell(row=row, column=column)
    stored, number_format, quote = stored_value(value)
    if isinstance(stored, str):
        # Not through cell.value: its type guess would make "=..." a formula and "#N/A" an
        # error. clean_text already made the text storable, so it is stored as a plain string.
        cell._value = stored
        cell.data_type = "s"
    else:
        cell.value = stored
    if number_format is not None:
        styles["number_format"] = number_format
    if quote:
        styles["quotePrefix"] = True
    if styles:
        style_cache(ws.parent).apply(cell, styles)
    return cell


def bold_font(ws: Worksheet, like: Font | None = None, size: float | None = None) -> Font:
    """Bold in the named font of `like`, else of the workbook's default style.

    A Font with no name renders in whatever the reader falls back to (LibreOffice: a serif),
    so our bold labels would not look like the normal text beside them.
    """
    base = like if like is not None and like.name else ws.parent._fonts[0]  # the default
    return Font(name=base.name, size=size or base.sz, bold=True)


def style_header(cell: Cell, like: Font | None = None) -> None:
    """Our header look; `like` is the font of the sheet's own header, so ours matches it."""
    cell.font = bold_font(cell.parent, like)
    cell.fill = HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    cell.border = BOX


# --- layout: Excel and LibreOffice size neither columns nor wrapped rows to their text --------

LINE_HEIGHT = 15.0  # points per line of 11-point text, Excel's default row height
MAX_WIDTH = 60.0  # wider columns are wrapped instead: a screen still shows several of them


def shown_text(value: Any) -> str:
    """The text a cell shows for `value` with the formats write_value sets."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return "00.00.0000 00:00" if (value.hour or value.minute) else "00.00.0000"
    if isinstance(value, date):
        return "00.00.0000"
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return f"{value:,.2f}" if isinstance(value, Decimal) else f"{value:,.1f}"
    return str(value)


def text_width(text: str) -> float:
    """Column width (in Excel's character units) that shows the longest line of `text`.

    Capitals and Cyrillic letters are wider than the digit Excel measures in, hence 1.15.
    """
    if "\n" not in text:  # most values: one line, no list to build
        return len(text) * 1.15 + 2
    longest = max((len(line) for line in text.split("\n")), default=0)
    return longest * 1.15 + 2


# Widths of characters in Excel's unit (the digit 0 of Calibri 11), by kind: narrow
# punctuation, lower case, capitals and the widest letters. Measured against LibreOffice's
# render of the review sheet: counting every character as 1.15 made a row of four candidates
# eight lines tall for five lines of text.
_NARROW = frozenset(" .,:;!|'il()[]-/tfjrI")
_WIDE = frozenset("mwMWжшщыюмЖШЩЫЮМ%@&")


def _char_width(ch: str) -> float:
    if ch in _NARROW:
        return 0.5
    if ch in _WIDE:
        return 1.45
    if ch.isupper():
        return 1.15
    if ch.isdigit():
        return 1.0
    return 0.95 if "\u0400" <= ch <= "\u04ff" else 0.85


class _CharWidths(dict[str, float]):
    """_char_width of each character met, kept: a word's width is then one C-level
    sum(map(...)) instead of a Python call per character (the findings and not-on-books
    tables measure hundreds of thousands of words at 100k rows)."""

    def __missing__(self, ch: str) -> float:
        width = self[ch] = _char_width(ch)
        return width


_CHAR_WIDTHS = _CharWidths()
_SPACE_WIDTH = _char_width(" ")


class _WordWidths(dict[str, float]):
    """Each word's width, kept: the tables' texts repeat their words (kinds, places, people,
    the findings' own wording), and a word summed once is then one dict look-up. The same
    sum as lines_needed made per word, so the same lines."""

    def __missing__(self, word: str) -> float:
        if len(self) >= _WORDS_AT_MOST:
            self.clear()
        width = self[word] = sum(map(_CHAR_WIDTHS.__getitem__, word))
        return width


_WORDS_AT_MOST = 200_000
_WORD_WIDTHS = _WordWidths()


def lines_needed(text: str, width: float) -> int:
    """How many lines `text` wraps to in a column `width` characters wide: broken at spaces
    as Excel and LibreOffice do, a word longer than the line broken where it must be. One unit
    of the width is the cell's padding."""
    room = max(1.0, width - 1)
    width_of = _WORD_WIDTHS.__getitem__
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for i, word in enumerate(paragraph.split(" ")):
            size = width_of(word)
            gap = _SPACE_WIDTH if i else 0.0
            if used and used + gap + size > room:
                lines += 1
                used = 0.0
                gap = 0.0
            used += gap + size
            while used > room:  # a word wider than the column: it breaks inside
                lines += 1
                used -= room
    return lines


def fit_width(
    values: list[Any], header: str = "", *, least: float = 8, most: float = MAX_WIDTH
) -> float:
    """A width showing every value on one line up to `most`; the header may wrap by words."""
    longest = max((text_width(shown_text(v)) for v in values), default=0.0)
    return fitted_width(longest, header, least=least, most=most)


def fitted_width(
    longest: float, header: str = "", *, least: float = 8, most: float = MAX_WIDTH
) -> float:
    """fit_width from the widest value's text_width, found while the values were written."""
    header_word = max((len(w) for w in header.split()), default=0) * 1.15 + 2
    widest = max(longest, header_word, least)
    return math.ceil(min(most, widest) * 10) / 10  # up: a rounded-down width cuts the text


def fit_row_height(ws: Worksheet, row: int, columns: range | list[int]) -> None:
    """Make `row` tall enough for its wrapped cells in `columns` (never shorter than it was)."""
    needed = 1
    for column in columns:
        cell = ws.cell(row=row, column=column)
        if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
            continue
        width = ws.column_dimensions[cell.column_letter].width
        needed = max(needed, wrapped_lines(cell.value, width))
    grow_row(ws, row, needed)


def wrapped_lines(stored: Any, width: float | None) -> int:
    """Lines a wrapped cell holding `stored` (as write_value stored it) needs in its column."""
    return 1 if stored is None else lines_needed(shown_text(stored), width or 8.43)


def grow_row(ws: Worksheet, row: int, lines: int) -> None:
    """Make `row` tall enough for `lines` lines of text (never shorter than it was)."""
    if lines > 1:
        current = ws.row_dimensions[row].height or LINE_HEIGHT
        ws.row_dimensions[row].height = max(current, lines * LINE_HEIGHT)


def set_print_layout(ws: Worksheet, *, title_rows: str | None = None) -> None:
    """Print landscape, one page wide, the header repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    if title_rows:
        ws.print_title_rows = title_rows


def write_table(
    ws: Worksheet,
    headers: list[str],
    rows: list[list[Any]],
    *,
    first_row: int = 1,
    widths: list[float] | None = None,
    fills: list[PatternFill | None] | None = None,
) -> None:
    """A plain table of untrusted values with a styled header, autofilter and frozen header.

    `fills`, one per row, fill the whole row (None: no fill).
    """
    from openpyxl.utils import get_column_letter

    for c, header in enumerate(headers, start=1):
        style_header(write_value(ws, first_row, c, header))
        # `widths` are the most each column may take; narrower content gets a narrower column.
        most = widths[c - 1] if widths else MAX_WIDTH
        column_values = [line[c - 1] for line in rows if c - 1 < len(line)]
        width = fit_width(column_values, header, most=most)
        ws.column_dimensions[get_column_letter(c)].width = width
    columns = max((len(line) for line in rows), default=0)
    column_widths = [
        ws.column_dimensions[get_column_letter(c)].width for c in range(1, columns + 1)
    ]
    for r, values in enumerate(rows, start=first_row + 1):
        fill = fills[r - first_row - 1] if fills else None
        lines = 1
        for c, value in enumerate(values, start=1):
            width = column_widths[c - 1]
            wrap = isinstance(value, str) and ("\n" in value or text_width(value) > (width or 0))
            styles: dict[str, Any] = {"alignment": WRAP if wrap else TOP}
            if fill is not None:
                styles["fill"] = fill
            cell = write_value(ws, r, c, value, **styles)
            if wrap:
                lines = max(lines, wrapped_lines(cell._value, width))
        grow_row(ws, r, lines)
    fit_row_height(ws, first_row, range(1, len(headers) + 1))
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A{first_row}:{last}{first_row + max(len(rows), 1)}"
    ws.freeze_panes = ws.cell(row=first_row + 1, column=1)
    set_print_layout(ws, title_rows=f"{first_row}:{first_row}")
