"""What we add to each register sheet: the match, inventory and finding columns of every data
row, their widths, fills and header, and the comments on finding cells; as a SheetEdit for
the streamed writer (sheet_stream) and the comments' text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from reconciler.models import Asset, AssetStatus, Finding, RowMatch, RunResult, SheetInfo
from reconciler.outputs.added_sheets import vendor_model
from reconciler.outputs.figures import row_fill_key
from reconciler.outputs.findings_table import comment_text
from reconciler.outputs.print_setup import IT_ONLY_COLUMNS
from reconciler.outputs.sheet_stream import AddedRow, SheetEdit, column_letter, column_number
from reconciler.outputs.styles_append import FontInfo, StyleBook, Xf
from reconciler.outputs.xlsx_writer import (
    FILLS,
    HEADER_FILL,
    clean_text,
    fit_width,
    stored_value,
)
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
    """One asset: the typed value; a kit: every asset's value as text joined with '; '."""
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
    return "; ".join(shown)


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
    lines: list[tuple[RowMatch, list[Any], list[Finding]]] = []
    for m in matches:
        assets = [by_id[a] for a in m.asset_ids if a in by_id]
        found = sorted(
            by_row.get(m.row.key, []), key=lambda f: SEVERITY_ORDER.get(str(f.severity), 9)
        )
        values: list[Any] = [
            t["status"].get(str(m.status), str(m.status)),
            # A row with no asset has no score worth showing: the best it came to is noise.
            None if m.score is None or not m.asset_ids else round(m.score, 1),
            t["matched_on"].get(m.matched_on, m.matched_on),
            "; ".join(m.asset_ids) or None,
        ]
        values += [
            _joined([_asset_value(a, k, language) for a in assets], language) for k in enrich
        ]
        # One line: the row keeps the accountant's height (the comment has every finding whole).
        values.append("; ".join(f.message for f in found) or None)
        lines.append((m, values, found))
    widths = []
    for i, head in enumerate(heads):
        most = FINDINGS_WIDTH if i == len(heads) - 1 else ADDED_MAX_WIDTH
        widths.append(fit_width([v[i] for _m, v, _f in lines], head, least=10, most=most))
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
    rows: dict[int, AddedRow] = {info.header_row: AddedRow([(h, header_style) for h in heads])}
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
    plan = SheetPlan(edit)
    last = first + len(heads) - 1
    if info.header_end_row > info.header_row:
        edit.merges = [
            f"{column_letter(c)}{info.header_row}:{column_letter(c)}{info.header_end_row}"
            for c in range(first, last + 1)
        ]
    last_row = info.header_end_row
    known: dict[tuple[str, bool, str | None, bool], int] = {}
    for m, values, found in lines:
        fill = _rgb(FILLS[row_fill_key(m.status, found)])
        cells = []
        for value in values:
            stored, number_format, quote = stored_value(value)
            # The accountant's row heights are kept (87 rows were resized before): text wider
            # than its column is not wrapped to grow the row; it shows in full when selected.
            wrap = False
            key = (fill, wrap, number_format, quote)
            style = known.get(key)  # hashing an Xf per cell was a third of this loop
            if style is None:
                style = known[key] = styles.xf(
                    Xf(
                        fill_rgb=fill,
                        wrap=wrap,
                        vertical="top",
                        num_fmt=number_format,
                        quote_prefix=quote,
                    )
                )
            cells.append((stored, style))
        # A row listed twice (it should not be) keeps the first.
        rows.setdefault(m.row.row, AddedRow(cells, 1))
        if found:
            body, height = finding_comment(found, language)
            plan.comments.append((m.row.row, last, body, height))
        last_row = max(last_row, m.row.row)
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
