"""annotate.py: the accountant's 1C sheet stays as it was, our columns and sheets are right,
untrusted text stays text, xlsm keeps its macros, other formats get an .xlsx copy, and nothing of
the original is lost. Fixtures: tests/run_fixtures.py and the helpers below.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import render
from run_fixtures import (
    INJECTION,
    MAX_COLUMN,
    PLANTED,
    SHEET,
    book_rows,
    planted_csv_run,
    planted_run,
    write_1c_register,
)

from reconciler.config import Config, InventoryConfig, ReportConfig
from reconciler.models import RowStatus, RunResult
from reconciler.outputs.annotate import write_annotated_workbook
from reconciler.outputs.side_sheets import RUN_ID_PROPERTY
from reconciler.rules import Rules
from reconciler.text.labels import code_label

FIRST = MAX_COLUMN + 1  # the first added column


def _config(language: str = "ru") -> Config:
    return Config(
        inventory=InventoryConfig(path=Path("inventory.xlsx")),
        report=ReportConfig(language=language),  # type: ignore[arg-type]
    )


def _annotate(result: RunResult, rules: Rules, language: str = "ru") -> tuple[Path, list[str]]:
    return write_annotated_workbook(result, rules, _config(language))


def _headers(ws) -> dict[str, int]:
    return {
        ws.cell(row=4, column=c).value: c
        for c in range(FIRST, ws.max_column + 1)
        if ws.cell(row=4, column=c).value
    }


@pytest.fixture
def annotated(tmp_path: Path, rules: Rules) -> tuple[RunResult, Path, list[str]]:
    """The planted 1C run annotated in Russian (every code planted, see run_fixtures.PLANTED)."""
    result = planted_run(tmp_path, rules)
    out, lost = _annotate(result, rules)
    return result, out, lost


def test_the_1c_sheet_is_intact_cell_by_cell(annotated) -> None:
    result, out, _ = annotated
    before = openpyxl.load_workbook(result.register.path)[SHEET]
    after = openpyxl.load_workbook(out)[SHEET]
    for row in before.iter_rows(min_row=1, max_row=before.max_row, max_col=MAX_COLUMN):
        for cell in row:
            twin = after.cell(row=cell.row, column=cell.column)
            assert twin.value == cell.value, cell.coordinate
            assert twin.number_format == cell.number_format, cell.coordinate
            assert twin.font.b == cell.font.b, cell.coordinate
    original_merges = {str(r) for r in before.merged_cells.ranges}
    assert original_merges <= {str(r) for r in after.merged_cells.ranges}
    for letter, dim in before.column_dimensions.items():
        assert after.column_dimensions[letter].width == dim.width, letter
    assert after["E22"].value == "=SUM(E7:E21)"  # the accountant's own formula stays a formula


def test_added_columns_sit_right_of_the_table_with_headers_on_the_header_rows(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    heads = _headers(ws)
    assert min(heads.values()) == FIRST
    assert list(heads)[:4] == [
        "Сверка: статус",
        "Сверка: оценка",
        "Сверка: по чему",
        "ИТ: ID актива",
    ]
    assert list(heads)[-1] == "Сверка: расхождения"
    assert "ИТ: имя хоста" in heads and "ИТ: гарантия до" in heads
    merged = {str(r) for r in ws.merged_cells.ranges}
    letter = openpyxl.utils.get_column_letter(FIRST)
    assert f"{letter}4:{letter}6" in merged  # header spans 4-6 like the accountant's


def test_every_planted_code_is_in_the_findings_column_of_its_row_with_a_comment(annotated) -> None:
    result, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    col = _headers(ws)["Сверка: расхождения"]
    by_row = {f.row: f for f in result.findings if f.row is not None}
    for row, code in PLANTED.items():
        cell = ws.cell(row=row, column=col)
        if code is None:
            assert cell.value is None, row
            continue
        assert cell.value and by_row[row].message in cell.value, row
        # The comment says the message, never the code (codes are for IT and results.json).
        assert cell.comment is not None and by_row[row].message in cell.comment.text, row
        assert code not in cell.comment.text, row


def test_status_score_and_inventory_values_are_written_and_a_kit_is_joined(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    h = _headers(ws)
    assert ws.cell(7, h["Сверка: статус"]).value == "сопоставлено"
    assert ws.cell(7, h["Сверка: оценка"]).value == 100
    assert ws.cell(7, h["ИТ: ID актива"]).value == "A-01"
    assert ws.cell(7, h["ИТ: процессор"]).value == "2x Xeon Gold 6230"
    assert ws.cell(7, h["ИТ: гарантия до"]).value.date().isoformat() == "2027-01-31"
    assert ws.cell(8, h["Сверка: статус"]).value == "не найдено"
    assert ws.cell(19, h["Сверка: статус"]).value == "на проверку"
    # A kit: one asset a line, wrapped, so every id and serial can be read (on one line they
    # were clipped by the next cell); the row is as tall as the kit.
    assert ws.cell(18, h["ИТ: ID актива"]).value == "A-12\nA-13"
    assert ws.cell(18, h["ИТ: серийный номер"]).value == "K1\nK2"
    assert ws.cell(18, h["ИТ: серийный номер"]).alignment.wrap_text
    assert not ws.cell(7, h["ИТ: серийный номер"]).alignment.wrap_text
    assert (ws.row_dimensions[18].height or 0) >= 2 * 15


def test_an_inventory_formula_stays_visible_text(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    cell = ws.cell(20, _headers(ws)["ИТ: имя хоста"])
    assert cell.data_type == "s"
    assert cell.value == INJECTION and cell.value.startswith("=")
    assert cell.quotePrefix
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>HYPERLINK" not in xml


def test_rows_are_filled_by_status_and_findings(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    colour = {r: ws.cell(r, FIRST).fill.fgColor.rgb[-6:] for r in (7, 8, 9, 19)}
    assert colour == {7: "C6EFCE", 8: "FFC7CE", 9: "F8CBAD", 19: "FFEB9C"}
    assert ws.cell(7, 1).fill.fgColor.rgb != "00C6EFCE"  # the accountant's cells keep theirs


def test_the_whole_table_gets_an_autofilter_and_a_frozen_header(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    last = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.auto_filter.ref == f"A6:{last}21"  # the accountant filters by place or person too
    assert ws.freeze_panes == "D7"  # right of the name column too


def test_the_register_prints_landscape_one_page_wide_with_its_header_on_every_page(
    annotated,
) -> None:
    """Before: 204 portrait A4 pages for a 30-page register, our columns on pages of their own
    with no inventory number or name, 87 of the accountant's rows resized."""
    result, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    source = openpyxl.load_workbook(result.register.path)[SHEET]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    info = result.register.sheets[0]
    assert ws.print_title_rows == f"${info.header_row}:${info.header_end_row}"
    # Frozen below the header AND right of the name column: Инв. № and Наименование stay.
    key_col = max(info.columns["name"], info.columns["inventory_number"])
    assert ws.freeze_panes == f"{openpyxl.utils.get_column_letter(key_col + 1)}7"
    # The accountant's row heights, every one, as they were; but a kit's row (18), which grows
    # to a line per asset.
    for r in range(1, source.max_row + 1):
        if r != 18:
            assert ws.row_dimensions[r].height == source.row_dimensions[r].height, r
    # Our columns are one group that folds; the IT-only details are folded away already.
    h = _headers(ws)
    it_only = {"ИТ: процессор", "ИТ: ОЗУ", "ИТ: диски", "ИТ: IP", "ИТ: стойка"}
    assert it_only <= set(h)
    for head, col in h.items():
        if col < FIRST:
            continue
        dim = ws.column_dimensions[openpyxl.utils.get_column_letter(col)]
        if head in it_only:
            assert (dim.outline_level, dim.hidden) == (2, True), head
        else:
            assert (dim.outline_level, bool(dim.hidden)) == (1, False), head
    assert ws.sheet_format.outlineLevelCol == 2


