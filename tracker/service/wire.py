"""Protobuf messages <-> our types, validated at the boundary with messages a client can act on.

A bad config raises ``ConfigError`` (the call ends with INVALID_ARGUMENT); a bad frame raises
``FrameError`` (answered in-band, the stream goes on). Everything a frame carries is checked
here, in the dtypes the models and the tracker will use, before it can join a batch with other
streams' frames: a value that is finite as a double but infinite as float32 fails here, for
its own frame only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from tracker._proto import tracker_pb2 as pb
from tracker.core import DeepSortConfig, Detections, Tracks
from tracker.core.deepsort import MAX_FRAME_RATE, MAX_IMAGE_SIDE
from tracker.detect.base import FrameDetections
from tracker.io.codec import FrameError, check_pixels, image_size, raw_to_bgr
from tracker.motion import CAMERA_MOTION_MODES, DEFAULT_CAMERA_MOTION
from tracker.pipeline import DetectionFilter
from tracker.service.logs import safe_text

PUBLIC_DETECTOR = "public"
NO_EMBEDDER = "none"
Policy = Literal["latest", "all"]
_POLICIES: dict[int, Policy] = {
    pb.DROP_POLICY_UNSPECIFIED: "latest",
    pb.DROP_POLICY_LATEST: "latest",
    pb.DROP_POLICY_ALL: "all",
}
_PIXEL_FORMATS = {
    pb.PIXEL_FORMAT_UNSPECIFIED: "bgr8",
    pb.PIXEL_FORMAT_BGR8: "bgr8",
    pb.PIXEL_FORMAT_RGB8: "rgb8",
    pb.PIXEL_FORMAT_GRAY8: "gray8",
}


class ConfigError(ValueError):
    """A StreamConfig the server cannot honour."""


@dataclass(frozen=True)
class StreamSpec:
    """A validated StreamConfig."""

    stream_id: str
    public_detections: bool
    use_embedder: bool
    classes: NDArray[np.int64] | None
    min_score: float
    tracker: DeepSortConfig
    policy: Policy
    fps: float | None = None
    camera_motion: str = DEFAULT_CAMERA_MOTION
    image_size: tuple[int, int] | None = None  # for streams without images

    @property
    def needs_image(self) -> bool:
        return not self.public_detections or self.use_embedder or self.compensates_camera

    @property
    def compensates_camera(self) -> bool:
        return self.camera_motion != "off"

    @property
    def detection_filter(self) -> DetectionFilter:
        classes = None if self.classes is None else tuple(int(c) for c in self.classes)
        return DetectionFilter(classes, self.min_score)


@dataclass(frozen=True)
class FramePayload:
    """What a Frame carried, checked but not yet decoded (decoding runs in the worker)."""

    encoded: bytes | None
    pixels: NDArray[np.uint8] | None
    detections: FrameDetections | None


def spec_from_config(
    config: pb.StreamConfig,
    detector_name: str | None,
    embedder_name: str | None,
    default_tracker: DeepSortConfig,
    max_gallery_budget: int | None = None,
) -> StreamSpec:
    """Check a StreamConfig against what this server runs. ``max_gallery_budget`` bounds
    the features kept per track of streams that use the embedder (the server derives it from
    its memory limit); motion-only streams keep no features."""
    detector = config.detector.strip()
    if detector == PUBLIC_DETECTOR:
        public = True
    elif detector_name is not None and (detector == "" or _same_model(detector, detector_name)):
        public = False
    elif detector_name is None:
        raise ConfigError(
            f"this server runs no detector; set detector to {PUBLIC_DETECTOR!r} and send "
            "detections with each frame"
        )
    else:
        raise ConfigError(
            f"unknown detector {safe_text(detector)!r}; this server runs {detector_name!r} "
            f"(or use {PUBLIC_DETECTOR!r} to send your own detections)"
        )
    embedder = config.embedder.strip()
    if embedder == NO_EMBEDDER:
        use_embedder = False
    elif embedder == "":
        use_embedder = embedder_name is not None
    elif embedder_name is not None and _same_model(embedder, embedder_name):
        use_embedder = True
    else:
        runs = repr(embedder_name) if embedder_name else "no embedder"
        raise ConfigError(
            f"unknown embedder {safe_text(embedder)!r}; this server runs {runs} (or 'none')"
        )
    if not 0.0 <= config.min_score <= 1.0:  # NaN fails this too
        raise ConfigError(f"min_score must be in [0, 1], got {config.min_score}")
    if config.drop_policy not in _POLICIES:
        raise ConfigError(f"unknown drop_policy {config.drop_policy}")
    if not (config.fps == 0 or 0 < config.fps <= MAX_FRAME_RATE):  # NaN fails this too
        raise ConfigError(
            f"fps must be 0 (unknown) or in (0, {MAX_FRAME_RATE:g}], got {config.fps}"
        )
    width, height = config.image_width, config.image_height
    if (width == 0) != (height == 0) or not (
        0 <= width <= MAX_IMAGE_SIDE and 0 <= height <= MAX_IMAGE_SIDE
    ):
        raise ConfigError(
            f"image_width and image_height must both be 0 (unknown) or both in (0, "
            f"{MAX_IMAGE_SIDE:g}] pixels, got {width} x {height}"
        )
    camera_motion = config.camera_motion.strip() or DEFAULT_CAMERA_MOTION
    if camera_motion not in CAMERA_MOTION_MODES:
        raise ConfigError(
            f"unknown camera_motion {safe_text(camera_motion)!r}; expected one of "
            f"{', '.join(CAMERA_MOTION_MODES)} (or empty for the server's default, "
            f"{DEFAULT_CAMERA_MOTION!r})"
        )
    classes = np.asarray(config.classes, np.int64) if len(config.classes) else None
    tracker = tracker_config(config.tracker, default_tracker)
    too_big = max_gallery_budget is not None and tracker.gallery_budget > max_gallery_budget
    if use_embedder and too_big:
        raise ConfigError(
            f"tracker.gallery_budget {tracker.gallery_budget} is over this server's limit of "
            f"{max_gallery_budget} features per track (--max-gallery-mib per stream over "
            "--max-tracks tracks)"
        )
    return StreamSpec(
        stream_id=safe_text(config.stream_id) or "unnamed",
        public_detections=public,
        use_embedder=use_embedder,
        classes=classes,
        min_score=float(config.min_score),
        tracker=tracker,
        policy=_POLICIES[config.drop_policy],
        fps=float(config.fps) or None,
        camera_motion=camera_motion,
        image_size=(width, height) if width else None,
    )


def _same_model(requested: str, running: str) -> bool:
    """``yolov5`` names the running ``yolov5:yolov5n.state_dict.pt`` (family before ':')."""
    return requested in (running, running.partition(":")[0])


#: TrackerParams booleans that set a DeepSortConfig field to None (a wire double cannot be
#: None; the client's ``StreamOptions.to_proto`` keeps the same table the other way round).
NONE_FLAGS = {
    "disable_motion_gating": "gating_threshold",
    "disable_appearance_skip": "appearance_skip_iou",
    "learn_report_detection_weight": "report_detection_weight",
}


def tracker_config(params: pb.TrackerParams, default: DeepSortConfig) -> DeepSortConfig:
    """Set fields of TrackerParams over the server's defaults, validated by DeepSortConfig."""
    values: dict[str, object] = {
        f.name: getattr(default, f.name) for f in default.__dataclass_fields__.values()
    }
    for field, value in params.ListFields():
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"tracker.{field.name} must be a finite number, got {value}")
        if isinstance(value, str):
            value = safe_text(value)
        if field.name in NONE_FLAGS:
            if value:
                values[NONE_FLAGS[field.name]] = None
        else:
            values[field.name] = value
    try:
        return DeepSortConfig.from_dict(values)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"bad tracker parameters: {error}") from None


