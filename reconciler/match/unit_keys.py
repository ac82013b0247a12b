"""Exact keys of one unit: serial numbers, inventory numbers, barcodes.

Folded until two spellings of one value are one string ('S/N: czj-1234' = 'CZJ1234'); a value
typed where none was known (a placeholder) is no key at all, so that row falls to fuzzy matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from reconciler.match.fold import KeyTables, key_chars, key_tables, nfkc_lower, remembered
from reconciler.models import Asset, BookRow
from reconciler.rules import NormalizeRules

DEFAULT_INVENTORY_PREFIXES = (
    "инвентарный номер",
    "инв. #",
    "инв.#",
    "инв #",
    "инв.",
    "инв",
    "inv. no",
    "inv.",
    "inv",
    "asset tag",
    "#",
)


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> str:
    """Remove one leading label such as 'S/N:' (case already folded): the first of `prefixes`,
    in their order, that the text starts with."""
    pattern, starts = _prefix_re(prefixes)
    if text[:1] not in starts:  # most values: nothing to strip and no label can begin here
        return text
    stripped = text.lstrip(_LEADING)
    found = pattern.match(stripped)
    return stripped[found.end() :].lstrip(_LEADING) if found else stripped


_LEADING = " :#.-"  # stripped before and after a label


@lru_cache(maxsize=64)
def _prefix_re(prefixes: tuple[str, ...]) -> tuple[re.Pattern[str], frozenset[str]]:
    """One pattern trying the prefixes in order, as a loop of startswith would (a regex
    alternation takes the first alternative that matches). 'sn' must not eat the start of a
    serial 'SN1234': a prefix ending in a letter or digit needs a separator after it. With it,
    the characters a text must begin with for anything to be stripped."""
    body = "|".join(
        re.escape(p) + (r"(?![^\W_])" if p[-1].isalnum() else "") for p in prefixes if p
    )
    starts = frozenset(_LEADING) | {p[0] for p in prefixes if p}
    return re.compile(f"(?:{body})" if body else "(?!)"), starts


def serial_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """'S/N: czj-1234 АВС' -> 'CZJ1234ABC'. Empty string when there is no serial."""
    if text is None:
        return ""
    return _serial_key(str(text), key_tables(rules))


def _plain(text: str, keys: KeyTables, prefixes: tuple[str, ...]) -> bool:
    """ASCII letters and digits only, nothing to fold: the text upper-cased is its key already
    (no separator, space or look-alike to handle). Most serials and many tags are. A label is
    stripped only when a separator follows it, so the one label it could be is itself whole
    ('SN' alone is no serial)."""
    return (
        keys.ascii_untouched and text.isascii() and text.isalnum() and text.lower() not in prefixes
    )


def _serial_key(text: str, keys: KeyTables) -> str:
    return remembered(keys.serials, text, keys, _serial_key_of)


def _serial_key_of(text: str, keys: KeyTables) -> str:
    return _labelled_key(text, keys, keys.serial_prefixes)


def _labelled_key(text: str, keys: KeyTables, prefixes: tuple[str, ...]) -> str:
    """A serial's or tag's key without its label ('S/N', 'инв.'); '' for a placeholder. Each
    placeholder check runs on a string not checked yet: this runs once per distinct text,
    250k of them at 100k x 150k."""
    if _plain(text, keys, prefixes):
        key = text.upper()
        return "" if keys.is_placeholder(key) else key
    basic = nfkc_lower(text).strip()
    if not basic:
        return ""
    whole = key_chars(basic, keys)
    if keys.is_placeholder(whole):
        return ""
    stripped = _strip_prefix(basic, prefixes)
    if stripped == basic:  # no label: the key is the one just checked
        return whole
    key = key_chars(stripped, keys)
    return "" if keys.is_placeholder(key) else key


_SERIAL_SEPARATORS = re.compile(r"[,;\n\r|]+|\s+(?:и|and)\s+")


def serial_keys(texts: Iterable[object], rules: NormalizeRules | None = None) -> list[str]:
    """`serial_key` of each text (a whole column at once: the tables are looked up once)."""
    keys = key_tables(rules)
    return _column(texts, keys, keys.serials, _serial_key_of, "")


def inventory_keys(texts: Iterable[object], rules: NormalizeRules | None = None) -> list[str]:
    """`inventory_key` of each text, a whole column at once."""
    keys = key_tables(rules)
    return _column(texts, keys, keys.inventory, _inventory_key_of, "")


def split_serials_each(
    texts: Iterable[object], rules: NormalizeRules | None = None
) -> list[tuple[str, ...]]:
    """`split_serials` of each text, a whole column at once."""
    keys = key_tables(rules)
    return _column(texts, keys, keys.serial_lists, _split_serials_of, ())


_V = TypeVar("_V")


def _column(
    texts: Iterable[object],
    keys: KeyTables,
    memo: dict[str, _V],
    compute: Callable[[str, KeyTables], _V],
    empty: _V,
) -> list[_V]:
    """compute(text) of each text through its memo, the memo read here first: 500k cells a
    run, each one through two more calls before, cost 0.3 s."""
    get = memo.get
    out: list[_V] = []
    for t in texts:
        if t is None:
            out.append(empty)
            continue
        text = t if type(t) is str else str(t)
        value = get(text)
        if value is None:
            value = remembered(memo, text, keys, compute)
        out.append(value)
    return out


def split_serials(text: str | None, rules: NormalizeRules | None = None) -> list[str]:
    """Every serial in a cell: 'S/N CZJ111, CZJ112; CZJ113' -> ['CZJ111', 'CZJ112', 'CZJ113'].

    Commas, semicolons, line breaks and 'и'/'and' separate serials. Within one piece, spaces
    separate serials only when every part looks like a whole serial (5+ characters with a digit),
    so 'CZJ 1234 ABC' stays one serial.
    """
    if text is None:
        return []
    return list(_split_serials(str(text), key_tables(rules)))


def _split_serials(text: str, keys: KeyTables) -> tuple[str, ...]:
    # a row's serial cell is read three times (needs, keys, features)
    return remembered(keys.serial_lists, text, keys, _split_serials_of)


def _split_serials_of(text: str, keys: KeyTables) -> tuple[str, ...]:
    if _plain(text, keys, keys.serial_prefixes):
        key = text.upper()
        return () if keys.is_placeholder(key) else (key,)
    basic = nfkc_lower(text)
    if keys.is_placeholder(key_chars(basic, keys)):  # 'To Be Filled By O.E.M.' has spaces
        return ()
    found: list[str] = []
    for piece in _SERIAL_SEPARATORS.split(basic):
        piece = _strip_prefix(piece.strip(), keys.serial_prefixes)
        parts = piece.split()
        if len(parts) > 1 and all(len(p) >= 5 and any(c.isdigit() for c in p) for p in parts):
            candidates = parts
        else:
            candidates = [piece]
        for cand in candidates:
            key = key_chars(cand, keys)
            if key and key not in found and not keys.is_placeholder(key):
                found.append(key)
    return tuple(found)


_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def inventory_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """'Инв. № 000123' = 'ИНВ-123' = '123'; 'ОС-00045' -> 'OC45'; look-alikes folded.

    Leading zeros of every digit run go (1C pads numbers), separators go, a label such as
    'Инв. №' goes; a letter code such as 'ОС-' or 'BP-' stays, since it tells series apart.
    """
    if text is None:
        return ""
    return _inventory_key(str(text), key_tables(rules))


def _inventory_key(text: str, keys: KeyTables) -> str:
    return remembered(keys.inventory, text, keys, _inventory_key_of)


def _inventory_key_of(text: str, keys: KeyTables) -> str:
    key = _labelled_key(text, keys, DEFAULT_INVENTORY_PREFIXES)
    if "0" not in key:  # no leading zero to drop (nor a key at all)
        return key
    trimmed = _LEADING_ZEROS.sub("", key)
    if trimmed == key:
        return key
    return "" if keys.is_placeholder(trimmed) else trimmed  # '00' is '0': idempotent


def barcode_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """Barcodes: digits and letters only, upper case ('4 607 001 234 567' -> '4607001234567')."""
    if text is None:
        return ""
    return _barcode_key(str(text), key_tables(rules))


def barcode_keys(texts: Iterable[object], rules: NormalizeRules | None = None) -> list[str]:
    """`barcode_key` of each text, a whole column at once (most cells are empty)."""
    keys = key_tables(rules)
    return ["" if t is None else _barcode_key(str(t), keys) for t in texts]


def _barcode_key(text: str, keys: KeyTables) -> str:
    key = key_chars(nfkc_lower(text), keys)
    return "" if keys.is_placeholder(key) else key


@dataclass(frozen=True)
class UnitKeys:
    """Every row's and asset's unit keys, folded once per run: the rows' needs, the exact
    pass and the features of the fuzzy stage all read them (each looked them up again, 0.4 s
    at 100k x 150k)."""

    row_serials: list[tuple[str, ...]]  # every serial a row's cell lists
    row_inventory: list[str]
    row_barcode: list[str]
    asset_serial: list[str]
    asset_inventory: list[str]  # its tag, or failing that its kit id
    asset_barcode: list[str]

    @classmethod
    def of(
        cls, rows: Sequence[BookRow], assets: Sequence[Asset], rules: NormalizeRules | None
    ) -> UnitKeys:
        return cls(
            row_serials=split_serials_each((r.serial for r in rows), rules),
            row_inventory=inventory_keys((r.inventory_number for r in rows), rules),
            row_barcode=barcode_keys((r.barcode for r in rows), rules),
            asset_serial=serial_keys((a.serial for a in assets), rules),
            # A kit's units often carry the kit's number (the book line's inventory number)
            # as their kit id and no tag of their own.
            asset_inventory=inventory_keys((a.inventory_number or a.kit for a in assets), rules),
            asset_barcode=barcode_keys((a.barcode for a in assets), rules),
        )
