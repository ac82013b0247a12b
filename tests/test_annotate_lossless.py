"""The streamed annotated copy keeps the accountant's workbook whole: every member byte for byte
except the parts we extend, every original cell with its value and style index, and a corpus
workbook (built with xlsxwriter, which writes all of these) keeps its drawings, chart, image,
comments, data validation, conditional formats with data bars (x14), sparklines, defined
names, merged cells, hidden rows, outline levels, print settings and VBA.
"""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import render
import xlsxwriter
from run_fixtures import HEADERS, SHEET, TOTAL_ROW, book_rows, planted_run, write_1c_register

from reconciler.config import Config, InventoryConfig, ReportConfig
from reconciler.models import RunResult
from reconciler.outputs.annotate import write_annotated_workbook
from reconciler.rules import Rules

FIRST = len(HEADERS) + 1
VBA = b"\xd0\xcf\x11\xe0 a planted vba project, copied as it is " * 4
# A 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
# Members the copy may change: the register sheet, styles, workbook and its rels, content
# types, and the package rels and custom properties (the run id a reply is recognised by); the
# register sheet's own comments and their VML drawing gain ours (their elements are kept:
# test_their_comments_are_kept_and_ours_added_beside_them).
EXTENDED = {
    "_rels/.rels",
    "xl/comments1.xml",
    "xl/drawings/vmlDrawing1.vml",
    "docProps/custom.xml",
    "xl/worksheets/sheet1.xml",
    "xl/styles.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
}


def _annotate(result: RunResult, rules: Rules) -> tuple[Path, list[str]]:
    config = Config(
        inventory=InventoryConfig(path=Path("inventory.xlsx")), report=ReportConfig(language="ru")
    )
    return write_annotated_workbook(result, rules, config)


