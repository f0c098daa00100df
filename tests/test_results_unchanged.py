"""Speed work must not change what the tracker outputs: result files on real sequences are
byte-for-byte those of the code before the tracker-only speed work (issue 12, item 6).

The hashes were taken from ``tracker.io.mot.write_results`` files written with the defaults of
LOSO round 3 (``score_fusion="score"``, ``coast_report="occluded"``; the speed work before
them left f30a87b's files byte-identical), updated by each later default that changed them
(each case's comment says which). A change that is meant to alter results (a new default,
a fix) updates them and says so in its commit; a speed-up never should. Each sequence takes
well under a second.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tracker.core import DeepSortConfig
from tracker.io.mot import read_detections, read_seqinfo, write_results
from tracker.offline import track_detections

CASES = {
    # name: (sequence folder under data/, detection file under data/, features, config)
    "MOT17-09-SDP npy": (
        "MOT17/train/MOT17-09-SDP", "MOT17/deep_sort_npy/MOT17-09-SDP.npy", True, {},
        "822afba4135226b4f4a13d55fb522b703452f80876b78a602b1b7c7a911e8c5b",
    ),
    "MOT17-09-FRCNN npy": (
        "MOT17/train/MOT17-09-FRCNN", "MOT17/deep_sort_npy/MOT17-09-FRCNN.npy", True, {},
        "3e6a7908692f28e4612de6497c1d3e989058c172fdb3ad35b4fd6576d22b517a",
    ),
    "MOT15 ADL-Rundle-6 det_frcnn motion-only": (
        "MOT15/train/ADL-Rundle-6", "MOT15/train/ADL-Rundle-6/det/det_frcnn.txt", False, {},
        "0b46cc1a0972cc14fd7a0645c236289b774358af081be1251ca56291acaf20a3",
    ),
    # Following the camera (camera_velocity_gain, default since loso.md round 5) moves the
    # tracks wherever the steady matches share a shift; at 0 the files are those before it.
    "MOT15 ADL-Rundle-6 det_frcnn motion-only, camera velocity off": (
        "MOT15/train/ADL-Rundle-6", "MOT15/train/ADL-Rundle-6/det/det_frcnn.txt", False,
        {"camera_velocity_gain": 0.0},
        "7c66c002aed2eb862a6b8399f4f473183fa1847cea53675a6b7df37994337ea5",
    ),
    # The buffered-IoU stage (iou_buffer, default since loso_assoc_notes.md) runs
    # below 30 fps only: this 7 fps sequence is the one pinned here it changes.
    "PETS09-S2L1 det_yolov5n motion-only": (
        "MOT15/train/PETS09-S2L1", "MOT15/train/PETS09-S2L1/det/det_yolov5n.txt", False, {},
        "d329f1b8a40c9ed7c01f8776e5c3960ff8fb5d569da3880aba66200fdab89edd",
    ),
    "PETS09-S2L1 det_yolov5n motion-only, camera velocity off": (
        "MOT15/train/PETS09-S2L1", "MOT15/train/PETS09-S2L1/det/det_yolov5n.txt", False,
        {"camera_velocity_gain": 0.0},
        "903f67045f3f03123ba85e9ac1eb175333ba51c71a890d37ba9f5203e47270d1",
    ),
    "PETS09-S2L1 det_yolov5n motion-only, no buffered stage": (
        "MOT15/train/PETS09-S2L1", "MOT15/train/PETS09-S2L1/det/det_yolov5n.txt", False,
        {"iou_buffer": 0.0},
        "8a34ca5449bdcd28bea82ebdfbe4842eadca3ddacbd30cc6dcb1731fc58b14f4",
    ),
    "MOT17-09-SDP npy, cascade + re-update": (
        "MOT17/train/MOT17-09-SDP", "MOT17/deep_sort_npy/MOT17-09-SDP.npy", True,
        {"cascade": True, "observation_reupdate": True},
        "9929fcdfd0e28e899e679f6676362c4998753244d7120dfd63ff99989f6d295d",
    ),
    # The fusion before ``reliability`` became the default (loso_adapt2_notes.md): its
    # results are those the first two cases pinned until then.
    "MOT17-09-SDP npy, weighted": (
        "MOT17/train/MOT17-09-SDP", "MOT17/deep_sort_npy/MOT17-09-SDP.npy", True,
        {"appearance_fusion": "weighted"},
        "7a43f078fb6b41079fda4e1509ee25061a987e7cc27c6fbadd8f76eb92c88f34",
    ),
    "MOT17-09-FRCNN npy, weighted": (
        "MOT17/train/MOT17-09-FRCNN", "MOT17/deep_sort_npy/MOT17-09-FRCNN.npy", True,
        {"appearance_fusion": "weighted"},
        "2142e8fb772e9a720835b4d4d464468c280608d549d41abca20f1ce7ecde65b6",
    ),
    "MOT17-09-SDP npy, reliability (prior 0.5) + EMA": (
        "MOT17/train/MOT17-09-SDP", "MOT17/deep_sort_npy/MOT17-09-SDP.npy", True,
        {"appearance": "ema", "appearance_weight": 0.5},
        "51342815fb660bb170b47b845bc1adea97f8b764ca409b52f64169362130f813",
    ),
    # Confirming the first frame's tracks at once (confirm_first_frame, default since
    # loso.md round 7) changes every file above; switched off, they are the files before it.
    "MOT17-09-SDP npy, first frame unconfirmed": (
        "MOT17/train/MOT17-09-SDP", "MOT17/deep_sort_npy/MOT17-09-SDP.npy", True,
        {"confirm_first_frame": False},
        "34b28e43fbcb795cc8b983983a448dcc33d2d463d75c348270f948cec45ebbcd",
    ),
    "PETS09-S2L1 det_yolov5n motion-only, first frame unconfirmed": (
        "MOT15/train/PETS09-S2L1", "MOT15/train/PETS09-S2L1/det/det_yolov5n.txt", False,
        {"confirm_first_frame": False},
        "7353a7bef52528212c1d6486fdea4f435516d355e3a85978b4806e23c137fdea",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_result_file_is_byte_identical(name: str, shared_data: Path, tmp_path: Path) -> None:
    seq_dir, det_file, features, overrides, expected = CASES[name]
    data = shared_data
    info = read_seqinfo(data / seq_dir)
    columns, _ = track_detections(
        read_detections(data / det_file), info.length, DeepSortConfig(**overrides),
        use_features=features, frame_rate=info.frame_rate,
    )  # fmt: skip
    out = tmp_path / "result.txt"
    write_results(out, columns["frames"], columns["ids"], columns["boxes_xyxy"], columns["scores"])
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest == expected, f"{name}: the tracker's output changed (sha256 {digest})"