def test_our_header_cells_use_the_font_of_the_accountants_header(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    theirs = ws.cell(4, MAX_COLUMN).font
    ours = ws.cell(4, FIRST).font
    assert ours.b and ours.name == theirs.name and ours.sz == theirs.sz


def test_an_unmatched_row_shows_no_score(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)[SHEET]
    h = _headers(ws)
    assert ws.cell(8, h["Сверка: статус"]).value == "не найдено"
    assert ws.cell(8, h["Сверка: оценка"]).value is None


def test_an_existing_autofilter_is_kept_and_said(tmp_path: Path, rules: Rules) -> None:
    path = write_1c_register(tmp_path / "filtered.xlsx", book_rows())
    wb = openpyxl.load_workbook(path)
    wb[SHEET].auto_filter.ref = "A6:K21"
    wb.save(path)
    result = planted_run(tmp_path, rules, path=path)
    out, _ = _annotate(result, rules)
    wb = openpyxl.load_workbook(out)
    assert wb[SHEET].auto_filter.ref == "A6:K21"
    summary = [c.value for c in wb["Сводка"]["A"] if c.value]
    assert any("A6:K21" in str(v) and "сохранен" in str(v) for v in summary)


def test_summary_sheet_names_the_source_and_has_a_bar_chart(annotated) -> None:
    result, out, _ = annotated
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [SHEET, "Сводка", "На проверку", "Нет в учете", "Расхождения"]
    values = {c.value for row in wb["Сводка"].iter_rows() for c in row if c.value is not None}
    assert {result.register.sha256, result.run_id, "Книга ОС.xlsx"} <= values
    assert "Нет в учете" in values  # each kind in words, one term for it everywhere
    assert "MISSING_IN_BOOKS" not in values  # codes only in the IT workbook and results.json
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        xml = z.read(charts[0]).decode()
    assert "barChart>" in xml and "Расхождения по видам" in xml  # the chart has its title
    # Axes shown (openpyxl deletes them by default), bars in the table's order, whole steps.
    assert re.findall(r'<(?:c:)?delete val="(\d)"', xml) == ["0", "0"]
    assert re.search(r'<(?:c:)?orientation val="maxMin"', xml)
    assert re.search(r'<(?:c:)?majorUnit val="1(\.0)?"', xml)
    summary = wb["Сводка"]
    assert summary.page_setup.orientation == "landscape" and summary.page_setup.fitToWidth == 1
    assert summary["A1"].font.name  # a named font: LibreOffice shows nameless bold as serif


def test_review_sheet_has_the_machine_readable_layout_and_a_decision_list(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)["На проверку"]
    assert [c.value for c in ws[1]][:5] == [
        "Лист",
        "Строка",
        "ID кандидатов",
        "Решение",
        "Комментарий",
    ]
    # The candidates one a line, beside their lines in the details column.
    assert [c.value for c in ws[2]][:5] == [SHEET, 19, "A-14\nA-15", None, None]
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1 and validations[0].formula1 == '"подтвердить,отклонить"'
    assert not validations[0].showErrorMessage  # another asset ID typed in is a decision too
    assert "D2" in str(validations[0].sqref)


def test_findings_sheet_lists_every_finding_with_an_accepted_yes_no_list(annotated) -> None:
    result, out, _ = annotated
    ws = openpyxl.load_workbook(out)["Расхождения"]
    assert [c.value for c in ws[1]][:6] == [
        "Лист",
        "Строка",
        "ID актива ИТ",
        "Вид",
        "Принято (исключение)",
        "Комментарий",
    ]
    listed = [r[:4] for r in ws.iter_rows(min_row=2, values_only=True)]
    # The kind in words (no codes on the accountant's copy), worst and largest first.
    assert sorted(listed, key=str) == sorted(
        [(f.sheet, f.row, f.asset_id, code_label(f.code, "ru")) for f in result.findings], key=str
    )
    validations = ws.data_validations.dataValidation
    assert len(validations) == 1 and validations[0].formula1 == '"да,нет"'
    assert f"E2:E{len(listed) + 1}" in str(validations[0].sqref)


def test_not_on_books_sheet_lists_every_unmatched_asset_with_its_conclusion(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)["Нет в учете"]
    rows = {r[0]: r[-1] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["A-20"] == "нет в учете: поставить на учет или выяснить у ИТ"  # no code
    assert rows["A-21"] == rows["A-20"]
    assert "ниже порога" in rows["A-22"] and "списан" in rows["A-23"]
    assert list(rows) == ["A-20", "A-21", "A-23", "A-22"]  # what to act on comes first
    fills = {ws.cell(r, 1).value: ws.cell(r, 1).fill.fgColor.rgb[-6:] for r in range(2, 6)}
    assert fills["A-20"] == "FFC7CE" and fills["A-22"] != "FFC7CE"  # red as on the register


def test_the_run_id_is_in_the_document_properties(annotated) -> None:
    result, out, _ = annotated
    wb = openpyxl.load_workbook(out)
    assert {p.name: p.value for p in wb.custom_doc_props.props}[RUN_ID_PROPERTY] == result.run_id


def test_english_run_uses_english_sheet_names(tmp_path: Path, rules: Rules) -> None:
    result = planted_run(tmp_path, rules, language="en")
    out, _ = _annotate(result, rules, "en")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [SHEET, "Summary", "To review", "Not on books", "Findings"]
    assert wb[SHEET].cell(4, FIRST).value == "Reconciler: status"


# --- xlsm, other formats, lost features ---------------------------------------------------

VBA_BYTES = b"\xd0\xcf\x11\xe0 planted vba project " * 8


def _make_xlsm(xlsx: Path, xlsm: Path) -> Path:
    """The 1C register turned into a macro workbook: a vbaProject.bin with its content types."""
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"<Default ",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ',
                    1,
                )
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                    b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
                )
            dst.writestr(item, data)
        dst.writestr("xl/vbaProject.bin", VBA_BYTES)
    return xlsm


