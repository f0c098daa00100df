"""The compiled Kalman kernels (``tracker.core.kalman_kernels``) against the array formulas
they replaced, kept here as the reference: the same bits (``_same_bits`` compares the raw
float64 words, so a sign of zero or a last-bit difference fails), on states the filter
produces, on arbitrary uncoupled ones and on coupled ones (the numpy path), in both state
spaces, for 0, 1 and several tracks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracker.core import kalman_kernels
from tracker.core.kalman import (
    KALMAN_STATES,
    BatchKalmanFilter,
    _add_to_diagonal,
    _uncoupled_variances,
    xyah_to_xyxy,
    xywh_to_xyxy,
    xyxy_to_xyah,
    xyxy_to_xywh,
)

THRESHOLD = 9.4877

# -- the array formulas (tracker/core/kalman.py before the kernels) ---------------------------


def ref_initiate(kf: BatchKalmanFilter, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = np.concatenate([z, np.zeros_like(z)], axis=1)
    values = np.square(kf.noise.initial_std(z[:, 3]))
    cov = np.zeros((len(z), 8, 8))
    cov.reshape(len(z), 64)[:, ::9] = values
    return mean, cov


def ref_predict(
    kf: BatchKalmanFilter, mean: np.ndarray, cov: np.ndarray, stop_shrinking: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    if stop_shrinking:  # DeepSort._predict_states before the kernels
        inverting = mean[:, 2:4] + mean[:, 6:8] <= 0
        if inverting.any():
            mean = mean.copy()
            mean[:, 6:8][inverting] = 0.0
    q = np.square(kf.noise.process_std(mean[:, 3]))
    new_mean = mean.copy()
    new_mean[:, :4] += mean[:, 4:]
    a, b, c, d = cov[:, :4, :4], cov[:, :4, 4:], cov[:, 4:, :4], cov[:, 4:, 4:]
    new_cov = np.empty_like(cov)
    top_left = new_cov[:, :4, :4]
    np.add(a, b, out=top_left)
    top_left += c
    top_left += d
    np.add(b, d, out=new_cov[:, :4, 4:])
    np.add(c, d, out=new_cov[:, 4:, :4])
    new_cov[:, 4:, 4:] = d
    _add_to_diagonal(new_cov, q)
    return new_mean, new_cov


def ref_update(
    kf: BatchKalmanFilter, mean: np.ndarray, cov: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    projected_cov = cov[:, :4, :4].copy()
    _add_to_diagonal(projected_cov, np.square(kf.noise.measurement_std(mean[:, 3])))
    variance = _uncoupled_variances(projected_cov)
    if variance is not None:
        gain = (cov[:, :4, :] * (1.0 / variance)[:, :, None]).transpose(0, 2, 1)
    else:
        gain = np.linalg.solve(projected_cov, cov[:, :4, :]).transpose(0, 2, 1)
    innovation = z - mean[:, :4]
    new_mean = mean + (gain @ innovation[:, :, None])[:, :, 0]
    new_cov = cov - gain @ projected_cov @ gain.transpose(0, 2, 1)
    return new_mean, 0.5 * (new_cov + new_cov.transpose(0, 2, 1))


def ref_gating_distance(
    kf: BatchKalmanFilter, mean: np.ndarray, cov: np.ndarray, z: np.ndarray
) -> np.ndarray:
    if len(mean) == 0 or len(z) == 0:
        return np.zeros((len(mean), len(z)))
    projected_mean, projected_cov = kf.project(mean, cov)
    variance = _uncoupled_variances(projected_cov)
    if variance is not None:
        distance = np.zeros((len(mean), len(z)))
        for i in range(4):
            term = z[None, :, i] - projected_mean[:, i, None]
            term *= term
            term /= variance[:, i, None]
            distance += term
        return distance
    diff = z[None, :, :] - projected_mean[:, None, :]
    terms = (diff @ np.linalg.inv(projected_cov)) * diff
    distance = terms[..., 0] + terms[..., 1]
    distance += terms[..., 2]
    distance += terms[..., 3]
    return distance


def ref_gating_distance_pairs(
    kf: BatchKalmanFilter,
    mean: np.ndarray,
    cov: np.ndarray,
    z: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    if len(rows) == 0:
        return np.zeros(0)
    projected_cov = cov[rows, :4, :4]
    _add_to_diagonal(projected_cov, np.square(kf.noise.measurement_std(mean[rows, 3])))
    diff = z[cols] - mean[rows, :4]
    variance = _uncoupled_variances(projected_cov)
    if variance is not None:
        terms = diff * diff
        terms /= variance
    else:
        terms = (diff[:, None, :] @ np.linalg.inv(projected_cov))[:, 0, :] * diff
    distance = terms[:, 0] + terms[:, 1]
    distance += terms[:, 2]
    distance += terms[:, 3]
    return distance


def ref_xyxy_to_measurement(boxes: np.ndarray, xyah: bool) -> np.ndarray:
    size = boxes[:, 2:] - boxes[:, :2]
    out = np.empty((len(boxes), 4))
    np.add(boxes[:, :2], size * 0.5, out=out[:, :2])
    if xyah:
        np.divide(size[:, 0], size[:, 1], out=out[:, 2])
        out[:, 3] = size[:, 1]
    else:
        out[:, 2:] = size
    return out


def ref_to_xyxy(states: np.ndarray, xyah: bool) -> np.ndarray:
    half = states[:, 2:4] * 0.5
    if xyah:
        half[:, 0] *= states[:, 3]
    out = np.empty((len(states), 4))
    np.subtract(states[:, :2], half, out=out[:, :2])
    np.add(states[:, :2], half, out=out[:, 2:])
    return out


# -- states -------------------------------------------------------------------------------


def _same_bits(actual: Any, expected: Any) -> None:
    """Equal as float64 words (or as booleans)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if actual.dtype == np.float64:
        differ = actual.view(np.uint64) != expected.view(np.uint64)
        assert not differ.any(), (actual[differ], expected[differ])
    else:
        np.testing.assert_array_equal(actual, expected)


