"""Time load_inventory from Snipe-IT's REST API served on loopback (the real client code:
httpx, paging, the mapping table, parsing into Assets), and from a folder of agent files.

Run: .venv/bin/python bench/bench_inventory_api.py [ASSETS]   (default 20000). Not a test.
The API pages are /api/v1/hardware rows as Snipe-IT nests them, 500 a page (its default
MAX_RESULTS); the agent folder holds ASSETS / 10 GLPI agent JSON files.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from reconciler.config import InventoryConfig
from reconciler.inventory.load import load_inventory
from reconciler.rules import default_rules


def hardware(n: int) -> list[dict[str, Any]]:
    statuses = [
        ("Deployed", "deployed"),
        ("Ready to Deploy", "deployable"),
        ("Archived", "archived"),
    ]
    return [
        {
            "id": i,
            "name": f"host-{i}",
            "asset_tag": f"ОС-{i:07d}",
            "serial": f"SN{i:010d}",
            "model": {"id": 1, "name": "ProLiant DL380 Gen10"},
            "manufacturer": {"id": 1, "name": "HPE"},
            "category": {"id": 1, "name": "Servers"},
            "location": {"id": i % 50, "name": f"Site {i % 50}"},
            "assigned_to": {"id": i % 900, "type": "user", "name": f"User {i % 900}"},
            "status_label": {"name": statuses[i % 3][0], "status_meta": statuses[i % 3][1]},
            "purchase_date": {"date": "2019-03-15", "formatted": "Fri Mar 15, 2019"},
            "purchase_cost": "1,234.50",
            "warranty_expires": {"date": "2024-03-15", "formatted": "Fri Mar 15, 2024"},
        }
        for i in range(1, n + 1)
    ]


def serve(rows: list[dict[str, Any]]) -> tuple[ThreadingHTTPServer, list[int]]:
    pages: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            offset, limit = int(query["offset"][0]), min(int(query["limit"][0]), 500)
            body = json.dumps({"total": len(rows), "rows": rows[offset : offset + limit]}).encode()
            pages.append(offset)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, pages


def agent_folder(folder: Path, n: int) -> None:
    for i in range(n):
        doc = {
            "deviceid": f"pc-{i}-2026-12-01-10-00-00",
            "content": {
                "bios": {
                    "ssn": f"SN{i:08d}",
                    "smanufacturer": "Dell Inc.",
                    "smodel": "Latitude 5420",
                },
                "hardware": {"name": f"pc-{i}", "chassis_type": "Laptop", "lastloggeduser": "user"},
                "networks": [
                    {"ipaddress": "127.0.0.1"},
                    {"ipaddress": f"10.0.{i // 250}.{i % 250}"},
                ],
            },
        }
        (folder / f"pc-{i}.json").write_text(json.dumps(doc), encoding="utf-8")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rules = default_rules()
    server, pages = serve(hardware(n))
    os.environ["BENCH_SNIPE_TOKEN"] = "bench"
    config = InventoryConfig(
        source="snipeit",
        url=f"http://127.0.0.1:{server.server_address[1]}",
        token_env="BENCH_SNIPE_TOKEN",
        page_size=500,
    )
    start = time.perf_counter()
    inventory = load_inventory(config, rules)
    took = time.perf_counter() - start
    print(f"snipeit API  {len(inventory.assets):>8,d} assets, {len(pages)} pages in {took:5.1f} s")
    server.shutdown()
    with tempfile.TemporaryDirectory() as tmp:
        agent_folder(Path(tmp), n // 10)
        start = time.perf_counter()
        inventory = load_inventory(InventoryConfig(source="agent-files", path=Path(tmp)), rules)
        took = time.perf_counter() - start
        print(f"agent files  {len(inventory.assets):>8,d} files in {took:5.1f} s")


if __name__ == "__main__":
    main()
