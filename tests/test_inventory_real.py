"""Inventory exports as the tools really write them (../shared/data/real, README there).

The real files are read where they lie, byte for byte; where a test needs another shape (one
export with Snipe-IT's Russian headers), it is built from the real header lines.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler.config import InventoryConfig
from reconciler.errors import InventoryError
from reconciler.inventory.load import load_inventory
from reconciler.models import AssetStatus
from reconciler.read.header import fold_header
from reconciler.rules import Rules, default_rules_dir
from reconciler.text.reading_notes import render

REAL = Path("/work/shared/data/real")
if not REAL.is_dir():  # the files travel with the workspace, not with the repository
    REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="real sample files not present")


def snipe_headers(language: str) -> list[str]:
    en, ru = (REAL / "snipeit" / "asset-list-export-headers.txt").read_text("utf-8").splitlines()
    return (en if language == "en" else ru).split("|")


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def snipe_row(header: list[str]) -> list[str]:
    """One laptop under Snipe-IT's asset list columns, by position (en and ru share them)."""
    by_position = {
        0: "41",
        2: "nb-ivanov",
        4: "ОС-000777",
        5: "PF2ABCDE",
        6: "ThinkPad T14",
        8: "Laptops",
        9: "Deployed",
        10: "Иванов Иван",
        12: "Москва, офис 12",
        13: "Склад",
        14: "Lenovo",
        16: "2021-06-01",
        18: "89 990,00",
        23: "2024-06-01",
    }
    return [by_position.get(i, "") for i in range(len(header))]


@needs_real
@pytest.mark.parametrize("language", ["en", "ru"])
def test_snipe_it_asset_list_export_maps_tag_name_place_person_date_and_price(
    tmp_path: Path, rules: Rules, language: str
) -> None:
    header = snipe_headers(language)
    path = write_rows(tmp_path / f"snipe-{language}.csv", header, [snipe_row(header)])
    (asset,) = load_inventory(InventoryConfig(path=path), rules).assets
    assert (asset.asset_id, asset.inventory_number, asset.name, asset.serial) == (
        "41",
        "ОС-000777",
        "nb-ivanov",
        "PF2ABCDE",
    )
    assert (asset.model, asset.category, asset.vendor) == ("ThinkPad T14", "Laptops", "Lenovo")
    assert (asset.location, asset.custodian) == ("Москва, офис 12", "Иванов Иван")
    assert asset.status is AssetStatus.IN_SERVICE
    assert (asset.purchased_on, asset.purchase_cost) == (date(2021, 6, 1), Decimal("89990.00"))
    assert asset.warranty_until == date(2024, 6, 1)


def test_snipe_it_russian_custom_report_takes_the_asset_name_not_the_job_title(
    tmp_path: Path, rules: Rules
) -> None:
    """Snipe-IT's custom report in Russian: "Название" is the user's job title there."""
    header = ["Тег", "Название", "Имя актива", "Привязан к", "Username"]
    path = write_rows(
        tmp_path / "custom.csv", header, [["ОС-1", "Бухгалтер", "nb-01", "Петрова А.", "apetrova"]]
    )
    (asset,) = load_inventory(InventoryConfig(path=path), rules).assets
    assert (asset.name, asset.custodian) == ("nb-01", "Петрова А.")
    assert asset.extra["Название"] == "Бухгалтер"
    assert asset.extra["Username"] == "apetrova"


def test_snipe_it_english_custom_report_checked_out_is_the_person(
    tmp_path: Path, rules: Rules
) -> None:
    header = ["Asset Tag", "Asset Name", "Checked Out", "Title"]
    path = write_rows(tmp_path / "custom.csv", header, [["A-1", "nb-01", "Anna Petrova", "CFO"]])
    (asset,) = load_inventory(InventoryConfig(path=path), rules).assets
    assert (asset.inventory_number, asset.name, asset.custodian) == ("A-1", "nb-01", "Anna Petrova")


