"""NetBox through its own client (pynetbox): devices, and the modules and inventory items that
carry serials and asset tags of their own (a line card, a PSU booked as a separate asset).

v1 tokens go as `Token <key>`, v2 (NetBox 4.5+, `nbt_<key>.<token>`) as `Bearer`: pynetbox
tells them by the prefix. Requests go through a requests session with the source's timeout and
urllib3's retries (429 and 5xx, honouring Retry-After). Device lists exclude config_context,
which makes pages heavy. Records are mapped by sources.yaml `netbox:`; a module or an item
names the device it sits in as its kit.
"""

from __future__ import annotations

import logging
from typing import Any

import pynetbox
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from reconciler.config import InventoryConfig
from reconciler.errors import ConfigError, InventoryError, Problem
from reconciler.inventory.api_client import FIRST_PAUSE_SECONDS, RETRIED_STATUSES, env_secret
from reconciler.inventory.mapping import SourceMapping, load_mapping
from reconciler.inventory.records import Loaded, Record

log = logging.getLogger(__name__)

# (what, endpoint under dcim, extra filters): what becomes the record id's prefix.
ENDPOINTS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("device", "devices", {"exclude": "config_context"}),
    ("module", "modules", {}),
    ("inventory-item", "inventory_items", {}),
)


class _TimedSession(requests.Session):
    """requests has no session-wide timeout; pynetbox passes none."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def netbox_session(source: InventoryConfig) -> requests.Session:
    session = _TimedSession(source.timeout_seconds)
    retry = Retry(
        total=source.retries,
        connect=source.retries,
        read=source.retries,
        status=source.retries,
        status_forcelist=sorted(RETRIED_STATUSES),
        allowed_methods=["GET"],
        backoff_factor=FIRST_PAUSE_SECONDS,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer reaches pynetbox, which says its status
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def load_netbox(source: InventoryConfig, mapping: SourceMapping | None = None) -> Loaded:
    token = env_secret("inventory.token_env", source.token_env, "NetBox API token")
    mapping = mapping or load_mapping("netbox", source)
    if not source.url:
        raise ConfigError(
            Problem(
                "key 'inventory.url': the NetBox source needs its base URL",
                "INVENTORY_URL_NEEDED",
                {"source": "netbox"},
            )
        )
    api = pynetbox.api(source.url, token=token)
    api.http_session = netbox_session(source)
    records: list[Record] = []
    counts: dict[str, int] = {}
    for what, endpoint, filters in ENDPOINTS:
        found = _fetch(api, source, endpoint, filters)
        counts[what] = len(found)
        for item in found:
            ref = f"{what}/{item.get('id')}"
            records.append(mapping.record({**item, "kind_id": ref}, where=ref, ref=ref))
    log.info("NetBox %s: %s", source.url, ", ".join(f"{n} {w}s" for w, n in counts.items()))
    return Loaded(records, f"netbox {source.url}", [])


def _fetch(
    api: Any, source: InventoryConfig, endpoint: str, filters: dict[str, str]
) -> list[dict[str, Any]]:
    url = f"{source.url}/api/dcim/{endpoint.replace('_', '-')}/"
    try:
        return [
            dict(r) for r in getattr(api.dcim, endpoint).filter(limit=source.page_size, **filters)
        ]
    except pynetbox.RequestError as e:
        status = e.req.status_code
        if status in (401, 403):
            raise ConfigError(
                Problem(
                    f"key 'inventory.token_env': NetBox at {source.url} refused the token from "
                    f"the environment variable {source.token_env} ({status}); put a valid API "
                    "token there (v1 tokens as they are, v2 as nbt_<key>.<token>)",
                    "TOKEN_REFUSED",
                    {
                        "source": "netbox",
                        "url": source.url,
                        "name": source.token_env,
                        "status": status,
                    },
                )
            ) from None
        raise InventoryError(
            f"NetBox at {url} answered {status}: {e.error!s:.200}",
            hint="check inventory.url and the server's log",
        ) from None
    except pynetbox.ContentError:
        raise InventoryError(
            f"NetBox at {url} answered something that is not JSON",
            hint="check inventory.url points at NetBox, not at a web page or a proxy",
        ) from None
    except requests.RequestException as e:
        raise InventoryError(
            f"NetBox at {url} did not answer within {source.timeout_seconds:g} s or could not "
            f"be reached ({source.retries + 1} attempts): {type(e).__name__}",
            hint="check the server and inventory.url, or raise inventory.timeout_seconds",
        ) from None
