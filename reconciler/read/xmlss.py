"""XML Spreadsheet 2003 (`<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">`).

Some 1C versions and web exports save it with an ".xls" name. Parsed with defusedxml (no DTDs,
no entity expansion) into the same Grid form as every other format: `cells[0][0]` is A1.
The format writes only the cells that hold something and positions them implicitly; a cell or
row with `ss:Index` jumps there, a cell with `ss:MergeAcross` covers the columns after it and a
row with `ss:Span` stands for several rows, so the next implicit position skips them too. This
is what keeps Excel's row and column numbers exact.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from reconciler.errors import InputError

log = logging.getLogger(__name__)

NS = "urn:schemas-microsoft-com:office:spreadsheet"
_SS = f"{{{NS}}}"
_X = "{urn:schemas-microsoft-com:office:excel}"

# (sheet name, cells from A1, merged ranges 0-based (r0, c0, r1, c1))
XmlSheet = tuple[str, list[list[Any]], list[tuple[int, int, int, int]]]


def is_xml_spreadsheet(head: bytes) -> bool:
    """The first KBs of a file: the SpreadsheetML namespace, or a root <Workbook>."""
    lowered = head[:4096].lower()
    return b"urn:schemas-microsoft-com:office:spreadsheet" in lowered or b"<workbook" in lowered


def read_xml_spreadsheet(path: Path, name: str) -> list[XmlSheet]:
    """Every visible worksheet with its cells and merges; InputError when it is not well formed.

    Streamed: each <Row> is turned into cells and cleared when it ends, so a 100k-row export
    never sits in memory as an element tree.
    """
    sheets: list[XmlSheet] = []
    sheet: _Sheet | None = None
    try:
        for event, element in SafeET.iterparse(str(path), events=("start", "end"), forbid_dtd=True):
            tag = element.tag
            if event == "start":
                if tag == f"{_SS}Worksheet":
                    sheet = _Sheet(element.get(f"{_SS}Name") or f"Sheet{len(sheets) + 1}")
                continue
            if sheet is None:
                continue
            if tag == f"{_SS}Row":
                sheet.add_row(element)
                element.clear()
            elif tag == f"{_X}Visible":
                sheet.hidden = (element.text or "").strip() in ("SheetHidden", "SheetVeryHidden")
            elif tag == f"{_SS}Worksheet":
                if sheet.hidden:
                    log.debug("%s: sheet '%s' is hidden: not read", name, sheet.name)
                else:
                    sheets.append(sheet.done())
                sheet = None
                element.clear()
    except DefusedXmlException:
        raise InputError(
            "the XML spreadsheet declares entities or a DTD, which are not read (unsafe XML)",
            file=name,
            hint="open it in Excel and save it as .xlsx",
            code="UNSAFE_XML",
        ) from None
    except SafeET.ParseError as e:
        raise InputError(
            f"the XML spreadsheet is damaged or incomplete ({e})",
            file=name,
            hint="copy it again, or open it in Excel and save it as .xlsx",
            code="DAMAGED_FILE",
            params={"detail": str(e)},
        ) from None
    return sheets


class _Sheet:
    def __init__(self, name: str) -> None:
        self.name = name
        self.hidden = False
        self.cells: list[list[Any]] = []
        self.merged: list[tuple[int, int, int, int]] = []
        self.next_row = 0  # 0-based row of the next <Row> without ss:Index

    def add_row(self, row: Element) -> None:
        r = _index(row, self.next_row)
        line: list[Any] = []
        c = 0
        for cell in row.iter(f"{_SS}Cell"):
            c = _index(cell, c)
            across = _int(cell.get(f"{_SS}MergeAcross"))
            down = _int(cell.get(f"{_SS}MergeDown"))
            if across or down:
                self.merged.append((r, c, r + down, c + across))
            value = _value(cell)
            if value != "":
                if len(line) <= c:
                    line.extend([""] * (c + 1 - len(line)))
                line[c] = value
            c += across + 1
        if line:
            if len(self.cells) <= r:
                self.cells.extend([] for _ in range(r + 1 - len(self.cells)))
            self.cells[r] = line
        self.next_row = r + _int(row.get(f"{_SS}Span")) + 1

    def done(self) -> XmlSheet:
        width = max((len(line) for line in self.cells), default=0)
        for line in self.cells:
            line.extend([""] * (width - len(line)))
        return self.name, self.cells, self.merged


def _int(text: str | None) -> int:
    try:
        return int(text) if text else 0
    except ValueError:
        return 0


def _index(element: Element, implicit: int) -> int:
    """ss:Index is 1-based; without it the element sits at the implicit 0-based position."""
    index = _int(element.get(f"{_SS}Index"))
    return index - 1 if index > 0 else implicit


def _value(cell: Element) -> Any:
    data = cell.find(f"{_SS}Data")
    if data is None:
        return ""
    text = "".join(data.itertext())  # rich text keeps its words, drops <html:B> and the like
    kind = data.get(f"{_SS}Type", "String")
    if kind == "Number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "DateTime":
        try:
            return datetime.fromisoformat(text.strip()[:19])
        except ValueError:
            return text
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    return text
