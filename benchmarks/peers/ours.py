"""Our tracker (``tracker.core.DeepSort``) behind the peer interface."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers.base import FrameOutput, SequenceInfo
from tracker.core import DeepSort, DeepSortConfig


class OursDeepSort:
    """``use_features=False`` drops the features so the tracker runs motion-only."""

    def __init__(
        self,
        info: SequenceInfo,
        config: DeepSortConfig | None = None,
        use_features: bool = True,
        name: str = "ours",
    ) -> None:
        self.frame_rate = info.fps  # the tracker's times are in seconds
        self.name = name
        self.config = config or DeepSortConfig()
        self.use_features = use_features
        self.needs = frozenset({"features"} if use_features else set())
        self.image_size = (info.width, info.height)
        self._tracker = self._new_tracker()

    def _new_tracker(self) -> DeepSort:
        return DeepSort(self.config, frame_rate=self.frame_rate, image_size=self.image_size)

    def reset(self) -> None:
        self._tracker = self._new_tracker()

    def update(
        self,
        boxes_xyxy: NDArray[np.float64],
        scores: NDArray[np.float32],
        classes: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        frame: NDArray[np.uint8] | None,
    ) -> FrameOutput:
        tracks = self._tracker.update(
            boxes_xyxy, scores, classes, features if self.use_features else None
        )
        return FrameOutput(tracks.ids, tracks.boxes)
