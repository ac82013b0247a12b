"""results.json, typed: the one model it is written from (outputs/report.py) and read back
through (mail/, decisions/), with its version checked on read.

Auditors script against this file (README "results.json"), so the keys, their order and the
version are a contract: a change that is not an addition is a new version, and a key added
within a version has a default, so that the documents written before it still read. Optional
keys are left out rather than written as null (`source.folder`, a row's `candidates`,
`duplicate_of`, `scope`, an unaccepted finding's `accepted_by`...), as version 1 always did.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)
from pydantic import ValidationError as PydanticValidationError

from reconciler.atomic import open_atomically
from reconciler.errors import InputError
from reconciler.models import (
    Asset,
    BookRow,
    Finding,
    FindingCode,
    RowStatus,
    RunResult,
    Scope,
    ScopeBasis,
    Severity,
)
from reconciler.outputs.figures import Figures, findings_with_sources, run_figures
from reconciler.text import scope as scope_text
from reconciler.text.glossary import display_serial

RESULTS_VERSION: Literal[1] = 1
RESULTS_NAME = "results.json"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Omitting(_Part):
    """A part with keys left out rather than written as null. The parts a run has 100k of
    (rows, assets, candidates) are plain _Parts: this serializer is a Python call per item,
    a second of a 100k run's results.json; a row's candidates are left out by `exclude_if`."""

    _omit_if_none: ClassVar[tuple[str, ...]] = ()  # keys left out rather than written as null

    def _absent(self, data: dict[str, Any]) -> list[str]:
        return [key for key in self._omit_if_none if data.get(key) is None]

    @model_serializer(mode="wrap")
    def _leave_out_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in self._absent(data):
            data.pop(key, None)
        return data


class SheetPart(_Part):
    name: str
    header_row: int


class SourcePart(_Omitting):
    _omit_if_none = ("folder",)
    file: str
    sha256: str
    format: str
    sheets: list[SheetPart]
    folder: str | None = None  # the inbox subfolder, when the service processed the file


class InventoryPart(_Omitting):
    """Which inventory the run used: its source, size and snapshot (kind, when, hash, and
    whether the last good snapshot stood in for a failed fetch); no snapshot, no such keys."""

    _omit_if_none = ("kind", "fetched_at", "sha256", "reused_snapshot")
    source: str
    assets: int
    kind: str | None = None
    fetched_at: str | None = None
    sha256: str | None = None
    reused_snapshot: bool | None = None


def _is_none(value: object) -> bool:
    return value is None


class CandidatePart(_Part):
    asset_id: str
    score: float


class RowPart(_Part):
    sheet: str
    row: int
    status: RowStatus
    asset_ids: list[str]
    score: float | None
    matched_on: str | None
    findings: list[FindingCode]
    explain: list[str]
    # Review rows only: left out of the others (not written as null).
    candidates: list[CandidatePart] | None = Field(default=None, exclude_if=_is_none)


class AssetPart(_Part):
    asset_id: str
    findings: list[FindingCode]


class FindingPart(_Omitting):
    code: FindingCode
    severity: Severity
    sheet: str | None
    row: int | None
    asset_id: str | None
    message: str
    book_value: str | None
    it_value: str | None
    amount: float | None
    accepted: bool
    # A note needs no fix (FULLY_DEPRECIATED_IN_SERVICE, accepted): not in the counts.
    kind: Literal["note", "discrepancy"] = "discrepancy"  # added in version 1
    # Who accepted it, when and why: present only on an accepted finding.
    accepted_by: str | None = None
    accepted_at: str | None = None
    accepted_comment: str | None = None

    # What the reader acts on, from the book row (else the IT asset): added in version 1.
    inventory_number: str | None = None
    name: str | None = None
    location: str | None = None
    custodian: str | None = None
    serial: str | None = None  # as shown to people (text/glossary.display_serial)

    def _absent(self, data: dict[str, Any]) -> list[str]:
        return [] if self.accepted else ["accepted_by", "accepted_at", "accepted_comment"]


class DuplicatePart(_Part):
    run_id: str
    received_at: str


class ScopePart(_Part):
    """What the run answered for (checks/scope.py), and the wrong-inventory guard."""

    basis: ScopeBasis
    statement: str
    named: list[str]
    source: str | None
    assets_in_scope: int
    keyed_rows: int
    keyed_matched: int
    wrong_inventory: bool


class SummaryPart(_Part):
    rows: int
    matched: int
    review: int
    unmatched: int
    assets: int
    assets_not_on_books: int
    findings: int  # discrepancies only; notes (nothing to fix) are counted apart
    findings_by_code: dict[FindingCode, int]
    notes: int = 0  # added in version 1, as notes_by_kind
    notes_by_kind: dict[str, int] = {}  # a note's code, or ACCEPTED for an accepted finding
    value_at_stake: float
    report_date: date
    exit_code: int


class Results(_Omitting):
    """The whole document (version 1)."""

    _omit_if_none = ("scope", "duplicate_of")
    version: Literal[1]
    run_id: str
    source: SourcePart
    inventory: InventoryPart
    report_date: date
    rows: list[RowPart]
    assets_not_on_books: list[AssetPart]
    findings: list[FindingPart]
    # The guard's warning and the scope statement come first: a reader sees them before figures.
    warnings: list[str]
    scope: ScopePart | None = None  # None: a run made before scopes
    timings: dict[str, float]  # seconds per stage up to the reports
    duplicate_of: DuplicatePart | None = None  # the same content was processed before
    summary: SummaryPart

    def to_json_bytes(self) -> bytes:
        # Serialised by pydantic's own encoder, straight from the model: json.dumps of the
        # dumped dict built the whole document twice over (dict, then str) and took 3 s of a
        # 100k run for 48 MB; the bytes are the same document, keys in the model's order.
        return self.model_dump_json(indent=2).encode("utf-8")

    def asset_ids_shown(self) -> list[str]:
        """Every asset this run showed a reviewer: matched to a row, on no book row, or a
        review row's candidate (which may lie outside the run's scope, checks/scope.py)."""
        ids = [a for r in self.rows if r.status is RowStatus.MATCHED for a in r.asset_ids]
        ids += [a.asset_id for a in self.assets_not_on_books]
        return ids + [c.asset_id for r in self.rows for c in r.candidates or []]


# --- from a run --------------------------------------------------------------------------


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _finding(f: Finding, row: BookRow | None, asset: Asset | None) -> FindingPart:
    """With the book row's (or else the IT asset's) inventory number, name, place, МОЛ and
    serial: what a reader acts on, so the emails need not look them up."""

    def either(field: str) -> str | None:
        value: str | None = (getattr(row, field) if row else None) or (
            getattr(asset, field) if asset else None
        )
        return value

    return FindingPart(
        code=f.code,
        severity=f.severity,
        sheet=f.sheet,
        row=f.row,
        asset_id=f.asset_id,
        message=f.message,
        book_value=f.book_value,
        it_value=f.it_value,
        amount=_money(f.amount),
        accepted=f.accepted,
        kind="note" if f.is_note else "discrepancy",
        accepted_by=f.accepted_by,
        accepted_at=f.accepted_at,
        accepted_comment=f.accepted_comment,
        inventory_number=either("inventory_number"),
        name=either("name"),
        location=either("location"),
        custodian=either("custodian"),
        serial=display_serial(either("serial")),
    )


def _summary(result: RunResult, fig: Figures) -> SummaryPart:
    return SummaryPart(
        rows=fig.rows,
        matched=fig.by_status[RowStatus.MATCHED.value],
        review=fig.by_status[RowStatus.REVIEW.value],
        unmatched=fig.by_status[RowStatus.UNMATCHED.value],
        assets=fig.assets,
        assets_not_on_books=fig.assets_not_on_books,
        findings=fig.findings,
        findings_by_code=dict(sorted((FindingCode(g.key), g.count) for g in fig.by_code)),
        notes=fig.notes,
        notes_by_kind=dict(sorted((g.key, g.count) for g in fig.notes_by_kind)),
        value_at_stake=float(fig.value_at_stake),  # the figure every report shows
        report_date=result.report_date,
        exit_code=result.exit_code,
    )


def _row(m: Any, codes: list[FindingCode]) -> RowPart:
    review = m.status is RowStatus.REVIEW
    return RowPart(
        sheet=m.row.sheet,
        row=m.row.row,
        status=m.status,
        asset_ids=list(m.asset_ids) or ([c.asset_id for c in m.candidates] if review else []),
        score=None if m.score is None else round(m.score, 1),
        matched_on=m.matched_on,
        findings=codes,
        explain=list(m.explain),
        candidates=(
            [CandidatePart(asset_id=c.asset_id, score=round(c.score, 1)) for c in m.candidates]
            if review
            else None
        ),
    )


def _scope(scope: Scope | None, language: str) -> ScopePart | None:
    if scope is None:
        return None
    return ScopePart(
        basis=scope.basis,
        statement=scope_text.statement(scope, language),
        named=list(scope.named),
        source=scope.source or None,
        assets_in_scope=scope.size,
        keyed_rows=scope.keyed_rows,
        keyed_matched=scope.keyed_matched,
        wrong_inventory=scope.wrong_inventory,
    )


def _inventory(result: RunResult) -> InventoryPart:
    taken = result.inventory.snapshot
    return InventoryPart(
        source=result.inventory.source,
        assets=len(result.inventory.assets),
        kind=taken.kind if taken else None,
        fetched_at=taken.fetched_at if taken else None,
        sha256=taken.sha256 if taken else None,
        reused_snapshot=taken.reused if taken else None,
    )


def results_of(
    result: RunResult,
    *,
    folder: str | None = None,
    language: str = "ru",
    figures: Figures | None = None,
) -> Results:
    """The document of a run; `language` is that of the scope's sentences (report.language).
    `figures`: the run's (figures.run_figures), computed here when not given."""
    return _document(result, folder, language, figures, streamed=False)


