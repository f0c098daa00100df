"""ultralytics' own trackers (``ultralytics.trackers.BYTETracker`` and ``BOTSORT``).

They expect a detector ``Results.boxes``-like object; ``_Boxes`` is the minimal stand-in:
``conf``, ``cls``, ``xywh`` (centre x, centre y, w, h) and boolean indexing.
Settings are the packaged ``bytetrack.yaml`` / ``botsort.yaml`` defaults; BoT-SORT's global
motion compensation is off (``gmc_method: none``) because our inputs carry no pixels, and its
re-ID (``with_reid``, ``model: auto``) takes our features through ``feats=``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers.base import FrameOutput, SequenceInfo


@dataclass(frozen=True)
class _Boxes:
    conf: NDArray[np.float32]
    cls: NDArray[np.float32]
    xywh: NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: NDArray[np.bool_] | NDArray[np.int64]) -> _Boxes:
        return _Boxes(self.conf[index], self.cls[index], self.xywh[index])


def _settings(fps: float, **extra: object) -> SimpleNamespace:
    return SimpleNamespace(
        track_high_thresh=0.25,
        track_low_thresh=0.1,
        new_track_thresh=0.25,
        track_buffer=round(30 * fps / 30.0),
        match_thresh=0.8,
        fuse_score=True,
        **extra,
    )


class UltralyticsTracker:
    def __init__(
        self,
        info: SequenceInfo,
        kind: str = "bytetrack",
        with_reid: bool = False,
    ) -> None:
        if kind not in ("bytetrack", "botsort"):
            raise ValueError(f"kind must be 'bytetrack' or 'botsort', got {kind!r}")
        self.kind = kind
        self.with_reid = with_reid
        self.fps = info.fps
        self.name = f"ultralytics-{kind}" + ("+reid" if with_reid else "")
        self.needs = frozenset({"features"} if with_reid else set())
        self.reset()

    def reset(self) -> None:
        from ultralytics.trackers import BOTSORT, BYTETracker

        if self.kind == "bytetrack":
            self._tracker = BYTETracker(_settings(self.fps))
        else:
            self._tracker = BOTSORT(
                _settings(
                    self.fps,
                    gmc_method="none",
                    proximity_thresh=0.5,
                    appearance_thresh=0.8,
                    with_reid=self.with_reid,
                    model="auto",
                )
            )

    def update(
        self,
        boxes_xyxy: NDArray[np.float64],
        scores: NDArray[np.float32],
        classes: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        frame: NDArray[np.uint8] | None,
    ) -> FrameOutput:
        boxes = boxes_xyxy
        xywh = np.column_stack([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]])
        results = _Boxes(
            scores.astype(np.float32), classes.astype(np.float32), xywh.astype(np.float32)
        )
        feats = features if self.with_reid else None
        rows = self._tracker.update(results, frame, feats)
        if len(rows) == 0:
            return FrameOutput.empty()
        return FrameOutput.of(rows[:, 4], rows[:, :4])
