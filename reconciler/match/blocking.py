"""Comparable features of book rows and assets, and the candidate pairs worth scoring.

Both sides are reduced once to columns (numpy arrays of small integer ids, 0 = missing), so
that scoring compares whole arrays of pairs at a time. Candidates come from blocking keys: a
model token, a rare name word, a token with the site or the custodian, the inventory number.
A key shared by more than `max_block_size` assets is skipped (a narrower key covers the row),
so the work grows with the number of rows, never with rows x assets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from rapidfuzz import fuzz, process

from reconciler.match import normalize
from reconciler.models import Asset, BookRow
from reconciler.rules import BlockingRules, NormalizeRules

# "Комплект серверов ... (3 шт.)", "... - 3 шт.": the count, and the words that say "kit".
_KIT_COUNT = re.compile(r"[-(]?\s*(\d+)\s*шт\b\.?\s*\)?", re.IGNORECASE)
_KIT_WORD = re.compile(r"\bкомплект\w*", re.IGNORECASE)


def kit_quantity(name: str | None) -> int | None:
    """'Комплект серверов Dell R750 (3 шт.)' -> 3; None when the name states no count."""
    if not name:
        return None
    found = _KIT_COUNT.search(str(name))
    return int(found.group(1)) if found and int(found.group(1)) > 0 else None


def strip_kit_words(name: str) -> str:
    return _KIT_WORD.sub(" ", _KIT_COUNT.sub(" ", name))


class Vocabulary:
    """Shared ids for keys of both sides: equal keys get equal ids, 0 means missing."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, key: str) -> int:
        if not key:
            return 0
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids) + 1
        return found


@dataclass
class Features:
    """One side (rows or assets) as columns; index i is the i-th row or asset."""

    labels: list[str]  # name as shown in evidence
    names: list[normalize.NameKey]
    text_id: np.ndarray
    squashed_id: np.ndarray  # the name's tokens joined: what survives any spacing
    model_id: np.ndarray
    vendor: np.ndarray
    category: np.ndarray
    location: np.ndarray
    custodian: np.ndarray
    inventory: np.ndarray
    serial_id: np.ndarray  # the first serial key
    cost: np.ndarray  # per unit, NaN when missing
    raw_location: list[str | None]
    raw_custodian: list[str | None]
    raw_serial: list[str]

    def __len__(self) -> int:
        return len(self.labels)


def _cost(value: Decimal | None, units: int) -> float:
    if value is None or value <= 0:
        return float("nan")
    return float(value) / max(units, 1)


def book_features(
    rows: Sequence[BookRow], needs: Sequence[int], vocab: Vocabulary, rules: NormalizeRules
) -> Features:
    # str(): a name cell may arrive as a number ('7430' typed alone).
    names = [normalize.name_key(strip_kit_words(str(r.name or "")), rules) for r in rows]
    serials = [normalize.split_serials(r.serial, rules) for r in rows]
    return _features(
        labels=[str(r.name or "") for r in rows],
        names=names,
        vocab=vocab,
        rules=rules,
        locations=[r.location for r in rows],
        custodians=[r.custodian for r in rows],
        inventory=[normalize.inventory_key(r.inventory_number, rules) for r in rows],
        serials=[s[0] if s else "" for s in serials],
        costs=[_cost(r.cost, n) for r, n in zip(rows, needs, strict=True)],
    )


def asset_text(asset: Asset) -> str:
    """What IT calls the asset: vendor and model when known (the name is often a hostname)."""
    if asset.model:
        return " ".join(p for p in (asset.category, asset.vendor, asset.model) if p)
    return " ".join(p for p in (asset.category, asset.vendor, asset.name) if p)


def asset_features(assets: Sequence[Asset], vocab: Vocabulary, rules: NormalizeRules) -> Features:
    return _features(
        labels=[
            " ".join(p for p in (a.vendor, a.model) if p) if a.model else a.name or ""
            for a in assets
        ],
        names=[normalize.name_key(asset_text(a), rules) for a in assets],
        vocab=vocab,
        rules=rules,
        locations=[a.location for a in assets],
        custodians=[a.custodian for a in assets],
        inventory=[normalize.inventory_key(a.inventory_number or a.kit, rules) for a in assets],
        serials=[normalize.serial_key(a.serial, rules) for a in assets],
        costs=[_cost(a.purchase_cost, 1) for a in assets],
    )


