"""boxmot 25: ByteTrack, OC-SORT, BoT-SORT and StrongSORT (the pure-Python classes).

Detections go in as ``boxmot.structures.Detections`` so that our features can be passed as
``embeddings`` (the appearance trackers then use exactly the features ours gets). Without
features, BoT-SORT / StrongSORT build boxmot's own re-ID model from ``reid_weights``; we point
it at the local OSNet x0.25 MSMT17 file, and boxmot skips any download when the file exists.
Our inputs carry no pixels for MOT17 .npy / MOT15, so camera-motion compensation is off by
default (``use_cmc``); a frame-sized black image is passed where boxmot wants one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from benchmarks.peers.base import FrameOutput, SequenceInfo

OSNET_WEIGHTS = (
    Path(__file__).resolve().parents[3] / "shared" / "weights" / "osnet_x0_25_msmt17.pth"
)

KINDS = ("bytetrack", "ocsort", "botsort", "strongsort")


class BoxmotTracker:
    def __init__(
        self,
        info: SequenceInfo,
        kind: str = "bytetrack",
        reid_weights: Path | None = None,
        use_cmc: bool = False,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.info = info
        self.reid_weights = reid_weights or OSNET_WEIGHTS
        self.use_cmc = use_cmc
        self.name = f"boxmot-{kind}"
        appearance = kind in ("botsort", "strongsort")
        self.needs = frozenset({"features"} if appearance else set())
        self._blank = np.zeros((info.height, info.width, 3), np.uint8)
        self.reset()

    def reset(self) -> None:
        import boxmot

        fps = round(self.info.fps)
        # boxmot's defaults, except the frame rate of the sequence and no camera-motion
        # compensation (there are no pixels to estimate it from).
        if self.kind == "bytetrack":
            self._tracker = boxmot.ByteTrack(frame_rate=fps)
        elif self.kind == "ocsort":
            self._tracker = boxmot.OcSort()
        elif self.kind == "botsort":
            self._tracker = boxmot.BotSort(
                frame_rate=fps, use_cmc=self.use_cmc, reid_weights=self.reid_weights
            )
        else:
            self._tracker = boxmot.StrongSort(reid_weights=self.reid_weights)
            if not self.use_cmc:
                # StrongSort always builds ECC compensation; on a blank image ECC only burns
                # time and returns the identity warp, so dropping it changes no result.
                self._tracker.cmc = None
        self._frame = 0

    def update(
        self,
        boxes_xyxy: NDArray[np.float64],
        scores: NDArray[np.float32],
        classes: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        frame: NDArray[np.uint8] | None,
    ) -> FrameOutput:
        import torch
        from boxmot.structures import Boxes, Detections

        self._frame += 1
        # boxmot rejects boxes of zero width or height; nobody can track them anyway.
        keep = (boxes_xyxy[:, 2] > boxes_xyxy[:, 0]) & (boxes_xyxy[:, 3] > boxes_xyxy[:, 1])
        embeddings = None
        if features is not None and "features" in self.needs:
            embeddings = torch.from_numpy(np.ascontiguousarray(features[keep], np.float32))
        detections = Detections(
            geometry=Boxes(torch.from_numpy(boxes_xyxy[keep].astype(np.float32))),
            scores=torch.from_numpy(np.clip(scores[keep], 0.0, 1.0).astype(np.float32)),
            class_ids=torch.from_numpy(classes[keep].astype(np.int64)),
            sample_id=f"frame-{self._frame}",
            embeddings=embeddings,
        )
        tracks = self._tracker.update(detections, frame if frame is not None else self._blank)
        if len(tracks) == 0:
            return FrameOutput.empty()
        return FrameOutput.of(tracks.track_ids.numpy(), tracks.geometry.values.numpy())
