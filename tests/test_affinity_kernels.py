"""The compiled affinity kernels give the bits of the numpy code they replaced.

Each property compares a public function of ``tracker.core.affinity`` (now backed by a numba
kernel) with the numpy formula it had before, kept here as the reference, on random inputs
including the edges (empty, one row or column, inf distances, nothing feasible), with exact
equality: the tracker's result files are pinned byte for byte
(tests/test_results_unchanged.py). Properties print how many examples ran.

The gallery distance's reference is numpy's float32 matmul, whose sums are OpenBLAS's; the
kernel sums in the order OpenBLAS's SkylakeX sgemm kernels do (tracker/core/gallery_kernel).
On a machine whose BLAS sums otherwise this test fails, as the pinned result files would.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracker.core.affinity import gallery_pair_distance
from tracker.core.gallery_kernel import exact_order_known, uses_small_kernel


def _gallery_pair_distance_reference(
    gallery: np.ndarray, counts: np.ndarray, features: np.ndarray, rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """The numpy code ``gallery_pair_distance`` had before its kernel."""
    if len(rows) == 0:
        return np.zeros(0)
    low, high = int(rows.min()), int(rows.max()) + 1
    valid = counts[rows]
    used = max(int(valid.max()), 1)
    similarity = np.matmul(gallery[low:high, :used], features.T)[rows - low, :, cols]
    similarity[np.arange(used) >= valid[:, None]] = -np.inf
    return 1.0 - similarity.max(axis=1).astype(np.float64)


def _unit_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    rows = rng.normal(size=shape).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows


@st.composite
def _galleries(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """A track table's gallery (some tracks empty, some full), detections' features, and a
    sorted list of pairs (as ``np.nonzero`` of a feasibility mask gives them)."""
    dim = draw(st.sampled_from([16, 24, 32, 48, 64, 128, 256, 320, 464, 480, 512]))
    tracks = draw(st.integers(1, 12))
    budget = draw(st.integers(1, 100))
    detections = draw(st.integers(1, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    gallery = _unit_rows(rng, (tracks, budget, dim))
    counts = draw(hnp.arrays(np.int32, tracks, elements=st.integers(0, budget)))
    features = _unit_rows(rng, (detections, dim))
    if draw(st.booleans()):  # skipped detections: all-zero rows
        features[rng.random(detections) < 0.3] = 0.0
    feasible = rng.random((tracks, detections)) < draw(st.sampled_from([0.5, 1.0, 0.1, 0.0]))
    rows, cols = np.nonzero(feasible)
    return gallery, counts, features, rows, cols


@given(case=_galleries())
def test_gallery_distance_is_the_matmul_bit_for_bit(case, examples) -> None:
    gallery, counts, features, rows, cols = case
    used = max(int(counts[rows].max()), 1) if len(rows) else 1
    detections, dim = features.shape
    if not len(rows):
        path = "no pairs"
    elif not exact_order_known(detections, used, dim):
        path = "numpy fallback"
    else:
        path = "small kernel" if uses_small_kernel(detections, used, dim) else "packed kernel"
    examples.record("gallery distance == matmul", path)
    got = gallery_pair_distance(gallery, counts, features, rows, cols)
    want = _gallery_pair_distance_reference(gallery, counts, features, rows, cols)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_gallery_distance_edges() -> None:
    """An empty gallery is infinitely far; a track's own feature is at distance ~0; both
    orders (small and packed) are exercised by sizes on either side of the small kernel's
    limit."""
    rng = np.random.default_rng(0)
    for detections in (8, 60):  # 8 x 100 slots: small kernel; 60 x 100: packed
        gallery = _unit_rows(rng, (3, 100, 128))
        counts = np.array([0, 100, 50], np.int32)
        features = gallery[1, :detections].copy()
        rows = np.array([0, 1, 1, 2])
        cols = np.array([0, 0, detections - 1, 3])
        assert uses_small_kernel(detections, 100, 128) == (detections == 8)
        got = gallery_pair_distance(gallery, counts, features, rows, cols)
        want = _gallery_pair_distance_reference(gallery, counts, features, rows, cols)
        np.testing.assert_array_equal(got, want)
        assert got[0] == np.inf
        assert abs(got[1]) < 1e-6 and abs(got[2]) < 1e-6
