"""Sheets written by a writer of ours (the side workbook) moved into the accountant's package.

Our added sheets (summary with its chart, review, not on books, findings) are written into a
side workbook that starts with one empty placeholder per original sheet, so our sheets get the
same positions (and names that do not clash) as they will have in the copy. Each new sheet is
then moved over with everything it points to (drawing, chart), its styles appended to the
accountant's styles.xml and renumbered, its defined names (print titles, filters) added to
workbook.xml. The side writer must store text inline (openpyxl does): the accountant's shared
strings are never touched.
"""

from __future__ import annotations

import io
import posixpath
import re
from xml.sax.saxutils import unescape

from defusedxml import ElementTree

from reconciler.outputs.styles_append import StyleBook
from reconciler.outputs.xlsx_package import (
    Package,
    relative,
    rels_path,
)
from reconciler.outputs.xml_parts import attr, get_attr

_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def _children(xml: bytes, container: str, tag: str) -> list[bytes]:
    """The <tag> children of <container>, as bytes (the side writer's own output: no
    namespace prefix, no element nested in one of its own name)."""
    block = re.search(
        rb"<"
        + container.encode()
        + rb"(?=[\s/>])[^>]*?(?:/>|>(.*?)</"
        + container.encode()
        + rb">)",
        xml,
        re.S,
    )
    if block is None or block.group(1) is None:
        return []
    return re.findall(
        rb"<" + tag.encode() + rb"(?=[\s/>])(?:[^>]*/>|[^>]*>.*?</" + tag.encode() + rb">)",
        block.group(1),
        re.S,
    )


def _prefixed(xml: bytes, prefix: bytes) -> bytes:
    """Our element written with the part's namespace prefix, when it uses one."""
    if not prefix:
        return xml
    return re.sub(rb"<(/?)(\w+)(?=[\s/>])", rb"<\1" + prefix + rb"\2", xml)


class _StyleMap:
    """Side style index -> index in the accountant's styles, each list appended once."""

    def __init__(self, side_styles: bytes, book: StyleBook) -> None:
        prefix = book.prefix
        fmt_ids: dict[int, int] = {}
        for numfmt in _children(side_styles, "numFmts", "numFmt"):
            code = unescape(get_attr(numfmt, "formatCode") or "", {"&quot;": '"'})
            fmt_ids[int(get_attr(numfmt, "numFmtId") or 0)] = book.num_fmt_id(code)

        def mapped(tag: str, keep: int) -> list[int]:
            # The first `keep` entries are the writer's defaults (font 0; fills none and
            # gray125; border 0): the accountant's own defaults stand for them.
            out = []
            for i, element in enumerate(_children(side_styles, tag + "s", tag)):
                out.append(i if i < keep else book.add_raw(tag + "s", _prefixed(element, prefix)))
            return out

        fonts, fills, borders = mapped("font", 1), mapped("fill", 2), mapped("border", 1)
        self.xf: list[int] = []
        for i, xf in enumerate(_children(side_styles, "cellXfs", "xf")):
            if i == 0:
                self.xf.append(0)
                continue

            def swap(m: re.Match[bytes]) -> bytes:
                name, value = m.group(1).decode(), int(m.group(2))
                table = {"fontId": fonts, "fillId": fills, "borderId": borders}.get(name)
                if table is not None:
                    value = table[value] if value < len(table) else 0
                elif name == "numFmtId":
                    value = fmt_ids.get(value, value)
                else:  # xfId: the Normal style
                    value = 0
                return f' {name}="{value}"'.encode()

            xf = re.sub(rb'\s(fontId|fillId|borderId|numFmtId|xfId)="(\d+)"', swap, xf)
            self.xf.append(book.add_raw("cellXfs", _prefixed(xf, prefix)))

    def sheet(self, xml: bytes) -> bytes:
        def cell(m: re.Match[bytes]) -> bytes:
            s = int(m.group(2))
            return m.group(1) + str(self.xf[s] if s < len(self.xf) else 0).encode() + b'"'

        xml = re.sub(rb'(<(?:c|row)\s[^>]*?\ss=")(\d+)"', cell, xml)
        return re.sub(rb'(<col\s[^>]*?\sstyle=")(\d+)"', cell, xml)


def graft_sheets(package: Package, book: StyleBook, side_bytes: bytes, first_new: int) -> None:
    """Move the side workbook's sheets from position `first_new` on into `package`."""
    side = Package.open(io.BytesIO(side_bytes))
    try:
        styles_part = side.styles_part()
        styles = _StyleMap(side.read(styles_part) if styles_part else b"", book)
        side_types = _content_types(side.read("[Content_Types].xml"))
        side_book = side.workbook_part()
        for entry in side.sheets()[first_new:]:
            if entry.part is None:
                continue
            xml = side.read(entry.part)
            if re.search(rb'<c\s[^>]*\st="s"', xml):
                raise ValueError(f"side sheet {entry.name!r} uses shared strings: write inline")
            part = package.add_sheet(entry.name, styles.sheet(xml))
            _copy_related(side, package, entry.part, part, side_types)
        package.add_defined_names(
            [
                n
                for n in re.findall(rb"<definedName\s.*?</definedName>", side.read(side_book), re.S)
                if int(get_attr(n, "localSheetId") or -1) >= first_new
            ]
        )
    finally:
        side.close()


def _content_types(xml: bytes) -> tuple[dict[str, str], dict[str, str]]:
    root = ElementTree.fromstring(xml)
    overrides = {
        o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
        for o in root.iter(f"{_CT_NS}Override")
    }
    defaults = {
        d.get("Extension", "").lower(): d.get("ContentType", "")
        for d in root.iter(f"{_CT_NS}Default")
    }
    return overrides, defaults


def _copy_related(
    side: Package,
    package: Package,
    side_part: str,
    new_part: str,
    types: tuple[dict[str, str], dict[str, str]],
) -> None:
    """Copy every part `side_part` points to (and theirs), renamed to unused names."""
    overrides, defaults = types
    rels = side.relationships(side_part)
    if not rels:
        return
    lines: list[tuple[str, str, str, str | None]] = []
    for rid, kind, target, mode in rels:
        if mode == "External":
            raw = re.search(
                rb'Id="' + re.escape(rid.encode()) + rb'"[^>]*Target="([^"]*)"',
                side.read(rels_path(side_part)),
            )
            lines.append((rid, kind, raw.group(1).decode() if raw else target, mode))
            continue
        folder, name = posixpath.split(target)
        stem, ext = posixpath.splitext(name)
        pattern = posixpath.join(folder, re.sub(r"\d+$", "", stem) + "{n}" + ext)
        copied = package.unused_name(pattern)
        content_type = overrides.get(target)
        package.add_part(copied, side.read(target), content_type)
        if content_type is None and ext:
            package.add_default(ext[1:], defaults.get(ext[1:].lower(), "application/octet-stream"))
        _copy_related(side, package, target, copied, types)
        lines.append((rid, kind, relative(new_part, copied), None))
    body = "".join(
        f"<Relationship Id={attr(rid)} Type={attr(kind)} Target={attr(target)}"
        + (f" TargetMode={attr(mode)}" if mode else "")
        + "/>"
        for rid, kind, target, mode in lines
    )
    package.add_part(
        rels_path(new_part),
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="'
        b'http://schemas.openxmlformats.org/package/2006/relationships">'
        + body.encode()
        + b"</Relationships>",
        None,
    )
