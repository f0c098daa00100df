"""The compiled kernels of the detections boundary, the track table and the assignment
(tracker.core.jit) give exactly what the numpy formulas they replaced gave: the references
below are those formulas, kept here as the specification. Bit-for-bit equality is the point
(result files are pinned), so the comparisons are exact. Properties print how many examples
ran (tests/fuzz_support)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracker.core import assignment
from tracker.core.detections import Detections, InvalidDetectionsError
from tracker.core.jit import pairwise_sum
from tracker.core.track import CONFIRMED, DELETED, TENTATIVE, TrackTable

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _unit_rows_reference(features: np.ndarray) -> np.ndarray:
    """The vectorised boundary this kernel replaced: scale by the largest magnitude, then
    divide by the norm summed by ``np.add.reduce``."""
    scale = np.abs(features).max(axis=1, keepdims=True)
    scaled = np.divide(features, scale, out=np.zeros_like(features), where=scale > 0)
    norms = np.sqrt(np.add.reduce(scaled * scaled, axis=1, keepdims=True))
    return np.divide(scaled, norms, out=np.zeros_like(scaled), where=norms > 0)


_magnitudes = st.floats(width=32, allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, 1e-38, -3e-30, 1e20]
)


@given(
    features=st.integers(1, 300).flatmap(
        lambda dim: hnp.arrays(
            np.float32, st.tuples(st.integers(0, 5), st.just(dim)), elements=_magnitudes
        )
    )
)
def test_unit_rows_are_numpys_bits(features: np.ndarray, examples) -> None:
    examples.record("unit feature rows == numpy", "ran")
    boxes = np.tile([0.0, 0.0, 10.0, 20.0], (len(features), 1))
    got = Detections.from_arrays(boxes, np.ones(len(features)), features=features).features
    assert got is not None
    np.testing.assert_array_equal(got, _unit_rows_reference(features))
    assert got.view(np.uint32).tolist() == _unit_rows_reference(features).view(np.uint32).tolist()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_unit_rows_name_the_first_bad_row(bad: float) -> None:
    features = np.ones((4, 130), np.float32)
    features[2, 129] = bad
    features[3, 0] = bad
    with pytest.raises(InvalidDetectionsError, match="feature 2 has NaN or values"):
        Detections.from_arrays(np.tile([0.0, 0.0, 10.0, 20.0], (4, 1)), [1] * 4, None, features)


@given(
    values=hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        st.integers(0, 1100),
        elements=st.floats(-1e6, 1e6, width=32),
    )
)
def test_pairwise_sum_is_numpys_order(values: np.ndarray, examples) -> None:
    examples.record("pairwise_sum == np.add.reduce", "ran")
    total = pairwise_sum(values, 0, len(values))
    assert np.array(total, values.dtype).tobytes() == np.add.reduce(values).tobytes()


def _forced_reference(cost: np.ndarray, limit: float) -> np.ndarray | None:
    within = cost <= limit
    if within.sum(axis=0).max() > 1 or within.sum(axis=1).max() > 1:
        return None
    rows, cols = within.nonzero()
    if (cost[rows, cols] >= limit).any():
        return None
    return np.stack([rows, cols], axis=1)


@given(
    cost=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(1, 6)),
        elements=st.sampled_from([0.0, 0.3, 0.6, 0.9, np.inf, np.nan]) | st.floats(0, 1),
    )
)
def test_forced_pairs_are_the_reference(cost: np.ndarray, examples) -> None:
    expected = _forced_reference(cost, 0.6)
    got = assignment._disjoint_pairs(cost, 0.6)
    examples.record("forced pairs == reference", "forced" if expected is not None else "solver")
    if expected is None:
        assert got is None
    else:
        assert got is not None and got.tolist() == expected.tolist()


@given(
    size=st.integers(0, 9),
    matched=hnp.arrays(np.int64, st.integers(0, 5), elements=st.integers(0, 8)),
)
def test_unmatched_is_the_complement(size: int, matched: np.ndarray, examples) -> None:
    examples.record("unmatched complement", "ran")
    matched = matched[matched < size]
    expected = [i for i in range(size) if i not in set(matched.tolist())]
    pairs = np.stack([matched, matched[::-1]], axis=1)
    assert assignment._unmatched(size, pairs, 0).tolist() == expected
    assert assignment._unmatched(size, pairs, 1).tolist() == expected


def _table(n: int, rng: np.random.Generator) -> TrackTable:
    table = TrackTable(gallery_budget=3)
    table.init_appearance(4)
    table.add(
        np.arange(n), rng.normal(size=(n, 8)), np.tile(np.eye(8), (n, 1, 1)),
        np.zeros(n, np.int64), np.full(n, 0.5, np.float32), np.arange(n),
        rng.normal(size=(n, 4)).astype(np.float32), n_init=2,
    )  # fmt: skip
    return table


def test_table_kernels_update_only_the_rows_given() -> None:
    rng = np.random.default_rng(3)
    table = _table(5, rng)
    table.states[:5] = [TENTATIVE, TENTATIVE, CONFIRMED, CONFIRMED, TENTATIVE]
    table.advance_frame()
    assert table.age[:5].tolist() == [2] * 5 and table.misses[:5].tolist() == [1] * 5
    rows = np.array([1, 3])
    mean, cov = rng.normal(size=(2, 8)), rng.normal(size=(2, 8, 8))
    table.mark_hit(rows, mean, cov, np.array([0.7, 0.8], np.float32), np.array([9, 8]), 2)
    np.testing.assert_array_equal(table.mean[rows], mean)
    np.testing.assert_array_equal(table.cov[rows], cov)
    assert table.hits[:5].tolist() == [1, 2, 1, 2, 1]
    assert table.misses[:5].tolist() == [1, 0, 1, 0, 1]
    assert table.last_detection[:5].tolist() == [0, 9, 2, 8, 4]
    assert table.states[:5].tolist() == [TENTATIVE, CONFIRMED, CONFIRMED, CONFIRMED, TENTATIVE]
    table.misses[2] = 7
    table.mark_missed(np.array([0, 2, 4]), max_age=6)
    assert table.states[:5].tolist() == [DELETED, CONFIRMED, DELETED, CONFIRMED, DELETED]
    assert table.last_detection[:5].tolist() == [-1, 9, -1, 8, -1]


def test_gallery_is_a_ring_buffer() -> None:
    table = _table(2, np.random.default_rng(4))
    looks = np.eye(4, dtype=np.float32)
    for k in range(4):  # budget 3: the fourth push overwrites the oldest slot
        table.push_features(np.array([1]), looks[k : k + 1])
    assert table.gallery_count[:2].tolist() == [1, 3]
    assert table.gallery_next[:2].tolist() == [1, 2]
    np.testing.assert_array_equal(table.gallery[1], looks[[2, 3, 1]])
