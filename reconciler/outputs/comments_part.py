"""Our finding comments as a sheet's comments part and the VML drawing Excel shows them with.

Written only for a register sheet that has no comments (and no legacy drawing) of its own: a
sheet holds one of each, and the accountant's must stay byte for byte, so on such a sheet the
findings column and the findings sheet carry the details instead (annotate says so).
The shapes follow openpyxl's (comments/shape_writer.py), which Excel and LibreOffice read.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.outputs.xml_parts import attr, text

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
    for ref, body in comments:
        yield (
            f'<comment ref="{ref}" authorId="0"><text><t xml:space="preserve">{text(body)}</t>'
            "</text></comment>"
        ).encode()
    yield b"</commentList></comments>"


def vml_xml(comments: list[tuple[int, int, int, int]]) -> Iterator[bytes]:
    """(row, column, width px, height px) of each comment (1-based) as the VML drawing."""
    yield _VML_HEAD.encode()
    for idx, (row, column, width, height) in enumerate(comments, 1026):
        style = (
            "position:absolute; margin-left:59.25pt;margin-top:1.5pt;"
            f"width:{width}px;height:{height}px;z-index:1;visibility:hidden"
        )
        yield (
            f'<v:shape id="_x0000_s{idx:04d}" type="#_x0000_t202" style={attr(style)} '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row>"
            f"<x:Column>{column - 1}</x:Column></x:ClientData></v:shape>"
        ).encode()
    yield b"</xml>"
