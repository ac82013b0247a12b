"""The typed values that flow between stages, in the order they flow.

sheets/layout -> Register (BookRow)      inventory -> Inventory (Asset)
match         -> MatchResult (RowMatch)  checks    -> list[Finding]
pipeline      -> RunResult (everything above plus the run folder)

Stages never pass loose dicts. Row numbers are Excel's own (1-based), sheet names as in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

# --- the accounting register -------------------------------------------------------------

BOOK_FIELDS = (
    "inventory_number",
    "name",
    "vendor",
    "model",
    "serial",
    "barcode",
    "quantity",
    "cost",
    "book_value",
    "acquired_on",
    "useful_life_months",
    "location",
    "custodian",
    "account",
)


@dataclass(frozen=True)
class SheetInfo:
    """Where the table sits on one sheet of the register."""

    name: str
    header_row: int  # first row of the header (Excel numbering)
    header_end_row: int  # last row that is header, a second header row or the 1-2-3 numbering row
    columns: dict[str, int]  # canonical field -> 1-based column index
    headers: dict[int, str]  # 1-based column index -> header text as shown (merged rows joined)
    max_column: int  # last used column; annotation adds columns after it
    max_row: int


@dataclass(slots=True)  # 100k rows are held through the whole run: ~90 bytes less each
class BookRow:
    """One data row of the register, values parsed; `extra` keeps every other column."""

    sheet: str
    row: int
    inventory_number: str | None = None
    name: str | None = None
    # a column of their own in some registers (SAP's manufacturer and type name): matching
    # reads them with the name
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None  # the cell as written; may list several serials
    barcode: str | None = None
    quantity: int = 1
    cost: Decimal | None = None  # initial (historical) cost of the whole line
    book_value: Decimal | None = None  # residual value
    acquired_on: date | None = None
    useful_life_months: int | None = None
    location: str | None = None
    custodian: str | None = None  # materially responsible person (МОЛ)
    account: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # header text -> value

    @property
    def key(self) -> tuple[str, int]:
        return (self.sheet, self.row)


@dataclass(frozen=True)
class ReadingNote:
    """Something reading decided or could not read (a guessed encoding, dates read month first,
    a cell left empty): said in the run's warnings in the report's language
    (text/reading_notes.py); str() is the English line."""

    code: str
    params: dict[str, Any]
    english: str

    def __str__(self) -> str:
        return self.english


@dataclass
class Register:
    """A whole accounting export as read."""

    path: Path
    file_name: str  # as the user gave or dropped it (no folders)
    sha256: str
    format: str  # xlsx, xlsm, xls, ods, csv, html (saved as .xls), xml (XML Spreadsheet 2003)
    sheets: list[SheetInfo]
    rows: list[BookRow]
    report_date: date | None = None  # from a title such as "на 30.09.2026"
    # The texts above the header (organisation, report name, 1C's "Параметры: ..."): the
    # scope of a register may be named there (checks/scope.py).
    title: list[str] = field(default_factory=list)
    # What the reader decided or could not read, for the run's warnings: the encoding it
    # guessed, a date column read month first, cells left empty with their row.
    warnings: list[ReadingNote] = field(default_factory=list)


# --- the IT inventory --------------------------------------------------------------------


class AssetStatus(StrEnum):
    IN_SERVICE = "in_service"
    IN_STOCK = "in_stock"
    REPAIR = "repair"
    DISPOSED = "disposed"
    UNKNOWN = "unknown"


@dataclass(slots=True)  # as BookRow: 150k assets held through the whole run
class Asset:
    """One IT inventory record in canonical form."""

    asset_id: str
    inventory_number: str | None = None  # asset tag
    serial: str | None = None
    barcode: str | None = None
    hostname: str | None = None
    vendor: str | None = None
    model: str | None = None
    name: str | None = None
    category: str | None = None
    cpu: str | None = None
    ram: str | None = None
    storage: str | None = None
    ip: str | None = None
    location: str | None = None
    rack: str | None = None
    custodian: str | None = None
    status: AssetStatus = AssetStatus.UNKNOWN
    status_raw: str | None = None
    warranty_until: date | None = None
    purchased_on: date | None = None
    purchase_cost: Decimal | None = None
    kit: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InventorySnapshot:
    """Which inventory a run used: recorded in the ledger and results.json, so a finding can
    be traced to the data it was made from."""

    kind: str  # inventory.source: file, sqlite, agent-files, snipeit, netbox, glpi
    source: str  # path or URL
    fetched_at: str  # ISO 8601 UTC: when it was read or fetched
    assets: int
    sha256: str  # of the records as read (fields and extra), stable across re-reads
    reused: bool = False  # the fetch failed and the last good snapshot stood in


@dataclass
class Inventory:
    source: str  # path or URL, for reports
    assets: list[Asset]
    warnings: list[ReadingNote] = field(default_factory=list)  # as Register.warnings
    snapshot: InventorySnapshot | None = None
    _by_id: tuple[list[Asset], int, dict[str, Asset]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def by_id(self) -> dict[str, Asset]:
        """asset_id -> Asset, made once per list of assets (a run asks for it in six places;
        at 150k assets each map took a quarter of a second). Shared: read it, never change it."""
        made = self._by_id
        if made is None or made[0] is not self.assets or made[1] != len(self.assets):
            made = self._by_id = (
                self.assets,
                len(self.assets),
                {a.asset_id: a for a in self.assets},
            )
        return made[2]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (the inventory cache) without the map: it is remade on first use."""
        return {**self.__dict__, "_by_id": None}