def _features(
    *,
    labels: list[str],
    names: list[normalize.NameKey],
    vocab: Vocabulary,
    rules: NormalizeRules,
    locations: list[str | None],
    custodians: list[str | None],
    inventory: list[str],
    serials: list[str],
    costs: list[float],
) -> Features:
    def ids(keys: Iterable[str]) -> np.ndarray:
        return np.fromiter((vocab.id(k) for k in keys), dtype=np.int64)

    return Features(
        labels=labels,
        names=names,
        text_id=ids("t:" + n.text if n.text else "" for n in names),
        squashed_id=ids("q:" + n.squashed if n.squashed else "" for n in names),
        model_id=ids("m:" + n.model if n.model else "" for n in names),
        vendor=ids("v:" + n.vendor if n.vendor else "" for n in names),
        category=ids("c:" + n.category if n.category else "" for n in names),
        location=ids("l:" + k if (k := normalize.place_key(p, rules)) else "" for p in locations),
        custodian=ids("p:" + k if (k := normalize.person_key(p)) else "" for p in custodians),
        inventory=ids("i:" + k if k else "" for k in inventory),
        serial_id=ids("s:" + k if k else "" for k in serials),
        cost=np.asarray(costs, dtype=np.float64),
        raw_location=locations,
        raw_custodian=custodians,
        raw_serial=serials,
    )


@dataclass
class BlockIndex:
    """Blocking key -> asset indices, for the assets still free after exact keys."""

    blocks: dict[tuple[object, ...], list[int]] = field(default_factory=lambda: defaultdict(list))
    model_tokens: set[str] = field(default_factory=set)


def _keys(f: Features, i: int, min_len: int) -> list[tuple[object, ...]]:
    name = f.names[i]
    loc, cust = int(f.location[i]), int(f.custodian[i])
    keys: list[tuple[object, ...]] = []
    for token in name.tokens:
        if token in name.model_tokens or len(token) >= min_len:
            keys.append(("t", token))
    if name.model:
        keys.append(("m", name.model))
    if name.squashed:  # 'latitude5420' blocks with 'Latitude 5420'
        keys.append(("q", name.squashed))
    for token in [*name.model_tokens, name.model]:
        if loc:
            keys.append(("tl", token, loc))
        if cust:
            keys.append(("tc", token, cust))
        if loc and cust:
            keys.append(("tlc", token, loc, cust))
    if f.inventory[i]:
        keys.append(("i", int(f.inventory[i])))
    return keys


def build_index(assets: Features, free: Iterable[int], rules: BlockingRules) -> BlockIndex:
    index = BlockIndex()
    for a in free:
        for key in _keys(assets, a, rules.min_token_length):
            index.blocks[key].append(a)
        index.model_tokens.update(assets.names[a].model_tokens)
    return index


def candidate_pairs(
    books: Features,
    rows: Iterable[int],
    index: BlockIndex,
    rules: BlockingRules,
) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, asset indices) of every pair sharing a usable blocking key.

    A model token the inventory never uses (a typo: 'DL308') is replaced by the closest ones
    it does use, so a slip in the model still finds its candidates.
    """
    vocab = sorted(index.model_tokens)
    near: dict[str, list[str]] = {}
    out_r: list[np.ndarray] = []
    out_a: list[np.ndarray] = []
    limit = rules.max_block_size
    for r in rows:
        keys = _keys(books, r, rules.min_token_length)
        for token in books.names[r].model_tokens:
            if token in index.model_tokens or not vocab:
                continue
            if token not in near:  # no processor: model tokens are normalised already
                found = process.extract(token, vocab, scorer=fuzz.ratio, score_cutoff=80, limit=3)
                near[token] = [str(m[0]) for m in found]
            keys.extend(("t", t) for t in near[token])
        hits: list[list[int]] = []
        for key in keys:
            block = index.blocks.get(key)
            if block and len(block) <= limit:
                hits.append(block)
        if not hits:
            continue
        assets, counts = np.unique(np.concatenate(hits), return_counts=True)
        if len(assets) > limit:  # keep the assets that share the most keys with the row
            keep = np.argsort(-counts, kind="stable")[:limit]
            assets = np.sort(assets[keep])
        out_r.append(np.full(len(assets), r, dtype=np.int64))
        out_a.append(assets.astype(np.int64))
    if not out_r:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(out_r), np.concatenate(out_a)
