"""Compile the tracker's kernels before the first real frame.

numba compiles a kernel on its first call (seconds for the whole tracker, once per
install: afterwards it loads from its on-disk cache in milliseconds, see
``tracker.core.jit``). A server that compiled them inside its first client's stream would
stall that stream for seconds, so it runs this during its warm-up instead, before it reports
SERVING.
"""

from __future__ import annotations

import numpy as np

from tracker.core.deepsort import DeepSort, DeepSortConfig

_FRAMES = 12
_FEATURE_DIM = 8


def compile_kernels(config: DeepSortConfig | None = None, frame_rate: float = 10.0) -> None:
    """Track a tiny synthetic scene with and without features under ``config`` (the
    defaults when ``None``): two people crossing, a third who disappears for a few frames,
    two more walking alike, a low-score detection, an empty frame. That takes the default
    path through every stage (both score passes, coasting, occlusion, re-identification,
    the camera's velocity and the vote for its shift from enough steady pairs, track start
    and end). The default frame rate is below 30 so the buffered-IoU stage runs too."""
    rng = np.random.default_rng(0)
    looks = rng.normal(size=(5, _FEATURE_DIM)).astype(np.float32)
    for with_features in (True, False):
        # With the image size, a missed track is checked for having left it (min_inside_image).
        tracker = DeepSort(config, frame_rate=frame_rate, image_size=(640.0, 480.0))
        for frame in range(_FRAMES):
            boxes = [
                [10.0 + 8 * frame, 20.0, 50.0 + 8 * frame, 120.0],
                [140.0 - 8 * frame, 22.0, 180.0 - 8 * frame, 124.0],
                [300.0, 40.0 + frame, 330.0, 110.0 + frame],
                [400.0 + 3 * frame, 30.0, 440.0 + 3 * frame, 130.0],
                [480.0 + 3 * frame, 32.0, 520.0 + 3 * frame, 132.0],
            ]
            scores = [0.9, 0.8, 0.3 if frame == 5 else 0.7, 0.9, 0.9]
            who = [0, 1, 2, 3, 4]
            if 6 <= frame <= 8:  # the third person is missed for three frames
                boxes, scores, who = boxes[:2] + boxes[3:], scores[:2] + scores[3:], [0, 1, 3, 4]
            if frame == 10:  # nothing detected at all
                boxes, scores, who = [], [], []
            features = looks[who] if with_features else None
            classes = np.zeros(len(boxes), np.int64)  # detectors give class ids
            tracker.update(
                np.reshape(boxes, (-1, 4)), np.asarray(scores, np.float32), classes, features
            )
