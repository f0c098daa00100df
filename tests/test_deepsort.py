"""Tracker behaviour: lifecycle, IDs, appearance, classes, bounds and input validation."""

from __future__ import annotations

import numpy as np
import pytest

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.affinity import l2_normalize


def _walkers(frame: int, n: int = 3) -> np.ndarray:
    """``n`` well-separated people walking right at 4 px/frame."""
    x = 50.0 + 200.0 * np.arange(n) + 4.0 * frame
    return np.column_stack([x, np.full(n, 100.0), x + 40, np.full(n, 200.0)])


def _run(tracker: DeepSort, frames: int, **kwargs: object) -> list:
    outputs = []
    for f in range(frames):
        boxes = _walkers(f)
        outputs.append(tracker.update(boxes, np.full(len(boxes), 0.9), **kwargs))
    return outputs


def test_ids_are_stable_and_start_at_one_per_instance() -> None:
    first, second = DeepSort(), DeepSort()
    out_a, out_b = _run(first, 40), _run(second, 40)
    assert sorted(out_a[-1].ids.tolist()) == [1, 2, 3]
    assert sorted(out_b[-1].ids.tolist()) == [1, 2, 3]  # no shared global counter
    for out in out_a[3:]:
        order = np.argsort(out.boxes[:, 0])
        assert out.ids[order].tolist() == [1, 2, 3]


def test_tracks_are_reported_after_n_init_hits() -> None:
    outputs = _run(DeepSort(DeepSortConfig(n_init=3, confirm_first_frame=False)), 5)
    assert [len(o) for o in outputs] == [0, 0, 3, 3, 3]
    # the people of a stream's first frame were there before it: reported at once
    assert [len(o) for o in _run(DeepSort(DeepSortConfig(n_init=3)), 3)] == [3, 3, 3]
    assert [len(o) for o in _run(DeepSort(DeepSortConfig(n_init=1)), 2)] == [3, 3]


def test_lost_tracks_are_deleted_after_max_age_and_memory_is_freed() -> None:
    tracker = DeepSort(DeepSortConfig(max_age=0.5, report_misses=0), frame_rate=10)  # 5 frames
    _run(tracker, 10)
    assert tracker.active_tracks == 3
    for _ in range(6):
        assert len(tracker.update(np.zeros((0, 4)), np.zeros(0))) == 0
    assert tracker.active_tracks == 0


def test_a_track_survives_a_short_gap_with_its_id() -> None:
    tracker = DeepSort(DeepSortConfig(max_age=10))
    _run(tracker, 10)
    for f in range(10, 14):  # the middle walker is occluded for 4 frames
        boxes = _walkers(f)[[0, 2]]
        tracker.update(boxes, np.full(2, 0.9))
    out = tracker.update(_walkers(14), np.full(3, 0.9))
    assert sorted(out.ids.tolist()) == [1, 2, 3]


def test_a_shrinking_track_coasting_never_reports_an_inverted_box() -> None:
    config = DeepSortConfig(
        n_init=1, max_age=50, report_misses=50, coast_report="all", coast_max_scale=0.0
    )  # every coasting box reported, however far its height has shrunk
    tracker = DeepSort(config)
    for f in range(10):  # a person walking away: the box shrinks by 3 px a frame
        tracker.update([[100.0, 100.0, 140.0, 180.0 - 3 * f]], [0.9])
    for _ in range(40):
        out = tracker.update(np.zeros((0, 4)), np.zeros(0))
        assert len(out) == 1
        assert np.all(out.boxes[:, 2:] >= out.boxes[:, :2])


def test_detection_index_points_back_to_the_input_rows() -> None:
    tracker = DeepSort(DeepSortConfig(n_init=1))
    boxes = _walkers(0)[::-1]
    out = tracker.update(boxes, np.array([0.9, 0.8, 0.7]))
    np.testing.assert_allclose(boxes[out.detection_index], out.boxes, atol=1e-6)
    np.testing.assert_allclose(out.scores, np.array([0.9, 0.8, 0.7])[out.detection_index])


def test_class_aware_matching_keeps_classes_apart() -> None:
    tracker = DeepSort(DeepSortConfig(n_init=1, report_misses=0))
    box = np.array([[100.0, 100.0, 140.0, 200.0]])
    first = tracker.update(box, [0.9], classes=[0])
    second = tracker.update(box, [0.9], classes=[2])  # same place, another class: a new track
    assert first.ids.tolist() == [1]
    assert second.ids.tolist() == [2]
    agnostic = DeepSort(DeepSortConfig(n_init=1, class_aware=False, report_misses=0))
    agnostic.update(box, [0.9], classes=[0])
    assert agnostic.update(box, [0.9], classes=[2]).ids.tolist() == [1]


def _swap_after_occlusion(
    config: DeepSortConfig, gap_px: float, appearance: bool = True
) -> tuple[dict, dict]:
    """Two people ``gap_px`` apart vanish for 5 frames and come back having swapped places.

    Returns {detection row: id} before and after, features listed in detection order
    (``appearance=False``: the same scene without features).
    """
    rng = np.random.default_rng(0)
    looks = l2_normalize(rng.normal(size=(2, 64)))
    tracker = DeepSort(config)
    left = np.array([100.0, 100, 140, 200])
    boxes = np.stack([left, left + np.array([gap_px, 0, gap_px, 0])])
    for _ in range(5):
        out = tracker.update(boxes, [0.9, 0.9], features=looks if appearance else None)
    before = dict(zip(out.detection_index.tolist(), out.ids.tolist(), strict=True))
    for _ in range(5):
        empty = np.zeros((0, 64)) if appearance else None
        tracker.update(np.zeros((0, 4)), np.zeros(0), features=empty)
    out = tracker.update(boxes, [0.9, 0.9], features=looks[::-1] if appearance else None)
    after = dict(zip(out.detection_index.tolist(), out.ids.tolist(), strict=True))
    after.pop(-1, None)  # a coasting track (reported at its prediction) matched nothing
    return before, after