def corpus_register(path: Path, tmp_path: Path) -> Path:
    """The planted 1C register (same cells as run_fixtures.write_1c_register) written by
    xlsxwriter with everything an accountant's workbook may carry: a text box, an image and a
    chart (drawing), a comment on B7, a list validation pointing to sheet Lists, a cell-value
    format and an Excel 2010 data bar (x14) on the costs, a sparkline, defined names, merged
    title and header cells, hidden row 21, rows 7-10 at outline level 1, print settings, and
    (as .xlsm) a VBA project."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(SHEET)
    lists = wb.add_worksheet("Lists")
    bold = wb.add_format({"bold": True, "font_size": 14})
    money = wb.add_format({"num_format": "#,##0.00"})
    day = wb.add_format({"num_format": "dd.mm.yyyy"})
    head = wb.add_format({"bold": True, "text_wrap": True, "border": 1})
    ws.merge_range("A1:K1", "Инвентарная книга учета объектов основных средств на 30.09.2026", bold)
    ws.merge_range("A2:F2", "Организация: ООО «Ромашка»")
    for c, text in enumerate(HEADERS):
        if text in ("Первоначальная", "Остаточная"):
            ws.write_string(4, c, text, head)
        elif c != 4:
            ws.merge_range(3, c, 4, c, text, head)
        ws.write_number(5, c, c + 1)
    ws.merge_range("E4:F4", "Стоимость, руб.", head)
    for r in book_rows():
        values = [
            r.row - 6,
            r.name,
            r.inventory_number,
            r.serial,
            r.cost,
            r.book_value,
            r.location,
            r.custodian,
            r.quantity,
            r.acquired_on,
            r.useful_life_months,
        ]
        for c, v in enumerate(values):
            if v is None:
                continue
            if isinstance(v, Decimal):
                ws.write_number(r.row - 1, c, float(v), money)
            elif isinstance(v, str):
                ws.write_string(r.row - 1, c, v)
            elif isinstance(v, int):
                ws.write_number(r.row - 1, c, v)
            else:
                ws.write_datetime(r.row - 1, c, v, day)
    ws.write_string(TOTAL_ROW - 1, 1, "Итого")
    ws.write_formula(TOTAL_ROW - 1, 4, "=SUM(E7:E21)", money, 1)
    for row in range(6, 10):
        ws.set_row(row, None, None, {"level": 1})
    ws.set_row(20, None, None, {"hidden": True})
    ws.write_comment("B7", "Проверено инвентаризацией 2025", {"author": "Бухгалтер"})
    for i, place in enumerate(("Москва, ЦОД-1", "Склад", "Офис 301", "Офис 302", "Архив")):
        lists.write_string(i, 0, place)
    ws.data_validation("G7:G21", {"validate": "list", "source": "=Lists!$A$1:$A$5"})
    ws.conditional_format(
        "F7:F21",
        {
            "type": "cell",
            "criteria": "<",
            "value": 1,
            "format": wb.add_format({"bg_color": "#FFC7CE"}),
        },
    )
    ws.conditional_format("E7:E21", {"type": "data_bar", "data_bar_2010": True})
    lists.add_sparkline("C1", {"range": "Lists!D1:D5"})
    ws.insert_textbox("M2", "Примечание бухгалтера", {"width": 200, "height": 40})
    image = tmp_path / "pixel.png"
    image.write_bytes(PNG)
    ws.insert_image("N30", str(image))
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": f"={SHEET}!$E$7:$E$21"})
    ws.insert_chart("B30", chart)
    wb.define_name("Стоимость_итого", f"={SHEET}!$E${TOTAL_ROW}")
    ws.print_area("A1:K22")
    ws.repeat_rows(3, 5)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    if path.suffix == ".xlsm":
        vba = tmp_path / "vbaProject.bin"
        vba.write_bytes(VBA)
        wb.add_vba_project(str(vba))
    wb.close()
    return path


@pytest.fixture(params=["xlsx", "xlsm"])
def corpus(request, tmp_path: Path, rules: Rules):
    fmt = request.param
    path = corpus_register(tmp_path / f"Книга ОС.{fmt}", tmp_path)
    result = planted_run(tmp_path, rules, fmt=fmt, path=path)
    out, lost = _annotate(result, rules)
    return path, out, lost


def test_every_original_member_is_byte_identical_except_the_parts_we_extend(corpus) -> None:
    path, out, lost = corpus
    assert lost == []
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out) as dst:
        assert dst.testzip() is None  # every member inflates to its CRC (ISA-L's deflate)
        copied = set(dst.namelist())
        for name in src.namelist():
            assert name in copied, name
            if name not in EXTENDED:
                assert dst.read(name) == src.read(name), name
        if path.suffix == ".xlsm":
            assert dst.read("xl/vbaProject.bin") == VBA


def _cells(ws) -> dict[tuple[int, int], tuple[object, int]]:
    """(row, column) -> (value, style index) of every cell in the sheet's XML."""
    return {
        (cell.row, cell.column): (cell.value, cell._style_id)
        for row in ws.iter_rows()
        for cell in row
        if hasattr(cell, "column")  # an EmptyCell is a gap, not a cell
    }


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_every_original_cell_keeps_its_value_and_style_index(corpus) -> None:
    path, out, _ = corpus
    before = openpyxl.load_workbook(path, read_only=True)
    after = openpyxl.load_workbook(out, read_only=True)
    for name in before.sheetnames:
        old, new = _cells(before[name]), _cells(after[name])
        for at, value_and_style in old.items():
            assert new.get(at) == value_and_style, at
        assert len(old) > (150 if name == SHEET else 4)
    before.close()
    after.close()


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_the_corpus_features_survive_in_the_copy(corpus) -> None:
    path, out, _ = corpus
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out) as dst:
        old, new = src.read("xl/worksheets/sheet1.xml"), dst.read("xl/worksheets/sheet1.xml")
        for marker in (
            rb"<conditionalFormatting\b",
            rb"<x14:dataBar\b",
            rb"<dataValidation\b",
            rb"<mergeCell ref=\"A1:K1\"",
            rb"<pageSetup\b",
            rb"<legacyDrawing\b",
            rb"<drawing\b",
        ):
            assert len(re.findall(marker, new)) == len(re.findall(marker, old)) > 0, marker
        # The accountant's hidden and grouped rows and columns are all kept; ours add to them
        # (our columns are a group, the IT-only details folded away: print_setup).
        for marker in (rb'<row [^>]*hidden="1"', rb'<row [^>]*outlineLevel="1"'):
            assert len(re.findall(marker, new)) == len(re.findall(marker, old)), marker
        for marker in (rb'hidden="1"', rb'outlineLevel="1"'):
            assert len(re.findall(marker, new)) >= len(re.findall(marker, old)) > 0, marker
        book = dst.read("xl/workbook.xml")
        for defined in re.findall(rb"<definedName\b.*?</definedName>", src.read("xl/workbook.xml")):
            assert defined in book
        assert b"<x14:sparklineGroups" in dst.read("xl/worksheets/sheet2.xml")
    wb = openpyxl.load_workbook(out)
    ws = wb[SHEET]
    assert ws.row_dimensions[21].hidden and ws.row_dimensions[8].outline_level == 1
    assert ws["B7"].comment is not None and "инвентаризацией" in ws["B7"].comment.text
    assert ws.cell(4, FIRST).value == "Сверка: статус"
    assert ws.cell(8, FIRST).value == "не найдено"
    assert wb.sheetnames[:2] == [SHEET, "Lists"] and "Сводка" in wb.sheetnames
    summary = " ".join(str(c.value) for c in wb["Сводка"]["A"] if c.value)
    # The sheet had a comment of its own: ours are added beside it, so nothing needs saying.
    assert "есть свои примечания" not in summary


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_their_comments_are_kept_and_ours_added_beside_them(corpus) -> None:
    """The corpus sheet carries the accountant's comment on B7 (xlsxwriter: comments1.xml and
    vmlDrawing1.vml). Ours go into the same two parts: theirs are there byte for byte, with
    their author, and each finding row's findings cell has our note."""
    path, out, _ = corpus
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out) as dst:
        old_notes, new_notes = src.read("xl/comments1.xml"), dst.read("xl/comments1.xml")
        old_vml, new_vml = (
            src.read("xl/drawings/vmlDrawing1.vml"),
            dst.read("xl/drawings/vmlDrawing1.vml"),
        )
        names = dst.namelist()
    theirs = re.findall(rb"<comment\b.*?</comment>", old_notes, re.S)
    assert len(theirs) == 1 and all(c in new_notes for c in theirs)
    for author in re.findall(rb"<author>.*?</author>", old_notes):
        assert author in new_notes
    shapes = re.findall(rb"<v:shape\b.*?</v:shape>", old_vml, re.S)
    assert shapes and all(s in new_vml for s in shapes)
    ids = re.findall(rb'id="_x0000_s(\d+)"', new_vml)
    assert len(ids) == len(set(ids)) == len(re.findall(rb"<comment\b", new_notes))
    assert not [n for n in names if re.fullmatch(r"xl/comments\d+\.xml", n)][1:]  # one part
    ws = openpyxl.load_workbook(out)[SHEET]
    assert "инвентаризацией" in ws["B7"].comment.text
    assert ws["B7"].comment.author == "Бухгалтер"
    last = ws.max_column
    ours = [ws.cell(r, last).comment for r in range(7, 22) if ws.cell(r, last).value]
    assert ours and all(c is not None and c.author == "reconciler" for c in ours)


