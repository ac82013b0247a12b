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
import pickle
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.atomic import write_atomically
from reconciler.inventory.records import Loaded, Record

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "inventory"
API_KINDS = ("snipeit", "netbox", "glpi")


class _Absent:
    """A key one record lacks and another has: told apart from a null value."""


_ABSENT = _Absent()


class _Into:
    """A file for the pickler that is the digest: the bytes are hashed as they are made,
    never held whole (30 MB at 150k assets)."""

    def __init__(self, digest: Any) -> None:
        self.write = digest.update


def content_hash(records: list[Record]) -> str:
    """sha256 of the records' fields and extra, in order: equal data, equal hash, whatever
    the order of the source's columns.

    What is hashed: for `fields`, then `extra`, the sorted keys any record has, then each
    record's values in that order as a tuple (a key the record lacks as a marker, not as
    null), pickled (protocol 5) with the memo off, so the bytes follow the values alone and
    never which objects happen to be shared. A value's bytes are its type's and its value's:
    a number, a Decimal, a date are kept apart from a text that reads the same. A nested
    value (an API's object) keeps the order the source gave its keys.

    Until issue 16's fourth pass it was one sorted-keys `json.dumps` line per record (3 s of
    150k assets, ~1.2 s now, on a loaded box), so a ledger's older inventory snapshots hold
    hashes of that other layout. A hash is only ever compared with one of the same version
    (a cold parse and a kept one)."""
    digest = hashlib.sha256()
    pickler = pickle.Pickler(_Into(digest), protocol=5)
    pickler.fast = True  # no memo: equal values, equal bytes, shared or not
    for part in ("fields", "extra"):
        rows: list[dict[str, Any]] = [getattr(r, part) for r in records]
        keys = sorted(set().union(*rows))
        absent = [_ABSENT] * len(keys)
        pickler.dump((part, keys, [tuple(map(row.get, keys, absent)) for row in rows]))
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
