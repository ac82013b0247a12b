"""The audit pack as people read it: an xlsx workbook and an html page, in Russian or English.

Figures come from audit_figures; this module only lays them out. Every text that came from a
register or the inventory (locations, people, messages) is untrusted: in the workbook it is
stored as text, never as a formula (PITFALLS: formula injection), and in the html jinja2
escapes it. The trend chart is a native LineChart in the workbook and an inline SVG in the
html (no scripts, no network: the page is read in mail clients and archived).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.marker import Marker
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reconciler.audit.figures import AuditFigures, Breakdown, Department, Episode, TrendPoint
from reconciler.outputs.xlsx_writer import (
    MONEY_FORMAT,
    WRAP,
    bold_font,
    fit_row_height,
    fit_width,
    set_print_layout,
    style_header,
    text_width,
    write_value,
)
from reconciler.text.audit import department_name, texts
from reconciler.text.templates import environment


def _or_not_stated(value: str | None, t: dict[str, str]) -> str:
    return value if value else t["not_stated"]


# --- tables shared by both renderings -------------------------------------------------------


@dataclass
class Table:
    """A titled grid of plain values (str, int, Decimal, None); money columns by index."""

    title: str
    header: list[str]
    rows: list[list[Any]]
    money_columns: tuple[int, ...] = ()
    total: list[Any] | None = None
    note: str = ""


def _summary_row(d: Department, t: dict[str, str]) -> list[Any]:
    return [
        department_name(d.folder, t),
        d.runs,
        d.runs_complete,
        d.runs_failed,
        d.runs_quarantined,
        d.files,
        d.rows,
        d.matched,
        d.review,
        d.unmatched,
        d.match_rate,
        len(d.opened),
        d.opened_value,
        len(d.resolved),
        d.resolved_value,
        len(d.still_open),
        d.open_value,
        len(d.accepted),
    ]


def summary_table(f: AuditFigures, t: dict[str, str]) -> Table:
    header = [
        t["department"],
        t["runs"],
        t["runs_complete"],
        t["runs_failed"],
        t["runs_quarantined"],
        t["files"],
        t["rows"],
        t["matched"],
        t["review"],
        t["unmatched"],
        t["match_rate"],
        t["opened"],
        t["opened_value"],
        t["resolved"],
        t["resolved_value"],
        t["still_open"],
        t["open_value"],
        t["accepted"],
    ]
    return Table(
        t["summary"],
        header,
        [_summary_row(d, t) for d in f.departments],
        money_columns=(12, 14, 16),
        total=_summary_row(f.overall, t),
    )


def _episode_row(e: Episode, f: AuditFigures, t: dict[str, str], status: str = "") -> list[Any]:
    o = e.last
    where = f"{o.sheet}, {o.row}" if o.sheet and o.row else (o.sheet or "")
    row = [
        department_name(e.folder, t),
        e.code,
        _or_not_stated(o.location, t),
        _or_not_stated(o.custodian, t),
        o.inventory_number,
        o.serial,
        o.asset_id,
        e.first_seen.date(),
        e.resolved_at.date() if e.resolved_at else None,
        e.runs_seen,
        None if e.resolved_at else e.age_days(f.period.end),
        e.amount,
        where,
        o.message,
        e.identity,
    ]
    return [status, *row] if status else row


def _episode_header(t: dict[str, str]) -> list[str]:
    return [
        t["department"],
        t["code"],
        t["location"],
        t["custodian"],
        t["inventory_number"],
        t["serial"],
        t["asset_id"],
        t["first_seen"],
        t["resolved_at"],
        t["runs_seen"],
        t["age"],
        t["value"],
        t["sheet_row"],
        t["message"],
        t["identity"],
    ]


def episode_tables(f: AuditFigures, t: dict[str, str]) -> list[Table]:
    still_open = sorted(f.overall.still_open, key=lambda e: (-e.age_days(f.period.end), e.code))
    moved = [_episode_row(e, f, t, t["opened"]) for e in f.overall.opened] + [
        _episode_row(e, f, t, t["resolved"]) for e in f.overall.resolved
    ]
    return [
        Table(
            t["open_findings"],
            _episode_header(t),
            [_episode_row(e, f, t) for e in still_open],
            money_columns=(11,),
        ),
        Table(t["movements"], [t["status"], *_episode_header(t)], moved, money_columns=(12,)),
        Table(
            t["accepted"],
            _episode_header(t),
            [_episode_row(e, f, t) for e in f.overall.accepted],
            money_columns=(11,),
        ),
    ]


def breakdown_table(title: str, key_title: str, rows: list[Breakdown], t: dict[str, str]) -> Table:
    header = [
        key_title,
        t["opened"],
        t["opened_value"],
        t["resolved"],
        t["resolved_value"],
        t["still_open"],
        t["open_value"],
        t["oldest"],
    ]
    body = [
        [
            _or_not_stated(b.key, t),
            b.opened,
            b.opened_value,
            b.resolved,
            b.resolved_value,
            b.still_open,
            b.open_value,
            b.oldest_days,
        ]
        for b in rows
    ]
    return Table(title, header, body, money_columns=(2, 4, 6))


def comparison_table(f: AuditFigures, t: dict[str, str]) -> Table:
    header = [
        t["department"],
        t["location"],
        t["custodian"],
        t["surplus_count"],
        t["surplus_value"],
        t["shortage_count"],
        t["shortage_value"],
    ]
    body = [
        [
            department_name(c.folder, t),
            _or_not_stated(c.location, t),
            _or_not_stated(c.custodian, t),
            c.surplus_count,
            c.surplus_value,
            c.shortage_count,
            c.shortage_value,
        ]
        for c in f.comparison
    ]
    s = f.comparison_totals
    total = [
        t["total"],
        "",
        "",
        s.surplus_count,
        s.surplus_value,
        s.shortage_count,
        s.shortage_value,
    ]
    return Table(
        t["comparison"], header, body, money_columns=(4, 6), total=total, note=t["comparison_note"]
    )


def trend_table(f: AuditFigures, t: dict[str, str]) -> Table:
    """One row per run date (the chart's categories), one column per department."""
    folders = sorted({p.folder for p in f.trend})
    by_time: dict[datetime, dict[str, int]] = {}
    for p in f.trend:
        by_time.setdefault(p.started_at, {})[p.folder] = p.open_findings
    rows = [
        [when.strftime("%Y-%m-%d %H:%M"), *(values.get(x) for x in folders)]
        for when, values in sorted(by_time.items())
    ]
    header = [t["date"], *(department_name(x, t) for x in folders)]
    return Table(t["trend"], header, rows, note=t["trend_note"])


def all_tables(f: AuditFigures, t: dict[str, str]) -> list[Table]:
    return [
        summary_table(f, t),
        comparison_table(f, t),
        *episode_tables(f, t),
        breakdown_table(t["by_code"], t["code"], f.by_code, t),
        breakdown_table(t["by_location"], t["location"], f.by_location, t),
        breakdown_table(t["by_custodian"], t["custodian"], f.by_custodian, t),
        trend_table(f, t),
    ]


# --- xlsx ---------------------------------------------------------------------------------


def _put(ws: Worksheet, row: int, column: int, value: Any, money: bool = False) -> Cell:
    """Through the project's one writer of untrusted values: text stays text, money a number."""
    cell = write_value(ws, row, column, value)
    if money:
        cell.number_format = MONEY_FORMAT
    return cell


def _sheet(wb: Workbook, table: Table, heading: str) -> Worksheet:
    ws = wb.create_sheet(table.title[:31])
    _put(ws, 1, 1, table.title).font = bold_font(ws, size=13)
    _put(ws, 2, 1, heading)
    if table.note:
        _put(ws, 3, 1, table.note)
    header_row = 5
    lines = [*table.rows, *([table.total] if table.total else [])]
    for col, title in enumerate(table.header, 1):
        style_header(_put(ws, header_row, col, title))
        column = [line[col - 1] for line in lines if col - 1 < len(line)]
        if (col - 1) in table.money_columns:  # shown as 1 234 567,89: as wide as that text
            column = [_money_text(v, "ru") for v in column]
        ws.column_dimensions[get_column_letter(col)].width = fit_width(column, title, least=10)
    for r, values in enumerate(lines, header_row + 1):
        for c, value in enumerate(values, 1):
            cell = _put(ws, r, c, value, money=(c - 1) in table.money_columns)
            if table.total is not None and values is table.total:
                cell.font = bold_font(ws)
            width = ws.column_dimensions[get_column_letter(c)].width or 0
            if isinstance(value, str) and text_width(value) > width:
                cell.alignment = WRAP
        fit_row_height(ws, r, range(1, len(values) + 1))
    fit_row_height(ws, header_row, range(1, len(table.header) + 1))
    if table.rows:  # the total line stays out of the filter, so filtering never hides it
        last = get_column_letter(len(table.header))
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + len(table.rows)}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)
    set_print_layout(ws, title_rows=f"{header_row}:{header_row}")
    return ws


