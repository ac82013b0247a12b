"""checks.py: every finding code on the planted run (tests/run_fixtures.py), and the cases that
must not be findings (name formats, place details, low-value or disposed assets off the books).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError
from run_fixtures import PLANTED, REPORT_DATE, SHEET, assets, book_rows, match_result, planted_run

from reconciler.checks.accounting import CODES, run_checks
from reconciler.models import (
    Asset,
    AssetStatus,
    Candidate,
    Finding,
    FindingCode,
    Inventory,
    MatchResult,
    Register,
    RowMatch,
    RowStatus,
    SheetInfo,
)
from reconciler.rules import CheckRule, Rules


def test_finding_codes_are_the_stable_list_none_renamed() -> None:
    """The one literal copy of the codes: auditors script against them (shared/DESIGN.md).
    Adding a code means adding it here; renaming one breaks this test, as it should."""
    assert [c.value for c in FindingCode] == [
        "MISSING_IN_INVENTORY",
        "MISSING_IN_BOOKS",
        "LOCATION_MISMATCH",
        "CUSTODIAN_MISMATCH",
        "SERIAL_MISMATCH",
        "COST_MISMATCH",
        "FULLY_DEPRECIATED_IN_SERVICE",
        "DISPOSED_STILL_ON_BOOKS",
        "BELOW_CAPITALIZATION_THRESHOLD",
        "DUPLICATE_ON_BOOKS",
        "KIT_INCOMPLETE",
        "NEEDS_REVIEW",
    ]


def _codes_by_row(findings: list[Finding]) -> dict[int | None, list[str]]:
    out: dict[int | None, list[str]] = {}
    for f in findings:
        out.setdefault(f.row, []).append(f.code)
    return out


def _run(rows, asset_list, match, rules: Rules, language: str = "ru") -> list[Finding]:
    info = SheetInfo(SHEET, 1, 1, {}, {}, 11, 100)
    register = Register(Path("x.xlsx"), "x.xlsx", "0" * 64, "xlsx", [info], rows)
    return run_checks(
        register,
        Inventory("inv", asset_list),
        match,
        rules,
        report_date=REPORT_DATE,
        language=language,
    )


def test_each_planted_row_gets_exactly_its_code(tmp_path: Path, rules: Rules) -> None:
    result = planted_run(tmp_path, rules)
    by_row = _codes_by_row(result.findings)
    for row, code in PLANTED.items():
        assert by_row.get(row, []) == ([code] if code else []), f"row {row}"


def test_every_code_is_planted_and_found(tmp_path: Path, rules: Rules) -> None:
    result = planted_run(tmp_path, rules)
    assert {f.code for f in result.findings} == set(CODES)


def test_assets_off_the_books_are_reported_only_when_capitalisable_and_not_disposed(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_run(tmp_path, rules)
    missing = [f for f in result.findings if f.code == "MISSING_IN_BOOKS"]
    # A-20 costs 90 000, A-21 has no cost; A-22 (5 000) is a low-value item, A-23 is disposed.
    assert [f.asset_id for f in missing] == ["A-20", "A-21"]
    assert all(f.row is None and f.sheet is None for f in missing)
    assert missing[0].amount == Decimal(90000)


def test_findings_are_ordered_by_row_then_assets_off_the_books_last(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_run(tmp_path, rules)
    rows = [f.row for f in result.findings if f.row is not None]
    assert rows == sorted(rows)
    assert [f.row for f in result.findings[-2:]] == [None, None]


def test_name_formats_and_place_details_are_not_disagreements(rules: Rules) -> None:
    rows = book_rows()[:1]
    row = replace(rows[0], custodian="Иванов И.И.", location="ЦОД-1")
    asset = replace(assets()[0], custodian="ИВАНОВ  Иван Иванович", location="Москва, цод-1")
    match = MatchResult([RowMatch(row, RowStatus.MATCHED, [asset.asset_id], 100.0)], [])
    assert _run([row], [asset], match, rules) == []


def test_serial_mismatch_needs_both_serials_and_no_common_one(rules: Rules) -> None:
    row = replace(book_rows()[0], serial="S/N czj-001, XYZ999")
    asset = replace(assets()[0], serial="CZJ001")
    match = MatchResult([RowMatch(row, RowStatus.MATCHED, [asset.asset_id], 100.0)], [])
    assert _run([row], [asset], match, rules) == []
    asset_no_serial = replace(asset, serial=None)
    assert _run([row], [asset_no_serial], match, rules) == []


def test_cost_within_tolerance_is_not_a_mismatch_and_a_kit_is_summed(rules: Rules) -> None:
    row = replace(book_rows()[0], cost=Decimal("300000"), quantity=2, serial=None)
    a, b = assets()[0], assets()[1]
    a = replace(a, purchase_cost=Decimal("150000"), location=row.location)
    b = replace(b, purchase_cost=Decimal("152000"), location=row.location)  # 302 000: 0.7% off
    match = MatchResult([RowMatch(row, RowStatus.MATCHED, [a.asset_id, b.asset_id], 100.0)], [])
    assert _run([row], [a, b], match, rules) == []
    b = replace(b, purchase_cost=Decimal("160000"))
    found = _run([row], [a, b], match, rules)
    assert [f.code for f in found] == ["COST_MISMATCH"]
    assert found[0].it_value == "310\u00a0000,00"


def test_where_it_writes_costs_with_vat_they_are_the_books_cost_and_low_value_stays_off(
    rules: Rules,
) -> None:
    """At the branch IT copies invoices' totals: three laptops the books hold at 100 000 each,
    IT at 120 000 (VAT 20%). That is the same money, learned from the run's own pairs: no
    COST_MISMATCH, while 150 000 there still is one. A monitor IT holds at 43 440 at the
    branch cost 36 200, below the threshold: not reported off the books; at the head office,
    where IT writes net prices, 43 440 is capitalisable and reported."""
    base_row, base_asset = book_rows()[0], assets()[0]
    where, who = "Филиал", base_row.custodian
    rows, its, pairs = [], [], []
    for i, it_cost in enumerate(["120000", "120000", "120000", "150000"]):
        row = replace(base_row, row=20 + i, cost=Decimal("100000"), location=where, custodian=who)
        asset = replace(
            base_asset,
            asset_id=f"L{i}",
            purchase_cost=Decimal(it_cost),
            serial=row.serial,
            location=where,
            custodian=who,
        )
        rows.append(row)
        its.append(asset)
        pairs.append(RowMatch(row, RowStatus.MATCHED, [asset.asset_id], 100.0))
    monitors = [
        replace(base_asset, asset_id="M-BRANCH", purchase_cost=Decimal("43440"), location=where),
        replace(base_asset, asset_id="M-HEAD", purchase_cost=Decimal("43440"), location="Центр"),
    ]
    match = MatchResult(pairs, ["M-BRANCH", "M-HEAD"])
    found = _run(rows, its + monitors, match, rules)
    costs = [f.row for f in found if f.code == "COST_MISMATCH"]
    off_books = [f.asset_id for f in found if f.code == "MISSING_IN_BOOKS"]
    assert (costs, off_books) == ([23], ["M-HEAD"])


def test_useful_life_over_before_report_date_is_fully_depreciated(rules: Rules) -> None:
    row = replace(
        book_rows()[0],
        book_value=Decimal(1000),
        acquired_on=date(2020, 9, 1),
        useful_life_months=60,
    )
    asset = assets()[0]
    match = MatchResult([RowMatch(row, RowStatus.MATCHED, [asset.asset_id], 100.0)], [])
    found = _run([row], [asset], match, rules)
    assert [f.code for f in found] == ["FULLY_DEPRECIATED_IN_SERVICE"]
    assert "01.09.2025" in found[0].message
    in_stock = replace(asset, status=AssetStatus.IN_STOCK)
    assert _run([row], [in_stock], match, rules) == []


def test_review_rows_get_only_needs_review(rules: Rules) -> None:
    row = replace(book_rows()[1], location="Нигде", serial="OTHER")
    asset = assets()[0]
    review = RowMatch(row, RowStatus.REVIEW, [], 75.0, candidates=[Candidate("A-01", 75.0)])
    match = MatchResult([review], [])
    assert [f.code for f in _run([row], [asset], match, rules)] == ["NEEDS_REVIEW"]


def test_english_messages_and_a_disabled_code(rules: Rules) -> None:
    custom = rules.model_copy(deep=True)
    custom.checks.codes[FindingCode.LOCATION_MISMATCH] = CheckRule(enabled=False)
    rows = book_rows()
    findings = _run(rows, assets(), match_result(rows), custom, language="en")
    codes = {f.code for f in findings}
    assert "LOCATION_MISMATCH" not in codes
    serial = next(f for f in findings if f.code == "SERIAL_MISMATCH")
    assert serial.message == "Serial number: books say 'CZJ005', IT says 'CZJ999'"


def test_a_users_checks_file_with_only_a_threshold_keeps_default_messages(rules: Rules) -> None:
    custom = rules.model_copy(
        update={"checks": rules.checks.model_copy(update={"capitalization_threshold": 20000})}
    )
    rows = book_rows()
    findings = _run(rows, assets(), match_result(rows), custom)
    assert "BELOW_CAPITALIZATION_THRESHOLD" not in {f.code for f in findings}  # 30 000 > 20 000
    missing = next(f for f in findings if f.code == "MISSING_IN_INVENTORY")
    assert missing.message.startswith("Нет в ИТ-учете")
    assert missing.severity == "high"


def test_a_misspelt_placeholder_in_a_message_is_a_load_error() -> None:
    with pytest.raises(ValidationError, match=r"unknown placeholder \{boook\}"):
        CheckRule(message={"ru": "в учете {boook}"})


def test_a_review_row_gets_needs_review_only_and_its_duplicate_partner_names_it(
    rules: Rules,
) -> None:
    rows = book_rows()
    cheap_twin = replace(rows[9], row=30, cost=Decimal(1000))  # same inventory No. as row 16
    match = match_result(rows)
    match.rows.append(
        RowMatch(cheap_twin, RowStatus.REVIEW, [], 75.0, candidates=[Candidate("A-10", 75.0)])
    )
    found = _run([*rows, cheap_twin], assets(), match, rules)
    assert [f.code for f in found if f.row == 30] == ["NEEDS_REVIEW"]
    partner = [f for f in found if f.row == 16 and f.code == "DUPLICATE_ON_BOOKS"]
    assert len(partner) == 1 and "строка 30" in partner[0].message


def test_an_asset_off_the_books_shows_nothing_on_the_books_side_and_its_cost_on_the_it_side(
    tmp_path: Path, rules: Rules
) -> None:
    result = planted_run(tmp_path, rules)
    missing = {f.asset_id: f for f in result.findings if f.code == "MISSING_IN_BOOKS"}
    # A-20 cost IT 90 000; A-21 has no cost. The books have neither: "нет в учете".
    assert missing["A-20"].book_value == "нет в учете"
    assert missing["A-20"].it_value == "90\xa0000,00"
    assert missing["A-21"].book_value == "нет в учете"
    # No price in IT is said in words: "стоимость ?" read as a glitch.
    assert missing["A-21"].it_value == "не указана"
    assert "(стоимость не указана)" in missing["A-21"].message
    # The message still names the asset and its cost, as checks.yaml words it.
    assert (
        "A-20" in missing["A-20"].message and "(стоимость 90\xa0000,00)" in missing["A-20"].message
    )


def test_an_asset_off_the_books_in_english_says_not_on_the_books(rules: Rules) -> None:
    asset = Asset("A-9", name="Switch", purchase_cost=Decimal(50000))
    match = MatchResult(rows=[], unmatched_asset_ids=["A-9"])
    (finding,) = _run([], [asset], match, rules, language="en")
    assert (finding.code, finding.book_value, finding.it_value) == (
        "MISSING_IN_BOOKS",
        "not on the books",
        "50,000.00",
    )


def test_a_users_serial_label_in_rules_counts_in_the_serial_and_duplicate_checks(
    rules: Rules,
) -> None:
    """A book cell 'Serien-Nr. CZJ001' with a label only the user's normalize.yaml knows:
    without the label it is no serial match (SERIAL_MISMATCH); with it, the same serial."""
    row = replace(book_rows()[0], serial="Serien-Nr. CZJ001")
    twin = replace(book_rows()[1], serial="CZJ001", inventory_number="INV-TWIN")
    asset = replace(assets()[0], serial="CZJ001")
    match = MatchResult([RowMatch(row, RowStatus.MATCHED, [asset.asset_id], 100.0)], [])
    assert "SERIAL_MISMATCH" in {f.code for f in _run([row], [asset], match, rules)}
    prefixes = [*rules.normalize.serial_prefixes, "serien-nr."]
    custom = rules.model_copy(
        update={"normalize": rules.normalize.model_copy(update={"serial_prefixes": prefixes})}
    )
    assert _run([row], [asset], match, custom) == []
    both = MatchResult([RowMatch(row, RowStatus.MATCHED, [asset.asset_id], 100.0)], [])
    codes = _codes_by_row(_run([row, twin], [asset], both, custom))
    assert "DUPLICATE_ON_BOOKS" in codes[row.row] and "DUPLICATE_ON_BOOKS" in codes[twin.row]


def test_a_kit_named_with_its_count_is_incomplete_even_when_its_quantity_says_one(
    rules: Rules,
) -> None:
    """'Комплект серверов ... (3 шт.)' booked as quantity 1: matching lets it take three
    assets, so two found is an incomplete kit, as for a line of quantity 3."""
    row = replace(book_rows()[0], name="Комплект серверов Dell PowerEdge R750 (3 шт.)", quantity=1)
    first, second = assets()[0], replace(assets()[0], asset_id="A-KIT-2")
    match = MatchResult(
        [RowMatch(row, RowStatus.MATCHED, [first.asset_id, second.asset_id], 100.0)], []
    )
    kit = [f for f in _run([row], [first, second], match, rules) if f.code == "KIT_INCOMPLETE"]
    assert len(kit) == 1 and kit[0].book_value == "3"
