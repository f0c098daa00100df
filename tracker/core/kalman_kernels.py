"""Compiled per-frame loops of the batched Kalman filter (``tracker.core.kalman``).

Each kernel does one operation for all tracks in one call, looping over tracks inside, so a
frame pays one dispatch (about a microsecond) per operation instead of the dozens of small
numpy calls the array formulas need. The kernels spell out numpy's arithmetic in numpy's
order, so their results are the same bits (tests/test_kalman_kernels.py checks every one
against the array formulas).

Products of covariances are written out only for the *uncoupled* states the filter keeps
when nothing rotates the camera: ``F``, ``Q`` and ``R`` act on each coordinate and its own
velocity alone, so starting from ``initiate``'s diagonal every entry that couples two
different coordinates (``i % 4 != j % 4``) stays exactly 0.0. Then each entry of numpy's
4-term matrix products has a single non-zero term, and whatever order or fused
multiply-add BLAS uses, it equals that one rounded product (added to the +0.0 the product
starts from). A kernel that finds a coupled state (after ``warp``) reports it and the
caller runs the array formulas, as before.

``noise`` is ``NoiseModel.kernel_table``: rows initial, process and state-offset scales
(8 each), measurement scale and offset (first 4 of their rows).
"""

from __future__ import annotations

import numpy as np

from tracker.core.jit import kernel

INITIAL, PROCESS, STATE_OFFSET, MEASUREMENT, MEASUREMENT_OFFSET = range(5)


@kernel
def _at_least(height: float, min_height: float) -> float:
    """``np.maximum(height, min_height)``: NaN stays NaN."""
    if height >= min_height or height != height:
        return height
    return min_height


@kernel
def _position_coupled(cov: np.ndarray, t: int) -> bool:
    """Whether track ``t``'s position block has a non-zero (or NaN) off-diagonal entry, as
    ``kalman._uncoupled_variances`` tests it."""
    for i in range(4):
        for j in range(4):
            if i != j and cov[t, i, j] != 0.0:
                return True
    return False


@kernel
def _any_position_coupled(cov: np.ndarray) -> bool:
    """``_position_coupled`` for any track."""
    for t in range(cov.shape[0]):  # noqa: SIM110 (numba compiles no any() of a generator)
        if _position_coupled(cov, t):
            return True
    return False


@kernel
def _coupled(cov: np.ndarray, t: int) -> bool:
    """Whether track ``t``'s covariance has a non-zero (or NaN) entry between two
    different coordinates (module docstring)."""
    for i in range(8):
        for j in range(8):
            if (i & 3) != (j & 3) and cov[t, i, j] != 0.0:
                return True
    return False


@kernel
def initiate(
    measurements: np.ndarray, noise: np.ndarray, min_height: float
) -> tuple[np.ndarray, np.ndarray]:
    """``BatchKalmanFilter.initiate``: zero velocity, diagonal ``initial_std ** 2``."""
    n = measurements.shape[0]
    mean = np.zeros((n, 8))
    cov = np.zeros((n, 8, 8))
    for t in range(n):
        for k in range(4):
            mean[t, k] = measurements[t, k]
        height = _at_least(measurements[t, 3], min_height)
        for k in range(8):
            std = height * noise[INITIAL, k] + noise[STATE_OFFSET, k]
            cov[t, k, k] = std * std
    return mean, cov


@kernel
def predict(
    mean: np.ndarray,
    cov: np.ndarray,
    noise: np.ndarray,
    min_height: float,
    stop_shrinking: bool,
    new_mean: np.ndarray,
    new_cov: np.ndarray,
) -> None:
    """``BatchKalmanFilter.predict`` into ``new_mean`` and ``new_cov``, which may be
    ``mean`` and ``cov`` themselves (every entry is read before it is written): ``F x`` and
    ``F P F^T + Q`` blockwise, as numpy adds them (``((A + B) + B^T) + D``).
    ``stop_shrinking``: a size whose velocity would take it to zero or below keeps its size
    instead (its velocity becomes 0.0)."""
    for t in range(mean.shape[0]):
        height = _at_least(mean[t, 3], min_height)
        for k in range(4):
            position = mean[t, k]
            velocity = mean[t, 4 + k]
            if stop_shrinking and k >= 2 and position + velocity <= 0.0:
                velocity = 0.0
            new_mean[t, k] = position + velocity
            new_mean[t, 4 + k] = velocity
        for i in range(4):
            for j in range(4):
                a = cov[t, i, j]
                b = cov[t, i, 4 + j]
                c = cov[t, 4 + i, j]
                d = cov[t, 4 + i, 4 + j]
                new_cov[t, i, j] = ((a + b) + c) + d
                new_cov[t, i, 4 + j] = b + d
                new_cov[t, 4 + i, j] = c + d
                new_cov[t, 4 + i, 4 + j] = d
        for k in range(8):
            std = height * noise[PROCESS, k] + noise[STATE_OFFSET, k]
            new_cov[t, k, k] += std * std