def _document(
    result: RunResult,
    folder: str | None,
    language: str,
    figures: Figures | None,
    *,
    streamed: bool,
) -> Results:
    """`streamed`: the three long lists left empty (write_results streams them)."""
    register = result.register
    return Results(
        version=RESULTS_VERSION,
        run_id=result.run_id,
        source=SourcePart(
            file=register.file_name,
            sha256=register.sha256,
            format=register.format,
            sheets=[SheetPart(name=s.name, header_row=s.header_row) for s in register.sheets],
            folder=folder,
        ),
        inventory=_inventory(result),
        report_date=result.report_date,
        rows=[] if streamed else list(_rows(result)),
        assets_not_on_books=[] if streamed else list(_assets(result)),
        findings=[] if streamed else list(_findings(result)),
        warnings=[*scope_text.lines(result.scope, language), *result.warnings],
        scope=_scope(result.scope, language),
        timings=dict(result.timings),
        duplicate_of=DuplicatePart(**result.duplicate_of) if result.duplicate_of else None,
        summary=_summary(result, figures or run_figures(result, language)),
    )


def _rows(result: RunResult) -> Iterator[RowPart]:
    by_row: dict[tuple[str | None, int], list[FindingCode]] = {}
    for f in result.findings:
        if f.row is not None:
            by_row.setdefault((f.sheet, f.row), []).append(f.code)
    for m in result.match.rows:
        yield _row(m, by_row.get(m.row.key, []))


