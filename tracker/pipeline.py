"""Frames -> detect -> crop + embed -> track, batched across streams.

The detector and the embedder are the expensive parts and both run fastest on batches, so a
call to ``Pipeline.process`` takes frames from any number of streams at once: one detector
call for all frames, one embedder call for all crops of all frames, then each stream's own
tracker is updated with its own frame. The service's scheduler builds those batches; offline
tracking simply passes batches of one stream.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from tracker.core import DeepSort, DeepSortConfig, Tracks
from tracker.detect.base import Detector, FrameDetections
from tracker.motion import DEFAULT_CAMERA_MOTION, build_camera_motion
from tracker.reid.base import Embedder, crop_boxes

if TYPE_CHECKING:
    from tracker.motion.flow import FlowCameraMotion


@dataclass
class StageTimes:
    """Seconds spent per stage for one frame; batched stages are split evenly over the batch."""

    decode: float = 0.0
    detect: float = 0.0
    embed: float = 0.0
    track: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "decode": self.decode,
            "detect": self.detect,
            "embed": self.embed,
            "track": self.track,
        }


@dataclass(frozen=True)
class FrameResult:
    tracks: Tracks
    detections: FrameDetections
    times: StageTimes


@dataclass(frozen=True)
class DetectionFilter:
    """A stream's choice of detections: the classes it wants and a score floor.

    The one filter applied before the tracker (whose own score thresholds then decide how
    each kept detection is used). Scores are kept where ``score >= min_score``.
    """

    classes: tuple[int, ...] | None = None
    min_score: float = 0.0

    def apply(self, dets: FrameDetections) -> FrameDetections:
        if len(dets) == 0 or (self.classes is None and self.min_score <= 0):
            return dets
        keep = dets.scores >= self.min_score
        if self.classes is not None:
            keep &= np.isin(dets.classes, self.classes)
        return FrameDetections(dets.boxes[keep], dets.scores[keep], dets.classes[keep])


@dataclass
class StreamState:
    """What one stream owns: its tracker (and so its own ID space), its detection filter,
    its camera-motion estimator (``None``: no compensation) and its frame count."""

    tracker: DeepSort
    filter: DetectionFilter = field(default_factory=DetectionFilter)
    frames: int = 0
    camera: FlowCameraMotion | None = None


class Pipeline:
    """Shared models, per-stream trackers.

    ``detector`` may be ``None`` for public-detection mode (``process_detections``);
    ``embedder`` ``None`` runs the tracker motion-only.
    """

    def __init__(
        self,
        detector: Detector | None,
        embedder: Embedder | None,
        tracker_config: DeepSortConfig | None = None,
    ) -> None:
        self.detector = detector
        self.embedder = embedder
        self.tracker_config = tracker_config or DeepSortConfig()

    def new_stream(
        self,
        tracker_config: DeepSortConfig | None = None,
        detection_filter: DetectionFilter | None = None,
        frame_rate: float | None = None,
        camera_motion: str = DEFAULT_CAMERA_MOTION,
        image_size: tuple[float, float] | None = None,
    ) -> StreamState:
        """A stream's own state; ``frame_rate`` (the source's fps, None if unknown) turns the
        tracker's times in seconds into frames; ``camera_motion`` (``tracker.motion``'s
        ``CAMERA_MOTION_MODES``) says whether the stream's frames move its tracks with the
        camera (then every ``track`` call needs the frame). ``image_size`` (width, height) is
        for streams that send no frames; a frame's own size replaces it."""
        config = self.resolve_config(tracker_config or self.tracker_config)
        tracker = DeepSort(config, frame_rate=frame_rate, image_size=image_size)
        camera = build_camera_motion(camera_motion)
        return StreamState(tracker, detection_filter or DetectionFilter(), camera=camera)

    def resolve_config(self, config: DeepSortConfig) -> DeepSortConfig:
        """Fill in what depends on the embedder: an unset appearance gate takes its
        calibrated ``match_distance``."""
        if config.max_appearance_distance is None and self.embedder is not None:
            return replace(config, max_appearance_distance=self.embedder.match_distance)
        return config

    def process(self, batch: Sequence[tuple[StreamState, NDArray[np.uint8]]]) -> list[FrameResult]:
        """Detect, embed and track one frame per item (items may share a stream, in order)."""
        if self.detector is None:
            raise ValueError("this pipeline has no detector; use process_detections")
        if not batch:
            return []
        frames = [frame for _, frame in batch]
        start = time.perf_counter()
        detections = self.detector.detect(frames)
        detect_time = (time.perf_counter() - start) / len(batch)
        items = [
            (stream, frame, dets) for (stream, frame), dets in zip(batch, detections, strict=True)
        ]
        results = self.process_detections(items)
        for result in results:
            result.times.detect = detect_time
        return results

    def process_detections(
        self,
        batch: Sequence[tuple[StreamState, NDArray[np.uint8] | None, FrameDetections]],
    ) -> list[FrameResult]:
        """Embed and track given detections (public-detection mode, or after ``detect``).

        A frame is needed only when there is an embedder, to cut the crops from.
        """
        kept = [(stream, frame, stream.filter.apply(dets)) for stream, frame, dets in batch]
        features, embed_time = self.embed(kept)
        return [
            self.track(stream, dets, feats, embed_time, frame)
            for (stream, frame, dets), feats in zip(kept, features, strict=True)
        ]

    def embed(
        self,
        batch: Sequence[tuple[StreamState, NDArray[np.uint8] | None, FrameDetections]],
    ) -> tuple[list[NDArray[np.float32] | None], float]:
        """One embedder call for the whole batch of (already filtered) detections, no
        tracker touched: their features, and the embedding seconds per item.

        Split from ``track`` so that a caller batching many streams (the service) can retry
        a failed batch item by item without updating any tracker twice.
        """
        start = time.perf_counter()
        features = self._embed_all(
            [frame for _, frame, _ in batch],
            [dets for _, _, dets in batch],
            [stream.tracker for stream, _, _ in batch],
        )
        return features, (time.perf_counter() - start) / max(len(batch), 1)

    def track(
        self,
        stream: StreamState,
        detections: FrameDetections,
        features: NDArray[np.float32] | None,
        embed_time: float = 0.0,
        frame: NDArray[np.uint8] | None = None,
    ) -> FrameResult:
        """Update one stream's tracker with one frame's (filtered, embedded) detections.

        A stream with a camera-motion estimator measures the camera's motion from ``frame``
        here, the one call made exactly once per frame and in order (embedding may be
        retried), and moves its tracks with it; its cost counts as tracking time. The
        appearance skip (``embed``) decided on the uncompensated prediction: at worst a
        detection is embedded that need not have been, or one is left without features and
        matched on motion alone."""
        start = time.perf_counter()
        if frame is not None:  # the tracker drops tracks that leave the image
            size = (frame.shape[1], frame.shape[0])
            if stream.tracker.image_size != size:
                stream.tracker.image_size = size
        motion = None
        if stream.camera is not None:
            if frame is None:
                raise ValueError("this stream compensates camera motion; it needs the frame")
            motion = stream.camera.estimate(frame, detections.boxes)
        tracks = stream.tracker.update(
            detections.boxes, detections.scores, detections.classes, features, motion
        )
        stream.frames += 1
        times = StageTimes(embed=embed_time, track=time.perf_counter() - start)
        return FrameResult(tracks, detections, times)

    def _embed_all(
        self,
        frames: Sequence[NDArray[np.uint8] | None],
        detections: Sequence[FrameDetections],
        trackers: Sequence[DeepSort],
    ) -> list[NDArray[np.float32] | None]:
        """One embedder call for the crops of every frame in the batch, split back per frame.

        Only detections whose appearance the tracker will use are embedded (it says which,
        ``DeepSort.detections_needing_appearance``: confident detections whose match is not
        already unambiguous by motion); the other rows stay zero, which the tracker treats
        as "no appearance". Embedding is the most expensive stage; on PETS09 with YOLOv5n and
        OSNet this embeds about 40% of the detections the tracker could look at
        (benchmarks/results/appearance_skip.md). A stream with several frames in one batch
        asks for its first frame only (the later ones are predicted from a state the
        earlier frames will change) and embeds every confident detection of the others.
        """
        if self.embedder is None:
            return [None] * len(detections)
        crops: list[NDArray[np.uint8]] = []
        wanted: list[NDArray[np.bool_]] = []
        asked: set[int] = set()
        for frame, dets, tracker in zip(frames, detections, trackers, strict=True):
            if frame is None:
                raise ValueError("an embedder needs the frame to cut crops from; got None")
            if id(tracker) in asked:
                used = tracker.uses_appearance(dets.scores)
            else:
                asked.add(id(tracker))
                used = tracker.detections_needing_appearance(dets.boxes, dets.scores, dets.classes)
            wanted.append(used)
            crops.extend(crop_boxes(frame, dets.boxes[used]))
        embedded = (
            self.embedder.embed(crops) if crops else np.zeros((0, self.embedder.dim), np.float32)
        )
        features = np.zeros((sum(len(d) for d in detections), self.embedder.dim), np.float32)
        features[np.concatenate(wanted) if wanted else np.zeros(0, bool)] = embedded
        splits = np.cumsum([len(d) for d in detections])[:-1]
        return list(np.split(features, splits))
