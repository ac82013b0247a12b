"""One register sheet's XML, read once, with our cells added to its rows.

The rows we do not touch are copied as byte ranges; a row we extend keeps every cell and
attribute it had, gains our cells after its last one (cells stay in column order), and grows
taller when our wrapped text needs it. Before <sheetData> the dimension, the frozen header and
our column widths are set; after it, the autofilter, the header merges and the legacy drawing
of our comments. Nothing here ever writes a formula: text is an inline string, always
(PITFALLS.md, formula injection).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, compress, repeat
from operator import add, getitem, is_not, not_, sub
from typing import Any, cast

from reconciler.outputs import print_setup
from reconciler.outputs.xml_parts import (
    append_children,
    element_span,
    find_start,
    following,
    get_attr,
    insert_before_first,
    root_prefix,
    text,
)
from reconciler.outputs.zip_members import WRITE_BYTES

LINE_HEIGHT = 15.0


@dataclass
class AddedRow:
    # Our cells' XML, one cell per added column from the first, each starting `<c r="`
    # (cell_templates.row_cells, or cells_row): text in them is escaped, so that mark only
    # ever starts a cell.
    xml: bytes
    lines: int = 1  # lines of wrapped text: the row is made at least this tall

    def cells(self) -> list[bytes]:
        return [_CELL_START + piece for piece in self.xml.split(_CELL_START)[1:]]


_CELL_START = b'<c r="'


@dataclass
class SheetEdit:
    first: int  # first added column, 1-based
    widths: list[float]
    # Excel row -> what we add to it; a mapping with `take(r)` and `take_many(rows)`
    # (register_columns.PlannedRows) is asked through them, once a row, so it can let go of
    # what was taken, and may give a row of one line as its cells' bytes alone
    rows: Mapping[int, AddedRow]
    merges: list[str] = field(default_factory=list)
    autofilter: str | None = None  # None: keep the sheet's own (or none)
    freeze_below: int | None = None  # freeze the rows above this one
    legacy_drawing_rid: str | None = None
    date1904: bool = False
    freeze_right_of: int = 0  # also freeze the columns up to this one (the name column)
    outline: list[int] = field(default_factory=list)  # per added column: its outline level
    hidden: list[bool] = field(default_factory=list)  # per added column: folded away
    print_layout: bool = False  # landscape, one page wide (print_setup)

    @property
    def last(self) -> int:
        return self.first + len(self.widths) - 1


def column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_REF = re.compile(r"([A-Z]+)(\d+)")
_LETTERS_THEN_DIGIT = re.compile(rb"([A-Z]+)\d")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


def cell_xml(ref: str, value: Any, style: int, date1904: bool) -> str:
    """One cell: text as an inline string (never a formula), numbers, dates as serials."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, str):
        return (
            f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text(value)}</t></is></c>'
        )
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime | date):
        moment = (
            value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        )
        delta = moment - (_EPOCH_1904 if date1904 else _EPOCH)
        serial = delta.days + delta.seconds / 86400
        return (
            f'<c r="{ref}"{s}><v>{serial:g}</v></c>'
            if delta.seconds
            else (f'<c r="{ref}"{s}><v>{delta.days}</v></c>')
        )
    return f'<c r="{ref}"{s}><v>{value!r}</v></c>'


def cells_row(row: int, cells: list[tuple[Any, int]], first: int, date1904: bool) -> AddedRow:
    """An AddedRow of (stored value, style index) cells from column `first` (the few rows
    not built from templates: our header)."""
    xml = "".join(
        cell_xml(f"{column_letter(first + i)}{row}", value, style, date1904)
        for i, (value, style) in enumerate(cells)
    )
    return AddedRow(xml.encode())


