"""The templated cells (cell_templates) against the one-cell writer (sheet_stream.cell_xml and
xlsx_writer.stored_value): the same XML, the same style asked for, the same safety."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.models import RowStatus
from reconciler.outputs.cell_templates import (
    EMPTY,
    KIND_STYLE,
    CellTemplates,
    cell_starts,
    encode,
    encode_column,
    encode_parts,
    every_cell_row_bytes,
    grid_rows,
    make_kind_templates,
    make_templates,
    row_cells,
)
from reconciler.outputs.sheet_stream import cell_xml
from reconciler.outputs.xlsx_writer import shown_text, stored_value

VALUES = st.one_of(
    st.none(),
    st.text(),
    st.sampled_from(['=HYPERLINK("http://x")', "+7 495", "-5", "@a", "\tx", "\rx", "a\r\nb"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**9, min_value=-(10**9)
    ),
    st.dates(min_value=date(1901, 1, 1)),
    st.datetimes(min_value=datetime(1901, 1, 1)),
    st.booleans(),
    st.sampled_from(list(RowStatus)),
)


def styles_seen() -> tuple[CellTemplates, list[tuple[Any, ...]]]:
    asked: list[tuple[Any, ...]] = []

    def style_of(fill: str | None, wrap: bool, number_format: str | None, quote: bool) -> int:
        asked.append((fill, wrap, number_format, quote))
        return len(asked)

    return CellTemplates(style_of), asked


@given(VALUES, st.booleans())
def test_a_templated_cell_is_the_cell_the_one_cell_writer_writes(
    value: Any, date1904: bool
) -> None:
    templates, asked = styles_seen()
    encoded = encode(value, date1904)
    xml = row_cells(cell_starts(28, 1), "7", [encoded], templates, "C6EFCE")
    stored, number_format, quote = stored_value(value)
    assert asked == [("C6EFCE", False, number_format, quote)]
    assert xml == cell_xml("AB7", stored, 1, date1904)


@given(VALUES)
def test_the_shown_length_is_the_length_the_column_widths_were_fitted_to(value: Any) -> None:
    stored, _fmt, _quote = stored_value(value)
    expected = shown_text(value if not isinstance(value, str) else stored)
    longest = max((len(line) for line in expected.split("\n")), default=0)
    assert encode(value)[2] == longest


def test_text_that_looks_like_a_formula_is_an_inline_string_with_quote_prefix() -> None:
    templates, asked = styles_seen()
    encoded = [encode(v) for v in ("=SUM(A1:A9)", "plain", Decimal("12.50"), None)]
    xml = row_cells(cell_starts(1, 4), "2", encoded, templates, None)
    assert "<f>" not in xml
    assert '<c r="A2" s="1" t="inlineStr"><is><t xml:space="preserve">=SUM(A1:A9)</t>' in xml
    assert asked[0] == (None, False, None, True)
    assert KIND_STYLE[encoded[2][0]] == ("#,##0.00", False)
    assert xml.endswith('<c r="D2" s="4"/>')


COLUMN_VALUES = st.one_of(
    VALUES,
    st.sampled_from(
        [-0.0, 0.0, Decimal("-0"), Decimal("0"), Decimal("1.0"), 1, True, 1.0, "", "=1+1"]
    ),
    st.sampled_from(["a\x01b", "x\u00a0y", "line\nnext", "тире—", "&<>\"'", "y" * 32_800]),
)


@given(st.lists(COLUMN_VALUES, max_size=40), st.booleans())
def test_a_column_encoded_at_once_is_each_value_encoded_alone(
    values: list[Any], date1904: bool
) -> None:
    # Equal values of different types (1, 1.0, True, Decimal 1) and zeros of either sign
    # share a dict key but not their encoding: none may take another's.
    distinct = list(dict.fromkeys(v for v in values if type(v) is str and v))  # ids, serials
    assert encode_column(distinct, date1904) == [encode(v, date1904) for v in distinct]
    values = values + values[::-1]
    one_by_one = [encode(v, date1904) for v in values]
    assert encode_column(values, date1904) == one_by_one
    parts = encode_parts(values, date1904)  # the same cells taken apart, bodies as UTF-8
    assert parts.kinds == [kind for kind, _body, _shown in one_by_one]
    assert parts.bodies == [body.encode() for _kind, body, _shown in one_by_one]
    assert parts.longest == max((shown for _kind, _body, shown in one_by_one), default=0)


def test_equal_values_of_other_types_keep_their_own_encoding_in_a_column() -> None:
    same = [1, 1.0, True, Decimal("1"), 0, -0.0, 0.0, False, Decimal("-0"), Decimal("0.00")]
    days = [date(2026, 9, 30), datetime(2026, 9, 30), datetime(2026, 9, 30, 12, 30)]
    for values in (same, same[::-1], days, [*days, *same], [-0.0, 0.0], [0.0, -0.0, None]):
        assert encode_column(values) == [encode(v) for v in values]


def _one_cell_at_a_time(
    starts: list[str],
    numbers: list[str],
    columns: list[list[Any]],
    fills: list[str | None],
    templates: CellTemplates,
    wraps: list[list[int]],
    skip: bool,
    absent: list[list[int]],
) -> list[str]:
    """What the writers did before grid_rows: row by row, a cell at a time."""
    rows = []
    for j, number in enumerate(numbers):
        parts = []
        for c, column in enumerate(columns):
            wrap = j in wraps[c]
            if j in absent[c]:
                continue
            if skip and column[j][0] == EMPTY and fills[j] is None and not wrap:
                continue
            parts.append(row_cells([starts[c]], number, [column[j]], templates, fills[j], [wrap]))
        rows.append("".join(parts))
    return rows


# Columns of values, each row's fill, the rows wrapped and the rows absent in each column.
GRIDS = st.integers(min_value=0, max_value=12).flatmap(
    lambda n: st.tuples(
        st.lists(st.lists(VALUES, min_size=n, max_size=n), max_size=5),
        st.lists(st.sampled_from([None, "C6EFCE", "FFC7CE"]), min_size=n, max_size=n),
        st.lists(st.lists(st.integers(0, max(n - 1, 0)), max_size=3), min_size=5, max_size=5),
        st.lists(st.lists(st.integers(0, max(n - 1, 0)), max_size=2), min_size=5, max_size=5),
    )
)


@given(GRIDS, st.booleans())
def test_rows_made_a_column_at_a_time_are_the_rows_made_a_cell_at_a_time(
    grid: tuple[list[list[Any]], list[str | None], list[list[int]], list[list[int]]], skip: bool
) -> None:
    values, fills, wraps, absent = grid
    columns = [encode_column(column) for column in values]
    wraps = [sorted(set(w)) if fills else [] for w in wraps[: len(columns)]]
    absent = [sorted(set(a)) if fills else [] for a in absent[: len(columns)]]
    for c, rows in enumerate(absent):  # a row with no cell there has no value there
        for j in rows:
            columns[c][j] = encode(None)
    numbers = [str(7 + j) for j in range(len(fills))]
    starts = cell_starts(3, len(columns))
    ours, asked = styles_seen()
    theirs, asked_before = styles_seen()
    made = grid_rows(
        starts, numbers, columns, fills, ours, wraps, skip_unfilled_empty=skip, absent=absent
    )
    before = _one_cell_at_a_time(starts, numbers, columns, fills, theirs, wraps, skip, absent)
    assert made == before
    assert asked == asked_before  # styles.xml gains the same formats in the same order


@given(GRIDS)
def test_register_rows_made_as_bytes_are_the_rows_text_encoded(
    grid: tuple[list[list[Any]], list[str | None], list[list[int]], list[list[int]]],
) -> None:
    values, fills, wraps, _absent = grid  # the register's rows have every cell
    values = [[*column, "Ноутбук «Север» №7"] for column in values]
    columns = [encode_column(column) for column in values]
    fills = [*fills, "C6EFCE"]
    wraps = [sorted(set(w)) for w in wraps[: len(columns)]]
    numbers = [str(7 + j) for j in range(len(fills))]
    starts = cell_starts(3, len(columns))
    ours, asked = styles_seen()
    kinds = make_templates(columns, fills, ours, wraps)
    text = grid_rows(starts, numbers, columns, fills, ours, wraps, kinds=kinds)
    # The same cells taken apart (encode_parts), their templates made from their kinds.
    theirs, asked_by_parts = styles_seen()
    parts = [encode_parts(column) for column in values]
    make_kind_templates([p.kinds for p in parts], fills, theirs, wraps)
    made = every_cell_row_bytes(starts, numbers, parts, fills, theirs, wraps)
    assert made == [row.encode() for row in text]
    assert asked_by_parts == asked
    assert [p.longest for p in parts] == [max((e[2] for e in c), default=0) for c in columns]


@given(
    st.one_of(
        st.lists(st.one_of(st.none(), st.integers(min_value=-(10**15), max_value=10**15))),
        st.lists(st.one_of(st.none(), st.floats(allow_nan=False))),
        st.lists(st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False))),
        st.lists(st.floats(allow_nan=False)),
    )
)
def test_a_column_of_numbers_is_encoded_as_each_number_alone(values: list[Any]) -> None:
    assert encode_column(values) == [encode(v) for v in values]
    # The same values many times over (as the register's scores repeat): each encoded once.
    repeated = values * 9
    assert encode_column(repeated) == [encode(v) for v in repeated]


def test_a_column_of_few_scores_keeps_a_negative_zero_and_an_integer_their_own_text() -> None:
    scores = [95.0, None, 100.0, 95.0, None, -0.0, 87.5] * 20
    encoded = encode_column(scores)
    assert encoded == [encode(v) for v in scores]
    assert encoded[5] == (encode(-0.0)) and encoded[5][1] == "-0.0"
    whole = [100, 95, None, 100] * 20
    assert [body for _kind, body, _shown in encode_column(whole)][:3] == ["100", "95", ""]
