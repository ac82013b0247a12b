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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from reconciler.match import name_keys, place_keys, unit_keys
from reconciler.models import Asset, AssetStatus, BookRow
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


class KeyIds(dict[str, int]):
    """A vocabulary's key -> id, remembering the id -> text columns read from it (`texts_of`):
    score_pairs asks for the same four on each of its four calls in a run, and each scan of
    the 270k keys at 100k x 150k cost 0.04 s."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: dict[str, tuple[int, np.ndarray]] = {}  # prefix -> (size then, column)


# The kinds score_pairs reads as text: names, squashed names, models, serials. One scan of the
# vocabulary makes all four.
_TEXT_KINDS = ("t:", "q:", "m:", "s:")


def texts_of(ids: dict[str, int], prefix: str) -> np.ndarray:
    """id -> text (without its prefix) for the keys of one kind; '' for the other ids.

    Prefixes are two characters ('t:'), as `_features` writes them.
    """
    columns = ids.columns if isinstance(ids, KeyIds) else {}
    found = columns.get(prefix)
    if found is not None and found[0] == len(ids):  # keys are only ever added, never changed
        return found[1]
    kinds = dict.fromkeys((prefix, *_TEXT_KINDS))
    made = {kind: np.full(len(ids) + 1, "", dtype=object) for kind in kinds}
    for k, i in ids.items():
        out = made.get(k[:2])
        if out is not None:
            out[i] = k[2:]
    for kind, out in made.items():
        out.flags.writeable = False  # shared by every later caller
        columns[kind] = (len(ids), out)
    return made[prefix]


class Vocabulary:
    """Shared ids for keys of both sides: equal keys get equal ids, 0 means missing."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = KeyIds()

    def ids_of(self, keys: Iterable[str]) -> np.ndarray:
        """The id of each key, as an array: new keys get the next id, '' gets 0."""
        table = self.ids
        out: list[int] = []
        for key in keys:
            if not key:
                out.append(0)
                continue
            found = table.get(key)
            if found is None:
                found = table[key] = len(table) + 1
            out.append(found)
        return np.asarray(out, dtype=np.int64)

    def ids_for(self, prefix: str, values: Sequence[str | None]) -> np.ndarray:
        """`ids_of` the keys prefix + value ('' or None: 0), each distinct value looked up once.

        A column of 150k places or models holds a few thousand distinct values: building and
        looking up a key per element was most of the features' time. Ids are given in the
        order values first appear, as `ids_of` gives them.
        """
        distinct: dict[str | None, int] = dict.fromkeys(values, 0)
        if 2 * len(distinct) > len(values):  # mostly distinct (serials, numbers): one walk
            return self.ids_of(prefix + v if v else "" for v in values)
        table = self.ids
        for value in distinct:
            if value:
                key = prefix + value
                found = table.get(key)
                if found is None:
                    found = table[key] = len(table) + 1
                distinct[value] = found
        return np.fromiter(map(distinct.__getitem__, values), dtype=np.int64, count=len(values))


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """np.unique(values) by sorting. NumPy 2.4's np.unique without return_* hashes instead,
    30x slower: 0.9 s for the 840k candidate pairs at 100k x 150k."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


@dataclass
class Features:
    """One side (rows or assets) as columns; index i is the i-th row or asset."""

    labels: list[str]  # name as shown in evidence
    names: list[name_keys.NameKey]
    text_id: np.ndarray
    squashed_id: np.ndarray  # the name's tokens joined: what survives any spacing
    squashed_text: dict[int, str]  # squashed id -> the squashed name
    model_id: np.ndarray
    vendor: np.ndarray
    more_vendors: np.ndarray  # bool: the name holds more than one maker (NameKey.also_vendors)
    category: np.ndarray
    location: np.ndarray
    custodian: np.ndarray
    inventory: np.ndarray
    serial_id: np.ndarray  # the first serial key
    cost: np.ndarray  # per unit, NaN when missing
    day: np.ndarray  # acquired (books) or purchased (IT) as a day number, NaN when missing
    status: np.ndarray  # 1 in use (a book line always is), 2 written off, 0 unknown
    raw_location: list[str | None]
    raw_custodian: list[str | None]
    raw_serial: list[str]
    # Books only: how many times this line's cost IT writes for its place (1.2: with VAT;
    # match/cost_habits); None: costs compared as written
    cost_factor: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)


# IT's status against a line still on the books: written off disagrees; unknown says nothing.
_IN_USE = {AssetStatus.DISPOSED: 2, AssetStatus.UNKNOWN: 0}


def _cost(value: Decimal | None, units: int) -> float:
    if value is None or value <= 0:
        return float("nan")
    return float(value) / max(units, 1)


def book_label(row: BookRow) -> str:
    """The row's name as matched: with the maker and model its own columns give (SAP's
    manufacturer and type name beside a description like 'Ноутбук') where the name does not
    already say them. str(): a name cell may arrive as a number ('7430' typed alone)."""
    name = str(row.name or "")
    if row.vendor is None and row.model is None:
        return name
    said = name.casefold()
    vendor, model = (
        str(v) if v is not None and str(v).casefold() not in said else ""
        for v in (row.vendor, row.model)
    )
    return " ".join(p for p in (name, vendor, model) if p)


def book_features(
    rows: Sequence[BookRow],
    needs: Sequence[int],
    vocab: Vocabulary,
    rules: NormalizeRules,
    keys: unit_keys.UnitKeys | None = None,
) -> Features:
    """`keys`: the run's unit keys when already folded (for these rows, in this order)."""
    labels = [book_label(r) for r in rows]
    kit_free = {text: strip_kit_words(text) for text in dict.fromkeys(labels)}
    names = name_keys.name_keys(map(kit_free.__getitem__, labels), rules)
    serials = (
        keys.row_serials if keys else unit_keys.split_serials_each((r.serial for r in rows), rules)
    )
    return _features(
        labels=labels,
        names=names,
        vocab=vocab,
        rules=rules,
        locations=[r.location for r in rows],
        custodians=[r.custodian for r in rows],
        inventory=keys.row_inventory
        if keys
        else unit_keys.inventory_keys((r.inventory_number for r in rows), rules),
        serials=[s[0] if s else "" for s in serials],
        costs=[_cost(r.cost, n) for r, n in zip(rows, needs, strict=True)],
        days=[r.acquired_on for r in rows],
        status=np.ones(len(rows), dtype=np.int64),
    )