# --- matching ----------------------------------------------------------------------------


class RowStatus(StrEnum):
    MATCHED = "matched"
    REVIEW = "review"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class Evidence:
    """One comparison level's say about a pair, for the `explain` list."""

    level: str  # e.g. "serial", "name", "location", "custodian", "cost", "category"
    outcome: str  # e.g. "exact", "fuzzy", "agree", "differ", "missing"
    score: float  # this level's 0-100 score
    detail: str = ""  # human words: "'DL380G10' ~ 'ProLiant DL380 Gen10'"

    def __str__(self) -> str:
        text = f"{self.level}: {self.outcome} ({self.score:.0f})"
        return f"{text} {self.detail}" if self.detail else text


@dataclass(frozen=True)
class Candidate:
    asset_id: str
    score: float  # 0-100
    evidence: tuple[Evidence, ...] = ()


@dataclass
class RowMatch:
    """What matching decided for one book row."""

    row: BookRow
    status: RowStatus
    asset_ids: list[str] = field(default_factory=list)  # assigned assets (N for a kit)
    score: float | None = None  # 0-100; 100 for exact keys
    matched_on: str | None = None  # serial, inventory_number, barcode, fuzzy, kit, decision
    candidates: list[Candidate] = field(default_factory=list)  # ranked; for review rows
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def explain(self) -> list[str]:
        return [str(e) for e in self.evidence]


@dataclass
class MatchResult:
    rows: list[RowMatch]  # one per BookRow, in register order
    unmatched_asset_ids: list[str]  # assets no row took, in inventory order


# --- checks ------------------------------------------------------------------------------


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class FindingCode(StrEnum):
    """The stable finding codes (shared/DESIGN.md): new ones may be added, none is renamed.
    Declared in the order reports list them. rules/checks.yaml sets each one's severity and
    message; text/labels.py names each in words."""

    MISSING_IN_INVENTORY = "MISSING_IN_INVENTORY"
    MISSING_IN_BOOKS = "MISSING_IN_BOOKS"
    LOCATION_MISMATCH = "LOCATION_MISMATCH"
    CUSTODIAN_MISMATCH = "CUSTODIAN_MISMATCH"
    SERIAL_MISMATCH = "SERIAL_MISMATCH"
    COST_MISMATCH = "COST_MISMATCH"
    FULLY_DEPRECIATED_IN_SERVICE = "FULLY_DEPRECIATED_IN_SERVICE"
    DISPOSED_STILL_ON_BOOKS = "DISPOSED_STILL_ON_BOOKS"
    BELOW_CAPITALIZATION_THRESHOLD = "BELOW_CAPITALIZATION_THRESHOLD"
    DUPLICATE_ON_BOOKS = "DUPLICATE_ON_BOOKS"
    KIT_INCOMPLETE = "KIT_INCOMPLETE"
    NEEDS_REVIEW = "NEEDS_REVIEW"


# Findings that are facts worth knowing rather than errors to fix.
NOTE_CODES = frozenset({FindingCode.FULLY_DEPRECIATED_IN_SERVICE})


@dataclass
class Finding:
    """A discrepancy: data, never an exception. Codes are stable (shared/DESIGN.md)."""

    code: FindingCode
    severity: Severity
    message: str
    sheet: str | None = None
    row: int | None = None
    asset_id: str | None = None
    book_value: str | None = None  # what the books say, as shown to people
    it_value: str | None = None  # what IT says
    amount: Decimal | None = None  # value at stake (book value or cost), for summaries
    accepted: bool = False  # a reviewer accepted it as a known exception
    # Who accepted it, when (ISO date-time) and why: every output shows them beside it.
    accepted_by: str | None = None
    accepted_at: str | None = None
    accepted_comment: str | None = None
    # The register row the reviewer accepted it on, when that is another row: the two lines of
    # a DUPLICATE_ON_BOOKS pair are one finding (one identity), so accepting either line
    # accepts both, and the other line says so rather than turning accepted unexplained.
    accepted_on_row: int | None = None

    @property
    def is_note(self) -> bool:
        """A note, not a discrepancy: nothing to fix, so never in a count of discrepancies or
        the amount at stake (a fully depreciated asset still in use is normal accounting)."""
        return self.accepted or self.code in NOTE_CODES