def _boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Plausible measurements ``(cx, cy, a or w, h)``, some below ``min_height``."""
    return np.column_stack(
        [rng.uniform(-50, 1000, (n, 2)), rng.uniform(0.2, 80, n), rng.uniform(0.3, 400, n)]
    )


def _filter_states(
    kf: BatchKalmanFilter, rng: np.random.Generator, n: int, steps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """States after ``steps`` predict/update cycles with missed frames and some uniform
    zooms (which keep the state uncoupled); and the last truth."""
    truth = _boxes(rng, n)
    if kf.state == "xyah":
        truth[:, 2] = rng.uniform(0.2, 1.5, n)
    mean, cov = ref_initiate(kf, truth)
    velocity = rng.normal(0, 3, (n, 4)) * [1, 1, 0.01 if kf.state == "xyah" else 1, 1]
    for _ in range(steps):
        mean, cov = ref_predict(kf, mean, cov, stop_shrinking=True)
        truth = truth + velocity
        rows = np.flatnonzero(rng.random(n) < 0.7)
        noise = rng.normal(0, 2, (len(rows), 4)) * [1, 1, 0.01, 1]
        mean[rows], cov[rows] = ref_update(kf, mean[rows], cov[rows], truth[rows] + noise)
        if rng.random() < 0.2:
            zoom = rng.uniform(0.9, 1.1)
            shift = rng.normal(0, 5, 2)
            mean, cov = kf.warp(mean, cov, np.array([[zoom, 0, shift[0]], [0, zoom, shift[1]]]))
    return mean, cov, truth


def _arbitrary_uncoupled(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """States no filter run leads to: random means (sizes near zero, shrinking velocities)
    and each coordinate's 2x2 (position, velocity) block a random covariance."""
    mean = np.concatenate([_boxes(rng, n), rng.normal(0, 20, (n, 4))], axis=1)
    cov = np.zeros((n, 8, 8))
    for i in range(4):
        root = rng.normal(0, 1, (n, 2, 2)) * rng.uniform(0.01, 50, (n, 1, 1))
        block = root @ root.transpose(0, 2, 1)
        index = np.array([i, 4 + i])
        cov[:, index[:, None], index] = block
    return mean, cov


