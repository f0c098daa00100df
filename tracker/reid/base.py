"""The appearance-embedder contract: image crops in, unit-length feature rows out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray


@runtime_checkable
class Embedder(Protocol):
    """``embed`` takes crops of any size (``h x w x 3`` uint8 BGR) and returns ``(N, dim)``
    float32 rows of unit length, batched however the implementation likes."""

    name: str
    dim: int
    match_distance: float
    """Cosine distance below which two crops are likely the same person: the tracker's
    appearance gate for this embedder (``DeepSortConfig.max_appearance_distance=None``)."""

    def embed(self, crops: Sequence[NDArray[np.uint8]]) -> NDArray[np.float32]: ...


def crop_boxes(frame: NDArray[np.uint8], boxes: NDArray[np.floating]) -> list[NDArray[np.uint8]]:
    """Cut ``boxes`` (xyxy) out of ``frame``, clipped to the image.

    A box that lies wholly outside the image, or is thinner than a pixel after clipping,
    becomes a 1x1 crop of its nearest border pixel, so every box still gets a feature row and
    row ``i`` of the features always belongs to box ``i``.
    """
    h, w = frame.shape[:2]
    if len(boxes) == 0:
        return []
    clipped = np.asarray(boxes, dtype=np.float64).copy()
    clipped[:, [0, 2]] = np.clip(clipped[:, [0, 2]], 0, w)
    clipped[:, [1, 3]] = np.clip(clipped[:, [1, 3]], 0, h)
    x1 = np.minimum(np.floor(clipped[:, 0]).astype(int), w - 1)
    y1 = np.minimum(np.floor(clipped[:, 1]).astype(int), h - 1)
    x2 = np.maximum(np.ceil(clipped[:, 2]).astype(int), x1 + 1)
    y2 = np.maximum(np.ceil(clipped[:, 3]).astype(int), y1 + 1)
    return [frame[a:b, c:d] for a, b, c, d in zip(y1, y2, x1, x2, strict=True)]
