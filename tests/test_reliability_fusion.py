"""The ``reliability`` appearance fusion (results/loso_adapt2_notes.md): ``adaptive`` with a
per-stream floor on appearance's weight, learnt from how well appearance separated people so
far, and the gate as a margin. Properties print how many examples ran (tests/fuzz_support)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.affinity import INFEASIBLE, adaptive_fused_cost, separation_evidence

GATE, MAX_IOU, SEP = 0.25, 0.8, 0.1

_shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))


@st.composite
def _pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IoU in [0, 1], cosine distances in [0, 2] (some inf: no gallery), a feasibility mask."""
    shape = draw(_shapes)
    iou = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    distance = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 2.0) | st.just(np.inf)))
    feasible = draw(hnp.arrays(np.bool_, shape))
    return iou, distance, feasible


@given(pairs=_pairs(), floor=st.floats(0.0, 1.0))
def test_cost_is_in_range_and_gated(pairs, floor: float, examples) -> None:
    examples.record("reliability cost in range", "ran")
    iou, distance, feasible = pairs
    cost = adaptive_fused_cost(
        iou, distance, GATE, MAX_IOU, SEP, feasible, min_weight=floor, gate_margin=True
    )
    assert np.all(cost[~feasible] == INFEASIBLE)
    ok = cost[feasible]
    assert np.all(np.isfinite(ok))
    # between the smaller and the larger of the two cues, each scaled to 1 at its gate
    app = np.minimum(distance, 2.0)[feasible] / GATE
    motion = (1.0 - iou[feasible]) / MAX_IOU
    assert np.all(ok >= np.minimum(app, motion) - 1e-9)
    assert np.all(ok <= np.maximum(app, motion) + 1e-9)


@given(pairs=_pairs(), low=st.floats(0.0, 1.0), high=st.floats(0.0, 1.0))
def test_a_higher_floor_moves_every_cost_towards_appearance(pairs, low, high, examples) -> None:
    examples.record("floor monotonic", "ran")
    iou, distance, feasible = pairs
    low, high = min(low, high), max(low, high)
    app = np.minimum(distance, 2.0) / GATE

    def gap(floor: float) -> np.ndarray:
        cost = adaptive_fused_cost(
            iou, distance, GATE, MAX_IOU, SEP, feasible, min_weight=floor, gate_margin=True
        )
        return np.abs(cost - app)[feasible]

    assert np.all(gap(high) <= gap(low) + 1e-9)
    full = adaptive_fused_cost(iou, distance, GATE, MAX_IOU, SEP, feasible, min_weight=1.0)
    np.testing.assert_allclose(full[feasible], app[feasible])  # floor 1: appearance alone


@given(pairs=_pairs(), has=st.data())
def test_evidence_is_bounded_and_ignores_detections_without_features(pairs, has, examples) -> None:
    _, distance, feasible = pairs
    has_appearance = has.draw(hnp.arrays(np.bool_, distance.shape[1]))
    examples.record("evidence", "ran" if has_appearance.any() else "no features")
    decisive, judged = separation_evidence(distance, feasible, has_appearance, GATE, SEP)
    assert 0 <= decisive <= judged <= distance.shape[0]
    # whatever a detection without a feature row measures is no evidence
    other = distance.copy()
    other[:, ~has_appearance] = 0.0
    assert separation_evidence(other, feasible, has_appearance, GATE, SEP) == (decisive, judged)
    # every column without features: nothing judged
    none = np.zeros(distance.shape[1], dtype=bool)
    assert separation_evidence(distance, feasible, none, GATE, SEP) == (0, 0)


def test_evidence_counts_decisive_and_close_calls() -> None:
    distance = np.array([[0.05, 0.30], [0.10, 0.12], [0.50, 0.60]])
    feasible = np.ones_like(distance, dtype=bool)
    # row 0: decisive (0.25 apart); row 1: judged, a close call; row 2: best beyond the gate
    assert separation_evidence(distance, feasible, None, GATE, SEP) == (1, 2)
    feasible[0, 1] = False  # no second candidate for row 0: no choice to judge
    assert separation_evidence(distance, feasible, None, GATE, SEP) == (0, 1)


def test_a_cosine_at_the_gate_lets_iou_decide() -> None:
    iou = np.array([[0.9]])
    at_gate = np.array([[GATE * 1.02]])  # refused by appearance alone, by a hair
    plain = adaptive_fused_cost(iou, at_gate, GATE, MAX_IOU, SEP)
    with_margin = adaptive_fused_cost(iou, at_gate, GATE, MAX_IOU, SEP, gate_margin=True)
    assert plain[0, 0] > 1.0 >= with_margin[0, 0]
    far = np.array([[GATE * 3]])  # clearly someone else: still refused
    assert adaptive_fused_cost(iou, far, GATE, MAX_IOU, SEP, gate_margin=True)[0, 0] > 1.0


def _two_people(looks: np.ndarray, frames: int = 40) -> DeepSort:
    """Two people walking side by side, close enough to stay inside each other's motion gate."""
    config = DeepSortConfig(n_init=1, appearance_fusion="reliability", appearance_weight=1.0)
    tracker = DeepSort(config)
    for f in range(frames):
        x = np.array([100.0, 120.0]) + 2.0 * f
        boxes = np.column_stack([x, np.full(2, 100.0), x + 40, np.full(2, 200.0)])
        tracker.update(boxes, np.full(2, 0.9), features=looks)
    return tracker


def test_the_floor_learns_how_well_this_streams_appearance_separates() -> None:
    rng = np.random.default_rng(0)
    distinct = _two_people(np.eye(2, 16) + 0.01 * rng.normal(size=(2, 16)))
    alike = _two_people(np.ones((2, 16)) + 0.001 * rng.normal(size=(2, 16)))
    assert distinct._reliability() == pytest.approx(1.0)
    assert alike._judged > 20 and alike._reliability() < 0.1  # from the prior 1 towards 0
    prior = DeepSort(DeepSortConfig(appearance_fusion="reliability", appearance_weight=0.4))
    assert prior._reliability() == pytest.approx(0.4)  # before any evidence: the prior


@given(zero=st.lists(st.booleans(), min_size=30, max_size=30), step=st.floats(0.0, 4.0))
def test_zero_feature_rows_fall_back_to_motion(zero: list[bool], step: float, examples) -> None:
    examples.record("zero rows fall back to motion", "ran")
    look = np.eye(1, 16)
    tracker = DeepSort(DeepSortConfig(n_init=1, appearance_fusion="reliability"))
    for f, skipped in enumerate(zero):
        box = np.array([[100.0 + step * f, 100.0, 140.0 + step * f, 200.0]])
        out = tracker.update(box, [0.9], features=np.zeros((1, 16)) if skipped and f else look)
        assert out.ids.tolist() == [1]  # one person, one id, embedded or not
