"""The ledger's findings: each run's discrepancies, and the identity that links them across runs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from reconciler.ledger.db import Ledger, Row
from reconciler.models import Asset, BookRow, Finding, RunResult


@dataclass(frozen=True)
class FindingRecord:
    id: int
    run_id: str
    identity: str  # stable across runs: code + book key + asset id
    code: str
    severity: str
    sheet: str | None
    row: int | None
    asset_id: str | None
    inventory_number: str | None
    serial: str | None
    location: str | None
    custodian: str | None
    amount: float | None
    message: str
    accepted: bool

    @classmethod
    def of(cls, row: Row) -> FindingRecord:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["accepted"] = bool(values["accepted"])
        return cls(**values)


def replace_findings(db: Ledger, result: RunResult) -> None:
    """The run's findings, replacing any an earlier attempt of the same run recorded."""
    by_key = {r.key: r for r in result.register.rows}
    with db.transaction():
        db.execute("DELETE FROM findings WHERE run_id = ?", (result.run_id,))
        db.many(
            "INSERT INTO findings (run_id, identity, code, severity, sheet, row, asset_id, "
            "inventory_number, serial, location, custodian, amount, message, accepted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _finding_rows(result.run_id, result.findings, by_key, result.inventory.by_id()),
        )


def _finding_rows(
    run_id: str,
    findings: Iterable[Finding],
    by_key: dict[tuple[str, int], BookRow],
    assets: dict[str, Asset],
) -> Iterable[tuple[Any, ...]]:
    for f in findings:
        book = book_row_of(f, by_key)
        # A finding on no book row (MISSING_IN_BOOKS) is where IT sees the asset, with whom:
        # the audit's comparison statement attributes each surplus to its place and person.
        it = assets.get(f.asset_id or "") if book is None else None
        yield (
            run_id,
            finding_identity(f, book),
            f.code,
            str(f.severity),
            f.sheet,
            f.row,
            f.asset_id,
            book.inventory_number if book else None,
            book.serial if book else None,
            book.location if book else (it.location if it else None),
            book.custodian if book else (it.custodian if it else None),
            None if f.amount is None else float(f.amount),
            f.message,
            int(f.accepted),
        )


def findings_of_runs(db: Ledger, run_ids: list[str]) -> list[FindingRecord]:
    """Every finding of these runs, in the order recorded."""
    found: list[FindingRecord] = []
    chunk = 500  # SQLite's limit on bound parameters is 999 in older builds
    for i in range(0, len(run_ids), chunk):
        ids = run_ids[i : i + chunk]
        rows = db.all(
            f"SELECT * FROM findings WHERE run_id IN ({','.join('?' * len(ids))}) ORDER BY id",
            ids,
        )
        found += [FindingRecord.of(r) for r in rows]
    return found


# Cyrillic letters that look like Latin ones: inventory numbers and serials are typed with
# either keyboard layout, and the identity must not change with it. A fixed table on purpose,
# not normalize.yaml's: identities link findings across months of runs and must not change
# when a user edits the matching rules. (It also keeps the service process free of normalize.)
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


_NOT_ASCII_ALNUM = re.compile(r"[^0-9A-Za-z]+")


def normalize_key(text: str | None) -> str:
    """Upper case, look-alikes folded, only letters and digits: '№ 00-12 3' -> '00123'."""
    if not text:
        return ""
    text = str(text)
    # Most keys are ASCII, which NFKC leaves as it is and holds no look-alike: the same
    # result by one regex, half the time (a run asks for 100k-250k of them).
    if text.isascii():
        return _NOT_ASCII_ALNUM.sub("", text).upper()
    # '№' is a label, not part of the number; NFKC would make it the letters 'No'.
    folded = unicodedata.normalize("NFKC", text.replace("№", " "))
    return "".join(filter(str.isalnum, folded.upper().translate(_LOOKALIKES)))


def _stable_key(book: BookRow) -> str | None:
    """The row's inventory number, else its serial: what survives the row moving."""
    if inv := normalize_key(book.inventory_number):
        return f"inv:{inv}"
    if serial := normalize_key(book.serial):
        return f"sn:{serial}"
    return None


def book_key(book: BookRow) -> str:
    """A book row's identity across runs (decisions are kept by it); its position when it has
    neither an inventory number nor a serial."""
    return _stable_key(book) or f"row:{book.sheet}!{book.row}"


def book_row_of(finding: Finding, by_key: dict[tuple[str, int], BookRow]) -> BookRow | None:
    """The register row a finding is about, if it names one (by_key: BookRow.key -> row)."""
    if finding.sheet is None or finding.row is None:
        return None
    return by_key.get((finding.sheet, finding.row))


def finding_identity(finding: Finding, book: BookRow | None) -> str:
    """code + the book row's inventory number or serial + the asset id, whichever apply.

    Stable across runs of the same register, whatever row the line moved to. A book row with
    neither key falls back to its position (unless the asset id already tells the finding
    apart), which is the best the register offers.
    """
    parts: list[str] = [finding.code]
    if book is not None:
        if key := _stable_key(book):
            parts.append(key)
        elif finding.asset_id is None:
            parts.append(f"row:{book.sheet}!{book.row}")
    elif finding.row is not None:
        parts.append(f"row:{finding.sheet}!{finding.row}")
    if finding.asset_id:
        parts.append(f"asset:{finding.asset_id}")
    return "|".join(parts)
