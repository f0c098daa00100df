"""Property-based fuzzing of the tracker's boundary and of ``DeepSort.update`` itself.

Properties:

- ``Detections.from_arrays`` on hostile arrays (any shape, dtype, NaN/inf, huge or tiny
  values, ragged lists, strings, float or huge classes, odd feature widths) either returns
  detections that keep the documented invariants or raises ``InvalidDetectionsError``.
- ``DeepSort.update`` over sequences of frames mixing valid boxes at the extremes of the
  accepted range (1 px to 2e6 px, corners at +-1e6, scale jumps between frames matched on
  appearance with motion gating off) with hostile frames: every call either returns finite
  tracks or raises ``InvalidDetectionsError`` and leaves the tracker usable; the Kalman
  covariance of every live track stays symmetric positive definite.

The count of examples per property, and how they ended, is printed at the end of the run.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracker.core import DeepSort, DeepSortConfig, InvalidDetectionsError
from tracker.core.detections import MAX_COORDINATE, MAX_FEATURE_DIM, MIN_BOX_SIZE, Detections

_HOSTILE_FLOATS = [
    0.0, -0.0, 1.0, -1.0, 0.5, 1e-200, 5e-324, 1e-45, 1e6, 1e6 + 1, -1e6, 2e6, 1e39, 3.5e38,
    1e160, 1e300, -1e300, 2.0**31, 2.0**63, float("nan"), float("inf"), float("-inf"),
]  # fmt: skip
_hostile_float = st.one_of(
    st.sampled_from(_HOSTILE_FLOATS), st.floats(allow_nan=True, allow_infinity=True)
)
_dtypes = st.sampled_from(
    [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint64, np.bool_, np.complex128]
)


def _array(shape: st.SearchStrategy, elements: st.SearchStrategy | None = None):
    """Arrays of a drawn dtype; elements hostile where the dtype can hold them."""

    def build(dtype: type) -> st.SearchStrategy:
        fill = elements if np.dtype(dtype) == np.float64 else None
        return hnp.arrays(dtype, shape, elements=fill)

    return _dtypes.flatmap(build)


@st.composite
def _plausible_boxes(draw: st.DrawFn, n: int) -> np.ndarray:
    sizes = st.one_of(
        st.sampled_from([0.0, 0.5, MIN_BOX_SIZE, 1.5, 10.0, 100.0, 1e4, 1e6, 2e6]),
        st.floats(0, 2e6),
    )
    rows = []
    for _ in range(n):
        w, h = draw(sizes), draw(sizes)
        x1 = draw(st.floats(-MAX_COORDINATE, MAX_COORDINATE - w))
        y1 = draw(st.floats(-MAX_COORDINATE, MAX_COORDINATE - h))
        rows.append([x1, y1, min(x1 + w, MAX_COORDINATE), min(y1 + h, MAX_COORDINATE)])
    return np.asarray(rows, dtype=np.float64).reshape(n, 4)


@st.composite
def _boxes_input(draw: st.DrawFn, n: int) -> object:
    kind = draw(st.integers(0, 9))
    if kind <= 4:
        boxes = draw(_plausible_boxes(n))
        for _ in range(draw(st.integers(0, 2)) if n else 0):
            boxes[draw(st.integers(0, n - 1)), draw(st.integers(0, 3))] = draw(_hostile_float)
        return boxes
    if kind == 5:
        return draw(_array(st.just((n, 4)), _hostile_float))
    if kind == 6:
        return draw(_array(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
    if kind == 7:  # ragged or mixed Python lists
        return draw(st.lists(st.lists(st.one_of(_hostile_float, st.integers()), max_size=5)))
    if kind == 8:
        return [["0", "0", "1", "1"]] * n
    return draw(_plausible_boxes(n)).tolist()


@st.composite
def _scores_input(draw: st.DrawFn, n: int) -> object:
    kind = draw(st.integers(0, 5))
    if kind <= 2:
        return draw(hnp.arrays(np.float64, n, elements=st.floats(0, 1)))
    if kind == 3:
        return draw(_array(st.just(n), _hostile_float))
    if kind == 4:
        return draw(_array(st.integers(0, 7)))
    return draw(st.lists(st.one_of(_hostile_float, st.integers(-(2**70), 2**70)), max_size=7))


@st.composite
def _classes_input(draw: st.DrawFn, n: int) -> object:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return None
    if kind <= 2:
        return draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    if kind == 3:
        return draw(
            hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0, 1.5, np.nan, 2.0**40]))
        )
    if kind == 4:
        return draw(st.lists(st.integers(-(2**70), 2**70), min_size=n, max_size=n))
    return draw(_array(st.integers(0, 7)))


@st.composite
def _features_input(draw: st.DrawFn, n: int) -> object:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return None
    dim = draw(st.sampled_from([0, 1, 3, 8, MAX_FEATURE_DIM + 1]))
    if kind <= 2:
        return draw(hnp.arrays(np.float32, (n, dim), elements=st.floats(-1, 1, width=32)))
    if kind == 3:
        return draw(_array(st.just((n, dim)), _hostile_float))
    if kind == 4:
        return draw(_array(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
    return np.zeros((n, dim))


@st.composite
def _frame_input(draw: st.DrawFn) -> tuple[object, object, object, object, int | None]:
    n = draw(st.integers(0, 5))
    return (
        draw(_boxes_input(n)),
        draw(_scores_input(n)),
        draw(_classes_input(n)),
        draw(_features_input(n)),
        draw(st.one_of(st.none(), st.sampled_from([1, 3, 8]))),
    )


def _check_detections(dets: Detections) -> None:
    n = len(dets)
    assert dets.boxes.dtype == np.float64 and dets.boxes.shape == (n, 4)
    assert np.isfinite(dets.boxes).all() and np.all(np.abs(dets.boxes) <= MAX_COORDINATE)
    assert np.all(dets.boxes[:, 2:] - dets.boxes[:, :2] >= MIN_BOX_SIZE)
    assert dets.scores.dtype == np.float32 and np.isfinite(dets.scores).all()
    assert dets.classes.dtype == np.int64 and np.all(np.abs(dets.classes) <= 2**31)
    assert dets.index.dtype == np.int64 and np.all(np.diff(dets.index) > 0)
    if dets.features is not None:
        assert dets.features.dtype == np.float32 and len(dets.features) == n
        norms = np.linalg.norm(dets.features, axis=1)
        assert np.all((np.abs(norms - 1) < 1e-4) | (norms == 0))


@given(frame=_frame_input())
def test_from_arrays_accepts_or_raises_its_own_error(examples, frame) -> None:
    boxes, scores, classes, features, expected_dim = frame
    try:
        dets = Detections.from_arrays(boxes, scores, classes, features, expected_dim)
    except InvalidDetectionsError:
        outcome = "InvalidDetectionsError"
    else:
        _check_detections(dets)
        outcome = "accepted"
    examples.record("Detections.from_arrays(hostile arrays)", outcome)


# -- DeepSort.update over sequences ------------------------------------------------------------


@st.composite
def _config(draw: st.DrawFn) -> DeepSortConfig:
    return DeepSortConfig(
        n_init=draw(st.integers(1, 3)),
        max_age=draw(st.integers(0, 5)),
        gating_threshold=draw(st.sampled_from([None, 9.4877, 1e6])),
        appearance=draw(st.sampled_from(["gallery", "ema"])),
        appearance_weight=draw(st.sampled_from([1.0, 0.5, 0.0])),
        appearance_fusion=draw(st.sampled_from(["weighted", "reliability"])),
        cascade=draw(st.booleans()),
        class_aware=draw(st.booleans()),
        min_score=draw(st.sampled_from([0.0, 0.5])),
        high_score=draw(st.sampled_from([0.0, 0.6])),
        new_track_min_score=0.0,
        report_misses=draw(st.integers(0, 5)),
        gallery_budget=draw(st.integers(1, 4)),
        max_appearance_distance=draw(st.sampled_from([None, 2.0])),
    )


@st.composite
def _scene(draw: st.DrawFn) -> tuple[DeepSortConfig, int | None, list]:
    """A run: a config, a feature width (None = motion-only) and frames that reuse a small
    pool of boxes (so tracks form, confirm and match) and of identities (so appearance
    matches across scale jumps), now and then a frame of hostile arrays."""
    config = draw(_config())
    dim = draw(st.sampled_from([None, 1, 4]))
    pool = draw(_plausible_boxes(draw(st.integers(1, 5))))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    looks = rng.normal(size=(3, dim or 1)).astype(np.float32)
    frames = []
    if draw(st.integers(0, 3)) == 0:
        frames += _scale_walk(draw, rng, dim, looks[0])
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.integers(0, 9)) == 0:
            frames.append(draw(_frame_input())[:4])
            continue
        k = draw(st.integers(0, 4))
        pick = np.asarray(draw(st.lists(st.integers(0, len(pool) - 1), min_size=k, max_size=k)))
        steps = st.sampled_from([0.0, 0.0, 1.0, -3.0])
        jitter = np.asarray(draw(st.lists(steps, min_size=4 * k, max_size=4 * k)))
        boxes = pool[pick.astype(int)].reshape(k, 4) + jitter.reshape(k, 4)
        boxes = np.clip(boxes, -MAX_COORDINATE, MAX_COORDINATE)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])
        who = rng.integers(0, 3, k)
        features = None if dim is None else looks[who] + 0.01 * rng.normal(size=(k, dim))
        scores = rng.uniform(0.3, 1.0, k)
        frames.append((boxes, scores, who % 2, features))
    return config, dim, frames


def _scale_walk(draw: st.DrawFn, rng: np.random.Generator, dim: int | None, look) -> list:
    """One object whose box grows or shrinks by up to 1000x a frame and wanders by its own
    height, with gaps: the case that drove a track's height (and its noise) to ~0."""
    frames = []
    h = 10 ** draw(st.floats(0, 6))
    w = h * 10 ** draw(st.floats(-1, 1))
    cx, cy = draw(st.floats(-5e5, 5e5)), draw(st.floats(-5e5, 5e5))
    for _ in range(draw(st.integers(5, 25))):
        if draw(st.integers(0, 3)) == 0:
            frames.append((np.zeros((0, 4)), [], None, None if dim is None else np.zeros((0, dim))))
            continue
        h = float(np.clip(h * draw(st.sampled_from([0.2, 0.5, 1.0, 2.0, 5.0, 1e-3, 1e3])), 1, 2e6))
        w = float(np.clip(w * draw(st.sampled_from([0.5, 1.0, 2.0])), 1, 2e6))
        cx = float(np.clip(cx + rng.normal() * h, -1e6 + w / 2, 1e6 - w / 2))
        cy = float(np.clip(cy + rng.normal() * h, -1e6 + h / 2, 1e6 - h / 2))
        box = np.clip([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]], -1e6, 1e6)
        features = None if dim is None else look[None, :]
        frames.append((box, [0.9], [0], features))
    return frames


