"""MOT17's public Faster R-CNN detections on the six MOT17 training sequences that no default
was tuned on, motion only: a held-out check of the defaults.

The leave-one-sequence-out protocol (``benchmarks.tuning.loso``) tunes on the six MOT15
development sequences and MOT17-09; these six were never part of it. The detections are
MOTChallenge's public FRCNN ``det.txt`` files (whole sequences; shipped in ``MOT17-mini``,
whose ``img1/`` holds only a few frames, so no appearance), the ground truth MOT17's. Every
tracker gets the same boxes and scores and runs at every min-score filter; each is reported at
the one with the best combined HOTA, ours also at its unfiltered default.

    python -m benchmarks.mot17_public          # writes benchmarks/results/mot17_public.*
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import harness, motion_report
from benchmarks.mot15_motion import TRACKERS

SEQUENCES = tuple(f"MOT17-{n}-FRCNN" for n in ("02", "04", "05", "10", "11", "13"))


def locations(
    data: Path = harness.DATA, sequences: tuple[str, ...] = SEQUENCES
) -> tuple[Path, dict[str, Path]]:
    """MOT17's ground-truth folder and each sequence's public FRCNN ``det.txt`` (also the
    held-out units of ``benchmarks.tuning.loso``)."""
    detections = data / "MOT17-mini" / "train"
    return data / "MOT17" / "train", {s: detections / s / "det" / "det.txt" for s in sequences}


def load_inputs(
    sequences: tuple[str, ...] = SEQUENCES,
) -> tuple[Path, list[harness.SequenceInput]]:
    """MOT17's ground-truth folder and each sequence's public FRCNN boxes and scores."""
    gt_dir, detections = locations(sequences=sequences)
    return gt_dir, [harness.load_sequence(path, gt_dir / s) for s, path in detections.items()]


def main(argv: list[str] | None = None) -> int:
    return motion_report.run(
        module="mot17_public",
        title="MOT17 public FRCNN detections, 6 sequences outside the tuning set, motion only",
        intro=(
            "TrackEval (our `tracker.eval`, MOT17 settings). Held out: no default was tuned on"
            " these sequences (MOT17-05 is ETH-Pedcross2's footage, one of the MOT15"
            " sequences outside ../shared)."
        ),
        benchmark="MOT17",
        load=load_inputs,
        trackers=TRACKERS,
        argv=argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
