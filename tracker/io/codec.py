"""Encoded frames (JPEG/PNG bytes, raw pixels) to BGR arrays: the one decoder that frame
sources, the client and the server share, so a frame is good or bad the same way everywhere.
The pixel limit is checked before any decoding.

``image_size`` reads the width and height from a JPEG or PNG header, so a frame over the
pixel limit is refused without allocating its pixels (a small file can declare a huge image).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tracker.errors import TrackerError

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the image size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_NO_LENGTH = {0x01, 0xD8, *range(0xD0, 0xD8)}

CHANNELS = {"bgr8": 3, "rgb8": 3, "gray8": 1}


class FrameError(TrackerError, ValueError):
    """A frame that cannot be used: the server answers it in-band, offline runs write an
    error row for it; either way the run goes on with the next frame."""


def image_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` from a PNG or JPEG header; FrameError if neither can be read."""
    if data.startswith(_PNG_SIGNATURE):
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise FrameError("corrupt PNG: no IHDR header")
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    raise FrameError("image bytes are neither JPEG nor PNG")


def _jpeg_size(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise FrameError("corrupt JPEG: bad marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_NO_LENGTH:
            i += 2
            continue
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                break
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    raise FrameError("corrupt JPEG: no frame header")


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise FrameError(f"image size {width}x{height} is empty")
    if width * height > max_pixels:
        raise FrameError(
            f"frame of {width}x{height} = {width * height} pixels is over the server's limit "
            f"of {max_pixels} pixels; resize it before sending"
        )


#: Default pixel limit for local files (the server has its own, ``--max-pixels``).
MAX_FILE_PIXELS = 100_000_000
JPEG_MAGIC = b"\xff\xd8"
EXIF_MARK = b"Exif\x00\x00"
EXIF_SEARCH_BYTES = 1 << 16  # APP1 (EXIF) sits in the header, before the image data


@functools.cache
def _simplejpeg() -> Any:
    """libjpeg-turbo's decoder if installed, looked up once (a failed import is not cached
    by Python, and this runs for every frame)."""
    try:
        import simplejpeg
    except ImportError:
        return None
    return simplejpeg


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
    turbo = _simplejpeg()
    if turbo is not None and data[:2] == JPEG_MAGIC and EXIF_MARK not in data[:EXIF_SEARCH_BYTES]:
        try:
            return turbo.decode_jpeg(data, colorspace="BGR")
        except ValueError:
            pass
    import cv2  # lazy: importing the codec costs nothing until a frame is decoded

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else np.ascontiguousarray(image)


def _is_truncated_jpeg(data: bytes) -> bool:
    """A JPEG must end with its end-of-image marker (trailing padding allowed). libjpeg
    decodes a cut file into a partly grey image with only a warning; we refuse it instead,
    so a damaged frame is an error, not a frame of invented pixels."""
    return data.startswith(JPEG_MAGIC) and not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")


def decode_image(data: bytes, max_pixels: int = MAX_FILE_PIXELS) -> NDArray[np.uint8]:
    """JPEG/PNG bytes -> ``H x W x 3`` BGR; FrameError for anything undecodable, truncated
    or too big."""
    width, height = image_size(data)
    check_pixels(width, height, max_pixels)
    if _is_truncated_jpeg(data):
        raise FrameError("corrupt JPEG: truncated (no end-of-image marker)")
    image = decode_image_bytes(data)
    if image is None:
        raise FrameError("corrupt image: the JPEG/PNG data could not be decoded")
    if image.shape[:2] != (height, width):
        raise FrameError(
            f"corrupt image: header says {width}x{height}, decoded {image.shape[1]}x"
            f"{image.shape[0]}"
        )
    return np.ascontiguousarray(image)


def raw_to_bgr(
    data: bytes, width: int, height: int, pixel_format: str, max_pixels: int
) -> NDArray[np.uint8]:
    """Uncompressed pixels -> ``H x W x 3`` BGR, checking the byte count against the shape."""
    if pixel_format not in CHANNELS:
        raise FrameError(
            f"unknown raw pixel format {pixel_format!r}; expected one of {', '.join(CHANNELS)}"
        )
    check_pixels(width, height, max_pixels)
    channels = CHANNELS[pixel_format]
    expected = width * height * channels
    if len(data) != expected:
        raise FrameError(
            f"raw {pixel_format} frame of {width}x{height} needs {expected} bytes, got {len(data)}"
        )
    pixels = np.frombuffer(data, np.uint8).reshape(height, width, channels)
    if pixel_format == "rgb8":
        return np.ascontiguousarray(pixels[:, :, ::-1])
    if pixel_format == "gray8":
        return np.repeat(pixels, 3, axis=2)
    return pixels
