"""Offline tracking with overlapped stages: decode | detect | embed + associate.

``track_source`` runs one stage at a time, so on a 2-core machine one core idles while the
other detects, then embeds. Here each stage is a thread joined by bounded queues: while frame
``t`` is embedded and associated, frame ``t+1`` is detected and frame ``t+2`` decoded. The
model runtimes (ONNX Runtime, OpenVINO, torch ops) and JPEG decoding release the GIL, so the
stages really run in parallel.

The calls are the same as the sequential path's, in the same order and on the same batches
(``detector.detect(chunk)``, then ``pipeline.process_detections`` on that chunk), so the
results are identical, byte for byte. Association stays with embedding: it takes about a
millisecond and must see frames in order anyway.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tracker.detect.base import FrameDetections
from tracker.io.mot import write_results
from tracker.io.sources import Frame, FrameSource
from tracker.pipeline import FrameResult, Pipeline, StreamState
from tracker.source_tracking import SourceRun

QUEUE_SIZE = 4
"""Chunks in flight between two stages: enough to absorb jitter, bounded so a fast decoder
cannot fill memory with frames."""

_DONE = object()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True)
class _Decoded:
    frames: list[tuple[int, Frame]]
    seconds: float


@dataclass(frozen=True)
class _Detected:
    frames: list[tuple[int, Frame]]
    detections: list[FrameDetections]
    decode_seconds: float
    detect_seconds: float


class _Stage(threading.Thread):
    """Runs ``work(item)`` on each item of ``inbox`` (or on ``produce()``'s items) and puts the
    results in ``outbox``; forwards the end marker and the first failure downstream."""

    def __init__(
        self,
        name: str,
        outbox: queue.Queue[Any],
        stop: threading.Event,
        items: Callable[[], Iterable[Any]],
        work: Callable[[Any], Any],
    ) -> None:
        super().__init__(name=f"tracker-{name}", daemon=True)
        self.outbox, self.stop, self.items, self.work = outbox, stop, items, work

    def run(self) -> None:
        try:
            for item in self.items():
                if item is _DONE or isinstance(item, _Failed):
                    self._put(item)
                    return
                if not self._put(self.work(item)):
                    return
            self._put(_DONE)
        except BaseException as error:  # handed to the consumer, which re-raises it
            self._put(_Failed(error))

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.outbox.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def _drain(inbox: queue.Queue[Any], stop: threading.Event) -> Iterator[Any]:
    while not stop.is_set():
        try:
            item = inbox.get(timeout=0.1)
        except queue.Empty:
            continue
        yield item
        if item is _DONE or isinstance(item, _Failed):
            return


def _decoded_chunks(frames: Iterator[tuple[int, Frame]], batch: int) -> Iterator[_Decoded]:
    while True:
        start = time.perf_counter()
        chunk = list(islice(frames, batch))
        if not chunk:
            return
        yield _Decoded(chunk, time.perf_counter() - start)


def track_source_staged(
    source: FrameSource,
    pipeline: Pipeline,
    batch: int = 1,
    results_path: Path | None = None,
    detections_path: Path | None = None,
    max_frames: int | None = None,
    queue_size: int = QUEUE_SIZE,
) -> SourceRun:
    """Like ``tracker.source_tracking.track_source`` (results, detections, timings), with the
    stages overlapped. Stage times are each stage's own busy time per frame; they overlap, so
    they add up to more than the wall time."""
    if pipeline.detector is None:
        raise ValueError("this pipeline has no detector")
    detector = pipeline.detector
    stream = pipeline.new_stream()
    frames: Iterator[tuple[int, Frame]] = iter(source)
    if max_frames is not None:
        frames = islice(frames, max_frames)
    stop = threading.Event()
    decoded: queue.Queue[Any] = queue.Queue(queue_size)
    detected: queue.Queue[Any] = queue.Queue(queue_size)

    def detect(item: _Decoded) -> _Detected:
        start = time.perf_counter()
        found = detector.detect([frame for _, frame in item.frames])
        return _Detected(item.frames, found, item.seconds, time.perf_counter() - start)

    stages = [
        _Stage("decode", decoded, stop, lambda: _decoded_chunks(frames, max(batch, 1)), _same),
        _Stage("detect", detected, stop, lambda: _drain(decoded, stop), detect),
    ]
    run = SourceRun()
    collected: dict[str, list[NDArray[Any]]] = {"tracks": [], "dets": []}
    start = time.perf_counter()
    for stage in stages:
        stage.start()
    try:
        for item in _drain(detected, stop):
            if item is _DONE:
                break
            if isinstance(item, _Failed):
                raise item.error
            _associate(pipeline, stream, item, run, collected)
    finally:
        stop.set()
        for stage in stages:
            stage.join()
    run.wall_seconds = time.perf_counter() - start
    if results_path is not None:
        _write(results_path, collected["tracks"])
    if detections_path is not None:
        _write(detections_path, collected["dets"])
    return run


def _same(item: object) -> object:
    return item


def _associate(
    pipeline: Pipeline,
    stream: StreamState,
    item: _Detected,
    run: SourceRun,
    collected: dict[str, list[NDArray[Any]]],
) -> None:
    results: list[FrameResult] = pipeline.process_detections(
        [
            (stream, frame, dets)
            for (_, frame), dets in zip(item.frames, item.detections, strict=True)
        ]
    )
    share = item.detect_seconds / len(item.frames)
    run.stage_seconds["decode"] += item.decode_seconds
    for (index, _), result in zip(item.frames, results, strict=True):
        run.stage_seconds["detect"] += share
        run.stage_seconds["embed"] += result.times.embed
        run.stage_seconds["track"] += result.times.track
        tracks, dets = result.tracks, result.detections
        run.detections += len(dets)
        run.rows += len(tracks)
        run.track_ids.update(tracks.ids.tolist())
        collected["tracks"].append(_rows(index, tracks.ids, tracks.boxes, tracks.scores))
        collected["dets"].append(_rows(index, np.full(len(dets), -1), dets.boxes, dets.scores))
    run.frames += len(item.frames)


def _rows(index: int, ids: NDArray[Any], boxes: NDArray[Any], scores: NDArray[Any]) -> NDArray[Any]:
    table = np.empty(len(ids), dtype=[("frame", np.int64), ("id", np.int64),
                                      ("box", np.float64, 4), ("score", np.float32)])  # fmt: skip
    table["frame"], table["id"] = index, ids
    table["box"], table["score"] = np.asarray(boxes).reshape(-1, 4), scores
    return table


def _write(path: Path, tables: list[NDArray[Any]]) -> None:
    table = (
        np.concatenate(tables) if tables else _rows(0, np.zeros(0), np.zeros((0, 4)), np.zeros(0))
    )
    write_results(path, table["frame"], table["id"], table["box"], table["score"])