def asset_text(asset: Asset) -> str:
    """What IT calls the asset: vendor and model when known (the name is often a hostname)."""
    if asset.model:
        return " ".join(p for p in (asset.category, asset.vendor, asset.model) if p)
    return " ".join(p for p in (asset.category, asset.vendor, asset.name) if p)


def _asset_labels_and_texts(assets: Sequence[Asset]) -> tuple[list[str], list[str]]:
    """Each asset's label (vendor and model, or its name) and `asset_text`, made once per
    distinct product: 150k assets hold a few dozen models."""
    made: dict[tuple[str | None, str | None, str], tuple[str, str]] = {}
    labels: list[str] = []
    texts: list[str] = []
    for a in assets:
        if a.model:
            product = (a.category, a.vendor, a.model)
            found = made.get(product)
            if found is None:
                label = " ".join(p for p in (a.vendor, a.model) if p)
                found = made[product] = (label, asset_text(a))
            labels.append(found[0])
            texts.append(found[1])
        else:
            labels.append(a.name or "")
            texts.append(asset_text(a))
    return labels, texts


def asset_features(
    assets: Sequence[Asset],
    vocab: Vocabulary,
    rules: NormalizeRules,
    keys: unit_keys.UnitKeys | None = None,
) -> Features:
    """`keys`: the run's unit keys when already folded (for these assets, in this order)."""
    labels, texts = _asset_labels_and_texts(assets)
    return _features(
        labels=labels,
        names=name_keys.name_keys(texts, rules),
        vocab=vocab,
        rules=rules,
        locations=[a.location for a in assets],
        custodians=[a.custodian for a in assets],
        inventory=keys.asset_inventory
        if keys
        else unit_keys.inventory_keys((a.inventory_number or a.kit for a in assets), rules),
        serials=keys.asset_serial
        if keys
        else unit_keys.serial_keys((a.serial for a in assets), rules),
        costs=[_cost(a.purchase_cost, 1) for a in assets],
        days=[a.purchased_on for a in assets],
        status=np.array([_IN_USE.get(a.status, 1) for a in assets], dtype=np.int64),
    )


