"""Build real spreadsheet files for tests: one cell map, written in every supported format.

A `SheetSpec` is what a person would see: Excel row/column numbers (1-based), values and
merged ranges. The writers put it into .xlsx / .xlsm (openpyxl), .xls (xlwt), .ods (pandas +
odfpy), .csv (cp1251 with ';', the Russian Windows default), HTML saved as .xls and XML
Spreadsheet 2003 saved as .xls (1C and web exports). Formats that cannot hold merged cells or types (csv) get the values as text.
"""

from __future__ import annotations

import csv
import html
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMATS = ("xlsx", "xlsm", "xls", "ods", "csv", "html", "xml")


@dataclass
class SheetSpec:
    name: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)  # (row, col) 1-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1

    def row(self, row: int, values: list[Any], *, col: int = 1) -> SheetSpec:
        for i, value in enumerate(values):
            if value is not None and value != "":
                self.cells[(row, col + i)] = value
        return self

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> SheetSpec:
        self.merged.append((r0, c0, r1, c1))
        return self

    @property
    def size(self) -> tuple[int, int]:
        return max(r for r, _ in self.cells), max(c for _, c in self.cells)


def as_text(value: Any) -> str:
    """How a text export shows a value: Russian decimal comma, dd.mm.yyyy dates."""
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M:%S}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, (float, Decimal)):
        return str(value).replace(".", ",")
    return str(value)


def write(path: Path, fmt: str, *sheets: SheetSpec) -> Path:
    """Write `sheets` as `fmt` to `path` (the extension is the caller's choice)."""
    writers = {
        "xlsx": write_xlsx,
        "xlsm": write_xlsm,
        "xls": write_xls,
        "ods": write_ods,
        "csv": write_csv,
        "html": write_html,
        "xml": write_xml_spreadsheet,
    }
    writers[fmt](path, list(sheets))
    return path


def _excel_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def write_xlsx(path: Path, sheets: list[SheetSpec]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec in sheets:
        ws = wb.create_sheet(spec.name)
        for (r, c), value in spec.cells.items():
            cell = ws.cell(row=r, column=c, value=_excel_value(value))
            if isinstance(value, date):
                cell.number_format = "DD.MM.YYYY"
        for r0, c0, r1, c1 in spec.merged:
            ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    wb.save(path)


def write_xlsm(path: Path, sheets: list[SheetSpec]) -> None:
    """An xlsx whose workbook part is declared macro-enabled, as Excel saves an .xlsm."""
    tmp = path.with_suffix(".tmp.xlsx")
    write_xlsx(tmp, sheets)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            dst.writestr(item, data)
    tmp.unlink()


def write_xls(path: Path, sheets: list[SheetSpec]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD.MM.YYYY")
    for spec in sheets:
        ws = wb.add_sheet(spec.name)
        covered = set()
        for r0, c0, r1, c1 in spec.merged:
            value = _excel_value(spec.cells.get((r0, c0), ""))
            if isinstance(value, date):
                ws.write_merge(r0 - 1, r1 - 1, c0 - 1, c1 - 1, value, date_style)
            else:
                ws.write_merge(r0 - 1, r1 - 1, c0 - 1, c1 - 1, value)
            covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for (r, c), value in spec.cells.items():
            if (r, c) in covered:
                continue
            if isinstance(value, date):
                ws.write(r - 1, c - 1, value, date_style)
            else:
                ws.write(r - 1, c - 1, _excel_value(value))
    wb.save(str(path))


def write_ods(path: Path, sheets: list[SheetSpec]) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="odf") as writer:
        for spec in sheets:
            rows, cols = spec.size
            grid: list[list[Any]] = [[None] * cols for _ in range(rows)]
            for (r, c), value in spec.cells.items():
                grid[r - 1][c - 1] = _excel_value(value)
            pd.DataFrame(grid).to_excel(writer, sheet_name=spec.name, header=False, index=False)


def write_csv(
    path: Path, sheets: list[SheetSpec], *, encoding: str = "cp1251", delimiter: str = ";"
) -> None:
    (spec,) = sheets
    rows, cols = spec.size
    with path.open("w", encoding=encoding, newline="") as f:
        out = csv.writer(f, delimiter=delimiter)
        for r in range(1, rows + 1):
            line = [as_text(spec.cells.get((r, c), "")) for c in range(1, cols + 1)]
            if encoding == "cp1251":  # it has the no-break space but no narrow one
                line = [text.replace(NNBSP, NBSP) for text in line]
            out.writerow(line)


def write_html(path: Path, sheets: list[SheetSpec]) -> None:
    """What 1C writes when asked for "Excel" from an old configuration: an HTML table."""
    parts = ['<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">']
    parts.append("</head><body>")
    for spec in sheets:
        rows, cols = spec.size
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in spec.merged}
        covered = {
            (r, c)
            for r0, c0, r1, c1 in spec.merged
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
            if (r, c) != (r0, c0)
        }
        parts.append(f"<table><caption>{html.escape(spec.name)}</caption>\n")
        for r in range(1, rows + 1):
            parts.append("<tr>")
            for c in range(1, cols + 1):
                if (r, c) in covered:
                    continue
                text = html.escape(as_text(spec.cells.get((r, c), "")))
                rs, cs = spans.get((r, c), (1, 1))
                attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (
                    f' colspan="{cs}"' if cs > 1 else ""
                )
                parts.append(f"<td{attrs}>\n  {text}\n</td>")
            parts.append("</tr>\n")
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("".join(parts), encoding="utf-8")


