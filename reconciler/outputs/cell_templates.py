"""Cells as sheet XML at the speed of string joins: each value's kind and body decided once,
the rest of the cell taken from a template made once per (style, kind).

At 100k register rows our columns are 1.3M cells and the long tables about as many again. A
function call per cell for its stored value, another for its style and a third for its XML
was most of annotate (BENCHMARKS.md, issue 16). Here a value becomes (kind, body, shown
length) in one call, and its cell is the column's `<c r="X`, the row number, and the two
strings around the body that its style and kind chose; a row is one join.

The rules are those of xlsx_writer.stored_value and sheet_stream.cell_xml, kept in step by
tests: text is always an inline string, never a formula, and text starting with = + - @ tab or
CR gets quotePrefix (PITFALLS.md, formula injection); control characters Excel cannot store
are dropped and text is cut at Excel's limit; a Decimal is money, a date a serial number.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import accumulate, compress, repeat
from operator import add, and_, getitem, itemgetter, methodcaller, mul, not_
from typing import Any, NamedTuple

from reconciler.outputs.sheet_stream import column_letter
from reconciler.outputs.xlsx_writer import (
    DATE_FORMAT,
    MAX_CELL_TEXT,
    MONEY_FORMAT,
    clean_text,
    stored_value,
)

EMPTY, TEXT, QUOTED, NUMBER, MONEY, DATE, DATETIME, BOOL = range(8)
KINDS = 8
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"
# What a kind asks of its style: the number format and quotePrefix.
KIND_STYLE: dict[int, tuple[str | None, bool]] = {
    EMPTY: (None, False),
    TEXT: (None, False),
    QUOTED: (None, True),
    NUMBER: (None, False),
    MONEY: (MONEY_FORMAT, False),
    DATE: (DATE_FORMAT, False),
    DATETIME: (DATETIME_FORMAT, False),
    BOOL: (None, False),
}
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
_EMPTY_CELL = (EMPTY, "", 0)

Encoded = tuple[int, str, int]  # kind, body (escaped text or a number), shown length


_SEEN: dict[str, Encoded] = {}  # short texts met before: places, people, statuses, models
_SEEN_SHORTER_THAN = 80
_SEEN_AT_MOST = 200_000


def _text(value: str) -> Encoded:
    if len(value) < _SEEN_SHORTER_THAN:
        seen = _SEEN.get(value)
        if seen is None:
            if len(_SEEN) >= _SEEN_AT_MOST:
                _SEEN.clear()
            seen = _SEEN[value] = _new_text(value)
        return seen
    return _new_text(value)


def _new_text(value: str) -> Encoded:
    # isprintable is a C loop: most values have no control character and skip the regex.
    if not value.isprintable():
        value = clean_text(value)
    elif len(value) > MAX_CELL_TEXT:
        value = value[: MAX_CELL_TEXT - 1] + "…"
    kind = QUOTED if value.startswith(_RISKY_START) else TEXT
    shown = len(value) if "\n" not in value else max(len(x) for x in value.split("\n"))
    # xml_parts.text: & < > escaped, a carriage return kept as a character reference.
    body = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return kind, body.replace("\r", "&#13;"), shown


def _serial(moment: datetime, date1904: bool) -> str:
    delta = moment - (_EPOCH_1904 if date1904 else _EPOCH)
    return f"{delta.days + delta.seconds / 86400:g}" if delta.seconds else str(delta.days)


def encode(value: Any, date1904: bool = False) -> Encoded:
    """`value` as (kind, body, length of the longest line it shows): xlsx_writer.shown_text's
    length, which the column widths are fitted to."""
    t = type(value)
    if t is str:
        return _text(value) if value else _EMPTY_CELL
    if value is None:
        return _EMPTY_CELL
    if t is float:
        return NUMBER, repr(value), len(f"{value:,.1f}")
    if t is int:
        body = repr(value)
        return NUMBER, body, len(body)
    if t is Decimal:
        return MONEY, repr(float(value)), len(f"{value:,.2f}")
    if t is date:
        moment = datetime(value.year, value.month, value.day)
        return DATE, _serial(moment, date1904), 10
    if t is datetime:
        timed = bool(value.hour or value.minute)
        return (DATETIME if timed else DATE), _serial(value, date1904), 16 if timed else 10
    if t is bool:
        return BOOL, str(int(value)), len(str(value))
    # Subclasses (a StrEnum, an IntEnum) take the general rule and come back as plain types.
    stored, _fmt, _quote = stored_value(value)
    if isinstance(stored, str):
        return _text(str(stored))
    if isinstance(stored, bool):
        return encode(bool(stored), date1904)
    if isinstance(stored, int):
        return encode(int(stored), date1904)
    if isinstance(stored, float):
        return encode(float(stored), date1904)
    if isinstance(stored, datetime):
        return encode(datetime.combine(stored.date(), stored.time()), date1904)
    if isinstance(stored, date):
        return encode(date(stored.year, stored.month, stored.day), date1904)
    return _text(str(stored))


# Types whose repr tells apart every value that encodes differently (0.0 and -0.0 are equal
# keys of a dict, their reprs are not): a column's distinct values are found by it.
_BY_REPR = frozenset({int, float, Decimal, date, datetime, bool})
_PLAIN = frozenset({str, type(None)})
_BY_VALUE = frozenset({str, type(None), date, datetime})  # no value of one equals one of another
_NUMBERS = frozenset({int, float, Decimal, bool})
_SIGNED_ZERO = frozenset({float, Decimal})
_KIND_OF_RISKY = (TEXT, QUOTED)  # indexed by "starts with a risky character"
_RISKY = methodcaller("startswith", _RISKY_START)
_RISKY_AFTER_NUL = re.compile("\0[=+\\-@]")  # a joined text (tab and CR are not printable)


def encode_column(values: Sequence[Any], date1904: bool = False) -> list[Encoded]:
    """`[encode(v, date1904) for v in values]`, each distinct value encoded once.

    A register's columns repeat (places, people, models, statuses, dates), and the texts
    that do not are encoded together (_encode_texts): no Python call per cell."""
    made = _encoded(values, date1904)
    if isinstance(made, _Distinct):
        return _encode_texts(made.texts)
    if isinstance(made, list):
        return made
    return list(map(made.memo.__getitem__, made.keys))


@dataclass
class ColumnParts:
    """A column encoded as the register's rows take it (every_cell_row_bytes): each cell's
    kind and body (UTF-8), and the longest line any cell shows."""

    kinds: list[int]
    bodies: list[bytes]
    longest: int


def encode_parts(values: Sequence[Any], date1904: bool = False) -> ColumnParts:
    """encode_column's cells taken apart. A column of few values (most of the register's:
    statuses, models, places) maps each cell to its value's kind and UTF-8 body, made once
    a value: two passes over the cells, not a tuple a cell taken apart and encoded later."""
    made = _encoded(values, date1904)
    cells = _text_parts(made.texts) if isinstance(made, _Distinct) else made
    if isinstance(cells, ColumnParts):
        return cells
    if isinstance(cells, _Memo) and len(cells.memo) * _FEW > len(cells.keys):
        cells = list(map(cells.memo.__getitem__, cells.keys))  # too many values to map twice
    if isinstance(cells, list):
        bodies = list(map(str.encode, map(_BODY, cells)))
        return ColumnParts(list(map(_KIND, cells)), bodies, max(map(_SHOWN, cells), default=0))
    memo = cells.memo
    kind_of = {key: encoded[0] for key, encoded in memo.items()}
    body_of = {key: encoded[1].encode() for key, encoded in memo.items()}
    longest = max(map(_SHOWN, memo.values()), default=0)
    return ColumnParts(
        list(map(kind_of.__getitem__, cells.keys)),
        list(map(body_of.__getitem__, cells.keys)),
        longest,
    )


class _Memo(NamedTuple):
    """A column's cells as keys of their encoded values (`memo` may hold a key no cell has:
    an empty text's, shown 0 long)."""

    keys: Sequence[Any]
    memo: dict[Any, Encoded]