def payload_from_frame(
    frame: pb.Frame, spec: StreamSpec, max_pixels: int, max_detections: int = 1000
) -> FramePayload:
    """Cheap checks on the event loop; the pixel limit is applied before any decoding."""
    kind = frame.WhichOneof("image")
    encoded = None
    pixels = None
    if kind == "encoded":
        width, height = image_size(frame.encoded)
        check_pixels(width, height, max_pixels)
        encoded = frame.encoded
    elif kind == "raw":
        raw = frame.raw
        if raw.format not in _PIXEL_FORMATS:
            raise FrameError(f"unknown raw pixel format {raw.format}")
        pixels = raw_to_bgr(raw.data, raw.width, raw.height, _PIXEL_FORMATS[raw.format], max_pixels)
    elif spec.needs_image:
        if not spec.public_detections:
            why = "the detector"
        elif spec.use_embedder:
            why = "the embedder (to cut crops)"
        else:
            why = f"camera_motion {spec.camera_motion!r}"
        raise FrameError(f"frame has no image, but {why} needs one")
    detections = None
    if spec.public_detections:
        detections = detections_from_proto(frame.detections, max_detections)
    elif frame.HasField("detections"):
        raise FrameError("frame carries detections, but the stream's detector is not 'public'")
    return FramePayload(encoded, pixels, detections)


