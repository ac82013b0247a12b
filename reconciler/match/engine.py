"""Match book rows to IT assets: exact keys -> blocked fuzzy candidates -> assignment -> decisions.

0-1. Reviewers' decisions, then exact keys (serials, inventory numbers, barcodes) and kits
   (exact.py). Their pairs are fixed, and are the labels the fuzzy stage learns from.
2. Fuzzy. The remaining rows and free assets are paired by blocking keys (blocking.py), scored
   by the levels of rules/matching.yaml (scoring.py) with weights learned from this run
   (learning.py, weights.py) and assigned one-to-one, optimally over all candidates (assign.py).
3. Decisions. A pair at or above `auto` that beats the runner-up (for its row and for its asset)
   by `margin`, or without which the best assignment would be worse by `margin`, is matched; a
   pair at or above `review`, or one too close to its runner-up, is review with its
   candidates; the rest is unmatched. Thresholds only classify: the assignment itself does not
   depend on them, so raising one never adds a match.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Container
from typing import TYPE_CHECKING

import numpy as np

from reconciler.match import cost_habits
from reconciler.match.assign import assign, clear_by
from reconciler.match.blocking import (
    Features,
    Vocabulary,
    asset_features,
    book_features,
    build_index,
    candidate_pairs,
    ngram_pairs,
    sorted_distinct,
)
from reconciler.match.exact import (
    EXACT_SCORE,
    KEY_ORDER,
    Claims,
    apply_decisions,
    complete_kits,
    exact_detail,
    exact_keys,
    needed_assets_each,
)
from reconciler.match.learning import learn_weights
from reconciler.match.name_keys import first_word_vendors, with_vendors
from reconciler.match.scoring import PairScores, TermFrequency, evidence, score_pairs, weigh
from reconciler.match.unit_keys import UnitKeys
from reconciler.match.weights import Weights
from reconciler.match.word_weights import NameWords, name_words
from reconciler.models import (
    Asset,
    BookRow,
    Candidate,
    Evidence,
    Inventory,
    MatchResult,
    Register,
    RowMatch,
    RowStatus,
)
from reconciler.rules import MatchingRules, Rules

if TYPE_CHECKING:
    from reconciler.match.decisions import DecisionSet

log = logging.getLogger(__name__)

MAX_CANDIDATES = 5  # listed for a review row


def match_register(
    register: Register,
    inventory: Inventory,
    rules: Rules,
    *,
    decisions: DecisionSet | None = None,
) -> MatchResult:
    return match_rows(register.rows, inventory, rules, decisions=decisions)


def match_rows(
    rows: list[BookRow],
    inventory: Inventory,
    rules: Rules,
    *,
    decisions: DecisionSet | None = None,
) -> MatchResult:
    """Like match_register, for rows without their workbook (benchmarks, tests)."""
    # The stage makes millions of small objects and no cycles worth collecting: Python's
    # collector walking them again and again was a third of its CPU at 100k x 150k.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _match_rows(rows, inventory, rules, decisions)
    finally:
        if collecting:
            gc.enable()


def _match_rows(
    rows: list[BookRow],
    inventory: Inventory,
    rules: Rules,
    decisions: DecisionSet | None,
) -> MatchResult:
    assets = inventory.assets
    # Work in (sheet, row) order whatever order the rows came in: the outcome must not depend
    # on how the list was shuffled.
    order = sorted(range(len(rows)), key=lambda i: rows[i].key)
    work = [rows[i] for i in order]
    keys = UnitKeys.of(work, assets, rules.normalize)
    needs = needed_assets_each(work, rules.normalize, keys.row_serials)
    claims = Claims(work, needs, assets)
    if decisions:
        apply_decisions(claims, decisions)
    exact_keys(claims, rules.normalize, keys)
    complete_kits(claims, rules.normalize)
    taken, notes = claims.taken, claims.notes

    decided: dict[int, RowMatch] = {}
    for r, hits in taken.items():
        kinds = {kind for _, kind in hits}
        kind = next(k for k in ("decision", "kit", *KEY_ORDER) if k in kinds)
        decided[r] = RowMatch(
            row=work[r],
            status=RowStatus.MATCHED,
            asset_ids=[assets[a].asset_id for a, _ in hits],
            score=EXACT_SCORE,
            matched_on=kind,
            evidence=[
                Evidence("decision", "confirmed", EXACT_SCORE, notes[(r, a)])
                if k == "decision"
                else Evidence(k, "exact", EXACT_SCORE, exact_detail(work[r], assets[a], k))
                for a, k in hits
            ],
        )

    rest = [r for r in range(len(work)) if r not in decided]
    free = [a for a in range(len(assets)) if a not in claims.owner]
    labels = [(r, a, kind) for r, hits in taken.items() for a, kind in hits if kind != "kit"]
    decided |= _fuzzy(work, needs, assets, rest, free, rules, claims.rejected, labels, keys)

    result_rows: list[RowMatch | None] = [None] * len(rows)
    for r, original in enumerate(order):
        result_rows[original] = decided.get(r) or RowMatch(row=work[r], status=RowStatus.UNMATCHED)
    matched = {
        aid for m in result_rows if m and m.status is RowStatus.MATCHED for aid in m.asset_ids
    }
    return MatchResult(
        rows=[m for m in result_rows if m is not None],
        unmatched_asset_ids=[a.asset_id for a in assets if a.asset_id not in matched],
    )


def _fuzzy(
    work: list[BookRow],
    needs: list[int],
    assets: list[Asset],
    rest: list[int],
    free: list[int],
    rules: Rules,
    rejected: Container[tuple[int, int]] = (),
    labels: list[tuple[int, int, str]] | None = None,
    keys: UnitKeys | None = None,
) -> dict[int, RowMatch]:
    labels = labels or []
    if not rest or not free:
        return {}
    vocab = Vocabulary()
    # The manufacturer columns (IT's, and a register's where it has one) and the words names
    # begin with are the vendor vocabulary of this run.
    makers = first_word_vendors((r.name for r in work), (a.name for a in assets), rules.normalize)
    written = dict.fromkeys([*(a.vendor for a in assets), *(r.vendor for r in work)])
    norm = with_vendors(rules.normalize, [*written, *makers])
    books_f = book_features(work, needs, vocab, norm, keys)
    assets_f = asset_features(assets, vocab, norm, keys)
    books_f.cost_factor = _cost_factor(labels, books_f, assets_f, norm.vat_rates)
    index = build_index(assets_f, free, rules.matching.blocking)
    pr, pa = candidate_pairs(books_f, rest, index, rules.matching.blocking)
    # The n-gram neighbours guarantee every row candidates, whatever its spacing and case.
    nr, na = ngram_pairs(books_f, rest, assets_f, free, rules.matching.blocking.ngram_candidates)
    pr, pa = _union_pairs(np.concatenate([pr, nr]), np.concatenate([pa, na]))
    m = rules.matching
    pairs = score_pairs(books_f, assets_f, pr, pa, vocab.ids, m)
    weights = learn_weights(
        work, assets, labels, books_f, assets_f, vocab, m, pairs, len(rest), len(free)
    )
    frequency = TermFrequency.of(assets_f, len(vocab.ids))
    pairs = weigh(pairs, books_f, assets_f, m, weights, frequency)
    pairs = pairs.take(pairs.score >= m.blocking.min_score)
    if rejected:  # a reviewer's "not this one": not even a candidate
        pairs = pairs.take(
            np.array(
                [
                    (int(r), int(a)) not in rejected
                    for r, a in zip(pairs.rows, pairs.assets, strict=True)
                ],
                bool,
            )
        )
    log.debug("fuzzy: %d rows, %d free assets, %d candidate pairs", len(rest), len(free), len(pr))
    # A pair whose unit evidence speaks against it (another site and person, another serial)
    # is no candidate. It still casts doubt: margins are measured against every rival pair.
    rivals = pairs
    pairs = pairs.take(pairs.credible)
    slots = {r: needs[r] for r in rest if needs[r] > 1}
    # The assignment maximises the summed match weight above the floor (min_score in bits).
    floor = float(np.log2(m.blocking.min_score / (100.0 - m.blocking.min_score)))
    assigned = assign(pairs.rows, pairs.assets, np.maximum(pairs.raw, floor), slots, floor)
    # The run's words (made once, kept with the vocabulary) name the edition words in evidence.
    words = name_words(vocab.ids, books_f.text_id, assets_f.text_id)
    return _decide(
        work,
        needs,
        assets,
        pairs,
        rivals,
        assigned,
        rules,
        books_f,
        assets_f,
        floor,
        weights,
        words,
    )


def _union_pairs(rows: np.ndarray, assets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (row, asset) once, ordered by row then asset (the order never depends on input)."""
    if not len(rows):
        return rows, assets
    both = sorted_distinct(rows.astype(np.int64) * (1 << 31) + assets.astype(np.int64))
    return both >> 31, both & ((1 << 31) - 1)


