"""Compiled per-frame kernels: the one decorator every numba kernel of the core goes through.

At the sizes a tracker sees every frame (a handful to a few hundred tracks and detections)
numpy spends most of its time in per-call overhead, a microsecond or more for each of the
dozens of small array operations a stage needs; a stage written as one loop and compiled
with numba runs in a few microseconds (``benchmarks/results/tracker_speed.md``). Kernels
are plain Python over numpy arrays, compiled on first call and cached on disk, so only the
first process after an install pays the compilation.

The options are the same for every kernel, so their numbers match numpy's:

- ``error_model="numpy"``: a division by zero gives inf or nan, as in numpy, instead of
  raising.
- no ``fastmath``: operations are evaluated in the order written, without reassociation or
  fused multiply-adds, so a kernel that spells out numpy's arithmetic gives its bits. The
  one exception is ``dot`` (its docstring says why).
- ``nogil``: a kernel releases the GIL, so the tracker of one stream can run while another
  thread decodes, detects or embeds.
- ``cache``: compiled code is stored next to the module, or under ``NUMBA_CACHE_DIR``
  (the Docker images set it; site-packages is read-only there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

Kernel = TypeVar("Kernel", bound=Callable[..., Any])


def kernel(function: Kernel) -> Kernel:
    """``function`` compiled with the core's options (module docstring); the type checker
    sees the Python signature."""
    return cast(Kernel, numba.njit(cache=True, nogil=True, error_model="numpy")(function))


#: numpy's ``PW_BLOCKSIZE``: runs up to this long are summed with eight accumulators.
_PAIRWISE_BLOCK = 128


@kernel
def _block_sum(values: NDArray[Any], start: int, count: int) -> Any:
    """numpy's sum of a run of at most ``_PAIRWISE_BLOCK``: in order below 8, else eight
    interleaved accumulators combined as a tree, then the remainder in order."""
    if count < 8:
        total = np.zeros(1, values.dtype)[0]
        for i in range(count):
            total += values[start + i]
        return total
    lanes = values[start : start + 8].copy()
    i = 8
    while i < count - count % 8:
        for j in range(8):
            lanes[j] += values[start + i + j]
        i += 8
    total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + (
        (lanes[4] + lanes[5]) + (lanes[6] + lanes[7])
    )
    while i < count:
        total += values[start + i]
        i += 1
    return total


@kernel
def pairwise_sum(values: NDArray[Any], start: int, count: int) -> Any:
    """``values[start:start + count].sum()`` in numpy's own order, so a kernel that needs a
    norm or a mean gets numpy's bits; in ``values``' dtype.

    numpy sums pairwise: runs above ``_PAIRWISE_BLOCK`` split in two halves (the first a
    multiple of 8 long) summed separately and added, then the reduction's identity 0 is
    added to the total. The halving is a recursion in numpy; here it is a loop over an
    explicit stack, because numba cannot cache a recursive kernel called from another.
    """
    zero = np.zeros(1, values.dtype)[0]
    if count <= _PAIRWISE_BLOCK:
        return zero + _block_sum(values, start, count)
    # Post-order walk of the halving tree: stage 0 = not split yet, 1 = left half being
    # summed, 2 = left half in ``partial``, right half being summed.
    starts = np.empty(64, np.int64)
    counts = np.empty(64, np.int64)
    stage = np.zeros(64, np.int8)
    partial = np.zeros(64, values.dtype)
    depth = 0
    starts[0], counts[0] = start, count
    while True:
        if counts[depth] > _PAIRWISE_BLOCK:  # split: descend into the left half
            half = counts[depth] // 2
            half -= half % 8
            stage[depth] = 1
            depth += 1
            starts[depth], counts[depth], stage[depth] = starts[depth - 1], half, 0
            continue
        value = _block_sum(values, starts[depth], counts[depth])
        while True:  # hand the finished sum up the tree
            depth -= 1
            if depth < 0:
                return zero + value
            if stage[depth] == 1:  # left half done: descend into the right half
                partial[depth] = value
                stage[depth] = 2
                half = counts[depth] // 2
                half -= half % 8
                depth += 1
                starts[depth] = starts[depth - 1] + half
                counts[depth] = counts[depth - 1] - half
                stage[depth] = 0
                break
            value = partial[depth] + value  # both halves done


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})
def dot(a: NDArray[np.float32], b: NDArray[np.float32]) -> Any:
    """``a @ b`` of two float32 vectors, for the appearance distances.

    The one place where the order of a sum is left to the compiler: the dot products of
    re-ID features are the hot loop in a crowd, and with reassociation LLVM runs them as
    vector fused multiply-adds, 4x faster than one chain in order. The BLAS ``sgemm`` this
    replaced also chose its order by CPU; the result files pinned on this project's machine
    came out identical (``tests/test_results_unchanged.py``).
    """
    total = np.float32(0.0)
    for k in range(len(a)):
        total += a[k] * b[k]
    return total
