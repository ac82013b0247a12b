"""Exact keys: reviewers' decisions first, then serials, inventory numbers and barcodes; kits.

A confirmed pair is fixed before any key is looked at and a rejected one is never formed. Then
serials (every serial a cell lists), inventory numbers, barcodes; within a key, rows in (sheet,
row) order; an asset goes to one row only. A row that may take N assets takes up to N, and a
kit found by one key is completed from free assets sharing its kit id, or its model and site.
The pairs found here are also the labels the fuzzy stage learns its weights from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reconciler.match.blocking import kit_quantity
from reconciler.match.place_keys import place_key, place_keys
from reconciler.match.unit_keys import UnitKeys, split_serials, split_serials_each
from reconciler.models import Asset, BookRow
from reconciler.rules import NormalizeRules

if TYPE_CHECKING:
    from reconciler.match.decisions import DecisionSet

EXACT_SCORE = 100.0


def needed_assets(row: BookRow, rules: NormalizeRules | None = None) -> int:
    """How many assets a row may take: its quantity, the serials it lists, or '(N шт.)'."""
    return max(
        row.quantity or 1,
        len(split_serials(row.serial, rules)),
        kit_quantity(row.name) or 1,
    )


def needed_assets_each(
    rows: list[BookRow],
    rules: NormalizeRules | None = None,
    serials: list[tuple[str, ...]] | None = None,
) -> list[int]:
    """`needed_assets` of each row, a whole column at once (a name stating its count is read
    once however many rows carry it). `serials`: the rows' serial lists, when at hand."""
    if serials is None:
        serials = split_serials_each((row.serial for row in rows), rules)
    counts: dict[str | None, int] = {}
    out: list[int] = []
    for row, listed in zip(rows, serials, strict=True):
        kit = counts.get(row.name)
        if kit is None:
            kit = counts[row.name] = kit_quantity(row.name) or 1
        out.append(max(row.quantity or 1, len(listed), kit))
    return out


KEY_ORDER = ("serial", "inventory_number", "barcode")


