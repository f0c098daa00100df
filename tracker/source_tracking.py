"""Tracking a frame source (video, image folder, MOT sequence, stream) end to end.

Frames are read in chunks of ``batch``: one detector call per chunk, then
``Pipeline.process_detections`` (one embedder call for all crops of the chunk, then the
tracker). Every stage is timed, decode
included, so the summary tells where the time goes.

A frame that cannot be decoded is that frame's error only: it is counted and reported (as the
service answers it in-band), the tracker sees no frame for it, and the run goes on; the
result files hold every frame that was tracked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tracker.detect.base import FrameDetections
from tracker.io.codec import FrameError
from tracker.io.mot import ResultCollector
from tracker.io.sources import Frame, FrameSource, SourceFrame
from tracker.motion import DEFAULT_CAMERA_MOTION
from tracker.pipeline import FrameResult, Pipeline
from tracker.render import TrackRenderer, VideoSink
from tracker.staged import run_stages

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


@dataclass(frozen=True)
class _Chunk:
    """Up to ``batch`` frames on their way through the stages."""

    frames: list[tuple[int, Frame]]  # decoded (bad frames already left out and reported)
    read: int  # frames taken from the source, bad ones included
    decode_seconds: float
    detections: list[FrameDetections] | None = None
    detect_seconds: float = 0.0


def _decoded_chunks(
    frames: Iterator[SourceFrame], batch: int, errors: list[str]
) -> Iterator[_Chunk]:
    """Chunks of up to ``batch`` decoded frames; frames that cannot be decoded are listed in
    ``errors`` and left out."""
    while True:
        start = time.perf_counter()
        taken = list(islice(frames, batch))
        if not taken:
            return
        decoded = []
        for frame in taken:
            try:
                decoded.append((frame.frame_id, frame.pixels()))
            except FrameError as error:
                errors.append(f"frame {frame.frame_id}: {error}")
        yield _Chunk(decoded, len(taken), time.perf_counter() - start)


def _detector_stage(
    pipeline: Pipeline, public_detections: Mapping[int, FrameDetections] | None
) -> Callable[[_Chunk], _Chunk]:
    """One detector call per chunk, or the chunk's public detections."""
    empty = FrameDetections.empty()

    def detect(chunk: _Chunk) -> _Chunk:
        start = time.perf_counter()
        if public_detections is not None:
            found = [public_detections.get(index, empty) for index, _ in chunk.frames]
        elif chunk.frames and pipeline.detector is not None:
            found = pipeline.detector.detect([frame for _, frame in chunk.frames])
        else:
            found = []
        return replace(chunk, detections=found, detect_seconds=time.perf_counter() - start)

    return detect


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
    overlap: bool = False,
    camera_motion: str = DEFAULT_CAMERA_MOTION,
) -> SourceRun:
    """Track every frame of ``source``; optionally write MOT results, our detections as a MOT
    det file (so other trackers can be fed the same boxes) and an annotated video.

    ``public_detections`` (frame id -> boxes) replaces the detector: MOTChallenge's
    public-detection protocol, with the frames still used for re-ID crops. ``overlap`` runs
    decode, detect and embed + associate in threads of their own (``tracker.staged``): the
    same calls on the same chunks, so the same results, with both cores busy.
    ``camera_motion`` (``tracker.motion.CAMERA_MOTION_MODES``) moves the tracks with the
    camera, measured from the frames (in the tracking step, so both paths agree)."""
    if pipeline.detector is None and public_detections is None:
        raise ValueError("this pipeline has no detector; give public_detections")
    stream = pipeline.new_stream(frame_rate=source.fps, camera_motion=camera_motion)
    run = SourceRun()
    tracks_out, dets_out = ResultCollector(), ResultCollector()
    renderer = TrackRenderer() if video_path else None
    sink = VideoSink(video_path, source.fps or 25.0) if video_path else None
    frames: Iterator[SourceFrame] = iter(source)
    total = source.length
    if max_frames is not None:
        frames = islice(frames, max_frames)
        total = min(total, max_frames) if total else max_frames
    chunks = _decoded_chunks(frames, max(batch, 1), run.errors)
    detect = _detector_stage(pipeline, public_detections)
    detected = run_stages(chunks, [detect], names=["detect"]) if overlap else map(detect, chunks)
    bar = tqdm(total=total, desc=source.name, unit="frame", disable=not progress)
    start = time.perf_counter()
    try:
        for chunk in detected:
            results = pipeline.process_detections(
                [(stream, frame, dets) for (_, frame), dets in
                 zip(chunk.frames, chunk.detections or [], strict=True)]
            )  # fmt: skip
            run.stage_seconds["decode"] += chunk.decode_seconds
            run.stage_seconds["detect"] += chunk.detect_seconds
            for (index, frame), result in zip(chunk.frames, results, strict=True):
                _account(run, result)
                tracks = result.tracks
                tracks_out.add(index, tracks.ids, tracks.boxes, tracks.scores)
                dets = result.detections
                dets_out.add(index, np.full(len(dets), -1), dets.boxes, dets.scores)
                if renderer is not None and sink is not None:
                    sink.write(renderer.draw(frame, tracks.ids, tracks.boxes))
            run.frames += len(chunk.frames)
            run.wall_seconds = time.perf_counter() - start
            bar.update(chunk.read)
            bar.set_postfix(fps=f"{run.fps:.1f}", tracks=len(run.track_ids), errors=len(run.errors))
    finally:  # also on Ctrl-C or a failing model: keep what was tracked
        close = getattr(detected, "close", None)
        if close is not None:
            close()  # stops the stage threads
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
    run.stage_seconds["embed"] += times.embed
    run.stage_seconds["track"] += times.track
    run.detections += len(result.detections)
    run.rows += len(result.tracks)
    run.track_ids.update(result.tracks.ids.tolist())
