"""Match book rows to IT assets: exact keys -> blocked fuzzy candidates -> assignment -> decisions.

0. Reviewers' decisions (decisions.py), when given: a confirmed pair is fixed first (matched_on
   "decision", score 100); a rejected pair is never formed again, by any key or as a candidate.
1. Exact keys. Serials first (every serial a cell lists), then inventory numbers, then barcodes;
   within a key, rows in (sheet, row) order. An asset is given to one row only. A row that may
   take N assets (quantity N, N serials, "(N шт.)") takes up to N, and a kit found by one key
   is completed from free assets sharing its kit id, or its model and site.
2. Fuzzy. The remaining rows and free assets are paired by blocking keys (blocking.py), scored
   by the levels of rules/matching.yaml (scoring.py) and assigned one-to-one, optimally over all
   candidates (assign.py).
3. Decisions. A pair at or above `auto` that beats the runner-up (for its row and for its asset)
   by `margin` is matched; a pair at or above `review`, or one too close to its runner-up, is
   review with its candidates; the rest is unmatched. Thresholds only classify: the assignment
   itself does not depend on them, so raising one never adds a match.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Container
from typing import TYPE_CHECKING

import numpy as np

from reconciler.match import normalize
from reconciler.match.assign import assign
from reconciler.match.blocking import (
    Features,
    Vocabulary,
    asset_features,
    book_features,
    build_index,
    candidate_pairs,
    kit_quantity,
    ngram_pairs,
)
from reconciler.match.scoring import PairScores, TermFrequency, evidence, score_pairs, weigh
from reconciler.match.weights import (
    MIN_LABELLED,
    MIN_PAIRS_TO_LEARN,
    U_SAMPLE,
    Weights,
    learn,
    prior_bits,
)
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
from reconciler.rules import MatchingRules, NormalizeRules, Rules

if TYPE_CHECKING:
    from reconciler.match.decisions import DecisionSet

log = logging.getLogger(__name__)

_KeysOf = Callable[[BookRow], list[str]]  # a book row's normalised keys of one kind

EXACT_SCORE = 100.0
MAX_CANDIDATES = 5  # listed for a review row


def needed_assets(row: BookRow, rules: NormalizeRules | None = None) -> int:
    """How many assets a row may take: its quantity, the serials it lists, or '(N шт.)'."""
    return max(
        row.quantity or 1,
        len(normalize.split_serials(row.serial, rules)),
        kit_quantity(row.name) or 1,
    )


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
    assets = inventory.assets
    # Work in (sheet, row) order whatever order the rows came in: the outcome must not depend
    # on how the list was shuffled.
    order = sorted(range(len(rows)), key=lambda i: rows[i].key)
    work = [rows[i] for i in order]
    needs = [needed_assets(r, rules.normalize) for r in work]
    taken: dict[int, list[tuple[int, str]]] = defaultdict(list)  # row -> (asset, key kind)
    owner: dict[int, int] = {}  # asset -> row
    rejected: set[tuple[int, int]] = set()  # (row, asset) a reviewer said are not one
    notes: dict[tuple[int, int], str] = {}  # (row, asset) -> who confirmed it, when
    if decisions:
        rejected = _apply_decisions(work, assets, decisions, taken, owner, notes)
    _exact_keys(work, needs, assets, taken, owner, rules.normalize, rejected)
    _complete_kits(work, needs, assets, taken, owner, rules.normalize, rejected)

    decided: dict[int, RowMatch] = {}
    for r, hits in taken.items():
        kinds = {kind for _, kind in hits}
        kind = next(k for k in ("decision", "kit", *_KEY_ORDER) if k in kinds)
        decided[r] = RowMatch(
            row=work[r],
            status=RowStatus.MATCHED,
            asset_ids=[assets[a].asset_id for a, _ in hits],
            score=EXACT_SCORE,
            matched_on=kind,
            evidence=[
                Evidence("decision", "confirmed", EXACT_SCORE, notes[(r, a)])
                if k == "decision"
                else Evidence(k, "exact", EXACT_SCORE, _exact_detail(work[r], assets[a], k))
                for a, k in hits
            ],
        )

    rest = [r for r in range(len(work)) if r not in decided]
    free = [a for a in range(len(assets)) if a not in owner]
    labels = [(r, a, kind) for r, hits in taken.items() for a, kind in hits if kind != "kit"]
    decided |= _fuzzy(work, needs, assets, rest, free, rules, rejected, labels)

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


_KEY_ORDER = ("serial", "inventory_number", "barcode")


def _apply_decisions(
    work: list[BookRow],
    assets: list[Asset],
    decisions: DecisionSet,
    taken: dict[int, list[tuple[int, str]]],
    owner: dict[int, int],
    notes: dict[tuple[int, int], str],
) -> set[tuple[int, int]]:
    """Fix the confirmed pairs before any key is looked at; return the rejected pairs."""
    index = {a.asset_id: i for i, a in enumerate(assets)}
    rejected: set[tuple[int, int]] = set()
    for r, row in enumerate(work):
        rejected.update((r, index[a]) for a in decisions.rejected_for(row) if a in index)
        for d in decisions.confirmed_for(row):
            a = index.get(d.asset_id or "")
            if a is None or a in owner:  # gone from IT, or a duplicate row took it first
                continue
            owner[a] = r
            taken[r].append((a, "decision"))
            notes[(r, a)] = d.describe()
    return rejected


def _exact_keys(
    work: list[BookRow],
    needs: list[int],
    assets: list[Asset],
    taken: dict[int, list[tuple[int, str]]],
    owner: dict[int, int],
    norm: NormalizeRules,
    rejected: Container[tuple[int, int]] = (),
) -> None:
    by_serial: dict[str, list[int]] = defaultdict(list)
    by_inventory: dict[str, list[int]] = defaultdict(list)
    by_barcode: dict[str, list[int]] = defaultdict(list)
    for a, asset in enumerate(assets):
        if key := normalize.serial_key(asset.serial, norm):
            by_serial[key].append(a)
        # A kit's units often carry the kit's number (the book line's inventory number) as
        # their kit id and no tag of their own.
        if key := normalize.inventory_key(asset.inventory_number or asset.kit, norm):
            by_inventory[key].append(a)
        if key := normalize.barcode_key(asset.barcode, norm):
            by_barcode[key].append(a)
    # A serial several IT assets share ('1234567' on every box of a batch, an agent's filler the
    # placeholder list lacks) tells none of them apart: no exact key; fuzzy matching decides.
    by_serial = defaultdict(list, {k: v for k, v in by_serial.items() if len(v) == 1})
    passes: tuple[tuple[str, dict[str, list[int]], _KeysOf], ...] = (
        ("serial", by_serial, lambda row: normalize.split_serials(row.serial, norm)),
        (
            "inventory_number",
            by_inventory,
            lambda row: [normalize.inventory_key(row.inventory_number, norm)],
        ),
        ("barcode", by_barcode, lambda row: [normalize.barcode_key(row.barcode, norm)]),
    )
    for kind, index, keys_of in passes:
        for r, row in enumerate(work):
            room = needs[r] - len(taken[r])
            if room <= 0:
                continue
            hits = [
                a
                for k in keys_of(row)
                if k
                for a in index.get(k, ())
                if a not in owner and (r, a) not in rejected
            ]
            hits = list(dict.fromkeys(hits))
            if kind != "serial" and len(hits) > room:
                # One number on several free assets and no serial to tell them apart: which
                # one is a judgement, left to the fuzzy stage (it sees the number agree).
                continue
            for a in hits[:room]:
                owner[a] = r
                taken[r].append((a, kind))
    for r in [r for r, hits in taken.items() if not hits]:
        del taken[r]


def _complete_kits(
    work: list[BookRow],
    needs: list[int],
    assets: list[Asset],
    taken: dict[int, list[tuple[int, str]]],
    owner: dict[int, int],
    norm: NormalizeRules,
    rejected: Container[tuple[int, int]] = (),
) -> None:
    """A kit found by one key takes its free siblings: same kit id, or same model and site."""
    short = [r for r, hits in taken.items() if len(hits) < needs[r]]
    if not short:
        return
    by_kit: dict[str, list[int]] = defaultdict(list)
    by_model_site: dict[tuple[str, str], list[int]] = defaultdict(list)
    for a, asset in enumerate(assets):
        if asset.kit:
            by_kit[asset.kit].append(a)
        if asset.model:
            by_model_site[(asset.model, normalize.place_key(asset.location, norm))].append(a)
    for r in short:
        first = assets[taken[r][0][0]]
        siblings = by_kit.get(first.kit, []) if first.kit else []
        if not siblings and first.model:
            place = normalize.place_key(first.location, norm)
            siblings = by_model_site.get((first.model, place), [])
        for a in siblings:
            if len(taken[r]) >= needs[r]:
                break
            if a not in owner and (r, a) not in rejected:
                owner[a] = r
                taken[r].append((a, "kit"))


def _exact_detail(row: BookRow, asset: Asset, kind: str) -> str:
    book = {"serial": row.serial, "inventory_number": row.inventory_number}.get(kind, row.barcode)
    it = {"serial": asset.serial, "inventory_number": asset.inventory_number}.get(
        kind, asset.barcode if kind == "barcode" else asset.kit
    )
    return f"'{book}' = '{it}'"


def _fuzzy(
    work: list[BookRow],
    needs: list[int],
    assets: list[Asset],
    rest: list[int],
    free: list[int],
    rules: Rules,
    rejected: Container[tuple[int, int]] = (),
    labels: list[tuple[int, int, str]] | None = None,
) -> dict[int, RowMatch]:
    labels = labels or []
    if not rest or not free:
        return {}
    vocab = Vocabulary()
    # The inventory's manufacturer column is the vendor vocabulary of this run.
    norm = normalize.with_vendors(rules.normalize, (a.vendor for a in assets))
    books_f = book_features(work, needs, vocab, norm)
    assets_f = asset_features(assets, vocab, norm)
    index = build_index(assets_f, free, rules.matching.blocking)
    pr, pa = candidate_pairs(books_f, rest, index, rules.matching.blocking)
    # The n-gram neighbours guarantee every row candidates, whatever its spacing and case.
    nr, na = ngram_pairs(books_f, rest, assets_f, free, rules.matching.blocking.ngram_candidates)
    pr, pa = _union_pairs(np.concatenate([pr, nr]), np.concatenate([pa, na]))
    m = rules.matching
    pairs = score_pairs(books_f, assets_f, pr, pa, vocab.ids, m)
    weights = _learn(work, assets, labels, books_f, assets_f, vocab, m, pairs, len(rest), len(free))
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
    return _decide(work, needs, assets, pairs, rivals, assigned, rules, books_f, assets_f, weights)


def _learn(
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
    sr, sa = _same_model_pairs(books_f, assets_f, rng)
    same_u = score_pairs(books_f, assets_f, sr, sa, vocab.ids, rules).level
    exact = [i for i, lv in enumerate(rules.levels["model"]) if lv.outcome == "exact"]
    # Pairs found by a serial or number whose models agree. Not the pairs chosen BECAUSE a
    # unique model agreed (a catalogue's labels): what those show given the model is how
    # they were chosen.
    agree = np.isin(m_pairs.level["model"], exact) & (kinds != "model")
    same_m = {c: lv[agree] for c, lv in m_pairs.level.items()}
    return learn(
        rules, u_pairs.level, m_pairs.level, m_skip, candidates.level, prior, (same_u, same_m)
    )


def _same_model_pairs(
    books_f: Features, assets_f: Features, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random (row, asset) pairs sharing a model, at most U_SAMPLE. A model one row and one
    asset hold is left out: that pair is most likely the true one, not a sample of u."""
    empty = np.zeros(0, dtype=np.int64)
    size = int(max(books_f.model_id.max(initial=0), assets_f.model_id.max(initial=0))) + 1
    n_rows = np.bincount(books_f.model_id, minlength=size)
    n_assets = np.bincount(assets_f.model_id, minlength=size)
    pairs = (n_rows * n_assets).astype(np.float64)
    pairs[0] = 0.0  # no model
    pairs[(n_rows == 1) & (n_assets == 1)] = 0.0
    if pairs.sum() == 0:
        return empty, empty
    n = int(min(U_SAMPLE, pairs.sum()))
    model = rng.choice(size, size=n, p=pairs / pairs.sum())
    rows_by = np.argsort(books_f.model_id, kind="stable")
    assets_by = np.argsort(assets_f.model_id, kind="stable")
    row_start = np.concatenate(([0], np.cumsum(n_rows)[:-1]))
    asset_start = np.concatenate(([0], np.cumsum(n_assets)[:-1]))
    r = rows_by[row_start[model] + (rng.random(n) * n_rows[model]).astype(np.int64)]
    a = assets_by[asset_start[model] + (rng.random(n) * n_assets[model]).astype(np.int64)]
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


