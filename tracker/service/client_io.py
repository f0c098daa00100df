"""Client-side files: frame sources, and detections and results per frame.

The frame sources are a minimal stand-in kept in this one module so they can be swapped for
``tracker.io`` sources once those land: image folders, MOTChallenge sequence folders (``img1``
+ ``seqinfo.ini``), video files and RTSP/HTTP streams through OpenCV. MOT files themselves
are read and written by ``tracker.io.mot``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tracker.detect.base import FrameDetections
from tracker.errors import TrackerError
from tracker.io.mot import read_detections, read_seqinfo, write_results

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class SourceFrame:
    frame_id: int
    encoded: bytes | None  # JPEG/PNG file bytes, sent as they are
    image: NDArray[np.uint8] | None  # decoded BGR (video sources)

    def pixels(self) -> NDArray[np.uint8]:
        """The BGR image (decodes file bytes on demand, e.g. for --save-video)."""
        if self.image is not None:
            return self.image
        import cv2

        image = cv2.imdecode(np.frombuffer(self.encoded or b"", np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise TrackerError(f"frame {self.frame_id} could not be decoded")
        return np.asarray(image, np.uint8)


@dataclass(frozen=True)
class FrameSource:
    """Where frames come from; ``length`` is ``None`` for live streams."""

    name: str
    fps: float | None
    length: int | None
    _images: tuple[Path, ...] = ()
    _url: str = ""

    def __iter__(self) -> Iterator[SourceFrame]:
        if self._images:
            for index, path in enumerate(self._images, start=1):
                yield SourceFrame(_frame_number(path, index), path.read_bytes(), None)
            return
        import cv2

        capture = cv2.VideoCapture(self._url)
        if not capture.isOpened():
            raise TrackerError(f"cannot open video source {self._url}")
        try:
            frame_id = 0
            while True:
                ok, image = capture.read()
                if not ok:
                    return
                frame_id += 1
                yield SourceFrame(frame_id, None, np.asarray(image, np.uint8))
        finally:
            capture.release()


def open_source(source: str) -> FrameSource:
    """A MOT sequence folder, a folder of images, a video file, or an rtsp/http URL."""
    if "://" in source:
        return FrameSource(source, None, None, _url=source)
    path = Path(source)
    if not path.exists():
        raise TrackerError(f"source {source} does not exist")
    if path.is_dir():
        fps = None
        folder = path
        if (path / "seqinfo.ini").is_file():
            info = read_seqinfo(path)
            folder = path / info.image_dir
            fps = info.frame_rate
        images = tuple(sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
        if not images:
            raise TrackerError(f"no {'/'.join(IMAGE_SUFFIXES)} images in {folder}")
        return FrameSource(path.name, fps, len(images), _images=images)
    import cv2

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise TrackerError(f"cannot open video {path} (not a video OpenCV can read?)")
    fps = capture.get(cv2.CAP_PROP_FPS) or None
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    capture.release()
    return FrameSource(path.stem, fps, count, _url=str(path))


def _frame_number(path: Path, fallback: int) -> int:
    """MOT frames are numbered by file name (000001.jpg); other folders by sort order."""
    match = _DIGITS.fullmatch(path.stem)
    return int(match.group(1)) if match else fallback


def detections_by_frame(path: Path) -> dict[int, FrameDetections]:
    """A MOTChallenge det file (or deep_sort .npy) as the detector contract's type, per frame."""
    dets = read_detections(path)
    xyxy = np.concatenate(
        [dets.boxes_xywh[:, :2], dets.boxes_xywh[:, :2] + dets.boxes_xywh[:, 2:]], axis=1
    )
    slices = dets.frame_slices(dets.last_frame)
    return {
        frame: FrameDetections(
            xyxy[rows].astype(np.float32),
            dets.scores[rows],
            np.zeros(rows.stop - rows.start, np.int64),
        )
        for frame, rows in enumerate(slices)
        if rows.stop > rows.start
    }


class ResultCollector:
    """Collects answered tracks and writes one MOTChallenge result file (tracker.io.mot)."""

    def __init__(self) -> None:
        self._frames: list[NDArray[np.int64]] = []
        self._ids: list[NDArray[np.int64]] = []
        self._boxes: list[NDArray[np.float64]] = []
        self._scores: list[NDArray[np.float32]] = []

    def add(
        self,
        frame_id: int,
        track_ids: NDArray[np.int64],
        boxes: NDArray[np.float64],
        scores: NDArray[np.float32],
    ) -> None:
        self._frames.append(np.full(len(track_ids), frame_id, np.int64))
        self._ids.append(track_ids)
        self._boxes.append(np.asarray(boxes, np.float64).reshape(-1, 4))
        self._scores.append(scores)

    def write(self, path: Path) -> None:
        def joined(parts: list[NDArray[Any]], empty: NDArray[Any]) -> NDArray[Any]:
            return np.concatenate(parts) if parts else empty

        write_results(
            path,
            joined(self._frames, np.zeros(0, np.int64)),
            joined(self._ids, np.zeros(0, np.int64)),
            joined(self._boxes, np.zeros((0, 4))),
            joined(self._scores, np.zeros(0, np.float32)),
        )