class _Cells:
    """The cells of one row's inner XML: (column, start, end, has a value) each."""

    def __init__(self, inner: bytes, prefix: bytes) -> None:
        self.items: list[tuple[int, int, int, bool]] = []
        opener = b"<" + prefix + b"c"
        close = b"</" + prefix + b"c>"
        pos, col = 0, 0
        while True:
            i = inner.find(opener, pos)
            if i < 0:
                break
            after = inner[i + len(opener) : i + len(opener) + 1]
            if after not in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
                pos = i + 1
                continue
            tag_end = inner.index(b">", i) + 1
            tag = inner[i:tag_end]
            if tag.endswith(b"/>"):
                end, valued = tag_end, False
            else:
                end = inner.index(close, tag_end) + len(close)
                body = inner[tag_end:end]
                valued = any(m in body for m in (b"<" + prefix + t for t in (b"v", b"f", b"is")))
            ref = get_attr(tag, "r")
            m = _REF.match(ref or "")
            col = column_number(m.group(1)) if m else col + 1
            self.items.append((col, i, end, valued))
            pos = end


def _last_cell_column(xml: bytes, start: int, end: int, prefix: bytes) -> int | None:
    """The column of the last cell of the row whose cells are xml[start:end], when its
    reference says it (None: look closer)."""
    opener = b"<" + prefix + b"c"
    i = xml.rfind(opener, start, end)
    if i >= 0 and xml.startswith(b' r="', i + len(opener)):  # as Excel writes it
        letters = _LETTERS_THEN_DIGIT.match(xml, i + len(opener) + 4, end)
        if letters is not None:
            found = letters.group(1)
            number = _COLUMNS.get(found)
            if number is None:
                number = _COLUMNS[found] = column_number(found.decode())
            return number
    inner = xml[start:end]
    i = len(inner)
    while True:
        i = inner.rfind(opener, 0, i)
        if i < 0:
            return 0
        after = inner[i + len(opener) : i + len(opener) + 1]
        if after in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            break
    ref = get_attr(inner[i : inner.index(b">", i) + 1], "r")
    m = _REF.match(ref or "")
    return column_number(m.group(1)) if m else None


_COLUMNS: dict[bytes, int] = {}  # a cell reference's letters -> its column
_ONE_LINE = AddedRow(b"")


def _left_of(first: int, opener: bytes) -> re.Pattern[bytes] | None:
    """A pattern matching, where a row's last cell starts, a cell whose reference (its first
    attribute) is in a column left of `first`; None when there are too many to list."""
    if not 1 < first <= _LISTED_COLUMNS:
        return None
    letters = sorted((column_letter(c).encode() for c in range(1, first)), key=len, reverse=True)
    return re.compile(re.escape(opener) + rb' r="(?:' + b"|".join(letters) + rb")\d")


_LISTED_COLUMNS = 702  # ZZ


def _row_tag(tag: bytes, added: AddedRow, last: int) -> bytes:
    """The row's start tag with its span reaching our last column and its height grown."""
    if b"spans" not in tag:
        return _grown(tag, added)
    at = tag.find(b' spans="')
    if at >= 0 and tag.count(b"spans") == 1:  # as Excel writes it: `spans="1:11"`
        end = tag.index(b'"', at + 8)
        low, colon, high = tag[at + 8 : end].partition(b":")
        if colon and low.isdigit() and high.isdigit():
            tag = tag[:at] + b' spans="%s:%d"' % (low, max(int(high), last)) + tag[end + 1 :]
            return _grown(tag, added)
    spans = get_attr(tag, "spans")
    if spans is not None:
        m = re.fullmatch(r"(\d+):(\d+)", spans)
        new = f"{m.group(1)}:{max(int(m.group(2)), last)}" if m else None
        tag = re.sub(rb'\sspans="[^"]*"', b"" if new is None else f' spans="{new}"'.encode(), tag)
    return _grown(tag, added)


