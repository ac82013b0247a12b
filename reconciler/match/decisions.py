"""The active decisions of one folder, in the shapes matching and checks ask for.

A typed value handed to the matcher (decisions/store.py loads it from the ledger): matching
knows what a decision means, not where decisions are kept.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from reconciler.ledger.findings import book_key
from reconciler.models import CONFIRMING, BookRow, Decision, DecisionKind


@dataclass
class DecisionSet:
    confirmed: dict[str, list[Decision]] = field(default_factory=dict)  # book key -> decisions
    rejected: dict[tuple[str, str], Decision] = field(default_factory=dict)  # (key, asset)
    accepted: dict[str, Decision] = field(default_factory=dict)  # finding identity -> decision
    _rejected_by_key: dict[str, list[str]] | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return bool(self.confirmed or self.rejected or self.accepted)

    def confirmed_for(self, row: BookRow) -> list[Decision]:
        return self.confirmed.get(book_key(row), [])

    def rejected_for(self, row: BookRow) -> list[str]:
        if not self.rejected:
            return []
        if self._rejected_by_key is None:
            by_key: dict[str, list[str]] = defaultdict(list)
            for key, asset_id in self.rejected:
                by_key[key].append(asset_id)
            self._rejected_by_key = dict(by_key)
        return self._rejected_by_key.get(book_key(row), [])

    @classmethod
    def of(cls, decisions: list[Decision]) -> DecisionSet:
        out = cls()
        confirmed: dict[str, list[Decision]] = defaultdict(list)
        for d in decisions:
            if d.revoked_at is not None:
                continue
            if d.kind in CONFIRMING and d.book_key and d.asset_id:
                confirmed[d.book_key].append(d)
            elif d.kind == DecisionKind.REJECT and d.book_key and d.asset_id:
                out.rejected[(d.book_key, d.asset_id)] = d
            elif d.kind == DecisionKind.ACCEPT and d.finding_identity:
                out.accepted[d.finding_identity] = d
        out.confirmed = dict(confirmed)
        return out
