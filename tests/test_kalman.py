"""The batched Kalman filter against filterpy's KalmanFilter as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter

from tracker.core.kalman import (
    CHI2_95,
    BatchKalmanFilter,
    NoiseModel,
    _uncoupled_variances,
    xyah_to_xyxy,
    xyxy_to_xyah,
)

F = np.eye(8)
F[:4, 4:] = np.eye(4)
H = np.eye(4, 8)


def _oracle(mean: np.ndarray, cov: np.ndarray) -> KalmanFilter:
    kf = KalmanFilter(dim_x=8, dim_z=4)
    kf.x, kf.P, kf.F, kf.H = mean.reshape(8, 1).copy(), cov.copy(), F.copy(), H.copy()
    return kf


@pytest.mark.parametrize("seed", range(5))
def test_batched_filter_matches_filterpy_over_random_sequences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_tracks, steps = 7, 60
    noise = NoiseModel()
    ours = BatchKalmanFilter(noise)
    start = np.column_stack(
        [rng.uniform(0, 1000, n_tracks), rng.uniform(0, 600, n_tracks),
         rng.uniform(0.3, 0.6, n_tracks), rng.uniform(40, 300, n_tracks)]
    )  # fmt: skip
    mean, cov = ours.initiate(start)
    oracles = [_oracle(mean[i], cov[i]) for i in range(n_tracks)]
    velocity = rng.normal(0, 3, (n_tracks, 4)) * [1, 1, 0.001, 0.5]
    truth = start.copy()
    for _ in range(steps):
        for kf in oracles:
            kf.Q = np.diag(np.square(noise.process_std(kf.x[3:4, 0]))[0])
            kf.predict()
        mean, cov = ours.predict(mean, cov)
        truth += velocity
        observed = rng.random(n_tracks) > 0.3  # some tracks miss a frame
        rows = np.flatnonzero(observed)
        z = truth[rows] + rng.normal(0, 1, (len(rows), 4)) * [2, 2, 0.01, 2]
        if len(rows):
            mean[rows], cov[rows] = ours.update(mean[rows], cov[rows], z)
        for k, i in enumerate(rows):
            oracles[i].R = np.diag(np.square(noise.measurement_std(oracles[i].x[3:4, 0]))[0])
            oracles[i].update(z[k].reshape(4, 1))
        for i, kf in enumerate(oracles):
            np.testing.assert_allclose(mean[i], kf.x[:, 0], rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(cov[i], kf.P, rtol=1e-6, atol=1e-6)


def test_gating_distance_is_the_squared_mahalanobis_distance() -> None:
    rng = np.random.default_rng(3)
    kf = BatchKalmanFilter()
    mean, cov = kf.initiate(np.array([[100.0, 200.0, 0.5, 120.0], [400.0, 220.0, 0.4, 80.0]]))
    mean, cov = kf.predict(mean, cov)
    measurements = mean[:, :4].repeat(3, axis=0) + rng.normal(0, 5, (6, 4)) * [1, 1, 0.01, 1]
    distance = kf.gating_distance(mean, cov, measurements)
    projected_mean, projected_cov = kf.project(mean, cov)
    for t in range(2):
        for d in range(6):
            diff = measurements[d] - projected_mean[t]
            expected = diff @ np.linalg.inv(projected_cov[t]) @ diff
            assert distance[t, d] == pytest.approx(expected, rel=1e-9)
    # A measurement at the predicted position is well inside the 95% gate, a far one is not.
    assert kf.gating_distance(mean, cov, mean[:1, :4])[0, 0] < 1e-9
    far = mean[:1, :4] + [300, 0, 0, 0]
    assert kf.gating_distance(mean, cov, far)[0, 0] > CHI2_95[4]


def test_box_conversions_round_trip() -> None:
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [0.0, 0.0, 1.0, 3.0]])
    xyah = xyxy_to_xyah(boxes)
    np.testing.assert_allclose(xyah[0], [30.0, 70.0, 0.4, 100.0])
    np.testing.assert_allclose(xyah_to_xyxy(xyah), boxes)


def test_warp_moves_positions_and_rotates_velocities() -> None:
    kf = BatchKalmanFilter()
    mean, cov = kf.initiate(np.array([[100.0, 50.0, 0.5, 80.0]]))
    mean[0, 4:] = [2.0, 1.0, 0.0, 0.5]
    shift = np.array([[1.0, 0.0, 7.0], [0.0, 1.0, -3.0]])
    moved, moved_cov = kf.warp(mean, cov, shift)
    np.testing.assert_allclose(moved[0], mean[0] + [7, -3, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(moved_cov, cov)  # a translation adds no uncertainty
    zoom_rotate = np.array([[0.0, -2.0, 0.0], [2.0, 0.0, 0.0]])  # 90 degrees, 2x zoom
    turned, turned_cov = kf.warp(mean, cov, zoom_rotate)
    np.testing.assert_allclose(turned[0], [-100, 200, 0.5, 160, -2, 4, 0, 1.0])
    np.testing.assert_allclose(turned_cov[0, 3, 3], 4 * cov[0, 3, 3])
    assert np.all(np.linalg.eigvalsh(turned_cov[0]) > 0)


def test_gating_distance_of_pairs_is_the_matrix_entry() -> None:
    rng = np.random.default_rng(4)
    kf = BatchKalmanFilter()
    xyah = np.column_stack(
        [rng.uniform(0, 500, (5, 2)), rng.uniform(0.3, 0.6, 5), rng.uniform(40, 200, 5)]
    )
    mean, cov = kf.predict(*kf.initiate(xyah))
    measurements = xyah[rng.integers(0, 5, 7)] + rng.normal(0, 3, (7, 4)) * [1, 1, 0.01, 1]
    full = kf.gating_distance(mean, cov, measurements)
    rows, cols = np.nonzero(rng.random((5, 7)) < 0.5)
    pairs = kf.gating_distance_pairs(mean, cov, measurements, rows, cols)
    np.testing.assert_allclose(pairs, full[rows, cols], rtol=1e-12)
    assert kf.gating_distance_pairs(mean, cov, measurements, rows[:0], cols[:0]).shape == (0,)


def test_gate_skips_the_inverse_only_while_coordinates_are_uncoupled() -> None:
    """The gate's shortcut (a diagonal innovation covariance, no 4x4 inverse) is taken for
    the filter's own states and gives the Mahalanobis distance; after a rotating camera
    motion the covariance couples x and y, and the general path gives it."""
    rng = np.random.default_rng(5)
    kf = BatchKalmanFilter()
    xyah = np.column_stack(
        [rng.uniform(0, 500, (6, 2)), rng.uniform(0.3, 0.6, 6), rng.uniform(40, 200, 6)]
    )
    mean, cov = kf.initiate(xyah)
    for _ in range(4):
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, xyah + rng.normal(0, 2, (6, 4)) * [1, 1, 0.01, 1])
    mean, cov = kf.predict(mean, cov)
    measurements = xyah[rng.integers(0, 6, 8)] + rng.normal(0, 4, (8, 4)) * [1, 1, 0.01, 1]
    rows, cols = np.nonzero(rng.random((6, 8)) < 0.5)
    angle = np.radians(10.0)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 5.0], [np.sin(angle), np.cos(angle), -3.0]]
    )
    turned = kf.warp(mean, cov, rotation)
    for (m, c), uncoupled in (((mean, cov), True), (turned, False)):
        projected_mean, projected_cov = kf.project(m, c)
        assert (_uncoupled_variances(projected_cov) is not None) == uncoupled
        diff = measurements[None, :, :] - projected_mean[:, None, :]
        expected = np.einsum("tdi,tij,tdj->td", diff, np.linalg.inv(projected_cov), diff)
        np.testing.assert_allclose(kf.gating_distance(m, c, measurements), expected, rtol=1e-12)
        pairs = kf.gating_distance_pairs(m, c, measurements, rows, cols)
        np.testing.assert_allclose(pairs, expected[rows, cols], rtol=1e-12)


def test_update_with_uncoupled_coordinates_is_the_kalman_update() -> None:
    """The update's shortcut for a diagonal innovation covariance (no LAPACK solve) gives the
    textbook update, before and after a rotating camera motion couples x and y."""
    rng = np.random.default_rng(6)
    kf = BatchKalmanFilter()
    xyah = np.column_stack(
        [rng.uniform(0, 500, (5, 2)), rng.uniform(0.3, 0.6, 5), rng.uniform(40, 200, 5)]
    )
    mean, cov = kf.predict(*kf.initiate(xyah))
    z = xyah + rng.normal(0, 3, (5, 4)) * [1, 1, 0.01, 1]
    angle = np.radians(15.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0]])
    for m, c in ((mean, cov), kf.warp(mean, cov, rotation)):
        new_mean, new_cov = kf.update(m, c, z)
        for t in range(5):
            r = np.diag(np.square(kf.noise.measurement_std(m[t : t + 1, 3]))[0])
            s = H @ c[t] @ H.T + r
            gain = c[t] @ H.T @ np.linalg.inv(s)
            np.testing.assert_allclose(new_mean[t], m[t] + gain @ (z[t] - H @ m[t]), rtol=1e-12)
            expected = c[t] - gain @ s @ gain.T
            np.testing.assert_allclose(new_cov[t], expected, rtol=1e-9, atol=1e-9)
