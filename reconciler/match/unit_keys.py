"""Exact keys of one unit: serial numbers, inventory numbers, barcodes.

Folded until two spellings of one value are one string ('S/N: czj-1234' = 'CZJ1234'); a value
typed where none was known (a placeholder) is no key at all, so that row falls to fuzzy matching.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reconciler.match.fold import KeyTables, key_chars, key_tables, nfkc_lower
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
    """Remove one leading label such as 'S/N:' (case already folded)."""
    stripped = text.lstrip(" :#.-")
    for prefix in prefixes:
        if stripped.startswith(prefix):
            rest = stripped[len(prefix) :]
            # 'sn' must not eat the start of a serial 'SN1234': require a separator after it
            # unless the prefix itself ends in punctuation.
            if prefix[-1].isalnum() and rest[:1].isalnum():
                continue
            return rest.lstrip(" :#.-")
    return stripped


def serial_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """'S/N: czj-1234 АВС' -> 'CZJ1234ABC'. Empty string when there is no serial."""
    if text is None:
        return ""
    return _serial_key(str(text), key_tables(rules))


@lru_cache(maxsize=500_000)
def _serial_key(text: str, keys: KeyTables) -> str:
    basic = nfkc_lower(text).strip()
    if not basic or keys.is_placeholder(key_chars(basic, keys)):
        return ""
    key = key_chars(_strip_prefix(basic, keys.serial_prefixes), keys)
    return "" if keys.is_placeholder(key) else key


_SERIAL_SEPARATORS = re.compile(r"[,;\n\r|]+|\s+(?:и|and)\s+")


def split_serials(text: str | None, rules: NormalizeRules | None = None) -> list[str]:
    """Every serial in a cell: 'S/N CZJ111, CZJ112; CZJ113' -> ['CZJ111', 'CZJ112', 'CZJ113'].

    Commas, semicolons, line breaks and 'и'/'and' separate serials. Within one piece, spaces
    separate serials only when every part looks like a whole serial (5+ characters with a digit),
    so 'CZJ 1234 ABC' stays one serial.
    """
    if text is None:
        return []
    keys = key_tables(rules)
    basic = nfkc_lower(str(text))
    if keys.is_placeholder(key_chars(basic, keys)):  # 'To Be Filled By O.E.M.' has spaces
        return []
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
    return found


_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def inventory_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """'Инв. № 000123' = 'ИНВ-123' = '123'; 'ОС-00045' -> 'OC45'; look-alikes folded.

    Leading zeros of every digit run go (1C pads numbers), separators go, a label such as
    'Инв. №' goes; a letter code such as 'ОС-' or 'BP-' stays, since it tells series apart.
    """
    if text is None:
        return ""
    return _inventory_key(str(text), key_tables(rules))


@lru_cache(maxsize=500_000)
def _inventory_key(text: str, keys: KeyTables) -> str:
    basic = nfkc_lower(text).strip()
    if not basic or keys.is_placeholder(key_chars(basic, keys)):
        return ""
    key = key_chars(_strip_prefix(basic, DEFAULT_INVENTORY_PREFIXES), keys)
    if keys.is_placeholder(key):
        return ""
    key = _LEADING_ZEROS.sub("", key)
    return "" if keys.is_placeholder(key) else key  # '00' is '0': idempotent


def barcode_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """Barcodes: digits and letters only, upper case ('4 607 001 234 567' -> '4607001234567')."""
    if text is None:
        return ""
    keys = key_tables(rules)
    key = key_chars(nfkc_lower(str(text)), keys)
    return "" if keys.is_placeholder(key) else key