def _grown(tag: bytes, added: AddedRow) -> bytes:
    """The row's start tag at least as tall as our wrapped lines need."""
    if added.lines > 1:
        current = float(get_attr(tag, "ht") or LINE_HEIGHT)
        height = max(current, added.lines * LINE_HEIGHT)
        if height != current or get_attr(tag, "customHeight") not in ("1", "true"):
            tag = re.sub(rb'\s(ht|customHeight)="[^"]*"', b"", tag)
            end = -2 if tag.endswith(b"/>") else -1
            tag = tag[:end].rstrip() + f' ht="{height:g}" customHeight="1"'.encode() + tag[end:]
    return tag


def _extend_row(
    out: list[bytes | memoryview],
    xml: bytes,
    view: memoryview,
    tag: bytes,
    start: int,
    end: int,
    added: AddedRow,
    edit: SheetEdit,
    prefix: bytes,
) -> int:
    """Row `tag` (its cells at xml[start:end], `view` of xml) with our cells, appended to
    `out` as pieces; their length."""
    tag = _row_tag(tag, added, edit.last)
    open_tag = tag[:-2].rstrip() + b">" if tag.endswith(b"/>") else tag
    close = b"</" + prefix + b"row>"
    inner = view[start:end]
    last = _last_cell_column(xml, start, end, prefix)
    if last is not None and last < edit.first:
        out += (open_tag, inner, added.xml, close)
        return len(open_tag) + end - start + len(added.xml) + len(close)
    # A cell at or right of our first column: a formatted empty one gives way to ours, one
    # with a value is kept and ours is left out there (never overwrite the accountant's).
    cells = _Cells(bytes(inner), prefix)
    kept: list[tuple[int, bytes]] = []
    skip: set[int] = set()
    for col, s, e, valued in cells.items:
        if edit.first <= col <= edit.last:
            if not valued:
                continue
            skip.add(col)
        kept.append((col, bytes(inner[s:e])))
    ours_by_col = {
        edit.first + i: cell for i, cell in enumerate(added.cells()) if edit.first + i not in skip
    }
    merged = sorted([*kept, *ours_by_col.items()], key=lambda item: item[0])
    joined = b"".join(piece for _c, piece in merged)
    out += (open_tag, joined, close)
    return len(open_tag) + len(joined) + len(close)


_ROW_START = re.compile(rb"<(\w+:)?row(?=[\s/>])[^>]*>")
_SLASH = ord("/")


