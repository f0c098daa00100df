"""BoT-SORT's (cx, cy, w, h) Kalman state (``kalman_state="xywh_height"``) beside DeepSORT's
xyah: the filter against a plain reference, the tracker on a box whose aspect ratio changes,
and a property that gating and camera warps behave in both state spaces."""

from __future__ import annotations

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter
from hypothesis import given
from hypothesis import strategies as st

from tracker.core import DeepSort, DeepSortConfig
from tracker.core.kalman import (
    KALMAN_STATES,
    BatchKalmanFilter,
    NoiseModel,
    _uncoupled_variances,
    xywh_to_xyxy,
    xyxy_to_xywh,
)

F = np.eye(8)
F[:4, 4:] = np.eye(4)
H = np.eye(4, 8)
P, V = 1.0 / 20, 1.0 / 160  # BoT-SORT's (and DeepSORT's) noise weights


def _xywh_noise(h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The xywh_height noise, written out: BoT-SORT's KalmanFilterXYWH formulas with the
    height in place of the width. Initial, process and measurement covariances."""
    initial = np.diag(np.square([2 * P * h] * 4 + [10 * V * h] * 4))
    process = np.diag(np.square([P * h] * 4 + [V * h] * 4))
    measurement = np.diag(np.square([P * h] * 4))
    return initial, process, measurement


@pytest.mark.parametrize("seed", range(3))
def test_xywh_filter_matches_the_reference_over_random_sequences(seed: int) -> None:
    """predict / update / gate of the batched xywh_height filter against filterpy with the
    noise written out, to 1e-9, over tracks that grow, shrink and miss frames."""
    rng = np.random.default_rng(seed)
    n_tracks, steps = 6, 50
    ours = BatchKalmanFilter(state="xywh_height")
    start = np.column_stack(
        [rng.uniform(0, 1000, n_tracks), rng.uniform(0, 600, n_tracks),
         rng.uniform(20, 120, n_tracks), rng.uniform(40, 300, n_tracks)]
    )  # fmt: skip
    mean, cov = ours.initiate(start)
    oracles = []
    for i in range(n_tracks):
        kf = KalmanFilter(dim_x=8, dim_z=4)
        kf.x = np.concatenate([start[i], np.zeros(4)]).reshape(8, 1)
        kf.P, kf.F, kf.H = _xywh_noise(start[i, 3])[0], F.copy(), H.copy()
        oracles.append(kf)
    np.testing.assert_allclose(cov, np.stack([kf.P for kf in oracles]), rtol=1e-12)
    # Sizes change by at most 0.3 px a frame: they stay well above the noise model's floor
    # (``min_height``), which the reference does not have.
    velocity = np.column_stack(
        [rng.normal(0, 2, (n_tracks, 2)), rng.uniform(-0.3, 0.3, (n_tracks, 2))]
    )
    truth = start.copy()
    for _ in range(steps):
        for kf in oracles:
            kf.Q = _xywh_noise(kf.x[3, 0])[1]
            kf.predict()
        mean, cov = ours.predict(mean, cov)
        truth += velocity
        z_all = truth + rng.normal(0, 1, (n_tracks, 4))
        # The gate is the squared Mahalanobis distance with R from the predicted size.
        gate = ours.gating_distance(mean, cov, z_all)
        for i, kf in enumerate(oracles):
            s = H @ kf.P @ H.T + _xywh_noise(kf.x[3, 0])[2]
            diff = z_all - kf.x[:4, 0]
            expected = np.einsum("di,ij,dj->d", diff, np.linalg.inv(s), diff)
            np.testing.assert_allclose(gate[i], expected, rtol=1e-9)
        rows = np.flatnonzero(rng.random(n_tracks) > 0.3)  # some tracks miss a frame
        if len(rows):
            mean[rows], cov[rows] = ours.update(mean[rows], cov[rows], z_all[rows])
        for i in rows:
            oracles[i].R = _xywh_noise(oracles[i].x[3, 0])[2]
            oracles[i].update(z_all[i].reshape(4, 1))
        for i, kf in enumerate(oracles):
            np.testing.assert_allclose(mean[i], kf.x[:, 0], rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(cov[i], kf.P, rtol=1e-9, atol=1e-9)
    # Width and height noise are uncoupled: the gate's diagonal shortcut applies.
    assert _uncoupled_variances(ours.project(mean, cov)[1]) is not None


def test_xywh_conversions_round_trip() -> None:
    boxes = np.array([[10.0, 20.0, 50.0, 120.0], [0.0, 0.0, 1.0, 3.0]])
    xywh = xyxy_to_xywh(boxes)
    np.testing.assert_array_equal(xywh[0], [30.0, 70.0, 40.0, 100.0])
    np.testing.assert_allclose(xywh_to_xyxy(xywh), boxes)
    for state in KALMAN_STATES:
        kf = BatchKalmanFilter(state=state)
        np.testing.assert_allclose(kf.boxes(kf.measure(boxes)), boxes)


def test_the_filter_and_its_noise_model_must_agree_on_the_state() -> None:
    assert BatchKalmanFilter(NoiseModel(state="xywh_height")).state == "xywh_height"
    assert BatchKalmanFilter().state == "xyah"
    with pytest.raises(ValueError, match="xywh_height"):
        BatchKalmanFilter(NoiseModel(), state="xywh_height")
    with pytest.raises(ValueError, match="state"):
        BatchKalmanFilter(state="xywh")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kalman_state"):
        DeepSortConfig(kalman_state="xywh")  # type: ignore[arg-type]


@pytest.mark.parametrize(("state", "tolerance"), [("xyah", 8.0), ("xywh_height", 0.5)])
def test_a_box_whose_aspect_ratio_changes_is_tracked_in_both_states(
    state: str, tolerance: float
) -> None:
    """A person turning while walking: constant velocity, width 30 -> 90 px at constant
    height over 60 frames. One track, one id, the filtered box close to the truth, and the
    coasting prediction carries on with the motion and the width. xywh_height models the
    width's velocity directly (error < 0.5 px); xyah's aspect ratio has a constant
    process noise that does not grow with the box, so its width lags by a steady ~5 px."""
    config = DeepSortConfig(
        kalman_state=state,  # type: ignore[arg-type]
        n_init=1, report_misses=1.0, coast_report="all", max_age=2.0,
    )  # fmt: skip
    tracker = DeepSort(config, frame_rate=30)

    def truth(f: int) -> np.ndarray:
        cx, cy, w, h = 100.0 + 4.0 * f, 300.0 - 1.0 * f, 30.0 + 1.0 * f, 150.0
        return np.array([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]])

    for f in range(60):
        out = tracker.update(truth(f), [0.9])
        assert out.ids.tolist() == [1]
        if f >= 15:  # once the velocities have converged
            np.testing.assert_allclose(out.boxes, truth(f), atol=tolerance)
    for f in range(60, 64):  # missed: reported at the prediction
        out = tracker.update(np.zeros((0, 4)), np.zeros(0))
        assert out.ids.tolist() == [1]
        np.testing.assert_allclose(out.boxes, truth(f), atol=tolerance)
    out = tracker.update(truth(64), [0.9])
    assert out.ids.tolist() == [1] and out.detection_index.tolist() == [0]


_coordinate = st.floats(0.0, 1500.0)
_size = st.floats(2.0, 400.0)


@st.composite
def _boxes(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(1, 5))
    corner = np.array(draw(st.lists(_coordinate, min_size=2 * n, max_size=2 * n))).reshape(n, 2)
    size = np.array(draw(st.lists(_size, min_size=2 * n, max_size=2 * n))).reshape(n, 2)
    return np.concatenate([corner, corner + size], axis=1)


@given(
    state=st.sampled_from(KALMAN_STATES),
    boxes=_boxes(),
    steps=st.integers(0, 3),
    scale=st.floats(0.5, 2.0),
    angle=st.floats(-0.2, 0.2),
    shift=st.tuples(st.floats(-50, 50), st.floats(-50, 50)),
    jitter=st.floats(0.0, 20.0),
)
def test_gate_and_warp_hold_for_random_boxes_in_both_states(
    examples, state: str, boxes: np.ndarray, steps: int, scale: float, angle: float,
    shift: tuple[float, float], jitter: float,
) -> None:  # fmt: skip
    """For random boxes and camera motions, in either state space: the gate is a finite,
    non-negative squared Mahalanobis distance (the diagonal shortcut equals the inverse),
    zero at the predicted measurement; a camera zoom + shift moves the predicted boxes
    exactly as it moves their corners and leaves the gate distance of a box moved alike
    unchanged; a rotation keeps the covariance a covariance."""
    kf = BatchKalmanFilter(state=state)  # type: ignore[arg-type]
    z = kf.measure(boxes)
    mean, cov = kf.initiate(z)
    for _ in range(steps):
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, z)
    mean, cov = kf.predict(mean, cov)
    detections = kf.measure(boxes + jitter * np.array([1.0, -0.5, 0.5, 1.0]))

    distance = kf.gating_distance(mean, cov, detections)
    projected_mean, projected_cov = kf.project(mean, cov)
    assert _uncoupled_variances(projected_cov) is not None
    diff = detections[None, :, :] - projected_mean[:, None, :]
    expected = np.einsum("tdi,tij,tdj->td", diff, np.linalg.inv(projected_cov), diff)
    np.testing.assert_allclose(distance, expected, rtol=1e-9, atol=1e-12)
    assert np.all(distance >= 0)
    np.testing.assert_allclose(np.diag(kf.gating_distance(mean, cov, mean[:, :4])), 0, atol=1e-12)
    rows, cols = np.nonzero(np.ones(distance.shape, dtype=bool))
    pairs = kf.gating_distance_pairs(mean, cov, detections, rows, cols)
    np.testing.assert_allclose(pairs, distance[rows, cols], rtol=1e-12)

    zoom = np.array([[scale, 0.0, shift[0]], [0.0, scale, shift[1]]])
    moved, moved_cov = kf.warp(mean, cov, zoom)
    corners = kf.boxes(mean[:, :4]).reshape(-1, 2) * scale + shift
    np.testing.assert_allclose(kf.boxes(moved[:, :4]), corners.reshape(-1, 4), rtol=1e-9, atol=1e-6)
    moved_detections = detections.copy()
    kf.warp_measurements(moved_detections, zoom)
    np.testing.assert_allclose(
        kf.gating_distance(moved, moved_cov, moved_detections), distance, rtol=1e-6, atol=1e-9
    )

    turn = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0]])
    turned_mean, turned_cov = kf.warp(mean, cov, turn * scale)
    turned = kf.gating_distance(turned_mean, turned_cov, detections)
    assert np.all(np.isfinite(turned)) and np.all(turned >= -1e-9)
    assert np.all(np.linalg.eigvalsh(turned_cov) > 0)
    examples.record(f"kalman gate and warp ({state})", "passed")


def test_kalman_state_travels_over_the_wire_and_the_cli_and_is_checked() -> None:
    from tracker._proto import tracker_pb2 as pb
    from tracker.cli.options import tracker_config as cli_config
    from tracker.errors import TrackerError
    from tracker.service.wire import ConfigError, tracker_config

    assert tracker_config(pb.TrackerParams(), DeepSortConfig()).kalman_state == "xyah"
    for state in KALMAN_STATES:
        wire = tracker_config(pb.TrackerParams(kalman_state=state), DeepSortConfig())
        assert wire.kalman_state == state
        assert cli_config([f"kalman_state={state}"]).kalman_state == state
        assert DeepSortConfig.from_dict({"kalman_state": state}).kalman_state == state
        assert DeepSort(wire).kf.state == state
    with pytest.raises(ConfigError, match="kalman_state must be"):
        tracker_config(pb.TrackerParams(kalman_state="xysr"), DeepSortConfig())
    with pytest.raises(TrackerError, match="kalman_state"):
        cli_config(["kalman_state=xysr"])
