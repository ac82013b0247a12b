"""SynthData -> files: the 1C print, a plain register, the IT inventory, the truth; and the
in-memory Register that reading the 1C print gives.

All workbooks are written in openpyxl's write-only mode: 100k rows stream out without holding
a worksheet in memory.
"""

from __future__ import annotations

import csv
import hashlib
import json
from bisect import bisect_left
from collections.abc import Iterable
from copy import copy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reconciler.models import Asset, BookRow, Register, SheetInfo
from reconciler.synth import catalog, layout1c
from reconciler.synth.generate import SynthData
from reconciler.synth.spelling import date_text, money_text

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(bold=True)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right")


def _cell(ws: WriteOnlyWorksheet, value: Any, *, bold: bool = False, box: bool = True,
          align: Alignment | None = None) -> WriteOnlyCell:  # fmt: skip
    cell = WriteOnlyCell(ws, value=value)
    if bold:
        cell.font = _BOLD
    if box:
        cell.border = _BOX
    if align is not None:
        cell.alignment = align
    return cell


_letter = get_column_letter


class _BoxedCells:
    """Bordered data cells at the speed of plain ones: the style is resolved once and copied
    (setting .border on each of a million cells looks it up in the workbook every time)."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.template = _cell(ws, None)

    def __call__(self, value: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell._style = copy(self.template._style)
        return cell


def onec_sheet_info(data: SynthData) -> SheetInfo:
    """Where the table sits in the 1C print, as the layout stage reports it."""
    columns = {
        name: i for i, (name, _, _) in enumerate(layout1c.COLUMNS, start=1) if name is not None
    }
    return SheetInfo(
        name=layout1c.SHEET,
        header_row=layout1c.HEADER_ROW,
        header_end_row=layout1c.HEADER_END_ROW,
        columns=columns,
        headers=layout1c.header_texts(),
        max_column=layout1c.N_COLUMNS,
        max_row=data.total_row,
    )


def make_register(data: SynthData, file_name: str = "register.xlsx") -> Register:
    """The Register that reading write_register_1c's file gives, without the file.

    `sha256` is a digest of the seed and sizes (there are no bytes to hash); `path` is the
    bare file name.
    """
    digest = hashlib.sha256(
        f"synthetic:{data.seed}:{len(data.register_rows)}:{len(data.inventory.assets)}".encode()
    ).hexdigest()
    return Register(
        path=Path(file_name),
        file_name=file_name,
        sha256=digest,
        format="xlsx",
        sheets=[onec_sheet_info(data)],
        rows=list(data.register_rows),
        report_date=data.report_date,
    )


def _onec_values(row: BookRow) -> list[Any]:
    """A data row as 1C prints it: numbers and dates as text."""
    return [
        row.extra.get(layout1c.NUMBER_HEADER),
        row.name,
        row.inventory_number,
        row.serial,
        date_text(row.acquired_on) if row.acquired_on else None,
        str(row.useful_life_months) if row.useful_life_months is not None else None,
        row.account,
        str(row.quantity),
        money_text(row.cost) if row.cost is not None else None,
        money_text(row.book_value) if row.book_value is not None else None,
        row.custodian,
        row.location,
    ]


def _sums(rows: Iterable[BookRow]) -> tuple[str, str, str]:
    qty, cost, value = 0, Decimal(0), Decimal(0)
    for r in rows:
        qty += r.quantity
        cost += r.cost or 0
        value += r.book_value or 0
    return str(qty), money_text(cost), money_text(value)


def write_register_1c(data: SynthData, path: Path) -> Path:
    """The 1C "Ведомость основных средств" print (layout in layout1c's docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(layout1c.SHEET)
    for col, width in enumerate((6, 48, 14, 18, 12, 12, 8, 8, 16, 16, 30, 30), start=1):
        ws.column_dimensions[_letter(col)].width = width
    n = layout1c.N_COLUMNS
    last = _letter(n)
    span = _letter(layout1c.GROUP_LABEL_SPAN)
    on = data.report_date.strftime("%d.%m.%Y")
    ws.append([_cell(ws, catalog.ORGANISATION, bold=True, box=False)])
    ws.append([_cell(ws, f"Ведомость основных средств на {on}", bold=True, box=False,
                     align=Alignment(horizontal="center"))])  # fmt: skip
    ws.merged_cells.add(f"A{layout1c.TITLE_ROW}:{last}{layout1c.TITLE_ROW}")
    ws.append([_cell(ws, f"Параметры: Счет учета: {catalog.ACCOUNT}; "
                         f"Организация: {catalog.ORGANISATION}; Группировка: Местонахождение",
                     box=False)])  # fmt: skip
    top = [_cell(ws, t, bold=True, align=_CENTER) for _, t, _ in layout1c.COLUMNS]
    sub = [_cell(ws, s, bold=True, align=_CENTER) if s else _cell(ws, None)
           for _, _, s in layout1c.COLUMNS]  # fmt: skip
    h, h2 = layout1c.HEADER_ROW, layout1c.HEADER_ROW + 1
    for col, (_, text, below) in enumerate(layout1c.COLUMNS, start=1):
        if below is None:
            ws.merged_cells.add(f"{_letter(col)}{h}:{_letter(col)}{h2}")
        elif col > 1 and layout1c.COLUMNS[col - 2][1] == text:
            top[col - 1] = _cell(ws, None)  # the merged "Стоимость" shows only its first cell
    cost_col = layout1c.column_of("cost")
    ws.merged_cells.add(f"{_letter(cost_col)}{h}:{_letter(cost_col + 1)}{h}")
    ws.append(top)
    ws.append(sub)
    ws.append([_cell(ws, i, align=_CENTER) for i in range(1, n + 1)])

    boxed = _BoxedCells(ws)
    rows_by_group: dict[int, list[BookRow]] = {}
    starts = sorted(data.group_rows)
    for row in data.register_rows:
        group = starts[bisect_left(starts, row.row) - 1]
        rows_by_group.setdefault(group, []).append(row)
    expected = layout1c.FIRST_BODY_ROW
    for group in starts:
        members = rows_by_group.get(group, [])
        if group != expected:
            raise AssertionError(f"group row {group} where row {expected} comes next")
        qty, cost, value = _sums(members)
        label = [_cell(ws, data.group_rows[group], bold=True)]
        label += [_cell(ws, None) for _ in range(layout1c.GROUP_LABEL_SPAN - 1)]
        label += [_cell(ws, v, bold=True, align=_RIGHT) for v in (qty, cost, value)]
        label += [_cell(ws, None), _cell(ws, None)]
        ws.append(label)
        ws.merged_cells.add(f"A{group}:{span}{group}")
        for offset, row in enumerate(members, start=1):
            if row.row != group + offset:
                raise AssertionError(f"book row {row.row} is not at Excel row {group + offset}")
            ws.append([boxed(v) for v in _onec_values(row)])
        expected = group + len(members) + 1
    qty, cost, value = _sums(data.register_rows)
    total = [_cell(ws, "Итого", bold=True)]
    total += [_cell(ws, None) for _ in range(layout1c.GROUP_LABEL_SPAN - 1)]
    total += [_cell(ws, v, bold=True, align=_RIGHT) for v in (qty, cost, value)]
    total += [_cell(ws, None), _cell(ws, None)]
    ws.append(total)
    ws.merged_cells.add(f"A{data.total_row}:{span}{data.total_row}")
    wb.save(path)
    return path


PLAIN_HEADERS = (
    "Asset",
    "Asset description",
    "Serial number",
    "Quantity",
    "Acquisition cost",
    "Net book value",
    "Capitalization date",
    "Useful life months",
    "Location",
    "Custodian",
    "Account",
)


def write_register_plain(data: SynthData, path: Path, *, maker_columns: bool = False) -> Path:
    """One English header row, real numbers and dates; data row i (0-based) is Excel row i+2.

    The truth's row numbers are the 1C layout's: map with `data.register_rows[i].row`.
    `maker_columns`: as SAP lists assets, the description only says what it is ('Ноутбук'),
    the manufacturer and the type name stand in columns of their own.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Assets")
    headers = list(PLAIN_HEADERS)
    if maker_columns:
        headers[2:2] = ["Manufacturer", "Type name"]
    ws.append(headers)
    for r in data.register_rows:
        described = _maker_columns(str(r.name)) if maker_columns else [r.name]
        ws.append(
            [
                r.inventory_number,
                *described,
                r.serial,
                r.quantity,
                r.cost,
                r.book_value,
                r.acquired_on,
                r.useful_life_months,
                r.location,
                r.custodian,
                r.account,
            ]
        )
    wb.save(path)
    return path


def _maker_columns(name: str) -> list[str | None]:
    """'Ноутбук Dell Latitude 5430 б/у' -> 'Ноутбук', 'Dell', 'Latitude 5430 б/у'. A kit's
    line keeps its whole name: its count ('(6 шт.)') is read from the description."""
    words = name.split()
    if len(words) < 3 or "комплект" in name.casefold() or " шт" in name:
        return [name, None, None]
    return [words[0], words[1], " ".join(words[2:])]


# Snipe-IT's export headers, with the custom fields this company added.
INVENTORY_HEADERS: tuple[tuple[str, str], ...] = (
    ("ID", "asset_id"),
    ("Asset Tag", "inventory_number"),
    ("Asset Name", "name"),
    ("Manufacturer", "vendor"),
    ("Model", "model"),
    ("Category", "category"),
    ("Serial", "serial"),
    ("Status", "status_raw"),
    ("Location", "location"),
    ("Assigned To", "custodian"),
    ("Purchase Date", "purchased_on"),
    ("Purchase Cost", "purchase_cost"),
    ("Warranty Expires", "warranty_until"),
    ("Hostname", "hostname"),
    ("CPU", "cpu"),
    ("RAM", "ram"),
    ("Storage", "storage"),
    ("IP Address", "ip"),
    ("Rack", "rack"),
    ("Kit", "kit"),
)


def _inventory_values(asset: Asset) -> list[Any]:
    return [getattr(asset, attr) for _, attr in INVENTORY_HEADERS]


def write_inventory(data: SynthData, path: Path) -> Path:
    """The IT inventory as Snipe-IT exports it: .xlsx, or UTF-8 .csv when the suffix says so."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = [h for h, _ in INVENTORY_HEADERS]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(headers)
            for asset in data.inventory.assets:
                out.writerow(["" if v is None else str(v) for v in _inventory_values(asset)])
        return path
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Assets")
    ws.append(headers)
    for asset in data.inventory.assets:
        ws.append(_inventory_values(asset))
    wb.save(path)
    return path


def truth_document(data: SynthData) -> dict[str, Any]:
    def iso(d: date | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "version": 1,
        "seed": data.seed,
        "report_date": iso(data.report_date),
        "layout": "1c",  # row numbers are those of write_register_1c's file
        "rows": [
            {"sheet": sheet, "row": row, "asset_ids": ids}
            for (sheet, row), ids in sorted(data.truth.items())
        ],
        "planted": [
            {
                "code": p.code,
                "sheet": p.sheet,
                "row": p.row,
                "asset_id": p.asset_id,
                "incidental": p.incidental,
                "note": p.note,
            }
            for p in data.planted
        ],
    }


def write_truth(data: SynthData, path: Path) -> Path:
    """What a correct run must find: every row's assets and every planted finding (JSON)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(truth_document(data), ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    return path