def _check_tracker(tracker: DeepSort, out) -> None:
    assert np.isfinite(out.boxes).all() and np.all(out.boxes[:, 2:] >= out.boxes[:, :2])
    assert np.isfinite(out.scores).all()
    assert len(set(out.ids.tolist())) == len(out) and np.all(out.ids >= 1)
    table = tracker.tracks
    n = table.n
    assert np.isfinite(table.mean[:n]).all()
    cov = table.cov[:n]
    np.linalg.cholesky(cov)  # raises LinAlgError unless positive definite
    # Symmetric up to the round-off of the blockwise predict, measured against each pair's
    # own scale (the update symmetrises exactly).
    scale = np.sqrt(np.einsum("nii->ni", cov))
    asymmetry = np.abs(cov - cov.transpose(0, 2, 1)) / (scale[:, :, None] * scale[:, None, :])
    assert asymmetry.max(initial=0.0) < 1e-6


@given(scene=_scene())
def test_update_returns_finite_tracks_or_raises_its_own_error(examples, scene) -> None:
    config, dim, frames = scene
    tracker = DeepSort(config)
    rejected = 0
    for boxes, scores, classes, features in frames:
        if dim is None and features is not None and not isinstance(features, np.ndarray):
            features = None
        try:
            out = tracker.update(boxes, scores, classes, features)
        except InvalidDetectionsError:
            rejected += 1
            continue
        _check_tracker(tracker, out)
    # After whatever came before, a valid frame is still tracked.
    valid = np.array([[10.0, 10.0, 50.0, 130.0]])
    width = tracker.tracks.feature_dim
    features = None if width is None else np.ones((1, width), np.float32)
    _check_tracker(tracker, tracker.update(valid, [0.9], [0], features))
    examples.record(
        "DeepSort.update(frame sequences)",
        f"runs with {'a rejected frame' if rejected else 'every frame accepted'}",
    )
