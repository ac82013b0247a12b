"""Each register answers for its own part of the inventory (checks/scope.py), through real files.

The company (synth.departments): one inventory of six branches, two rooms each; each branch's
1C register names only its own rooms. Planted moves stay inside a branch.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from reconciler import pipeline
from reconciler.cli import cli
from reconciler.config import load_config
from reconciler.models import RunResult
from reconciler.rules import default_rules_dir
from reconciler.synth import departments, write_inventory, write_register_1c, write_register_plain
from reconciler.synth.generate import SynthData


@pytest.fixture(scope="module")
def company() -> SynthData:
    return departments.company(240, seed=11)


@pytest.fixture(scope="module")
def registers(company: SynthData) -> dict[str, SynthData]:
    return departments.branch_registers(company)


def workspace(root: Path, company: SynthData, **sections: Any) -> Path:
    """config.yaml + the company's inventory.xlsx; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    write_inventory(company, root / "inventory.xlsx")
    config = {"inventory": {"path": "inventory.xlsx"}, "mail": {"transport": "file"}, **sections}
    if not (root / "rules").exists():
        shutil.copytree(default_rules_dir(), root / "rules")
    config.setdefault("rules", "rules")
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def run(config_path: Path, register: Path, folder: str) -> RunResult:
    return pipeline.run_file(register, load_config(config_path), folder=folder)


def surplus(result: RunResult) -> set[str]:
    return {f.asset_id or "" for f in result.findings if f.code == "MISSING_IN_BOOKS"}


def results_json(result: RunResult) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((result.run_dir / "results.json").read_text("utf-8"))
    return doc


def test_a_branch_register_without_configuration_is_limited_to_the_places_it_names(
    tmp_path: Path, company: SynthData, registers: dict[str, SynthData]
) -> None:
    config = workspace(tmp_path, company)
    kazan = registers["Казань"]
    result = run(config, write_register_1c(kazan, tmp_path / "kazan.xlsx"), "kazan")
    places = {a.asset_id: a.location or "" for a in company.inventory.assets}
    assert surplus(result) and {places[a] for a in surplus(result)} <= {
        "Казань - склад",
        "Казань, Офис",
    }
    planted = {p.asset_id for p in kazan.planted if p.code == "MISSING_IN_BOOKS"}
    assert planted <= surplus(result)
    doc = results_json(result)
    assert doc["scope"]["basis"] == "locations"
    assert doc["warnings"][0].startswith("Сверка ограничена: ")
    assert "по местонахождениям ведомости" in doc["warnings"][0]
    assert "Казань" in doc["warnings"][0] and "Москва" not in doc["warnings"][0]
    assert doc["summary"]["assets_not_on_books"] == len(doc["assets_not_on_books"])
    assert all(places[a["asset_id"]].startswith("Казань") for a in doc["assets_not_on_books"])
    html = (result.run_dir / "report.html").read_text("utf-8")
    assert "Сверка ограничена: " in html
    for workbook in (result.outputs["annotated"], result.outputs["discrepancies"]):
        texts = [
            str(v)
            for ws in openpyxl.load_workbook(workbook, read_only=True).worksheets
            for row in ws.iter_rows(max_row=3, values_only=True)
            for v in row
            if v
        ]
        assert any(t.startswith("Сверка ограничена: ") for t in texts), workbook.name


def test_a_configured_folder_scope_is_inherited_by_its_subfolders(
    tmp_path: Path, company: SynthData, registers: dict[str, SynthData]
) -> None:
    """The Podolsk register lists only the warehouse; the config says the branch is both rooms."""
    config = workspace(
        tmp_path, company, scope={"by_folder": {"podolsk": {"locations": ["Подольск*"]}}}
    )
    podolsk = registers["Подольск"]
    result = run(config, write_register_1c(podolsk, tmp_path / "p.xlsx"), "podolsk/склад")
    places = {a.asset_id: a.location or "" for a in company.inventory.assets}
    in_branch = {
        a.asset_id
        for a in company.inventory.assets
        if (a.location or "").lower().startswith("подольск")
    }
    assert {places[a] for a in surplus(result)} <= {"Подольск - склад", "подольск, офис"}
    doc = results_json(result)
    assert doc["scope"] == {
        **doc["scope"],
        "basis": "configured",
        "source": "scope.by_folder.podolsk",
        "assets_in_scope": len(in_branch),
        "wrong_inventory": False,
    }
    assert "(настройка scope.by_folder.podolsk)" in doc["warnings"][0]


