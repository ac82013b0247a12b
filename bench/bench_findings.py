"""End-to-end finding accuracy: the real stages against the generator's planted findings.

    .venv/bin/python bench/bench_findings.py 2000 10000 --seeds 3 7 11 --out bench/results

For each size and seed: `reconciler.synth.generate`, `make_register`, `match_register` and
`checks.run_checks` with the shipped rules and synth's report date. The findings are compared
with synth's `planted` list (incidental ones included: they follow from the truth too), keyed as
the generator's oracle keys them: a row finding by (code, sheet, row), MISSING_IN_BOOKS by its
asset_id. NEEDS_REVIEW is never planted (it is the matcher admitting doubt), so it is counted
apart, with how many planted findings sat on rows sent to review.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from reconciler.checks.accounting import run_checks
from reconciler.match.engine import match_register
from reconciler.models import Finding, RowStatus
from reconciler.rules import default_rules
from reconciler.synth import PlantedFinding, generate, make_register

Key = tuple[str, object]


def finding_key(code: str, sheet: str | None, row: int | None, asset_id: str | None) -> Key:
    if row is None:
        return (code, asset_id)
    return (code, (sheet, row))


def run_one(n_rows: int, seed: int) -> dict[str, object]:
    data = generate(n_rows, seed=seed)
    register = make_register(data)
    rules = default_rules()
    start = time.perf_counter()
    match = match_register(register, data.inventory, rules)
    findings: list[Finding] = run_checks(
        register, data.inventory, match, rules, report_date=data.report_date
    )
    seconds = time.perf_counter() - start
    planted: set[Key] = {finding_key(p.code, p.sheet, p.row, p.asset_id) for p in data.planted}
    found: set[Key] = {
        finding_key(f.code, f.sheet, f.row, f.asset_id)
        for f in findings
        if f.code != "NEEDS_REVIEW"
    }
    review_rows = {m.row.key for m in match.rows if m.status is RowStatus.REVIEW}
    per_code: dict[str, dict[str, int]] = defaultdict(lambda: {"planted": 0, "found": 0, "hit": 0})
    for code, _ in planted:
        per_code[code]["planted"] += 1
    for code, _ in found:
        per_code[code]["found"] += 1
    for code, _ in planted & found:
        per_code[code]["hit"] += 1
    missed_in_review = Counter(
        p.code for p in data.planted if _missed(p, found) and (p.sheet, p.row) in review_rows
    )
    return {
        "rows": n_rows,
        "seed": seed,
        "seconds": round(seconds, 2),
        "per_code": dict(per_code),
        "needs_review": sum(1 for f in findings if f.code == "NEEDS_REVIEW"),
        "missed_on_review_rows": dict(missed_in_review),
        "statuses": dict(Counter(m.status.value for m in match.rows)),
    }


def _missed(p: PlantedFinding, found: set[Key]) -> bool:
    return finding_key(p.code, p.sheet, p.row, p.asset_id) not in found


def summarise(runs: list[dict[str, object]]) -> dict[int, dict[str, dict[str, float]]]:
    """Per size: per code, planted/found/hit summed over seeds, and precision/recall."""
    out: dict[int, dict[str, dict[str, float]]] = {}
    for run in runs:
        size = int(run["rows"])  # type: ignore[call-overload]
        table = out.setdefault(size, {})
        for code, c in run["per_code"].items():  # type: ignore[attr-defined]
            t = table.setdefault(code, {"planted": 0, "found": 0, "hit": 0})
            for k in ("planted", "found", "hit"):
                t[k] += c[k]
    for table in out.values():
        for t in table.values():
            t["precision"] = t["hit"] / t["found"] if t["found"] else 1.0
            t["recall"] = t["hit"] / t["planted"] if t["planted"] else 1.0
    return out


def markdown(summary: dict[int, dict[str, dict[str, float]]], seeds: list[int]) -> str:
    sizes = sorted(summary)
    codes = sorted({c for t in summary.values() for c in t})
    head = "| code | " + " | ".join(f"{s:,} rows: planted / found / P / R" for s in sizes) + " |"
    lines = [head, "|---|" + "---|" * len(sizes)]
    for code in codes:
        cells = []
        for s in sizes:
            t = summary[s].get(code, {"planted": 0, "found": 0, "precision": 1.0, "recall": 1.0})
            cells.append(
                f"{int(t['planted'])} / {int(t['found'])} / "
                f"{t['precision']:.3f} / {t['recall']:.3f}"
            )
        lines.append(f"| {code} | " + " | ".join(cells) + " |")
    lines.append(f"\nSeeds {', '.join(map(str, seeds))}, summed.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[2000, 10000])
    parser.add_argument("--seeds", nargs="+", type=int, default=[3, 7, 11])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    runs = []
    for size in args.sizes:
        for seed in args.seeds:
            run = run_one(size, seed)
            runs.append(run)
            sys.stderr.write(
                f"{size} rows seed {seed}: {run['seconds']} s, statuses {run['statuses']}, "
                f"needs_review {run['needs_review']}, missed on review rows "
                f"{run['missed_on_review_rows']}\n"
            )
    summary = summarise(runs)
    sys.stdout.write(markdown(summary, args.seeds) + "\n")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "findings.json").write_text(
            json.dumps({"runs": runs, "summary": summary}, indent=1, default=str)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
