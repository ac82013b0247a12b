"""Names and models reduced for comparison: canonical vendor, category and tokens.

'Сервер НР ProLiant DL380 G10' -> NameKey('proliant dl380 g10', 'hpe', 'server', ...): what
rapidfuzz compares and the blocks are built from. Vendors come from normalize.yaml, from the
inventory's manufacturer column (`with_vendors`) and from the words names begin with
(`first_word_vendors`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.match.fold import (
    KeyTables,
    fold_text,
    fold_text_once,
    key_tables,
    nfkc,
    nfkc_lower,
    per_rules,
)
from reconciler.rules import NormalizeRules

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
    known = {
        fold_text(alias, keys) for c, aliases in rules.vendors.items() for alias in [c, *aliases]
    }
    categories = {nfkc_lower(w) for c, words in rules.categories.items() for w in [c, *words]}
    learned: dict[str, list[str]] = {}
    for value in dict.fromkeys(values):  # 150k assets name a few dozen makers
        if not value:
            continue
        words = _NAME_NOISE.sub(" ", fold_text(str(value), keys)).split()
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


def first_word_vendors(
    book_names: Iterable[str | None], asset_names: Iterable[str | None], rules: NormalizeRules
) -> list[str]:
    """Words that begin names on both sides and, where they appear at all, mostly begin one.

    A maker's name comes first ('Sony PS-LX350H', 'Adobe Photoshop CS3'), a product's words
    anywhere ('the', 'studio'). An inventory without a manufacturer column (a catalogue, an
    export) still says who made what this way; `with_vendors` takes these like manufacturer
    values (category words and known vendors are skipped there).
    """
    keys = key_tables(rules)
    starts: dict[str, list[int]] = {}  # word -> [names it begins on the books, in IT]
    seen: dict[str, int] = {}  # word -> names holding it anywhere
    # Each distinct name once, by its count (100k book rows hold a few thousand names); in
    # the order names first appear, as a walk over every name would meet them.
    for name, count in Counter(book_names).items():
        words = fold_text_once(name or "", keys).split()
        if not words:
            continue
        starts.setdefault(words[0], [0, 0])[0] += count
        for word in set(words):
            seen[word] = seen.get(word, 0) + count
    # In IT, only the words that may still qualify are counted: 150k assets' names are
    # mostly hostnames, which begin no book's name.
    candidates = {word for word in starts if len(word) >= 3 and word.isalpha()}
    for name, count in Counter(asset_names).items():
        words = fold_text_once(name or "", keys).split()
        if not words:
            continue
        if words[0] in candidates:
            starts[words[0]][1] += count
        for word in candidates.intersection(words):
            seen[word] = seen.get(word, 0) + count
    return [
        word
        for word, (books, assets) in starts.items()
        if books >= 1
        and assets >= 2
        and len(word) >= 3
        and word.isalpha()
        and books + assets > seen[word] / 2
    ]


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
    # the other makers the name holds: 'encore marine aquarium' names 'encore' and, where
    # 'marine' begins names as a maker's would, 'marine'; vendors differ only where neither
    # name holds the other's
    also_vendors: frozenset[str] = frozenset()

    @property
    def tokens(self) -> frozenset[str]:
        return frozenset(self.text.split())

    @property
    def makers(self) -> frozenset[str]:
        """Every maker the name holds: its vendor and the others."""
        return self.also_vendors | {self.vendor} if self.vendor else self.also_vendors


@dataclass(frozen=True)
class _NameTables:
    vendor_re: re.Pattern[str] | None
    vendor_of: dict[str, str]
    category_re: re.Pattern[str] | None
    category_of: dict[str, str]
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    any_rewrite: re.Pattern[str] | None  # matches where any rewrite would; None: cannot tell
    stopwords: frozenset[str]
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
    return per_rules(_TABLES, rules, _build_tables)


def _build_tables(rules: NormalizeRules) -> _NameTables:
    keys = key_tables(rules)
    vendor_of = {
        fold_text(alias, keys): canonical
        for canonical, aliases in rules.vendors.items()
        for alias in [canonical, *aliases]
    }
    category_of = {
        nfkc_lower(word): canonical
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
        stopwords=frozenset(nfkc_lower(w) for w in rules.stopwords),
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


def name_keys(texts: Iterable[str | None], rules: NormalizeRules) -> list[NameKey]:
    """`name_key` of each text, a whole column at once (the tables are looked up once)."""
    tables = _tables(rules)
    cache = tables.cache
    out: list[NameKey] = []
    for text in texts:
        text = text or ""
        cached = cache.get(text)
        if cached is None:
            cached = cache[text] = _name_key(text, tables)
        out.append(cached)
    return out


# Words glued to a model: 'PowerEdgeR750xs' (camel case before a capital that starts a model
# token; read before case is folded), 'Latitude5420', 'ProBook450' (four or more letters, then
# digits; inside the rewrite loop, so that 'PS-LX350H' made 'pslx350h' splits as 'PSLX350H'
# does). Both sides are split alike: 'ProBook 450 G9' and 'ProBook450G9' give one model, while
# 'DL380' (two letters) stays. The squashed form covers what this misses ('AFFA250').
_CAMEL_MODEL = re.compile(r"(?<=[a-zа-я])(?=[A-ZА-Я]+\d|[A-ZА-Я][a-zа-я]{1,2}\d)")  # 'M70qGen3'
_WORD_DIGITS = re.compile(r"(?<=[^\W\d_]{4})(?=\d)")
# Trade mark signs name no product: 'ThinkPad®', 'Office™ 2007' (NFKC makes '™' the letters
# 'TM', glued to the word: 'officetm'). Spelled out, '(R)' stays a word, as any other.
_TRADE_MARK = re.compile(r"[™®©℠]")


def _name_key(text: str, tables: _NameTables) -> NameKey:
    # Case is kept until folding: 'НР' in capitals is the abbreviation 'hp'.
    original = _CAMEL_MODEL.sub(" ", nfkc(_TRADE_MARK.sub(" ", text)))
    category = None
    if tables.category_re is not None:
        found = tables.category_re.search(original)
        if found:
            category = tables.category_of[found.group().lower()]
            original = tables.category_re.sub(" ", original)
    folded = fold_text(original, tables.keys)
    # Latin category words typed with look-alikes ('РC'); ASCII text has none to find again.
    if tables.category_re is not None and not original.isascii():
        found = tables.category_re.search(folded)
        if found:
            category = category or tables.category_of[found.group().lower()]
            folded = tables.category_re.sub(" ", folded)
    vendor = None
    also: frozenset[str] = frozenset()
    if tables.vendor_re is not None:
        named = [tables.vendor_of[m.group()] for m in tables.vendor_re.finditer(folded)]
        if named:
            vendor = named[0]
            for other, families, categories in tables.splits.get(vendor, ()):
                if category in categories or (families is not None and families.search(folded)):
                    vendor = other
                    break
            also = frozenset(named[1:]) - {vendor, named[0]}
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
            step = fold_text(step, tables.keys)
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
        also,
    )
