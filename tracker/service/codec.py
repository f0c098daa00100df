"""Frame payloads to BGR arrays, with the pixel limit checked before any decoding.

``image_size`` reads the width and height from a JPEG or PNG header, so a frame over the
pixel limit is refused without allocating its pixels (a small file can declare a huge image).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers carry the image size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_NO_LENGTH = {0x01, 0xD8, *range(0xD0, 0xD8)}

CHANNELS = {"bgr8": 3, "rgb8": 3, "gray8": 1}


class FrameError(ValueError):
    """A frame the server cannot use; its message goes back to the client in-band."""


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


def decode_image(data: bytes, max_pixels: int) -> NDArray[np.uint8]:
    """JPEG/PNG bytes -> ``H x W x 3`` BGR; FrameError for anything undecodable or too big."""
    from tracker.image import decode_image_bytes  # lazy: only the worker thread decodes

    width, height = image_size(data)
    check_pixels(width, height, max_pixels)
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
