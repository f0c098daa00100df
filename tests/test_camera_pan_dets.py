"""The moving-camera benchmark without frames (``benchmarks.camera_pan_dets``) moves the
ground truth and the detections alike, so a tracker that followed the camera perfectly would
score as on the static sequence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.camera_pan_dets import DETS, PANS, CameraPan, make_panned, shift_rows
from tracker.core import DeepSort, DeepSortConfig
from tracker.eval import evaluate
from tracker.io.mot import read_detections, read_seqinfo, write_results

SEQ = "TUD-Campus"


def test_static_path_is_the_identity_and_a_pan_moves_a_frame_as_one() -> None:
    rows = np.array([[1, 1, 10, 20, 5, 8, 1], [1, 2, 50, 60, 5, 8, 1], [9, 1, 11, 21, 5, 8, 1]])
    assert np.array_equal(shift_rows(rows, PANS[0], 25.0, (640, 480)), rows)
    fast = next(p for p in PANS if p.name == "fast")
    moved = shift_rows(rows, fast, 25.0, (640, 480))
    delta = moved[:, 2:4] - rows[:, 2:4]
    assert np.allclose(delta[0], delta[1], rtol=0, atol=1e-9)  # one frame, one camera shift
    assert not np.allclose(delta[0], delta[2])  # and the camera moves between frames
    assert np.array_equal(moved[:, [0, 1, 4, 5, 6]], rows[:, [0, 1, 4, 5, 6]])


def test_zoom_scales_every_box_about_the_image_centre() -> None:
    """A box centred on the image keeps its centre and scales; one off centre also moves
    outward (zoom in) or inward, each by its own distance from the centre."""
    zoom = next(p for p in PANS if p.name == "zoom")
    quarter = 25.0  # frame 25 at 25 fps: t = 1 s, a quarter of the 4 s period, the largest zoom
    rows = np.array([[quarter, 1, 300, 220, 40, 40, 1], [quarter, 2, 600, 440, 40, 40, 1]])
    moved = shift_rows(rows, zoom, 25.0, (640, 480))
    scale = 1 + zoom.zoom
    np.testing.assert_allclose(moved[:, 4:6], rows[:, 4:6] * scale)
    centres = moved[:, 2:4] + moved[:, 4:6] / 2
    np.testing.assert_allclose(centres[0], [320, 240])
    np.testing.assert_allclose(centres[1], [320, 240] + scale * np.array([300.0, 220.0]))
    static = shift_rows(rows, PANS[0], 25.0, (640, 480))
    assert np.array_equal(static, rows)


def test_path_is_in_seconds_and_bounded() -> None:
    pan = CameraPan("p", 0.2, 4.0)
    # frame 10 at 7 fps and frame 20 at 14 fps are the same instant, so the same shift
    row = np.array([[10, 1, 0, 0, 5, 8, 1]])
    at_7 = shift_rows(row, pan, 7.0, (640, 480))
    row[0, 0] = 20
    at_14 = shift_rows(row, pan, 14.0, (640, 480))
    assert np.allclose(at_7[:, 2:4], at_14[:, 2:4]) and at_7[0, 2] != 0
    seconds = np.linspace(0, 60, 5001)
    shift = pan.shift(seconds, 640, 480)
    assert np.abs(shift[:, 0]).max() <= 0.2 * 640 + 1e-9
    assert np.abs(shift[:, 1]).max() <= 0.3 * 0.2 * 480 + 1e-9
    speed = np.abs(np.diff(shift[:, 0]) / np.diff(seconds)).max() / 640
    assert speed == pytest.approx(pan.peak_speed(), rel=1e-3)


@pytest.mark.timeout(120)
def test_panned_sequence_scores_the_detections_as_the_static_one(
    shared_data: Path, tmp_path: Path
) -> None:
    """The detections themselves, given ids by frame order, score the same panned or not:
    the benchmark changes where the camera looks, not what is in the scene."""
    fast = next(p for p in PANS if p.name == "fast")
    static_root = make_panned(PANS[0], tmp_path / "static", (SEQ,))
    panned_root = make_panned(fast, tmp_path / "fast", (SEQ,))
    scores = []
    for root in (static_root, panned_root):
        dets = read_detections(root / SEQ / "det" / DETS)
        info = read_seqinfo(root / SEQ)
        assert info.frame_rate == 25
        # every detection its own id, the same in both copies
        out = root / "out"
        out.mkdir()
        ids = np.arange(1, len(dets.frames) + 1)
        boxes = dets.boxes_xywh.copy()
        boxes[:, 2:] += boxes[:, :2]
        write_results(out / f"{SEQ}.txt", dets.frames, ids, boxes, dets.scores)
        result = evaluate(root, out, [SEQ], benchmark="MOT15", with_motmetrics=False)
        scores.append((result.combined["MOTA"], result.combined["DetA"]))
    # Equal up to IoUs that sit exactly on one of HOTA's thresholds (MOT15's boxes are whole
    # pixels, so IoU 0.5 or 0.75 happens), which float rounding of the shift can tip.
    assert scores[0] == pytest.approx(scores[1], abs=0.05)
    tracker = DeepSort(DeepSortConfig(), frame_rate=25.0)  # the panned boxes are valid input
    dets = read_detections(panned_root / SEQ / "det" / DETS)
    for _, rows in dets.iter_frames(read_seqinfo(panned_root / SEQ).length):
        tracker.update(dets.boxes_xyxy[rows], dets.scores[rows])