def test_a_scope_by_an_inventory_column_and_a_place_selects_assets_meeting_both(
    tmp_path: Path, company: SynthData, registers: dict[str, SynthData]
) -> None:
    config = workspace(
        tmp_path,
        company,
        scope={
            "by_folder": {
                "it": {"fields": {"Category": ["Server", "re:^ups$"]}, "locations": ["Москва*"]}
            }
        },
    )
    result = run(config, write_register_1c(registers["Москва"], tmp_path / "m.xlsx"), "it")
    by_id = company.inventory.by_id()
    assert result.scope is not None and result.scope.size > 0
    for asset_id in result.scope.asset_ids or ():
        asset = by_id[asset_id]
        assert (asset.location or "").lower().startswith("москва") and asset.category in (
            "Server",
            "UPS",
        )
    assert {by_id[a].category for a in result.scope.asset_ids or ()} == {"Server", "UPS"}


def test_an_asset_outside_the_scope_that_a_row_matches_is_matched_with_its_location(
    tmp_path: Path, company: SynthData, registers: dict[str, SynthData]
) -> None:
    """Kazan books a laptop that IT sees in Moscow: matched, LOCATION_MISMATCH, not surplus."""
    kazan = registers["Казань"]
    row = next(r for r in kazan.register_rows if r.serial and len(kazan.truth[r.key]) == 1)
    [asset_id] = kazan.truth[row.key]
    asset = company.inventory.by_id()[asset_id]
    moved = asset.location
    asset.location = "Москва ЦОД"
    try:
        config = workspace(tmp_path, company)
        result = run(config, write_register_1c(kazan, tmp_path / "k.xlsx"), "kazan")
    finally:
        asset.location = moved
    [m] = [m for m in result.match.rows if m.row.row == row.row]
    assert m.asset_ids == [asset_id]
    location = [f for f in result.findings if f.code == "LOCATION_MISMATCH" and f.row == row.row]
    assert [f.it_value for f in location] == ["Москва ЦОД"]
    assert result.scope is not None and not result.scope.covers(asset_id)
    assert not {"Москва ЦОД"} & set(result.scope.named)


def test_a_register_naming_no_place_is_compared_with_the_whole_inventory_and_says_so(
    tmp_path: Path, company: SynthData
) -> None:
    """A plain register with no location and no custodian column, of furniture IT does not know."""
    rows = [
        r.__class__(
            sheet=r.sheet, row=r.row, name=f"Стол письменный {r.row}", inventory_number=f"X-{r.row}"
        )
        for r in company.register_rows[:20]
    ]
    data = SynthData(rows, company.inventory, {}, [], company.report_date)
    config = workspace(tmp_path, company, scope={"min_matched_share": 0})
    result = run(config, write_register_plain(data, tmp_path / "plain.xlsx"), "")
    doc = results_json(result)
    assert doc["scope"]["basis"] == "whole"
    assert doc["warnings"][0].startswith("Ведомость не называет мест: сверка со всей")


def another_company() -> SynthData:
    """Another company's register (another seed, its own numbering 'ЮГ-'): nothing is in IT."""
    other = departments.company(60, seed=99)
    for row in other.register_rows:
        row.inventory_number = f"ЮГ-{row.inventory_number}"
    return other


def test_a_register_against_the_wrong_inventory_says_so_first_and_lists_no_surplus(
    tmp_path: Path, company: SynthData
) -> None:
    """A register of another company: none of its 60 keyed rows is in this IT inventory."""
    config = workspace(tmp_path, company)
    other = another_company()
    result = run(config, write_register_1c(other, tmp_path / "чужая.xlsx"), "kazan")
    doc = results_json(result)
    assert doc["scope"]["wrong_inventory"] is True
    assert doc["warnings"][0].startswith("Похоже, ведомость сверена не с той инвентаризацией")
    assert "найдено 0 из 60" in doc["warnings"][0]
    assert not surplus(result) and doc["assets_not_on_books"] == []
    assert "MISSING_IN_BOOKS" not in doc["summary"]["findings_by_code"]
    summary = (result.run_dir / "report.html").read_text("utf-8")
    assert summary.index("не с той инвентаризацией") < summary.index(doc["run_id"])


def test_the_guard_share_is_configurable(tmp_path: Path, company: SynthData) -> None:
    config = workspace(tmp_path, company, scope={"min_matched_share": 0})
    other = another_company()
    result = run(config, write_register_1c(other, tmp_path / "чужая.xlsx"), "kazan")
    assert result.scope is not None and not result.scope.wrong_inventory


def test_check_refuses_a_scope_that_selects_nothing_and_names_the_closest_places(
    tmp_path: Path, company: SynthData
) -> None:
    config = workspace(
        tmp_path,
        company,
        scope={
            "by_folder": {
                "kazan": {"locations": ["Казнь, склад"]},
                "ekb": {"locations": ["Екатеринбург*"]},
                "cc": {"fields": {"Cost centre": ["ЦФО-7"]}},
            }
        },
    )
    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code != 0
    assert "scope.by_folder.kazan" in result.output
    assert "ближайшие значения в «location»: «Казань - склад»" in result.output
    assert "scope.by_folder.cc" in result.output
    assert "в ИТ-учете нет значений «Cost centre»" in result.output
    assert "scope.by_folder.ekb" not in result.output


