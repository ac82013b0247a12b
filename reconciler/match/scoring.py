"""Score candidate pairs by the comparison levels of rules/matching.yaml, all pairs at once.

Each comparison (name, words, model, vendor, category, serial, inventory number, location,
custodian, cost, date, status) gives every pair an outcome and, where it has one, a similarity
0-100 (a relative difference for cost, days for dates); the first level of that comparison
whose outcome and bound fit gives the pair its level. weigh() turns the levels into the pair's
match weight (bits) and probability (%, clamped to 99: 100 belongs to exact keys). Only the
chosen level's index is kept per pair; `evidence` turns it into words for the few pairs a
person will see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from reconciler.match.blocking import Features, texts_of
from reconciler.match.name_keys import NameKey
from reconciler.match.weights import Weights, prior_bits, probability
from reconciler.match.word_weights import (
    NameWords,
    edition_differences,
    editions_apart,
    name_words,
    word_cosine,
)
from reconciler.models import Evidence
from reconciler.rules import MatchingRules

FUZZY_MAX = 99.0

# Outcome codes per pair; the names are the outcomes of rules.COMPARISON_OUTCOMES.
MISSING, AGREE, DIFFER, SIMILAR, EXACT, PREFIX, WITHIN, PART = range(8)
_OUTCOME_CODE = {
    "missing": MISSING,
    "agree": AGREE,
    "differ": DIFFER,
    "similar": SIMILAR,
    "exact": EXACT,
    "prefix": PREFIX,
    "within": WITHIN,
    "part": PART,
}
_CATEGORICAL = {
    "vendor": "vendor",
    "category": "category",
    "inventory_number": "inventory",
    "location": "location",
    "custodian": "custodian",
    "status": "status",
}


@dataclass
class PairScores:
    rows: np.ndarray  # row index per pair
    assets: np.ndarray  # asset index per pair
    score: np.ndarray  # float 0-99, what people see
    raw: np.ndarray  # the unclamped sum of points: margins and the assignment use it
    level: dict[str, np.ndarray]  # comparison -> index of the level chosen (-1: no level)
    value: dict[str, np.ndarray]  # comparison -> similarity 0-100 or relative difference
    # False: the pair says "same model" but the evidence about the unit speaks against it.
    credible: np.ndarray
    # the weights that vary per pair within a level (PER_PAIR): name and model after term
    # frequency; name, words, vendor and category where the models agree, as weighed given
    # the model; the custodian where the places agree (the rest come from their level)
    tf: dict[str, np.ndarray] = field(default_factory=dict)
    # whether both sides hold any unit evidence (serial, number, place, person)
    unit_known: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def take(self, keep: np.ndarray) -> PairScores:
        return PairScores(
            self.rows[keep],
            self.assets[keep],
            self.score[keep],
            self.raw[keep],
            {k: v[keep] for k, v in self.level.items()},
            {k: v[keep] for k, v in self.value.items()},
            self.credible[keep],
            {k: v[keep] for k, v in self.tf.items()},
            self.unit_known[keep],
        )


# What tells one unit of a model from another. Name, model, vendor and category only say which
# model it is: fifty identical laptops share them.
UNIT_COMPARISONS = ("serial", "inventory_number", "location", "custodian")
IDENTITY_COMPARISONS = (*UNIT_COMPARISONS, "cost", "date")
# The model levels where one model is, or holds, the other.
_MODEL_ALIKE = ("exact", "prefix", "part")
# Comparisons whose weight varies within a level (term frequency, given the model or place).
PER_PAIR = ("name", "words", "edition", "model", "vendor", "category", "custodian")


_PAIRWISE_SLICE = 100_000


def _pairwise(
    left_ids: np.ndarray,
    right_ids: np.ndarray,
    left_text: np.ndarray,
    right_text: np.ndarray,
    scorer: Any,
    distinct: _Distinct | None = None,
) -> np.ndarray:
    """Similarity per pair, computed once per distinct pair of texts (many rows share a name).
    `distinct`: the ids' distinct pairs, where the caller has them already.

    No rapidfuzz processor (3.x has none by default): the texts are normalize.py's keys, already
    lower case with look-alikes folded and punctuation gone.
    """
    sim = np.zeros(len(left_ids), dtype=np.float64)
    if len(left_ids) == 0:
        return sim
    found = distinct or _Distinct.of(left_ids, right_ids)
    both, lefts, rights, inverse = found.both, found.lefts, found.rights, found.inverse
    if not both.any():
        return sim
    # In slices: rapidfuzz copies every string it is given, 80 MB for the 840k serial pairs
    # at 100k x 150k, the stage's peak.
    values = np.empty(len(lefts), dtype=np.float64)
    for start in range(0, len(lefts), _PAIRWISE_SLICE):
        part = slice(start, start + _PAIRWISE_SLICE)
        values[part] = process.cpdist(
            left_text[lefts[part]].tolist(),
            right_text[rights[part]].tolist(),
            scorer=scorer,
            workers=-1,
        )
    sim[both] = values[inverse]
    return sim


def _vendors_held_by_both(
    out: np.ndarray, rows: np.ndarray, asset_idx: np.ndarray, books: Features, assets: Features
) -> None:
    """Vendors that differ agree where one name holds the other's maker too: 'marine
    aquarium 2.0' (its first word taken for a maker) against 'encore marine aquarium 2.0'.
    Only pairs where a name holds more than one maker are looked at: few."""
    maybe = (out == DIFFER) & (books.more_vendors[rows] | assets.more_vendors[asset_idx])
    for i in np.flatnonzero(maybe).tolist():
        if books.names[rows[i]].makers & assets.names[asset_idx[i]].makers:
            out[i] = AGREE


def _vendors_shown(book: NameKey, asset: NameKey) -> tuple[str | None, str | None]:
    """Each name's maker, or the one both hold where their first makers differ."""
    shared = book.makers & asset.makers
    if book.vendor != asset.vendor and shared:
        both = min(shared)
        return both, both
    return book.vendor, asset.vendor


