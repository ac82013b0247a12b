"""Find the header of a table on a sheet and tell data rows from the print-layout furniture.

Shared by the register (layout.py, `book` synonyms) and the inventory (inventory.py,
`inventory` synonyms). Header cells are compared after `fold_header`: case, ё->е, spacing and
punctuation do not matter, "№" is kept as a word. A header may spread over two rows (a merged
"Стоимость" over "первоначальная" | "остаточная"): a column under a group is named by the
group and its own text together, or its own text alone, never by the group alone, so two
columns under "Стоимость" cannot both become the cost.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from reconciler.read.sheets import Cell, Grid
from reconciler.read.values import find_date, is_empty

# Every character str.strip() and str.split() take for whitespace (test_layout checks the list).
SPACE_CHARS = frozenset(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
HEADER_SCAN_ROWS = 40  # the header sits within the first rows (title rows above it)
MIN_FIELDS = 2  # a row naming fewer canonical fields is not a header
PREFIX_MIN_CHARS = 6  # a one-word synonym this short must match whole ("asset" != "asset class")

_NON_WORD = re.compile(r"[^\w№]+")
_NUMBER_SIGN = re.compile(r"\s*№\s*")
# Word boundaries inside camelCase: "AssetName", "IPAddress" (an acronym before a word),
# "ИнвНомер". Machine exports (Lansweeper, APIs, SQL columns) write headers this way.
_CAMEL = re.compile(r"(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])|(?<=[A-ZА-ЯЁ])(?=[A-ZА-ЯЁ][a-zа-яё]{2})")


def fold_header(text: str) -> str:
    """ "Инв. №" -> "инв №"; "ИНВ.№" -> "инв №"; "Acquis.val." -> "acquis val";
    "AssetName" -> "asset name"; "serial_number" -> "serial number"."""
    text = _CAMEL.sub(" ", text).lower().replace("ё", "е").replace("_", " ")
    text = _NUMBER_SIGN.sub(" № ", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


@dataclass(frozen=True)
class SynonymIndex:
    """Folded synonym -> (field, rank); rank is the synonym's place in its list (0 = best).

    A synonym listed under two fields ("type": GLPI's category, NetBox's model) belongs to
    the first; `also` keeps the others, for a column whose first field a better column took.
    """

    exact: dict[str, tuple[str, int]]
    expected: dict[str, list[str]]  # field -> synonyms as written, for messages
    also: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def match(self, text: str, *, beyond: int = 0) -> tuple[str, int, int] | None:
        """(field, quality, rank) for a folded header text: quality 2 exact, 1 prefix.

        A prefix must be longer than `beyond` words: under a group heading the group's own
        words alone ("стоимость" of "стоимость на начало") do not name the column.
        """
        found = self.matched_synonym(text, beyond=beyond)
        if found is None:
            return None
        key, quality = found
        name, rank = self.exact[key]
        return name, quality, rank

    def matched_synonym(self, text: str, *, beyond: int = 0) -> tuple[str, int] | None:
        """(the folded synonym that names `text`, quality 2 exact or 1 prefix), or None."""
        if not text:
            return None
        if text in self.exact:
            return text, 2
        tokens = text.split()
        for size in range(len(tokens) - 1, beyond, -1):  # the longest synonym that starts it
            head = " ".join(tokens[:size])
            if head in self.exact and (size > 1 or len(head) >= PREFIX_MIN_CHARS):
                return head, 1
        return None


def synonym_index(synonyms: dict[str, list[str]]) -> SynonymIndex:
    key = tuple((f, tuple(words)) for f, words in synonyms.items())
    return _index(key)


@lru_cache(maxsize=16)
def _index(synonyms: tuple[tuple[str, tuple[str, ...]], ...]) -> SynonymIndex:
    exact: dict[str, tuple[str, int]] = {}
    also: dict[str, list[tuple[str, int]]] = {}
    for name, words in synonyms:
        for rank, word in enumerate(words):
            folded = fold_header(word)
            first = exact.setdefault(folded, (name, rank))
            if first[0] != name:
                also.setdefault(folded, []).append((name, rank))
    return SynonymIndex(exact, {name: list(words) for name, words in synonyms}, also)


@dataclass
class Table:
    """Where a table sits on a sheet; all numbers 1-based as in Excel."""

    sheet: str
    header_row: int
    header_end_row: int  # the last header row, or the 1-2-3 numbering row under it
    columns: dict[str, int]  # canonical field -> column
    headers: dict[int, str]  # column -> header text as shown (two header rows joined)
    title: list[str] = field(default_factory=list)  # texts above the header, top down
    max_row: int = 0
    max_column: int = 0


@dataclass
class _Candidate:
    row: int  # 0-based
    rows: int  # 1 or 2 header rows
    names: dict[int, tuple[str, str]]  # 0-based column -> (group text, own text)
    columns: dict[str, int]  # field -> 0-based column


def _texts(grid: Grid, r: int) -> dict[int, str]:
    line = grid.cells[r] if r < len(grid.cells) else []
    found = {}
    for c, value in enumerate(line):
        if isinstance(value, str) and value.strip():
            found[c] = " ".join(value.split())
    return found


def _merge_origins(grid: Grid) -> dict[tuple[int, int], tuple[int, int]]:
    """Every covered cell of a merged range -> the range's top-left cell (header area only)."""
    origins: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, c0, r1, c1 in grid.merged or ():
        if r0 > HEADER_SCAN_ROWS + 2 or (r1 - r0 + 1) * (c1 - c0 + 1) > 2000:
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                origins[(r, c)] = (r0, c0)
    return origins


