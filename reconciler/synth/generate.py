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
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from reconciler.models import Asset, AssetStatus, BookRow, Inventory
from reconciler.synth import catalog, spelling
from reconciler.synth.catalog import Person, Product, Site
from reconciler.synth.itside import ItSide, add_months
from reconciler.synth.layout1c import SHEET, plan_rows

log = logging.getLogger(__name__)

REPORT_DATE = date(2026, 9, 30)
THRESHOLD = Decimal(40_000)


@dataclass
class NoiseConfig:
    """Probabilities of each kind of noise and rates of each planted finding (per book row)."""

    missing_serial: float = 0.30  # book row has no serial
    lookalike: float = 0.15  # Cyrillic look-alike letters in serials/models
    vendor_spelling: float = 0.3  # "Hewlett Packard Enterprise" / "HP" / "НР" / none
    dropped_family: float = 0.3  # "Latitude 7430" without "Dell"; "DL380 Gen10" without "ProLiant"
    model_spelling: float = 0.2  # "DL380G10" vs "DL380 Gen10"
    typo: float = 0.05  # one-character typo in the name
    person_format: float = 0.5  # "Иванов И.И." / "И.И. Иванов" instead of the full name
    kit: float = 0.02  # kit lines "Комплект ... (N шт.)"
    not_in_it: float = 0.03  # book rows with no IT asset -> MISSING_IN_INVENTORY
    # identical models: laptops/desktops bought in batches for one site on one date
    batch: float = 0.5  # share of office lines that start a batch
    max_batch: int = 50
    missing_tag: float = 0.10  # IT record of an ordinary line has no asset tag
    kit_incomplete: float = 0.3  # share of kits with a unit IT does not have -> KIT_INCOMPLETE
    # planted findings, per book row (pairs for duplicates; per row for missing_in_books)
    location_mismatch: float = 0.03
    custodian_mismatch: float = 0.03
    serial_mismatch: float = 0.02
    cost_mismatch: float = 0.03
    fully_depreciated: float = 0.03
    disposed_on_books: float = 0.02
    below_threshold: float = 0.02
    duplicate: float = 0.01
    missing_in_books: float = 0.03
    disposed_off_books: float = 0.3  # share of the off-book assets that are written off in IT too
    min_planted: int = 1  # at least this many of each code when the register has >= 30 rows


@dataclass
class PlantedFinding:
    """A finding a correct implementation must report. `incidental`: follows from another."""

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


@dataclass
class _Line:
    kind: str
    product: Product
    site: Site
    custodian: Person
    acquired_on: date
    life: int
    unit_cost: Decimal
    name: str
    quantity: int = 1
    book_serial: str | None = None
    units: list[Asset] = field(default_factory=list)
    tagged: bool = True  # IT wrote the inventory number on its record
    number: int = 0
    inventory_number: str = ""
    row: int = 0
    dup_of: _Line | None = None


# kind -> the finding code it plants on its row
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
_CATEGORY_BY_KIND = {
    "dc": (("server", 0.7), ("switch", 0.2), ("ups", 0.1)),
    "office": (("laptop", 0.45), ("desktop", 0.3), ("mfp", 0.1), ("switch", 0.08), ("ups", 0.07)),
    "warehouse": (("laptop", 0.5), ("desktop", 0.5)),
}


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


