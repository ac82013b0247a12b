"""Blocking recall alone: is each row's true asset among its candidates (keys + 3-gram top-k)?

    .venv/bin/python bench/bench_blocking.py 1000 10000 100000 --seed 5 [--amazon-google]
    .venv/bin/python bench/bench_blocking.py --catalogue /work/shared/data/abt-buy

Every row against every asset (no exact-key pass first, so the figure covers rows the keys
would have taken too): recall = true (row, asset) pairs among the candidates / all true pairs,
for the key blocks alone, the 3-gram neighbours alone, and both (what the engine uses).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reconciler.match import name_keys
from reconciler.match.blocking import (
    Vocabulary,
    asset_features,
    book_features,
    build_index,
    candidate_pairs,
    ngram_pairs,
)
from reconciler.match.exact import needed_assets
from reconciler.models import BookRow, Inventory
from reconciler.rules import default_rules

Truth = set[tuple[int, int]]


def recall(rows: list[BookRow], inventory: Inventory, truth: Truth) -> dict[str, object]:
    rules = default_rules()
    assets = inventory.assets
    norm = name_keys.with_vendors(rules.normalize, (a.vendor for a in assets))
    vocab = Vocabulary()
    needs = [needed_assets(r, norm) for r in rows]
    books_f = book_features(rows, needs, vocab, norm)
    assets_f = asset_features(assets, vocab, norm)
    all_rows, free = list(range(len(rows))), list(range(len(assets)))
    start = time.perf_counter()
    index = build_index(assets_f, free, rules.matching.blocking)
    kr, ka = candidate_pairs(books_f, all_rows, index, rules.matching.blocking)
    keys_s = time.perf_counter() - start
    start = time.perf_counter()
    k = rules.matching.blocking.ngram_candidates
    nr, na = ngram_pairs(books_f, all_rows, assets_f, free, k)
    ngram_s = time.perf_counter() - start
    keys = set(zip(kr.tolist(), ka.tolist(), strict=True))
    grams = set(zip(nr.tolist(), na.tolist(), strict=True))
    both = keys | grams

    def share(found: set[tuple[int, int]]) -> float:
        return round(len(found & truth) / max(len(truth), 1), 5)

    return {
        "rows": len(rows),
        "assets": len(assets),
        "true_pairs": len(truth),
        "recall_keys": share(keys),
        "recall_ngram": share(grams),
        "recall": share(both),
        "candidates_per_row": round(len(both) / max(len(rows), 1), 1),
        "seconds_keys": round(keys_s, 2),
        "seconds_ngram": round(ngram_s, 2),
        "ngram_k": k,
    }


def synthetic(n: int, seed: int) -> dict[str, object]:
    from reconciler.synth import generate

    data = generate(n, seed=seed)
    rows = data.register_rows
    position = {r.key: i for i, r in enumerate(rows)}
    asset_at = {a.asset_id: i for i, a in enumerate(data.inventory.assets)}
    truth = {(position[k], asset_at[a]) for k, ids in data.truth.items() for a in ids}
    return {"set": f"synthetic seed {seed}", **recall(rows, data.inventory, truth)}


def catalogue(data: Path) -> dict[str, object]:
    """A product catalogue (Amazon-Google, Abt-Buy), loaded as bench_amazon_google does."""
    from bench_amazon_google import load

    rows, inventory, pairs = load(data)
    position = {r.key: i for i, r in enumerate(rows)}
    asset_at = {a.asset_id: i for i, a in enumerate(inventory.assets)}
    truth = {(position[k], asset_at[a]) for k, a in pairs if k in position and a in asset_at}
    return {"set": data.name, **recall(rows, inventory, truth)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--amazon-google", action="store_true")
    parser.add_argument("--catalogue", type=Path, help="an Amazon-Google or Abt-Buy folder")
    args = parser.parse_args()
    for n in args.sizes if not args.catalogue else []:
        print(json.dumps(synthetic(n, args.seed), ensure_ascii=False), flush=True)
    if args.amazon_google:
        from bench_amazon_google import DATA

        print(json.dumps(catalogue(DATA), ensure_ascii=False), flush=True)
    if args.catalogue:
        print(json.dumps(catalogue(args.catalogue), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