class _Distinct(NamedTuple):
    """A column of texts, none empty, none twice (hostnames, serials), still to encode."""

    texts: list[str]


def _encoded(values: Sequence[Any], date1904: bool) -> list[Encoded] | _Memo | _Distinct:
    """The column encoded: each cell's value in order, or its cells' keys and the value each
    key encodes to (a column of repeated values), or its texts when each is its own."""
    types = set(map(type, values))
    if types <= _PLAIN:
        distinct = dict.fromkeys(values)
        distinct.pop(None, None)
        distinct.pop("", None)
        texts = list(distinct)
        if len(texts) == len(values):  # every value a text of its own (serials, ids): in order
            return _Distinct(texts)
        memo: dict[Any, Encoded] = dict(zip(texts, _encode_texts(texts), strict=True))
        memo[None] = memo[""] = _EMPTY_CELL
        return _Memo(values, memo)
    alone = types - _PLAIN
    if len(alone) == 1 and str not in types and next(iter(alone)) in _AS_NUMBERS:
        few = set(values)
        if len(few) * _FEW < len(values) and 0 not in few:
            # A few values over many rows (the register's scores): each encoded once. (One
            # numeric type, and no zero: 0.0 and -0.0 are one key but encode apart.)
            return _Memo(values, {v: encode(v, date1904) for v in few})
        return _encode_numbers(values, next(iter(alone)), type(None) in types)
    keys: Sequence[Any]
    numbers = types & _NUMBERS
    if (
        len(numbers) <= 1
        and types <= _BY_VALUE | numbers
        and not (numbers & _SIGNED_ZERO and 0 in values)
    ):
        # Values of these types equal only when they encode alike: one numeric type at most
        # (1, 1.0, True are equal keys) and no zero when it may be -0.0.
        keys = values
    elif len(types - _PLAIN) == 1 and types <= _PLAIN | _BY_REPR and str not in types:
        keys = list(map(repr, values))  # one type (and None, whose repr no other has)
    elif types <= _PLAIN | _BY_REPR:
        keys = [v if type(v) is str or v is None else (type(v), repr(v)) for v in values]
    else:  # a type of its own (an enum): the general rule, one value at a time
        return [encode(v, date1904) for v in values]
    distinct = dict(zip(keys, values, strict=True))
    texts = [k for k, v in distinct.items() if type(v) is str and v]
    memo = dict(zip(texts, _encode_texts(texts), strict=True))
    for key, value in distinct.items():
        if type(value) is not str or not value:
            memo[key] = encode(value, date1904)
    return _Memo(keys, memo)


