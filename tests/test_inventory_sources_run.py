"""`reconciler run` and `reconciler inventory pull` with every inventory source kind, end to end.

Each source serves (or holds) the same real records (inventory_api.py); the register is built
from those records as accounting would book them, with one planted difference: the first
booked row's location is another room. So every row matches, and that one row, and only it,
carries LOCATION_MISMATCH.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from inventory_api import (
    REAL,
    glpi_infocoms,
    glpi_items,
    netbox_page,
    netbox_records,
    page,
    snipeit_rows,
)
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from workbooks import SheetSpec, write

from reconciler.cli import cli
from reconciler.config import load_config
from reconciler.inventory.load import load_inventory
from reconciler.rules import default_rules

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="real sample files not present")
PLANTED_PLACE = "Склад 99"


def write_config(folder: Path, inventory: dict[str, Any], *, language: str = "en") -> Path:
    config = folder / "config.yaml"
    lines = ["inventory:"] + [f"  {k}: {json.dumps(v)}" for k, v in inventory.items()]
    lines += [f"report: {{language: {language}, date: 2026-09-30}}"]
    lines += ["mail: {transport: file, recipients: {default: [buh@example.com]}}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def register(folder: Path, booked: list[dict[str, Any]]) -> Path:
    """The register as accounting books the same assets; row 2 (an asset IT has a place for)
    is moved to PLANTED_PLACE."""
    booked = sorted(booked, key=lambda item: not item.get("location"))
    spec = SheetSpec("ОС").row(
        1, ["Инв. №", "Наименование", "Заводской номер", "Местонахождение", "Количество"]
    )
    for n, item in enumerate(booked, start=2):
        place = PLANTED_PLACE if n == 2 else item.get("location")
        spec.row(n, [item.get("tag"), item["name"], item.get("serial"), place, 1])
    return write(folder / "register.xlsx", "xlsx", spec)


def run(config: Path, book: Path, *, mail: bool = False) -> dict[str, Any]:
    args = ["run", str(book), "--config", str(config)] + ([] if mail else ["--no-mail"])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    run_dir = Path(result.output.strip().splitlines()[-1])
    found: dict[str, Any] = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    found["run_dir"] = str(run_dir)
    return found


def assert_all_matched_one_move(results: dict[str, Any], rows: int) -> None:
    statuses = [r["status"] for r in results["rows"]]
    assert statuses.count("matched") == rows == len(statuses)  # match rate 100 %
    moved = [r["row"] for r in results["rows"] if "LOCATION_MISMATCH" in r["findings"]]
    assert moved == [2]


def serve_snipeit(httpserver: HTTPServer) -> list[dict[str, Any]]:
    """Snipe-IT's sample assets served page by page; the rows, for the register."""
    rows = snipeit_rows()
    httpserver.expect_request("/api/v1/hardware").respond_with_handler(
        lambda r: Response(
            page(rows, int(r.args["offset"]), int(r.args["limit"])), content_type="application/json"
        )
    )
    return rows


def booked_snipeit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "tag": r["asset_tag"],
            "name": r["name"],
            "serial": r["serial"],
            "location": (r["location"] or {}).get("name"),
        }
        for r in rows
    ]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("INV_TOKEN", "token-1")
    monkeypatch.setenv("INV_APP_TOKEN", "app-1")
    yield


def test_run_with_a_snipe_it_sample_csv_as_the_inventory_file(tmp_path: Path) -> None:
    csv_path = REAL / "snipeit" / "assets-sample.csv"
    assets = load_inventory(
        load_config(write_config(tmp_path, {"path": str(csv_path)})).inventory, default_rules()
    ).assets
    booked = [{"tag": a.inventory_number, "name": a.name, "location": a.location} for a in assets]
    results = run(write_config(tmp_path, {"path": str(csv_path)}), register(tmp_path, booked))
    assert_all_matched_one_move(results, 22)
    assert results["inventory"]["kind"] == "file" and results["inventory"]["assets"] == 22
    assert any("month-first dates" in w for w in results["warnings"])
    in_russian = run(
        write_config(tmp_path, {"path": str(csv_path)}, language="ru"), register(tmp_path, booked)
    )
    assert any("даты записаны месяцем вперёд" in w for w in in_russian["warnings"])


def test_run_with_snipe_it_over_its_api(httpserver: HTTPServer, env: None, tmp_path: Path) -> None:
    rows = serve_snipeit(httpserver)
    config = write_config(
        tmp_path,
        {
            "source": "snipeit",
            "url": httpserver.url_for("/"),
            "token_env": "INV_TOKEN",
            "page_size": 7,
        },
    )
    booked = booked_snipeit(rows)
    results = run(config, register(tmp_path, booked))
    assert_all_matched_one_move(results, 22)
    assert results["inventory"]["kind"] == "snipeit" and not results["inventory"]["reused_snapshot"]


