"""Drawing tracks on frames and writing annotated videos (for looking, not for scoring)."""

from __future__ import annotations

import colorsys
from collections import deque
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError

GOLDEN_RATIO = 0.618033988749895


def color_for_id(track_id: int) -> tuple[int, int, int]:
    """A stable, well-spread BGR colour per ID (golden-ratio steps around the hue circle)."""
    hue = (int(track_id) * GOLDEN_RATIO) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(b * 255), int(g * 255), int(r * 255)


class TrackRenderer:
    """Boxes, ID labels and a short trail of box bottoms (the feet) per track."""

    def __init__(self, trail_length: int = 30, thickness: int = 2) -> None:
        self.trail_length = trail_length
        self.thickness = thickness
        self._trails: dict[int, deque[tuple[int, int]]] = {}
        self._last_seen: dict[int, int] = {}
        self._frame = 0

    def draw(
        self, frame: NDArray[np.uint8], ids: NDArray[np.integer], boxes: NDArray[np.floating]
    ) -> NDArray[np.uint8]:
        """A copy of ``frame`` with the tracks drawn; updates the trails."""
        self._frame += 1
        out = frame.copy()
        corners = np.round(np.asarray(boxes, np.float64).reshape(-1, 4)).astype(int)
        feet = np.stack(((corners[:, 0] + corners[:, 2]) // 2, corners[:, 3]), axis=1)
        for track_id, (x1, y1, x2, y2), foot in zip(ids.tolist(), corners, feet, strict=True):
            color = color_for_id(track_id)
            trail = self._trails.setdefault(track_id, deque(maxlen=self.trail_length))
            trail.append((int(foot[0]), int(foot[1])))
            self._last_seen[track_id] = self._frame
            if len(trail) > 1:
                points = np.asarray(trail, np.int32).reshape(-1, 1, 2)
                cv2.polylines(out, [points], False, color, max(self.thickness - 1, 1))
            cv2.rectangle(out, (x1, y1), (x2, y2), color, self.thickness)
            label = str(track_id)
            (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
            top = max(y1 - th - 4, 0)
            cv2.rectangle(out, (x1, top), (x1 + tw + 4, top + th + 4), color, -1)
            cv2.putText(
                out, label, (x1 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1
            )
        self._forget_old()
        return out

    def _forget_old(self) -> None:
        """Drop trails of tracks unseen for a trail length, so memory stays bounded."""
        stale = [i for i, seen in self._last_seen.items() if self._frame - seen > self.trail_length]
        for track_id in stale:
            del self._trails[track_id], self._last_seen[track_id]


class VideoSink:
    """H.264 MP4 writer (PyAV's bundled FFmpeg with libx264, yuv420p), so the annotated
    video plays in browsers, which do not play OpenCV's mp4v. Opened on the first frame;
    later frames of another size are resized to it. Odd sizes are padded to even ones
    (yuv420p needs them)."""

    def __init__(self, path: str | Path, fps: float = 25.0) -> None:
        self.path = Path(path)
        self.fps = fps if fps and fps > 0 else 25.0
        self._container: Any = None
        self._stream: Any = None
        self._size: tuple[int, int] | None = None
        self.frames = 0

    def _open(self, width: int, height: int) -> None:
        import av  # lazy: only runs that write a video need FFmpeg

        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._container = av.open(str(self.path), mode="w")
        except (OSError, ValueError) as error:
            raise TrackerError(f"cannot write video {self.path}: {error}") from error
        rate = Fraction(self.fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = width + width % 2, height + height % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": "23", "preset": "veryfast"}
        self._size = (width, height)

    def write(self, frame: NDArray[np.uint8]) -> None:
        import av

        if self._container is None:
            self._open(frame.shape[1], frame.shape[0])
        if (frame.shape[1], frame.shape[0]) != self._size:
            frame = cv2.resize(frame, self._size)  # type: ignore[assignment]
        pad_y, pad_x = self._stream.height - frame.shape[0], self._stream.width - frame.shape[1]
        if pad_x or pad_y:
            frame = cv2.copyMakeBorder(frame, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)  # type: ignore[assignment]
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
        self._container.mux(self._stream.encode(picture))
        self.frames += 1

    def close(self) -> None:
        if self._container is not None:
            self._container.mux(self._stream.encode(None))  # flush delayed frames
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
