"""Time and peak memory of the synthetic generator at benchmark size (100k rows x 150k assets).

.venv/bin/python bench/synth_bench.py [--rows 100000] [--assets 150000] [--write DIR]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from reconciler import synth


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=150_000)
    parser.add_argument("--write", type=Path, default=None, help="also write the files here")
    args = parser.parse_args()
    start = time.perf_counter()
    data = synth.generate(args.rows, args.assets, seed=7)
    took = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generate {args.rows} rows x {args.assets} assets: {took:.1f} s, peak RSS {peak:.0f} MB")
    if args.write:
        for name, write in (
            ("register-1c.xlsx", synth.write_register_1c),
            ("inventory.xlsx", synth.write_inventory),
        ):
            start = time.perf_counter()
            write(data, args.write / name)
            print(f"write {name}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