@dataclass
class Claims:
    """The rows (in (sheet, row) order) and assets of one run, and who has taken what so far."""

    work: list[BookRow]
    needs: list[int]  # assets each row may take
    assets: list[Asset]
    taken: dict[int, list[tuple[int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # row -> (asset, how: key kind, "kit" or "decision")
    owner: dict[int, int] = field(default_factory=dict)  # asset -> row
    rejected: set[tuple[int, int]] = field(default_factory=set)  # (row, asset) a reviewer refused
    notes: dict[tuple[int, int], str] = field(default_factory=dict)  # who confirmed a pair, when

    def take(self, r: int, a: int, how: str) -> None:
        self.owner[a] = r
        self.taken[r].append((a, how))

    def open(self, r: int, a: int) -> bool:
        return a not in self.owner and (r, a) not in self.rejected


def apply_decisions(claims: Claims, decisions: DecisionSet) -> None:
    """Fix the confirmed pairs before any key is looked at; note the rejected ones."""
    index = {a.asset_id: i for i, a in enumerate(claims.assets)}
    for r, row in enumerate(claims.work):
        claims.rejected.update((r, index[a]) for a in decisions.rejected_for(row) if a in index)
        for d in decisions.confirmed_for(row):
            a = index.get(d.asset_id or "")
            if a is None or a in claims.owner:  # gone from IT, or a duplicate row took it first
                continue
            claims.take(r, a, "decision")
            claims.notes[(r, a)] = d.describe()


def exact_keys(claims: Claims, norm: NormalizeRules, keys: UnitKeys | None = None) -> None:
    if keys is None:
        keys = UnitKeys.of(claims.work, claims.assets, norm)
    # A serial several IT assets share ('1234567' on every box of a batch, an agent's filler the
    # placeholder list lacks) tells none of them apart: no exact key; fuzzy matching decides.
    by_serial = {k: v for k, v in _index(keys.asset_serial).items() if len(v) == 1}
    passes: tuple[tuple[str, dict[str, list[int]], list[tuple[str, ...]]], ...] = (
        ("serial", by_serial, keys.row_serials),
        (
            "inventory_number",
            _index(keys.asset_inventory),
            [(k,) if k else () for k in keys.row_inventory],
        ),
        ("barcode", _index(keys.asset_barcode), [(k,) if k else () for k in keys.row_barcode]),
    )
    taken, needs = claims.taken, claims.needs
    owner, rejected = claims.owner, claims.rejected
    first = list(taken)  # the reviewers' pairs, fixed before any key
    for kind, index, keys_of in passes:
        get = index.get
        for r, row_keys in enumerate(keys_of):
            if not row_keys:
                continue
            have = taken.get(r)
            room = needs[r] - (len(have) if have else 0)
            if room <= 0:
                continue
            # claims.open, spelled out: this runs for every row with a key
            hits = [
                a for k in row_keys for a in get(k, ()) if a not in owner and (r, a) not in rejected
            ]
            if not hits:
                continue
            hits = list(dict.fromkeys(hits))
            if kind != "serial" and len(hits) > room:
                # One number on several free assets and no serial to tell them apart: which
                # one is a judgement, left to the fuzzy stage (it sees the number agree).
                continue
            for a in hits[:room]:
                claims.take(r, a, kind)
    # Rows in a fixed order, whichever pass found them: the decisions' rows first, then the
    # others in (sheet, row) order. The fuzzy stage learns from the pairs in this order.
    found = {r: hits for r, hits in taken.items() if hits}
    taken.clear()
    first_set = set(first)
    taken.update((r, found[r]) for r in first if r in found)
    taken.update((r, found[r]) for r in sorted(found) if r not in first_set)


def _index(keys: list[str]) -> dict[str, list[int]]:
    """key -> the positions holding it, in order; empty keys left out."""
    index: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if key:
            index[key].append(i)
    return index


def complete_kits(claims: Claims, norm: NormalizeRules) -> None:
    """A kit found by one key takes its free siblings: same kit id, or same model and site."""
    taken, needs, assets = claims.taken, claims.needs, claims.assets
    short = [r for r, hits in taken.items() if len(hits) < needs[r]]
    if not short:
        return
    # Only the kit ids, and the models at the sites, of the short kits are indexed (a few
    # hundred kits; their models are common ones, 100k of 150k assets).
    firsts = [assets[taken[r][0][0]] for r in short]
    kits = {f.kit for f in firsts if f.kit}
    sites = {(f.model, place_key(f.location, norm)) for f in firsts if not f.kit and f.model}
    by_kit: dict[str, list[int]] = defaultdict(list)
    by_model_site: dict[tuple[str, str], list[int]] = defaultdict(list)
    for a, asset in enumerate(assets):
        if asset.kit in kits:
            by_kit[asset.kit].append(a)
    if sites:
        models = {model for model, _ in sites}
        same_model = [a for a, asset in enumerate(assets) if asset.model in models]
        places = place_keys([assets[a].location for a in same_model], norm)
        for a, place in zip(same_model, places, strict=True):
            site = (str(assets[a].model), place)
            if site in sites:
                by_model_site[site].append(a)
    owner = claims.owner
    for r in short:
        first = assets[taken[r][0][0]]
        # `first` holds its own kit id: a kit id always names a list, even once emptied below
        siblings = by_kit[first.kit] if first.kit else []
        if not first.kit and first.model:
            place = place_key(first.location, norm)
            siblings = by_model_site.get((first.model, place), [])
        # A taken asset is never free again: dropped from its list for the kits after this
        # one, which would otherwise walk every taken unit of a common model at each site.
        siblings[:] = [a for a in siblings if a not in owner]
        for a in siblings:
            if len(taken[r]) >= needs[r]:
                break
            if claims.open(r, a):
                claims.take(r, a, "kit")


def exact_detail(row: BookRow, asset: Asset, kind: str) -> str:
    if kind == "serial":
        book, it = row.serial, asset.serial
    elif kind == "inventory_number":
        book, it = row.inventory_number, asset.inventory_number
    else:
        book, it = row.barcode, asset.barcode if kind == "barcode" else asset.kit
    return f"'{book}' = '{it}'"
