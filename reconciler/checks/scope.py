"""Which part of the IT inventory a register answers for, and whether it was the right inventory.

A company keeps one inventory; each department drops its own register. Only the assets in the
register's scope can be "not on the books" (MISSING_IN_BOOKS): a branch is not asked about the
head office's servers. Matching still sees the whole inventory, so a row whose asset IT places
elsewhere is matched as usual (and its LOCATION_MISMATCH says where IT sees it).

The scope comes from config (scope.by_folder, the nearest listed parent folder), else it is
inferred from the register, in this order, the first that selects any asset:
1. the places its rows name (a caption of a 1C print counts), the same places as matching
   compares them; a place IT does not know is replaced by where IT sees the rows' assets;
2. the МОЛ its rows name;
3. the places of the assets its rows matched;
4. nothing: the whole inventory, and the run says so.
The wrong-inventory guard: when under `min_matched_share` of the rows with a key matched, no
surplus is listed at all, and every output says so first.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from typing import Any

from reconciler.checks.accounting import _same_person, _same_place
from reconciler.config import FolderScope, ScopeConfig
from reconciler.errors import Problem
from reconciler.match import place_keys
from reconciler.models import (
    Asset,
    Inventory,
    MatchResult,
    Register,
    RowStatus,
    Scope,
    ScopeBasis,
)
from reconciler.rules import Rules

_ASSET_FIELDS = tuple(f.name for f in dataclass_fields(Asset) if f.name != "extra")
CLOSEST = 3  # values named when a scope selects nothing


def resolve_scope(
    register: Register,
    inventory: Inventory,
    match: MatchResult,
    rules: Rules,
    config: ScopeConfig,
    folder: str | None,
) -> Scope:
    """The folder's configured scope, else the one the register implies; with the guard."""
    entry = config.for_folder(folder)
    if entry is not None:
        key, rule = entry
        scope = configured_scope(inventory, rules, rule, f"scope.by_folder.{key}")
    else:
        scope = inferred_scope(register, inventory, match, rules)
    keyed = [m for m in match.rows if m.row.inventory_number or m.row.serial or m.row.barcode]
    scope.keyed_rows = len(keyed)
    scope.keyed_matched = sum(1 for m in keyed if m.status is RowStatus.MATCHED)
    scope.wrong_inventory = bool(keyed) and (
        scope.keyed_matched < config.min_matched_share * len(keyed)
    )
    return scope


def narrow(match: MatchResult, scope: Scope) -> MatchResult:
    """The match with only the in-scope assets left as 'no row took it' (none at all when the
    inventory looks wrong): the checks, the reports and results.json then agree."""
    if scope.wrong_inventory:
        left: list[str] = []
    else:
        left = [a for a in match.unmatched_asset_ids if scope.covers(a)]
    return replace(match, unmatched_asset_ids=left)  # whatever else matching keeps stays


# --- configured --------------------------------------------------------------------------


def _value_test(value: str, same: Callable[[str, str], bool]) -> Callable[[str], bool]:
    """One configured value as a test of an inventory text: re:pattern, prefix*, or a name."""
    if value.startswith("re:"):
        pattern = re.compile(value[3:], re.IGNORECASE)
        return lambda text: pattern.search(text) is not None
    if value.endswith("*"):
        return lambda text: same(value[:-1], text)
    return lambda text: same(value, text)


def _tests(
    values: Iterable[str],
    same: Callable[[str, str], bool],
    prefix: Callable[[str, str], bool],
) -> list[Callable[[str], bool]]:
    return [_value_test(v, prefix if v.endswith("*") else same) for v in values]


