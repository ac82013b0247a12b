"""Matching stage on synthetic registers with known truth, side by side with a cdist baseline.

    .venv/bin/python bench/bench_match.py 1000 10000 100000 --baseline-max 10000 --out bench/results

Each size runs in its own subprocess so that peak memory (ru_maxrss) belongs to that size alone:
`rss_before` is the process after generating the data, `rss_peak` after matching; the matching
stage's own peak is roughly their difference. The baseline (rapidfuzz process.cdist with
token_set_ratio on names, then linear_sum_assignment over the dense matrix, then the threshold
with the best F1 chosen on the truth, i.e. an upper bound for it) runs in the same subprocess
after the matcher, only up to --baseline-max rows: its dense matrix does not fit beyond that.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_size(n_rows: int, with_baseline: bool, seed: int) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    from bench_common import (
        Timer,
        baseline_assignment,
        baseline_scores,
        best_threshold,
        matcher_pairs,
        peak_rss_mb,
        quality,
        true_pairs,
    )

    from reconciler.match.blocking import asset_text
    from reconciler.match.engine import match_rows
    from reconciler.rules import default_rules
    from reconciler.synth import generate

    data = generate(n_rows, seed=seed)
    rules = default_rules()
    rows, inventory = data.register_rows, data.inventory
    truth = true_pairs(data.truth)
    rss_before = peak_rss_mb()
    with Timer() as t:
        result = match_rows(rows, inventory, rules)
    out: dict[str, object] = {
        "rows": len(rows),
        "assets": len(inventory.assets),
        "true_pairs": len(truth),
        "seconds": round(t.seconds, 2),
        "cpu_seconds": round(t.cpu_seconds, 2),
        "rss_before_mb": round(rss_before),
        "rss_peak_mb": round(peak_rss_mb()),
        "auto": quality(matcher_pairs(result, False), truth).as_dict(),
        "auto_review": quality(matcher_pairs(result, True), truth).as_dict(),
        "statuses": {
            s: sum(1 for m in result.rows if m.status == s)
            for s in ("matched", "review", "unmatched")
        },
    }
    if with_baseline:
        names = [r.name or "" for r in rows]
        choices = [asset_text(a) for a in inventory.assets]
        with Timer() as tb:
            matrix = baseline_scores(names, choices)
            r_idx, c_idx, scores = baseline_assignment(matrix)
        scored = [
            (float(s), (rows[r].key, inventory.assets[c].asset_id))
            for r, c, s in zip(r_idx, c_idx, scores, strict=True)
        ]
        threshold, best = best_threshold(scored, truth, range(50, 101))
        out["baseline"] = {
            "seconds": round(tb.seconds, 2),
            "rss_peak_mb": round(peak_rss_mb()),
            "best_threshold": threshold,
            "best": best.as_dict(),
        }
        out["speedup"] = round(tb.seconds / max(t.seconds, 1e-9), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--baseline-max", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n = args.sizes[0]
        print(json.dumps(run_size(n, n <= args.baseline_max, args.seed)))
        return
    results = []
    for n in args.sizes:
        cmd = [
            sys.executable,
            __file__,
            str(n),
            "--child",
            "--seed",
            str(args.seed),
            "--baseline-max",
            str(args.baseline_max),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "synth.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