def extend_sheet(xml: bytes, edit: SheetEdit) -> Iterator[bytes]:
    """The sheet's XML with `edit` applied, in pieces."""
    prefix = root_prefix(xml)
    p = prefix.decode()
    data = find_start(xml, prefix, "sheetData")
    if data is None:
        yield xml
        return
    targets = sorted(edit.rows)
    last_row = targets[-1] if targets else 1
    take = getattr(edit.rows, "take", edit.rows.__getitem__)
    take_many = getattr(edit.rows, "take_many", None) or (lambda rows: list(map(take, rows)))
    head = _edit_head(xml[: data.start()], prefix, edit, last_row)
    yield head
    if data.group().endswith(b"/>"):
        body_start = body_end = data.end()
        opening = data.group()[:-2].rstrip() + b">"
        tail = f"</{p}sheetData>".encode() + xml[data.end() :]
    else:
        body_start = data.end()
        body_end = xml.index(f"</{p}sheetData>".encode(), body_start)
        opening = data.group()
        tail = xml[body_end:]
    yield opening
    pending = 0  # index into targets of the next row we add to
    copied = body_start
    implicit = 0
    close = f"</{p}row>".encode()
    # A row's start tag; its number when it comes first, as Excel writes it (`<row r="7" ...`).
    row_pattern = re.compile(rb"<" + re.escape(prefix) + rb'row(?=[\s/>])(?: r="(\d+)")?[^>]*>')
    # The sheet's bytes are viewed, not copied, and given out joined as the package writer
    # would write them (a little over WRITE_BYTES at a time, at the end of a row): each byte
    # of a row is copied once, and the deflater sees the same writes as row by row.
    view = memoryview(xml)
    out: list[bytes | memoryview] = []
    size = 0
    for piece in (head, opening):  # given out already: counted as the writer counts them
        size += len(piece)
        size = 0 if size > WRITE_BYTES else size
    # A row's tag after its number (its spans, height, style), as ours: the same for most rows,
    # made once (_row_tag); the rows of one line of our text only (a kit's grows taller).
    rests: dict[bytes, bytes] = {}
    first, last_ours, count = edit.first, edit.last, len(targets)
    pos = body_start
    # A row's last cell in a column left of ours, as Excel writes it (`<c r="K7"`): the usual
    # row, its cells kept as they are; any other is read closer (_last_cell_column).
    opener = b"<" + prefix + b"c"
    left_of_ours = _left_of(first, opener)
    marks = (b"<" + prefix + b'row r="', close, opener)
    wait = 0  # rows to read one at a time before trying a run again
    while pending < count:
        if wait <= 0 and left_of_ours is not None:
            if copied < pos:  # rows we do not add to, as they were
                out.append(view[copied:pos])
                size += pos - copied
                copied = pos
            joined, done, read = _usual_run(
                xml,
                pos,
                body_end,
                targets,
                pending,
                take_many,
                marks,
                left_of_ours,
                rests,
                last_ours,
            )
            if done:
                out.append(joined)
                size += len(joined)
                pending += done
                pos = copied = pos + read
                implicit = targets[pending - 1]
                if size > WRITE_BYTES:  # the run alone, as it is: not copied again
                    yield joined if len(out) == 1 else b"".join(out)
                    out, size = [], 0
                continue
            wait = _RUN_WAIT
        wait -= 1
        m = row_pattern.search(xml, pos, body_end)
        if m is None:
            break
        number = m.group(1)
        if number is not None:
            r = int(number)
        else:
            r_attr = get_attr(m.group(), "r")
            r = int(r_attr) if r_attr else implicit + 1
        implicit = r
        start, tag_end = m.span()
        if xml[tag_end - 2] == _SLASH:  # `<row .../>`: no cells
            end_inner = end = tag_end
        else:
            end_inner = xml.index(close, tag_end)
            end = end_inner + len(close)
        pos = end
        if targets[pending] > r:
            continue
        if copied < start:
            out.append(view[copied:start])
            size += start - copied
            if size > WRITE_BYTES:
                yield b"".join(out)
                out, size = [], 0
        while pending < count and targets[pending] < r:
            t = targets[pending]
            row = _new_row(take(t), t, edit, p)
            out.append(row)
            size += len(row)
            if size > WRITE_BYTES:
                yield b"".join(out)
                out, size = [], 0
            pending += 1
        if pending < count and targets[pending] == r:
            added = take(r)
            pending += 1
            if type(added) is bytes:  # a row of one line (PlannedRows.take)
                cells, added = added, None
            elif added.lines == 1:
                cells, added = added.xml, None
            usual = False
            if number is not None and added is None and end_inner > tag_end:
                at = xml.rfind(opener, tag_end, end_inner)
                if left_of_ours is not None and at >= 0:
                    usual = left_of_ours.match(xml, at) is not None
                if not usual:
                    last = _last_cell_column(xml, tag_end, end_inner, prefix)
                    usual = last is not None and last < first
            if usual:  # the usual row: our cells after theirs
                at = m.end(1) + 1  # after the number's closing quote
                rest = xml[at:tag_end]
                ours = rests.get(rest)
                if ours is None:
                    ours = rests[rest] = _row_tag(xml[start:tag_end], _ONE_LINE, last_ours)[
                        at - start :
                    ]
                out += (view[start:at], ours, view[tag_end:end_inner], cells, close)
                size += at - start + len(ours) + end_inner - tag_end + len(cells) + len(close)
            else:
                size += _extend_row(
                    out,
                    xml,
                    view,
                    m.group(),
                    tag_end,
                    end_inner,
                    AddedRow(cells) if added is None else added,
                    edit,
                    prefix,
                )
        else:
            out.append(view[start:end])
            size += end - start
        copied = end
        if size > WRITE_BYTES:
            yield b"".join(out)
            out, size = [], 0
    out.append(view[copied:body_end])
    size += body_end - copied
    for t in targets[pending:]:
        if size > WRITE_BYTES:
            yield b"".join(out)
            out, size = [], 0
        row = _new_row(take(t), t, edit, p)
        out.append(row)
        size += len(row)
    yield b"".join(out)
    yield _edit_tail(tail, prefix, edit)


