"""The register's added columns, planned a column at a time (register_columns.plan_cells, then
finish_plan), against the same columns planned the way they were before: row by row, a value
encoded and a cell written at a time. Same cells, same styles in the same order, same widths
and comments, on a register with kits, dates, money, empty values, formula-looking and
control-character text, a row listed twice, in both languages."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from run_fixtures import planted_run

from reconciler.models import AssetStatus, RowMatch, RowStatus, RunResult
from reconciler.outputs import register_columns as rc
from reconciler.outputs import table_writer
from reconciler.outputs.annotate import build_annotated_workbook
from reconciler.outputs.cell_templates import CellTemplates, cell_starts, encode, row_cells
from reconciler.outputs.comments_part import comments_xml, vml_xml
from reconciler.outputs.figures import row_fill_key
from reconciler.outputs.sheet_stream import AddedRow, column_letter
from reconciler.outputs.styles_append import StyleBook, Xf
from reconciler.outputs.xlsx_writer import FILLS, HEADER_FILL, fitted_width
from reconciler.rules import Rules
from reconciler.text.report import labels


def _awkward_run(tmp_path: Path, rules: Rules, language: str) -> RunResult:
    """The planted run with every kind of value our columns meet, and a few they should not."""
    result = planted_run(tmp_path, rules, language=language)
    rules.checks.annotate_columns = [*rules.checks.annotate_columns, "inventory_number"]
    rules.checks.annotate_columns.append("purchase_cost")  # money
    by_id = {a.asset_id: a for a in result.inventory.assets}
    by_id["A-03"].hostname = "a\x01b\tc\x7f"  # control characters Excel cannot store
    by_id["A-04"].cpu = "=1+1"
    by_id["A-05"].ram = "-5 GB & <more>"
    by_id["A-06"].storage = "x" * 40_000  # over Excel's cell limit
    by_id["A-07"].status, by_id["A-07"].status_raw = AssetStatus.UNKNOWN, "Странный"
    by_id["A-09"].status, by_id["A-09"].status_raw = AssetStatus.UNKNOWN, None
    by_id["A-10"].ip = "line1\nline2\r\nline3"
    by_id["A-11"].inventory_number = "@inv"
    by_id["A-12"].vendor = None  # a kit whose assets show different columns empty
    rows = result.match.rows
    rows[0].score = -0.04  # rounds to -0.0
    rows.append(RowMatch(rows[1].row, RowStatus.MATCHED, ["A-14"], 99.0, "serial"))  # twice
    for m in rows:
        if m.row.row == 18:
            m.asset_ids = ["A-12", "A-13", "A-14", "ZZ-404"]  # a kit, one id not in IT
        elif m.row.row == 17:
            m.asset_ids = ["A-11", "ZZ-405"]  # two ids, one asset found
        elif m.row.row == 16:
            m.asset_ids = ["ZZ-406"]  # an id IT does not have
    return result


def _planned_a_row_at_a_time(
    result: RunResult, rules: Rules, language: str, styles: StyleBook, first: int
) -> tuple[dict[int, AddedRow], list[float], list[tuple[int, int, str, int]]]:
    """The plan's rows, widths and comments as it was made before, one row at a time."""
    info = result.register.sheets[0]
    t = labels(language)
    heads = rc.headings(rules, language)
    enrich = list(rules.checks.annotate_columns)
    by_row, by_id = rc.findings_by_row(result), result.inventory.by_id()
    n = len(heads)
    longest = [0] * n
    starts = cell_starts(first, n)

    def style_of(fill: str | None, wrap: bool, number_format: str | None, quote: bool) -> int:
        xf = Xf(fill_rgb=fill, wrap=wrap, vertical="top", num_fmt=number_format, quote_prefix=quote)
        return styles.xf(xf)

    templates = CellTemplates(style_of)
    font = styles.default_font()
    header = Xf(
        fill_rgb=rc._rgb(HEADER_FILL),
        wrap=True,
        vertical="center",
        horizontal="center",
        bold_font=font,
        boxed=True,
    )
    styles.xf(header)
    rows: dict[int, AddedRow] = {info.header_row: AddedRow(b"")}
    comments = []
    for m in rc.rows_by_sheet(result)[info.name]:
        assets = [by_id[a] for a in m.asset_ids if a in by_id]
        found = by_row.get(m.row.key)
        if found:
            found = sorted(found, key=lambda f: rc.SEVERITY_ORDER.get(str(f.severity), 9))
        status = str(m.status)
        values: list[Any] = [
            t["status"].get(status, status),
            None if m.score is None or not m.asset_ids else round(m.score, 1),
            t["matched_on"].get(m.matched_on, m.matched_on),
            "\n".join(m.asset_ids) or None,
        ]
        if not assets:
            values += [None] * len(enrich)
        elif len(assets) == 1:
            values += [rc._asset_value(assets[0], k, language) for k in enrich]
        else:
            values += [
                rc._joined([rc._asset_value(a, k, language) for a in assets], language)
                for k in enrich
            ]
        values.append("; ".join(f.message for f in found) if found else None)
        encoded = [encode(v) for v in values]
        for i, (_kind, _body, shown) in enumerate(encoded):
            longest[i] = max(longest[i], shown)
        fill = rc._rgb(FILLS[row_fill_key(m.status, found or [])])
        r = m.row.row
        if r not in rows and len(m.asset_ids) > 1:
            wrap = ["\n" in body for _kind, body, _shown in encoded]
            xml = row_cells(starts, str(r), encoded, templates, fill, wrap).encode()
            rows[r] = AddedRow(xml, lines=len(m.asset_ids))
        elif r not in rows:
            rows[r] = AddedRow(row_cells(starts, str(r), encoded, templates, fill).encode())
        if found:
            body, height = rc.finding_comment(found, language)
            comments.append((r, first + n - 1, body, height))
    del rows[info.header_row]
    widths = [
        fitted_width(
            longest[i] * 1.15 + 2 if longest[i] else 0.0,
            head,
            least=10,
            most=rc.FINDINGS_WIDTH if i == n - 1 else rc.ADDED_MAX_WIDTH,
        )
        for i, head in enumerate(heads)
    ]
    return rows, widths, comments


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("chunk", [rc.CHUNK, 3])  # 3: rows planned across several chunks
def test_columns_planned_at_once_are_the_cells_planned_a_row_at_a_time(
    tmp_path: Path,
    rules: Rules,
    language: str,
    chunk: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _awkward_run(tmp_path, rules, language)
    info = result.register.sheets[0]
    first = info.max_column + 1
    before = StyleBook(None)
    rows, widths, comments = _planned_a_row_at_a_time(result, rules, language, before, first)
    monkeypatch.setattr(rc, "CHUNK", chunk)
    now = StyleBook(None)
    cells = rc.plan_cells(
        info,
        rc.rows_by_sheet(result)[info.name],
        rc.findings_by_row(result),
        result.inventory.by_id(),
        rules,
        language,
        now,
        date1904=False,
    )
    plan = rc.finish_plan(
        cells, now, first=first, header_font=now.default_font(), keep_autofilter=False, freeze=True
    )
    planned = {r: (row.xml, row.lines) for r, row in plan.edit.rows.items()}
    del planned[info.header_row]
    assert planned == {r: (row.xml, row.lines) for r, row in rows.items()}
    assert plan.edit.widths == widths
    assert plan.comment_rows == [r for r, _col, _body, _height in comments]
    assert {col for _r, col, _body, _height in comments} <= {plan.edit.last}
    assert now.render() == before.render()  # the same formats, in the same order
    kit = planned[18][0].decode()
    assert "A-12\nA-13\nA-14\nZZ-404" in kit and planned[18][1] == 4
    assert ">=1+1<" in planned[10][0].decode() and "\x01" not in planned[9][0].decode()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_annotated_copy_is_the_same_whether_its_rows_are_made_in_one_chunk_or_many(
    tmp_path: Path, rules: Rules, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The register's rows and the long tables' rows are made as the package is written, a
    # chunk at a time: chunk boundaries, a row listed twice and kits must not show in the copy.
    result = _awkward_run(tmp_path, rules, language)

    def members(name: str) -> dict[str, bytes]:
        out = io.BytesIO()
        build_annotated_workbook(result, rules, language, out)
        (tmp_path / name).write_bytes(out.getvalue())
        with zipfile.ZipFile(out) as z:
            return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}

    whole = members("whole.xlsx")
    monkeypatch.setattr(rc, "CHUNK", 3)
    monkeypatch.setattr(table_writer, "_CHUNK", 2)
    chunked = members("chunked.xlsx")
    assert chunked == whole
    sheet = next(v for n, v in whole.items() if n.startswith("xl/worksheets/sheet1"))
    assert b"A-12\nA-13\nA-14\nZZ-404" in sheet and sheet.count(b'<row r="18"') == 1


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_copys_finding_comments_say_each_rows_findings_as_the_row_at_a_time_plan_does(
    tmp_path: Path, rules: Rules, language: str
) -> None:
    # The comments' parts are named while the sheet is planned and their text made after
    # (register_comments): the text, the order and the shapes' heights are still each row's.
    result = _awkward_run(tmp_path, rules, language)
    info = result.register.sheets[0]
    _rows, _widths, comments = _planned_a_row_at_a_time(
        result, rules, language, StyleBook(None), info.max_column + 1
    )
    assert comments  # the planted run has findings to comment on
    out = io.BytesIO()
    build_annotated_workbook(result, rules, language, out)
    notes = [(f"{column_letter(col)}{r}", body) for r, col, body, _height in comments]
    shapes = [(r, col, rc.COMMENT_WIDTH, height) for r, col, _body, height in comments]
    with zipfile.ZipFile(out) as z:
        assert z.read("xl/comments1.xml") == b"".join(comments_xml(notes))
        assert z.read("xl/drawings/vmlDrawing1.vml") == b"".join(vml_xml(shapes))
