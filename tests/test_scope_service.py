"""Six branches' registers dropped into six inbox folders of the running service, with the real
pipeline: each report lists only its own branch's surplus, and the six add up to the company's.
"""

from __future__ import annotations

import email
import email.policy
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from service_harness import (
    ServiceProcess,
    drop,
    ledger_rows,
    results,
    service_starter,
    settled,
    wait_for,
)

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


def test_our_own_workbooks_dropped_back_without_decisions_are_answered_not_reconciled(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    """A branch register is reconciled; then its annotated copy and its discrepancy workbook,
    untouched, come back into the folder, and an annotated copy of a run this ledger never
    made (another installation's). None of the three is reconciled: each is answered with the
    run it belongs to and what to do, and archived."""
    company = departments.company(120, seed=5)
    kazan = departments.branch_registers(company)["Казань"]
    ws = tmp_path / "ws"
    (ws / "inbox").mkdir(parents=True)
    write_inventory(company, ws / "inventory.xlsx")
    config = {
        "inventory": {"path": "inventory.xlsx"},
        "watch": {"settle_seconds": 0.3, "interval_seconds": 1.0},
        "mail": {"transport": "file", "recipients": {"default": ["buh@example.com"]}},
    }
    (ws / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    register = write_register_1c(kazan, tmp_path / "sources" / "ведомость.xlsx")
    service = services(ws, **REAL)
    drop(ws / "inbox" / "kzn" / "ведомость.xlsx", register.read_bytes())
    wait_for(settled(ws, 1), timeout=90, what="the register")
    [doc] = results(ws)
    run_dir = ws / "outbox" / doc["run_id"]
    annotated = next(run_dir.glob("*.reconciled.xlsx"))
    discrepancies = next(run_dir.glob("*.discrepancies.xlsx"))
    foreign = tmp_path / "чужая.xlsx"
    with zipfile.ZipFile(annotated) as src, zipfile.ZipFile(foreign, "w") as out:
        for item in src.infolist():  # the same workbook, another run id in its properties
            data = src.read(item)
            if item.filename == "docProps/custom.xml":
                data = data.replace(doc["run_id"].encode(), b"20200101-000000-000-abcdef")
            out.writestr(item, data)
    for name, source in (
        ("копия.xlsx", annotated),
        ("для ИТ.xlsx", discrepancies),
        ("чужая.xlsx", foreign),
    ):
        drop(ws / "inbox" / "kzn" / name, source.read_bytes(), chunks=1, pause=0)
    wait_for(settled(ws, 4), timeout=90, what="the three workbooks answered")
    assert service.stop() == 0, service.output()

    assert [d["run_id"] for d in results(ws)] == [doc["run_id"]]  # no new run
    runs = ledger_rows(ws, "SELECT count(*) FROM runs")
    assert runs == [(1,)]
    for name in ("копия.xlsx", "для ИТ.xlsx", "чужая.xlsx"):
        assert (ws / "archive" / "kzn" / name).is_file(), name
    answers = {subject(p): p for p in (ws / "outbox" / "mail").glob("own-file-*.eml")}
    assert len(answers) == 3
    ours = [s for s in answers if doc["run_id"] in s]
    assert len(ours) == 2 and all("это наша книга сверки" in s for s in ours)
    text = email.message_from_bytes(
        answers[ours[0]].read_bytes(), policy=email.policy.default
    ).get_body(("plain",))
    assert text is not None and "положите в папку исходную выгрузку" in text.get_content()
    [unknown] = [p for s, p in answers.items() if "20200101-000000-000-abcdef" in s]
    body = email.message_from_bytes(unknown.read_bytes(), policy=email.policy.default)
    plain = body.get_body(("plain",))
    assert plain is not None and "такого завершенного запуска" in plain.get_content()