def assign_columns(names: dict[int, tuple[str, str]], index: SynonymIndex) -> dict[str, int]:
    """Each field to its best column.

    Best: an exact match before a prefix match, both header rows joined before the column's
    own text alone ("по данным учета количество" beats a bare "количество"), an earlier
    synonym, then the leftmost column. A column names at most one field. A column left over
    whose synonym also names another field takes that field if no column names it: NetBox's
    "Type" is the model beside "Role", GLPI's "Type" the category beside "Model".
    """
    best: dict[str, tuple[int, int, int, int]] = {}
    synonym_of: dict[int, str] = {}
    for col, (group, own) in names.items():
        group_words = len(fold_header(group).split()) if own else 0
        tries = [(0, f"{group} {own}"), (1, own)] if group and own else [(1, group or own)]
        found = None
        for specificity, text in tries:
            hit = index.matched_synonym(
                fold_header(text), beyond=group_words if specificity == 0 else 0
            )
            if hit:
                key, quality = hit
                name, rank = index.exact[key]
                score = (-quality, specificity, rank, col)
                if found is None or score < found[1]:
                    found = (name, score, key)
        if found is None:
            continue
        name, score, synonym_of[col] = found
        if name not in best or score < best[name]:
            best[name] = score
    assigned = {name: s[3] for name, s in best.items()}
    taken = set(assigned.values())
    for col, key in sorted(synonym_of.items()):
        if col in taken:
            continue
        for name, _rank in index.also.get(key, ()):
            if name not in assigned:
                assigned[name] = col
                taken.add(col)
                break
    return assigned


def _is_texty(grid: Grid, r: int) -> bool:
    """A second header row holds only words: no numbers or dates, and some text."""
    line = grid.cells[r] if r < len(grid.cells) else []
    has_text = False
    for value in line:
        if value == "" or value is None:
            continue
        if not isinstance(value, str):
            return False
        if _looks_numeric(value):
            return False
        has_text = True
    return has_text


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[\s\d.,()\-−\u00a0\u202f]+", text))


def _one_row(grid: Grid, r: int) -> dict[int, tuple[str, str]]:
    """Column names from row r alone. A heading merged across columns holds its text in its
    first cell only, so it names that column and leaves the others unnamed."""
    return {c: ("", text) for c, text in _texts(grid, r).items()}