def test_no_value_from_data_becomes_a_formula_in_the_streamed_sheet(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_run(tmp_path, rules)
    risky = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", '=HYPERLINK("http://x")']
    assets = [a for a in result.inventory.assets if a.asset_id in result.match.rows[0].asset_ids]
    assets[0].hostname = risky[0]
    assets[0].location = risky[1]
    assets[0].custodian = risky[2]
    assets[0].serial = risky[3]
    assets[0].name = risky[4]
    source = result.register.path
    out, _ = _annotate(result, rules)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out) as dst:
        old, new = src.read("xl/worksheets/sheet1.xml"), dst.read("xl/worksheets/sheet1.xml")
    assert new.count(b"<f>") + new.count(b"<f ") == old.count(b"<f>") + old.count(b"<f ")
    ws = openpyxl.load_workbook(out)[SHEET]
    shown = {
        ws.cell(row, col).value for row in range(7, 22) for col in range(FIRST, ws.max_column + 1)
    }
    for text in risky:
        if text in shown:
            row, col = next(
                (r, c)
                for r in range(7, 22)
                for c in range(FIRST, ws.max_column + 1)
                if ws.cell(r, c).value == text
            )
            assert ws.cell(row, col).data_type == "s" and ws.cell(row, col).quotePrefix


def test_annotating_twice_writes_the_same_members(tmp_path: Path, rules: Rules) -> None:
    result = planted_run(tmp_path, rules)
    first, _ = _annotate(result, rules)
    first_bytes = {n: zipfile.ZipFile(first).read(n) for n in zipfile.ZipFile(first).namelist()}
    second, _ = _annotate(result, rules)
    with zipfile.ZipFile(second) as z:
        for name in z.namelist():
            assert z.read(name) == first_bytes[name], name


