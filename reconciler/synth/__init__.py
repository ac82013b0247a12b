"""Seeded synthetic registers and inventories: for the demo, the tests and the benchmarks.

`generate(n_rows, n_assets, seed)` builds a company's fixed-asset register (as BookRows numbered
by the rows of a 1C print) and its IT inventory, with the truth (which assets each book row
is) and the discrepancies planted in it. The writers turn that into the files a user has:
a 1C "Ведомость основных средств" print, a plain English register, a Snipe-IT export, and
truth.json. Same seed, same data.
"""

from reconciler.synth.catalog import REPORT_DATE
from reconciler.synth.demo import write_demo_workspace
from reconciler.synth.generate import (
    PlantedFinding,
    SynthData,
    generate,
)
from reconciler.synth.noise import NoiseConfig
from reconciler.synth.workbooks import (
    make_register,
    write_inventory,
    write_register_1c,
    write_register_plain,
    write_truth,
)

__all__ = [
    "REPORT_DATE",
    "NoiseConfig",
    "PlantedFinding",
    "SynthData",
    "generate",
    "make_register",
    "write_demo_workspace",
    "write_inventory",
    "write_register_1c",
    "write_register_plain",
    "write_truth",
]
