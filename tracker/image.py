"""Image-format normalisation shared by detectors and embedders.

Models promise BGR ``H x W x 3`` uint8; callers hand us what cameras and files give them
(grayscale, BGRA). Converting in one place keeps every model's preprocessing simple.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError


def to_bgr(image: NDArray[np.generic], allow_empty: bool = False) -> NDArray[np.uint8]:
    """Grayscale ``H x W`` (or ``H x W x 1``) and BGRA ``H x W x 4`` become BGR ``H x W x 3``."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise TrackerError(f"images must be uint8, got dtype {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise TrackerError(
            f"images must be H x W (gray), H x W x 3 (BGR) or H x W x 4 (BGRA); got {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        if allow_empty:
            return np.zeros((array.shape[0], array.shape[1], 3), np.uint8)
        raise TrackerError(f"empty image of shape {array.shape}")
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)  # type: ignore[return-value]
    if array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_BGRA2BGR)  # type: ignore[return-value]
    return array
