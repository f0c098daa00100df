"""Overlapped stages (tracker.staged) vs the sequential path on PETS09-S2L1, same run.

Whole runs over the first ``--frames`` frames alternate (sequential, staged, sequential, ...)
so both see the same machine load; each run writes its result file and the files are compared
byte for byte. Models: YOLOv5n + OSNet x0.25 with ``--runtime`` (auto by default), one thread
per model call, so the two model stages can use the two cores.

    PYTHONPATH=. python -m benchmarks.staged_speed --frames 200 --repeats 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import PETS09, environment, save


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--runtime", default="auto")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()

    from tracker.detect import build_detector
    from tracker.device import set_torch_threads
    from tracker.io.sources import MotSequenceSource
    from tracker.pipeline import Pipeline
    from tracker.reid import build_embedder
    from tracker.source_tracking import track_source

    set_torch_threads(args.threads)
    detector = build_detector("yolov5", device="cpu", score_threshold=0.1, runtime=args.runtime)
    embedder = build_embedder("osnet", device="cpu", runtime=args.runtime)
    pipeline = Pipeline(detector, embedder)
    source = MotSequenceSource(PETS09)
    fps: dict[str, list[float]] = {"sequential": [], "staged": []}
    identical = True
    with tempfile.TemporaryDirectory() as tmp:
        track_source(source, pipeline, max_frames=5, progress=False)  # warm-up
        for repeat in range(args.repeats):
            outputs = {}
            for mode in ("sequential", "staged"):
                out = Path(tmp) / f"{mode}{repeat}.txt"
                start = time.perf_counter()
                run = track_source(source, pipeline, batch=args.batch, results_path=out,
                                   max_frames=args.frames, progress=False,
                                   overlap=mode == "staged")  # fmt: skip
                fps[mode].append(run.frames / (time.perf_counter() - start))
                outputs[mode] = out.read_bytes()
                print(f"{mode}: {fps[mode][-1]:.2f} FPS, load {os.getloadavg()[0]:.2f}", flush=True)
            identical = identical and outputs["sequential"] == outputs["staged"]
    ratios = [s / q for s, q in zip(fps["staged"], fps["sequential"], strict=True)]
    report = {
        "what": __doc__.split("\n\n")[0],
        "command": "PYTHONPATH=. python -m benchmarks.staged_speed " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "frames": args.frames,
        "runtime": args.runtime,
        "detector_runtime": getattr(detector, "runtime", "torch"),
        "embedder_runtime": getattr(embedder, "runtime", "torch"),
        "fps": {k: [round(v, 2) for v in vs] for k, vs in fps.items()},
        "staged_speedup_per_repeat": [round(r, 3) for r in ratios],
        "staged_speedup_median": round(statistics.median(ratios), 3),
        "results_byte_identical": identical,
        "load_average_1min_end": round(os.getloadavg()[0], 2),
    }
    lines = [
        "# Overlapped stages vs sequential (PETS09-S2L1)",
        "",
        report["what"],
        "",
        f"Command: `{report['command']}` ({report['date']}; detector {report['detector_runtime']}"
        f", embedder {report['embedder_runtime']}; load average at the end "
        f"{report['load_average_1min_end']}).",
        "",
        "| repeat | sequential FPS | staged FPS | staged / sequential |",
        "|---|---|---|---|",
    ]
    for i, ratio in enumerate(ratios):
        lines.append(
            f"| {i + 1} | {fps['sequential'][i]:.2f} | {fps['staged'][i]:.2f} | {ratio:.2f}x |"
        )
    lines += ["", f"Result files byte-identical in every repeat: {identical}."]
    report["environment"] = environment()
    save(f"staged_speed{'_' + args.tag if args.tag else ''}", report, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