def detections_from_proto(message: pb.Detections, max_detections: int = 1000) -> FrameDetections:
    """Client detections as the tracker will get them (float32), checked by the tracker's own
    validation on exactly those arrays, so nothing that passes can fail a batch later."""
    if len(message.boxes) % 4:
        raise FrameError(
            f"detections.boxes needs 4 values per box, got {len(message.boxes)} values"
        )
    n = len(message.boxes) // 4
    if n > max_detections:
        raise FrameError(
            f"{n} detections in one frame is over the server's limit of {max_detections}"
        )
    with np.errstate(over="ignore", invalid="ignore"):  # too big for float32: inf, caught below
        boxes = np.asarray(message.boxes, np.float64).astype(np.float32).reshape(n, 4)
        scores = np.asarray(message.scores, np.float64).astype(np.float32)
    classes = np.asarray(message.class_ids, np.int64) if len(message.class_ids) else None
    if not np.isfinite(boxes).all():
        bad = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
        raw = list(message.boxes[4 * bad : 4 * bad + 4])
        raise FrameError(f"bad detections: box {bad} is not finite as float32: {raw}")
    try:
        checked = Detections.from_arrays(boxes, scores, classes)
    except ValueError as error:
        raise FrameError(f"bad detections: {safe_text(str(error), 200)}") from None
    keep = checked.index  # boxes the tracker would drop (zero area) are left out, in order
    return FrameDetections(
        boxes[keep],
        scores[keep],
        (np.zeros(n, np.int64) if classes is None else classes)[keep],
    )


def fill_tracks(response: pb.TrackResponse, tracks: Tracks) -> None:
    """One Track message per track (the contract is readable messages, not packed columns)."""
    boxes = tracks.boxes.tolist()
    states = np.where(
        tracks.detection_index >= 0, pb.TRACK_STATE_CONFIRMED, pb.TRACK_STATE_COASTING
    ).tolist()
    for track_id, box, score, class_id, state, age in zip(
        tracks.ids.tolist(),
        boxes,
        tracks.scores.tolist(),
        tracks.classes.tolist(),
        states,
        tracks.ages.tolist(),
        strict=True,
    ):
        response.tracks.add(
            track_id=track_id,
            box=pb.Box(x1=box[0], y1=box[1], x2=box[2], y2=box[3]),
            score=score,
            class_id=class_id,
            state=state,
            age=age,
        )
