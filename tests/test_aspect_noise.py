"""The Kalman filter's aspect-ratio process noise (``aspect_noise``): at DeepSORT's value the
box's shape is nearly fixed; more lets a track follow a shape that really changes, such as a
person clipped by the image border."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.kalman import NoiseModel


def _clipped_walker_width_error(aspect_noise: float) -> float:
    """A 80 x 200 px person walks left into the image border, which clips the detector's box
    to x >= 0 while its height stays; returns how far the track's width is from the last
    detection's (px)."""
    tracker = DeepSort(DeepSortConfig(aspect_noise=aspect_noise), frame_rate=30.0)
    left = 62.0
    for _ in range(30):  # steady: the box keeps its shape, reaching the border
        left -= 2.0
        tracks = tracker.update(np.array([[left, 100.0, left + 80.0, 300.0]]), np.array([0.9]))
    for _ in range(20):  # clipped: the visible part narrows by 2 px a frame
        left -= 2.0
        box = np.array([[max(left, 0.0), 100.0, left + 80.0, 300.0]])
        tracks = tracker.update(box, np.array([0.9]))
    assert len(tracks) == 1
    width = tracks.boxes[0, 2] - tracks.boxes[0, 0]
    return float(abs(width - (box[0, 2] - box[0, 0])))


def test_a_shape_that_changes_is_followed_sooner_with_more_aspect_noise() -> None:
    deepsort, loose = _clipped_walker_width_error(1.0), _clipped_walker_width_error(10.0)
    assert loose < deepsort / 2, (deepsort, loose)


@given(scale=st.floats(0.01, 100.0))
def test_aspect_noise_scales_only_the_aspect_ratio_process_noise(examples, scale) -> None:
    """The aspect ratio's process (and initial) noise is scaled; every other term is
    DeepSORT's, whatever the scale, and so is the measurement noise."""
    base, scaled = NoiseModel(), NoiseModel(aspect_noise=scale)
    height = np.array([50.0, 200.0])
    others = [0, 1, 3, 4, 5, 6, 7]
    for noise in ("process_std", "initial_std"):
        base_std, scaled_std = getattr(base, noise)(height), getattr(scaled, noise)(height)
        np.testing.assert_array_equal(base_std[:, others], scaled_std[:, others])
        np.testing.assert_allclose(scaled_std[:, 2], base_std[:, 2] * scale, rtol=1e-12)
    np.testing.assert_array_equal(base.measurement_std(height), scaled.measurement_std(height))
    examples.record("aspect noise scale", "below 1" if scale < 1 else "1 or above")


def test_aspect_noise_is_checked_and_travels_over_the_wire() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.service.wire import tracker_config

    for bad in (0.0, -1.0, 1000.0, float("nan")):
        with pytest.raises(ValueError, match="aspect_noise"):
            DeepSortConfig(aspect_noise=bad)
    for bad in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="aspect_noise"):
            NoiseModel(aspect_noise=bad)
    default = DeepSortConfig()
    assert tracker_config(pb.TrackerParams(aspect_noise=3.0), default).aspect_noise == 3.0
    assert tracker_config(pb.TrackerParams(), default).aspect_noise == default.aspect_noise
