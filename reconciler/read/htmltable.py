"""Tables out of an HTML page that 1C or a web system saved with an .xls extension.

Only the standard library's html.parser: each outermost <table> becomes a grid from A1 with
colspan/rowspan turned into merged ranges (the value sits at the top-left cell, as in Excel).
Text of a nested table stays inside its parent cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

CELL_TAGS = ("td", "th")


@dataclass
class HtmlTable:
    name: str | None
    cells: list[list[Any]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


def _span(attrs: list[tuple[str, str | None]], key: str) -> int:
    for k, v in attrs:
        if k == key and v:
            try:
                return max(1, min(int(v.strip()), 1000))
            except ValueError:
                return 1
    return 1


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[HtmlTable] = []
        self.depth = 0  # nesting of <table>
        self.caption: list[str] | None = None
        self.row = -1
        self.occupied: set[tuple[int, int]] = set()
        self.cell: list[str] | None = None
        self.cell_pos = (0, 0)

    @property
    def table(self) -> HtmlTable:
        return self.tables[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append(HtmlTable(name=None))
                self.row, self.occupied = -1, set()
        elif self.depth != 1:
            if tag == "br" and self.cell is not None:
                self.cell.append("\n")
        elif tag == "caption":
            self.caption = []
        elif tag == "tr":
            self._close_cell()
            self.row += 1
        elif tag in CELL_TAGS:
            self._close_cell()
            if self.row < 0:
                self.row = 0
            col = 0
            while (self.row, col) in self.occupied:
                col += 1
            rows, cols = _span(attrs, "rowspan"), _span(attrs, "colspan")
            for r in range(self.row, self.row + rows):
                for c in range(col, col + cols):
                    self.occupied.add((r, c))
            if rows > 1 or cols > 1:
                self.table.merged.append((self.row, col, self.row + rows - 1, col + cols - 1))
            self.cell, self.cell_pos = [], (self.row, col)
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            if self.depth == 1:
                self._close_cell()
            self.depth -= 1
        elif self.depth == 1 and tag in CELL_TAGS:
            self._close_cell()
        elif self.depth == 1 and tag == "caption" and self.caption is not None:
            # An Excel sheet name: at most 31 characters, none of []:*?/\\
            caption = " ".join("".join(self.caption).split())
            self.table.name = "".join(ch for ch in caption if ch not in "[]:*?/\\")[:31] or None
            self.caption = None

    def handle_data(self, data: str) -> None:
        if self.caption is not None:
            self.caption.append(data)
        elif self.cell is not None:
            self.cell.append(data)

    def _close_cell(self) -> None:
        if self.cell is None:
            return
        text = "".join(self.cell)
        # Layout whitespace from the HTML source is not content; keep deliberate line breaks.
        lines = [" ".join(part.split()) for part in text.split("\n")]
        value = "\n".join(line for line in lines if line)
        r, c = self.cell_pos
        cells = self.table.cells
        while len(cells) <= r:
            cells.append([])
        line = cells[r]
        while len(line) <= c:
            line.append("")
        line[c] = value
        self.cell = None


def parse_html_tables(text: str) -> list[HtmlTable]:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    parser._close_cell()
    for table in parser.tables:
        width = max((len(line) for line in table.cells), default=0)
        for line in table.cells:
            line.extend([""] * (width - len(line)))
    return parser.tables
