"""Frame sources: video files, RTSP/HTTP streams, image folders and MOT sequence folders.

Every source yields ``(frame_index, frame)`` with frame indices starting at 1 (MOTChallenge's
convention) and BGR uint8 frames as OpenCV decodes them. Frames are passed on at whatever
size they arrive; a size change mid-stream is logged once and left to the detectors (which
take any size) and the video writer (which resizes to its own size).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, cast

import cv2
import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError
from tracker.image import decode_image_bytes
from tracker.io.mot import read_seqinfo

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
Frame = NDArray[np.uint8]


class FrameSource(Protocol):
    name: str
    fps: float | None
    """Frames per second if known (from the container or seqinfo.ini)."""
    length: int | None
    """Number of frames if known in advance (None for live streams)."""

    def __iter__(self) -> Iterator[tuple[int, Frame]]: ...


class _SizeWatch:
    """Logs the first change of frame size, once per source."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.size: tuple[int, int] | None = None
        self.warned = False

    def check(self, index: int, frame: Frame) -> None:
        size = frame.shape[:2]
        if self.size is None:
            self.size = (int(size[0]), int(size[1]))
        elif size != self.size and not self.warned:
            self.warned = True
            log.warning(
                "%s: frame %d is %dx%d, earlier frames were %dx%d; continuing",
                self.name, index, size[1], size[0], self.size[1], self.size[0],
            )  # fmt: skip


class VideoSource:
    """A video file or a network stream (RTSP/HTTP) read with ``cv2.VideoCapture``."""

    def __init__(self, uri: str | Path) -> None:
        self.uri = str(uri)
        self.is_stream = self.uri.lower().startswith(STREAM_SCHEMES)
        if not self.is_stream and not Path(self.uri).is_file():
            raise TrackerError(f"video not found: {self.uri}")
        self.name = Path(self.uri).stem if not self.is_stream else self.uri
        capture = self._open()
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        capture.release()
        self.fps = float(fps) if fps and fps > 0 else None
        self.length = count if count > 0 and not self.is_stream else None

    def _open(self) -> cv2.VideoCapture:
        capture = cv2.VideoCapture(self.uri)
        if not capture.isOpened():
            capture.release()
            what = "stream" if self.is_stream else "video file"
            raise TrackerError(
                f"cannot open {what} {self.uri}: OpenCV could not read it "
                "(not a video, an unsupported codec, or unreachable)"
            )
        return capture

    def __iter__(self) -> Iterator[tuple[int, Frame]]:
        capture = self._open()
        watch = _SizeWatch(self.name)
        try:
            index = 0
            while True:
                ok, frame = capture.read()
                if not ok or frame is None:
                    break
                index += 1
                watch.check(index, cast(Frame, frame))
                yield index, cast(Frame, frame)
            if index == 0:
                raise TrackerError(f"cannot decode any frame of {self.uri}")
        finally:
            capture.release()


def _read_image(path: Path) -> Frame:
    try:
        frame = decode_image_bytes(path.read_bytes())  # libjpeg-turbo for JPEGs: faster
    except OSError:
        frame = None
    if frame is None:
        raise TrackerError(f"cannot read image {path} (missing, truncated or not an image)")
    return frame


class ImageFolderSource:
    """Images of a folder in name order; frame indices count from 1 in that order."""

    def __init__(self, folder: str | Path, fps: float | None = None) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise TrackerError(f"image folder not found: {self.folder}")
        self.files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise TrackerError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {self.folder}")
        self.name = self.folder.name
        self.fps = fps
        self.length: int | None = len(self.files)

    def __iter__(self) -> Iterator[tuple[int, Frame]]:
        watch = _SizeWatch(self.name)
        for index, path in enumerate(self.files, start=1):
            frame = _read_image(path)
            watch.check(index, frame)
            yield index, frame


class MotSequenceSource:
    """A MOTChallenge sequence folder (``seqinfo.ini`` + ``img1/000001.jpg`` ...).

    Frame indices come from the file names, so a folder holding only some frames of a
    sequence (seqLength counts all of them) still yields the right indices.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        ini = self.folder / "seqinfo.ini"
        if not ini.is_file():
            raise TrackerError(f"{self.folder} is not a MOT sequence folder: no seqinfo.ini")
        self.info = read_seqinfo(self.folder)
        image_dir = self.folder / self.info.image_dir
        if not image_dir.is_dir():
            raise TrackerError(f"{image_dir} not found (imDir of {ini})")
        pattern = re.compile(r"^(\d+)" + re.escape(self.info.image_ext) + "$")
        numbered = [(pattern.match(p.name), p) for p in image_dir.iterdir()]
        self.frames = sorted((int(m.group(1)), p) for m, p in numbered if m is not None)
        if not self.frames:
            raise TrackerError(f"no frames named like 000001{self.info.image_ext} in {image_dir}")
        self.name = self.info.name
        self.fps = self.info.frame_rate or None
        self.length: int | None = len(self.frames)

    def __iter__(self) -> Iterator[tuple[int, Frame]]:
        watch = _SizeWatch(self.name)
        for index, path in self.frames:
            frame = _read_image(path)
            watch.check(index, frame)
            yield index, frame


def open_source(spec: str | Path) -> FrameSource:
    """A MOT sequence folder (has seqinfo.ini), an image folder, a video file or a stream URL."""
    text = str(spec)
    if text.lower().startswith(STREAM_SCHEMES):
        return VideoSource(text)
    path = Path(text)
    if path.is_dir():
        if (path / "seqinfo.ini").is_file():
            return MotSequenceSource(path)
        return ImageFolderSource(path)
    if path.is_file():
        return VideoSource(path)
    raise TrackerError(
        f"source not found: {text} (expected a video, an image folder, "
        "a MOT sequence folder or a stream URL)"
    )