_FEW = 8  # a numeric column with 1/_FEW as many distinct values as rows: encoded per value
_AS_NUMBERS: dict[type, tuple[int, str]] = {  # kind, the format of its shown text
    int: (NUMBER, ""),
    float: (NUMBER, ",.1f"),
    Decimal: (MONEY, ",.2f"),
}


def _encode_numbers(values: Sequence[Any], kind_of: type, with_none: bool) -> list[Encoded]:
    """encode of a column of one numeric type (and None): mostly distinct (amounts, row
    numbers), so made by C-level maps rather than a value at a time."""
    present = [v for v in values if v is not None] if with_none else values
    kind, shown_as = _AS_NUMBERS[kind_of]
    bodies = list(map(repr, map(float, present) if kind_of is Decimal else present))
    shown = map(len, map(format, present, repeat(shown_as)) if shown_as else bodies)
    encoded = list(zip(repeat(kind), bodies, shown))
    if not with_none:
        return encoded
    made = iter(encoded)
    return [_EMPTY_CELL if v is None else next(made) for v in values]


def _text_parts(texts: list[str]) -> ColumnParts | list[Encoded]:
    """_encode_texts taken apart at once when every text is plain (printable, one line, not
    starting like a formula, within Excel's limit: hostnames, serials): escaped, encoded and
    split as one string; else _encode_texts' cells."""
    if not texts:
        return ColumnParts([], [], 0)
    lengths = list(map(len, texts))
    joined = "\0".join(texts)
    if (
        not "".join(texts).isprintable()
        or max(lengths, default=0) > MAX_CELL_TEXT
        or joined.startswith(_RISKY_START)
        or _RISKY_AFTER_NUL.search(joined)
    ):
        return _encode_texts(texts)
    escaped = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ColumnParts([TEXT] * len(texts), escaped.encode().split(b"\0"), max(lengths, default=0))


