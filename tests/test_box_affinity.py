"""Box similarities of the IoU stages: C-BIoU's buffer (``iou_buffer``, its cascade
``iou_buffer_second``) and Hybrid-SORT's height-modulated IoU (``iou_kind="hmiou"``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.affinity import box_affinity, buffered_boxes, height_overlap, iou_matrix

_BOX = st.tuples(st.floats(-500, 500), st.floats(-500, 500), st.floats(1, 300), st.floats(1, 300))
_BOXES = st.lists(_BOX, min_size=1, max_size=6).map(
    lambda rows: np.array([[x, y, x + w, y + h] for x, y, w, h in rows])
)
_TOLERANCE = 1e-12  # float rounding of the two computations


@given(a=_BOXES, b=_BOXES, buffer=st.floats(0, 1), kind=st.sampled_from(["iou", "hmiou"]))
def test_buffered_similarity_is_a_symmetric_score_at_least_the_unbuffered(
    examples, a, b, buffer, kind
) -> None:
    """In [0, 1], symmetric, equal to the plain IoU (hmiou: IoU x height overlap) at buffer
    0, and never below it with a buffer: a buffer only forgives misplacement. Also not
    decreasing in the buffer."""
    plain = box_affinity(a, b, kind)
    buffered = box_affinity(a, b, kind, buffer)
    assert np.all((buffered >= 0) & (buffered <= 1 + _TOLERANCE))
    np.testing.assert_allclose(buffered, box_affinity(b, a, kind, buffer).T, atol=_TOLERANCE)
    assert np.all(buffered >= plain - _TOLERANCE)
    assert np.all(box_affinity(a, b, kind, min(1.0, 2 * buffer)) >= buffered - _TOLERANCE)
    expected = iou_matrix(a, b) if kind == "iou" else iou_matrix(a, b) * height_overlap(a, b)
    np.testing.assert_array_equal(plain, expected)
    examples.record(
        "buffered IoU >= IoU, symmetric, in [0, 1]",
        f"{kind}, {'overlapping' if plain.any() else 'apart'}",
    )


@given(a=_BOXES, b=_BOXES)
def test_height_modulated_iou_is_at_most_the_iou(examples, a, b) -> None:
    hm = box_affinity(a, b, "hmiou")
    assert np.all(hm <= iou_matrix(a, b) + _TOLERANCE)
    assert np.all((height_overlap(a, b) >= 0) & (height_overlap(a, b) <= 1))
    examples.record("hmiou <= IoU", "checked")


def test_buffer_grows_each_side_by_its_share_of_the_size() -> None:
    box = np.array([[10.0, 20.0, 30.0, 60.0]])  # 20 x 40
    assert buffered_boxes(box, 0.5).tolist() == [[0.0, 0.0, 40.0, 80.0]]
    # Side by side, 10 px apart: no IoU; buffered by 0.3 (6 px wide, 12 px tall per side)
    # they overlap by 2 x 64 px, each 32 x 64.
    right = box + np.array([30.0, 0.0, 30.0, 0.0])
    assert iou_matrix(box, right)[0, 0] == 0.0
    assert box_affinity(box, right, "iou", 0.3)[0, 0] == pytest.approx(
        2 * 64 / (2 * 32 * 64 - 2 * 64)
    )


def test_height_overlap_separates_a_person_behind_from_one_in_front() -> None:
    # Same left-right extent, the second box shorter and higher (further away): the plain
    # IoU is 0.5, the height-modulated one a quarter.
    near = np.array([[0.0, 0.0, 40.0, 100.0]])
    far = np.array([[0.0, 0.0, 40.0, 50.0]])
    assert iou_matrix(near, far)[0, 0] == pytest.approx(0.5)
    assert box_affinity(near, far, "hmiou")[0, 0] == pytest.approx(0.25)


def _after_gap(config: DeepSortConfig, shift: float, frame_rate: float = 30.0) -> list[int]:
    """A standing person (confirmed track 1), unseen for 5 frames, seen again ``shift`` px
    to the right: the ids reported on that frame."""
    tracker = DeepSort(config, frame_rate)
    box = np.array([[100.0, 100.0, 140.0, 200.0]])  # 40 px wide
    for _ in range(6):
        tracker.update(box, [0.9])
    for _ in range(5):
        tracker.update(np.empty((0, 4)), np.empty(0))
    return tracker.update(box + np.array([shift, 0.0, shift, 0.0]), [0.9]).ids.tolist()


@pytest.mark.parametrize(("shift", "found"), [(46.0, True), (55.0, False)])
def test_second_buffer_stage_recovers_a_track_the_plain_iou_lost(shift, found) -> None:
    """C-BIoU's cascade: 46 px away the boxes no longer overlap, so the plain IoU starts a
    new (tentative, unreported) track; the second stage's boxes, grown by half their size
    on each side, overlap (IoU 34 / 126 = 0.27 before the score weight) and track 1 is
    found. 55 px away even they fall short of the IoU gate."""
    config = DeepSortConfig(report_misses=0.0, iou_buffer_second=None)
    assert _after_gap(config, shift) == []
    cascade = DeepSortConfig(report_misses=0.0, iou_buffer_second=0.5, iou_buffer_frame_rate=False)
    assert _after_gap(cascade, shift) == ([1] if found else [])


@pytest.mark.parametrize(
    ("frame_rate", "shift", "plain", "scaled"),
    [(30.0, 42.0, [], []), (15.0, 46.0, [1], [1]), (7.5, 55.0, [], [1])],
)
def test_frame_rate_scaling_grows_the_buffer_only_below_30_fps(
    frame_rate, shift, plain, scaled
) -> None:
    """``iou_buffer_frame_rate``: a second-stage buffer of 0.25 counts as
    ``0.25 * (30 / fps - 1)``: nothing at 30 fps (exactly the defaults' result), 0.25 at
    15 fps (as unscaled), 0.75 at 7.5 fps, which reaches a person 55 px away."""
    base = DeepSortConfig(report_misses=0.0, iou_buffer_second=None)
    unscaled = DeepSortConfig(
        report_misses=0.0, iou_buffer_second=0.25, iou_buffer_frame_rate=False
    )
    by_rate = DeepSortConfig(report_misses=0.0, iou_buffer_second=0.25, iou_buffer_frame_rate=True)
    assert _after_gap(unscaled, shift, frame_rate) == plain
    assert _after_gap(by_rate, shift, frame_rate) == scaled
    if frame_rate == 30.0:
        assert DeepSort(by_rate, 30.0)._iou_buffer_second is None
        assert _after_gap(base, shift, frame_rate) == scaled


def test_defaults_add_a_frame_rate_scaled_motion_only_stage_and_options_are_validated() -> None:
    config = DeepSortConfig()
    assert (config.iou_kind, config.iou_buffer, config.iou_buffer_second) == ("iou", 0.0, 0.05)
    assert config.iou_buffer_frame_rate is True
    assert config.iou_buffer_second_with_features is False
    with pytest.raises(ValueError, match="iou_kind must be 'iou' or 'hmiou'"):
        DeepSortConfig(iou_kind="giou")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="iou_buffer must be >= 0"):
        DeepSortConfig(iou_buffer=-0.1)
    with pytest.raises(ValueError, match="iou_buffer_second must be >= 0"):
        DeepSortConfig(iou_buffer_second=float("nan"))


def test_options_travel_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import tracker_config

    params = pb.TrackerParams(
        iou_kind="hmiou", iou_buffer=0.2, iou_buffer_second=0.5, iou_buffer_frame_rate=True
    )
    config = tracker_config(params, DeepSortConfig())
    assert (config.iou_kind, config.iou_buffer, config.iou_buffer_second) == ("hmiou", 0.2, 0.5)
    assert config.iou_buffer_frame_rate is True
    unset = tracker_config(pb.TrackerParams(), DeepSortConfig())
    assert unset.iou_buffer_second == DeepSortConfig().iou_buffer_second == 0.05


@pytest.mark.parametrize(("with_features", "found"), [(True, True), (False, False)])
def test_second_buffer_stage_can_leave_tracks_with_features_to_appearance(
    with_features, found
) -> None:
    """``iou_buffer_second_with_features=False``: a track whose appearance refused the
    detection (orthogonal features) is not taken on a loose box overlap."""
    config = DeepSortConfig(
        report_misses=0.0,
        iou_buffer_second=0.5,
        iou_buffer_frame_rate=False,
        iou_buffer_second_with_features=with_features,
        appearance_skip_iou=None,
    )
    tracker = DeepSort(config)
    box = np.array([[100.0, 100.0, 140.0, 200.0]])
    seen, other = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    for _ in range(6):
        tracker.update(box, [0.9], features=seen)
    for _ in range(5):
        tracker.update(np.empty((0, 4)), np.empty(0), features=np.empty((0, 2)))
    out = tracker.update(box + np.array([46.0, 0.0, 46.0, 0.0]), [0.9], features=other)
    assert out.ids.tolist() == ([1] if found else [])
