"""Accounting rules -> Findings: each book row (and each IT asset no row took) against
rules/checks.yaml.

Book-only checks (BELOW_CAPITALIZATION_THRESHOLD, DUPLICATE_ON_BOOKS) look at matched and
unmatched rows, because they are facts about the books whatever matching decided. Pair checks
(location, custodian, serial, cost, depreciation, disposal, kit) need a decided pair, so they
run on matched rows only. A review row gets NEEDS_REVIEW and nothing else until a reviewer
decides (its duplicate partner still names it).
"""

from __future__ import annotations

import calendar
import logging
import re
import string
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from reconciler.match import cost_habits, place_keys, unit_keys
from reconciler.match.blocking import kit_quantity
from reconciler.models import (
    Asset,
    AssetStatus,
    BookRow,
    Finding,
    FindingCode,
    Inventory,
    MatchResult,
    Register,
    RowMatch,
    RowStatus,
    Severity,
)
from reconciler.rules import CheckRule, CheckRules, Rules, default_rules
from reconciler.text.glossary import display_serial, status_word
from reconciler.text.labels import format_date, format_money

log = logging.getLogger(__name__)

CODES = tuple(FindingCode)  # the order reports list them in
_CODE_ORDER = {code: i for i, code in enumerate(CODES)}
# The books side of an IT asset no book row took (MISSING_IN_BOOKS), as the reports show it.
NOT_ON_BOOKS = {"ru": "нет в учете", "en": "not on the books"}


class _Blank(dict[str, Any]):
    """A format map that leaves an unfilled placeholder empty rather than failing a run."""

    def __missing__(self, key: str) -> str:
        return ""


