"""YOLO letterboxing: resize keeping the aspect ratio, pad with grey, and map boxes back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Placement:
    """Where a letterboxed frame goes: resized to ``new_w x new_h`` at ``(top, left)`` in an
    ``out_h x out_w`` canvas of ``PAD_VALUE``."""

    box: Letterbox
    new_w: int
    new_h: int
    top: int
    left: int
    out_h: int
    out_w: int


def placement(h: int, w: int, size: int, stride: int = 32, square: bool = True) -> Placement:
    """YOLOv5's letterbox geometry: long side to ``size``; pad to ``size x size`` (``square``)
    or only to the next multiple of ``stride`` (the minimal rectangle), centred, rounding as
    YOLOv5 does."""
    gain = min(size / h, size / w)
    new_w, new_h = round(w * gain), round(h * gain)
    dw, dh = size - new_w, size - new_h
    if not square:
        dw, dh = dw % stride, dh % stride
    half_w, half_h = dw / 2, dh / 2
    top, bottom = round(half_h - 0.1), round(half_h + 0.1)
    left, right = round(half_w - 0.1), round(half_w + 0.1)
    return Placement(
        Letterbox(gain, half_w, half_h, h, w),
        new_w,
        new_h,
        top,
        left,
        new_h + top + bottom,
        new_w + left + right,
    )


def letterbox(
    image: NDArray[np.uint8], size: int, stride: int = 32, square: bool = True
) -> tuple[NDArray[np.uint8], Letterbox]:
    """One frame letterboxed into its own array (see ``placement``)."""
    batch, (box,) = letterbox_batch([image], size, stride, square)
    return batch[0], box


def letterbox_batch(
    images: Sequence[NDArray[np.uint8]], size: int, stride: int = 32, square: bool = True
) -> tuple[NDArray[np.uint8], list[Letterbox]]:
    """Frames letterboxed straight into one ``B x H x W x 3`` batch: each frame is resized
    into its slot (no per-frame canvas, no stacking copy); frames of different sizes are
    padded at the bottom/right to the largest, which moves no coordinates."""
    places = [placement(image.shape[0], image.shape[1], size, stride, square) for image in images]
    height = max(p.out_h for p in places)
    width = max(p.out_w for p in places)
    batch = np.full((len(images), height, width, 3), PAD_VALUE, np.uint8)
    for i, (image, p) in enumerate(zip(images, places, strict=True)):
        slot = batch[i, p.top : p.top + p.new_h, p.left : p.left + p.new_w]
        if (p.new_w, p.new_h) == (image.shape[1], image.shape[0]):
            slot[...] = image
        else:
            resized = cv2.resize(
                image, (p.new_w, p.new_h), dst=slot, interpolation=cv2.INTER_LINEAR
            )
            if resized is not slot and not np.shares_memory(resized, slot):
                slot[...] = resized  # OpenCV could not write in place (unusual strides)
    return batch, [p.box for p in places]


def stack_padded(images: Sequence[NDArray[np.uint8]]) -> NDArray[np.uint8]:
    """Stack letterboxed images of different sizes into one ``B x H x W x 3`` array, padding at
    the bottom/right (which moves no coordinates)."""
    height = max(image.shape[0] for image in images)
    width = max(image.shape[1] for image in images)
    batch = np.full((len(images), height, width, 3), PAD_VALUE, np.uint8)
    for i, image in enumerate(images):
        batch[i, : image.shape[0], : image.shape[1]] = image
    return batch
