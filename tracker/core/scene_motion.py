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

A gain below one learns a sudden or fast pan over several frames, and until it has, the
predictions sit beside their people: a shift larger than a box leaves no overlap for the
IoU stages, and the tracks are lost at once. ``aligning_shift`` measures such a shift
before the association (``camera_alignment``): each steady track votes for the
displacements to the detections near it; the displacement most tracks share, if it fits at
least ``MIN_CAMERA_PAIRS`` of them and at most half as many fit no shift at all, moves
every prediction at once and feeds ``ALIGNMENT_FEED`` of itself into the velocity. Only a
shift of the whole scene larger than a person's localisation noise passes that test, so on
the development sequences (static, or a walking camera) it fires in 4 of the 4,709 frames
of the ten LOSO units.
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

#: ``aligning_shift``'s geometry: the largest displacement voted for and the vote's bin,
#: in units of the tracks' median height, and how close to the voted shift a detection must
#: be for its track to support it, in units of that track's height (a box displaced by 0.15
#: of its height still has an IoU above 0.5 with its person).
ALIGNMENT_MAX_SHIFT = 1.5
ALIGNMENT_BIN = 0.1
ALIGNMENT_TOLERANCE = 0.15
#: A detection votes for a track only if their heights differ by less than this factor.
ALIGNMENT_HEIGHT_RATIO = 1.25
#: The share of an aligning shift that joins the camera's velocity: a pan persists, a jolt
#: does not (benchmarks/results/camera_pan_dets.md, loso_notes.md round 6).
ALIGNMENT_FEED = 0.7

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


@kernel
def _alike(detection_height: float, track_height: float) -> bool:
    """Whether a detection may vote for a track: heights within ``ALIGNMENT_HEIGHT_RATIO``."""
    ratio = detection_height / track_height
    return 1.0 / ALIGNMENT_HEIGHT_RATIO < ratio < ALIGNMENT_HEIGHT_RATIO


