"""The figures of an audit pack, computed from the ledger (read only).

A department's runs (runs.folder) form one series. A finding identity (findings.identity,
stable across runs) is open from the first complete run of its series where it appears until
the first later complete run where it no longer appears; if it comes back later, that is a new
episode. Only complete runs count: a failed or quarantined run says nothing about what was
fixed. The history before the period counts too (a finding first seen in March is still
"opened in March" in a June audit), but nothing after the period's end: the pack shows the
state as it was at --to.

An episode whose latest occurrence a reviewer accepted as a known exception is counted apart:
never as opened, resolved or open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from reconciler.ledger import files as ledger_files
from reconciler.ledger import findings as ledger_findings
from reconciler.ledger import runs as ledger_runs
from reconciler.ledger.db import Ledger
from reconciler.match import place_keys
from reconciler.models import FindingCode

SURPLUS = FindingCode.MISSING_IN_BOOKS  # in IT, not on the books (излишки)
SHORTAGE = FindingCode.MISSING_IN_INVENTORY  # on the books, not found by IT (недостачи)
CENT = Decimal("0.01")
COUNTS = (
    "runs",
    "runs_complete",
    "runs_failed",
    "runs_quarantined",
    "files",
    "rows",
    "matched",
    "review",
    "unmatched",
)


def money(value: float | None) -> Decimal | None:
    # SQLite REAL -> exact cents, so sums in the pack add up to what people check by hand.
    return None if value is None else Decimal(str(value)).quantize(CENT)


def total(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0)).quantize(CENT)


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive

    def __contains__(self, when: datetime | date) -> bool:
        day = when.date() if isinstance(when, datetime) else when
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Run:
    id: str
    folder: str
    started_at: datetime
    outcome: str
    rows: int
    matched: int
    review: int
    unmatched: int


@dataclass(frozen=True)
class Occurrence:
    """One finding row of one run."""

    run_id: str
    identity: str
    code: str
    severity: str
    message: str
    sheet: str | None
    row: int | None
    asset_id: str | None
    inventory_number: str | None
    serial: str | None
    location: str | None
    custodian: str | None
    amount: Decimal | None
    accepted: bool


@dataclass
class Episode:
    """One identity from the run that opened it to the run that no longer had it."""

    folder: str
    identity: str
    first_seen: datetime
    first_run: str
    last: Occurrence  # the latest occurrence up to the period's end: what is shown
    runs_seen: int = 1
    resolved_at: datetime | None = None
    resolved_run: str | None = None

    @property
    def code(self) -> str:
        return self.last.code

    @property
    def amount(self) -> Decimal | None:
        return self.last.amount

    @property
    def accepted(self) -> bool:
        return self.last.accepted

    def age_days(self, at: date) -> int:
        """Days from the run that first saw it to `at` (the period's end)."""
        return (at - self.first_seen.date()).days


@dataclass
class Department:
    """One series (or, with folder None, all of them together)."""

    folder: str | None
    runs: int = 0  # started in the period, any outcome
    runs_complete: int = 0
    runs_failed: int = 0
    runs_quarantined: int = 0
    files: int = 0  # received in the period
    rows: int = 0  # over complete runs
    matched: int = 0
    review: int = 0
    unmatched: int = 0
    opened: list[Episode] = field(default_factory=list)
    resolved: list[Episode] = field(default_factory=list)
    still_open: list[Episode] = field(default_factory=list)
    accepted: list[Episode] = field(default_factory=list)

    @property
    def match_rate(self) -> float | None:
        """Matched rows as a percentage of rows reconciled, one decimal."""
        return None if not self.rows else round(100 * self.matched / self.rows, 1)

    @property
    def open_value(self) -> Decimal:
        return total(e.amount for e in self.still_open)

    @property
    def opened_value(self) -> Decimal:
        return total(e.amount for e in self.opened)

    @property
    def resolved_value(self) -> Decimal:
        return total(e.amount for e in self.resolved)


@dataclass
class Breakdown:
    """Opened / resolved / still open for one code, location or custodian."""

    key: str | None
    opened: int = 0
    opened_value: Decimal = Decimal("0.00")
    resolved: int = 0
    resolved_value: Decimal = Decimal("0.00")
    still_open: int = 0
    open_value: Decimal = Decimal("0.00")
    oldest_days: int | None = None  # age of the oldest still open


@dataclass
class ComparisonLine:
    """One line of the comparison statement (in the spirit of INV-18)."""

    folder: str
    location: str | None
    custodian: str | None
    surplus_count: int = 0
    surplus_value: Decimal = Decimal("0.00")
    shortage_count: int = 0
    shortage_value: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class TrendPoint:
    folder: str
    run_id: str
    started_at: datetime
    open_findings: int  # distinct identities of that run not accepted


@dataclass
class AuditFigures:
    period: Period
    folder: str | None  # the --folder filter, None for all
    departments: list[Department]
    overall: Department
    by_code: list[Breakdown]
    by_location: list[Breakdown]
    by_custodian: list[Breakdown]
    comparison: list[ComparisonLine]
    trend: list[TrendPoint]

    @property
    def comparison_totals(self) -> ComparisonLine:
        line = ComparisonLine(folder="", location=None, custodian=None)
        for c in self.comparison:
            line.surplus_count += c.surplus_count
            line.surplus_value += c.surplus_value
            line.shortage_count += c.shortage_count
            line.shortage_value += c.shortage_value
        return line


# --- reading the ledger -------------------------------------------------------------------


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def read_runs(conn: Ledger, end: date, folder: str | None) -> list[Run]:
    """Every run started on or before `end` (the history matters), oldest first."""
    return [
        Run(
            id=r.id,
            folder=r.folder,
            started_at=_when(r.started_at),
            outcome=r.outcome,
            rows=r.rows or 0,
            matched=r.matched or 0,
            review=r.review or 0,
            unmatched=r.unmatched or 0,
        )
        for r in ledger_runs.runs_until(conn, end.isoformat(), folder)
    ]


def read_occurrences(conn: Ledger, run_ids: list[str]) -> dict[str, list[Occurrence]]:
    found: dict[str, list[Occurrence]] = defaultdict(list)
    for r in ledger_findings.findings_of_runs(conn, run_ids):
        found[r.run_id].append(
            Occurrence(
                run_id=r.run_id,
                identity=r.identity,
                code=r.code,
                severity=r.severity,
                message=r.message,
                sheet=r.sheet,
                row=r.row,
                asset_id=r.asset_id,
                inventory_number=r.inventory_number,
                serial=r.serial,
                location=r.location,
                custodian=r.custodian,
                amount=money(r.amount),
                accepted=r.accepted,
            )
        )
    return found


def count_files(conn: Ledger, period: Period, folder: str | None) -> dict[str, int]:
    return ledger_files.count_by_folder(
        conn, period.start.isoformat(), period.end.isoformat(), folder
    )


# --- the figures --------------------------------------------------------------------------


def episodes_of_series(runs: list[Run], found: dict[str, list[Occurrence]]) -> list[Episode]:
    """Walk one department's complete runs in order; open, extend and close episodes."""
    open_now: dict[str, Episode] = {}
    done: list[Episode] = []
    for run in runs:
        if run.outcome != "complete":
            continue
        seen = {o.identity: o for o in found.get(run.id, [])}
        for identity, episode in list(open_now.items()):
            if identity not in seen:
                episode.resolved_at, episode.resolved_run = run.started_at, run.id
                done.append(open_now.pop(identity))
        for identity, occurrence in seen.items():
            if identity in open_now:
                open_now[identity].runs_seen += 1
                open_now[identity].last = occurrence
            else:
                open_now[identity] = Episode(
                    folder=run.folder,
                    identity=identity,
                    first_seen=run.started_at,
                    first_run=run.id,
                    last=occurrence,
                )
    return done + list(open_now.values())


def _breakdown(
    episodes_by_kind: dict[str, list[Episode]], key: Callable[[Episode], str | None], end: date
) -> list[Breakdown]:
    rows: dict[str | None, Breakdown] = {}
    for kind, episodes in episodes_by_kind.items():
        for e in episodes:
            b = rows.setdefault(key(e), Breakdown(key=key(e)))
            amount = e.amount or Decimal(0)
            if kind == "opened":
                b.opened += 1
                b.opened_value += amount
            elif kind == "resolved":
                b.resolved += 1
                b.resolved_value += amount
            else:
                b.still_open += 1
                b.open_value += amount
                b.oldest_days = max(b.oldest_days or 0, e.age_days(end))
    return sorted(rows.values(), key=lambda b: (-b.open_value, -b.still_open, b.key or ""))


class _People:
    """One person, one line: 'Данилова Е. Ю.', 'Данилова Е.Ю.', 'Данилова Елена Юрьевна' and
    'Е.Ю. Данилова' are one key (the person key matching uses), shown as its fullest spelling."""

    def __init__(self, episodes: Iterable[Episode]) -> None:
        spellings: dict[str, set[str]] = defaultdict(set)
        for e in episodes:
            if e.last.custodian and e.last.custodian.strip():
                spellings[place_keys.person_key(e.last.custodian)].add(e.last.custodian.strip())
        # The longest spelling says the most ('Данилова Елена Юрьевна'); ties: the first in order.
        self.shown = {k: sorted(v, key=lambda n: (-len(n), n))[0] for k, v in spellings.items()}

    def of(self, name: str | None) -> str | None:
        if not name or not name.strip():
            return None
        return self.shown.get(place_keys.person_key(name), name.strip())


def _comparison(open_episodes: list[Episode], people: _People) -> list[ComparisonLine]:
    lines: dict[tuple[str, str | None, str | None], ComparisonLine] = {}
    for e in open_episodes:
        if e.code not in (SURPLUS, SHORTAGE):
            continue
        k = (e.folder, e.last.location, people.of(e.last.custodian))
        line = lines.setdefault(k, ComparisonLine(*k))
        if e.code == SURPLUS:
            line.surplus_count += 1
            line.surplus_value += e.amount or Decimal(0)
        else:
            line.shortage_count += 1
            line.shortage_value += e.amount or Decimal(0)
    return sorted(lines.values(), key=lambda c: (c.folder, c.location or "", c.custodian or ""))


def compute_audit(conn: Ledger, period: Period, folder: str | None = None) -> AuditFigures:
    """Every figure of the pack for `period`, optionally for one department only."""
    runs = read_runs(conn, period.end, folder)
    found = read_occurrences(conn, [r.id for r in runs if r.outcome == "complete"])
    files = count_files(conn, period, folder)
    series: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        series[run.folder].append(run)
    for name in files:
        series.setdefault(name, [])

    departments: list[Department] = []
    trend: list[TrendPoint] = []
    for name in sorted(series):
        d = Department(folder=name, files=files.get(name, 0))
        for run in series[name]:
            if run.started_at not in period:
                continue
            d.runs += 1
            if run.outcome == "complete":
                d.runs_complete += 1
                d.rows += run.rows
                d.matched += run.matched
                d.review += run.review
                d.unmatched += run.unmatched
                # Distinct identities, as episodes count them: two duplicate rows sharing an
                # inventory number are one DUPLICATE_ON_BOOKS identity.
                open_count = len({o.identity for o in found.get(run.id, []) if not o.accepted})
                trend.append(TrendPoint(name, run.id, run.started_at, open_count))
            elif run.outcome == "failed":
                d.runs_failed += 1
            elif run.outcome == "quarantined":
                d.runs_quarantined += 1
        for e in episodes_of_series(series[name], found):
            if e.resolved_at is None and e.accepted:
                d.accepted.append(e)
                continue
            if e.accepted:
                continue  # resolved after being accepted: neither a fix nor an open item
            if e.first_seen in period:
                d.opened.append(e)
            if e.resolved_at is None:
                d.still_open.append(e)
            elif e.resolved_at in period:
                d.resolved.append(e)
        for kind in (d.opened, d.resolved, d.still_open, d.accepted):
            kind.sort(key=lambda e: (e.first_seen, e.code, e.identity))
        departments.append(d)

    overall = Department(folder=None)
    for d in departments:
        for name in COUNTS:
            setattr(overall, name, getattr(overall, name) + getattr(d, name))
        overall.opened += d.opened
        overall.resolved += d.resolved
        overall.still_open += d.still_open
        overall.accepted += d.accepted

    kinds = {"opened": overall.opened, "resolved": overall.resolved, "open": overall.still_open}
    people = _People(e for episodes in kinds.values() for e in episodes)
    return AuditFigures(
        period=period,
        folder=folder,
        departments=departments,
        overall=overall,
        by_code=_breakdown(kinds, lambda e: e.code, period.end),
        by_location=_breakdown(kinds, lambda e: e.last.location, period.end),
        by_custodian=_breakdown(kinds, lambda e: people.of(e.last.custodian), period.end),
        comparison=_comparison(overall.still_open, people),
        trend=sorted(trend, key=lambda p: (p.started_at, p.folder)),
    )
