"""roboflow ``trackers``: ``SORTTracker`` and ``ByteTrackTracker`` (motion only).

They take and return ``supervision.Detections``; the returned boxes are the input detections
with ``tracker_id`` set (-1 for detections not (yet) in a mature track), which we drop.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers.base import FrameOutput, SequenceInfo


class RoboflowTracker:
    def __init__(self, info: SequenceInfo, kind: str = "bytetrack") -> None:
        if kind not in ("sort", "bytetrack"):
            raise ValueError(f"kind must be 'sort' or 'bytetrack', got {kind!r}")
        self.kind = kind
        self.fps = info.fps
        self.name = f"roboflow-{kind}"
        self.needs: frozenset[str] = frozenset()
        self.reset()

    def reset(self) -> None:
        from trackers import ByteTrackTracker, SORTTracker

        # Library defaults; only the frame rate of the sequence is passed on.
        cls = SORTTracker if self.kind == "sort" else ByteTrackTracker
        self._tracker = cls(frame_rate=self.fps)

    def update(
        self,
        boxes_xyxy: NDArray[np.float64],
        scores: NDArray[np.float32],
        classes: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        frame: NDArray[np.uint8] | None,
    ) -> FrameOutput:
        import supervision as sv

        detections = sv.Detections(
            xyxy=boxes_xyxy.astype(np.float32),
            confidence=scores.astype(np.float32),
            class_id=classes.astype(int),
        )
        out = self._tracker.update(detections)
        ids = np.asarray(out.tracker_id if out.tracker_id is not None else [], dtype=np.int64)
        tracked = ids >= 0
        return FrameOutput.of(ids[tracked], np.asarray(out.xyxy).reshape(-1, 4)[tracked])
