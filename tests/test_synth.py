"""The synthetic generator: seeded, consistent with its truth, and files shaped like 1C's.

The oracle below re-derives every finding from the truth by the rules in README (with its own
small key functions, so it does not lean on the matching code it is meant to test), and the
planted list must equal what it finds: nothing planted that the rules would not raise, and no
incidental finding left unlisted.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from reconciler import synth
from reconciler.checks import accounting as checks
from reconciler.config import InventoryConfig, load_config
from reconciler.errors import ConfigError
from reconciler.inventory import load as inventory
from reconciler.match import name_keys, unit_keys
from reconciler.models import (
    BOOK_FIELDS,
    AssetStatus,
    BookRow,
    FindingCode,
    MatchResult,
    RowMatch,
    RowStatus,
)
from reconciler.read import register as layout
from reconciler.rules import Rules
from reconciler.synth import layout1c
from reconciler.synth.itside import IT_SYSTEM_START
from reconciler.synth.spelling import PLACEHOLDER_SERIALS, PLACEHOLDER_TAGS

# Every code but NEEDS_REVIEW, which is an uncertain match, not a planted discrepancy.
CODES = set(FindingCode) - {FindingCode.NEEDS_REVIEW}


@pytest.fixture(scope="module")
def small() -> synth.SynthData:
    """60 rows, seed 7: the bundled example's size; every code planted at least once."""
    return synth.generate(60, seed=7)


@pytest.fixture(scope="module")
def large() -> synth.SynthData:
    """1000 rows x 1600 assets, seed 11: batches of identical laptops, several kits."""
    return synth.generate(1000, 1600, seed=11)


# --- an independent oracle ----------------------------------------------------------------

_LATIN = str.maketrans("АВСЕНКМОРТХавсенкмортху", "ABCEHKMOPTXabcehkmoptxy")


def _serial(text: str | None) -> str:
    if not text or unit_keys.serial_key(text) == "":  # a placeholder is no serial
        return ""
    text = re.sub(r"^(S/N|зав\. №)\s*", "", text.strip(), flags=re.I)
    return re.sub(r"\W", "", text.translate(_LATIN)).upper()


def _inventory(text: str | None) -> str:
    key = re.sub(r"\W", "", (text or "").translate(_LATIN)).upper()
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", key)


def _person(text: str | None) -> str:
    parts = [p for p in re.split(r"[\s.]+", text or "") if p]
    longs = [p for p in parts if len(p) > 1]
    if len(longs) == 1:
        surname = longs[0]
        initials = [p[0] for p in parts if p != surname]
    else:
        surname, initials = longs[0], [p[0] for p in longs[1:]]
    return f"{surname.lower()} {''.join(initials).lower()}"


def _place(text: str | None) -> str:
    return re.sub(r"[\W_]+", "", (text or "").lower())


