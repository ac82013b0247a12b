"""Our sheets, written by two writers, grafted into one package in their order; the run id.

openpyxl writes the short sheets that need what only it offers here (the summary's native
chart, the review sheet's input prompt); the long tables are written as
sheet XML straight into the package (table_writer). Each side workbook starts with an empty placeholder for every sheet
already in the package, so its sheets get the positions (and the unclashing names) they will
have, and their print titles and filters the right sheet index (graft).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils.indexed_list import IndexedList

from reconciler.outputs.graft import graft_sheets
from reconciler.outputs.styles_append import StyleBook
from reconciler.outputs.table_writer import TableBook
from reconciler.outputs.xlsx_package import REL_NS, STYLES_REL, Package
from reconciler.outputs.xlsx_writer import gc_paused
from reconciler.outputs.xml_parts import append_children, attr, root_prefix

RUN_ID_PROPERTY = "reconciler_run_id"  # a reply workbook is recognised by it (decisions.read)
CUSTOM_PROPS = "docProps/custom.xml"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = REL_NS + "/custom-properties"
_STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_PROPS_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


class SheetAssembly:
    """Sheets appended to `package` in the order they are asked for."""

    def __init__(self, package: Package, styles: StyleBook | None = None) -> None:
        self.package = package
        self.styles_part = package.styles_part()
        if styles is None:
            styles = StyleBook(package.read(self.styles_part) if self.styles_part else None)
        self.styles = styles
        self.names = [e.name for e in package.sheets()]

    def openpyxl(self, *adders: Callable[[openpyxl.Workbook], Any]) -> None:
        font = self.styles.default_font()
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name in self.names:
            wb.create_sheet(name)
        # The accountant's default font: our bold labels take its name (xlsx_writer.bold_font).
        wb._fonts = IndexedList([Font(name=font.name or "Calibri", sz=font.size or 11)])
        for add in adders:
            add(wb)
        buffer = io.BytesIO()
        with gc_paused():
            wb.save(buffer)
        graft_sheets(self.package, self.styles, buffer.getvalue(), len(self.names))
        self.names = list(wb.sheetnames)

    def tables(self, *writers: Callable[[TableBook], Any]) -> None:
        book = TableBook(self.package, self.styles, self.names)
        for write in writers:
            write(book)
        self.names += book.close()

    def prepared_tables(self, book: TableBook) -> None:
        """Tables laid out and their formats made ahead, in a copy of the styles (annotate's
        worker): made again in ours, in their order, and written as `tables` writes them."""
        book.rebase(self.styles, self.names)
        self.names += book.close()

    def finish(self) -> None:
        """The styles of every grafted sheet written into the package's styles.xml."""
        if self.styles_part is not None:
            self.package.replace(self.styles_part, self.styles.render())
        else:
            self.package.add_part("xl/styles.xml", self.styles.render(), _STYLES_TYPE)
            self.package.add_relationship(self.package.workbook_part(), STYLES_REL, "xl/styles.xml")


def mark_run(package: Package, run_id: str) -> None:
    """The run id in the custom document properties: a reply is recognised by it later."""
    value = f"<vt:lpwstr>{run_id}</vt:lpwstr>"
    if package.has(CUSTOM_PROPS):
        xml = package.read(CUSTOM_PROPS)
        mine = re.search(
            rb"(<(?:\w+:)?property\s[^>]*name=\"" + RUN_ID_PROPERTY.encode() + rb"\"[^>]*>)(.*?)"
            rb"(</(?:\w+:)?property>)",
            xml,
            re.S,
        )
        if mine is not None:
            vt = re.search(rb"<(\w+:)?lpwstr", mine.group(2))
            vt_prefix = (vt.group(1) or b"") if vt else b"vt:"
            body = b"<" + vt_prefix + b"lpwstr>" + run_id.encode() + b"</" + vt_prefix + b"lpwstr>"
            xml = xml[: mine.start(2)] + body + xml[mine.end(2) :]
        else:
            pids = [int(x) for x in re.findall(rb'\spid="(\d+)"', xml)]
            piece = (
                f'<property xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
                f'docPropsVTypes" fmtid="{_PROPS_FMTID}" pid="{max([1, *pids]) + 1}" '
                f"name={attr(RUN_ID_PROPERTY)}>{value}</property>"
            ).encode()
            xml = append_children(
                xml,
                root_prefix(xml),
                "Properties",
                piece,
                None,
                create_before=(),
                closing="Properties",
            )
        package.replace(CUSTOM_PROPS, xml)
        return
    package.add_part(
        CUSTOM_PROPS,
        (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="'
            'http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="'
            'http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f'<property fmtid="{_PROPS_FMTID}" pid="2" name={attr(RUN_ID_PROPERTY)}>{value}'
            "</property></Properties>"
        ).encode(),
        _CUSTOM_TYPE,
    )
    package.add_relationship("", _CUSTOM_REL, CUSTOM_PROPS)
