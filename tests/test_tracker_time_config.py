"""Times in seconds scaled by the frame rate, config validation at the boundary, and the
design options chosen by the leave-one-sequence-out protocol (ORU, NSA, fused costs)."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.affinity import INFEASIBLE, adaptive_fused_cost, min_fused_cost
from tracker.core.deepsort import MAX_GALLERY_BUDGET
from tracker.core.kalman import BatchKalmanFilter, xyxy_to_xyah

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
    tracker = DeepSort(DeepSortConfig(n_init=1, report_misses=0.2), frame_rate=frame_rate)
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


def test_score_adaptive_noise_trusts_confident_detections_more() -> None:
    kf = BatchKalmanFilter()
    mean, cov = kf.initiate(xyxy_to_xyah(BOX))
    mean, cov = kf.predict(mean, cov)
    measurement = xyxy_to_xyah(BOX + 10.0)
    plain, _ = kf.update(mean, cov, measurement)
    weak, _ = kf.update(mean, cov, measurement, confidence=np.array([0.0]))
    strong, _ = kf.update(mean, cov, measurement, confidence=np.array([0.95]))
    np.testing.assert_allclose(weak, plain)  # score 0 = DeepSORT's noise
    assert (
        np.abs(strong[0, :2] - measurement[0, :2]).max()
        < np.abs(plain[0, :2] - measurement[0, :2]).min()
    )


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


def test_min_fused_cost_lets_appearance_only_help_overlapping_pairs() -> None:
    iou = np.array([[0.7, 0.6, 0.0]])
    appearance = np.array([[0.3, 0.1, 0.05]])
    cost = min_fused_cost(iou, appearance, 0.2, proximity=0.5, max_iou_distance=0.8)
    # appearance too far to help; overlapping and alike: halved cosine; no overlap: gated
    np.testing.assert_allclose(cost, [[0.3, 0.05, INFEASIBLE]])


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


@pytest.mark.parametrize("fusion", ["weighted", "min", "adaptive"])
def test_every_fusion_keeps_well_separated_people(fusion: str) -> None:
    rng = np.random.default_rng(3)
    looks = rng.normal(size=(3, 16))
    tracker = DeepSort(DeepSortConfig(n_init=1, appearance_fusion=fusion))  # type: ignore[arg-type]
    for f in range(30):
        x = 50.0 + 200.0 * np.arange(3) + 4.0 * f
        boxes = np.column_stack([x, np.full(3, 100.0), x + 40, np.full(3, 200.0)])
        out = tracker.update(boxes, np.full(3, 0.9), features=looks)
    assert out.ids[np.argsort(out.boxes[:, 0])].tolist() == [1, 2, 3]