def _features(
    *,
    labels: list[str],
    names: list[name_keys.NameKey],
    vocab: Vocabulary,
    rules: NormalizeRules,
    locations: list[str | None],
    custodians: list[str | None],
    inventory: list[str],
    serials: list[str],
    costs: list[float],
    days: list[date | None],
    status: np.ndarray,
) -> Features:
    ids = vocab.ids_for
    # The name cache hands out one NameKey per distinct text: 100k rows hold ~5k, 150k assets
    # a few dozen. Their columns are made for those, then spread by position.
    slot: dict[int, int] = {}
    distinct: list[name_keys.NameKey] = []
    for n in names:
        if id(n) not in slot:
            slot[id(n)] = len(distinct)
            distinct.append(n)
    spread = np.fromiter((slot[id(n)] for n in names), dtype=np.int64, count=len(names))

    def name_ids(prefix: str, values: list[str | None]) -> np.ndarray:
        return ids(prefix, values)[spread]

    text_id = name_ids("t:", [n.text for n in distinct])
    squashed_id = name_ids("q:", [n.squashed for n in distinct])
    return Features(
        labels=labels,
        names=names,
        text_id=text_id,
        squashed_id=squashed_id,
        squashed_text={
            0: "",
            **{vocab.ids["q:" + n.squashed]: n.squashed for n in distinct if n.squashed},
        },
        model_id=name_ids("m:", [n.model for n in distinct]),
        vendor=name_ids("v:", [n.vendor for n in distinct]),
        more_vendors=np.array([bool(n.also_vendors) for n in distinct], dtype=bool)[spread],
        category=name_ids("c:", [n.category for n in distinct]),
        location=ids("l:", place_keys.place_keys(locations, rules)),
        custodian=ids("p:", place_keys.person_keys(custodians)),
        inventory=ids("i:", inventory),
        serial_id=ids("s:", serials),
        cost=np.asarray(costs, dtype=np.float64),
        day=np.array([d.toordinal() if d else np.nan for d in days], dtype=np.float64),
        status=status,
        raw_location=locations,
        raw_custodian=custodians,
        raw_serial=serials,
    )


@dataclass
class BlockIndex:
    """Blocking key -> asset indices, for the assets still free after exact keys."""

    blocks: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    model_tokens: set[str] = field(default_factory=set)


def _key_maker(f: Features, min_len: int) -> Callable[[int], list[str]]:
    """The blocking keys of the i-th row or asset: kind, then its parts, joined by spaces
    (tokens hold none). Strings, not tuples: the garbage collector never walks them, and at
    150k assets with ten keys each the tuples' walks cost more than building the index.

    The keys of a name are made once per distinct name (150k assets hold a few dozen), then
    joined with each one's place, person and number.
    """
    names = f.names
    locations, custodians = f.location.tolist(), f.custodian.tolist()
    inventory = f.inventory.tolist()
    by_name: dict[int, tuple[list[str], list[str]]] = {}  # id(name) -> (keys, model tokens)

    def keys_of(i: int) -> list[str]:
        name = names[i]
        made = by_name.get(id(name))
        if made is None:
            own = [
                "t " + token
                for token in name.tokens
                if token in name.model_tokens or len(token) >= min_len
            ]
            if name.model:
                own.append("m " + name.model)
            if name.squashed:  # 'latitude5420' blocks with 'Latitude 5420'
                own.append("q " + name.squashed)
            made = by_name[id(name)] = (own, [*name.model_tokens, name.model])
        own, tokens = made
        keys = own.copy()
        loc, cust = locations[i], custodians[i]
        for token in tokens:
            if loc:
                keys.append(f"tl {token} {loc}")
            if cust:
                keys.append(f"tc {token} {cust}")
            if loc and cust:
                keys.append(f"tlc {token} {loc} {cust}")
        if inventory[i]:
            keys.append(f"i {inventory[i]}")
        return keys

    return keys_of