def _by_row(pairs: PairScores) -> dict[int, np.ndarray]:
    """row -> its pair indices, best first."""
    out: dict[int, np.ndarray] = {}
    if len(pairs.rows):
        order = np.lexsort((-pairs.raw, pairs.rows))
        bounds = np.flatnonzero(np.diff(pairs.rows[order])) + 1
        for group in np.split(order, bounds):
            out[int(pairs.rows[group[0]])] = group
    return out


def _best_rows(pairs: PairScores, among: np.ndarray) -> dict[int, list[tuple[float, int]]]:
    """asset -> its two best (score, row) among the pairs marked `among`."""
    out: dict[int, list[tuple[float, int]]] = defaultdict(list)
    some = np.flatnonzero(among)
    for p in some[np.argsort(-pairs.raw[some], kind="stable")]:
        best = out[int(pairs.assets[p])]
        if len(best) < 2:
            best.append((float(pairs.raw[p]), int(pairs.rows[p])))
    return out


def _clear_rows(
    pairs: PairScores,
    rivals: PairScores,
    rivals_of_row: dict[int, np.ndarray],
    assigned: dict[int, list[int]],
    m: MatchingRules,
    floor: float,
) -> set[int]:
    """The rows whose assignment is clear by `margin` bits (margins on the unclamped sums: two
    pairs both clamped to 99 may differ by 20).

    Clear when the row's pairs beat every rival: another asset the row wants, another row
    wanting its asset. Or, for a single pair that did not, when the best assignment without
    it is worse by the margin (the rival asset is held by a row that would have to give it up:
    editions each taken by their own title) and no pair the assignment never weighed (not
    credible) comes that close either.
    """

    def runner_up(r: int, rival_rows: dict[int, list[tuple[float, int]]], doubts: bool) -> float:
        mine_assets = {int(pairs.assets[p]) for p in assigned[r]}
        runner = 0.0
        for p in rivals_of_row[r]:
            if int(rivals.assets[p]) not in mine_assets and not (doubts and rivals.credible[p]):
                runner = float(rivals.raw[p])
                break
        for p in assigned[r]:
            for s, other in rival_rows[int(pairs.assets[p])]:
                if other != r:
                    runner = max(runner, s)
                    break
        return runner

    low_raw = {r: min(float(pairs.raw[p]) for p in ps) for r, ps in assigned.items()}
    best_other_row = _best_rows(rivals, np.ones(len(rivals.rows), bool))
    clear = {r for r in assigned if low_raw[r] - runner_up(r, best_other_row, False) >= m.margin}
    asked = [
        ps[0]
        for r, ps in assigned.items()
        if r not in clear and len(ps) == 1 and float(pairs.score[ps[0]]) >= m.auto
    ]
    if not asked:
        return clear
    gains = np.maximum(pairs.raw, floor) - floor + 1.0  # as assign() weighed them
    held = np.array([p for ps in assigned.values() for p in ps], np.int64)
    doubts = _best_rows(rivals, ~rivals.credible)
    for p in clear_by(pairs.rows, pairs.assets, gains, held, np.array(asked), m.margin):
        r = int(pairs.rows[p])
        if low_raw[r] - runner_up(r, doubts, True) >= m.margin:
            clear.add(r)
    return clear


