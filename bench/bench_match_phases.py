"""CPU seconds of the matching stage and of its phases, with the garbage collector on and off.

    .venv/bin/python bench/bench_match_phases.py 100000 --seed 21 [--no-gc]

CPU time (process_time), not wall time: on the shared 2-core box the wall time measures the
other jobs too. Each named phase of engine.py / blocking.py is wrapped by a timer (a few calls
each, so the wrapping costs nothing); a phase that calls another counts it too. --no-gc
freezes what exists and turns the collector off for the run: the difference is what Python's
cyclic garbage collector costs the stage (it walks every live container object each time
enough new ones survive, and the stage keeps millions alive).
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import json
import resource
import time
from collections.abc import Callable
from typing import Any

from reconciler.match import blocking, engine
from reconciler.rules import default_rules
from reconciler.synth import generate

PHASES = {
    engine: [
        "needed_assets_each",
        "exact_keys",
        "complete_kits",
        "_fuzzy",
        "first_word_vendors",
        "with_vendors",
        "_decide",
        "_learn",
        "learn_weights",
        "_union_pairs",
        "score_pairs",
        "book_features",
        "asset_features",
        "build_index",
        "candidate_pairs",
        "ngram_pairs",
    ],
    blocking: ["_features", "_top_k"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--no-gc", action="store_true")
    args = parser.parse_args()
    data = generate(args.rows, seed=args.seed)
    rules = default_rules()
    spent: collections.Counter[str] = collections.Counter()

    def timed(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def run(*a: Any, **k: Any) -> Any:
            start = time.process_time()
            try:
                return f(*a, **k)
            finally:
                spent[name] += time.process_time() - start

        return run

    for module, names in PHASES.items():
        for name in names:
            if hasattr(module, name):  # the engine is being reshaped: time what exists
                setattr(module, name, timed(name, getattr(module, name)))
    # The unit keys of both sides, folded once per run before the exact pass.
    if hasattr(engine, "UnitKeys"):
        engine.UnitKeys.of = timed("UnitKeys.of", engine.UnitKeys.of)  # type: ignore[method-assign]
    if args.no_gc:
        gc.freeze()
        gc.disable()
    cpu, wall = time.process_time(), time.perf_counter()
    engine.match_rows(data.register_rows, data.inventory, rules)
    out = {
        "rows": args.rows,
        "seed": args.seed,
        "gc": not args.no_gc,
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "phases_cpu": {k: round(v, 2) for k, v in spent.most_common()},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
