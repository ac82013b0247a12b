"""Our finding comments as a sheet's comments part and the VML drawing Excel shows them with.

A sheet holds one comments part and one legacy drawing. When the accountant's sheet already
has them, ours are added into theirs (merged_comments, merged_vml): our author after theirs,
our comments after theirs, our shapes after theirs with ids above theirs; their elements are
kept byte for byte. A cell holds one comment, so a cell that has theirs keeps it and ours is
left out there (the findings column and sheet still carry it).
The shapes follow openpyxl's (comments/shape_writer.py), which Excel and LibreOffice read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.outputs.xml_parts import append_children, attr, root_prefix, text

COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
COMMENTS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
VML_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
AUTHOR = "reconciler"

_VML_HEAD = (
    '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:x="urn:schemas-microsoft-com:office:excel">'
    '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
    '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
    'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/>'
    '<v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
)


def comments_xml(comments: list[tuple[str, str]]) -> Iterator[bytes]:
    """(cell reference, text) pairs as a comments part."""
    yield (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<authors><author>" + AUTHOR.encode() + b"</author></authors><commentList>"
    )
    # A few hundred comments a piece, each piece encoded once (23k comments at 100k rows).
    for at in range(0, len(comments), _AT_A_TIME):
        yield "".join(
            [
                f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{text(body)}'
                "</t></text></comment>"
                for ref, body in comments[at : at + _AT_A_TIME]
            ]
        ).encode()
    yield b"</commentList></comments>"


_AT_A_TIME = 500


def vml_xml(comments: list[tuple[int, int, int, int]]) -> Iterator[bytes]:
    """(row, column, width px, height px) of each comment (1-based) as the VML drawing."""
    yield _VML_HEAD.encode()
    for at in range(0, len(comments), _AT_A_TIME):
        yield _shapes(comments[at : at + _AT_A_TIME], 1026 + at)
    yield b"</xml>"


def _shapes(shapes: list[tuple[int, int, int, int]], first: int) -> bytes:
    """The shapes of `shapes` (row, column, width px, height px), numbered from `first`."""
    styles: dict[tuple[int, int], str] = {}  # a few sizes over many shapes
    made = []
    for idx, (row, column, width, height) in enumerate(shapes, first):
        style = styles.get((width, height))
        if style is None:
            style = styles[(width, height)] = attr(
                "position:absolute; margin-left:59.25pt;margin-top:1.5pt;"
                f"width:{width}px;height:{height}px;z-index:1;visibility:hidden"
            )
        made.append(
            f'<v:shape id="_x0000_s{idx:04d}" type="#_x0000_t202" style={style} '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row>"
            f"<x:Column>{column - 1}</x:Column></x:ClientData></v:shape>"
        )
    return "".join(made).encode()


_COMMENT_REF = re.compile(rb'<(?:\w+:)?comment\s[^>]*?\bref="([A-Z]+[0-9]+)"')


def commented_cells(xml: bytes) -> set[str]:
    """The cells a comments part already comments on."""
    return {m.decode() for m in _COMMENT_REF.findall(xml)}


def merged_comments(xml: bytes, comments: list[tuple[str, str]]) -> bytes | None:
    """Their comments part with ours added (none on a cell that has theirs); None when the
    part is not the shape we can add to (then theirs stays as it was, and ours are not
    written: annotate says where the details are)."""
    prefix = root_prefix(xml)
    p = prefix.decode()
    if not re.search(rb"<" + re.escape(prefix) + rb"comments[\s>]", xml):
        return None
    authors = re.search(
        rb"<"
        + re.escape(prefix)
        + rb"authors(?:\s[^>]*)?(?:/>|>.*?</"
        + re.escape(prefix)
        + rb"authors>)",
        xml,
        re.S,
    )
    ours = (
        len(re.findall(rb"<" + re.escape(prefix) + rb"author[\s/>]", authors.group()))
        if authors
        else 0
    )
    xml = append_children(
        xml,
        prefix,
        "authors",
        f"<{p}author>{AUTHOR}</{p}author>".encode(),
        None,
        create_before=("commentList",),
        closing="comments",
    )
    taken = commented_cells(xml)
    pieces = b"".join(
        f'<{p}comment ref="{ref}" authorId="{ours}"><{p}text><{p}t xml:space="preserve">'
        f"{text(body)}</{p}t></{p}text></{p}comment>".encode()
        for ref, body in comments
        if ref not in taken
    )
    return append_children(
        xml, prefix, "commentList", pieces, None, create_before=("extLst",), closing="comments"
    )


_VML_NAMESPACES = (
    b'xmlns:v="urn:schemas-microsoft-com:vml"',
    b'xmlns:o="urn:schemas-microsoft-com:office:office"',
    b'xmlns:x="urn:schemas-microsoft-com:office:excel"',
)
_SHAPE_ID = re.compile(rb'\bid="_x0000_s(\d+)"')


def merged_vml(vml: bytes, shapes: list[tuple[int, int, int, int]]) -> bytes | None:
    """Their VML drawing with our note shapes after theirs, numbered above their highest;
    None when it does not use the prefixes our shapes are written in."""
    end = vml.rfind(b"</xml>")
    if end < 0 or not all(ns in vml for ns in _VML_NAMESPACES):
        return None
    first = max((int(n) for n in _SHAPE_ID.findall(vml)), default=1025) + 1
    # The note shape type our shapes name, unless theirs defines it already.
    kind = b"" if b'id="_x0000_t202"' in vml else _VML_HEAD.encode().split(b"</o:shapelayout>")[1]
    ours = _shapes(shapes, first)
    return vml[:end] + kind + ours + vml[end:]
