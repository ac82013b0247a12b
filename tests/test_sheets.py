"""sheets.py: the real format from the bytes, grids anchored at A1, clear refusals."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from python_calamine import CalamineWorkbook
from workbooks import (
    FORMATS,
    XMLSS_HEAD,
    SheetSpec,
    plain_register,
    with_filepass,
    write,
    write_csv,
)

from reconciler.errors import InputError
from reconciler.read.sheets import detect_format, open_workbook, sheet_cells


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_comes_from_the_bytes_not_the_extension(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path / "export.xls", fmt, plain_register())  # every one named ".xls"
    assert detect_format(path) == fmt


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "csv"])
def test_grid_keeps_excel_row_and_column_numbers_when_the_table_starts_at_c5(
    tmp_path: Path, fmt: str
) -> None:
    path = write(tmp_path / f"plain.{fmt}", fmt, plain_register(row=5, col=3))
    grid = next(open_workbook(path).sheets())
    assert grid.value(4, 2) == "Inventory number"  # C5
    assert grid.value(5, 3) == "Switch Cisco C9300"  # D6
    assert grid.max_row == 8
    assert grid.max_column == 9  # I: the Comment column


@pytest.mark.parametrize("fmt", ["xlsx", "xlsm", "xls", "ods"])
def test_a_sheet_read_a_row_at_a_time_is_the_grid_calamine_gives_from_a1_with_each_text_once(
    tmp_path: Path, fmt: str
) -> None:
    spec = plain_register(row=5, col=3)
    spec.row(9, ["INV-4", "Switch Cisco C9300", None, 150000, "Moscow", "Smith"], col=3)
    spec.row(12, ["past the table"], col=2)  # a row below a gap, left of the table
    far = SheetSpec("Far").row(7, ["alone"], col=4)  # a sheet whose only cell is D7
    path = write(tmp_path / f"plain.{fmt}", fmt, spec, far)
    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        whole = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        cells = sheet_cells(book.get_sheet_by_name(name))
        assert cells == whole
        assert [[type(v) for v in line] for line in cells] == [
            [type(v) for v in line] for line in whole
        ]
    grid = open_workbook(path).sheet("Assets")
    assert grid.value(5, 3) == grid.value(8, 3) == "Switch Cisco C9300"  # D6 and D9
    assert grid.value(5, 3) is grid.value(8, 3)  # one object for the repeated text
    assert grid.value(11, 1) == "past the table"  # B12


def test_csv_grid_starts_at_its_first_line_and_column(tmp_path: Path) -> None:
    spec = SheetSpec("x").row(3, ["Инв. №", "Наименование"], col=2).row(4, ["1", "Стол"], col=2)
    path = write(tmp_path / "x.csv", "csv", spec)
    grid = next(open_workbook(path).sheets())
    assert grid.value(2, 1) == "Инв. №"
    assert (grid.max_row, grid.max_column) == (4, 3)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ";"),
        ("cp1251", ";"),
        ("cp1251", "\t"),
        ("utf-8", "\t"),
        ("utf-8", "|"),
        ("utf-8", "#"),
    ],
)
def test_csv_encodings_and_delimiters_are_recognised(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    spec = SheetSpec("x").row(1, ["Инвентарный номер", "Наименование", "Стоимость"])
    spec.row(2, ["ОС-1", "Сервер, стойка 2", "1 234,56"])
    path = tmp_path / "x.csv"
    write_csv(path, [spec], encoding=encoding, delimiter=delimiter)
    grid = next(open_workbook(path).sheets())
    assert grid.cells[0][:3] == ["Инвентарный номер", "Наименование", "Стоимость"]
    assert grid.cells[1][1] == "Сервер, стойка 2"


def test_html_saved_as_xls_keeps_colspan_and_rowspan_as_merged_cells(tmp_path: Path) -> None:
    page = (
        "<html><body><table>"
        "<tr><td rowspan=2>Инв. №</td><td colspan=2>Стоимость</td></tr>"
        "<tr><td>первоначальная</td><td>остаточная</td></tr>"
        "<tr><td>ОС-1</td><td>10,00</td><td>5,00</td></tr>"
        "</table></body></html>"
    )
    path = tmp_path / "report.xls"
    path.write_text(page, encoding="utf-8")
    grid = next(open_workbook(path).sheets())
    assert grid.cells[1] == ["", "первоначальная", "остаточная"]
    assert grid.cells[2] == ["ОС-1", "10,00", "5,00"]
    assert sorted(grid.merged or []) == [(0, 0, 1, 0), (0, 1, 0, 2)]


def _message(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        workbook = open_workbook(path, file_name="Ведомость.xlsx")
        list(workbook.sheets())
    assert "Ведомость.xlsx" in str(caught.value)
    return str(caught.value)


def test_a_password_protected_workbook_is_named_as_such(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain.xlsx", "xlsx", plain_register())
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, locked.open("wb") as dst:
        OOXMLFile(src).encrypt("secret", dst)
    assert "password protected. save it without a password" in _message(locked)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "empty" in _message(path)


def test_a_half_copied_xlsx_is_called_incomplete(tmp_path: Path) -> None:
    data = write(tmp_path / "full.xlsx", "xlsx", plain_register()).read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "incomplete or damaged" in _message(path)


def test_a_word_document_is_not_a_spreadsheet(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / "letter.xlsx"
    path.write_bytes(buffer.getvalue())
    assert "not a spreadsheet" in _message(path)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"\x01\x02\x03\x00binary", "binary data"),
    ],
)
def test_binary_data_is_not_a_spreadsheet(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / "photo.xlsx"
    path.write_bytes(data)
    message = _message(path)
    assert f"not a spreadsheet: expected xlsx, xlsm, xls, ods or csv, found {kind}" in message


def test_an_xml_spreadsheet_2003_keeps_excel_positions_through_index_merge_and_span(
    tmp_path: Path,
) -> None:
    """As 1C writes it: row 1 merged A1:C1 and the next cell implicit (D1); a header cell
    merged down A2:A3; a formatting-only row with ss:Span="2" (rows 4-6) so the next implicit
    row is 7; cells placed with ss:Index; a number, a date, rich text; a hidden sheet."""
    page = (
        XMLSS_HEAD + '<Worksheet ss:Name="TDSheet"><Table>'
        '<Row><Cell ss:MergeAcross="2"><Data ss:Type="String">Ведомость ОС</Data></Cell>'
        '<Cell><Data ss:Type="String">D1</Data></Cell></Row>'
        '<Row><Cell ss:MergeDown="1"><Data ss:Type="String">Инв. №</Data></Cell>'
        '<Cell><Data ss:Type="String">Наименование</Data></Cell></Row>'
        '<Row><Cell ss:Index="2"><Data ss:Type="String">под</Data></Cell></Row>'
        '<Row ss:Span="2"/>'
        '<Row><Cell><Data ss:Type="String">ОС-1</Data></Cell>'
        '<Cell><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40">'
        "<B>Сервер</B> НР</ss:Data></Cell>"
        '<Cell ss:Index="5"><Data ss:Type="Number">1234.5</Data></Cell>'
        '<Cell><Data ss:Type="DateTime">2019-03-15T00:00:00.000</Data></Cell></Row>'
        '<Row ss:Index="10"><Cell ss:Index="3"><Data ss:Type="Number">7</Data></Cell></Row>'
        "</Table></Worksheet>"
        '<Worksheet ss:Name="Скрытый"><Table><Row><Cell><Data ss:Type="String">x</Data></Cell>'
        '</Row></Table><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">'
        "<Visible>SheetHidden</Visible></WorksheetOptions></Worksheet></Workbook>"
    )
    path = tmp_path / "ведомость.xls"
    path.write_text(page, encoding="utf-8")
    book = open_workbook(path)
    assert (book.format, book.sheet_names) == ("xml", ["TDSheet"])
    grid = book.sheet("TDSheet")
    assert grid.value(0, 3) == "D1"  # after a cell merged over three columns
    assert grid.value(2, 1) == "под"
    assert grid.cells[6][:6] == ["ОС-1", "Сервер НР", "", "", 1234.5, datetime(2019, 3, 15)]
    assert grid.value(9, 2) == 7  # C10
    assert (grid.max_row, grid.max_column) == (10, 6)
    assert sorted(grid.merged or []) == [(0, 0, 0, 2), (1, 0, 2, 0)]


def test_a_damaged_xml_spreadsheet_is_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "report.xls"
    path.write_text(XMLSS_HEAD + '<Worksheet ss:Name="A"><Table><Row>', encoding="utf-8")
    assert "damaged or incomplete" in _message(path)


def test_an_xml_spreadsheet_with_entities_is_not_expanded(tmp_path: Path) -> None:
    """An entity-expansion bomb: refused as unsafe, never expanded."""
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE Workbook [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        '<Worksheet ss:Name="A"><Table><Row><Cell><Data ss:Type="String">&b;</Data></Cell>'
        "</Row></Table></Worksheet></Workbook>"
    )
    path = tmp_path / "bomb.xls"
    path.write_text(bomb, encoding="utf-8")
    assert "unsafe XML" in _message(path)


def test_an_html_page_without_a_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "page.xls"
    path.write_text("<html><body><p>Error 500</p></body></html>", encoding="utf-8")
    assert "no table" in _message(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    assert "not found" in _message(tmp_path / "nowhere.xlsx")


def test_html_in_windows_1251_is_decoded_by_its_declared_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "</head><body><table><tr><td>Инвентарный номер</td><td>Наименование</td></tr>"
        "<tr><td>ОС-1</td><td>Сервер&nbsp;НР</td></tr></table></body></html>"
    )
    path = tmp_path / "1c.xls"
    path.write_bytes(page.encode("cp1251"))
    grid = next(open_workbook(path).sheets())
    assert grid.cells == [["Инвентарный номер", "Наименование"], ["ОС-1", "Сервер НР"]]


def test_a_password_protected_legacy_xls_is_named_as_such(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain.xls", "xls", plain_register())
    assert open_workbook(plain).format == "xls"
    locked = with_filepass(plain, tmp_path / "locked.xls")
    assert "password protected. save it without a password" in _message(locked)
