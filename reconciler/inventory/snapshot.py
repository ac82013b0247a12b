"""The inventory a run used, as a snapshot: which source, when, how many assets, a hash.

An API source's last good fetch is kept in state/inventory/ (the records as fetched, before
parsing, so a changed rule applies to them too). When a later fetch fails (the server down,
a timeout, an answer that is not JSON), the run uses that snapshot and says so in its
warnings and email: never an empty inventory, never a silent one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.atomic import write_atomically
from reconciler.inventory.records import Loaded, Record

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "inventory"
API_KINDS = ("snipeit", "netbox", "glpi")


def content_hash(records: list[Record]) -> str:
    """sha256 of the records' fields and extra, in order: equal data, equal hash."""
    digest = hashlib.sha256()
    for record in records:
        line = json.dumps([record.fields, record.extra], sort_keys=True, default=str)
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def snapshot_path(state: Path, kind: str) -> Path:
    return state / SNAPSHOT_DIR / f"{kind}-last-good.json"


def save_last_good(state: Path, kind: str, loaded: Loaded, *, fetched_at: str) -> None:
    """Keep a successful fetch for the runs after it, whole or not at all."""
    path = snapshot_path(state, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "kind": kind,
        "source": loaded.label,
        "fetched_at": fetched_at,
        "records": [asdict(r) for r in loaded.records],
    }
    write_atomically(path, json.dumps(document, default=str, ensure_ascii=False).encode("utf-8"))


def load_last_good(state: Path, kind: str) -> tuple[Loaded, str] | None:
    """The last good fetch of `kind` and when it was made, or None."""
    path = snapshot_path(state, kind)
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        records = [Record(**r) for r in document["records"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        log.warning("the last good %s snapshot at %s cannot be read: %s", kind, path, e)
        return None
    return Loaded(records, str(document.get("source", kind)), []), str(document["fetched_at"])
