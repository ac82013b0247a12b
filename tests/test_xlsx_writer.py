"""xlsx_writer.py: cells styled through the style cache read back exactly as cells styled one
attribute at a time the plain openpyxl way, over many rows, and a cell an accountant formatted
keeps what we do not set."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Border, Font, PatternFill, Side

from reconciler.outputs.xlsx_writer import BOX, FILLS, TOP, WRAP, write_table, write_value

VALUES: list[Any] = [
    "Сервер HPE ProLiant DL380",
    '=HYPERLINK("http://x")',
    "+7 (495) 123",
    "\tcell",
    "#N/A",
    Decimal("1234567.891"),
    date(2024, 3, 15),
    datetime(2024, 3, 15, 10, 30),
    datetime(2024, 3, 15),
    42,
    3.5,
    True,
    None,
    "",
    "a long line of text that needs wrapping in a narrow column " * 3,
    "two\nlines",
]


def _rows(n: int) -> list[list[Any]]:
    """`n` rows, each a different rotation of VALUES, so every kind meets every column."""
    return [[VALUES[(r + c) % len(VALUES)] for c in range(6)] for r in range(n)]


def _plain(ws: Any, row: int, column: int, value: Any, **styles: Any) -> None:
    """The reference: the value and each style set one attribute at a time."""
    cell = ws.cell(row=row, column=column)
    if value is None or value == "":
        cell.value = None
    elif isinstance(value, Decimal):
        cell.value = float(value)
        cell.number_format = "#,##0.00"
    elif isinstance(value, datetime):
        cell.value = value
        cell.number_format = "DD.MM.YYYY HH:MM" if (value.hour or value.minute) else "DD.MM.YYYY"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "DD.MM.YYYY"
    elif isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if value.startswith(("=", "+", "-", "@", "\t", "\r")):
            cell.quotePrefix = True
    else:
        cell.value = value
    for name, style in styles.items():
        setattr(cell, name, style)


def _look(cell: Any) -> tuple[Any, ...]:
    """Everything a reader sees of a cell."""
    return (
        cell.value,
        cell.data_type,
        cell.number_format,
        cell.quotePrefix,
        repr(cell.font),
        repr(cell.fill),
        repr(cell.border),
        repr(cell.alignment),
        repr(cell.protection),
    )


def test_cached_styles_read_back_as_styles_set_one_by_one_over_many_rows(tmp_path: Path) -> None:
    fills = [FILLS["matched"], FILLS["unmatched"], None]
    fast, plain = openpyxl.Workbook(), openpyxl.Workbook()
    rows = _rows(400)
    for r, line in enumerate(rows, start=1):
        fill = fills[r % 3]
        for c, value in enumerate(line, start=1):
            styles: dict[str, Any] = {"alignment": WRAP if c % 2 else TOP, "border": BOX}
            if fill is not None:
                styles["fill"] = fill
            if r % 7 == 0:
                styles["font"] = Font(name="Arial", bold=True)  # a new object each time
            write_value(fast.active, r, c, value, **styles)
            _plain(plain.active, r, c, value, **styles)
    fast.save(tmp_path / "fast.xlsx")
    plain.save(tmp_path / "plain.xlsx")
    a = openpyxl.load_workbook(tmp_path / "fast.xlsx").active
    b = openpyxl.load_workbook(tmp_path / "plain.xlsx").active
    assert a.max_row == b.max_row == 400
    for r in range(1, 401):
        for c in range(1, 7):
            assert _look(a.cell(r, c)) == _look(b.cell(r, c)), (r, c)
    # Risky text stays text with quotePrefix, whichever row it lands in.
    risky = [a.cell(r, c) for r in range(1, 401) for c in range(1, 7)]
    assert all(x.data_type == "s" and x.quotePrefix for x in risky if str(x.value)[:1] in "=+\t")


def test_a_cell_the_accountant_formatted_keeps_its_font_and_border_under_our_fill(
    tmp_path: Path,
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    red = Font(name="Times New Roman", color="FF0000")
    thick = Border(bottom=Side(style="thick"))
    ws.cell(1, 1).font = red
    ws.cell(2, 1).border = thick
    for r in (1, 2, 3):  # the same styles asked for three cells that started differently
        write_value(ws, r, 1, "x", fill=FILLS["review"], alignment=TOP)
    wb.save(tmp_path / "w.xlsx")
    back = openpyxl.load_workbook(tmp_path / "w.xlsx").active
    assert [back.cell(r, 1).fill.fgColor.rgb for r in (1, 2, 3)] == ["00FFEB9C"] * 3
    assert back.cell(1, 1).font.name == "Times New Roman" and back.cell(1, 1).font.color
    assert back.cell(2, 1).border.bottom.style == "thick"
    assert (
        back.cell(3, 1).font.name != "Times New Roman"
        and back.cell(3, 1).border.bottom.style is None
    )


def test_a_table_with_row_fills_fills_exactly_those_rows_and_grows_wrapped_rows(
    tmp_path: Path,
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    rows: list[list[object]] = [["short", "x"], ["a long text " * 20, "y"], ["z", None]]
    fill = PatternFill("solid", fgColor="FFC7CE")
    write_table(ws, ["A", "B"], rows, widths=[20, 10], fills=[None, fill, fill])
    wb.save(tmp_path / "t.xlsx")
    back = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert [back.cell(r, 2).fill.fgColor.rgb for r in (2, 3, 4)] == ["00000000", *["00FFC7CE"] * 2]
    assert back.cell(3, 1).alignment.wrap_text and back.row_dimensions[3].height >= 150
    assert back.cell(2, 1).alignment.vertical == "top" and not back.cell(2, 1).alignment.wrap_text
