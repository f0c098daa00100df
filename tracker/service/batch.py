"""Run one batch of frames from many streams through the Pipeline (in the worker thread).

Per batch: decode every image, one detector call for all frames that need detection, the
per-stream filters (class, score), then ``Pipeline.process_detections`` (one embedder call for
all crops, each stream's own tracker) per embedder variant. A frame that fails gets an in-band
error; the others in the batch go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from tracker._proto import tracker_pb2 as pb
from tracker.detect.base import FrameDetections
from tracker.io.codec import FrameError, decode_image
from tracker.pipeline import FrameResult, Pipeline, StageTimes
from tracker.service.metrics import ServiceMetrics
from tracker.service.session import FrameJob
from tracker.service.wire import fill_tracks

log = logging.getLogger(__name__)


class BatchRunner:
    def __init__(self, pipeline: Pipeline, max_pixels: int, metrics: ServiceMetrics) -> None:
        self.pipeline = pipeline
        # Streams that turn the embedder off share the models but skip the embedding.
        self.motion_only = (
            Pipeline(pipeline.detector, None, pipeline.tracker_config)
            if pipeline.embedder is not None
            else pipeline
        )
        self.max_pixels = max_pixels
        self.metrics = metrics

    def warm_up(self) -> None:
        """One call per model, so the first client does not pay for lazy initialisation."""
        if self.pipeline.detector is not None:
            self.pipeline.detector.detect([np.zeros((64, 64, 3), np.uint8)])
        if self.pipeline.embedder is not None:
            self.pipeline.embedder.embed([np.zeros((32, 16, 3), np.uint8)])

    def run(self, jobs: Sequence[FrameJob]) -> list[pb.TrackResponse]:
        start = time.perf_counter()
        n = len(jobs)
        # Frames of a stream that has gone meanwhile are not worth decoding or tracking.
        errors = [job.error or ("stream closed" if job.session.closed else "") for job in jobs]
        images: list[NDArray[np.uint8] | None] = [None] * n
        times = [StageTimes() for _ in jobs]
        for i, job in enumerate(jobs):
            if not errors[i]:
                t0 = time.perf_counter()
                try:
                    images[i] = self._image(job)
                except FrameError as error:
                    errors[i] = str(error)
                times[i].decode = time.perf_counter() - t0

        detections = self._detect(jobs, images, errors, times)
        results: list[FrameResult | None] = [None] * n
        for use_embedder, pipeline in ((True, self.pipeline), (False, self.motion_only)):
            group = [
                i
                for i, job in enumerate(jobs)
                if not errors[i] and job.session.spec.use_embedder == use_embedder
            ]
            if not group:
                continue
            items = [(jobs[i].session.state, images[i], detections[i]) for i in group]
            try:
                for i, result in zip(group, pipeline.process_detections(items), strict=True):
                    results[i] = result
            except Exception as error:  # a model or tracker failure must not kill the server
                log.exception("tracking a batch failed")
                for i in group:
                    errors[i] = f"server failed on this frame: {error}"
        return [
            self._respond(job, results[i], errors[i], times[i], start, n)
            for i, job in enumerate(jobs)
        ]

    def _image(self, job: FrameJob) -> NDArray[np.uint8] | None:
        payload = job.payload
        if payload is None:
            return None
        if payload.encoded is not None:
            if not job.session.spec.needs_image:
                return None  # public detections, motion-only: the pixels are not needed
            return decode_image(payload.encoded, self.max_pixels)
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
            if not job.session.spec.public_detections:
                wanted.append(i)
            elif job.payload is not None and job.payload.detections is not None:
                found[i] = job.payload.detections
        detector = self.pipeline.detector
        if not wanted or detector is None:
            return found
        t0 = time.perf_counter()
        try:
            frames = [image for i in wanted if (image := images[i]) is not None]
            for i, dets in zip(wanted, detector.detect(frames), strict=True):
                found[i] = dets
        except Exception as error:
            log.exception("the detector failed on a batch of %d frames", len(wanted))
            for i in wanted:
                errors[i] = f"detector failed on this frame: {error}"
        share = (time.perf_counter() - t0) / len(wanted)
        for i in wanted:
            times[i].detect = share
        return found

    def _respond(
        self,
        job: FrameJob,
        result: FrameResult | None,
        error: str,
        times: StageTimes,
        batch_start: float,
        batch_size: int,
    ) -> pb.TrackResponse:
        session = job.session
        response = pb.TrackResponse(
            frame_id=job.frame_id,
            timestamp=job.timestamp,
            frames_dropped=session.dropped,
            batch_size=batch_size,
        )
        if result is not None:
            stage = replace(result.times, decode=times.decode, detect=times.detect)
            fill_tracks(response, result.tracks)
            session.live_tracks = session.state.tracker.active_tracks
            if len(result.tracks):
                newest = int(result.tracks.ids.max())
                if newest > session.highest_track_id:
                    self.metrics.tracks_created.inc(
                        int(np.count_nonzero(result.tracks.ids > session.highest_track_id))
                    )
                    session.highest_track_id = newest
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
        return response