@needs_real
def test_netbox_device_export_type_is_the_model_role_the_category_site_the_place(
    rules: Rules,
) -> None:
    inventory = load_inventory(
        InventoryConfig(path=REAL / "netbox" / "devices-export-all-data.csv"), rules
    )
    assert len(inventory.assets) == 72
    first = inventory.assets[0]
    assert (first.asset_id, first.name, first.vendor) == ("1", "dmi01-akron-rtr01", "Cisco")
    assert (first.model, first.category, first.location) == ("ISR 1111-8P", "Router", "DM-Akron")
    assert first.rack == "Comms closet"
    assert all(a.location and a.model and a.category for a in inventory.assets)
    assert {a.status for a in inventory.assets} == {AssetStatus.IN_SERVICE}


def test_glpi_type_stays_the_category_beside_its_model_column(tmp_path: Path, rules: Rules) -> None:
    header = ["Name", "Type", "Model", "Manufacturer", "Inventory number", "Serial number"]
    path = write_rows(
        tmp_path / "glpi.csv", header, [["pc-01", "Laptop", "Latitude 5420", "Dell", "OC-5", "X1"]]
    )
    (asset,) = load_inventory(InventoryConfig(path=path), rules).assets
    assert (asset.category, asset.model, asset.inventory_number) == (
        "Laptop",
        "Latitude 5420",
        "OC-5",
    )


def test_glpi_alternate_username_is_a_login_and_a_shared_uuid_stops_nothing(
    tmp_path: Path, rules: Rules
) -> None:
    """Two cloned machines report one UUID: it is the machine's, not the record's ID."""
    header = ["Name", "Inventory number", "Alternate username", "User", "UUID"]
    uuid = "4c4c4544-0042-3510-8051-b7c04f4b3732"
    path = write_rows(
        tmp_path / "glpi.csv",
        header,
        [["pc-01", "OC-1", "jdoe", "", uuid], ["pc-02", "OC-2", "asmith", "Smith A.", uuid]],
    )
    first, second = load_inventory(InventoryConfig(path=path), rules).assets
    assert (first.asset_id, second.asset_id) == ("OC-1", "OC-2")
    assert (first.custodian, second.custodian) == (None, "Smith A.")
    assert (first.extra["Alternate username"], first.extra["UUID"]) == ("jdoe", uuid)


def test_camel_case_and_snake_case_headers_are_split_into_words(
    tmp_path: Path, rules: Rules
) -> None:
    """Lansweeper writes AssetName, AssetID, IPAddress; SQL exports asset_tag, serial_number."""
    assert fold_header("IPAddress") == "ip address"
    assert fold_header("AssetName") == "asset name"
    assert fold_header("serial_number") == "serial number"
    header = ["AssetID", "AssetName", "AssetType", "IPAddress", "Username", "SerialNumber"]
    path = write_rows(
        tmp_path / "lansweeper.csv",
        header,
        [["77", "WS-0042", "Windows", "10.1.2.3", "jdoe", "S1"]],
    )
    (asset,) = load_inventory(InventoryConfig(path=path), rules).assets
    assert (asset.asset_id, asset.name, asset.category, asset.ip, asset.serial) == (
        "77",
        "WS-0042",
        "Windows",
        "10.1.2.3",
        "S1",
    )
    assert asset.custodian is None


@needs_real
@pytest.mark.parametrize(
    ("name", "count"),
    [("assets-sample.csv", 22), ("assets-sample-BAD.csv", 200), ("assets-sample-BLANKS.csv", 200)],
)
def test_snipe_it_sample_csvs_read_byte_for_byte_with_their_people(
    rules: Rules, name: str, count: int
) -> None:
    inventory = load_inventory(InventoryConfig(path=REAL / "snipeit" / name), rules)
    assert len(inventory.assets) == count
    assert all(a.inventory_number for a in inventory.assets)
    people = [a.custodian for a in inventory.assets if a.custodian]
    assert people, "the sample checks assets out to people"
    if name == "assets-sample.csv":  # first and last name columns make the person
        by_tag = {a.inventory_number: a for a in inventory.assets}
        assert by_tag["WBH-2841795"].custodian == "Gage McCrackem"
        assert by_tag["WBH-2841795"].extra["Checked Out To: Username"] == "gmccrackem2a"
    else:
        assert inventory.assets[0].custodian == "Bonnie Nelson"
        assert inventory.assets[0].extra["Username"] == "bnelson0"


