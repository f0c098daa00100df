"""The one interface every tracker in a benchmark is driven through, ours included.

Benchmarks feed each tracker the same arrays frame by frame and only ever call ``update`` and
``reset``, so differences in the numbers come from the trackers, not from the harness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class FrameOutput:
    """Tracks a tracker reports for one frame (row ``i`` of both arrays is one track)."""

    ids: NDArray[np.int64]  # (K,)
    boxes_xyxy: NDArray[np.float64]  # (K, 4)

    @staticmethod
    def empty() -> FrameOutput:
        return FrameOutput(np.empty(0, np.int64), np.empty((0, 4), np.float64))

    @staticmethod
    def of(ids: object, boxes_xyxy: object) -> FrameOutput:
        boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
        return FrameOutput(np.asarray(ids, dtype=np.int64).reshape(-1), boxes)


@dataclass(frozen=True)
class SequenceInfo:
    """What some peers need to know up front (image size for boxmot/roboflow, frame rate)."""

    width: int
    height: int
    fps: float = 30.0


class PeerTracker(Protocol):
    """A tracker driven frame by frame.

    ``boxes_xyxy`` (N, 4) float, ``scores`` (N,), ``classes`` (N,) int, ``features`` (N, D)
    or ``None``, ``frame`` the BGR image or ``None`` when the input has no pixels.
    Adapters that need appearance say so in ``needs``; the harness skips them otherwise.
    """

    name: str
    needs: frozenset[str]  # subset of {"features", "frame"}

    def update(
        self,
        boxes_xyxy: NDArray[np.float64],
        scores: NDArray[np.float32],
        classes: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        frame: NDArray[np.uint8] | None,
    ) -> FrameOutput: ...

    def reset(self) -> None:
        """Forget every track and restart IDs, as if newly built (next sequence)."""
        ...
