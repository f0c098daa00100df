"""Accuracy floors of the default tracker on real data (regression tests, not benchmarks).

Floors sit a little under the numbers measured with the defaults chosen by the
leave-one-sequence-out protocol (benchmarks/results/loso.md), so a change that costs real
accuracy fails here while run-to-run noise (there is none: tracking is deterministic) and
harmless reorderings do not. Re-measure and move the floors when the defaults change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.core import DeepSortConfig
from tracker.eval import evaluate
from tracker.offline import track_sequence

#: (HOTA, IDF1) floors: the defaults measured 47.80 / 72.67, 54.19 / 73.92, 52.24 / 73.44
#: (MOT15, det_frcnn, motion only) and 55.36 / 67.66 (MOT17-09-SDP with deep_sort
#: features; 56.72 / 70.63 since ``appearance_fusion="reliability"``); floors are about
#: 1.5-2 points lower (the earlier defaults' numbers were
#: 47.39 / 72.38, 52.21 / 72.49, 51.10 / 71.58 and 55.03 / 67.34).
MOT15_FLOORS = {
    "KITTI-17": (45.5, 70.5),
    "TUD-Campus": (50.5, 70.5),
    "TUD-Stadtmitte": (49.5, 70.0),
    "COMBINED": (48.5, 70.0),
}
MOT17_SDP_FLOOR = (53.5, 65.5)


def _scores(gt_dir: Path, out: Path, seqs: list[str]) -> dict[str, dict[str, float]]:
    result = evaluate(gt_dir, out, seqs, with_motmetrics=False)
    return {**result.sequences, "COMBINED": result.combined}


def test_mot15_motion_only_defaults_stay_above_their_floors(
    shared_data: Path, tmp_path: Path
) -> None:
    mot15 = shared_data / "MOT15" / "train"
    seqs = [s for s in MOT15_FLOORS if s != "COMBINED"]
    for seq in seqs:
        track_sequence(mot15 / seq, mot15 / seq / "det" / "det_frcnn.txt",
                       tmp_path / f"{seq}.txt", motion_only=True, progress=False)  # fmt: skip
    scores = _scores(mot15, tmp_path, seqs)
    for seq, (hota, idf1) in MOT15_FLOORS.items():
        assert scores[seq]["HOTA"] >= hota, (seq, scores[seq]["HOTA"])
        assert scores[seq]["IDF1"] >= idf1, (seq, scores[seq]["IDF1"])


@pytest.fixture(scope="module")
def sdp_scores(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """MOT17-09-SDP with deep_sort's features and without them, default config."""
    mot17 = shared_data / "MOT17"
    seq = "MOT17-09-SDP"
    out = {}
    for label, motion_only in (("reid", False), ("motion", True)):
        folder = tmp_path_factory.mktemp(label)
        track_sequence(mot17 / "train" / seq, mot17 / "deep_sort_npy" / f"{seq}.npy",
                       folder / f"{seq}.txt", DeepSortConfig(), motion_only=motion_only,
                       progress=False)  # fmt: skip
        out[label] = _scores(mot17 / "train", folder, [seq])["COMBINED"]
    return out


def test_mot17_sdp_with_features_stays_above_its_floor(sdp_scores: dict[str, dict]) -> None:
    hota, idf1 = MOT17_SDP_FLOOR
    assert sdp_scores["reid"]["HOTA"] >= hota
    assert sdp_scores["reid"]["IDF1"] >= idf1


def test_reid_does_not_lose_to_motion_only_on_mot17_sdp(sdp_scores: dict[str, dict]) -> None:
    # deep_sort's 128-d features are weak on SDP's detections; the reliability fusion's
    # appearance weight must fall back to motion there instead of losing to it.
    assert sdp_scores["reid"]["HOTA"] >= sdp_scores["motion"]["HOTA"]
    assert sdp_scores["reid"]["IDF1"] >= sdp_scores["motion"]["IDF1"]


#: PETS09-S2L1, YOLOv5n boxes, through ``tracker track --seq --dets`` with the default
#: embedder (OSNet x0.25, crops cut from the frames, unambiguous ones skipped): measured
#: 59.09 / 80.65, motion-only 56.24 / 75.97 (with ``reliability`` and the buffered-IoU
#: stage: 59.09 / 80.64, motion-only 56.54 / 76.37); the issue's target (the best peer on
#: these boxes) is 56.753 / 75.497.
PETS09_YOLOV5N_FLOOR = (56.753, 75.497)


def test_public_detections_with_reid_from_the_frames_beat_motion_only_on_pets09(
    shared_data: Path, tmp_path: Path
) -> None:
    """The product path the LOSO units do not model: re-ID from the frames with the
    embedder skipping unambiguous detections. An appearance fusion that cannot live with
    the skipped (zero) rows fell to 54.80 / 71.54 here while LOSO saw it tie."""
    from tracker.cli import main

    mot15 = shared_data / "MOT15" / "train"
    seq = mot15 / "PETS09-S2L1"
    argv = ["track", "--seq", str(seq), "--dets", str(seq / "det" / "det_yolov5n.txt"),
            "--quiet", "--device", "cpu"]  # fmt: skip
    scores = {}
    for label, extra in (("reid", []), ("motion", ["--motion-only"])):
        folder = tmp_path / label
        assert main([*argv, *extra, "--out", str(folder / "PETS09-S2L1.txt")]) == 0
        scores[label] = _scores(mot15, folder, ["PETS09-S2L1"])["COMBINED"]
    reid, motion = scores["reid"], scores["motion"]
    assert reid["HOTA"] >= max(motion["HOTA"], PETS09_YOLOV5N_FLOOR[0]), scores
    assert reid["IDF1"] >= max(motion["IDF1"], PETS09_YOLOV5N_FLOOR[1]), scores
