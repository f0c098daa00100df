"""Shared pieces of the service tests: a real detector for synthetic frames, settings for
servers on 127.0.0.1 free ports, and synthetic moving-box videos."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tracker.core import DeepSortConfig
from tracker.detect.base import FrameDetections
from tracker.pipeline import Pipeline
from tracker.service.settings import ServerSettings

# Saturated colours that survive JPEG compression with a tolerance of 60 per channel.
PALETTE = np.array(
    [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)],
    np.int16,
)


class ColourBoxDetector:
    """Finds solid rectangles of the palette colours on a dark background.

    A real ``Detector``: it reads the pixels (so decode errors, sizes and batching are
    exercised end to end) and is deterministic. ``delay_s`` sleeps per call to imitate a
    model's fixed cost per batch.
    """

    name = "colour-boxes"

    def __init__(self, delay_s: float = 0.0, tolerance: int = 60) -> None:
        self.delay_s = delay_s
        self.tolerance = tolerance
        self.calls: list[int] = []  # batch size of each call

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[FrameDetections]:
        import time

        self.calls.append(len(frames))
        if self.delay_s:
            time.sleep(self.delay_s)
        return [self._detect_one(frame) for frame in frames]

    def _detect_one(self, frame: NDArray[np.uint8]) -> FrameDetections:
        pixels = frame.astype(np.int16)
        # (K, H, W): which pixels are within tolerance of each palette colour
        near = (np.abs(pixels[None] - PALETTE[:, None, None, :]) < self.tolerance).all(axis=3)
        rows = near.sum(axis=2) >= 3  # (K, H): rows with a few pixels of that colour
        cols = near.sum(axis=1) >= 3
        present = rows.any(axis=1) & cols.any(axis=1)
        k = np.flatnonzero(present)
        if len(k) == 0:
            return FrameDetections.empty()
        h, w = frame.shape[:2]
        y1 = rows[k].argmax(axis=1)
        y2 = h - rows[k][:, ::-1].argmax(axis=1)
        x1 = cols[k].argmax(axis=1)
        x2 = w - cols[k][:, ::-1].argmax(axis=1)
        boxes = np.stack([x1, y1, x2, y2], axis=1).astype(np.float32)
        return FrameDetections(boxes, np.full(len(k), 0.9, np.float32), np.zeros(len(k), np.int64))


@dataclass(frozen=True)
class MovingBoxes:
    """Frames with ``n`` coloured boxes moving in straight lines (deterministic)."""

    n: int = 3
    width: int = 320
    height: int = 240
    size: int = 40

    def frame(self, t: int) -> NDArray[np.uint8]:
        image = np.zeros((self.height, self.width, 3), np.uint8)
        for x1, y1, x2, y2, colour in self.boxes(t):
            image[y1:y2, x1:x2] = colour
        return image

    def boxes(self, t: int) -> list[tuple[int, int, int, int, tuple[int, ...]]]:
        out = []
        for i in range(self.n):
            x = 10 + (i * 90 + 2 * t) % (self.width - self.size - 20)
            y = 20 + i * (self.height - self.size - 40) // max(self.n, 1)
            colour = tuple(int(c) for c in PALETTE[i % len(PALETTE)])
            out.append((x, y, x + self.size, y + self.size, colour))
        return out


def make_pipeline(delay_s: float = 0.0) -> Pipeline:
    """Colour-box detector, motion-only, confirm after 2 hits."""
    return Pipeline(ColourBoxDetector(delay_s), None, DeepSortConfig(n_init=2))


def make_settings(**overrides: Any) -> ServerSettings:
    base = ServerSettings(
        host="127.0.0.1", port=0, metrics_port=0, max_wait_ms=2.0, idle_timeout_s=30.0
    )
    return replace(base, **overrides)


class _FedRequests:
    """Requests the test feeds one by one into an open call; ``None`` half-closes it."""

    def __init__(self) -> None:
        import queue

        self._requests: queue.Queue[Any] = queue.Queue()

    def _iterate(self) -> Any:
        while True:
            item = self._requests.get(timeout=30)
            if item is None:
                return
            yield item

    def close(self) -> None:
        self._requests.put(None)


class HeldStream(_FedRequests):
    """A Track call whose requests the test feeds one by one (the call stays open meanwhile).

    ``close()`` half-closes the request side; ``cancel()`` drops the call like a vanished
    client would.
    """

    def __init__(self, stub: Any, config: Any) -> None:
        from tracker._proto import tracker_pb2 as pb

        super().__init__()
        self._pb = pb
        self._requests.put(pb.TrackRequest(config=config))
        self.call = stub.Track(self._iterate())

    def send(self, frame: Any) -> None:
        self._requests.put(self._pb.TrackRequest(frame=frame))

    def receive(self) -> Any:
        return next(self.call)

    def cancel(self) -> None:
        self.call.cancel()
        self._requests.put(None)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def jpeg(image: NDArray[np.uint8]) -> bytes:
    import cv2

    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()


class RawStream(_FedRequests):
    """A Track call that sends raw bytes (undecodable ones too) as the test feeds them; the
    call stays open until ``close()``. ``messages`` are sent before any fed later."""

    def __init__(self, channel: Any, messages: Sequence[bytes] = ()) -> None:
        from tracker._proto import tracker_pb2 as pb

        super().__init__()
        for message in messages:
            self._requests.put(message)
        method = channel.stream_stream(
            "/tracker.v1.Tracker/Track",
            request_serializer=lambda data: data,
            response_deserializer=pb.TrackResponse.FromString,
        )
        self.call = method(self._iterate())

    def send(self, message: bytes) -> None:
        self._requests.put(message)

    def results(self) -> tuple[list[Any], Any, str]:
        """All responses, then the call's status code and details."""
        import grpc

        responses = []
        try:
            for response in self.call:
                responses.append(response)
        except grpc.RpcError as error:
            return responses, error.code(), error.details()
        return responses, self.call.code(), self.call.details()


def public_config(**fields: Any) -> Any:
    """A StreamConfig for public detections, motion-only, policy all."""
    from tracker._proto import tracker_pb2 as pb

    base = {"detector": "public", "embedder": "none", "drop_policy": pb.DROP_POLICY_ALL}
    return pb.StreamConfig(**{**base, **fields})


def public_frame(frame_id: int, boxes: Sequence[float], scores: Sequence[float]) -> Any:
    from tracker._proto import tracker_pb2 as pb

    detections = pb.Detections(boxes=list(boxes), scores=list(scores))
    return pb.Frame(frame_id=frame_id, detections=detections)


def request_bytes(config: Any = None, frame: Any = None) -> bytes:
    from tracker._proto import tracker_pb2 as pb

    message = pb.TrackRequest(config=config) if config is not None else pb.TrackRequest(frame=frame)
    return bytes(message.SerializeToString())