def test_xlsm_keeps_its_macros_and_extension(tmp_path: Path, rules: Rules) -> None:
    xlsx = write_1c_register(tmp_path / "base.xlsx", book_rows())
    xlsm = _make_xlsm(xlsx, tmp_path / "Книга.xlsm")
    result = planted_run(tmp_path, rules, fmt="xlsm", path=xlsm)
    out, _ = _annotate(result, rules)
    assert out.name == "Книга.reconciled.xlsm"
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/vbaProject.bin") == VBA_BYTES
        assert b"macroEnabled" in z.read("[Content_Types].xml")


def _planted_drawing_and_x14(xlsx: Path, out: Path) -> Path:
    """The register with a text box shape (drawing) and an x14 validation list pointing to
    another sheet: both are things openpyxl drops on save."""
    drawing = (
        b'<?xml version="1.0" encoding="UTF-8"?><xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/'
        b'drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        b"<xdr:twoCellAnchor><xdr:from><xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>"
        b"<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>3</xdr:col><xdr:colOff>0</xdr:colOff>"
        b'<xdr:row>3</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:sp macro="" textlink="">'
        b'<xdr:nvSpPr><xdr:cNvPr id="2" name="TextBox 1"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
        b'<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>'
        b"<xdr:txBody><a:bodyPr/><a:p><a:r><a:t>Note</a:t></a:r></a:p></xdr:txBody></xdr:sp>"
        b"<xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
    )
    x14 = (
        b'<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        b'<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        b'<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>Lists!$A$1:$A$5</xm:f>'
        b"</x14:formula1><xm:sqref>H7:H21</xm:sqref></x14:dataValidation></x14:dataValidations>"
        b"</ext></extLst></worksheet>"
    )
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b'<drawing r:id="rIdDr1"/>' + x14)
                if b"xmlns:r=" not in data[:500]:
                    data = data.replace(
                        b"<worksheet ",
                        b'<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ',
                        1,
                    )
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
                )
            dst.writestr(item, data)
        dst.writestr("xl/drawings/drawing1.xml", drawing)
        dst.writestr(
            "xl/worksheets/_rels/sheet1.xml.rels",
            b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/relationships"><Relationship Id="rIdDr1" '
            b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing" '
            b'Target="../drawings/drawing1.xml"/></Relationships>',
        )
    return out