def test_appearance_keeps_identities_when_overlapping_people_swap() -> None:
    # 8 px apart: IoU alone would keep the ids on the wrong people; appearance swaps them back.
    before, after = _swap_after_occlusion(DeepSortConfig(n_init=1), gap_px=8)
    assert after == {0: before[1], 1: before[0]}
    # The same swap without features: motion alone keeps each id on its old place, i.e.
    # on the wrong person (what the appearance half above corrects).
    before, after = _swap_after_occlusion(DeepSortConfig(n_init=1), gap_px=8, appearance=False)
    assert after == before and len(after) == 2


def test_motion_gate_blocks_implausible_jumps_unless_disabled() -> None:
    # 300 px apart: the Mahalanobis gate forbids the jump, so both get new ids ...
    before, after = _swap_after_occlusion(DeepSortConfig(n_init=1), gap_px=300)
    assert set(after.values()).isdisjoint(before.values())
    # ... and without the gate, appearance re-identifies them across the jump.
    before, after = _swap_after_occlusion(DeepSortConfig(n_init=1, gating_threshold=None), 300)
    assert after == {0: before[1], 1: before[0]}


@pytest.mark.parametrize("appearance", ["gallery", "ema"])
def test_galleries_and_tables_stay_bounded(appearance: str) -> None:
    rng = np.random.default_rng(1)
    tracker = DeepSort(DeepSortConfig(gallery_budget=7, max_age=0.1, appearance=appearance))
    for f in range(300):
        boxes = _walkers(f % 50, n=4)  # walkers restart every 50 frames: old tracks die
        tracker.update(boxes, np.full(4, 0.9), features=rng.normal(size=(4, 32)))
    table = tracker.tracks
    assert table.n <= 8
    assert table.gallery.shape[1] == (7 if appearance == "gallery" else 0)
    assert table.gallery_count[: table.n].max() <= 7
    assert len(table.ids) <= 64  # capacity grew at most a few doublings


def test_low_score_stage_keeps_a_partly_occluded_track() -> None:
    config = DeepSortConfig(n_init=1, high_score=0.5, min_score=0.1)
    tracker = DeepSort(config)
    for f in range(5):
        tracker.update(_walkers(f)[:1], [0.9])
    out = tracker.update(_walkers(5)[:1], [0.3])  # occluded: weak detection
    assert out.ids.tolist() == [1]
    fresh = DeepSort(config)
    assert len(fresh.update(_walkers(0)[:1], [0.3])) == 0  # weak detections start no track


def test_backends_give_identical_tracks(shared_data) -> None:
    from tracker.io.mot import read_detections
    from tracker.offline import track_detections

    dets = read_detections(shared_data / "MOT17/deep_sort_npy/MOT17-09-FRCNN.npy")
    results = [
        track_detections(dets, 200, DeepSortConfig(assignment_backend=b))[0]
        for b in ("lap", "scipy")
    ]
    for key in results[0]:
        np.testing.assert_array_equal(results[0][key], results[1][key])


def test_empty_frames_are_fine() -> None:
    tracker = DeepSort()
    out = tracker.update(np.zeros((0, 4)), [])
    assert len(out) == 0 and out.boxes.shape == (0, 4)
    out = tracker.update([], [], features=np.zeros((0, 128)))
    assert len(out) == 0


@pytest.mark.parametrize(
    ("boxes", "scores", "features", "message"),
    [
        ([[0, 0, 10, np.nan]], [0.9], None, "not finite"),
        ([[10, 0, 5, 10]], [0.9], None, "negative width or height"),
        ([[0, 0, 10, 10, 3]], [0.9], None, r"shape \(N, 4\)"),
        ([[0, 0, 10, 10]], [0.9, 0.8], None, "one value per box"),
        ([[0, 0, 10, 10]], [np.inf], None, "score 0 is not finite"),
        ([[0, 0, 10, 10]], [0.9], np.ones((2, 8)), r"features must have shape"),
    ],
)
def test_bad_input_gets_a_clear_error(boxes, scores, features, message) -> None:
    with pytest.raises(ValueError, match=message):
        DeepSort().update(np.asarray(boxes, dtype=float), scores, features=features)


def test_feature_width_cannot_change_mid_stream() -> None:
    tracker = DeepSort()
    tracker.update([[0, 0, 10, 20]], [0.9], features=np.ones((1, 128)))
    with pytest.raises(ValueError, match="are 64-d but this tracker holds 128-d"):
        tracker.update([[0, 0, 10, 20]], [0.9], features=np.ones((1, 64)))


def test_zero_size_boxes_are_dropped_not_tracked() -> None:
    tracker = DeepSort(DeepSortConfig(n_init=1))
    out = tracker.update([[5, 5, 5, 50], [0, 0, 10, 20]], [0.9, 0.9])
    assert out.detection_index.tolist() == [1]


def test_config_is_validated_and_unknown_keys_are_named() -> None:
    with pytest.raises(ValueError, match="n_init must be >= 1 and <= 100, got 0"):
        DeepSortConfig(n_init=0)
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['max_agee'\]"):
        DeepSortConfig.from_dict({"max_agee": 3})