def _encode_texts(texts: list[str]) -> list[Encoded]:
    """_text of each non-empty text: the printable ones (and those whose lines are: a kit's
    values, one asset a line) escaped as one joined string, the few others (control
    characters, over Excel's limit) each on its own."""
    lengths = list(map(len, texts))
    flat = "".join(texts)
    lined = "\n" in flat  # a line break is not printable, but needs no cleaning either
    if lined:
        flat = flat.replace("\n", "")
    plain = flat.isprintable() and max(lengths, default=0) <= MAX_CELL_TEXT
    if plain:
        easy = texts
    else:
        fits = list(map(MAX_CELL_TEXT.__ge__, lengths))
        unlined = map(_NO_LINES, texts) if lined else texts
        is_easy = list(map(and_, map(str.isprintable, unlined), fits))
        easy = list(compress(texts, is_easy))
    if not easy:
        return [_new_text(t) for t in texts]
    # NUL is not printable, so no easy text holds it; nor a CR to keep.
    joined = "\0".join(easy)
    bodies = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\0")
    if joined.startswith(_RISKY_START) or _RISKY_AFTER_NUL.search(joined):
        kinds: Iterable[int] = list(map(_KIND_OF_RISKY.__getitem__, map(_RISKY, easy)))
    else:  # the usual: no text starts like a formula
        kinds = repeat(TEXT)
    shown = lengths if plain else list(map(len, easy))
    if lined:  # a text of several lines shows as wide as its longest: found from the breaks
        ends = list(accumulate(map(add, map(len, easy), repeat(1))))  # each text's NUL + 1
        at = joined.find("\n")
        while at >= 0:
            j = bisect_right(ends, at)
            shown[j] = max(map(len, easy[j].split("\n")))
            at = joined.find("\n", ends[j])
    encoded = list(zip(kinds, bodies, shown, strict=False))
    if plain:
        return encoded
    # The others put in their places (the list grows in order: each index is final).
    for j in compress(range(len(texts)), map(not_, is_easy)):
        encoded.insert(j, _new_text(texts[j]))
    return encoded


_NO_LINES = methodcaller("replace", "\n", "")


