"""inventory.py: exports from common IT systems and SQLite tables become Asset records."""

from __future__ import annotations

import pickle
import sqlite3
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from workbooks import SheetSpec, write, write_csv

from reconciler.config import InventoryConfig
from reconciler.errors import InventoryError
from reconciler.inventory.load import StatusMap, load_inventory, source_kind
from reconciler.models import Asset, AssetStatus, Inventory
from reconciler.rules import Rules

SNIPE_HEADERS = [
    "ID",
    "Asset Tag",
    "Name",
    "Serial",
    "Model",
    "Model No.",
    "Category",
    "Manufacturer",
    "Status",
    "Location",
    "Checked Out To",
    "Purchase Date",
    "Purchase Cost",
    "Warranty Expires",
    "Notes",
]


@pytest.fixture
def snipe_export(tmp_path: Path) -> Path:
    """A Snipe-IT asset export (xlsx) with a title row above the header (row 3).

    Plants: two servers and a laptop; statuses with Snipe-IT's extra text ("Deployed (Ivanov)"),
    "Ready to Deploy" and "Archived"; dates as text and as real dates; cost "1,234.50".
    """
    spec = SheetSpec("Assets").row(1, ["Snipe-IT export, 2026-09-30"])
    spec.row(3, SNIPE_HEADERS)
    spec.row(
        4,
        [
            17,
            "ОС-000123",
            "srv-db-01",
            "CZJ1234ABC",
            "ProLiant DL380 Gen10",
            "868703-B21",
            "Servers",
            "HPE",
            "Deployed (Ivanov I.)",
            "Moscow DC",
            "Ivanov I.",
            "2019-03-15",
            "1,234.50",
            date(2024, 3, 15),
            "rack 4",
        ],
    )
    spec.row(
        5,
        [
            18,
            "ОС-000124",
            "nb-petrov",
            "PF2ABCDE",
            "ThinkPad T14",
            None,
            "Laptops",
            "Lenovo",
            "Ready to Deploy",
            "Office 12",
            None,
            date(2021, 6, 1),
            89990,
            None,
            None,
        ],
    )
    spec.row(
        6,
        [
            19,
            "ОС-000099",
            "old-srv",
            "OLD123",
            "PowerEdge R710",
            None,
            "Servers",
            "Dell",
            "Archived",
            "Warehouse",
            None,
            "15.01.2012",
            None,
            None,
            None,
        ],
    )
    return write(tmp_path / "snipe.xlsx", "xlsx", spec)


def test_snipe_it_xlsx_export_becomes_assets(snipe_export: Path, rules: Rules) -> None:
    inventory = load_inventory(InventoryConfig(path=snipe_export), rules)
    assert inventory.source == str(snipe_export)
    server, laptop, old = inventory.assets
    assert [a.asset_id for a in inventory.assets] == ["17", "18", "19"]
    assert server.inventory_number == "ОС-000123"
    assert (server.serial, server.name, server.model, server.vendor) == (
        "CZJ1234ABC",
        "srv-db-01",
        "ProLiant DL380 Gen10",
        "HPE",
    )
    assert (server.category, server.location, server.custodian) == (
        "Servers",
        "Moscow DC",
        "Ivanov I.",
    )
    assert server.status is AssetStatus.IN_SERVICE
    assert server.status_raw == "Deployed (Ivanov I.)"
    assert server.purchased_on == date(2019, 3, 15)
    assert server.purchase_cost == Decimal("1234.50")
    assert server.warranty_until == date(2024, 3, 15)
    assert server.extra == {"Model No.": "868703-B21", "Notes": "rack 4"}
    assert laptop.status is AssetStatus.IN_STOCK
    assert laptop.purchase_cost == 89990
    assert old.status is AssetStatus.DISPOSED
    assert old.purchased_on == date(2012, 1, 15)