def build_index(assets: Features, free: Iterable[int], rules: BlockingRules) -> BlockIndex:
    index = BlockIndex()
    keys_of = _key_maker(assets, rules.min_token_length)
    blocks = index.blocks
    seen: set[int] = set()  # names whose model tokens are in already
    for a in free:
        for key in keys_of(a):
            blocks[key].append(a)
        name = assets.names[a]
        if id(name) not in seen:
            seen.add(id(name))
            index.model_tokens.update(name.model_tokens)
    return index


def ngram_pairs(
    books: Features,
    rows: Sequence[int],
    assets: Features,
    free: Sequence[int],
    k: int,
    max_group: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """(row, asset) pairs: for each row, the free assets holding one of its `k` nearest names.

    Names are compared by TF-IDF of character 3-grams of the squashed name ('latitude5420',
    'poweredger750xs'), so every row gets its k best names whatever its spacing, case or
    gluing, even when no blocking key is shared. Distinct names are joined, not rows x assets
    (fifty identical laptops are one name), with a top-k sparse product that never builds
    the whole matrix. The join runs both ways: a row also gets the names whose own k nearest
    include its name, since an abbreviated name ('qb prem mfg whlesle 07') is far from
    everything: its true row is among its few nearest while it is not among that row's. A name more than `max_group` free assets hold gives the row only
    those at its place with its custodian, or failing that with its custodian, or at its
    place: the unit evidence that can tell them apart.
    """
    empty = np.zeros(0, dtype=np.int64)
    if k <= 0 or not len(rows) or not len(free):
        return empty, empty
    free_arr = np.asarray(free, dtype=np.int64)
    rows_arr = np.asarray(rows, dtype=np.int64)
    asset_names, asset_group = np.unique(assets.squashed_id[free_arr], return_inverse=True)
    row_names, row_group = np.unique(books.squashed_id[rows_arr], return_inverse=True)
    asset_text = [f" {assets.squashed_text[i]} " for i in asset_names]
    row_text = [f" {books.squashed_text[i]} " for i in row_names]
    # Short names pad to at least one 3-gram: ' t14 ' still has ' t1', 't14', '14 '.
    grams: dict[str, int] = {}
    right = _trigrams(asset_text, grams, grow=True)
    if not grams:  # no asset has a name at all
        return empty, empty
    left = _trigrams(row_text, grams, grow=False)
    idf = np.log((1 + right.shape[0]) / (1 + np.bincount(right.indices, minlength=len(grams))))
    right, left = _l2(right.multiply(idf + 1.0).tocsr()), _l2(left.multiply(idf + 1.0).tocsr())
    top = _top_k(left, right.T.tocsr(), k).tocsr()
    # Each name's k nearest row names, turned round: k per asset name in all, so the total
    # stays k x names; a row name many names point to (a hub) keeps its 10 k closest.
    back = _top_per_row(_top_k(right, left.T.tocsr(), k).T.tocsr(), 10 * k)
    top = top.maximum(back).tocsr()
    top.eliminate_zeros()
    # free assets per name (positions into free_arr), and per (name, place), (name, person)
    order = np.argsort(asset_group, kind="stable")
    bounds = np.searchsorted(asset_group[order], np.arange(len(asset_names) + 1))
    by_unit: dict[tuple[int, ...], list[int]] = defaultdict(list)
    big = set(np.flatnonzero(np.diff(bounds) > max_group).tolist())
    for pos in np.flatnonzero(np.isin(asset_group, list(big))).tolist():
        a, g = int(free_arr[pos]), int(asset_group[pos])
        loc, cust = int(assets.location[a]), int(assets.custodian[a])
        by_unit[(g, loc, cust)].append(pos)
        by_unit[(g, -1, cust)].append(pos)
        by_unit[(g, loc, -1)].append(pos)
    out_a: list[np.ndarray] = []
    # A row's candidates depend on its name alone, or, when one of its nearest names is held
    # by many, on its name, place and person: made once per such combination (100k rows hold
    # ~5k names), not once per row.
    neighbours: dict[int, tuple[list[int], bool]] = {}  # row name -> (its names, any big)
    locations, custodians = books.location.tolist(), books.custodian.tolist()
    made: dict[object, np.ndarray | None] = {}
    hit_rows: list[int] = []
    for r, group in zip(rows_arr.tolist(), row_group.tolist(), strict=True):
        if group not in neighbours:
            names = top.indices[top.indptr[group] : top.indptr[group + 1]].tolist()
            neighbours[group] = (names, any(g in big for g in names))
        names, uses_unit = neighbours[group]
        loc, cust = locations[r], custodians[r]
        key: object = (group, loc, cust) if uses_unit else group
        if key in made:
            found = made[key]
        else:
            hits: list[np.ndarray] = []
            for g in names:
                if g in big:  # the narrowest unit evidence that names some: place and person
                    for unit in ((g, loc, cust), (g, -1, cust), (g, loc, -1)):
                        near = by_unit.get(unit) if min(unit[1:]) != 0 else None
                        if near:
                            hits.append(np.asarray(near[: max_group * 5], dtype=np.int64))
                            break
                else:
                    hits.append(order[bounds[g] : bounds[g + 1]])
            found = made[key] = free_arr[sorted_distinct(np.concatenate(hits))] if hits else None
        if found is not None:
            hit_rows.append(r)
            out_a.append(found)
    if not out_a:
        return empty, empty
    counts = np.fromiter((len(a) for a in out_a), dtype=np.int64, count=len(out_a))
    return np.repeat(np.asarray(hit_rows, dtype=np.int64), counts), np.concatenate(out_a)


def _trigrams(texts: list[str], grams: dict[str, int], *, grow: bool) -> Any:
    """Counts of each text's character 3-grams as a sparse matrix (TF-IDF without sklearn:
    importing it took seconds, longer than the join on a loaded machine)."""
    from scipy.sparse import csr_matrix

    indptr = [0]
    indices: list[int] = []
    for text in texts:
        for i in range(len(text) - 2):
            g = text[i : i + 3]
            j = grams.get(g)
            if j is None and grow:
                j = grams[g] = len(grams)
            if j is not None:
                indices.append(j)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = csr_matrix((data, indices, indptr), shape=(len(texts), max(len(grams), 1)))
    matrix.sum_duplicates()
    return matrix


def _top_per_row(matrix: Any, k: int) -> Any:
    """The k largest entries of each row of a CSR matrix (ties: the lower column first)."""
    counts = np.diff(matrix.indptr)
    if not len(counts) or counts.max() <= k:
        return matrix
    keep = np.ones(len(matrix.data), dtype=bool)
    for i in np.flatnonzero(counts > k).tolist():
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        order = np.lexsort((matrix.indices[lo:hi], -matrix.data[lo:hi]))
        keep[lo + order[k:]] = False
    matrix = matrix.copy()
    matrix.data[~keep] = 0.0
    matrix.eliminate_zeros()
    return matrix


def _l2(matrix: Any) -> Any:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    from scipy.sparse import diags

    return (diags(1.0 / norms) @ matrix).astype(np.float32).tocsr()


def _top_k(left: Any, right: Any, k: int) -> Any:
    try:
        from sparse_dot_topn import sp_matmul_topn
    except ImportError:  # the slow road: exact, in slices so memory stays bounded
        from scipy.sparse import csr_matrix, vstack

        parts = []
        for start in range(0, left.shape[0], 2000):
            block = (left[start : start + 2000] @ right).toarray()
            if block.shape[1] > k:
                cut = np.argpartition(-block, k - 1, axis=1)[:, k:]
                np.put_along_axis(block, cut, 0.0, axis=1)
            parts.append(csr_matrix(block))
        return vstack(parts)
    return sp_matmul_topn(left, right, top_n=k, threshold=1e-6, n_threads=2)


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
    keys_of = _key_maker(books, rules.min_token_length)
    for r in rows:
        keys = keys_of(r)
        for token in books.names[r].model_tokens:
            if token in index.model_tokens or not vocab:
                continue
            if token not in near:  # no processor: model tokens are normalised already
                found = process.extract(token, vocab, scorer=fuzz.ratio, score_cutoff=80, limit=3)
                near[token] = [str(m[0]) for m in found]
            keys.extend("t " + t for t in near[token])
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
