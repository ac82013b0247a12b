"""Exact keys: reviewers' decisions first, then serials, inventory numbers and barcodes; kits.

A confirmed pair is fixed before any key is looked at and a rejected one is never formed. Then
serials (every serial a cell lists), inventory numbers, barcodes; within a key, rows in (sheet,
row) order; an asset goes to one row only. A row that may take N assets takes up to N, and a
kit found by one key is completed from free assets sharing its kit id, or its model and site.
The pairs found here are also the labels the fuzzy stage learns its weights from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container
from typing import TYPE_CHECKING

from reconciler.match.blocking import kit_quantity
from reconciler.match.place_keys import place_key
from reconciler.match.unit_keys import barcode_key, inventory_key, serial_key, split_serials
from reconciler.models import Asset, BookRow
from reconciler.rules import NormalizeRules

if TYPE_CHECKING:
    from reconciler.match.decisions import DecisionSet

EXACT_SCORE = 100.0

_KeysOf = Callable[[BookRow], list[str]]  # a book row's normalised keys of one kind


def needed_assets(row: BookRow, rules: NormalizeRules | None = None) -> int:
    """How many assets a row may take: its quantity, the serials it lists, or '(N шт.)'."""
    return max(
        row.quantity or 1,
        len(split_serials(row.serial, rules)),
        kit_quantity(row.name) or 1,
    )


KEY_ORDER = ("serial", "inventory_number", "barcode")


def apply_decisions(
    work: list[BookRow],
    assets: list[Asset],
    decisions: DecisionSet,
    taken: dict[int, list[tuple[int, str]]],
    owner: dict[int, int],
    notes: dict[tuple[int, int], str],
) -> set[tuple[int, int]]:
    """Fix the confirmed pairs before any key is looked at; return the rejected pairs."""
    index = {a.asset_id: i for i, a in enumerate(assets)}
    rejected: set[tuple[int, int]] = set()
    for r, row in enumerate(work):
        rejected.update((r, index[a]) for a in decisions.rejected_for(row) if a in index)
        for d in decisions.confirmed_for(row):
            a = index.get(d.asset_id or "")
            if a is None or a in owner:  # gone from IT, or a duplicate row took it first
                continue
            owner[a] = r
            taken[r].append((a, "decision"))
            notes[(r, a)] = d.describe()
    return rejected


def exact_keys(
    work: list[BookRow],
    needs: list[int],
    assets: list[Asset],
    taken: dict[int, list[tuple[int, str]]],
    owner: dict[int, int],
    norm: NormalizeRules,
    rejected: Container[tuple[int, int]] = (),
) -> None:
    by_serial: dict[str, list[int]] = defaultdict(list)
    by_inventory: dict[str, list[int]] = defaultdict(list)
    by_barcode: dict[str, list[int]] = defaultdict(list)
    for a, asset in enumerate(assets):
        if key := serial_key(asset.serial, norm):
            by_serial[key].append(a)
        # A kit's units often carry the kit's number (the book line's inventory number) as
        # their kit id and no tag of their own.
        if key := inventory_key(asset.inventory_number or asset.kit, norm):
            by_inventory[key].append(a)
        if key := barcode_key(asset.barcode, norm):
            by_barcode[key].append(a)
    # A serial several IT assets share ('1234567' on every box of a batch, an agent's filler the
    # placeholder list lacks) tells none of them apart: no exact key; fuzzy matching decides.
    by_serial = defaultdict(list, {k: v for k, v in by_serial.items() if len(v) == 1})
    passes: tuple[tuple[str, dict[str, list[int]], _KeysOf], ...] = (
        ("serial", by_serial, lambda row: split_serials(row.serial, norm)),
        (
            "inventory_number",
            by_inventory,
            lambda row: [inventory_key(row.inventory_number, norm)],
        ),
        ("barcode", by_barcode, lambda row: [barcode_key(row.barcode, norm)]),
    )
    for kind, index, keys_of in passes:
        for r, row in enumerate(work):
            room = needs[r] - len(taken[r])
            if room <= 0:
                continue
            hits = [
                a
                for k in keys_of(row)
                if k
                for a in index.get(k, ())
                if a not in owner and (r, a) not in rejected
            ]
            hits = list(dict.fromkeys(hits))
            if kind != "serial" and len(hits) > room:
                # One number on several free assets and no serial to tell them apart: which
                # one is a judgement, left to the fuzzy stage (it sees the number agree).
                continue
            for a in hits[:room]:
                owner[a] = r
                taken[r].append((a, kind))
    for r in [r for r, hits in taken.items() if not hits]:
        del taken[r]


def complete_kits(
    work: list[BookRow],
    needs: list[int],
    assets: list[Asset],
    taken: dict[int, list[tuple[int, str]]],
    owner: dict[int, int],
    norm: NormalizeRules,
    rejected: Container[tuple[int, int]] = (),
) -> None:
    """A kit found by one key takes its free siblings: same kit id, or same model and site."""
    short = [r for r, hits in taken.items() if len(hits) < needs[r]]
    if not short:
        return
    by_kit: dict[str, list[int]] = defaultdict(list)
    by_model_site: dict[tuple[str, str], list[int]] = defaultdict(list)
    for a, asset in enumerate(assets):
        if asset.kit:
            by_kit[asset.kit].append(a)
        if asset.model:
            by_model_site[(asset.model, place_key(asset.location, norm))].append(a)
    for r in short:
        first = assets[taken[r][0][0]]
        siblings = by_kit.get(first.kit, []) if first.kit else []
        if not siblings and first.model:
            place = place_key(first.location, norm)
            siblings = by_model_site.get((first.model, place), [])
        for a in siblings:
            if len(taken[r]) >= needs[r]:
                break
            if a not in owner and (r, a) not in rejected:
                owner[a] = r
                taken[r].append((a, "kit"))


def exact_detail(row: BookRow, asset: Asset, kind: str) -> str:
    book = {"serial": row.serial, "inventory_number": row.inventory_number}.get(kind, row.barcode)
    it = {"serial": asset.serial, "inventory_number": asset.inventory_number}.get(
        kind, asset.barcode if kind == "barcode" else asset.kit
    )
    return f"'{book}' = '{it}'"
