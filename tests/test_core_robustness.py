"""Issue 13, item 6: the core never dies. Regression tests, one per defect found.

Every input is either accepted, and then the output is finite and the tracker keeps working,
or rejected with ``InvalidDetectionsError`` naming the row, before any state changes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from tracker.core import DeepSort, DeepSortConfig, Detections, InvalidDetectionsError


def _walker(frame: int) -> list[list[float]]:
    return [[100.0 + 4 * frame, 100.0, 140.0 + 4 * frame, 200.0]]


def test_a_sub_pixel_box_does_not_kill_the_tracker() -> None:
    """``update([[0,0,1e-200,1e-200]])`` made the Kalman covariance singular: every later
    update raised LinAlgError. Such boxes are now dropped like zero-size ones."""
    tracker = DeepSort(DeepSortConfig(n_init=1))
    assert len(tracker.update([[0, 0, 1e-200, 1e-200]], [0.9])) == 0
    assert tracker.active_tracks == 0
    for frame in range(5):
        out = tracker.update(_walker(frame), [0.9])
        assert out.ids.tolist() == [1]
        assert np.isfinite(out.boxes).all()


@pytest.mark.parametrize("box", [[0, 0, 0.5, 10], [0, 0, 10, 1e-3], [3, 3, 3, 3]])
def test_sub_pixel_and_empty_boxes_are_dropped(box: list[float]) -> None:
    dets = Detections.from_arrays([box, [0, 0, 10, 20]], [0.9, 0.9])
    assert dets.index.tolist() == [1]


def test_huge_boxes_are_rejected_not_returned_as_nan() -> None:
    """Boxes near 1e160 came back as NaN boxes (their squared sizes overflow)."""
    tracker = DeepSort(DeepSortConfig(n_init=1))
    with pytest.raises(InvalidDetectionsError, match=r"box 0 is out of range.*1e\+06"):
        tracker.update([[0, 0, 1e160, 1e160]], [0.9])
    out = tracker.update([[-1e6, -1e6, 1e6, 1e6]], [0.9])  # the largest accepted box
    assert np.isfinite(out.boxes).all() and out.ids.tolist() == [1]


def test_the_error_is_a_value_error() -> None:
    """Callers that catch ValueError around update (the service's wire decoding) keep working."""
    assert issubclass(InvalidDetectionsError, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # float32 is the dtype scores and features are kept in: 1e39 is finite as a double.
        ({"scores": [1e39]}, r"score 0 is not finite as float32"),
        ({"features": [[1e39, 0.0]]}, r"feature 0 has NaN or values that are infinite"),
        ({"boxes": [["a", 0, 1, 1]]}, r"boxes must be real numbers"),
        ({"boxes": [[0, 0, 1, 1], [0]]}, r"boxes must be an array of numbers"),
        ({"boxes": [[0, 0, 1 + 1j, 1]]}, r"boxes must be real numbers, got dtype complex"),
        ({"boxes": [[0, 0, None, 1]]}, r"box 0 is not finite"),
        ({"boxes": [[0, 0, object(), 1]]}, r"boxes must be an array of numbers"),
        ({"scores": ["0.9"]}, r"scores must be real numbers"),
        ({"classes": [2**70]}, r"class 0 is out of range"),
        ({"classes": np.array([2**63], np.uint64)}, r"class 0 is out of range"),
        ({"classes": [1.5]}, r"class 0 is not an integer: 1\.5"),
        ({"classes": [np.nan]}, r"class 0 is not an integer: nan"),
        ({"classes": [0, 1]}, r"classes must have one value per box: 2 for 1"),
        ({"features": np.zeros((1, 0))}, r"features must have 1\.\.4096 columns, got 0"),
        ({"features": np.zeros((1, 5000))}, r"features must have 1\.\.4096 columns, got 5000"),
        ({"features": [[1.0, 2.0], [3.0]]}, r"features must be an array of numbers"),
    ],
)
def test_hostile_arrays_get_our_error_never_numpys(kwargs: dict, message: str) -> None:
    args = {"boxes": [[0.0, 0.0, 10.0, 20.0]], "scores": [0.9]} | kwargs
    tracker = DeepSort()
    with pytest.raises(InvalidDetectionsError, match=message):
        tracker.update(args["boxes"], args["scores"], args.get("classes"), args.get("features"))


def test_errors_name_the_bad_row() -> None:
    boxes = [[0, 0, 10, 20], [0, 0, 10, 20], [0, 0, np.inf, 20]]
    with pytest.raises(InvalidDetectionsError, match=r"box 2 is not finite"):
        Detections.from_arrays(boxes, [0.9] * 3)
    with pytest.raises(InvalidDetectionsError, match=r"score 1 is not finite"):
        Detections.from_arrays(boxes[:2], [0.9, np.nan])
    with pytest.raises(InvalidDetectionsError, match=r"feature 1 has NaN"):
        Detections.from_arrays(boxes[:2], [0.9, 0.9], features=[[1.0], [np.nan]])