def _books_cost(books: Features, r: int) -> str:
    """The books' cost as compared: '100 000.00 x 1.2' where IT writes that place's costs
    with VAT."""
    factor = 1.0 if books.cost_factor is None else float(books.cost_factor[r])
    shown = _money(books.cost[r])
    return f"{shown} x {factor:g}" if shown and factor != 1.0 else shown


def _word_share(names: _Distinct, words: NameWords) -> np.ndarray:
    """The IDF-weighted cosine of the two names' words per pair, 0-100 (word_weights.py), once
    per distinct pair of names."""
    return names.spread(word_cosine(names.lefts, names.rights, words.vectors))


def _editions(names: _Distinct, words: NameWords) -> tuple[np.ndarray, np.ndarray]:
    """Whether the names hold the same edition words (word_weights.edition_words): agree
    where neither holds one the other lacks, part where one does, differ where both do; and
    how many such words there are."""
    mine, theirs = edition_differences(names.lefts, names.rights, words)
    code = np.where(
        (mine > 0) & (theirs > 0), DIFFER, np.where((mine > 0) | (theirs > 0), PART, AGREE)
    )
    return names.spread(code.astype(np.int8), MISSING), names.spread(mine + theirs)


def _distinct_pairs(
    left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left ids, right ids) of each distinct pair of ids, and each pair's index among them.

    Many rows share a name or model: compare each distinct pair of texts once. Ids are vocabulary
    ids (below 2**31), so one int64 holds a pair.
    """
    unique, inverse = np.unique(left * (1 << 31) + right, return_inverse=True)
    return unique >> 31, unique & ((1 << 31) - 1), inverse


@dataclass(frozen=True)
class _Distinct:
    """The pairs where both ids are present, as distinct pairs of ids: what each comparison of
    the two names computes once per distinct pair (several comparisons share one)."""

    both: np.ndarray  # bool per pair
    lefts: np.ndarray
    rights: np.ndarray
    inverse: np.ndarray  # per pair in `both`, its distinct pair

    @classmethod
    def of(cls, left: np.ndarray, right: np.ndarray) -> _Distinct:
        both = (left > 0) & (right > 0)
        return cls(both, *_distinct_pairs(left[both], right[both]))

    def spread(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Per pair: its distinct pair's value, `fill` where an id is missing."""
        out = np.full(len(self.both), fill, dtype=values.dtype)
        out[self.both] = values[self.inverse]
        return out


