"""Fellegi-Sunter weights for the comparison levels of rules/matching.yaml, learned per run.

A level's weight is log2(m / u) in bits: m is how often true pairs reach that level, u how
often two unrelated records do. u comes from random pairs of the run's own two tables; m from
the pairs exact keys (serial, inventory number) already matched in the same run -- free labels,
plentiful in most registers -- or, where a run has too few of them (a product catalogue), from
EM over the candidate pairs. A unit's facts (UNIT_FACTS) are learned from exact-key pairs
only. A level neither sample shows keeps its prior (`points / 5` bits), bounded by the rule of
three where the labels are many; a level with `weight:` in matching.yaml keeps that weight.
Names and models that agree exactly are adjusted for how common the value is (term
frequency): two hundred identical laptops agreeing on their model says little, a model held
once says much.

A pair's match weight is the prior odds of a match (in bits) plus its levels' weights; its
probability is 1 / (1 + 2^-weight).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reconciler.rules import MatchingRules

# Fewer exact-key pairs than this: m by EM over the candidates instead.
MIN_LABELLED = 50
U_SAMPLE = 40_000  # random pairs for u
MIN_PAIRS_TO_LEARN = 20_000  # rows x assets below this: too few to learn from, priors serve
EM_ROUNDS = 12
MIN_SHARING = 200  # fewer random pairs sharing a model (or a place): no weights given it
# Weighed apart where the models agree exactly (name, words, vendor and category say it again)
GIVEN_MODEL = ("name", "words", "edition", "vendor", "category")
GIVEN_PLACE = ("custodian",)  # weighed apart where the locations agree
_SMOOTH = 0.5  # added to every level's count: no level is ever impossible
# What one unit has and another of its model has not, and its price, which follows the model
# (units of one model bought in one year cost alike). Only pairs known to be true (exact keys)
# say how often true pairs disagree on these; pairs guessed from names or taken for a unique
# model never do: against another company's inventory those are all false, and taught that a
# like price makes a kit of five desktops at another site with another person theirs.
UNIT_FACTS = ("serial", "inventory_number", "location", "custodian", "date", "status", "cost")


@dataclass
class Weights:
    """Bits per level of each comparison, the prior, and what term frequency needs."""

    bits: dict[str, np.ndarray]
    m: dict[str, np.ndarray]
    prior_bits: float
    how: str  # "exact keys (N pairs)", "EM", "priors"
    pinned: dict[str, np.ndarray] = field(default_factory=dict)  # bool per level
    # Bits per level of GIVEN_MODEL's comparisons for pairs whose models agree exactly
    # (empty: not learned this run).
    given_model: dict[str, np.ndarray] = field(default_factory=dict)
    # Bits per level of the custodian for pairs whose locations agree (empty: not learned),
    # and its m per level: term frequency weighs agreeing on one person at one place.
    given_place: dict[str, np.ndarray] = field(default_factory=dict)
    given_place_m: dict[str, np.ndarray] = field(default_factory=dict)

    def level_bits(self, comparison: str, level: np.ndarray) -> np.ndarray:
        table = self.bits[comparison]
        out = np.zeros(len(level), dtype=np.float64)
        known = level >= 0
        out[known] = table[level[known]]
        return out


def prior_bits(rules: MatchingRules) -> dict[str, np.ndarray]:
    """Every level's weight before any learning: its `points` / 5, or its pinned weight."""
    return {
        c: np.array(
            [lv.weight if lv.weight is not None else lv.points / 5.0 for lv in levels], float
        )
        for c, levels in rules.levels.items()
    }


def _counts(level: np.ndarray, n_levels: int, weight: np.ndarray | None = None) -> np.ndarray:
    known = level >= 0
    counts = np.bincount(
        level[known], weights=None if weight is None else weight[known], minlength=n_levels
    )
    return np.asarray(counts[:n_levels], dtype=float)


def _share(counts: np.ndarray) -> np.ndarray:
    smoothed = np.asarray(counts + _SMOOTH, dtype=float)
    return np.asarray(smoothed / smoothed.sum(), dtype=float)


