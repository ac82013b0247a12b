"""layout.py: the header found, columns mapped, furniture rows skipped, values parsed."""

from __future__ import annotations

import hashlib
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from workbooks import (
    FORMATS,
    NBSP,
    NNBSP,
    SERVER_SERIAL,
    SheetSpec,
    one_c_register,
    plain_register,
    write,
)

from reconciler.errors import InputError
from reconciler.models import Register
from reconciler.read.header import SPACE_CHARS
from reconciler.read.register import read_register
from reconciler.read.values import parse_date, parse_decimal, parse_months, parse_quantity
from reconciler.rules import ColumnRules, Rules


@pytest.fixture
def columns(rules: Rules) -> ColumnRules:
    return rules.columns


def read(tmp_path: Path, fmt: str, *sheets: SheetSpec, columns: ColumnRules) -> Register:
    path = write(tmp_path / f"register.{fmt}", fmt, *sheets)
    return read_register(path, columns)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("col", [1, 3])
def test_one_c_register_is_read_the_same_in_every_format(
    tmp_path: Path, fmt: str, col: int, columns: ColumnRules
) -> None:
    register = read(tmp_path, fmt, one_c_register(col=col), columns=columns)
    (sheet,) = register.sheets
    assert (sheet.header_row, sheet.header_end_row) == (4, 6)  # two header rows + numbering
    at = {name: index - col + 1 for name, index in sheet.columns.items()}
    assert at == {
        "name": 2,
        "inventory_number": 3,
        "serial": 4,
        "acquired_on": 5,
        "useful_life_months": 6,
        "cost": 7,
        "book_value": 8,
        "custodian": 9,
        "location": 10,
        "quantity": 11,
    }
    assert sheet.headers[col + 6] == "Стоимость первоначальная"
    assert sheet.headers[col + 7] == "Стоимость остаточная"
    assert (sheet.max_row, sheet.max_column) == (12, col + 10)
    # Group row 7, blank row 11 and the "Итого" row 12 are not items.
    assert [r.row for r in register.rows] == [8, 9, 10]
    server, laptop, kit = register.rows
    assert server.serial == SERVER_SERIAL  # Cyrillic look-alikes kept as written
    assert server.inventory_number == "ОС-000123"
    assert server.cost == Decimal("1234567.89")
    assert server.book_value == Decimal("617283.95")
    assert server.acquired_on == date(2019, 3, 15)
    assert server.useful_life_months == 60
    assert (server.custodian, server.location, server.quantity) == ("Иванов И.И.", "Серверная", 1)
    assert laptop.cost == Decimal("89990.00")
    assert laptop.book_value == Decimal("-123.45")
    assert laptop.acquired_on == date(2021, 6, 1)
    assert laptop.useful_life_months == 60  # "5 лет"
    assert kit.quantity == 3
    assert kit.book_value is None  # "-"
    assert kit.useful_life_months is None  # "—"
    assert kit.serial == "SRV1, SRV2, SRV3"
    assert str(server.extra["№ п/п"]) in ("1", "1.0")
    assert register.report_date == date(2026, 9, 30)
    assert register.format == fmt


@pytest.mark.parametrize("fmt", FORMATS)
def test_plain_table_at_c5_keeps_excel_row_numbers_and_extra_columns(
    tmp_path: Path, fmt: str, columns: ColumnRules
) -> None:
    register = read(tmp_path, fmt, plain_register(row=5, col=3), columns=columns)
    (sheet,) = register.sheets
    assert sheet.header_row == sheet.header_end_row == 5
    assert sheet.columns["inventory_number"] == 3  # column C
    assert sheet.max_column == 9
    assert [(r.row, r.inventory_number) for r in register.rows] == [
        (6, "INV-1"),
        (7, "INV-2"),
        (8, "INV-3"),
    ]
    assert [r.cost for r in register.rows] == [150000, Decimal("1234567.89"), Decimal("45000.5")]
    assert register.rows[0].extra == {"Comment": "rack 2"}
    assert register.rows[1].extra == {"Comment": None}
    assert register.report_date is None