class _Checker:
    def __init__(self, rules: Rules, report_date: date, language: str) -> None:
        self.rules = rules
        self.checks: CheckRules = rules.checks
        self.report_date = report_date
        self.language = language
        self.threshold = Decimal(str(self.checks.capitalization_threshold))
        self.tolerance = Decimal(str(self.checks.cost_tolerance))
        # books' place -> the factor IT's costs carry there over the books' (with VAT):
        # run_checks learns it from the matched pairs before any check.
        self.cost_habits: dict[str, float] = {}
        self._places: dict[str | None, str] = {}
        self.findings: list[Finding] = []

    def rule(self, code: FindingCode) -> CheckRule:
        # A user's checks.yaml may list only the codes it changes; the rest keep the defaults.
        return self.checks.codes.get(code) or _shipped_rule(code)

    def message(self, rule: CheckRule, code: FindingCode, fields: dict[str, Any]) -> str:
        text = rule.message.get(self.language) or rule.message.get("en")
        if text is None:
            text = _shipped_rule(code).message.get(self.language, code)
        # Only the named fields of MESSAGE_FIELDS reach format_map (validated at load).
        return string.Formatter().vformat(text, (), _Blank(fields)).strip()

    def add(
        self,
        code: FindingCode,
        *,
        row: BookRow | None = None,
        asset: Asset | None = None,
        book: str | None = None,
        it: str | None = None,
        amount: Decimal | None = None,
        placeholders: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        """One finding; `placeholders` fill a message's {book}/{it} with other text than the
        values shown in the books and IT columns (users' checks.yaml keep their meaning)."""
        rule = self.rule(code)
        if not rule.enabled:
            return
        fields = {
            "name": (row.name if row else None) or (asset.name if asset else None) or "",
            "inventory_number": (row.inventory_number if row else None) or "",
            "asset_id": asset.asset_id if asset else "",
            "book": book or "",
            "it": it or "",
            "threshold": self.money(self.threshold),
            **extra,
            **(placeholders or {}),
        }
        self.findings.append(
            Finding(
                code=code,
                severity=Severity(rule.severity),
                message=self.message(rule, code, fields),
                sheet=row.sheet if row else None,
                row=row.row if row else None,
                asset_id=asset.asset_id if asset else None,
                book_value=book,
                it_value=it,
                amount=amount,
            )
        )

    def money(self, value: Decimal | None) -> str:
        return format_money(value, self.language)

    # --- book-only checks -------------------------------------------------------------

    def below_threshold(self, row: BookRow) -> None:
        if row.cost is None:
            return
        unit = row.cost / max(row.quantity, 1)
        if unit < self.threshold:
            self.add(
                FindingCode.BELOW_CAPITALIZATION_THRESHOLD,
                row=row,
                book=self.money(unit),
                amount=row.cost,
            )

    def duplicates(self, rows: list[BookRow], skip: set[tuple[str, int]]) -> None:
        """One finding per row that shares a serial or an inventory number with another row."""
        groups: dict[tuple[str, str], list[BookRow]] = defaultdict(list)
        for row in rows:
            keys = {("serial", k) for k in _serial_keys(row.serial, self.rules)}
            inv = _inventory_key(row.inventory_number, self.rules)
            if inv:
                keys.add(("inventory_number", inv))
            for key in sorted(keys):
                groups[key].append(row)
        shared: dict[tuple[str, int], set[str]] = defaultdict(set)
        others: dict[tuple[str, int], dict[tuple[str, int], BookRow]] = defaultdict(dict)
        for (kind, _), members in groups.items():
            if len(members) < 2:
                continue
            for row in members:
                shared[row.key].add(kind)
                others[row.key].update({o.key: o for o in members if o is not row})
        words = {
            "inventory_number": "инв. №" if self.language == "ru" else "inventory No.",
            "serial": "с/н" if self.language == "ru" else "serial",
        }
        for row in rows:
            if row.key not in shared or row.key in skip:
                continue
            label = "; ".join(
                f"{words[kind]} {row.inventory_number if kind == 'inventory_number' else row.serial}"
                for kind in sorted(shared[row.key])
            )
            where = ", ".join(self.where(o) for _, o in sorted(others[row.key].items()))
            self.add(
                FindingCode.DUPLICATE_ON_BOOKS, row=row, book=label, found=where, amount=row.cost
            )

    def where(self, row: BookRow) -> str:
        if self.language == "ru":
            return f"«{row.sheet}» строка {row.row}"
        return f"'{row.sheet}' row {row.row}"

    # --- pair checks --------------------------------------------------------------------

    def pair(self, m: RowMatch, assets: list[Asset]) -> None:
        row = m.row
        at_stake = row.book_value if row.book_value is not None else row.cost
        for asset in assets:
            if asset.status is AssetStatus.DISPOSED:
                self.add(
                    FindingCode.DISPOSED_STILL_ON_BOOKS,
                    row=row,
                    asset=asset,
                    book=self.money(row.book_value) or None,
                    it=status_word(asset, self.language),
                    amount=at_stake,
                )
        self.depreciated(row, assets)
        for asset in assets:
            self.location(row, asset)
            self.custodian(row, asset)
            self.serial(row, asset)
        # A "(3 шт.)" line booked as quantity 1 is a kit of three, as matching reads it. A cell
        # listing two serials is not: it may name a unit and its part, or an old and new serial.
        expected = max(row.quantity, kit_quantity(row.name) or 1)
        self.cost(row, assets, whole=len(assets) >= expected)
        if 1 <= len(assets) < expected:
            self.add(
                FindingCode.KIT_INCOMPLETE,
                row=row,
                asset=assets[0],
                book=str(expected),
                it=", ".join(a.asset_id for a in assets),
                quantity=expected,
                found=len(assets),
                amount=at_stake,
            )

    def depreciated(self, row: BookRow, assets: list[Asset]) -> None:
        running = [a for a in assets if a.status is AssetStatus.IN_SERVICE]
        if not running:
            return
        book: str | None = None
        if row.book_value is not None and row.book_value == 0:
            book = "остаточная стоимость 0" if self.language == "ru" else "book value 0"
        elif row.acquired_on is not None and row.useful_life_months is not None:
            end = _add_months(row.acquired_on, row.useful_life_months)
            if end < self.report_date:
                d = format_date(end, self.language)
                book = (
                    f"срок службы истек {d}" if self.language == "ru" else f"useful life ended {d}"
                )
        if book is None:
            return
        asset = running[0]
        self.add(
            FindingCode.FULLY_DEPRECIATED_IN_SERVICE,
            row=row,
            asset=asset,
            book=book,
            it=status_word(asset, self.language),
            amount=row.cost,
        )

    def location(self, row: BookRow, asset: Asset) -> None:
        if not row.location or not asset.location:
            return
        if not _same_place(row.location, asset.location, self.rules):
            self.add(
                FindingCode.LOCATION_MISMATCH,
                row=row,
                asset=asset,
                book=row.location,
                it=asset.location,
                amount=row.book_value,
            )

    def custodian(self, row: BookRow, asset: Asset) -> None:
        if not row.custodian or not asset.custodian:
            return
        if not _same_person(row.custodian, asset.custodian):
            self.add(
                FindingCode.CUSTODIAN_MISMATCH,
                row=row,
                asset=asset,
                book=row.custodian,
                it=asset.custodian,
                amount=row.book_value,
            )

    def serial(self, row: BookRow, asset: Asset) -> None:
        book_serials = _serial_keys(row.serial, self.rules)
        it_serials = _serial_keys(asset.serial, self.rules)
        if not book_serials or not it_serials:
            return
        if not set(book_serials) & set(it_serials):
            self.add(
                FindingCode.SERIAL_MISMATCH,
                row=row,
                asset=asset,
                book=row.serial,
                it=asset.serial,
                amount=row.book_value,
            )

    def cost(self, row: BookRow, assets: list[Asset], *, whole: bool) -> None:
        """`whole`: every unit the line names is there."""
        costs = [a.purchase_cost for a in assets]
        if row.cost is None or not costs or any(c is None for c in costs):
            return
        it_cost = sum((c for c in costs if c is not None), Decimal(0))
        factor = self.cost_habits.get(self.place(row.location)) if self.cost_habits else None
        if not self.same_money(row.cost, it_cost, factor, whole):
            self.add(
                FindingCode.COST_MISMATCH,
                row=row,
                asset=assets[0],
                book=self.money(row.cost),
                it=self.money(it_cost),
                amount=row.cost,
            )

    def place(self, text: str | None) -> str:
        """The place's key, once per distinct text (100k lines name a few hundred places)."""
        key = self._places.get(text)
        if key is None:
            key = self._places[text] = place_keys.place_key(text, self.rules.normalize)
        return key

    def same_money(self, book: Decimal, it: Decimal, factor: float | None, whole: bool) -> bool:
        """Within the tolerance once IT's habit at that place (with VAT) is allowed for, or,
        for a line whose every unit is there, as written too (one purchase written net where
        the office writes totals). A kit missing units is compared in the books' terms only:
        its sum may meet the books' by chance (five units with VAT make six without)."""
        if (whole or factor is None) and abs(book - it) <= self.tolerance * max(abs(book), abs(it)):
            return True
        return factor is not None and cost_habits.close(
            float(book) * factor, float(it), float(self.tolerance)
        )

    # --- rows and assets without a decided pair ---------------------------------------

    def review(self, m: RowMatch, by_id: dict[str, Asset]) -> None:
        ids = [c.asset_id for c in m.candidates] or m.asset_ids
        shown = ", ".join(f"{c.asset_id} ({c.score:.0f})" for c in m.candidates) or ", ".join(ids)
        first = by_id.get(ids[0]) if ids else None
        self.add(
            FindingCode.NEEDS_REVIEW,
            row=m.row,
            asset=first,
            book=m.row.name,
            it=shown,
            amount=m.row.book_value if m.row.book_value is not None else m.row.cost,
        )

    def missing_in_books(self, asset: Asset) -> None:
        if asset.status is AssetStatus.DISPOSED:
            return
        paid = asset.purchase_cost
        # Where IT writes costs with VAT, the books' cost is without it (match/cost_habits).
        factor = Decimal(str(self.cost_habits.get(self.place(asset.location), 1.0)))
        if paid is not None and paid / factor < self.threshold:
            return  # low-value equipment is expected to be off the books
        described = " ".join(
            p
            for p in (asset.name or _vendor_model(asset), _serial_label(asset, self.language))
            if p
        )
        # IT has no price for it: said in words ("стоимость ?" read as a glitch).
        cost = self.money(asset.purchase_cost) or (
            "не указана" if self.language == "ru" else "not recorded"
        )
        self.add(
            FindingCode.MISSING_IN_BOOKS,
            asset=asset,
            # The books have nothing: the cost is what IT paid, so it sits on the IT side.
            book=NOT_ON_BOOKS.get(self.language, NOT_ON_BOOKS["en"]),
            it=cost,
            amount=asset.purchase_cost,
            # The message's {book} has always been the cost and {it} the asset (checks.yaml).
            placeholders={"book": cost, "it": described},
        )


def run_checks(
    register: Register,
    inventory: Inventory,
    match: MatchResult,
    rules: Rules,
    *,
    report_date: date,
    language: str = "ru",
) -> list[Finding]:
    """Every discrepancy between the books and IT, ordered by sheet and row, then asset."""
    checker = _Checker(rules, report_date, language)
    by_id = inventory.by_id()
    decided = {m.row.key: m for m in match.rows}
    rows = register.rows or [m.row for m in match.rows]
    checker.cost_habits = _cost_habits(match, by_id, checker)
    for row in rows:
        m = decided.get(row.key)
        if m is not None and m.status is not RowStatus.REVIEW:
            checker.below_threshold(row)
        if m is None:
            continue
        if m.status is RowStatus.UNMATCHED:
            checker.add(
                FindingCode.MISSING_IN_INVENTORY,
                row=row,
                book=" ".join(p for p in (row.inventory_number, row.name) if p) or None,
                amount=row.book_value if row.book_value is not None else row.cost,
            )
        elif m.status is RowStatus.REVIEW:
            checker.review(m, by_id)
        else:
            assets = [by_id[a] for a in m.asset_ids if a in by_id]
            missing = [a for a in m.asset_ids if a not in by_id]
            if missing:
                log.warning("row %s:%s matched unknown asset ids %s", row.sheet, row.row, missing)
            checker.pair(m, assets)
    in_review = {m.row.key for m in match.rows if m.status is RowStatus.REVIEW}
    checker.duplicates(rows, skip=in_review)
    # A candidate of a row in review is not "not on the books" until the reviewer decides:
    # reported as both, IT was asked to capitalise what the row may well be.
    candidates = {
        c.asset_id for m in match.rows if m.status is RowStatus.REVIEW for c in m.candidates
    }
    for asset_id in match.unmatched_asset_ids:
        if asset_id in by_id and asset_id not in candidates:
            checker.missing_in_books(by_id[asset_id])
    return sorted_findings(checker.findings, register, inventory)


def _cost_habits(
    match: MatchResult, by_id: dict[str, Asset], checker: _Checker
) -> dict[str, float]:
    """Books' place -> the factor IT's costs carry there (match/cost_habits), from each matched
    line of one unit. Keyed by where the books hold it, where it was bought: a unit IT has
    since moved keeps the cost its first office wrote."""
    book: list[float] = []
    it: list[float] = []
    where: list[str] = []
    matched = RowStatus.MATCHED
    for m in match.rows:
        row = m.row
        if m.status is matched and len(m.asset_ids) == 1 and row.quantity == 1 and row.cost:
            asset = by_id.get(m.asset_ids[0])
            if asset is not None and asset.purchase_cost is not None:
                book.append(float(row.cost))
                it.append(float(asset.purchase_cost))
                where.append(checker.place(row.location))
    names, codes = np.unique(np.array(where, dtype=object), return_inverse=True)
    habits = cost_habits.learn(
        np.array(book),
        np.array(it),
        codes.astype(np.int64),
        checker.rules.normalize.vat_rates,
        float(checker.tolerance),
    )
    return {str(names[code]): factor for code, factor in habits.items()}


def sorted_findings(
    findings: Iterable[Finding], register: Register, inventory: Inventory
) -> list[Finding]:
    """Sheet order of the file, then row, then asset in inventory order, then code."""
    sheet_order = {s.name: i for i, s in enumerate(register.sheets)}
    asset_order = {a.asset_id: i for i, a in enumerate(inventory.assets)}
    big = 1 << 30

    def key(f: Finding) -> tuple[int, int, int, int, int]:
        return (
            0 if f.row is not None else 1,
            sheet_order.get(f.sheet or "", big),
            f.row if f.row is not None else big,
            asset_order.get(f.asset_id or "", -1 if f.asset_id is None else big),
            _CODE_ORDER.get(f.code, len(_CODE_ORDER)),
        )

    return sorted(findings, key=key)


def _shipped_rule(code: FindingCode) -> CheckRule:
    """The shipped checks.yaml's rule for `code` (defaults for a code it does not list)."""
    return default_rules().checks.codes.get(code, CheckRule())


# --- keys: match/*_keys.py decide what counts as "the same" -----------------------------


def _serial_keys(text: str | None, rules: Rules) -> list[str]:
    return unit_keys.split_serials(text, rules.normalize) if text else []


def _inventory_key(text: str | None, rules: Rules) -> str:
    return unit_keys.inventory_key(text, rules.normalize) if text else ""


def _same_person(book: str, it: str) -> bool:
    """Same surname, and initials that agree as far as both give them ('Иванов И.' = 'Иванов И.И.')."""
    a, b = place_keys.person_key(book), place_keys.person_key(it)
    if a == b:
        return True
    sa, _, ia = a.partition(" ")
    sb, _, ib = b.partition(" ")
    return sa == sb and (ia.startswith(ib) or ib.startswith(ia))


_PLACE_PARTS = re.compile(r"[,;/\\|]+")


def _same_place(book: str, it: str, rules: Rules) -> bool:
    """The same place, or one names a part of the other ('ЦОД-1' and 'Москва, ЦОД-1')."""
    if place_keys.place_key(book, rules.normalize) == place_keys.place_key(it, rules.normalize):
        return True

    def parts(text: str) -> set[str]:
        keys = {place_keys.place_key(p, rules.normalize) for p in _PLACE_PARTS.split(text)}
        return keys - {""}

    pa, pb = parts(book), parts(it)
    return bool(pa and pb) and (pa <= pb or pb <= pa)


def _vendor_model(asset: Asset) -> str:
    return " ".join(p for p in (asset.vendor, asset.model) if p)


def _serial_label(asset: Asset, language: str) -> str:
    if not asset.serial:
        return ""
    serial = display_serial(asset.serial)
    return f"(с/н {serial})" if language == "ru" else f"(S/N {serial})"


def _add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day: 31 Jan + 1 month = 28/29 Feb."""
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
