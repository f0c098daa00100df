"""Times in seconds scaled by the frame rate, config validation at the boundary, and the
design options chosen by the leave-one-sequence-out protocol (ORU, adaptive appearance)."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.affinity import INFEASIBLE, adaptive_fused_cost
from tracker.core.deepsort import MAX_GALLERY_BUDGET

BOX = np.array([[100.0, 100.0, 140.0, 200.0]])


def _frames_alive_after_last_detection(config: DeepSortConfig, frame_rate: float) -> int:
    tracker = DeepSort(config, frame_rate=frame_rate)
    for _ in range(5):
        tracker.update(BOX, [0.9])
    empty = 0
    while tracker.active_tracks:
        tracker.update(np.zeros((0, 4)), np.zeros(0))
        empty += 1
    return empty


@pytest.mark.parametrize(("frame_rate", "frames"), [(10.0, 10), (30.0, 30), (7.0, 7)])
def test_max_age_is_seconds_scaled_by_the_frame_rate(frame_rate: float, frames: int) -> None:
    config = DeepSortConfig(max_age=1.0, report_misses=0.0)
    # deleted at the first miss beyond max_age frames
    assert _frames_alive_after_last_detection(config, frame_rate) == frames + 1


def test_unknown_frame_rate_means_30_fps() -> None:
    config = DeepSortConfig(max_age=0.5, report_misses=0.0)
    assert DeepSort(config).frame_rate == 30.0
    assert _frames_alive_after_last_detection(config, 30.0) == 16


@pytest.mark.parametrize("frame_rate", [0, -5, math.nan, math.inf, 1e6, True])
def test_bad_frame_rates_are_rejected(frame_rate: float) -> None:
    with pytest.raises(ValueError, match="frame_rate"):
        DeepSort(DeepSortConfig(), frame_rate=frame_rate)


@pytest.mark.parametrize(("frame_rate", "reported"), [(10.0, 2), (30.0, 6)])
def test_coasting_output_is_bounded_in_seconds(frame_rate: float, reported: int) -> None:
    # a track seen once has no prediction fit yet: trust it anyway, this is about time
    config = DeepSortConfig(n_init=1, report_misses=0.2, coast_report="all", coast_min_iou=0)
    tracker = DeepSort(config, frame_rate=frame_rate)
    tracker.update(BOX, [0.9])
    coasting = [len(tracker.update(np.zeros((0, 4)), np.zeros(0))) for _ in range(10)]
    assert coasting == [1] * reported + [0] * (10 - reported)
    off = DeepSort(DeepSortConfig(n_init=1, report_misses=0.0), frame_rate=frame_rate)
    off.update(BOX, [0.9])
    assert len(off.update(np.zeros((0, 4)), np.zeros(0))) == 0


_FLOAT_FIELDS = [
    f.name
    for f in fields(DeepSortConfig)
    if f.type in ("float", "float | None") and f.name != "gating_threshold"
]


@pytest.mark.parametrize("name", _FLOAT_FIELDS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -0.5, 1e9])
def test_every_number_is_finite_and_in_range(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=name):
        DeepSortConfig(**{name: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"gallery_budget": MAX_GALLERY_BUDGET + 1}, "gallery_budget"),
        ({"gallery_budget": 2**31 - 1}, "gallery_budget"),
        ({"n_init": 2**31 - 1}, "n_init"),
        ({"n_init": 2.5}, "n_init"),
        ({"max_age": 2**31 - 1}, "max_age"),
        ({"high_score": 5.0}, "high_score"),
        ({"min_score": -0.1}, "min_score"),
        ({"new_track_min_score": math.nan}, "new_track_min_score"),
        ({"gating_threshold": math.nan}, "gating_threshold"),
        ({"gating_threshold": math.inf}, "gating_threshold"),
        ({"gating_threshold": 0.0}, "gating_threshold"),
        ({"cascade": "yes"}, "cascade"),
        ({"appearance_fusion": "sum"}, "appearance_fusion"),
        ({"max_age": "2"}, "max_age"),
    ],
)
def test_config_errors_name_the_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"invalid DeepSortConfig: .*{field}"):
        DeepSortConfig(**values)  # type: ignore[arg-type]


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(ValueError, match=r"n_init.*min_score|min_score.*n_init"):
        DeepSortConfig(n_init=0, min_score=2.0)


def test_unknown_keys_are_named() -> None:
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['fps', 'max_agee'\]"):
        DeepSortConfig.from_dict({"max_agee": 3, "fps": 30})


def _velocity_after_slowing_down(reupdate: bool) -> float:
    """A person walks right at 10 px/frame, slows to 5 px/frame while hidden for 4 frames,
    and is seen again; returns the track's estimated x velocity then."""
    tracker = DeepSort(DeepSortConfig(n_init=1, observation_reupdate=reupdate))
    wide = np.array([[100.0, 100.0, 200.0, 300.0]])
    x = 0.0
    for _ in range(15):
        x += 10.0
        tracker.update(wide + np.array([x, 0, x, 0]), [0.9])
    for _ in range(4):
        tracker.update(np.zeros((0, 4)), np.zeros(0))
    x += 25.0
    out = tracker.update(wide + np.array([x, 0, x, 0]), [0.9])
    assert out.ids.tolist() == [1]
    return float(tracker.tracks.mean[0, 4])


