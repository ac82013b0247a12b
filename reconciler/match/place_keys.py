"""Keys of places and people, compared as keys, never shown.

'Москва, ЦОД-1' = 'москва цод 1' (aliases from normalize.yaml's `places` applied);
'Иванов И.И.' = 'Иванов Иван Иванович' = 'И.И. Иванов'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from reconciler.match.fold import KeyTables, key_tables, nfkc_lower, per_rules
from reconciler.rules import NormalizeRules

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
    basic = nfkc_lower(str(text)).replace("-", "‐")  # keep double surnames as one token
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


@lru_cache(maxsize=200_000)  # a register names a few hundred places, each on many rows
def _place_compact(text: str, keys: KeyTables) -> str:
    # Every look-alike is folded, Russian words too: a place key is never shown, and 'ЦОД'
    # typed with a Latin 'O' must still be the same place.
    return _PLACE_NOISE.sub("", nfkc_lower(text)).translate(keys.translate)


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
    return per_rules(_PLACES, rules, _aliases).get(compact, compact)


def place_keys(texts: Iterable[str | None], rules: NormalizeRules | None = None) -> list[str]:
    """`place_key` of each text, a whole column at once: once per distinct place (a register
    names a few hundred places, each on many rows)."""
    keys = key_tables(rules)
    aliases = per_rules(_PLACES, rules, _aliases) if rules is not None else {}
    done: dict[str, str] = {}
    out: list[str] = []
    for text in texts:
        if text is None:
            out.append("")
            continue
        key = done.get(text)
        if key is None:
            compact = _place_compact(str(text), keys)
            key = done[text] = aliases.get(compact, compact)
        out.append(key)
    return out


def person_keys(texts: Iterable[str | None]) -> list[str]:
    """`person_key` of each text, a whole column at once: once per distinct person."""
    done: dict[str | None, str] = {}
    out: list[str] = []
    for text in texts:
        key = done.get(text)
        if key is None:
            key = done[text] = person_key(text)
        out.append(key)
    return out


_PLACES: dict[int, tuple[NormalizeRules, dict[str, str]]] = {}


def _aliases(rules: NormalizeRules) -> dict[str, str]:
    """normalize.yaml's `places`: every spelling's key -> the canonical place's key."""
    keys = key_tables(rules)
    return {
        _place_compact(alias, keys): _place_compact(canonical, keys)
        for canonical, aliases in rules.places.items()
        for alias in [canonical, *aliases]
    }
