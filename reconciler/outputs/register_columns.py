"""What we add to each register sheet: the match, inventory and finding columns of every data
row, their widths, fills and header, and the comments on finding cells; as a SheetEdit for
the streamed writer (sheet_stream) and the comments' text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any

from reconciler.models import Asset, AssetStatus, Finding, RowMatch, RunResult, SheetInfo
from reconciler.outputs.added_sheets import vendor_model
from reconciler.outputs.cell_templates import CellTemplates, cell_starts, encode, row_cells
from reconciler.outputs.figures import row_fill_key
from reconciler.outputs.findings_table import comment_text
from reconciler.outputs.print_setup import IT_ONLY_COLUMNS
from reconciler.outputs.sheet_stream import (
    AddedRow,
    SheetEdit,
    cells_row,
    column_letter,
    column_number,
)
from reconciler.outputs.styles_append import FontInfo, StyleBook, Xf
from reconciler.outputs.xlsx_writer import FILLS, HEADER_FILL, clean_text, fitted_width
from reconciler.rules import Rules
from reconciler.text.glossary import display_serial, status_word
from reconciler.text.labels import format_date, format_money
from reconciler.text.report import labels

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
ADDED_MAX_WIDTH = 36  # the match and IT columns: longer values (kits) wrap
FINDINGS_WIDTH = 60  # the findings in words: wide enough that most take one or two lines
COMMENT_WIDTH = 420  # px


@dataclass
class SheetPlan:
    edit: SheetEdit
    comments: list[tuple[int, int, str, int]] = field(default_factory=list)  # row, col, text, px


def _asset_value(asset: Asset, name: str, language: str) -> Any:
    if name == "vendor_model":
        return vendor_model(asset)
    if name == "status":  # in the reader's words, through statuses.yaml
        known = asset.status_raw or asset.status is not AssetStatus.UNKNOWN
        return status_word(asset, language) if known else None
    if name == "serial":
        return display_serial(asset.serial)
    return getattr(asset, name, None)


def _joined(values: list[Any], language: str) -> Any:
    """One asset: the typed value; a kit: every asset's value as text, one asset a line (in the
    kit's order, so a line of one column is the same asset as that line of the next)."""
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return None
    if len(values) == 1:
        return present[0]
    shown = []
    for v in present:
        if isinstance(v, date):
            shown.append(format_date(v, language))
        elif isinstance(v, Decimal):
            shown.append(format_money(v, language))
        else:
            shown.append(str(v))
    return "\n".join(shown)


