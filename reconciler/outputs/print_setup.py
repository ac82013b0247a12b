"""The annotated register prints like the accountant's own: landscape, one page wide, the
header repeated on every page, and our columns in a group that folds away.

Before, a 30-page register printed as 204 portrait pages: our 17 columns landed on pages of
their own with no inventory number or name. The edits here are made to the sheet's XML as it
streams (sheet_stream calls them for the head and the tail) and to workbook.xml (the print
titles are a defined name). Orientation and fit are set even over the accountant's own (a
1C export says portrait, which is what printed our columns apart); their margins, paper and
print titles are kept.
"""

from __future__ import annotations

import re

from reconciler.outputs.xlsx_package import AFTER_DEFINED_NAMES
from reconciler.outputs.xml_parts import (
    append_children,
    find_start,
    following,
    get_attr,
    insert_before_first,
    text,
)

# IT-only details: useful to IT, noise on an accountant's printout. Folded away (a second
# outline level, hidden) rather than left out, so nothing IT reads is lost.
IT_ONLY_COLUMNS = frozenset({"cpu", "ram", "storage", "ip", "rack"})
# CT_Worksheet children before sheetData that follow sheetPr / sheetFormatPr, in order.
_AFTER_SHEETPR = ("dimension", "sheetViews", "sheetFormatPr", "cols")


def _set_attrs(tag: bytes, values: dict[str, str]) -> bytes:
    for name, value in values.items():
        tag = re.sub(rb"\s" + name.encode() + rb'="[^"]*"', b"", tag)
        end = -2 if tag.endswith(b"/>") else -1
        tag = tag[:end].rstrip() + f' {name}="{value}"'.encode() + tag[end:]
    return tag


def _before(xml: bytes, prefix: bytes, tags: tuple[str, ...], piece: bytes) -> bytes:
    """`piece` before the first of `tags` in the sheet's head, else at the head's end (the
    head is the XML before <sheetData>: it has no closing tag to go before)."""
    found = [m.start() for tag in tags if (m := find_start(xml, prefix, tag)) is not None]
    at = min(found, default=len(xml))
    return xml[:at] + piece + xml[at:]


def head(xml: bytes, prefix: bytes, *, outline_levels: int) -> bytes:
    """sheetPr: fit to page; sheetFormatPr: how many column outline levels there are."""
    p = prefix.decode()
    fit = f'<{p}pageSetUpPr fitToPage="1"/>'.encode()
    sheet_pr = find_start(xml, prefix, "sheetPr")
    if sheet_pr is None:
        piece = f"<{p}sheetPr>".encode() + fit + f"</{p}sheetPr>".encode()
        xml = _before(xml, prefix, _AFTER_SHEETPR, piece)
    elif sheet_pr.group().endswith(b"/>"):
        opened = sheet_pr.group()[:-2].rstrip() + b">"
        xml = (
            xml[: sheet_pr.start()]
            + opened
            + fit
            + f"</{p}sheetPr>".encode()
            + xml[sheet_pr.end() :]
        )
    else:
        setup = find_start(xml, prefix, "pageSetUpPr")
        if setup is not None:
            fixed = _set_attrs(setup.group(), {"fitToPage": "1"})
            xml = xml[: setup.start()] + fixed + xml[setup.end() :]
        else:
            # pageSetUpPr is sheetPr's last child: just before its closing tag.
            close = xml.index(f"</{p}sheetPr>".encode(), sheet_pr.end())
            xml = xml[:close] + fit + xml[close:]
    if outline_levels:
        fmt = find_start(xml, prefix, "sheetFormatPr")
        if fmt is None:
            fmt_piece = (
                f'<{p}sheetFormatPr defaultRowHeight="15" outlineLevelCol="{outline_levels}"/>'
            )
            xml = _before(xml, prefix, ("cols",), fmt_piece.encode())
        else:
            fixed = _set_attrs(fmt.group(), {"outlineLevelCol": str(outline_levels)})
            xml = xml[: fmt.start()] + fixed + xml[fmt.end() :]
    return xml


def tail(xml: bytes, prefix: bytes) -> bytes:
    """pageSetup: landscape, one page wide, as many pages down as it takes; A4 unless set."""
    p = prefix.decode()
    wanted = {"orientation": "landscape", "fitToWidth": "1", "fitToHeight": "0"}
    setup = find_start(xml, prefix, "pageSetup")
    if setup is None:
        piece = (
            f'<{p}pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        )
        margins = find_start(xml, prefix, "pageMargins")
        if margins is None:
            margins_piece = (
                f'<{p}pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" '
                'footer="0.3"/>'
            )
            piece = margins_piece + piece
        return insert_before_first(
            xml, prefix, following("pageSetup"), piece.encode(), closing="worksheet"
        )
    fixed = _set_attrs(setup.group(), wanted)
    return xml[: setup.start()] + fixed + xml[setup.end() :]


def print_titles(
    workbook: bytes, sheet_index: int, sheet_name: str, first: int, last: int
) -> bytes:
    """The header rows repeated on every printed page (the _xlnm.Print_Titles name), unless
    the accountant set print titles of their own for the sheet."""
    prefix = b""
    m = re.match(rb"\s*(?:<\?xml[^>]*\?>\s*)?<(\w+:)?workbook[\s>]", workbook)
    if m and m.group(1):
        prefix = m.group(1)
    for name in re.finditer(rb"<(?:\w+:)?definedName\s[^>]*>", workbook):
        tag = name.group()
        if get_attr(tag, "name") == "_xlnm.Print_Titles" and get_attr(tag, "localSheetId") == str(
            sheet_index
        ):
            return workbook
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    p = prefix.decode()
    piece = (
        f'<{p}definedName name="_xlnm.Print_Titles" localSheetId="{sheet_index}">'
        f"{text(quoted)}!${first}:${last}</{p}definedName>"
    ).encode()
    return append_children(
        workbook,
        prefix,
        "definedNames",
        piece,
        None,
        create_before=AFTER_DEFINED_NAMES,
        closing="workbook",
    )
