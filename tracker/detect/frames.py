"""Frame conversion and class mapping shared by all detectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from tracker.detect.base import FrameDetections
from tracker.errors import TrackerError
from tracker.image import to_bgr

COCO_PERSON_TO_OURS: Mapping[int, int] = {0: 0}
"""Default class map: the model's class 0 (COCO person) becomes our class 0."""


def to_bgr_batch(frames: Sequence[NDArray[np.generic]]) -> list[NDArray[np.uint8]]:
    return [to_bgr(frame) for frame in frames]


def class_lookup(class_map: Mapping[int, int], num_model_classes: int) -> NDArray[np.int64]:
    """Array ``lookup[model_class] = our_class`` with ``-1`` for classes we drop."""
    lookup = np.full(max(num_model_classes, 1), -1, np.int64)
    for model_class, ours in class_map.items():
        if not 0 <= int(model_class) < num_model_classes:
            raise TrackerError(
                f"class map names model class {model_class}, but the model has "
                f"{num_model_classes} classes (0..{num_model_classes - 1})"
            )
        lookup[int(model_class)] = int(ours)
    return lookup


def map_and_filter(
    boxes: NDArray[np.floating],
    scores: NDArray[np.floating],
    model_classes: NDArray[np.integer],
    lookup: NDArray[np.int64],
    score_threshold: float,
) -> FrameDetections:
    """Keep boxes of mapped classes above the threshold, with our class ids, highest score first."""
    ours = lookup[np.asarray(model_classes, np.int64)]
    keep = (ours >= 0) & (np.asarray(scores) > score_threshold)
    order = np.argsort(-np.asarray(scores)[keep], kind="stable")
    return FrameDetections(
        np.asarray(boxes, np.float32)[keep][order].reshape(-1, 4),
        np.asarray(scores, np.float32)[keep][order],
        ours[keep][order],
    )


def parse_class_map(classes: Mapping[int, int] | Sequence[int] | None) -> dict[int, int]:
    """``None`` -> person only; a list ``[0, 2]`` keeps those model classes with their own ids;
    a mapping gives model class -> our class explicitly."""
    if classes is None:
        return dict(COCO_PERSON_TO_OURS)
    if isinstance(classes, Mapping):
        return {int(k): int(v) for k, v in classes.items()}
    return {int(c): int(c) for c in classes}
