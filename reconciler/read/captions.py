"""Group caption rows of 1C prints, and what they say about the items under them.

A "Ведомость ОС" or an "ОСВ по счету 01" is often grouped by МОЛ, by subdivision or place, or
by account: a caption row ("Иванов И.И.", "Склад №1", "01.01") above its items, sometimes two
levels deep (place > МОЛ), sometimes with subtotals beside it. A caption is not an item; its
text is the field the table itself lacks: a person's name becomes the custodian where the
table has no custodian column, a place the location where it has no location column, an
account code the account of any row that has none. A row's own value is never overwritten.

A caption is told from an item that just lacks its inventory number by where its one text
sits: in a cell merged across columns, in the first column when that is not the name column
(the "№ п/п" column), or in the name column as a person's name or an account code, or with
no quantity and no key where most other rows are keyed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

from reconciler.models import BookRow
from reconciler.read import values
from reconciler.read.header import DataRow, SynonymIndex, Table, fold_header
from reconciler.read.sheets import Grid

log = logging.getLogger(__name__)

CARRIED = ("custodian", "location", "account")
# The fields that identify a register item: a row holding one is an item, not a caption or a
# total (layout.py uses the same tuple).
BOOK_KEYS = ("inventory_number", "serial", "barcode")

_SURNAME = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_INITIALS = r"[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.?)?"
_PERSON = re.compile(
    rf"{_SURNAME}\s+{_INITIALS}"  # Иванов И.И., Иванов И. И., Иванов И.
    rf"|[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?{_SURNAME}"  # И.И. Иванов
    rf"|{_SURNAME}\s+[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+(?:вич|вна|чна|оглы|кызы)"  # full ФИО
    r"|[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s+[A-Z]\.\s?(?:[A-Z]\.)?"  # Smith J.
)
# 01, 01.01, 08.04.1, МЦ.04, 001 alone; a code with a dot (or 0x/00x) may be followed by its
# name: "01.01 Основные средства в организации". "10 этаж" is a place, not account 10.
_ACCOUNT_ALONE = re.compile(r"(?:МЦ\.)?\d{2,3}(?:\.\d{1,2}){0,2}", re.IGNORECASE)
_ACCOUNT_NAMED = re.compile(
    r"((?:МЦ\.)?\d{2,3}(?:\.\d{1,2}){1,2}|0\d|00\d|01\d)[\s,]+\D.*", re.IGNORECASE
)
_ACCOUNT_WORD = re.compile(r"(?:суб)?сч[её]т[а]?\s*(?:учета\s*)?[:№]?\s*(.+)", re.IGNORECASE)


def caption_kind(
    text: str, index: SynonymIndex, categories: tuple[str, ...]
) -> tuple[str | None, str]:
    """(field, value) a caption names: custodian, account, location, or None for a kind of
    asset ("Машины и оборудование") or a place-like text whose field the caller decides."""
    label, sep, rest = text.partition(":")
    if sep and rest.strip():
        hit = index.match(fold_header(label))
        if hit and hit[0] in CARRIED:
            return hit[0], rest.strip()
    by_word = _ACCOUNT_WORD.fullmatch(text)
    code = _ACCOUNT_ALONE.match(by_word[1]) if by_word else None
    if code:
        return "account", code[0]
    if _ACCOUNT_ALONE.fullmatch(text):
        return "account", text
    named = _ACCOUNT_NAMED.fullmatch(text)
    if named:
        return "account", named[1]
    if _PERSON.fullmatch(text):
        return "custodian", text
    folded = fold_header(text)
    if any(folded == c or folded.startswith(c + " ") for c in categories):
        return None, text
    return "location", text


@dataclass
class GroupCaptions:
    """Tells caption rows from items on one table and carries captions into the items.

    Call `take(data)` on every data row in order (True: a caption, not an item), then
    `fill(row)` on each BookRow read from a row `take` returned False for.
    """

    table: Table
    index: SynonymIndex
    categories: tuple[str, ...]
    key_cols: list[int]  # 0-based
    name_col: int | None
    first_col: int
    quantity_col: int | None
    merged_starts: dict[int, set[int]]  # 0-based row -> 0-based columns where a merge starts
    keyed_majority: bool
    stack: list[tuple[str | None, str]] = field(default_factory=list)
    captions: int = 0

    @classmethod
    def of(
        cls, grid: Grid, table: Table, index: SynonymIndex, categories: list[str]
    ) -> GroupCaptions:
        cols = table.columns
        key_cols = [cols[k] - 1 for k in BOOK_KEYS if k in cols]
        merged_starts: dict[int, set[int]] = {}
        for r0, c0, _r1, c1 in grid.merged or ():
            if c1 > c0 and r0 >= table.header_end_row:
                merged_starts.setdefault(r0, set()).add(c0)
        keyed = rows = 0
        if key_cols:
            for line in grid.cells[table.header_end_row :]:
                if not line:
                    continue
                rows += 1
                keyed += any(c < len(line) and not values.is_empty(line[c]) for c in key_cols)
        return cls(
            table=table,
            index=index,
            categories=tuple(fold_header(c) for c in categories if c.strip()),
            key_cols=key_cols,
            name_col=cols["name"] - 1 if "name" in cols else None,
            first_col=min(table.headers, default=1) - 1,
            quantity_col=cols["quantity"] - 1 if "quantity" in cols else None,
            merged_starts=merged_starts,
            keyed_majority=bool(key_cols) and keyed * 2 >= rows,
        )

    def take(self, data: DataRow) -> bool:
        """Whether `data` is a caption row; a caption is remembered for the rows under it."""
        text = self._caption_text(data)
        if text is None:
            return False
        kind, value = caption_kind(text, self.index, self.categories)
        if kind == "location" and "location" in self.table.columns:
            kind = None  # a place the table has a column for: the rows say it themselves
        level = kind or "group"
        # A caption replaces the one of its own kind and every deeper level under it.
        for i, (k, _) in enumerate(self.stack):
            if k == level:
                del self.stack[i:]
                break
        self.stack.append((level, value))
        self.captions += 1
        log.debug(
            "sheet '%s' row %d: group caption %r (%s)", self.table.sheet, data.row, text, level
        )
        return True

    def fill(self, row: BookRow) -> None:
        for kind, value in self.stack:
            if kind == "account" and row.account is None:
                row.account = value
            elif (
                kind in ("custodian", "location")
                and kind not in self.table.columns
                and getattr(row, kind) is None
            ):
                setattr(row, kind, value)

    def _caption_text(self, data: DataRow) -> str | None:
        line = data.cells
        width = len(line)
        # Most rows are items with a name and a key: say so without looking at every cell.
        name = self.name_col
        if name is not None and name < width and not values.is_empty(line[name]):
            for c in self.key_cols:
                if c != name and c < width and not values.is_empty(line[c]):
                    return None
        text_col, text = -1, ""
        has_quantity = False
        for c, value in enumerate(line):
            if values.is_empty(value):
                continue
            if isinstance(value, (date, bool)):
                return None  # a date or a flag belongs to an item
            if isinstance(value, str) and (
                not _numeric_text(value) or (c == self.name_col and _is_account_code(value))
            ):
                if text_col >= 0:
                    return None  # two texts: an item (name and more)
                text_col, text = c, " ".join(value.split())
            elif c == self.quantity_col:
                has_quantity = True
        if text_col < 0:
            return None
        others_keyed = any(
            c < len(line) and c != text_col and not values.is_empty(line[c]) for c in self.key_cols
        )
        if others_keyed:
            return None
        merged = text_col in self.merged_starts.get(data.row - 1, ())
        kind, _ = caption_kind(text, self.index, self.categories)
        patterned = kind in ("custodian", "account")
        if text_col in self.key_cols:
            # Only the text in a key column: an inventory number alone, unless it is plainly a
            # caption (merged, or a person or account in the first column).
            return text if merged or (patterned and text_col == self.first_col) else None
        if merged:
            return text
        if text_col == self.first_col and text_col != self.name_col:
            return text  # the "№ п/п" column holding words
        named = patterned or (self.keyed_majority and not has_quantity)
        return text if text_col == self.name_col and named else None


def _is_account_code(text: str) -> bool:
    """ "01.01", "08.04" alone in the name column: an account caption, though it reads as a
    number; no item is named with a bare dotted code."""
    stripped = text.strip()
    return "." in stripped and bool(_ACCOUNT_ALONE.fullmatch(stripped))


_NUMBER_STARTS = frozenset("0123456789-−(+.,$€₽ \u00a0\u202f")


def _numeric_text(text: str) -> bool:
    """Text that reads as a number ("1 234,56 руб."); a word is rejected by its first letter
    before the full parse, which would also fill values' cache with every item name."""
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in _NUMBER_STARTS and values.looks_like_number(text)
