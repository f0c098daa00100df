"""deep-sort-realtime (``deep_sort_realtime.deepsort_tracker.DeepSort``), DeepSORT as a library.

Two modes: fed our features through ``embeds=`` (same appearance input as ours, so only the
tracking differs), or with its own ImageNet MobileNetV2 embedder on the frame (what a user of
the library gets out of the box). The MobileNetV2 weights ship inside the wheel, so it runs
offline; the embedder module imports ``pkg_resources``, hence ``setuptools<81`` in [bench].
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers.base import FrameOutput, SequenceInfo


class DeepSortRealtime:
    def __init__(
        self,
        info: SequenceInfo,
        own_embedder: bool = False,
        nn_budget: int | None = None,
        name: str | None = None,
    ) -> None:
        del info
        self.own_embedder = own_embedder
        self.nn_budget = nn_budget
        self.name = name or ("dsr+mobilenet" if own_embedder else "deep-sort-realtime")
        self.needs = frozenset({"frame"} if own_embedder else {"features"})
        self.reset()

    def reset(self) -> None:
        from deep_sort_realtime.deepsort_tracker import DeepSort

        # Library defaults (max_age 30, n_init 3, max_cosine_distance 0.2, IoU 0.7, no NMS,
        # unbounded gallery: its best here, budget 100 scores a little lower); CPU, fp32.
        self._tracker = DeepSort(
            nn_budget=self.nn_budget,
            embedder="mobilenet" if self.own_embedder else None,
            half=False,
            embedder_gpu=False,
        )

    def update(
        self,
        boxes_xyxy: NDArray[np.float64],
        scores: NDArray[np.float32],
        classes: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        frame: NDArray[np.uint8] | None,
    ) -> FrameOutput:
        ltwh = boxes_xyxy.copy()
        ltwh[:, 2:] -= ltwh[:, :2]
        raw = [
            (box.tolist(), float(score), int(cls))
            for box, score, cls in zip(ltwh, scores, classes, strict=True)
        ]
        if self.own_embedder:
            tracks = self._tracker.update_tracks(raw, frame=frame)
        else:
            if features is None:
                raise ValueError(f"{self.name} needs features (embeds=)")
            tracks = self._tracker.update_tracks(raw, embeds=list(features))
        # deep_sort's own MOT output rule (deep_sort_app.py): confirmed tracks seen in this
        # or the previous frame. It scores higher here than reporting only this frame's
        # matches (FRCNN HOTA 48.8 vs 48.4 at min score 0.8), so the peer gets its best.
        live = [t for t in tracks if t.is_confirmed() and t.time_since_update <= 1]
        if not live:
            return FrameOutput.empty()
        return FrameOutput.of([int(t.track_id) for t in live], [t.to_ltrb() for t in live])
