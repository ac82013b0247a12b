"""An inventory file parsed once per content: the assets kept in state/inventory-cache/, keyed
by the file's SHA-256, the source settings and the rules that shape the parse.

The service reconciles every register against the same IT export until IT drops a new one;
at 100k assets the parse is seconds of every run (BENCHMARKS.md). A changed file, setting or
rule is a new key, so a stale parse is never used; a cache entry that cannot be read is
parsed again. Only file sources are cached: an API answer is fetched fresh every run (and its
last good fetch kept by snapshot.py). The entries are pickles of the inventory as columns
(columns.py: half the time of pickling the assets as they are, to write and to read),
because state/ is the service's own folder, written only by it; nothing from a share is ever
unpickled.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

from reconciler.atomic import write_atomically
from reconciler.config import InventoryConfig
from reconciler.content import sha256_of_stream
from reconciler.inventory.columns import InventoryColumns, from_columns, to_columns
from reconciler.models import Inventory
from reconciler.rules import Rules

log = logging.getLogger(__name__)

CACHE_DIR = "inventory-cache"
KEEP = 4  # entries kept: the current export and a few before it
# Bumped when Inventory, Asset or the columns change shape: old entries are then ignored
# (2: the inventory kept as columns).
FORMAT = 2


def cache_key(source: InventoryConfig, rules: Rules, path: Path) -> str | None:
    """None when the file cannot be read: the loader then says why, as it always did."""
    try:
        with open(path, "rb") as f:  # a configured path, which may well be a link
            content = sha256_of_stream(f)
    except OSError:
        return None
    digest = hashlib.sha256()
    for part in (
        str(FORMAT),
        content,
        source.model_dump_json(),
        rules.columns.model_dump_json(),
        rules.statuses.model_dump_json(),
        rules.normalize.model_dump_json(),
    ):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def load_cached(state: Path, key: str) -> Inventory | None:
    entry = state / CACHE_DIR / f"{key}.pickle"
    try:
        with open(entry, "rb") as f:
            found = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as e:  # a torn or old entry: parse again, it is only a cache
        log.warning("inventory cache entry %s unreadable (%s): parsing again", entry.name, e)
        return None
    if not isinstance(found, InventoryColumns):
        return None
    entry.touch()  # recently used: kept by prune
    return from_columns(found)


def save_cached(state: Path, key: str, inventory: Inventory) -> None:
    folder = state / CACHE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        kept = pickle.dumps(to_columns(inventory), protocol=5)
        write_atomically(folder / f"{key}.pickle", kept)
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as e:  # a full disk costs the next run a parse, not this run
        log.warning("inventory cache not written (%s)", e)
