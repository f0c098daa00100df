"""Public detections: a MOTChallenge det file (or deep_sort ``.npy``) in the detector
contract's type, for the modes where boxes come from a file instead of a network
(``tracker stream --dets``, ``tracker demo``, MOTChallenge public-detection runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tracker.detect.base import FrameDetections
from tracker.io.mot import read_detections


def detections_by_frame(path: str | Path) -> dict[int, FrameDetections]:
    """Every frame's detections by frame id (class 0); frames without boxes are absent."""
    dets = read_detections(path)
    xyxy = dets.boxes_xyxy.astype(np.float32)
    slices = dets.frame_slices(dets.last_frame)
    return {
        frame: FrameDetections(
            xyxy[rows], dets.scores[rows], np.zeros(rows.stop - rows.start, np.int64)
        )
        for frame, rows in enumerate(slices)
        if rows.stop > rows.start
    }
