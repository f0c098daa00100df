"""``score_fusion``: a detection's score weighs its IoU in matching (tracker.core.score_profile)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.score_profile import RecentScores, score_weights

_BOX = np.array([[100.0, 100.0, 140.0, 200.0]])


def _confirmed(config: DeepSortConfig, score: float = 0.95) -> DeepSort:
    """A tracker holding one confirmed, standing track at ``_BOX``."""
    tracker = DeepSort(config)
    for _ in range(5):
        tracker.update(_BOX, [score])
    assert len(tracker.update(_BOX, [score])) == 1
    return tracker


def _shifted(dx: float) -> np.ndarray:
    return _BOX + np.array([dx, 0.0, dx, 0.0])


@pytest.mark.parametrize(("mode", "chosen"), [("none", 0), ("score", 1), ("relative", 1)])
def test_of_two_overlapping_boxes_the_surer_one_wins_when_scores_count(mode, chosen) -> None:
    # Box 0 overlaps the track more (IoU 0.82) but the detector barely believes it; box 1
    # overlaps a little less (IoU 0.67) and is confident. Both are main-stage detections.
    tracker = _confirmed(DeepSortConfig(score_fusion=mode))
    boxes = np.concatenate([_shifted(-4.0), _shifted(8.0)])
    out = tracker.update(boxes, [0.61, 0.99])
    assert out.ids.tolist() == [1]
    assert out.detection_index.tolist() == [chosen]


@pytest.mark.parametrize(("mode", "matched"), [("none", True), ("score", False)])
def test_a_weak_box_needs_more_overlap_to_match(mode, matched) -> None:
    # IoU 0.25 passes the plain IoU gate (0.2) but not once weighted by 0.61 (0.15).
    config = DeepSortConfig(score_fusion=mode, report_misses=0.0, gating_threshold=None)
    tracker = _confirmed(config)
    out = tracker.update(_shifted(24.0), [0.61])
    assert (out.ids.tolist() == [1]) is matched


def test_relative_weights_a_uniformly_low_scoring_detector_like_no_weighting() -> None:
    """A detector that scores everything 0.7 is not taxed on its typical boxes: ``relative``
    keeps the low-overlap match that ``score`` (0.25 * 0.7 < 0.2) refuses."""
    results = {}
    for mode in ("none", "score", "relative"):
        config = DeepSortConfig(score_fusion=mode, report_misses=0.0, gating_threshold=None)
        tracker = _confirmed(config, score=0.7)
        results[mode] = tracker.update(_shifted(24.0), [0.7]).ids.tolist()
    assert results == {"none": [1], "score": [], "relative": [1]}


def test_weights_clip_any_score_range_into_zero_one() -> None:
    scores = np.array([-3.0, 0.0, 0.5, 1.0, 138.0])  # MOT15's det.txt scores reach 138
    assert score_weights(scores, "none") is None
    assert score_weights(scores, "score").tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    relative = score_weights(scores, "relative", reference=50.0)
    assert relative.tolist() == [0.0, 0.0, 0.01, 0.02, 1.0]
    for reference in (None, 0.0, -1.0):  # no usable reference: IoU unweighted
        assert score_weights(scores, "relative", reference).tolist() == [1.0] * 5


@given(
    frames=st.lists(
        st.lists(st.floats(-5, 150, allow_nan=False), max_size=12), min_size=1, max_size=20
    ),
    size=st.integers(1, 16),
)
def test_recent_scores_is_the_median_of_the_last_window(examples, frames, size) -> None:
    recent, seen = RecentScores(size), []
    for frame in frames:
        recent.add(np.array(frame))
        seen += frame
        window = seen[-size:]
        assert len(recent) == len(window)
        if window:
            assert recent.median() == pytest.approx(float(np.median(window)))
        else:
            assert recent.median() is None
    examples.record("RecentScores median == median of the last window", "checked")


def test_score_fusion_is_validated_by_name() -> None:
    with pytest.raises(ValueError, match="score_fusion must be 'none', 'score' or 'relative'"):
        DeepSortConfig(score_fusion="fuse")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="size must be >= 1"):
        RecentScores(0)


_BOXES = st.lists(
    st.tuples(st.floats(0, 500), st.floats(0, 500), st.floats(2, 200), st.floats(2, 200)),
    max_size=6,
)


@given(
    frames=st.lists(
        st.tuples(_BOXES, st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=6)),
        min_size=1,
        max_size=10,
    ),
    mode=st.sampled_from(["score", "relative"]),
)
def test_any_finite_scores_keep_the_tracker_sound(examples, frames, mode) -> None:
    """Scores of any range and sign (detectors are not calibrated alike) never break a
    frame: boxes stay finite, ids unique, every reported match points at a real row."""
    tracker = DeepSort(DeepSortConfig(score_fusion=mode, n_init=1, min_score=0.0))
    for boxes, scores in frames:
        xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in boxes]).reshape(-1, 4)
        out = tracker.update(xyxy, np.array(scores[: len(xyxy)]))
        assert np.all(np.isfinite(out.boxes))
        assert len(set(out.ids.tolist())) == len(out)
        assert np.all(out.detection_index < len(xyxy))
    examples.record("score_fusion with any finite scores", mode)


def test_score_fusion_travels_over_the_wire_and_is_checked_there() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import ConfigError, tracker_config

    config = tracker_config(pb.TrackerParams(score_fusion="relative"), DeepSortConfig())
    assert config.score_fusion == "relative"
    unset = tracker_config(pb.TrackerParams(), DeepSortConfig())
    assert unset.score_fusion == DeepSortConfig().score_fusion == "score"
    with pytest.raises(ConfigError, match="score_fusion must be"):
        tracker_config(pb.TrackerParams(score_fusion="fuse"), DeepSortConfig())
