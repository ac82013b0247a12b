"""Our cell formats appended to the accountant's styles.xml, never renumbering theirs.

A cell's style is an index into cellXfs, whose entries index fonts, fills, borders and number
formats. Every original index must keep meaning what it meant, so ours are added at the end of
each list (new custom number formats take ids above the highest in use) and a cell of ours
gets the index its combination ended at. The part is read once (parsed only to count and to
learn the fonts) and edited on its bytes (xml_parts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from defusedxml import ElementTree

from reconciler.outputs.xml_parts import append_children, attr, root_prefix

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# What may follow each list in CT_Stylesheet: where a missing list is created.
_ORDER = (
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
)
BUILTIN_MONEY = 4  # "#,##0.00", one of Excel's built-in formats: no entry needed

EMPTY_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills>'
    b'<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)


@dataclass(frozen=True)
class FontInfo:
    name: str | None
    size: float | None


@dataclass(frozen=True)
class Xf:
    """One combination of ours: each part optional (None: the workbook's default)."""

    fill_rgb: str | None = None  # "C6EFCE"
    wrap: bool = False
    vertical: str | None = None  # "top", "center"
    horizontal: str | None = None
    num_fmt: str | None = None  # a format code; "#,##0.00" is the built-in 4
    quote_prefix: bool = False
    bold_font: FontInfo | None = None
    italic: bool = False  # the default font's face in italics (bold_font unset)
    boxed: bool = False  # thin grey border all round (our headers)


class StyleBook:
    """The accountant's styles.xml plus the formats we ask for, in the order we ask."""

    def __init__(self, xml: bytes | None) -> None:
        self.xml = xml if xml else EMPTY_STYLES
        self.prefix = root_prefix(self.xml)
        root = ElementTree.fromstring(self.xml)

        def children(tag: str) -> list[Any]:
            found = root.find(_NS + tag)
            return [] if found is None else list(found)

        fonts = children("fonts")
        self._fonts = [self._font_info(f) for f in fonts]
        self._n = {tag: len(children(tag)) for tag in ("fonts", "fills", "borders", "cellXfs")}
        self._xf_font = [int(x.get("fontId") or 0) for x in children("cellXfs")]
        ids = [int(f.get("numFmtId") or 0) for f in children("numFmts")]
        self._next_fmt = max([163, *ids]) + 1
        self._fmt_ids: dict[str, int] = {"#,##0.00": BUILTIN_MONEY}
        self._new: dict[str, list[bytes]] = {
            t: [] for t in ("numFmts", "fonts", "fills", "borders", "cellXfs")
        }
        self._index: dict[object, int] = {}

    @staticmethod
    def _font_info(font: Any) -> FontInfo:
        name = font.find(_NS + "name")
        size = font.find(_NS + "sz")
        return FontInfo(
            None if name is None else name.get("val"),
            None if size is None or not size.get("val") else float(size.get("val")),
        )

    def default_font(self) -> FontInfo:
        return self._fonts[0] if self._fonts else FontInfo("Calibri", 11.0)

    def font_of_style(self, s: int) -> FontInfo:
        """The font a cell with style index `s` shows in."""
        font = self._xf_font[s] if 0 <= s < len(self._xf_font) else 0
        return self._fonts[font] if 0 <= font < len(self._fonts) else self.default_font()

    def _add(self, tag: str, key: object, xml: bytes) -> int:
        found = self._index.get((tag, key))
        if found is None:
            found = self._index[(tag, key)] = self._n[tag] + len(self._new[tag])
            self._new[tag].append(xml)
        return found

    def add_raw(self, tag: str, xml: bytes) -> int:
        """An entry written elsewhere (a side workbook's), appended to list `tag` as it is."""
        self._new[tag].append(xml)
        return self._n[tag] + len(self._new[tag]) - 1

    def num_fmt_id(self, code: str) -> int:
        if code not in self._fmt_ids:
            self._fmt_ids[code] = self._next_fmt
            self._new["numFmts"].append(
                f"<numFmt numFmtId={attr(str(self._next_fmt))} formatCode={attr(code)}/>".encode()
            )
            self._next_fmt += 1
        return self._fmt_ids[code]

    def xf(self, style: Xf) -> int:
        """The cellXfs index of `style`, added on first use."""
        found = self._index.get(("xf", style))
        if found is not None:
            return found
        p = self.prefix.decode()
        font_id = 0
        if style.bold_font is not None or style.italic:
            f = style.bold_font or self.default_font()
            base = self.default_font()
            size = f.size or base.size or 11
            name = f.name or base.name or "Calibri"
            face = f"<{p}b/>" if style.bold_font is not None else f"<{p}i/>"
            font_id = self._add(
                "fonts",
                (name, size, face),
                f"<{p}font>{face}<{p}sz val={attr(_num(size))}/><{p}name val={attr(name)}/>"
                f"</{p}font>".encode(),
            )
        fill_id = 0
        if style.fill_rgb:
            rgb = "FF" + style.fill_rgb
            fill_id = self._add(
                "fills",
                rgb,
                f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{rgb}"/>'
                f'<{p}bgColor indexed="64"/></{p}patternFill></{p}fill>'.encode(),
            )
        border_id = 0
        if style.boxed:
            side = f'style="thin"><{p}color rgb="FFA6A6A6"/>'
            border_id = self._add(
                "borders",
                "box",
                (
                    f"<{p}border><{p}left {side}</{p}left><{p}right {side}</{p}right>"
                    f"<{p}top {side}</{p}top><{p}bottom {side}</{p}bottom><{p}diagonal/></{p}border>"
                ).encode(),
            )
        fmt_id = 0 if style.num_fmt is None else self.num_fmt_id(style.num_fmt)
        parts = [
            f'<{p}xf numFmtId="{fmt_id}" fontId="{font_id}" fillId="{fill_id}" '
            f'borderId="{border_id}" xfId="0"'
        ]
        for flag, name in (
            (fmt_id, "applyNumberFormat"),
            (font_id, "applyFont"),
            (fill_id, "applyFill"),
            (border_id, "applyBorder"),
        ):
            if flag:
                parts.append(f' {name}="1"')
        if style.quote_prefix:
            parts.append(' quotePrefix="1"')
        align = []
        if style.horizontal:
            align.append(f'horizontal="{style.horizontal}"')
        if style.vertical:
            align.append(f'vertical="{style.vertical}"')
        if style.wrap:
            align.append('wrapText="1"')
        if align:
            parts.append(f' applyAlignment="1"><{p}alignment {" ".join(align)}/></{p}xf>')
        else:
            parts.append("/>")
        return self._add("cellXfs", style, "".join(parts).encode())

    def render(self) -> bytes:
        """styles.xml with our entries appended (the original bytes when we added none)."""
        xml = self.xml
        if not any(self._new.values()):
            return xml
        for tag in ("numFmts", "fonts", "fills", "borders", "cellXfs"):
            new = self._new[tag]
            if not new:
                continue
            if tag == "numFmts":
                count = None  # recounted below: the list may hold entries we did not count
                total = len(ElementTree.fromstring(xml).findall(f"{_NS}numFmts/{_NS}numFmt"))
                count = total + len(new)
            else:
                count = self._n[tag] + len(new)
            after = _ORDER[_ORDER.index(tag) + 1 :]
            xml = append_children(
                xml,
                self.prefix,
                tag,
                b"".join(new),
                count,
                create_before=after,
                closing="styleSheet",
            )
        return xml


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
