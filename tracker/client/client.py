"""A small synchronous Python client for the Track stream.

    with TrackerClient("localhost:50051") as client:
        for result in client.track(frames, StreamOptions(policy="all")):
            print(result.frame_id, result.track_ids, result.boxes)

``frames`` yields ``ClientFrame``s (or bare BGR arrays, numbered from 1). Arrays are JPEG-encoded
here; bytes are sent as they are (a JPEG file read from disk needs no decode/encode round trip).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

import grpc
import numpy as np
from numpy.typing import NDArray

from tracker._proto import tracker_pb2 as pb
from tracker._proto import tracker_pb2_grpc as pb_grpc
from tracker.client.inflight import InFlight
from tracker.detect.base import FrameDetections

_POLICY = {"latest": pb.DROP_POLICY_LATEST, "all": pb.DROP_POLICY_ALL}
#: Tracker parameters whose None travels as a TrackerParams boolean (the server's
#: ``tracker.service.wire.NONE_FLAGS``, the other way round; the two share only the stubs).
_NONE_FLAGS = {
    "gating_threshold": "disable_motion_gating",
    "appearance_skip_iou": "disable_appearance_skip",
    "report_detection_weight": "learn_report_detection_weight",
}
ImageFormat = Literal["jpeg", "raw"]


@dataclass(frozen=True)
class StreamOptions:
    """What the first message of a stream asks for (see StreamConfig in tracker.proto)."""

    stream_id: str = "client"
    detector: str = ""  # "" = the server's; "public" = send detections with each frame
    embedder: str = ""  # "" = the server's; "none" = motion-only
    classes: Sequence[int] = ()
    min_score: float = 0.0
    tracker: Mapping[str, Any] = field(default_factory=dict)  # DeepSortConfig fields
    policy: Literal["latest", "all"] = "latest"
    fps: float | None = None  # the source's frame rate; the tracker's times are in seconds
    camera_motion: str = ""  # "" = the server's default; "off" or "flow" (needs the images)
    # (width, height) of the frames, for streams that send detections without images
    image_size: tuple[int, int] | None = None

    def to_proto(self) -> pb.StreamConfig:
        params = dict(self.tracker)
        for name, flag in _NONE_FLAGS.items():
            if name in params and params[name] is None:
                del params[name]
                params[flag] = True
        return pb.StreamConfig(
            stream_id=self.stream_id,
            detector=self.detector,
            embedder=self.embedder,
            classes=list(self.classes),
            min_score=self.min_score,
            tracker=pb.TrackerParams(**params),
            drop_policy=_POLICY[self.policy],
            fps=self.fps or 0.0,
            camera_motion=self.camera_motion,
            image_width=self.image_size[0] if self.image_size else 0,
            image_height=self.image_size[1] if self.image_size else 0,
        )


@dataclass(frozen=True)
class ClientFrame:
    frame_id: int
    image: NDArray[np.uint8] | bytes | None = None  # BGR array, or JPEG/PNG file bytes
    detections: FrameDetections | None = None  # public-detection mode
    timestamp: float | None = None  # capture time; default: when it is sent


@dataclass(frozen=True)
class TrackResult:
    frame_id: int
    timestamp: float
    track_ids: NDArray[np.int64]
    boxes: NDArray[np.float64]  # (K, 4) x1, y1, x2, y2
    scores: NDArray[np.float32]
    classes: NDArray[np.int64]
    ages: NDArray[np.int64]
    states: NDArray[np.int64]  # tracker_pb2.TrackState: CONFIRMED, or COASTING (missed)
    timings: dict[str, float]
    frames_dropped: int
    batch_size: int
    error: str
    latency_s: float  # sent -> answer received, measured by this client

    @staticmethod
    def from_proto(response: pb.TrackResponse, latency_s: float) -> TrackResult:
        tracks = response.tracks
        boxes = np.array(
            [(t.box.x1, t.box.y1, t.box.x2, t.box.y2) for t in tracks], np.float64
        ).reshape(-1, 4)
        t = response.timings
        return TrackResult(
            frame_id=response.frame_id,
            timestamp=response.timestamp,
            track_ids=np.array([t.track_id for t in tracks], np.int64),
            boxes=boxes,
            scores=np.array([t.score for t in tracks], np.float32),
            classes=np.array([t.class_id for t in tracks], np.int64),
            ages=np.array([t.age for t in tracks], np.int64),
            states=np.array([t.state for t in tracks], np.int64),
            timings={
                "decode": t.decode,
                "detect": t.detect,
                "embed": t.embed,
                "track": t.track,
                "queue": t.queue,
                "total": t.total,
            },
            frames_dropped=response.frames_dropped,
            batch_size=response.batch_size,
            error=response.error,
            latency_s=latency_s,
        )


def encode_jpeg(image: NDArray[np.uint8], quality: int = 90) -> bytes:
    import cv2

    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"could not JPEG-encode an image of shape {image.shape}")
    return data.tobytes()


def frame_message(
    frame: ClientFrame, jpeg_quality: int = 90, image_format: ImageFormat = "jpeg"
) -> pb.Frame:
    """``image_format`` says how arrays travel: JPEG (small), or raw BGR pixels (lossless)."""
    message = pb.Frame(
        frame_id=frame.frame_id,
        timestamp=time.time() if frame.timestamp is None else frame.timestamp,
    )
    if isinstance(frame.image, bytes):
        message.encoded = frame.image
    elif frame.image is not None and image_format == "raw":
        h, w = frame.image.shape[:2]
        message.raw.CopyFrom(
            pb.RawImage(
                width=w,
                height=h,
                format=pb.PIXEL_FORMAT_BGR8,
                data=np.ascontiguousarray(frame.image, np.uint8).tobytes(),
            )
        )
    elif frame.image is not None:
        message.encoded = encode_jpeg(frame.image, jpeg_quality)
    if frame.detections is not None:
        dets = frame.detections
        message.detections.boxes.extend(np.asarray(dets.boxes, np.float64).ravel().tolist())
        message.detections.scores.extend(np.asarray(dets.scores, np.float32).tolist())
        message.detections.class_ids.extend(np.asarray(dets.classes, np.int64).tolist())
    return message


class TrackerClient:
    def __init__(
        self,
        target: str,
        *,
        tls: bool = False,
        root_certificates: bytes | None = None,
        token: str | None = None,
        max_message_bytes: int = 16 * 1024 * 1024,
        jpeg_quality: int = 90,
        image_format: ImageFormat = "jpeg",
    ) -> None:
        options = [
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.max_receive_message_length", max_message_bytes),
        ]
        if tls:
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self.channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.stub = pb_grpc.TrackerStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.jpeg_quality = jpeg_quality
        self.image_format: ImageFormat = image_format

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.channel.close()

    def info(self, timeout: float = 10.0) -> pb.ServerInfo:
        return self.stub.GetInfo(pb.GetInfoRequest(), timeout=timeout, metadata=self.metadata)

    def track(
        self,
        frames: Iterable[ClientFrame | NDArray[np.uint8]],
        options: StreamOptions | None = None,
        *,
        timeout: float | None = None,
        max_in_flight: int | None = None,
    ) -> Iterator[TrackResult]:
        """Stream ``frames`` and yield one result per answered frame, in frame order.

        ``max_in_flight`` caps the frames sent but neither answered nor dropped. Without it
        the sender runs ahead as far as gRPC's buffers allow (flow-control windows grow to
        megabytes), so under policy ``all`` a fast source queues many frames in transit and
        each answer arrives late; with it, latency is what the server adds.
        Raises ``grpc.RpcError`` when the server ends the call with an error status.
        """
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        send_times: InFlight[float] = InFlight()
        config = (options or StreamOptions()).to_proto()
        window = threading.Semaphore(max_in_flight or 1)
        stop = threading.Event()

        def requests() -> Iterator[pb.TrackRequest]:
            yield pb.TrackRequest(config=config)
            counter = itertools.count(1)
            for item in frames:
                frame = item if isinstance(item, ClientFrame) else ClientFrame(next(counter), item)
                message = frame_message(frame, self.jpeg_quality, self.image_format)
                if max_in_flight is not None:
                    while not window.acquire(timeout=0.5):
                        if stop.is_set():
                            return
                send_times.add(frame.frame_id, time.perf_counter())
                yield pb.TrackRequest(frame=message)

        call = self.stub.Track(requests(), timeout=timeout, metadata=self.metadata)
        dropped = 0
        try:
            for response in call:
                if max_in_flight is not None:  # answered, plus any dropped meanwhile
                    window.release(1 + response.frames_dropped - dropped)
                dropped = response.frames_dropped
                sent = send_times.pop(response.frame_id)
                latency = time.perf_counter() - sent if sent is not None else float("nan")
                yield TrackResult.from_proto(response, latency)
        finally:
            stop.set()
            call.cancel()  # a consumer that stops early ends the call (and frees the session)


def check_health(
    target: str,
    *,
    timeout: float = 5.0,
    tls: bool = False,
    root_certificates: bytes | None = None,
    service: str = "",
) -> bool:
    """True if the server reports SERVING for ``service`` ("" = overall)."""
    status = health_status(
        target, timeout=timeout, tls=tls, root_certificates=root_certificates, service=service
    )
    return status == "SERVING"


HealthStatus = Literal["SERVING", "NOT_SERVING", "SERVICE_UNKNOWN", "UNREACHABLE"]


def health_status(
    target: str,
    *,
    timeout: float = 5.0,
    tls: bool = False,
    root_certificates: bytes | None = None,
    service: str = "",
) -> HealthStatus:
    """What the standard health service says for ``service`` ("" = overall): ``SERVING``,
    ``NOT_SERVING`` (up, but loading its models or shutting down), ``SERVICE_UNKNOWN`` (no
    such service), or ``UNREACHABLE`` (nothing answered: not listening, timed out, TLS
    mismatch)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    if tls:
        credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
        channel = grpc.secure_channel(target, credentials)
    else:
        channel = grpc.insecure_channel(target)
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as error:
            code = error.code()
            return "SERVICE_UNKNOWN" if code == grpc.StatusCode.NOT_FOUND else "UNREACHABLE"
    if reply.status == health_pb2.HealthCheckResponse.SERVING:
        return "SERVING"
    return "NOT_SERVING"