@st.composite
def states(draw: st.DrawFn) -> dict[str, Any]:
    """A filter, states, measurements and candidate pairs, and what kind of states."""
    state = draw(st.sampled_from(KALMAN_STATES))
    kind = draw(st.sampled_from(["filter", "arbitrary", "coupled"]))
    n = draw(st.integers(0, 7))
    m = draw(st.integers(0, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kf = BatchKalmanFilter(state=state)
    if kind == "arbitrary":
        mean, cov = _arbitrary_uncoupled(rng, n)
        truth = mean[:, :4] + rng.normal(0, 10, (n, 4))
    else:
        mean, cov, truth = _filter_states(kf, rng, n, draw(st.integers(0, 12)))
        if kind == "coupled":
            angle = draw(st.floats(0.01, 0.3)) * draw(st.sampled_from([-1, 1]))
            c, s = np.cos(angle), np.sin(angle)
            mean, cov = kf.warp(mean, cov, np.array([[c, -s, 3.0], [s, c, -2.0]]))
    picks = rng.integers(0, max(n, 1), m)
    measured = (truth[picks] if n else _boxes(rng, m)) + rng.normal(0, 6, (m, 4)) * [
        1, 1, 0.02, 1,
    ]  # fmt: skip
    if m and draw(st.booleans()):  # a measurement exactly at a prediction: zero innovation
        measured[0] = mean[picks[0], :4] if n else measured[0]
    candidates = rng.random((n, m)) < draw(st.floats(0.0, 1.0))
    return {
        "kf": kf, "kind": kind, "mean": mean, "cov": cov, "measured": measured,
        "candidates": candidates, "truth": truth,
    }  # fmt: skip


def _coupled(case: dict[str, Any]) -> bool:
    return case["kind"] == "coupled" and len(case["mean"]) > 0


# -- properties ---------------------------------------------------------------------------


@given(case=states(), stop_shrinking=st.booleans())
def test_predict_is_the_array_formula(
    examples: Any, case: dict[str, Any], stop_shrinking: bool
) -> None:
    kf, mean, cov = case["kf"], case["mean"], case["cov"]
    new_mean, new_cov = kf.predict(mean, cov, stop_shrinking=stop_shrinking)
    expected_mean, expected_cov = ref_predict(kf, mean, cov, stop_shrinking)
    _same_bits(new_mean, expected_mean)
    _same_bits(new_cov, expected_cov)
    # In place, as DeepSort predicts its table: the same bits.
    in_place = mean.copy(), cov.copy()
    returned = kf.predict(*in_place, stop_shrinking=stop_shrinking, out=in_place)
    assert returned[0] is in_place[0] and returned[1] is in_place[1]
    _same_bits(in_place[0], expected_mean)
    _same_bits(in_place[1], expected_cov)
    examples.record("kernel predict == array formula", case["kind"])


@given(case=states(), exact=st.booleans())
def test_update_is_the_array_formula(examples: Any, case: dict[str, Any], exact: bool) -> None:
    """Also with a measurement exactly at the prediction (``exact``: zero innovations)."""
    kf, mean, cov = case["kf"], case["mean"], case["cov"]
    z = case["truth"] + np.random.default_rng(len(mean)).normal(0, 3, case["truth"].shape)
    if exact and len(z):
        z[0] = mean[0, :4]
    table, none = kf.noise.kernel_table, np.zeros(0, dtype=np.intp)
    *_, done = kalman_kernels.update(mean, cov, none, z, none, False, table, kf.noise.min_height)
    assert done != _coupled(case)  # the kernel ran unless the states are coupled
    new_mean, new_cov = kf.update(mean, cov, z)
    expected_mean, expected_cov = ref_update(kf, mean, cov, z)
    _same_bits(new_mean, expected_mean)
    _same_bits(new_cov, expected_cov)
    # Rows of a table matched to some measurements, gathered inside the kernel.
    rng = np.random.default_rng(len(z))
    rows = rng.permutation(len(mean))[: rng.integers(0, len(mean) + 1)]
    cols = rng.integers(0, max(len(z), 1), len(rows))
    expected_mean, expected_cov = ref_update(kf, mean[rows], cov[rows], z[cols])
    new_mean, new_cov = kf.update_rows(mean, cov, rows, z, cols)
    _same_bits(new_mean, expected_mean)
    _same_bits(new_cov, expected_cov)
    examples.record("kernel update == array formula", case["kind"])


@given(case=states(), threshold=st.sampled_from([THRESHOLD, 0.5, 40.0, 0.0, -1.0, np.nan]))
def test_gates_are_the_array_formula(examples: Any, case: dict[str, Any], threshold: float) -> None:
    kf, mean, cov, z = case["kf"], case["mean"], case["cov"], case["measured"]
    candidates = case["candidates"]
    rows, cols = candidates.nonzero()
    table, floor = kf.noise.kernel_table, kf.noise.min_height
    if len(z):
        assert kalman_kernels.gate(mean, cov, z, THRESHOLD, table, floor)[1] != _coupled(case)
    if len(rows):
        done = kalman_kernels.gate_pairs(mean, cov, z, candidates, THRESHOLD, table, floor)[1]
        assert done != _coupled(case)
    expected = ref_gating_distance(kf, mean, cov, z)
    _same_bits(kf.gating_distance(mean, cov, z), expected)
    _same_bits(kf.gate(mean, cov, z, threshold), expected <= threshold)
    expected_pairs = ref_gating_distance_pairs(kf, mean, cov, z, rows, cols)
    _same_bits(kf.gating_distance_pairs(mean, cov, z, rows, cols), expected_pairs)
    inside = np.zeros(candidates.shape, dtype=bool)
    inside[rows, cols] = expected_pairs <= THRESHOLD
    _same_bits(kf.gate_pairs(mean, cov, z, candidates, THRESHOLD), inside)
    examples.record("kernel gates == array formula", case["kind"])


@given(
    boxes=hnp.arrays(
        np.float64, st.tuples(st.integers(0, 8), st.just(4)),
        elements=st.floats(-1e4, 1e4, allow_subnormal=False),
    ),
    state=st.sampled_from(KALMAN_STATES),
)  # fmt: skip
def test_conversions_and_initiate_are_the_array_formula(
    examples: Any, boxes: np.ndarray, state: str
) -> None:
    """Any corners, also zero or negative sizes (inf and nan ratios): same bits."""
    xyah = state == "xyah"
    corners = boxes.copy()
    corners[:, 2:] = boxes[:, :2] + np.abs(boxes[:, 2:] - boxes[:, :2])
    kf = BatchKalmanFilter(state=state)  # type: ignore[arg-type]
    with np.errstate(divide="ignore", invalid="ignore"):
        measured = ref_xyxy_to_measurement(corners, xyah)
        _same_bits(kf.measure(corners), measured)
        _same_bits(
            (xyxy_to_xyah if xyah else xyxy_to_xywh)(boxes), ref_xyxy_to_measurement(boxes, xyah)
        )
        _same_bits(kf.boxes(measured), ref_to_xyxy(measured, xyah))
        _same_bits((xyah_to_xyxy if xyah else xywh_to_xyxy)(boxes), ref_to_xyxy(boxes, xyah))
    finite = measured[np.isfinite(measured).all(axis=1)]
    for actual, expected in zip(kf.initiate(finite), ref_initiate(kf, finite), strict=True):
        _same_bits(actual, expected)
    examples.record("kernel conversions == array formula", "passed")


@pytest.mark.parametrize("state", KALMAN_STATES)
@pytest.mark.parametrize("threshold", [THRESHOLD, 1.0, 1e-3, 1234.5])
def test_gate_shortcut_is_exact_on_the_threshold(state: str, threshold: float) -> None:
    """``gate`` rejects far pairs by a multiplication (``kalman_kernels._reject_limit``):
    measurements a few ulps either side of the gate in x or y alone get the array
    formula's answer, both answers occur."""
    kf = BatchKalmanFilter(state=state)  # type: ignore[arg-type]
    mean, cov, _ = _filter_states(kf, np.random.default_rng(7), 6, 4)
    variance = kf.project(mean, cov)[1][:, [0, 1], [0, 1]]  # (T, 2): x and y
    steps = np.arange(-40, 41) * 2.0**-52
    measurements = []
    for t in range(len(mean)):
        for axis in (0, 1):
            offset = np.sqrt(threshold * variance[t, axis]) * (1.0 + steps)
            near = np.repeat(mean[t : t + 1, :4], len(steps), axis=0)
            near[:, axis] += offset
            measurements.append(near)
    z = np.concatenate(measurements)
    expected = ref_gating_distance(kf, mean, cov, z) <= threshold
    _same_bits(kf.gate(mean, cov, z, threshold), expected)
    diagonal = expected.reshape(len(mean), len(mean), 2, len(steps))[
        range(len(mean)), range(len(mean))
    ]
    assert diagonal.any() and not diagonal.all()


def test_strided_views_and_the_tracker_layouts_give_the_same_bits() -> None:
    """``boxes(mean[:, :4])`` (a strided view) and rows gathered from a larger table."""
    kf = BatchKalmanFilter()
    rng = np.random.default_rng(1)
    mean, cov, _ = _filter_states(kf, rng, 9, 6)
    _same_bits(kf.boxes(mean[:, :4]), ref_to_xyxy(mean[:, :4], True))
    _same_bits(kf.boxes(mean[::2, :4]), ref_to_xyxy(mean[::2, :4], True))
    rows = np.array([4, 1, 7])
    _same_bits(kf.predict(mean[rows], cov[rows])[1], ref_predict(kf, mean[rows], cov[rows])[1])


def test_stop_shrinking_keeps_the_size_of_a_vanishing_box() -> None:
    kf = BatchKalmanFilter()
    mean, cov = kf.initiate(np.array([[10.0, 10.0, 0.5, 3.0], [10.0, 10.0, 0.5, 3.0]]))
    mean[:, 6:8] = [[-0.6, -4.0], [-0.1, -1.0]]
    shrunk, _ = kf.predict(mean, cov, stop_shrinking=True)
    np.testing.assert_array_equal(shrunk[0, 2:4], [0.5, 3.0])  # both would pass zero
    np.testing.assert_array_equal(shrunk[0, 6:8], [0.0, 0.0])
    np.testing.assert_allclose(shrunk[1, 2:4], [0.4, 2.0])  # this one stays positive
    free, _ = kf.predict(mean, cov)
    np.testing.assert_allclose(free[0, 2:4], [-0.1, -1.0])


def test_coupled_states_take_the_numpy_path_and_match_the_kernel_on_uncoupled_ones() -> None:
    """A rotation couples x and y: the kernels decline; a pure zoom does not."""
    kf = BatchKalmanFilter()
    rng = np.random.default_rng(2)
    mean, cov, truth = _filter_states(kf, rng, 5, 5)
    table, floor = kf.noise.kernel_table, kf.noise.min_height
    none = np.zeros(0, dtype=np.intp)
    assert kalman_kernels.update(mean, cov, none, truth, none, False, table, floor)[2]
    turned = kf.warp(mean, cov, np.array([[0.99, -0.1, 0.0], [0.1, 0.99, 0.0]]))
    assert not kalman_kernels.update(*turned, none, truth, none, False, table, floor)[2]
    assert not kalman_kernels.gate(*turned, truth, THRESHOLD, table, floor)[1]
    zoomed = kf.warp(mean, cov, np.array([[1.05, 0.0, 4.0], [0.0, 1.05, 2.0]]))
    assert kalman_kernels.update(*zoomed, none, truth, none, False, table, floor)[2]
    # Only the tracks in a pair decide: a coupled track without candidates does not.
    mixed_mean = np.concatenate([mean, turned[0][:1]])
    mixed_cov = np.concatenate([cov, turned[1][:1]])
    candidates = np.zeros((6, 5), dtype=bool)
    candidates[:5] = True
    assert kalman_kernels.gate_pairs(mixed_mean, mixed_cov, truth, candidates, 9.0, table, floor)[1]
    candidates[5, 0] = True
    assert not kalman_kernels.gate_pairs(
        mixed_mean, mixed_cov, truth, candidates, 9.0, table, floor
    )[1]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda kf, m, c: kf.predict(m[:, :4], c), "mean must be"),
        (lambda kf, m, c: kf.predict(m, c[:1]), "cov must be"),
        (lambda kf, m, c: kf.predict(m, c, out=(m, c[:1])), "out must be"),
        (lambda kf, m, c: kf.predict(m, c, out=(m.astype(np.float32), c)), "out must be"),
        (lambda kf, m, c: kf.update(m, c, m[:1, :4]), "measurements for"),
        (lambda kf, m, c: kf.gating_distance(m, c, m[:, :2]), "measurements must be"),
        (lambda kf, m, c: kf.boxes(m[:, :3]), "measurements must be"),
        (lambda kf, m, c: kf.gate_pairs(m, c, m[:, :4], np.ones((2, 2), bool), 9.0), "candidates"),
        (lambda kf, m, c: kf.gating_distance_pairs(m, c, m[:, :4], [0], [0, 1]), "rows and cols"),
    ],
)
def test_malformed_arrays_are_refused_before_a_kernel_reads_them(call: Any, message: str) -> None:
    kf = BatchKalmanFilter()
    mean, cov = kf.initiate(np.array([[1.0, 2.0, 0.5, 10.0]] * 3))
    with pytest.raises(ValueError, match=message):
        call(kf, mean, cov)


