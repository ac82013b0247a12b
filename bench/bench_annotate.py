"""Annotate alone: the register sheets made by a forked worker, against all in one process.

A synthetic register (N rows) and inventory (1.5 N assets) are run once through the pipeline
(or the RunResult is loaded from --pickle, and saved there when made, its register beside it
in <pickle>.files/, which the copy is made from), then the annotated copy
is written alternately in one process and with the worker (`annotate.build_annotated_workbook`,
parallel=False/True), `--repeat` times each, the collector off as in a run. Per write: wall
seconds, this process's CPU seconds and the worker's, the load average, and the copy's content
hash (every member's name and uncompressed bytes), which must be the same for all.

    .venv/bin/python bench/bench_annotate.py 100000 [--repeat 2] [--pickle /tmp/run.pkl]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import pickle
import resource
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench_run import workspace

from reconciler import pipeline
from reconciler.config import load_config
from reconciler.outputs import annotate
from reconciler.outputs.figures import run_figures
from reconciler.outputs.table_writer import SharedTables
from reconciler.rules import load_rules


def made_run(rows: int, seed: int, root: Path, saved: Path | None) -> tuple[Any, Any, Any]:
    if saved is not None:
        # The RunResult names its register's path: kept beside the pickle, not in a temporary
        # folder gone by the next run.
        root = Path(f"{saved}.files")
        if saved.exists() and (root / "register.xlsx").exists():
            with saved.open("rb") as f:
                return pickle.load(f)  # type: ignore[no-any-return]
        root.mkdir(parents=True, exist_ok=True)
    config_path, register, _data = workspace(root, rows, seed)
    config = load_config(config_path)
    rules = load_rules(config.rules)
    made = (pipeline.run_file(register, config, rules), rules, config)
    if saved is not None:
        with saved.open("wb") as f:
            pickle.dump(made, f, protocol=5)
    return made


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            digest.update(name.encode())
            digest.update(z.read(name))
    return digest.hexdigest()[:16]


def cpu(who: int) -> float:
    used = resource.getrusage(who)
    return used.ru_utime + used.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pickle", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result, rules, config = made_run(args.rows, args.seed, root, args.pickle)
        language = config.report.language
        figures = run_figures(result, language)
        gc.collect()
        gc.disable()
        hashes = set()
        for _ in range(args.repeat):
            for parallel in (False, True):
                out = root / f"copy-{parallel}.xlsx"
                started, own, worker = (
                    time.perf_counter(),
                    cpu(resource.RUSAGE_SELF),
                    cpu(resource.RUSAGE_CHILDREN),
                )
                with out.open("wb") as f:
                    annotate.build_annotated_workbook(
                        result, rules, language, f, figures, SharedTables(), parallel=parallel
                    )
                wall = time.perf_counter() - started
                own = cpu(resource.RUSAGE_SELF) - own
                worker = cpu(resource.RUSAGE_CHILDREN) - worker
                hashes.add(content_hash(out))
                print(
                    f"{'worker' if parallel else 'one process':>11}: wall {wall:5.2f} s, CPU "
                    f"{own:5.2f} s here + {worker:5.2f} s worker, load {os.getloadavg()[0]:.2f}, "
                    f"content {content_hash(out)}",
                    flush=True,
                )
        print("the same copy every time" if len(hashes) == 1 else f"COPIES DIFFER: {hashes}")


if __name__ == "__main__":
    main()
