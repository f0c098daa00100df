"""The compiled affinity kernels give the bits of the numpy code they replaced.

Each property compares a public function of ``tracker.core.affinity`` (now backed by a numba
kernel) with the numpy formula it had before, kept here as the reference, on random inputs
including the edges (empty, one row or column, inf distances, nothing feasible), with exact
equality: the tracker's result files are pinned byte for byte
(tests/test_results_unchanged.py). Properties print how many examples ran.

The gallery distance is the exception: its reference is numpy's float32 matmul, whose order
of summation is the BLAS's choice per CPU, and the kernel's dot product lets the compiler
choose too (``tracker.core.jit.dot``), so the two agree to float32 rounding, not bit for bit.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracker.core.affinity import (
    INFEASIBLE,
    adaptive_fused_cost,
    box_iou,
    fused_cost,
    gallery_distance,
    iou_cost,
    iou_matrix,
    overlap_area,
    reliability_cost,
    separation_evidence,
)
from tracker.core.deepsort import OCCLUSION_COVER, _reported_rows
from tracker.core.track import CONFIRMED, DELETED, TENTATIVE


def _gallery_pair_distance_reference(
    gallery: np.ndarray, counts: np.ndarray, features: np.ndarray, rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """The numpy code ``gallery_pair_distance`` had before its kernel."""
    if len(rows) == 0:
        return np.zeros(0)
    low, high = int(rows.min()), int(rows.max()) + 1
    valid = counts[rows]
    used = max(int(valid.max()), 1)
    similarity = np.matmul(gallery[low:high, :used], features.T)[rows - low, :, cols]
    similarity[np.arange(used) >= valid[:, None]] = -np.inf
    return 1.0 - similarity.max(axis=1).astype(np.float64)


def _unit_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    rows = rng.normal(size=shape).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows


@st.composite
def _galleries(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """A track table's gallery (some tracks empty, some full), detections' features, and a
    sorted list of pairs (as ``np.nonzero`` of a feasibility mask gives them)."""
    dim = draw(st.sampled_from([16, 24, 32, 48, 64, 128, 256, 320, 464, 480, 512]))
    tracks = draw(st.integers(1, 12))
    budget = draw(st.integers(1, 100))
    detections = draw(st.integers(1, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    gallery = _unit_rows(rng, (tracks, budget, dim))
    counts = draw(hnp.arrays(np.int32, tracks, elements=st.integers(0, budget)))
    features = _unit_rows(rng, (detections, dim))
    if draw(st.booleans()):  # skipped detections: all-zero rows
        features[rng.random(detections) < 0.3] = 0.0
    feasible = rng.random((tracks, detections)) < draw(st.sampled_from([0.5, 1.0, 0.1, 0.0]))
    rows, cols = np.nonzero(feasible)
    return gallery, counts, features, rows, cols, feasible


#: Cosines of unit float32 vectors summed in two orders differ by a few float32 ulps of the
#: largest partial sum; far below any gate's resolution, far above a wrong slot's difference.
GALLERY_TOLERANCE = 1e-5


@given(case=_galleries(), reverse=st.booleans())
def test_gallery_distance_is_the_matmul_to_rounding(case, reverse, examples) -> None:
    """The tracker's appearance matrix: the feasible pairs' distances (of tracks given by
    their table rows, in any order), inf elsewhere, as the numpy code built it."""
    gallery, counts, features, _, _, feasible = case
    tracks = np.arange(len(gallery))[::-1].copy() if reverse else np.arange(len(gallery))
    examples.record("gallery distance == matmul", "pairs" if feasible.any() else "no pairs")
    want = np.full(feasible.shape, np.inf)
    rows, cols = np.nonzero(feasible)
    want[rows, cols] = _gallery_pair_distance_reference(
        gallery, counts, features, tracks[rows], cols
    )
    got = gallery_distance(gallery, counts, features, tracks, feasible)
    assert got.dtype == np.float64 and got.shape == feasible.shape
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=0, atol=GALLERY_TOLERANCE)


def test_gallery_distance_edges() -> None:
    """An empty gallery is infinitely far; a track's own feature is at distance ~0, in any
    valid slot; slots past a track's count are not read."""
    rng = np.random.default_rng(0)
    gallery = _unit_rows(rng, (3, 100, 128))
    counts = np.array([0, 100, 50], np.int32)
    features = gallery[1, [0, 99, 7]].copy()
    gallery[2, 30] = features[2]  # valid slot of track 2
    gallery[2, 60] = features[0]  # past track 2's 50 valid slots
    feasible = np.ones((3, 3), dtype=bool)
    got = gallery_distance(gallery, counts, features, np.arange(3), feasible)
    assert np.all(got[0] == np.inf)
    assert np.all(np.abs(got[1]) < 1e-6)
    assert abs(got[2, 2]) < 1e-6
    assert got[2, 0] > 0.5 and got[2, 1] > 0.5  # random 128-d directions are far apart


