"""Where IT writes costs with VAT: learned per place from pairs the run already knows.

The books carry a fixed asset's cost without the VAT a company reclaims (ФСБУ 6/2020); one IT
office copies the invoice's total, VAT included, another the net price. Such a cost is the same
money: not a worse match, no COST_MISMATCH, and a monitor IT recorded at 43,440 with VAT cost
36,200, below the capitalisation threshold. Which offices write totals is not a setting: the
pairs the run is sure of (exact keys in matching, every matched pair in the checks) show it,
per place the books hold the unit at (where it was bought: IT's location moves with the unit,
the cost its first office wrote does not).
Only the habit a place shows is allowed for, never every rate at once: five windows of 1% in
which two prices may meet would make unrelated units at one site agree on price by chance.
"""

from __future__ import annotations

import numpy as np

SAME_MONEY = 0.01  # relative difference within which two costs are one price


def close(a: float, b: float, tolerance: float = SAME_MONEY) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def learn(
    book: np.ndarray,
    it: np.ndarray,
    place: np.ndarray,
    vat_rates: list[float],
    tolerance: float = SAME_MONEY,
) -> dict[int, float]:
    """Place code -> how many times the books' cost IT writes there (1.2: with VAT; 1/1.2:
    the books hold VAT, as on the simplified system). Per pair known to be one unit: the
    books' cost per unit, IT's cost (NaN where missing), and a code for the books' place. A
    place is listed where more of its pairs agree with that factor than as written."""
    factors = [1.0] + [1 + r for r in vat_rates] + [1 / (1 + r) for r in vat_rates]
    which = np.full(len(book), -1, dtype=np.int64)  # the first factor each pair agrees with
    with np.errstate(invalid="ignore"):
        known = (book > 0) & (it > 0)  # NaN and missing costs say nothing
        for j, factor in enumerate(factors):
            scaled = book * factor
            agree = np.abs(scaled - it) <= tolerance * np.maximum(scaled, it)
            which[known & agree & (which < 0)] = j
    seen = which >= 0
    pairs, counts = np.unique(np.stack([place[seen], which[seen]]), axis=1, return_counts=True)
    as_written: dict[int, int] = {}
    best: dict[int, tuple[int, int]] = {}  # place -> (pairs, factor index)
    for (p, j), n in zip(pairs.T.tolist(), counts.tolist(), strict=True):
        if j == 0:
            as_written[p] = n
        else:
            best[p] = max(best.get(p, (0, j)), (n, j))
    return {p: factors[j] for p, (n, j) in best.items() if n > as_written.get(p, 0)}
