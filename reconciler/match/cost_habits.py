"""Where IT writes costs with VAT: learned per IT location from pairs the run already knows.

The books carry a fixed asset's cost without the VAT a company reclaims (ФСБУ 6/2020); one IT
office copies the invoice's total, VAT included, another the net price. Such a cost is the same
money: not a worse match, no COST_MISMATCH, and a monitor IT recorded at 43,440 with VAT cost
36,200, below the capitalisation threshold. Which offices write totals is not a setting: the
pairs the run is sure of (exact keys in matching, every matched pair in the checks) show it.
Only the habit a place shows is allowed for, never every rate at once: five windows of 1% in
which two prices may meet would make unrelated units at one site agree on price by chance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from typing import TypeVar

Place = TypeVar("Place", bound=Hashable)

SAME_MONEY = 0.01  # relative difference within which two costs are one price


def close(a: float, b: float, tolerance: float = SAME_MONEY) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def learn(
    pairs: Iterable[tuple[float, float, Place]],
    vat_rates: list[float],
    tolerance: float = SAME_MONEY,
) -> dict[Place, float]:
    """IT location -> how many times the books' cost IT writes there (1.2: with VAT; 1/1.2:
    the books hold VAT, as on the simplified system). `pairs`: (books' cost per unit, IT's
    cost, IT's location) of pairs known to be one unit. A place is listed where more of its
    pairs agree with that factor than as written."""
    factors = [1 + r for r in vat_rates] + [1 / (1 + r) for r in vat_rates]
    as_written: Counter[Place] = Counter()
    scaled: Counter[tuple[Place, float]] = Counter()
    for book, it, place in pairs:
        if not (book > 0 and it > 0):  # NaN and missing costs say nothing
            continue
        if close(book, it, tolerance):
            as_written[place] += 1
            continue
        for factor in factors:
            if close(book * factor, it, tolerance):
                scaled[(place, factor)] += 1
                break
    best: dict[Place, tuple[int, float]] = {}
    for (place, factor), n in scaled.items():
        best[place] = max(best.get(place, (0, factor)), (n, factor))
    return {place: factor for place, (n, factor) in best.items() if n > as_written[place]}
