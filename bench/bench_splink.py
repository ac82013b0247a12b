"""Splink (Fellegi-Sunter, DuckDB backend) on the same data as reconciler: the comparison of issue 12.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/bench_splink.py [--rows 10000] [--seed 43] [--out bench/results]
    .venv/bin/python bench/bench_splink.py --skip-synthetic --catalogue /work/shared/data/abt-buy

Set up as a competent Splink user would in about an hour, from the data's look and Splink's
documentation, WITHOUT tuning to the answers: the truth is read only to score the output.

(a) Amazon-Google (/work/shared/data/amazon-google), loaded by bench_amazon_google.load: Amazon
    is the register (title, price), Google Products the inventory (title, price; 0 = missing).
    Or Abt-Buy (`--catalogue`), the same way.
(b) A synthetic register (reconciler.synth.generate(rows, seed), make_register): name, serial,
    inventory number, location, custodian, cost against the inventory's fields.

Each set runs in up to three variants: m by expectation maximisation; m from the pairs that
agree on a rare exact key (held once on each side: a model token in the catalogue, a serial in
the register), via `estimate_m_from_pairwise_labels`; and EM without term-frequency
adjustments (Amazon-Google), to tell what those add. u always by random sampling; lambda
(probability two random records match) by `estimate_probability_two_random_records_match` from
the same rare-key rule, with its recall GUESSED beforehand (0.5), as Splink documents.
Predictions are kept one to one greedily by probability (a register row takes up to
`needed_assets` assets, each asset one row), then scored at probability 0.5 and 0.9, and at the
threshold of best F1 chosen on the truth (an optimistic upper bound, labelled so).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_amazon_google import DATA, load
from bench_common import Pair, Quality, Timer, quality, true_pairs

from reconciler.match.exact import needed_assets
from reconciler.models import Asset, BookRow

LEFT, RIGHT = "a_register", "b_inventory"  # link_only puts the lower source name on the left
LAMBDA_RECALL_GUESS = 0.5  # recall of the rare-key rule, guessed before looking at any result
TOKEN_BLOCK_CAP = 20  # a title token blocks when each side holds it at most this often
PREDICT_FLOOR = 0.001  # pairs below this probability are never kept by any threshold here


# --- shared: cleaning, Splink run, one-to-one, scoring -------------------------------------


def clean(text: object) -> str | None:
    """Lower case, every run of non-alphanumerics one space: what a user does first."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    out = re.sub(r"[\W_]+", " ", str(text).lower()).strip()
    return out or None


def tokens(text: str | None) -> list[str] | None:
    if not text:
        return None
    return list(dict.fromkeys(text.split()))


def digit_tokens(toks: list[str] | None) -> list[str] | None:
    """Tokens with a digit in them: model numbers, versions, part numbers."""
    out = [t for t in toks or [] if any(c.isdigit() for c in t)]
    return out or None


def capped(left: list[list[str] | None], right: list[list[str] | None], cap: int) -> set[str]:
    """Tokens both sides hold, at most `cap` times on each: token blocking without stop words."""
    cl = Counter(v for vs in left for v in set(vs or []))
    cr = Counter(v for vs in right for v in set(vs or []))
    return {v for v, n in cl.items() if n <= cap and 0 < cr.get(v, 0) <= cap}


def rare_shared(left: list[list[str] | None], right: list[list[str] | None]) -> set[str]:
    """Values held by exactly one record on each side: agreeing on one is near-certain."""
    cl = Counter(v for vs in left for v in set(vs or []))
    cr = Counter(v for vs in right for v in set(vs or []))
    return {v for v, n in cl.items() if n == 1 and cr.get(v) == 1}


def token_jaccard(col: str, at_least: float) -> str:
    # DuckDB's jaccard() compares character sets; this is the Jaccard of the token lists.
    return (
        f"len(list_intersect({col}_l, {col}_r)) * 1.0 / "
        f"len(list_distinct(list_concat({col}_l, {col}_r))) >= {at_least}"
    )