def test_run_with_netbox_over_its_api(httpserver: HTTPServer, env: None, tmp_path: Path) -> None:
    records = netbox_records()

    def handle(request: Request) -> Response:
        kind = request.path.rstrip("/").rsplit("/", 1)[1]
        url = request.base_url.rstrip("/") + "/"
        body = netbox_page(
            records[kind],
            url,
            dict(request.args),
            int(request.args.get("offset", 0)),
            int(request.args["limit"]),
        )
        return Response(body, content_type="application/json")

    httpserver.expect_request(re.compile("/api/dcim/.*")).respond_with_handler(handle)
    config = write_config(
        tmp_path,
        {
            "source": "netbox",
            "url": httpserver.url_for("").rstrip("/"),
            "token_env": "INV_TOKEN",
            "page_size": 25,
        },
    )
    booked = [
        {"name": d["name"], "serial": d["serial"], "location": d["site"]["name"]}
        for d in records["devices"]
    ]
    results = run(config, register(tmp_path, booked))
    assert_all_matched_one_move(results, 72)
    assert results["inventory"]["assets"] == 76  # and the four modules, on no book row


def test_run_with_glpi_over_its_api(httpserver: HTTPServer, env: None, tmp_path: Path) -> None:
    items = glpi_items()
    lists = {**items, "Infocom": glpi_infocoms(items)}

    def handle(request: Request) -> Response:
        endpoint = request.path.rsplit("/", 1)[1]
        if endpoint == "initSession":
            return Response('{"session_token": "s1"}', content_type="application/json")
        if endpoint == "killSession":
            return Response("")
        chunk_rows = lists.get(endpoint, [])
        start, end = (int(p) for p in request.args["range"].split("-"))
        chunk = chunk_rows[start : end + 1]
        headers = {"Content-Range": f"{start}-{start + len(chunk) - 1}/{len(chunk_rows)}"}
        return Response(json.dumps(chunk), headers=headers, content_type="application/json")

    httpserver.expect_request(re.compile("/apirest.php/.*")).respond_with_handler(handle)
    config = write_config(
        tmp_path,
        {
            "source": "glpi",
            "url": httpserver.url_for("/apirest.php"),
            "token_env": "INV_TOKEN",
            "app_token_env": "INV_APP_TOKEN",
            "page_size": 3,
        },
    )
    every = [i for listed in items.values() for i in listed]
    booked = [
        {"name": i["name"], "serial": i["serial"], "location": i["locations_id"] or None}
        for i in every
    ]
    results = run(config, register(tmp_path, booked))
    assert_all_matched_one_move(results, 9)


def test_run_with_a_folder_of_agent_files(tmp_path: Path) -> None:
    folder = tmp_path / "agents"
    folder.mkdir()
    for file in (REAL / "glpi-agent").iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    config = write_config(tmp_path, {"source": "agent-files", "path": str(folder)})
    assets = load_inventory(load_config(config).inventory, default_rules()).assets
    booked = [{"name": a.hostname, "serial": a.serial, "location": a.location} for a in assets]
    results = run(config, register(tmp_path, booked))
    assert_all_matched_one_move(results, 9)
    assert results["inventory"]["kind"] == "agent-files"


def test_a_failed_fetch_uses_the_last_good_snapshot_and_says_so(
    httpserver: HTTPServer, env: None, tmp_path: Path
) -> None:
    rows = serve_snipeit(httpserver)
    config = write_config(
        tmp_path,
        {
            "source": "snipeit",
            "url": httpserver.url_for("/"),
            "token_env": "INV_TOKEN",
            "retries": 0,
        },
    )
    pulled = CliRunner().invoke(cli, ["inventory", "pull", "--config", str(config)])
    assert pulled.exit_code == 0, pulled.output
    assert "22 assets" in pulled.output
    assert re.search(r"inventory_number\s+22 of 22 \(100%\)", pulled.output)
    assert re.search(r"serial\s+22 of 22", pulled.output) and "sha256 " in pulled.output
    first_hash = re.search(r"sha256 (\w+)", pulled.output)
    assert first_hash is not None
    httpserver.clear()
    httpserver.expect_request("/api/v1/hardware").respond_with_data("down", status=503)
    booked = booked_snipeit(rows)
    results = run(config, register(tmp_path, booked), mail=True)
    assert_all_matched_one_move(results, 22)  # never an empty inventory
    assert results["inventory"]["reused_snapshot"] is True
    assert results["inventory"]["sha256"] == first_hash[1]
    said = " ".join(results["warnings"])
    assert "fetching from snipeit failed" in said and "used the last good snapshot" in said
    messages = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in Path(results["run_dir"]).parent.parent.rglob("*.eml")
    ]
    bodies = [m.get_body(("plain",)) for m in messages if isinstance(m, EmailMessage)]
    texts = [b.get_content() for b in bodies if isinstance(b, EmailMessage)]
    assert texts and any("used the last good snapshot" in t for t in texts)
    ledger = sqlite3.connect(tmp_path / "state" / "ledger.sqlite")
    (reused,) = ledger.execute("SELECT reused FROM inventory_snapshots").fetchone()
    assert reused == 1
