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
    connected_components,
    dijkstra,
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


def clear_by(
    rows: np.ndarray,
    assets: np.ndarray,
    gains: np.ndarray,
    chosen: np.ndarray,
    asked: np.ndarray,
    margin: float,
) -> set[int]:
    """The asked pairs of an optimal assignment without which the best assignment gains at
    least `margin` less (the pair's max-marginal). Another pairing as good: fifty identical
    laptops, each row free to take another, are never clear. A runner-up asset held by a row
    that needs it is no rival: editions each taken by their own title are.

    `chosen` are the assignment's pair indices, `asked` a subset of them; `gains` > 0 are what
    `assign` maximised (leaving a row empty gains 0). The loss is the gain of the pair plus the
    shortest change in the residual graph (rows -> assets they could take, at minus the gain;
    assets -> the row holding them, at plus the gain): either a chain of moves from its row
    back to its asset, or a chain from its row to anywhere it may stop (a free asset, a row
    giving its asset up) plus a chain handing its asset to another row (one holding nothing,
    or one giving its own up) or to none.

    First the one-step alternatives (the row takes a free asset, a row holding nothing takes
    the pair's asset) rule most pairs out at no cost. The rest are solved per connected
    component by Johnson's method (heights by Bellman-Ford, then Dijkstra: the lengths are
    negative; the optimum leaves no negative cycle), within WORK_BUDGET: a pair left unsolved,
    or in a component showing a negative cycle (rounding), is not clear, as the margin rule
    alone would have it.
    """
    if len(asked) == 0:
        return set()
    row_ids, row_pos = np.unique(rows, return_inverse=True)
    asset_ids, asset_pos = np.unique(assets, return_inverse=True)
    n_r, n_a = len(row_ids), len(asset_ids)
    in_m = np.zeros(len(rows), bool)
    in_m[chosen] = True
    asset_held = np.zeros(n_a, bool)
    asset_held[asset_pos[chosen]] = True
    row_holds = np.zeros(n_r, bool)
    row_holds[row_pos[chosen]] = True
    # One step: the best gain of each row on a free asset, and on each asset of a row holding
    # nothing.
    free_best = np.full(n_r, -np.inf)
    to_free = ~asset_held[asset_pos]
    np.maximum.at(free_best, row_pos[to_free], gains[to_free])
    idle_best = np.full(n_a, -np.inf)
    from_idle = ~row_holds[row_pos]
    np.maximum.at(idle_best, asset_pos[from_idle], gains[from_idle])
    bound = gains[asked] - np.maximum(free_best[row_pos[asked]], idle_best[asset_pos[asked]])
    asked = asked[bound >= margin]
    if len(asked) == 0:
        return set()
    n = n_r + n_a
    src = np.where(in_m, n_r + asset_pos, row_pos)
    dst = np.where(in_m, row_pos, n_r + asset_pos)
    graph = csr_matrix((np.where(in_m, gains, -gains), (src, dst)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    # Each node's place within its component, the components' nodes side by side.
    by_component = np.argsort(label, kind="stable")
    first = np.searchsorted(label[by_component], np.arange(label.max() + 2))
    place = np.empty(n, np.int64)
    place[by_component] = np.arange(n) - first[label[by_component]]
    stops = np.concatenate([np.ones(n_r, bool), ~asset_held])  # rows, and assets nobody holds
    # Where a path from the pair's asset's side may start: an asset (taken by nobody then) or a
    # row holding nothing (which takes it).
    starts = np.concatenate([~row_holds, np.ones(n_a, bool)])
    clear: set[int] = set()
    work = 0
    comp_of = label[row_pos[asked]]
    for comp in np.unique(comp_of):
        nodes = by_component[first[comp] : first[comp + 1]]
        size = len(nodes)
        # The component, and one more node from which every start is reached at (almost) no
        # length: the paths that give the pair's asset to another row.
        begin = np.flatnonzero(starts[nodes])
        sub = graph[nodes][:, nodes].tocoo()
        src_c = np.concatenate([sub.row, np.full(len(begin), size)])
        dst_c = np.concatenate([sub.col, begin])
        length = np.concatenate([sub.data, np.full(len(begin), _NO_LENGTH)])
        height, spent = _potentials(src_c, dst_c, length, size + 1, WORK_BUDGET - work)
        work += spent
        if work > WORK_BUDGET:  # the rest keep the plain margin rule
            return clear
        if height is None:  # a negative cycle (rounding): this component's pairs are not clear
            continue
        # Johnson's reweighting: every length >= 0, so Dijkstra finds the same paths.
        reduced = np.maximum(length + height[src_c] - height[dst_c], 0.0) + _NO_LENGTH
        with_start = csr_matrix((reduced, (src_c, dst_c)), shape=(size + 1, size + 1))
        mine = asked[comp_of == comp]
        batch_size = max(1, _DISTANCES_AT_ONCE // size)
        for first_source in range(0, len(mine), batch_size):
            batch = mine[first_source : first_source + batch_size]
            work += (len(batch) + 1) * (len(reduced) + size)
            if work > WORK_BUDGET:
                return clear
            sources = np.array([*place[row_pos[batch]], size])
            dist = dijkstra(with_start, indices=sources)
            dist += height[None, :] - height[sources][:, None]
            own = place[n_r + asset_pos[batch]]
            mine_rows = np.arange(len(batch))
            # The row goes elsewhere (or nowhere) and another row takes its asset (or none
            # does); or one chain of moves takes the row's asset back to it.
            away = np.minimum(dist[mine_rows][:, :size][:, stops[nodes]].min(axis=1), 0.0)
            best = np.minimum(dist[mine_rows, own], away + dist[-1, own])
            clear.update(int(p) for p in batch[gains[batch] + best >= margin])
    return clear


def _potentials(
    src: np.ndarray, dst: np.ndarray, length: np.ndarray, n: int, budget: int
) -> tuple[np.ndarray | None, int]:
    """Bellman-Ford from a virtual node joined to every node at no length: a height per node
    with length + height[src] - height[dst] >= 0 on every edge (Johnson's reweighting), and
    the work it took. It stops as soon as a round changes nothing, which an optimal
    assignment's residual graph reaches in as many rounds as its longest chain of moves (the
    library's Johnson always runs n rounds: a component of 5,000 look-alikes took minutes).
    No heights on a negative cycle (rounding), or once the work passes `budget` (the work
    returned then says so).
    """
    height = np.zeros(n)
    order = np.argsort(dst, kind="stable")
    src, dst, length = src[order], dst[order], length[order]
    targets, first = np.unique(dst, return_index=True)
    work = 0
    for _ in range(n + 1):
        work += len(length) + n
        if work > budget:
            return None, work
        best_in = np.minimum.reduceat(height[src] + length, first) if len(first) else first
        lower = best_in < height[targets] - _ROUNDING
        if not lower.any():
            return height, work
        height[targets[lower]] = best_in[lower]
    return None, work


# Shortest-path work (sources x edges) one run may spend on max-marginals: 30M is about a
# second; a register of thousands of look-alike lines beyond it keeps the plain margin rule.
WORK_BUDGET = 30_000_000
_DISTANCES_AT_ONCE = 2_000_000  # floats in one distance matrix (16 MB)
_NO_LENGTH = 1e-9  # an edge of no length (a sparse graph drops zeros)
_ROUNDING = 1e-9  # a height lower by less than this is the same height