# What Excel writes above the first <Worksheet> of an XML Spreadsheet 2003.
XMLSS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
    'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" '
    'xmlns:x="urn:schemas-microsoft-com:office:excel" '
    'xmlns:html="http://www.w3.org/TR/REC-html40">'
)


def write_xml_spreadsheet(
    path: Path, sheets: list[SheetSpec], *, hidden: tuple[str, ...] = ()
) -> None:
    """XML Spreadsheet 2003 as Excel writes it: only cells that hold something, ss:Index
    wherever a row or cell is not next to the one before, merges as ss:MergeAcross and
    ss:MergeDown on the first cell, the covered cells left out."""
    parts = [XMLSS_HEAD + "\n"]
    for spec in sheets:
        spans = {(r0, c0): (r1 - r0, c1 - c0) for r0, c0, r1, c1 in spec.merged}
        covered = {
            (r, c)
            for r0, c0, r1, c1 in spec.merged
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
            if (r, c) != (r0, c0)
        }
        parts.append(f'<Worksheet ss:Name="{html.escape(spec.name)}"><Table>\n')
        rows = sorted({r for r, _ in spec.cells} | {r for r, _ in spans})
        last_row = 0
        for r in rows:
            index = f' ss:Index="{r}"' if r != last_row + 1 else ""
            parts.append(f"<Row{index}>")
            last_col = 0
            cols = sorted(
                {c for rr, c in spec.cells if rr == r} | {c for rr, c in spans if rr == r}
            )
            for c in cols:
                if (r, c) in covered:
                    continue
                attrs = f' ss:Index="{c}"' if c != last_col + 1 else ""
                down, across = spans.get((r, c), (0, 0))
                attrs += f' ss:MergeAcross="{across}"' if across else ""
                attrs += f' ss:MergeDown="{down}"' if down else ""
                parts.append(f"<Cell{attrs}>{_xml_data(spec.cells.get((r, c)))}</Cell>")
                last_col = c + across
            parts.append("</Row>\n")
            last_row = r
        parts.append("</Table>")
        if spec.name in hidden:
            parts.append(
                '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">'
                "<Visible>SheetHidden</Visible></WorksheetOptions>"
            )
        parts.append("</Worksheet>\n")
    parts.append("</Workbook>\n")
    path.write_text("".join(parts), encoding="utf-8")