def _decide(
    work: list[BookRow],
    needs: list[int],
    assets: list[Asset],
    pairs: PairScores,
    rivals: PairScores,
    assigned: dict[int, list[int]],
    rules: Rules,
    books_f: Features,
    assets_f: Features,
    floor: float,
    weights: Weights | None = None,
    words: NameWords | None = None,
) -> dict[int, RowMatch]:
    m = rules.matching
    by_row = _by_row(pairs)
    rivals_of_row = _by_row(rivals)
    clear_rows = _clear_rows(pairs, rivals, rivals_of_row, assigned, m, floor)
    # What each assigned asset scored with the row that took it.
    taken_at = {int(pairs.assets[p]): float(pairs.raw[p]) for ps in assigned.values() for p in ps}
    out: dict[int, RowMatch] = {}
    for r, rival_group in rivals_of_row.items():
        if r not in by_row:
            # Only pairs whose unit evidence speaks against them: not in IT. The best one's
            # evidence says why.
            best = int(rival_group[0])
            out[r] = RowMatch(
                row=work[r],
                status=RowStatus.UNMATCHED,
                score=float(rivals.score[best]),
                evidence=list(evidence(rivals, best, books_f, assets_f, m, weights, words)),
            )
    for r, group in by_row.items():
        mine = assigned.get(r, [])
        mine_set = set(mine)
        ranked = [int(p) for p in group]
        listed = [*mine, *(p for p in ranked if p not in mine_set)]
        if mine:
            low = min(float(pairs.score[p]) for p in mine)
            clear = r in clear_rows
            status = (
                RowStatus.MATCHED
                if low >= m.auto and clear
                else RowStatus.REVIEW
                if low >= m.review
                else RowStatus.UNMATCHED
            )
        else:
            low = float(pairs.score[ranked[0]])
            # Every candidate went to another row: when each of those rows holds it by a clear
            # margin, they explain the assets better and this row is not in IT.
            open_ = any(
                taken_at.get(int(pairs.assets[p]), -np.inf) - float(pairs.raw[p]) < m.margin
                for p in ranked
            )
            status = RowStatus.REVIEW if low >= m.review and open_ else RowStatus.UNMATCHED
        if status is RowStatus.UNMATCHED:
            # No candidates listed (nothing to confirm); the evidence says why the best failed.
            why = evidence(pairs, listed[0], books_f, assets_f, m, weights, words)
            out[r] = RowMatch(row=work[r], status=status, score=low, evidence=list(why))
            continue
        # Evidence in words only for the pairs a person will see: building it for every pair
        # listed took a sixth of the fuzzy stage on a product catalogue.
        candidates = [
            Candidate(
                assets[int(pairs.assets[p])].asset_id,
                float(pairs.score[p]),
                evidence(pairs, p, books_f, assets_f, m, weights, words),
            )
            for p in listed[: max(MAX_CANDIDATES, len(mine))]
        ]
        kit = needs[r] > 1
        chosen = [assets[int(pairs.assets[p])].asset_id for p in mine]
        out[r] = RowMatch(
            row=work[r],
            status=status,
            asset_ids=chosen if status is RowStatus.MATCHED else [c.asset_id for c in candidates],
            score=low,
            matched_on="kit" if kit and status is RowStatus.MATCHED else "fuzzy",
            candidates=candidates,
            evidence=list(candidates[0].evidence),
        )
    return out


def _cost_factor(
    labels: list[tuple[int, int, str]], books: Features, assets: Features, vat_rates: list[float]
) -> np.ndarray | None:
    """Per book row, how many times its cost IT writes for the row's place, learned from the
    exact-key pairs (match/cost_habits); None where IT writes every place's costs as the books
    do. Keyed by the books' place, where the unit was bought: a unit IT has since moved
    keeps the cost its first office wrote."""
    rows = np.array([r for r, _, _ in labels], dtype=np.int64)
    found = np.array([a for _, a, _ in labels], dtype=np.int64)
    habits = cost_habits.learn(
        books.cost[rows], assets.cost[found], books.location[rows], vat_rates
    )
    if not habits:
        return None
    places, inverse = np.unique(books.location, return_inverse=True)
    return np.array([habits.get(int(p), 1.0) for p in places.tolist()])[inverse]
