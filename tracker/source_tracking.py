"""Tracking a frame source (video, image folder, MOT sequence, stream) end to end.

Frames are read in batches of ``batch`` and pushed through ``Pipeline.process`` (one detector
call per batch, one embedder call for all crops of the batch). Every stage is timed, decode
included, so the summary tells where the time goes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from tracker.io.mot import write_results
from tracker.io.sources import Frame, FrameSource
from tracker.pipeline import FrameResult, Pipeline
from tracker.render import TrackRenderer, VideoSink

STAGES = ("decode", "detect", "embed", "track")


@dataclass
class SourceRun:
    """Totals of one run; ``stage_seconds`` sums the per-frame shares of each stage."""

    frames: int = 0
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
        return (
            f"{self.frames} frames in {self.wall_seconds:.1f} s ({self.fps:.2f} FPS); "
            f"per frame: {stages}; {self.detections} detections, {len(self.track_ids)} tracks"
        )


@dataclass
class _Collected:
    frames: list[NDArray[np.int64]] = field(default_factory=list)
    ids: list[NDArray[np.int64]] = field(default_factory=list)
    boxes: list[NDArray[np.float64]] = field(default_factory=list)
    scores: list[NDArray[np.float32]] = field(default_factory=list)

    def add(self, index: int, ids: NDArray, boxes: NDArray, scores: NDArray) -> None:
        self.frames.append(np.full(len(ids), index, np.int64))
        self.ids.append(np.asarray(ids, np.int64))
        self.boxes.append(np.asarray(boxes, np.float64).reshape(-1, 4))
        self.scores.append(np.asarray(scores, np.float32))

    def write(self, path: Path) -> None:
        if not self.frames:
            empty = np.zeros(0, np.int64)
            write_results(path, empty, empty, np.zeros((0, 4)), np.zeros(0))
            return
        write_results(
            path,
            np.concatenate(self.frames),
            np.concatenate(self.ids),
            np.concatenate(self.boxes),
            np.concatenate(self.scores),
        )


def _timed_batches(
    frames: Iterator[tuple[int, Frame]], batch: int
) -> Iterator[tuple[list[tuple[int, Frame]], float]]:
    """Batches of up to ``batch`` frames with the seconds spent decoding them."""
    while True:
        start = time.perf_counter()
        chunk = list(islice(frames, batch))
        elapsed = time.perf_counter() - start
        if not chunk:
            return
        yield chunk, elapsed


def track_source(
    source: FrameSource,
    pipeline: Pipeline,
    batch: int = 1,
    results_path: Path | None = None,
    detections_path: Path | None = None,
    video_path: Path | None = None,
    max_frames: int | None = None,
    progress: bool = True,
) -> SourceRun:
    """Track every frame of ``source``; optionally write MOT results, our detections as a MOT
    det file (so other trackers can be fed the same boxes) and an annotated video."""
    stream = pipeline.new_stream()
    run = SourceRun()
    tracks_out, dets_out = _Collected(), _Collected()
    renderer = TrackRenderer() if video_path else None
    sink = VideoSink(video_path, source.fps or 25.0) if video_path else None
    frames: Iterator[tuple[int, Frame]] = iter(source)
    total = source.length
    if max_frames is not None:
        frames = islice(frames, max_frames)
        total = min(total, max_frames) if total else max_frames
    bar = tqdm(total=total, desc=source.name, unit="frame", disable=not progress)
    start = time.perf_counter()
    try:
        for chunk, decode_seconds in _timed_batches(frames, max(batch, 1)):
            results = pipeline.process([(stream, frame) for _, frame in chunk])
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
            bar.update(len(chunk))
            bar.set_postfix(fps=f"{run.fps:.1f}", tracks=len(run.track_ids))
    finally:
        bar.close()
        if sink is not None:
            sink.close()
    run.wall_seconds = time.perf_counter() - start
    if results_path is not None:
        tracks_out.write(results_path)
    if detections_path is not None:
        dets_out.write(detections_path)
    return run


def _account(run: SourceRun, result: FrameResult) -> None:
    times = result.times
    run.stage_seconds["detect"] += times.detect
    run.stage_seconds["embed"] += times.embed
    run.stage_seconds["track"] += times.track
    run.detections += len(result.detections)
    run.rows += len(result.tracks)
    run.track_ids.update(result.tracks.ids.tolist())