def test_a_shape_and_an_x14_validation_are_kept_byte_for_byte_and_nothing_is_said_lost(
    tmp_path: Path, rules: Rules
) -> None:
    base = write_1c_register(tmp_path / "base.xlsx", book_rows())
    path = _planted_drawing_and_x14(base, tmp_path / "Книга с фигурами.xlsx")
    result = planted_run(tmp_path, rules, path=path)
    out, lost = _annotate(result, rules)
    assert lost == []
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out) as dst:
        assert dst.read("xl/drawings/drawing1.xml") == src.read("xl/drawings/drawing1.xml")
        sheet = dst.read("xl/worksheets/sheet1.xml")
        assert b"<x14:dataValidation " in sheet and b"Lists!$A$1:$A$5" in sheet
        assert b'<drawing r:id="rIdDr1"/>' in sheet
    summary = [c.value for c in openpyxl.load_workbook(out)["Сводка"]["A"] if c.value]
    assert any("ничего: все элементы исходного файла сохранены" in str(v) for v in summary)


def test_an_xls_register_gets_an_xlsx_copy_with_values_in_place(
    tmp_path: Path, rules: Rules
) -> None:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet(SHEET)
    rows = book_rows()
    sheet.write(3, 1, "Наименование")
    for r in rows:
        sheet.write(r.row - 1, 1, r.name)
        sheet.write(r.row - 1, 2, r.inventory_number)
        sheet.write(r.row - 1, 4, float(r.cost or 0))
    path = tmp_path / "Книга ОС.xls"
    book.save(str(path))
    result = planted_run(tmp_path, rules, fmt="xls", path=path)
    out, lost = _annotate(result, rules)
    assert out.name == "Книга ОС.reconciled.xlsx"
    assert lost == [
        "копия .xlsx из файла xls: перенесены только значения (и объединения ячеек, где они "
        "известны); шрифты, заливки, ширины столбцов и форматы чисел исходного файла не переносятся"
    ]
    ws = openpyxl.load_workbook(out)[SHEET]
    assert ws["B4"].value == "Наименование"
    assert rows
    for r in rows:
        assert ws.cell(r.row, 2).value == r.name
        assert ws.cell(r.row, 3).value == r.inventory_number
        assert ws.cell(r.row, 5).value == float(r.cost or 0)
    assert ws.cell(8, FIRST).value == "не найдено"


