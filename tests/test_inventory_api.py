"""The inventory APIs through the real client code, against real HTTP servers on loopback.

Pages are built from the real records in ../shared/data/real (inventory_api.py says how).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
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

from reconciler.config import InventoryConfig
from reconciler.errors import ConfigError, InventoryError
from reconciler.inventory.load import load_inventory
from reconciler.models import AssetStatus
from reconciler.rules import Rules

needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="real sample files not present")
pytestmark = needs_real
TOKEN = "snipe-test-token-0123"
Handler = Callable[[Request], Response]


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SNIPE_TOKEN", TOKEN)
    return "SNIPE_TOKEN"


def snipeit(server: HTTPServer, **overrides: object) -> InventoryConfig:
    settings: dict[str, object] = {
        "source": "snipeit",
        "url": server.url_for("/"),
        "token_env": "SNIPE_TOKEN",
        "page_size": 5,
        "timeout_seconds": 5,
        "retries": 3,
    }
    settings.update(overrides)
    return InventoryConfig.model_validate(settings)


def hardware(seen: list[Request], *, before: list[Response] | None = None) -> Handler:
    """Serves the real sample assets page by page, after answering `before` in turn."""
    rows = snipeit_rows()
    queued = list(before or [])

    def handle(request: Request) -> Response:
        seen.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Response('{"status":"error","messages":"Unauthorized."}', status=401)
        if queued:
            return queued.pop(0)
        offset, limit = int(request.args["offset"]), int(request.args["limit"])
        return Response(page(rows, offset, limit), content_type="application/json")

    return handle


def test_snipe_it_assets_come_page_by_page_with_the_bearer_token(
    httpserver: HTTPServer, token: str, rules: Rules
) -> None:
    seen: list[Request] = []
    httpserver.expect_request("/api/v1/hardware").respond_with_handler(hardware(seen))
    inventory = load_inventory(snipeit(httpserver), rules)
    assert len(inventory.assets) == 22
    assert len(seen) == 5  # 22 assets at 5 a page
    assert [int(r.args["offset"]) for r in seen] == [0, 5, 10, 15, 20]
    by_tag = {a.inventory_number: a for a in inventory.assets}
    dragline = by_tag["WBH-2841795"]
    assert (dragline.asset_id, dragline.name, dragline.model) == (
        "2",
        "Dragline",
        'Macbook Pro 13"',
    )
    assert (dragline.custodian, dragline.status) == ("Gage McCrackem", AssetStatus.IN_SERVICE)
    assert dragline.extra["assigned_user.username"] == "gmccrackem2a"
    assert dragline.purchase_cost == Decimal("1292.94")
    excavator = by_tag["NNH-3656031"]  # checked out to a location, not a person
    assert (excavator.custodian, excavator.location) == (None, "Pacocha-Kiehn")
    assert excavator.purchased_on == date(2023, 3, 1)  # "3/1/23" in the US export
    assert by_tag["ICC-2065556"].purchase_cost == Decimal("2266.13")  # sent as "2,266.13"
    assert inventory.source == f"snipeit {httpserver.url_for('/')}"
    assert TOKEN not in " ".join(map(str, inventory.warnings))


def test_a_refused_token_is_a_config_error_naming_the_variable_not_the_token(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    monkeypatch.setenv("SNIPE_TOKEN", "wrong-token-xyz")
    httpserver.expect_request("/api/v1/hardware").respond_with_handler(hardware([]))
    with pytest.raises(ConfigError) as caught:
        load_inventory(snipeit(httpserver), rules)
    message = str(caught.value)
    assert "inventory.token_env" in message and "SNIPE_TOKEN" in message and "401" in message
    assert "wrong-token-xyz" not in message


def test_a_token_variable_that_is_not_set_is_a_config_error(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    monkeypatch.delenv("SNIPE_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="SNIPE_TOKEN is not set"):
        load_inventory(snipeit(httpserver), rules)


def test_429_and_503_are_retried_with_the_pause_the_server_asks(
    httpserver: HTTPServer, token: str, rules: Rules
) -> None:
    seen: list[Request] = []
    busy = [
        Response("slow down", status=429, headers={"Retry-After": "0.2"}),
        Response("maintenance", status=503, headers={"Retry-After": "0.2"}),
    ]
    httpserver.expect_request("/api/v1/hardware").respond_with_handler(hardware(seen, before=busy))
    started = time.monotonic()
    inventory = load_inventory(snipeit(httpserver), rules)
    assert len(inventory.assets) == 22
    assert len(seen) == 7  # two refusals, then the five pages
    assert time.monotonic() - started >= 0.4


def test_a_server_still_busy_after_the_retries_is_an_inventory_error(
    httpserver: HTTPServer, token: str, rules: Rules
) -> None:
    busy = [Response("maintenance", status=503, headers={"Retry-After": "0"})] * 3
    httpserver.expect_request("/api/v1/hardware").respond_with_handler(hardware([], before=busy))
    with pytest.raises(InventoryError, match="answered 503"):
        load_inventory(snipeit(httpserver, retries=2), rules)


def test_a_server_that_does_not_answer_in_time_is_retried_then_reported(
    httpserver: HTTPServer, token: str, rules: Rules
) -> None:
    seen: list[Request] = []

    def slow(request: Request) -> Response:
        seen.append(request)
        time.sleep(0.6)
        return Response(page(snipeit_rows(), 0, 5), content_type="application/json")

    httpserver.expect_request("/api/v1/hardware").respond_with_handler(slow)
    with pytest.raises(InventoryError, match=r"did not answer within 0\.2 s \(2 attempts\)"):
        load_inventory(snipeit(httpserver, timeout_seconds=0.2, retries=1), rules)
    assert len(seen) >= 1


def test_an_answer_that_is_not_json_is_an_inventory_error_naming_the_url(
    httpserver: HTTPServer, token: str, rules: Rules
) -> None:
    login_page = Response("<html><body>Login</body></html>", content_type="text/html")
    httpserver.expect_request("/api/v1/hardware").respond_with_handler(
        hardware([], before=[login_page])
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(snipeit(httpserver), rules)
    assert "not JSON" in str(caught.value) and "/api/v1/hardware" in str(caught.value)


def test_an_empty_page_before_the_total_stops_paging_and_says_so(
    httpserver: HTTPServer, token: str, rules: Rules
) -> None:
    rows = snipeit_rows()

    def shrinking(request: Request) -> Response:
        offset = int(request.args["offset"])
        body = page(rows, offset, 5) if offset < 10 else '{"total": 22, "rows": []}'
        return Response(body, content_type="application/json")

    httpserver.expect_request("/api/v1/hardware").respond_with_handler(shrinking)
    inventory = load_inventory(snipeit(httpserver), rules)
    assert len(inventory.assets) == 10
    assert any("said 22 assets but returned 10" in str(w) for w in inventory.warnings)


def test_no_assets_at_all_is_refused_not_an_empty_inventory(
    httpserver: HTTPServer, token: str, rules: Rules
) -> None:
    httpserver.expect_request("/api/v1/hardware").respond_with_data(
        '{"total": 0, "rows": []}', content_type="application/json"
    )
    with pytest.raises(InventoryError, match="0 assets"):
        load_inventory(snipeit(httpserver), rules)


def test_the_mapping_table_is_the_users_to_edit(
    httpserver: HTTPServer, token: str, rules: Rules, tmp_path: Path
) -> None:
    """A copy of sources.yaml with `name` read from the model number instead."""
    mapping = tmp_path / "sources.yaml"
    mapping.write_text(
        "snipeit:\n  asset_id: [id]\n  inventory_number: [asset_tag]\n  name: [model_number]\n",
        encoding="utf-8",
    )
    httpserver.expect_request("/api/v1/hardware").respond_with_handler(hardware([]))
    inventory = load_inventory(snipeit(httpserver, mapping=mapping), rules)
    assert inventory.assets[0].name == "1786VM80X07"
    assert inventory.assets[0].model is None


# --- NetBox (pynetbox) -------------------------------------------------------------------------

V1_TOKEN = "0123456789abcdef0123456789abcdef01234567"
V2_TOKEN = "nbt_abc123.plaintexttoken7890abcdef"


def netbox_handler(
    seen: list[Request], expected: str, *, before: list[Response] | None = None
) -> Handler:
    records = netbox_records()
    queued = list(before or [])

    def handle(request: Request) -> Response:
        seen.append(request)
        if request.headers.get("Authorization") != expected:
            return Response('{"detail": "Invalid token"}', status=403)
        if queued:
            return queued.pop(0)
        kind = request.path.rstrip("/").rsplit("/", 1)[1]
        url = request.base_url.rstrip("/") + "/"
        offset, limit = int(request.args.get("offset", 0)), int(request.args["limit"])
        return Response(
            netbox_page(records[kind], url, dict(request.args), offset, limit),
            content_type="application/json",
        )

    return handle


def netbox(server: HTTPServer, **overrides: object) -> InventoryConfig:
    settings: dict[str, object] = {
        "source": "netbox",
        "url": server.url_for("").rstrip("/"),
        "token_env": "NETBOX_TOKEN",
        "page_size": 20,
        "timeout_seconds": 5,
        "retries": 2,
    }
    settings.update(overrides)
    return InventoryConfig.model_validate(settings)


@pytest.mark.parametrize(
    ("token", "header"), [(V1_TOKEN, f"Token {V1_TOKEN}"), (V2_TOKEN, f"Bearer {V2_TOKEN}")]
)
def test_netbox_devices_and_modules_come_through_pynetbox_with_v1_and_v2_tokens(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    rules: Rules,
    token: str,
    header: str,
) -> None:
    monkeypatch.setenv("NETBOX_TOKEN", token)
    seen: list[Request] = []
    httpserver.expect_request(re.compile("/api/dcim/.*")).respond_with_handler(
        netbox_handler(seen, header)
    )
    inventory = load_inventory(netbox(httpserver), rules)
    assert len(inventory.assets) == 72 + 4
    device_pages = [r for r in seen if "/devices/" in r.path]
    assert len(device_pages) == 4  # 72 devices at 20 a page
    assert all(r.args.get("exclude") == "config_context" for r in device_pages)
    by_id = {a.asset_id: a for a in inventory.assets}
    router = by_id["device/1"]
    assert (router.name, router.serial, router.vendor, router.model) == (
        "dmi01-akron-rtr01",
        "NB00001",
        "Cisco",
        "ISR 1111-8P",
    )
    assert (router.category, router.location, router.rack) == ("Router", "DM-Akron", "Comms closet")
    assert router.status is AssetStatus.IN_SERVICE
    module = by_id["module/1"]
    assert (module.model, module.vendor) == ("EX9200-32XS", "Juniper")
    assert module.kit  # the device it sits in


def test_netbox_refusing_the_token_is_a_config_error_naming_the_variable(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    monkeypatch.setenv("NETBOX_TOKEN", "stale")
    httpserver.expect_request(re.compile("/api/dcim/.*")).respond_with_handler(
        netbox_handler([], f"Token {V1_TOKEN}")
    )
    with pytest.raises(ConfigError) as caught:
        load_inventory(netbox(httpserver), rules)
    assert "NETBOX_TOKEN" in str(caught.value) and "stale" not in str(caught.value)


def test_netbox_busy_answers_are_retried(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    monkeypatch.setenv("NETBOX_TOKEN", V1_TOKEN)
    seen: list[Request] = []
    busy = [
        Response("slow down", status=429, headers={"Retry-After": "0"}),
        Response("maintenance", status=503, headers={"Retry-After": "0"}),
    ]
    httpserver.expect_request(re.compile("/api/dcim/.*")).respond_with_handler(
        netbox_handler(seen, f"Token {V1_TOKEN}", before=busy)
    )
    assert len(load_inventory(netbox(httpserver), rules).assets) == 76
    assert len(seen) == 2 + 4 + 1 + 1


def test_netbox_answering_html_or_timing_out_is_an_inventory_error(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    monkeypatch.setenv("NETBOX_TOKEN", V1_TOKEN)
    httpserver.expect_request(re.compile("/api/dcim/.*")).respond_with_data(
        "<html>proxy login</html>", content_type="text/html"
    )
    with pytest.raises(InventoryError, match="not JSON"):
        load_inventory(netbox(httpserver), rules)
    httpserver.clear()

    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(re.compile("/api/dcim/.*")).respond_with_handler(slow)
    with pytest.raises(InventoryError, match=r"did not answer within 0\.2 s"):
        load_inventory(netbox(httpserver, timeout_seconds=0.2, retries=1), rules)


# --- GLPI REST ---------------------------------------------------------------------------------

APP_TOKEN = "glpi-app-token-42"
USER_TOKEN = "glpi-user-token-77"
SESSION = "session-abc"


@pytest.fixture
def glpi_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLPI_USER_TOKEN", USER_TOKEN)
    monkeypatch.setenv("GLPI_APP_TOKEN", APP_TOKEN)


def glpi(server: HTTPServer, **overrides: object) -> InventoryConfig:
    settings: dict[str, object] = {
        "source": "glpi",
        "url": server.url_for("/apirest.php"),
        "token_env": "GLPI_USER_TOKEN",
        "app_token_env": "GLPI_APP_TOKEN",
        "page_size": 2,
        "timeout_seconds": 5,
        "retries": 2,
    }
    settings.update(overrides)
    return InventoryConfig.model_validate(settings)


def glpi_handler(seen: list[Request], *, before: list[Response] | None = None) -> Handler:
    """GLPI's answers: initSession, ranges with Content-Range (206 while partial), killSession."""
    items = glpi_items()
    lists = {**items, "Infocom": glpi_infocoms(items)}
    queued = list(before or [])

    def handle(request: Request) -> Response:
        seen.append(request)
        if request.headers.get("App-Token") != APP_TOKEN:
            return Response('["ERROR_WRONG_APP_TOKEN_PARAMETER", ""]', status=400)
        endpoint = request.path.rsplit("/", 1)[1]
        if endpoint == "initSession":
            if request.headers.get("Authorization") != f"user_token {USER_TOKEN}":
                return Response('["ERROR_GLPI_LOGIN_USER_TOKEN", ""]', status=401)
            return Response(json.dumps({"session_token": SESSION}), content_type="application/json")
        if request.headers.get("Session-Token") != SESSION:
            return Response('["ERROR_SESSION_TOKEN_INVALID", ""]', status=401)
        if endpoint == "killSession":
            return Response("", status=200)
        if queued:
            return queued.pop(0)
        rows = lists.get(endpoint, [])
        start, end = (int(p) for p in request.args["range"].split("-"))
        chunk = rows[start : end + 1]
        last = start + len(chunk) - 1
        partial = last + 1 < len(rows)
        return Response(
            json.dumps(chunk),
            status=206 if partial else 200,
            headers={"Content-Range": f"{start}-{last}/{len(rows)}"},
            content_type="application/json",
        )

    return handle


