"""Shared by the matching benchmarks: quality against the truth, and the cdist baseline.

Quality is counted in (row, asset) pairs: a kit row of three true assets is three true pairs.
`auto` pairs are the matched rows' assets; `auto+review` adds, for each review row, its first
N candidates (N = the assets the row may take), as a reviewer would see them on top.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process, utils
from scipy.optimize import linear_sum_assignment

from reconciler.match.exact import needed_assets
from reconciler.models import MatchResult, RowStatus

Pair = tuple[tuple[str, int], str]


@dataclass
class Quality:
    predicted: int
    correct: int
    true: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "predicted": self.predicted,
            "correct": self.correct,
            "true": self.true,
        }


def true_pairs(truth: dict[tuple[str, int], list[str]]) -> set[Pair]:
    return {(key, a) for key, ids in truth.items() for a in ids}


def quality(predicted: Iterable[Pair], truth: set[Pair]) -> Quality:
    pred = set(predicted)
    return Quality(len(pred), len(pred & truth), len(truth))


def matcher_pairs(result: MatchResult, with_review: bool) -> list[Pair]:
    out: list[Pair] = []
    for m in result.rows:
        if m.status is RowStatus.MATCHED:
            out += [(m.row.key, a) for a in m.asset_ids]
        elif with_review and m.status is RowStatus.REVIEW:
            out += [(m.row.key, c.asset_id) for c in m.candidates[: needed_assets(m.row)]]
    return out


def baseline_scores(names: list[str], choices: list[str]) -> np.ndarray:
    """The dense name-only matrix: token_set_ratio over every row x every asset."""
    return process.cdist(
        names,
        choices,
        scorer=fuzz.token_set_ratio,
        processor=utils.default_process,
        dtype=np.uint8,
        workers=-1,
    )


def baseline_assignment(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-to-one pairs maximising the summed name score; returns (rows, cols, scores)."""
    rows, cols = linear_sum_assignment(matrix.astype(np.float32), maximize=True)
    return rows, cols, matrix[rows, cols]


def best_threshold(
    scored: list[tuple[float, Pair]], truth: set[Pair], thresholds: Iterable[float]
) -> tuple[float, Quality]:
    best: tuple[float, Quality] | None = None
    for t in thresholds:
        q = quality((p for s, p in scored if s >= t), truth)
        if best is None or q.f1 > best[1].f1:
            best = (t, q)
    assert best is not None
    return best


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    """Wall seconds, and the process's CPU seconds: on a shared, loaded box the wall time
    measures the other jobs too, the CPU time (all threads) much less so."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        self.cpu_seconds = time.process_time() - self.cpu_start