@kernel
def update(
    mean: np.ndarray,
    cov: np.ndarray,
    rows: np.ndarray,
    measurements: np.ndarray,
    cols: np.ndarray,
    gather: bool,
    noise: np.ndarray,
    min_height: float,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """``BatchKalmanFilter.update`` for uncoupled states: of ``mean[rows]``, ``cov[rows]``
    with ``measurements[cols]`` if ``gather``, else of all of them, row by row. ``False``
    (and empty arrays) if a state is coupled or an index is outside ``[0, len)``.

    Per coordinate ``i`` the gain has two non-zero entries, ``K[i, i]`` and ``K[4 + i, i]``
    (``cov[i, i or 4 + i] * (1 / S[i, i])``); ``K S K^T`` has four, in the 2x2 block of
    ``i`` and its velocity; then ``0.5 * (P + P^T)`` as numpy symmetrises."""
    n = rows.shape[0] if gather else mean.shape[0]
    for r in range(n):
        t = rows[r] if gather else r
        if gather and (t < 0 or t >= mean.shape[0] or not 0 <= cols[r] < measurements.shape[0]):
            return np.empty((0, 8)), np.empty((0, 8, 8)), False
        if _coupled(cov, t):
            return np.empty((0, 8)), np.empty((0, 8, 8)), False
    new_mean = np.empty((n, 8))
    new_cov = np.empty((n, 8, 8))
    corrected = np.empty((8, 8))
    for r in range(n):
        t = rows[r] if gather else r
        z = cols[r] if gather else r
        height = _at_least(mean[t, 3], min_height)
        for j in range(8):
            for k in range(8):
                corrected[j, k] = cov[t, j, k] - 0.0  # the (+0.0) K S K^T entries
        for i in range(4):
            std = height * noise[MEASUREMENT, i] + noise[MEASUREMENT_OFFSET, i]
            variance = cov[t, i, i] + std * std
            reciprocal = 1.0 / variance
            gain_position = cov[t, i, i] * reciprocal
            gain_velocity = cov[t, i, 4 + i] * reciprocal
            innovation = measurements[z, i] - mean[t, i]
            new_mean[r, i] = mean[t, i] + (0.0 + gain_position * innovation)
            new_mean[r, 4 + i] = mean[t, 4 + i] + (0.0 + gain_velocity * innovation)
            scaled_position = 0.0 + gain_position * variance  # (K S)[i, i]
            scaled_velocity = 0.0 + gain_velocity * variance  # (K S)[4 + i, i]
            corrected[i, i] = cov[t, i, i] - (0.0 + scaled_position * gain_position)
            corrected[i, 4 + i] = cov[t, i, 4 + i] - (0.0 + scaled_position * gain_velocity)
            corrected[4 + i, i] = cov[t, 4 + i, i] - (0.0 + scaled_velocity * gain_position)
            corrected[4 + i, 4 + i] = cov[t, 4 + i, 4 + i] - (0.0 + scaled_velocity * gain_velocity)
        for j in range(8):
            for k in range(8):
                new_cov[r, j, k] = 0.5 * (corrected[j, k] + corrected[k, j])
    return new_mean, new_cov, True


@kernel
def _variances(
    mean: np.ndarray,
    cov: np.ndarray,
    t: int,
    noise: np.ndarray,
    min_height: float,
    out: np.ndarray,
) -> None:
    """The innovation variances of track ``t`` (``project``'s diagonal) into ``out``."""
    height = _at_least(mean[t, 3], min_height)
    for i in range(4):
        std = height * noise[MEASUREMENT, i] + noise[MEASUREMENT_OFFSET, i]
        out[i] = cov[t, i, i] + std * std


@kernel
def _distance(
    measurements: np.ndarray, d: int, mean: np.ndarray, t: int, variance: np.ndarray
) -> float:
    """Squared Mahalanobis distance of measurement ``d`` to uncoupled track ``t``: the terms
    ``diff * diff / variance`` added as ``gating_distance_pairs``'s array formula adds
    them, ``((t0 + t1) + t2) + t3``."""
    distance = 0.0
    for i in range(4):
        diff = measurements[d, i] - mean[t, i]
        term = diff * diff / variance[i]
        distance = term if i == 0 else distance + term
    return distance


@kernel
def _add_distances(
    columns: np.ndarray, mean: np.ndarray, t: int, variance: np.ndarray, out: np.ndarray
) -> None:
    """Squared Mahalanobis distances of every measurement to uncoupled track ``t`` into
    ``out`` ``(D,)``, as ``gating_distance``'s array formula adds its four (T, D) planes:
    ``(((0 + t0) + t1) + t2) + t3`` with ``t = diff * diff / variance``. ``columns`` are
    the measurements transposed, ``(4, D)``: the loop over them vectorises."""
    m = out.shape[0]
    for d in range(m):
        out[d] = 0.0
    for i in range(4):
        centre = mean[t, i]
        spread = variance[i]
        for d in range(m):
            diff = columns[i, d] - centre
            out[d] += diff * diff / spread


@kernel
def gating_distance(
    mean: np.ndarray,
    cov: np.ndarray,
    measurements: np.ndarray,
    noise: np.ndarray,
    min_height: float,
) -> tuple[np.ndarray, bool]:
    """``BatchKalmanFilter.gating_distance``, ``(T, D)``; ``False`` (and zeros) if a track's
    position block is coupled."""
    n, m = mean.shape[0], measurements.shape[0]
    distance = np.zeros((n, m))
    if m == 0:
        return distance, True
    if _any_position_coupled(cov):
        return distance, False
    columns = np.ascontiguousarray(measurements[:, :4].T)
    variance = np.empty(4)
    for t in range(n):
        _variances(mean, cov, t, noise, min_height, variance)
        _add_distances(columns, mean, t, variance, distance[t])
    return distance, True


#: Relative margin of ``gate``'s shortcut: far above the rounding of two products.
_MARGIN = 1.0 + 2.0**-48
#: ``threshold * variance`` below this could lose relative precision (subnormal).
_TINY = 1e-290


@kernel
def _reject_limit(threshold: float, variance: np.ndarray, i: int) -> float:
    """A bound ``L`` with ``diff * diff > L`` => ``diff * diff / variance[i] > threshold``
    in floating point, so the pair is outside the gate without dividing; ``inf`` where no
    bound is safe.

    ``L = fl(fl(threshold * v) * (1 + 2**-48)) >= threshold * v * (1 + 2**-49)`` (two
    roundings of at most 2**-53 each, ``threshold * v`` normal), so ``x > L`` makes the
    exact quotient exceed ``threshold`` by more than 2**-49 of it, beyond the next double
    above ``threshold`` (an ulp is at most 2**-52 of it), and the rounded quotient, rounding
    being monotonic, is above ``threshold``. The sum of the four terms is then too, every
    term being >= 0: only while all four variances are positive (a zero or negative one
    can give -inf or a negative term, NaN fails the test), and ``threshold > 0``."""
    for k in range(4):
        if not variance[k] > 0.0:
            return np.inf
    product = threshold * variance[i]
    if not (threshold > 0.0 and _TINY < product < np.inf):
        return np.inf
    return product * _MARGIN


@kernel
def gate(
    mean: np.ndarray,
    cov: np.ndarray,
    measurements: np.ndarray,
    threshold: float,
    noise: np.ndarray,
    min_height: float,
) -> tuple[np.ndarray, bool]:
    """``gating_distance(...) <= threshold`` without the distance matrix.

    Most pairs in a crowd are far apart in x or y alone; ``_reject_limit`` finds them with
    a multiplication instead of four divisions, and only the rest get the exact distance
    (so the answer is the array formula's, bit for bit)."""
    n, m = mean.shape[0], measurements.shape[0]
    inside = np.zeros((n, m), dtype=np.bool_)
    if m == 0:
        return inside, True
    if _any_position_coupled(cov):
        return inside, False
    columns = np.ascontiguousarray(measurements[:, :4].T)
    variance = np.empty(4)
    near = np.empty(m, dtype=np.bool_)
    for t in range(n):
        _variances(mean, cov, t, noise, min_height, variance)
        limit_x = _reject_limit(threshold, variance, 0)
        limit_y = _reject_limit(threshold, variance, 1)
        centre_x, centre_y = mean[t, 0], mean[t, 1]
        for d in range(m):  # vectorises: no division, no branch
            dx = columns[0, d] - centre_x
            dy = columns[1, d] - centre_y
            near[d] = not (dx * dx > limit_x or dy * dy > limit_y)
        for d in range(m):
            if near[d]:
                distance = 0.0
                for i in range(4):
                    diff = columns[i, d] - mean[t, i]
                    distance += diff * diff / variance[i]
                inside[t, d] = distance <= threshold
    return inside, True


@kernel
def gating_distance_pairs(
    mean: np.ndarray,
    cov: np.ndarray,
    measurements: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    noise: np.ndarray,
    min_height: float,
) -> tuple[np.ndarray, bool]:
    """``BatchKalmanFilter.gating_distance_pairs``; ``False`` if a paired track is coupled
    or an index is outside ``[0, T)`` / ``[0, D)`` (the caller's numpy path then decides,
    or raises)."""
    pairs = rows.shape[0]
    distance = np.empty(pairs)
    n, m = mean.shape[0], measurements.shape[0]
    for p in range(pairs):
        t, d = rows[p], cols[p]
        if t < 0 or t >= n or d < 0 or d >= m or _position_coupled(cov, t):
            return distance, False
    variance = np.empty(4)
    for p in range(pairs):
        t = rows[p]
        _variances(mean, cov, t, noise, min_height, variance)
        distance[p] = _distance(measurements, cols[p], mean, t, variance)
    return distance, True


@kernel
def gate_pairs(
    mean: np.ndarray,
    cov: np.ndarray,
    measurements: np.ndarray,
    candidates: np.ndarray,
    threshold: float,
    noise: np.ndarray,
    min_height: float,
) -> tuple[np.ndarray, bool]:
    """``gate`` where ``candidates`` (``(T, D)`` bool) is set, False elsewhere; ``False``
    if a track with a candidate is coupled."""
    n, m = candidates.shape
    inside = np.zeros((n, m), dtype=np.bool_)
    for t in range(n):
        for d in range(m):
            if candidates[t, d]:
                if _position_coupled(cov, t):
                    return inside, False
                break
    variance = np.empty(4)
    for t in range(n):
        known = False
        for d in range(m):
            if candidates[t, d]:
                if not known:
                    _variances(mean, cov, t, noise, min_height, variance)
                    known = True
                inside[t, d] = _distance(measurements, d, mean, t, variance) <= threshold
    return inside, True


@kernel
def from_xyxy(boxes: np.ndarray, aspect: bool) -> np.ndarray:
    """``(x1, y1, x2, y2)`` to ``(cx, cy, w/h, h)`` (``aspect``) or ``(cx, cy, w, h)``;
    ``* 0.5`` is ``/ 2`` exactly."""
    n = boxes.shape[0]
    out = np.empty((n, 4))
    for b in range(n):
        width = boxes[b, 2] - boxes[b, 0]
        height = boxes[b, 3] - boxes[b, 1]
        out[b, 0] = boxes[b, 0] + width * 0.5
        out[b, 1] = boxes[b, 1] + height * 0.5
        out[b, 2] = width / height if aspect else width
        out[b, 3] = height
    return out


@kernel
def to_xyxy(states: np.ndarray, aspect: bool) -> np.ndarray:
    """``(cx, cy, w/h, h)`` (``aspect``) or ``(cx, cy, w, h)`` to ``(x1, y1, x2, y2)``; the
    half width is ``(a * 0.5) * h``, which equals ``(a * h) / 2`` bit for bit."""
    n = states.shape[0]
    out = np.empty((n, 4))
    for b in range(n):
        half_width = states[b, 2] * 0.5
        if aspect:
            half_width *= states[b, 3]
        half_height = states[b, 3] * 0.5
        out[b, 0] = states[b, 0] - half_width
        out[b, 1] = states[b, 1] - half_height
        out[b, 2] = states[b, 0] + half_width
        out[b, 3] = states[b, 1] + half_height
    return out
