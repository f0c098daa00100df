"""The camera's image velocity, learnt from the tracker's own matches (no frames needed).

When the camera pans, every person's box moves by the same extra shift between frames, and
each track's constant-velocity model learns that shift separately and late: the predictions
lag the scene, and at 7-14 fps the lag is enough to lose the IoU match (the issue's held-out
loss on a sequence filmed from a moving car, and ``benchmarks/camera_pan_dets.py``). The
tracker's matches already measure it: after the association, the confirmed tracks matched in
this frame and the previous one have residuals (measured minus predicted centre) whose
common part is the camera's change of velocity. ``CameraVelocity`` keeps a velocity of the
whole image, moves every predicted track by it, and corrects it by a fraction (``gain``) of
that common residual each frame.

The common residual is a robust estimate that stays zero on a static camera: the median of
the residuals, shrunk towards zero by one standard error of the median (from the MAD), with
that error never below what the Kalman filter itself expects of a median of its innovations.
A group walking alike, whose residuals agree but stay within the filter's own noise, is no
camera motion. Translation only: a camera moving forward scales each person by their own
depth, not by one factor. With camera motion from the frames (``camera_motion``) the
tracker uses that instead.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from tracker.core import kalman_kernels
from tracker.core.jit import kernel

#: Fewest steady track/detection pairs a camera shift is estimated from; the median of
#: fewer is one person's own acceleration.
MIN_CAMERA_PAIRS = 4

#: Standard errors of the median taken off the common residual before it counts (a soft
#: threshold: noise and a few people changing pace give no camera motion).
CAMERA_SIGNIFICANCE = 1.0

#: ``1.2533 * sigma / sqrt(n)`` is the standard error of the median of n normal samples;
#: ``1.4826 * MAD`` estimates sigma.
_MEDIAN_ERROR = 1.2533
_MAD_TO_SIGMA = 1.4826

_MEASUREMENT = kalman_kernels.MEASUREMENT
_MEASUREMENT_OFFSET = kalman_kernels.MEASUREMENT_OFFSET


@kernel
def common_shift(
    residuals: NDArray[np.float64], expected_spread: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The shift every pair shares, ``(2,)``: the median of ``residuals`` ``(n, 2)`` shrunk
    towards zero by ``CAMERA_SIGNIFICANCE`` standard errors of the median (never past it).
    The error is at least the one the filter expects, from ``expected_spread`` ``(n, 2)``,
    each pair's innovation standard deviation in x and y. Zero for fewer than
    ``MIN_CAMERA_PAIRS`` pairs."""
    shift = np.zeros(2)
    n = residuals.shape[0]
    if n < MIN_CAMERA_PAIRS:
        return shift
    root_n = math.sqrt(n)
    for axis in range(2):
        values = residuals[:, axis].copy()
        median = np.median(values)
        mad = np.median(np.abs(values - median))
        error = max(
            _MEDIAN_ERROR * _MAD_TO_SIGMA * mad / root_n,
            _MEDIAN_ERROR * np.median(expected_spread[:, axis].copy()) / root_n,
        )
        size = max(abs(median) - CAMERA_SIGNIFICANCE * error, 0.0)
        shift[axis] = math.copysign(size, median) if size > 0.0 else 0.0
    return shift


@kernel
def steady_residuals(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    states: NDArray[np.int8],
    misses: NDArray[np.int32],
    confirmed: int,
    mean: NDArray[np.float64],
    cov: NDArray[np.float64],
    measured: NDArray[np.float64],
    noise: NDArray[np.float64],
    min_height: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per matched pair (track ``rows[k]``, detection ``cols[k]``) whose track is steady
    (state ``confirmed``, matched in the previous frame: ``misses`` 1 after this frame's
    predict): the centre's residual, measured minus predicted, and the
    innovation standard deviation the filter expects of it (its projected variance plus
    the measurement noise, ``noise`` as in ``kalman_kernels``); both ``(n, 2)``, x and y,
    in the pairs' order."""
    steady = np.empty(len(rows), np.bool_)
    n = 0
    for k in range(len(rows)):
        steady[k] = states[rows[k]] == confirmed and misses[rows[k]] == 1
        n += steady[k]
    residuals = np.empty((n, 2))
    spread = np.empty((n, 2))
    i = 0
    for k in range(len(rows)):
        if not steady[k]:
            continue
        row, col = rows[k], cols[k]
        height = max(mean[row, 3], min_height)
        for axis in range(2):
            residuals[i, axis] = measured[col, axis] - mean[row, axis]
            std = height * noise[_MEASUREMENT, axis] + noise[_MEASUREMENT_OFFSET, axis]
            spread[i, axis] = math.sqrt(cov[row, axis, axis] + std * std)
        i += 1
    return residuals, spread


class CameraVelocity:
    """One stream's image velocity (pixels per frame), learnt with a fixed gain."""

    def __init__(self, gain: float) -> None:
        if not 0.0 <= gain <= 1.0:
            raise ValueError(f"gain must be in [0, 1], got {gain!r}")
        self.gain = gain
        self.velocity = np.zeros(2)

    @property
    def moving(self) -> bool:
        return bool(self.velocity.any())

    def move(self, mean: NDArray[np.float64]) -> None:
        """Move predicted states ``mean`` (``(N, 8)``, centre first) with the camera, in
        place."""
        if self.moving:
            mean[:, :2] += self.velocity

    def learn(self, residuals: NDArray[np.float64], expected_spread: NDArray[np.float64]) -> None:
        """Correct the velocity by ``gain`` times the pairs' ``common_shift``."""
        if self.gain == 0.0 or len(residuals) < MIN_CAMERA_PAIRS:
            return
        self.velocity += self.gain * common_shift(residuals, expected_spread)