def _text_of(asset: Asset, column: str) -> str | None:
    """An inventory column by field name or header text (case and spacing aside)."""
    attr = "_".join(column.split()).casefold()
    if attr in _ASSET_FIELDS:
        value = getattr(asset, attr)
    else:
        wanted = " ".join(column.split()).casefold()
        value = next(
            (v for k, v in asset.extra.items() if " ".join(str(k).split()).casefold() == wanted),
            None,
        )
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def _criteria(rule: FolderScope, rules: Rules) -> list[tuple[str, list[Callable[[str], bool]]]]:
    """(inventory column, its alternative tests) for every kind the rule names."""
    norm = rules.normalize

    def place_prefix(value: str, text: str) -> bool:
        return place_keys.place_key(text, norm).startswith(place_keys.place_key(value, norm))

    def person_prefix(value: str, text: str) -> bool:
        return place_keys.person_key(text).startswith(place_keys.person_key(value))

    out: list[tuple[str, list[Callable[[str], bool]]]] = []
    if rule.locations:
        out.append(
            (
                "location",
                _tests(rule.locations, lambda v, t: _same_place(v, t, rules), place_prefix),
            )
        )
    if rule.custodians:
        out.append(("custodian", _tests(rule.custodians, _same_person, person_prefix)))
    for column, values in rule.fields.items():
        out.append(
            (
                column,
                _tests(
                    values,
                    lambda v, t: _plain(v) == _plain(t),
                    lambda v, t: _plain(t).startswith(_plain(v)),
                ),
            )
        )
    return out


def configured_scope(inventory: Inventory, rules: Rules, rule: FolderScope, source: str) -> Scope:
    total = len(inventory.assets)
    named = [*rule.locations, *rule.custodians, *(v for vs in rule.fields.values() for v in vs)]
    if rule.whole_inventory:
        return Scope(ScopeBasis.CONFIGURED, None, named, source, total)
    criteria = _criteria(rule, rules)
    # Inventories repeat the same few places and people: test each distinct text once.
    verdicts: dict[tuple[int, str], bool] = {}
    chosen = []
    for asset in inventory.assets:
        ok = True
        for i, (column, tests) in enumerate(criteria):
            text = _text_of(asset, column)
            if text is None:
                ok = False
                break
            if (i, text) not in verdicts:
                verdicts[(i, text)] = any(test(text) for test in tests)
            if not verdicts[(i, text)]:
                ok = False
                break
        if ok:
            chosen.append(asset.asset_id)
    return Scope(ScopeBasis.CONFIGURED, frozenset(chosen), named, source, total)


def scope_problems(config: ScopeConfig, inventory: Inventory, rules: Rules) -> list[Problem]:
    """`reconciler check`: every folder's scope against the real inventory. A scope that selects
    no asset is an error naming the values that come closest."""
    problems = []
    for folder, rule in config.by_folder.items():
        if rule.empty or rule.whole_inventory:
            continue
        key = f"scope.by_folder.{folder}"
        scope = configured_scope(inventory, rules, rule, key)
        if scope.size:
            continue
        hints = []
        closest: list[dict[str, Any]] = []  # per column: the values that come closest, or none
        for column, values in _kinds(rule):
            present = sorted({t for a in inventory.assets if (t := _text_of(a, column))})
            if not present:
                hints.append(f"the inventory has no '{column}' values")
                closest.append({"column": column, "values": []})
                continue
            near: list[str] = []
            for value in values:
                near += difflib.get_close_matches(value.strip("*"), present, CLOSEST, 0.4)
            near = list(dict.fromkeys(near))[:CLOSEST] or present[:CLOSEST]
            hints.append(f"{column}: closest existing " + ", ".join(repr(v) for v in near))
            closest.append({"column": column, "values": near})
        problems.append(
            Problem(
                f"key '{key}': selects none of the {len(inventory.assets)} inventory assets "
                f"({'; '.join(hints)}); fix the values so they name the department's assets",
                "SCOPE_SELECTS_NOTHING",
                {"key": key, "assets": len(inventory.assets), "closest": closest},
            )
        )
    return problems


def scope_sizes(config: ScopeConfig, inventory: Inventory, rules: Rules) -> list[tuple[str, int]]:
    """(folder, assets its scope selects) for every configured folder, for `reconciler check`."""
    return [
        (folder, configured_scope(inventory, rules, rule, folder).size)
        for folder, rule in config.by_folder.items()
    ]


def _kinds(rule: FolderScope) -> list[tuple[str, list[str]]]:
    kinds = [("location", rule.locations), ("custodian", rule.custodians)]
    return [(c, v) for c, v in kinds if v] + list(rule.fields.items())


# --- inferred ----------------------------------------------------------------------------


