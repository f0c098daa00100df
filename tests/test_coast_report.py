"""Coasting output (``report_misses``) limited to misses an occlusion explains
(``coast_report="occluded"``): a person hidden behind another is reported at the predicted
position, a track whose detections stopped with nothing in the way is not."""

from __future__ import annotations

import numpy as np
import pytest

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.deepsort import OCCLUSION_COVER, _reported_rows
from tracker.core.track import CONFIRMED

NO_BOXES, NO_SCORES = np.zeros((0, 4)), np.zeros(0)


def _config(coast_report: str) -> DeepSortConfig:
    return DeepSortConfig(n_init=1, report_misses=1.0, coast_report=coast_report)  # type: ignore[arg-type]


def _box(x: float) -> list[float]:
    return [x, 100.0, x + 40.0, 200.0]


@pytest.mark.parametrize(("mode", "reported"), [("all", [1, 1, 1]), ("occluded", [0, 0, 0])])
def test_a_lone_track_missed_with_nothing_in_the_way(mode: str, reported: list[int]) -> None:
    tracker = DeepSort(_config(mode), frame_rate=10.0)
    for step in range(5):
        tracker.update(np.array([_box(100.0 + 5 * step)]), [0.9])
    assert [len(tracker.update(NO_BOXES, NO_SCORES)) for _ in range(3)] == reported


@pytest.mark.parametrize("mode", ["all", "occluded"])
def test_a_person_walking_behind_another_is_reported_while_hidden(mode: str) -> None:
    """A walks right at 8 px/frame towards B, who stands still; while A overlaps B the
    detector sees only B. A's track is reported through the occlusion in both modes."""
    tracker = DeepSort(_config(mode), frame_rate=10.0)
    standing = _box(300.0)
    hidden = []
    for step in range(30):
        x = 200.0 + 8 * step
        a_visible = abs(x - 300.0) > 25.0  # covered by more than ~40 % of its width
        boxes = [_box(x), standing] if a_visible else [standing]
        tracks = tracker.update(np.array(boxes), [0.9] * len(boxes))
        if not a_visible:
            hidden.append(int((tracks.detection_index == -1).sum()))
    assert hidden and all(count == 1 for count in hidden), hidden


def _occluded(missed: np.ndarray, seen: np.ndarray) -> list[bool]:
    """Whether the missed track (row 0, coasting for a frame) is reported next to ``seen``."""
    boxes = np.concatenate([missed, seen])
    states = np.full(len(boxes), CONFIRMED, np.int8)
    misses = np.array([1] + [0] * len(seen), np.int32)
    fits = np.ones(len(boxes))
    heights = boxes[:, 3] - boxes[:, 1]  # the size each was last seen at: no scale limit
    rows = _reported_rows(states, misses, 2, boxes, True, fits, -np.inf, heights, 0.0)
    return [0 in rows.tolist()]


def test_occluded_needs_the_cover_share() -> None:
    missed = np.array([[0.0, 0.0, 10.0, 10.0]])
    just = OCCLUSION_COVER * 10.0
    assert _occluded(missed, np.array([[10.0 - just, 0.0, 30.0, 10.0]])) == [True]
    assert _occluded(missed, np.array([[10.0 - just + 0.5, 0.0, 30.0, 10.0]])) == [False]
    assert _occluded(missed, np.zeros((0, 4))) == [False]


def test_coast_report_is_validated() -> None:
    with pytest.raises(ValueError, match="coast_report"):
        DeepSortConfig(coast_report="sometimes")  # type: ignore[arg-type]
