"""C-BIoU's buffered IoU (``iou_buffer``): the stage that, below 30 fps, finds confirmed
tracks the plain IoU lost on boxes grown with the time between frames."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.affinity import buffered_boxes, iou_matrix

_BOX = st.tuples(st.floats(-500, 500), st.floats(-500, 500), st.floats(1, 300), st.floats(1, 300))
_BOXES = st.lists(_BOX, min_size=1, max_size=6).map(
    lambda rows: np.array([[x, y, x + w, y + h] for x, y, w, h in rows])
)
_TOLERANCE = 1e-12  # float rounding of the two computations


def _buffered_iou(a: np.ndarray, b: np.ndarray, buffer: float) -> np.ndarray:
    return iou_matrix(buffered_boxes(a, buffer), buffered_boxes(b, buffer))


@given(a=_BOXES, b=_BOXES, buffer=st.floats(0, 1))
def test_buffered_iou_is_a_symmetric_score_at_least_the_unbuffered(examples, a, b, buffer) -> None:
    """In [0, 1], symmetric, equal to the plain IoU at buffer 0, never below it with a
    buffer (a buffer only forgives misplacement) and not decreasing in the buffer."""
    plain = iou_matrix(a, b)
    buffered = _buffered_iou(a, b, buffer)
    assert np.all((buffered >= 0) & (buffered <= 1 + _TOLERANCE))
    np.testing.assert_allclose(buffered, _buffered_iou(b, a, buffer).T, atol=_TOLERANCE)
    assert np.all(buffered >= plain - _TOLERANCE)
    assert np.all(_buffered_iou(a, b, min(1.0, 2 * buffer)) >= buffered - _TOLERANCE)
    np.testing.assert_array_equal(_buffered_iou(a, b, 0.0), plain)
    examples.record(
        "buffered IoU >= IoU, symmetric, in [0, 1]",
        "overlapping" if plain.any() else "apart",
    )


def test_buffer_grows_each_side_by_its_share_of_the_size() -> None:
    box = np.array([[10.0, 20.0, 30.0, 60.0]])  # 20 x 40
    assert buffered_boxes(box, 0.5).tolist() == [[0.0, 0.0, 40.0, 80.0]]
    # Side by side, 10 px apart: no IoU; buffered by 0.3 (6 px wide, 12 px tall per side)
    # they overlap by 2 x 64 px, each 32 x 64.
    right = box + np.array([30.0, 0.0, 30.0, 0.0])
    assert iou_matrix(box, right)[0, 0] == 0.0
    assert _buffered_iou(box, right, 0.3)[0, 0] == pytest.approx(2 * 64 / (2 * 32 * 64 - 2 * 64))


def _after_gap(
    config: DeepSortConfig, shift: float, frame_rate: float, features: bool = False
) -> list[int]:
    """A standing person (confirmed track 1), unseen for 5 frames, seen again ``shift`` px
    to the right (with features: looking different): the ids reported on that frame."""
    tracker = DeepSort(config, frame_rate)
    box = np.array([[100.0, 100.0, 140.0, 200.0]])  # 40 px wide
    seen, other = (np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])) if features else (None, None)
    empty = np.empty((0, 2)) if features else None
    for _ in range(6):
        tracker.update(box, [0.9], features=seen)
    for _ in range(5):
        tracker.update(np.empty((0, 4)), np.empty(0), features=empty)
    moved = box + np.array([shift, 0.0, shift, 0.0])
    return tracker.update(moved, [0.9], features=other).ids.tolist()


@pytest.mark.parametrize(
    ("frame_rate", "shift", "without", "with_stage"),
    [(30.0, 42.0, [], []), (15.0, 60.0, [], [1]), (15.0, 70.0, [], []), (7.5, 70.0, [], [1])],
)
def test_the_stage_finds_a_track_the_plain_iou_lost_only_below_30_fps(
    frame_rate, shift, without, with_stage
) -> None:
    """``iou_buffer=0.5`` counts as ``0.5 * (30 / fps - 1)``: nothing at 30 fps (exactly
    the result without the stage), 0.5 at 15 fps (the person 60 px away, not 70), 1.5 at
    7.5 fps, which reaches further (70 px)."""
    stage = DeepSortConfig(report_misses=0.0, iou_buffer=0.5, appearance_skip_iou=None)
    none = DeepSortConfig(report_misses=0.0, iou_buffer=0.0, appearance_skip_iou=None)
    assert _after_gap(none, shift, frame_rate) == without
    assert _after_gap(stage, shift, frame_rate) == with_stage
    assert DeepSort(stage, 30.0)._iou_buffer == 0.0


def test_the_stage_leaves_tracks_with_features_to_appearance() -> None:
    """A track whose appearance refused the detection (orthogonal features) is not taken on
    a loose box overlap; the same scene without features is."""
    config = DeepSortConfig(report_misses=0.0, iou_buffer=0.5, appearance_skip_iou=None)
    assert _after_gap(config, 60.0, 15.0) == [1]
    assert _after_gap(config, 60.0, 15.0, features=True) == []


def test_default_and_validation() -> None:
    assert DeepSortConfig().iou_buffer == 0.05
    for bad in (-0.1, float("nan"), 1.5):
        with pytest.raises(ValueError, match="iou_buffer"):
            DeepSortConfig(iou_buffer=bad)


def test_iou_buffer_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import tracker_config

    assert tracker_config(pb.TrackerParams(iou_buffer=0.2), DeepSortConfig()).iou_buffer == 0.2
    unset = tracker_config(pb.TrackerParams(), DeepSortConfig())
    assert unset.iou_buffer == DeepSortConfig().iou_buffer == 0.05