@kernel
def aligning_shift(
    predicted: NDArray[np.float64], detected: NDArray[np.float64]
) -> tuple[NDArray[np.float64], int, int]:
    """The displacement most ``predicted`` boxes share with a detection: ``(shift, support,
    still)``. Both inputs are ``(n, >=4)`` measurements, centre first and height fourth.

    Every (track, detection) pair of similar height votes for its displacement, in pixels
    (a pan moves near and far people alike) binned in units of the tracks' median height,
    within ``ALIGNMENT_MAX_SHIFT``; the candidate is the mean displacement of the votes in
    the 3x3 bins with the most (those nearest no shift among equals). ``support`` counts
    the tracks whose nearest detection to the candidate is within ``ALIGNMENT_TOLERANCE``
    of their own height of it, ``still`` those with a detection that close to no shift,
    and ``shift`` is the median displacement of the supporting pairs (zero without
    support). Two passes over the pairs, each rejecting most of them on one coordinate."""
    tracks, detections = predicted.shape[0], detected.shape[0]
    shift = np.zeros(2)
    if tracks == 0 or detections == 0:
        return shift, 0, 0
    unit = np.median(predicted[:, 3].copy())
    if not unit > 0.0:  # no sizes to measure a shift in
        return shift, 0, 0
    reach = ALIGNMENT_MAX_SHIFT * unit
    half = round(ALIGNMENT_MAX_SHIFT / ALIGNMENT_BIN)
    bins = 2 * half + 1
    votes = np.zeros((bins + 2, bins + 2), np.int64)  # a border of empty bins
    sum_x = np.zeros((bins + 2, bins + 2))
    sum_y = np.zeros((bins + 2, bins + 2))
    for i in range(tracks):
        height = predicted[i, 3]
        for j in range(detections):
            dx = detected[j, 0] - predicted[i, 0]
            if abs(dx) > reach:
                continue
            dy = detected[j, 1] - predicted[i, 1]
            if abs(dy) > reach or not _alike(detected[j, 3], height):
                continue
            a = round(dx / unit / ALIGNMENT_BIN) + half + 1
            b = round(dy / unit / ALIGNMENT_BIN) + half + 1
            votes[a, b] += 1
            sum_x[a, b] += dx
            sum_y[a, b] += dy
    # 3x3 window sums, separably: along x, then along y.
    rows = np.zeros((bins + 2, bins + 2), np.int64)
    for a in range(1, bins + 1):
        for b in range(bins + 2):
            rows[a, b] = votes[a - 1, b] + votes[a, b] + votes[a + 1, b]
    best, best_offset, peak_x, peak_y = -1, 0, half + 1, half + 1
    for a in range(1, bins + 1):
        for b in range(1, bins + 1):
            total = rows[a, b - 1] + rows[a, b] + rows[a, b + 1]
            offset = (a - half - 1) ** 2 + (b - half - 1) ** 2
            if total > best or (total == best and offset < best_offset):
                best, best_offset, peak_x, peak_y = total, offset, a, b
    if best <= 0:
        return shift, 0, 0
    # The candidate: the mean displacement of the votes in the winning bins (a bin's
    # centre could sit a bin away from them).
    centre_x, centre_y = 0.0, 0.0
    for a in range(peak_x - 1, peak_x + 2):
        for b in range(peak_y - 1, peak_y + 2):
            centre_x += sum_x[a, b]
            centre_y += sum_y[a, b]
    centre_x /= best
    centre_y /= best
    shifts = np.empty((tracks, 2))
    support = 0
    still = 0
    for i in range(tracks):
        height = predicted[i, 3]
        near = ALIGNMENT_TOLERANCE * height
        nearest, nearest_still, pick = near * near, near * near, -1
        for j in range(detections):
            dx = detected[j, 0] - predicted[i, 0]
            if abs(dx - centre_x) >= near and abs(dx) >= near:
                continue
            dy = detected[j, 1] - predicted[i, 1]
            if not _alike(detected[j, 3], height):
                continue
            distance = (dx - centre_x) ** 2 + (dy - centre_y) ** 2
            if distance < nearest:
                nearest, pick = distance, j
            nearest_still = min(nearest_still, dx * dx + dy * dy)
        if pick >= 0:
            shifts[support, 0] = detected[pick, 0] - predicted[i, 0]
            shifts[support, 1] = detected[pick, 1] - predicted[i, 1]
            support += 1
        if nearest_still < near * near:
            still += 1
    if support > 0:
        shift[0] = np.median(shifts[:support, 0].copy())
        shift[1] = np.median(shifts[:support, 1].copy())
    return shift, support, still


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

    def align(
        self, mean: NDArray[np.float64], steady: NDArray[np.bool_], detected: NDArray[np.float64]
    ) -> bool:
        """Move every predicted state ``mean`` (``(N, 8)``, in place) by the shift the
        ``steady`` tracks share with the ``detected`` measurements, when enough of them share
        it and few fit no shift (``aligning_shift``), and feed ``ALIGNMENT_FEED`` of it into
        the velocity (unless the gain is 0: then nothing would ever correct the velocity
        again). Returns whether it moved them."""
        if steady.sum() < MIN_CAMERA_PAIRS or len(detected) < MIN_CAMERA_PAIRS:
            return False
        shift, support, still = aligning_shift(mean[steady], detected)
        if support < MIN_CAMERA_PAIRS or 2 * still > support:
            return False
        mean[:, :2] += shift
        if self.gain > 0.0:
            self.velocity += ALIGNMENT_FEED * shift
        return True

    def learn(self, residuals: NDArray[np.float64], expected_spread: NDArray[np.float64]) -> None:
        """Correct the velocity by ``gain`` times the pairs' ``common_shift``."""
        if self.gain == 0.0 or len(residuals) < MIN_CAMERA_PAIRS:
            return
        self.velocity += self.gain * common_shift(residuals, expected_spread)
