"""MOTChallenge readers and writers, including the malformed inputs users actually have."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tracker.errors import InputFormatError
from tracker.io.mot import (
    list_sequences,
    read_detections,
    read_results,
    read_seqinfo,
    write_results,
)


def test_reads_seqinfo(shared_data: Path) -> None:
    info = read_seqinfo(shared_data / "MOT15/train/PETS09-S2L1")
    assert (info.name, info.length, info.frame_rate, info.width, info.height) == (
        "PETS09-S2L1", 795, 7.0, 768, 576,
    )  # fmt: skip


def test_missing_seqinfo_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match=r"seqinfo.ini: not found"):
        read_seqinfo(tmp_path)
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nname=x\n")
    with pytest.raises(InputFormatError, match="missing key seqLength"):
        read_seqinfo(tmp_path)


def test_reads_mot_det_files_sorted_by_frame(shared_data: Path) -> None:
    dets = read_detections(shared_data / "MOT17-mini/train/MOT17-09-FRCNN/det/det.txt")
    assert len(dets) == 3049 and dets.features is None
    assert np.all(np.diff(dets.frames) >= 0)
    assert dets.last_frame == 525
    frames = dict(dets.iter_frames())
    assert sum(s.stop - s.start for s in frames.values()) == 3049


def test_reads_deepsort_npy_with_seven_detection_columns(shared_data: Path) -> None:
    dets = read_detections(shared_data / "MOT17/deep_sort_npy/MOT17-09-FRCNN.npy")
    text = read_detections(shared_data / "MOT17-mini/train/MOT17-09-FRCNN/det/det.txt")
    assert dets.features is not None and dets.features.shape == (3049, 128)
    np.testing.assert_allclose(np.linalg.norm(dets.features, axis=1), 1.0, atol=1e-5)
    # Same detections as the public det file (the .npy is built from it).
    key = np.lexsort((dets.boxes_xywh[:, 1], dets.boxes_xywh[:, 0], dets.frames))
    key_text = np.lexsort((text.boxes_xywh[:, 1], text.boxes_xywh[:, 0], text.frames))
    np.testing.assert_allclose(dets.boxes_xywh[key], text.boxes_xywh[key_text], atol=1e-3)


def test_reads_deepsort_npy_with_ten_detection_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(5, 128))
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    rows = np.column_stack(
        [np.arange(1, 6), -np.ones(5), rng.uniform(0, 100, (5, 2)), np.full((5, 2), 20.0),
         np.full(5, 0.9), -np.ones((5, 3)), features]
    )  # fmt: skip
    np.save(tmp_path / "d.npy", rows)
    dets = read_detections(tmp_path / "d.npy")
    np.testing.assert_allclose(dets.features, features, atol=1e-6)


def test_npy_without_a_feature_is_rejected(tmp_path: Path) -> None:
    np.save(tmp_path / "bad.npy", np.ones((4, 20)))
    with pytest.raises(InputFormatError, match="no unit-length feature"):
        read_detections(tmp_path / "bad.npy")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1,-1,10,10,5,5,0.9\n2,-1,ten,10,5,5,0.9\n", r"bad.txt:2: not a row of numbers"),
        ("1,-1,10,10,5,5,0.9\n2,-1,10,10\n", r"bad.txt:2: expected at least 7 columns"),
        ("1,-1,10,10,-5,5,0.9\n", r"data row 1 \(box must be finite with w, h >= 0\)"),
        ("1,-1,10,nan,5,5,0.9\n", r"data row 1 \(box must be finite"),
        ("0,-1,10,10,5,5,0.9\n", r"frame must be an integer >= 1"),
    ],
)
def test_malformed_det_files_name_the_file_and_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(InputFormatError, match=message):
        read_detections(path)


def test_results_round_trip(tmp_path: Path) -> None:
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [1.5, 2.5, 3.5, 4.5], [0, 0, 10, 10]])
    write_results(tmp_path / "r.txt", [2, 1, 1], [7, 3, 1], boxes, [0.5, 0.25, 1.0])
    rows = read_results(tmp_path / "r.txt")
    assert rows.frames.tolist() == [1, 1, 2] and rows.ids.tolist() == [1, 3, 7]
    np.testing.assert_allclose(rows.boxes_xywh[2], [10, 20, 40, 100])
    lines = (tmp_path / "r.txt").read_text().splitlines()
    assert lines[0] == "1,1,0.00,0.00,10.00,10.00,1.0000,-1,-1,-1"


def test_float_track_ids_are_accepted_but_fractional_ones_are_not(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("1,3.0,1,1,5,5,1,-1,-1,-1\n")
    assert read_results(tmp_path / "a.txt").ids.tolist() == [3]
    (tmp_path / "b.txt").write_text("1,3.5,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(InputFormatError, match=r"track id 3\.5 is not an integer"):
        read_results(tmp_path / "b.txt")


def test_mot17_detector_variants_share_one_ground_truth(shared_data: Path) -> None:
    """MOT17 ships the same gt for the DPM, FRCNN and SDP copies of a sequence; the reader
    must see them as equal (they were link stubs once, now regular files)."""
    train = shared_data / "MOT17/train"
    frcnn = read_results(train / "MOT17-09-FRCNN/gt/gt.txt")
    assert len(frcnn.frames) > 5000
    for variant in ("DPM", "SDP"):
        other = read_results(train / f"MOT17-09-{variant}/gt/gt.txt")
        np.testing.assert_array_equal(other.frames, frcnn.frames)
        np.testing.assert_array_equal(other.ids, frcnn.ids)
        np.testing.assert_array_equal(other.boxes_xywh, frcnn.boxes_xywh)


def test_lists_sequences(shared_data: Path) -> None:
    assert list_sequences(shared_data / "MOT15/train") == [
        "ADL-Rundle-6", "ETH-Sunnyday", "KITTI-17", "PETS09-S2L1", "TUD-Campus", "TUD-Stadtmitte",
    ]  # fmt: skip