def _trend_chart(ws: Worksheet, table: Table, t: dict[str, str]) -> None:
    if not table.rows or len(table.header) < 2:
        return
    header_row, first, last = 5, 6, 5 + len(table.rows)
    chart = LineChart()
    chart.title = t["trend_note"]
    chart.y_axis.title = t["still_open"]
    chart.x_axis.title = t["date"]
    chart.display_blanks = "span"  # departments run on different dates: join their points
    data = Reference(ws, min_col=2, max_col=len(table.header), min_row=header_row, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    for series in chart.series:
        # A department with one run is one point: without a marker its line is invisible.
        series.marker = Marker(symbol="circle", size=7)
        # openpyxl leaves <c:smooth> out, and LibreOffice then smooths the line, which dips
        # below the data between points; say straight lines.
        series.smooth = False
    chart.width, chart.height = 24, 12
    ws.add_chart(chart, f"{get_column_letter(len(table.header) + 2)}5")


def render_xlsx(f: AuditFigures, language: str, generated_at: datetime) -> bytes:
    t = texts(language)
    wb = Workbook()
    wb.remove(wb.active)
    heading = period_heading(f, t, generated_at)
    for table in all_tables(f, t):
        ws = _sheet(wb, table, heading)
        if table.title == t["trend"]:
            _trend_chart(ws, table, t)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- html ---------------------------------------------------------------------------------


def period_heading(f: AuditFigures, t: dict[str, str], generated_at: datetime) -> str:
    scope = department_name(f.folder, t)
    day = t["day_format"]
    return (
        f"{t['period']}: {f.period.start.strftime(day)} — {f.period.end.strftime(day)}; {scope}; "
        f"{t['generated']}: {generated_at.strftime(t['moment_format'])} UTC"
    )


@dataclass(frozen=True)
class SvgLine:
    label: str
    points: str  # "x,y x,y ..." for <polyline>
    dots: list[tuple[float, float, int]]  # x, y, value


@dataclass(frozen=True)
class SvgChart:
    width: int
    height: int
    lines: list[SvgLine]
    y_ticks: list[tuple[float, int]]  # y, value
    x_labels: list[tuple[float, str]]  # x, date


X_LABEL_SPACING = 80  # px between date labels under the trend: a 10-character date is ~60 px
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


def svg_chart(trend: list[TrendPoint], t: dict[str, str]) -> SvgChart | None:
    """Coordinates only: the template draws them, and escapes every label."""
    if not trend:
        return None
    width, height, left, right, top, bottom = 720, 300, 50, 160, 20, 40
    times = [p.started_at.timestamp() for p in trend]
    t0, t1 = min(times), max(times)
    highest = max(1, max(p.open_findings for p in trend))
    step = next((n for n in (1, 2, 5, 10, 20, 50, 100, 200, 500) if highest / n <= 5), 1000)
    # The scale ends on a tick above the highest point: a line above the last label reads wrong.
    top_value = -(-highest // step) * step

    def x(ts: float) -> float:
        span = t1 - t0
        return round(left + (ts - t0) / span * (width - left - right), 1) if span else left + 10

    def y(v: int) -> float:
        return round(top + (1 - v / top_value) * (height - top - bottom), 1)

    lines = []
    for folder in sorted({p.folder for p in trend}):
        pts = [
            (x(p.started_at.timestamp()), y(p.open_findings), p.open_findings)
            for p in trend
            if p.folder == folder
        ]
        lines.append(
            SvgLine(department_name(folder, t), " ".join(f"{a},{b}" for a, b, _ in pts), pts)
        )
    ticks = [(y(v), v) for v in range(0, top_value + 1, step)]
    # One label per day, and only where it clears the previous one: several runs a day sat
    # at nearly the same x and their dates were printed over each other.
    day = t["day_format"]
    first_of_day: dict[str, float] = {}
    for p in sorted(trend, key=lambda p: p.started_at):
        first_of_day.setdefault(p.started_at.strftime(day), x(p.started_at.timestamp()))
    labels: list[tuple[float, str]] = []
    for text, at in first_of_day.items():
        if not labels or at - labels[-1][0] >= X_LABEL_SPACING:
            labels.append((at, text))
    return SvgChart(width, height, lines, ticks, labels)


def _money_text(value: Any, language: str) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",") if language == "ru" else text


def _number_text(value: Any, language: str) -> str:
    text = str(value)
    return text.replace(".", ",") if language == "ru" and isinstance(value, float) else text


def _cell_text(value: Any, t: dict[str, str]) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(t["moment_format"])
    if isinstance(value, date):
        return value.strftime(t["day_format"])
    return str(value)


def _keeps_one_line(value: Any) -> bool:
    """Dates, codes, ids and inventory numbers: broken over lines they are hard to read."""
    text = "" if value is None else str(value)
    return len(text) <= 30 and " " not in text


def render_html(f: AuditFigures, language: str, generated_at: datetime) -> str:
    t = texts(language)
    template = environment().get_template("audit.html.j2")
    return template.render(
        t=t,
        language=language,
        heading=period_heading(f, t, generated_at),
        tables=all_tables(f, t),
        chart=svg_chart(f.trend, t),
        palette=PALETTE,
        money=lambda v: _money_text(v, language),
        number=lambda v: _number_text(v, language),
        text=lambda v: _cell_text(v, t),
        nowrap=_keeps_one_line,
    )
