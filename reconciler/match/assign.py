"""One-to-one assignment of assets to rows over all candidate pairs at once.

Optimal, not first-come greedy: the pairing with the largest total of (score - floor) wins, so a
row never takes an asset that another row needs more. A row that may take N assets (a kit)
enters as N slots. Every slot also has a private "nothing" column costing as much as a pair at
the floor, so a full matching always exists and leaving a row empty is always allowed. The
problem is sparse (only candidate pairs are edges): scipy's LAPJVsp solves it directly.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import (
    NegativeCycleError,
    connected_components,
    johnson,
    min_weight_full_bipartite_matching,
)

# Components up to this many cells are solved densely (faster for small problems).
_DENSE_CELLS = 40_000


def assign(
    rows: np.ndarray,
    assets: np.ndarray,
    scores: np.ndarray,
    slots: dict[int, int],
    floor: float,
) -> dict[int, list[int]]:
    """row -> the pair indices (into rows/assets/scores) assigned to it.

    `slots[row]` is how many assets the row may take (1 when absent). Pairs are given in a
    deterministic order; ties are broken by that order.
    """
    result: dict[int, list[int]] = {}
    if len(rows) == 0:
        return result
    row_ids, row_pos = np.unique(rows, return_inverse=True)
    asset_ids, asset_pos = np.unique(assets, return_inverse=True)
    n_r, n_a = len(row_ids), len(asset_ids)
    graph = coo_matrix(
        (np.ones(len(rows)), (row_pos, n_r + asset_pos)), shape=(n_r + n_a, n_r + n_a)
    )
    n_comp, label = connected_components(graph, directed=False)
    pair_comp = label[row_pos]
    order = np.argsort(pair_comp, kind="stable")
    bounds = np.searchsorted(pair_comp[order], np.arange(n_comp + 1))
    for c in range(n_comp):
        members = order[bounds[c] : bounds[c + 1]]
        if len(members) == 0:
            continue
        for pair, row in _solve(members, row_pos, asset_pos, row_ids, scores, slots, floor):
            result.setdefault(row, []).append(pair)
    return result


def _solve(
    members: np.ndarray,
    row_pos: np.ndarray,
    asset_pos: np.ndarray,
    row_ids: np.ndarray,
    scores: np.ndarray,
    slots: dict[int, int],
    floor: float,
) -> list[tuple[int, int]]:
    if len(members) == 1:
        p = int(members[0])
        return [(p, int(row_ids[row_pos[p]]))]
    comp_rows, local_row = np.unique(row_pos[members], return_inverse=True)
    comp_assets, local_asset = np.unique(asset_pos[members], return_inverse=True)
    # Slots: row k of the component occupies slot rows start[k] .. start[k] + n_k - 1.
    n_slots = np.array([slots.get(int(row_ids[r]), 1) for r in comp_rows], dtype=np.int64)
    n_slots = np.minimum(n_slots, len(comp_assets))
    start = np.concatenate(([0], np.cumsum(n_slots)[:-1]))
    total_slots = int(n_slots.sum())
    gain = scores[members] - floor + 1.0  # > 0 for every candidate pair
    slot_of_pair = np.repeat(start[local_row], n_slots[local_row])
    offsets = np.concatenate([np.arange(k) for k in n_slots[local_row]])
    pair_rep = np.repeat(np.arange(len(members)), n_slots[local_row])
    slot_idx = slot_of_pair + offsets
    asset_col = local_asset[pair_rep]
    n_cols = len(comp_assets)
    if total_slots * (n_cols + total_slots) <= _DENSE_CELLS:
        cost = np.full((total_slots, n_cols + total_slots), np.inf)
        cost[slot_idx, asset_col] = -gain[pair_rep]
        cost[np.arange(total_slots), n_cols + np.arange(total_slots)] = 0.0
        rr, cc = linear_sum_assignment(cost)
    else:
        # Sparse: costs must be positive (zero means "no edge"); shift by the largest gain.
        top = float(gain.max()) + 1.0
        data = np.concatenate([top - gain[pair_rep], np.full(total_slots, top)])
        r_idx = np.concatenate([slot_idx, np.arange(total_slots)])
        c_idx = np.concatenate([asset_col, n_cols + np.arange(total_slots)])
        matrix = coo_matrix(
            (data, (r_idx, c_idx)), shape=(total_slots, n_cols + total_slots)
        ).tocsr()
        rr, cc = min_weight_full_bipartite_matching(matrix)
    slot_row = np.repeat(np.arange(len(comp_rows)), n_slots)
    pair_at = {
        (int(slot_idx[k]), int(asset_col[k])): int(members[pair_rep[k]])
        for k in range(len(slot_idx))
    }
    out: list[tuple[int, int]] = []
    for s, col in zip(rr, cc, strict=True):
        if col >= n_cols:
            continue
        pair = pair_at.get((int(s), int(col)))
        if pair is not None:
            out.append((pair, int(row_ids[comp_rows[slot_row[s]]])))
    return out


def losses_without(
    rows: np.ndarray,
    assets: np.ndarray,
    gains: np.ndarray,
    chosen: np.ndarray,
    asked: np.ndarray,
) -> dict[int, float]:
    """For each asked pair of an optimal assignment: how much less the best assignment that
    does without it gains (its max-marginal). Zero when another pairing is as good: fifty
    identical laptops, each row free to take another. Large when the runner-up asset is held by
    a row that needs it: editions each taken by their own title.

    `chosen` are the assignment's pair indices, `asked` a subset of them; `gains` > 0 are what
    `assign` maximised (leaving a row empty gains 0). The loss is the gain of the pair plus the
    shortest alternating path from its row, in the residual graph (rows -> assets they could
    take, at minus the gain; assets -> the row holding them, at plus the gain), to anywhere the
    path may stop: a free asset, the pair's own asset, or a row giving its asset up. Solved per
    connected component (Johnson's shortest paths: the lengths are negative, the optimum leaves
    no negative cycle). A pair whose component shows one (rounding) is left out.
    """
    out: dict[int, float] = {}
    if len(asked) == 0:
        return out
    row_ids, row_pos = np.unique(rows, return_inverse=True)
    asset_ids, asset_pos = np.unique(assets, return_inverse=True)
    n_r = len(row_ids)
    n = n_r + len(asset_ids)
    in_m = np.zeros(len(rows), bool)
    in_m[chosen] = True
    src = np.where(in_m, n_r + asset_pos, row_pos)
    dst = np.where(in_m, row_pos, n_r + asset_pos)
    length = np.where(in_m, gains, -gains)
    graph = csr_matrix((length, (src, dst)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    held = np.zeros(n, bool)
    held[n_r + asset_pos[chosen]] = True
    for comp in np.unique(label[row_pos[asked]]):
        nodes = np.flatnonzero(label == comp)
        local = np.full(n, -1)
        local[nodes] = np.arange(len(nodes))
        sub = graph[nodes][:, nodes]
        stops = (nodes < n_r) | ~held[nodes]  # rows, and assets nobody holds
        mine = [int(p) for p in asked if label[row_pos[p]] == comp]
        for start in range(0, len(mine), _SOURCES_AT_ONCE):
            batch = mine[start : start + _SOURCES_AT_ONCE]
            try:
                dist = johnson(sub, indices=local[row_pos[batch]])
            except NegativeCycleError:
                break
            for k, p in enumerate(batch):
                own = dist[k, local[n_r + asset_pos[p]]]
                best = min(0.0, float(dist[k, stops].min()), float(own))
                out[p] = float(gains[p]) + best
    return out


_SOURCES_AT_ONCE = 64  # rows whose paths are solved together: bounds the distance matrix
