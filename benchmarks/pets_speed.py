"""PETS09-S2L1 end to end, several model settings timed side by side in one process.

Each setting ("runtime@size[+cv2]", e.g. ``torch@640+cv2``, ``openvino@416``) has its own detector,
embedder, pipeline and tracker. The 795 frames are processed in chunks, round-robin over the
settings (setting A frames 1-50, B frames 1-50, ..., A frames 51-100, ...), so a busy spell on
this shared machine slows every setting alike and the FPS ratios are same-run ratios. Each
chunk's time covers JPEG decode, detection, embedding and tracking. Every setting's results
are scored with ``tracker.eval.evaluate`` (TrackEval): HOTA / IDF1 next to FPS.

    PYTHONPATH=. python -m benchmarks.pets_speed --settings torch@640 openvino@640 --tag runtime
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.harness import environment, save
from tracker.io.codec import decode_image_bytes

REPO = Path(__file__).resolve().parents[1]
SPLIT = REPO.parent / "shared" / "data" / "MOT15" / "train"
SEQ = "PETS09-S2L1"
METRICS = ("HOTA", "MOTA", "IDF1", "IDSW")
FLOORS = {"HOTA": 56.753, "IDF1": 75.497}  # the best peer on these boxes (DESIGN.md)


@dataclass
class Setting:
    label: str
    runtime: str
    size: int
    decode: str = "tracker"
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("decode", "detect", "embed", "track"), 0.0)
    )
    rows: list[np.ndarray] = field(default_factory=list)
    state: Any = None
    pipeline: Any = None


def parse(label: str) -> Setting:
    """``runtime@size`` with an optional ``+cv2`` (decode with cv2.imread, as before
    ``tracker.io.codec.decode_image_bytes``)."""
    spec, _, decode = label.partition("+")
    runtime, _, size = spec.partition("@")
    return Setting(label, runtime, int(size or 640), decode or "tracker")


def run_chunk(setting: Setting, paths: list[Path], first_index: int) -> None:
    start = time.perf_counter()
    for offset, path in enumerate(paths):
        t0 = time.perf_counter()
        if setting.decode == "cv2":
            frame = np.asarray(cv2.imread(str(path)), np.uint8)
        else:
            frame = decode_image_bytes(path.read_bytes())
        setting.stage_seconds["decode"] += time.perf_counter() - t0
        (result,) = setting.pipeline.process([(setting.state, frame)])
        for stage in ("detect", "embed", "track"):
            setting.stage_seconds[stage] += getattr(result.times, stage)
        tracks = result.tracks
        index = first_index + offset
        if len(tracks.ids):
            setting.rows.append(
                np.c_[np.full(len(tracks.ids), index), tracks.ids, tracks.boxes, tracks.scores]
            )
    setting.seconds += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=["torch@640", "openvino@640"])
    parser.add_argument("--chunk", type=int, default=50)
    parser.add_argument("--max-frames", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()

    import torch

    from tracker.core import DeepSortConfig
    from tracker.detect import build_detector
    from tracker.device import set_torch_threads
    from tracker.eval import evaluate
    from tracker.io.mot import write_results
    from tracker.pipeline import Pipeline
    from tracker.reid import build_embedder

    set_torch_threads(args.threads)
    settings = [parse(label) for label in args.settings]
    embedders: dict[str, Any] = {}
    for setting in settings:
        detector = build_detector(
            "yolov5", device=args.device, score_threshold=0.1, image_size=setting.size,
            runtime=setting.runtime,
        )  # fmt: skip
        if setting.runtime not in embedders:
            embedders[setting.runtime] = build_embedder(
                "osnet", device=args.device, runtime=setting.runtime
            )
        setting.pipeline = Pipeline(detector, embedders[setting.runtime])
        setting.state = setting.pipeline.new_stream()
    config = asdict(settings[0].pipeline.resolve_config(DeepSortConfig()))
    paths = sorted((SPLIT / SEQ / "img1").glob("*.jpg"))[: args.max_frames]
    # Warm-up (session compile for the frame shape), untimed, on a throwaway stream.
    warm = np.asarray(cv2.imread(str(paths[0])), np.uint8)
    for setting in settings:
        setting.pipeline.process([(setting.pipeline.new_stream(), warm)])
    loads = []
    for start in range(0, len(paths), args.chunk):
        for setting in settings:
            run_chunk(setting, paths[start : start + args.chunk], start + 1)
        loads.append(os.getloadavg()[0])
        print(f"frames {start + 1}-{min(start + args.chunk, len(paths))} done", flush=True)

    baseline = settings[0]
    report: dict[str, Any] = {
        "what": __doc__.split("\n\n")[0],
        "command": "PYTHONPATH=. python -m benchmarks.pets_speed " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "frames": len(paths),
        "torch_threads": args.threads,
        "device": args.device,
        "torch": torch.__version__,
        "load_average_1min_min_max": [round(min(loads), 2), round(max(loads), 2)],
        "tracker_config": config,
        "floors": FLOORS,
        "baseline": baseline.label,
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for setting in settings:
            results_dir = Path(tmp) / setting.label.replace("@", "_")
            rows = np.concatenate(setting.rows) if setting.rows else np.zeros((0, 7))
            write_results(results_dir / f"{SEQ}.txt", rows[:, 0].astype(np.int64),
                          rows[:, 1].astype(np.int64), rows[:, 2:6], rows[:, 6])  # fmt: skip
            metrics = evaluate(SPLIT, results_dir, [SEQ], with_motmetrics=False).combined
            fps = len(paths) / setting.seconds
            report["runs"].append(
                {
                    "setting": setting.label,
                    "runtime": setting.runtime,
                    "image_size": setting.size,
                    "fps": round(fps, 2),
                    "speedup_vs_baseline": round(baseline.seconds / setting.seconds, 3),
                    "ms_per_frame": {
                        k: round(1000 * v / len(paths), 2) for k, v in setting.stage_seconds.items()
                    },
                    "metrics": {k: metrics[k] for k in METRICS if k in metrics},
                    "meets_floors": all(metrics[k] >= v for k, v in FLOORS.items()),
                }
            )
    stem = f"pets_speed{'_' + args.tag if args.tag else ''}"
    lines = [
        f"# PETS09-S2L1 end to end, settings side by side ({args.tag or 'default'})",
        "",
        report["what"],
        "",
        f"Command: `{report['command']}` ({report['date']}, {os.cpu_count()} shared CPUs, "
        f"device {args.device}, torch threads {args.threads}, "
        f"load average {report['load_average_1min_min_max']}). "
        f"Floors: HOTA >= {FLOORS['HOTA']}, IDF1 >= {FLOORS['IDF1']}.",
        "",
        f"| setting | FPS | x {baseline.label} | decode ms | detect ms | embed ms | track ms "
        "| HOTA | IDF1 | MOTA | IDSW | floors |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        ms, m = run["ms_per_frame"], run["metrics"]
        lines.append(
            f"| {run['setting']} | {run['fps']} | {run['speedup_vs_baseline']} | "
            f"{ms['decode']} | {ms['detect']} | {ms['embed']} | {ms['track']} | "
            f"{m['HOTA']:.3f} | {m['IDF1']:.3f} | {m['MOTA']:.3f} | {m['IDSW']} | "
            f"{'yes' if run['meets_floors'] else 'NO'} |"
        )
    report["environment"] = environment()
    save(stem, report, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
