"""The reported box of a matched track (``report_detection_weight``): a blend of the Kalman
filter's estimate and the frame's detection. It changes the output only, so the same stream
tracked at two weights must give the same identities, with each matched box moved that share
of the way from the filter's estimate to its own detection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig


def _walker_boxes(frames: int) -> list[np.ndarray]:
    """Three people; one turns sharply halfway, so the filter's estimate lags its boxes."""
    out = []
    for t in range(frames):
        turn = max(0, t - frames // 2)
        out.append(
            np.array(
                [
                    [10.0 + 3 * t, 50.0, 60.0 + 3 * t, 170.0],
                    [300.0 - 2 * t, 40.0 + 8 * turn, 350.0 - 2 * t, 160.0 + 8 * turn],
                    [150.0, 200.0 + t, 200.0, 320.0 + t],
                ]
            )
        )
    return out


def _track(weight: float, frames: list[np.ndarray], scores: list[np.ndarray]) -> list:
    tracker = DeepSort(DeepSortConfig(report_detection_weight=weight), frame_rate=30.0)
    return [tracker.update(boxes, s) for boxes, s in zip(frames, scores, strict=True)]


def test_a_turn_is_reported_closer_to_the_detections() -> None:
    frames = _walker_boxes(40)
    scores = [np.full(3, 0.9)] * len(frames)
    errors = {}
    for weight in (0.0, 0.5, 1.0):
        last = _track(weight, frames, scores)[-1]
        row = int(np.flatnonzero(last.detection_index == 1)[0])
        errors[weight] = float(np.abs(last.boxes[row] - frames[-1][1]).max())
    assert errors[1.0] == 0.0
    assert 0.0 < errors[0.5] < errors[0.0], errors


@st.composite
def _streams(draw: st.DrawFn) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A few people walking with jitter, some frames missing some of them, scores spread
    around ``min_score`` so that the rows the tracker keeps are not the caller's rows."""
    people = draw(st.integers(1, 4))
    frames = draw(st.integers(2, 25))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    start = rng.uniform(0, 400, size=(people, 2))
    speed = rng.uniform(-4, 4, size=(people, 2))
    size = rng.uniform(20, 120, size=(people, 1)) * np.array([[0.4, 1.0]])
    boxes, scores = [], []
    for t in range(frames):
        seen = rng.random(people) > draw(st.sampled_from([0.0, 0.2, 0.5]))
        corner = start + speed * t + rng.normal(0, 2, size=(people, 2))
        frame = np.hstack([corner, corner + size])[seen]
        order = rng.permutation(len(frame))
        boxes.append(frame[order])
        scores.append(rng.uniform(0.3, 1.0, size=len(frame)))
    return boxes, scores


@given(stream=_streams(), weight=st.floats(0.0, 1.0))
def test_only_the_matched_boxes_move_towards_their_detections(examples, stream, weight) -> None:
    frames, scores = stream
    filtered = _track(0.0, frames, scores)
    blended = _track(weight, frames, scores)
    moved = 0
    for boxes, base, out in zip(frames, filtered, blended, strict=True):
        np.testing.assert_array_equal(base.ids, out.ids)
        np.testing.assert_array_equal(base.detection_index, out.detection_index)
        matched = base.detection_index >= 0
        expected = base.boxes.copy()
        expected[matched] += weight * (boxes[base.detection_index[matched]] - expected[matched])
        np.testing.assert_allclose(out.boxes, expected, rtol=0, atol=1e-9)
        moved += int(matched.sum())
    examples.record("matched boxes moved", "none" if moved == 0 else "some")


def test_the_weight_is_checked_and_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import tracker_config

    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="report_detection_weight"):
            DeepSortConfig(report_detection_weight=bad)
    default = DeepSortConfig()
    params = pb.TrackerParams(report_detection_weight=0.25)
    assert tracker_config(params, default).report_detection_weight == 0.25
    assert (
        tracker_config(pb.TrackerParams(), default).report_detection_weight
        == default.report_detection_weight
    )
