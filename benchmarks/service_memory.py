"""Server memory over a long stream: resident memory after 1,000 vs after 10,000 frames.

    PYTHONPATH=. python benchmarks/service_memory.py

One stream, policy ``all``, workload ``jpeg-hist`` (server-side JPEG decode, crops, an
appearance embedding per detection, so the tracker keeps feature galleries). PETS09-S2L1 is
repeated (frame ids keep counting), so tracks keep being created and deleted: a leak in
sessions, tracks or galleries would grow with the frame count.
Results: benchmarks/results/service_memory.{json,md}.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from service_common import Pets, ServerProcess, environment, save

from tracker.client import StreamOptions, TrackerClient

FRAMES = 10_000
EVERY = 1_000


def main() -> None:
    pets = Pets.load()
    readings: list[dict[str, float]] = []
    with ServerProcess("jpeg-hist") as server, TrackerClient(server.target) as client:
        readings.append({"frames": 0, "rss_mib": round(server.rss_mib(), 1)})
        options = StreamOptions(detector="public", policy="all", stream_id="memory")
        start = time.perf_counter()
        results = client.track(pets.frames("jpeg-hist", FRAMES), options)
        for answered, result in enumerate(results, start=1):
            if result.error:
                raise RuntimeError(result.error)
            if answered % EVERY == 0:
                readings.append({"frames": answered, "rss_mib": round(server.rss_mib(), 1)})
                print(readings[-1], flush=True)
        wall = time.perf_counter() - start
    at = {r["frames"]: r["rss_mib"] for r in readings}
    summary = {
        "rss_after_1000_mib": at[1000],
        "rss_after_10000_mib": at[10000],
        "growth_mib": round(at[10000] - at[1000], 1),
        "fps": round(FRAMES / wall, 1),
    }
    lines = [
        "# Server memory: 1,000 vs 10,000 frames of one stream",
        "",
        "Workload `jpeg-hist` (PETS09-S2L1 JPEGs repeated, decoded by the server, client "
        "detections, HSV-histogram embedder, galleries of 100 features per track), policy "
        "`all`, server in a child process; resident memory (VmRSS) of the server process. "
        "**No real CNN models** (this measures the service's memory, not the models'). "
        "Command: `PYTHONPATH=. python benchmarks/service_memory.py`.",
        "",
        f"After 1,000 frames: **{summary['rss_after_1000_mib']} MiB**; after 10,000: "
        f"**{summary['rss_after_10000_mib']} MiB** (growth {summary['growth_mib']} MiB; "
        f"{summary['fps']} FPS).",
        "",
        "| frames | RSS MiB |",
        "|---|---|",
    ]
    lines += [f"| {r['frames']} | {r['rss_mib']} |" for r in readings]
    lines.append("")
    payload = {"environment": environment(), "summary": summary, "readings": readings}
    save("service_memory", payload, "\n".join(lines))


if __name__ == "__main__":
    main()
