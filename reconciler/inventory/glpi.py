"""GLPI's legacy REST API (apirest.php) as an inventory source, through plain httpx.

initSession with the App-Token and `Authorization: user_token ...` gives a Session-Token;
each asset type is listed with `range=start-end` paging (the total in Content-Range) and
expand_dropdowns, so models, places and users arrive as names; Infocom (cost, purchase date,
warranty) is listed once and joined by item; killSession ends the session whatever happened.
The mapping table is sources.yaml `glpi:`.
"""

from __future__ import annotations

import calendar
import contextlib
import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from reconciler.config import InventoryConfig
from reconciler.errors import InventoryError, ReconcilerError
from reconciler.inventory.api_client import ApiClient, env_secret
from reconciler.inventory.mapping import SourceMapping, load_mapping
from reconciler.inventory.records import Loaded, Record

log = logging.getLogger(__name__)

ITEMTYPES = ("Computer", "Monitor", "Printer", "NetworkEquipment", "Phone", "Peripheral")
_CONTENT_RANGE = re.compile(r"(\d+)-(-?\d+)/(\d+)")


def load_glpi(source: InventoryConfig, mapping: SourceMapping | None = None) -> Loaded:
    user_token = env_secret("inventory.token_env", source.token_env, "GLPI user API token")
    app_token = env_secret("inventory.app_token_env", source.app_token_env, "GLPI App-Token")
    mapping = mapping or load_mapping("glpi", source)
    records: list[Record] = []
    with ApiClient(source, tool="GLPI", headers={"App-Token": app_token}) as api:
        opened = api.json(
            api.request("GET", "initSession", headers={"Authorization": f"user_token {user_token}"})
        )
        session = opened.get("session_token") if isinstance(opened, dict) else None
        if not session:
            raise InventoryError(
                f"GLPI at {api.base} opened no session: {str(opened)[:120]}",
                hint="check inventory.url ends with apirest.php and the API is enabled",
            )
        api.client.headers["Session-Token"] = session
        try:
            infocoms = {
                (str(i.get("itemtype")), i.get("items_id")): i
                for i in paged(api, "Infocom", source.page_size)
            }
            for itemtype in ITEMTYPES:
                for item in paged(api, itemtype, source.page_size, expand_dropdowns="true"):
                    ref = f"{itemtype}/{item.get('id')}"
                    infocom = infocoms.get((itemtype, item.get("id")), {})
                    joined = {
                        **item,
                        "kind_id": ref,
                        "itemtype": itemtype,
                        "infocom": {**infocom, "warranty_end": warranty_end(infocom)},
                    }
                    records.append(mapping.record(joined, where=ref, ref=ref))
        finally:
            with contextlib.suppress(ReconcilerError):  # the data is in; a stale session expires
                api.request("GET", "killSession")
    log.info("GLPI %s: %d assets", source.url, len(records))
    return Loaded(records, f"glpi {source.url}", [])


def paged(api: ApiClient, itemtype: str, size: int, **params: str) -> Iterator[dict[str, Any]]:
    """Every item of `itemtype`, `size` at a time, as Content-Range says how many there are."""
    start = 0
    while True:
        response = api.request(
            "GET",
            itemtype,
            params={**params, "range": f"{start}-{start + size - 1}"},
            ok=(200, 206),
        )
        items = api.json(response)
        if not isinstance(items, list):
            raise InventoryError(
                f"GLPI at {api.base}/{itemtype} answered without a list of items: "
                f"{str(items)[:120]}",
                hint="check the API user's profile may read this asset type",
            )
        yield from (i for i in items if isinstance(i, dict))
        m = _CONTENT_RANGE.search(response.headers.get("Content-Range", ""))
        total = int(m[3]) if m else start + len(items)
        start += len(items)
        if not items or start >= total:
            return


def warranty_end(infocom: dict[str, Any]) -> str | None:
    """warranty_date + warranty_duration months, as GLPI shows the warranty's end."""
    begun, months = infocom.get("warranty_date"), infocom.get("warranty_duration")
    try:
        first = date.fromisoformat(str(begun)[:10])
        count = int(months or 0)
    except ValueError:
        return None
    if count <= 0:
        return None
    month = first.month - 1 + count
    year, month = first.year + month // 12, month % 12 + 1
    day = min(first.day, calendar.monthrange(year, month)[1])  # 31 Jan + 1 month: 28/29 Feb
    return date(year, month, day).isoformat()
