"""Catching a pan before the association (``camera_alignment``,
``tracker.core.scene_motion.aligning_shift``): the shift the scene made is found when most
tracks share it, never on a static scene, and it keeps identities through a jump of the
camera that the learnt velocity alone cannot follow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.scene_motion import (
    ALIGNMENT_FEED,
    ALIGNMENT_HEIGHT_RATIO,
    ALIGNMENT_MAX_SHIFT,
    ALIGNMENT_TOLERANCE,
    MIN_CAMERA_PAIRS,
    CameraVelocity,
    aligning_shift,
)
from tracker.io.mot import read_detections, read_seqinfo


def _isolated_people(count: int, seed: int) -> np.ndarray:
    """``(count, 4)`` measurements (cx, cy, aspect, height) on a grid whose cells are wider
    than any displacement a vote counts, so no detection votes for another's track."""
    rng = np.random.default_rng(seed)
    heights = rng.uniform(40.0, 160.0, count)
    cell = 2.0 * ALIGNMENT_MAX_SHIFT * 160.0 + 200.0
    cells = rng.permutation(64)[:count]
    centres = np.stack([cells % 8, cells // 8], axis=1) * cell + rng.uniform(0, 50, (count, 2))
    return np.column_stack([centres, np.full(count, 0.4), heights])


@given(
    count=st.integers(MIN_CAMERA_PAIRS, 30),
    seed=st.integers(0, 2**32 - 1),
    direction=st.floats(0.0, 2.0 * np.pi),
    size=st.floats(0.2, 1.4),
    clutter=st.integers(0, 10),
)
def test_a_shift_every_isolated_person_shares_is_found(
    examples, count, seed, direction, size, clutter
) -> None:
    """Detections = predictions moved by one shift (up to 1.4 of the smallest person's
    height), plus clutter of another size: the shift is the median displacement, every
    person supports it, and only those it moves by less than the tolerance fit no shift."""
    predicted = _isolated_people(count, seed)
    shift = size * predicted[:, 3].min() * np.array([np.cos(direction), np.sin(direction)])
    detected = predicted.copy()
    detected[:, :2] += shift
    rng = np.random.default_rng(seed + 1)
    junk = np.column_stack(
        [
            rng.uniform(0, 4000, (clutter, 2)),
            np.full(clutter, 0.4),
            rng.uniform(2.0, 3.0, clutter) * ALIGNMENT_HEIGHT_RATIO * 160.0,  # none alike
        ]
    )
    found, support, still = aligning_shift(predicted, np.concatenate([detected, junk]))
    small = np.hypot(*shift) / predicted[:, 3] < ALIGNMENT_TOLERANCE
    assert support == count and still == small.sum()
    np.testing.assert_allclose(found, np.median(detected[:, :2] - predicted[:, :2], axis=0))
    examples.record("isolated shift", "clutter" if clutter else "clean")


@given(
    count=st.integers(0, 30),
    detections=st.integers(0, 30),
    seed=st.integers(0, 2**32 - 1),
    spread=st.floats(10.0, 2000.0),
)
def test_any_scene_gives_a_bounded_answer(examples, count, detections, seed, spread) -> None:
    """Random crowds of any density: the counts are per track, and without support there
    is no shift."""
    rng = np.random.default_rng(seed)

    def boxes(n: int) -> np.ndarray:
        return np.column_stack(
            [rng.uniform(0, spread, (n, 2)), np.full(n, 0.4), rng.uniform(20.0, 200.0, n)]
        )

    found, support, still = aligning_shift(boxes(count), boxes(detections))
    assert 0 <= support <= count and 0 <= still <= count
    assert np.all(np.isfinite(found))
    if support == 0:
        assert not found.any()
    examples.record("bounded", "support" if support else "none")


@given(seed=st.integers(0, 2**32 - 1), jitter=st.floats(0.0, 0.6))
def test_a_static_scene_is_never_moved(examples, seed, jitter) -> None:
    """Detections within the tolerance of their predictions (any crowd): ``align`` leaves
    the predictions and the velocity alone, whatever else the vote finds."""
    rng = np.random.default_rng(seed)
    count = int(rng.integers(MIN_CAMERA_PAIRS, 40))
    heights = rng.uniform(40.0, 160.0, count)
    predicted = np.zeros((count, 8))
    predicted[:, :2] = rng.uniform(0, 600, (count, 2))
    predicted[:, 2], predicted[:, 3] = 0.4, heights
    detected = predicted[:, :4].copy()
    angle = rng.uniform(0, 2 * np.pi, count)
    offset = jitter * ALIGNMENT_TOLERANCE * heights
    detected[:, 0] += offset * np.cos(angle)
    detected[:, 1] += offset * np.sin(angle)
    camera = CameraVelocity(0.3)
    before = predicted.copy()
    assert not camera.align(predicted, np.ones(count, dtype=bool), detected)
    np.testing.assert_array_equal(predicted, before)
    assert not camera.moving
    examples.record("static scene", "still")


def test_align_moves_every_prediction_and_feeds_the_velocity() -> None:
    """The steady tracks decide; every track (the lost one too) moves, and the velocity
    takes ALIGNMENT_FEED of the shift."""
    people = _isolated_people(6, 0)
    mean = np.zeros((7, 8))
    mean[:6, :4] = people
    mean[6, :4] = [5000.0, 5000.0, 0.4, 80.0]  # a lost track, far away
    detected = people.copy()
    detected[:, :2] += [30.0, -12.0]
    camera = CameraVelocity(0.3)
    steady = np.array([True] * 6 + [False])
    before = mean.copy()
    assert camera.align(mean, steady, detected)
    np.testing.assert_allclose(mean[:6, :2], detected[:, :2])
    np.testing.assert_allclose(mean[6, :2], [5030.0, 4988.0])
    np.testing.assert_allclose(camera.velocity, ALIGNMENT_FEED * np.array([30.0, -12.0]))
    unlearnt = CameraVelocity(0.0)  # the velocity is off: the shift moves this frame only
    assert unlearnt.align(before, steady, detected) and not unlearnt.moving
    np.testing.assert_allclose(before[:6, :2], detected[:, :2])
    few = CameraVelocity(0.3)  # three steady tracks are one person's business, not the camera's
    assert not few.align(mean[:3].copy(), np.ones(3, dtype=bool), detected[:3])


def _jumping_walkers(frames: int, jump_at: int, jump: float, seed: int = 2):
    """Ten people walking right at 4 px per frame; from ``jump_at`` on the camera has
    jumped by ``jump`` px to the left and keeps still (one jolt, no pan to learn)."""
    rng = np.random.default_rng(seed)
    start = np.stack([np.arange(10) * 90.0 + 50, np.full(10, 200.0)], axis=1)
    for f in range(frames):
        camera = np.array([jump if f >= jump_at else 0.0, 0.0])
        xy = start + np.array([4.0 * f, 0.0]) + camera + rng.normal(0, 1.0, (10, 2))
        yield np.concatenate([xy, xy + np.array([40.0, 100.0])], axis=1), np.full(10, 0.9)


def _identity_changes(config: DeepSortConfig) -> int:
    tracker = DeepSort(config, frame_rate=10.0)
    owner: dict[int, int] = {}
    changes = 0
    for boxes, scores in _jumping_walkers(60, 30, 50.0):
        tracks = tracker.update(boxes, scores)
        for track_id, index in zip(tracks.ids, tracks.detection_index, strict=True):
            if index >= 0:
                changes += owner.get(int(index), track_id) != track_id
                owner[int(index)] = int(track_id)
    return changes


def test_a_jolt_of_the_camera_keeps_identities() -> None:
    """Measured: a 50 px jolt (more than a box's 40 px width, so no IoU is left) gives
    every person a new identity with the learnt velocity alone, and none with the
    alignment."""
    assert _identity_changes(DeepSortConfig(camera_alignment=False)) >= 10
    assert _identity_changes(DeepSortConfig(camera_alignment=True)) == 0


def _files(seq_dir: Path, config: DeepSortConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    info = read_seqinfo(seq_dir)
    dets = read_detections(seq_dir / "det" / "det_frcnn.txt")
    tracker = DeepSort(config, frame_rate=info.frame_rate)
    out = []
    for _, rows in dets.iter_frames(info.length):
        tracks = tracker.update(dets.boxes_xyxy[rows], dets.scores[rows])
        out.append((tracks.ids.copy(), tracks.boxes.copy()))
    return out


@pytest.mark.parametrize("seq", ["TUD-Stadtmitte", "ADL-Rundle-6"])
def test_static_development_sequences_are_unchanged(shared_data: Path, seq: str) -> None:
    """A static camera (a street at 25 fps, a crowded square at 30 fps): the alignment
    never fires, so the results are those without it."""
    seq_dir = shared_data / "MOT15" / "train" / seq
    aligned = _files(seq_dir, DeepSortConfig(camera_alignment=True))
    plain = _files(seq_dir, DeepSortConfig(camera_alignment=False))
    for (ids_a, boxes_a), (ids_b, boxes_b) in zip(aligned, plain, strict=True):
        np.testing.assert_array_equal(ids_a, ids_b)
        np.testing.assert_array_equal(boxes_a, boxes_b)


def test_camera_alignment_is_checked_and_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import tracker_config

    with pytest.raises(ValueError, match="camera_alignment"):
        DeepSortConfig(camera_alignment=1)  # type: ignore[arg-type]
    off = tracker_config(pb.TrackerParams(camera_alignment=False), DeepSortConfig())
    assert off.camera_alignment is False
    assert tracker_config(pb.TrackerParams(), DeepSortConfig()).camera_alignment is True