def _assets(result: RunResult) -> Iterator[AssetPart]:
    by_asset: dict[str, list[FindingCode]] = {}
    for f in result.findings:
        if f.row is None and f.asset_id is not None:
            by_asset.setdefault(f.asset_id, []).append(f.code)
    for a in result.match.unmatched_asset_ids:
        yield AssetPart(asset_id=a, findings=by_asset.get(a, []))


def _findings(result: RunResult) -> Iterator[FindingPart]:
    for sources in findings_with_sources(result):
        yield _finding(*sources)


STREAM_CHUNK = 1000  # items per dump: few calls into pydantic, little held at once


def write_results(
    result: RunResult,
    path: Path,
    *,
    folder: str | None = None,
    language: str = "ru",
    figures: Figures | None = None,
) -> Path:
    """results.json written as a stream: the rows, the assets on no book row and the findings
    are dumped by their models a chunk at a time as they are made, between the head and tail
    of the document dumped with those lists empty. The bytes are Results.to_json_bytes of the
    whole document (a test holds them equal); the whole is never built: at 100k it was
    100k models and a 48 MB string held together, beside the RunResult."""
    skeleton = _document(result, folder, language, figures, streamed=True).to_json_bytes()
    lists = (
        ("rows", _ROWS, _rows(result)),
        ("assets_not_on_books", _ASSETS, _assets(result)),
        ("findings", _FINDINGS, _findings(result)),
    )
    with open_atomically(path) as out:
        pos = 0
        for key, adapter, items in lists:
            marker = f'\n  "{key}": []'.encode()
            at = skeleton.index(marker, pos)
            out.write(skeleton[pos : at + len(marker) - 2])
            _write_list(out, adapter, items)
            pos = at + len(marker)
        out.write(skeleton[pos:])
    return path


