"""Stream a frame source through a server and write what comes back (``tracker stream``,
``tracker demo``): the MOT result file, optionally an annotated video, and latency stats.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tracker.client.client import ClientFrame, StreamOptions, TrackerClient, TrackResult
from tracker.client.inflight import InFlight
from tracker.detect.base import FrameDetections
from tracker.io.codec import FrameError
from tracker.io.mot import ResultCollector
from tracker.io.sources import FrameSource, SourceFrame
from tracker.motion import DEFAULT_CAMERA_MOTION
from tracker.render import TrackRenderer, VideoSink


@dataclass
class StreamStats:
    sent: int = 0
    answered: int = 0
    errors: int = 0
    dropped: int = 0
    wall_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)

    @property
    def fps(self) -> float:
        return self.answered / self.wall_s if self.wall_s > 0 else 0.0

    def latency_ms(self, percentile: float) -> float:
        values = np.asarray(self.latencies_s, np.float64)
        values = values[np.isfinite(values)]
        return float(np.percentile(values, percentile) * 1000) if len(values) else float("nan")

    def summary(self) -> str:
        return (
            f"{self.answered}/{self.sent} frames answered in {self.wall_s:.1f} s "
            f"({self.fps:.1f} FPS), latency p50 {self.latency_ms(50):.0f} ms "
            f"p99 {self.latency_ms(99):.0f} ms, dropped {self.dropped}, errors {self.errors}"
        )


DEFAULT_IN_FLIGHT = 16
"""Enough to keep a server batch of 8 full while the previous one is answered."""


def run_stream(
    client: TrackerClient,
    source: FrameSource,
    options: StreamOptions,
    *,
    out: Path | None = None,
    save_video: Path | None = None,
    fps_limit: float | None = None,
    detections: dict[int, FrameDetections] | None = None,
    max_frames: int | None = None,
    max_in_flight: int | None = DEFAULT_IN_FLIGHT,
    progress: bool = True,
) -> StreamStats:
    """Send every frame of ``source``; ``detections`` switches to public-detection mode.

    ``max_in_flight`` bounds the frames on their way (see ``TrackerClient.track``); it is
    applied to policy ``all`` only, since under ``latest`` the server drops instead.
    """
    from tqdm import tqdm

    stats = StreamStats()
    pending: InFlight[SourceFrame] | None = InFlight() if save_video else None
    camera = options.camera_motion or DEFAULT_CAMERA_MOTION
    needs_pixels = options.embedder != "none" or camera != "off"  # else public boxes suffice

    def frames() -> Iterator[ClientFrame]:
        start = time.perf_counter()
        for index, frame in enumerate(source):
            if max_frames is not None and index >= max_frames:
                return
            if fps_limit:
                delay = start + index / fps_limit - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            if pending is not None:
                pending.add(frame.frame_id, frame)
            dets = None
            if detections is not None:
                dets = detections.get(frame.frame_id, FrameDetections.empty())
            image = frame.encoded if frame.encoded is not None else frame.image
            if detections is not None and not needs_pixels:
                image = None  # public detections, motion-only: the server needs no pixels
            stats.sent += 1
            yield ClientFrame(frame.frame_id, image, dets)

    total = source.length if max_frames is None else min(source.length or max_frames, max_frames)
    with ExitStack() as stack:
        collector = ResultCollector() if out else None
        if out is not None and collector is not None:
            stack.callback(collector.write, out)  # also on Ctrl-C: keep what was tracked
        sink, renderer = None, TrackRenderer()
        if save_video:
            sink = stack.enter_context(VideoSink(save_video, source.fps or 25.0))
        bar = stack.enter_context(
            tqdm(total=total, unit="frame", desc=source.name, disable=not progress)
        )
        started = time.perf_counter()
        window = max_in_flight if options.policy == "all" else None
        for result in client.track(frames(), options, max_in_flight=window):
            _record(stats, result)
            if collector is not None and not result.error:
                collector.add(result.frame_id, result.track_ids, result.boxes, result.scores)
            if sink is not None and pending is not None:
                _draw(sink, renderer, pending.pop(result.frame_id), result)
            stats.wall_s = time.perf_counter() - started
            bar.update(1)
            bar.set_postfix(
                fps=f"{stats.fps:.1f}",
                latency_ms=f"{result.latency_s * 1000:.0f}",
                dropped=stats.dropped,
                refresh=False,
            )
        stats.wall_s = time.perf_counter() - started
    return stats


def _draw(
    sink: VideoSink, renderer: TrackRenderer, frame: SourceFrame | None, result: TrackResult
) -> None:
    if frame is None or result.error:
        return  # dropped by the server, or a bad frame (reported in result.error)
    try:
        pixels = frame.pixels()
    except FrameError:
        return
    sink.write(renderer.draw(pixels, result.track_ids, result.boxes))


def _record(stats: StreamStats, result: TrackResult) -> None:
    stats.answered += 1
    stats.dropped = result.frames_dropped
    stats.latencies_s.append(result.latency_s)
    if result.error:
        stats.errors += 1
        if len(stats.first_errors) < 5:
            stats.first_errors.append(f"frame {result.frame_id}: {result.error}")
