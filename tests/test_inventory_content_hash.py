"""inventory/snapshot.content_hash: the hash of the records a run used, which the ledger and
results.json record. Equal data gives an equal hash however the source laid it out; any
change to a value, its type, a lacking key or the records' order gives another."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from reconciler.inventory.records import Record
from reconciler.inventory.snapshot import content_hash


def _record(n: int, fields: dict[str, Any], extra: dict[str, Any] | None = None) -> Record:
    return Record(f"row {n}", f"Assets!{n}", fields, {k: k.title() for k in fields}, extra or {})


def _inventory() -> list[Record]:
    return [
        _record(
            n,
            {
                "asset_id": f"A-{n}",
                "serial": f"SN{n:05}",
                "location": "Москва, ЦОД-1",
                "purchased_on": date(2024, 1, n + 1),
                "purchase_cost": 1000.5 + n,
            },
            {"Комментарий": "ок"} if n == 2 else None,
        )
        for n in range(4)
    ]


def test_equal_records_hash_equal_whatever_the_column_order_or_the_sharing_of_texts() -> None:
    records = _inventory()
    reordered = [
        _record(n, dict(reversed(r.fields.items())), dict(r.extra)) for n, r in enumerate(records)
    ]
    # Equal texts that are distinct objects, as a fresh parse makes them, not shared ones.
    copied = [
        _record(n, {k: "".join(v) if isinstance(v, str) else v for k, v in r.fields.items()})
        for n, r in enumerate(records)
    ]
    for n, r in enumerate(copied):
        r.extra = dict(records[n].extra)
    assert content_hash(records) == content_hash(reordered) == content_hash(copied)
    assert len(content_hash(records)) == 64


def test_a_changed_value_type_lacking_key_or_order_changes_the_hash() -> None:
    base = content_hash(_inventory())

    def changed(n: int, key: str, value: object) -> str:
        records = _inventory()
        records[n].fields[key] = value
        return content_hash(records)

    assert changed(1, "serial", "SN00002") != base
    assert changed(1, "purchased_on", "2024-01-02") != base  # a date, not its text
    assert changed(1, "purchase_cost", Decimal("1001.5")) != base  # a float, not a Decimal
    lacking = _inventory()
    del lacking[3].fields["location"]
    nulled = _inventory()
    nulled[3].fields["location"] = None
    assert len({base, content_hash(lacking), content_hash(nulled)}) == 3
    assert content_hash(list(reversed(_inventory()))) != base
    no_extra = _inventory()
    no_extra[2].extra = {}
    assert content_hash(no_extra) != base
