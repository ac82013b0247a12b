"""The run's own samples for learning the match weights (weights.py does the arithmetic).

u: random pairs of the two tables, and random pairs that share a model. m: the pairs the exact
keys found (free labels), or in a catalogue without serials or numbers, the candidate pairs
agreeing on a model one row and one asset hold.
"""

from __future__ import annotations

import numpy as np

from reconciler.match.blocking import Features, Vocabulary
from reconciler.match.scoring import PairScores, score_pairs
from reconciler.match.weights import (
    MIN_LABELLED,
    MIN_PAIRS_TO_LEARN,
    U_SAMPLE,
    UNIT_FACTS,
    Weights,
    learn,
    prior_bits,
)
from reconciler.models import Asset, BookRow
from reconciler.rules import MatchingRules


def learn_weights(
    work: list[BookRow],
    assets: list[Asset],
    labels: list[tuple[int, int, str]],
    books_f: Features,
    assets_f: Features,
    vocab: Vocabulary,
    rules: MatchingRules,
    candidates: PairScores,
    n_rows: int,
    n_free: int,
) -> Weights:
    """This run's weights: u from random pairs, m from its exact-key pairs (or EM)."""
    prior = 1.0 / max(n_rows, n_free, 2)  # at most one true asset per row among the free
    if len(work) * len(assets) < MIN_PAIRS_TO_LEARN:
        # A handful of rows says nothing about how often unrelated records agree: priors.
        return Weights(prior_bits(rules), {}, float(np.log2(prior / (1 - prior))), "priors")
    rng = np.random.default_rng(0)  # the same run gives the same weights
    n = int(min(U_SAMPLE, len(work) * len(assets)))
    ur = rng.integers(0, len(work), n)
    ua = rng.integers(0, len(assets), n)
    u_pairs = score_pairs(books_f, assets_f, ur, ua, vocab.ids, rules)
    if len(labels) < MIN_LABELLED:
        labels = labels + _unique_model_pairs(books_f, assets_f, candidates)
    lr = np.array([r for r, _, _ in labels], dtype=np.int64)
    la = np.array([a for _, a, _ in labels], dtype=np.int64)
    m_pairs = score_pairs(books_f, assets_f, lr, la, vocab.ids, rules)
    kinds = np.array([k for _, _, k in labels], dtype=object)
    # A pair's own key says nothing about how often true pairs agree on it.
    m_skip = {
        "serial": kinds == "serial",
        "inventory_number": kinds == "inventory_number",
        "model": kinds == "model",
    }
    # Pairs taken for a unique model say nothing of how often true pairs share a unit's
    # place, person, serial, date, state or price: against another company's inventory they
    # are all false, and would teach that every one of those may differ.
    for comparison in UNIT_FACTS:
        m_skip[comparison] = m_skip.get(comparison, np.zeros(len(kinds), bool)) | (kinds == "model")
    sr, sa = _pairs_sharing(books_f.model_id, assets_f.model_id, rng)
    same_u = score_pairs(books_f, assets_f, sr, sa, vocab.ids, rules).level
    exact = rules.level_indexes("model", "exact")
    # Pairs found by a serial or number whose models agree. Not the pairs chosen BECAUSE a
    # unique model agreed (a catalogue's labels): what those show given the model is how
    # they were chosen.
    agree = np.isin(m_pairs.level["model"], exact) & (kinds != "model")
    same_m = {c: lv[agree] for c, lv in m_pairs.level.items()}
    pr, pa = _pairs_sharing(books_f.location, assets_f.location, rng)
    place_u = score_pairs(books_f, assets_f, pr, pa, vocab.ids, rules).level
    here = rules.level_indexes("location", "agree")
    # The custodian is one of a unit's facts: pairs taken for a unique model cannot speak
    # for it here either (weights.UNIT_FACTS).
    at_place = np.isin(m_pairs.level.get("location", np.zeros(0)), here) & (kinds != "model")
    place_m = {c: lv[at_place] for c, lv in m_pairs.level.items()}
    return learn(
        rules,
        u_pairs.level,
        m_pairs.level,
        m_skip,
        candidates.level,
        prior,
        (same_u, same_m),
        (place_u, place_m),
    )


def _pairs_sharing(
    book_ids: np.ndarray, asset_ids: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random (row, asset) pairs sharing a value id (a model, a place), at most U_SAMPLE. A
    value one row and one asset hold is left out: that pair is most likely the true one, not a
    sample of u."""
    empty = np.zeros(0, dtype=np.int64)
    size = int(max(book_ids.max(initial=0), asset_ids.max(initial=0))) + 1
    n_rows = np.bincount(book_ids, minlength=size)
    n_assets = np.bincount(asset_ids, minlength=size)
    pairs = (n_rows * n_assets).astype(np.float64)
    pairs[0] = 0.0  # no value
    pairs[(n_rows == 1) & (n_assets == 1)] = 0.0
    if pairs.sum() == 0:
        return empty, empty
    n = int(min(U_SAMPLE, pairs.sum()))
    value = rng.choice(size, size=n, p=pairs / pairs.sum())
    rows_by = np.argsort(book_ids, kind="stable")
    assets_by = np.argsort(asset_ids, kind="stable")
    row_start = np.concatenate(([0], np.cumsum(n_rows)[:-1]))
    asset_start = np.concatenate(([0], np.cumsum(n_assets)[:-1]))
    r = rows_by[row_start[value] + (rng.random(n) * n_rows[value]).astype(np.int64)]
    a = assets_by[asset_start[value] + (rng.random(n) * n_assets[value]).astype(np.int64)]
    return r.astype(np.int64), a.astype(np.int64)


def _unique_model_pairs(
    books_f: Features, assets_f: Features, candidates: PairScores
) -> list[tuple[int, int, str]]:
    """Candidate pairs agreeing on a model that one row and one asset hold: free labels where
    no serial or number matched (a catalogue), as splink's users take pairs agreeing on a key.
    """
    r, a = candidates.rows, candidates.assets
    b_model, a_model = books_f.model_id[r], assets_f.model_id[a]
    same = (b_model > 0) & (b_model == a_model)
    if not same.any():
        return []
    held_rows = np.bincount(books_f.model_id[np.unique(r)], minlength=len(b_model) + 1)
    held_assets = np.bincount(assets_f.model_id[np.unique(a)], minlength=len(a_model) + 1)
    size = max(len(held_rows), len(held_assets), int(b_model.max()) + 1)
    held_rows = np.pad(held_rows, (0, size - len(held_rows)))
    held_assets = np.pad(held_assets, (0, size - len(held_assets)))
    once = same & (held_rows[b_model] == 1) & (held_assets[a_model] == 1)
    return [(int(x), int(y), "model") for x, y in zip(r[once], a[once], strict=True)]
