"""Minimum-cost assignment with a per-pair cost limit, and DeepSORT's matching cascade.

``lap.lapjv`` with ``cost_limit`` solves the thresholded problem exactly: each unmatched row
or column costs ``limit / 2``, so a pair is taken only when it is cheaper than leaving both
sides unmatched. The scipy fallback builds that same extended matrix, so both back ends give
the same matches (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from tracker.core.jit import kernel

try:  # lap is a declared dependency; scipy keeps things working where its wheel is missing.
    import lap as _lap
except ImportError:  # pragma: no cover - exercised by forcing backend="scipy" in tests
    _lap = None

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Assignment:
    """Matched ``(row, col)`` pairs and the rows / columns left over, all as index arrays."""

    matches: IntArray  # (K, 2)
    unmatched_rows: IntArray
    unmatched_cols: IntArray

    @staticmethod
    def empty(n_rows: int, n_cols: int) -> Assignment:
        return Assignment(
            np.empty((0, 2), dtype=np.int64),
            np.arange(n_rows, dtype=np.int64),
            np.arange(n_cols, dtype=np.int64),
        )


def _pairs(rows: IntArray, cols: IntArray) -> IntArray:
    pairs = np.empty((len(rows), 2), np.int64)
    pairs[:, 0] = rows
    pairs[:, 1] = cols
    return pairs


def _assign_lap(cost: NDArray[np.float64], limit: float) -> IntArray:
    _, row_to_col, _ = _lap.lapjv(cost, extend_cost=True, cost_limit=limit)
    rows = (row_to_col >= 0).nonzero()[0]
    return _pairs(rows, row_to_col[rows])


def _disjoint_pairs(cost: NDArray[np.float64], limit: float) -> IntArray | None:
    """The optimum without a solver when it is forced: every row and every column has at
    most one pair within ``limit``, each strictly below it. Taking such a pair (cost
    ``c < limit``) beats leaving both sides unmatched (``limit / 2`` each), and no two pairs
    compete, so the optimum is unique and is exactly these pairs; a solver returns the same.
    ``None`` when pairs compete (or one costs exactly ``limit``): the solver decides."""
    pairs, forced = _forced_pairs(cost, limit)
    return pairs if forced else None


@kernel
def _forced_pairs(cost: NDArray[np.float64], limit: float) -> tuple[IntArray, bool]:
    """``_disjoint_pairs``' test and pairs (row-major, as ``nonzero`` lists them) in one
    pass over ``cost``, stopping at the first competing pair: most frames' main stage is
    forced, and this runs for every stage of every frame."""
    n, m = cost.shape
    pairs = np.empty((min(n, m), 2), np.int64)
    row_taken = np.zeros(n, np.bool_)
    col_taken = np.zeros(m, np.bool_)
    k = 0
    for i in range(n):
        for j in range(m):
            c = cost[i, j]
            if c <= limit:  # NaN is never within the limit, as in numpy
                if row_taken[i] or col_taken[j] or c >= limit:
                    return pairs[:0], False
                row_taken[i] = True
                col_taken[j] = True
                pairs[k, 0] = i
                pairs[k, 1] = j
                k += 1
    return pairs[:k], True


def _assign_scipy(cost: NDArray[np.float64], limit: float) -> IntArray:
    n, m = cost.shape
    extended = np.full((n + m, n + m), limit / 2.0)
    extended[:n, :m] = np.minimum(cost, limit + 1.0)  # anything over the limit is never taken
    extended[n:, m:] = 0.0
    rows, cols = linear_sum_assignment(extended)
    keep = (rows < n) & (cols < m)
    pairs = np.stack([rows[keep], cols[keep]], axis=1).astype(np.int64)
    return pairs[cost[pairs[:, 0], pairs[:, 1]] <= limit] if len(pairs) else pairs


def min_cost_assignment(
    cost: NDArray[np.float64], limit: float, backend: str = "lap"
) -> Assignment:
    """Rows matched to columns at minimum total cost; pairs over ``limit`` never match."""
    n, m = cost.shape
    if n == 0 or m == 0:
        return Assignment.empty(n, m)
    if backend not in ("lap", "scipy"):
        raise ValueError(f"unknown assignment backend {backend!r}; use 'lap' or 'scipy'")
    forced = _disjoint_pairs(cost, limit)
    if forced is not None:
        pairs = forced
    elif backend == "lap" and _lap is not None:
        pairs = _assign_lap(cost, limit)
    else:
        pairs = _assign_scipy(cost, limit)
    return Assignment(pairs, _unmatched(n, pairs, 0), _unmatched(m, pairs, 1))


@kernel
def _unmatched(size: int, pairs: IntArray, side: int) -> IntArray:
    """The indices below ``size`` that column ``side`` of ``pairs`` does not hold, ascending.
    (The whole ``(K, 2)`` array, not a column view: a view's layout depends on ``K``, and
    each layout is a separate compilation.)"""
    free = np.ones(size, np.bool_)
    for k in range(len(pairs)):
        free[pairs[k, side]] = False
    return np.flatnonzero(free)


def matching_cascade(
    cost: NDArray[np.float64],
    misses: NDArray[np.integer],
    limit: float,
    backend: str = "lap",
) -> Assignment:
    """DeepSORT's cascade: tracks seen most recently choose first.

    ``cost`` is the full ``(tracks, detections)`` matrix, computed once; ``misses`` is each
    track's frames since its last update (1 for a track seen in the previous frame). Level by
    level, the tracks missed for exactly that many frames are matched to the detections still
    free. This keeps a long-lost track, whose position is uncertain, from stealing a detection
    from a track that was just seen. The loop runs over distinct miss counts, not detections.
    """
    n, m = cost.shape
    free_cols = np.arange(m, dtype=np.int64)
    matched: list[IntArray] = []
    for level in np.unique(misses):
        if len(free_cols) == 0:
            break
        rows = np.flatnonzero(misses == level)
        result = min_cost_assignment(cost[np.ix_(rows, free_cols)], limit, backend)
        if len(result.matches):
            matched.append(
                np.stack([rows[result.matches[:, 0]], free_cols[result.matches[:, 1]]], axis=1)
            )
        free_cols = free_cols[result.unmatched_cols]
    pairs = np.concatenate(matched) if matched else np.empty((0, 2), dtype=np.int64)
    return Assignment(pairs, _unmatched(n, pairs, 0), free_cols)
