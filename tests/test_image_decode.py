"""tracker.io.codec.decode_image_bytes: libjpeg-turbo's decoder where it can, OpenCV otherwise,
the same pixels either way."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest
from helpers_ml import PETS

from tracker.io.codec import decode_image_bytes


@pytest.mark.parametrize("frame", [1, 400, 795])
def test_pets_frames_decode_to_opencvs_pixels(frame: int) -> None:
    path = PETS / "img1" / f"{frame:06d}.jpg"
    np.testing.assert_array_equal(decode_image_bytes(path.read_bytes()), cv2.imread(str(path)))


def test_gray_png_garbage_and_truncated() -> None:
    rng = np.random.default_rng(0)
    gray = cv2.imencode(".jpg", rng.integers(0, 256, (40, 30), np.uint8))[1].tobytes()
    expected = cv2.imdecode(np.frombuffer(gray, np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(decode_image_bytes(gray), expected)
    png = cv2.imencode(".png", rng.integers(0, 256, (9, 7, 3), np.uint8))[1].tobytes()
    assert decode_image_bytes(png).shape == (9, 7, 3)  # type: ignore[union-attr]
    assert decode_image_bytes(b"\xff\xd8 not really a jpeg") is None
    assert decode_image_bytes(b"") is None
    jpeg = (PETS / "img1" / "000001.jpg").read_bytes()
    assert decode_image_bytes(jpeg[: len(jpeg) // 2]) is None  # as OpenCV decides


def test_without_simplejpeg_opencv_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.io import codec

    monkeypatch.setitem(sys.modules, "simplejpeg", None)  # import fails
    codec._simplejpeg.cache_clear()  # the lookup is made once per process
    try:
        assert codec._simplejpeg() is None
        path = PETS / "img1" / "000002.jpg"
        np.testing.assert_array_equal(decode_image_bytes(path.read_bytes()), cv2.imread(str(path)))
    finally:
        codec._simplejpeg.cache_clear()


def test_exif_jpegs_keep_opencvs_orientation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A JPEG with an EXIF block goes to OpenCV (which honours its orientation tag)."""
    import simplejpeg

    calls: list[int] = []
    real = simplejpeg.decode_jpeg
    monkeypatch.setattr(simplejpeg, "decode_jpeg", lambda *a, **k: calls.append(1) or real(*a, **k))
    jpeg = (PETS / "img1" / "000003.jpg").read_bytes()
    exif = b"\xff\xe1\x00\x10Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08"  # APP1, empty TIFF
    with_exif = jpeg[:2] + exif + jpeg[2:]
    np.testing.assert_array_equal(
        decode_image_bytes(with_exif), cv2.imdecode(np.frombuffer(with_exif, np.uint8), 1)
    )
    assert calls == []
    decode_image_bytes(jpeg)
    assert calls == [1]
