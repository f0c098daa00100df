"""Client-side files: frame sources, MOTChallenge detection and result files, annotated video.

A minimal stand-in kept in one module so it can be swapped for ``tracker.io`` (sources,
MOT files) once that lands: image folders, MOTChallenge sequence folders (``img1`` +
``seqinfo.ini``), video files and RTSP/HTTP streams through OpenCV.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from numpy.typing import NDArray

from tracker.detect.base import FrameDetections
from tracker.errors import InputFormatError, TrackerError

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
        seqinfo = path / "seqinfo.ini"
        fps = None
        folder = path
        if seqinfo.is_file():
            info = read_seqinfo(seqinfo)
            folder = path / info.get("imdir", "img1")
            fps = float(info["framerate"]) if "framerate" in info else None
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


def read_seqinfo(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(path)
    if "Sequence" not in parser:
        raise InputFormatError(f"{path}: no [Sequence] section")
    return {key.lower(): value for key, value in parser["Sequence"].items()}


def _frame_number(path: Path, fallback: int) -> int:
    """MOT frames are numbered by file name (000001.jpg); other folders by sort order."""
    match = _DIGITS.fullmatch(path.stem)
    return int(match.group(1)) if match else fallback


def read_mot_detections(path: Path, min_score: float = -np.inf) -> dict[int, FrameDetections]:
    """A MOTChallenge det.txt (frame, -1, x, y, w, h, score, ...) as detections per frame."""
    try:
        table = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as error:
        raise InputFormatError(f"{path}: not a MOTChallenge detection file ({error})") from None
    if table.size and table.shape[1] < 7:
        raise InputFormatError(f"{path}: need at least 7 columns, found {table.shape[1]}")
    table = table[table[:, 6] >= min_score] if table.size else table.reshape(0, 7)
    frames = table[:, 0].astype(np.int64)
    order = np.argsort(frames, kind="stable")
    table, frames = table[order], frames[order]
    boxes = np.concatenate([table[:, 2:4], table[:, 2:4] + table[:, 4:6]], axis=1)
    starts = np.flatnonzero(np.r_[True, frames[1:] != frames[:-1]]) if len(frames) else frames
    ends = np.r_[starts[1:], len(frames)] if len(frames) else frames
    return {
        int(frames[a]): FrameDetections(
            boxes[a:b].astype(np.float32),
            table[a:b, 6].astype(np.float32),
            np.zeros(b - a, np.int64),
        )
        for a, b in zip(starts, ends, strict=True)
    }


class MotResultWriter:
    """MOTChallenge result lines: ``frame,id,x,y,w,h,score,-1,-1,-1`` (top-left, size)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(
        self,
        frame_id: int,
        track_ids: NDArray[np.int64],
        boxes: NDArray[np.floating],
        scores: NDArray[np.floating],
    ) -> None:
        if len(track_ids) == 0:
            return
        boxes = np.asarray(boxes, np.float64)
        size = boxes[:, 2:] - boxes[:, :2]
        lines = [
            f"{frame_id},{tid},{x:.2f},{y:.2f},{w:.2f},{h:.2f},{s:.4f},-1,-1,-1\n"
            for tid, x, y, w, h, s in zip(
                track_ids.tolist(),
                boxes[:, 0].tolist(),
                boxes[:, 1].tolist(),
                size[:, 0].tolist(),
                size[:, 1].tolist(),
                np.asarray(scores, np.float64).tolist(),
                strict=True,
            )
        ]
        self.stream.write("".join(lines))


class VideoAnnotator:
    """Draws tracks (colour per id) onto frames and writes an mp4."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps
        self._writer: Any = None  # cv2.VideoWriter, created with the first frame's size

    def write(
        self, image: NDArray[np.uint8], track_ids: NDArray[np.int64], boxes: NDArray[np.floating]
    ) -> None:
        import cv2

        if self._writer is None:
            h, w = image.shape[:2]
            fourcc = cv2.VideoWriter.fourcc(*"mp4v")
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                raise TrackerError(f"cannot write video {self.path}")
        canvas = image.copy()
        corners = np.asarray(boxes).astype(int).tolist()
        for tid, box in zip(track_ids.tolist(), corners, strict=True):
            colour = _id_colour(tid)
            cv2.rectangle(canvas, (box[0], box[1]), (box[2], box[3]), colour, 2)
            cv2.putText(
                canvas, str(tid), (box[0], max(box[1] - 4, 10)),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA,
            )  # fmt: skip
        self._writer.write(canvas)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()


def _id_colour(track_id: int) -> tuple[int, int, int]:
    rng = np.random.default_rng(track_id)
    b, g, r = (int(v) for v in rng.integers(64, 256, 3))
    return b, g, r
