"""Inference runtimes on this CPU: torch eager vs ONNX Runtime vs OpenVINO, 1 and 2 threads.

For YOLOv5n (letterboxed PETS09-S2L1 frames, 640 long side -> 640x480 input) and OSNet x0.25
(the crops of our YOLOv5n detections with score >= 0.6 per frame, as the pipeline embeds them),
each (runtime, threads) pair runs the same frames once per round; rounds repeat and interleave
the pairs, so a busy spell on this shared machine hits all of them. The result is the median
ms per frame and its ratio to torch at the same thread count, measured in the same round.

    PYTHONPATH=. python -m benchmarks.runtimes --rounds 5 --frames 20
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

import cv2
import numpy as np

from benchmarks.harness import PETS09, environment, markdown_table, save

RUNTIMES = ("torch", "onnx", "openvino")


def load_inputs(frames: int) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    from tracker.reid import crop_boxes

    rows = np.loadtxt(PETS09 / "det" / "det_yolov5n.txt", delimiter=",")
    indices = np.linspace(1, 795, frames).astype(int)
    images, crops = [], []
    for index in indices:
        image = cv2.imread(str(PETS09 / "img1" / f"{index:06d}.jpg"))
        dets = rows[(rows[:, 0] == index) & (rows[:, 6] >= 0.6)]
        boxes = np.c_[dets[:, 2:4], dets[:, 2:4] + dets[:, 4:6]]
        images.append(image)
        crops.append(crop_boxes(image, boxes))
    return images, crops


def timed(run: Callable[[], object], threads: int) -> float:
    import torch

    torch.set_num_threads(threads)
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runtimes", nargs="+", default=list(RUNTIMES))
    parser.add_argument("--image-size", type=int, default=640)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()

    import torch

    from tracker.detect import build_detector
    from tracker.reid import build_embedder

    images, crops = load_inputs(args.frames)
    n_crops = sum(len(c) for c in crops)
    models: dict[tuple[str, str, int], Callable[[], object]] = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        for runtime in args.runtimes:
            det = build_detector(
                "yolov5", device="cpu", runtime=runtime, threads=threads,
                image_size=args.image_size,
            )  # fmt: skip
            emb = build_embedder("osnet", device="cpu", runtime=runtime, threads=threads)
            assert emb is not None
            det.detect(images[:1])  # first frame shape: export / load outside the timing
            models[("yolov5n", runtime, threads)] = lambda d=det: [d.detect([i]) for i in images]
            models[("osnet_x0_25", runtime, threads)] = lambda e=emb: [e.embed(c) for c in crops]
    samples: dict[tuple[str, str, int], list[float]] = {key: [] for key in models}
    ratios: dict[tuple[str, str, int], list[float]] = {key: [] for key in models}
    for round_index in range(args.rounds):
        spent = {key: timed(run, key[2]) for key, run in models.items()}
        for key, seconds in spent.items():
            samples[key].append(1000 * seconds / len(images))
            ratios[key].append(spent[(key[0], "torch", key[2])] / seconds)
        print(f"round {round_index + 1}/{args.rounds} load {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    for (model, runtime, threads), values in samples.items():
        rows.append(
            {
                "model": model,
                "runtime": runtime,
                "threads": threads,
                "median_ms_per_frame": round(statistics.median(values), 2),
                "min_ms_per_frame": round(min(values), 2),
                "median_speedup_vs_torch_same_round": round(
                    statistics.median(ratios[(model, runtime, threads)]), 2
                ),
            }
        )
    import onnxruntime
    import openvino

    report = {
        "what": __doc__.split("\n\n")[0],
        "command": "PYTHONPATH=. python -m benchmarks.runtimes " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "frames": len(images),
        "crops": n_crops,
        "image_size": args.image_size,
        "rounds": args.rounds,
        "versions": {
            "torch": torch.__version__,
            "onnxruntime": onnxruntime.__version__,
            "openvino": openvino.__version__,
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "load_average_1min_end": round(os.getloadavg()[0], 2),
        "rows": rows,
    }
    table = markdown_table(
        ["model", "runtime", "threads", "median ms/frame", "min ms/frame",
         "speed-up vs torch (same round, median)"],
        [[r["model"], r["runtime"], r["threads"], r["median_ms_per_frame"], r["min_ms_per_frame"],
          f"{r['median_speedup_vs_torch_same_round']}x"] for r in rows],
    )  # fmt: skip
    lines = [
        "# Inference runtimes on this CPU",
        "",
        report["what"],
        "",
        f"Command: `{report['command']}` ({report['date']}, {os.cpu_count()} CPUs shared with "
        f"other jobs; {len(images)} frames, {n_crops} crops; load average at the end "
        f"{report['load_average_1min_end']}). Versions: torch {torch.__version__}, "
        f"onnxruntime {onnxruntime.__version__}, openvino {openvino.__version__}.",
        "",
        table,
    ]
    report["environment"] = environment()
    save(f"runtimes{'_' + args.tag if args.tag else ''}", report, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
