"""Track-to-detection affinities: IoU, appearance (cosine) distance and the fused, gated cost.

All functions take whole arrays and return ``(tracks, detections)`` matrices. Infeasible pairs
carry ``INFEASIBLE``, a cost larger than any limit the assignment accepts, rather than ``inf``,
because LAPJV needs finite entries.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tracker.core.jit import dot, kernel

FloatArray = NDArray[np.float64]

#: Cost of a pair that must never be matched.
INFEASIBLE = 1e5


def iou_matrix(boxes_a: FloatArray, boxes_b: FloatArray) -> FloatArray:
    """Intersection over union of every box in ``a`` with every box in ``b`` (xyxy); 0 where
    the union has no area."""
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    out = np.empty((len(a), len(b)))
    _iou_kernel(a, b, out)
    return out


@kernel
def box_iou(a: FloatArray, b: FloatArray) -> float:
    """IoU of two xyxy boxes: one element of ``iou_matrix``, and a track's prediction fit."""
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    intersection = overlap_area(a, b)
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = (area_a + area_b) - intersection
    return intersection / union if union > 0.0 else 0.0


@kernel
def overlap_area(a: FloatArray, b: FloatArray) -> float:
    """Area two xyxy boxes share (0 when apart): the intersection of ``iou_matrix`` and of
    the report's occlusion rule."""
    width = _overlap(a[0], a[2], b[0], b[2])
    return width * _overlap(a[1], a[3], b[1], b[3])


@kernel
def _maximum(a: float, b: float) -> float:
    """``np.maximum``: a nan on either side wins."""
    if a != a:
        return a
    return a if b <= a else b


@kernel
def _overlap(a_low: float, a_high: float, b_low: float, b_high: float) -> float:
    """Length two intervals share, clipped at 0 (a nan stays)."""
    overlap = _minimum(a_high, b_high) - _maximum(a_low, b_low)
    return 0.0 if overlap < 0.0 else overlap