# --- scope: which part of the inventory a register answers for ------------------------


class ScopeBasis(StrEnum):
    CONFIGURED = "configured"  # scope.by_folder in config
    LOCATIONS = "locations"  # the places the register names
    CUSTODIANS = "custodians"  # the МОЛ the register names
    MATCHED = "matched"  # the places of the assets its rows matched
    ORGANISATION = "organisation"  # the organisation its title names (an inventory column)
    WHOLE = "whole"  # nothing to narrow by: the whole inventory


@dataclass
class Scope:
    """The inventory records a register answers for; only these can be MISSING_IN_BOOKS."""

    basis: ScopeBasis
    asset_ids: frozenset[str] | None  # None: the whole inventory
    named: list[str] = field(default_factory=list)  # places/people/values, as IT writes them
    source: str = ""  # the config key it came from (configured)
    total: int = 0  # assets in the inventory
    # The wrong-inventory guard: rows with a key, how many of them matched, and the verdict.
    keyed_rows: int = 0
    keyed_matched: int = 0
    wrong_inventory: bool = False
    organisation: list[str] = field(default_factory=list)  # named in the title, found in IT

    def covers(self, asset_id: str) -> bool:
        return self.asset_ids is None or asset_id in self.asset_ids

    @property
    def size(self) -> int:
        return self.total if self.asset_ids is None else len(self.asset_ids)


# --- the whole run -----------------------------------------------------------------------


@dataclass
class RunResult:
    run_id: str
    run_dir: Path
    register: Register
    inventory: Inventory
    match: MatchResult
    findings: list[Finding]
    report_date: date
    outputs: dict[str, Path] = field(default_factory=dict)  # kind -> file in run_dir
    warnings: list[str] = field(default_factory=list)  # e.g. what openpyxl would drop
    # The same content was processed before: {"run_id": ..., "received_at": ...} (service only)
    duplicate_of: dict[str, str] | None = None
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    scope: Scope | None = None  # None: a run made before scopes (benchmarks of old behaviour)

    @property
    def exit_code(self) -> int:
        """0 when the books and IT agree (notes aside), 1 when there is anything to look at."""
        if any(not f.is_note for f in self.findings) or any(
            m.status is not RowStatus.MATCHED for m in self.match.rows
        ):
            return 1
        return 0


# --- the service's record of a dropped file -----------------------------------------------


class FileState(StrEnum):
    r"""The life of a dropped file (the ledger's files.state). Each step is one short
    transaction, taken only after the step's effect on disk is done or provably redoable, so
    service/lifecycle.py can resume from any state:

      claiming -> claimed -> processing -> done -> archived        (notified_at set afterwards)
                                  \-> failed -> quarantined        (notified_at set afterwards)
    claiming: row written, the rename into the work folder may or may not have happened.
    processing: runs row written; outbox/<run_id>.partial may hold a half-written run.
    done: outbox/<run_id> is complete and its findings are in the ledger.
    failed: `reason` says why; the file is still in the work folder (or already moved).
    """

    CLAIMING = "claiming"
    CLAIMED = "claimed"
    PROCESSING = "processing"
    DONE = "done"
    ARCHIVED = "archived"
    FAILED = "failed"
    QUARANTINED = "quarantined"


FINAL_STATES = (FileState.ARCHIVED, FileState.QUARANTINED)


# --- reviewers' decisions ----------------------------------------------------------------


class DecisionKind(StrEnum):
    """What a reviewer decided (decisions/store.py tells what each does to later runs)."""

    CONFIRM = "confirm"  # this book row IS this asset
    REJECT = "reject"  # this book row is NOT this asset
    ASSET = "asset"  # the reviewer typed another asset id: a confirm of that asset
    ACCEPT = "accept"  # a finding is a known exception


CONFIRMING = frozenset({DecisionKind.CONFIRM, DecisionKind.ASSET})  # fix a pair before matching


@dataclass(frozen=True)
class Decision:
    """One decision as the ledger keeps it (table `decisions`)."""

    id: int
    run_id: str
    folder: str
    sheet: str | None
    row: int | None
    book_key: str | None
    asset_id: str | None
    kind: DecisionKind
    finding_identity: str | None
    comment: str | None
    decided_by: str
    decided_at: str
    source_file: str
    revoked_at: str | None = None

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> Decision:
        values = {k: r[k] for k in cls.__dataclass_fields__}
        return cls(**{**values, "kind": DecisionKind(values["kind"])})

    def describe(self) -> str:
        """For the evidence of a match: who, when, which decision, and why."""
        text = f"decision #{self.id} by {self.decided_by or '(inbox)'} on {self.decided_at[:10]}"
        return f"{text}: {self.comment}" if self.comment else text
