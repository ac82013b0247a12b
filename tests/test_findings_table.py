"""The long tables' lines: the findings sheet's (findings_table), their order and what each
says, and the IT assets on no book row (added_sheets)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from reconciler.models import (
    Asset,
    AssetStatus,
    BookRow,
    Finding,
    FindingCode,
    Inventory,
    MatchResult,
    Register,
    RunResult,
    Severity,
)
from reconciler.outputs.added_sheets import not_on_books_rows
from reconciler.outputs.findings_table import by_severity_then_amount, finding_lines


def _finding(
    code: FindingCode, severity: Severity, row: int, amount: str | None, **kw: object
) -> Finding:
    money = None if amount is None else Decimal(amount)
    return Finding(code, severity, f"row {row}", "ОС", row, amount=money, **kw)  # type: ignore[arg-type]


def test_findings_are_ordered_worst_then_largest_and_equal_ones_keep_the_registers_order() -> None:
    findings = [
        _finding(FindingCode.FULLY_DEPRECIATED_IN_SERVICE, Severity.INFO, 2, "900"),  # a note
        _finding(FindingCode.COST_MISMATCH, Severity.MEDIUM, 3, "100"),
        _finding(FindingCode.COST_MISMATCH, Severity.MEDIUM, 4, None),  # no amount: as zero
        _finding(FindingCode.MISSING_IN_INVENTORY, Severity.HIGH, 5, "50"),
        _finding(FindingCode.COST_MISMATCH, Severity.MEDIUM, 6, "100"),  # ties row 3
        _finding(FindingCode.COST_MISMATCH, Severity.MEDIUM, 7, "0"),  # ties row 4
        # accepted: after every discrepancy, however severe and large
        _finding(FindingCode.MISSING_IN_INVENTORY, Severity.HIGH, 8, "5000", accepted=True),
        _finding(FindingCode.COST_MISMATCH, Severity.MEDIUM, 9, "250.5"),
    ]
    ordered = by_severity_then_amount([(f, None, None) for f in findings])
    assert [f.row for f, _row, _asset in ordered] == [5, 9, 3, 6, 4, 7, 8, 2]


def test_a_findings_line_takes_each_detail_from_the_row_and_else_from_the_asset() -> None:
    row = BookRow("ОС", 5, inventory_number="ОС-1", name="", location="Склад", serial="с/н AB12")
    asset = Asset("A-1", inventory_number="INV-9", name="Ноутбук Dell", custodian="Иванов")
    both = Finding(FindingCode.COST_MISMATCH, Severity.MEDIUM, "m", "ОС", 5, "A-1")
    on_row = Finding(
        FindingCode.DUPLICATE_ON_BOOKS,
        Severity.LOW,
        "d",
        "ОС",
        6,
        accepted=True,
        accepted_by="ivanova",
        accepted_at="2026-12-01T10:00:00",
        accepted_on_row=5,
    )
    alone = Finding(FindingCode.MISSING_IN_BOOKS, Severity.HIGH, "n", asset_id="A-1")
    lines = finding_lines(
        [(both, row, asset), (on_row, None, None), (alone, None, asset)], "ru", codes=False
    )
    assert lines[0][3:13] == [
        "Другая стоимость",
        None,
        None,
        "средняя",
        "m",
        "ОС-1",
        "Ноутбук Dell",  # the row's name is empty: the asset's
        "Склад",
        "Иванов",
        "AB12",  # the label before the serial dropped
    ]
    assert lines[0][16:] == [None, None]
    assert lines[1][4] == "да" and lines[1][6] == "низкая"
    assert lines[1][16].startswith("ivanova — принято по строке 5")
    assert lines[1][17] == "2026-12-01"
    assert lines[2][:4] == [None, None, "A-1", "Нет в учете"]
    assert lines[2][8:13] == ["INV-9", "Ноутбук Dell", None, "Иванов", None]
    coded = finding_lines([(alone, None, asset)], "en", codes=True)
    assert coded[0][3] == "MISSING_IN_BOOKS" and coded[0][6] == "high"


def test_assets_on_no_book_row_show_their_own_model_status_and_note_in_words() -> None:
    dell, latitude = "Dell", "Latitude 5520"
    assets = [
        Asset("A-1", status=AssetStatus.IN_SERVICE, vendor=dell, model=latitude),
        Asset(
            "A-2", status=AssetStatus.UNKNOWN, status_raw="на проверке", vendor=dell, model=latitude
        ),
        Asset("A-3", status=AssetStatus.UNKNOWN, status_raw="утерян", model=latitude),
        Asset("A-4", status=AssetStatus.DISPOSED, vendor=dell, model=latitude),
        Asset("A-5", status=AssetStatus.UNKNOWN),
        Asset("A-6", status=AssetStatus.IN_SERVICE, vendor="HP"),
    ]
    missing = Finding(FindingCode.MISSING_IN_BOOKS, Severity.HIGH, "n", asset_id="A-6")
    result = RunResult(
        run_id="r",
        run_dir=Path("/nowhere"),
        register=Register(Path("r.xlsx"), "r.xlsx", "0", "xlsx", [], []),
        inventory=Inventory(source="inv", assets=assets),
        match=MatchResult([], [a.asset_id for a in assets]),
        findings=[missing],
        report_date=date(2026, 9, 30),
    )
    rows = {line[0]: line for _kind, line in not_on_books_rows(result, "ru")}
    assert [(rows[i][3], rows[i][8]) for i in ("A-1", "A-2", "A-3", "A-4", "A-5", "A-6")] == [
        ("Dell Latitude 5520", "в эксплуатации"),
        ("Dell Latitude 5520", "на проверке"),  # IT's own word for a status we do not know
        ("Latitude 5520", "утерян"),
        ("Dell Latitude 5520", "списан"),
        (None, "не указан"),
        ("HP", "в эксплуатации"),
    ]
    notes = {line[0]: line[11] for line in rows.values()}
    assert notes["A-6"] != notes["A-4"] != notes["A-1"] == notes["A-5"]
    assert list(rows)[:2] == ["A-6", "A-4"]  # the one to act on first, then the disposed one
