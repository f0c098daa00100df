"""One frame's detections, validated once at the tracker's boundary.

Everything the tracker does afterwards can then trust shapes, dtypes and finiteness, so a bad
box fails here with a message that says what is wrong instead of deep inside a matrix solve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracker.core.affinity import l2_normalize


@dataclass(frozen=True)
class Detections:
    boxes: NDArray[np.float64]  # (N, 4) x1, y1, x2, y2
    scores: NDArray[np.float32]  # (N,)
    classes: NDArray[np.int64]  # (N,)
    features: NDArray[np.float32] | None  # (N, D), unit length, or None for motion-only
    index: NDArray[np.int64]  # (N,) position of each row in the caller's input

    def __len__(self) -> int:
        return len(self.boxes)

    def subset(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> Detections:
        return Detections(
            self.boxes[mask],
            self.scores[mask],
            self.classes[mask],
            None if self.features is None else self.features[mask],
            self.index[mask],
        )

    @staticmethod
    def from_arrays(
        boxes: ArrayLike,
        scores: ArrayLike,
        classes: ArrayLike | None = None,
        features: ArrayLike | None = None,
        expected_dim: int | None = None,
    ) -> Detections:
        """Check and convert caller arrays.

        Raises ``ValueError`` for wrong shapes, NaN or infinite values, boxes with negative
        width or height, and features whose width differs from ``expected_dim``. Boxes of zero
        width or height are valid input but cannot be tracked; they are dropped here (their
        ``index`` simply never appears in the output).
        """
        box_array = np.asarray(boxes, dtype=np.float64)
        if box_array.size == 0:
            box_array = box_array.reshape(0, 4)
        if box_array.ndim != 2 or box_array.shape[1] != 4:
            raise ValueError(
                f"boxes must have shape (N, 4) as x1, y1, x2, y2; got {box_array.shape}"
            )
        n = len(box_array)
        score_array = np.asarray(scores, dtype=np.float32).reshape(-1)
        if len(score_array) != n:
            raise ValueError(
                f"scores must have one value per box: {len(score_array)} for {n} boxes"
            )
        class_array = np.zeros(n, np.int64) if classes is None else np.asarray(classes).reshape(-1)
        if len(class_array) != n:
            raise ValueError(
                f"classes must have one value per box: {len(class_array)} for {n} boxes"
            )
        if not np.all(np.isfinite(box_array)):
            bad = int(np.flatnonzero(~np.isfinite(box_array).all(axis=1))[0])
            raise ValueError(f"box {bad} is not finite: {box_array[bad].tolist()}")
        if not np.all(np.isfinite(score_array)):
            bad = int(np.flatnonzero(~np.isfinite(score_array))[0])
            raise ValueError(f"score {bad} is not finite: {score_array[bad]}")
        size = box_array[:, 2:] - box_array[:, :2]
        if np.any(size < 0):
            bad = int(np.flatnonzero((size < 0).any(axis=1))[0])
            raise ValueError(
                f"box {bad} has negative width or height: {box_array[bad].tolist()} "
                "(expected x1 <= x2 and y1 <= y2)"
            )
        feature_array = None
        if features is not None:
            raw = np.asarray(features, dtype=np.float32)
            if raw.ndim != 2 or raw.shape[0] != n:
                raise ValueError(f"features must have shape (N, D) with N={n}; got {raw.shape}")
            if expected_dim is not None and n and raw.shape[1] != expected_dim:
                raise ValueError(
                    f"features are {raw.shape[1]}-d but this tracker holds {expected_dim}-d "
                    "features; use one embedder per tracker"
                )
            if not np.all(np.isfinite(raw)):
                raise ValueError("features contain NaN or infinite values")
            feature_array = l2_normalize(raw)
        trackable: NDArray[np.bool_] = np.asarray((size > 0).all(axis=1))
        detections = Detections(
            box_array,
            score_array,
            class_array.astype(np.int64),
            feature_array,
            np.arange(n, dtype=np.int64),
        )
        return detections if trackable.all() else detections.subset(trackable)