def _union_pairs(rows: np.ndarray, assets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (row, asset) once, ordered by row then asset (the order never depends on input)."""
    if not len(rows):
        return rows, assets
    both = np.unique(rows.astype(np.int64) * (1 << 31) + assets.astype(np.int64))
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
    weights: Weights | None = None,
) -> dict[int, RowMatch]:
    m = rules.matching
    by_row = _by_row(pairs)
    rivals_of_row = _by_row(rivals)
    # The two best rows for each asset (any rival pair), to see whether another row wants it
    # as much.
    best_other_row: dict[int, list[tuple[float, int]]] = defaultdict(list)  # asset -> (score,row)
    for p in np.argsort(-rivals.raw, kind="stable"):
        lst = best_other_row[int(rivals.assets[p])]
        if len(lst) < 2:
            lst.append((float(rivals.raw[p]), int(rivals.rows[p])))
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
                evidence=list(evidence(rivals, best, books_f, assets_f, m, weights)),
            )
    for r, group in by_row.items():
        mine = assigned.get(r, [])
        mine_set = set(mine)
        mine_assets = {int(pairs.assets[p]) for p in mine}
        ranked = [int(p) for p in group]
        listed = [*mine, *(p for p in ranked if p not in mine_set)]
        if mine:
            low = min(float(pairs.score[p]) for p in mine)
            # Margins on the unclamped sums: two pairs both clamped to 99 may differ by 20.
            low_raw = min(float(pairs.raw[p]) for p in mine)
            others = [
                float(rivals.raw[p])
                for p in rivals_of_row[r]
                if int(rivals.assets[p]) not in mine_assets
            ]
            runner = others[0] if others else 0.0
            for p in mine:
                for s, other in best_other_row[int(pairs.assets[p])]:
                    if other != r:
                        runner = max(runner, s)
                        break
            clear = low_raw - runner >= m.margin
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
            why = evidence(pairs, listed[0], books_f, assets_f, m, weights)
            out[r] = RowMatch(row=work[r], status=status, score=low, evidence=list(why))
            continue
        # Evidence in words only for the pairs a person will see: building it for every pair
        # listed took a sixth of the fuzzy stage on a product catalogue.
        candidates = [
            Candidate(
                assets[int(pairs.assets[p])].asset_id,
                float(pairs.score[p]),
                evidence(pairs, p, books_f, assets_f, m, weights),
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
