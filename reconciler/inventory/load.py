"""Load the IT inventory from its source into canonical Asset records.

One module per kind of source (sheet, sqlite_table, agent, snipeit, netbox, glpi), chosen by
`inventory.source`; for a file, `source_kind` tells a SQLite database, an agent inventory
(JSON, OCS XML) and an exported sheet apart by its first bytes. Each loader gives Records;
this module parses them into Assets the same way for all, and keeps the run's snapshot.

Inventory exports are large and written by machines: a cell that cannot be read as a date or
a number does not stop the run; the field stays empty, the raw text travels in `extra`
under "<header> (unreadable)", and the count is logged. Duplicate record IDs do stop it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from datetime import date, datetime, time
from functools import partial
from itertools import repeat
from operator import is_
from pathlib import Path
from typing import Any

from reconciler.config import InventoryConfig
from reconciler.errors import InputError, InventoryError
from reconciler.inventory import cache, snapshot
from reconciler.inventory.agent import is_agent_file, load_agent_files
from reconciler.inventory.records import SIDE_FIELDS, TEXT_FIELDS, Loaded, Record
from reconciler.inventory.sheet import load_sheet_records
from reconciler.inventory.sqlite_table import SQLITE_MAGIC, load_sqlite_records
from reconciler.models import Asset, AssetStatus, Inventory, InventorySnapshot, ReadingNote
from reconciler.read import values
from reconciler.read.header import fold_header
from reconciler.rules import Rules, StatusRules
from reconciler.text.reading_notes import note

log = logging.getLogger(__name__)

CONFIG_HINT = "set inventory.path (and inventory.table) in config.yaml"
DATE_FIELDS = ("warranty_until", "purchased_on")
FIELD_PARSERS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(TEXT_FIELDS, values.parse_text),
    "warranty_until": values.parse_date,
    "purchased_on": values.parse_date,
    "purchase_cost": values.parse_decimal,
}
US_DATE_PARSER = partial(values.parse_date, month_first=True)
SHOWN_UNREADABLE = 10  # cells listed by name in the warning; the count covers the rest


# --- choosing and running a loader -------------------------------------------------------


def source_kind(source: InventoryConfig) -> str:
    """The loader for the configured source: "sqlite" or "sheet" for a file (told by its first
    bytes), else the source kind itself; InventoryError when the file is missing or unreadable."""
    if source.source not in ("file", "sqlite"):
        return source.source
    path = source.require_path()
    if not path.exists():
        raise InventoryError(
            f"the IT inventory is not found at {path}",
            hint=f"export it there, or {CONFIG_HINT}",
        )
    if path.is_dir():
        raise InventoryError(
            f"the IT inventory path {path} is a folder, expected a file", hint=CONFIG_HINT
        )
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except OSError as e:
        raise InventoryError(
            f"the IT inventory at {path} cannot be opened ({e.strerror})",
            hint="check the file permissions",
        ) from None
    sqlite = head.startswith(SQLITE_MAGIC)
    if source.source == "sqlite" and not sqlite:
        raise InventoryError(
            f"inventory.source is sqlite but {path} is not a SQLite database",
            hint="set inventory.source: file for an exported sheet",
        )
    if sqlite:
        return "sqlite"
    return "agent-files" if is_agent_file(head) else "sheet"


def load_inventory(
    source: InventoryConfig, rules: Rules, *, state: Path | None = None
) -> Inventory:
    """Every asset of the configured source; InventoryError (path, what, fix) when it cannot.

    With `state` (the service's and `run`'s state folder), an API source's good fetch is kept
    there, and a failed one falls back to it, said in the warnings (snapshot.py).
    """
    kind = source_kind(source)
    key = None
    if state is not None and kind in CACHED_KINDS and source.path is not None:
        # The service reads the same export for every register until IT drops a new one.
        key = cache.cache_key(source, rules, source.path)
        found = None if key is None else cache.load_cached(state, key)
        if found is not None:
            if found.snapshot is not None:
                found.snapshot = replace(found.snapshot, fetched_at=snapshot.now())
            log.info("inventory %s: %d assets (parsed before)", found.source, len(found.assets))
            return found
    loader = LOADERS[kind]
    fetched_at = snapshot.now()
    warnings: list[ReadingNote] = []
    reused = False
    try:
        try:
            loaded = loader(source, rules)
            assets = _assets(loaded, rules, warnings)
        except InventoryError as e:
            last = None
            if state is not None and kind in snapshot.API_KINDS:
                last = snapshot.load_last_good(state, kind)
            if last is None:
                raise
            loaded, fetched_at = last
            reused = True
            warnings[:] = [
                note(
                    "LAST_GOOD_SNAPSHOT",
                    kind=source.source,
                    error=str(e),
                    fetched_at=fetched_at,
                    count=len(loaded.records),
                )
            ]
            log.warning("%s", warnings[0])
            assets = _assets(loaded, rules, warnings)
    except InventoryError:
        raise
    except InputError as e:  # the sheet machinery speaks of a register file; this is IT's
        raise InventoryError(
            f"the IT inventory cannot be read: {e.reason}",
            file=str(source.path or source.url),
            sheet=e.sheet,
            row=e.row,
            hint=e.hint,
        ) from None
    records, label = loaded.records, loaded.label
    if state is not None and kind in snapshot.API_KINDS and not reused:
        snapshot.save_last_good(state, kind, loaded, fetched_at=fetched_at)
    taken = InventorySnapshot(
        kind=kind if kind in snapshot.API_KINDS or kind == "agent-files" else source.source,
        source=label,
        fetched_at=fetched_at,
        assets=len(assets),
        sha256=snapshot.content_hash(records),
        reused=reused,
    )
    log.info("inventory %s: %d assets", label, len(assets))
    inventory = Inventory(source=label, assets=assets, warnings=warnings, snapshot=taken)
    if key is not None and state is not None:
        cache.save_cached(state, key, inventory)
    return inventory


def filled_fields(assets: list[Asset]) -> list[tuple[str, int]]:
    """(field, how many assets have it) for every canonical field, in the model's order."""
    names = [f.name for f in fields(Asset) if f.name not in ("extra", "status_raw")]
    counts = []
    for name in names:
        if name == "status":
            count = sum(a.status is not AssetStatus.UNKNOWN for a in assets)
        else:
            count = sum(getattr(a, name) not in (None, "") for a in assets)
        counts.append((name, count))
    return counts


