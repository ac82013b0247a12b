"""What we add to each register sheet: the match, inventory and finding columns of every data
row, their widths, fills and header, and which rows' finding cells get a comment; as a
SheetEdit for the streamed writer (sheet_stream). The comments' text: register_comments.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import accumulate, compress, repeat
from operator import attrgetter, is_, not_
from typing import Any

from reconciler.models import Asset, AssetStatus, Finding, RowMatch, RunResult, SheetInfo
from reconciler.outputs.added_sheets import vendor_model
from reconciler.outputs.cell_templates import (
    CellTemplates,
    ColumnParts,
    cell_starts,
    encode_parts,
    every_cell_row_bytes,
    make_kind_templates,
)
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
    # The rows whose findings get a comment on our last column, in order (register_comments
    # makes their text)
    comment_rows: list[int] = field(default_factory=list)


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


def _kits_joined(values: list[Any], sizes: list[int], language: str) -> list[Any]:
    """_joined of each kit's values: `values` holds every kit's, `sizes[k]` of them kit k's."""
    ends = list(accumulate(sizes))
    bounds = zip([0, *ends], ends, strict=False)  # a start more than ends: the last unused
    if set(map(type, values)) <= _TEXTS:  # the present texts a line each, at C speed
        return ["\n".join(filter(None, values[s:e])) or None for s, e in bounds]
    return [_joined(values[s:e], language) for s, e in bounds]


_TEXTS = frozenset({str, type(None)})


