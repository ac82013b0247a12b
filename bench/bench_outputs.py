"""The outputs stage alone: the annotated workbook and the reports, at several register sizes.

For each size: a synthetic 1C register (N rows) and a Snipe-IT-like inventory (1.5 N assets)
are written to a temp workspace, `pipeline.run_file` runs once (read, match, checks and the
outputs), then the outputs are written again `--repeat` times from the same RunResult so the
figure is the outputs' own: `annotate.write_annotated_workbook` and `report.write_reports`
(discrepancy workbook, report.html, results.json), each timed, with the files' sizes.
`--profile` prints the top of a cProfile of one more annotate and reports call.

    .venv/bin/python bench/bench_outputs.py 1000 10000 100000 [--repeat 1] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import pstats
import tempfile
import time
from pathlib import Path

from reconciler import pipeline, synth
from reconciler.config import load_config
from reconciler.outputs import annotate, report
from reconciler.rules import load_rules


def measure(rows: int, seed: int, repeat: int, profile: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = synth.generate(rows, int(rows * 1.5), seed=seed)
        synth.write_inventory(data, root / "inventory.xlsx")
        register = synth.write_register_1c(data, root / "register.xlsx")
        (root / "config.yaml").write_text(
            "inventory: {path: inventory.xlsx}\nmail: {transport: file}\n", encoding="utf-8"
        )
        config = load_config(root / "config.yaml")
        rules = load_rules(config.rules)
        result = pipeline.run_file(register, config, rules)
        first = dict(result.timings)
        annotate_s, reports_s = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            annotate.write_annotated_workbook(result, rules, config)
            annotate_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            report.write_reports(result, config)
            reports_s.append(time.perf_counter() - started)
        if profile:
            for name, call in (
                ("annotate", lambda: annotate.write_annotated_workbook(result, rules, config)),
                ("reports", lambda: report.write_reports(result, config)),
            ):
                prof = cProfile.Profile()
                prof.runcall(call)
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(30)
                logging.getLogger(__name__).warning("profile of %s:\n%s", name, out.getvalue())
        sizes = {p.name: round(p.stat().st_size / 1e6, 2) for p in result.outputs.values()}
        return {
            "rows": rows,
            "assets": len(data.inventory.assets),
            "findings": len(result.findings),
            "first_run_timings": first,
            "annotate_s": [round(s, 2) for s in annotate_s],
            "reports_s": [round(s, 2) for s in reports_s],
            "output_mb": sizes,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for rows in sorted(args.sizes):
        result = measure(rows, args.seed, args.repeat, args.profile)
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
