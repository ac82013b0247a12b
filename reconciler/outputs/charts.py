"""Bar charts of findings: inline SVG for the html report, a native chart for Excel.

The SVG has no scripts, fonts or external references, so mail clients that block remote
content still show it. Labels are escaped here because the SVG reaches the template as Markup.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.worksheet.worksheet import Worksheet

_BAR_HEIGHT = 18
_GAP = 6
_FONT_PX = 12
_BAR_WIDTH = 300
_MAX_LABEL_CHARS = 60  # longer labels are cut with "…"; the full text is in the bar's tooltip
_BAR_COLOUR = "#4f81bd"  # one colour: a colour per bar would suggest a meaning there is none


def text_px(text: str, font_px: float = _FONT_PX) -> float:
    """A generous width of `text` in Arial at `font_px`: wide enough that no label is cut.

    SVG has no "fit the text" layout without a script, so the label column is sized from this
    estimate. Em fractions are Arial's, rounded up; Cyrillic capitals are as wide as Latin ones.
    """
    width = 0.0
    for ch in text:
        if ch in " .,:;'!|il1()[]/-":
            width += 0.33
        elif ch in "mwMWШЩЖМЮшщжмю—@%":
            width += 0.95
        elif ch.isupper() or ch.isdigit():
            width += 0.72
        else:
            width += 0.6
    return width * font_px


def svg_bar_chart(items: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one per (label, count), largest first as given."""
    if not items:
        return Markup("")
    top = max(count for _, count in items) or 1
    shown = [
        label if len(label) <= _MAX_LABEL_CHARS else label[: _MAX_LABEL_CHARS - 1] + "…"
        for label, _ in items
    ]
    label_width = round(max(text_px(text) for text in shown) + 12)
    count_width = round(text_px(str(top)) + 12)
    height = 28 + len(items) * (_BAR_HEIGHT + _GAP)
    width = max(label_width + _BAR_WIDTH + count_width, round(text_px(title, 13) + 4))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'style="font-family:Arial,sans-serif;font-size:{_FONT_PX}px">',
        f'<text x="0" y="16" font-weight="bold" font-size="13">{escape(title)}</text>',
    ]
    for i, ((label, count), short) in enumerate(zip(items, shown, strict=True)):
        y = 28 + i * (_BAR_HEIGHT + _GAP)
        bar = max(1, round(_BAR_WIDTH * count / top))
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{bar}" height="{_BAR_HEIGHT}" '
            f'fill="{_BAR_COLOUR}"><title>{escape(label)}: {count}</title></rect>'
            f'<text x="{label_width + bar + 4}" y="{y + 13}">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def add_bar_chart(
    ws: Worksheet,
    *,
    title: str,
    labels_column: int,
    values_column: int,
    header_row: int,
    last_row: int,
    anchor: str,
) -> None:
    """A native Excel bar chart over a table already on the sheet (header row + data rows)."""
    if last_row <= header_row:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.legend = None
    chart.height = max(7.0, 0.8 * (last_row - header_row) + 3)
    chart.width = 18.0
    # Bars top-down in the table's order (a bar chart draws its first category at the bottom).
    chart.x_axis.scaling.orientation = "maxMin"
    # openpyxl marks axes deleted by default: Excel then shows bars with no labels at all.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorUnit = _whole_step(ws, values_column, header_row + 1, last_row)
    chart.y_axis.numFmt = "0"
    chart.y_axis.majorGridlines = None
    # The count at each bar and nothing else: readers otherwise default to adding the
    # category and series names, which pile up over the bars.
    chart.dataLabels = DataLabelList(
        showVal=True,
        showCatName=False,
        showSerName=False,
        showLegendKey=False,
        showPercent=False,
        showBubbleSize=False,
    )
    chart.y_axis.crosses = "max"  # with the categories reversed, keeps the scale at the bottom
    data = Reference(
        ws, min_col=values_column, min_row=header_row, max_col=values_column, max_row=last_row
    )
    cats = Reference(ws, min_col=labels_column, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    ws.add_chart(chart, anchor)


def _whole_step(ws: Worksheet, column: int, first_row: int, last_row: int) -> float:
    """A count axis steps by whole numbers: 0, 1, 2 ... not 0.5, 1, 1.5."""
    counts = [ws.cell(row=r, column=column).value for r in range(first_row, last_row + 1)]
    top = max((c for c in counts if isinstance(c, int | float)), default=1)
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if top / step <= 10:
            return step
    return round(top / 10)