def test_an_inventory_with_no_rows_is_refused_not_read_as_empty(
    tmp_path: Path, rules: Rules
) -> None:
    path = write_rows(tmp_path / "empty.csv", ["Asset Tag", "Serial", "Name"], [])
    with pytest.raises(InventoryError, match="0 assets"):
        load_inventory(InventoryConfig(path=path), rules)


def test_an_inventory_without_tag_serial_or_name_is_refused_naming_what_was_read(
    tmp_path: Path, rules: Rules
) -> None:
    path = write_rows(
        tmp_path / "ids.csv",
        ["ID", "Category", "Site"],
        [["1", "Router", "DC1"], ["2", "Switch", "DC1"]],
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(InventoryConfig(path=path), rules)
    message = str(caught.value)
    assert "none of its 2 assets has an asset tag, serial, hostname or name" in message
    assert "'Category' as category" in message
    assert "rules/columns.yaml" in message


# --- dates decided per column, encodings said ----------------------------------------------


@needs_real
def test_snipe_it_us_dates_are_read_month_first_for_the_whole_column(rules: Rules) -> None:
    """The BAD sample writes "4/5/16" (April 5) beside "6/16/15": read day first, 89 were
    swapped and 107 left unread."""
    path = REAL / "snipeit" / "assets-sample-BAD.csv"
    inventory = load_inventory(InventoryConfig(path=path), rules)
    first = inventory.assets[0]
    assert (first.inventory_number, first.purchased_on) == ("970882174-8", date(2016, 4, 5))
    written = sum(1 for a in inventory.assets if a.purchased_on)
    raw = path.read_bytes().decode("mac_roman").split("\r")
    dated = sum(1 for line in raw[1:] if next(csv.reader([line]), [""] * 15)[14:15] != [""])
    assert written == dated > 150
    assert not any("(unreadable)" in k for a in inventory.assets for k in a.extra)
    said = " | ".join(map(str, inventory.warnings))
    assert "column 'Purchase Date' holds month-first dates ('6/16/15' is 16.06.2015)" in said
    assert "not UTF-8; read as Mac Roman" in said
    in_russian = " | ".join(render(w, "ru") for w in inventory.warnings)
    assert "даты записаны месяцем вперёд" in in_russian and "прочитан как Mac Roman" in in_russian


def test_a_register_column_with_one_day_over_twelve_is_read_month_first_not_refused(
    tmp_path: Path, rules: Rules
) -> None:
    from reconciler.read.register import read_register

    path = tmp_path / "us.csv"
    path.write_text(
        "Inventory number;Name;Acquisition date\nA-1;Desk;4/5/16\nA-2;Chair;1/23/23\n",
        encoding="utf-8",
    )
    register = read_register(path, rules.columns)
    assert [r.acquired_on for r in register.rows] == [date(2016, 4, 5), date(2023, 1, 23)]
    (said,) = map(str, register.warnings)
    assert "column 'Acquisition date (C)' holds month-first dates ('1/23/23' is 23.01.2023)" in said

    path.write_text(
        "Инв. №;Наименование;Дата принятия к учету\n1;Стол;04.05.2016\n2;Стул;23.01.2023\n",
        encoding="cp1251",
    )
    register = read_register(path, rules.columns)
    assert [r.acquired_on for r in register.rows] == [date(2016, 5, 4), date(2023, 1, 23)]
    assert list(map(str, register.warnings)) == [
        "us.csv: not UTF-8; read as Windows-1251 (Cyrillic)"
    ]


# --- agent inventories -----------------------------------------------------------------------


@pytest.fixture
def agent_folder(tmp_path: Path) -> Path:
    """The nine real agent inventories (5 GLPI JSON, 4 OCS XML), copied byte for byte."""
    folder = tmp_path / "agents"
    folder.mkdir()
    for file in (REAL / "glpi-agent").iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    (folder / "README.txt").write_text("not an inventory", encoding="utf-8")
    return folder


@needs_real
def test_a_folder_of_glpi_json_and_ocs_xml_agent_files_is_one_inventory(
    agent_folder: Path, rules: Rules
) -> None:
    inventory = load_inventory(InventoryConfig(source="agent-files", path=agent_folder), rules)
    by_host = {a.hostname: a for a in inventory.assets}
    assert len(inventory.assets) == 9
    xps = by_host["glpixps"]
    assert (xps.serial, xps.vendor, xps.model, xps.category) == (
        "640HP72",
        "Dell Inc.",
        "XPS 13 9350",
        "Laptop",
    )
    assert xps.ip == "192.168.1.142"  # the loopback address is not the machine's
    assert xps.custodian is None and xps.extra["content.hardware.lastloggeduser"] == "root"
    elitebook = by_host["pc-arg-23"]  # OCS XML
    assert (elitebook.serial, elitebook.inventory_number, elitebook.model) == (
        "CZC0479792",
        "CZC0479792",
        "HP EliteBook 2540p",
    )
    switch = by_host["ucs6248up-cluster-pa3-B"]
    assert (switch.serial, switch.location, switch.vendor) == ("SSI1912014B", "paris.pa3", "Cisco")
    assert by_host["NPIF2BE10"].serial == "PHCVN191TG"


@needs_real
def test_placeholder_tags_from_agents_are_not_keys(agent_folder: Path, rules: Rules) -> None:
    """OCS's "0000000000" asset tag and Android's "release-keys" say nothing about the machine."""
    inventory = load_inventory(InventoryConfig(source="agent-files", path=agent_folder), rules)
    by_host = {a.hostname: a for a in inventory.assets}
    toshiba = by_host["LF014"]
    assert toshiba.inventory_number is None and toshiba.serial == "9E113232I"
    assert toshiba.extra["content.bios.assettag (placeholder)"] == "0000000000"
    assert by_host["Mi9TPro-TéléphoneM"].inventory_number is None
    assert len({a.asset_id for a in inventory.assets}) == 9


@needs_real
def test_an_agent_json_or_xml_given_as_the_inventory_file_is_read_as_an_agent_inventory(
    rules: Rules,
) -> None:
    (asset,) = load_inventory(
        InventoryConfig(path=REAL / "glpi-agent" / "ocs-inventory-3.xml"), rules
    ).assets
    assert (asset.hostname, asset.serial) == ("MacBook-de-teclib", "W87051UGVUV")


@needs_real
def test_a_json_file_that_is_no_agent_inventory_is_refused_as_not_a_table(rules: Rules) -> None:
    with pytest.raises(InventoryError, match="not a table: use the tool's CSV export"):
        load_inventory(InventoryConfig(path=REAL / "netbox" / "netbox-demo-v3.6.json"), rules)


def test_many_unreadable_register_dates_are_named_up_to_twenty_then_counted(
    tmp_path: Path, rules: Rules
) -> None:
    from reconciler.read.register import read_register

    lines = ["Инв. №;Наименование;Дата принятия к учету"]
    lines += [f"{n};Стол;когда-то" for n in range(1, 31)]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    register = read_register(path, rules.columns)
    assert len(register.rows) == 30 and all(r.acquired_on is None for r in register.rows)
    assert len(register.warnings) == 21
    assert str(register.warnings[0]).startswith(
        "sheet 'r' row 2 column 'Дата принятия к учету' (C)"
    )
    assert str(register.warnings[-1]) == (
        "sheet 'r' column 'Дата принятия к учету': 10 more cells like these left empty"
    )
    assert render(register.warnings[0], "ru") == (
        "лист «r», строка 2, колонка «Дата принятия к учету» (C): «когда-то» не читается как "
        "дата; оставлено пустым"
    )


@needs_real
def test_check_says_what_reading_the_inventory_decided(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reconciler.cli import cli

    config = tmp_path / "config.yaml"
    bad = REAL / "snipeit" / "assets-sample-BAD.csv"
    rules_dir = default_rules_dir()
    config.write_text(
        f"rules: '{rules_dir}'\ninventory: {{path: '{bad}'}}\nreport: {{language: en}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "assets-sample-BAD.csv: 200 assets" in result.output
    assert "warning: inventory" in result.output and "read as Mac Roman" in result.output
    assert "month-first dates" in result.output
