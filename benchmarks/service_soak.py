"""Soak: many streams for many frames through one server; every frame answered, no error,
server memory flat.

    PYTHONPATH=. python benchmarks/service_soak.py [--streams 8] [--frames 10000]

Workload ``public``: PETS09-S2L1's YOLOv5n detections sent by the client (no pixels),
motion-only, policy ``all``; each stream starts at a different frame of the sequence, which
repeats (ids keep counting), so tracks keep being created and deleted in every stream. The
server runs in a child process; its resident memory (VmRSS) is sampled every
``--sample-s`` seconds. "Flat" is judged after the warm-up: the first sample taken once every
stream has sent 10% of its frames is compared with the last. Results:
benchmarks/results/service_soak.{json,md}; ``soak()`` is also the short version in
tests/test_service_soak.py.
"""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.service_common import Pets, ServerProcess, environment, save
from tracker.client import ClientFrame, StreamOptions, TrackerClient


@dataclass
class StreamStats:
    sent: int = 0
    answered: int = 0
    errors: int = 0
    in_order: bool = True
    failure: str = ""
    last_id: int = 0
    first_error: str = ""


@dataclass
class SoakResult:
    streams: int
    frames_per_stream: int
    wall_s: float
    stats: list[StreamStats]
    rss: list[tuple[float, int, float]] = field(default_factory=list)  # (s, frames done, MiB)

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.stats)

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.stats) + sum(bool(s.failure) for s in self.stats)

    def summary(self) -> dict[str, Any]:
        mib = [m for _, _, m in self.rss]
        warm = next(
            (m for _, done, m in self.rss if done >= 0.1 * self.streams * self.frames_per_stream),
            mib[0],
        )
        return {
            "streams": self.streams,
            "frames_per_stream": self.frames_per_stream,
            "frames_sent": sum(s.sent for s in self.stats),
            "frames_answered": self.answered,
            "errors": self.errors,
            "all_in_order": all(s.in_order for s in self.stats),
            "wall_s": round(self.wall_s, 1),
            "fps_total": round(self.answered / self.wall_s, 1),
            "rss_start_mib": round(mib[0], 1),
            "rss_after_warmup_mib": round(warm, 1),
            "rss_end_mib": round(mib[-1], 1),
            "rss_peak_mib": round(max(mib), 1),
            "rss_growth_after_warmup_mib": round(mib[-1] - warm, 1),
        }


def soak(streams: int, frames: int, sample_s: float = 1.0, pets: Pets | None = None) -> SoakResult:
    """Run ``streams`` concurrent streams of ``frames`` frames each against a fresh server."""
    pets = pets or Pets.load()
    stats = [StreamStats() for _ in range(streams)]
    rss: list[tuple[float, int, float]] = []
    done = threading.Event()
    with ServerProcess("public", max_sessions=max(16, streams), queue_size=4) as server:
        start = time.perf_counter()
        rss.append((0.0, 0, server.rss_mib()))

        def sample() -> None:
            while not done.wait(sample_s):
                answered = sum(s.answered for s in stats)
                rss.append((time.perf_counter() - start, answered, server.rss_mib()))

        def run(index: int) -> None:
            stat = stats[index]
            offset = index * 97  # each stream at its own place in the sequence

            def source() -> Any:
                for frame_id in range(1, frames + 1):
                    stat.sent += 1
                    yield ClientFrame(frame_id, None, pets.dets(frame_id + offset))

            options = StreamOptions(
                stream_id=f"soak-{index}", detector="public", embedder="none", policy="all"
            )
            try:
                with TrackerClient(server.target) as client:
                    for result in client.track(source(), options, max_in_flight=8, timeout=600):
                        stat.answered += 1
                        stat.in_order &= result.frame_id == stat.last_id + 1
                        stat.last_id = result.frame_id
                        if result.error:
                            stat.errors += 1
                            stat.first_error = stat.first_error or result.error
            except Exception as error:  # a failed call is a soak failure, reported
                stat.failure = f"{type(error).__name__}: {error}"

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(streams)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        rss.append((wall, sum(s.answered for s in stats), server.rss_mib()))
    return SoakResult(streams, frames, wall, stats, rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--frames", type=int, default=10_000, help="frames per stream")
    parser.add_argument("--sample-s", type=float, default=2.0, help="RSS sampling period")
    parser.add_argument("--name", default="service_soak", help="results file name")
    args = parser.parse_args()
    result = soak(args.streams, args.frames, args.sample_s)
    summary = result.summary()
    failures = [s.failure or s.first_error for s in result.stats if s.failure or s.errors]
    verdict = (
        "every frame answered in order, no error"
        if summary["frames_answered"] == args.streams * args.frames
        and not summary["errors"]
        and summary["all_in_order"]
        else f"FAILED: {failures[:3]}"
    )
    step = max(len(result.rss) // 20, 1)
    lines = [
        f"# Soak: {args.streams} streams x {args.frames} frames through one server",
        "",
        "Workload `public` (PETS09-S2L1 YOLOv5n detections from the client, no pixels, "
        "motion-only, policy `all`, `max_in_flight` 8 per stream), server in a child process "
        "with the default limits; resident memory (VmRSS) of the server process. Command: "
        f"`PYTHONPATH=. python benchmarks/service_soak.py --streams {args.streams} "
        f"--frames {args.frames}`.",
        "",
        f"**{verdict}.** {summary['frames_answered']}/{summary['frames_sent']} frames answered "
        f"in {summary['wall_s']} s ({summary['fps_total']} frames/s over all streams), "
        f"{summary['errors']} errors. RSS start {summary['rss_start_mib']} MiB, after warm-up "
        f"(10% of the frames) {summary['rss_after_warmup_mib']} MiB, end "
        f"{summary['rss_end_mib']} MiB, peak {summary['rss_peak_mib']} MiB (growth after "
        f"warm-up {summary['rss_growth_after_warmup_mib']} MiB).",
        "",
        "| seconds | frames answered | RSS MiB |",
        "|---|---|---|",
    ]
    samples = result.rss[::step]
    if samples[-1] is not result.rss[-1]:
        samples.append(result.rss[-1])
    lines += [f"| {s:.0f} | {n} | {m:.1f} |" for s, n, m in samples]
    lines.append("")
    payload = {
        "environment": environment(),
        "summary": summary,
        "streams": [vars(s) for s in result.stats],
        "rss_samples": [{"s": round(s, 2), "answered": n, "rss_mib": round(m, 1)}
                        for s, n, m in result.rss],
    }  # fmt: skip
    save(args.name, payload, "\n".join(lines))


if __name__ == "__main__":
    main()
