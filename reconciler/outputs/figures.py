"""The counts and sums every report shows, computed once from a RunResult.

The annotated workbook's summary sheet, the discrepancy workbook, report.html and the email
summary all show these same numbers, so they come from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from reconciler.match.place_keys import person_key, place_key
from reconciler.models import Asset, BookRow, Finding, RowStatus, RunResult
from reconciler.text.report import labels


@dataclass
class Group:
    """Findings sharing one value (a code, a location, a custodian)."""

    key: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def amount(self) -> Decimal:
        return sum((f.amount for f in self.findings if f.amount is not None), Decimal(0))


@dataclass
class Figures:
    rows: int
    by_status: dict[str, int]  # matched, review, unmatched (every key present)
    assets: int
    assets_not_on_books: int
    findings: int  # discrepancies: what someone has to fix
    value_at_stake: Decimal
    by_code: list[Group]  # discrepancies by code, most first
    notes: int  # findings that need no fix (Finding.is_note), counted apart
    notes_by_kind: list[Group]  # NOTE key: a note code, or ACCEPTED for accepted findings
    by_location: list[Group]
    by_custodian: list[Group]


def _grouped(
    findings: list[Finding], shown: dict[int, str], key: Callable[[str], str] = str
) -> list[Group]:
    """Group by key(shown value); a group is named by its most frequent spelling.

    "Москва, офис, 5 этаж", "Москва офис 5 этаж" and "МОСКВА, ОФИС, 5 ЭТАЖ" are one place, and
    "Данилова Е.Ю." one person with "Е.Ю. Данилова": the charts would otherwise split them.
    """
    members: dict[str, list[Finding]] = {}
    spellings: dict[str, Counter[str]] = {}
    for f in findings:
        text = shown.get(id(f), "")
        k = key(text) or text
        members.setdefault(k, []).append(f)
        spellings.setdefault(k, Counter())[text] += 1
    groups = [Group(spellings[k].most_common(1)[0][0], fs) for k, fs in members.items()]
    return sorted(groups, key=lambda g: (-g.count, g.key))


def value_at_stake(findings: list[Finding]) -> Decimal:
    """The value of the rows and assets in question, each counted once; notes never count.

    A row with a cost and a kit finding is one asset of one value, not two: summing every
    finding's amount made the total larger than the register. Each row (or IT asset on no
    row) counts with the largest amount among its findings.
    """
    largest: dict[tuple[str, int] | str, Decimal] = {}
    for f in findings:
        if f.amount is None or f.is_note:
            continue
        key: tuple[str, int] | str = (
            (f.sheet or "", f.row) if f.row is not None else (f.asset_id or f"#{id(f)}")
        )
        largest[key] = max(largest.get(key, f.amount), f.amount)
    return sum(largest.values(), Decimal(0))


def findings_with_sources(
    result: RunResult,
) -> Iterator[tuple[Finding, BookRow | None, Asset | None]]:
    """Each finding with the register row and the IT asset it is about (None: it names none)."""
    rows = {m.row.key: m.row for m in result.match.rows}
    assets = result.inventory.by_id()
    for f in result.findings:
        yield f, rows.get((f.sheet or "", f.row or 0)), assets.get(f.asset_id or "")


ACCEPTED = "ACCEPTED"  # the notes group of accepted findings, whatever their codes


def note_kind(f: Finding) -> str:
    return ACCEPTED if f.accepted else f.code


def row_fill_key(status: RowStatus, found: list[Finding]) -> str:
    """The fill of a register row's added cells (xlsx_writer.FILLS), from what it needs.

    A row whose findings are all accepted shows as accepted, not red or orange: the reviewer's
    decision is visible where the accountant looks. Notes alone leave a matched row green.
    """
    if found and all(f.accepted for f in found):
        return "accepted"
    if status is RowStatus.MATCHED and any(not f.is_note for f in found):
        return "has_findings"
    return str(status)


def run_figures(result: RunResult, language: str) -> Figures:
    """The figures of one run, computed once: pipeline hands them to every output (the two
    summary sheets, report.html, results.json) instead of each computing its own."""
    return compute_figures(result, labels(language)["summary"]["unknown"])


def compute_figures(result: RunResult, unknown: str = "") -> Figures:
    """`unknown` names the group of findings whose row or asset states no location/custodian."""
    statuses = Counter(str(m.status) for m in result.match.rows)
    location: dict[int, str] = {}
    custodian: dict[int, str] = {}
    discrepancies = [f for f in result.findings if not f.is_note]
    notes = [f for f in result.findings if f.is_note]
    for f, row, asset in findings_with_sources(result):
        place = (row.location if row else None) or (asset.location if asset else None)
        person = (row.custodian if row else None) or (asset.custodian if asset else None)
        location[id(f)] = (place or unknown).strip()
        custodian[id(f)] = (person or unknown).strip()
    return Figures(
        rows=len(result.match.rows),
        by_status={s.value: statuses.get(s.value, 0) for s in RowStatus},
        assets=len(result.inventory.assets),
        assets_not_on_books=len(result.match.unmatched_asset_ids),
        findings=len(discrepancies),
        value_at_stake=value_at_stake(discrepancies),
        by_code=_grouped(discrepancies, {id(f): f.code for f in discrepancies}),
        notes=len(notes),
        notes_by_kind=_grouped(notes, {id(f): note_kind(f) for f in notes}),
        by_location=_grouped(discrepancies, location, place_key),
        by_custodian=_grouped(discrepancies, custodian, person_key),
    )