def test_register_records_file_name_hash_and_format(tmp_path: Path, columns: ColumnRules) -> None:
    path = write(tmp_path / "claimed-0001.tmp", "xlsx", one_c_register())
    register = read_register(path, columns, file_name="Ведомость ОС.xlsx")
    assert register.file_name == "Ведомость ОС.xlsx"
    assert register.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert register.format == "xlsx"
    assert read_register(path, columns).file_name == "claimed-0001.tmp"


def test_sap_asset_list_maps_inventory_number_not_the_asset_number(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """SAP: 'Asset' is SAP's own number; 'Inventory number' is the tag on the device."""
    spec = SheetSpec("Sheet1")
    spec.row(
        1,
        [
            "Asset",
            "Subnumber",
            "Asset description",
            "Capitalized on",
            "Acquis.val.",
            "Book val.",
            "Cost Center",
            "Inventory number",
            "Serial number",
            "Asset Class",
        ],
    )
    spec.row(
        2,
        [
            100023,
            0,
            "Server HPE DL380",
            "2019-03-15",
            1234.5,
            617.25,
            "CC-IT",
            "INV-77",
            "CZJ1",
            "3100",
        ],
    )
    register = read(tmp_path, "xlsx", spec, columns=columns)
    row = register.rows[0]
    assert register.sheets[0].columns == {
        "name": 3,
        "acquired_on": 4,
        "cost": 5,
        "book_value": 6,
        "location": 7,
        "inventory_number": 8,
        "serial": 9,
    }
    assert (row.inventory_number, row.serial, row.name) == ("INV-77", "CZJ1", "Server HPE DL380")
    assert (row.cost, row.book_value, row.location) == (
        Decimal("1234.5"),
        Decimal("617.25"),
        "CC-IT",
    )
    assert row.extra["Asset"] == 100023
    assert "Asset Class" in row.extra


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_catalogue_with_title_manufacturer_model_and_price_is_a_register(
    tmp_path: Path, columns: ColumnRules, fmt: str
) -> None:
    """A shop's list or a hand-made register in English: what it is, who made it, its model
    and its price each in a column. Beside a title, a description is marketing text: the
    title names the item."""
    spec = SheetSpec("Sheet1")
    spec.row(1, ["Description", "Title", "Manufacturer", "Model number", "Price"])
    spec.row(2, ["Belt-drive, 33 1/3 and 45 rpm", "Turntable", "Sony", "PS-LX350H", 129.99])
    row = read(tmp_path, fmt, spec, columns=columns).rows[0]
    assert (row.name, row.vendor, row.model, row.cost) == (
        "Turntable",
        "Sony",
        "PS-LX350H",
        Decimal("129.99"),
    )


def test_inv1_inventory_list_takes_the_books_columns_not_the_counted_ones(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """ИНВ-1: "Фактическое наличие" and "По данным бухгалтерского учета" each hold a quantity
    and a cost; the register is the accounting side."""
    spec = SheetSpec("TDSheet")
    spec.row(
        1,
        [
            "Наименование, назначение и краткая характеристика объекта",
            "Номер",
            None,
            "Фактическое наличие",
            None,
            "По данным бухгалтерского учета",
            None,
        ],
    )
    spec.row(
        2, [None, "инвентарный", "заводской", "количество", "стоимость", "количество", "стоимость"]
    )
    spec.merge(1, 1, 2, 1).merge(1, 2, 1, 3).merge(1, 4, 1, 5).merge(1, 6, 1, 7)
    spec.row(3, ["Сервер", "ОС-1", "SN1", 0, 0, 1, "100 000,00"])
    register = read(tmp_path, "xlsx", spec, columns=columns)
    assert register.sheets[0].columns["quantity"] == 6
    assert register.sheets[0].columns["cost"] == 7
    row = register.rows[0]
    assert (row.inventory_number, row.serial, row.quantity, row.cost) == ("ОС-1", "SN1", 1, 100000)


def test_stoimost_alone_over_two_columns_is_not_given_to_both(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """A merged "Стоимость" over two unnamed-by-rules columns maps neither of them."""
    spec = SheetSpec("S").row(1, ["Инв. №", "Наименование", "Стоимость", None])
    spec.row(2, [None, None, "на начало", "на конец"]).merge(1, 1, 2, 1).merge(1, 2, 2, 2)
    spec.merge(1, 3, 1, 4).row(3, ["1", "Стол", "10", "20"])
    register = read(tmp_path, "xlsx", spec, columns=columns)
    assert "cost" not in register.sheets[0].columns
    assert register.rows[0].extra == {"Стоимость на начало": "10", "Стоимость на конец": "20"}


def test_every_sheet_with_a_header_is_read_and_others_are_skipped(
    tmp_path: Path, columns: ColumnRules
) -> None:
    notes = SheetSpec("Пояснения").row(1, ["Выгружено из 1С 30.09.2026"])
    second = plain_register(row=1, col=1, name="Филиал")
    register = read(tmp_path, "xlsx", notes, one_c_register(), second, columns=columns)
    assert [s.name for s in register.sheets] == ["TDSheet", "Филиал"]
    assert [r.key for r in register.rows][-3:] == [("Филиал", 2), ("Филиал", 3), ("Филиал", 4)]


def test_header_repeated_at_a_page_break_is_not_a_row(tmp_path: Path, columns: ColumnRules) -> None:
    spec = plain_register(row=1, col=1)
    spec.row(5, ["Inventory number", "Name", "Serial number", "Cost", "Location", "Custodian"])
    spec.row(6, ["INV-4", "Router", "RT1", 10, "Moscow", "Smith"])
    register = read(tmp_path, "xlsx", spec, columns=columns)
    assert [r.row for r in register.rows] == [2, 3, 4, 6]


def test_header_repeated_with_other_spacing_is_not_a_row_and_blank_text_is_no_value(
    tmp_path: Path, columns: ColumnRules
) -> None:
    spec = plain_register(row=1, col=1)
    # Printed again with doubled, leading, no-break and line-break spaces: still the header.
    spec.row(
        5,
        [" Inventory  number", "Name\n", "Serial\u00a0number", "Cost ", "Location", "Custodian"],
    )
    spec.row(6, ["INV-4", "Router", "RT1", 10, "Moscow", "Smith"])
    spec.row(7, ["   ", "\u3000", "\t"])  # only blank text: not a row at all
    register = read(tmp_path, "xlsx", spec, columns=columns)
    assert [r.row for r in register.rows] == [2, 3, 4, 6]


def test_the_space_characters_are_every_one_python_strips() -> None:
    every = {ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace()}
    assert every == SPACE_CHARS


def test_total_station_with_an_inventory_number_is_an_item(
    tmp_path: Path, columns: ColumnRules
) -> None:
    spec = SheetSpec("S").row(1, ["Наименование", "Инвентарный номер", "Стоимость"])
    spec.row(2, ["Total Station Leica TS16", "ОС-9", "500 000"]).row(3, ["Итого", None, "500 000"])
    register = read(tmp_path, "xlsx", spec, columns=columns)
    assert [(r.row, r.name) for r in register.rows] == [(2, "Total Station Leica TS16")]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Ведомость ОС на 30.09.2026", date(2026, 9, 30)),
        ("Инвентаризационная опись по состоянию на 30 сентября 2026 г.", date(2026, 9, 30)),
        (
            "Оборотно-сальдовая ведомость по счету 01 за период с 01.07.2026 по 30.09.2026",
            date(2026, 9, 30),
        ),
        ("Fixed assets as of 2026-09-30", date(2026, 9, 30)),
        ("Ведомость основных средств", None),
    ],
)
def test_report_date_comes_from_the_title(
    tmp_path: Path, columns: ColumnRules, title: str, expected: date | None
) -> None:
    spec = plain_register(row=3, col=1)
    spec.row(1, [title])
    assert read(tmp_path, "xlsx", spec, columns=columns).report_date == expected


# --- bad input ---------------------------------------------------------------------------


def failure(tmp_path: Path, fmt: str, spec: SheetSpec, columns: ColumnRules) -> InputError:
    path = write(tmp_path / f"Ведомость.{fmt}", fmt, spec)
    with pytest.raises(InputError) as caught:
        read_register(path, columns)
    assert f"Ведомость.{fmt}" in str(caught.value)
    return caught.value


def test_no_recognisable_header_says_what_was_found_and_expected(
    tmp_path: Path, columns: ColumnRules
) -> None:
    spec = SheetSpec("Лист1").row(1, ["Код", "Описание", "Сумма"]).row(2, ["1", "Стол", "10"])
    error = failure(tmp_path, "xlsx", spec, columns)
    message = str(error)
    assert "no recognisable register header" in message
    assert "'Код', 'Описание', 'Сумма'" in message
    assert "'инвентарный номер'" in message and "'основное средство'" in message
    assert "rules/columns.yaml" in message


def test_an_empty_workbook_is_refused(tmp_path: Path, columns: ColumnRules) -> None:
    import openpyxl

    path = tmp_path / "Ведомость.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputError, match=r"Ведомость\.xlsx: the file is empty"):
        read_register(path, columns)


def test_a_header_without_rows_is_refused(tmp_path: Path, columns: ColumnRules) -> None:
    spec = SheetSpec("TDSheet").row(1, ["Инв. №", "Наименование"]).row(2, ["Итого", None])
    error = failure(tmp_path, "xlsx", spec, columns)
    assert "no data rows" in str(error)
    assert "'TDSheet' (header at row 1)" in str(error)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_unreadable_cost_names_sheet_row_column_and_value(
    tmp_path: Path, fmt: str, columns: ColumnRules
) -> None:
    spec = SheetSpec("TDSheet").row(1, ["Инв. №", "Наименование", "Стоимость"])
    spec.row(2, ["1", "Стол", "10"]).row(3, ["2", "Стул", "около ста"])
    error = failure(tmp_path, fmt, spec, columns)
    assert error.row == 3
    assert "row 3" in str(error)
    assert "column 'Стоимость' (C)" in str(error)
    assert "'около ста'" in str(error)
    assert "correct or clear the cell" in str(error)


def test_a_text_repeated_down_a_column_reads_alike_and_a_bad_one_fails_on_each_row(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """Each distinct text of a column is parsed once (read/register.parse_rows): every row
    still gets its value, and an unreadable date is left empty with its own row said."""
    spec = SheetSpec("TDSheet").row(1, ["Инв. №", "Наименование", "Стоимость", "Дата принятия"])
    for n in range(2, 7):
        spec.row(n, [str(n), "Стол", "1 234,50", "вчера" if n % 2 else "15.03.2019"])
    register = read(tmp_path, "xlsx", spec, columns=columns)
    assert [r.cost for r in register.rows] == [Decimal("1234.50")] * 5
    assert [r.name for r in register.rows] == ["Стол"] * 5
    assert [r.acquired_on for r in register.rows] == [date(2019, 3, 15), None] * 2 + [
        date(2019, 3, 15)
    ]
    left_empty = [w.params["row"] for w in register.warnings if w.code == "DATE_LEFT_EMPTY"]
    assert left_empty == [3, 5]


# --- values ------------------------------------------------------------------------------


def russian(value: Decimal, space: str) -> str:
    """Format as 1C prints it: groups of three with `space`, a decimal comma, (x) negatives."""
    sign, text = ("-", f"{-value:,.2f}") if value < 0 else ("", f"{value:,.2f}")
    text = text.replace(",", space).replace(".", ",")
    return f"({text})" if sign else text


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    st.sampled_from([" ", NBSP, NNBSP]),
    st.sampled_from(["", " руб.", " р.", " RUB"]),
)
def test_russian_formatted_numbers_parse_back_to_the_same_value(
    value: Decimal, space: str, suffix: str
) -> None:
    assert parse_decimal(russian(value, space) + suffix) == value


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_english_formatted_numbers_parse_back_to_the_same_value(value: Decimal) -> None:
    assert parse_decimal(f"{value:,.2f}") == value


@pytest.mark.parametrize("empty", ["", "  ", "-", "—", "нет", None])
def test_empty_looking_cells_are_none(empty: str | None) -> None:
    assert parse_decimal(empty) is None
    assert parse_date(empty) is None


def test_values_in_the_shapes_exports_write_them() -> None:
    assert parse_quantity("3 шт.") == 3
    assert parse_date("15.03.2019") == date(2019, 3, 15)
    assert parse_date("2019-03-15") == date(2019, 3, 15)
    assert parse_date(43539) == date(2019, 3, 15)  # an Excel serial
    assert parse_months("5 лет") == 60
    assert parse_months(5, unit_hint="Срок полезного использования, лет") == 60
    assert parse_months("60 мес.") == 60
    with pytest.raises(ValueError, match="expected a whole number"):
        parse_quantity("1,5")


def test_a_heading_merged_across_columns_names_only_its_first_column(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """1C prints "Основное средство" merged over B:D (rows 1-2), its values merged likewise."""
    spec = SheetSpec("TDSheet").row(
        1, ["Инв. №", "Основное средство", None, None, "Стоимость", None]
    )
    spec.row(2, [None, None, None, None, "первоначальная", "остаточная"])
    spec.merge(1, 1, 2, 1).merge(1, 2, 2, 4).merge(1, 5, 1, 6)
    spec.row(3, ["ОС-1", "Сервер", None, None, "100,00", "50,00"]).merge(3, 2, 3, 4)
    register = read(tmp_path, "xlsx", spec, columns=columns)
    sheet = register.sheets[0]
    assert sheet.columns == {"inventory_number": 1, "name": 2, "cost": 5, "book_value": 6}
    assert sorted(sheet.headers) == [1, 2, 5, 6]
    row = register.rows[0]
    assert (row.name, row.cost, row.book_value, row.extra) == ("Сервер", 100, 50, {})


@pytest.mark.parametrize("seed", [3, 7])
def test_the_synthetic_1c_print_reads_back_as_the_register_it_was_made_from(
    tmp_path: Path, columns: ColumnRules, seed: int
) -> None:
    """synth writes a 1C print from known rows; reading it must give those rows exactly."""
    from reconciler import synth
    from reconciler.synth import workbooks as synth_workbooks

    data = synth.generate(80, seed=seed)
    path = synth_workbooks.write_register_1c(data, tmp_path / "register-1c.xlsx")
    expected = synth_workbooks.make_register(data)
    register = read_register(path, columns)
    assert register.sheets == expected.sheets
    assert register.rows == expected.rows
    assert register.report_date == expected.report_date


# --- group captions ----------------------------------------------------------------------


def osv_by_mol() -> SheetSpec:
    """An ОСВ-like print grouped place > МОЛ, with no location or custodian column.

    Plants: header at row 1 (№ | Основное средство | Инв. № | Количество | Стоимость),
    captions in column A merged over A:C with subtotals in D:E: "Склад №1" (row 2) >
    "Иванов И.И." (row 3) over items 4-5, "Петрова Анна Сергеевна" (row 6) over item 7;
    "Офис, каб. 305" (row 8) > "МОЛ: Сидоров С. С." (row 9) over item 10, and an item with
    no inventory number but a quantity (row 11); "Итого" at row 12.
    """
    s = SheetSpec("TDSheet")
    s.row(1, ["№", "Основное средство", "Инв. №", "Количество", "Стоимость"])
    captions = {
        2: "Склад №1",
        3: "Иванов И.И.",
        6: "Петрова Анна Сергеевна",
        8: "Офис, каб. 305",
        9: "МОЛ: Сидоров С. С.",
    }
    for row, text in captions.items():
        s.row(row, [text, None, None, 2, "200,00"]).merge(row, 1, row, 3)
    s.row(4, [1, "Сервер Dell R740", "ОС-1", 1, "100,00"])
    s.row(5, [2, "Коммутатор Cisco", "ОС-2", 1, "100,00"])
    s.row(7, [3, "Ноутбук Lenovo", "ОС-3", 1, "100,00"])
    s.row(10, [4, "Принтер HP", "ОС-4", 1, "100,00"])
    s.row(11, [5, "Стол письменный", None, 1, "50,00"])
    s.row(12, ["Итого", None, None, 5, "450,00"]).merge(12, 1, 12, 3)
    return s


@pytest.mark.parametrize("fmt", FORMATS)
def test_place_and_mol_captions_fill_the_missing_location_and_custodian(
    tmp_path: Path, fmt: str, columns: ColumnRules
) -> None:
    register = read(tmp_path, fmt, osv_by_mol(), columns=columns)
    got = [(r.row, r.inventory_number, r.location, r.custodian) for r in register.rows]
    assert got == [
        (4, "ОС-1", "Склад №1", "Иванов И.И."),
        (5, "ОС-2", "Склад №1", "Иванов И.И."),
        (7, "ОС-3", "Склад №1", "Петрова Анна Сергеевна"),
        (10, "ОС-4", "Офис, каб. 305", "Сидоров С. С."),
        (11, None, "Офис, каб. 305", "Сидоров С. С."),  # an item without a number
    ]


def test_captions_in_the_name_column_without_merges_are_told_from_items(
    tmp_path: Path, columns: ColumnRules
) -> None:
    """ОСВ по счету 01 as CSV: captions and items share column A; captions carry subtotals
    but no quantity; an item without an inventory number has its quantity. Plants an account,
    a kind of asset, a МОЛ (rows 2-4) over items 5-6, a bare place "Склад" (row 7, taken as
    a caption because most rows carry an inventory number) over items 8-11."""
    s = SheetSpec("x").row(1, ["Основное средство", "Инв. №", "Кол-во", "Сумма"])
    s.row(2, ["01.01 Основные средства в организации", None, None, "300,00"])
    s.row(3, ["Машины и оборудование", None, None, "300,00"])
    s.row(4, ["Кузнецов К.К.", None, None, "300,00"])
    s.row(5, ["Сервер", "ОС-1", 1, "100,00"])
    s.row(6, ["Шкаф серверный", None, 1, "200,00"])
    s.row(7, ["Склад", None, None, None])
    for row in range(8, 12):
        s.row(row, [f"Стеллаж {row}", f"ОС-{row}", 1, None])
    register = read(tmp_path, "csv", s, columns=columns)
    got = [(r.row, r.name, r.account, r.custodian, r.location) for r in register.rows]
    assert got[:3] == [
        (5, "Сервер", "01.01", "Кузнецов К.К.", None),  # a kind of asset is no place
        (6, "Шкаф серверный", "01.01", "Кузнецов К.К.", None),
        (8, "Стеллаж 8", "01.01", "Кузнецов К.К.", "Склад"),
    ]
    assert [r.row for r in register.rows] == [5, 6, 8, 9, 10, 11]


def test_captions_never_overwrite_a_value_the_row_has(tmp_path: Path, columns: ColumnRules) -> None:
    """The table has account and location columns: an account caption fills only the empty
    account; a place caption fills nothing, the location column speaks for the rows."""
    s = SheetSpec("S").row(1, ["№", "Инв. №", "Наименование", "Счет", "Местонахождение"])
    s.row(2, ["Счет 01.01"]).merge(2, 1, 2, 3)
    s.row(3, [1, "ОС-1", "Сервер", "01.03", "Серверная"])
    s.row(4, [2, "ОС-2", "Ноутбук", None, None])
    s.row(5, ["Бухгалтерия"]).merge(5, 1, 5, 3)
    s.row(6, [3, "ОС-3", "Принтер", None, None])
    register = read(tmp_path, "xlsx", s, columns=columns)
    got = [(r.row, r.account, r.location) for r in register.rows]
    assert got == [(3, "01.03", "Серверная"), (4, "01.01", None), (6, "01.01", None)]


@pytest.mark.parametrize(
    ("caption", "kind", "value"),
    [
        ("Иванов И.И.", "custodian", "Иванов И.И."),
        ("Иванов И. И.", "custodian", "Иванов И. И."),
        ("И.И. Иванов", "custodian", "И.И. Иванов"),
        ("Римский-Корсаков Н.А.", "custodian", "Римский-Корсаков Н.А."),
        ("Иванова Мария Петровна", "custodian", "Иванова Мария Петровна"),
        ("Материально ответственное лицо: Орлов О.О.", "custodian", "Орлов О.О."),
        ("01", "account", "01"),
        ("01.01", "account", "01.01"),
        ("МЦ.04", "account", "МЦ.04"),
        ("01.01 Основные средства в организации", "account", "01.01"),
        ("Счет 08.04", "account", "08.04"),
        ("Подразделение: ИТ-отдел", "location", "ИТ-отдел"),
        ("Склад №1", "location", "Склад №1"),
        ("10 этаж", "location", "10 этаж"),
        ("Машины и оборудование", None, "Машины и оборудование"),
    ],
)
def test_a_caption_is_read_as_a_person_an_account_a_place_or_a_kind_of_asset(
    columns: ColumnRules, caption: str, kind: str | None, value: str
) -> None:
    from reconciler.read.captions import caption_kind
    from reconciler.read.header import synonym_index

    categories = tuple(columns.category_captions)
    assert caption_kind(caption, synonym_index(columns.book), categories) == (kind, value)


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "html", "xml"])
def test_a_merged_caption_with_a_quantity_subtotal_is_a_caption_not_an_item(
    tmp_path: Path, fmt: str, columns: ColumnRules
) -> None:
    """Plants place captions in the name column merged over B:C with the quantity subtotal
    beside them (rows 2 and 5), and an item without an inventory number but with its
    quantity (row 4); the table has no location column."""
    s = SheetSpec("TDSheet").row(1, ["№", "Наименование", "Инв. №", "Кол-во", "Сумма"])
    s.row(2, [None, "Серверная 2-го этажа", None, 2, "300,00"]).merge(2, 2, 2, 3)
    s.row(3, [1, "Сервер", "ОС-1", 1, "100,00"])
    s.row(4, [2, "Шкаф серверный", None, 1, "200,00"])
    s.row(5, [None, "Бухгалтерия", None, 1, "50,00"]).merge(5, 2, 5, 3)
    s.row(6, [3, "Принтер", "ОС-3", 1, "50,00"])
    register = read(tmp_path, fmt, s, columns=columns)
    assert [(r.row, r.location) for r in register.rows] == [
        (3, "Серверная 2-го этажа"),
        (4, "Серверная 2-го этажа"),
        (6, "Бухгалтерия"),
    ]


