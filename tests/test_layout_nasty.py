"""layout.py on the nasty files real registers arrive as: page-break header repeats, hidden rows
and columns, line breaks in headings, a summary sheet beside the register, a used range blown
up by formatting, a wrong <dimension>, a CSV with BOM and multi-line quoted fields, and a 1C
export holding real numbers and dates with number formats."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Border, PatternFill, Side
from workbooks import FORMATS, SheetSpec, one_c_register, plain_register, write

from reconciler.models import Register
from reconciler.read.register import read_register
from reconciler.read.sheets import open_workbook
from reconciler.rules import ColumnRules, Rules


@pytest.fixture
def columns(rules: Rules) -> ColumnRules:
    return rules.columns


def read(tmp_path: Path, fmt: str, *sheets: SheetSpec, columns: ColumnRules) -> Register:
    return read_register(write(tmp_path / f"register.{fmt}", fmt, *sheets), columns)


def paged_one_c_register() -> SheetSpec:
    """one_c_register with its two-row header and the 1-2-3 numbering row printed again at a
    page break (rows 13-15, merges and all), and one more item under it at row 16."""
    s = one_c_register()
    header = {(r, c): v for (r, c), v in s.cells.items() if 4 <= r <= 6}
    for (r, c), value in header.items():
        s.cells[(r + 9, c)] = value
    s.merged += [(r0 + 9, c0, r1 + 9, c1) for r0, c0, r1, c1 in s.merged if 4 <= r0 <= 5]
    s.row(16, [4, "Монитор Dell P2419H", "ОС-000126", "CN0ABC", "01.02.2022", 60, "15 000,00"])
    return s


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_1c_header_printed_again_on_every_page_is_not_a_row(
    tmp_path: Path, fmt: str, columns: ColumnRules
) -> None:
    register = read(tmp_path, fmt, paged_one_c_register(), columns=columns)
    assert [(r.row, r.inventory_number) for r in register.rows] == [
        (8, "ОС-000123"),
        (9, "ОС-000124"),
        (10, "ОС-000125"),
        (16, "ОС-000126"),
    ]


def test_hidden_rows_and_columns_are_read_and_keep_excel_numbers(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """Plants plain_register at C5 with row 7 (INV-2) and column E (serials) hidden."""
    path = write(tmp_path / "hidden.xlsx", "xlsx", plain_register(row=5, col=3))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.row_dimensions[7].hidden = True
    ws.column_dimensions["E"].hidden = True
    wb.save(path)
    register = read_register(path, columns)
    assert [(r.row, r.inventory_number, r.serial) for r in register.rows] == [
        (6, "INV-1", "FOC1234X"),
        (7, "INV-2", "VNB3K12345"),
        (8, "INV-3", "AS1234567890"),
    ]
    assert register.sheets[0].columns["serial"] == 5


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv", "xml"])
def test_line_breaks_inside_headings_do_not_hide_the_column(
    tmp_path: Path, fmt: str, columns: ColumnRules
) -> None:
    s = SheetSpec("TDSheet").row(
        1, ["Инвентарный\nномер", "Наименование\r\nобъекта", "Первоначальная\nстоимость,\nруб."]
    )
    s.row(2, ["ОС-1", "Сервер", "100,00"])
    register = read(tmp_path, fmt, s, columns=columns)
    assert register.sheets[0].columns == {"inventory_number": 1, "name": 2, "cost": 3}
    assert register.sheets[0].headers[1] == "Инвентарный номер"
    assert (register.rows[0].inventory_number, register.rows[0].cost) == ("ОС-1", 100)


def test_a_summary_sheet_beside_the_register_is_not_read_as_items(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """Plants a "Свод" sheet (Наименование | Количество | Стоимость by asset group, a header
    the rules recognise but with no inventory number or serial) before the register."""
    summary = SheetSpec("Свод").row(1, ["Наименование", "Количество", "Стоимость"])
    summary.row(2, ["Вычислительная техника", 3, "1 414 681,89"]).row(3, ["Мебель", 10, "5 000"])
    register = read(tmp_path, "xlsx", summary, one_c_register(), columns=columns)
    assert [s.name for s in register.sheets] == ["TDSheet"]
    assert [r.key for r in register.rows] == [("TDSheet", 8), ("TDSheet", 9), ("TDSheet", 10)]


def test_registers_of_two_branches_on_two_sheets_are_both_read(
    tmp_path: Path, columns: ColumnRules
) -> None:
    one, two = plain_register(row=1, col=1, name="Москва"), plain_register(row=2, col=2)
    two.name = "Казань"
    register = read(tmp_path, "xlsx", one, two, columns=columns)
    assert [s.name for s in register.sheets] == ["Москва", "Казань"]
    assert len(register.rows) == 6


def test_a_used_range_of_200_formatted_columns_ends_at_the_last_value(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """Plants plain_register at A1 with borders and a fill on A1:GR60 (200 columns, 60 rows):
    formatting only, no values beyond G4."""
    path = write(tmp_path / "formatted.xlsx", "xlsx", plain_register(row=1, col=1))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    thin = Side(style="thin")
    fill = PatternFill("solid", fgColor="FFFFCC")
    for row in ws.iter_rows(min_row=1, max_row=60, min_col=1, max_col=200):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.fill = fill
    wb.save(path)
    assert openpyxl.load_workbook(path).active.max_column == 200
    register = read_register(path, columns)
    (sheet,) = register.sheets
    assert (sheet.max_row, sheet.max_column) == (4, 7)
    assert [r.row for r in register.rows] == [2, 3, 4]
    assert all(not k.startswith("Column ") for r in register.rows for k in r.extra)


def test_an_xlsx_whose_dimension_tag_is_wrong_is_read_whole(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """Plants one_c_register (A1:K12) whose sheet XML claims <dimension ref="A1:B2">, as some
    generators write it."""
    good = write(tmp_path / "good.xlsx", "xlsx", one_c_register())
    path = tmp_path / "bad-dimension.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, n = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', data)
                assert n == 1
            dst.writestr(item, data)
    register = read_register(path, columns)
    assert [r.row for r in register.rows] == [8, 9, 10]
    assert (register.sheets[0].max_row, register.sheets[0].max_column) == (12, 11)
    # The annotation stage loads the workbook with openpyxl in normal mode: it too sees all.
    ws = openpyxl.load_workbook(path).active
    assert (ws.max_row, ws.max_column) == (12, 11)


def test_a_csv_with_bom_semicolons_and_line_breaks_inside_quotes(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """Plants a UTF-8 CSV with a BOM, ';' separators, a quoted heading and a quoted name
    holding line breaks, and a quoted value holding ';'. Rows are records, as Excel shows
    them: the item whose name spans two lines is still row 3."""
    text = (
        '"Инвентарный\nномер";Наименование;"Стоимость, руб."\r\n'
        'ОС-1;"Сервер ""Dell""\nR740";"1 234,50"\r\n'
        'ОС-2;"Стол; письменный";500\r\n'
    )
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    register = read_register(path, columns)
    assert register.sheets[0].columns == {"inventory_number": 1, "name": 2, "cost": 3}
    got = [(r.row, r.inventory_number, r.name, r.cost) for r in register.rows]
    assert got == [
        (2, "ОС-1", 'Сервер "Dell"\nR740', Decimal("1234.50")),
        (3, "ОС-2", "Стол; письменный", 500),
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods", "xml"])
def test_a_1c_export_with_real_numbers_and_dates_in_number_formats(
    tmp_path: Path, fmt: str, columns: ColumnRules
) -> None:
    """Plants a 1C layout whose costs are real numbers (one with a cents part a float cannot
    hold exactly), inventory numbers stored as numbers, quantities as 1.0, a real date and a
    real datetime, under a merged МОЛ caption."""
    s = SheetSpec("TDSheet").row(1, ["Ведомость ОС на 30.09.2026"])
    s.row(3, ["№", "Основное средство", "Инв. №", "Дата принятия к учету", "Кол-во", "Стоимость"])
    s.row(4, [1, 2, 3, 4, 5, 6])
    s.row(5, ["Иванов И.И.", None, None, None, None, 1234568.0]).merge(5, 1, 5, 3)
    s.row(6, [1, "Сервер", 100023, date(2019, 3, 15), 1.0, 1234567.89])
    s.row(7, [2, "Мышь", 100024, datetime(2021, 6, 1, 0, 0), 2.0, 0.11])
    register = read(tmp_path, fmt, s, columns=columns)
    got = [
        (r.row, r.inventory_number, r.acquired_on, r.quantity, r.cost, r.custodian)
        for r in register.rows
    ]
    assert got == [
        (6, "100023", date(2019, 3, 15), 1, Decimal("1234567.89"), "Иванов И.И."),
        (7, "100024", date(2021, 6, 1), 2, Decimal("0.11"), "Иванов И.И."),
    ]
    assert register.report_date == date(2026, 9, 30)


def test_an_xlsx_number_format_does_not_change_the_value_read(tmp_path: Path) -> None:
    """A cost shown as "1 234 567,89 ₽" by its number format is the number underneath."""
    path = write(tmp_path / "f.xlsx", "xlsx", plain_register(row=1, col=1))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["D2"].number_format = '#,##0.00" ₽"'
    ws["D2"].value = 1234567.89
    wb.save(path)
    assert open_workbook(path).sheet("Assets").value(1, 3) == 1234567.89
