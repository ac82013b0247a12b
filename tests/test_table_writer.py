"""Our long tables written as sheet XML (table_writer): what each row's cells are, and that
the columns write_table encoded to fit the widths are the ones written."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl

from reconciler.outputs.side_sheets import SheetAssembly
from reconciler.outputs.styles_append import EMPTY_STYLES
from reconciler.outputs.table_writer import TableBook, write_table
from reconciler.outputs.xlsx_package import Package, empty_workbook

RED = "FFC7CE"


def _written(
    rows: list[list[Any]], fills: list[str | None], *, encode_when_written: bool = False
) -> bytes:
    """The package with one table of `rows` under three headers. `encode_when_written`: the
    columns write_table encoded are dropped, so the rows are encoded again as they are written
    (as in a workbook that takes the table from another's SharedTables)."""
    package = Package.open(io.BytesIO(empty_workbook(EMPTY_STYLES)))
    try:
        assembly = SheetAssembly(package)

        def table(book: TableBook) -> None:
            ws = book.sheet("Table")
            write_table(book, ws, ["Name", "Place", "Cost"], rows, fills=fills)
            if encode_when_written:
                ws.encoded = []

        assembly.tables(table)
        assembly.finish()
        out = io.BytesIO()
        package.write(out)
    finally:
        package.close()
    return out.getvalue()


def _sheet_xml(made: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(made)) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        return z.read(sheet).decode()


def _cells_by_row(made: bytes) -> dict[int, list[str]]:
    xml = _sheet_xml(made)
    rows: dict[int, list[str]] = {}
    for number, cells in re.findall(r'<row r="(\d+)"[^>]*>(.*?)</row>', xml, re.S):
        rows[int(number)] = re.findall(r'<c r="([A-Z]+)\d+"', cells)
    return rows


def test_a_row_shorter_than_the_table_has_no_cells_past_its_end_even_when_filled() -> None:
    rows: list[list[Any]] = [
        ["Сервер HP", "Склад", Decimal("1200.50")],
        ["Ноутбук"],  # a short row, filled: its fill does not make cells it has no value for
        ["Монитор", None, None],  # a full row, filled: its empty cells are there, filled
        ["Принтер", "Офис"],
    ]
    made = _written(rows, [None, RED, RED, None])
    cells = _cells_by_row(made)
    assert cells[1] == ["A", "B", "C"]  # the header
    assert cells[2] == ["A", "B", "C"]
    assert cells[3] == ["A"]
    assert cells[4] == ["A", "B", "C"]
    assert cells[5] == ["A", "B"]
    ws = openpyxl.load_workbook(io.BytesIO(made))["Table"]
    assert [c.value for c in ws[3]] == ["Ноутбук", None, None]
    assert ws["A4"].fill.fgColor.rgb.endswith(RED) and ws["C4"].fill.fgColor.rgb.endswith(RED)


def test_a_table_is_the_same_whether_its_columns_are_encoded_once_or_again_when_written() -> None:
    rows: list[list[Any]] = [
        [f"=Сервер {i} " + "очень длинное название " * (i % 7), f"Склад {i % 3}", i * 1.5]
        for i in range(2500)  # three chunks of rows
    ]
    rows[1200] = ["Ноутбук\nс док-станцией", date(2024, 3, 1)]
    fills = [RED if i % 5 == 0 else None for i in range(len(rows))]
    once = _written(rows, fills)
    again = _written(rows, fills, encode_when_written=True)
    with zipfile.ZipFile(io.BytesIO(once)) as a, zipfile.ZipFile(io.BytesIO(again)) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
    cells = _cells_by_row(once)
    assert cells[1202] == ["A", "B"]  # the short row, in the second chunk
    tags = dict(re.findall(r'<row r="(\d+)"([^>]*)>', _sheet_xml(once)))
    assert 'customHeight="1"' in tags["8"]  # the longest name (i = 6) wraps: its row grows
    assert tags["3"] == ""  # a short one does not


def test_a_text_of_two_lines_among_numbers_grows_its_row_and_only_that_row() -> None:
    rows: list[list[Any]] = [["Сервер", "Склад", Decimal(i)] for i in range(1, 1500)]
    rows[1100][2] = "1 200\nс НДС"  # short: it wraps only at its line break
    rows[1300][2] = "-" * 500  # no break, but wider than its column: it wraps too
    made = _written(rows, [None] * len(rows))
    tags = dict(re.findall(r'<row r="(\d+)"([^>]*)>', _sheet_xml(made)))
    grown = {r for r, tag in tags.items() if "customHeight" in tag}
    assert grown == {"1102", "1302"}
    assert 'ht="30"' in tags["1102"]


def test_a_column_empty_in_rows_without_fill_has_no_cells_there_and_filled_rows_keep_theirs() -> (
    None
):
    rows: list[list[Any]] = [[f"Сервер {i}", None, i] for i in range(2500)]  # three chunks
    rows[2100][1] = "Склад"  # the third chunk's column B has one value
    fills = [RED if i == 1500 else None for i in range(len(rows))]  # one row of the second
    cells = _cells_by_row(_written(rows, fills))
    assert cells[2] == cells[1001] == ["A", "C"]  # the first chunk: column B writes nothing
    assert cells[1502] == ["A", "B", "C"]  # filled: its empty cell is there, in its fill
    assert cells[1503] == cells[2101] == ["A", "C"]
    assert cells[2102] == ["A", "B", "C"]
    ws = openpyxl.load_workbook(io.BytesIO(_written(rows, fills)))["Table"]
    assert ws["B1502"].fill.fgColor.rgb.endswith(RED) and ws["C1502"].value == 1500
    assert ws["B2102"].value == "Склад" and ws["C2102"].value == 2100
