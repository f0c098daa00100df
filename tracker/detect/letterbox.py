"""YOLO letterboxing: resize keeping the aspect ratio, pad with grey, and map boxes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import cv2
import numpy as np
from numpy.typing import NDArray

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """How one frame was placed in the network input: ``net = orig * gain + (pad_x, pad_y)``."""

    gain: float
    pad_x: float
    pad_y: float
    orig_h: int
    orig_w: int

    def to_original(self, boxes: NDArray[np.floating]) -> NDArray[np.float32]:
        """Network-input xyxy boxes -> original image pixels, clipped to the image."""
        out = np.asarray(boxes, np.float32).reshape(-1, 4).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.gain
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.gain
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.orig_w)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.orig_h)
        return out


def letterbox(
    image: NDArray[np.uint8], size: int, stride: int = 32, square: bool = True
) -> tuple[NDArray[np.uint8], Letterbox]:
    """YOLOv5's letterbox: long side to ``size``; pad to ``size x size`` (``square``) or only to
    the next multiple of ``stride`` (the minimal rectangle), centred, rounding as YOLOv5 does."""
    h, w = image.shape[:2]
    gain = min(size / h, size / w)
    new_w, new_h = round(w * gain), round(h * gain)
    dw, dh = size - new_w, size - new_h
    if not square:
        dw, dh = dw % stride, dh % stride
    half_w, half_h = dw / 2, dh / 2
    resized = (
        image
        if (new_w, new_h) == (w, h)
        else cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    )
    top, bottom = round(half_h - 0.1), round(half_h + 0.1)
    left, right = round(half_w - 0.1), round(half_w + 0.1)
    padded = cv2.copyMakeBorder(
        resized, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3
    )
    return cast(NDArray[np.uint8], padded), Letterbox(gain, half_w, half_h, h, w)


def stack_padded(images: Sequence[NDArray[np.uint8]]) -> NDArray[np.uint8]:
    """Stack letterboxed images of different sizes into one ``B x H x W x 3`` array, padding at
    the bottom/right (which moves no coordinates)."""
    height = max(image.shape[0] for image in images)
    width = max(image.shape[1] for image in images)
    batch = np.full((len(images), height, width, 3), PAD_VALUE, np.uint8)
    for i, image in enumerate(images):
        batch[i, : image.shape[0], : image.shape[1]] = image
    return batch
