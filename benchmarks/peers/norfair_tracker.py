"""norfair (``norfair.Tracker``) with its built-in IoU distance on two-point box detections.

norfair pins numpy<2, so it lives in its own venv (extra ``bench-norfair``). Settings put it on
the same footing as the SORT family: ``distance="iou"`` with ``distance_threshold=0.7``
(match needs IoU > 0.3), ``hit_counter_max=30`` (about max_age 30), ``initialization_delay=2``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers.base import FrameOutput, SequenceInfo


class NorfairTracker:
    def __init__(self, info: SequenceInfo) -> None:
        del info
        self.name = "norfair"
        self.needs: frozenset[str] = frozenset()
        self.reset()

    def reset(self) -> None:
        from norfair import Tracker

        self._tracker = Tracker(
            distance_function="iou",
            distance_threshold=0.7,
            hit_counter_max=30,
            initialization_delay=2,
        )

    def update(
        self,
        boxes_xyxy: NDArray[np.float64],
        scores: NDArray[np.float32],
        classes: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        frame: NDArray[np.uint8] | None,
    ) -> FrameOutput:
        from norfair import Detection

        detections = [
            Detection(points=box.reshape(2, 2), scores=np.full(2, score))
            for box, score in zip(boxes_xyxy, scores, strict=True)
        ]
        objects = self._tracker.update(detections=detections)
        # Report objects matched in this frame (like the other adapters), at their filtered box.
        current = {id(detection) for detection in detections}
        live = [obj for obj in objects if id(obj.last_detection) in current and obj.id is not None]
        if not live:
            return FrameOutput.empty()
        return FrameOutput.of([obj.id for obj in live], [obj.estimate.reshape(4) for obj in live])