def run_splink(
    left: pd.DataFrame,
    right: pd.DataFrame,
    comparisons: list[Any],
    blocking: list[Any],
    em_rules: list[Any],
    rare_rule: Any,
    labels: pd.DataFrame | None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Train (u by sampling, lambda from the rare-key rule, m by EM or from labels), predict."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(
        [
            db.register(left, dataset_display_name=LEFT),
            db.register(right, dataset_display_name=RIGHT),
        ],
        settings,
        log_level=logging.WARNING,
    )
    info: dict[str, Any] = {}
    with Timer() as t:
        linker.training.estimate_probability_two_random_records_match(
            [rare_rule], recall=LAMBDA_RECALL_GUESS
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
        if labels is None:
            for rule in em_rules:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
        else:
            linker.table_management.register_table(labels, "rare_key_labels", overwrite=True)
            linker.training.estimate_m_from_pairwise_labels("rare_key_labels")
    info["train_seconds"] = round(t.seconds, 2)
    info["lambda"] = linker._settings_obj._probability_two_random_records_match
    with Timer() as t:
        pred = linker.inference.predict(threshold_match_probability=PREDICT_FLOOR)
        df = pred.as_pandas_dataframe()
    info["predict_seconds"] = round(t.seconds, 2)
    info["pairs_scored_at_least_floor"] = len(df)
    info["weights"] = {
        c.output_column_name: [
            {
                "level": lvl.label_for_charts,
                "m": _round(lvl.m_probability),
                "u": _round(lvl.u_probability),
            }
            for lvl in c.comparison_levels
            if not lvl.is_null_level
        ]
        for c in linker._settings_obj.comparisons
    }
    return df, info


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def blocked_pairs(
    left: pd.DataFrame, right: pd.DataFrame, blocking: list[Any]
) -> set[tuple[str, str]]:
    """Every (row id, asset id) the prediction blocking rules generate, as text."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only", comparisons=[], blocking_rules_to_generate_predictions=blocking
    )
    linker = Linker(
        [
            db.register(left, dataset_display_name=LEFT),
            db.register(right, dataset_display_name=RIGHT),
        ],
        settings,
        log_level=logging.WARNING,
        validate_settings=False,
    )
    df = linker.inference.compute_blocked_pairs_for_predict().as_pandas_dataframe()
    out = set()
    for key_l, key_r in zip(df.join_key_l, df.join_key_r, strict=True):
        (source_l, id_l), (_, id_r) = key_l.split("-__-", 1), key_r.split("-__-", 1)
        out.add((id_l, id_r) if source_l == LEFT else (id_r, id_l))
    return out


def one_to_one(df: pd.DataFrame, row_capacity: dict[Any, int]) -> list[tuple[float, Any, Any]]:
    """Greedy best-first: each asset once, each row up to its capacity; (p, row_id, asset_id)."""
    flipped = df.source_dataset_l != LEFT
    rows = df.unique_id_l.where(~flipped, df.unique_id_r)
    assets = df.unique_id_r.where(~flipped, df.unique_id_l)
    order = df.match_probability.to_numpy().argsort(kind="stable")[::-1]
    taken: Counter[Any] = Counter()
    used: set[Any] = set()
    out = []
    r_list, a_list, p_list = rows.to_list(), assets.to_list(), df.match_probability.to_list()
    for i in order:
        r, a = r_list[i], a_list[i]
        if a in used or taken[r] >= row_capacity.get(r, 1):
            continue
        used.add(a)
        taken[r] += 1
        out.append((float(p_list[i]), r, a))
    return out


def scores(
    kept: list[tuple[float, Any, Any]], to_pair: Callable[[Any, Any], Pair], truth: set[Pair]
) -> dict[str, Any]:
    def at(t: float) -> Quality:
        return quality((to_pair(r, a) for p, r, a in kept if p >= t), truth)

    grid = sorted({round(p, 3) for p, _, _ in kept} | {0.5, 0.9})
    best_t = max(grid, key=lambda t: at(t).f1)
    return {
        "at_0.5": at(0.5).as_dict(),
        "at_0.9": at(0.9).as_dict(),
        "best_threshold_chosen_on_truth": {"threshold": best_t, **at(best_t).as_dict()},
    }


# --- (a) Amazon-Google ---------------------------------------------------------------------


def amount(col: str, near: float, far: float) -> Any:
    """A price or cost: exact, within `near`, within `far` (fractions of the larger), else."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[
            cll.NullLevel(col),
            cll.ExactMatchLevel(col),
            cll.PercentageDifferenceLevel(col, near),
            cll.PercentageDifferenceLevel(col, far),
            cll.ElseLevel(),
        ],
    )