def test_integral_float_bool_and_uint_classes_are_accepted() -> None:
    boxes = [[0, 0, 10, 20]] * 3
    assert Detections.from_arrays(boxes, [0.9] * 3, [0.0, 2.0, 7.0]).classes.tolist() == [0, 2, 7]
    assert Detections.from_arrays(boxes, [0.9] * 3, [True, False, True]).classes.tolist() == [
        1,
        0,
        1,
    ]
    assert Detections.from_arrays(boxes, [0.9] * 3, np.array([1, 2, 3], np.uint64)).classes.dtype
    assert Detections.from_arrays(boxes, [0.9] * 3, np.float16([1, 2, 3])).classes.tolist() == [
        1,
        2,
        3,
    ]


def test_features_with_huge_or_tiny_values_keep_their_direction() -> None:
    """The float32 squared norm of a row near 1e20 overflowed (near 1e-30 underflowed), so
    the row was silently normalised to all zeros: an embedding that matches nothing."""
    boxes = [[0, 0, 10, 20]] * 2
    dets = Detections.from_arrays(boxes, [0.9, 0.9], features=[[1e20, 1e20], [3e-30, 4e-30]])
    np.testing.assert_allclose(dets.features, [[0.70710677, 0.70710677], [0.6, 0.8]], rtol=1e-6)


def test_a_rejected_frame_leaves_the_tracker_as_it_was() -> None:
    tracker = DeepSort(DeepSortConfig(n_init=1))
    for frame in range(3):
        tracker.update(_walker(frame), [0.9])
    state = (tracker.tracks.n, tracker.tracks.mean[:1].copy(), tracker.tracks.misses[:1].copy())
    with pytest.raises(InvalidDetectionsError):
        tracker.update([[0, 0, 10, np.nan]], [0.9])
    assert tracker.tracks.n == state[0]
    np.testing.assert_array_equal(tracker.tracks.mean[:1], state[1])
    np.testing.assert_array_equal(tracker.tracks.misses[:1], state[2])
    assert tracker.update(_walker(3), [0.9]).ids.tolist() == [1]


#: Found by fuzzing: with motion gating off, appearance matches one track across boxes from
#: 2e6 px down to 2 px high.
_SCALE_JUMPS = [
    (-1e6, -1e6, -750000, -190000), (-1e6, -544362, -875000, 265638), None,
    (227152, -1e6, 477152, 1e6), (226874, 1984, 476874, 3984), (99020, 2719, 599020, 4719),
    (224024, 3716.5, 474024, 3718.5), (286523, 3715.6, 411523, 3717.8),
    (286520, 3712.2, 411520, 3716.6), (99021, 3710.9, 599021, 3713.1),
    (-1e6, 9318, 1e6, 11980),
]  # fmt: skip


def _covariances_through_scale_jumps() -> Iterator[np.ndarray]:
    """The live tracks' covariances after each frame of ``_SCALE_JUMPS``."""
    tracker = DeepSort(DeepSortConfig(n_init=1, gating_threshold=None, appearance="ema"))
    look = np.ones((1, 4))
    for box in _SCALE_JUMPS:
        if box is None:
            out = tracker.update(np.zeros((0, 4)), [], features=np.zeros((0, 4)))
        else:
            out = tracker.update([box], [0.9], features=look)
        assert np.isfinite(out.boxes).all()
        yield tracker.tracks.cov[: tracker.tracks.n]


def test_covariance_stays_positive_definite_through_scale_jumps() -> None:
    """The height velocity carried the predicted height to ~0 (the coasting guard only stops
    it at <= 0), the height-proportional noise went to ~0 with it, and the covariance stopped
    being positive definite. The Kalman noise now never scales below a 1 px height."""
    for cov in _covariances_through_scale_jumps():
        np.linalg.cholesky(cov)  # LinAlgError unless positive definite


def test_covariance_stays_symmetric_through_scale_jumps() -> None:
    """The update's subtraction left round-off of the size of the 2e6 px prior: entries and
    their mirror images differed by 2e-5 of their scale. The update now symmetrises."""
    for cov in _covariances_through_scale_jumps():
        scale = np.sqrt(np.einsum("nii->ni", cov))
        asymmetry = np.abs(cov - cov.transpose(0, 2, 1)) / (scale[:, :, None] * scale[:, None, :])
        assert asymmetry.max(initial=0.0) < 1e-12
