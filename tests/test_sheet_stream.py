"""The row tags and last cells of a register sheet as sheet_stream reads them: the quick
readings of what Excel writes (`<row r="7" spans="1:11">`, `<c r="K7" ...>`) give what the
general ones (any attribute order, spacing, prefix) gave before them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.outputs import sheet_stream
from reconciler.outputs.sheet_stream import AddedRow, SheetEdit, extend_sheet
from reconciler.outputs.xml_parts import get_attr


def _row_tag_before(tag: bytes, added: AddedRow, last: int) -> bytes:
    """sheet_stream._row_tag as it was: every attribute read by get_attr."""
    spans = get_attr(tag, "spans")
    if spans is not None:
        m = re.fullmatch(r"(\d+):(\d+)", spans)
        new = f"{m.group(1)}:{max(int(m.group(2)), last)}" if m else None
        tag = re.sub(rb'\sspans="[^"]*"', b"" if new is None else f' spans="{new}"'.encode(), tag)
    if added.lines > 1:
        current = float(get_attr(tag, "ht") or 15.0)
        height = max(current, added.lines * 15.0)
        if height != current or get_attr(tag, "customHeight") not in ("1", "true"):
            tag = re.sub(rb'\s(ht|customHeight)="[^"]*"', b"", tag)
            end = -2 if tag.endswith(b"/>") else -1
            tag = tag[:end].rstrip() + f' ht="{height:g}" customHeight="1"'.encode() + tag[end:]
    return tag


TAGS = [
    b'<row r="7">',
    b'<row r="7" spans="1:11">',
    b'<row r="7" spans="1:30" ht="20" customHeight="1">',
    b'<row r="7" spans ="1:3">',
    b'<row spans="2:3" r="7">',
    b'<row r="7"\tspans="1:3">',
    b'<row r="7" spans="x">',
    b'<row r="7" spans="1:3 ">',
    b'<row r="7" spans="01:3" x14ac:dyDescent="0.25"/>',
    b'<x:row r="7" spans="1:3">',
]


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("lines", [1, 3])
def test_a_row_tag_is_read_as_the_general_reading_read_it(tag: bytes, lines: int) -> None:
    added = AddedRow(b"", lines=lines)
    assert sheet_stream._row_tag(tag, added, 13) == _row_tag_before(tag, added, 13)


@pytest.mark.parametrize(
    ("inner", "column"),
    [
        (b'<c r="A7" s="1"><v>1</v></c><c r="K7" t="s"><v>2</v></c>', 11),
        (b'<c r="A7"/><c s="3" r="AB7"/>', 28),
        (b'<c r="A7"/><c r="K"/>', None),  # no row number: not a reference
        (b'<c r="A7"/><c/>', None),
        (b"", 0),
        (b'<x:c r="C7"><x:v>1</x:v></x:c>', 3),
    ],
)
def test_the_last_cells_column_is_read_from_its_reference(inner: bytes, column: int) -> None:
    prefix = b"x:" if inner.startswith(b"<x:") else b""
    assert sheet_stream._last_cell_column(inner, 0, len(inner), prefix) == column
    # read within its row's bounds in the whole sheet's bytes
    around = b'<row r="6"><c r="ZZ6"/></row><row r="7">' + inner + b'</row><row r="8"><c r="Z8"/>'
    start = around.index(b'<row r="7">') + len(b'<row r="7">')
    assert sheet_stream._last_cell_column(around, start, start + len(inner), prefix) == column


def test_rows_as_excel_writes_them_get_our_cells_and_their_spans_reach_them() -> None:
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1" spans="1:2"><c r="A1"><v>1</v></c></row>'
        b'<row spans="1:2" r="2"><c r="B2"><v>2</v></c></row>'
        b'<row r="3" spans="1:2"><c r="A3"><v>3</v></c><c s="1" r="C3"/></row>'
        b"</sheetData></worksheet>"
    )
    edit = SheetEdit(
        first=3,
        widths=[10.0, 10.0],
        rows={r: AddedRow(f'<c r="C{r}"/><c r="D{r}"/>'.encode()) for r in (1, 2, 3)},
    )
    out = b"".join(extend_sheet(xml, edit))
    assert b'<row r="1" spans="1:4"><c r="A1"><v>1</v></c><c r="C1"/><c r="D1"/></row>' in out
    assert b'<row spans="1:4" r="2"><c r="B2"><v>2</v></c><c r="C2"/><c r="D2"/></row>' in out
    # their formatted empty C3 gives way to ours
    assert b'<row r="3" spans="1:4"><c r="A3"><v>3</v></c><c r="C3"/><c r="D3"/></row>' in out


def test_rows_sharing_their_attributes_each_keep_their_own_number_and_get_their_own_height() -> (
    None
):
    # extend_sheet makes a row tag's attributes after its number once for every row that has
    # them (a one-line row): each row, in any of the forms above, at any number, must still
    # read as its own tag read whole, and a kit's taller row as its own.
    forms = [t for t in TAGS if not t.startswith(b"<x:")]
    rows, expected = [], []
    edit_rows: dict[int, AddedRow] = {}
    for r, form in enumerate(forms * 3, start=2):
        tag = form.replace(b'r="7"', f'r="{r}"'.encode())
        lines = 2 if r % 5 == 0 else 1
        ours = f'<c r="C{r}"/><c r="D{r}"/>'.encode()
        edit_rows[r] = AddedRow(ours, lines=lines)
        cells = b"" if tag.endswith(b"/>") else f'<c r="A{r}"><v>{r}</v></c>'.encode()
        rows.append(tag + (cells + b"</row>" if cells else b""))
        made = _row_tag_before(tag, edit_rows[r], 4)
        opened = made[:-2].rstrip() + b">" if made.endswith(b"/>") else made
        expected.append(opened + cells + ours + b"</row>")
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"
    )
    edit = SheetEdit(first=3, widths=[10.0, 10.0], rows=edit_rows)
    out = b"".join(extend_sheet(xml, edit))
    body = out[out.index(b"<sheetData>") + len(b"<sheetData>") : out.index(b"</sheetData>")]
    assert body == b"".join(expected)


@pytest.mark.parametrize("first", [2, 14, 26, 27, 30, 53, 702])
def test_a_cell_left_of_our_first_column_is_told_from_one_at_or_right_of_it(first: int) -> None:
    left_of = sheet_stream._left_of(first, b"<c")
    assert left_of is not None
    for column in [*range(1, 60), *range(first - 3, first + 30), 702, 703, 16384]:
        if column < 1:
            continue
        ref = sheet_stream.column_letter(column).encode()
        cell = b'<c r="' + ref + b'12" s="3"><v>1</v></c>'
        assert (left_of.match(cell) is not None) == (column < first), (first, column)
    # Only a cell as Excel writes it, its reference first: any other is read closer.
    assert left_of.match(b'<c s="3" r="A12"/>') is None
    assert left_of.match(b'<c r="A"/>') is None


def test_no_pattern_is_made_when_no_column_is_left_of_ours_or_too_many_are() -> None:
    assert sheet_stream._left_of(1, b"<c") is None
    assert sheet_stream._left_of(703, b"<c") is None


# Rows as a register sheet may hold them: the usual (as Excel writes them), and every other
# form the row-at-a-time reading handles (whitespace between rows, no cells, its number not
# first or absent, a cell at or right of our first column, a row we add nothing to).
ROW_FORMS = [
    b'<row r="{r}" spans="1:2"><c r="A{r}"><v>{r}</v></c><c r="B{r}" s="1"/></row>',
    b'<row r="{r}" spans="1:2" ht="20" customHeight="1"><c r="B{r}" t="s"><v>0</v></c></row>',
    b'\n<row r="{r}"><c r="A{r}"><v>1</v></c></row>',
    b'<row r="{r}"/>',
    b'<row r="{r}"></row>',
    b'<row spans="1:3" r="{r}"><c r="A{r}"><v>2</v></c></row>',
    b'<row r="{r}"><c r="A{r}"><v>3</v></c><c r="C{r}" s="2"/></row>',
    b'<row r="{r}"><c r="A{r}"><v>4</v></c><c r="D{r}"><v>5</v></c></row>',
    b'<row r="{r}"><c><v>6</v></c></row>',
]


class _TakenOnce(dict[int, AddedRow]):
    """Rows as register_columns.PlannedRows gives them: once each, one line as bytes."""

    def take(self, r: int) -> bytes | AddedRow:
        added = self.pop(r)
        return added.xml if added.lines == 1 else added


@given(
    st.lists(
        st.tuples(st.integers(0, len(ROW_FORMS) - 1), st.integers(0, 9), st.integers(1, 3)),
        min_size=1,
        max_size=60,
    ),
    st.sampled_from([1, 40, 200, 1 << 19]),
    st.sampled_from([0, 1, 3]),
    st.booleans(),
)
def test_rows_read_a_run_at_a_time_are_the_rows_read_one_at_a_time(
    rows: list[tuple[int, int, int]], run_bytes: int, wait: int, taken_once: bool
) -> None:
    # Each row: its form, whether we add to it (not when 0), its lines; a few rows we add
    # that the sheet does not have. The runs must give the same sheet, byte for byte, as
    # the rows read one at a time, wherever a run starts and stops.
    xml_rows, ours = [], {}
    for r, (form, added, lines) in enumerate(rows, start=1):
        xml_rows.append(ROW_FORMS[form].replace(b"{r}", str(r).encode()))
        if added:
            ours[r] = AddedRow(f'<c r="C{r}"/><c r="D{r}"><v>{r}</v></c>'.encode(), lines)
    ours[len(rows) + 2] = AddedRow(b'<c r="C99"/>')
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>" + b"".join(xml_rows) + b"</sheetData></worksheet>"
    )

    def extended(run: int) -> bytes:
        rows_given = _TakenOnce(ours) if taken_once else dict(ours)
        edit = SheetEdit(first=3, widths=[10.0, 10.0], rows=rows_given)
        old = sheet_stream.RUN_BYTES, sheet_stream._RUN_WAIT
        sheet_stream.RUN_BYTES, sheet_stream._RUN_WAIT = run, wait
        try:
            return b"".join(extend_sheet(xml, edit))
        finally:
            sheet_stream.RUN_BYTES, sheet_stream._RUN_WAIT = old

    assert extended(run_bytes) == extended(0)