def _assets_by(assets: list[Asset], attr: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for a in assets:
        text = getattr(a, attr)
        if text and str(text).strip():
            out[str(text)].append(a.asset_id)
    return out


# Inventory columns that name the legal entity an asset belongs to (header text, any case).
ORGANISATION_COLUMNS = (
    "организация",
    "организация-владелец",
    "юрлицо",
    "юр. лицо",
    "компания",
    "organisation",
    "organization",
    "company",
    "legal entity",
)
_QUOTES = str.maketrans("", "", "«»\"'“”„")


def _bare(text: str) -> str:
    return _plain(text.translate(_QUOTES))


def title_organisations(register: Register, inventory: Inventory) -> tuple[str, list[str]] | None:
    """(inventory column, its values) that the register's title names: "ООО «Ромашка»" in
    "Организация: ООО «Ромашка»". None when the inventory has no such column or the title
    names none of its values."""
    title = " | ".join(_bare(t) for t in register.title)
    if not title:
        return None
    for asset in inventory.assets:
        column = next((k for k in asset.extra if _plain(str(k)) in ORGANISATION_COLUMNS), None)
        if column is None:
            continue
        values = {str(v).strip() for a in inventory.assets if (v := a.extra.get(column))}
        named = sorted(v for v in values if len(_bare(v)) >= 3 and _bare(v) in title)
        return (column, named) if named else None
    return None


def inferred_scope(
    register: Register, inventory: Inventory, match: MatchResult, rules: Rules
) -> Scope:
    """The register's places, else its МОЛ, else where its matched assets are, else the whole
    inventory; within the organisation its title names, when the inventory tells them apart."""
    assets = inventory.assets
    organisation = title_organisations(register, inventory)
    if organisation is not None:
        column, names = organisation
        assets = [a for a in assets if str(a.extra.get(column, "")).strip() in names]
    scope = _inferred_among(assets, register, inventory, match, rules)
    if organisation is not None:
        scope.organisation = organisation[1]
        if scope.asset_ids is None:
            ids = frozenset(a.asset_id for a in assets)
            return Scope(ScopeBasis.ORGANISATION, ids, organisation[1], total=scope.total,
                         organisation=organisation[1])  # fmt: skip
    return scope


def _inferred_among(
    assets: list[Asset],
    register: Register,
    inventory: Inventory,
    match: MatchResult,
    rules: Rules,
) -> Scope:
    total = len(inventory.assets)
    rows = register.rows or [m.row for m in match.rows]
    by_id = inventory.by_id()
    places = _assets_by(assets, "location")  # IT place -> its assets
    book_places = list(dict.fromkeys(r.location for r in rows if r.location))
    if book_places:
        # IT place -> the book places that name it, over the whole inventory: a place of
        # another organisation is known to IT, just not in scope.
        every_place = (
            places if assets is inventory.assets else _assets_by(inventory.assets, "location")
        )
        known = {it: [b for b in book_places if _same_place(b, it, rules)] for it in every_place}
        chosen = {it for it, books in known.items() if books and it in places}
        named_by_books = {b for books in known.values() for b in books}
        # A place IT writes otherwise ("Склад 3" for "Kazan WH"): where IT sees its rows' assets.
        for m in match.rows:
            if (
                m.status is RowStatus.MATCHED
                and m.row.location
                and m.row.location not in named_by_books
            ):
                chosen |= {
                    loc
                    for a in m.asset_ids
                    if (loc := (by_id[a].location if a in by_id else None)) and loc in places
                }
        if chosen:
            return _by_places(ScopeBasis.LOCATIONS, chosen, places, total)

    people = list(dict.fromkeys(r.custodian for r in rows if r.custodian))
    if people:
        holders = _assets_by(assets, "custodian")
        chosen = {it for it in holders if any(_same_person(p, it) for p in people)}
        if chosen:
            ids = frozenset(a for it in chosen for a in holders[it])
            return Scope(ScopeBasis.CUSTODIANS, ids, sorted(chosen), total=total)

    seen = {
        loc
        for m in match.rows
        if m.status is RowStatus.MATCHED
        for a in m.asset_ids
        if a in by_id and (loc := by_id[a].location)
    }
    if seen:
        return _by_places(ScopeBasis.MATCHED, seen, places, total)
    return Scope(ScopeBasis.WHOLE, None, total=total)


def _by_places(
    basis: ScopeBasis, chosen: set[str], places: dict[str, list[str]], total: int
) -> Scope:
    ids = frozenset(a for it in chosen for a in places.get(it, ()))
    # Named as IT writes them, largest first: "Казань, склад" before a room with one asset.
    named = sorted(chosen, key=lambda it: (-len(places.get(it, ())), it))
    return Scope(basis, ids, named, total=total)
