"""Rewrite the bundled example from seed 7: examples/register-1c.xlsx, inventory.xlsx, truth.json.

    .venv/bin/python bench/make_examples.py [--seed 7] [--rows 60]

The repository's config.yaml points inventory.path at examples/inventory.xlsx, and the README
runs `reconciler run examples/register-1c.xlsx`; run this after changing the generator.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reconciler import synth

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows", type=int, default=60)
    args = parser.parse_args()
    data = synth.generate(args.rows, seed=args.seed)
    for path in (
        synth.write_register_1c(data, EXAMPLES / "register-1c.xlsx"),
        synth.write_inventory(data, EXAMPLES / "inventory.xlsx"),
        synth.write_truth(data, EXAMPLES / "truth.json"),
    ):
        print(path)


if __name__ == "__main__":
    main()