def _xml_data(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<Data ss:Type="Boolean">{int(value)}</Data>'
    if isinstance(value, (int, float, Decimal)):
        return f'<Data ss:Type="Number">{value}</Data>'
    if isinstance(value, datetime):
        return f'<Data ss:Type="DateTime">{value:%Y-%m-%dT%H:%M:%S}.000</Data>'
    if isinstance(value, date):
        return f'<Data ss:Type="DateTime">{value:%Y-%m-%d}T00:00:00.000</Data>'
    return f'<Data ss:Type="String">{html.escape(str(value), quote=False)}</Data>'


# --- the registers the tests read --------------------------------------------------------

NBSP, NNBSP = "\u00a0", "\u202f"
# The serial of row 8 is written with Cyrillic А, В, С, as people type them: kept as written.
SERVER_SERIAL = "CZJ1234АВС"


def one_c_register(*, col: int = 1) -> SheetSpec:
    """A 1C "Ведомость ОС" print layout on sheet TDSheet, table from column `col`.

    Plants: a merged title (row 1) with the report date, an organisation line (row 2), the
    header at row 4 over two rows (vertically merged headings, "Стоимость" merged over
    "первоначальная" | "остаточная"), the 1-2-3 numbering row 6, a group row 7 with a
    subtotal, items at rows 8-10 (numbers as text with no-break spaces, "(123,45)", "3 шт.",
    "5 лет", a real date), a blank row 11 and the "Итого" row 12.
    """
    s = SheetSpec("TDSheet")
    c = col
    s.row(1, ["Ведомость основных средств на 30.09.2026"], col=c).merge(1, c, 1, c + 10)
    s.row(2, ["Организация: ООО «Ромашка»"], col=c)
    heads = [
        "№ п/п",
        "Основное средство",
        "Инв. №",
        "Заводской номер",
        "Дата принятия к учету",
        "Срок полезного использования",
        "Стоимость",
        None,
        "МОЛ",
        "Местонахождение",
        "Количество",
    ]
    s.row(4, heads, col=c)
    for i, text in enumerate(heads):
        if text and text != "Стоимость":
            s.merge(4, c + i, 5, c + i)
    s.merge(4, c + 6, 4, c + 7)
    s.row(5, ["первоначальная", "остаточная"], col=c + 6)
    s.row(6, list(range(1, 12)), col=c)
    s.row(7, [None, "Вычислительная техника", None, None, None, None, "1 414 681,89"], col=c)
    s.row(
        8,
        [
            1,
            "Сервер НР ProLiant DL380 G10",
            "ОС-000123",
            SERVER_SERIAL,
            "15.03.2019",
            60,
            f"1{NBSP}234{NBSP}567,89",
            f"617{NBSP}283,95 руб.",
            "Иванов И.И.",
            "Серверная",
            "1 шт.",
        ],
        col=c,
    )
    s.row(
        9,
        [
            2,
            "Ноутбук Lenovo ThinkPad T14",
            "ОС-000124",
            "PF2ABCDE",
            date(2021, 6, 1),
            "5 лет",
            f"89{NNBSP}990,00 р.",
            "(123,45)",
            "Петров П.П.",
            "Бухгалтерия, каб. 12",
            1,
        ],
        col=c,
    )
    s.row(
        10,
        [
            3,
            "Комплект серверов Dell R740 (3 шт.)",
            "ОС-000125",
            "SRV1, SRV2, SRV3",
            "2020-11-30",
            "—",
            "90 124,00",
            "-",
            "Иванов И.И.",
            "Серверная",
            "3 шт.",
        ],
        col=c,
    )
    s.row(12, ["Итого", None, None, None, None, None, "1 414 681,89", "617 160,50"], col=c)
    return s


def plain_register(*, row: int = 5, col: int = 3, name: str = "Assets") -> SheetSpec:
    """A hand-made English list whose header is at `row`, column `col` (C5 by default).

    Plants: header Inventory number | Name | Serial number | Cost | Location | Custodian |
    Comment (not a canonical field), items on the next three rows with real numbers and an
    English "1,234,567.89", and nothing else on the sheet.
    """
    s = SheetSpec(name)
    s.row(
        row,
        [
            "Inventory number",
            "Name",
            "Serial number",
            "Cost",
            "Location",
            "Custodian",
            "Comment",
        ],
        col=col,
    )
    s.row(
        row + 1,
        ["INV-1", "Switch Cisco C9300", "FOC1234X", 150000, "Moscow", "Smith", "rack 2"],
        col=col,
    )
    s.row(
        row + 2,
        ["INV-2", "Printer HP M404", "VNB3K12345", "1,234,567.89", "Kazan", "Jones"],
        col=col,
    )
    s.row(
        row + 3, ["INV-3", "UPS APC 3000", "AS1234567890", 45000.5, "Moscow", None, "old"], col=col
    )
    return s


def with_filepass(xls: Path, out: Path) -> Path:
    """A legacy .xls marked as Excel marks a password-protected one: a FILEPASS record (RC4,
    version 1.1) right after the workbook's BOF. It takes the place of the records that follow
    BOF, byte for byte, so the OLE container keeps its size; the cells are not encrypted, but
    every reader that honours FILEPASS (Excel, msoffcrypto, calamine) stops there."""
    import struct

    import olefile

    out.write_bytes(xls.read_bytes())
    with olefile.OleFileIO(str(out), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        kind, size = struct.unpack_from("<HH", stream, 0)
        assert kind == 0x0809  # BOF
        start = end = 4 + size
        while end - start < 4 + 54:  # room for the RC4 header: type, version, salt, verifier
            end += 4 + struct.unpack_from("<HH", stream, end)[1]
        payload = struct.pack("<HHH", 1, 1, 1) + bytes(end - start - 4 - 6)
        stream[start:end] = struct.pack("<HH", 0x002F, len(payload)) + payload
        ole.write_stream("Workbook", bytes(stream))
    return out