class _Company:
    """The generator's state: one seeded random, the people of each site, unique serials."""

    def __init__(self, rng: random.Random, noise: NoiseConfig, n_rows: int) -> None:
        self.rng, self.noise = rng, noise
        self.serials = catalog.SerialMaker(rng)
        self.it = ItSide(rng)
        self.name_noise = spelling.NameNoise(
            noise.vendor_spelling,
            noise.dropped_family,
            noise.model_spelling,
            noise.lookalike,
            noise.typo,
        )
        makers = catalog.PeopleMaker(rng)
        per_site = 4 + n_rows // 60
        self.people: dict[str, list[Person]] = {}
        for site in catalog.SITES:
            size = 3 if site.kind == "dc" else per_site  # a data centre has a few admins
            self.people[site.code] = [makers.new() for _ in range(size)]
        self.people_maker = makers
        self.by_category: dict[str, list[Product]] = defaultdict(list)
        for p in catalog.PRODUCTS:
            self.by_category[p.category].append(p)

    def site(self, kinds: tuple[str, ...] = ("dc", "office", "warehouse")) -> Site:
        sites = [s for s in catalog.SITES if s.kind in kinds]
        return self.rng.choices(sites, [s.weight for s in sites])[0]

    def product(self, category: str) -> Product:
        options = self.by_category[category]
        return self.rng.choices(options, [p.weight for p in options])[0]

    def capital_product(self, site: Site) -> Product:
        return self.product(_weighted(self.rng, _CATEGORY_BY_KIND[site.kind]))

    def cost(self, product: Product) -> Decimal:
        low, high = product.cost
        rub = self.rng.randint(low // 100, high // 100) * 100
        if self.rng.random() < 0.3:  # a price converted from a foreign currency
            return Decimal(rub) + Decimal(self.rng.randint(1, 99)) / 100
        return Decimal(rub)

    def acquired(self, elapsed: int) -> date:
        """A date `elapsed` whole months before the report month."""
        start = add_months(REPORT_DATE, -elapsed)
        return date(start.year, start.month, self.rng.randint(1, 28))

    def line(self, kind: str, product: Product, site: Site, *, elapsed: int | None = None) -> _Line:
        r = self.rng
        life = r.choice(catalog.USEFUL_LIFE[product.category])
        if elapsed is None:  # in use and not yet fully depreciated at the report date
            elapsed = r.randint(0, life - 3)
        return _Line(
            kind=kind,
            product=product,
            site=site,
            custodian=r.choice(self.people[site.code]),
            acquired_on=self.acquired(elapsed),
            life=life,
            unit_cost=self.cost(product),
            name=spelling.book_name(r, product, self.name_noise),
        )

    def add_unit(self, line: _Line, status: AssetStatus | None = None) -> Asset:
        asset = self.it.asset(
            line.product,
            line.site,
            line.custodian,
            self.serials.new(line.product.serial),
            line.acquired_on,
            line.unit_cost,
            status or self.it.working_status(),
        )
        line.units.append(asset)
        return asset

    def exact_serial(self, line: _Line) -> None:
        """Planted lines keep a serial that folds back exactly, so the pair is certain."""
        serial = line.units[0].serial
        assert serial is not None
        line.book_serial = spelling.book_serial(self.rng, serial, self.noise.lookalike)

    def other_person(self, site: Site, than: Person) -> Person:
        choices = [p for p in self.people[site.code] if p.surname != than.surname]
        return self.rng.choice(choices) if choices else self.people_maker.new()


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


def _planted_lines(co: _Company, counts: dict[str, int]) -> list[_Line]:
    r, noise = co.rng, co.noise
    lines: list[_Line] = []
    for kind in ("location", "custodian", "serial", "cost", "fully_dep", "disposed", "below"):
        for _ in range(counts[kind]):
            if kind == "below":
                site = co.site(("office",))
                product = r.choice(catalog.LOW_VALUE)
            else:
                site = co.site()
                product = co.capital_product(site)
            elapsed = None
            if kind == "fully_dep":
                elapsed = max(catalog.USEFUL_LIFE[product.category]) + r.randint(1, 30)
            line = co.line(kind, product, site, elapsed=elapsed)
            if kind == "fully_dep":
                line.life = r.choice(catalog.USEFUL_LIFE[product.category])
            status = {"fully_dep": AssetStatus.IN_SERVICE, "disposed": AssetStatus.DISPOSED}
            unit = co.add_unit(line, status.get(kind, AssetStatus.IN_SERVICE))
            co.exact_serial(line)
            if kind == "location":
                elsewhere = [s for s in catalog.SITES if s.kind == site.kind and s != site]
                elsewhere = elsewhere or [s for s in catalog.SITES if s != site]
                co.it.place(unit, r.choice(elsewhere), product.category)
            elif kind == "custodian":
                unit.custodian = co.other_person(site, line.custodian).full
            elif kind == "serial":  # the books carry the serial of another, unknown unit
                line.book_serial = co.serials.new(product.serial)
            elif kind == "cost":
                factor = Decimal(r.choice((r.uniform(0.70, 0.95), r.uniform(1.05, 1.35))))
                unit.purchase_cost = (line.unit_cost * factor).quantize(Decimal("1"))
            lines.append(line)
    for _ in range(counts["dup"]):  # two real units posted under one inventory number
        site = co.site(("office",))
        product = co.capital_product(site)
        first = co.line("dup_a", product, site)
        second = co.line("dup_b", product, site)
        second.acquired_on, second.name, second.dup_of = first.acquired_on, first.name, first
        for line in (first, second):
            co.add_unit(line, AssetStatus.IN_SERVICE)
            co.exact_serial(line)
        second.tagged = False
        lines += [first, second]
    for kind in ("kit", "kit_incomplete"):
        for _ in range(counts[kind]):
            site = co.site(("dc",)) if r.random() < 0.5 else co.site(("office",))
            category = "server" if site.kind == "dc" else r.choice(("laptop", "desktop"))
            product = co.product(category)
            line = co.line(kind, product, site)
            line.quantity = r.choice((2, 3, 3, 4, 5)) if category == "server" else r.randint(3, 10)
            line.name = spelling.kit_name(r, product, line.quantity, co.name_noise)
            in_it = line.quantity - 1 if kind == "kit_incomplete" else line.quantity
            for _ in range(in_it):
                co.add_unit(line, AssetStatus.IN_SERVICE)
            if kind == "kit" and r.random() < 0.5:
                line.book_serial = ", ".join(str(u.serial) for u in line.units)
            line.tagged = False  # kit members carry the kit's number in `kit`, not a tag
            lines.append(line)
    for _ in range(counts["missing_it"]):  # on the books, never recorded by IT
        site = co.site()
        product = co.capital_product(site)
        line = co.line("missing_it", product, site)
        if r.random() >= noise.missing_serial:
            line.book_serial = co.serials.new(product.serial)
        lines.append(line)
    return lines


def _ordinary_lines(co: _Company, n: int) -> list[_Line]:
    r, noise = co.rng, co.noise
    lines: list[_Line] = []
    while len(lines) < n:
        site = co.site()
        product = co.capital_product(site)
        size = 1
        if product.category in ("laptop", "desktop") and r.random() < noise.batch:
            size = r.randint(2, max(2, min(noise.max_batch, len(co.people[site.code]))))
        size = min(size, n - len(lines))
        first = co.line("normal", product, site)
        custodians = r.sample(co.people[site.code], size)
        for i in range(size):
            line = first if i == 0 else co.line("normal", product, site)
            if i:  # one purchase: same model, date, price and name; another person
                line.acquired_on, line.life = first.acquired_on, first.life
                line.unit_cost, line.name = first.unit_cost, first.name
            line.custodian = custodians[i]
            co.add_unit(line)
            if r.random() >= noise.missing_serial:
                co.exact_serial(line)
            line.tagged = r.random() >= noise.missing_tag
            lines.append(line)
    return lines


def _book_value(line: _Line) -> Decimal:
    cost = line.unit_cost * line.quantity
    r, a = REPORT_DATE, line.acquired_on
    elapsed = (r.year - a.year) * 12 + r.month - a.month  # depreciation starts the next month
    if elapsed >= line.life:
        return Decimal("0.00")
    return (cost - cost * max(elapsed, 0) / line.life).quantize(Decimal("0.01"))


def _number(co: _Company, lines: list[_Line]) -> int:
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


def _off_book_assets(co: _Company, n_extra: int, missing: int, next_number: int) -> list[Asset]:
    """Assets IT has and the books do not: the planted MISSING_IN_BOOKS first, then the
    expected ones (written off on both sides; low-value kit expensed on purchase)."""
    r = co.rng
    if n_extra < missing:
        raise ValueError(
            f"n_assets is {missing - n_extra} too small: the register needs every asset it "
            f"names plus {missing} not on the books; pass a larger n_assets or None"
        )
    assets: list[Asset] = []
    for i in range(n_extra):
        if i < missing:
            site = co.site()
            product = co.capital_product(site)
            cost = co.cost(product) if r.random() < 0.8 else None
            status = AssetStatus.IN_SERVICE if r.random() < 0.8 else AssetStatus.IN_STOCK
            when = co.acquired(r.randint(0, 18))
        elif r.random() < co.noise.disposed_off_books:
            site = co.site()
            product = co.capital_product(site)
            cost, status = co.cost(product), AssetStatus.DISPOSED
            when = co.acquired(r.randint(60, 120))
        else:
            site = co.site(("office", "warehouse"))
            product = r.choice(catalog.LOW_VALUE)
            cost, status = co.cost(product), co.it.working_status()
            when = co.acquired(r.randint(0, 48))
        person = r.choice(co.people[site.code])
        unit = co.it.asset(
            product, site, person, co.serials.new(product.serial), when, cost, status
        )
        if status is AssetStatus.DISPOSED and r.random() < 0.5:
            unit.inventory_number = f"{next_number:08d}"  # its old number, long off the books
            next_number += 1
        assets.append(unit)
    return assets


def generate(
    n_rows: int, n_assets: int | None = None, seed: int = 7, noise: NoiseConfig | None = None
) -> SynthData:
    """A register of `n_rows` book rows and an inventory of `n_assets` assets (default 1.5x).

    Same arguments, same data. Raises ValueError when the sizes cannot hold the planted cases.
    """
    noise = noise or NoiseConfig()
    rng = random.Random(seed)
    co = _Company(rng, noise, n_rows)
    counts = _counts(noise, n_rows)
    lines = _planted_lines(co, counts)
    lines += _ordinary_lines(co, n_rows - len(lines))
    next_number = _number(co, lines)

    # group by place in the order 1C lists them, then by inventory number
    by_site: dict[str, list[_Line]] = {s.code: [] for s in catalog.SITES}
    for line in lines:
        by_site[line.site.code].append(line)
    groups = [
        (code, sorted(group, key=lambda ln: (ln.number, ln.dup_of is not None)))
        for code, group in by_site.items()
        if group
    ]
    group_rows, data_rows, total_row = plan_rows([len(g) for _, g in groups])
    site_of = {s.code: s for s in catalog.SITES}
    register_rows: list[BookRow] = []
    ordered: list[_Line] = []
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
    extra = _off_book_assets(co, n_assets - len(on_books), n_missing, next_number)
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
        if row_code:
            planted.append(PlantedFinding(row_code, SHEET, line.row, unit_id))
        if line.kind == "kit_incomplete":
            planted.append(
                PlantedFinding(
                    "COST_MISMATCH",
                    SHEET,
                    line.row,
                    None,
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
