"""Our long tables (findings, IT assets on no book row) written as sheet XML straight into the
package, one row at a time, in the formats of the package's own styles.xml.

Measured at 10k rows (BENCHMARKS.md, outputs): openpyxl spent ~100 us a cell building and
saving its objects, xlsxwriter's constant-memory mode about as much in its own per-cell calls;
rustpy-xlsxwriter is fast but writes records without per-row fills, wrapped cells or lists.
A table's XML is simple and regular, so it is written here as text: a few us a cell, nothing
kept but the rows we were given.

The same look and safety as xlsx_writer.write_table: text is an inline string, never a formula
(a leading = + - @ gets quotePrefix, so Excel shows it as text even after an edit), a styled
header, widths fitted to the values, wrapped rows grown, an autofilter, a frozen header, the
print layout (landscape, A4, one page wide, the header on every page) and drop-down lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress, zip_longest
from operator import itemgetter, methodcaller, or_
from typing import Any

from reconciler.outputs.cell_templates import (
    QUOTED,
    TEXT,
    CellTemplates,
    Encoded,
    cell_starts,
    encode,
    encode_column,
    grid_rows,
    make_templates,
)
from reconciler.outputs.sheet_stream import cell_xml, column_letter
from reconciler.outputs.styles_append import StyleBook, Xf
from reconciler.outputs.xlsx_package import Package, sheet_title
from reconciler.outputs.xlsx_writer import (
    FILLS,
    HEADER_FILL,
    LINE_HEIGHT,
    MAX_WIDTH,
    clean_text,
    fitted_width,
    lines_needed,
    stored_value,
    wrapped_lines,
)
from reconciler.outputs.xml_parts import text

_SHOWN = itemgetter(2)
_BODY = itemgetter(1)
_HAS_LINE = methodcaller("__contains__", "\n")
FILL_COLOURS = {key: str(fill.fgColor.rgb)[-6:] for key, fill in FILLS.items()}
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
)


@dataclass
class ListValidation:
    column: int  # 0-based
    first_row: int  # 0-based, inclusive
    last_row: int
    values: list[str]
    show_error: bool = True


@dataclass
class TableSheet:
    name: str
    title: str = ""  # what it was asked to be called (its name may take a suffix)
    headers: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    fills: list[str | None] | None = None
    below: dict[int, list[tuple[int, Any, int]]] = field(default_factory=dict)  # row: col, v, s
    validations: list[ListValidation] = field(default_factory=list)
    # Per column, from write_table's pass over the values: the longest shown line, and
    # whether any value has several lines (only such columns are checked for wrapping).
    longest: list[int] = field(default_factory=list)
    multiline: list[bool] = field(default_factory=list)
    # Each chunk's columns as write_table encoded them to find `longest`, for _prepare_rows
    # (which lets each go): not encoded twice. This book's own: SharedTables does not pass
    # them on (another workbook encodes its copy when it writes it, as before).
    encoded: list[list[list[Encoded]] | None] = field(default_factory=list)

    def data_validation(self, validation: ListValidation) -> None:
        self.validations.append(validation)


class SharedTables:
    """The long tables of one run, laid out once: the annotated copy and the IT workbook show
    the same IT assets on no book row and the same findings in the same order. The second
    workbook takes the rows, fills and widths the first made (at 100k rows making them took
    seconds each, BENCHMARKS.md issue 16); each writes its own XML in its own styles.

    pipeline makes one per run and hands it to both; without one, each makes its own."""

    def __init__(self) -> None:
        self.tables: dict[str, TableSheet] = {}
        # language -> the findings in the sheets' order, their lines, and whether the lines
        # show codes (the IT workbook) or kinds in words (the annotated copy)
        self.findings: dict[str, tuple[list[Any], list[list[Any]], bool]] = {}

    def take(self, key: str, ws: TableSheet) -> bool:
        """Fill `ws` with table `key` as laid out before; False when it was not yet."""
        made = self.tables.get(key)
        if made is None:
            return False
        ws.headers, ws.rows, ws.widths, ws.fills = made.headers, made.rows, made.widths, made.fills
        ws.longest, ws.multiline = made.longest, made.multiline
        return True

    def keep(self, key: str, ws: TableSheet) -> None:
        self.tables[key] = ws


class TableBook:
    """Table sheets added to `package` (after its sheets) when closed.

    Their formats are made when the book closes, or before (`prepare`), in a copy of the
    styles when the package's own are not final yet: `rebase` then makes them again, in the
    same order, in the final styles (annotate makes the register's formats in a worker
    meanwhile; ours come after them, as when made in one process)."""

    def __init__(self, package: Package, styles: StyleBook, taken: list[str]) -> None:
        self.package = package
        self.styles = styles
        self.taken = list(taken)
        self.sheets: list[TableSheet] = []
        self._xf: dict[tuple[Any, ...], int] = {}
        self._prepared: list[_Prepared] | None = None

    def sheet(self, title: str) -> TableSheet:
        name = sheet_title(title, self.taken)
        self.taken.append(name)
        ws = TableSheet(name, title)
        self.sheets.append(ws)
        return ws

    def xf(
        self,
        fill: str | None = None,
        wrap: bool = False,
        number_format: str | None = None,
        quote: bool = False,
        *,
        header: bool = False,
        italic: bool = False,
    ) -> int:
        key = (fill, wrap, number_format, quote, header, italic)
        found = self._xf.get(key)
        if found is None:
            found = self._xf[key] = self.styles.xf(self._style(key))
        return found

    def _style(self, key: tuple[Any, ...]) -> Xf:
        fill, wrap, number_format, quote, header, italic = key
        if header:
            return Xf(
                fill_rgb=FILL_COLOURS.get("header", str(HEADER_FILL.fgColor.rgb)[-6:]),
                wrap=True,
                vertical="center",
                horizontal="center",
                bold_font=self.styles.default_font(),
                boxed=True,
            )
        return Xf(
            fill_rgb=fill,
            wrap=wrap,
            vertical="top",
            num_fmt=number_format,
            quote_prefix=quote,
            italic=italic,
        )

    def prepare(self) -> None:
        """Every sheet's formats made now, in the order close() would make them."""
        if self._prepared is None:
            self._prepared = [_prepare_sheet(self, ws) for ws in self.sheets]

    def rebase(self, styles: StyleBook, taken: list[str]) -> None:
        """The formats made so far made again in `styles`, in the order they were first made
        (what `styles` has already is found, the rest appended): as if made there from the
        start; the sheets named anew after `taken`."""
        old = dict(self._xf)
        self.styles = styles
        self._xf = {key: styles.xf(self._style(key)) for key in old}
        moved = {old[key]: self._xf[key] for key in old}
        for ws in self.sheets:
            ws.below = {r: [(c, v, moved[s]) for c, v, s in cells] for r, cells in ws.below.items()}
        for prepared in self._prepared or []:
            prepared.templates.remake()
        self.taken = list(taken)
        for ws in self.sheets:
            ws.name = sheet_title(ws.title, self.taken)
            self.taken.append(ws.name)

    def close(self) -> list[str]:
        """Every sheet written into the package, in order; their names."""
        self.prepare()
        first = len(self.package.sheets())
        names: list[bytes] = []
        for i, prepared in enumerate(self._prepared or []):
            ws = prepared.ws
            # Its formats made already (styles.xml is rendered before the zip is written), its
            # rows' XML when the package is written: not held for the whole table.
            self.package.add_sheet(ws.name, _written(self, prepared))
            quoted = "'" + ws.name.replace("'", "''") + "'"
            last = column_letter(max(len(ws.headers), 1))
            names.append(
                f'<definedName name="_xlnm._FilterDatabase" localSheetId="{first + i}" '
                f'hidden="1">{text(quoted)}!$A$1:${last}${max(len(ws.rows), 1) + 1}'
                "</definedName>".encode()
            )
            names.append(
                f'<definedName name="_xlnm.Print_Titles" localSheetId="{first + i}">'
                f"{text(quoted)}!$1:$1</definedName>".encode()
            )
        self.package.add_defined_names(names)
        return [ws.name for ws in self.sheets]