def _two_rows(
    grid: Grid, r: int, origins: dict[tuple[int, int], tuple[int, int]]
) -> tuple[dict[int, tuple[str, str]], bool]:
    """Column names from rows r and r+1, and whether they look like groups over sub-headers.

    Grouped means: some heading spans several columns with sub-headings under it, and some
    other heading stands alone (merged down or blank below). A title merged across the whole
    table has no heading standing alone beside it, so it is never taken for a group.
    """
    top, below = _texts(grid, r), _texts(grid, r + 1)
    width = max([*top, *below], default=-1) + 1
    wide = {o for (rr, cc), o in origins.items() if rr == r and o[0] == r and cc != o[1]}
    names: dict[int, tuple[str, str]] = {}
    fill = ""  # forward-filled group text when the format cannot report merged cells
    grouped = standalone = False
    for c in range(width):
        own_top = top.get(c, "")
        origin = origins.get((r, c))
        spans = origin in wide
        under = below.get(c, "")
        below_origin = origins.get((r + 1, c))
        if below_origin is not None and below_origin[0] <= r:
            under = ""  # the top cell is merged down over this row: no sub-header here
        if origin is not None and origin != (r, c):
            if not under:
                continue  # a heading merged across columns names only its first column
            own_top = _texts(grid, origin[0]).get(origin[1], "")
        if grid.merged is None:
            if top.get(c):
                fill = top[c] if under else ""
                spans = bool(under) and not top.get(c + 1) and bool(below.get(c + 1))
            elif under and fill:
                own_top, spans = fill, True
            else:
                fill = ""
        grouped |= bool(spans and own_top and under)
        standalone |= bool(own_top and not under)
        if own_top or under:
            names[c] = (own_top, under) if under else ("", own_top)
    return names, grouped and standalone


def find_table(grid: Grid, index: SynonymIndex) -> Table | None:
    """The header row (one or two rows) that names the most canonical fields, or None."""
    origins = _merge_origins(grid)
    scan = min(len(grid.cells), HEADER_SCAN_ROWS)
    singles: dict[int, tuple[dict[int, tuple[str, str]], dict[str, int]]] = {}
    for r in range(scan + 1):
        names = _one_row(grid, r)
        singles[r] = (names, assign_columns(names, index))
    best: _Candidate | None = None
    for r in range(scan):
        names, columns = singles[r]
        candidate = _Candidate(r, 1, names, columns)
        if _is_texty(grid, r + 1):
            names2, grouped = _two_rows(grid, r, origins)
            columns2 = assign_columns(names2, index)
            below = len(singles[r + 1][1])
            if len(columns2) > max(len(columns), below) or (
                grouped and len(columns2) >= max(MIN_FIELDS, below)
            ):
                candidate = _Candidate(r, 2, names2, columns2)
        if len(candidate.columns) >= MIN_FIELDS and (
            best is None or len(candidate.columns) > len(best.columns)
        ):
            best = candidate
    if best is None:
        return None
    end = best.row + best.rows - 1
    if is_numbering_row(grid.cells[end + 1] if end + 1 < len(grid.cells) else []):
        end += 1
    headers = {c + 1: " ".join(part for part in names if part) for c, names in best.names.items()}
    title = [text for r in range(best.row) for text in _texts(grid, r).values()]
    return Table(
        sheet=grid.name,
        header_row=best.row + 1,
        header_end_row=end + 1,
        columns={name: c + 1 for name, c in best.columns.items()},
        headers=headers,
        title=title,
        max_row=grid.max_row,
        max_column=max(grid.max_column, max(headers, default=0)),
    )


def header_texts_found(grid: Grid, rows: int = 12) -> list[str]:
    """Texts of the first rows, for the message when no header is recognised."""
    seen: list[str] = []
    for r in range(min(rows, len(grid.cells))):
        for text in _texts(grid, r).values():
            if text not in seen and not _looks_numeric(text):
                seen.append(text)
    return seen


def is_numbering_row(line: list[Cell]) -> bool:
    """1C prints a row of column numbers (1, 2, 3 ...) under its header."""
    numbers = []
    for value in line:
        if value == "" or value is None:
            continue
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)) and float(value).is_integer():
            numbers.append(int(value))
        elif isinstance(value, str) and value.strip().isdigit():
            numbers.append(int(value.strip()))
        else:
            return False
    if len(numbers) < 2:
        return False
    return numbers[0] <= 2 and all(b == a + 1 for a, b in itertools.pairwise(numbers))


# --- data rows ---------------------------------------------------------------------------


@dataclass
class DataRow:
    row: int  # Excel row number
    cells: list[Cell]  # the whole line, 0-based by column
    first_text: str  # the leftmost text in the row: "Итого", a group caption, a name


