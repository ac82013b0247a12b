"""An .xlsx copy of a register that cannot be rewritten in place (xls, ods, csv, html, xml).

Every sheet's values at the same Excel row and column, merged ranges where the format knows
them, written by xlsxwriter (fast, and every string through write_string: never a formula).
The streamed annotate then treats this copy as it treats an accountant's xlsx.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path

import xlsxwriter

from reconciler.outputs.xlsx_package import sheet_title
from reconciler.outputs.xlsx_writer import DATE_FORMAT, MONEY_FORMAT, stored_value


def copy_grid_workbook(path: Path, file_name: str) -> tuple[bytes, dict[str, str]]:
    """The copy's bytes, and each source sheet's name -> its title in the copy."""
    from reconciler.read.sheets import open_workbook

    source = open_workbook(path, file_name=file_name)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats = {
        "date": book.add_format({"num_format": DATE_FORMAT.lower()}),
        "datetime": book.add_format({"num_format": "dd.mm.yyyy hh:mm"}),
        "money": book.add_format({"num_format": MONEY_FORMAT}),
        "time": book.add_format({"num_format": "hh:mm:ss"}),
        "quoted": book.add_format({"quote_prefix": True}),
    }
    titles: dict[str, str] = {}
    for grid in source.sheets():
        title = sheet_title(grid.name, list(titles.values()))
        titles[grid.name] = title
        ws = book.add_worksheet(title)
        for r, line in enumerate(grid.cells):
            for c, value in enumerate(line):
                if value is None or value == "":
                    continue
                if isinstance(value, time):
                    ws.write_datetime(
                        r, c, datetime.combine(date(1899, 12, 31), value), formats["time"]
                    )
                    continue
                stored, number_format, quote = stored_value(value)
                if isinstance(stored, str):
                    ws.write_string(r, c, stored, formats["quoted"] if quote else None)
                elif isinstance(stored, bool):
                    ws.write_boolean(r, c, stored)
                elif isinstance(stored, datetime | date):
                    key = "date" if number_format == DATE_FORMAT else "datetime"
                    ws.write_datetime(r, c, stored, formats[key])
                else:
                    ws.write_number(
                        r, c, stored, formats["money"] if number_format == MONEY_FORMAT else None
                    )
        for r1, c1, r2, c2 in grid.merged or []:
            if (r1, c1) != (r2, c2):
                # The values are written already: only the range is registered.
                ws.merge.append([r1, c1, r2, c2])
    if not titles:
        book.add_worksheet("Sheet1")
    book.close()
    return buffer.getvalue(), titles