# A run of usual rows is read this much of the sheet at a time; where none starts, the next
# _RUN_WAIT rows are read one at a time (a row of its own kind costs a run's read, no more).
RUN_BYTES = 1 << 19
_RUN_WAIT = 64


def _usual_run(
    xml: bytes,
    pos: int,
    end: int,
    targets: list[int],
    pending: int,
    take_many: Callable[[list[int]], list[Any]],
    marks: tuple[bytes, bytes, bytes],
    left_of_ours: re.Pattern[bytes],
    rests: dict[bytes, bytes],
    last: int,
) -> tuple[bytes, int, int]:
    """The next rows of xml[pos:end] while they are the usual ones, made a run at a time by
    C-level maps rather than a row at a time (at 100k rows the row loop's time in half): each
    the next of `targets` from `pending`, written as Excel writes it (`<row r="N" ...>`, its
    cells, `</row>`), its last cell left of our first column (`left_of_ours`). `marks`: what
    starts a row up to its number, what ends a row, what starts a cell; `rests`: our row tags
    after their numbers, by theirs (made here when new). Returns their XML with our cells, how
    many rows, how many bytes of `xml` they were."""
    head, close, opener = marks
    pieces = xml[pos : min(pos + RUN_BYTES, end)].split(close)
    pieces.pop()  # what follows the last whole row
    numbers = targets[pending : pending + len(pieces)]
    del pieces[len(numbers) :]
    heads = list(map(head.__add__, map(b'%d"'.__mod__, numbers)))
    # The run ends before the first row that is not one of the usual.
    n = _first_false(list(map(bytes.startswith, pieces, heads)))
    tag_ends = list(map(bytes.find, pieces[:n], repeat(b">")))
    slashes = map(getitem, pieces, map(sub, tag_ends, repeat(1)))  # `<row .../>`: no cells
    n = _first_false(list(map(_SLASH.__ne__, slashes)))
    lasts = map(bytes.rfind, pieces[:n], repeat(opener))  # -1 (no cell) matches nothing
    n = _first_false(list(map(is_not, map(left_of_ours.match, pieces[:n], lasts), repeat(None))))
    if not n:
        return b"", 0, 0
    del pieces[n:], heads[n:], tag_ends[n:]
    after_tags = list(map(add, tag_ends, repeat(1)))
    tag_rests: list[bytes] = list(map(_CUT, pieces, map(slice, map(len, heads), after_tags)))
    for rest in set(tag_rests).difference(rests):
        at = tag_rests.index(rest)
        rests[rest] = _row_tag(heads[at] + rest, _ONE_LINE, last)[len(heads[at]) :]
    ours = list(map(rests.__getitem__, tag_rests))
    cells = take_many(numbers[:n])  # a row of one line as bytes (PlannedRows.take_many)
    for j in compress(range(n), map(not_, map(isinstance, cells, repeat(bytes)))):
        added = cells[j]
        cells[j] = added.xml
        if added.lines > 1:  # a kit's row: as tall as its lines
            ours[j] = _row_tag(heads[j] + tag_rests[j], added, last)[len(heads[j]) :]
    inners: Iterator[bytes] = map(_CUT, pieces, map(slice, after_tags, repeat(None)))
    rows = zip(heads, ours, inners, cells, repeat(close), strict=False)
    read = sum(map(len, pieces)) + n * len(close)
    return b"".join(chain.from_iterable(rows)), n, read


_CUT = cast("Callable[[bytes, slice], bytes]", getitem)  # a piece of bytes, by a slice


def _first_false(flags: list[bool]) -> int:
    return flags.index(False) if False in flags else len(flags)


