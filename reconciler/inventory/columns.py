"""An Inventory as columns, the form the inventory cache keeps (cache.py).

Pickling the Inventory as it is took 1.5-2.6 s at 150k assets, two thirds of it in its dates
and amounts: pickle reduces every date and Decimal object by a call of its own (BENCHMARKS.md,
issue 16, sixth pass). Kept as columns, one per Asset field, a column of dates is an array of
day numbers and a column of amounts their texts, which pickle writes in one pass; any other
column is the list of its values as they are (texts, statuses, and a column of dates or
amounts holding anything else). What comes back equals what went in, field by field, and
each asset's `extra` key by key in its order.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any

from reconciler.models import Asset, Inventory, InventorySnapshot, ReadingNote

# Asset's fields in the order Asset(...) takes them, `extra` last.
FIELDS = tuple(f.name for f in fields(Asset))
assert FIELDS[-1] == "extra", "Asset(*columns) with extra last"

NO_DAY = 0  # no date: date.toordinal() is 1 or more
DAYS, AMOUNTS, VALUES = "days", "amounts", "values"  # how a column is kept


@dataclass(frozen=True)
class InventoryColumns:
    source: str
    warnings: list[ReadingNote]
    snapshot: InventorySnapshot | None
    fields: tuple[str, ...]  # FIELDS when kept: a kept entry of another Asset is not read
    # Per field of FIELDS: how it is kept and its data. DAYS: an array of day numbers
    # (NO_DAY for None); AMOUNTS: each Decimal's text or None; VALUES: the values (a tuple).
    columns: tuple[tuple[str, Any], ...]


def to_columns(inventory: Inventory) -> InventoryColumns:
    assets = inventory.assets
    return InventoryColumns(
        source=inventory.source,
        warnings=inventory.warnings,
        snapshot=inventory.snapshot,
        fields=FIELDS,
        # Read asset by asset and turned into columns by zip: C calls, not one per value.
        columns=tuple(map(_kept, zip(*map(attrgetter(*FIELDS), assets), strict=True)))
        if assets
        else tuple((VALUES, ()) for _ in FIELDS),
    )


def from_columns(kept: InventoryColumns) -> Inventory | None:
    """The Inventory kept; None when it was kept with other fields than Asset has now."""
    if kept.fields != FIELDS:
        return None
    columns = [_restored(kind, data) for kind, data in kept.columns]
    return Inventory(
        source=kept.source,
        assets=list(map(Asset, *columns)),
        warnings=kept.warnings,
        snapshot=kept.snapshot,
    )


def _kept(column: tuple[Any, ...]) -> tuple[str, Any]:
    first = next((v for v in column if v is not None), None)
    if type(first) not in (date, Decimal):  # only such a column has each value's type looked at
        return VALUES, column
    kinds = set(map(type, column))
    kinds.discard(type(None))
    if kinds == {date}:  # exactly date: a datetime's time would be lost
        return DAYS, array("l", [NO_DAY if v is None else v.toordinal() for v in column])
    if kinds == {Decimal}:
        return AMOUNTS, [None if v is None else str(v) for v in column]
    return VALUES, column


def _restored(kind: str, data: Any) -> Sequence[Any]:
    """The column's values; a date or amount made once for each distinct one, shared by the
    assets holding it, as the parse shares them."""
    if kind == DAYS:
        days: dict[int, date | None] = {NO_DAY: None}
        for day in set(data) - days.keys():
            days[day] = date.fromordinal(day)
        return list(map(days.__getitem__, data))
    if kind == AMOUNTS:
        amounts: dict[str | None, Decimal | None] = {None: None}
        for text in set(data) - amounts.keys():
            amounts[text] = Decimal(text)
        return list(map(amounts.__getitem__, data))
    assert kind == VALUES, kind
    return data  # type: ignore[no-any-return]
