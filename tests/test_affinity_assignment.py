"""IoU, appearance distances, gated costs, and the assignment back ends."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tracker.core.affinity import (
    INFEASIBLE,
    cosine_distance,
    fused_cost,
    gallery_distance,
    iou_cost,
    iou_matrix,
    l2_normalize,
)
from tracker.core.assignment import matching_cascade, min_cost_assignment


def _random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.uniform(0, 100, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(1, 40, (n, 2))], axis=1)


def _iou_by_definition(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def test_iou_matrix_matches_the_definition() -> None:
    rng = np.random.default_rng(0)
    a, b = _random_boxes(rng, 9), _random_boxes(rng, 7)
    iou = iou_matrix(a, b)
    expected = [[_iou_by_definition(x, y) for y in b] for x in a]
    np.testing.assert_allclose(iou, expected, atol=1e-12)
    assert iou_matrix(a, a).diagonal() == pytest.approx(1.0)
    assert iou_matrix(a[:0], b).shape == (0, 7)


def test_gallery_distance_is_the_nearest_valid_gallery_entry() -> None:
    rng = np.random.default_rng(1)
    gallery = l2_normalize(rng.normal(size=(4 * 5, 16))).reshape(4, 5, 16)
    counts = np.array([5, 1, 3, 0])
    dets = l2_normalize(rng.normal(size=(6, 16)))
    tracks = np.array([2, 0, 1, 3])  # any rows of the table, in any order
    feasible = np.ones((4, 6), dtype=bool)
    feasible[1, 4] = False
    distance = gallery_distance(gallery, counts, dets, tracks, feasible)
    for i, t in enumerate(tracks[:3]):
        expected = cosine_distance(gallery[t, : counts[t]], dets).min(axis=0)
        expected[~feasible[i]] = np.inf  # not asked: never matched
        np.testing.assert_allclose(distance[i], expected, rtol=1e-5)
    assert np.all(distance[3] == np.inf)  # an empty gallery matches nothing


def test_fused_cost_gates_each_condition() -> None:
    iou = np.array([[0.9, 0.1], [0.5, 0.6]])
    appearance = np.array([[0.1, 0.1], [0.5, 0.1]])
    feasible = np.array([[True, True], [True, False]])
    cost = fused_cost(
        iou, appearance, appearance_weight=0.5, max_appearance_distance=0.3,
        max_iou_distance=0.8, feasible=feasible,
    )  # fmt: skip
    assert cost[0, 0] == pytest.approx(0.5 * 0.1 + 0.5 * 0.1)
    assert cost[0, 1] == INFEASIBLE  # 1 - IoU = 0.9 > 0.8
    assert cost[1, 0] == INFEASIBLE  # appearance 0.5 > 0.3
    assert cost[1, 1] == INFEASIBLE  # motion / class gate


def test_iou_cost_gates_distance_and_feasibility() -> None:
    iou = np.array([[0.9, 0.1], [0.5, 0.6]])
    np.testing.assert_allclose(iou_cost(iou, 0.45), [[0.1, INFEASIBLE], [INFEASIBLE, 0.4]])
    feasible = np.array([[False, True], [True, True]])
    np.testing.assert_allclose(iou_cost(iou, 0.95, feasible), [[INFEASIBLE, 0.9], [0.5, 0.4]])


def _brute_force_total(cost: np.ndarray, limit: float) -> float:
    """Minimum of sum(matched costs) + limit/2 per unmatched row and column, by enumeration."""
    n, m = cost.shape
    best = (n + m) * limit / 2
    for k in range(1, min(n, m) + 1):
        for rows in itertools.combinations(range(n), k):
            for cols in itertools.permutations(range(m), k):
                pair_cost = cost[list(rows), list(cols)]
                if np.all(pair_cost <= limit):
                    best = min(best, pair_cost.sum() + (n + m - 2 * k) * limit / 2)
    return best


@pytest.mark.parametrize("backend", ["lap", "scipy"])
@pytest.mark.parametrize("seed", range(6))
def test_assignment_is_optimal_under_the_cost_limit(backend: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m, limit = rng.integers(1, 5), rng.integers(1, 5), 0.6
    cost = rng.uniform(0, 1, (n, m))
    cost[rng.random((n, m)) < 0.2] = INFEASIBLE
    result = min_cost_assignment(cost, limit, backend)
    matched = cost[result.matches[:, 0], result.matches[:, 1]]
    assert np.all(matched <= limit)
    unmatched = len(result.unmatched_rows) + len(result.unmatched_cols)
    total = matched.sum() + unmatched * limit / 2
    assert total == pytest.approx(_brute_force_total(cost, limit))
    assert sorted([*result.matches[:, 0], *result.unmatched_rows]) == list(range(n))
    assert sorted([*result.matches[:, 1], *result.unmatched_cols]) == list(range(m))


def test_unknown_backend_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown assignment backend"):
        min_cost_assignment(np.zeros((2, 2)), 1.0, "hungarian-gpu")


def test_cascade_lets_the_recently_seen_track_choose_first() -> None:
    # Track 0 was lost 5 frames ago and fits the detection slightly better; track 1 was seen
    # in the previous frame. The cascade gives the detection to track 1, a global solve to 0.
    cost = np.array([[0.10], [0.15]])
    misses = np.array([5, 1])
    cascade = matching_cascade(cost, misses, limit=0.5)
    assert cascade.matches.tolist() == [[1, 0]]
    assert cascade.unmatched_rows.tolist() == [0]
    assert min_cost_assignment(cost, 0.5).matches.tolist() == [[0, 0]]


@pytest.mark.parametrize("backend", ["lap", "scipy"])
def test_disjoint_pairs_shortcut_gives_the_solvers_answer(backend: str) -> None:
    """When no two pairs within the limit compete, the assignment is taken without the
    solver; it must be exactly what the solver returns (and the optimum), and pairs that do
    compete, or cost exactly the limit, must still go to the solver."""
    from tracker.core import assignment

    rng = np.random.default_rng(7)
    checked = forced = 0
    for _ in range(300):
        n, m, limit = int(rng.integers(1, 7)), int(rng.integers(1, 7)), 0.6
        cost = np.full((n, m), INFEASIBLE)
        k = int(rng.integers(0, min(n, m) + 1))
        rows, cols = rng.permutation(n)[:k], rng.permutation(m)[:k]
        cost[rows, cols] = rng.uniform(0, 1.0, k)  # some above the limit
        if rng.random() < 0.3:  # sometimes make two pairs compete
            cost[rng.integers(n), rng.integers(m)] = rng.uniform(0, limit)
        shortcut = assignment._disjoint_pairs(cost, limit)
        forced += shortcut is not None
        result = min_cost_assignment(cost, limit, backend)
        solver = assignment._assign_lap if backend == "lap" else assignment._assign_scipy
        np.testing.assert_array_equal(result.matches, solver(cost, limit))
        matched = cost[result.matches[:, 0], result.matches[:, 1]]
        unmatched = len(result.unmatched_rows) + len(result.unmatched_cols)
        assert matched.sum() + unmatched * limit / 2 == pytest.approx(
            _brute_force_total(cost, limit)
        )
        checked += 1
    assert checked == 300 and 100 < forced < 300
    tie = np.array([[0.6, INFEASIBLE], [INFEASIBLE, 0.1]])
    assert assignment._disjoint_pairs(tie, 0.6) is None
