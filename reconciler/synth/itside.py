"""The IT side of a synthetic unit: hostname, specs, address, rack, status, purchase record."""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from reconciler.models import Asset, AssetStatus
from reconciler.synth.catalog import IT_CATEGORY, Person, Product, Site
from reconciler.synth.noise import NoiseConfig

IT_SYSTEM_START = date(2024, 1, 15)  # the day IT loaded its first inventory into its system

_HOST_KIND = {
    "server": "srv",
    "switch": "sw",
    "ups": "ups",
    "mfp": "mfp",
    "laptop": "nb",
    "desktop": "pc",
}
_SERVER_CPU = (
    "2x Intel Xeon Gold 6338",
    "2x Intel Xeon Gold 6248R",
    "2x Intel Xeon Silver 4314",
    "2x Intel Xeon Gold 6430",
    "2x AMD EPYC 7343",
    "1x AMD EPYC 9354",
)
_SERVER_RAM = ("128 GB", "256 GB", "384 GB", "512 GB", "768 GB", "1024 GB")
_SERVER_DISKS = (
    "2x 480GB SSD + 6x 1.92TB SSD",
    "8x 2.4TB SAS 10K",
    "2x 240GB M.2 + 4x 3.84TB NVMe",
    "12x 4TB NL-SAS",
    "2x 960GB SSD",
)
_PC_CPU = ("Intel Core i5-1245U", "Intel Core i7-1265U", "Intel Core i5-12500", "AMD Ryzen 5 PRO")
_PC_RAM = ("8 GB", "16 GB", "32 GB")
_PC_DISKS = ("256 GB SSD", "512 GB SSD", "1 TB SSD")

# Snipe-IT status labels; rules/statuses.yaml maps them to the four states.
STATUS_LABELS = {
    AssetStatus.IN_SERVICE: ("Deployed", "Deployed", "Deployed", "In use"),
    AssetStatus.IN_STOCK: ("Ready to Deploy", "In stock"),
    AssetStatus.REPAIR: ("In Repair", "Broken"),
    AssetStatus.DISPOSED: ("Retired", "Archived", "Disposed"),
}


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, 28))


IT_VAT = Decimal("1.20")


class ItSide:
    """Per-site counters, so hostnames, addresses and rack places are unique and plausible."""

    def __init__(self, rng: random.Random, noise: NoiseConfig) -> None:
        self.rng, self.noise = rng, noise
        # Dates drawn apart, so that their noise leaves every other draw of a seed as it was.
        self.date_rng = random.Random(rng.random())
        # Which sites write costs with VAT: fixed per seed from that state, read, not drawn.
        self.vat_salt = self.date_rng.getstate()[1][7]
        self.hosts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.addresses: defaultdict[str, int] = defaultdict(int)

    def _purchase_date(self, bought: date) -> date | None:
        """What IT recorded as the purchase date: often nothing, and for units bought before
        the IT system was set up, sometimes the day it loaded them."""
        roll = self.date_rng.random()
        if roll < self.noise.it_date_missing:
            return None
        if (
            roll < self.noise.it_date_missing + self.noise.it_date_loaded
            and bought < IT_SYSTEM_START
        ):
            return IT_SYSTEM_START
        return bought

    def _writes_vat(self, site: Site) -> bool:
        """Whether this site's IT copies invoices' totals, VAT included: a habit of the office,
        fixed per seed and site (vat_salt), so no draw of the seed moves."""
        return self._fixed(site.code) / 2**32 < self.noise.it_cost_vat

    def _model(self, product: Product, site: Site) -> str:
        """The model as IT wrote it: at some sites with the maker's part number the units
        were ordered by ('ProLiant DL380 Gen10 (P20174-B21)'), which the books never carry.
        One number per product, written for every unit of it at such a site, as an import
        of the order writes them. Read from the seed (vat_salt), not drawn: no other draw
        moves."""
        if self._fixed("part", site.code, product.it_model) / 2**32 >= self.noise.it_part_number:
            return product.it_model
        sku = self._fixed("sku", product.it_model)
        return f"{product.it_model} ({'PNQ'[sku % 3]}{sku % 90000 + 10000}-B{sku % 89 + 10})"

    def _fixed(self, *key: str) -> int:
        """A 32-bit number fixed by the seed (vat_salt) and `key`, not drawn: a habit of a
        site or a product's code, which moves no other draw of the seed."""
        return zlib.crc32(":".join([str(self.vat_salt), *key]).encode())

    def _hostname(self, site: Site, category: str) -> str | None:
        kind = _HOST_KIND.get(category)
        if kind is None:
            return None
        self.hosts[(site.code, kind)] += 1
        return f"{site.code}-{kind}-{self.hosts[(site.code, kind)]:04d}"

    def _ip(self, site: Site) -> str:
        self.addresses[site.code] += 1
        n = self.addresses[site.code]
        return f"10.{site.net}.{n // 250}.{n % 250 + 4}"

    def place(self, asset: Asset, site: Site, category: str) -> None:
        """Location-dependent fields; called again when a planted move changes the site."""
        r = self.rng
        asset.location = site.it
        asset.hostname = self._hostname(site, category)
        asset.name = asset.hostname or asset.model
        asset.ip = self._ip(site) if category in ("server", "switch", "ups", "mfp") else None
        asset.rack = (
            f"{r.choice('ABCD')}{r.randint(1, 24):02d}"
            if site.kind == "dc" and category in ("server", "switch", "ups")
            else None
        )

    def asset(
        self,
        product: Product,
        site: Site,
        custodian: Person | None,
        serial: str,
        acquired_on: date,
        unit_cost: Decimal | None,
        status: AssetStatus,
    ) -> Asset:
        r = self.rng
        purchased = self._purchase_date(acquired_on - timedelta(days=r.randint(0, 25)))
        cost = unit_cost
        if cost is not None and cost >= 40_000 and r.random() < 0.3:
            cost = cost.quantize(Decimal("1"))  # IT rounds to roubles: well inside 1%
        if cost is not None and self._writes_vat(site):
            cost = (cost * IT_VAT).quantize(Decimal("0.01"))  # the invoice's total, with VAT
        asset = Asset(
            asset_id="",
            serial=serial,
            vendor=product.vendor,
            model=self._model(product, site),
            category=IT_CATEGORY[product.category],
            custodian=custodian.full if custodian else None,
            status=status,
            status_raw=r.choice(STATUS_LABELS[status]),
            warranty_until=add_months(purchased or acquired_on, r.choice((36, 36, 60))),
            purchased_on=purchased,
            purchase_cost=cost,
        )
        if product.category == "server":
            asset.cpu, asset.ram = r.choice(_SERVER_CPU), r.choice(_SERVER_RAM)
            asset.storage = r.choice(_SERVER_DISKS)
        elif product.category in ("laptop", "desktop"):
            asset.cpu, asset.ram = r.choice(_PC_CPU), r.choice(_PC_RAM)
            asset.storage = r.choice(_PC_DISKS)
        self.place(asset, site, product.category)
        return asset

    def working_status(self) -> AssetStatus:
        roll = self.rng.random()
        if roll < 0.88:
            return AssetStatus.IN_SERVICE
        return AssetStatus.IN_STOCK if roll < 0.95 else AssetStatus.REPAIR
