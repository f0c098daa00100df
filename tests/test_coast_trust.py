"""Coasting output only from tracks whose predictions have deserved trust
(``coast_min_iou``): a missed track is reported at its predicted box only if its predictions
have overlapped its detections well, on average over its matches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.track import PREDICTION_FIT_MEMORY, TrackTable


def _box(cx: float, cy: float = 300.0) -> list[float]:
    return [cx - 20.0, cy - 50.0, cx + 20.0, cy + 50.0]


def _coasting_reports(config: DeepSortConfig, erratic: bool) -> int:
    """Frames in which a walker missed by the detector is still reported. The steady walker
    moves 4 px a frame; the erratic one jumps back and forth by 24 px, which its motion
    model cannot predict, while staying within its match gate."""
    tracker = DeepSort(config, frame_rate=10.0)
    x = 100.0
    for step in range(12):
        x += (24.0 if step % 2 else -20.0) if erratic else 4.0
        tracker.update(np.array([_box(x)]), np.array([0.9]))
    reports = 0
    for _ in range(3):
        reports += len(tracker.update(np.zeros((0, 4)), np.zeros(0)))
    return reports


def test_only_a_predictable_track_is_reported_while_it_coasts() -> None:
    trusting = DeepSortConfig(report_misses=0.3, coast_report="all", coast_min_iou=0.0)
    wary = DeepSortConfig(report_misses=0.3, coast_report="all", coast_min_iou=0.7)
    assert _coasting_reports(trusting, erratic=False) == 3
    assert _coasting_reports(trusting, erratic=True) == 3
    assert _coasting_reports(wary, erratic=False) == 3
    assert _coasting_reports(wary, erratic=True) == 0


def _detection_with_iou(iou: float) -> np.ndarray:
    """An xyxy box of the predicted box's size (100 x 100 at the origin), slid right so
    that the two overlap by ``iou``: overlap width w gives IoU w / (200 - w)."""
    width = 200.0 * iou / (1.0 + iou)
    return np.array([[100.0 - width, 0.0, 200.0 - width, 100.0]])


@given(fits=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20))
def test_prediction_fit_is_a_running_average_of_the_matches(examples, fits) -> None:
    """The first match sets it; each later one moves it by ``1 - PREDICTION_FIT_MEMORY`` of
    the way; it stays within the IoUs seen."""
    table = TrackTable(gallery_budget=1)
    predicted = np.array([[50.0, 50.0, 1.0, 100.0, 0, 0, 0, 0]])  # xyah: 100 x 100 at 0, 0
    table.add(
        np.array([1]), predicted, np.tile(np.eye(8), (1, 1, 1)), np.zeros(1, np.int64),
        np.ones(1, np.float32), np.zeros(1, np.int64), None, 3,
    )  # fmt: skip
    assert table.prediction_fit[0] == -1.0  # no match yet: nothing to trust
    want = fits[0]
    for k, fit in enumerate(fits):
        detection = _detection_with_iou(fit)
        table.learn_prediction_fit(np.array([0]), detection, np.array([0]), uses_aspect=True)
        if k:
            want = PREDICTION_FIT_MEMORY * want + (1 - PREDICTION_FIT_MEMORY) * fit
        assert table.prediction_fit[0] == pytest.approx(want, abs=1e-6)
    assert min(fits) - 1e-6 <= table.prediction_fit[0] <= max(fits) + 1e-6
    examples.record("prediction fit running average", "one match" if len(fits) == 1 else "many")


def test_coast_min_iou_is_checked_and_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import tracker_config

    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="coast_min_iou"):
            DeepSortConfig(coast_min_iou=bad)
    default = DeepSortConfig()
    assert tracker_config(pb.TrackerParams(coast_min_iou=0.55), default).coast_min_iou == 0.55
    assert tracker_config(pb.TrackerParams(), default).coast_min_iou == default.coast_min_iou
