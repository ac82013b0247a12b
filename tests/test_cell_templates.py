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
    KIND_STYLE,
    CellTemplates,
    cell_starts,
    encode,
    row_cells,
    shown_length,
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
    assert encode(value)[2] == shown_length(value) == longest


def test_text_that_looks_like_a_formula_is_an_inline_string_with_quote_prefix() -> None:
    templates, asked = styles_seen()
    encoded = [encode(v) for v in ("=SUM(A1:A9)", "plain", Decimal("12.50"), None)]
    xml = row_cells(cell_starts(1, 4), "2", encoded, templates, None)
    assert "<f>" not in xml
    assert '<c r="A2" s="1" t="inlineStr"><is><t xml:space="preserve">=SUM(A1:A9)</t>' in xml
    assert asked[0] == (None, False, None, True)
    assert KIND_STYLE[encoded[2][0]] == ("#,##0.00", False)
    assert xml.endswith('<c r="D2" s="4"/>')