def learn(
    rules: MatchingRules,
    u_levels: dict[str, np.ndarray],
    m_levels: dict[str, np.ndarray],
    m_skip: dict[str, np.ndarray],
    candidate_levels: dict[str, np.ndarray],
    prior: float,
    given_model: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None,
    given_place: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None,
) -> Weights:
    """Weights from the level of each random pair (u), of each exact-key pair (m; `m_skip`
    marks the comparisons a pair's own key decided, which say nothing), and of the candidates
    (EM when the exact-key pairs are too few). `prior` is the chance two random records match.

    `given_model`: the levels of random pairs that share a model (u) and of the exact-key
    pairs whose models agree (m), per comparison of GIVEN_MODEL. Where models agree exactly,
    name, words, vendor and category mostly say it again: eighty switches of one model carry
    one name and one vendor, so between two of them agreeing on those says almost nothing,
    while among products that share a version code ('cs3', '2007') the name and vendor still
    tell them apart. Weighing them against pairs that already share a model counts each fact
    once.
    Only these: what tells one unit from another (place, person, price, serial) is not
    implied by the model, and weighing it among units of one model too took the evidence
    from true pairs without a key (synthetic 10k: MISSING_IN_INVENTORY precision 1.00 ->
    0.90, measured).

    `given_place`: the same for the custodian among pairs that share a location. A person
    works at one site: two records at a data centre three people look after share a custodian
    one time in three, not one in a thousand, and summing both agreements as independent
    counted the place twice. Its m serves term frequency too (scoring weighs agreeing on a
    person by the share of the place's units that person holds).
    """
    start = prior_bits(rules)
    pinned = {
        c: np.array([lv.weight is not None for lv in levels]) for c, levels in rules.levels.items()
    }
    u = {c: _share(_counts(u_levels[c], len(levels))) for c, levels in rules.levels.items()}
    labelled = len(next(iter(m_levels.values()), ()))
    m: dict[str, np.ndarray] = {}
    if labelled >= MIN_LABELLED:
        how = f"exact keys ({labelled} pairs)"
        blind = []  # comparisons every labelled pair's own key decided: m from the candidates
        for c, levels in rules.levels.items():
            keep = ~m_skip.get(c, np.zeros(labelled, bool))
            if not keep.any():
                blind.append(c)
            counts = _counts(m_levels[c][keep], len(levels))
            seen = counts > 0
            # A level the labelled pairs never reach keeps its prior weight against u, but
            # no more than the rule of three allows: a rate never seen in n labels is below
            # 3 / n (95%), so eight thousand pairs that never did it say it is rare.
            n_known = max(float(keep.sum()), 1.0)
            ceiling = min(0.5 / len(levels), 3.0 / n_known)
            unseen = np.minimum(u[c] * 2.0 ** np.clip(start[c], -30, 30), ceiling)
            unseen[seen] = 0.0
            m_c = np.where(seen, counts / max(counts.sum(), 1.0), 0.0) * (1.0 - unseen.sum())
            m[c] = np.maximum(m_c + unseen, 1e-9)
        # A unit's fact every label's own key decided (labels taken for a unique model, say)
        # keeps its prior: candidates guessed from names cannot speak for it (UNIT_FACTS).
        prior_kept = {c for c in blind if c in UNIT_FACTS} - _product_facts(rules, u_levels)
        if len(blind) > len(prior_kept):
            stepped = _one_e_step(rules, u, m, blind, candidate_levels, prior)
            m |= {c: v for c, v in stepped.items() if c not in prior_kept}
    else:
        how = "EM over the candidates"
        prior_kept = set(UNIT_FACTS) - _product_facts(rules, u_levels)
        learned_m = _em(rules, u, start, candidate_levels)
        if learned_m is None:
            return Weights(start, {}, float(np.log2(prior / (1 - prior))), "priors", pinned)
        m = learned_m
    bits = {}
    for c in rules.levels:
        learned = np.log2(m[c] / u[c])
        bits[c] = np.where(pinned[c] | (c in prior_kept), start[c], learned)
    place, place_m = _given(rules, pinned, given_place, GIVEN_PLACE)
    return Weights(
        bits,
        m,
        float(np.log2(prior / (1 - prior))),
        how,
        pinned,
        _given(rules, pinned, given_model, GIVEN_MODEL)[0],
        place,
        place_m,
    )


def _product_facts(rules: MatchingRules, u_levels: dict[str, np.ndarray]) -> set[str]:
    """The unit's facts that are a product's here: where no record of the run has a serial,
    an inventory number, a place, a person or a date to compare, the records are products
    (a catalogue), not units, and a price is the product's own: what says 'this one' among
    listings of one title. Its weight is then learned like a name's. Where units are
    compared, a price follows the model and keeps its prior (UNIT_FACTS)."""
    for c in UNIT_FACTS:
        if c == "cost" or c not in u_levels or c not in rules.levels:
            continue
        missing = rules.level_indexes(c, "missing")
        if not np.isin(u_levels[c], missing).all():
            return set()
    return {"cost"}


