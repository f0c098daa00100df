"""Frame sources: video files, RTSP/HTTP streams, image folders and MOT sequence folders.

The one source layer of the project: ``tracker track`` decodes the frames it reads here,
``tracker stream`` sends them. Every source yields ``SourceFrame``s with frame ids starting
at 1 (MOTChallenge's convention). Image files are read as bytes and decoded only when
``pixels()`` is asked for, so a client can send a JPEG as it is on disk; video frames arrive
decoded. A frame that cannot be decoded raises ``FrameError`` from ``pixels()``: that frame is
an error for its consumer, the source itself goes on.

Numbering: MOT sequence folders by file name (``000042.jpg`` is frame 42, so a folder holding
some of the frames keeps their ids); other image folders and videos by order, from 1.
Frames are passed on at whatever size they arrive; consumers that care (the video writer)
handle size changes.

``is_live`` tells a live source (a camera or network stream, where only the newest frame
matters) from a file or folder, where every frame counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import cv2
import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError
from tracker.io.codec import decode_image
from tracker.io.mot import read_seqinfo

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
"""What the project's decoder (and the wire) accept: JPEG and PNG."""
STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class SourceFrame:
    """One frame of a source: its id and either its encoded file bytes or its pixels."""

    frame_id: int
    encoded: bytes | None = None
    """JPEG/PNG bytes as read from disk (image folders, MOT sequences)."""
    image: Frame | None = None
    """Decoded BGR pixels (video sources)."""

    def pixels(self) -> Frame:
        """The BGR image; decodes ``encoded`` on each call (FrameError if it is damaged)."""
        if self.image is not None:
            return self.image
        return decode_image(self.encoded or b"")


class FrameSource(Protocol):
    name: str
    fps: float | None
    """Frames per second if known (from the container or seqinfo.ini)."""
    length: int | None
    """Number of frames if known in advance (None for live streams)."""
    is_live: bool
    """A camera or network stream (drop old frames) rather than a file (keep every one)."""

    def __iter__(self) -> Iterator[SourceFrame]: ...


class VideoSource:
    """A video file or a network stream (RTSP/HTTP) read with ``cv2.VideoCapture``."""

    def __init__(self, uri: str | Path) -> None:
        self.uri = str(uri)
        self.is_stream = self.uri.lower().startswith(STREAM_SCHEMES)
        if not self.is_stream and not Path(self.uri).is_file():
            raise TrackerError(f"video not found: {self.uri}")
        self.is_live = self.is_stream
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

    def __iter__(self) -> Iterator[SourceFrame]:
        capture = self._open()
        try:
            index = 0
            while True:
                ok, frame = capture.read()
                if not ok or frame is None:
                    break
                index += 1
                yield SourceFrame(index, image=cast(Frame, frame))
            if index == 0:
                raise TrackerError(f"cannot decode any frame of {self.uri}")
        finally:
            capture.release()


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
        self.is_live = False

    def __iter__(self) -> Iterator[SourceFrame]:
        for index, path in enumerate(self.files, start=1):
            yield SourceFrame(index, encoded=path.read_bytes())


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
        self.is_live = False

    def __iter__(self) -> Iterator[SourceFrame]:
        for index, path in self.frames:
            yield SourceFrame(index, encoded=path.read_bytes())


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