def score_pairs(
    books: Features,
    assets: Features,
    rows: np.ndarray,
    asset_idx: np.ndarray,
    vocab_ids: dict[str, int],
    rules: MatchingRules,
    weights: Weights | None = None,
    frequency: TermFrequency | None = None,
) -> PairScores:
    """Levels of every pair, and with `weights` its match weight (bits) and probability (%).

    Without weights (learning needs only the levels) the priors of matching.yaml are used.
    """
    # The comparisons' working columns are gone before the weights are summed: both at once
    # were the matching stage's peak (300 MB at 100k x 150k).
    level, value, unit_known = _compare(books, assets, rows, asset_idx, vocab_ids, rules)
    n = len(rows)
    pairs = PairScores(
        rows, asset_idx, np.zeros(n), np.zeros(n), level, value, unit_known, {}, unit_known
    )
    return weigh(pairs, books, assets, rules, weights, frequency)


def _compare(
    books: Features,
    assets: Features,
    rows: np.ndarray,
    asset_idx: np.ndarray,
    vocab_ids: dict[str, int],
    rules: MatchingRules,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Each pair's level and value per comparison, and whether it holds any unit evidence."""
    outcome: dict[str, np.ndarray] = {}
    value: dict[str, np.ndarray] = {}
    n = len(rows)

    b_text, a_text = books.text_id[rows], assets.text_id[asset_idx]
    # Words compared as words (less those one side writes by habit), and the squashed forms as
    # one string: 'latitude 5420' and 'latitude5420' are one name whatever the spacing; the
    # better of the two counts.
    words = name_words(vocab_ids, books.text_id, assets.text_id)
    squashed = texts_of(vocab_ids, "q:")
    b_sq, a_sq = books.squashed_id[rows], assets.squashed_id[asset_idx]
    names = _Distinct.of(b_text, a_text)
    value["name"] = np.maximum(
        _pairwise(b_text, a_text, words.plain, words.plain, fuzz.token_set_ratio, names),
        _pairwise(b_sq, a_sq, squashed, squashed, fuzz.ratio),
    )
    outcome["name"] = np.where(names.both, SIMILAR, MISSING)
    # The share of the names' words both hold, rare words weighing most: to token_set_ratio
    # 'photoshop cs3' is all of 'photoshop cs3 upgrade', here less, as 'upgrade' is rarer.
    value["words"] = _word_share(names, words)
    outcome["words"] = outcome["name"]
    if "edition" in rules.levels:
        # 'indesign cs3 upgrade' against 'indesign cs3 academic': the words that name an
        # edition, each held by one name only.
        outcome["edition"], value["edition"] = _editions(names, words)

    models = texts_of(vocab_ids, "m:")
    b_model, a_model = books.model_id[rows], assets.model_id[asset_idx]
    model_sim = _pairwise(b_model, a_model, models, models, fuzz.ratio)
    model_out = np.where((b_model > 0) & (a_model > 0), SIMILAR, MISSING)
    model_out[(b_model > 0) & (b_model == a_model)] = EXACT
    # 'AFFA250' ~ 'AFF A250': the digit tokens differ, the squashed names do not.
    model_out[(b_model > 0) & (a_model > 0) & (b_sq == a_sq)] = EXACT
    # Two different models, once per distinct pair: one may still hold the other.
    apart = _Distinct.of(np.where(b_model != a_model, b_model, 0), a_model)
    prefix = apart.spread(_prefixes(apart, models))
    model_out[prefix & (model_out == SIMILAR)] = PREFIX
    # 'photoshop cs3' ~ 'adobe 13102 photoshop cs3', 'Latitude 5420' ~ 'Latitude 5420 i5 16GB':
    # the model is there, among a code or a configuration the other name does not write.
    if rules.level_indexes("model", "part"):
        part = apart.spread(_parts(apart, books, assets)) & (model_out == SIMILAR)
        model_out[part] = PART
    outcome["model"], value["model"] = model_out, model_sim

    serials = texts_of(vocab_ids, "s:")
    b_serial, a_serial = books.serial_id[rows], assets.serial_id[asset_idx]
    value["serial"] = _pairwise(b_serial, a_serial, serials, serials, fuzz.ratio)
    outcome["serial"] = np.where((b_serial > 0) & (a_serial > 0), SIMILAR, MISSING)

    for comparison, column in _CATEGORICAL.items():
        left = getattr(books, column)[rows]
        right = getattr(assets, column)[asset_idx]
        out = np.full(n, MISSING, dtype=np.int8)
        present = (left > 0) & (right > 0)
        out[present] = DIFFER
        out[present & (left == right)] = AGREE
        if comparison == "vendor":
            _vendors_held_by_both(out, rows, asset_idx, books, assets)
        outcome[comparison] = out
        value[comparison] = np.where(out == AGREE, 100.0, 0.0)

    b_cost, a_cost = books.cost[rows], assets.cost[asset_idx]
    if books.cost_factor is not None:  # where IT writes costs with VAT: compared with it
        b_cost = b_cost * books.cost_factor[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.abs(b_cost - a_cost) / np.maximum(b_cost, a_cost)
    outcome["cost"] = np.where(np.isnan(rel), MISSING, WITHIN)
    value["cost"] = np.nan_to_num(rel, nan=0.0)

    # Books take a unit into service some days after IT's purchase date; years apart, it is
    # another purchase.
    days = np.abs(books.day[rows] - assets.day[asset_idx])
    outcome["date"] = np.where(np.isnan(days), MISSING, WITHIN)
    value["date"] = np.nan_to_num(days, nan=0.0)

    level: dict[str, np.ndarray] = {}
    for comparison, levels in rules.levels.items():
        out = outcome[comparison]
        val = value[comparison]
        chosen = np.full(n, -1, dtype=np.int16)
        for li, lv in enumerate(levels):
            fits = (chosen < 0) & (out == _OUTCOME_CODE[lv.outcome])
            if lv.min is not None:
                fits &= val >= lv.min
            if lv.max is not None:
                fits &= val <= lv.max
            chosen[fits] = li
        level[comparison] = chosen
    unit_known = np.zeros(n, dtype=bool)
    for comparison in UNIT_COMPARISONS:
        unit_known |= outcome[comparison] != MISSING
    return level, value, unit_known


def weigh(
    pairs: PairScores,
    books: Features,
    assets: Features,
    rules: MatchingRules,
    weights: Weights | None = None,
    frequency: TermFrequency | None = None,
) -> PairScores:
    """The pairs with their match weight (`raw`, bits), probability (`score`, %), credibility.

    `pairs.credible` must hold, on entry, whether the pair has any unit evidence on both sides.
    """
    if weights is None:
        weights = Weights(prior_bits(rules), {}, 0.0, "priors")
    level, n = pairs.level, len(pairs.rows)
    bits = {c: weights.level_bits(c, level[c]) for c in rules.levels}
    a_model = assets.model_id[pairs.assets]
    same_model = (a_model > 0) & (books.model_id[pairs.rows] == a_model)
    if frequency is not None and weights.m:
        _term_frequency(bits, pairs, same_model, books, assets, rules, weights, frequency)
    if weights.given_model:
        # One model is the other with more written to it (IT's part number, a suffix): the
        # names then say the model again as much as where the models are one.
        alike = rules.level_indexes("model", *_MODEL_ALIKE)
        _given(bits, pairs, same_model | np.isin(level["model"], alike), weights.given_model)
    if weights.given_place:
        at_place = pairs.level["location"] == _agree_level(rules, "location")
        _given(bits, pairs, at_place, weights.given_place)
        if frequency is not None and "custodian" in weights.given_place_m:
            _person_at_place(bits, pairs, at_place, rules, weights, frequency)
    total = np.full(n, weights.prior_bits, dtype=np.float64)
    identity = np.zeros(n, dtype=np.float64)
    for comparison, b in bits.items():
        total += b
        if comparison in IDENTITY_COMPARISONS:
            identity += b
    # A pair with unit evidence on both sides must have it lean its way; a pair with none
    # (a product catalogue: names and prices only) is judged on the rest alone.
    unit_known = pairs.unit_known
    credible = ~unit_known | (identity >= rules.identity_min)
    return PairScores(
        pairs.rows,
        pairs.assets,
        np.minimum(100.0 * probability(total), FUZZY_MAX),
        total,
        level,
        pairs.value,
        credible,
        {c: bits[c] for c in PER_PAIR if c in bits},
        unit_known,
    )


@dataclass
class TermFrequency:
    """Share of the assets holding each squashed name and each model (by vocabulary id)."""

    squashed: np.ndarray
    model: np.ndarray
    # per asset: the share of its location's assets that its custodian holds (1.0 unknown)
    person_at_place: np.ndarray

    @classmethod
    def of(cls, assets: Features, size: int) -> TermFrequency:
        n = max(len(assets), 1)
        return cls(
            np.bincount(assets.squashed_id, minlength=size + 1) / n,
            np.bincount(assets.model_id, minlength=size + 1) / n,
            _person_shares(assets.location, assets.custodian),
        )


def _person_shares(location: np.ndarray, custodian: np.ndarray) -> np.ndarray:
    """Per asset, how many of its location's assets its custodian holds, as a share."""
    out = np.ones(len(location), dtype=np.float64)
    known = (location > 0) & (custodian > 0)
    if not known.any():
        return out
    _, at_place = np.unique(location[known], return_inverse=True)
    _, of_person = np.unique(location[known] * (1 << 31) + custodian[known], return_inverse=True)
    place_count = np.bincount(at_place)[at_place]
    person_count = np.bincount(of_person)[of_person]
    out[known] = person_count / place_count
    return out


def _term_frequency(
    bits: dict[str, np.ndarray],
    pairs: PairScores,
    same_model: np.ndarray,
    books: Features,
    assets: Features,
    rules: MatchingRules,
    weights: Weights,
    frequency: TermFrequency,
) -> None:
    """Agreeing on a common model or name weighs little, on a rare one much (Splink's tf).
    `same_model`: whether each pair's two model keys are one."""
    level, rows, asset_idx = pairs.level, pairs.rows, pairs.assets
    a_model = assets.model_id[asset_idx]
    exact = np.isin(level["model"], rules.level_indexes("model", "exact")) & same_model
    if exact.any() and "model" in weights.m:
        li = level["model"][exact]
        m_level = weights.m["model"][li]
        tf = np.log2(np.maximum(m_level, 1e-9) / np.maximum(frequency.model[a_model[exact]], 1e-9))
        bits["model"][exact] = np.where(weights.pinned["model"][li], bits["model"][exact], tf)
    a_sq = assets.squashed_id[asset_idx]
    same = (a_sq > 0) & (books.squashed_id[rows] == a_sq) & (level["name"] == 0)
    if same.any() and "name" in weights.m:
        m_level = float(weights.m["name"][0])
        tf = np.log2(max(m_level, 1e-9) / np.maximum(frequency.squashed[a_sq[same]], 1e-9))
        if not weights.pinned["name"][0]:
            bits["name"][same] = tf


def _given(
    bits: dict[str, np.ndarray],
    pairs: PairScores,
    same: np.ndarray,
    tables: dict[str, np.ndarray],
) -> None:
    """Where the pairs share a model (or a place), the comparisons of `tables` are weighed as
    learned among pairs that share one (weights.learn says why)."""
    if not same.any():
        return
    for comparison, table in tables.items():
        level = pairs.level[comparison][same]
        known = level >= 0
        given = bits[comparison][same]
        given[known] = table[level[known]]
        bits[comparison][same] = given


def _agree_level(rules: MatchingRules, comparison: str) -> int:
    """The index of the comparison's 'agree' level (-2 when it has none: nothing agrees)."""
    outcomes = [lv.outcome for lv in rules.levels.get(comparison, [])]
    return outcomes.index("agree") if "agree" in outcomes else -2


def _person_at_place(
    bits: dict[str, np.ndarray],
    pairs: PairScores,
    at_place: np.ndarray,
    rules: MatchingRules,
    weights: Weights,
    frequency: TermFrequency,
) -> None:
    """Agreeing on a custodian who holds a third of a data centre's units says little, on one
    of five hundred office workers much: term frequency of the person among the place's units."""
    agree = _agree_level(rules, "custodian")
    same = at_place & (pairs.level["custodian"] == agree)
    if not same.any() or weights.pinned["custodian"][agree]:
        return
    share = frequency.person_at_place[pairs.assets[same]]
    m_agree = float(weights.given_place_m["custodian"][agree])
    bits["custodian"][same] = np.log2(m_agree / np.maximum(share, 1e-9))


def _parts(apart: _Distinct, books: Features, assets: Features) -> np.ndarray:
    """Per distinct pair of models: every model token of one side is among the other's:
    '2007' ~ '1 2007', 'cs3' ~ '3 cs3'."""
    mine, theirs = _tokens_of_models(books), _tokens_of_models(assets)
    return np.array(
        [
            mine[a] <= theirs[b] or theirs[b] <= mine[a]
            for a, b in zip(apart.lefts.tolist(), apart.rights.tolist(), strict=True)
        ],
        dtype=bool,
    )


def _tokens_of_models(side: Features) -> dict[int, frozenset[str]]:
    """model id -> its tokens, from the first name holding it (one id, one set of tokens)."""
    ids, first = np.unique(side.model_id, return_index=True)
    return {
        i: side.names[f].model_tokens
        for i, f in zip(ids.tolist(), first.tolist(), strict=True)
        if i > 0
    }


def _prefixes(apart: _Distinct, texts: np.ndarray) -> np.ndarray:
    """Per distinct pair of models: one is the other plus a letter suffix: 'smt1500' ~
    'smt1500rmi2u', not 'g10' ~ 'g10+'."""
    hits = np.zeros(len(apart.lefts), dtype=bool)
    for k, (a, b) in enumerate(zip(texts[apart.lefts], texts[apart.rights], strict=True)):
        short, long = (a, b) if len(a) <= len(b) else (b, a)
        hits[k] = long.startswith(short) and long[len(short)].isalpha()
    return hits


def evidence(
    pairs: PairScores,
    i: int,
    books: Features,
    assets: Features,
    rules: MatchingRules,
    weights: Weights | None = None,
    words: NameWords | None = None,
) -> tuple[Evidence, ...]:
    """The levels pair i reached with their weights, in words: 'location: agree +3.2 bits'.
    `words`: the run's NameWords, to name the edition words that differ."""
    table = (weights or Weights(prior_bits(rules), {}, 0.0, "priors")).bits
    r, a = int(pairs.rows[i]), int(pairs.assets[i])
    b_text, a_text = int(books.text_id[r]), int(assets.text_id[a])
    apart = "edition" in pairs.value and pairs.value["edition"][i] > 0  # some word to name
    shown = {
        "edition": editions_apart(b_text, a_text, words) if words and apart else ("", ""),
        "name": (books.labels[r], assets.labels[a]),
        "model": (books.names[r].model, assets.names[a].model),
        "vendor": _vendors_shown(books.names[r], assets.names[a]),
        "category": (books.names[r].category, assets.names[a].category),
        "serial": (books.raw_serial[r], assets.raw_serial[a]),
        "location": (books.raw_location[r], assets.raw_location[a]),
        "custodian": (books.raw_custodian[r], assets.raw_custodian[a]),
        "cost": (_books_cost(books, r), _money(assets.cost[a])),
        "date": (_day(books.day[r]), _day(assets.day[a])),
        "inventory_number": ("", ""),
    }
    out: list[Evidence] = []
    for comparison, levels in rules.levels.items():
        li = int(pairs.level[comparison][i])
        if li < 0:
            continue
        lv = levels[li]
        val = float(pairs.value[comparison][i])
        score = (
            100.0 * max(0.0, 1.0 - val)
            if comparison == "cost"
            else max(0.0, 100.0 - val / 3.66)  # a year apart scores 0
            if comparison == "date"
            else max(0.0, 100.0 - 50.0 * val)  # each edition word held by one name only
            if comparison == "edition"
            else val
        )
        book, it = shown.get(comparison, ("", ""))
        either = comparison == "edition"  # one name's edition word against none is news
        said = (
            f"'{book or ''}' ~ '{it or ''}'" if (book and it) or (either and (book or it)) else ""
        )
        bits = float(pairs.tf[comparison][i]) if comparison in pairs.tf else table[comparison][li]
        detail = f"{bits:+.1f} bits {said}".strip()
        if lv.outcome == "missing":
            score = 0.0
        out.append(Evidence(comparison, lv.outcome, score, detail))
    # The waterfall: prior odds, each level's weight above, their sum as a probability.
    prior = weights.prior_bits if weights is not None else 0.0
    total = float(pairs.raw[i])
    out.insert(0, Evidence("prior", "odds", 0.0, f"{prior:+.1f} bits"))
    out.append(
        Evidence(
            "probability",
            "match",
            float(100.0 * probability(np.array([total]))[0]),
            f"{total:+.1f} bits in all",
        )
    )
    return tuple(out)


def _day(value: float) -> str:
    return "" if np.isnan(value) else date.fromordinal(int(value)).isoformat()


def _money(value: float) -> str:
    return "" if np.isnan(value) else f"{value:,.2f}".replace(",", " ")
