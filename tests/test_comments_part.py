"""Our finding comments' parts (comments_part) and their text (findings_table.comment_text):
what a reader of the comments part and the VML drawing finds, however many comments."""

from __future__ import annotations

import re
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from reconciler.models import Finding, FindingCode, Severity
from reconciler.outputs.comments_part import comments_xml, merged_vml, vml_xml
from reconciler.outputs.findings_table import comment_text, said
from reconciler.outputs.xml_parts import text

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def test_element_text_is_escaped_as_xml_with_a_carriage_return_kept() -> None:
    for value in ("a & b < c > d", "&amp; stays text", "строка 1\r\nстрока 2", "", "\"q\" 'a'"):
        assert text(value) == escape(value).replace("\r", "&#13;")


def test_a_comments_part_of_many_comments_reads_back_every_comment_in_order() -> None:
    notes = [(f"K{r}", f"[высокая] строка {r} & <{r}>\nИТ: {r}\r") for r in range(2, 1203)]
    xml = b"".join(comments_xml(notes))
    root = ElementTree.fromstring(xml)
    read = [
        (c.get("ref"), "".join(c.itertext()))
        for c in root.iter(f"{MAIN}comment")
        if c.get("authorId") == "0"
    ]
    assert read == notes


def test_a_drawing_of_many_shapes_numbers_them_in_order_each_at_its_cell_and_height() -> None:
    shapes = [(r, 11, 320, 60 + r % 7 * 18) for r in range(2, 1203)]
    vml = b"".join(vml_xml(shapes)).decode()
    ids = [int(n) for n in re.findall(r'<v:shape id="_x0000_s(\d+)"', vml)]
    assert ids == list(range(1026, 1026 + len(shapes)))
    placed = re.findall(r"height:(\d+)px.*?<x:Row>(\d+)</x:Row><x:Column>(\d+)<", vml)
    assert placed == [(str(h), str(r - 1), str(c - 1)) for r, c, _w, h in shapes]
    more = merged_vml(vml.encode(), [(5000, 11, 320, 96)])
    assert more is not None and b'id="_x0000_s2227"' in more and b"<x:Row>4999<" in more


def test_a_value_the_message_already_says_is_not_repeated_however_its_words_are_placed() -> None:
    message = "Серийный номер: в ИТ «HP ProBook 450 G8», в учете другой".casefold()
    assert said("HP ProBook 450 G8", message)
    assert said("probook hp", message)  # each word is there, in another order
    assert not said("HP EliteBook", message)
    assert said(None, message) and said("", message)


def test_a_comment_adds_a_sides_value_only_where_its_message_does_not_say_it() -> None:
    findings = [
        Finding(
            FindingCode.COST_MISMATCH,
            Severity.MEDIUM,
            "Стоимость: в учете 1 200,00",
            book_value="1 200,00",
            it_value="1 500,00",
        ),
        Finding(FindingCode.SERIAL_MISMATCH, Severity.HIGH, "Серийный номер", it_value="AB 12"),
    ]
    assert comment_text(findings, "ru") == (
        "[средняя] Стоимость: в учете 1 200,00\nИТ: 1 500,00\n\n[высокая] Серийный номер\nИТ: AB 12"
    )
