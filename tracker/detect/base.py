"""The detector contract: a batch of frames in, per-frame boxes in image pixels out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class FrameDetections:
    """One frame's detections in original image coordinates."""

    boxes: NDArray[np.float32]  # (N, 4) x1, y1, x2, y2
    scores: NDArray[np.float32]  # (N,)
    classes: NDArray[np.int64]  # (N,) our class ids, after the detector's class map

    def __len__(self) -> int:
        return len(self.boxes)

    @staticmethod
    def empty() -> FrameDetections:
        return FrameDetections(
            np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
        )


@runtime_checkable
class Detector(Protocol):
    """Frames are ``H x W x 3`` uint8 BGR arrays (OpenCV's order), any sizes in one batch."""

    name: str

    def detect(self, frames: Sequence[NDArray[np.uint8]]) -> list[FrameDetections]: ...
