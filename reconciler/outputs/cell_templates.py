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

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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


def shown_length(value: Any) -> int:
    """encode's shown length without the body: a column's width is fitted before its rows
    are written."""
    if type(value) is str and value.isprintable() and len(value) <= MAX_CELL_TEXT:
        return len(value) if "\n" not in value else max(len(x) for x in value.split("\n"))
    return encode(value)[2]


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
