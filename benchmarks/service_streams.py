"""The service with the real models: one paced camera, then 1, 2, 4 and 8 at once.

    PYTHONPATH=. python benchmarks/service_streams.py [--frames 140] [--streams 1 2 4 8]

The server (YOLOv5n + OSNet x0.25 on the CPU, in a child process as deployed) gets N
PETS09-S2L1 streams, each paced at the sequence's native 7 fps with policy ``latest`` (live
cameras). Per N: aggregate FPS answered, latency p50 / p99 (send -> answer, measured by the
client), frames dropped by the server, errors, and the server's peak RSS (VmHWM).
Results: benchmarks/results/service_streams.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_common import Pets, ServerProcess, environment, percentile_ms, save

from tracker.client import ClientFrame, StreamOptions, TrackerClient, TrackResult

FPS = 7.0  # PETS09-S2L1's frame rate (seqinfo.ini)


def paced(pets: Pets, frames: int, offset: int) -> Iterator[ClientFrame]:
    """``frames`` JPEGs at ``FPS``, starting ``offset`` frames into the sequence."""
    start = time.perf_counter()
    for k in range(frames):
        delay = start + k / FPS - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        yield ClientFrame(k + 1, pets.jpegs[(offset + k) % len(pets.jpegs)])


def run_streams(target: str, pets: Pets, streams: int, frames: int) -> dict[str, Any]:
    results: dict[int, list[TrackResult]] = {}

    def one(index: int) -> None:
        options = StreamOptions(stream_id=f"cam{index}", policy="latest")
        with TrackerClient(target) as client:
            results[index] = list(client.track(paced(pets, frames, 97 * index), options))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(streams)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    answered = [r for rs in results.values() for r in rs]
    latencies = [r.latency_s for r in answered]
    return {
        "streams": streams,
        "frames_sent": streams * frames,
        "answered": len(answered),
        "dropped": sum(rs[-1].frames_dropped for rs in results.values() if rs),
        "errors": sum(1 for r in answered if r.error),
        "aggregate_fps": round(len(answered) / wall, 2),
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=140, help="frames per stream (20 s)")
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--name", default="service_streams", help="results file stem")
    args = parser.parse_args()
    pets = Pets.load()
    rows = []
    with ServerProcess("models") as server:
        rss_loaded = server.rss_mib()
        for streams in args.streams:
            rows.append(run_streams(server.target, pets, streams, args.frames))
            print(rows[-1], flush=True)
        peak = server.peak_rss_mib()
    payload = {
        "environment": environment(),
        "models": "YOLOv5n (640) + OSNet x0.25 MSMT17, CPU",
        "pacing_fps": FPS,
        "policy": "latest",
        "rss_loaded_mib": round(rss_loaded, 1),
        "peak_rss_mib": round(peak, 1),
        "rows": rows,
    }
    table = ["| streams | answered / sent | dropped | errors | aggregate FPS | p50 ms | p99 ms |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    table += [
        f"| {r['streams']} | {r['answered']} / {r['frames_sent']} | {r['dropped']} | "
        f"{r['errors']} | {r['aggregate_fps']} | {r['p50_ms']} | {r['p99_ms']} |"
        for r in rows
    ]
    markdown = "\n".join([
        "# The service with the real models: paced cameras",
        "",
        f"Server in a child process with {payload['models']}; each stream sends PETS09-S2L1 "
        f"JPEGs paced at {FPS:g} fps with policy `latest`, {args.frames} frames per stream. "
        f"Server RSS with the models loaded {payload['rss_loaded_mib']} MiB, peak "
        f"{payload['peak_rss_mib']} MiB. {environment()['note']}. "
        "Command: `PYTHONPATH=. python benchmarks/service_streams.py`.",
        "",
        *table,
        "",
    ])  # fmt: skip
    save(args.name, payload, markdown)


if __name__ == "__main__":
    main()
