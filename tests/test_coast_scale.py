"""Coasting output only while the predicted height stays near the last detection's
(``coast_max_scale``): the filter extrapolates a height that was changing when the person
was lost, and a box swelling past its person is a false positive, not a prediction."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig


def _box(height: float, cx: float = 300.0, bottom: float = 400.0) -> list[float]:
    return [cx - 0.2 * height, bottom - height, cx + 0.2 * height, bottom]


def _coasting_heights(scale: float) -> tuple[float, list[float]]:
    """A walker whose box grows 4 % a frame (walking towards the camera, or merging with
    the person in front) is then missed for 15 frames at 10 fps. Returns its last
    detection's height and the heights it is reported at while it coasts."""
    config = DeepSortConfig(
        report_misses=2.0, coast_report="all", coast_min_iou=0.0, coast_max_scale=scale
    )
    tracker = DeepSort(config, frame_rate=10.0)
    height = 100.0
    for _ in range(15):
        height *= 1.04
        tracker.update(np.array([_box(height)]), np.array([0.9]))
    reported = []
    for _ in range(15):
        tracks = tracker.update(np.zeros((0, 4)), np.zeros(0))
        reported += [box[3] - box[1] for box in tracks.boxes]
    return height, reported


def test_a_coasting_box_that_swells_past_its_person_is_not_reported() -> None:
    seen, trusting = _coasting_heights(0.0)
    assert len(trusting) == 15 and max(trusting) > 1.3 * seen  # the height kept growing
    seen, wary = _coasting_heights(1.2)
    assert 0 < len(wary) < 15  # reported while near its last height, then no longer
    assert all(seen / 1.2 <= h <= 1.2 * seen for h in wary)
    assert wary == trusting[: len(wary)]  # the rule hides boxes, it moves none


@given(
    steps=st.lists(st.tuples(st.floats(0.8, 1.25), st.booleans()), min_size=1, max_size=40),
    scale=st.sampled_from([1.05, 1.2, 1.5]),
)
def test_every_coasting_report_is_within_the_scale_of_its_last_detection(
    examples, steps, scale
) -> None:
    """Whatever the heights a box goes through and whenever it is missed, a track reported
    while coasting (``detection_index`` -1) is within ``scale`` of the height of the last
    detection it was matched to."""
    config = DeepSortConfig(
        n_init=1, report_misses=5.0, coast_report="all", coast_min_iou=0.0,
        coast_max_scale=scale,
    )  # fmt: skip
    tracker = DeepSort(config, frame_rate=10.0)
    height = 100.0
    last_seen: dict[int, float] = {}
    coasting = 0
    for change, detected in steps:
        height *= change
        boxes = np.array([_box(height)]) if detected else np.zeros((0, 4))
        tracks = tracker.update(boxes, np.full(len(boxes), 0.9))
        for track_id, box, index in zip(
            tracks.ids, tracks.boxes, tracks.detection_index, strict=True
        ):
            if index >= 0:
                last_seen[int(track_id)] = float(boxes[index, 3] - boxes[index, 1])
                continue
            coasting += 1
            seen = last_seen[int(track_id)]
            assert seen / scale - 1e-6 <= box[3] - box[1] <= seen * scale + 1e-6
    examples.record("coast_max_scale bound", "coasting reported" if coasting else "none coasting")