def _assets(loaded: Loaded, rules: Rules, warnings: list[ReadingNote]) -> list[Asset]:
    warnings += loaded.notes
    assets = build_assets(loaded.records, rules.statuses, source=loaded.label, warnings=warnings)
    refuse_unusable(assets, loaded.records, loaded.label)
    return assets


Loader = Callable[[InventoryConfig, Rules], Loaded]


# The API loaders are imported when a source names them: their HTTP clients (httpx,
# pynetbox, requests) were a third of a second of every file-based run's start.
def _snipeit(source: InventoryConfig, _rules: Rules) -> Loaded:
    from reconciler.inventory.snipeit import load_snipeit

    return load_snipeit(source)


def _netbox(source: InventoryConfig, _rules: Rules) -> Loaded:
    from reconciler.inventory.netbox import load_netbox

    return load_netbox(source)


def _glpi(source: InventoryConfig, _rules: Rules) -> Loaded:
    from reconciler.inventory.glpi import load_glpi

    return load_glpi(source)


# File sources whose parse is kept per content (cache.py); an API is fetched every run.
CACHED_KINDS = ("sheet", "sqlite")
LOADERS: dict[str, Loader] = {
    "sheet": load_sheet_records,
    "sqlite": load_sqlite_records,
    "agent-files": lambda source, _rules: load_agent_files(source),
    "snipeit": _snipeit,
    "netbox": _netbox,
    "glpi": _glpi,
}


# --- records -> assets -------------------------------------------------------------------


class StatusMap:
    """Status text -> AssetStatus: exact word, else the longest listed word found inside."""

    def __init__(self, rules: StatusRules) -> None:
        self.words: list[tuple[str, AssetStatus]] = []
        for status in (
            AssetStatus.IN_SERVICE,
            AssetStatus.IN_STOCK,
            AssetStatus.REPAIR,
            AssetStatus.DISPOSED,
        ):
            for word in getattr(rules, status.value):
                folded = fold_header(word)
                if folded:
                    self.words.append((folded, status))
        self.words.sort(key=lambda pair: -len(pair[0]))
        self.exact = {w: s for w, s in reversed(self.words)}
        self.cache: dict[str, AssetStatus] = {}

    def __call__(self, raw: str | None) -> AssetStatus:
        if not raw:
            return AssetStatus.UNKNOWN
        found = self.cache.get(raw)
        if found is None:
            found = self._lookup(raw)
            self.cache[raw] = found
        return found

    def _lookup(self, raw: str) -> AssetStatus:
        folded = fold_header(raw)
        if folded in self.exact:
            return self.exact[folded]
        padded = f" {folded} "
        # "Deployed (Ivanov)", "Ready to Deploy - spare": the longest listed word inside wins.
        for word, status in self.words:
            if f" {word} " in padded:
                return status
        return AssetStatus.UNKNOWN


