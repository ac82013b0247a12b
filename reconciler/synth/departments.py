"""A company of six branches: one IT inventory, one register per branch, the truth per branch.

`company(n_rows, seed)` draws the whole company on catalog.COMPANY_SITES (two rooms per
branch; planted moves stay inside a branch), and `branch_registers` cuts its register into the
branches' own 1C prints, renumbered as each branch's 1C would print it. Each branch's planted
findings are its rows' findings plus the surplus (MISSING_IN_BOOKS) IT places in its rooms,
so the branches' surpluses add up to the company's.
"""

from __future__ import annotations

from dataclasses import replace

from reconciler.models import BookRow
from reconciler.synth import catalog
from reconciler.synth.generate import PlantedFinding, SynthData, generate
from reconciler.synth.layout1c import SHEET, plan_rows
from reconciler.synth.noise import NoiseConfig


def company(n_rows: int = 600, seed: int = 7, noise: NoiseConfig | None = None) -> SynthData:
    """The whole company's register and inventory on the six-branch sites."""
    return generate(n_rows, seed=seed, noise=noise, sites=catalog.COMPANY_SITES)


def branches(sites: tuple[catalog.Site, ...] = catalog.COMPANY_SITES) -> list[str]:
    return list(dict.fromkeys(s.city for s in sites))


def branch_of_place(sites: tuple[catalog.Site, ...] = catalog.COMPANY_SITES) -> dict[str, str]:
    """Every place text, as the books and as IT write it -> its branch."""
    return {text: s.city for s in sites for text in (s.book, s.it)}


def branch_registers(
    data: SynthData, sites: tuple[catalog.Site, ...] = catalog.COMPANY_SITES
) -> dict[str, SynthData]:
    """Branch -> its own register (rows renumbered, grouped by room), the company's inventory
    and the findings planted in that branch."""
    branch_of = branch_of_place(sites)
    located = {a.asset_id: a.location for a in data.inventory.assets}
    out: dict[str, SynthData] = {}
    for branch in branches(sites):
        mine = [r for r in data.register_rows if branch_of.get(r.location or "") == branch]
        places = list(dict.fromkeys(r.location or "" for r in mine))
        grouped = [[r for r in mine if r.location == p] for p in places]
        group_rows, data_rows, total_row = plan_rows([len(g) for g in grouped])
        renumbered: dict[int, int] = {}
        rows: list[BookRow] = []
        for group, numbers in zip(grouped, data_rows, strict=True):
            for row, number in zip(group, numbers, strict=True):
                renumbered[row.row] = number
                rows.append(replace(row, row=number, extra={"№ п/п": len(rows) + 1}))
        planted: list[PlantedFinding] = [
            replace(p, row=renumbered[p.row])
            for p in data.planted
            if p.row is not None and p.row in renumbered
        ]
        planted += [
            p
            for p in data.planted
            if p.code == "MISSING_IN_BOOKS"
            and branch_of.get(located.get(p.asset_id or "") or "") == branch
        ]
        out[branch] = SynthData(
            register_rows=rows,
            inventory=data.inventory,
            truth={
                (SHEET, renumbered[row]): ids
                for (_, row), ids in data.truth.items()
                if row in renumbered
            },
            planted=planted,
            report_date=data.report_date,
            seed=data.seed,
            group_rows=dict(zip(group_rows, places, strict=True)),
            total_row=total_row,
        )
    return out