def test_formatted_empty_cells_right_of_the_table_give_way_and_valued_ones_stay(
    tmp_path: Path, rules: Rules
) -> None:
    from openpyxl.styles import PatternFill

    path = write_1c_register(tmp_path / "Книга ОС.xlsx", book_rows())
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    ws.cell(9, FIRST).fill = PatternFill("solid", fgColor="0000FF")  # formatted, empty
    wb.save(path)
    result = planted_run(tmp_path, rules, path=path)
    out, _ = _annotate(result, rules)
    ws = openpyxl.load_workbook(out)[SHEET]
    assert ws.cell(9, FIRST).value is not None
    assert ws.cell(9, FIRST).fill.fgColor.rgb != "000000FF"
    assert [c.value for c in ws[9]][: FIRST - 1] == [
        c.value for c in openpyxl.load_workbook(path)[SHEET][9]
    ][: FIRST - 1]


def test_the_long_sheets_written_in_constant_memory_keep_risky_text_as_text(
    tmp_path: Path, rules: Rules
) -> None:
    from reconciler.outputs.discrepancy_workbook import build_discrepancy_workbook

    result = planted_run(tmp_path, rules)
    by_id = result.inventory.by_id()
    unmatched = [by_id[a] for a in result.match.unmatched_asset_ids if a in by_id]
    risky = '=HYPERLINK("http://evil.example","x")'
    unmatched[0].name = risky
    out, _ = _annotate(result, rules)
    discrepancies = tmp_path / "d.xlsx"
    discrepancies.write_bytes(build_discrepancy_workbook(result, "ru"))
    for path in (out, discrepancies):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    assert b"HYPERLINK" not in re.sub(rb"<is>.*?</is>", b"", z.read(name)), name
        ws = openpyxl.load_workbook(path)["Нет в учете"]
        cell = next(c for row in ws.iter_rows() for c in row if c.value == risky)
        assert cell.data_type == "s" and cell.quotePrefix


@pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")
def test_libreoffice_reads_their_comment_and_ours_from_the_merged_parts(
    corpus, tmp_path: Path
) -> None:
    """LibreOffice opens the copy and saves it again as xlsx: both comments survive, so it read
    them from the merged comments part and drawing."""
    path, out, _ = corpus
    if path.suffix == ".xlsm":
        pytest.skip("the same parts as the xlsx; one LibreOffice start is enough")
    converted = render.convert(out, "xlsx:Calc MS Excel 2007 XML", tmp_path)
    ws = openpyxl.load_workbook(converted)[SHEET]
    assert "инвентаризацией" in ws["B7"].comment.text
    last = ws.max_column
    noted = [r for r in range(7, 22) if ws.cell(r, last).comment is not None]
    assert noted and all(ws.cell(r, last).value for r in noted)
