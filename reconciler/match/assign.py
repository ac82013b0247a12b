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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

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