def _new_row(added: AddedRow | bytes, r: int, edit: SheetEdit, p: str) -> bytes:
    if isinstance(added, bytes):
        added = AddedRow(added)
    tag = _row_tag(f'<{p}row r="{r}">'.encode(), added, edit.last)
    return tag + added.xml + f"</{p}row>".encode()


def _edit_head(head: bytes, prefix: bytes, edit: SheetEdit, last_row: int) -> bytes:
    p = prefix.decode()
    dim = find_start(head, prefix, "dimension")
    if dim is not None:
        ref = get_attr(dim.group(), "ref") or "A1"
        cells = [_REF.match(x) for x in ref.split(":")]
        if all(cells):
            c1, r1 = column_number(cells[0].group(1)), int(cells[0].group(2))  # type: ignore[union-attr]
            c2, r2 = column_number(cells[-1].group(1)), int(cells[-1].group(2))  # type: ignore[union-attr]
            new = f"{column_letter(min(c1, edit.first))}{r1}:{column_letter(max(c2, edit.last))}{max(r2, last_row)}"
            head = head[: dim.start()] + f'<{p}dimension ref="{new}"/>'.encode() + head[dim.end() :]
    if edit.print_layout:
        head = print_setup.head(head, prefix, outline_levels=max(edit.outline, default=0))
    if edit.freeze_below is not None and find_start(head, prefix, "pane") is None:
        x = edit.freeze_right_of
        # Frozen right of the name column too: scrolling to our columns keeps Инв. № and
        # Наименование in view.
        x_split = f'xSplit="{x}" ' if x else ""
        pane = (
            f'<{p}pane {x_split}ySplit="{edit.freeze_below - 1}" '
            f'topLeftCell="{column_letter(x + 1)}{edit.freeze_below}" '
            f'activePane="{"bottomRight" if x else "bottomLeft"}" state="frozen"/>'
        ).encode()
        view = find_start(head, prefix, "sheetView")
        if view is not None:
            tag = view.group()
            if tag.endswith(b"/>"):
                tag = tag[:-2].rstrip() + b">" + pane + f"</{p}sheetView>".encode()
            else:
                tag += pane
            head = head[: view.start()] + tag + head[view.end() :]
        elif find_start(head, prefix, "sheetViews") is None:
            piece = (
                f'<{p}sheetViews><{p}sheetView workbookViewId="0">'.encode()
                + pane
                + (f"</{p}sheetView></{p}sheetViews>".encode())
            )
            head = _insert_in_head(head, prefix, ("sheetFormatPr", "cols"), piece)
    return _edit_cols(head, prefix, edit)


def _insert_in_head(head: bytes, prefix: bytes, before: tuple[str, ...], piece: bytes) -> bytes:
    at = len(head)
    for tag in before:
        m = find_start(head, prefix, tag)
        if m is not None:
            at = min(at, m.start())
    return head[:at] + piece + head[at:]


def _edit_cols(head: bytes, prefix: bytes, edit: SheetEdit) -> bytes:
    """Our widths in <cols>; a range of theirs that covers our columns is cut around them."""
    p = prefix.decode()
    ours = [
        (c, f'<{p}col min="{c}" max="{c}" width="{w:g}" customWidth="1"{_fold(edit, i)}/>'.encode())
        for i, (c, w) in enumerate(zip(range(edit.first, edit.last + 1), edit.widths, strict=True))
    ]
    span = element_span(head, prefix, "cols")
    if span is None:
        piece = f"<{p}cols>".encode() + b"".join(x for _c, x in ours) + f"</{p}cols>".encode()
        return _insert_in_head(head, prefix, (), piece)
    s, e = span
    block = head[s:e]
    entries: list[tuple[int, bytes]] = []
    for m in re.finditer(rb"<" + re.escape(prefix) + rb"col(?=[\s/>])[^>]*>", block):
        tag = m.group()
        lo, hi = int(get_attr(tag, "min") or 0), int(get_attr(tag, "max") or 0)
        if hi < edit.first or lo > edit.last:
            entries.append((lo, tag))
            continue
        if lo < edit.first:
            entries.append((lo, _with_range(tag, lo, edit.first - 1)))
        if hi > edit.last:
            entries.append((edit.last + 1, _with_range(tag, edit.last + 1, hi)))
    entries += ours
    entries.sort(key=lambda item: item[0])
    inner = b"".join(x for _c, x in entries)
    return head[:s] + f"<{p}cols>".encode() + inner + f"</{p}cols>".encode() + head[e:]