def test_pair_indices_outside_the_arrays_raise_as_numpy_does() -> None:
    kf = BatchKalmanFilter()
    mean, cov = kf.initiate(np.array([[1.0, 2.0, 0.5, 10.0]] * 3))
    with pytest.raises(IndexError):
        kf.gating_distance_pairs(mean, cov, mean[:, :4], np.array([3]), np.array([0]))
    with pytest.raises(IndexError):
        kf.update_rows(mean, cov, np.array([0]), mean[:, :4], np.array([3]))
    with pytest.raises(IndexError):
        kf.update_rows(mean, cov, np.array([3]), mean[:, :4], np.array([0]))
    _same_bits(
        kf.update_rows(mean, cov, np.array([-1]), mean[:, :4] + 1, np.array([-3]))[0],
        kf.update_rows(mean, cov, np.array([2]), mean[:, :4] + 1, np.array([0]))[0],
    )
    # Negative indices count from the end, as in numpy.
    last = kf.gating_distance_pairs(mean, cov, mean[:, :4] + 1, np.array([-1]), np.array([0]))
    first = kf.gating_distance_pairs(mean, cov, mean[:, :4] + 1, np.array([2]), np.array([0]))
    _same_bits(last, first)


def test_signed_zeros_and_nan_heights_are_numpys() -> None:
    """Edge bits numpy's formulas define: a zero correction is BLAS's ``+0.0 + k * 0`` (so a
    ``-0.0`` velocity with a negative gain becomes ``+0.0``), and a NaN height is not
    raised to ``min_height`` (``np.maximum`` propagates NaN)."""
    kf = BatchKalmanFilter()
    rng = np.random.default_rng(3)
    mean, cov = _arbitrary_uncoupled(rng, 6)
    for i in range(4):
        cov[:, i, 4 + i] = cov[:, 4 + i, i] = -np.abs(cov[:, i, 4 + i])  # negative gains
    mean[:, 4:] = -0.0
    mean[0, :2] = -0.0
    z = mean[:, :4].copy()  # zero innovations
    for actual, expected in zip(kf.update(mean, cov, z), ref_update(kf, mean, cov, z), strict=True):
        _same_bits(actual, expected)
    assert np.signbit(ref_update(kf, mean, cov, z)[0][:, 4:]).sum() == 0  # the case is real
    mean[1, 3] = np.nan
    for actual, expected in zip(kf.predict(mean, cov), ref_predict(kf, mean, cov), strict=True):
        _same_bits(actual, expected)
    _same_bits(kf.gating_distance(mean, cov, z), ref_gating_distance(kf, mean, cov, z))


def test_gate_on_a_negative_variance_is_the_array_formulas() -> None:
    """Not a covariance, but the answer is still numpy's: a negative aspect variance makes
    a term negative, so a pair far in x can be inside (no shortcut then)."""
    kf = BatchKalmanFilter()
    mean, cov, _ = _filter_states(kf, np.random.default_rng(8), 3, 3)
    cov[0, 2, 2] = -0.02  # plus the measurement noise 0.01: -0.01
    z = mean[:, :4] + [[50.0, 0.0, 30.0, 0.0]]
    expected = ref_gating_distance(kf, mean, cov, z) <= THRESHOLD
    assert expected[0, 0]
    _same_bits(kf.gate(mean, cov, z, THRESHOLD), expected)