def finding_comment(findings: list[Finding], language: str) -> tuple[str, int]:
    """The comment on a row's findings cell (findings_table.comment_text); its height in px."""
    body = clean_text(comment_text(findings, language))
    return body, min(600, 60 + 18 * body.count("\n") + len(body) // 3)


def headings(rules: Rules, language: str) -> list[str]:
    t = labels(language)
    heads = [t["columns"][k] for k in ("status", "score", "matched_on", "asset_ids")]
    heads += [
        t["columns"]["status_it" if k == "status" else k] for k in rules.checks.annotate_columns
    ]
    heads.append(t["columns"]["findings"])
    return heads


def rows_by_sheet(result: RunResult) -> dict[str, list[RowMatch]]:
    out: dict[str, list[RowMatch]] = defaultdict(list)
    for m in result.match.rows:
        out[m.row.sheet].append(m)
    return out


def findings_by_row(result: RunResult) -> dict[tuple[str, int], list[Finding]]:
    out: dict[tuple[str, int], list[Finding]] = defaultdict(list)
    for f in result.findings:
        if f.sheet is not None and f.row is not None:
            out[(f.sheet, f.row)].append(f)
    return out


def _rgb(fill: Any) -> str:
    return str(fill.fgColor.rgb)[-6:]


def _getters(enrich: Sequence[str], language: str) -> list[Callable[[Asset], Any]]:
    """Per enrichment column, the asset's value (_asset_value), chosen once per sheet."""
    out: list[Callable[[Asset], Any]] = []
    for name in enrich:
        if name in ("vendor_model", "status", "serial"):
            out.append(lambda a, name=name: _asset_value(a, name, language))  # type: ignore[misc]
        else:
            out.append(attrgetter(name))
    return out


def plan_sheet(
    info: SheetInfo,
    matches: list[RowMatch],
    by_row: dict[tuple[str, int], list[Finding]],
    by_id: dict[str, Asset],
    rules: Rules,
    language: str,
    styles: StyleBook,
    *,
    first: int,
    header_font: FontInfo,
    keep_autofilter: bool,
    freeze: bool,
    date1904: bool,
) -> SheetPlan:
    t = labels(language)
    heads = headings(rules, language)
    enrich = list(rules.checks.annotate_columns)
    getters = _getters(enrich, language)
    no_assets: list[Any] = [None] * len(enrich)
    status_words: dict[str, str] = t["status"]
    matched_words: dict[str | None, str | None] = t["matched_on"]
    n = len(heads)
    longest = [0] * n  # the shown length of each column's widest value, for its width
    starts = cell_starts(first, n)

    def style_of(fill: str | None, wrap: bool, number_format: str | None, quote: bool) -> int:
        xf = Xf(fill_rgb=fill, wrap=wrap, vertical="top", num_fmt=number_format, quote_prefix=quote)
        return styles.xf(xf)

    templates = CellTemplates(style_of)
    header_style = styles.xf(
        Xf(
            fill_rgb=_rgb(HEADER_FILL),
            wrap=True,
            vertical="center",
            horizontal="center",
            bold_font=header_font,
            boxed=True,
        )
    )
    rows: dict[int, AddedRow] = {
        info.header_row: cells_row(
            info.header_row, [(h, header_style) for h in heads], first, False
        )
    }
    comments: list[tuple[int, int, str, int]] = []
    last = first + n - 1
    last_row = info.header_end_row
    fills = {key: _rgb(fill) for key, fill in FILLS.items()}
    for m in matches:
        assets = [by_id[a] for a in m.asset_ids if a in by_id]
        found = by_row.get(m.row.key)
        if found:
            found = sorted(found, key=lambda f: SEVERITY_ORDER.get(str(f.severity), 9))
        status = str(m.status)
        values: list[Any] = [
            status_words.get(status, status),
            # A row with no asset has no score worth showing: the best it came to is noise.
            None if m.score is None or not m.asset_ids else round(m.score, 1),
            matched_words.get(m.matched_on, m.matched_on),
            "\n".join(m.asset_ids) or None,
        ]
        if not assets:
            values += no_assets
        elif len(assets) == 1:  # most rows: the asset's own typed values
            asset = assets[0]
            values += [get(asset) for get in getters]
        else:
            values += [_joined([get(a) for a in assets], language) for get in getters]
        # One line: the row keeps the accountant's height (the comment has every finding whole).
        values.append("; ".join(f.message for f in found) if found else None)
        encoded = [encode(v, date1904) for v in values]
        for i, (_kind, _body, shown) in enumerate(encoded):
            if shown > longest[i]:
                longest[i] = shown
        # The accountant's row heights are kept (87 rows were resized before): text wider
        # than its column is not wrapped to grow the row; it shows in full when selected.
        fill = fills[row_fill_key(m.status, found or [])]
        r = m.row.row
        if r not in rows and len(m.asset_ids) > 1:
            # A kit: its assets one a line, wrapped, the row as tall as the kit is long. The
            # one exception to keeping the accountant's heights: '; '-joined serials and ids
            # on one line were clipped by the next cell and could not be read, on screen or
            # on paper.
            wrap = ["\n" in body for _kind, body, _shown in encoded]
            xml = row_cells(starts, str(r), encoded, templates, fill, wrap).encode()
            rows[r] = AddedRow(xml, lines=len(m.asset_ids))
        elif r not in rows:  # a row listed twice (it should not be) keeps the first
            rows[r] = AddedRow(row_cells(starts, str(r), encoded, templates, fill).encode())
        if found:
            body, height = finding_comment(found, language)
            comments.append((r, last, body, height))
        last_row = max(last_row, r)
    widths = []
    for i, head in enumerate(heads):
        most = FINDINGS_WIDTH if i == n - 1 else ADDED_MAX_WIDTH
        widest = longest[i] * 1.15 + 2 if longest[i] else 0.0
        widths.append(fitted_width(widest, head, least=10, most=most))
    # Our columns one group that folds away; IT-only details folded already (print_setup).
    folded = [False] * 4 + [k in IT_ONLY_COLUMNS for k in enrich] + [False]
    edit = SheetEdit(
        first=first,
        widths=widths,
        rows=rows,
        date1904=date1904,
        outline=[2 if f else 1 for f in folded],
        hidden=folded,
        print_layout=True,
    )
    plan = SheetPlan(edit, comments)
    if info.header_end_row > info.header_row:
        edit.merges = [
            f"{column_letter(c)}{info.header_row}:{column_letter(c)}{info.header_end_row}"
            for c in range(first, last + 1)
        ]
    if not keep_autofilter:
        edit.autofilter = f"A{info.header_end_row}:{column_letter(last)}" + str(
            max(last_row, info.header_end_row + 1)
        )
    if freeze:
        edit.freeze_below = info.header_end_row + 1
        # Right of the name (or inventory number) column: both stay in view beside ours.
        keys = [info.columns[k] for k in ("inventory_number", "name") if k in info.columns]
        edit.freeze_right_of = max(keys, default=0)
    return plan


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*ref="[A-Z]+\d+:([A-Z]+)\d+"')


def right_edge(xml: bytes, info: SheetInfo) -> int:
    """The last column of the accountant's table: what layout saw, and any merged range."""
    last = info.max_column
    tail = xml.rfind(b"sheetData>")
    for m in _MERGE.finditer(xml, max(tail, 0)):
        last = max(last, column_number(m.group(1).decode()))
    return last
