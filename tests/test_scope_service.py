"""Six branches' registers dropped into six inbox folders of the running service, with the real
pipeline: each report lists only its own branch's surplus, and the six add up to the company's.
"""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from service_harness import ServiceProcess, drop, results, service_starter, settled, wait_for

from reconciler.synth import departments, write_inventory, write_register_1c

pytestmark = pytest.mark.slow
REAL = {"RECONCILER_TEST_PROCESSOR": ""}  # the real pipeline.run_file in the child


@pytest.fixture
def services() -> Iterator[Callable[..., ServiceProcess]]:
    yield from service_starter()


def subject(eml: Path) -> str:
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    return str(message["Subject"])


def test_six_branches_in_six_folders_each_get_only_their_own_surplus(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """No scope is configured: each branch's scope is inferred from the rooms its register names.
    A seventh folder gets the whole company's register; an eighth another company's."""
    company = departments.company(240, seed=11)
    ws = tmp_path / "ws"
    (ws / "inbox").mkdir(parents=True)
    write_inventory(company, ws / "inventory.xlsx")
    config = {
        "inventory": {"path": "inventory.xlsx"},
        "watch": {"settle_seconds": 0.3, "interval_seconds": 1.0},
        "mail": {
            "transport": "file",
            "recipients": {"default": ["buh@example.com"]},
            "reviewers": ["it@example.com"],
        },
    }
    (ws / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    sources = tmp_path / "sources"
    branch_data = departments.branch_registers(company)
    folder_of = dict(zip(branch_data, ("msk", "spb", "ekb", "pdl", "kzn", "nsk"), strict=True))
    files = {
        f"{folder_of[b]}/ведомость.xlsx": write_register_1c(d, sources / f"{folder_of[b]}.xlsx")
        for b, d in branch_data.items()
    }
    files["holding/ведомость.xlsx"] = write_register_1c(company, sources / "holding.xlsx")
    other = departments.company(60, seed=99)
    for row in other.register_rows:  # its own numbering: nothing of it is in this inventory
        row.inventory_number = f"ЮГ-{row.inventory_number}"
    files["south/ведомость.xlsx"] = write_register_1c(other, sources / "south.xlsx")

    service = services(ws, **REAL)
    for rel, path in files.items():
        drop(ws / "inbox" / rel, path.read_bytes(), chunks=2, pause=0.05)
    wait_for(settled(ws, len(files)), timeout=180, what="eight registers")
    assert service.stop() == 0, service.output()

    by_folder = {doc["source"]["folder"]: doc for doc in results(ws)}
    assert set(by_folder) == {rel.split("/")[0] for rel in files}
    place = {a.asset_id: a.location or "" for a in company.inventory.assets}
    branch_of = departments.branch_of_place()
    company_surplus = {
        f["asset_id"] for f in by_folder["holding"]["findings"] if f["code"] == "MISSING_IN_BOOKS"
    }
    parts: Counter[str] = Counter()
    for branch, folder in folder_of.items():
        doc = by_folder[folder]
        surplus = [f["asset_id"] for f in doc["findings"] if f["code"] == "MISSING_IN_BOOKS"]
        assert {branch_of[place[a]] for a in surplus} <= {branch}, folder
        planted = {p.asset_id for p in branch_data[branch].planted if p.code == "MISSING_IN_BOOKS"}
        assert planted <= set(surplus), folder
        assert doc["warnings"][0].startswith("Сверка ограничена: "), folder
        assert branch in doc["warnings"][0], folder
        mail = ws / "outbox" / doc["run_id"] / "mail"
        text = email.message_from_bytes(
            (mail / "accounting.eml").read_bytes(), policy=email.policy.default
        ).get_body(("plain",))
        assert text is not None and "Сверка ограничена: " in text.get_content()
        parts.update(surplus)
    assert parts and max(parts.values()) == 1
    assert set(parts) == company_surplus

    south = by_folder["south"]
    assert south["scope"]["wrong_inventory"] is True
    assert not [f for f in south["findings"] if f["code"] == "MISSING_IN_BOOKS"]
    mail = ws / "outbox" / south["run_id"] / "mail"
    for kind in ("accounting", "reviewers"):
        assert subject(mail / f"{kind}.eml").startswith("Не та инвентаризация? Найдено 0 из 60")
