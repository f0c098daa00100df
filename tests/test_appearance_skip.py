"""Embed only what helps: ``DeepSort.detections_needing_appearance`` and zero feature rows.

Built on a hand-made scene: people walking apart, so after ``n_init`` frames each track has
one detection and each detection one track; then a second person walks into the first one's
motion gate and the match stops being unambiguous.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tracker.core import DeepSort, DeepSortConfig

RNG = np.random.default_rng(0)
FEATURES = np.eye(4, 8, dtype=np.float32)  # one appearance per person


def _boxes(frame: int, people: int = 2, spacing: float = 400.0) -> np.ndarray:
    x = 50.0 + spacing * np.arange(people) + 3.0 * frame
    return np.column_stack([x, np.full(people, 100.0), x + 40.0, np.full(people, 200.0)])


def _tracker(**overrides: object) -> DeepSort:
    config = replace(DeepSortConfig(appearance_skip_iou=0.6, appearance_refresh=1.0), **overrides)
    return DeepSort(config, frame_rate=10.0)


def _warm(tracker: DeepSort, frames: int = 4, people: int = 2) -> None:
    for t in range(frames):
        tracker.update(_boxes(t, people), np.full(people, 0.9), None, FEATURES[:people])


def test_option_off_asks_for_every_confident_detection() -> None:
    tracker = DeepSort(DeepSortConfig(appearance_skip_iou=None), frame_rate=10.0)
    _warm(tracker)
    scores = np.array([0.9, 0.3])
    need = tracker.detections_needing_appearance(_boxes(4), scores)
    np.testing.assert_array_equal(need, tracker.uses_appearance(scores))
    np.testing.assert_array_equal(need, [True, False])


def test_before_any_feature_everything_confident_is_embedded() -> None:
    tracker = _tracker()
    need = tracker.detections_needing_appearance(_boxes(0), np.full(2, 0.9))
    np.testing.assert_array_equal(need, [True, True])


def test_unambiguous_matches_are_skipped_and_still_matched() -> None:
    tracker = _tracker()
    _warm(tracker)
    ids_before = tracker.update(_boxes(4), np.full(2, 0.9), None, FEATURES[:2]).ids
    need = tracker.detections_needing_appearance(_boxes(5), np.full(2, 0.9))
    np.testing.assert_array_equal(need, [False, False])
    counts = tracker.tracks.gallery_count[: tracker.tracks.n].copy()
    features = np.where(need[:, None], FEATURES[:2], 0.0)
    tracks = tracker.update(_boxes(5), np.full(2, 0.9), None, features)
    np.testing.assert_array_equal(np.sort(tracks.ids), np.sort(ids_before))
    np.testing.assert_array_equal(tracks.detection_index[np.argsort(tracks.ids)], [0, 1])
    # A zero row teaches the gallery nothing.
    np.testing.assert_array_equal(tracker.tracks.gallery_count[: tracker.tracks.n], counts)


def test_a_second_candidate_makes_both_detections_need_appearance() -> None:
    tracker = _tracker()
    _warm(tracker, people=2)
    _warm_boxes = _boxes(4, people=2)
    tracker.update(_warm_boxes, np.full(2, 0.9), None, FEATURES[:2])
    close = _boxes(5, people=2, spacing=400.0)
    close[1] = close[0] + [8.0, 0.0, 8.0, 0.0]  # person 2 right next to person 1
    need = tracker.detections_needing_appearance(close, np.full(2, 0.9))
    assert need[0] and need[1]


def test_appearance_is_refreshed_at_the_configured_rate() -> None:
    tracker = _tracker(appearance_refresh=0.5)  # 5 frames at 10 fps
    _warm(tracker)
    asked = []
    for t in range(4, 20):
        need = tracker.detections_needing_appearance(_boxes(t), np.full(2, 0.9))
        asked.append(bool(need[0]))
        tracker.update(_boxes(t), np.full(2, 0.9), None, np.where(need[:, None], FEATURES[:2], 0))
    # Never more than 5 frames without a feature, and most frames without one.
    gaps = np.diff(np.flatnonzero([True, *asked]))
    assert gaps.max() <= 5 and sum(asked) < len(asked) / 2, asked


def test_asking_does_not_change_the_tracker() -> None:
    """Calling detections_needing_appearance before each update (with every feature given)
    changes nothing in the output: the prediction it keeps is the one update makes."""
    scene = [(_boxes(t, 3) + RNG.normal(0, 2, (3, 4)), RNG.uniform(0.4, 1.0, 3)) for t in range(40)]
    plain, asking = _tracker(), _tracker()
    for boxes, scores in scene:
        asking.detections_needing_appearance(boxes, scores)
        a = plain.update(boxes, scores, None, FEATURES[:3])
        b = asking.update(boxes, scores, None, FEATURES[:3])
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.boxes, b.boxes)
    np.testing.assert_array_equal(plain.tracks.mean, asking.tracks.mean)


def test_camera_motion_discards_the_kept_prediction() -> None:
    plain, asking = _tracker(), _tracker()
    _warm(plain)
    _warm(asking)
    asking.detections_needing_appearance(_boxes(4), np.full(2, 0.9))
    shift = np.array([[1.0, 0.0, 25.0], [0.0, 1.0, 0.0]])
    a = plain.update(_boxes(4), np.full(2, 0.9), None, FEATURES[:2], camera_motion=shift)
    b = asking.update(_boxes(4), np.full(2, 0.9), None, FEATURES[:2], camera_motion=shift)
    np.testing.assert_array_equal(a.boxes, b.boxes)


def test_bad_input_is_left_to_update() -> None:
    tracker = _tracker()
    _warm(tracker)
    bad = np.array([[0.0, 0.0, np.nan, 10.0]])
    np.testing.assert_array_equal(tracker.detections_needing_appearance(bad, [0.9]), [True])


@pytest.mark.parametrize(
    ("field", "value"), [("appearance_skip_iou", 1.5), ("appearance_refresh", -1.0)]
)
def test_config_rejects_out_of_range_values(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        DeepSortConfig(**{field: value})
