"""Following a moving camera without frames (``camera_velocity_gain``,
``tracker.core.scene_motion``): the image velocity is learnt from the steady matches, stays
zero on a static camera, and keeps identities through a pan that loses them otherwise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.kalman import BatchKalmanFilter
from tracker.core.scene_motion import (
    CAMERA_SIGNIFICANCE,
    MIN_CAMERA_PAIRS,
    CameraVelocity,
    common_shift,
    steady_residuals,
)
from tracker.core.track import CONFIRMED, TENTATIVE
from tracker.io.mot import read_detections, read_seqinfo

_RESIDUALS = st.integers(0, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.tuples(st.floats(-200, 200), st.floats(-200, 200)), min_size=n, max_size=n),
        st.lists(st.tuples(st.floats(0, 50), st.floats(0, 50)), min_size=n, max_size=n),
    )
)


@given(pairs=_RESIDUALS)
def test_common_shift_never_exceeds_the_median_nor_flips_its_sign(examples, pairs) -> None:
    """A shrunk median: each axis is 0 or has the median's sign and at most its size, and
    fewer than MIN_CAMERA_PAIRS pairs say nothing."""
    residuals = np.array(pairs[0], dtype=np.float64).reshape(-1, 2)
    spread = np.array(pairs[1], dtype=np.float64).reshape(-1, 2)
    shift = common_shift(residuals, spread)
    assert shift.shape == (2,) and np.all(np.isfinite(shift))
    if len(residuals) < MIN_CAMERA_PAIRS:
        assert not shift.any()
        examples.record("shrunk median", "too few pairs")
        return
    median = np.median(residuals, axis=0)
    assert np.all(np.abs(shift) <= np.abs(median) + 1e-12)
    assert np.all((shift == 0) | (np.sign(shift) == np.sign(median)))
    examples.record("shrunk median", "shift" if shift.any() else "no shift")


def _common_shift_numpy(residuals: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """The rule in numpy, the specification the kernel must equal bit for bit."""
    n = len(residuals)
    if n < MIN_CAMERA_PAIRS:
        return np.zeros(2)
    median = np.median(residuals, axis=0)
    mad = np.median(np.abs(residuals - median), axis=0)
    error = np.maximum(
        1.2533 * 1.4826 * mad / np.sqrt(n), 1.2533 * np.median(spread, axis=0) / np.sqrt(n)
    )
    return np.sign(median) * np.maximum(np.abs(median) - CAMERA_SIGNIFICANCE * error, 0.0)


@given(pairs=_RESIDUALS)
def test_common_shift_kernel_equals_the_numpy_rule(examples, pairs) -> None:
    residuals = np.array(pairs[0], dtype=np.float64).reshape(-1, 2)
    spread = np.array(pairs[1], dtype=np.float64).reshape(-1, 2)
    expected = _common_shift_numpy(residuals, spread) + 0.0  # -0.0 counts as 0.0
    np.testing.assert_array_equal(common_shift(residuals, spread), expected)
    examples.record("kernel == numpy", "pairs" if len(residuals) >= MIN_CAMERA_PAIRS else "few")


@given(
    tracks=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    state=st.sampled_from(["xyah", "xywh_height"]),
)
def test_steady_residuals_equal_the_filters_projection(examples, tracks, seed, state) -> None:
    """Residuals and spreads of the steady pairs, as ``BatchKalmanFilter.project`` gives
    them: measured minus predicted centre, sqrt of the innovation variance."""
    rng = np.random.default_rng(seed)
    kf = BatchKalmanFilter(state=state)
    corners = rng.uniform(0, 400, (tracks, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(0.5, 200, (tracks, 2))], axis=1)
    mean, cov = kf.initiate(kf.measure(boxes))
    mean, cov = kf.predict(mean, cov)
    detections = kf.measure(boxes + rng.normal(0, 5, boxes.shape))
    rows = rng.permutation(tracks)[: rng.integers(0, tracks + 1)].astype(np.int64)
    cols = rng.permutation(tracks)[: len(rows)].astype(np.int64)
    states = rng.choice(np.array([TENTATIVE, CONFIRMED], np.int8), tracks, p=[0.2, 0.8])
    misses = rng.integers(0, 3, tracks).astype(np.int32)
    residuals, spread = steady_residuals(
        rows, cols, states, misses, CONFIRMED, mean, cov, detections,
        kf.noise.kernel_table, kf.noise.min_height,
    )  # fmt: skip
    keep = (states[rows] == CONFIRMED) & (misses[rows] == 1)
    projected, innovation = kf.project(mean[rows[keep]], cov[rows[keep]])
    np.testing.assert_array_equal(residuals, detections[cols[keep], :2] - projected[:, :2])
    np.testing.assert_array_equal(spread, np.sqrt(innovation[:, [0, 1], [0, 1]]))
    examples.record("steady residuals", state)


def test_a_shared_shift_is_found_and_noise_the_filter_expects_is_not() -> None:
    """Residuals of a static camera (the filter's own 5 px noise) give no shift in most
    frames, a small one on average (0.25 px measured) and no drift; a 40 px pan is found."""
    rng = np.random.default_rng(0)
    people = 12
    spread = np.full((people, 2), 5.0)  # the filter expects 5 px innovations
    still = [common_shift(rng.normal(0.0, 5.0, (people, 2)), spread) for _ in range(500)]
    assert np.mean([not s.any() for s in still]) > 0.5
    assert np.abs(still).mean() < 0.5 and np.all(np.abs(np.mean(still, axis=0)) < 0.2)
    panned = rng.normal(0.0, 5.0, (people, 2)) + np.array([40.0, -15.0])
    shift = common_shift(panned, spread)
    assert 30.0 < shift[0] <= 45.0 and -20.0 <= shift[1] < -5.0
    # a group walking alike inside the filter's noise (tight residuals, a shared 1.5 px)
    group = np.full((people, 2), 1.5) + rng.normal(0.0, 0.1, (people, 2))
    assert not common_shift(group, spread).any()


def test_gain_is_checked_and_scales_the_correction() -> None:
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="gain"):
            CameraVelocity(bad)
        with pytest.raises(ValueError, match="camera_velocity_gain"):
            DeepSortConfig(camera_velocity_gain=bad)
    residuals, spread = np.tile([30.0, 0.0], (8, 1)), np.ones((8, 2))
    half, off = CameraVelocity(0.5), CameraVelocity(0.0)
    half.learn(residuals, spread)
    off.learn(residuals, spread)
    assert half.moving and 0 < half.velocity[0] <= 15.0 and half.velocity[1] == 0
    assert not off.moving


def _walkers(frames: int, fps: float, pan: float, seed: int = 1):
    """Ten people in a row walking right at 40 px/s, the camera panning sinusoidally with
    ``pan`` px amplitude (period 3 s); boxes jittered by a pixel."""
    rng = np.random.default_rng(seed)
    start = np.stack([np.arange(10) * 60.0 + 50, np.full(10, 200.0)], axis=1)
    for f in range(frames):
        t = f / fps
        camera = np.array(
            [pan * np.sin(2 * np.pi * t / 3.0), 0.3 * pan * np.sin(2 * np.pi * t / 2.1)]
        )
        xy = start + np.array([40.0 * t, 0.0]) + camera + rng.normal(0, 1.0, (10, 2))
        yield np.concatenate([xy, xy + np.array([40.0, 100.0])], axis=1), np.full(10, 0.9)


def _identity_changes(gain: float, pan: float, fps: float = 10.0) -> int:
    # the velocity alone: the alignment (test_camera_alignment.py) would catch this pan too
    config = DeepSortConfig(camera_velocity_gain=gain, camera_alignment=False)
    tracker = DeepSort(config, frame_rate=fps)
    owner: dict[int, int] = {}  # person (left-to-right order) -> last track id seen
    changes = 0
    for boxes, scores in _walkers(120, fps, pan):
        tracks = tracker.update(boxes, scores)
        for track_id, index in zip(tracks.ids, tracks.detection_index, strict=True):
            if index < 0:
                continue
            if owner.get(int(index), track_id) != track_id:
                changes += 1
            owner[int(index)] = int(track_id)
    return changes


def test_following_the_camera_keeps_identities_through_a_fast_pan() -> None:
    """Measured: at 10 fps, a 120 px pan breaks identities without the camera's velocity
    and keeps them with it; with no pan the option changes nothing."""
    assert _identity_changes(0.0, 0.0) == _identity_changes(0.3, 0.0) == 0
    without, with_camera = _identity_changes(0.0, 120.0), _identity_changes(0.3, 120.0)
    assert without > 0
    assert with_camera < without


def _run(seq_dir: Path, config: DeepSortConfig, camera_motion: np.ndarray | None = None):
    info = read_seqinfo(seq_dir)
    dets = read_detections(seq_dir / "det" / "det_frcnn.txt")
    tracker = DeepSort(config, frame_rate=info.frame_rate)
    out = []
    for _, rows in dets.iter_frames(info.length):
        tracks = tracker.update(dets.boxes_xyxy[rows], dets.scores[rows], None, None, camera_motion)
        out.append((tracks.ids.copy(), tracks.boxes.copy()))
    return tracker, out


def test_a_static_camera_learns_no_velocity(shared_data: Path) -> None:
    """TUD-Stadtmitte (static, 25 fps): the learnt velocity stays exactly zero, so the
    results equal those without the option."""
    seq = shared_data / "MOT15" / "train" / "TUD-Stadtmitte"
    tracker, following = _run(seq, DeepSortConfig(camera_velocity_gain=0.5))
    _, plain = _run(seq, DeepSortConfig(camera_velocity_gain=0.0))
    assert not tracker._camera.moving
    for (ids_a, boxes_a), (ids_b, boxes_b) in zip(following, plain, strict=True):
        np.testing.assert_array_equal(ids_a, ids_b)
        np.testing.assert_array_equal(boxes_a, boxes_b)


def test_camera_motion_from_the_frames_takes_over(shared_data: Path) -> None:
    """Frames that come with their camera motion neither learn nor apply the velocity."""
    seq = shared_data / "MOT15" / "train" / "ETH-Sunnyday"  # moving camera, 14 fps
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    tracker, given_motion = _run(seq, DeepSortConfig(camera_velocity_gain=0.5), identity)
    _, plain = _run(seq, DeepSortConfig(camera_velocity_gain=0.0), identity)
    assert not tracker._camera.moving
    for (ids_a, boxes_a), (ids_b, boxes_b) in zip(given_motion, plain, strict=True):
        np.testing.assert_array_equal(ids_a, ids_b)
        np.testing.assert_array_equal(boxes_a, boxes_b)
    learnt, _ = _run(seq, DeepSortConfig(camera_velocity_gain=0.5))
    assert learnt._camera.moving  # without frames the same sequence does learn one


def test_asking_which_detections_need_appearance_first_changes_nothing() -> None:
    """``detections_needing_appearance`` predicts ahead and ``update`` reuses it: the
    camera's velocity must be in both or in neither."""
    rng = np.random.default_rng(3)
    config = DeepSortConfig(camera_velocity_gain=0.5)
    asked, plain = DeepSort(config, frame_rate=10.0), DeepSort(config, frame_rate=10.0)
    for boxes, scores in _walkers(80, 10.0, 120.0):
        features = rng.normal(size=(len(boxes), 8)).astype(np.float32)
        features /= np.linalg.norm(features, axis=1, keepdims=True)
        wanted = asked.detections_needing_appearance(boxes, scores)
        given_features = np.where(wanted[:, None], features, 0.0).astype(np.float32)
        a = asked.update(boxes, scores, None, given_features)
        b = plain.update(boxes, scores, None, given_features)
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_array_equal(a.boxes, b.boxes)
    assert asked._camera.moving


def test_camera_velocity_gain_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import ConfigError, tracker_config

    params = pb.TrackerParams(camera_velocity_gain=0.25)
    assert tracker_config(params, DeepSortConfig()).camera_velocity_gain == 0.25
    unset = tracker_config(pb.TrackerParams(), DeepSortConfig())
    assert unset.camera_velocity_gain == DeepSortConfig().camera_velocity_gain
    with pytest.raises(ConfigError, match="camera_velocity_gain"):
        tracker_config(pb.TrackerParams(camera_velocity_gain=2.0), DeepSortConfig())