# -- the reliability fusion ----------------------------------------------------------------


def _margin_reference(distance: np.ndarray, axis: int) -> np.ndarray:
    if distance.shape[axis] < 2:
        shape = list(distance.shape)
        shape[axis] = 1
        return np.full(shape, np.inf)
    two = np.partition(distance, 1, axis=axis)
    first, second = (two[:, :1], two[:, 1:2]) if axis == 1 else (two[:1], two[1:2])
    with np.errstate(invalid="ignore"):
        margin = second - first
    margin[np.isnan(margin)] = np.inf
    margin[~np.isfinite(first)] = 0.0
    return margin


def _adaptive_fused_cost_reference(
    iou, appearance, max_app, max_iou, separation, feasible, min_weight, gate_margin
) -> np.ndarray:
    """The numpy code ``adaptive_fused_cost`` had before its kernel."""
    distance = np.where(feasible, appearance, np.inf) if feasible is not None else appearance
    margin = np.minimum(_margin_reference(distance, 1), _margin_reference(distance, 0))
    if gate_margin:
        with np.errstate(invalid="ignore"):
            np.minimum(margin, np.abs(appearance - max_app), out=margin)
    weight = np.clip(margin / separation, min_weight, 1.0)
    bounded = np.minimum(appearance, 2.0)
    cost = weight * (bounded / max_app) + (1.0 - weight) * ((1.0 - iou) / max_iou)
    if feasible is not None:
        cost[~feasible] = INFEASIBLE
    return cost


def _separation_evidence_reference(appearance, feasible, has_appearance, max_app, separation):
    """The numpy code ``separation_evidence`` had before its kernel."""
    if appearance.shape[1] < 2:
        return 0, 0
    usable = feasible if has_appearance is None else feasible & has_appearance[None, :]
    distance = np.where(usable, appearance, np.inf)
    two = np.partition(distance, 1, axis=1)[:, :2]
    judged = (two[:, 0] <= max_app) & np.isfinite(two[:, 1])
    with np.errstate(invalid="ignore"):
        decisive = judged & (two[:, 1] - two[:, 0] >= separation)
    return int(decisive.sum()), int(judged.sum())


@st.composite
def _fusion_inputs(draw: st.DrawFn) -> tuple:
    """IoU in [0, 1] (score-weighted: also below), cosine distances in [0, 2] with repeats,
    values at the gate and inf (no gallery), a feasibility mask (sometimes all False or
    absent), a feature mask, and the fusion's parameters."""
    shape = draw(st.tuples(st.integers(0, 7), st.integers(0, 7)))
    gate = draw(st.sampled_from([0.2, 0.25, 0.3]))
    iou = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.0, 1.0)))
    values = st.floats(0.0, 2.0) | st.sampled_from([np.inf, gate, 0.1, 0.3, 2.2])
    appearance = draw(hnp.arrays(np.float64, shape, elements=values))
    feasible = draw(
        st.none()
        | hnp.arrays(np.bool_, shape)
        | st.just(np.zeros(shape, bool))
        | st.just(np.ones(shape, bool))
    )
    has_appearance = draw(st.none() | hnp.arrays(np.bool_, shape[1]))
    min_weight = draw(st.sampled_from([0.0, 0.4, 1.0]) | st.floats(0.0, 1.0))
    separation = draw(st.sampled_from([0.1, 0.05]))
    max_iou = draw(st.sampled_from([0.8, 0.5, 0.93]))
    return iou, appearance, feasible, has_appearance, gate, max_iou, separation, min_weight


