"""API pages built from the real records in ../shared/data/real, served on loopback.

Each builder turns the real export into what the tool's API answers for the same assets
(Snipe-IT: /api/v1/hardware rows); the tests serve them with pytest-httpserver and read them
through the real client code.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REAL = Path("/work/shared/data/real")
if not REAL.is_dir():  # the files travel with the workspace, not with the repository
    REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def us_date(text: str) -> date | None:
    if not text:
        return None
    month, day, year = (int(p) for p in text.split("/"))
    return date(2000 + year if year < 100 else year, month, day)


def snipeit_rows() -> list[dict[str, Any]]:
    """Snipe-IT's sample assets (assets-sample.csv, 22 rows) as /api/v1/hardware rows: nested
    {id, name} objects, assigned_to with its type, dates as {date, formatted}, the cost as the
    locale-formatted string the API sends."""
    text = (REAL / "snipeit" / "assets-sample.csv").read_text(encoding="utf-8-sig")
    rows = []
    for n, line in enumerate(csv.DictReader(io.StringIO(text)), start=1):
        bought = us_date(line["Purchase Date"])
        user = line["Checked Out To: Username"]
        assigned = None
        if line["Checkout Type"] == "User" and user:
            name = f"{line['Checked Out To: First Name']} {line['Checked Out To: Last Name']}"
            assigned = {"id": 100 + n, "type": "user", "name": name, "username": user}
        elif line["Checkout Type"] == "Location":
            assigned = {"id": 200 + n, "type": "location", "name": line["Checked Out To: Location"]}
        cost = float(line["Purchase Cost"]) if line["Purchase Cost"] else None
        rows.append(
            {
                "id": n,
                "name": line["Name"],
                "asset_tag": line["Asset Tag"],
                "serial": f"SN{n:05d}",
                "model": {"id": n, "name": line["Model"]},
                "model_number": line["Model Number"],
                "manufacturer": {"id": n, "name": line["Manufacturer"]},
                "category": {"id": n, "name": line["Category"]},
                "company": {"id": n, "name": line["Company"]},
                "location": {"id": n, "name": line["Location"]} if line["Location"] else None,
                "assigned_to": assigned,
                "status_label": {
                    "id": 1 if assigned else 2,
                    "name": "Deployed" if assigned else "Ready to Deploy",
                    "status_meta": "deployed" if assigned else "deployable",
                },
                "purchase_date": (
                    {"date": bought.isoformat(), "formatted": f"{bought:%a %b %d, %Y}"}
                    if bought
                    else None
                ),
                "purchase_cost": f"{cost:,.2f}" if cost is not None else None,
            }
        )
    return rows


def page(rows: list[dict[str, Any]], offset: int, limit: int) -> str:
    return json.dumps({"total": len(rows), "rows": rows[offset : offset + limit]})


def netbox_records() -> dict[str, list[dict[str, Any]]]:
    """NetBox's demo data (netbox-demo-v3.6.json, a Django fixture) as the API answers it:
    related objects nested as {id, name, ...}. The demo has no serials or asset tags; each
    device gets serial "NB" + its pk, so keys can be tested, and modules keep theirs (none)."""
    fixture = json.loads((REAL / "netbox" / "netbox-demo-v3.6.json").read_text(encoding="utf-8"))
    by_model: dict[str, dict[int, dict[str, Any]]] = {}
    for item in fixture:
        if "pk" in item:  # through-tables without a key of their own are of no use here
            by_model.setdefault(item["model"], {})[item["pk"]] = item["fields"]

    def named(model: str, pk: int | None, key: str = "name") -> dict[str, Any] | None:
        if pk is None or pk not in by_model.get(model, {}):
            return None
        return {"id": pk, key: by_model[model][pk][key], "display": by_model[model][pk][key]}

    devices = []
    for pk, f in sorted(by_model["dcim.device"].items()):
        device_type = by_model["dcim.devicetype"][f["device_type"]]
        devices.append(
            {
                "id": pk,
                "name": f["name"],
                "display": f["name"] or f"device {pk}",
                "device_type": {
                    "id": f["device_type"],
                    "model": device_type["model"],
                    "manufacturer": named("dcim.manufacturer", device_type["manufacturer"]),
                },
                "role": named("dcim.devicerole", f["role"]),
                "tenant": named("tenancy.tenant", f["tenant"]),
                "site": named("dcim.site", f["site"]),
                "location": named("dcim.location", f["location"]),
                "rack": named("dcim.rack", f["rack"]),
                "status": {"value": f["status"], "label": f["status"].title()},
                "serial": f"NB{pk:05d}",
                "asset_tag": f["asset_tag"],
            }
        )
    modules = []
    for pk, f in sorted(by_model["dcim.module"].items()):
        module_type = by_model["dcim.moduletype"][f["module_type"]]
        modules.append(
            {
                "id": pk,
                "display": module_type["model"],
                "device": named("dcim.device", f["device"]),
                "module_type": {
                    "id": f["module_type"],
                    "model": module_type["model"],
                    "manufacturer": named("dcim.manufacturer", module_type["manufacturer"]),
                },
                "serial": f["serial"],
                "asset_tag": f["asset_tag"],
                "status": {"value": "active", "label": "Active"},
            }
        )
    return {"devices": devices, "modules": modules, "inventory-items": []}


def netbox_page(
    rows: list[dict[str, Any]], url: str, args: dict[str, str], offset: int, limit: int
) -> str:
    """One page as NetBox answers: count, next as an absolute URL keeping the query, results."""
    following = None
    if offset + limit < len(rows):
        query = urlencode({**args, "limit": limit, "offset": offset + limit})
        following = f"{url}?{query}"
    return json.dumps(
        {
            "count": len(rows),
            "next": following,
            "previous": None,
            "results": rows[offset : offset + limit],
        }
    )


def glpi_items() -> dict[str, list[dict[str, Any]]]:
    """The nine real agent inventories as GLPI would list them after import: one item per
    machine under its type, dropdowns expanded to names, the agent's login as `contact`.
    Computers get an Infocom each (cost, purchase date, a 36-month warranty), since agents
    report none."""
    from reconciler.inventory.agent import agent_document

    items: dict[str, list[dict[str, Any]]] = {}
    for file in sorted((REAL / "glpi-agent").iterdir()):
        doc = agent_document(file)
        assert doc is not None, file
        content = doc["content"]
        bios, hardware = content.get("bios") or {}, content.get("hardware") or {}
        device = content.get("network_device") or {}
        itemtype = doc.get("itemtype") or "Computer"
        kind = {"Computer": "computer", "Phone": "phone", "Printer": "printer"}.get(
            itemtype, "networkequipment"
        )
        listed = items.setdefault(itemtype, [])
        listed.append(
            {
                "id": len(listed) + 1,
                "name": hardware.get("name") or device.get("name"),
                "serial": bios.get("ssn") or device.get("serial"),
                "otherserial": bios.get("assettag") or "",
                "manufacturers_id": bios.get("smanufacturer") or device.get("manufacturer"),
                f"{kind}models_id": bios.get("smodel") or device.get("model"),
                f"{kind}types_id": hardware.get("chassis_type") or device.get("type") or "",
                "locations_id": device.get("location") or "",
                "contact": hardware.get("lastloggeduser") or hardware.get("userid") or "",
                "users_id": 0,
                "states_id": "In use",
                "uuid": hardware.get("uuid"),
            }
        )
    return items


def glpi_infocoms(items: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "itemtype": "Computer",
            "items_id": item["id"],
            "value": f"{1000 + 250 * n}.50",
            "buy_date": f"2021-0{n}-15",
            "warranty_date": f"2021-0{n}-31",
            "warranty_duration": 36,
        }
        for n, item in enumerate(items.get("Computer", []), start=1)
    ]
