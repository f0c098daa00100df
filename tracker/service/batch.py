"""Run one batch of frames from many streams through the Pipeline (in the model thread).

Per batch: decode every image, one detector call for all frames that need detection, the
per-stream filters (class, score) and limits (detections per frame, tracks per stream), one
embedder call for all crops (``Pipeline.embed``), then each stream's own tracker
(``Pipeline.track``).

A frame's failure is that frame's only. Every input was checked at the boundary (``wire``),
in the dtypes the models use; if a batched model call fails anyway, it is retried frame by
frame, so only the frames that fail on their own get an error; and each tracker update is
its own call. No model call is retried after a tracker was updated, so no stream is ever
updated twice with one frame.

The runner never touches a ``Session`` (the event loop's): it reads each job's immutable
``spec`` and its stream ``state`` (the model thread's own) and returns, per job, the
response and a ``FrameOutcome`` for the loop to apply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from tracker._proto import tracker_pb2 as pb
from tracker.core.warmup import compile_kernels
from tracker.detect.base import FrameDetections
from tracker.io.codec import FrameError, decode_image
from tracker.pipeline import FrameResult, Pipeline, StageTimes, StreamState
from tracker.service.logs import TracebackLimiter, safe_text
from tracker.service.metrics import ServiceMetrics
from tracker.service.session import FrameJob, FrameOutcome
from tracker.service.wire import fill_tracks

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
Item = tuple[StreamState, NDArray[np.uint8] | None, FrameDetections]
Embedded = tuple[FrameDetections, NDArray[np.float32] | None, float]


@dataclass(frozen=True)
class BatchLimits:
    max_pixels: int
    max_detections: int = 1000
    max_tracks: int = 1000


@dataclass
class Prepared:
    """A batch between its two halves: decoded frames and their detections."""

    jobs: list[FrameJob]
    images: list[NDArray[np.uint8] | None]
    detections: list[FrameDetections]
    errors: list[str]
    times: list[StageTimes]
    start: float


class BatchRunner:
    def __init__(
        self,
        pipeline: Pipeline,
        limits: BatchLimits,
        metrics: ServiceMetrics,
        errors: TracebackLimiter | None = None,
    ) -> None:
        self.pipeline = pipeline
        # Streams that turn the embedder off share the models but skip the embedding.
        self.motion_only = (
            Pipeline(pipeline.detector, None, pipeline.tracker_config)
            if pipeline.embedder is not None
            else pipeline
        )
        self.limits = limits
        self.metrics = metrics
        self.errors = errors or TracebackLimiter()

    def warm_up(self) -> None:
        """One call per model, and the tracker's kernels compiled (or loaded from numba's
        cache), so the first client does not pay for lazy initialisation."""
        compile_kernels(self.pipeline.tracker_config)
        if self.pipeline.detector is not None:
            self.pipeline.detector.detect([np.zeros((64, 64, 3), np.uint8)])
        if self.pipeline.embedder is not None:
            self.pipeline.embedder.embed([np.zeros((32, 16, 3), np.uint8)])

    def run(self, jobs: Sequence[FrameJob]) -> list[tuple[pb.TrackResponse, FrameOutcome]]:
        """Both halves, one after the other (``prepare`` then ``finish``)."""
        return self.finish(self.prepare(jobs))

    def prepare(self, jobs: Sequence[FrameJob]) -> Prepared:
        """The stateless half: decode, then one detector call for the batch. It touches no
        tracker, so the scheduler may run it for the next batch while ``finish`` runs."""
        start = time.perf_counter()
        n = len(jobs)
        errors = [job.error for job in jobs]
        images: list[NDArray[np.uint8] | None] = [None] * n
        times = [StageTimes() for _ in jobs]
        for i, job in enumerate(jobs):
            if not errors[i]:
                t0 = time.perf_counter()
                try:
                    images[i] = self._image(job)
                except FrameError as error:
                    errors[i] = str(error)
                except Exception as error:  # a decoder bug must not fail the batch
                    errors[i] = self._failed("decoding a frame", error)
                times[i].decode = time.perf_counter() - t0

        detections = self._detect(jobs, images, errors, times)
        return Prepared(list(jobs), images, detections, errors, times, start)

    def finish(self, prepared: Prepared) -> list[tuple[pb.TrackResponse, FrameOutcome]]:
        """The stateful half: embed and update each stream's tracker, then the responses.
        Batches must be finished in the order they were prepared (a stream's frames reach
        its tracker in order)."""
        jobs, images, detections = prepared.jobs, prepared.images, prepared.detections
        errors, times, start, n = prepared.errors, prepared.times, prepared.start, len(jobs)
        results: list[FrameResult | None] = [None] * n
        for use_embedder, pipeline in ((True, self.pipeline), (False, self.motion_only)):
            group = [
                i
                for i, job in enumerate(jobs)
                if not errors[i] and job.spec.use_embedder == use_embedder
            ]
            if group:
                items = [
                    (jobs[i].state, images[i], self._limit(detections[i], jobs[i])) for i in group
                ]
                self._track(pipeline, group, items, results, errors)
        return [
            self._respond(job, results[i], errors[i], times[i], start, n)
            for i, job in enumerate(jobs)
        ]

    def _image(self, job: FrameJob) -> NDArray[np.uint8] | None:
        payload = job.payload
        if payload is None:
            return None
        if payload.encoded is not None:
            if not job.spec.needs_image:
                return None  # public detections, motion-only: the pixels are not needed
            return decode_image(payload.encoded, self.limits.max_pixels)
        return payload.pixels

    def _detect(
        self,
        jobs: Sequence[FrameJob],
        images: list[NDArray[np.uint8] | None],
        errors: list[str],
        times: list[StageTimes],
    ) -> list[FrameDetections]:
        """Client detections where the stream sends them, one detector call for the rest."""
        found = [FrameDetections.empty() for _ in jobs]
        wanted = []
        for i, job in enumerate(jobs):
            if errors[i]:
                continue
            if not job.spec.public_detections:
                wanted.append(i)
            elif job.payload is not None and job.payload.detections is not None:
                found[i] = job.payload.detections
        detector = self.pipeline.detector
        frames = [image for i in wanted if (image := images[i]) is not None]
        wanted = [i for i in wanted if images[i] is not None]
        if not wanted or detector is None:
            return found
        t0 = time.perf_counter()
        outputs = self._each(
            "the detector", wanted, frames, lambda batch: detector.detect(batch), errors
        )
        for i, dets in outputs.items():
            found[i] = dets
        share = (time.perf_counter() - t0) / len(wanted)
        for i in wanted:
            times[i].detect = share
        return found

    def _limit(self, dets: FrameDetections, job: FrameJob) -> FrameDetections:
        """The stream's detection filter (classes, score floor; ``Pipeline.embed`` takes
        filtered detections), then the server's limits: at most ``max_detections``, and never
        more than could start tracks beyond ``max_tracks`` (a stream at its limit keeps only
        as many of its best detections as it has room)."""
        dets = job.state.filter.apply(dets)
        live = job.state.tracker.active_tracks
        room = max(min(self.limits.max_detections, self.limits.max_tracks - live), 0)
        if len(dets) <= room:
            return dets
        reason = "max_tracks" if room < self.limits.max_detections else "max_detections"
        self.metrics.detections_cut.labels(reason).inc(len(dets) - room)
        best = np.sort(np.argsort(-dets.scores, kind="stable")[:room])
        return FrameDetections(dets.boxes[best], dets.scores[best], dets.classes[best])

    def _track(
        self,
        pipeline: Pipeline,
        group: list[int],
        items: list[Item],
        results: list[FrameResult | None],
        errors: list[str],
    ) -> None:
        """One embedder call for the group (frame by frame if it fails), then one tracker
        update per frame, each failing alone."""

        def embed(batch: Sequence[Item]) -> list[Embedded]:
            features, seconds = pipeline.embed(batch)
            return [(dets, f, seconds) for (_, _, dets), f in zip(batch, features, strict=True)]

        embedded = self._each("the embedder", group, items, embed, errors)
        for i, (state, image, _) in zip(group, items, strict=True):
            if i not in embedded:
                continue
            dets, features, seconds = embedded[i]
            try:
                results[i] = pipeline.track(state, dets, features, seconds, image)
            except Exception as error:
                errors[i] = self._failed("the tracker", error)

    def _each(
        self,
        what: str,
        index: list[int],
        inputs: Sequence[T],
        call: Callable[[Sequence[T]], Sequence[R]],
        errors: list[str],
    ) -> dict[int, R]:
        """``call`` on the whole batch; if it fails, on each input alone, so one bad input
        costs only its own frame. Returns the outputs by frame index."""
        try:
            outputs = call(inputs)
            if len(outputs) != len(inputs):
                raise RuntimeError(f"{what} returned {len(outputs)} results for {len(inputs)}")
            return dict(zip(index, outputs, strict=True))
        except Exception as error:
            if len(inputs) == 1:
                errors[index[0]] = self._failed(what, error)
                return {}
            log.warning(
                "%s failed on a batch of %d frames; retrying them one by one: %s",
                what,
                len(inputs),
                safe_text(str(error), 200),
            )
        done: dict[int, R] = {}
        for i, one in zip(index, inputs, strict=True):
            try:
                (done[i],) = call([one])
            except Exception as error:
                errors[i] = self._failed(what, error)
        return done

    def _failed(self, what: str, error: Exception) -> str:
        """Log an unexpected failure (tracebacks rate-limited); the in-band error text."""
        self.errors.error(log, f"{what} failed on a frame", error)
        return f"server failed on this frame ({what}): {safe_text(str(error), 200)}"

    def _respond(
        self,
        job: FrameJob,
        result: FrameResult | None,
        error: str,
        times: StageTimes,
        batch_start: float,
        batch_size: int,
    ) -> tuple[pb.TrackResponse, FrameOutcome]:
        response = pb.TrackResponse(
            frame_id=job.frame_id, timestamp=job.timestamp, batch_size=batch_size
        )
        outcome = FrameOutcome()
        if result is not None:
            stage = replace(result.times, decode=times.decode, detect=times.detect)
            fill_tracks(response, result.tracks)
            outcome = FrameOutcome(job.state.tracker.active_tracks, result.tracks.ids)
            self.metrics.frames.labels("tracked").inc()
        else:
            stage = times
            response.error = error or "frame was not processed"
            self.metrics.frames.labels("error").inc()
        queue = batch_start - job.received
        total = time.perf_counter() - job.received
        timings = {**stage.as_dict(), "queue": queue, "total": total}
        response.timings.CopyFrom(pb.StageTimings(**timings))
        self.metrics.observe_stages(timings)
        return response, outcome