def data_rows(grid: Grid, table: Table) -> Iterator[DataRow]:
    """Every row under the header that is not blank, a repeated header or a numbering row.

    Totals and group rows (a single caption over the items that follow) are told apart by the
    caller, which knows which fields identify an item.
    """
    # Texts of the header as printed, per column: a page-break repeat shows them again.
    header_cells: dict[int, set[str]] = {c - 1: {t} for c, t in table.headers.items()}
    for r in range(table.header_row - 1, table.header_end_row):
        for c, text in _texts(grid, r).items():
            header_cells.setdefault(c, set()).add(text)
    # A cell can repeat its header only when it starts with a header text's first letter: the
    # whitespace folding below runs for those few, not for every text cell of every row.
    firsts = {c: frozenset(t[0] for t in texts) for c, texts in header_cells.items()}
    for r in range(table.header_end_row, len(grid.cells)):
        line = grid.cells[r]
        first_text = ""
        values = repeats = 0
        for c, value in enumerate(line):
            if isinstance(value, str):
                if not value:
                    continue
                if value[0] in SPACE_CHARS or value[-1] in SPACE_CHARS:
                    text = value.strip()
                    if not text:
                        continue
                else:
                    text = value  # stripped already: no call needed
                if not first_text:
                    first_text = text
                starts = firsts.get(c)
                if (
                    starts is not None
                    and text[0] in starts
                    and " ".join(text.split()) in header_cells[c]
                ):
                    repeats += 1
            elif value is None:
                continue
            values += 1
        if not values:
            continue
        if repeats >= max(2, (values + 1) // 2):
            continue  # the header printed again at a page break
        if is_numbering_row(line):
            continue
        yield DataRow(r + 1, line, first_text)


def is_total_text(text: str, total_markers: list[str]) -> bool:
    """ "Итого", "Всего по счету 01", "Grand total": a total row's caption."""
    if not text:
        return False
    markers, starts = _folded_markers(tuple(total_markers))
    if text[:1].lower() not in starts:
        return False  # most rows: no folding needed
    folded = fold_header(text)
    return any(folded == m or folded.startswith(m + " ") for m in markers)


def is_total_row(data: DataRow, key_cols: list[int], total_markers: list[str]) -> bool:
    """A total row: its caption is a total marker and no key column (0-based `key_cols`) holds
    an identifier of its own. "Итого" names no item; "Total Station" with an inventory number
    is an item."""
    if not is_total_text(data.first_text, total_markers):
        return False
    line = data.cells
    return not any(
        c < len(line) and not is_empty(line[c]) and str(line[c]).strip() != data.first_text
        for c in key_cols
    )


@lru_cache(maxsize=8)
def _folded_markers(markers: tuple[str, ...]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The folded markers, and their first letters to turn most rows away without folding."""
    folded = tuple(m for m in map(fold_header, markers) if m)
    return folded, frozenset(m[:1] for m in folded)


_AS_OF = re.compile(r"(по состоянию на|состоянию на|as of|as at|\bна\b|\bon\b)", re.IGNORECASE)
_PERIOD_END = re.compile(r"(\bпо\b|\bto\b|\bdo\b|\bдо\b|[-–—])\s*", re.IGNORECASE)


def title_date(title: list[str]) -> date | None:
    """The report date in a title: "Ведомость ОС на 30.09.2026", "за период с .. по 30.09.2026"."""
    for text in title:
        for m in _AS_OF.finditer(text):
            found = find_date(text[m.end() :])
            if found:
                return found
    for text in title:
        if re.search(r"(период|period|\bс\b|\bfrom\b)", text, re.IGNORECASE):
            ends = [find_date(text[m.end() :]) for m in _PERIOD_END.finditer(text)]
            dated = [d for d in ends if d]
            if dated:
                return dated[-1]
    return None


__all__ = [
    "DataRow",
    "SynonymIndex",
    "Table",
    "assign_columns",
    "data_rows",
    "find_table",
    "fold_header",
    "header_texts_found",
    "is_numbering_row",
    "is_total_row",
    "is_total_text",
    "synonym_index",
    "title_date",
]