def _months_later(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(y, m + 1, min(day.day, 28))


def oracle(data: synth.SynthData) -> set[tuple[str, int | None, str | None]]:
    """Findings the README rules give for the true pairs: (code, row, asset_id or None)."""
    assets = data.inventory.by_id()
    habits = _vat_habits(data)
    found: set[tuple[str, int | None, str | None]] = set()
    by_inventory: defaultdict[str, list[int]] = defaultdict(list)
    by_serial: defaultdict[str, list[int]] = defaultdict(list)
    for r in data.register_rows:
        ids = data.truth[r.key]
        one = ids[0] if len(ids) == 1 else None
        by_inventory[_inventory(r.inventory_number)].append(r.row)
        for s in (r.serial or "").split(","):
            if _serial(s):
                by_serial[_serial(s)].append(r.row)
        assert r.cost is not None and r.book_value is not None and r.acquired_on is not None
        assert r.useful_life_months is not None
        if r.cost / r.quantity < 40_000:
            found.add(("BELOW_CAPITALIZATION_THRESHOLD", r.row, None))
        if not ids:
            found.add(("MISSING_IN_INVENTORY", r.row, None))
            continue
        units = [assets[i] for i in ids]
        if len(units) < r.quantity:
            found.add(("KIT_INCOMPLETE", r.row, one))
        costs = [u.purchase_cost for u in units]
        if None not in costs:
            it_cost = sum((c for c in costs if c is not None), Decimal(0))
            vat = habits.get(_place(r.location))  # IT there writes costs with VAT
            with_vat = vat is not None and _same_money(r.cost * vat, it_cost)
            # as written too, unless a kit misses units (its sum may meet by chance)
            as_written = (len(units) >= r.quantity or vat is None) and _same_money(r.cost, it_cost)
            if not (with_vat or as_written):
                found.add(("COST_MISMATCH", r.row, one))
        if any(_place(u.location) != _place(r.location) for u in units):
            found.add(("LOCATION_MISMATCH", r.row, one))
        if any(_person(u.custodian) != _person(r.custodian) for u in units):
            found.add(("CUSTODIAN_MISMATCH", r.row, one))
        it_serial = _serial(units[0].serial)  # IT's placeholder says nothing either way
        if r.quantity == 1 and r.serial and it_serial and _serial(r.serial) != it_serial:
            found.add(("SERIAL_MISMATCH", r.row, one))
        life_over = _months_later(r.acquired_on, r.useful_life_months) <= data.report_date
        in_service = any(u.status is AssetStatus.IN_SERVICE for u in units)
        if (r.book_value == 0 or life_over) and in_service:
            found.add(("FULLY_DEPRECIATED_IN_SERVICE", r.row, one))
        if any(u.status is AssetStatus.DISPOSED for u in units):
            found.add(("DISPOSED_STILL_ON_BOOKS", r.row, one))
    for rows in (*by_inventory.values(), *by_serial.values()):
        if len(rows) > 1:
            found.update(("DUPLICATE_ON_BOOKS", row, None) for row in rows)
    on_books = {i for ids in data.truth.values() for i in ids}
    for a in data.inventory.assets:
        if a.asset_id in on_books or a.status is AssetStatus.DISPOSED:
            continue
        vat = habits.get(_place(a.location), Decimal(1))
        if a.purchase_cost is None or a.purchase_cost / vat >= 40_000:
            found.add(("MISSING_IN_BOOKS", None, a.asset_id))
    return found


def _same_money(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= max(a, b) * Decimal("0.01")


def _vat_habits(data: synth.SynthData) -> dict[str, Decimal]:
    """Book place -> 1.2 or 1.18 where more true one-unit pairs there agree with VAT added to
    the books' cost than as written: where that site's IT writes invoices' totals."""
    assets = data.inventory.by_id()
    votes: defaultdict[str, Counter[Decimal]] = defaultdict(Counter)
    for r in data.register_rows:
        ids = data.truth[r.key]
        if len(ids) != 1 or r.quantity != 1 or r.cost is None:
            continue
        it = assets[ids[0]].purchase_cost
        for rate in (Decimal(1), Decimal("1.2"), Decimal("1.18")):
            if it is not None and _same_money(r.cost * rate, it):
                votes[_place(r.location)][rate] += 1
                break
    return {
        place: rate
        for place, count in votes.items()
        for rate, n in count.most_common(1)
        if rate != 1 and n > count[Decimal(1)]
    }


def _planted(data: synth.SynthData) -> set[tuple[str, int | None, str | None]]:
    return {(p.code, p.row, p.asset_id) for p in data.planted}


# --- determinism ---------------------------------------------------------------------------


def test_the_same_seed_gives_identical_data() -> None:
    first, second = synth.generate(300, seed=3), synth.generate(300, seed=3)
    assert first.register_rows == second.register_rows
    assert first.inventory.assets == second.inventory.assets
    assert first.truth == second.truth
    assert first.planted == second.planted


def test_different_seeds_give_different_registers() -> None:
    first, second = synth.generate(100, seed=1), synth.generate(100, seed=2)
    assert [r.serial for r in first.register_rows] != [r.serial for r in second.register_rows]
    # Placeholders ('0123456789') are what agents write on any machine, in any company.
    assert {
        a.serial for a in first.inventory.assets if a.serial not in PLACEHOLDER_SERIALS
    }.isdisjoint({a.serial for a in second.inventory.assets})


def _cells(path: Path) -> list[tuple[object, ...]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [row for ws in wb.worksheets for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def test_the_same_seed_writes_files_with_identical_cells(tmp_path: Path) -> None:
    for name in ("a", "b"):
        data = synth.generate(120, seed=5)
        synth.write_register_1c(data, tmp_path / name / "register.xlsx")
        synth.write_register_plain(data, tmp_path / name / "plain.xlsx")
        synth.write_inventory(data, tmp_path / name / "inventory.xlsx")
        synth.write_truth(data, tmp_path / name / "truth.json")
    for file in ("register.xlsx", "plain.xlsx", "inventory.xlsx"):
        assert _cells(tmp_path / "a" / file) == _cells(tmp_path / "b" / file)
    assert (tmp_path / "a" / "truth.json").read_bytes() == (
        tmp_path / "b" / "truth.json"
    ).read_bytes()


# --- planted findings and the truth ----------------------------------------------------------


@pytest.mark.parametrize("size", ["small", "large"])
def test_every_finding_code_is_planted(size: str, request: pytest.FixtureRequest) -> None:
    data: synth.SynthData = request.getfixturevalue(size)
    assert {p.code for p in data.planted if not p.incidental} == CODES


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_rules_applied_to_the_truth_find_exactly_what_was_planted(
    size: str, request: pytest.FixtureRequest
) -> None:
    data: synth.SynthData = request.getfixturevalue(size)
    expected, planted = oracle(data), _planted(data)
    assert planted - expected == set(), "planted but the rules would not raise it"
    assert expected - planted == set(), "the rules raise it but it is not in the planted list"


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_planted_findings_agree_with_the_rules_for_any_seed(seed: int) -> None:
    data = synth.generate(400, seed=seed)
    assert _planted(data) == oracle(data)


def test_planted_rows_carry_one_primary_code_each(large: synth.SynthData) -> None:
    per_row = Counter(p.row for p in large.planted if p.row is not None and not p.incidental)
    assert max(per_row.values()) == 1


def test_truth_names_existing_assets_one_to_one_except_kits(large: synth.SynthData) -> None:
    ids = large.inventory.by_id()
    rows = {r.key: r for r in large.register_rows}
    assert set(large.truth) == set(rows)
    seen: list[str] = [i for assets in large.truth.values() for i in assets]
    assert all(i in ids for i in seen)
    assert len(seen) == len(set(seen)), "an asset is the truth of two rows"
    kits = 0
    for key, assets in large.truth.items():
        row = rows[key]
        if row.quantity == 1:
            assert len(assets) <= 1
            continue
        kits += 1
        assert "Комплект" in str(row.name) and f"{row.quantity} шт" in str(row.name)
        kit_ids = {ids[i].kit for i in assets}
        assert len(kit_ids) == 1 and None not in kit_ids
        incomplete = any(  # a two-unit kit short of one names its one unit
            code == "KIT_INCOMPLETE" and at == row.row for code, at, _ in _planted(large)
        )
        assert len(assets) == row.quantity - (1 if incomplete else 0)
    assert kits >= 2


def test_identical_laptops_in_one_site_differ_only_by_custodian(large: synth.SynthData) -> None:
    batches: defaultdict[tuple[object, ...], list[str]] = defaultdict(list)
    for r in large.register_rows:
        if r.name and r.name.startswith("Ноутбук"):
            batches[(r.name, r.location, r.acquired_on, r.cost)].append(str(r.custodian))
    biggest = max(batches.values(), key=len)
    assert len(biggest) >= 5
    keys = {c.split()[0] for c in biggest if len(c.split()[0]) > 3}
    assert len(keys) >= len(biggest) // 2, "the custodians of a batch should differ"


def test_off_book_assets_are_cheap_kit_written_off_kit_or_planted(small: synth.SynthData) -> None:
    on_books = {i for ids in small.truth.values() for i in ids}
    off = [a for a in small.inventory.assets if a.asset_id not in on_books]
    cheap = [a for a in off if a.purchase_cost is not None and a.purchase_cost < 40_000]
    disposed = [a for a in off if a.status is AssetStatus.DISPOSED]
    assert cheap and disposed
    assert all(a.category in {"Monitor", "Docking station", "IP phone"} for a in cheap)


def test_book_values_follow_straight_line_depreciation(small: synth.SynthData) -> None:
    for r in small.register_rows:
        assert r.cost is not None and r.book_value is not None and r.acquired_on is not None
        assert r.useful_life_months is not None and 36 <= r.useful_life_months <= 84
        elapsed = (2026 - r.acquired_on.year) * 12 + 9 - r.acquired_on.month
        left = max(r.useful_life_months - max(elapsed, 0), 0)
        assert abs(r.book_value - r.cost * left / r.useful_life_months) < Decimal("0.02")


def test_a_register_too_small_for_the_planted_cases_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        synth.generate(100, n_assets=50)


# --- the 1C print ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onec_sheet(small: synth.SynthData, tmp_path_factory: pytest.TempPathFactory):
    """The 60-row register written as a 1C print, opened with openpyxl (normal mode)."""
    path = synth.write_register_1c(small, tmp_path_factory.mktemp("onec") / "ведомость.xlsx")
    wb = openpyxl.load_workbook(path)
    return wb["TDSheet"]


def test_the_1c_print_has_title_header_numbering_and_total_rows(onec_sheet, small) -> None:
    ws = onec_sheet
    assert ws["A2"].value == "Ведомость основных средств на 30.09.2026"
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A2:L2", "I4:J4", "A4:A5", "B4:B5"} <= merged
    assert ws["I4"].value == "Стоимость"
    assert (ws["I5"].value, ws["J5"].value) == ("Первоначальная", "Остаточная")
    assert [c.value for c in ws[6]] == list(range(1, 13))
    assert ws.max_row == small.total_row
    assert ws.cell(small.total_row, 1).value == "Итого"
    assert f"A{small.total_row}:G{small.total_row}" in merged
    for row, place in small.group_rows.items():
        assert ws.cell(row, 1).value == place
        assert ws.cell(row, 3).value is None  # a group row has no inventory number


def test_book_rows_point_at_the_excel_rows_holding_their_values(onec_sheet, small) -> None:
    ws = onec_sheet
    col = layout1c.column_of
    for r in small.register_rows:
        assert ws.cell(r.row, col("inventory_number")).value == r.inventory_number
        assert ws.cell(r.row, col("name")).value == r.name
        assert ws.cell(r.row, col("serial")).value == r.serial
        assert ws.cell(r.row, col("custodian")).value == r.custodian
        assert ws.cell(r.row, col("location")).value == r.location
        cost = ws.cell(r.row, col("cost")).value
        assert "\u00a0" in cost or len(cost) < 8  # "1 234 567,89" with no-break spaces
        assert synth.spelling.parse_money_text(cost) == r.cost
        assert ws.cell(r.row, col("acquired_on")).value == f"{r.acquired_on:%d.%m.%Y}"
        assert int(ws.cell(r.row, col("quantity")).value) == r.quantity


def test_the_total_row_sums_every_data_row(onec_sheet, small) -> None:
    total = synth.spelling.parse_money_text(onec_sheet.cell(small.total_row, 9).value)
    assert total == sum(r.cost for r in small.register_rows)


def test_make_register_describes_the_1c_file(small: synth.SynthData) -> None:
    register = synth.make_register(small, "ведомость.xlsx")
    assert register.rows == small.register_rows
    (sheet,) = register.sheets
    assert (sheet.name, sheet.header_row, sheet.header_end_row) == ("TDSheet", 4, 6)
    assert sheet.columns["cost"] == 9 and sheet.headers[9] == "Стоимость Первоначальная"
    assert sheet.max_row == small.total_row and sheet.max_column == 12
    assert register.report_date == date(2026, 9, 30)


def test_the_plain_register_has_one_english_header_and_real_numbers(tmp_path: Path, small) -> None:
    rows = _cells(synth.write_register_plain(small, tmp_path / "plain.xlsx"))
    assert rows[0][0] == "Asset" and len(rows) == len(small.register_rows) + 1
    assert isinstance(rows[1][4], (int, float)) and rows[1][4] == float(small.register_rows[0].cost)


def test_inventory_csv_and_xlsx_hold_the_same_assets(tmp_path: Path, small) -> None:
    xlsx = _cells(synth.write_inventory(small, tmp_path / "inv.xlsx"))
    text = synth.write_inventory(small, tmp_path / "inv.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert xlsx[0][:4] == ("ID", "Asset Tag", "Asset Name", "Manufacturer")
    assert lines[0].startswith("ID,Asset Tag,Asset Name,Manufacturer")
    assert len(lines) == len(xlsx) == len(small.inventory.assets) + 1


def test_truth_json_lists_every_row_and_planted_finding(tmp_path: Path, small) -> None:
    doc = json.loads(synth.write_truth(small, tmp_path / "truth.json").read_text("utf-8"))
    assert len(doc["rows"]) == len(small.register_rows)
    assert {p["code"] for p in doc["planted"]} >= CODES
    assert doc["report_date"] == "2026-09-30" and doc["seed"] == 7


# --- the demo workspace ----------------------------------------------------------------------


def test_demo_workspace_config_loads_and_points_at_its_inventory(tmp_path: Path) -> None:
    written = synth.write_demo_workspace(tmp_path / "demo", seed=7, rows=40)
    config = load_config(tmp_path / "demo" / "config.yaml")
    assert config.inventory.require_path().is_file()
    assert config.rules == (tmp_path / "demo" / "rules").resolve()
    assert (config.rules / "columns.yaml").is_file()
    register = next(p for p in written if "inbox" in p.parts)
    assert register.is_file() and register.parent.parent == tmp_path / "demo" / "inbox"
    assert (tmp_path / "demo" / "truth.json") in written


def test_demo_refuses_a_non_empty_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        synth.write_demo_workspace(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_demo_refuses_a_register_without_rows(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        synth.write_demo_workspace(tmp_path / "demo", rows=0)
    assert not (tmp_path / "demo").exists()


def test_demo_rewrites_an_earlier_demo_and_keeps_edited_rules(tmp_path: Path) -> None:
    synth.write_demo_workspace(tmp_path, rows=40)
    edited = tmp_path / "rules" / "checks.yaml"
    edited.write_text("capitalization_threshold: 100000\n", encoding="utf-8")
    synth.write_demo_workspace(tmp_path, rows=40)
    assert edited.read_text(encoding="utf-8") == "capitalization_threshold: 100000\n"


def test_the_bundled_example_is_the_seed_7_register(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    data = synth.generate(60, seed=7)
    synth.write_register_1c(data, tmp_path / "register-1c.xlsx")
    assert _cells(examples / "register-1c.xlsx") == _cells(tmp_path / "register-1c.xlsx")
    truth = json.loads((examples / "truth.json").read_text(encoding="utf-8"))
    assert truth == synth.workbooks.truth_document(data)


# --- read back by the real readers ---------------------------------------------------------


def _fields(row: BookRow) -> dict[str, object]:
    return {f: getattr(row, f) for f in BOOK_FIELDS}


def test_layout_reads_from_the_1c_file_what_make_register_gives(
    tmp_path: Path, small: synth.SynthData, rules: Rules
) -> None:
    path = synth.write_register_1c(small, tmp_path / "register-1c.xlsx")
    read = layout.read_register(path, rules.columns)
    made = synth.make_register(small, "register-1c.xlsx")
    assert read.sheets == made.sheets
    assert read.report_date == made.report_date
    assert [(r.key, _fields(r), r.extra) for r in read.rows] == [
        (r.key, _fields(r), r.extra) for r in made.rows
    ]


def test_layout_reads_the_plain_register_with_the_same_values(
    tmp_path: Path, small: synth.SynthData, rules: Rules
) -> None:
    read = layout.read_register(
        synth.write_register_plain(small, tmp_path / "p.xlsx"), rules.columns
    )
    assert [r.row for r in read.rows] == list(range(2, len(small.register_rows) + 2))
    assert [_fields(r) for r in read.rows] == [_fields(r) for r in small.register_rows]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_inventory_loader_reads_back_every_written_asset(
    tmp_path: Path, small: synth.SynthData, rules: Rules, suffix: str
) -> None:
    path = synth.write_inventory(small, tmp_path / f"inventory{suffix}")
    loaded = inventory.load_inventory(InventoryConfig(path=path), rules)
    assert len(loaded.assets) == len(small.inventory.assets) > 0
    assert {a.asset_id: a for a in loaded.assets} == small.inventory.by_id()


def test_the_checks_stage_given_the_true_pairs_finds_exactly_what_was_planted(
    large: synth.SynthData, rules: Rules
) -> None:
    register = synth.make_register(large)
    rows = [
        RowMatch(row=r, status=RowStatus.MATCHED, asset_ids=ids, score=100.0, matched_on="serial")
        if (ids := large.truth[r.key])
        else RowMatch(row=r, status=RowStatus.UNMATCHED)
        for r in register.rows
    ]
    on_books = {i for ids in large.truth.values() for i in ids}
    off_books = [a.asset_id for a in large.inventory.assets if a.asset_id not in on_books]
    found = checks.run_checks(
        register,
        large.inventory,
        MatchResult(rows=rows, unmatched_asset_ids=off_books),
        rules,
        report_date=large.report_date,
    )
    got = {(f.code, f.row) if f.row else (f.code, f.asset_id) for f in found}
    planted = {(p.code, p.row) if p.row else (p.code, p.asset_id) for p in large.planted}
    assert got == planted


# --- the noise real registers have: glued and split models, case, vendors, fillers ---------


def _noisy(**rates: float) -> synth.SynthData:
    noise = synth.NoiseConfig()
    for name, rate in rates.items():
        setattr(noise, name, rate)
    return synth.generate(400, seed=5, noise=noise)


_NO_NAME_NOISE = {
    "vendor_spelling": 0.0,
    "dropped_family": 0.0,
    "model_spelling": 0.0,
    "lookalike": 0.0,
    "typo": 0.0,
    "translit_vendor": 0.0,
    "glued": 0.0,
    "camel": 0.0,
    "split_model": 0.0,
    "split_family": 0.0,
    "trademark": 0.0,
    "letter_case": 0.0,
    "specs": 0.0,
    "habit": 0.0,
    "it_part_number": 0.0,  # IT's side: its model then holds more than the books'
}


@pytest.mark.parametrize(
    ("kind", "looks"),
    [
        ("glued", r"[a-z][A-Z]|[a-z]\d|\w\d{3}"),  # 'PowerEdgeR750', 'Latitude5430'
        ("camel", r"[a-z][A-Z]"),  # 'ThinkPadT14Gen3'
        ("split_model", r"[A-Za-z] \d|\d [A-Za-z]"),  # 'R 750', 'M3145 dn'
        ("split_family", r"(Think|Power|Pro|Elite|Laser|Opti) [A-Z]"),  # 'Think Pad', 'Laser Jet'
        ("trademark", r"®|™"),  # 'ThinkPad®', 'PowerEdge™'
        ("letter_case", r"^[^a-zа-я]+$|^[^A-ZА-Я]+$"),  # all capitals or all small
        ("specs", r"GB|Gb|ГБ|Core"),  # '(i5-1245U/16GB/512GB SSD)' after the name
        ("habit", r"\(ОС\)|б/у|в сборе|основное средство|инв\.$"),  # the accountant's own words
    ],
)
def test_each_name_noise_kind_is_written_and_folds_back_to_its_product(
    kind: str, looks: str, rules: Rules
) -> None:
    data = _noisy(**{**_NO_NAME_NOISE, kind: 1.0})
    ids = data.inventory.by_id()
    rows = {r.key: r for r in data.register_rows}
    written = 0
    for key, assets in data.truth.items():
        row = rows[key]
        if len(assets) != 1 or "Комплект" in str(row.name):
            continue
        asset = ids[assets[0]]
        book = name_keys.name_key(str(row.name), rules.normalize)
        it = name_keys.name_key(f"{asset.vendor} {asset.model}", rules.normalize)
        written += bool(re.search(looks, str(row.name)))
        if re.search("phone|ups|mfp", str(asset.model), re.I):
            continue  # 'Smart-UPSSMT1500' glues a category word that IT's side loses
        assert it.squashed in book.squashed, (row.name, asset.model)  # 'Док-станция' stays
    assert written >= 50


def test_transliterated_vendors_are_written_and_read_as_the_vendor(rules: Rules) -> None:
    data = _noisy(**{**_NO_NAME_NOISE, "translit_vendor": 1.0})
    ids = data.inventory.by_id()
    rows = {r.key: r for r in data.register_rows}
    seen = set()
    for key, assets in data.truth.items():
        name = str(rows[key].name)
        found = re.search("Леново|Делл|Дэлл|Хьюлетт[- ]Паккард|Циско|Сиско|Киосера", name)
        if not found or len(assets) != 1:
            continue
        seen.add(found.group())
        asset = ids[assets[0]]
        it = name_keys.name_key(f"{asset.vendor} {asset.model}", rules.normalize).vendor
        assert name_keys.name_key(name, rules.normalize).vendor == it, name
    assert {"Леново", "Хьюлетт-Паккард"} <= seen or len(seen) >= 3


def test_some_products_come_from_vendors_the_rules_do_not_list(rules: Rules) -> None:
    vendors = {a.vendor for a in synth.generate(1000, seed=5).inventory.assets if a.vendor}
    listed = {v for v in vendors if name_keys.name_key(v, rules.normalize).vendor}
    assert len(vendors - listed) >= 2  # Kraftway, Depo, Qtech, Powercom: learned from IT's column


def test_some_sites_it_writes_costs_with_vat_and_every_unit_there_alike() -> None:
    """A habit of an office: at a site whose IT copies invoices' totals every unit of a
    one-unit line costs 1.2 times the books' price; elsewhere the same as the books'."""
    data = _noisy(it_cost_vat=0.5, cost_mismatch=0.0)
    ids = data.inventory.by_id()
    rows = {r.key: r for r in data.register_rows}
    ratios: dict[str, set[Decimal]] = {}
    for key, found in data.truth.items():
        line = rows[key]
        if len(found) != 1 or line.quantity != 1 or not line.cost:
            continue
        unit = ids[found[0]]
        if not unit.purchase_cost:
            continue
        if unit.location and line.location and "Комплект" not in str(line.name):
            ratio = (unit.purchase_cost / line.cost).quantize(Decimal("0.01"))
            ratios.setdefault(str(line.location), set()).add(ratio)
    habits = {next(iter(r)) for r in ratios.values() if len(r) == 1}
    assert habits == {Decimal("1.00"), Decimal("1.20")}, ratios


def test_it_writes_some_models_with_the_part_number_and_no_other_value_moves(
    rules: Rules,
) -> None:
    """'ProLiant DL380 Gen10 (P20174-B21)': the product as ordered, one number per product,
    for all its units at a site that writes them. Everything else of the seed is as without
    (read, not drawn), and the books' model is all there among the tokens of IT's (the
    'part' level matching learns)."""
    plain, coded = _noisy(it_part_number=0.0), _noisy(it_part_number=0.5)
    assert plain.register_rows == coded.register_rows
    pairs = list(zip(plain.inventory.assets, coded.inventory.assets, strict=True))
    changed = [(a, b) for a, b in pairs if a.model != b.model]
    assert 0.2 * len(pairs) < len(changed) < 0.8 * len(pairs)
    assert len({b.model for a, b in changed}) == len({a.model for a, b in changed})
    for a, b in pairs:
        if a.model == b.model:
            assert a == b
            continue
        assert re.fullmatch(r"[PNQ]\d{5}-B\d{2}", str(b.model).removeprefix(f"{a.model} (")[:-1])
        plain_tokens = name_keys.name_key(str(a.model), rules.normalize).model_tokens
        coded_tokens = name_keys.name_key(str(b.model), rules.normalize).model_tokens
        assert plain_tokens < coded_tokens, (a.model, b.model)


def test_placeholder_serials_and_tags_on_the_it_side_are_no_keys() -> None:
    data = _noisy(placeholder_serial=1.0, placeholder_tag=1.0)
    serials = [a.serial for a in data.inventory.assets if a.serial in PLACEHOLDER_SERIALS]
    tags = [a.inventory_number for a in data.inventory.assets if a.inventory_number]
    fillers = [t for t in tags if t in PLACEHOLDER_TAGS]
    assert len(serials) >= 100 and len(fillers) >= 50
    assert {unit_keys.serial_key(s) for s in serials} == {""}
    assert {unit_keys.inventory_key(t) for t in fillers} == {""}


def test_a_mistyped_tag_is_one_digit_off_and_never_another_rows_number() -> None:
    data = _noisy(tag_typo=1.0, placeholder_tag=0.0)
    book = {r.key: unit_keys.inventory_key(r.inventory_number) for r in data.register_rows}
    numbers = set(book.values())
    ids = data.inventory.by_id()
    typos = 0
    for key, assets in data.truth.items():
        if len(assets) != 1 or not ids[assets[0]].inventory_number:
            continue
        tag = unit_keys.inventory_key(ids[assets[0]].inventory_number)
        if tag != book[key]:
            typos += 1
            assert tag not in numbers
    assert typos >= 50


def test_it_purchase_dates_are_days_before_the_books_or_missing_or_the_day_it_loaded_them() -> None:
    data = _noisy(it_date_missing=0.2, it_date_loaded=0.8)
    ids = data.inventory.by_id()
    rows = {r.key: r for r in data.register_rows}
    seen = {"missing": 0, "loaded": 0, "days before": 0}
    for key, assets in data.truth.items():
        acquired = rows[key].acquired_on
        for unit in (ids[a] for a in assets):
            assert acquired is not None
            if unit.purchased_on is None:
                seen["missing"] += 1
            elif unit.purchased_on == IT_SYSTEM_START and acquired > IT_SYSTEM_START + timedelta(
                25
            ):
                raise AssertionError(f"{key}: bought after IT's system started, dated its start")
            elif unit.purchased_on == IT_SYSTEM_START:
                seen["loaded"] += 1
            else:
                assert timedelta(0) <= acquired - unit.purchased_on <= timedelta(25), key
                seen["days before"] += 1
    assert min(seen.values()) >= 30, seen
