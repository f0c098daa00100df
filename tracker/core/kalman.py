"""Batched constant-velocity Kalman filter in DeepSORT's (cx, cy, a, h) or BoT-SORT's
(cx, cy, w, h) state space.

``xyah`` (the default): the state is ``(cx, cy, a, h, vx, vy, va, vh)``, box centre, aspect
ratio w/h, height and their velocities. Process and measurement noise scale with the box
height, exactly as in nwojke/deep_sort, so a distant (small) pedestrian gets a tighter gate
than a close one; the aspect ratio gets a small constant noise.

``xywh_height``: BoT-SORT's state ``(cx, cy, w, h, vx, vy, vw, vh)``, so a box whose width
changes at its own pace (a person turning) is modelled directly instead of through a ratio
whose noise does not grow with the box; the noise is DeepSORT's, every component's
proportional to the height. BoT-SORT's own noise (the x-like components proportional to the
width) was tried and removed: for a pedestrian it makes the horizontal Mahalanobis gate about
2.5 times narrower than the vertical one, and LOSO's left-out mean objective fell from 61.14
to 57.70 (benchmarks/results/loso_xywh_notes.md).

Every operation works on all tracks at once: means are ``(N, 8)``, covariances
``(N, 8, 8)``. With a constant transition matrix ``F = [[I, I], [0, I]]`` the products
``F x`` and ``F P F^T`` reduce to a few block additions, which is what ``predict`` does.
The per-frame operations run as compiled loops (``tracker.core.kalman_kernels``) that give
the array formulas' bits; a covariance coupled by a camera motion (``warp``) takes the
array formulas with LAPACK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from tracker.core import kalman_kernels as kernels

FloatArray = NDArray[np.float64]

KalmanState = Literal["xyah", "xywh_height"]
#: The state spaces (and noise models) ``BatchKalmanFilter`` supports
#: (``DeepSortConfig.kalman_state``).
KALMAN_STATES: tuple[KalmanState, ...] = get_args(KalmanState)

#: 0.95 quantile of the chi-square distribution with 1..4 degrees of freedom.
#: The Mahalanobis gate for a 4-d measurement (cx, cy, a, h) uses ``CHI2_95[4]``.
CHI2_95 = {1: 3.8415, 2: 5.9915, 3: 7.8147, 4: 9.4877}


@dataclass(frozen=True)
class NoiseModel:
    """Noise scales relative to the box height; the defaults are DeepSORT's (and BoT-SORT's)."""

    std_weight_position: float = 1.0 / 20
    std_weight_velocity: float = 1.0 / 160
    min_height: float = 1.0
    """Heights below this many pixels scale the noise as if they were this tall. Detections
    under 1 px are dropped at the boundary (``MIN_BOX_SIZE``), but a track's own height can
    still shrink to ~0 (coasting on a shrinking size, or a correction), and noise
    proportional to it would leave the covariance singular or indefinite."""
    state: KalmanState = "xyah"
    aspect_noise: float = 1.0
    """``xyah`` only: the aspect ratio's process noise (and its initial uncertainty, which
    DeepSORT sets equal), in multiples of DeepSORT's (a standard deviation of 0.01 a frame).
    DeepSORT holds the aspect nearly fixed, which steadies a
    box whose width the detector measures noisily but lags a box whose shape really
    changes: a person entering or leaving at the image border (the detector clips the box),
    walking past close to the camera, bending or turning (``DeepSortConfig.aspect_noise``)."""
    measurement_noise: float = 1.0
    """The measurement noise's height-proportional standard deviations, in multiples of
    DeepSORT's: larger trusts a detection less (``DeepSortConfig.merge_width`` corrects a
    track with a merged detection through such a filter)."""
    _initial_scale: FloatArray = field(init=False, repr=False, compare=False)
    _process_scale: FloatArray = field(init=False, repr=False, compare=False)
    _state_offset: FloatArray = field(init=False, repr=False, compare=False)
    _measurement_scale: FloatArray = field(init=False, repr=False, compare=False)
    _measurement_offset: FloatArray = field(init=False, repr=False, compare=False)
    _kernel_table: FloatArray = field(init=False, repr=False, compare=False)

    # Each standard deviation is ``height * scale + offset``, per state component; in
    # ``xyah`` the aspect ratio's is a constant (it does not scale with the box), in
    # ``xywh_height`` there is no offset. The scale and offset vectors are built once
    # (``__post_init__``): the filter runs every frame.

    def __post_init__(self) -> None:
        if self.state not in KALMAN_STATES:
            raise ValueError(f"state must be one of {KALMAN_STATES}, got {self.state!r}")
        if not (np.isfinite(self.aspect_noise) and self.aspect_noise > 0):
            raise ValueError(f"aspect_noise must be a positive number, got {self.aspect_noise!r}")
        if not (np.isfinite(self.measurement_noise) and self.measurement_noise > 0):
            raise ValueError(
                f"measurement_noise must be a positive number, got {self.measurement_noise!r}"
            )
        p, v = self.std_weight_position, self.std_weight_velocity
        if self.state == "xyah":
            offset = np.array([0, 0, 1e-2 * self.aspect_noise, 0, 0, 0, 1e-5, 0])
            initial = np.array([2 * p, 2 * p, 0.0, 2 * p, 10 * v, 10 * v, 0.0, 10 * v])
            process = np.array([p, p, 0.0, p, v, v, 0.0, v])
            measurement, measurement_offset = np.array([p, p, 0.0, p]), np.array([0, 0, 1e-1, 0])
        else:
            offset = np.zeros(8)
            initial = np.array([2 * p] * 4 + [10 * v] * 4)
            process = np.array([p] * 4 + [v] * 4)
            measurement, measurement_offset = np.full(4, p), np.zeros(4)
        object.__setattr__(self, "_initial_scale", initial)
        object.__setattr__(self, "_process_scale", process)
        object.__setattr__(self, "_state_offset", offset)
        measurement = measurement * self.measurement_noise
        object.__setattr__(self, "_measurement_scale", measurement)
        object.__setattr__(self, "_measurement_offset", measurement_offset)
        table = np.zeros((5, 8))  # the rows ``kalman_kernels`` reads (its docstring)
        table[kernels.INITIAL] = initial
        table[kernels.PROCESS] = process
        table[kernels.STATE_OFFSET] = offset
        table[kernels.MEASUREMENT, :4] = measurement
        table[kernels.MEASUREMENT_OFFSET, :4] = measurement_offset
        object.__setattr__(self, "_kernel_table", table)

    @property
    def kernel_table(self) -> FloatArray:
        """The scales and offsets as one ``(5, 8)`` array, for ``kalman_kernels``."""
        return self._kernel_table

    def initial_std(self, height: FloatArray) -> FloatArray:
        """Initial state standard deviation, ``(N, 8)``: velocities start very uncertain."""
        height = np.maximum(height, self.min_height)
        return height[:, None] * self._initial_scale + self._state_offset

    def process_std(self, height: FloatArray) -> FloatArray:
        """Process noise standard deviation per predict step, ``(N, 8)``."""
        height = np.maximum(height, self.min_height)
        return height[:, None] * self._process_scale + self._state_offset

    def measurement_std(self, height: FloatArray) -> FloatArray:
        """Measurement noise standard deviation, ``(N, 4)``."""
        height = np.maximum(height, self.min_height)
        return height[:, None] * self._measurement_scale + self._measurement_offset


def _add_to_diagonal(matrices: FloatArray, values: FloatArray) -> None:
    """``matrices[:, i, i] += values[:, i]`` in place (``matrices`` C-contiguous ``(N, K, K)``),
    without building the diagonal matrices."""
    n, k = values.shape
    matrices.reshape(n, k * k)[:, :: k + 1] += values


class BatchKalmanFilter:
    """Predict, project, update and gate many tracks with one set of array operations.

    ``state`` picks the state space (module docstring); measurements are boxes in the same
    space (``measure`` converts xyxy corners, ``boxes`` converts back)."""

    def __init__(self, noise: NoiseModel | None = None, state: KalmanState | None = None) -> None:
        """``state`` defaults to ``noise``'s (``xyah`` without either); given both, they must
        agree."""
        if state is not None and state not in KALMAN_STATES:
            raise ValueError(f"state must be one of {KALMAN_STATES}, got {state!r}")
        if noise is None:
            noise = NoiseModel(state=state or "xyah")
        elif state is not None and noise.state != state:
            raise ValueError(f"noise model for {noise.state!r} given to an {state!r} filter")
        self.noise = noise
        self.state: KalmanState = noise.state
        self._xyah = self.state == "xyah"  # else (cx, cy, w, h)
        # What every kernel call passes, read once.
        self._table = noise.kernel_table
        self._min_height = float(noise.min_height)

    def measure(self, boxes: FloatArray) -> FloatArray:
        """``(N, 4)`` xyxy corners as measurements of this filter's state space."""
        return kernels.from_xyxy(_float_rows(boxes, "boxes"), self._xyah)

    @property
    def uses_aspect(self) -> bool:
        """Whether the state holds the aspect ratio (``xyah``) rather than the width."""
        return self._xyah

    def boxes(self, measurements: FloatArray) -> FloatArray:
        """``(N, 4)`` measurements (or ``mean[:, :4]``) of this state space as xyxy corners."""
        return kernels.to_xyxy(_float_rows(measurements, "measurements"), self._xyah)

    def initiate(self, measurements: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Start tracks from ``(N, 4)`` measurements with zero velocity."""
        measurements = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        return kernels.initiate(measurements, self._table, self._min_height)

    def predict(
        self,
        mean: FloatArray,
        cov: FloatArray,
        stop_shrinking: bool = False,
        out: tuple[FloatArray, FloatArray] | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """One step of the constant-velocity model (dt = 1 frame).

        ``F P F^T`` with ``F = [[I, I], [0, I]]`` is, blockwise,
        ``[[A + B + B^T + D, B + D], [B^T + D, D]]`` for ``P = [[A, B], [B^T, D]]``.
        ``stop_shrinking``: a size (aspect ratio or width, and height) whose velocity would
        take it to zero or below keeps its size and gets velocity 0, so every predicted box
        stays valid (as SORT does). ``out``: float64 arrays of the same shapes to write the
        prediction to (returned), which may be ``mean`` and ``cov`` themselves."""
        mean, cov = _states(mean, cov)
        if out is None:
            out = np.empty(mean.shape), np.empty(cov.shape)
        elif not (_float64_shaped(out[0], mean.shape) and _float64_shaped(out[1], cov.shape)):
            raise ValueError("out must be float64 arrays shaped as mean and cov")
        kernels.predict(
            mean, cov, self._table, self._min_height, bool(stop_shrinking), out[0], out[1]
        )
        return out

    def project(self, mean: FloatArray, cov: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Measurement-space mean ``(N, 4)`` and innovation covariance ``(N, 4, 4)``."""
        projected_cov = cov[:, :4, :4].copy()
        _add_to_diagonal(projected_cov, np.square(self.noise.measurement_std(mean[:, 3])))
        return mean[:, :4].copy(), projected_cov

    def update(
        self, mean: FloatArray, cov: FloatArray, measurements: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Correct ``N`` tracks with their ``N`` matched measurements."""
        mean, cov = _states(mean, cov)
        measurements = _float_rows(measurements, "measurements")
        if len(measurements) != len(mean):
            raise ValueError(f"{len(measurements)} measurements for {len(mean)} tracks")
        new_mean, new_cov, done = kernels.update(
            mean, cov, _NO_INDEX, measurements, _NO_INDEX, False, self._table, self._min_height
        )
        if done:
            return new_mean, new_cov
        return self._update_arrays(mean, cov, measurements)

    def update_rows(
        self,
        mean: FloatArray,
        cov: FloatArray,
        rows: NDArray[np.intp],
        measurements: FloatArray,
        cols: NDArray[np.intp],
    ) -> tuple[FloatArray, FloatArray]:
        """``update(mean[rows], cov[rows], measurements[cols])`` without gathering the
        states first: for a caller whose states live in a larger table."""
        mean, cov = _states(mean, cov)
        measurements = _float_rows(measurements, "measurements")
        rows, cols = _pairs(rows, cols)
        new_mean, new_cov, done = kernels.update(
            mean, cov, rows, measurements, cols, True, self._table, self._min_height
        )
        if done:
            return new_mean, new_cov
        return self._update_arrays(mean[rows], cov[rows], measurements[cols])

    def _update_arrays(
        self, mean: FloatArray, cov: FloatArray, measurements: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """``update`` with array operations, for any covariance (``kernels.update`` does the
        uncoupled ones)."""
        projected_cov = cov[:, :4, :4].copy()
        _add_to_diagonal(projected_cov, np.square(self.noise.measurement_std(mean[:, 3])))
        # K = P H^T S^-1; S is symmetric, so K^T = S^-1 (H P) and one batched solve suffices.
        variance = _uncoupled_variances(projected_cov)
        gain: NDArray[np.floating]  # np.linalg.solve is typed as any float
        if variance is not None:
            # A diagonal S (see ``_uncoupled_variances``): the solve is a scaling by the
            # reciprocal of each pivot, which is how numpy's LAPACK (OpenBLAS) solves it too,
            # bit for bit, without a LAPACK call per matrix.
            gain = (cov[:, :4, :] * (1.0 / variance)[:, :, None]).transpose(0, 2, 1)
        else:
            gain = np.linalg.solve(projected_cov, cov[:, :4, :]).transpose(0, 2, 1)
        innovation = measurements - mean[:, :4]
        new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
        new_cov = cov - gain @ projected_cov @ gain.transpose(0, 2, 1)
        # The subtraction leaves round-off of the size of the prior terms; after a prior many
        # orders larger than the measurement noise (a 2e6 px track matched to a 2 px box) that
        # is visibly asymmetric. Keep the covariance a covariance.
        new_cov = 0.5 * (new_cov + new_cov.transpose(0, 2, 1))
        return new_mean, new_cov

    def warp(
        self, mean: FloatArray, cov: FloatArray, affine: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """States moved by a camera motion: ``affine`` (2x3) maps the previous frame's pixels
        to the current frame's (as BoT-SORT's GMC). Centres get the full affine, velocities
        its linear part; sizes (the height, or the width and height) and their velocities
        scale by ``sqrt(|det|)``, the aspect ratio is kept (a rotation of a few degrees
        between frames barely changes it; BoT-SORT rotates (w, h) as if it were a vector)."""
        linear, shift = affine[:, :2], affine[:, 2]
        scale = float(np.sqrt(abs(np.linalg.det(linear))))
        jacobian = np.eye(8)
        jacobian[0:2, 0:2] = linear
        jacobian[4:6, 4:6] = linear
        jacobian[3, 3] = jacobian[7, 7] = scale
        if not self._xyah:
            jacobian[2, 2] = jacobian[6, 6] = scale
        new_mean = mean @ jacobian.T
        new_mean[:, :2] += shift
        return new_mean, jacobian @ cov @ jacobian.T

    def warp_measurements(self, measurements: FloatArray, affine: FloatArray) -> None:
        """``measurements`` (``(N, 4)``, this state space) moved by a camera motion in place,
        as ``warp`` moves the states' positions."""
        scale = float(np.sqrt(abs(np.linalg.det(affine[:, :2]))))
        measurements[:, :2] = measurements[:, :2] @ affine[:, :2].T + affine[:, 2]
        measurements[:, 3 if self._xyah else slice(2, 4)] *= scale

    def gating_distance(
        self, mean: FloatArray, cov: FloatArray, measurements: FloatArray
    ) -> FloatArray:
        """Squared Mahalanobis distance of every measurement to every track, ``(T, D)``.

        Compare with ``CHI2_95[4]`` (in either state space) to reject detections the motion
        model finds implausible.
        """
        mean, cov = _states(mean, cov)
        measurements = _float_rows(measurements, "measurements")
        distance, done = kernels.gating_distance(
            mean, cov, measurements, self._table, self._min_height
        )
        return distance if done else self._coupled_distance(mean, cov, measurements)

    def gate(
        self, mean: FloatArray, cov: FloatArray, measurements: FloatArray, threshold: float
    ) -> NDArray[np.bool_]:
        """``gating_distance(mean, cov, measurements) <= threshold``, ``(T, D)``, without
        building the distances."""
        mean, cov = _states(mean, cov)
        measurements = _float_rows(measurements, "measurements")
        inside, done = kernels.gate(
            mean, cov, measurements, float(threshold), self._table, self._min_height
        )
        if done:
            return inside
        return self._coupled_distance(mean, cov, measurements) <= threshold

    def _coupled_distance(
        self, mean: FloatArray, cov: FloatArray, measurements: FloatArray
    ) -> FloatArray:
        """``gating_distance`` through the 4x4 inverses (a coupled position block)."""
        projected_mean, projected_cov = self.project(mean, cov)
        inverse = np.linalg.inv(projected_cov)
        diff = measurements[None, :, :] - projected_mean[:, None, :]  # (T, D, 4)
        terms = (diff @ inverse) * diff
        # The four terms added as sum(axis=2) adds them, in order: a reduction over an axis
        # of 4 costs ~4x more than three additions of (T, D) planes in a crowd.
        distance = terms[..., 0] + terms[..., 1]
        distance += terms[..., 2]
        distance += terms[..., 3]
        return distance

    def gating_distance_pairs(
        self,
        mean: FloatArray,
        cov: FloatArray,
        measurements: FloatArray,
        rows: NDArray[np.intp],
        cols: NDArray[np.intp],
    ) -> FloatArray:
        """``gating_distance(mean, cov, measurements)[rows, cols]`` for those pairs only:
        for a caller that needs the gate only where IoU already allows a match."""
        mean, cov = _states(mean, cov)
        measurements = _float_rows(measurements, "measurements")
        rows, cols = _pairs(rows, cols)
        distance, done = kernels.gating_distance_pairs(
            mean, cov, measurements, rows, cols, self._table, self._min_height
        )
        if done:
            return distance
        # Projected and inverted per pair, not per track: a batched inverse costs about a
        # microsecond per 4x4 matrix, and most tracks have no pair (motion-only, the IoU
        # gate lets through a few per frame). Same numbers per matrix as ``project``.
        projected_cov = cov[rows, :4, :4]  # fancy indexing copies
        _add_to_diagonal(projected_cov, np.square(self.noise.measurement_std(mean[rows, 3])))
        diff = measurements[cols] - mean[rows, :4]  # (P, 4)
        variance = _uncoupled_variances(projected_cov)
        if variance is not None:
            terms = diff * diff
            terms /= variance
        else:
            terms = (diff[:, None, :] @ np.linalg.inv(projected_cov))[:, 0, :] * diff
        distance = terms[:, 0] + terms[:, 1]  # as sum(axis=1) adds them (see above)
        distance += terms[:, 2]
        distance += terms[:, 3]
        return distance

    def gate_pairs(
        self,
        mean: FloatArray,
        cov: FloatArray,
        measurements: FloatArray,
        candidates: NDArray[np.bool_],
        threshold: float,
    ) -> NDArray[np.bool_]:
        """``gate`` evaluated only where ``candidates`` (``(T, D)``) is set, False
        elsewhere: for a caller that gates only pairs IoU already allows."""
        mean, cov = _states(mean, cov)
        measurements = _float_rows(measurements, "measurements")
        candidates = np.asarray(candidates, dtype=bool)
        if candidates.shape != (len(mean), len(measurements)):
            raise ValueError(
                f"candidates must be ({len(mean)}, {len(measurements)}), got {candidates.shape}"
            )
        inside, done = kernels.gate_pairs(
            mean, cov, measurements, candidates, float(threshold), self._table, self._min_height
        )
        if done:
            return inside
        rows, cols = candidates.nonzero()
        inside = np.zeros(candidates.shape, dtype=bool)
        distance = self.gating_distance_pairs(mean, cov, measurements, rows, cols)
        inside[rows, cols] = distance <= threshold
        return inside


#: Positions of the 12 off-diagonal entries in a flattened 4x4 matrix.
_OFF_DIAGONAL = np.flatnonzero(~np.eye(4, dtype=bool))


def _uncoupled_variances(projected_cov: FloatArray) -> FloatArray | None:
    """The diagonals ``(N, 4)`` of innovation covariances that are diagonal, else ``None``.

    F, Q and R act on each coordinate and its own velocity alone, so starting from the
    diagonal ``initiate`` the filter never couples two coordinates: predict and update keep
    every off-diagonal entry of the position block exactly 0.0, and the squared Mahalanobis
    distance is a sum of ``diff**2 / variance`` without a 4x4 inverse (LAPACK costs about a
    microsecond a matrix, the wrapper a few more per call). A camera motion that rotates or
    shears (``warp``) couples x and y; then this returns ``None`` and the caller inverts.
    The distance can differ from the inverse's in the last bit, which moves a gate decision
    only for a pair exactly on the threshold."""
    flat = projected_cov.reshape(len(projected_cov), 16)
    if flat[:, _OFF_DIAGONAL].any():
        return None
    return flat[:, ::5]


def _float_rows(values: FloatArray, name: str, columns: int = 4) -> FloatArray:
    """``values`` as float64 ``(N, >= columns)`` rows: the kernels index without bounds
    checks, so a narrower array must be refused here."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] < columns:
        raise ValueError(f"{name} must be (N, {columns}), got shape {values.shape}")
    return values


def _states(mean: FloatArray, cov: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``mean`` ``(N, 8)`` and ``cov`` ``(N, 8, 8)`` as float64, checked (``_float_rows``)."""
    mean = _float_rows(mean, "mean", 8)
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (len(mean), 8, 8):
        raise ValueError(f"cov must be ({len(mean)}, 8, 8) for {len(mean)} means, got {cov.shape}")
    return mean, cov


def _float64_shaped(array: object, shape: tuple[int, ...]) -> bool:
    return isinstance(array, np.ndarray) and array.dtype == np.float64 and array.shape == shape


def _pairs(
    rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column indices as equally long 1-d ``intp`` arrays."""
    rows, cols = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
    if rows.shape != cols.shape or rows.ndim != 1:
        raise ValueError(f"rows and cols must be equal 1-d, got {rows.shape}, {cols.shape}")
    return rows, cols


#: The index arrays of a kernel call that does not gather.
_NO_INDEX = np.zeros(0, dtype=np.intp)


def xyxy_to_xyah(boxes: FloatArray) -> FloatArray:
    """``(x1, y1, x2, y2)`` corners to ``(cx, cy, w/h, h)``."""
    return kernels.from_xyxy(_float_rows(boxes, "boxes"), True)


def xyah_to_xyxy(xyah: FloatArray) -> FloatArray:
    """``(cx, cy, w/h, h)`` to ``(x1, y1, x2, y2)``."""
    return kernels.to_xyxy(_float_rows(xyah, "xyah"), True)


def xyxy_to_xywh(boxes: FloatArray) -> FloatArray:
    """``(x1, y1, x2, y2)`` corners to ``(cx, cy, w, h)``."""
    return kernels.from_xyxy(_float_rows(boxes, "boxes"), False)


def xywh_to_xyxy(xywh: FloatArray) -> FloatArray:
    """``(cx, cy, w, h)`` to ``(x1, y1, x2, y2)``."""
    return kernels.to_xyxy(_float_rows(xywh, "xywh"), False)
