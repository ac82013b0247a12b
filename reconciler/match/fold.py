"""Text folding shared by every key: NFKC, Cyrillic look-alikes, the key alphabet.

Two spellings of one value become one string here. The compiled tables of a NormalizeRules
(look-alikes, serial labels, placeholders) are built once per rules object; the unit, name and
place keys all read them. The original text is never changed; these forms are only compared.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from reconciler.rules import NormalizeRules

# Cyrillic letters with a Latin twin on the keyboard, and the labels stripped from serial cells:
# the shipped rules/normalize.yaml holds the same tables (a test keeps them equal). Every key
# helper takes the user's NormalizeRules; these defaults serve callers that have none.
DEFAULT_LOOKALIKES = {
    "а": "a",
    "в": "b",
    "е": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
}
_LATIN_OR_DIGIT = re.compile(r"[a-z0-9]")
_TOKEN = re.compile(r"\w+")

DEFAULT_SERIAL_PREFIXES = (
    "серийный номер",
    "заводской номер",
    "serial number",
    "serial no",
    "serial",
    "сер. #",
    "сер.#",
    "сер #",
    "сер.",
    "зав. #",
    "зав.#",
    "зав #",
    "s/n",
    "s\\n",
    "sn",
    "#",
)
# Values agents and people type where no real serial or tag is known; seeded from GLPI's default
# serial blacklist (glpi-project/glpi src/Blacklist.php, getDefaults) plus what asset tags say.
# Compared as keys (alnum, upper case, look-alikes folded). The shipped rules/normalize.yaml
# holds the same list (a test keeps them equal).
DEFAULT_PLACEHOLDERS = (
    "N/A",
    "(null string)",
    "INVALID",
    "SYS-1234567890",
    "SYS-9876543210",
    "SN-12345",
    "SN-1234567890",
    "0123456789",
    "123456789000",
    "12345678901234567",
    "NNNNNNN",
    "EVAL",
    "IATPASS",
    "none",
    "To Be Filled By O.E.M.",
    "Tulip Computers",
    "Serial Number xxxxxx",
    "SN-123456fvgv3i0b8o5n6n7k",
    "Unknow",
    "Unknown",
    "System Serial Number",
    "MB-1234567890",
    "empty",
    "Not Specified",
    "Not Applicable",
    "OEM_Serial",
    "SystemSerialNumb",
    "Default string",
    "No Asset Information",
    "Asset Tag",
    "No Asset Tag",
    "Chassis Serial Number",
    "Base Board Serial Number",
    "0",
    "нет",
    "б/н",
    "без номера",
)
# Patterns over the same keys: one character repeated ('0000000000', 'XXXXXXXXXX'),
# counting up or down from 1 or 0 ('0123456789', '987654321'), 'ABCDEF'.
DEFAULT_PLACEHOLDER_PATTERNS = (
    r"^(.)\1{3,}$",
    r"^0?12345(6(7(8(90?)?)?)?)?$",
    r"^98765(4(3(2(10?)?)?)?)?$",
    r"^ABCDE(F(G(H)?)?)?$",
)


def nfkc(text: str) -> str:
    """NFKC, ё -> е; '№' kept as '#' (NFKC would make it the letters 'No'). Case is kept."""
    if text.isascii():  # NFKC leaves ASCII as it is; most IT-side text is ASCII
        return text
    return unicodedata.normalize("NFKC", text.replace("№", "#")).replace("ё", "е").replace("Ё", "Е")


def nfkc_lower(text: str) -> str:
    """`nfkc` in lower case: what keys and table words are compared as."""
    return nfkc(text).lower()


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per rules object
class KeyTables:
    """The look-alike and label tables of one NormalizeRules, ready to use."""

    translate: dict[int, str]  # every look-alike, lower and upper case, to its Latin twin
    lookalikes: frozenset[str]  # lower case
    lookalike_re: re.Pattern[str]
    serial_prefixes: tuple[str, ...]  # folded by nfkc_lower, longest first
    placeholders: frozenset[str]  # as keys: 'TOBEFILLEDBYOEM'
    placeholder_re: re.Pattern[str] | None
    # No look-alike is ASCII (the usual case): ASCII text needs no translation, so most IT-side
    # keys skip it.
    ascii_untouched: bool = False
    # Nor does the look-alike pattern match any ASCII character (case folded, 'K' would match
    # a Kelvin sign): folding ASCII text is lowering it.
    ascii_unfolded: bool = False
    # What the key functions made of each text with these tables. Plain dicts of strings, not
    # lru_caches: an lru_cache keeps a (text, tables) tuple per entry, which the garbage
    # collector walks on every full pass (~0.9M of them at 100k x 150k); a dict holding only
    # strings it never walks. Emptied when full (MEMO_LIMIT), so a service that runs for
    # months keeps them bounded.
    folded: dict[str, str] = field(default_factory=dict)
    serials: dict[str, str] = field(default_factory=dict)
    inventory: dict[str, str] = field(default_factory=dict)
    serial_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)  # key_chars of what precedes digits

    def is_placeholder(self, key: str) -> bool:
        """A value typed where no real serial or tag was known: never a key."""
        return key in self.placeholders or bool(
            self.placeholder_re is not None and self.placeholder_re.search(key)
        )


def _make_key_tables(
    lookalikes: dict[str, str],
    serial_prefixes: Iterable[str],
    placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS,
    patterns: Iterable[str] = DEFAULT_PLACEHOLDER_PATTERNS,
) -> KeyTables:
    lower = {k.lower(): v.lower() for k, v in lookalikes.items() if k}
    pairs = {**lower, **{k.upper(): v for k, v in lower.items() if k.upper() != k}}
    body = "".join(re.escape(k) for k in lower) or "(?!)"
    prefixes = {nfkc_lower(p).strip() for p in serial_prefixes if p.strip()}
    translate = str.maketrans(pairs)
    joined = "|".join(f"(?:{p})" for p in patterns)
    lookalike_re = re.compile(f"[{body}]" if lower else body, re.IGNORECASE)
    return KeyTables(
        translate=translate,
        lookalikes=frozenset(lower),
        lookalike_re=lookalike_re,
        serial_prefixes=tuple(sorted(prefixes, key=lambda p: (-len(p), p))),
        placeholders=frozenset(k for p in placeholders if (k := _placeholder_key(p, translate))),
        placeholder_re=re.compile(joined) if joined else None,
        ascii_untouched=all(code >= 128 for code in translate),
        ascii_unfolded=not any(lookalike_re.search(chr(code)) for code in range(128)),
    )


def _placeholder_key(text: str, translate: dict[int, str]) -> str:
    return "".join(ch for ch in nfkc_lower(text).translate(translate) if ch.isalnum()).upper()


DEFAULT_KEYS = _make_key_tables(DEFAULT_LOOKALIKES, DEFAULT_SERIAL_PREFIXES)

_T = TypeVar("_T")


def per_rules(
    cache: dict[int, tuple[NormalizeRules, _T]],
    rules: NormalizeRules,
    build: Callable[[NormalizeRules], _T],
) -> _T:
    """`build(rules)`, once per rules object.

    Rules objects are pydantic models (unhashable): entries are keyed by identity and hold the
    rules object, so that its id is never reused while the entry lives.
    """
    entry = cache.get(id(rules))
    if entry is not None and entry[0] is rules:
        return entry[1]
    built = build(rules)
    if len(cache) > 64:  # a long-lived service reloads rules; keep the cache bounded
        cache.clear()
    cache[id(rules)] = (rules, built)
    return built


_KEYS: dict[int, tuple[NormalizeRules, KeyTables]] = {}
_KeyFields = tuple[tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_BY_FIELDS: dict[_KeyFields, KeyTables] = {}


def key_tables(rules: NormalizeRules | None) -> KeyTables:
    """The tables of `rules` (built once per rules object); the defaults without rules."""
    if rules is None:
        return DEFAULT_KEYS
    return per_rules(_KEYS, rules, _shared_key_tables)


def _shared_key_tables(rules: NormalizeRules) -> KeyTables:
    """One KeyTables for every rules object with the same look-alikes, labels and placeholders.

    The matcher copies the rules with the vendors the data names (name_keys.with_vendors);
    the copy's tables, and with them the memos of every serial, number and folded name
    already computed, are the original's. Rebuilding them cost 4 CPU s at 100k x 150k.
    """
    placeholders = DEFAULT_PLACEHOLDERS if rules.placeholders is None else rules.placeholders
    patterns = (
        DEFAULT_PLACEHOLDER_PATTERNS
        if rules.placeholder_patterns is None
        else rules.placeholder_patterns
    )
    fields: _KeyFields = (
        tuple(rules.lookalikes.items()),
        tuple(rules.serial_prefixes),
        tuple(placeholders),
        tuple(patterns),
    )
    found = _BY_FIELDS.get(fields)
    if found is None:
        if len(_BY_FIELDS) > 64:  # a long-lived service reloads rules; keep the cache bounded
            _BY_FIELDS.clear()
        found = _BY_FIELDS[fields] = _make_key_tables(dict(fields[0]), *fields[1:])
    return found


# Cyrillic 'О' typed after a digit in a NAME is a zero ('DL38О' -> 'dl380'): names are compared
# fuzzily. Keys (serials, numbers) never do this: a Latin 'O' there stays a letter, so the
# Cyrillic one must too, or 'СZJ7132ОXQ' and 'CZJ7132OXQ' would be two serials.
_CYRILLIC_O_AFTER_DIGIT = re.compile(r"(?<=[0-9])[оО]")


def _is_lookalike_abbreviation(original: str, keys: KeyTables) -> bool:
    """'НР', 'ТР' typed in capitals from Cyrillic entirely of look-alikes: a Latin abbreviation.

    Short all-capital tokens only: 'Сервер' is also made of look-alikes but is a Russian word.
    """
    return (
        1 < len(original) <= 3
        and original.isupper()
        and all(ch in keys.lookalikes for ch in original.lower())
    )


def fold_lookalikes(text: str, rules: NormalizeRules | None = None) -> str:
    """Lower-case text with Cyrillic look-alikes made Latin inside tokens holding Latin or digits.

    'Сервер НР DL38О' -> 'сервер hp dl380': Russian words stay Russian; mixed tokens and short
    capital abbreviations typed on the Cyrillic layout become Latin.
    """
    return fold_text(text, key_tables(rules))


MEMO_LIMIT = 500_000


def remembered(
    memo: dict[str, _T], text: str, keys: KeyTables, compute: Callable[[str, KeyTables], _T]
) -> _T:
    """compute(text, keys), once per distinct text. The memo is emptied when it reaches
    MEMO_LIMIT: a service that runs for months must not grow it without bound."""
    value = memo.get(text)
    if value is None:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        value = memo[text] = compute(text, keys)
    return value


def fold_text(text: str, keys: KeyTables) -> str:
    """`fold_lookalikes` with the tables at hand, once per distinct text."""
    return remembered(keys.folded, text, keys, _fold_text)


def fold_text_once(text: str, keys: KeyTables) -> str:
    """`fold_text` without remembering the result: for texts read once per run (every asset's
    name, 120k hostnames at 150k assets), whose memo entries would only take room (30 MB)."""
    return keys.folded.get(text) or _fold_text(text, keys)


def _fold_text(text: str, keys: KeyTables) -> str:
    if not text:
        return ""
    if keys.ascii_unfolded and text.isascii():  # no look-alike, no Cyrillic 'О': only case
        return text.lower()
    norm = _CYRILLIC_O_AFTER_DIGIT.sub("0", nfkc(text))
    if not keys.lookalike_re.search(norm):  # nothing to fold: the token walk would only lower
        return norm.lower()
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(norm):
        out.append(norm[pos : m.start()].lower())
        original = m.group()
        token = original.lower()
        if _LATIN_OR_DIGIT.search(token) or _is_lookalike_abbreviation(original, keys):
            token = token.translate(keys.translate)
        out.append(token)
        pos = m.end()
    out.append(norm[pos:].lower())
    return "".join(out)


# Every character str.isalnum() rejects: \W is exactly "not alnum and not '_'" for str
# patterns (the same Unicode tables), so one C-level sub replaces a per-character generator.
_NOT_ALNUM = re.compile(r"[\W_]+")


def key_chars(text: str, keys: KeyTables) -> str:
    """Upper case, every Cyrillic look-alike Latin (keys are never Russian words), alnum only."""
    if keys.ascii_untouched:
        if text.isascii():
            return _NOT_ALNUM.sub("", text).upper()
        # Each step works character by character, so a text's key is its head's key and then
        # its trailing digits (unchanged: no look-alike is ASCII). 'ва-010431' is 'ва-', the
        # same on 100k rows, folded once, and '010431'; translating Cyrillic was most of it.
        head = text.rstrip(_DIGITS)
        if len(head) < len(text):
            return remembered(keys.heads, head, keys, _key_chars) + text[len(head) :]
    return _key_chars(text, keys)


_DIGITS = "0123456789"


def _key_chars(text: str, keys: KeyTables) -> str:
    return _NOT_ALNUM.sub("", text.translate(keys.translate)).upper()