def test_glpi_csv_export_in_utf8_with_semicolons(tmp_path: Path, rules: Rules) -> None:
    """GLPI's computer list: no ID column, so IDs derive from inventory number or serial."""
    spec = SheetSpec("glpi").row(
        1,
        [
            "Name",
            "Entity",
            "Status",
            "Manufacturer",
            "Serial number",
            "Type",
            "Model",
            "Location",
            "Inventory number",
            "User",
            "Technician in charge of the hardware",
            "Components - Processor",
        ],
    )
    spec.row(
        2,
        [
            "PC-ACC-01",
            "Root",
            "В эксплуатации",
            "Dell",
            "7XK2L3",
            "Desktop",
            "OptiPlex 7090",
            "Бухгалтерия",
            "ОС-000200",
            "Петров П.П.",
            "admin",
            "Intel Core i5-11500",
        ],
    )
    spec.row(
        3,
        [
            "PC-ACC-02",
            "Root",
            "Списан",
            "Dell",
            "9QW1E2",
            "Desktop",
            "OptiPlex 3020",
            "Склад",
            None,
            None,
            "admin",
            None,
        ],
    )
    spec.row(
        4,
        [
            "PC-ACC-03",
            "Root",
            "В ремонте",
            "Dell",
            None,
            "Desktop",
            "OptiPlex 7090",
            "Склад",
            None,
            None,
            None,
            None,
        ],
    )
    path = tmp_path / "glpi.csv"
    write_csv(path, [spec], encoding="utf-8", delimiter=";")
    inventory = load_inventory(InventoryConfig(path=path), rules)
    first, second, third = inventory.assets
    assert (first.name, first.serial, first.inventory_number) == (
        "PC-ACC-01",
        "7XK2L3",
        "ОС-000200",
    )
    assert (first.category, first.custodian, first.cpu) == (
        "Desktop",
        "Петров П.П.",
        "Intel Core i5-11500",
    )
    assert first.extra["Technician in charge of the hardware"] == "admin"
    assert [a.status for a in inventory.assets] == [
        AssetStatus.IN_SERVICE,
        AssetStatus.DISPOSED,
        AssetStatus.REPAIR,
    ]
    assert first.asset_id == "ОС-000200"
    assert second.asset_id == "SN:9QW1E2"
    assert third.asset_id.startswith("ROW:")
    again = load_inventory(InventoryConfig(path=path), rules)
    assert [a.asset_id for a in again.assets] == [a.asset_id for a in inventory.assets]


def test_netbox_and_servicenow_headers_map_to_canonical_fields(
    tmp_path: Path, rules: Rules
) -> None:
    netbox = SheetSpec("netbox").row(
        1,
        [
            "ID",
            "Name",
            "Status",
            "Site",
            "Location",
            "Rack",
            "Role",
            "Manufacturer",
            "Device Type",
            "Serial number",
            "Asset tag",
            "Primary IPv4",
        ],
    )
    netbox.row(
        2,
        [
            5,
            "srv-db-01",
            "Active",
            "DC1",
            "Hall A",
            "R04",
            "Server",
            "HPE",
            "ProLiant DL380 Gen10",
            "CZJ1234ABC",
            "ОС-000123",
            "10.0.0.5/24",
        ],
    )
    asset = load_inventory(
        InventoryConfig(path=write(tmp_path / "nb.csv", "csv", netbox)), rules
    ).assets[0]
    assert (asset.asset_id, asset.hostname or asset.name, asset.location, asset.rack) == (
        "5",
        "srv-db-01",
        "DC1, Hall A",  # the site leads, the room narrows it
        "R04",
    )
    assert (asset.category, asset.model, asset.serial, asset.inventory_number, asset.ip) == (
        "Server",
        "ProLiant DL380 Gen10",
        "CZJ1234ABC",
        "ОС-000123",
        "10.0.0.5/24",
    )
    assert asset.status is AssetStatus.IN_SERVICE
    assert asset.extra["Site"] == "DC1"

    snow = SheetSpec("alm_hardware").row(
        1,
        [
            "Display name",
            "Asset tag",
            "Serial number",
            "Model",
            "Model category",
            "Assigned to",
            "Location",
            "Install status",
            "Cost",
            "Warranty expiration",
        ],
    )
    snow.row(
        2,
        [
            "HPE DL380",
            "P1000",
            "CZJ9",
            "DL380",
            "Server",
            "Ivanov",
            "DC1",
            "In maintenance",
            "10 000,00",
            "2027-01-31",
        ],
    )
    asset = load_inventory(
        InventoryConfig(path=write(tmp_path / "sn.xlsx", "xlsx", snow)), rules
    ).assets[0]
    assert (asset.inventory_number, asset.custodian, asset.category) == (
        "P1000",
        "Ivanov",
        "Server",
    )
    assert asset.status is AssetStatus.REPAIR
    assert (asset.purchase_cost, asset.warranty_until) == (Decimal("10000.00"), date(2027, 1, 31))


