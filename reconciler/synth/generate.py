"""generate(): a synthetic company's fixed-asset register and IT inventory, with the truth.

How a register is built, so that the truth is known by construction:
1. Lines are drawn: planted cases first (one primary finding code per line), then ordinary
   lines, bought in batches of identical models for one site (told apart only by custodian).
2. Each line gets its IT units (N for a kit; none for a line IT never recorded).
3. Inventory numbers follow acquisition dates, as 1C assigns them; IT asset tags are the same
   numbers as IT typed them (Latin 'BA-', lost leading zeros), or missing.
4. Lines are grouped by place into the 1C print's rows (layout1c.plan_rows): `row` is Excel's.
5. Assets not on the books are added: low-value kit (expected), disposed units (expected), and
   capital items nobody capitalised (MISSING_IN_BOOKS). The inventory is shuffled and numbered.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from reconciler.models import BookRow, Inventory
from reconciler.synth import catalog, spelling
from reconciler.synth.catalog import REPORT_DATE, Site
from reconciler.synth.company import Company, Line, off_book_assets, ordinary_lines, planted_lines
from reconciler.synth.layout1c import SHEET, plan_rows
from reconciler.synth.noise import NoiseConfig

log = logging.getLogger(__name__)


@dataclass
class PlantedFinding:
    """A finding a correct implementation must report. `incidental`: follows from another.

    Row findings are identified by (code, sheet, row); their asset_id is the row's one true
    asset for pair findings (location, custodian, serial, cost, depreciation, disposal) and
    None for facts about the books alone (below threshold, duplicate) and for kits.
    MISSING_IN_BOOKS has no sheet or row and is identified by its asset_id.
    """

    code: str
    sheet: str | None
    row: int | None
    asset_id: str | None
    incidental: bool = False
    note: str = ""


@dataclass
class SynthData:
    register_rows: list[BookRow]  # sheet "TDSheet", row = the Excel row in the 1C-layout file
    inventory: Inventory
    truth: dict[tuple[str, int], list[str]]  # (sheet, row) -> true asset_ids ([] = not in IT)
    planted: list[PlantedFinding]
    report_date: date
    seed: int = 7
    group_rows: dict[int, str] = field(default_factory=dict)  # Excel row -> place, 1C layout
    total_row: int = 0  # the "Итого" row of the 1C layout


_BOOK_ONLY = ("below", "dup_a", "dup_b")  # facts about the books alone: no asset_id
_ROW_CODES = {
    "missing_it": "MISSING_IN_INVENTORY",
    "location": "LOCATION_MISMATCH",
    "custodian": "CUSTODIAN_MISMATCH",
    "serial": "SERIAL_MISMATCH",
    "cost": "COST_MISMATCH",
    "fully_dep": "FULLY_DEPRECIATED_IN_SERVICE",
    "disposed": "DISPOSED_STILL_ON_BOOKS",
    "below": "BELOW_CAPITALIZATION_THRESHOLD",
    "dup_a": "DUPLICATE_ON_BOOKS",
    "dup_b": "DUPLICATE_ON_BOOKS",
    "kit_incomplete": "KIT_INCOMPLETE",
}


def _counts(noise: NoiseConfig, n_rows: int) -> dict[str, int]:
    least = noise.min_planted if n_rows >= 30 else 0

    def count(rate: float) -> int:
        return max(least, round(rate * n_rows))

    kits = max(2 * least, round(noise.kit * n_rows))
    incomplete = max(least, round(kits * noise.kit_incomplete)) if kits else 0
    incomplete = min(incomplete, kits - 1) if kits >= 2 else incomplete
    found = {
        "missing_it": count(noise.not_in_it),
        "location": count(noise.location_mismatch),
        "custodian": count(noise.custodian_mismatch),
        "serial": count(noise.serial_mismatch),
        "cost": count(noise.cost_mismatch),
        "fully_dep": count(noise.fully_depreciated),
        "disposed": count(noise.disposed_on_books),
        "below": count(noise.below_threshold),
        "dup": count(noise.duplicate),
        "kit": kits - incomplete,
        "kit_incomplete": incomplete,
    }
    rows = sum(found.values()) + found["dup"]
    found["missing_books"] = count(noise.missing_in_books)  # assets, not rows
    if rows > n_rows:
        raise ValueError(
            f"n_rows={n_rows} is too small for the planted cases ({rows} rows); "
            "pass more rows or lower the NoiseConfig rates"
        )
    return found


def _book_value(line: Line) -> Decimal:
    cost = line.unit_cost * line.quantity
    r, a = REPORT_DATE, line.acquired_on
    elapsed = (r.year - a.year) * 12 + r.month - a.month  # depreciation starts the next month
    if elapsed >= line.life:
        return Decimal("0.00")
    return (cost - cost * max(elapsed, 0) / line.life).quantize(Decimal("0.01"))


def _number(co: Company, lines: list[Line]) -> int:
    """1C numbers lines in the order they were accepted; returns the next free number."""
    counter = co.rng.randint(100, 900)
    for line in sorted(lines, key=lambda ln: ln.acquired_on):
        if line.dup_of is not None:
            continue
        counter += 1 if co.rng.random() < 0.9 else co.rng.randint(2, 6)
        line.number = counter
        line.inventory_number = spelling.book_inventory_number(counter, line.acquired_on)
    for line in lines:
        if line.dup_of is not None:
            line.number, line.inventory_number = line.dup_of.number, line.dup_of.inventory_number
        tag = spelling.it_asset_tag(co.rng, line.inventory_number)
        for unit in line.units:
            if line.kind in ("kit", "kit_incomplete"):
                unit.kit = tag
            elif line.tagged:
                unit.inventory_number = tag
    return counter + 1


def _it_fillers(co: Company, lines: list[Line]) -> None:
    """What IT's agents and people got wrong on ordinary lines: a placeholder for the serial or
    the tag, or a tag with one digit mistyped. The books keep the real values; matching must
    not take a placeholder for a key, and finds these rows by name, place and person instead.
    """
    r, noise = co.rng, co.noise
    numbers = {line.number for line in lines}
    for line in lines:
        if line.kind != "normal" or len(line.units) != 1:
            continue
        unit = line.units[0]
        if r.random() < noise.placeholder_serial:
            unit.serial = r.choice(spelling.PLACEHOLDER_SERIALS)
        if unit.inventory_number:
            roll = r.random()
            if roll < noise.placeholder_tag:
                unit.inventory_number = r.choice(spelling.PLACEHOLDER_TAGS)
            elif roll < noise.placeholder_tag + noise.tag_typo:
                unit.inventory_number = spelling.tag_typo(r, unit.inventory_number, numbers)


def generate(
    n_rows: int,
    n_assets: int | None = None,
    seed: int = 7,
    noise: NoiseConfig | None = None,
    sites: tuple[Site, ...] = catalog.SITES,
) -> SynthData:
    """A register of `n_rows` book rows and an inventory of `n_assets` assets (default 1.5x).

    `sites`: the company's rooms (catalog.COMPANY_SITES: six branches, for departments.py).

    Same arguments, same data. Raises ValueError when the sizes cannot hold the planted cases.
    """
    if n_rows < 0 or (n_assets is not None and n_assets < 0):
        raise ValueError(f"n_rows={n_rows}, n_assets={n_assets}: sizes cannot be negative")
    noise = noise or NoiseConfig()
    rng = random.Random(seed)
    co = Company(rng, noise, n_rows, sites)
    counts = _counts(noise, n_rows)
    lines = planted_lines(co, counts)
    lines += ordinary_lines(co, n_rows - len(lines))
    next_number = _number(co, lines)
    _it_fillers(co, lines)

    # group by place in the order 1C lists them, then by inventory number
    by_site: dict[str, list[Line]] = {s.code: [] for s in sites}
    for line in lines:
        by_site[line.site.code].append(line)
    groups = [
        (code, sorted(group, key=lambda ln: (ln.number, ln.dup_of is not None)))
        for code, group in by_site.items()
        if group
    ]
    group_rows, data_rows, total_row = plan_rows([len(g) for _, g in groups])
    site_of = {s.code: s for s in sites}
    register_rows: list[BookRow] = []
    ordered: list[Line] = []
    for (code, group), rows in zip(groups, data_rows, strict=True):
        for line, row in zip(group, rows, strict=True):
            line.row = row
            ordered.append(line)
            register_rows.append(
                BookRow(
                    sheet=SHEET,
                    row=row,
                    inventory_number=line.inventory_number,
                    name=line.name,
                    serial=line.book_serial,
                    quantity=line.quantity,
                    cost=(line.unit_cost * line.quantity).quantize(Decimal("0.01")),
                    book_value=_book_value(line),
                    acquired_on=line.acquired_on,
                    useful_life_months=line.life,
                    location=site_of[code].book,
                    custodian=spelling.book_person(rng, line.custodian, noise.person_format),
                    account=catalog.ACCOUNT,
                    extra={"№ п/п": len(register_rows) + 1},
                )
            )

    on_books = [u for line in ordered for u in line.units]
    n_missing = counts["missing_books"]
    if n_assets is None:
        n_assets = max(len(on_books) + n_missing, round(n_rows * 1.5))
    extra = off_book_assets(co, n_assets - len(on_books), n_missing, next_number)
    assets = on_books + extra
    rng.shuffle(assets)
    for i, asset in enumerate(assets, start=1):
        asset.asset_id = f"A-{i:06d}"
        asset.extra = {}

    truth = {(SHEET, line.row): [u.asset_id for u in line.units] for line in ordered}
    planted: list[PlantedFinding] = []
    for line in ordered:
        row_code = _ROW_CODES.get(line.kind)
        unit_id = line.units[0].asset_id if len(line.units) == 1 else None
        if line.kind in _BOOK_ONLY:
            unit_id = None
        if row_code:
            planted.append(PlantedFinding(row_code, SHEET, line.row, unit_id))
        if line.kind == "kit_incomplete":
            planted.append(
                PlantedFinding(
                    "COST_MISMATCH",
                    SHEET,
                    line.row,
                    unit_id,
                    incidental=True,
                    note=f"follows from KIT_INCOMPLETE: IT holds {len(line.units)} of "
                    f"{line.quantity} units, so the summed IT cost is short",
                )
            )
    for asset in extra[:n_missing]:
        planted.append(PlantedFinding("MISSING_IN_BOOKS", None, None, asset.asset_id))
    log.debug("generated %d rows, %d assets (seed %d)", len(register_rows), len(assets), seed)
    return SynthData(
        register_rows=register_rows,
        inventory=Inventory(source="synthetic", assets=assets),
        truth=truth,
        planted=planted,
        report_date=REPORT_DATE,
        seed=seed,
        group_rows={
            row: site_of[code].book for row, (code, _) in zip(group_rows, groups, strict=True)
        },
        total_row=total_row,
    )
