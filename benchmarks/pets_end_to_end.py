"""End-to-end speed and accuracy on PETS09-S2L1 (795 frames): YOLOv5n + OSNet x0.25 + tracker.

For each (batch, torch threads) setting: decode JPEGs, detect, embed, track all frames through
``tracker.source_tracking.track_source``; record FPS and the per-stage split; write the MOT
results and our detections (a MOT det file other trackers can be fed), then score the results
with ``tracker eval`` (TrackEval + motmetrics). Our detections are also compared with the
shared reference ``det_yolov5n.txt``.

    PYTHONPATH=. python benchmarks/pets_end_to_end.py --out-dir /work/out/pets_e2e
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from tracker.cli import main as tracker_cli
from tracker.core import DeepSortConfig
from tracker.detect import build_detector
from tracker.device import set_torch_threads
from tracker.io.sources import MotSequenceSource
from tracker.pipeline import Pipeline
from tracker.reid import build_embedder
from tracker.source_tracking import track_source

REPO = Path(__file__).resolve().parents[1]
SPLIT = REPO.parent / "shared" / "data" / "MOT15" / "train"
SEQ = "PETS09-S2L1"
METRICS = ("HOTA", "MOTA", "IDF1", "IDSW")


def compare_dets(ours: Path, reference: Path) -> dict[str, float]:
    """Box-for-box comparison per frame (both files list a frame's boxes by falling score)."""
    a = np.loadtxt(ours, delimiter=",", ndmin=2)
    b = np.loadtxt(reference, delimiter=",", ndmin=2)
    frames_equal_count = 0
    worst_box = worst_score = 0.0
    frames = np.union1d(a[:, 0], b[:, 0])
    for frame in frames:
        fa, fb = a[a[:, 0] == frame], b[b[:, 0] == frame]
        if len(fa) != len(fb):
            continue
        frames_equal_count += 1
        if len(fa):
            worst_box = max(worst_box, float(np.abs(fa[:, 2:6] - fb[:, 2:6]).max()))
            worst_score = max(worst_score, float(np.abs(fa[:, 6] - fb[:, 6]).max()))
    return {
        "our_boxes": len(a),
        "reference_boxes": len(b),
        "frames": len(frames),
        "frames_with_equal_box_count": frames_equal_count,
        "max_abs_box_diff_px_where_counts_equal": worst_box,
        "max_abs_score_diff_where_counts_equal": worst_score,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=Path("/work/out/pets_e2e"))
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--max-frames", type=int)
    parser.add_argument(
        "--json", type=Path, default=REPO / "benchmarks/results/pets_end_to_end.json"
    )
    args = parser.parse_args()

    report = {
        "what": "PETS09-S2L1 end to end: JPEG decode, YOLOv5n (default letterbox size and "
        "runtime, score > 0.1), "
        "OSNet x0.25 MSMT17, DeepSortConfig defaults as resolved by the pipeline (tracker_config)",
        "command": "PYTHONPATH=. python benchmarks/pets_end_to_end.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "note": "2 cores shared with other agents' jobs; see load averages per run",
        },
        "runs": [],
    }
    detector = build_detector("yolov5", device="cpu", score_threshold=0.1)
    embedder = build_embedder("osnet", device="cpu")
    # The defaults as the pipeline resolves them (an unset appearance gate takes the embedder's).
    report["tracker_config"] = asdict(Pipeline(detector, embedder).resolve_config(DeepSortConfig()))
    runs: list[dict[str, object]] = report["runs"]  # type: ignore[assignment]
    for threads in args.threads:
        set_torch_threads(threads)
        for batch in args.batches:
            run_dir = args.out_dir / f"batch{batch}_threads{threads}"
            results_dir = run_dir / "results"
            pipeline = Pipeline(detector, embedder)
            load_before = os.getloadavg()[0]
            run = track_source(
                MotSequenceSource(SPLIT / SEQ),
                pipeline,
                batch=batch,
                results_path=results_dir / f"{SEQ}.txt",
                detections_path=run_dir / "det_yolov5n_ours.txt",
                max_frames=args.max_frames,
                progress=True,
            )
            load_after = os.getloadavg()[0]
            print(f"batch {batch}, threads {threads}: {run.summary()}")
            metrics_json = run_dir / "eval.json"
            tracker_cli(["eval", "--gt", str(SPLIT), "--results", str(results_dir),
                         "--seqs", SEQ, "--json", str(metrics_json)])  # fmt: skip
            combined = json.loads(metrics_json.read_text())["combined"]
            runs.append(
                {
                    "batch": batch,
                    "torch_threads": threads,
                    "frames": run.frames,
                    "wall_seconds": round(run.wall_seconds, 2),
                    "fps": round(run.fps, 2),
                    "ms_per_frame": {
                        k: round(1000 * v / run.frames, 2) for k, v in run.stage_seconds.items()
                    },
                    "detections": run.detections,
                    "tracks": len(run.track_ids),
                    "load_average_1min_before_after": [round(load_before, 2), round(load_after, 2)],
                    "metrics": {k: combined[k] for k in METRICS if k in combined},
                    "detections_vs_reference": compare_dets(
                        run_dir / "det_yolov5n_ours.txt", SPLIT / SEQ / "det" / "det_yolov5n.txt"
                    ),
                }
            )
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2) + "\n")  # after every run
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
