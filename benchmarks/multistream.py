"""Multi-stream table with the real models (YOLOv5n + OSNet x0.25) on any device and runtime.

The server runs in a child process with ``tracker.service.models.build_pipeline`` (exactly what
``tracker serve`` builds); client threads in this process stream PETS09-S2L1 JPEGs. For each
number of streams:

- throughput: every stream sends ``--frames`` frames as fast as it can, policy ``all``:
  aggregate FPS and mean batch size;
- live: every stream sends at the sequence's native 7 fps, policy ``latest``: latency p50 /
  p99 (client-measured, send -> answer) and frames dropped.

    PYTHONPATH=. python -m benchmarks.multistream --device cpu --runtime auto
    PYTHONPATH=. python -m benchmarks.multistream --device cuda --runtime torch --tag cuda-torch
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from typing import Any

from benchmarks.harness import PETS09, environment, save
from benchmarks.service_common import N_PETS, paced, percentile_ms, run_in_threads

LIVE_FPS = 7.0  # PETS09-S2L1's frame rate


def _serve(settings: Any, conn: Any) -> None:
    from tracker.service.background import BackgroundServer
    from tracker.service.models import build_pipeline

    with BackgroundServer(lambda: build_pipeline(settings), settings) as background:
        conn.send(background.target)
        conn.recv()


def run_streams(
    target: str, jpegs: list[bytes], n: int, frames: int, policy: str, fps: float | None
) -> tuple[float, list[list[Any]]]:
    from tracker.client import ClientFrame, StreamOptions, TrackerClient

    results: list[list[Any]] = [[] for _ in range(n)]
    errors: list[str] = []

    def one(index: int) -> None:
        with TrackerClient(target, image_format="jpeg") as client:
            options = StreamOptions(stream_id=f"ms-{index}", policy=policy)  # type: ignore[arg-type]
            frames_out = (ClientFrame(k + 1, jpegs[k % N_PETS]) for k in range(frames))
            results[index] = list(client.track(paced(frames_out, fps), options))
        errors.extend(r.error for r in results[index] if r.error)

    wall = run_in_threads(one, n)
    if errors:
        raise RuntimeError(f"{len(errors)} frames failed, e.g. {errors[0]}")
    return wall, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--runtime", default="auto")
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--frames", type=int, default=100, help="per stream, throughput runs")
    parser.add_argument("--live-frames", type=int, default=70, help="per stream, live runs")
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()

    import multiprocessing

    from tracker.service.settings import ServerSettings

    jpegs = [(PETS09 / "img1" / f"{i:06d}.jpg").read_bytes() for i in range(1, N_PETS + 1)]
    settings = ServerSettings(
        host="127.0.0.1", port=0, metrics_port=0, device=args.device, runtime=args.runtime,
        torch_threads=args.torch_threads, detector="yolov5", embedder="osnet",
        max_batch=args.max_batch, max_sessions=max(16, max(args.streams)),
    )  # fmt: skip
    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(settings, child), daemon=True)
    server.start()
    if not conn.poll(600):
        server.kill()
        raise RuntimeError("server did not start")
    target = conn.recv()
    rows = []
    try:
        run_streams(target, jpegs, 1, 10, "all", None)  # warm-up: exports, first-shape compile
        for n in args.streams:
            wall, results = run_streams(target, jpegs, n, args.frames, "all", None)
            answered = sum(len(r) for r in results)
            batches = [x.batch_size for r in results for x in r]
            _, live = run_streams(target, jpegs, n, args.live_frames, "latest", LIVE_FPS)
            latencies = [x.latency_s for r in live for x in r]
            row = {
                "streams": n,
                "throughput_fps": round(answered / wall, 2),
                "mean_batch": round(sum(batches) / len(batches), 2),
                "live_fps_per_stream": LIVE_FPS,
                "live_latency_p50_ms": percentile_ms(latencies, 50),
                "live_latency_p99_ms": percentile_ms(latencies, 99),
                "live_dropped": sum(r[-1].frames_dropped for r in live if r),
                "live_sent": n * args.live_frames,
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
            print(row, flush=True)
            rows.append(row)
    finally:
        conn.send("stop")
        server.join(60)
        if server.is_alive():
            server.kill()
    report = {
        "what": __doc__.split("\n\n")[0],
        "command": "PYTHONPATH=. python -m benchmarks.multistream " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor()},
        "settings": {"device": args.device, "runtime": args.runtime,
                     "torch_threads": args.torch_threads, "max_batch": args.max_batch},
        "rows": rows,
    }  # fmt: skip
    stem = f"multistream{'_' + args.tag if args.tag else ''}"
    lines = [
        f"# Multi-stream, real models ({args.device}, runtime {args.runtime})",
        "",
        report["what"],
        "",
        f"Command: `{report['command']}` ({report['date']}).",
        "",
        "| streams | throughput FPS (all streams) | mean batch | live p50 ms | live p99 ms "
        "| live dropped / sent |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['streams']} | {r['throughput_fps']} | {r['mean_batch']} | "
            f"{r['live_latency_p50_ms']} | {r['live_latency_p99_ms']} | "
            f"{r['live_dropped']} / {r['live_sent']} |"
        )
    report["environment"] = environment()
    save(stem, report, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