def test_a_csv_register_gets_an_xlsx_copy_with_values_in_place(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_csv_run(tmp_path, rules)
    name = result.register.sheets[0].name
    out, _ = _annotate(result, rules)
    ws = openpyxl.load_workbook(out)[name]
    assert ws["B4"].value == "Наименование"
    assert ws["B7"].value == "Сервер Dell PowerEdge R740" and ws["C8"].value == "ОС-000102"
    assert ws.cell(4, 4).value == "Сверка: статус"


def test_libreoffice_opens_the_annotated_workbook(annotated, tmp_path: Path) -> None:
    _, out, _ = annotated
    csv = render.convert(out, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path)
    text = csv.read_text(encoding="utf-8", errors="replace")
    assert text.startswith("Инвентарная книга учета объектов основных средств")
    assert "сопоставлено" in text


def test_the_safe_writer_keeps_every_risky_string_as_text(tmp_path: Path) -> None:
    from reconciler.outputs.xlsx_writer import write_value

    wb = openpyxl.Workbook()
    ws = wb.active
    risky = ["=1+1", "+7 (495) 123", "-2", "@SUM(A1)", "#N/A", "ok\x07bell"]
    for r, text in enumerate(risky, start=1):
        write_value(ws, r, 1, text)
    write_value(ws, 7, 1, 42)
    wb.save(tmp_path / "w.xlsx")
    back = openpyxl.load_workbook(tmp_path / "w.xlsx").active
    assert [back.cell(r, 1).value for r in range(1, 7)] == [*risky[:5], "okbell"]
    assert all(back.cell(r, 1).data_type == "s" for r in range(1, 7))
    assert back.cell(7, 1).value == 42 and back.cell(7, 1).data_type == "n"


def test_a_sheet_named_like_ours_is_kept_and_ours_gets_another_name(
    tmp_path: Path, rules: Rules
) -> None:
    path = write_1c_register(tmp_path / "with_summary.xlsx", book_rows())
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Сводка")["A1"] = "the accountant's own summary"
    wb.save(path)
    out, _ = _annotate(planted_run(tmp_path, rules, path=path), rules)
    wb = openpyxl.load_workbook(out)
    assert wb["Сводка"]["A1"].value == "the accountant's own summary"
    assert "Сводка (2)" in wb.sheetnames


def test_the_review_sheet_has_room_to_answer_and_its_help_wraps_across_the_table(annotated) -> None:
    """Before: Decision and Comment as narrow as their headers, and the help one line as long
    as the sheet is wide ten times over, which shrank the printed page to unreadable."""
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)["На проверку"]
    assert ws.column_dimensions["D"].width >= 14 and ws.column_dimensions["E"].width >= 30
    help_row = next(
        r for r in range(2, ws.max_row + 1) if "подтвердить" in str(ws.cell(r, 1).value)
    )
    assert f"A{help_row}:M{help_row}" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.cell(help_row, 1).alignment.wrap_text
    assert (ws.row_dimensions[help_row].height or 15) >= 30