@given(inputs=_fusion_inputs(), gate_margin=st.booleans())
def test_reliability_cost_is_the_numpy_formula_bit_for_bit(inputs, gate_margin, examples) -> None:
    iou, appearance, feasible, has_appearance, gate, max_iou, sep, floor = inputs
    if appearance.size == 0:
        outcome = "empty"
    elif feasible is not None and not feasible.any():
        outcome = "nothing feasible"
    elif min(appearance.shape) == 1:
        outcome = "one row or column"
    else:
        outcome = "general"
    examples.record("reliability cost == numpy", outcome)
    cost = adaptive_fused_cost(
        iou, appearance, gate, max_iou, sep, feasible, min_weight=floor, gate_margin=gate_margin
    )
    want = _adaptive_fused_cost_reference(
        iou, appearance, gate, max_iou, sep, feasible, floor, gate_margin
    )
    np.testing.assert_array_equal(cost, want)
    mask = np.ones(appearance.shape, bool) if feasible is None else feasible
    evidence = separation_evidence(appearance, mask, has_appearance, gate, sep)
    assert evidence == _separation_evidence_reference(appearance, mask, has_appearance, gate, sep)
    both = reliability_cost(
        iou, appearance, feasible, has_appearance, gate, max_iou, sep, min_weight=floor,
        gate_margin=gate_margin,
    )  # fmt: skip
    np.testing.assert_array_equal(both[0], want)
    assert both[1:] == evidence


# -- boxes: IoU, intersection, cover; the IoU and weighted costs -----------------------------


def _intersection_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    at, bt = a.T[:, :, None], b.T[:, None, :]

    def overlap(low: int, high: int) -> np.ndarray:
        length = np.minimum(at[high], bt[high])
        length -= np.maximum(at[low], bt[low])
        np.maximum(length, 0.0, out=length)
        return length

    intersection = overlap(0, 2)
    intersection *= overlap(1, 3)
    return intersection


