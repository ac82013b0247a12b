"""Snipe-IT's REST API: GET /api/v1/hardware, a bearer token, limit/offset paging.

No maintained Python client exists, so plain httpx (api_client.py). The answer is
{total, rows}; `limit` is capped by the server's MAX_RESULTS (500 by default), so paging
follows what came back, not what was asked. assigned_to is a user (the custodian), an asset
(the kit this one belongs to) or a location; it is split by its type before the mapping
table (sources.yaml `snipeit:`) reads it. purchase_cost arrives as a locale-formatted string
("1,234.56"), which the inventory's number parser reads.
"""

from __future__ import annotations

import logging
from typing import Any

from reconciler.config import InventoryConfig
from reconciler.errors import InventoryError
from reconciler.inventory.api_client import ApiClient, env_secret
from reconciler.inventory.mapping import SourceMapping, load_mapping
from reconciler.inventory.records import Loaded, Record
from reconciler.models import ReadingNote
from reconciler.text.reading_notes import note

log = logging.getLogger(__name__)

HARDWARE = "api/v1/hardware"
ASSIGNED_AS = {"user": "assigned_user", "asset": "assigned_asset", "location": "assigned_location"}


def load_snipeit(source: InventoryConfig, mapping: SourceMapping | None = None) -> Loaded:
    token = env_secret("inventory.token_env", source.token_env, "Snipe-IT API token")
    mapping = mapping or load_mapping("snipeit", source)
    records: list[Record] = []
    notes: list[ReadingNote] = []
    with ApiClient(source, tool="Snipe-IT", headers={"Authorization": f"Bearer {token}"}) as api:
        offset, total = 0, None
        while total is None or offset < total:
            page, _ = api.get_json(HARDWARE, limit=source.page_size, offset=offset, sort="id")
            if not isinstance(page, dict) or not isinstance(page.get("rows"), list):
                said = page.get("messages") if isinstance(page, dict) else None
                raise InventoryError(
                    f"the Snipe-IT API at {api.base}/{HARDWARE} answered without asset rows"
                    + (f": {said}" if said else ""),
                    hint="check inventory.url and that the token's user may view assets",
                )
            total = int(page.get("total") or 0)
            rows = page["rows"]
            if not rows:
                if offset < total:  # the list shrank while we paged, or the server stops early
                    notes.append(
                        note("SHORT_LAST_PAGE", tool="Snipe-IT", total=total, count=len(records))
                    )
                break
            for n, row in enumerate(rows, start=offset + 1):
                ref = f"hardware/{row.get('id', n)}"
                records.append(mapping.record(split_assigned(row), where=ref, ref=ref))
            offset += len(rows)
    log.info("Snipe-IT %s: %d assets", source.url, len(records))
    return Loaded(records, f"snipeit {source.url}", notes)


def split_assigned(row: dict[str, Any]) -> dict[str, Any]:
    """assigned_to as assigned_user / assigned_asset / assigned_location, by its type."""
    assigned = row.get("assigned_to")
    if not isinstance(assigned, dict):
        return row
    key = ASSIGNED_AS.get(str(assigned.get("type", "")).lower())
    return {**row, key: assigned} if key else row