def _given(
    rules: MatchingRules,
    pinned: dict[str, np.ndarray],
    levels: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None,
    comparisons: tuple[str, ...],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Bits and m per level of `comparisons` among pairs that share a model (or a place); only
    where both samples are big enough (too few true pairs sharing one: the plain weights
    serve)."""
    out: dict[str, np.ndarray] = {}
    ms: dict[str, np.ndarray] = {}
    if levels is None:
        return out, ms
    u_levels, m_levels = levels
    for c in comparisons:
        if c not in rules.levels or pinned[c].any():
            continue
        if len(u_levels.get(c, ())) < MIN_SHARING or len(m_levels[c]) < MIN_LABELLED:
            continue
        n = len(rules.levels[c])
        u = _share(_counts(u_levels[c], n))
        m_c = _share(_counts(m_levels[c], n))
        given = np.asarray(np.log2(m_c / u), dtype=float)
        # A value missing on one side says nothing, whatever the few such pairs showed.
        given[rules.level_indexes(c, "missing")] = 0.0
        out[c], ms[c] = given, m_c
    return out, ms


def _em(
    rules: MatchingRules,
    u: dict[str, np.ndarray],
    start: dict[str, np.ndarray],
    levels: dict[str, np.ndarray],
) -> dict[str, np.ndarray] | None:
    """m by expectation-maximisation over the candidate pairs, u held at its random-pair value;
    None when the candidates hold too few likely matches (MIN_LABELLED) to learn from. A
    register checked against another company's inventory has none. The unit's facts are not
    learned here: EM would take the most alike names for matches and teach that serials,
    places, people and dates may all differ."""
    m = {}
    for c in rules.levels:
        guess = u[c] * 2.0 ** np.clip(start[c], -20, 20)
        m[c] = guess / guess.sum()
    n = len(next(iter(levels.values()), ()))
    if n == 0:
        return None
    share = 0.1  # of candidates that are matches; re-estimated each round
    p = np.zeros(n)
    for _ in range(EM_ROUNDS):
        log_odds = np.full(n, np.log2(share / (1 - share)))
        for c in rules.levels:
            lv = levels[c]
            known = lv >= 0
            # The unit's facts weigh their priors (UNIT_FACTS says why).
            table = start[c] if c in UNIT_FACTS else np.log2(m[c] / u[c])
            log_odds[known] += table[lv[known]]
        p = 1.0 / (1.0 + np.exp2(-np.clip(log_odds, -60, 60)))
        share = float(np.clip(p.mean(), 1e-6, 0.5))
        for c, table in rules.levels.items():
            m[c] = _share(_counts(levels[c], len(table), p))
    return m if p.sum() >= MIN_LABELLED else None


def _one_e_step(
    rules: MatchingRules,
    u: dict[str, np.ndarray],
    m: dict[str, np.ndarray],
    blind: list[str],
    levels: dict[str, np.ndarray],
    prior: float,
) -> dict[str, np.ndarray]:
    """m of the comparisons the labels cannot speak to (a catalogue's labels are the pairs
    agreeing on a unique model: they say nothing of how often true pairs agree on models):
    their levels among the candidates, each candidate weighted by how likely the other
    comparisons make it. One step, not EM to convergence: it cannot drift off to another
    cluster. When the candidates hold too few likely true pairs, the priors stay.
    """
    n = len(next(iter(levels.values()), ()))
    if n == 0:
        return {c: _share(np.zeros(len(rules.levels[c]))) for c in blind}
    log_odds = np.full(n, np.log2(prior / (1 - prior)))
    for c in m:
        if c in blind:
            continue
        lv = levels[c]
        known = lv >= 0
        log_odds[known] += np.log2(m[c][lv[known]] / u[c][lv[known]])
    p = 1.0 / (1.0 + np.exp2(-np.clip(log_odds, -60, 60)))
    if p.sum() < MIN_LABELLED:  # too few likely true pairs among the candidates: keep priors
        return {}
    return {c: _share(_counts(levels[c], len(rules.levels[c]), p)) for c in blind}


def probability(weight: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp2(-np.clip(weight, -60, 60))), dtype=float)
