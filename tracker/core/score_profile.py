"""How much a detection's score should weigh its IoU in matching (``score_fusion``).

ByteTrack's first association costs ``1 - IoU * score``: of two boxes that overlap a track
equally, the one the detector is surer of wins, and a weak box needs more overlap to match.
The raw score assumes every detector is calibrated alike, which they are not: on the shared
data the median score of the boxes at or above 0.5 is 0.98 for SORT's Faster R-CNN boxes
(MOT15 ``det_frcnn``), 1.0 for deep_sort's MOT17 boxes, 0.80 for YOLOv5n on PETS09, and 49
for MOT15's own ``det.txt`` (up to 138). ``relative`` weighs a box by its score against the
median of the stream's recent scores instead, so a detector that scores everything lower is
not taxed on its typical boxes, and an uncalibrated one still works: a per-detector score
profile learnt online, with no constant per detector.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

ScoreFusion = Literal["none", "score", "relative"]
SCORE_FUSIONS: tuple[str, ...] = get_args(ScoreFusion)

#: Scores the ``relative`` reference is the median of: a few seconds of a crowd, long enough
#: that one frame's boxes do not move it, short enough to follow a change of scene.
SCORE_WINDOW = 1024


class RecentScores:
    """The last ``SCORE_WINDOW`` detection scores of one stream, in a ring buffer."""

    def __init__(self, size: int = SCORE_WINDOW) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self._values = np.zeros(size, np.float64)
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, scores: NDArray[np.floating]) -> None:
        """Remember ``scores`` (the oldest are forgotten first); vectorised."""
        size = len(self._values)
        scores = np.asarray(scores, np.float64).reshape(-1)[-size:]
        k = len(scores)
        if k == 0:
            return
        slots = (self._next + np.arange(k)) % size
        self._values[slots] = scores
        self._next = int((self._next + k) % size)
        self._count = min(size, self._count + k)

    def median(self) -> float | None:
        """The median of the remembered scores, ``None`` before any."""
        if self._count == 0:
            return None
        return float(np.median(self._values[: self._count]))


def score_weights(
    scores: NDArray[np.floating], mode: ScoreFusion, reference: float | None = None
) -> NDArray[np.float64] | None:
    """Per-detection weights in [0, 1] that multiply IoU in the matching cost, or ``None``
    for ``mode="none"`` (IoU unweighted).

    ``score``: the score clipped to [0, 1] (ByteTrack's ``fuse_score``). ``relative``:
    ``score / reference`` clipped to [0, 1], where ``reference`` is the median of the
    stream's recent scores; without a positive reference every weight is 1."""
    if mode == "none":
        return None
    values = np.asarray(scores, np.float64)
    if mode == "score":
        return np.clip(values, 0.0, 1.0)
    if reference is None or not reference > 0:
        return np.ones(len(values))
    return np.clip(values / reference, 0.0, 1.0)