@pytest.mark.parametrize(
    ("language", "sheet", "said"),
    [("ru", "На проверку", "Проверять нечего"), ("en", "To review", "Nothing to review")],
)
def test_a_run_with_nothing_to_review_says_so_on_its_review_sheet(
    tmp_path: Path, rules: Rules, language: str, sheet: str, said: str
) -> None:
    """An empty table under the headers looked like a run that failed half way."""
    result = planted_run(tmp_path, rules)
    result.match.rows = [
        dataclasses.replace(m, status=RowStatus.UNMATCHED, asset_ids=[], candidates=[])
        if m.status is RowStatus.REVIEW
        else m
        for m in result.match.rows
    ]
    out, _ = _annotate(result, rules, language)
    ws = openpyxl.load_workbook(out)[sheet]
    assert str(ws["A2"].value).startswith(said)
    assert ws["D2"].value is None  # no decision: a reply reading it back skips the line


def test_a_run_with_rows_to_review_lists_them_without_that_line(annotated) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)["На проверку"]
    assert ws["B2"].value is not None
    assert not any("Проверять нечего" in str(c.value) for row in ws.iter_rows() for c in row)


def test_the_review_sheet_shows_each_candidates_match_probability_as_a_percentage(
    annotated,
) -> None:
    _, out, _ = annotated
    ws = openpyxl.load_workbook(out)["На проверку"]
    headers = [c.value for c in ws[1]]
    assert "Вероятность совпадения, %" in headers
    details = ws.cell(2, headers.index("Кандидаты подробно") + 1).value
    assert re.search(r"A-14 \(\d+%\)", str(details))