@kernel
def _iou_kernel(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    """``iou_matrix`` into ``out``, each element as the numpy code computed it: the two
    overlaps' product over ``(area_a + area_b) - intersection`` (``box_iou``)."""
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            out[i, j] = box_iou(a[i], b[j])


def buffered_boxes(boxes: FloatArray, buffer: float) -> FloatArray:
    """Boxes (xyxy) grown on every side by ``buffer`` times their width (left, right) and
    height (top, bottom), around the same centre: C-BIoU's buffer (Yang et al., WACV 2023),
    so a box of width ``w`` becomes ``(1 + 2 * buffer) * w`` wide. Two boxes that no longer
    overlap because the person moved further than the motion model predicted (a low frame
    rate, a moving camera, an erratic walker) can still have an IoU once buffered."""
    width = boxes[:, 2] - boxes[:, 0]
    height = boxes[:, 3] - boxes[:, 1]
    grow = np.stack([-width, -height, width, height], axis=1)
    grow *= buffer
    grow += boxes
    return grow


@kernel
def inside_share(boxes: FloatArray, width: float, height: float) -> FloatArray:
    """Share of each box's (xyxy) area inside the image ``[0, width] x [0, height]``; a box
    of no area counts as inside if its corner is."""
    out = np.empty(boxes.shape[0])
    for i in range(boxes.shape[0]):
        box = boxes[i]
        area = (box[2] - box[0]) * (box[3] - box[1])
        if area > 0.0:
            inner = _overlap(box[0], box[2], 0.0, width) * _overlap(box[1], box[3], 0.0, height)
            out[i] = inner / area
        else:
            corner_in = 0.0 <= box[0] <= width and 0.0 <= box[1] <= height
            out[i] = 1.0 if corner_in else 0.0
    return out


def l2_normalize(features: NDArray[np.floating]) -> NDArray[np.float32]:
    """Rows scaled to unit length; all-zero rows stay zero (they match nothing)."""
    rows: NDArray[np.float32] = np.asarray(features, dtype=np.float32)
    # np.linalg.norm(axis=1) computes exactly this, behind a few microseconds of wrapper.
    norms = np.sqrt(np.add.reduce(rows * rows, axis=1, keepdims=True))
    if norms.size and norms.min() > 0:
        return (rows / norms).astype(np.float32, copy=False)  # already float32: no copy
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def cosine_distance(
    features_a: NDArray[np.floating], features_b: NDArray[np.floating]
) -> FloatArray:
    """``1 - cos`` between unit-length feature rows."""
    similarity = np.asarray(features_a, np.float32) @ np.asarray(features_b, np.float32).T
    return 1.0 - similarity.astype(np.float64)


def gallery_distance(
    gallery: NDArray[np.float32],
    counts: NDArray[np.integer],
    features: NDArray[np.float32],
    tracks: NDArray[np.integer],
    feasible: NDArray[np.bool_],
) -> FloatArray:
    """Smallest cosine distance from the galleries of ``tracks`` to each detection's
    feature, ``(len(tracks), len(features))``, for the ``feasible`` pairs only (inf for the
    rest: they cannot match, so their galleries are not read).

    ``gallery`` is the table's ``(T, B, D)`` ring buffers, the first ``counts[t]`` slots of
    track ``t`` valid (filled front to back before it wraps, so the valid slots are a
    prefix); an empty gallery is infinitely far from everything. The gates leave a few
    candidates per track, so computing only their dot products beats one matrix product of
    every slot with every detection (0.7 ms a frame in a 100-person crowd, most of it
    thrown away).
    """
    out = np.empty(feasible.shape)
    _gallery_distance(gallery, counts, features, tracks, feasible, out)
    return out


@kernel
def _gallery_distance(
    gallery: NDArray[np.float32],
    counts: NDArray[np.integer],
    features: NDArray[np.float32],
    tracks: NDArray[np.integer],
    feasible: NDArray[np.bool_],
    out: FloatArray,
) -> None:
    for i in range(len(tracks)):
        track = tracks[i]
        for j in range(len(features)):
            best = -np.inf
            if feasible[i, j]:
                for slot in range(counts[track]):
                    best = max(best, dot(gallery[track, slot], features[j]))
            out[i, j] = 1.0 - best


def iou_cost(
    iou: FloatArray, max_distance: float, feasible: NDArray[np.bool_] | None = None
) -> FloatArray:
    """``1 - IoU``, with pairs beyond ``max_distance`` or not ``feasible`` set to
    ``INFEASIBLE``: the cost of the IoU-only stages and of motion-only tracking."""
    iou = np.asarray(iou, dtype=np.float64)
    cost = np.empty(iou.shape)
    gated = feasible is not None
    mask = feasible if feasible is not None else np.ones((1, 1), dtype=bool)
    _iou_cost_kernel(iou, float(max_distance), mask, gated, cost)
    return cost


@kernel
def _iou_cost_kernel(
    iou: FloatArray,
    max_distance: float,
    feasible: NDArray[np.bool_],
    gated: bool,
    cost: FloatArray,
) -> None:
    for r in range(iou.shape[0]):
        for c in range(iou.shape[1]):
            value = 1.0 - iou[r, c]
            if value > max_distance or (gated and not feasible[r, c]):
                value = INFEASIBLE
            cost[r, c] = value


def fused_cost(
    iou: FloatArray,
    appearance: FloatArray,
    *,
    appearance_weight: float,
    max_appearance_distance: float,
    max_iou_distance: float | None,
    feasible: NDArray[np.bool_] | None = None,
) -> FloatArray:
    """``w * cosine + (1 - w) * (1 - IoU)``, with gated pairs set to ``INFEASIBLE``.

    ``max_iou_distance=None`` turns the IoU gate off, which the appearance stage wants: a
    track lost for a while may have drifted off its detection and should still be
    recoverable by how it looks.
    """
    iou = np.asarray(iou, dtype=np.float64)
    appearance = np.asarray(appearance, dtype=np.float64)
    cost = np.empty(appearance.shape)
    gated = feasible is not None
    mask = feasible if feasible is not None else np.ones((1, 1), dtype=bool)
    iou_gate = np.inf if max_iou_distance is None else float(max_iou_distance)
    _fused_cost_kernel(
        iou, appearance, float(appearance_weight), float(max_appearance_distance), iou_gate,
        max_iou_distance is not None, mask, gated, cost,
    )  # fmt: skip
    return cost


@kernel
def _fused_cost_kernel(
    iou: FloatArray,
    appearance: FloatArray,
    weight: float,
    max_appearance: float,
    max_iou: float,
    iou_gated: bool,
    feasible: NDArray[np.bool_],
    gated: bool,
    cost: FloatArray,
) -> None:
    """``fused_cost`` into ``cost``. Pairs the gallery was not asked about carry inf; at
    weight 0 that is 0 * inf = nan, which the appearance gate replaces (inf is above it)."""
    for r in range(cost.shape[0]):
        for c in range(cost.shape[1]):
            distance = appearance[r, c]
            iou_distance = 1.0 - iou[r, c]
            if (
                distance > max_appearance
                or (iou_gated and iou_distance > max_iou)
                or (gated and not feasible[r, c])
            ):
                cost[r, c] = INFEASIBLE
            else:
                cost[r, c] = weight * distance + (1.0 - weight) * iou_distance


def adaptive_fused_cost(
    iou: FloatArray,
    appearance: FloatArray,
    max_appearance_distance: float,
    max_iou_distance: float,
    separation: float,
    feasible: NDArray[np.bool_] | None = None,
    *,
    min_weight: float = 0.0,
    gate_margin: bool = False,
) -> FloatArray:
    """Appearance weighted by how well it separates the candidates (after Deep OC-SORT's
    adaptive weighting), each cue scaled to 1 at its gate:

    ``w * cosine / max_appearance + (1 - w) * (1 - IoU) / max_iou``, with
    ``w = min(1, margin / separation)`` per pair, where ``margin`` is the smaller of the
    gap between the best and second-best cosine distance in the pair's row (track) and in
    its column (detection), over the feasible pairs. Where appearance cannot tell the
    candidates apart (similar clothes, a weak embedder) IoU decides; where it can, it
    decides, also for a lost track that no longer overlaps its person. Matches need a cost
    of at most 1; pairs that are not ``feasible`` are ``INFEASIBLE``.

    ``min_weight`` keeps appearance's weight at least that everywhere (the ``reliability``
    fusion's floor, learnt per stream). ``gate_margin`` also counts the pair's own distance
    to the appearance gate as a margin: a cosine right at the gate is no verdict either way
    (same person or not), so IoU decides there too, instead of appearance refusing a pair
    that overlaps its track well by a hair, or accepting it by one.
    """
    cost, _, _ = reliability_cost(
        iou, appearance, feasible, None, max_appearance_distance, max_iou_distance, separation,
        min_weight=min_weight, gate_margin=gate_margin,
    )  # fmt: skip
    return cost


def reliability_cost(
    iou: FloatArray,
    appearance: FloatArray,
    feasible: NDArray[np.bool_] | None,
    has_appearance: NDArray[np.bool_] | None,
    max_appearance_distance: float,
    max_iou_distance: float,
    separation: float,
    *,
    min_weight: float = 0.0,
    gate_margin: bool = False,
) -> tuple[FloatArray, int, int]:
    """``adaptive_fused_cost`` and ``separation_evidence`` of the same pairs in one compiled
    pass (the ``reliability`` fusion needs both every frame): ``(cost, decisive, judged)``.
    ``feasible`` / ``has_appearance`` ``None``: all pairs / all detections."""
    iou = np.asarray(iou, dtype=np.float64)
    appearance = np.asarray(appearance, dtype=np.float64)
    rows, cols = appearance.shape
    all_feasible = feasible is None
    if feasible is None:
        feasible = np.ones((rows, cols), dtype=bool)
    if has_appearance is None:
        has_appearance = np.ones(cols, dtype=bool)
    cost = np.empty((rows, cols))
    decisive, judged = _reliability_kernel(
        iou, appearance, feasible, has_appearance, float(max_appearance_distance),
        float(max_iou_distance), float(separation), float(min_weight), gate_margin,
        not all_feasible, cost,
    )  # fmt: skip
    return cost, int(decisive), int(judged)


@kernel
def _two_smallest(first: float, second: float, value: float) -> tuple[float, float]:
    """The two smallest of ``first <= second`` and ``value`` (``np.partition``'s first two;
    a repeated value counts twice)."""
    if value < first:
        return value, first
    if value < second:
        return first, value
    return first, second


@kernel
def _minimum(a: float, b: float) -> float:
    """``np.minimum``: a nan on either side wins."""
    if a != a:
        return a
    return a if b >= a else b


@kernel
def _gap(first: float, second: float) -> float:
    """``_margin`` of the numpy code: second minus first, inf where both are inf, 0 where
    nothing is finite."""
    if not np.isfinite(first):
        return 0.0
    margin = second - first
    return np.inf if np.isnan(margin) else margin


@kernel
def _reliability_kernel(
    iou: FloatArray,
    appearance: FloatArray,
    feasible: NDArray[np.bool_],
    has_appearance: NDArray[np.bool_],
    max_appearance: float,
    max_iou: float,
    separation: float,
    min_weight: float,
    gate_margin: bool,
    gated: bool,
    cost: FloatArray,
) -> tuple[int, int]:
    """``reliability_cost`` into ``cost``; returns ``(decisive, judged)``. The arithmetic is
    the numpy formulas' (``adaptive_fused_cost``), element by element, in their order."""
    rows, cols = appearance.shape
    row_margin = np.full(rows, np.inf)
    col_first = np.full(cols, np.inf)
    col_second = np.full(cols, np.inf)
    decisive = judged = 0
    for r in range(rows):
        first = second = np.inf  # over feasible pairs: the cost's margins
        usable_first = usable_second = np.inf  # over pairs with a feature: the evidence
        for c in range(cols):
            if not feasible[r, c]:
                continue
            value = appearance[r, c]
            first, second = _two_smallest(first, second, value)
            col_first[c], col_second[c] = _two_smallest(col_first[c], col_second[c], value)
            if has_appearance[c]:
                usable_first, usable_second = _two_smallest(usable_first, usable_second, value)
        if cols >= 2:
            row_margin[r] = _gap(first, second)
            if usable_first <= max_appearance and np.isfinite(usable_second):
                judged += 1
                if usable_second - usable_first >= separation:
                    decisive += 1
    for r in range(rows):
        for c in range(cols):
            if gated and not feasible[r, c]:
                cost[r, c] = INFEASIBLE
                continue
            margin = row_margin[r]
            if rows >= 2:
                column = _gap(col_first[c], col_second[c])
                margin = _minimum(margin, column)
            value = appearance[r, c]
            if gate_margin:
                margin = _minimum(margin, abs(value - max_appearance))
            weight = margin / separation
            weight = min_weight if weight < min_weight else weight
            weight = 1.0 if weight > 1.0 else weight
            bounded = _minimum(value, 2.0)
            cost[r, c] = weight * (bounded / max_appearance) + (1.0 - weight) * (
                (1.0 - iou[r, c]) / max_iou
            )
    return decisive, judged


def separation_evidence(
    appearance: FloatArray,
    feasible: NDArray[np.bool_],
    has_appearance: NDArray[np.bool_] | None,
    max_appearance_distance: float,
    separation: float,
) -> tuple[int, int]:
    """How well appearance told people apart in one frame, as ``(decisive, judged)``.

    Judged: the tracks (rows) whose nearest feasible detection is within
    ``max_appearance_distance`` and that have a second feasible candidate, i.e. where
    appearance had a choice to make. Decisive: of those, the ones whose second candidate is
    at least ``separation`` further away than the first. Detections without a feature row
    (``has_appearance`` False, the skipped ones) are no evidence either way."""
    _, decisive, judged = reliability_cost(
        np.zeros(np.shape(appearance)), appearance, feasible, has_appearance,
        max_appearance_distance, 1.0, separation,
    )  # fmt: skip
    return decisive, judged