def make_db(path: Path) -> Path:
    """A SQLite inventory: table `assets` with snake_case columns and an unrelated table."""
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE assets (id INTEGER PRIMARY KEY, asset_tag TEXT, serial_number TEXT, "
        "hostname TEXT, manufacturer TEXT, model TEXT, status TEXT, location TEXT, "
        "purchase_date TEXT, purchase_cost REAL, comment TEXT)"
    )
    db.executemany(
        "INSERT INTO assets VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (1, "ОС-1", "SN1", "srv1", "HPE", "DL380", "In use", "DC1", "2019-03-15", 1234.5, None),
            (2, "ОС-2", "SN2", "srv2", "Dell", "R740", "На складе", "DC2", None, None, "spare"),
        ],
    )
    db.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    db.commit()
    db.close()
    return path


def test_sqlite_table_becomes_assets(tmp_path: Path, rules: Rules) -> None:
    db = make_db(tmp_path / "it.sqlite")
    inventory = load_inventory(InventoryConfig(path=db, table="assets"), rules)
    assert inventory.source == f"{db}#assets"
    first, second = inventory.assets
    assert (first.asset_id, first.inventory_number, first.serial, first.hostname) == (
        "1",
        "ОС-1",
        "SN1",
        "srv1",
    )
    assert (first.vendor, first.purchased_on, first.purchase_cost) == (
        "HPE",
        date(2019, 3, 15),
        Decimal("1234.5"),
    )
    assert first.status is AssetStatus.IN_SERVICE
    assert second.status is AssetStatus.IN_STOCK
    assert second.extra == {"comment": "spare"}


def test_sqlite_without_a_table_name_lists_the_tables(tmp_path: Path, rules: Rules) -> None:
    db = make_db(tmp_path / "it.sqlite")
    with pytest.raises(InventoryError, match=r"2 tables \(assets, users\).*inventory\.table"):
        load_inventory(InventoryConfig(path=db), rules)
    with pytest.raises(InventoryError, match="no table 'devices'"):
        load_inventory(InventoryConfig(path=db, table="devices"), rules)


def test_a_missing_inventory_names_the_path_and_the_setting(tmp_path: Path, rules: Rules) -> None:
    missing = tmp_path / "nowhere.xlsx"
    with pytest.raises(InventoryError) as caught:
        load_inventory(InventoryConfig(path=missing), rules)
    assert str(missing) in str(caught.value)
    assert "inventory.path" in str(caught.value)


def test_an_unreadable_inventory_file_is_an_inventory_error(tmp_path: Path, rules: Rules) -> None:
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InventoryError, match="incomplete or damaged") as caught:
        load_inventory(InventoryConfig(path=path), rules)
    assert str(path) in str(caught.value)


def test_an_export_without_inventory_headers_says_which_synonyms_are_expected(
    tmp_path: Path, rules: Rules
) -> None:
    spec = SheetSpec("x").row(1, ["Foo", "Bar"]).row(2, ["1", "2"])
    with pytest.raises(InventoryError, match=r"no recognisable inventory header.*'Foo', 'Bar'"):
        load_inventory(InventoryConfig(path=write(tmp_path / "x.xlsx", "xlsx", spec)), rules)