def _area_reference(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _iou_matrix_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The numpy code ``iou_matrix`` had before its kernel."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    intersection = _intersection_reference(a, b)
    union = _area_reference(a)[:, None] + _area_reference(b)[None, :]
    union -= intersection
    if union.min() > 0:
        intersection /= union
        return intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


_coordinates = st.floats(-50.0, 2000.0, allow_subnormal=False) | st.sampled_from([0.0, 10.0])


@st.composite
def _boxes(draw: st.DrawFn, max_rows: int = 12) -> np.ndarray:
    """xyxy boxes, some degenerate (zero or negative width or height), some repeated."""
    n = draw(st.integers(0, max_rows))
    corners = draw(hnp.arrays(np.float64, (n, 2), elements=_coordinates))
    sizes = draw(hnp.arrays(np.float64, (n, 2), elements=st.floats(-5.0, 400.0)))
    boxes = np.concatenate([corners, corners + sizes], axis=1)
    if n and draw(st.booleans()):
        boxes[-1] = boxes[0]
    return boxes


@given(a=_boxes(), b=_boxes())
def test_box_kernels_are_the_numpy_formulas_bit_for_bit(a, b, examples) -> None:
    examples.record("iou / overlap area == numpy", "empty" if 0 in (len(a), len(b)) else "ran")
    np.testing.assert_array_equal(iou_matrix(a, b), _iou_matrix_reference(a, b))
    if len(a) and len(b):
        pairs = [[overlap_area(a[i], b[j]) for j in range(len(b))] for i in range(len(a))]
        np.testing.assert_array_equal(pairs, _intersection_reference(a, b))


@given(a=_boxes(), data=st.data())
def test_box_iou_is_the_matrix_element(a, data, examples) -> None:
    """Box ``k`` of one list against box ``k`` of the other, bit for bit as the matrix has it."""
    n = len(a)
    corners = data.draw(hnp.arrays(np.float64, (n, 2), elements=_coordinates))
    sizes = data.draw(hnp.arrays(np.float64, (n, 2), elements=st.floats(-5.0, 400.0)))
    b = np.concatenate([corners, corners + sizes], axis=1)
    if n and data.draw(st.booleans()):
        b[0] = a[0]  # a box against itself
    examples.record("box iou == matrix element", "empty" if n == 0 else "ran")
    paired = [box_iou(a[k], b[k]) for k in range(n)]
    np.testing.assert_array_equal(paired, np.diag(iou_matrix(a, b)))


def _reported_rows_reference(
    states, misses, limit, boxes, occluded_only, fit, min_fit, seen_height, max_scale
):
    """``DeepSort._report``'s rule as numpy code, before its kernel."""
    reported = (states == CONFIRMED) & (misses <= limit) & ((misses == 0) | (fit >= min_fit))
    if max_scale > 0:
        height = boxes[:, 3] - boxes[:, 1]
        near = (height <= max_scale * seen_height) & (height * max_scale >= seen_height)
        reported &= (misses == 0) | near
    if occluded_only and limit > 0:
        coasting = np.flatnonzero(reported & (misses > 0))
        seen = boxes[misses == 0]
        if len(coasting):
            if len(seen):
                cover = _intersection_reference(boxes[coasting], seen)
                need = OCCLUSION_COVER * _area_reference(boxes[coasting])[:, None]
                reported[coasting] = (cover >= need).any(axis=1)
            else:
                reported[coasting] = False
    return np.flatnonzero(reported)


@given(
    boxes=_boxes(max_rows=9),
    data=st.data(),
    limit=st.integers(0, 4),
    occluded_only=st.booleans(),
)
def test_reported_rows_are_the_numpy_rule(boxes, data, limit, occluded_only, examples) -> None:
    n = len(boxes)
    states = data.draw(
        hnp.arrays(np.int8, n, elements=st.sampled_from([TENTATIVE, CONFIRMED, DELETED]))
    )
    misses = data.draw(hnp.arrays(np.int32, n, elements=st.integers(0, 5)))
    fit = data.draw(hnp.arrays(np.float64, n, elements=st.sampled_from([-1.0, 0.3, 0.7, 0.9])))
    min_fit = data.draw(st.sampled_from([-np.inf, 0.5, 0.7]))
    seen = data.draw(hnp.arrays(np.float64, n, elements=st.floats(1.0, 400.0)))
    scale = data.draw(st.sampled_from([0.0, 1.0, 1.2, 2.0]))
    args = (states, misses, limit, boxes, occluded_only, fit, min_fit, seen, scale)
    got = _reported_rows(*args)
    want = _reported_rows_reference(*args)
    examples.record("reported rows == numpy rule", "some coasting" if (misses > 0).any() else "ran")
    assert got.tolist() == want.tolist()


def _iou_cost_reference(iou, max_distance, feasible):
    cost = 1.0 - iou
    gate = cost > max_distance
    if feasible is not None:
        gate |= ~feasible
    cost[gate] = INFEASIBLE
    return cost


def _fused_cost_reference(iou, appearance, weight, max_app, max_iou, feasible):
    iou_distance = 1.0 - iou
    with np.errstate(invalid="ignore"):
        cost = weight * appearance + (1.0 - weight) * iou_distance
    gate = appearance > max_app
    if max_iou is not None:
        gate |= iou_distance > max_iou
    if feasible is not None:
        gate |= ~feasible
    cost[gate] = INFEASIBLE
    return cost


@given(
    inputs=_fusion_inputs(),
    weight=st.sampled_from([0.0, 1.0, 0.5]) | st.floats(0.0, 1.0),
    iou_gate=st.none() | st.sampled_from([0.5, 0.8]),
)
def test_iou_and_weighted_costs_are_the_numpy_formulas_bit_for_bit(
    inputs, weight, iou_gate, examples
) -> None:
    iou, appearance, feasible, _, gate, max_iou, _, _ = inputs
    examples.record(
        "iou_cost / fused_cost == numpy", "gated" if feasible is not None else "ungated"
    )
    np.testing.assert_array_equal(
        iou_cost(iou, max_iou, feasible), _iou_cost_reference(iou, max_iou, feasible)
    )
    got = fused_cost(
        iou, appearance, appearance_weight=weight, max_appearance_distance=gate,
        max_iou_distance=iou_gate, feasible=feasible,
    )  # fmt: skip
    want = _fused_cost_reference(iou, appearance, weight, gate, iou_gate, feasible)
    np.testing.assert_array_equal(got, want)