def test_1c_depreciation_statement_splits_name_and_number_and_skips_account_captions(
    tmp_path: Path, rules: Rules
) -> None:
    """«Ведомость амортизации ОС»: "Основное средство, Инвентарный номер" in one column, the
    account "01.01" alone on a caption row with its subtotal, then the items under it."""
    spec = SheetSpec("TDSheet").row(1, ["Ведомость амортизации ОС за Сентябрь 2026 г."])
    spec.row(
        3,
        ["Основное средство, Инвентарный номер", "Стоимость для вычисления амортизации", "Сумма"],
    )
    spec.row(4, ["01.01", 135000, 2250])
    spec.row(5, ["Сплит-система AERONIK ASO/I-12HS4, М000000524", 35000, 583.33])
    spec.row(6, ["Сервер НР ProLiant DL380 G10, зав. 2, М000000610", 100000, 1666.67])
    spec.row(7, ["08.04", 5000, 0])
    spec.row(8, ["Стол, 1200 мм", 5000, 0])
    spec.row(9, ["Итого", 140000, 2250])
    register = read_register(write(tmp_path / "amort.xlsx", "xlsx", spec), rules.columns)
    rows = [(r.row, r.name, r.inventory_number, r.account) for r in register.rows]
    assert rows == [
        (5, "Сплит-система AERONIK ASO/I-12HS4", "М000000524", "01.01"),
        (6, "Сервер НР ProLiant DL380 G10, зав. 2", "М000000610", "01.01"),
        (8, "Стол, 1200 мм", None, "08.04"),
    ]
