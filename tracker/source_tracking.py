"""Tracking a frame source (video, image folder, MOT sequence, stream) end to end.

Frames are read in batches of ``batch`` and pushed through ``Pipeline.process`` (one detector
call per batch, one embedder call for all crops of the batch). Every stage is timed, decode
included, so the summary tells where the time goes.

A frame that cannot be decoded is that frame's error only: it is counted and reported (as the
service answers it in-band), the tracker sees no frame for it, and the run goes on; the
result files hold every frame that was tracked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tracker.detect.base import FrameDetections
from tracker.io.codec import FrameError
from tracker.io.mot import ResultCollector
from tracker.io.sources import Frame, FrameSource, SourceFrame
from tracker.pipeline import FrameResult, Pipeline, StreamState
from tracker.render import TrackRenderer, VideoSink

STAGES = ("decode", "detect", "embed", "track")


@dataclass
class SourceRun:
    """Totals of one run; ``stage_seconds`` sums the per-frame shares of each stage."""

    frames: int = 0
    errors: list[str] = field(default_factory=list)
    """One line per frame that could not be used (``frame N: why``)."""
    detections: int = 0
    rows: int = 0
    track_ids: set[int] = field(default_factory=set)
    wall_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @property
    def fps(self) -> float:
        return self.frames / self.wall_seconds if self.wall_seconds else 0.0

    def summary(self) -> str:
        per_frame = {k: 1000 * v / max(self.frames, 1) for k, v in self.stage_seconds.items()}
        stages = ", ".join(f"{k} {v:.1f} ms" for k, v in per_frame.items())
        text = (
            f"{self.frames} frames in {self.wall_seconds:.1f} s ({self.fps:.2f} FPS); "
            f"per frame: {stages}; {self.detections} detections, {len(self.track_ids)} tracks"
        )
        if self.errors:
            shown = "; ".join(self.errors[:5]) + (" ..." if len(self.errors) > 5 else "")
            text += f"; {len(self.errors)} frames could not be used: {shown}"
        return text


def _decoded_batches(
    frames: Iterator[SourceFrame], batch: int, errors: list[str]
) -> Iterator[tuple[list[tuple[int, Frame]], float, int]]:
    """Batches of up to ``batch`` decoded frames, the seconds spent reading and decoding
    them, and how many frames were read (bad ones are listed in ``errors`` and left out)."""
    while True:
        start = time.perf_counter()
        chunk = list(islice(frames, batch))
        decoded = []
        for frame in chunk:
            try:
                decoded.append((frame.frame_id, frame.pixels()))
            except FrameError as error:
                errors.append(f"frame {frame.frame_id}: {error}")
        elapsed = time.perf_counter() - start
        if not chunk:
            return
        yield decoded, elapsed, len(chunk)


def track_source(
    source: FrameSource,
    pipeline: Pipeline,
    batch: int = 1,
    results_path: Path | None = None,
    detections_path: Path | None = None,
    video_path: Path | None = None,
    max_frames: int | None = None,
    progress: bool = True,
    public_detections: Mapping[int, FrameDetections] | None = None,
) -> SourceRun:
    """Track every frame of ``source``; optionally write MOT results, our detections as a MOT
    det file (so other trackers can be fed the same boxes) and an annotated video.

    ``public_detections`` (frame id -> boxes) replaces the detector: MOTChallenge's
    public-detection protocol, with the frames still used for re-ID crops."""
    stream = pipeline.new_stream()
    run = SourceRun()
    tracks_out, dets_out = ResultCollector(), ResultCollector()
    renderer = TrackRenderer() if video_path else None
    sink = VideoSink(video_path, source.fps or 25.0) if video_path else None
    frames: Iterator[SourceFrame] = iter(source)
    total = source.length
    if max_frames is not None:
        frames = islice(frames, max_frames)
        total = min(total, max_frames) if total else max_frames
    bar = tqdm(total=total, desc=source.name, unit="frame", disable=not progress)
    start = time.perf_counter()
    try:
        for chunk, decode_seconds, read in _decoded_batches(frames, max(batch, 1), run.errors):
            results = _track_chunk(pipeline, stream, chunk, public_detections)
            run.stage_seconds["decode"] += decode_seconds
            for (index, frame), result in zip(chunk, results, strict=True):
                _account(run, result)
                tracks = result.tracks
                tracks_out.add(index, tracks.ids, tracks.boxes, tracks.scores)
                dets = result.detections
                dets_out.add(index, np.full(len(dets), -1), dets.boxes, dets.scores)
                if renderer is not None and sink is not None:
                    sink.write(renderer.draw(frame, tracks.ids, tracks.boxes))
            run.frames += len(chunk)
            run.wall_seconds = time.perf_counter() - start
            bar.update(read)
            bar.set_postfix(fps=f"{run.fps:.1f}", tracks=len(run.track_ids), errors=len(run.errors))
    finally:  # also on Ctrl-C or a failing model: keep what was tracked
        bar.close()
        if sink is not None:
            sink.close()
        run.wall_seconds = time.perf_counter() - start
        if results_path is not None:
            tracks_out.write(results_path)
        if detections_path is not None:
            dets_out.write(detections_path)
    return run


def _track_chunk(
    pipeline: Pipeline,
    stream: StreamState,
    chunk: list[tuple[int, Frame]],
    public_detections: Mapping[int, FrameDetections] | None,
) -> list[FrameResult]:
    if not chunk:
        return []
    if public_detections is None:
        return pipeline.process([(stream, frame) for _, frame in chunk])
    empty = FrameDetections.empty()
    return pipeline.process_detections(
        [(stream, frame, public_detections.get(index, empty)) for index, frame in chunk]
    )


def _account(run: SourceRun, result: FrameResult) -> None:
    times = result.times
    run.stage_seconds["detect"] += times.detect
    run.stage_seconds["embed"] += times.embed
    run.stage_seconds["track"] += times.track
    run.detections += len(result.detections)
    run.rows += len(result.tracks)
    run.track_ids.update(result.tracks.ids.tolist())
