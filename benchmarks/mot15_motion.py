"""MOT15 dev (6 sequences) with the SORT paper's Faster R-CNN detections, motion only.

Every tracker gets the same boxes and scores (``det/det_frcnn.txt``), no appearance. Each runs
at every min-score filter and is reported at the one with the best combined HOTA (as the peer
numbers in DESIGN.md were), per sequence and combined; ours (``DeepSort.update(...,
features=None)`` with default parameters) is also reported unfiltered, its default.

    python -m benchmarks.mot15_motion          # writes benchmarks/results/mot15_motion.*
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import harness, motion_report
from benchmarks.suites import MOT15_DEV

SEQUENCES = MOT15_DEV
TRACKERS = (
    "ours-motion",
    "boxmot-bytetrack",
    "boxmot-ocsort",
    "roboflow-sort",
    "roboflow-bytetrack",
    "ultralytics-bytetrack",
    "norfair",
)


def load_inputs(
    sequences: tuple[str, ...] = SEQUENCES,
) -> tuple[Path, list[harness.SequenceInput]]:
    """The ground-truth folder and every sequence's boxes and scores from ``det_frcnn.txt``."""
    gt_dir = harness.DATA / "MOT15" / "train"
    return gt_dir, [
        harness.load_sequence(gt_dir / s / "det" / "det_frcnn.txt", gt_dir / s) for s in sequences
    ]


def main(argv: list[str] | None = None) -> int:
    return motion_report.run(
        module="mot15_motion",
        title="MOT15 dev (6 sequences), `det_frcnn.txt`, motion only",
        intro="TrackEval (our `tracker.eval`, MOT15 settings).",
        benchmark="MOT15",
        load=load_inputs,
        trackers=TRACKERS,
        argv=argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