def test_config_refuses_a_bad_pattern_and_an_empty_scope(
    tmp_path: Path, company: SynthData
) -> None:
    config = workspace(
        tmp_path,
        company,
        scope={"by_folder": {"a": {"locations": ["re:(Москва"]}, "b": {}}},
    )
    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code != 0
    assert "Настройка «scope.by_folder.a.locations[0]»: «re:(Москва» — не регулярное выражение" in (
        result.output
    )
    assert "Область «scope.by_folder.b» ничего не выбирает" in result.output
    assert "Traceback" not in result.output  # the broken pattern is said, never tried


def test_six_branch_surpluses_add_up_to_the_company_surplus(
    tmp_path: Path, company: SynthData, registers: dict[str, SynthData]
) -> None:
    config = workspace(tmp_path, company)
    whole = run(config, write_register_1c(company, tmp_path / "company.xlsx"), "")
    parts: Counter[str] = Counter()
    for branch, data in registers.items():
        result = run(config, write_register_1c(data, tmp_path / f"{branch}.xlsx"), branch)
        parts.update(surplus(result))
    assert max(parts.values()) == 1  # no asset is surplus in two branches
    assert set(parts) == surplus(whole)


def test_the_ledger_keeps_where_it_sees_each_surplus_and_with_whom(
    tmp_path: Path, company: SynthData, registers: dict[str, SynthData]
) -> None:
    """The audit's comparison statement attributes each surplus to its IT place and custodian."""
    config_path = workspace(tmp_path, company)
    config = load_config(config_path)
    kazan = write_register_1c(registers["Казань"], tmp_path / "kazan.xlsx")
    result = pipeline.process_file(kazan, config, folder="kzn", send_mail=False)
    by_id = company.inventory.by_id()
    conn = sqlite3.connect(config.ledger_path)
    try:
        stored = conn.execute(
            "SELECT asset_id, location, custodian FROM findings "
            "WHERE run_id = ? AND code = 'MISSING_IN_BOOKS'",
            (result.run_id,),
        ).fetchall()
    finally:
        conn.close()
    assert stored and len(stored) == len(surplus(result))
    for asset_id, location, custodian in stored:
        assert (location, custodian) == (by_id[asset_id].location, by_id[asset_id].custodian)


def test_the_organisation_in_the_register_title_narrows_the_inferred_scope(
    tmp_path: Path, company: SynthData, registers: dict[str, SynthData]
) -> None:
    """The inventory has an 'Организация' column: Kazan's office belongs to another legal
    entity. The 1C register's title names 'ООО «Северный ветер»': its scope (and so its
    surplus) is the warehouse only, and the statement names the organisation."""
    config = workspace(tmp_path, company)
    wb = openpyxl.load_workbook(tmp_path / "inventory.xlsx")
    ws = wb.active
    assert ws is not None
    place = [c.value for c in ws[1]].index("Location") + 1
    org = ws.max_column + 1
    ws.cell(1, org, "Организация")
    for r in range(2, ws.max_row + 1):
        office = ws.cell(r, place).value == "Казань, Офис"
        ws.cell(r, org, "ООО «Казань-Сервис»" if office else "ООО «Северный ветер»")
    wb.save(tmp_path / "inventory.xlsx")
    result = run(config, write_register_1c(registers["Казань"], tmp_path / "k.xlsx"), "kazan")
    assert result.scope is not None and result.scope.named == ["Казань - склад"]
    assert result.scope.organisation == ["ООО «Северный ветер»"]
    places = {a.asset_id: a.location for a in company.inventory.assets}
    assert {places[a] for a in surplus(result)} <= {"Казань - склад"}
    assert {places[a] for a in result.scope.asset_ids or ()} == {"Казань - склад"}
    statement = results_json(result)["warnings"][0]
    assert statement.startswith("Сверка ограничена: «Казань - склад», по местонахождениям")
    assert "(организация ООО «Северный ветер»)" in statement


def test_check_says_how_many_assets_each_folder_scope_selects(
    tmp_path: Path, company: SynthData
) -> None:
    config = workspace(
        tmp_path,
        company,
        scope={
            "by_folder": {"kazan": {"locations": ["Казань*"]}, "all": {"whole_inventory": True}}
        },
    )
    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code == 0, result.output
    in_kazan = sum(1 for a in company.inventory.assets if (a.location or "").startswith("Казань"))
    total = len(company.inventory.assets)
    assert f"scope.by_folder.kazan: {in_kazan} из {total} записей" in result.output
    assert f"scope.by_folder.all: {total} из {total} записей" in result.output
