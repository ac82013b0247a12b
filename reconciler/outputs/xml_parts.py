"""Small edits to the XML parts of an xlsx package, made on its bytes.

The accountant's parts are never parsed and written back whole: a parser would rewrite
namespace declarations, quoting and whitespace, and the issue asks that what we do not change
stays byte for byte. So every edit here finds an element by its tag (with the part's own
namespace prefix) and inserts or replaces a span of bytes; everything else is kept as it was.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

# The root's namespace prefix: "" for <worksheet xmlns=...>, "x:" for <x:worksheet xmlns:x=...>.
_ROOT = re.compile(rb"<(?!\?|!)(\w+:)?(\w+)[\s/>]")


def root_prefix(xml: bytes) -> bytes:
    m = _ROOT.search(xml)
    return (m.group(1) or b"") if m else b""


def find_start(
    xml: bytes, prefix: bytes, tag: str, start: int = 0, end: int | None = None
) -> re.Match[bytes] | None:
    """The match of the start tag <prefix:tag ...> or <prefix:tag .../> in xml[start:end]."""
    pattern = re.compile(rb"<" + re.escape(prefix + tag.encode()) + rb"(?=[\s/>])[^>]*>")
    return pattern.search(xml, start, len(xml) if end is None else end)


def element_span(xml: bytes, prefix: bytes, tag: str, start: int = 0) -> tuple[int, int] | None:
    """(start, end) of the first <tag> element, self-closing or not (tags of one name nest in
    no part we edit)."""
    m = find_start(xml, prefix, tag, start)
    if m is None:
        return None
    if m.group().endswith(b"/>"):
        return m.start(), m.end()
    close = b"</" + prefix + tag.encode() + b">"
    end = xml.find(close, m.end())
    if end < 0:
        return None
    return m.start(), end + len(close)


def insert_before_first(
    xml: bytes, prefix: bytes, tags: tuple[str, ...], piece: bytes, *, start: int = 0, closing: str
) -> bytes:
    """Insert `piece` before the first of `tags` found after `start` (the elements that must
    follow it in the schema's order), else before the root's closing tag."""
    best = -1
    for tag in tags:
        m = find_start(xml, prefix, tag, start)
        if m is not None and (best < 0 or m.start() < best):
            best = m.start()
    if best < 0:
        best = xml.rindex(b"</" + prefix + closing.encode() + b">")
    return xml[:best] + piece + xml[best:]


def append_children(
    xml: bytes,
    prefix: bytes,
    tag: str,
    children: bytes,
    count: int | None,
    *,
    create_before: tuple[str, ...],
    closing: str,
) -> bytes:
    """Append `children` inside <tag>, setting its count attribute to `count` when given;
    the element is created (before the first of `create_before`) when absent."""
    span = element_span(xml, prefix, tag)
    open_tag = prefix + tag.encode()
    count_attr = b"" if count is None else b' count="%d"' % count
    if span is None:
        piece = b"<" + open_tag + count_attr + b">" + children + b"</" + open_tag + b">"
        return insert_before_first(xml, prefix, create_before, piece, closing=closing)
    s, e = span
    head_end = xml.index(b">", s) + 1
    head = xml[s:head_end]
    if count is not None:
        if re.search(rb'\scount="\d*"', head):
            head = re.sub(rb'\scount="\d*"', count_attr, head, count=1)
        else:
            head = head.replace(open_tag, open_tag + count_attr, 1)
    if head.endswith(b"/>"):
        body = b"<" + head[1:-2].rstrip() + b">" + children + b"</" + open_tag + b">"
        return xml[:s] + body + xml[e:]
    close = e - len(b"</" + open_tag + b">")
    return xml[:s] + head + xml[head_end:close] + children + xml[close:]


def text(value: str) -> str:
    """Element text: &, < and > escaped; a carriage return kept as a character reference
    (a bare one would be read back as a line feed). saxutils.escape's replaces, without its
    Python calls around them: a comment's text is escaped 23k times at 100k rows."""
    escaped = value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    return escaped.replace("\r", "&#13;")


def attr(value: str) -> str:
    """A quoted attribute value."""
    return quoteattr(value, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


_ATTRS: dict[str, re.Pattern[bytes]] = {}


def get_attr(tag: bytes, name: str) -> str | None:
    pattern = _ATTRS.get(name)
    if pattern is None:  # compiled once per name: it is asked for every row of a sheet
        pattern = _ATTRS[name] = re.compile(
            rb"\s" + re.escape(name.encode()) + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')"""
        )
    m = pattern.search(tag)
    if m is None:
        return None
    return (m.group(1) if m.group(1) is not None else m.group(2)).decode()


# CT_Worksheet's children after sheetData, in order: where a new element of ours goes.
WORKSHEET_AFTER_SHEETDATA = (
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


def following(tag: str) -> tuple[str, ...]:
    """The elements that come after `tag` in a worksheet, in the schema's order."""
    return WORKSHEET_AFTER_SHEETDATA[WORKSHEET_AFTER_SHEETDATA.index(tag) + 1 :]
