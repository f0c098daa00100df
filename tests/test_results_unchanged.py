"""Speed work must not change what the tracker outputs: result files on real sequences are
byte-for-byte those of the code before the tracker-only speed work (issue 12, item 6).

The hashes were taken from ``tracker.io.mot.write_results`` files written by the code on main
at f30a87b. A change that is meant to alter results (a new default, a fix) updates them and
says so in its commit; a speed-up never should. Each sequence takes well under a second.
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
        "be6474e41158a6522e4f040d5762b534e1d07a89996a8b2e1a549103292c2e18",
    ),
    "MOT17-09-FRCNN npy": (
        "MOT17/train/MOT17-09-FRCNN", "MOT17/deep_sort_npy/MOT17-09-FRCNN.npy", True, {},
        "2a47e10c35a3d2d9829747f18f9ad9c51899afe6ab65dbbbcc01d667ddefa00b",
    ),
    "MOT15 ADL-Rundle-6 det_frcnn motion-only": (
        "MOT15/train/ADL-Rundle-6", "MOT15/train/ADL-Rundle-6/det/det_frcnn.txt", False, {},
        "22204357681cd999d1cf57a6e03bd24f3a209a7ec6f883555561329090d5d849",
    ),
    "PETS09-S2L1 det_yolov5n motion-only": (
        "MOT15/train/PETS09-S2L1", "MOT15/train/PETS09-S2L1/det/det_yolov5n.txt", False, {},
        "9442501781c4e611d52db3458e933f54ea636406df4d17d31ec412e428546b8f",
    ),
    "MOT17-09-SDP npy, cascade + re-update": (
        "MOT17/train/MOT17-09-SDP", "MOT17/deep_sort_npy/MOT17-09-SDP.npy", True,
        {"cascade": True, "observation_reupdate": True},
        "8f4b42276dbd0020678d230b8095e364c38fd7ff5d955a0b162ae457017573be",
    ),
    "MOT17-09-SDP npy, adaptive + EMA": (
        "MOT17/train/MOT17-09-SDP", "MOT17/deep_sort_npy/MOT17-09-SDP.npy", True,
        {"appearance_fusion": "adaptive", "appearance": "ema", "appearance_weight": 0.5},
        "339fcc1bf9dd0d66b2a2bb228ac022861d82b9bb3cd12697ca6f6d77353b964e",
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
