"""The evaluation suites benchmarks and the tuning sweep share: which sequences, which
detections, whether appearance features are used, and how to score a tracker config on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import SHARED
from tracker.core import DeepSortConfig
from tracker.eval import EvalResult, evaluate
from tracker.io.mot import read_detections, read_seqinfo, write_results
from tracker.offline import track_detections

MOT15_DEV = (
    "ADL-Rundle-6",
    "ETH-Sunnyday",
    "KITTI-17",
    "PETS09-S2L1",
    "TUD-Campus",
    "TUD-Stadtmitte",
)


@dataclass(frozen=True)
class Suite:
    name: str
    gt_dir: Path
    detections: dict[str, Path]  # sequence -> det file (.txt or deep_sort .npy)
    use_features: bool
    description: str


def suites(shared: Path = SHARED) -> dict[str, Suite]:
    data = shared / "data"
    mot17, mot15 = data / "MOT17", data / "MOT15" / "train"
    return {
        "mot17-09-reid": Suite(
            "mot17-09-reid",
            mot17 / "train",
            {s: mot17 / "deep_sort_npy" / f"{s}.npy" for s in ("MOT17-09-FRCNN", "MOT17-09-SDP")},
            True,
            "MOT17-09 FRCNN + SDP public detections with deep_sort 128-d appearance features",
        ),
        "mot15-frcnn-motion": Suite(
            "mot15-frcnn-motion",
            mot15,
            {s: mot15 / s / "det" / "det_frcnn.txt" for s in MOT15_DEV},
            False,
            "6 MOT15 sequences, SORT paper's Faster R-CNN detections, motion only",
        ),
        "pets09-yolov5n-motion": Suite(
            "pets09-yolov5n-motion",
            mot15,
            {"PETS09-S2L1": mot15 / "PETS09-S2L1" / "det" / "det_yolov5n.txt"},
            False,
            "PETS09-S2L1, YOLOv5n COCO person detections, motion only",
        ),
    }


def run_suite(
    suite: Suite,
    config: DeepSortConfig,
    out_dir: Path,
    with_motmetrics: bool = False,
    seqs: Sequence[str] | None = None,
) -> tuple[EvalResult, float, int]:
    """Track every sequence of the suite, write ``out_dir/<SEQ>.txt``, score them.

    Returns the evaluation, the seconds spent in ``update`` and the frames tracked.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds, frames = 0.0, 0
    names = list(seqs or suite.detections)
    for seq in names:
        info = read_seqinfo(suite.gt_dir / seq)
        length = info.length
        columns, elapsed = track_detections(
            read_detections(suite.detections[seq]), length, config, suite.use_features,
            frame_rate=info.frame_rate,
        )  # fmt: skip
        write_results(
            out_dir / f"{seq}.txt",
            columns["frames"],
            columns["ids"],
            columns["boxes_xyxy"],
            columns["scores"],
        )
        seconds += elapsed
        frames += length
    result = evaluate(suite.gt_dir, out_dir, names, with_motmetrics=with_motmetrics)
    return result, seconds, frames