def test_glpi_assets_come_by_range_with_infocom_and_the_session_is_killed(
    httpserver: HTTPServer, glpi_env: None, rules: Rules
) -> None:
    seen: list[Request] = []
    httpserver.expect_request(re.compile("/apirest.php/.*")).respond_with_handler(
        glpi_handler(seen)
    )
    inventory = load_inventory(glpi(httpserver), rules)
    assert len(inventory.assets) == 9
    paths = [r.path.rsplit("/", 1)[1] for r in seen]
    assert paths[0] == "initSession" and paths[-1] == "killSession"
    assert paths.count("Computer") == 3  # six computers, two a page
    computer_ranges = [r.args["range"] for r in seen if r.path.endswith("/Computer")]
    assert computer_ranges == ["0-1", "2-3", "4-5"]
    assert all(
        r.args.get("expand_dropdowns") == "true" for r in seen if r.path.endswith("/Computer")
    )
    by_id = {a.asset_id: a for a in inventory.assets}
    elitebook = next(a for a in inventory.assets if a.serial == "CZC0479792")
    assert (elitebook.inventory_number, elitebook.model, elitebook.vendor) == (
        "CZC0479792",
        "HP EliteBook 2540p",
        "Hewlett-Packard",
    )
    assert elitebook.custodian is None and elitebook.extra["contact"] == "cvigneron"
    first = by_id["Computer/1"]
    assert (first.purchase_cost, first.purchased_on) == (Decimal("1250.50"), date(2021, 1, 15))
    assert first.warranty_until == date(2024, 1, 31)
    assert by_id["NetworkEquipment/1"].location == "paris.pa3"
    assert by_id["Printer/1"].serial == "PHCVN191TG"