def build_assets(
    records: Iterable[Record],
    statuses: StatusRules,
    *,
    source: str,
    warnings: list[ReadingNote] | None = None,
) -> list[Asset]:
    """Assets from records; what could not be read, or was read month first, is appended to
    `warnings` (the cell itself stays in the asset's `extra`).

    Column by column, not record by record: an export of 150k rows repeats its models, places,
    statuses and dates, so each distinct text is parsed once per column and kept as one object
    that its assets share (661k strings instead of 1.9M at 150k assets); the assets are made by
    one map(Asset, ...) over the parsed columns."""
    records = list(records)
    warnings = [] if warnings is None else warnings
    count = len(records)
    names = _field_names(records)
    raw = _raw_columns(records, names)
    parsers = _column_parsers(records, raw, source, warnings)
    columns: dict[str, list[Any]] = {}
    failed: list[tuple[int, str]] = []  # (record index, field) of cells that could not be read
    for name in names:
        parse = parsers.get(name)
        if parse is not None:
            columns[name] = _parse_column(raw[name], parse, name, failed)
    unreadable = _set_aside_unreadable(records, failed, raw)
    sides = {f: _parse_column(raw[f], values.parse_text, f, []) for f in SIDE_FIELDS if f in raw}
    for name, texts in sides.items():
        for record, text in zip(records, texts, strict=True):
            if text is not None and name in record.fields:
                record.extra[record.headers.get(name, name)] = text
    if "site" in sides:
        columns["location"] = _with_site(sides["site"], columns.get("location"))
    if "first_name" in sides or "last_name" in sides:
        columns["custodian"] = _with_person(
            sides.get("first_name"), sides.get("last_name"), columns.get("custodian")
        )
    empty = [None] * count
    status_raw = _parse_column(raw.get("status", empty), values.parse_text, "status", [])
    status_of = StatusMap(statuses)
    ids = [t or "" for t in _parse_column(raw.get("asset_id", empty), values.parse_text, "", [])]
    assets = list(
        map(
            Asset,
            ids,
            *(columns.get(name, empty) for name in ASSET_FIELDS_BEFORE_STATUS),
            map(status_of, status_raw),
            status_raw,
            *(columns.get(name, empty) for name in ASSET_FIELDS_AFTER_STATUS),
            (r.extra for r in records),
        )
    )
    explicit = [i for i in ids if i]
    if len(set(explicit)) < len(explicit):
        _refuse_duplicates(assets, records, source)
    if len(explicit) < count:
        taken = set(explicit)
        derived: set[str] = set()
        for asset, record in zip(assets, records, strict=True):
            if not asset.asset_id:
                asset.asset_id = _derived_id(asset, record, taken, derived)
    if unreadable:
        shown = "; ".join(unreadable[:SHOWN_UNREADABLE])
        more = f" ... (+{len(unreadable) - SHOWN_UNREADABLE})" if len(unreadable) > 10 else ""
        warnings.append(
            note(
                "INVENTORY_CELLS_UNREADABLE",
                source=source,
                count=len(unreadable),
                cells=shown + more,
            )
        )
        log.warning("%s", warnings[-1])
    return assets


# Asset's fields in its declared order, as map(Asset, ...) takes them: the ID, the parsed
# fields, the status pair, more parsed fields, and `extra` last.
_ASSET_ORDER = [f.name for f in fields(Asset)]
ASSET_FIELDS_BEFORE_STATUS = _ASSET_ORDER[1 : _ASSET_ORDER.index("status")]
ASSET_FIELDS_AFTER_STATUS = _ASSET_ORDER[_ASSET_ORDER.index("status_raw") + 1 : -1]
assert _ASSET_ORDER[0] == "asset_id" and _ASSET_ORDER[-1] == "extra", "map(Asset) order"
_UNREADABLE = object()  # a cell its parser refused, in a parsed column