def variant(
    left: pd.DataFrame,
    right: pd.DataFrame,
    settings: tuple[list[Any], list[Any], list[Any], Any],
    labels: pd.DataFrame | None,
    capacity: dict[Any, int],
    to_pair: Callable[[Any, Any], Pair],
    truth: set[Pair],
) -> dict[str, Any]:
    """One trained model's predictions, one to one, scored."""
    with Timer() as t:
        df, info = run_splink(left, right, *settings, labels)
        kept = one_to_one(df, capacity)
    return {"seconds": round(t.seconds, 2), **scores(kept, to_pair, truth), **info}


def ag_frame(
    ids: Iterable[Any], titles: Iterable[str | None], prices: Iterable[Any]
) -> pd.DataFrame:
    df = pd.DataFrame({"unique_id": list(ids), "title": [clean(t) for t in titles]})
    df["title_tokens"] = df.title.map(tokens)
    df["first_word"] = df.title_tokens.map(lambda ts: ts[0] if ts else None)
    df["model_tokens"] = df.title_tokens.map(digit_tokens)
    df["price"] = [float(p) if p is not None else None for p in prices]
    return df


def ag_settings(tf: bool) -> tuple[list[Any], list[Any], list[Any], Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    title = cl.CustomComparison(
        output_column_name="title",
        comparison_levels=[
            cll.NullLevel("title"),
            cll.ExactMatchLevel("title", term_frequency_adjustments=tf),
            cll.CustomLevel(token_jaccard("title_tokens", 0.7), "token jaccard >= 0.7"),
            cll.CustomLevel(token_jaccard("title_tokens", 0.5), "token jaccard >= 0.5"),
            cll.CustomLevel(token_jaccard("title_tokens", 0.3), "token jaccard >= 0.3"),
            cll.JaroWinklerLevel("title", 0.85),
            cll.ElseLevel(),
        ],
    )
    first_word = cl.ExactMatch("first_word").configure(term_frequency_adjustments=tf)
    comparisons = [
        title,
        first_word,
        cl.ArrayIntersectAtSizes("model_tokens", [2, 1]),
        amount("price", 0.1, 0.3),
    ]
    blocking = [
        block_on("first_word"),
        block_on("model_tokens", arrays_to_explode=["model_tokens"]),
        block_on("block_tokens", arrays_to_explode=["block_tokens"]),
        block_on("substr(title, 1, 6)"),
    ]
    em_rules = [block_on("first_word"), block_on("price")]
    return comparisons, blocking, em_rules, block_on("rare_key")


def amazon_google(variants: list[str], data: Path = DATA) -> dict[str, Any]:
    """A product catalogue: Amazon-Google, or Abt-Buy with `data` (bench_amazon_google.load)."""
    rows, inventory, truth = load(data)
    sheet = rows[0].sheet
    left = ag_frame([r.row for r in rows], [r.name for r in rows], [r.cost for r in rows])
    right = ag_frame(
        [int(a.asset_id[1:]) for a in inventory.assets],
        [a.name for a in inventory.assets],
        [a.purchase_cost for a in inventory.assets],
    )
    # Tokens held once on each side: blocking on them costs little and finds the pairs that
    # share no first word; the one such model token a pair shares is its rare exact key.
    rare = rare_shared(list(left.title_tokens), list(right.title_tokens))
    blockable = capped(list(left.title_tokens), list(right.title_tokens), TOKEN_BLOCK_CAP)
    for df in (left, right):
        df["block_tokens"] = df.title_tokens.map(
            lambda ts: [t for t in ts or [] if t in blockable] or None
        )
        df["rare_tokens"] = df.title_tokens.map(
            lambda ts: [t for t in ts or [] if t in rare] or None
        )
        df["rare_key"] = df.rare_tokens.map(
            lambda ts: max(
                (t for t in ts or [] if any(c.isdigit() for c in t)), key=len, default=None
            )
        )
    labels = rare_key_labels(left, right, "rare_key")

    def to_pair(r: Any, a: Any) -> Pair:
        return ((sheet, int(r)), f"g{a}")

    out: dict[str, Any] = {
        "rows": len(left),
        "assets": len(right),
        "true_pairs": len(truth),
        "rare_key_label_pairs": len(labels),
    }
    with Timer() as t:
        pairs = blocked_pairs(left, right, ag_settings(tf=True)[1])
    out["blocking"] = {
        "pairs": len(pairs),
        "recall": round(len({p for p in pairs if to_pair(*p) in truth}) / len(truth), 4),
        "seconds": round(t.seconds, 2),
    }
    for name in variants:
        out[name] = variant(
            left,
            right,
            ag_settings(tf=name != "em_no_tf"),
            labels if name == "labels" else None,
            {},
            to_pair,
            truth,
        )
    return out


def rare_key_labels(left: pd.DataFrame, right: pd.DataFrame, col: str) -> pd.DataFrame:
    """Pairs agreeing on a rare exact key, in estimate_m_from_pairwise_labels' layout."""
    joined = left[["unique_id", col]].dropna().merge(right[["unique_id", col]].dropna(), on=col)
    return pd.DataFrame(
        {
            "source_dataset_l": LEFT,
            "unique_id_l": joined.unique_id_x,
            "source_dataset_r": RIGHT,
            "unique_id_r": joined.unique_id_y,
        }
    )


# --- (b) the synthetic register ------------------------------------------------------------


def person(text: str | None) -> tuple[str | None, str | None]:
    """(surname, initials) from 'Медведев В.О', 'В.О. Медведев' or 'Медведев Вадим Олегович'."""
    words = re.findall(r"\w+\.?", text or "")
    if not words:
        return None, None
    full = [w for w in words if len(w.rstrip(".")) > 1 and not w.endswith(".")]
    surname = full[0] if full else words[0]
    initials = "".join(w[0] for w in words if w != surname)
    return surname.lower(), initials.lower() or None


def inventory_digits(text: str | None) -> str | None:
    digits = re.sub(r"\D", "", text or "").lstrip("0")
    return digits or None


def serial_key(text: str | None) -> str | None:
    first = re.split(r"[,;/\s]+", (text or "").strip())[0]
    key = re.sub(r"[\W_]+", "", first).upper()
    return key or None


def synth_frame(
    ids: list[Any],
    names: list[str | None],
    serials: list[str | None],
    tags: list[str | None],
    places: list[str | None],
    people: list[str | None],
    costs: list[Any],
) -> pd.DataFrame:
    df = pd.DataFrame({"unique_id": ids, "name": [clean(n) for n in names]})
    df["name_tokens"] = df.name.map(tokens)
    df["model_tokens"] = df.name_tokens.map(digit_tokens)
    df["serial"] = [serial_key(s) for s in serials]
    df["inv"] = [inventory_digits(t) for t in tags]
    df["location"] = [clean(p) for p in places]
    split = [person(p) for p in people]
    df["surname"] = [s for s, _ in split]
    df["person"] = [f"{s} {i}" if s and i else s for s, i in split]
    df["cost"] = [float(c) if c is not None else None for c in costs]
    return df


def synth_settings() -> tuple[list[Any], list[Any], list[Any], Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True),
            cll.CustomLevel(token_jaccard("name_tokens", 0.7), "token jaccard >= 0.7"),
            cll.CustomLevel(token_jaccard("name_tokens", 0.4), "token jaccard >= 0.4"),
            cll.JaroWinklerLevel("name", 0.85),
            cll.ElseLevel(),
        ],
    )
    person_cmp = cl.CustomComparison(
        output_column_name="custodian",
        comparison_levels=[
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("person", term_frequency_adjustments=True),
            cll.ExactMatchLevel("surname", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("surname", 0.9),
            cll.ElseLevel(),
        ],
    )
    comparisons = [
        name,
        cl.ArrayIntersectAtSizes("model_tokens", [2, 1]),
        cl.LevenshteinAtThresholds("serial", [1, 2]).configure(term_frequency_adjustments=True),
        cl.LevenshteinAtThresholds("inv", [1]).configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("location", [0.9]).configure(term_frequency_adjustments=True),
        person_cmp,
        amount("cost", 0.05, 0.2),
    ]
    blocking = [
        block_on("serial"),
        block_on("inv"),
        block_on("location", "surname"),
        block_on("model_tokens", "location", arrays_to_explode=["model_tokens"]),
        block_on("cost"),
    ]
    em_rules = [block_on("location", "surname"), block_on("serial"), block_on("inv")]
    return comparisons, blocking, em_rules, block_on("rare_key")


def synthetic(n_rows: int, seed: int, variants: list[str]) -> dict[str, Any]:
    from reconciler.synth import generate, make_register

    data = generate(n_rows, seed=seed)
    register = make_register(data)
    truth = true_pairs(data.truth)
    rows: list[BookRow] = register.rows
    assets: list[Asset] = data.inventory.assets
    by_id = {i: r for i, r in enumerate(rows)}
    left = synth_frame(
        [str(i) for i in by_id],  # one type for both sides' ids, or DuckDB refuses the union
        [r.name for r in rows],
        [r.serial for r in rows],
        [r.inventory_number for r in rows],
        [r.location for r in rows],
        [r.custodian for r in rows],
        [r.cost for r in rows],
    )
    right = synth_frame(
        [a.asset_id for a in assets],
        [" ".join(x for x in (a.vendor, a.model) if x) or a.name for a in assets],
        [a.serial for a in assets],
        [a.inventory_number for a in assets],
        [a.location for a in assets],
        [a.custodian for a in assets],
        [a.purchase_cost for a in assets],
    )
    rare = rare_shared(
        [[s] if s else None for s in left.serial], [[s] if s else None for s in right.serial]
    )
    for df in (left, right):
        df["rare_key"] = df.serial.map(lambda s: s if s in rare else None)
    labels = rare_key_labels(left, right, "rare_key")
    capacity = {str(i): needed_assets(r) for i, r in by_id.items()}

    def to_pair(r: Any, a: Any) -> Pair:
        return (by_id[int(r)].key, str(a))

    out: dict[str, Any] = {
        "rows": len(left),
        "assets": len(right),
        "seed": seed,
        "true_pairs": len(truth),
        "rare_key_label_pairs": len(labels),
    }
    for name in variants:
        out[name] = variant(
            left,
            right,
            synth_settings(),
            labels if name == "labels" else None,
            capacity,
            to_pair,
            truth,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=43)
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-amazon-google", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--catalogue", type=Path, default=DATA, help="an Amazon-Google or Abt-Buy folder"
    )
    args = parser.parse_args()
    import splink

    out: dict[str, Any] = {
        "splink": splink.__version__,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.processor() or ''}",
        "date": datetime.now(UTC).isoformat(timespec="minutes"),
        "load_average_before": os.getloadavg(),
    }
    start = time.perf_counter()
    if not args.skip_amazon_google:
        out[args.catalogue.name] = amazon_google(["em", "labels", "em_no_tf"], args.catalogue)
    if not args.skip_synthetic:
        out["synthetic"] = synthetic(args.rows, args.seed, ["em", "labels"])
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["load_average_after"] = os.getloadavg()
    text = json.dumps(out, indent=1, ensure_ascii=False, default=str)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "splink.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
