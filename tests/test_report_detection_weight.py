"""The reported box of a matched track (``report_detection_weight``): a blend of the Kalman
filter's estimate and the frame's detection, by a fixed weight or one learnt from the stream.
It changes the output only, so the same stream tracked at two weights must give the same
identities, with each matched box moved that share of the way from the filter's estimate to
its own detection; learnt, the weight follows the detections where the filter lags and the
filter where the detections jitter."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.deepsort import Tracks


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


def _track(
    weight: float | None, frames: list[np.ndarray], scores: list[np.ndarray]
) -> list[Tracks]:
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


def _against_the_filter(
    weight: float | None, frames: list[np.ndarray], scores: list[np.ndarray]
) -> Iterator[tuple[np.ndarray, Tracks, Tracks, np.ndarray]]:
    """Each frame's detections, its tracks at weight 0 and at ``weight``, and which tracks
    were matched, after checking that the weight changed no identity."""
    for boxes, base, out in zip(
        frames, _track(0.0, frames, scores), _track(weight, frames, scores), strict=True
    ):
        np.testing.assert_array_equal(base.ids, out.ids)
        np.testing.assert_array_equal(base.detection_index, out.detection_index)
        yield boxes, base, out, base.detection_index >= 0


@given(stream=_streams(), weight=st.floats(0.0, 1.0))
def test_only_the_matched_boxes_move_towards_their_detections(examples, stream, weight) -> None:
    moved = 0
    for boxes, base, out, matched in _against_the_filter(weight, *stream):
        expected = base.boxes.copy()
        expected[matched] += weight * (boxes[base.detection_index[matched]] - expected[matched])
        np.testing.assert_allclose(out.boxes, expected, rtol=0, atol=1e-9)
        moved += int(matched.sum())
    examples.record("matched boxes moved", "none" if moved == 0 else "some")


def test_the_weight_is_checked_and_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.client.client import StreamOptions
    from tracker.service.wire import tracker_config

    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="report_detection_weight"):
            DeepSortConfig(report_detection_weight=bad)
    fixed, learnt = DeepSortConfig(report_detection_weight=0.5), DeepSortConfig()
    params = pb.TrackerParams(report_detection_weight=0.25)
    assert tracker_config(params, learnt).report_detection_weight == 0.25
    assert tracker_config(pb.TrackerParams(), fixed).report_detection_weight == 0.5
    asked = StreamOptions(tracker={"report_detection_weight": None}).to_proto().tracker
    assert asked.learn_report_detection_weight
    assert tracker_config(asked, fixed).report_detection_weight is None


def _walkers(frames: int, rng: np.random.Generator, jitter: float, turn: float) -> tuple:
    """Four people far apart: true boxes, and the detector's (the truth plus ``jitter`` px of
    noise on every corner). ``turn`` bends each path into a curve the constant-velocity
    filter keeps lagging behind."""
    truth, seen = [], []
    for t in range(frames):
        boxes = []
        for k in range(4):
            x = 40.0 + 250.0 * k + 3.0 * t + turn * (t / 10.0) ** 2
            y = 60.0 + 40.0 * k + turn * np.sin(t / 6.0) * 8.0
            boxes.append([x, y, x + 50.0, y + 130.0])
        truth.append(np.array(boxes))
        seen.append(truth[-1] + rng.normal(0.0, jitter, size=(4, 4)) if jitter else truth[-1])
    return truth, seen


def _learnt_weights(seen: list) -> np.ndarray:
    tracker = DeepSort(DeepSortConfig(report_detection_weight=None), frame_rate=30.0)
    for boxes in seen:
        tracker.update(boxes, np.full(len(boxes), 0.9))
    return tracker.report_weights


def _error(weight: float | None, truth: list, seen: list) -> float:
    """Mean corner error (px) of the reported matched boxes against the truth."""
    outs = _track(weight, seen, [np.full(4, 0.9)] * len(seen))
    errors = [
        np.abs(out.boxes - boxes[out.detection_index]).mean()
        for boxes, out in zip(truth, outs, strict=True)
        if len(out.ids)
    ]
    return float(np.mean(errors))


def test_the_learnt_weight_follows_the_filter_on_jitter_and_the_detections_on_a_lag() -> None:
    rng = np.random.default_rng(7)
    jitter = _walkers(120, rng, jitter=3.0, turn=0.0)
    lag = _walkers(120, rng, jitter=0.0, turn=1.0)
    on_jitter = {w: _error(w, *jitter) for w in (0.0, 0.5, 1.0, None)}
    on_lag = {w: _error(w, *lag) for w in (0.0, 0.5, 1.0, None)}
    # the fixed weights rank as the reason for learning says they should
    assert on_jitter[0.0] < on_jitter[0.5] < on_jitter[1.0], on_jitter
    assert on_lag[1.0] < on_lag[0.5] < on_lag[0.0], on_lag
    # learnt, the weight beats the fixed middle on both kinds of stream
    assert on_jitter[None] < on_jitter[0.5], on_jitter
    assert on_lag[None] < on_lag[0.5], on_lag
    # because it learnt to follow the filter on jitter and the detections on the lag
    assert np.all(_learnt_weights(jitter[1]) < 0.2), _learnt_weights(jitter[1])
    assert np.all(_learnt_weights(lag[1])[:2] > 0.8), _learnt_weights(lag[1])  # the centre lags
    assert np.array_equal(
        DeepSort(DeepSortConfig(report_detection_weight=0.3)).report_weights, np.full(4, 0.3)
    )


def _centre_size(boxes: np.ndarray) -> np.ndarray:
    return np.stack(
        [
            (boxes[:, 0] + boxes[:, 2]) / 2,
            (boxes[:, 1] + boxes[:, 3]) / 2,
            boxes[:, 2] - boxes[:, 0],
            boxes[:, 3] - boxes[:, 1],
        ],
        axis=1,
    )


@given(stream=_streams())
def test_a_learnt_weight_moves_only_matched_boxes_and_only_towards_their_detection(
    examples, stream
) -> None:
    """Learnt, each coordinate (centre, width, height) of a matched box lies between the
    filter's and the detection's; identities and coasting boxes are the filter's."""
    moved = 0
    for boxes, base, out, matched in _against_the_filter(None, *stream):
        np.testing.assert_array_equal(out.boxes[~matched], base.boxes[~matched])
        if not matched.any():
            continue
        lo = _centre_size(base.boxes[matched])
        hi = _centre_size(boxes[base.detection_index[matched]])
        got = _centre_size(out.boxes[matched])
        tol = 1e-9 * (1.0 + np.abs(hi) + np.abs(lo))
        assert np.all(got >= np.minimum(lo, hi) - tol) and np.all(got <= np.maximum(lo, hi) + tol)
        moved += int((np.abs(got - lo) > tol).any())
    examples.record("learnt weight", "moved a box" if moved else "moved none")
