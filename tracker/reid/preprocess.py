"""Turning a list of crops of any size into one normalised batch.

All embedders share this: resize every crop to the network's input size, stack into one
array, and normalise it in a single vectorised step, so a frame's crops cost one forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from tracker.image import to_bgr

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class CropPreprocess:
    height: int
    width: int
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def resize_bgr(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.uint8]:
        """``(N, H, W, 3)`` BGR uint8, each crop resized straight into its slot of the batch
        (no per-crop temporary). Empty crops (zero width or height, e.g. a box on the image
        border) become grey images rather than failing the whole batch."""
        batch = np.empty((len(crops), self.height, self.width, 3), np.uint8)
        for i, crop in enumerate(crops):
            bgr = to_bgr(crop, allow_empty=True)
            if bgr.shape[0] == 0 or bgr.shape[1] == 0:
                batch[i] = 128
                continue
            cv2.resize(bgr, (self.width, self.height), dst=batch[i], interpolation=cv2.INTER_LINEAR)
        return batch

    def resize_all(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.uint8]:
        """``(N, H, W, 3)`` RGB uint8 (a view of ``resize_bgr``'s batch)."""
        return self.resize_bgr(crops)[..., ::-1]

    def to_array(self, crops: Sequence[NDArray[np.generic]]) -> NDArray[np.float32]:
        """``(N, 3, H, W)`` float32, normalised; what ONNX Runtime consumes."""
        scaled = self.resize_all(crops).astype(np.float32) / np.float32(255)
        mean, std = np.asarray(self.mean, np.float32), np.asarray(self.std, np.float32)
        normalised: NDArray[np.float32] = (scaled - mean) / std
        return np.ascontiguousarray(normalised.transpose(0, 3, 1, 2))

    def as_dict(self) -> dict[str, object]:
        return {"height": self.height, "width": self.width, "mean": self.mean, "std": self.std}


def l2_normalize_rows(features: NDArray[np.floating]) -> NDArray[np.float32]:
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return (features / np.maximum(norms, 1e-12)).astype(np.float32)
