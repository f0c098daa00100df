"""A stream's first frame (``confirm_first_frame``): the people already there are reported at
once, while anyone who appears later still needs ``n_init`` hits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig


def _isolated_boxes(count: int, seed: int, offset: float = 0.0) -> np.ndarray:
    """``(count, 4)`` xyxy boxes in separate cells of a grid, so no two ever overlap."""
    rng = np.random.default_rng(seed)
    cells = rng.permutation(100)[:count]
    x0 = (cells % 10) * 300.0 + rng.uniform(0, 50, count) + offset
    y0 = (cells // 10) * 300.0 + rng.uniform(0, 50, count)
    w = rng.uniform(20, 80, count)
    h = rng.uniform(60, 200, count)
    return np.column_stack([x0, y0, x0 + w, y0 + h])


@given(
    count=st.integers(0, 30),
    seed=st.integers(0, 2**32 - 1),
    scores=st.lists(st.floats(0.0, 1.0), min_size=30, max_size=30),
    n_init=st.integers(2, 5),
)
def test_first_frame_tracks_are_reported_at_once(examples, count, seed, scores, n_init) -> None:
    """Frame 0 reports one track per detection confident enough to start one, with it on,
    and none with it off; a person who appears in frame 1 is held back either way."""
    boxes = _isolated_boxes(count, seed)
    score = np.asarray(scores[:count], dtype=np.float32)
    on = DeepSort(DeepSortConfig(n_init=n_init, confirm_first_frame=True), frame_rate=30.0)
    off = DeepSort(DeepSortConfig(n_init=n_init, confirm_first_frame=False), frame_rate=30.0)
    config = on.config
    starting = score >= max(config.high_score, config.new_track_min_score)
    starts = int(starting.sum())
    first_on = on.update(boxes, score)
    assert len(first_on.ids) == starts
    assert len(off.update(boxes, score).ids) == 0
    np.testing.assert_allclose(np.sort(first_on.boxes[:, 0]), np.sort(boxes[starting, 0]))

    newcomer = _isolated_boxes(1, seed + 1, offset=4000.0)  # right of every first-frame cell
    second = on.update(np.vstack([boxes, newcomer]), np.append(score, np.float32(0.99)))
    assert set(second.ids) == set(first_on.ids)  # the newcomer waits for n_init hits
    examples.record("first-frame confirmation", "some started" if starts else "none started")


def test_an_empty_first_frame_confirms_nobody_later() -> None:
    """Only the stream's first update counts: after an empty frame, new people are new."""
    tracker = DeepSort(DeepSortConfig(n_init=3, confirm_first_frame=True), frame_rate=30.0)
    tracker.update(np.zeros((0, 4)), np.zeros(0))
    boxes = _isolated_boxes(5, seed=1)
    assert len(tracker.update(boxes, np.full(5, 0.9)).ids) == 0
    assert len(tracker.update(boxes, np.full(5, 0.9)).ids) == 0
    assert len(tracker.update(boxes, np.full(5, 0.9)).ids) == 5


def test_confirm_first_frame_is_checked_and_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import tracker_config

    with pytest.raises(ValueError, match="confirm_first_frame"):
        DeepSortConfig(confirm_first_frame=1)  # type: ignore[arg-type]
    default = DeepSortConfig()
    flipped = tracker_config(
        pb.TrackerParams(confirm_first_frame=not default.confirm_first_frame), default
    )
    assert flipped.confirm_first_frame is (not default.confirm_first_frame)
    assert tracker_config(pb.TrackerParams(), default).confirm_first_frame is (
        default.confirm_first_frame
    )
