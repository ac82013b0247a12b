"""Bar charts of findings: inline SVG for the html report, a native chart for Excel.

The SVG has no scripts, fonts or external references, so mail clients that block remote
content still show it. Labels are escaped here because the SVG reaches the template as Markup.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.worksheet import Worksheet

_BAR_HEIGHT = 18
_GAP = 6
_LABEL_WIDTH = 260
_BAR_WIDTH = 300
_COLOURS = ("#c0504d", "#4f81bd", "#9bbb59", "#8064a2", "#f79646", "#4bacc6")


def svg_bar_chart(items: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one per (label, count), largest first as given."""
    if not items:
        return Markup("")
    top = max(count for _, count in items) or 1
    height = 28 + len(items) * (_BAR_HEIGHT + _GAP)
    width = _LABEL_WIDTH + _BAR_WIDTH + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'style="font-family:Arial,sans-serif;font-size:12px">',
        f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, count) in enumerate(items):
        y = 28 + i * (_BAR_HEIGHT + _GAP)
        bar = max(1, round(_BAR_WIDTH * count / top))
        short = label if len(label) <= 40 else label[:39] + "…"
        colour = _COLOURS[i % len(_COLOURS)]
        parts.append(
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{bar}" height="{_BAR_HEIGHT}" '
            f'fill="{colour}"><title>{escape(label)}: {count}</title></rect>'
            f'<text x="{_LABEL_WIDTH + bar + 4}" y="{y + 13}">{count}</text>'
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
    chart.height = max(6.0, 0.6 * (last_row - header_row) + 2)
    chart.width = 18.0
    data = Reference(
        ws, min_col=values_column, min_row=header_row, max_col=values_column, max_row=last_row
    )
    cats = Reference(ws, min_col=labels_column, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    ws.add_chart(chart, anchor)