def _write_list(out: IO[bytes], adapter: TypeAdapter[Any], items: Iterator[_Part]) -> None:
    """A list of the top-level object as model_dump_json(indent=2) writes it: `[]` when empty,
    else each item on its own lines, four spaces in, `,` between, `]` two spaces in."""
    wrote = False
    while chunk := list(islice(items, STREAM_CHUNK)):
        # The chunk's own list puts its items two spaces in; two more make them the
        # document's. Strings hold no raw newline in JSON, so every newline is a line's end.
        dumped = adapter.dump_json(chunk, indent=2)[2:-2]
        out.write((b",\n  " if wrote else b"[\n  ") + dumped.replace(b"\n", b"\n  "))
        wrote = True
    out.write(b"\n  ]" if wrote else b"[]")


_ROWS: TypeAdapter[list[RowPart]] = TypeAdapter(list[RowPart])
_ASSETS: TypeAdapter[list[AssetPart]] = TypeAdapter(list[AssetPart])
_FINDINGS: TypeAdapter[list[FindingPart]] = TypeAdapter(list[FindingPart])


# --- read back ---------------------------------------------------------------------------


class ResultsUnreadable(InputError):
    """A run folder's results.json is missing, damaged or of another version."""


def read_results(run_dir: Path) -> Results:
    """The run's results.json, checked: its version first (a clear word on an upgrade), then
    every key. ResultsUnreadable names the file, what was expected and what was found."""
    path = run_dir / RESULTS_NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsUnreadable(
            f"{path}: expected the run's results.json, found none",
            hint="the run folder is incomplete: reprocess the register",
        ) from None
    except (OSError, ValueError) as e:
        raise ResultsUnreadable(
            f"{path}: not valid JSON ({e})", hint="the run folder is damaged: reprocess it"
        ) from None
    found = doc.get("version") if isinstance(doc, dict) else type(doc).__name__
    if found != RESULTS_VERSION:
        raise ResultsUnreadable(
            f"{path}: expected results.json version {RESULTS_VERSION}, found {found!r}",
            hint="upgrade reconciler, or reprocess the register with this version",
        )
    try:
        return Results.model_validate(doc)
    except PydanticValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ResultsUnreadable(
            f"{path}: results.json version {RESULTS_VERSION} with a bad `{where}`: {first['msg']}",
            hint="the run folder is damaged: reprocess the register",
        ) from None