# What follows `<c r="A1"` and the style attribute, and what closes the cell, per kind.
_INLINE = (' t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>")
_VALUE = ("><v>", "</v></c>")
_AROUND = {
    EMPTY: ("/>", ""),
    TEXT: _INLINE,
    QUOTED: _INLINE,
    NUMBER: _VALUE,
    MONEY: _VALUE,
    DATE: _VALUE,
    DATETIME: _VALUE,
    BOOL: (' t="b"><v>', "</v></c>"),
}

StyleOf = Callable[[str | None, bool, str | None, bool], int]  # fill, wrap, format, quote


class CellTemplates:
    """The two strings around a cell's body, per (fill, wrap, kind), made on first use so that
    styles.xml gains only the formats some cell uses.

    `style_of(fill, wrap, number_format, quote)` is the cellXfs index of a combination."""

    def __init__(self, style_of: StyleOf) -> None:
        self.style_of = style_of
        self._made: dict[tuple[str | None, bool], list[tuple[str, str] | None]] = {}

    def for_fill(self, fill: str | None, wrap: bool = False) -> list[tuple[str, str] | None]:
        """The templates of one fill, indexed by kind (None: not made yet; use `make`)."""
        found = self._made.get((fill, wrap))
        if found is None:
            found = self._made[(fill, wrap)] = [None] * KINDS
        return found

    def remake(self) -> None:
        """Every template made again, through `style_of` (its indexes moved)."""
        for (fill, wrap), made in self._made.items():
            for kind, pair in enumerate(made):
                if pair is not None:
                    self.make(fill, wrap, kind)

    def make(self, fill: str | None, wrap: bool, kind: int) -> tuple[str, str]:
        number_format, quote = KIND_STYLE[kind]
        style = self.style_of(fill, wrap, number_format, quote)
        s = f' s="{style}"' if style else ""
        opening, closing = _AROUND[kind]
        made = ('"' + s + opening, closing)
        self.for_fill(fill, wrap)[kind] = made
        return made


def row_cells(
    starts: list[str],
    row: str,
    encoded: list[Encoded],
    templates: CellTemplates,
    fill: str | None,
    wrap: list[bool] | None = None,
) -> str:
    """One row's cells: `starts[i]` is `<c r="` and the column's letters, `row` the number."""
    made = templates.for_fill(fill)
    parts: list[str] = []
    for i, (kind, body, _shown) in enumerate(encoded):
        if wrap is not None and wrap[i]:
            pair = templates.for_fill(fill, True)[kind] or templates.make(fill, True, kind)
        else:
            pair = made[kind] or templates.make(fill, False, kind)
        parts += (starts[i], row, pair[0], body, pair[1])
    return "".join(parts)


def cell_starts(first: int, count: int) -> list[str]:
    """`<c r="` and the letters of each column from `first` on."""
    return ['<c r="' + column_letter(c) for c in range(first, first + count)]


_KIND = itemgetter(0)
_BODY = itemgetter(1)
_SHOWN = itemgetter(2)
_ROW = "\x01"  # stands for the row number in a column's cells: no cell's XML holds it (cleaned)


def grid_rows(
    starts: list[str],
    numbers: Sequence[str],
    columns: list[list[Encoded]],
    fills: Sequence[str | None],
    templates: CellTemplates,
    wraps: Sequence[Sequence[int]] | None = None,
    skip_unfilled_empty: bool = False,
    absent: Sequence[Sequence[int]] | None = None,
    kinds: list[list[int]] | None = None,
) -> list[str]:
    """Rows of cells, as row_cells writes them one row at a time, made a column at a time.

    `columns[c][j]` is row j's encoded value in column c, `numbers[j]` its row number,
    `fills[j]` its fill; `wraps[c]` the rows whose cell in column c wraps (few: kits, long
    texts). `skip_unfilled_empty`: an empty cell of a row without fill is left out (the long
    tables); `absent[c]` the rows that have no cell in column c at all (their value None).
    Templates are made in the order row_cells would first ask for them, row by row and left
    to right, so that styles.xml gains the same formats in the same order (make_templates
    makes them ahead, when the rows are written later; `kinds`: what it returned)."""
    if not columns:
        return [""] * len(numbers)
    if kinds is None:
        kinds = make_templates(columns, fills, templates, wraps, skip_unfilled_empty, absent)
    _palette, indexes, tables, skip = _layout(
        len(columns), fills, templates, wraps, skip_unfilled_empty, absent
    )
    closes = [_AROUND[k][1] for k in range(KINDS)]
    if skip < 0 and not (absent and any(absent)):
        return _every_cell_rows(starts, numbers, columns, indexes, tables, kinds, closes)
    # Per cell three pieces, each taken from a list by C-level maps, never a new string: what
    # precedes the body (the column's `<c r="X`, the row mark, its template's opening), the
    # body, its template's closing. A row is one join of its cells' pieces.
    pieces: list[Iterator[str]] = []
    for c, column in enumerate(columns):
        start = starts[c] + _ROW
        opening = [["" if pair is None else start + pair[0] for pair in made] for made in tables]
        opening.append([""] * KINDS)  # no cell
        if skip >= 0:
            opening[skip][EMPTY] = ""  # and EMPTY's body and closing are empty too
        pieces += (
            map(getitem, map(opening.__getitem__, indexes[c]), kinds[c]),
            map(_BODY, column),
            map(closes.__getitem__, kinds[c]),
        )
    return [
        "".join(row).replace(_ROW, n)
        for n, row in zip(numbers, zip(*pieces, strict=True), strict=True)
    ]


def _every_cell_rows(
    starts: list[str],
    numbers: Sequence[str],
    columns: list[list[Encoded]],
    indexes: list[list[int]],
    tables: list[list[tuple[str, str] | None]],
    kinds: list[list[int]],
    closes: list[str],
) -> list[str]:
    """grid_rows when every row has every cell (the register's rows): the row number a piece
    of its own beside each cell's start, rather than written in by a replace a row (a third
    faster on the 100k register)."""
    pieces: list[Iterable[str]] = []
    for c, column in enumerate(columns):
        rest = [["" if pair is None else pair[0] for pair in made] for made in tables]
        pieces += (
            repeat(starts[c], len(numbers)),
            numbers,
            map(getitem, map(rest.__getitem__, indexes[c]), kinds[c]),
            map(_BODY, column),
            map(closes.__getitem__, kinds[c]),
        )
    return list(map("".join, zip(*pieces, strict=True)))


def every_cell_row_bytes(
    starts: list[str],
    numbers: Sequence[str],
    columns: list[ColumnParts],
    fills: Sequence[str | None],
    templates: CellTemplates,
    wraps: Sequence[Sequence[int]],
) -> list[bytes]:
    """grid_rows' rows of every cell (the register's, whose templates make_kind_templates
    made), each as UTF-8 bytes made of bytes pieces: the same bytes as grid_rows' text
    encoded, without the chunk's text joined, encoded and split again (with the closing
    pieces below, a 100k register's rows in 0.8 of the time)."""
    if not columns:
        return [b""] * len(numbers)
    _palette, indexes, tables, _skip = _layout(len(columns), fills, templates, wraps, False, None)
    closes = [_AROUND[k][1].encode() for k in range(KINDS)]
    rows = list(map(str.encode, numbers))
    # A cell's closing and the next cell's start are one piece (a fifth fewer pieces a row).
    pieces: list[Iterable[bytes]] = [repeat(starts[0].encode(), len(numbers))]
    for c, column in enumerate(columns):
        rest = [[b"" if pair is None else pair[0].encode() for pair in made] for made in tables]
        after = b"" if c + 1 == len(columns) else starts[c + 1].encode()
        closing = [close + after for close in closes]
        pieces += (
            rows,
            map(getitem, map(rest.__getitem__, indexes[c]), column.kinds),
            column.bodies,
            map(closing.__getitem__, column.kinds),
        )
    return list(map(b"".join, zip(*pieces, strict=True)))


def _layout(
    count: int,
    fills: Sequence[str | None],
    templates: CellTemplates,
    wraps: Sequence[Sequence[int]] | None,
    skip_unfilled_empty: bool,
    absent: Sequence[Sequence[int]] | None,
) -> tuple[list[str | None], list[list[int]], list[list[tuple[str, str] | None]], int]:
    """The fills' palette; per column each cell's template: its fill id, or that plus
    len(palette) when wrapped, or 2 * len(palette) for no cell; the templates by those ids;
    the id whose empty cells are left out (-1: none)."""
    palette = list(dict.fromkeys(fills))  # fill id -> fill
    ids = {fill: i for i, fill in enumerate(palette)}
    fid = list(map(ids.__getitem__, fills))
    indexes: list[list[int]] = []
    none = 2 * len(palette)  # no cell: what precedes its body, its body and closing are empty
    for c in range(count):
        index = fid
        if wraps and wraps[c]:
            index = fid.copy()
            for j in wraps[c]:
                index[j] += len(palette)
        if absent and absent[c]:
            index = index.copy() if index is fid else index
            for j in absent[c]:
                index[j] = none
        indexes.append(index)
    tables = [templates.for_fill(fill, wrap) for wrap in (False, True) for fill in palette]
    return palette, indexes, tables, ids.get(None, -1) if skip_unfilled_empty else -1


def make_templates(
    columns: list[list[Encoded]],
    fills: Sequence[str | None],
    templates: CellTemplates,
    wraps: Sequence[Sequence[int]] | None = None,
    skip_unfilled_empty: bool = False,
    absent: Sequence[Sequence[int]] | None = None,
) -> list[list[int]]:
    """The templates grid_rows' cells use, made now in its order; each column's kinds, for
    grid_rows (`kinds`) when it writes these rows later."""
    kinds = [list(map(_KIND, column)) for column in columns]
    make_kind_templates(kinds, fills, templates, wraps, skip_unfilled_empty, absent)
    return kinds


def make_kind_templates(
    kinds: list[list[int]],
    fills: Sequence[str | None],
    templates: CellTemplates,
    wraps: Sequence[Sequence[int]] | None = None,
    skip_unfilled_empty: bool = False,
    absent: Sequence[Sequence[int]] | None = None,
) -> None:
    """make_templates of cells given by their kinds (`kinds[c][j]`: row j's in column c)."""
    if not kinds:
        return
    palette, indexes, tables, skip = _layout(
        len(kinds), fills, templates, wraps, skip_unfilled_empty, absent
    )
    _make_in_order(templates, palette, tables, indexes, kinds, skip)


def _make_in_order(
    templates: CellTemplates,
    palette: list[str | None],
    tables: list[list[tuple[str, str] | None]],
    indexes: list[list[int]],
    kinds: list[list[int]],
    skip: int,
) -> None:
    """The templates the cells use, made in the order of their first cells (row-major)."""

    def wanted(i: int, k: int) -> bool:
        return i < len(tables) and tables[i][k] is None and not (i == skip and k == EMPTY)

    # Per column, the pairs (template id, kind) its cells use that are not made yet: none, the
    # common case after a sheet's first rows. Each pair is an int (id * KINDS + kind), so the
    # column's pairs are one set of ints made by C-level maps; where one is missing, the row
    # of its first cell is looked for. The columns without a wrapped cell share one list of ids.
    scaled: dict[int, list[int]] = {}
    firsts: list[tuple[int, int, int, int]] = []
    for c, (index, column) in enumerate(zip(indexes, kinds, strict=True)):
        times = scaled.get(id(index))
        if times is None:
            times = scaled[id(index)] = list(map(mul, index, repeat(KINDS)))
        missing = [
            pair
            for pair in map(divmod, set(map(add, times, column)), repeat(KINDS))
            if wanted(*pair)
        ]
        if missing:
            keys = list(zip(index, column, strict=True))
            firsts += [(keys.index(pair), c, *pair) for pair in missing]
    for _j, _c, i, k in sorted(firsts):
        if tables[i][k] is None:
            templates.make(palette[i % len(palette)], i >= len(palette), k)