def test_duplicate_record_ids_are_listed(tmp_path: Path, rules: Rules) -> None:
    spec = SheetSpec("x").row(1, ["ID", "Asset Tag", "Serial"])
    spec.row(2, [1, "A", "S1"]).row(3, [2, "B", "S2"]).row(4, [1, "C", "S3"])
    with pytest.raises(InventoryError) as caught:
        load_inventory(InventoryConfig(path=write(tmp_path / "x.xlsx", "xlsx", spec)), rules)
    assert "'1' (sheet 'x' row 2, sheet 'x' row 4)" in str(caught.value)


def test_the_configured_sheet_is_the_one_read(snipe_export: Path, rules: Rules) -> None:
    with pytest.raises(InventoryError, match="no sheet named 'Devices'; the sheets are Assets"):
        load_inventory(InventoryConfig(path=snipe_export, sheet="Devices"), rules)
    assert (
        len(load_inventory(InventoryConfig(path=snipe_export, sheet="Assets"), rules).assets) == 3
    )


def test_an_unreadable_date_keeps_the_asset_and_the_raw_text(tmp_path: Path, rules: Rules) -> None:
    spec = SheetSpec("x").row(1, ["Asset Tag", "Serial", "Purchase Date"])
    spec.row(2, ["A", "S1", "sometime in 2019"])
    asset = load_inventory(
        InventoryConfig(path=write(tmp_path / "x.csv", "csv", spec)), rules
    ).assets[0]
    assert asset.purchased_on is None
    assert asset.extra == {"Purchase Date (unreadable)": "sometime in 2019"}


def test_a_column_of_dates_with_blanks_and_one_unreadable_text_keeps_each_reading(
    tmp_path: Path, rules: Rules
) -> None:
    """Dates, empty cells and a text no date can be read from, in one column (read a distinct
    value at a time): each date shared, the blanks empty, the text set aside on its own row."""
    spec = SheetSpec("Assets").row(1, ["Asset Tag", "Serial", "Purchase Date", "Location"])
    spec.row(2, ["A-1", "S1", datetime(2021, 6, 1), "Склад"])
    spec.row(3, ["A-2", "S2", None, None])
    spec.row(4, ["A-3", "S3", "sometime in 2019", "Склад"])
    spec.row(5, ["A-4", "S4", datetime(2021, 6, 1), "Офис 2"])
    assets = load_inventory(
        InventoryConfig(path=write(tmp_path / "it.xlsx", "xlsx", spec)), rules
    ).assets
    assert [a.purchased_on for a in assets] == [date(2021, 6, 1), None, None, date(2021, 6, 1)]
    assert assets[0].purchased_on is assets[3].purchased_on
    assert [a.location for a in assets] == ["Склад", None, "Склад", "Офис 2"]
    assert assets[0].location is assets[2].location
    assert assets[2].extra == {"Purchase Date (unreadable)": "sometime in 2019"}
    assert [a.extra for a in (assets[0], assets[1], assets[3])] == [{}, {}, {}]


def test_source_kind_is_told_by_content_not_extension(tmp_path: Path, snipe_export: Path) -> None:
    db = make_db(tmp_path / "inventory.xlsx")
    assert source_kind(InventoryConfig(path=db)) == "sqlite"
    assert source_kind(InventoryConfig(path=snipe_export)) == "sheet"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("In use", AssetStatus.IN_SERVICE),
        ("Deployed", AssetStatus.IN_SERVICE),
        ("Deployed (Ivanov I.)", AssetStatus.IN_SERVICE),
        ("В эксплуатации", AssetStatus.IN_SERVICE),
        ("In stock", AssetStatus.IN_STOCK),
        ("Ready to Deploy", AssetStatus.IN_STOCK),
        ("ready to deploy - spare", AssetStatus.IN_STOCK),
        ("На складе", AssetStatus.IN_STOCK),
        ("Repair", AssetStatus.REPAIR),
        ("Broken", AssetStatus.REPAIR),
        ("Pending repair", AssetStatus.REPAIR),
        ("Disposed", AssetStatus.DISPOSED),
        ("Retired", AssetStatus.DISPOSED),
        ("Archived", AssetStatus.DISPOSED),
        ("Written off", AssetStatus.DISPOSED),
        ("СПИСАН", AssetStatus.DISPOSED),
        ("Выведен из эксплуатации", AssetStatus.DISPOSED),
        ("Something else", AssetStatus.UNKNOWN),
        (None, AssetStatus.UNKNOWN),
    ],
)
def test_status_words_map_to_the_four_states(
    rules: Rules, raw: str | None, expected: AssetStatus
) -> None:
    assert StatusMap(rules.statuses)(raw) is expected


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_the_synthetic_snipe_it_export_reads_back_as_the_assets_it_was_made_from(
    tmp_path: Path, rules: Rules, suffix: str
) -> None:
    from reconciler import synth
    from reconciler.synth import workbooks as synth_workbooks

    data = synth.generate(80, seed=5)
    path = synth_workbooks.write_inventory(data, tmp_path / f"inventory.{suffix}")
    assert load_inventory(InventoryConfig(path=path), rules).assets == data.inventory.assets