def test_observation_reupdate_learns_the_velocity_of_the_gap() -> None:
    # ORU's virtual path from the last box to the new one says 5 px/frame; the plain filter
    # keeps more of the 10 px/frame it coasted with.
    oru, plain = _velocity_after_slowing_down(True), _velocity_after_slowing_down(False)
    assert abs(oru - 5.0) < abs(plain - 5.0)


def test_adaptive_fusion_lets_iou_decide_when_appearance_cannot_separate() -> None:
    iou = np.array([[0.8, 0.1], [0.1, 0.8]])
    alike = np.array([[0.10, 0.11], [0.11, 0.10]])  # everyone looks the same
    cost = adaptive_fused_cost(iou, alike, 0.2, 0.8, separation=0.1)
    # margins 0.01 -> weight 0.1 on appearance (0.10 / 0.2), 0.9 on IoU (0.2 / 0.8)
    np.testing.assert_allclose(np.diag(cost), 0.1 * 0.5 + 0.9 * 0.25, rtol=1e-6)
    assert cost[0, 1] > 1.0  # not a match: the IoU term dominates
    distinct = np.array([[0.02, 0.5], [0.5, 0.02]])
    swapped_iou = iou[::-1]  # the boxes say swap, appearance clearly says no
    cost = adaptive_fused_cost(swapped_iou, distinct, 0.2, 0.8, separation=0.1)
    assert cost[0, 0] == pytest.approx(0.1) and cost[1, 1] == pytest.approx(0.1)
    assert cost[0, 1] > 1.0 and cost[1, 0] > 1.0
    feasible = np.array([[True, False], [True, True]])
    gated = adaptive_fused_cost(iou, distinct, 0.2, 0.8, 0.1, feasible)
    assert gated[0, 1] == INFEASIBLE


@pytest.mark.parametrize("fusion", ["weighted", "reliability"])
def test_every_fusion_keeps_well_separated_people(fusion: str) -> None:
    rng = np.random.default_rng(3)
    looks = rng.normal(size=(3, 16))
    tracker = DeepSort(DeepSortConfig(n_init=1, appearance_fusion=fusion))  # type: ignore[arg-type]
    for f in range(30):
        x = 50.0 + 200.0 * np.arange(3) + 4.0 * f
        boxes = np.column_stack([x, np.full(3, 100.0), x + 40, np.full(3, 200.0)])
        out = tracker.update(boxes, np.full(3, 0.9), features=looks)
    assert out.ids[np.argsort(out.boxes[:, 0])].tolist() == [1, 2, 3]


def _panning(camera_motion: bool) -> list[list[int]]:
    """Two people standing still while the camera pans: their boxes move 60 px left per
    frame (more than a box width). Returns the ids of each frame, left to right."""
    tracker = DeepSort(DeepSortConfig(n_init=1))
    pan = np.array([[1.0, 0.0, -60.0], [0.0, 1.0, 0.0]])
    boxes = np.array([[2000.0, 100.0, 2040.0, 200.0], [2300.0, 100.0, 2340.0, 200.0]])
    ids = []
    for f in range(20):
        out = tracker.update(
            boxes - [60.0 * f, 0, 60.0 * f, 0], [0.9, 0.9],
            camera_motion=pan if camera_motion and f else None,
        )  # fmt: skip
        ids.append(out.ids[np.argsort(out.boxes[:, 0])].tolist())
    return ids


def test_camera_motion_moves_the_tracks_with_the_camera() -> None:
    assert _panning(camera_motion=True) == [[1, 2]] * 20
    assert _panning(camera_motion=False)[1] != [1, 2]  # without it, the tracks are lost


def test_camera_motion_keeps_a_static_scene_unchanged() -> None:
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    with_identity, without = DeepSort(), DeepSort()
    for f in range(10):
        boxes = BOX + np.array([3.0 * f, 0, 3.0 * f, 0])
        a = with_identity.update(boxes, [0.9], camera_motion=identity)
        b = without.update(boxes, [0.9])
        np.testing.assert_allclose(a.boxes, b.boxes)


@pytest.mark.parametrize(
    "matrix",
    [np.eye(3), np.full((2, 3), np.nan), np.array([[5.0, 0, 0], [0, 5.0, 0]]), np.zeros((2, 3))],
)
def test_bad_camera_motion_is_rejected(matrix: np.ndarray) -> None:
    with pytest.raises(ValueError, match="camera_motion"):
        DeepSort().update(BOX, [0.9], camera_motion=matrix)


@pytest.mark.parametrize(("frame_rate", "kept"), [(10.0, True), (30.0, False)])
def test_iou_gate_frame_rate_power_widens_the_gate_for_slow_sources(
    frame_rate: float, kept: bool
) -> None:
    # A tentative track whose next box overlaps it by IoU 0.1: below the 0.2 needed at
    # 30 fps, above the 0.067 needed at 10 fps.
    box = np.array([[0.0, 0.0, 100.0, 100.0]])
    shifted = box + np.array([81.8, 0.0, 81.8, 0.0])  # IoU = 18.2 / 181.8 ~ 0.1
    for flag in (False, True):
        config = DeepSortConfig(n_init=2, iou_gate_frame_rate_power=1.0 if flag else 0.0)
        tracker = DeepSort(config, frame_rate=frame_rate)
        tracker.update(box, [0.9])
        out = tracker.update(shifted, [0.9])
        assert (len(out) == 1) == (flag and kept)
