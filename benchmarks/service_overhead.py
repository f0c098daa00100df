"""gRPC overhead: frames per second through the server vs the same Pipeline in-process.

    PYTHONPATH=. python benchmarks/service_overhead.py

Same run, same frames (PETS09-S2L1, 795), same Pipeline; the server in a child process on
127.0.0.1, one stream, policy ``all``. Results: benchmarks/results/service_overhead.{json,md}.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_common import (
    N_PETS,
    Pets,
    ServerProcess,
    build_pipeline,
    environment,
    percentile_ms,
    save,
)

from tracker.client import StreamOptions, TrackerClient
from tracker.io.codec import decode_image

REPEATS = 3
WORKLOADS = {
    "public": "PETS09 YOLOv5n detections from the client, motion-only (no pixels sent)",
    "jpeg-hist": "PETS09 JPEG decoded by the server + client detections + HSV-histogram "
    "embedder on every crop",
    "models": "PETS09 JPEG, server-side YOLOv5n + OSNet x0.25 (CPU, 1 torch thread), "
    "first 120 frames",
}
#: Frames per run: all of PETS09, but the real models only on the first 120 (~30 s a run).
FRAMES = {"public": N_PETS, "jpeg-hist": N_PETS, "models": 120}


def in_process(workload: str, pets: Pets) -> dict[str, float]:
    pipeline = build_pipeline(workload)
    stream = pipeline.new_stream()
    n = FRAMES[workload]
    frames = list(pets.frames(workload, n))
    start, cpu = time.perf_counter(), time.process_time()
    for frame in frames:
        image = None
        if isinstance(frame.image, bytes):
            image = decode_image(frame.image, 3840 * 2160)
        if frame.detections is None:
            pipeline.process([(stream, image)])
        else:
            pipeline.process_detections([(stream, image, frame.detections)])
    cpu = time.process_time() - cpu
    return {"fps": n / (time.perf_counter() - start), "cpu_ms": cpu / n * 1000}


def through_server(workload: str, pets: Pets) -> dict[str, float]:
    n = FRAMES[workload]
    with ServerProcess(workload) as server, TrackerClient(server.target) as client:
        detector = "" if workload == "models" else "public"  # "": the server's own models
        options = StreamOptions(detector=detector, policy="all")
        start, cpu = time.perf_counter(), server.cpu_seconds()
        results = list(client.track(pets.frames(workload, n), options))
        wall = time.perf_counter() - start
        cpu = server.cpu_seconds() - cpu
    if len(results) != n or any(r.error for r in results):
        raise RuntimeError("the server did not answer every frame")
    server_total = [r.timings["total"] for r in results]
    return {
        "fps": n / wall,
        "cpu_ms": cpu / n * 1000,
        "client_latency_p50_ms": percentile_ms([r.latency_s for r in results], 50),
        "server_time_p50_ms": percentile_ms(server_total, 50),
    }


def main() -> None:
    pets = Pets.load()
    rows = []
    for workload, description in WORKLOADS.items():
        # Alternate and keep the best of REPEATS: the 2 cores are shared with other jobs.
        locals_, serveds = [], []
        for _ in range(REPEATS):
            locals_.append(in_process(workload, pets))
            serveds.append(through_server(workload, pets))
        local = max(locals_, key=lambda r: r["fps"])
        served = max(serveds, key=lambda r: r["fps"])
        local_cpu = min(r["cpu_ms"] for r in locals_)
        served_cpu = min(r["cpu_ms"] for r in serveds)
        rows.append(
            {
                "workload": workload,
                "description": description,
                "in_process_fps": round(local["fps"], 1),
                "server_fps": round(served["fps"], 1),
                "ratio_server_over_in_process": round(served["fps"] / local["fps"], 3),
                "in_process_cpu_ms_per_frame": round(local_cpu, 2),
                "server_cpu_ms_per_frame": round(served_cpu, 2),
                "grpc_cpu_overhead_ms_per_frame": round(served_cpu - local_cpu, 2),
                "client_latency_p50_ms": served["client_latency_p50_ms"],
                "server_time_p50_ms": served["server_time_p50_ms"],
            }
        )
    lines = [
        "# gRPC overhead: server FPS / in-process FPS (same run)",
        "",
        "PETS09-S2L1, one stream, policy `all`, server in a child process on 127.0.0.1, "
        f"best of {REPEATS} alternating runs. `public` and `jpeg-hist` isolate the service's "
        "own cost (no CNN); `models` is the real pipeline, where the target is a ratio of at "
        "least 0.9. Command: `PYTHONPATH=. python benchmarks/service_overhead.py`.",
        "",
        "| workload | in-process FPS | through server FPS | ratio | in-process CPU ms/frame "
        "| server CPU ms/frame | client latency p50 (ms) | server time p50 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['workload']}: {row['description']} | {row['in_process_fps']} | "
            f"{row['server_fps']} | {row['ratio_server_over_in_process']} | "
            f"{row['in_process_cpu_ms_per_frame']} | {row['server_cpu_ms_per_frame']} | "
            f"{row['client_latency_p50_ms']} | {row['server_time_p50_ms']} |"
        )
    lines += [
        "",
        "FPS is wall-clock and noisy here: the 2 cores are shared with other jobs, so the "
        "ratio can land on either side of 1. CPU time per frame (the whole server process, "
        "all threads, vs the in-process loop; the lower of the runs) is the steadier measure "
        "of what the service layer costs per frame.",
        "",
        "Client latency under policy `all` includes the frames queued ahead (the client "
        "sends as fast as flow control allows); it measures throughput mode, not a live camera "
        "(see service_concurrency for paced streams).",
        "",
    ]
    save("service_overhead", {"environment": environment(), "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