def test_an_inventory_total_row_is_not_an_asset_even_with_a_dash_for_its_serial(
    tmp_path: Path, rules: Rules
) -> None:
    """As the register reads it: a dash is no identifier, so "Итого | - |" is a total row,
    while "Total Station" with an asset tag of its own is an item."""
    spec = SheetSpec("x").row(1, ["Asset Tag", "Name", "Serial", "Purchase Cost"])
    spec.row(2, ["A-1", "Switch", "S1", "100"])
    spec.row(3, ["Total Station", "Leica TS16", "S2", "900"])
    spec.row(4, ["Итого", "", "-", "1000"])
    assets = load_inventory(InventoryConfig(path=write(tmp_path / "x.csv", "csv", spec)), rules)
    assert [a.inventory_number for a in assets.assets] == ["A-1", "Total Station"]


def test_the_map_by_id_is_made_once_and_follows_a_changed_list_of_assets() -> None:
    inventory = Inventory("inv", [Asset("A-1"), Asset("A-2")])
    first = inventory.by_id()
    assert first is inventory.by_id()  # the five stages that ask share one map
    assert list(first) == ["A-1", "A-2"]
    inventory.assets.append(Asset("A-3"))
    assert list(inventory.by_id()) == ["A-1", "A-2", "A-3"]
    inventory.assets = [Asset("B-1")]
    assert list(inventory.by_id()) == ["B-1"]
    again = pickle.loads(pickle.dumps(inventory))  # the inventory cache keeps no map
    assert again._by_id is None and list(again.by_id()) == ["B-1"]


def test_equal_dates_and_costs_read_as_numbers_and_dates_become_one_value_each(
    tmp_path: Path, rules: Rules
) -> None:
    """A number or date cell is parsed once per value, its assets sharing it; an integer, its
    float and a zero keep their own reading."""
    spec = SheetSpec("Assets").row(1, ["Asset Tag", "Serial", "Purchase Date", "Purchase Cost"])
    spec.row(2, ["A-1", "S1", datetime(2021, 6, 1), 89990.5])
    spec.row(3, ["A-2", "S2", datetime(2021, 6, 1), 89990.5])
    spec.row(4, ["A-3", "S3", datetime(2021, 6, 2), 89990])
    spec.row(5, ["A-4", "S4", datetime(2021, 6, 1), 0])
    spec.row(6, ["A-5", "S5", datetime(2021, 6, 1), 0])
    one, two, three, four, five = load_inventory(
        InventoryConfig(path=write(tmp_path / "it.xlsx", "xlsx", spec)), rules
    ).assets
    assert [a.purchased_on for a in (one, two, three)] == [date(2021, 6, 1)] * 2 + [
        date(2021, 6, 2)
    ]
    assert one.purchased_on is two.purchased_on is four.purchased_on
    assert (one.purchase_cost, three.purchase_cost) == (Decimal("89990.5"), Decimal("89990"))
    assert one.purchase_cost is two.purchase_cost
    assert four.purchase_cost == five.purchase_cost == 0
