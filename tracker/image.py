"""Image-format normalisation shared by detectors and embedders.

Models promise BGR ``H x W x 3`` uint8; callers hand us what cameras and files give them
(grayscale, BGRA). Converting in one place keeps every model's preprocessing simple.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError

JPEG_MAGIC = b"\xff\xd8"
EXIF_MARK = b"Exif\x00\x00"
EXIF_SEARCH_BYTES = 1 << 16  # APP1 (EXIF) sits in the header, before the image data


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


def decode_image_bytes(data: bytes) -> NDArray[np.uint8] | None:
    """Encoded image bytes -> BGR ``H x W x 3``, or ``None`` if they do not decode.

    JPEGs go through libjpeg-turbo's own API (simplejpeg) when it is installed: the same pixels
    as OpenCV's decoder (accurate DCT and upsampling in both), in about 0.55x the time on
    PETS09's 768x576 frames (benchmarks/results/jpeg_decode.md). Anything it refuses (CMYK,
    a damaged file), other formats and JPEGs with EXIF data (OpenCV applies their
    orientation) go to OpenCV, which decides.
    """
    if not data:
        return None
    # OpenCV turns images by their EXIF orientation, libjpeg-turbo does not: leave those to it.
    if data[:2] == JPEG_MAGIC and EXIF_MARK not in data[:EXIF_SEARCH_BYTES]:
        try:
            import simplejpeg
        except ImportError:
            simplejpeg = None
        if simplejpeg is not None:
            try:
                return simplejpeg.decode_jpeg(data, colorspace="BGR")
            except ValueError:
                pass
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else np.ascontiguousarray(image)
