"""Keys and comparable forms of what the books and IT write differently.

Exact keys (serials, inventory numbers, barcodes) are folded until two spellings of one value are
one string. Names are turned into a `NameKey`: canonical vendor, category and a token text that
rapidfuzz compares. The original text is never changed; these are only for comparison.

Public helpers other stages import (names are stable): `fold_lookalikes`, `serial_key`,
`split_serials`, `inventory_key`, `barcode_key`, `person_key`, `place_key`, `name_key`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
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


def _nfkc(text: str) -> str:
    """NFKC, ё -> е; '№' kept as '#' (NFKC would make it the letters 'No'). Case is kept."""
    if text.isascii():  # NFKC leaves ASCII as it is; most IT-side text is ASCII
        return text
    return unicodedata.normalize("NFKC", text.replace("№", "#")).replace("ё", "е").replace("Ё", "Е")


def _basic(text: str) -> str:
    """`_nfkc` in lower case: what keys and table words are compared as."""
    return _nfkc(text).lower()


@dataclass(frozen=True, eq=False)  # hashed by identity: one object per rules object
class KeyTables:
    """The look-alike and label tables of one NormalizeRules, ready to use."""

    translate: dict[int, str]  # every look-alike, lower and upper case, to its Latin twin
    lookalikes: frozenset[str]  # lower case
    lookalike_re: re.Pattern[str]
    serial_prefixes: tuple[str, ...]  # folded by _basic, longest first
    placeholders: frozenset[str]  # as keys: 'TOBEFILLEDBYOEM'
    placeholder_re: re.Pattern[str] | None

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
    prefixes = {_basic(p).strip() for p in serial_prefixes if p.strip()}
    translate = str.maketrans(pairs)
    joined = "|".join(f"(?:{p})" for p in patterns)
    return KeyTables(
        translate=translate,
        lookalikes=frozenset(lower),
        lookalike_re=re.compile(f"[{body}]" if lower else body, re.IGNORECASE),
        serial_prefixes=tuple(sorted(prefixes, key=lambda p: (-len(p), p))),
        placeholders=frozenset(k for p in placeholders if (k := _placeholder_key(p, translate))),
        placeholder_re=re.compile(joined) if joined else None,
    )


def _placeholder_key(text: str, translate: dict[int, str]) -> str:
    return "".join(ch for ch in _basic(text).translate(translate) if ch.isalnum()).upper()


DEFAULT_KEYS = _make_key_tables(DEFAULT_LOOKALIKES, DEFAULT_SERIAL_PREFIXES)

_T = TypeVar("_T")


def _per_rules(
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


def key_tables(rules: NormalizeRules | None) -> KeyTables:
    """The tables of `rules` (built once per rules object); the defaults without rules."""
    if rules is None:
        return DEFAULT_KEYS
    return _per_rules(
        _KEYS,
        rules,
        lambda r: _make_key_tables(
            r.lookalikes,
            r.serial_prefixes,
            DEFAULT_PLACEHOLDERS if r.placeholders is None else r.placeholders,
            DEFAULT_PLACEHOLDER_PATTERNS
            if r.placeholder_patterns is None
            else r.placeholder_patterns,
        ),
    )


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
    return _fold(text, key_tables(rules))


@lru_cache(maxsize=200_000)
def _fold(text: str, keys: KeyTables) -> str:
    if not text:
        return ""
    norm = _CYRILLIC_O_AFTER_DIGIT.sub("0", _nfkc(text))
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


def _key_chars(text: str, keys: KeyTables) -> str:
    """Upper case, every Cyrillic look-alike Latin (keys are never Russian words), alnum only."""
    return "".join(ch for ch in text.translate(keys.translate) if ch.isalnum()).upper()


def serial_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """'S/N: czj-1234 АВС' -> 'CZJ1234ABC'. Empty string when there is no serial."""
    if text is None:
        return ""
    return _serial_key(str(text), key_tables(rules))


@lru_cache(maxsize=500_000)
def _serial_key(text: str, keys: KeyTables) -> str:
    basic = _basic(text).strip()
    if not basic or keys.is_placeholder(_key_chars(basic, keys)):
        return ""
    key = _key_chars(_strip_prefix(basic, keys.serial_prefixes), keys)
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
    basic = _basic(str(text))
    if keys.is_placeholder(_key_chars(basic, keys)):  # 'To Be Filled By O.E.M.' has spaces
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
            key = _key_chars(cand, keys)
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
    basic = _basic(text).strip()
    if not basic or keys.is_placeholder(_key_chars(basic, keys)):
        return ""
    key = _key_chars(_strip_prefix(basic, DEFAULT_INVENTORY_PREFIXES), keys)
    if keys.is_placeholder(key):
        return ""
    key = _LEADING_ZEROS.sub("", key)
    return "" if keys.is_placeholder(key) else key  # '00' is '0': idempotent


def barcode_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """Barcodes: digits and letters only, upper case ('4 607 001 234 567' -> '4607001234567')."""
    if text is None:
        return ""
    keys = key_tables(rules)
    key = _key_chars(_basic(str(text)), keys)
    return "" if keys.is_placeholder(key) else key


_PATRONYMIC = re.compile(r"(вич|вна|ична|инична|оглы|кызы)$")
_PERSON_SPLIT = re.compile(r"[\s.,]+")


@lru_cache(maxsize=100_000)
def person_key(text: str | None) -> str:
    """Surname and initials: 'Иванов И.И.' = 'Иванов Иван Иванович' = 'И.И. Иванов' -> 'иванов и.и.'.

    Russian order (surname, name, patronymic) is assumed unless a patronymic stands second
    ('Иван Иванович Иванов') or the initials come first. Look-alikes play no part: names of
    people are Russian words, typed on one layout.
    """
    if text is None:
        return ""
    basic = _basic(str(text)).replace("-", "‐")  # keep double surnames as one token
    tokens = [t for t in _PERSON_SPLIT.split(basic) if t]
    if not tokens:
        return ""
    long = [t for t in tokens if len(t) > 1]
    initials = [t for t in tokens if len(t) == 1]
    if not long:
        return "".join(f"{i}." for i in initials)
    if len(long) == 1:
        surname = long[0]
    elif len(long) >= 3 and _PATRONYMIC.search(long[1]) and not _PATRONYMIC.search(long[2]):
        surname = long[2]  # Иван Иванович Иванов
        initials = [long[0][0], long[1][0], *initials]
    else:
        surname = long[0]
        initials = [t[0] for t in long[1:]] + initials
    initials_text = "".join(f"{i}." for i in initials[:2])
    return f"{surname} {initials_text}".strip().replace("‐", "-")


_PLACE_NOISE = re.compile(r"[\W_]+")


def _place_compact(text: str, keys: KeyTables) -> str:
    # Every look-alike is folded, Russian words too: a place key is never shown, and 'ЦОД'
    # typed with a Latin 'O' must still be the same place.
    return _PLACE_NOISE.sub("", _basic(text)).translate(keys.translate)


def place_key(text: str | None, rules: NormalizeRules | None = None) -> str:
    """Places without case, spacing and punctuation, aliases from rules applied.

    'Москва, ЦОД-1' = 'москва цод 1' (the key folds every look-alike: 'mockbaцoд1'); with
    `places: {msk-dc1: [Москва ЦОД-1]}` both are 'mskdc1'.
    """
    if text is None:
        return ""
    compact = _place_compact(str(text), key_tables(rules))
    if rules is None:
        return compact
    return _tables(rules).places.get(compact, compact)


# --- names -------------------------------------------------------------------------------


_LEGAL_FORMS = frozenset(
    [
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "srl",
        "bv",
        "nv",
        "ооо",
        "ао",
        "зао",
        "оао",
        "пао",
        "ип",
    ]
)


def with_vendors(rules: NormalizeRules, values: Iterable[str | None]) -> NormalizeRules:
    """`rules` with every manufacturer the data names added as a vendor of its own.

    'Sony', 'Bose', 'Denon' in the inventory's manufacturer column are vendors whether or not
    normalize.yaml lists them; a value that is already a known spelling keeps its vendor.
    Returns `rules` itself when nothing is new (its name cache is then reused).
    """
    keys = key_tables(rules)
    vendor_re = _tables(rules).vendor_re
    known = {_fold(alias, keys) for c, aliases in rules.vendors.items() for alias in [c, *aliases]}
    categories = {_basic(w) for c, words in rules.categories.items() for w in [c, *words]}
    learned: dict[str, list[str]] = {}
    for value in values:
        if not value:
            continue
        words = _NAME_NOISE.sub(" ", _fold(str(value), keys)).split()
        while words and words[-1] in _LEGAL_FORMS:  # 'Bose Corp.' is 'bose' in a name
            words.pop()
        while words and words[0] in _LEGAL_FORMS:  # 'ООО Аквариус'
            words.pop(0)
        folded = " ".join(words)
        if (
            len(folded) < 2
            or folded.isdigit()
            or folded in known
            or folded in categories
            or folded in learned
            # 'Dell EMC Corp' holds a known vendor: it stays that vendor, not a new one
            or (vendor_re is not None and vendor_re.search(folded))
        ):
            continue
        learned[folded] = [folded]
    if not learned:
        return rules
    return rules.model_copy(update={"vendors": {**rules.vendors, **learned}})


@dataclass(frozen=True)
class NameKey:
    """A name or model reduced for comparison. `text` is what rapidfuzz sees."""

    text: str  # canonical tokens joined by spaces (vendor and category words removed)
    vendor: str | None
    category: str | None
    model_tokens: frozenset[str]  # tokens holding a digit: 'dl380', 'g10', 't14s'
    model: str = ""  # those tokens joined in order, 'dl380g10': '9300 48p' = '9300-48p'
    # every token joined: 'latitude5420' whether it was written 'Latitude 5420', 'Latitude5420'
    # or 'Latitude-5420'; what survives any spacing.
    squashed: str = ""

    @property
    def tokens(self) -> frozenset[str]:
        return frozenset(self.text.split())


@dataclass(frozen=True)
class _NameTables:
    vendor_re: re.Pattern[str] | None
    vendor_of: dict[str, str]
    category_re: re.Pattern[str] | None
    category_of: dict[str, str]
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    any_rewrite: re.Pattern[str] | None  # matches where any rewrite would; None: cannot tell
    stopwords: frozenset[str]
    places: dict[str, str]
    keys: KeyTables
    # vendor -> (vendor it becomes, family words, categories), tried in order
    splits: dict[str, tuple[tuple[str, re.Pattern[str] | None, frozenset[str]], ...]]
    cache: dict[str, NameKey]


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _any_of(rewrites: tuple[tuple[re.Pattern[str], str], ...]) -> re.Pattern[str] | None:
    """One pattern matching wherever any of the rewrites matches, to skip names none touches.

    If no rewrite matches the text, none changes it, so none matches after the others either.
    Patterns with backreferences (their group numbers would shift) or that do not combine
    (inline flags) leave it None: every rewrite is then tried.
    """
    if not rewrites or any(_BACKREFERENCE.search(p.pattern) for p, _ in rewrites):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p, _ in rewrites))
    except re.error:
        return None


def _alternation(words: dict[str, str], flags: int = 0) -> re.Pattern[str] | None:
    if not words:
        return None
    ordered = sorted(words, key=len, reverse=True)  # longest first: 'hewlett packard enterprise'
    body = "|".join(re.escape(w) for w in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)


_TABLES: dict[int, tuple[NormalizeRules, _NameTables]] = {}


def _tables(rules: NormalizeRules) -> _NameTables:
    return _per_rules(_TABLES, rules, _build_tables)


def _build_tables(rules: NormalizeRules) -> _NameTables:
    keys = key_tables(rules)
    vendor_of = {
        _fold(alias, keys): canonical
        for canonical, aliases in rules.vendors.items()
        for alias in [canonical, *aliases]
    }
    category_of = {
        _basic(word): canonical
        for canonical, words in rules.categories.items()
        for word in [canonical, *words]
    }
    rewrites = tuple((re.compile(r.pattern), r.replace) for r in rules.model_rewrites)
    return _NameTables(
        vendor_re=_alternation(vendor_of),
        vendor_of=vendor_of,
        category_re=_alternation(category_of, re.IGNORECASE),
        category_of=category_of,
        rewrites=rewrites,
        any_rewrite=_any_of(rewrites),
        stopwords=frozenset(_basic(w) for w in rules.stopwords),
        places={
            _place_compact(alias, keys): _place_compact(canonical, keys)
            for canonical, aliases in rules.places.items()
            for alias in [canonical, *aliases]
        },
        keys=keys,
        splits={
            name: tuple(
                (
                    s.vendor,
                    re.compile(rf"(?<!\w)(?:{'|'.join(s.families)})(?!\w)") if s.families else None,
                    frozenset(s.categories),
                )
                for s in splits
            )
            for name, splits in rules.vendor_splits.items()
        },
        cache={},
    )


_NAME_NOISE = re.compile(r"[^\w+]+")
_DIGIT = re.compile(r"\d")
_PRE_REWRITE_NOISE = re.compile(r"[^\w+.\-\"]+")


def name_key(text: str | None, rules: NormalizeRules) -> NameKey:
    """'Сервер НР ProLiant DL380 G10' -> NameKey('proliant dl380 g10', 'hpe', 'server', ...).

    Category words are found in the text before look-alike folding (they are Russian words), then
    look-alikes are folded, vendor spellings are replaced by the canonical vendor (and taken out
    of `text`, so that a vendor word alone never makes two names alike), model spellings are
    rewritten ('dl380g10', 'gen 10' -> 'dl380 g10'), punctuation and stopwords dropped.
    """
    tables = _tables(rules)
    text = text or ""
    cached = tables.cache.get(text)
    if cached is None:
        cached = tables.cache[text] = _name_key(text, tables)
    return cached


# Words glued to a model: 'PowerEdgeR750xs' (camel case before a capital that starts a model
# token; read before case is folded), 'Latitude5420', 'ProBook450' (four or more letters, then
# digits; inside the rewrite loop, so that 'PS-LX350H' made 'pslx350h' splits as 'PSLX350H'
# does). Both sides are split alike: 'ProBook 450 G9' and 'ProBook450G9' give one model, while
# 'DL380' (two letters) stays. The squashed form covers what this misses ('AFFA250').
_CAMEL_MODEL = re.compile(r"(?<=[a-zа-я])(?=[A-ZА-Я]+\d|[A-ZА-Я][a-zа-я]{1,2}\d)")  # 'M70qGen3'
_WORD_DIGITS = re.compile(r"(?<=[^\W\d_]{4})(?=\d)")


def _name_key(text: str, tables: _NameTables) -> NameKey:
    # Case is kept until folding: 'НР' in capitals is the abbreviation 'hp'.
    original = _CAMEL_MODEL.sub(" ", _nfkc(text))
    category = None
    if tables.category_re is not None:
        found = tables.category_re.search(original)
        if found:
            category = tables.category_of[found.group().lower()]
            original = tables.category_re.sub(" ", original)
    folded = _fold(original, tables.keys)
    # Latin category words typed with look-alikes ('РC'); ASCII text has none to find again.
    if tables.category_re is not None and not original.isascii():
        found = tables.category_re.search(folded)
        if found:
            category = category or tables.category_of[found.group().lower()]
            folded = tables.category_re.sub(" ", folded)
    vendor = None
    if tables.vendor_re is not None:
        found = tables.vendor_re.search(folded)
        if found:
            vendor = tables.vendor_of[found.group()]
            for other, families, categories in tables.splits.get(vendor, ()):
                if category in categories or (families is not None and families.search(folded)):
                    vendor = other
                    break
            folded = tables.vendor_re.sub(" ", folded)
    # Punctuation the rewrites do not read becomes spaces first, so that a second pass over
    # the result sees the same text as the first did.
    # Rewrites run to a fixed point (at most a few rounds), so normalising the result again
    # changes nothing: a rewrite may expose another ('A.0' -> 'a 0' -> 'a0').
    text_now = ""
    for _ in range(4):
        step = _PRE_REWRITE_NOISE.sub(" ", folded)
        changed = 0
        # One search says whether any rewrite applies; most names need none of them.
        if tables.any_rewrite is None or tables.any_rewrite.search(step):
            for pattern, replace in tables.rewrites:
                step, n = pattern.subn(replace, step)
                changed += n
        if tables.keys.lookalike_re.search(step):  # a rewrite may join Cyrillic to digits
            step = _fold(step, tables.keys)
            changed += 1
        step, n = _WORD_DIGITS.subn(" ", step)
        changed += n
        # Stopwords go inside the loop: dropping one may bring two words together for a
        # rewrite ('A и 0' -> 'a 0' -> 'a0'), and the result must be a fixed point.
        words = _NAME_NOISE.sub(" ", step).split()
        cleaned = " ".join(t for t in words if t not in tables.stopwords)
        if cleaned == text_now:
            break
        folded = text_now = cleaned
        # Nothing rewritten and no punctuation dropped: the next round would read the same
        # words (rewrites match across any run of spaces), so this is the fixed point.
        if not changed and cleaned == " ".join(step.split()):
            break
    # A word said twice ('TU1500RD ... TU1500RD') is one word: no repeated tokens in a key.
    tokens = list(dict.fromkeys(text_now.split()))
    model_parts = [t for t in tokens if _DIGIT.search(t)]
    return NameKey(
        " ".join(tokens),
        vendor,
        category,
        frozenset(model_parts),
        "".join(model_parts),
        "".join(tokens),
    )