def _raw_columns(records: list[Record], names: list[str]) -> dict[str, list[Any]]:
    """Each field's cells, record by record (None where a record has no such field). Records
    that all list the same fields in `names`' order (a sheet's lines as wide as its table: all
    of them, nearly always) are turned into columns by one C-level zip."""
    order = tuple(names)
    if (
        records
        and all(len(r.fields) == len(order) for r in records)
        and all(tuple(r.fields) == order for r in records)
    ):
        by_field = zip(*(r.fields.values() for r in records), strict=True)
        return {name: list(cells) for name, cells in zip(names, by_field, strict=True)}
    return {name: [r.fields.get(name) for r in records] for name in names}


def _field_names(records: list[Record]) -> list[str]:
    """Every field some record has, in the order records list them (nearly always one order)."""
    orders = dict.fromkeys(tuple(r.fields) for r in records)
    return list(dict.fromkeys(name for order in orders for name in order))


def _parse_column(
    column: list[Any], parse: Callable[[Any], Any], name: str, failed: list[tuple[int, str]]
) -> list[Any]:
    """Each cell parsed; each distinct text once, and each distinct number or date once, the
    assets sharing what it gave. A cell the parser refuses is _UNREADABLE in the column (the
    asset's field stays empty) and (index, name) in `failed`."""
    # Most columns hold only texts and empty cells, or those and numbers or dates of one type
    # (no zero: 0.0 and -0.0 are equal): each distinct value parsed once, each cell looked up
    # at C speed, no test a cell.
    types = set(map(type, column))
    others = types - _TEXT_OR_EMPTY
    by_value = not others or (
        len(others) == 1 and next(iter(others)) in SHARED_CELLS and 0 not in column
    )
    distinct = set(column) if by_value else {v for v in column if type(v) is str}
    distinct.discard(None)
    known: dict[Any, Any] = {}
    for text in distinct:
        try:
            known[text] = parse(text)
        except ValueError:
            known[text] = _UNREADABLE
    known[None] = None  # an empty cell (a key no text equals): no call for it
    if by_value:
        parsed = list(map(known.__getitem__, column))
    else:
        cells: dict[tuple[type, Any], Any] = {}
        parsed = [
            known[v] if type(v) is str or v is None else _parse_cell(v, parse, cells)
            for v in column
        ]
    if any(map(is_, parsed, repeat(_UNREADABLE))):
        for i, value in enumerate(parsed):
            if value is _UNREADABLE:
                failed.append((i, name))
                parsed[i] = None
    return parsed


def _parse_cell(value: Any, parse: Callable[[Any], Any], cells: dict[tuple[type, Any], Any]) -> Any:
    """A number or date cell parsed once per value: at 150k assets the dates and costs, each
    cell its own object, were 270k dates and 118k Decimals too many (20 MB held through the
    run). Keyed with the type, as 1, 1.0 and True are equal; a zero never, as 0.0 and -0.0
    are equal and need not say the same; other values (an API's lists) each parsed."""
    if value is None:
        return None
    shared = type(value) in SHARED_CELLS and value != 0
    key = (type(value), value)
    if shared and key in cells:
        return cells[key]
    try:
        found = parse(value)
    except ValueError:
        found = _UNREADABLE
    if shared:
        cells[key] = found
    return found


_TEXT_OR_EMPTY = frozenset((str, type(None)))
# Cells whose equal values of one type are the same value: parsed once per value.
SHARED_CELLS = frozenset((int, float, datetime, date, time))


def _set_aside_unreadable(
    records: list[Record], failed: list[tuple[int, str]], raw: dict[str, list[Any]]
) -> list[str]:
    """Each refused cell kept in its record's `extra` under "<header> (unreadable)", in the
    record's own field order; the lines for the warning, record by record."""
    lines = []
    for i, name in sorted(failed, key=lambda f: (f[0], list(records[f[0]].fields).index(f[1]))):
        record = records[i]
        header = record.headers.get(name, name)
        value = raw[name][i]
        record.extra[f"{header} (unreadable)"] = value
        lines.append(f"{record.where} '{header}' {value!r}")
    return lines


