"""The synthetic company while it is being drawn: its people, serials and register lines.

A `Line` is one register row before it has a row number: the product, place, custodian, dates
and price, how the books write it, and the IT units that are really it. The line builders
plant one finding per line (generate.py numbers and lays them out).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from reconciler.models import Asset, AssetStatus
from reconciler.synth import catalog, spelling
from reconciler.synth.catalog import REPORT_DATE, Person, Product, Site
from reconciler.synth.itside import ItSide, add_months
from reconciler.synth.noise import NoiseConfig


@dataclass
class Line:
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
    dup_of: Line | None = None


# kind -> the finding code it plants on its row
_CATEGORY_BY_KIND = {
    "dc": (("server", 0.7), ("switch", 0.2), ("ups", 0.1)),
    "office": (("laptop", 0.45), ("desktop", 0.3), ("mfp", 0.1), ("switch", 0.08), ("ups", 0.07)),
    "warehouse": (("laptop", 0.5), ("desktop", 0.5)),
}


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


class Company:
    """The generator's state: one seeded random, the people of each site, unique serials."""

    def __init__(
        self,
        rng: random.Random,
        noise: NoiseConfig,
        n_rows: int,
        sites: tuple[Site, ...] = catalog.SITES,
    ) -> None:
        self.rng, self.noise, self.sites = rng, noise, sites
        self.serials = catalog.SerialMaker(rng)
        self.it = ItSide(rng, noise)
        self.name_noise = spelling.NameNoise(
            noise.vendor_spelling,
            noise.dropped_family,
            noise.model_spelling,
            noise.lookalike,
            noise.typo,
            glued=noise.glued,
            camel=noise.camel,
            split_model=noise.split_model,
            split_family=noise.split_family,
            trademark=noise.trademark,
            letter_case=noise.letter_case,
            specs=noise.specs,
            translit_vendor=noise.translit_vendor,
            habit=noise.habit,
        )
        makers = catalog.PeopleMaker(rng)
        per_site = 4 + n_rows // 60
        self.people: dict[str, list[Person]] = {}
        for site in sites:
            size = 3 if site.kind == "dc" else per_site  # a data centre has a few admins
            self.people[site.code] = [makers.new() for _ in range(size)]
        self.people_maker = makers
        self.by_category: dict[str, list[Product]] = defaultdict(list)
        for p in catalog.PRODUCTS:
            self.by_category[p.category].append(p)

    def site(self, kinds: tuple[str, ...] = ("dc", "office", "warehouse")) -> Site:
        sites = [s for s in self.sites if s.kind in kinds]
        if not sites:  # a company without this kind of room: any of its rooms
            sites = list(self.sites)
        return self.rng.choices(sites, [s.weight for s in sites])[0]

    def elsewhere(self, site: Site) -> list[Site]:
        """Where a planted move takes a unit: inside its branch when sites have branches, else
        a room of the same kind."""
        if site.city:
            return [s for s in self.sites if s.city == site.city and s != site]
        same_kind = [s for s in self.sites if s.kind == site.kind and s != site]
        return same_kind or [s for s in self.sites if s != site]

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

    def line(self, kind: str, product: Product, site: Site, *, elapsed: int | None = None) -> Line:
        r = self.rng
        life = r.choice(catalog.USEFUL_LIFE[product.category])
        if elapsed is None:  # in use and not yet fully depreciated at the report date
            elapsed = r.randint(0, life - 3)
        return Line(
            kind=kind,
            product=product,
            site=site,
            custodian=r.choice(self.people[site.code]),
            acquired_on=self.acquired(elapsed),
            life=life,
            unit_cost=self.cost(product),
            name=spelling.book_name(r, product, self.name_noise),
        )

    def add_unit(self, line: Line, status: AssetStatus | None = None) -> Asset:
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

    def exact_serial(self, line: Line) -> None:
        """Planted lines keep a serial that folds back exactly, so the pair is certain."""
        serial = line.units[0].serial
        assert serial is not None
        line.book_serial = spelling.book_serial(self.rng, serial, self.noise.lookalike)

    def other_person(self, site: Site, than: Person) -> Person:
        choices = [p for p in self.people[site.code] if p.surname != than.surname]
        return self.rng.choice(choices) if choices else self.people_maker.new()


def planted_lines(co: Company, counts: dict[str, int]) -> list[Line]:
    r, noise = co.rng, co.noise
    lines: list[Line] = []
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
                co.it.place(unit, r.choice(co.elsewhere(site)), product.category)
            elif kind == "custodian":
                unit.custodian = co.other_person(site, line.custodian).full
            elif kind == "serial":  # the books carry the serial of another, unknown unit
                line.book_serial = co.serials.new(product.serial)
            elif kind == "cost":
                factor = Decimal(r.choice((r.uniform(0.70, 0.95), r.uniform(1.05, 1.35))))
                factor = _not_vat(factor)
                unit.purchase_cost = (line.unit_cost * factor).quantize(Decimal("1"))
            lines.append(line)
    for _ in range(counts["dup"]):  # two real units posted under one inventory number
        site = co.site(("office",))
        product = co.capital_product(site)
        first = co.line("dup_a", product, site)
        second = co.line("dup_b", product, site)
        second.acquired_on, second.name, second.dup_of = first.acquired_on, first.name, first
        second.life, second.unit_cost = first.life, first.unit_cost  # one purchase
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


def ordinary_lines(co: Company, n: int) -> list[Line]:
    r, noise = co.rng, co.noise
    lines: list[Line] = []
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


def off_book_assets(co: Company, n_extra: int, missing: int, next_number: int) -> list[Asset]:
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


def _not_vat(factor: Decimal) -> Decimal:
    """A planted cost difference is never what VAT makes (x1.18-1.20 either way round): such a
    cost is the same money (normalize.yaml vat_rates). Moved out of the band, not drawn again,
    so that no other draw of the seed moves."""
    if Decimal("1.16") <= factor <= Decimal("1.23"):
        return factor + Decimal("0.1")
    if Decimal("0.80") <= factor <= Decimal("0.87"):
        return factor - Decimal("0.08")
    return factor