def by_severity(findings: list[Finding]) -> list[Finding]:
    """A row's findings, the most severe first (as its cells and its comment list them)."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(str(f.severity), 9))


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


# What each enrichment column is made from: the three shown values are made once per
# distinct input (a model, a status, a serial), the rest are read as they are.
_MADE_FROM: dict[str, tuple[str, ...]] = {
    "vendor_model": ("vendor", "model"),
    "status": ("status", "status_raw"),
    "serial": ("serial",),
}
_NO_ASSET = Asset(asset_id="")  # every enrichment value None: a row that took no asset
CHUNK = 4096  # rows made at a time: a chunk's cells, not the sheet's, are held as strings


def _columns(names: list[str], assets: list[Asset], language: str) -> list[list[Any]]:
    """Per column `name`, `_asset_value(a, name, language)` of each asset.

    Every attribute of an asset is read in one pass (one attrgetter call per asset): the
    assets are scattered in memory, and a pass per column read each one again."""
    if not assets:
        return [[] for _name in names]
    attrs = list(dict.fromkeys(a for name in names for a in _MADE_FROM.get(name, (name,))))
    read = attrgetter(*attrs, "asset_id")  # two names at least: a tuple per asset
    table = dict(zip([*attrs, "asset_id"], zip(*map(read, assets), strict=True), strict=True))
    out = []
    for name in names:
        made_from = _MADE_FROM.get(name)
        if made_from is None:
            out.append(list(table[name]))
            continue
        if name == "serial":  # one asset's own: nothing repeats to share, each shown once
            out.append(list(map(display_serial, table["serial"])))
            continue
        keys = list(zip(*(table[a] for a in made_from), strict=True))
        distinct = dict(zip(keys, assets, strict=True))
        memo = {k: _asset_value(a, name, language) for k, a in distinct.items()}
        out.append(list(map(memo.__getitem__, keys)))
    return out


@dataclass
class SheetCells:
    """A register sheet's added cells planned (plan_cells), the formats they use, their
    column letters and our header not yet (finish_plan): the register's XML is not needed
    to plan them, only to place them (annotate reads it meanwhile)."""

    info: SheetInfo
    heads: list[str]
    enrich: list[str]
    language: str
    date1904: bool
    templates: CellTemplates
    longest: list[int]
    rows: PlannedRows
    comment_rows: list[int]
    last_row: int
    chunks: list[_Chunk] = field(default_factory=list)
    starts: list[str] = field(default_factory=list)  # `<c r="` and each column's letters
    last: int = 0  # our last column: where the comments go


def plan_cells(
    info: SheetInfo,
    matches: list[RowMatch],
    by_row: dict[tuple[str, int], list[Finding]],
    by_id: dict[str, Asset],
    rules: Rules,
    language: str,
    styles: StyleBook,
    *,
    date1904: bool,
) -> SheetCells:
    """Our cells of the sheet's rows, a chunk of rows at a time: their values gathered and
    encoded, their fills and which of them get a comment (most of the plan's time)."""
    heads = headings(rules, language)

    def style_of(fill: str | None, wrap: bool, number_format: str | None, quote: bool) -> int:
        xf = Xf(fill_rgb=fill, wrap=wrap, vertical="top", num_fmt=number_format, quote_prefix=quote)
        return styles.xf(xf)

    sheet = SheetCells(
        info=info,
        heads=heads,
        enrich=list(rules.checks.annotate_columns),
        language=language,
        date1904=date1904,
        templates=CellTemplates(style_of),
        longest=[0] * len(heads),  # the shown length of each column's widest value
        rows=PlannedRows({}),
        comment_rows=[],
        last_row=info.header_end_row,
    )
    sheet.rows.reserve(info.header_row)  # our header's (finish_plan)
    # This sheet's findings by row number (by_row holds every sheet's).
    row_findings = {r: found for (name, r), found in by_row.items() if name == info.name}
    for at in range(0, len(matches), CHUNK):
        _plan_rows(sheet, matches[at : at + CHUNK], row_findings, by_id)
    return sheet


def finish_plan(
    sheet: SheetCells,
    styles: StyleBook,
    *,
    first: int,
    header_font: FontInfo,
    keep_autofilter: bool,
    freeze: bool,
) -> SheetPlan:
    """The planned cells placed from column `first` on: our header's format first, then the
    cells' formats in the order of the rows (styles.xml gains them in the order a cell at a
    time would), our header, widths, merges, autofilter and frozen panes."""
    info, heads, n = sheet.info, sheet.heads, len(sheet.heads)
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
    for chunk in sheet.chunks:
        make_kind_templates(
            [c.kinds for c in chunk.columns], chunk.fills, sheet.templates, chunk.wraps
        )
    sheet.starts, sheet.last = cell_starts(first, n), first + n - 1
    sheet.rows.fix(
        info.header_row,
        cells_row(info.header_row, [(h, header_style) for h in heads], first, False),
    )
    widths = []
    for i, head in enumerate(heads):
        most = FINDINGS_WIDTH if i == n - 1 else ADDED_MAX_WIDTH
        widest = sheet.longest[i] * 1.15 + 2 if sheet.longest[i] else 0.0
        widths.append(fitted_width(widest, head, least=10, most=most))
    # Our columns one group that folds away; IT-only details folded already (print_setup).
    folded = [False] * 4 + [k in IT_ONLY_COLUMNS for k in sheet.enrich] + [False]
    edit = SheetEdit(
        first=first,
        widths=widths,
        rows=sheet.rows,
        date1904=sheet.date1904,
        outline=[2 if f else 1 for f in folded],
        hidden=folded,
        print_layout=True,
    )
    plan = SheetPlan(edit, sheet.comment_rows)
    last = sheet.last
    if info.header_end_row > info.header_row:
        edit.merges = [
            f"{column_letter(c)}{info.header_row}:{column_letter(c)}{info.header_end_row}"
            for c in range(first, last + 1)
        ]
    if not keep_autofilter:
        edit.autofilter = f"A{info.header_end_row}:{column_letter(last)}" + str(
            max(sheet.last_row, info.header_end_row + 1)
        )
    if freeze:
        edit.freeze_below = info.header_end_row + 1
        # Right of the name (or inventory number) column: both stay in view beside ours.
        keys = [info.columns[k] for k in ("inventory_number", "name") if k in info.columns]
        edit.freeze_right_of = max(keys, default=0)
    return plan


def _plan_rows(
    sheet: SheetCells,
    matches: list[RowMatch],
    row_findings: dict[int, list[Finding]],
    by_id: dict[str, Asset],
) -> None:
    """Our cells of some rows, a column at a time: each column's values gathered, encoded
    (each distinct value once) and written (cell_templates.grid_rows)."""
    language = sheet.language
    t = labels(language)
    status_words: dict[str, str] = t["status"]
    matched_words: dict[str | None, str | None] = t["matched_on"]
    fills = {key: _rgb(fill) for key, fill in FILLS.items()}
    numbers = list(map(_ROW_NUMBER, matches))
    status_of = list(map(_STATUS, matches))
    words = {s: status_words.get(str(s), str(s)) for s in set(status_of)}
    asset_ids = list(map(_ASSET_IDS, matches))
    # A row with no asset has no score worth showing: the best it came to is noise.
    raw_scores = list(map(_SCORE, matches))
    scores: list[float | None]
    few = set(raw_scores)
    if 0 not in few:  # a few scores over many rows: each rounded once (0.0 and -0.0 differ)
        rounded = {s: None if s is None else round(s, 1) for s in few}
        scores = list(map(rounded.__getitem__, raw_scores))
    else:
        scores = [None if s is None else round(s, 1) for s in raw_scores]
    for j in compress(range(len(matches)), map(not_, asset_ids)):
        scores[j] = None
    matched_raw = list(map(_MATCHED_ON, matches))
    matched = {k: matched_words.get(k, k) for k in set(matched_raw)}
    plain_fill = {s: fills[row_fill_key(s, [])] for s in set(status_of)}
    row_fills = list(map(plain_fill.__getitem__, status_of))
    texts: list[str | None] = [None] * len(matches)
    for j in compress(range(len(matches)), map(row_findings.__contains__, numbers)):
        found = by_severity(row_findings[numbers[j]])
        # One line: the row keeps the accountant's height (the comment has every finding whole).
        texts[j] = "; ".join(f.message for f in found)
        row_fills[j] = fills[row_fill_key(status_of[j], found)]
        sheet.comment_rows.append(numbers[j])
    assets = [by_id.get(a[0], _NO_ASSET) if a else _NO_ASSET for a in asset_ids]
    kits: list[tuple[int, list[Asset]]] = []  # rows of several assets: their values joined
    for j in compress(range(len(matches)), map((1).__lt__, map(len, asset_ids))):
        found_assets = [by_id[a] for a in asset_ids[j] if a in by_id]
        assets[j] = found_assets[0] if len(found_assets) == 1 else _NO_ASSET
        if len(found_assets) > 1:
            kits.append((j, found_assets))
    values: list[list[Any]] = [
        list(map(words.__getitem__, status_of)),
        scores,
        list(map(matched.__getitem__, matched_raw)),
        list(map("\n".join, asset_ids)),  # no asset: "", an empty cell as None would be
    ]
    # A kit's assets' values read as the rows' are, then joined a kit at a time.
    in_kits = _columns(sheet.enrich, [a for _j, kit in kits for a in kit], language)
    sizes = [len(kit) for _j, kit in kits]
    for enriched, kit_values in zip(_columns(sheet.enrich, assets, language), in_kits, strict=True):
        for (j, _kit), joined in zip(kits, _kits_joined(kit_values, sizes, language), strict=True):
            enriched[j] = joined
        values.append(enriched)
    values.append(texts)
    columns = [encode_parts(v, sheet.date1904) for v in values]
    for i, column in enumerate(columns):
        sheet.longest[i] = max(sheet.longest[i], column.longest)
    sheet.last_row = max(sheet.last_row, *numbers)
    taken = sheet.rows
    if len(set(numbers)) < len(numbers) or not taken.none_of(numbers):
        # A row listed twice (it should not be) keeps the first.
        kept = []
        for j, r in enumerate(numbers):
            if r not in taken:
                taken.reserve(r)
                kept.append(j)
        columns = [
            ColumnParts([c.kinds[j] for j in kept], [c.bodies[j] for j in kept], c.longest)
            for c in columns
        ]
        row_fills = [row_fills[j] for j in kept]
        numbers = [numbers[j] for j in kept]
        asset_ids = [asset_ids[j] for j in kept]
    lines = list(map(len, asset_ids))
    # The accountant's row heights are kept (87 rows were resized before): text wider than its
    # column is not wrapped to grow the row; it shows in full when selected. A kit is the
    # exception: its assets one a line, wrapped, the row as tall as the kit is long ('; '-joined
    # serials and ids on one line were clipped by the next cell and could not be read).
    kit_rows = [k for k, n in enumerate(lines) if n > 1]
    wraps = [[k for k in kit_rows if b"\n" in column.bodies[k]] for column in columns]
    # The formats made in finish_plan, in the order of the rows; the rows' XML when the sheet
    # is streamed.
    chunk = _Chunk(sheet, numbers, columns, row_fills, wraps, lines, kit_rows)
    sheet.chunks.append(chunk)
    taken.add(chunk)


class _Chunk:
    """Some rows' encoded cells, their XML made when the stream reaches them (PlannedRows)."""

    def __init__(
        self,
        sheet: SheetCells,
        numbers: list[int],
        columns: list[ColumnParts],
        fills: Sequence[str | None],
        wraps: list[list[int]],
        lines: list[int],
        kit_rows: list[int],
    ) -> None:
        self.sheet = sheet
        self.numbers = numbers
        self.columns = columns
        self.fills = fills
        self.wraps = wraps
        self.lines = lines
        self.kit_rows = kit_rows  # the rows of several lines (indexes into numbers)

    def rows(self) -> dict[int, bytes | AddedRow]:
        """Each row's cells: bytes for a row of one line (no object a row: 100k at 100k
        rows), an AddedRow for a kit's taller row."""
        sheet = self.sheet
        encoded = every_cell_row_bytes(
            sheet.starts,
            list(map(str, self.numbers)),
            self.columns,
            self.fills,
            sheet.templates,
            self.wraps,
        )
        rows: dict[int, bytes | AddedRow] = dict(zip(self.numbers, encoded, strict=True))
        for k in self.kit_rows:
            rows[self.numbers[k]] = AddedRow(encoded[k], lines=self.lines[k])
        return rows


class PlannedRows(Mapping[int, AddedRow]):
    """A sheet's added rows by row number, each chunk's XML made when one of its rows is
    first asked for: the stream (sheet_stream.extend_sheet) takes them in order, so only a
    chunk's rows are held as XML at a time, not the sheet's (130 MB at 100k rows)."""

    def __init__(self, fixed: dict[int, AddedRow]) -> None:
        self._fixed = fixed  # made already: the header
        self._chunk_of: dict[int, _Chunk] = {}
        self._made: dict[_Chunk, dict[int, bytes | AddedRow]] = {}
        self._left: dict[_Chunk, int] = {}  # rows not taken yet

    def add(self, chunk: _Chunk) -> None:
        self._chunk_of.update(dict.fromkeys(chunk.numbers, chunk))
        self._left[chunk] = len(chunk.numbers)

    def reserve(self, r: int) -> None:
        """Row r is taken by the chunk being planned (its first listing wins), or by our
        header, made later (`fix`)."""
        self._fixed[r] = _PENDING

    def fix(self, r: int, row: AddedRow) -> None:
        """Row r's cells, made apart from the chunks' (our header)."""
        self._fixed[r] = row

    def __contains__(self, r: object) -> bool:
        return r in self._fixed or r in self._chunk_of

    def none_of(self, rows: list[int]) -> bool:
        """Whether none of `rows` is here (at C speed: asked of every chunk's rows)."""
        return self._fixed.keys().isdisjoint(rows) and self._chunk_of.keys().isdisjoint(rows)

    def __getitem__(self, r: int) -> AddedRow:
        chunk = self._chunk_of.get(r)
        if chunk is None:
            return self._fixed[r]
        row = self._rows_of(chunk)[r]
        return AddedRow(row) if isinstance(row, bytes) else row

    def take(self, r: int) -> bytes | AddedRow:
        """Row r's cells, for the last time: its chunk's XML is let go once all are taken.
        A row of one line as bytes (sheet_stream.extend_sheet takes either)."""
        return self.take_many([r])[0]

    def take_many(self, rows: list[int]) -> list[bytes | AddedRow]:
        """`take` of each of `rows`, a chunk's run of them by one map (sheet_stream's runs of
        rows: a Python call a row was 0.1 s at 100k)."""
        out: list[bytes | AddedRow] = []
        chunks = list(map(self._chunk_of.get, rows))
        at = 0
        while at < len(rows):
            chunk = chunks[at]
            same = list(map(is_, chunks[at:], repeat(chunk)))
            end = at + (same.index(False) if False in same else len(same))
            if chunk is None:  # our header
                out += map(self._fixed.__getitem__, rows[at:end])
            else:
                out += map(self._rows_of(chunk).__getitem__, rows[at:end])
                left = self._left[chunk] - (end - at)
                self._left[chunk] = left
                if not left:  # every row taken: its XML and encoded cells let go
                    del self._made[chunk]
                    chunk.columns = []
            at = end
        return out

    def _rows_of(self, chunk: _Chunk) -> dict[int, bytes | AddedRow]:
        made = self._made.get(chunk)
        if made is None:
            made = self._made[chunk] = chunk.rows()
        return made

    def __iter__(self) -> Iterator[int]:
        return iter({**dict.fromkeys(self._fixed), **dict.fromkeys(self._chunk_of)})

    def __len__(self) -> int:
        return len(self._fixed.keys() | self._chunk_of.keys())


_ROW_NUMBER = attrgetter("row.row")
_STATUS = attrgetter("status")
_ASSET_IDS = attrgetter("asset_ids")
_SCORE = attrgetter("score")
_MATCHED_ON = attrgetter("matched_on")
_PENDING = AddedRow(b"")  # a row taken by this chunk, its cells not made yet


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*ref="[A-Z]+\d+:([A-Z]+)\d+"')


def right_edge(xml: bytes, info: SheetInfo) -> int:
    """The last column of the accountant's table: what layout saw, and any merged range."""
    last = info.max_column
    tail = xml.rfind(b"sheetData>")
    for m in _MERGE.finditer(xml, max(tail, 0)):
        last = max(last, column_number(m.group(1).decode()))
    return last
