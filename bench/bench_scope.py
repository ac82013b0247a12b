"""Finding precision per code when six branches each reconcile their own register against the
company's one inventory: before scopes (every register against the whole inventory) and after
(the scope inferred from each register, and configured per folder by branch prefix).

    .venv/bin/python bench/bench_scope.py 600 3000 --seeds 3 7 11

For each size and seed: `synth.departments.company` (six branches, two rooms each), cut into
the branches' registers; each register: `make_register`, `match_register`, then the checks on
the whole inventory ("before"), or after `checks.scope.resolve_scope` + `narrow` ("inferred",
"configured"). Findings are keyed as bench_findings keys them and compared with each branch's
planted findings (its rows' findings and the surplus IT places in its rooms). Also reported:
whether the branches' surpluses add up to the company's own run's (the whole register).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime

from bench_findings import Key, finding_key

from reconciler.checks import scope as scoping
from reconciler.checks.accounting import run_checks
from reconciler.config import FolderScope, ScopeConfig
from reconciler.match.engine import match_register
from reconciler.models import Finding, MatchResult
from reconciler.rules import Rules, default_rules
from reconciler.synth import departments, make_register
from reconciler.synth.generate import SynthData

MODES = ("before", "inferred", "configured")


def findings_for(
    data: SynthData, rules: Rules, mode: str, branch: str | None
) -> tuple[list[Finding], MatchResult]:
    register = make_register(data)
    match = match_register(register, data.inventory, rules)
    if mode != "before":
        config = ScopeConfig()
        if mode == "configured" and branch:
            config = ScopeConfig(by_folder={branch: FolderScope(locations=[f"{branch}*"])})
        scope = scoping.resolve_scope(register, data.inventory, match, rules, config, branch)
        match = scoping.narrow(match, scope)
    found = run_checks(register, data.inventory, match, rules, report_date=data.report_date)
    return found, match


def keys(findings: list[Finding]) -> set[Key]:
    return {
        finding_key(f.code, f.sheet, f.row, f.asset_id)
        for f in findings
        if f.code != "NEEDS_REVIEW"
    }


def surplus(findings: list[Finding]) -> Counter[str]:
    return Counter(f.asset_id or "" for f in findings if f.code == "MISSING_IN_BOOKS")


def run_one(n_rows: int, seed: int, rules: Rules) -> dict[str, object]:
    company = departments.company(n_rows, seed=seed)
    branches = departments.branch_registers(company)
    whole, _ = findings_for(company, rules, "before", None)
    out: dict[str, object] = {"rows": n_rows, "seed": seed}
    for mode in MODES:
        per_code: dict[str, Counter[str]] = defaultdict(Counter)
        parts: Counter[str] = Counter()
        started = time.perf_counter()
        for branch, data in branches.items():
            found, _ = findings_for(data, rules, mode, branch)
            planted = {finding_key(p.code, p.sheet, p.row, p.asset_id) for p in data.planted}
            # A branch's row keys are its own rows: tag them with the branch to keep them apart.
            mine = keys(found)
            for code, _ in planted:
                per_code[code]["planted"] += 1
            for code, _ in mine:
                per_code[code]["found"] += 1
            for code, _ in planted & mine:
                per_code[code]["hit"] += 1
            parts.update(surplus(found))
        out[mode] = {
            "per_code": {c: dict(v) for c, v in per_code.items()},
            "seconds": round(time.perf_counter() - started, 2),
            "surplus_sum": sum(parts.values()),
            "surplus_twice": sum(1 for n in parts.values() if n > 1),
            "adds_up": set(parts) == set(surplus(whole)) and max(parts.values(), default=1) == 1,
        }
    out["company_surplus"] = len(surplus(whole))
    return out


def table(runs: list[dict[str, object]], size: int) -> str:
    sums: dict[str, dict[str, Counter[str]]] = {m: defaultdict(Counter) for m in MODES}
    for run in runs:
        if run["rows"] != size:
            continue
        for mode in MODES:
            for code, c in run[mode]["per_code"].items():  # type: ignore[index]
                sums[mode][code].update(c)
    codes = sorted({c for m in MODES for c in sums[m]})
    lines = [
        "| code | planted | "
        + " | ".join(f"{m}: found / precision / recall" for m in MODES)
        + " |",
        "|---|---|" + "---|" * len(MODES),
    ]
    for code in codes:
        planted = sums["before"][code]["planted"]
        cells = []
        for mode in MODES:
            c = sums[mode][code]
            precision = c["hit"] / c["found"] if c["found"] else 1.0
            recall = c["hit"] / planted if planted else 1.0
            cells.append(f"{c['found']} / {precision:.3f} / {recall:.3f}")
        lines.append(f"| {code} | {planted} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[600, 3000])
    parser.add_argument("--seeds", nargs="+", type=int, default=[3, 7, 11])
    args = parser.parse_args(argv)
    rules = default_rules()
    runs = []
    for size in args.sizes:
        for seed in args.seeds:
            run = run_one(size, seed, rules)
            runs.append(run)
            sys.stderr.write(
                f"{size} rows seed {seed}: company surplus {run['company_surplus']}; "
                + "; ".join(
                    f"{m}: sum {run[m]['surplus_sum']}, twice {run[m]['surplus_twice']}, "  # type: ignore[index]
                    f"adds up {run[m]['adds_up']}"  # type: ignore[index]
                    for m in MODES
                )
                + "\n"
            )
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {platform.processor()}, "
        f"Python {platform.python_version()}; seeds {', '.join(map(str, args.seeds))}, summed "
        "over the six branches"
    )
    for size in args.sizes:
        print(f"\n{size:,}-row company, six branch registers:\n")
        print(table(runs, size))
    for run in runs:
        print(
            f"\n{run['rows']} rows seed {run['seed']}: company surplus {run['company_surplus']}; "
            + "; ".join(
                f"{m}: branches' surplus sum {run[m]['surplus_sum']}, "  # type: ignore[index]
                f"adds up {'yes' if run[m]['adds_up'] else 'no'}"  # type: ignore[index]
                for m in MODES
            ),
            end="",
        )
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