def _with_site(sites: list[str | None], rooms: list[Any] | None) -> list[Any]:
    """The site is where the books put an asset; the room narrows it ("DC1, Hall A"), and
    the location check takes a place named inside another as the same place."""
    rooms = rooms or [None] * len(sites)
    return [
        room if not site or site == room else (f"{site}, {room}" if room else site)
        for site, room in zip(sites, rooms, strict=True)
    ]


def _with_person(
    first: list[str | None] | None, last: list[str | None] | None, custodians: list[Any] | None
) -> list[Any]:
    """An empty custodian is the first and last name, when the source has them."""
    count = len(first or last or [])
    first, last = first or [None] * count, last or [None] * count
    custodians = custodians or [None] * count
    return [
        custodian or " ".join(t for t in (f, la) if t) or custodian
        for f, la, custodian in zip(first, last, custodians, strict=True)
    ]


def _refuse_duplicates(assets: list[Asset], records: list[Record], source: str) -> None:
    explicit: dict[str, list[str]] = {}
    for asset, record in zip(assets, records, strict=True):
        if asset.asset_id:
            explicit.setdefault(asset.asset_id, []).append(record.where)
    duplicates = {k: v for k, v in explicit.items() if len(v) > 1}
    listed = "; ".join(
        f"'{k}' ({', '.join(v[:3])}{' ...' if len(v) > 3 else ''})"
        for k, v in list(duplicates.items())[:10]
    )
    more = f" and {len(duplicates) - 10} more" if len(duplicates) > 10 else ""
    raise InventoryError(
        f"{len(duplicates)} record ID(s) appear more than once: {listed}{more}",
        file=source,
        hint="each inventory record needs its own ID; fix the export or the source system",
    )


def _column_parsers(
    records: list[Record], raw: dict[str, list[Any]], source: str, warnings: list[ReadingNote]
) -> dict[str, Callable[[Any], Any]]:
    """Each field's parser; a date column is read month first when its values say so,
    decided once from all of them (a US export's "4/5/16" is April 5), never per cell."""
    parsers = dict(FIELD_PARSERS)
    for name in DATE_FIELDS:
        column = raw.get(name, [None] * len(records))
        if values.month_first_column(column):
            parsers[name] = US_DATE_PARSER
            header = next((r.headers[name] for r in records if name in r.headers), name)
            sample = next(v for v in column if isinstance(v, str) and values.is_us_date(v))
            warnings.append(
                note(
                    "MONTH_FIRST_DATES",
                    source=f"inventory {source}",
                    column=header,
                    sample=sample,
                    read=f"{US_DATE_PARSER(sample):%d.%m.%Y}",
                )
            )
    return parsers


IDENTIFYING = ("inventory_number", "serial", "name", "hostname")


def refuse_unusable(assets: list[Asset], records: list[Record], source: str) -> None:
    """An inventory with no assets, or none with a tag, serial or name, would make every
    register row "missing in inventory": say what was found instead of reporting that."""
    if not assets:
        raise InventoryError(
            "the IT inventory holds 0 assets",
            file=source,
            hint="export it again with its rows, or check inventory.path points at the inventory",
        )
    if any(getattr(a, f) for a in assets for f in IDENTIFYING):
        return
    headers = {f: h for r in records[:1] for f, h in r.headers.items()}
    named = ", ".join(f"'{h}' as {f}" for f, h in headers.items()) or "no column read as a field"
    raise InventoryError(
        f"none of its {len(assets)} assets has an asset tag, serial, hostname or name; "
        f"read {named}",
        file=source,
        hint="add the tool's headings for them under 'inventory:' in rules/columns.yaml",
    )


def _derived_id(asset: Asset, record: Record, taken: set[str], derived: set[str]) -> str:
    """A stable ID for a source without one: the asset tag, else the serial, else a hash."""
    base = asset.inventory_number or (f"SN:{asset.serial}" if asset.serial else None)
    if base is None:
        content = "|".join(
            str(v) for v in (asset.hostname, asset.name, asset.model, asset.location) if v
        )
        base = "ROW:" + hashlib.sha1((content or record.ref).encode()).hexdigest()[:12]
    candidate, n = base, 1
    while candidate in taken or candidate in derived:
        n += 1
        candidate = f"{base}#{n}"
    derived.add(candidate)
    return candidate