def _fold(edit: SheetEdit, i: int) -> str:
    """The outline attributes of our i-th column: grouped (level 1), or folded away (hidden)."""
    level = edit.outline[i] if i < len(edit.outline) else 0
    hidden = ' hidden="1"' if i < len(edit.hidden) and edit.hidden[i] else ""
    return (f' outlineLevel="{level}"' if level else "") + hidden


def _with_range(tag: bytes, lo: int, hi: int) -> bytes:
    tag = re.sub(rb'\smin="\d+"', f' min="{lo}"'.encode(), tag)
    return re.sub(rb'\smax="\d+"', f' max="{hi}"'.encode(), tag)


def _edit_tail(tail: bytes, prefix: bytes, edit: SheetEdit) -> bytes:
    p = prefix.decode()
    if edit.print_layout:
        tail = print_setup.tail(tail, prefix)
    if edit.autofilter and find_start(tail, prefix, "autoFilter") is None:
        tail = insert_before_first(
            tail,
            prefix,
            following("autoFilter"),
            f'<{p}autoFilter ref="{edit.autofilter}"/>'.encode(),
            closing="worksheet",
        )
    if edit.merges:
        span = element_span(tail, prefix, "mergeCells")
        existing = 0
        if span is not None:
            existing = len(
                re.findall(
                    rb"<" + re.escape(prefix) + rb"mergeCell(?=[\s/>])", tail[span[0] : span[1]]
                )
            )
        pieces = b"".join(f'<{p}mergeCell ref="{ref}"/>'.encode() for ref in edit.merges)
        tail = append_children(
            tail,
            prefix,
            "mergeCells",
            pieces,
            existing + len(edit.merges),
            create_before=following("mergeCells"),
            closing="worksheet",
        )
    if edit.legacy_drawing_rid is not None:
        tail = insert_before_first(
            tail,
            prefix,
            following("legacyDrawing"),
            f'<{p}legacyDrawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships" r:id="{edit.legacy_drawing_rid}"/>'.encode(),
            closing="worksheet",
        )
    return tail


def styled_cells(xml: bytes, rows: range) -> dict[int, list[tuple[int, int, bool]]]:
    """(column, style index, has a value) of each cell in `rows` (found from the top of
    sheetData: used for the few header rows)."""
    prefix = root_prefix(xml)
    data = find_start(xml, prefix, "sheetData")
    out: dict[int, list[tuple[int, int, bool]]] = {}
    if data is None or data.group().endswith(b"/>"):
        return out
    close = b"</" + prefix + b"row>"
    pattern = re.compile(rb"<" + re.escape(prefix) + rb"row(?=[\s/>])[^>]*>")
    pos, implicit = data.end(), 0
    while True:
        m = pattern.search(xml, pos)
        if m is None:
            break
        r_attr = get_attr(m.group(), "r")
        r = int(r_attr) if r_attr else implicit + 1
        implicit = r
        if r > rows.stop - 1:
            break
        if m.group().endswith(b"/>"):
            pos = m.end()
            continue
        end = xml.index(close, m.end())
        pos = end + len(close)
        if r in rows:
            inner = xml[m.end() : end]
            cells = _Cells(inner, prefix)
            out[r] = [
                (col, int(get_attr(inner[s : inner.index(b">", s) + 1], "s") or 0), valued)
                for col, s, _e, valued in cells.items
            ]
    return out