def test_glpi_refusing_the_user_token_names_the_variable(
    httpserver: HTTPServer, glpi_env: None, monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    monkeypatch.setenv("GLPI_USER_TOKEN", "expired")
    httpserver.expect_request(re.compile("/apirest.php/.*")).respond_with_handler(glpi_handler([]))
    with pytest.raises(ConfigError) as caught:
        load_inventory(glpi(httpserver), rules)
    assert "GLPI_USER_TOKEN" in str(caught.value) and "expired" not in str(caught.value)


def test_glpi_busy_then_malformed_answers(
    httpserver: HTTPServer, glpi_env: None, rules: Rules
) -> None:
    seen: list[Request] = []
    busy = [Response("busy", status=503, headers={"Retry-After": "0"})]
    httpserver.expect_request(re.compile("/apirest.php/.*")).respond_with_handler(
        glpi_handler(seen, before=busy)
    )
    assert len(load_inventory(glpi(httpserver), rules).assets) == 9
    httpserver.clear()
    broken = [Response('[{"id": 1, "name": ', status=200, content_type="application/json")]
    httpserver.expect_request(re.compile("/apirest.php/.*")).respond_with_handler(
        glpi_handler(seen, before=broken)
    )
    with pytest.raises(InventoryError, match="not JSON"):
        load_inventory(glpi(httpserver), rules)
    assert seen[-1].path.endswith("/killSession")  # the session is closed on the way out