def write_cell(
    book: TableBook, ws: TableSheet, row: int, col: int, value: Any, **style: Any
) -> None:
    """One value below the table at 0-based (row, col) (a footer): text stays text."""
    stored, number_format, quote = stored_value(value)
    ws.below.setdefault(row, []).append(
        (col, stored, book.xf(None, False, number_format, quote, **style))
    )


def write_table(
    book: TableBook,
    ws: TableSheet,
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
    longest = [0] * len(headers)
    multiline = [False] * len(headers)
    # Encoded here to find each column's widest value, then written as encoded (ws.encoded).
    encoded: list[list[list[Encoded]] | None] = []
    for at in range(0, len(rows), _CHUNK):
        columns = []
        for c, column in enumerate(zip_longest(*rows[at : at + _CHUNK])):
            made = encode_column(column)
            longest[c] = max(longest[c], max(map(_SHOWN, made), default=0))
            multiline[c] = multiline[c] or _has_lines(made)
            columns.append(made)
        encoded.append(columns)
    fitted = []
    for c, header in enumerate(headers):
        most = widths[c] if widths else MAX_WIDTH
        widest = longest[c] * 1.15 + 2 if longest[c] else 0.0
        width = fitted_width(widest, header, most=most)
        fitted.append(max(width, (least or {}).get(c, 0)))
    ws.headers, ws.rows, ws.widths, ws.fills = headers, rows, fitted, fills
    ws.longest, ws.multiline, ws.encoded = longest, multiline, encoded
    return fitted


_CHUNK = 1000  # rows written at a time


def _prepare_rows(
    ws: TableSheet,
    rows: list[list[Any]],
    fills: list[str | None],
    first: int,
    templates: CellTemplates,
    room: list[float],
    may_wrap: list[bool],
    lines_of: list[dict[str, int]],
    encoded: list[list[Encoded]] | None = None,
) -> _Rows:
    """Some of the table's rows (the first is sheet row `first`) encoded a column at a time
    (`encoded`: as write_table did), the formats their cells use made
    (cell_templates.make_templates); their XML is made by _rows_xml when the package is
    written. A row with wrapped text is made as tall as it needs. `lines_of[c]`: the lines
    each text of column c was found to need, across the rows."""
    lengths = list(map(len, rows))
    width = max(lengths)
    if encoded is None:
        encoded = [encode_column(column) for column in zip_longest(*rows)]
    # A row shorter than the table has no cell where it has no value (looked for only when
    # some row is shorter: a pass per cell otherwise, a tenth of the tables' time at 100k).
    shortest = min(lengths)
    absent = [
        [] if c < shortest else [j for j, n in enumerate(lengths) if n <= c] for c in range(width)
    ]
    wraps: list[list[int]] = []
    row_lines = [1] * len(rows)
    for c, column in enumerate(encoded):
        if not may_wrap[c]:
            wraps.append([])
            continue
        # The rows whose text is wider than the column (or has lines), found by C-level maps.
        too_wide = map(room[c].__lt__, map(_SHOWN, column))
        if ws.multiline[c]:
            too_wide = map(or_, too_wide, map(_HAS_LINE, map(_BODY, column)))
        wider = list(compress(range(len(column)), too_wide))
        wrapped = [j for j in wider if column[j][0] in (TEXT, QUOTED)]
        known = lines_of[c]  # a quarter of the wrapped texts at 100k are distinct
        for j in wrapped:
            body = column[j][1]  # the text as stored: the same body, the same lines
            lines = known.get(body)
            if lines is None:
                lines = known[body] = lines_needed(clean_text(str(rows[j][c])), ws.widths[c])
            row_lines[j] = max(row_lines[j], lines)
        wraps.append(wrapped)
    absent_or_none = absent if any(absent) else None
    written = list(range(width))
    if not any(fills):
        # No row filled: a column with no value in these rows writes no cell at all, so it is
        # left out of their XML (the findings' Accepted, Comment and who and when: 4 of 18).
        written = [c for c in written if encoded[c].count(_NO_VALUE) < len(encoded[c])]
        if len(written) < width:
            encoded = [encoded[c] for c in written]
            wraps = [wraps[c] for c in written]
            if absent_or_none is not None:
                absent_or_none = [absent_or_none[c] for c in written]
    kinds = make_templates(encoded, fills, templates, wraps, True, absent_or_none)
    return _Rows(first, written, encoded, fills, wraps, absent_or_none, kinds, row_lines)


_NO_VALUE = encode(None)  # an empty cell of a row with no fill: not written (grid_rows)


@dataclass
class _Rows:
    """Some rows of a table, encoded, waiting to be written (_rows_xml)."""

    first: int
    columns: list[int]  # the table's columns these rows have cells in (0-based)
    encoded: list[list[Encoded]]
    fills: list[str | None]
    wraps: list[list[int]]
    absent: list[list[int]] | None
    kinds: list[list[int]]
    row_lines: list[int]


def _rows_xml(rows: _Rows, starts: list[str], templates: CellTemplates) -> str:
    numbers = [str(r) for r in range(rows.first, rows.first + len(rows.row_lines))]
    cells = grid_rows(
        [starts[c] for c in rows.columns],
        numbers,
        rows.encoded,
        rows.fills,
        templates,
        rows.wraps,
        skip_unfilled_empty=True,
        absent=rows.absent,
        kinds=rows.kinds,
    )
    return "".join(
        f'<row r="{n}" ht="{lines * LINE_HEIGHT:g}" customHeight="1">{row}</row>'
        if lines > 1
        else f'<row r="{n}">{row}</row>'
        for n, row, lines in zip(numbers, cells, rows.row_lines, strict=True)
    )


def _has_lines(encoded: list[Encoded]) -> bool:
    """Whether a text of the column has several lines: its bodies joined and searched once
    (a text's line breaks are kept in its body, no other kind's body has one). Not told from
    the values' types, which took a Python call per value (0.18 CPU s at 100k, this 0.10)."""
    return "\n" in "\0".join(map(_BODY, encoded))


@dataclass
class _Prepared:
    """A sheet whose formats are made: its XML but for the rows', header's and footer's."""

    ws: TableSheet
    opening: bytes
    starts: list[str]
    templates: CellTemplates
    rows: list[_Rows]
    tail: bytes


def _prepare_sheet(book: TableBook, ws: TableSheet) -> _Prepared:
    """The sheet prepared: the formats its cells use made now, in the order of its cells (the
    header's first), its rows encoded; their XML is made when written (_written)."""
    n_cols = max(len(ws.headers), 1)
    last_row = max(len(ws.rows), 1) + 1
    bottom = max([last_row, *(r + 1 for r in ws.below)])
    head = [
        _HEAD,
        f'<dimension ref="A1:{column_letter(n_cols)}{bottom}"/>',
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
        '</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>',
    ]
    for c, width in enumerate(ws.widths, start=1):
        head.append(f'<col min="{c}" max="{c}" width="{width:g}" customWidth="1"/>')
    head.append("</cols><sheetData>")
    book.xf(header=True)  # the header's format first, as the sheet shows it
    letters = [column_letter(c) for c in range(1, n_cols + 1)]
    starts = cell_starts(1, n_cols)
    templates = CellTemplates(book.xf)
    # A text cell wraps when it is longer than its column: shown length * 1.15 + 2 > width;
    # in a column as wide as its widest value, none does.
    room = [(w - 2) / 1.15 for w in ws.widths]
    may_wrap = [
        c < len(ws.longest) and (ws.longest[c] > room[c] or ws.multiline[c]) for c in range(n_cols)
    ]
    lines_of: list[dict[str, int]] = [{} for _c in range(n_cols)]
    prepared: list[_Rows] = []
    made = ws.encoded  # each chunk's columns, when write_table encoded them in this book
    for i, at in enumerate(range(0, len(ws.rows), _CHUNK)):
        rows = ws.rows[at : at + _CHUNK]
        fills: list[str | None] = ws.fills[at : at + _CHUNK] if ws.fills else [None] * len(rows)
        encoded = made[i] if i < len(made) else None
        if encoded is not None:
            made[i] = None  # held by its _Rows until written, then let go
        prepared.append(
            _prepare_rows(ws, rows, fills, at + 2, templates, room, may_wrap, lines_of, encoded)
        )
    tail = [f'</sheetData><autoFilter ref="A1:{letters[-1]}{last_row}"/>']
    if ws.validations:
        tail.append(f'<dataValidations count="{len(ws.validations)}">')
        for v in ws.validations:
            ref = f"{column_letter(v.column + 1)}{v.first_row + 1}:"
            ref += f"{column_letter(v.column + 1)}{v.last_row + 1}"
            listed = text('"' + ",".join(v.values) + '"')
            tail.append(
                f'<dataValidation type="list" allowBlank="1" showErrorMessage='
                f'"{int(v.show_error)}" sqref="{ref}"><formula1>{listed}</formula1>'
                "</dataValidation>"
            )
        tail.append("</dataValidations>")
    tail.append(
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToHeight="0"/>'
        "</worksheet>"
    )
    return _Prepared(
        ws, "".join(head).encode(), starts, templates, prepared, "".join(tail).encode()
    )


def _written(book: TableBook, sheet: _Prepared) -> Iterator[bytes]:
    """The sheet's XML, its rows made a chunk at a time as the package writer asks for them
    (and each chunk let go once written); the header and footer in their formats' indexes
    as they are then (TableBook.rebase may have moved them)."""
    ws = sheet.ws
    yield sheet.opening
    header_style = book.xf(header=True)
    lines = max([wrapped_lines(h, w) for h, w in zip(ws.headers, ws.widths, strict=True)] or [1])
    height = f' ht="{lines * LINE_HEIGHT:g}" customHeight="1"' if lines > 1 else ""
    yield (
        f'<row r="1"{height}>'
        + "".join(
            cell_xml(f"{column_letter(c)}1", h, header_style, False)
            for c, h in enumerate(ws.headers, start=1)
        )
        + "</row>"
    ).encode()
    prepared = sheet.rows
    for i in range(len(prepared)):
        rows, prepared[i] = prepared[i], _DONE
        yield _rows_xml(rows, sheet.starts, sheet.templates).encode()
    chunk: list[str] = []
    for row in sorted(ws.below):
        r = row + 1
        cells = [
            cell_xml(f"{column_letter(c + 1)}{r}", v, s, False) for c, v, s in sorted(ws.below[row])
        ]
        chunk.append(f'<row r="{r}">{"".join(cells)}</row>')
    yield "".join(chunk).encode()
    yield sheet.tail


_DONE = _Rows(0, [], [], [], [], None, [], [])
