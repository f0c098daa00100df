"""Cosine similarity of listed track/detection pairs over each track's gallery, compiled.

The gallery distance used to be one batched ``numpy.matmul`` of every gallery slot of the
tracks concerned with every detection, of which only the few pairs inside the gates were
read (~0.7 ms a frame in a 100-person crowd). This kernel computes those pairs' dot
products only.

Float32 dot products depend on the order of their sums, and the tracker's result files are
pinned byte for byte (``tests/test_results_unchanged.py``). So the kernel sums in the order
the replaced matmul did: numpy hands ``(slots, D) @ (D, detections)`` to OpenBLAS's
``sgemm`` (column-major: ``M`` = detections, ``N`` = slots, ``K`` = D, A transposed), which
on this project's machines (OpenBLAS 0.3.x, SkylakeX kernels) takes one of two paths:

- small products (``M*N*K <= 100**3``, ``M*N <= 1200``, ``K >= 32``): the "small TN"
  kernel, 16 float32 lanes each accumulating every 16th product with fused multiply-adds,
  then a reduction of the lanes whose tree depends on the element's place in the kernel's
  4 x 4 blocks (``_small_dot``);
- otherwise the packed kernel: one fused multiply-add chain along ``K`` per element, ``K``
  split into blocks of at most ``GEMM_Q`` whose sums are added (``_k_blocks``); computed
  16 slots at a time with the slots as vector lanes (``_packed16``), the rest 8 or 4 at a
  time as scalar chains.

These orders were found by comparing candidate orders with numpy's results on the
tracker's own calls (MOT17-09 FRCNN / SDP and a 100-person crowd: every one of ~2.8 million
products bit-equal) and read off OpenBLAS's sources (``sgemm_small_kernel_tn_skylakex.c``,
``sgemm_small_kernel_permit_skylakex.c``, the ``K`` split of ``driver/level3``).

Shapes for which that order is not known to hold (one detection or one slot, where numpy
calls its vector routines; ``D`` above ``MAX_EXACT_DIM`` or not a multiple of 16) are left
to numpy by the caller (``exact_order_known``). The property tests compare the kernel with
numpy's matmul bit for bit, so a BLAS that sums differently shows up there, not as a
silently changed result.

The kernel's own arithmetic is fixed (an LLVM ``fma`` is correctly rounded on every CPU),
so unlike the matmul it gives the same bits on any machine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from numpy.typing import NDArray

from tracker.core.jit import kernel

#: OpenBLAS's ``sgemm_small_kernel_permit`` (SkylakeX): the small kernel's size limits.
SMALL_MAX_MNK = 100.0 * 100.0 * 100.0
SMALL_MAX_MN = 1200
SMALL_MIN_K = 32
#: OpenBLAS's SkylakeX ``SGEMM_DEFAULT_Q`` (longest ``K`` block of the packed kernel) and
#: the unroll its ``K`` split rounds to.
GEMM_Q = 448
GEMM_UNROLL = 4
#: Largest feature length whose packed-kernel order was checked against numpy.
MAX_EXACT_DIM = 512

_LANES = 16


@intrinsic
def _fma_intrinsic(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` rounded once (LLVM's ``fma``), for float32."""
    signature = types.float32(types.float32, types.float32, types.float32)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.fma(*args)

    return signature, codegen


# What the kernels call, as the type checker should see it (numba sees the intrinsic).
_fma = cast(Callable[[Any, Any, Any], np.float32], _fma_intrinsic)


@kernel
def exact_order_known(detections: int, slots: int, dim: int) -> bool:
    """Whether ``gallery_distance`` reproduces numpy's matmul for a product of
    ``slots`` gallery rows with ``detections`` features of length ``dim``."""
    return detections > 1 and slots > 1 and dim <= MAX_EXACT_DIM and dim % _LANES == 0


@kernel
def uses_small_kernel(detections: int, slots: int, dim: int) -> bool:
    """OpenBLAS's choice of its small TN kernel for that product."""
    mn = detections * slots
    return float(mn) * dim <= SMALL_MAX_MNK and mn <= SMALL_MAX_MN and dim >= SMALL_MIN_K


@intrinsic
def _small_dot_intrinsic(
    typingctx: Any, a_address: Any, b_address: Any, chunks: Any, blocked: Any
) -> Any:
    """The small TN kernel's dot product of ``16 * chunks`` float32 at two addresses: 16
    lanes, lane ``l`` the fused chain of products ``l, l + 16, ...`` (one ``<16 x float>``
    fused multiply-add per chunk, as the kernel's ``_mm512_fmadd_ps``), then the lanes
    reduced as its ``REDUCE_4`` does for elements inside its 4 x 4 blocks (``blocked``:
    pairs, quads within each 128-bit quarter, the quarters pairwise) or as
    ``_mm512_reduce_add_ps`` outside them (halves, quarters, then pairwise).

    Written in LLVM IR because numba has no vector type and, without fastmath, LLVM does not
    turn 16 scalar chains into one vector chain by itself (4x slower)."""
    signature = types.float32(types.uintp, types.uintp, types.intp, types.boolean)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        a_address, b_address, chunks, blocked = args
        f32 = ir.FloatType()
        vector = ir.VectorType(f32, _LANES)
        pointer = vector.as_pointer()
        module = builder.module
        fma = cgutils.get_or_insert_function(
            module, ir.FunctionType(vector, [vector] * 3), f"llvm.fma.v{_LANES}f32"
        )
        index_type = chunks.type
        entry = builder.block
        loop = builder.append_basic_block("lanes.loop")
        done = builder.append_basic_block("lanes.done")
        zero = ir.Constant(vector, [0.0] * _LANES)
        builder.cbranch(builder.icmp_signed(">", chunks, index_type(0)), loop, done)
        builder.position_at_end(loop)
        i = builder.phi(index_type)
        acc = builder.phi(vector)
        i.add_incoming(index_type(0), entry)
        acc.add_incoming(zero, entry)
        step = builder.mul(i, index_type(4 * _LANES))
        va = builder.load(builder.inttoptr(builder.add(a_address, step), pointer), align=4)
        vb = builder.load(builder.inttoptr(builder.add(b_address, step), pointer), align=4)
        new_acc = builder.call(fma, [va, vb, acc])
        following = builder.add(i, index_type(1))
        i.add_incoming(following, loop)
        acc.add_incoming(new_acc, loop)
        builder.cbranch(builder.icmp_signed("<", following, chunks), loop, done)
        builder.position_at_end(done)
        lanes_phi = builder.phi(vector)
        lanes_phi.add_incoming(zero, entry)
        lanes_phi.add_incoming(new_acc, loop)
        x = [builder.extract_element(lanes_phi, ir.IntType(32)(lane)) for lane in range(_LANES)]
        add = builder.fadd
        quads = [add(add(x[q], x[q + 1]), add(x[q + 2], x[q + 3])) for q in range(0, 16, 4)]
        in_blocks = add(add(quads[0], quads[1]), add(quads[2], quads[3]))
        z = [add(add(x[j], x[j + 8]), add(x[j + 4], x[j + 12])) for j in range(4)]
        outside = add(add(z[0], z[2]), add(z[1], z[3]))
        return builder.select(blocked, in_blocks, outside)

    return signature, codegen


_small_dot = cast(Callable[[Any, Any, int, bool], np.float32], _small_dot_intrinsic)


def _transpose_masks() -> list[tuple[int, list[int], list[int]]]:
    """Shuffles that transpose 16 vectors of 16 lanes in four stages, each swapping one bit
    of the vector index with the same bit of the lane index: ``(bit, low_mask, high_mask)``
    for pairs of vectors ``(v, v | bit)``. Checked here by following every element."""
    stages = []
    vectors = [[(row, lane) for lane in range(_LANES)] for row in range(_LANES)]
    for bit in (1, 2, 4, 8):
        low = [lane if not lane & bit else _LANES + (lane ^ bit) for lane in range(_LANES)]
        high = [lane ^ bit if not lane & bit else _LANES + lane for lane in range(_LANES)]
        stages.append((bit, low, high))
        for v in range(_LANES):
            if v & bit:
                continue
            both = vectors[v] + vectors[v | bit]
            vectors[v], vectors[v | bit] = [both[m] for m in low], [both[m] for m in high]
    expected = [[(lane, column) for lane in range(_LANES)] for column in range(_LANES)]
    if vectors != expected:
        raise RuntimeError("the 16 x 16 transpose's shuffles are wrong")
    return stages


_TRANSPOSE = _transpose_masks()


@intrinsic
def _packed16_intrinsic(
    typingctx: Any, row_address: Any, slot_stride: Any, f_address: Any, start: Any, stop: Any,
    out_address: Any,
) -> Any:  # fmt: skip
    """The packed kernel's order for 16 slots at once: ``out[l]`` = the fused chain of
    products ``k = start .. stop - 1`` of slot ``l`` (at ``row_address + l * slot_stride``)
    with the feature at ``f_address``, as 16 float32 written to ``out_address``. Lanes are
    slots: each 16 x 16 block of the slots' rows is transposed in registers, then one
    vector fused multiply-add per ``k`` with the feature's ``k``-th value broadcast, so each
    lane's chain runs in ``k`` order, as OpenBLAS's. ``stop - start`` must be a multiple of
    16."""
    signature = types.void(
        types.uintp, types.intp, types.uintp, types.intp, types.intp, types.uintp
    )

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        row_address, slot_stride, f_address, start, stop, out_address = args
        f32 = ir.FloatType()
        i32 = ir.IntType(32)
        vector = ir.VectorType(f32, _LANES)
        pointer = vector.as_pointer()
        index_type = start.type
        fma = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vector, [vector] * 3), f"llvm.fma.v{_LANES}f32"
        )
        zero = ir.Constant(vector, [0.0] * _LANES)
        entry = builder.block
        loop = builder.append_basic_block("packed.loop")
        done = builder.append_basic_block("packed.done")
        builder.cbranch(builder.icmp_signed("<", start, stop), loop, done)
        builder.position_at_end(loop)
        k = builder.phi(index_type)
        acc = builder.phi(vector)
        k.add_incoming(start, entry)
        acc.add_incoming(zero, entry)
        offset = builder.mul(k, index_type(4))
        rows = []
        for lane in range(_LANES):
            address = builder.add(
                builder.add(row_address, offset), builder.mul(slot_stride, index_type(lane))
            )
            rows.append(builder.load(builder.inttoptr(address, pointer), align=4))
        for bit, low, high in _TRANSPOSE:
            for v in range(_LANES):
                if v & bit:
                    continue
                a, b = rows[v], rows[v | bit]
                rows[v] = builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(i32, 16), low))
                rows[v | bit] = builder.shuffle_vector(
                    a, b, ir.Constant(ir.VectorType(i32, 16), high)
                )
        features = builder.load(builder.inttoptr(builder.add(f_address, offset), pointer), align=4)
        current = acc
        for column in range(_LANES):
            splat = builder.shuffle_vector(
                features, features, ir.Constant(ir.VectorType(i32, 16), [column] * _LANES)
            )
            current = builder.call(fma, [rows[column], splat, current])
        following = builder.add(k, index_type(_LANES))
        k.add_incoming(following, loop)
        acc.add_incoming(current, loop)
        builder.cbranch(builder.icmp_signed("<", following, stop), loop, done)
        builder.position_at_end(done)
        result = builder.phi(vector)
        result.add_incoming(zero, entry)
        result.add_incoming(current, loop)
        builder.store(result, builder.inttoptr(out_address, pointer), align=4)
        return context.get_dummy_value()

    return signature, codegen


_packed16 = cast(Callable[[Any, int, Any, int, int, Any], None], _packed16_intrinsic)


@kernel
def _k_blocks(dim: int) -> NDArray[np.int64]:
    """Ends of the packed kernel's ``K`` blocks (OpenBLAS's split: ``GEMM_Q`` while at
    least two blocks remain, else two halves, the first rounded up to ``GEMM_UNROLL``)."""
    ends = np.empty(dim // GEMM_Q + 2, np.int64)
    n = 0
    start = 0
    while start < dim:
        length = dim - start
        if length >= 2 * GEMM_Q:
            length = GEMM_Q
        elif length > GEMM_Q:
            length = (length // 2 + GEMM_UNROLL - 1) // GEMM_UNROLL * GEMM_UNROLL
        start += length
        ends[n] = start
        n += 1
    return ends[:n]


@kernel
def _packed8(
    gallery: NDArray[np.float32],
    track: int,
    first: int,
    features: NDArray[np.float32],
    det: int,
    ends: NDArray[np.int64],
    out: NDArray[np.float64],
    p: int,
) -> None:
    """Slots ``first .. first + 7`` of ``track`` against feature ``det`` in the packed
    kernel's order, their largest into ``out[p]``: eight independent chains."""
    t0 = t1 = t2 = t3 = t4 = t5 = t6 = t7 = np.float32(0.0)
    start = 0
    for block in range(len(ends)):
        a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = np.float32(0.0)
        for k in range(start, ends[block]):
            f = features[det, k]
            a0 = _fma(gallery[track, first, k], f, a0)
            a1 = _fma(gallery[track, first + 1, k], f, a1)
            a2 = _fma(gallery[track, first + 2, k], f, a2)
            a3 = _fma(gallery[track, first + 3, k], f, a3)
            a4 = _fma(gallery[track, first + 4, k], f, a4)
            a5 = _fma(gallery[track, first + 5, k], f, a5)
            a6 = _fma(gallery[track, first + 6, k], f, a6)
            a7 = _fma(gallery[track, first + 7, k], f, a7)
        if block == 0:
            t0, t1, t2, t3, t4, t5, t6, t7 = a0, a1, a2, a3, a4, a5, a6, a7
        else:
            t0, t1, t2, t3 = t0 + a0, t1 + a1, t2 + a2, t3 + a3
            t4, t5, t6, t7 = t4 + a4, t5 + a5, t6 + a6, t7 + a7
        start = ends[block]
    best = _larger(_larger(_larger(out[p], t0), t1), _larger(t2, t3))
    out[p] = _larger(_larger(best, _larger(t4, t5)), _larger(t6, t7))


@kernel
def _larger(best: Any, value: Any) -> Any:
    """``max`` as numpy's: a nan wins and stays."""
    return value if value > best or value != value else best


@kernel
def gallery_distance(
    gallery: NDArray[np.float32],
    counts: NDArray[np.integer],
    features: NDArray[np.float32],
    rows: NDArray[np.integer],
    cols: NDArray[np.integer],
    slots: int,
    small: bool,
    out: NDArray[np.float64],
) -> None:
    """``out[p]`` = 1 - the largest dot product of feature ``cols[p]`` with the first
    ``counts[rows[p]]`` slots of track ``rows[p]``'s gallery (inf for an empty gallery,
    nan if a product is), each summed as OpenBLAS's sgemm sums a ``(slots, D) @ (D,
    len(features))`` product (module docstring); ``small`` is ``uses_small_kernel`` for
    that product. Only for products where ``exact_order_known`` (the small path reads
    whole 16-float chunks)."""
    detections, dim = features.shape
    full_rows = detections - detections % 4  # detections inside the small kernel's blocks
    full_cols = slots - slots % 4
    out[:] = -np.inf  # the best similarity so far, until the last line
    chunks = dim // _LANES
    g_address, f_address = gallery.ctypes.data, features.ctypes.data
    g_track, g_slot, f_row = gallery.strides[0], gallery.strides[1], features.strides[0]
    ends = _k_blocks(dim)
    # 16 slots at a time (_packed16) where every K block is whole 16-float chunks and the
    # ring buffer holds at least 16 slots.
    aligned_blocks = True
    block_start = 0
    for block in range(len(ends)):
        aligned_blocks = aligned_blocks and (ends[block] - block_start) % _LANES == 0
        block_start = ends[block]
    whole_rows = aligned_blocks and gallery.shape[1] >= _LANES
    scratch = np.empty(_LANES, np.float32)
    scratch_address = scratch.ctypes.data
    sums = np.empty(_LANES, np.float32)
    # Pairs come sorted by track (np.nonzero): each group of one track's pairs reads every
    # gallery slot once, while it is in L1, for all of its detections.
    group = 0
    while group < len(rows):
        track = rows[group]
        end = group + 1
        while end < len(rows) and rows[end] == track:
            end += 1
        count = counts[track]
        row = g_address + np.uintp(track * g_track)
        if small:
            for slot in range(count):
                slot_address = row + np.uintp(slot * g_slot)
                for p in range(group, end):
                    det = cols[p]
                    value = _small_dot(
                        slot_address, f_address + np.uintp(det * f_row), chunks,
                        det < full_rows or slot < full_cols,
                    )  # fmt: skip
                    out[p] = _larger(out[p], value)
        else:
            # The packed kernel: one fused chain along each K block per element, the
            # blocks' sums added in turn; eight (then four) slots at a time, so that many
            # chains are in flight.
            if whole_rows and count > 0:
                # 16 slots at a time; the last block ends at the last slot and may overlap
                # the one before (the maximum does not mind a slot twice), or, below 16
                # slots, reads slots past the count (inside the ring buffer) it ignores.
                for first in range(0, count, _LANES):
                    first = max(0, min(first, count - _LANES))
                    valid = min(_LANES, count - first)
                    for p in range(group, end):
                        feature = f_address + np.uintp(cols[p] * f_row)
                        block_start = 0
                        for block in range(len(ends)):
                            _packed16(
                                row + np.uintp(first * g_slot), g_slot, feature,
                                block_start, ends[block], scratch_address,
                            )  # fmt: skip
                            for lane in range(_LANES):
                                if block == 0:
                                    sums[lane] = scratch[lane]
                                else:
                                    sums[lane] = sums[lane] + scratch[lane]
                            block_start = ends[block]
                        for lane in range(valid):
                            out[p] = _larger(out[p], sums[lane])
                group = end
                continue
            octets = count - count % 8
            quads = count - count % 4
            for first in range(0, octets, 8):
                for p in range(group, end):
                    _packed8(gallery, track, first, features, cols[p], ends, out, p)
            for first in range(octets, quads, 4):
                for p in range(group, end):
                    det = cols[p]
                    t0 = t1 = t2 = t3 = np.float32(0.0)
                    start = 0
                    for block in range(len(ends)):
                        a0 = a1 = a2 = a3 = np.float32(0.0)
                        for k in range(start, ends[block]):
                            f = features[det, k]
                            a0 = _fma(gallery[track, first, k], f, a0)
                            a1 = _fma(gallery[track, first + 1, k], f, a1)
                            a2 = _fma(gallery[track, first + 2, k], f, a2)
                            a3 = _fma(gallery[track, first + 3, k], f, a3)
                        if block == 0:
                            t0, t1, t2, t3 = a0, a1, a2, a3
                        else:
                            t0, t1, t2, t3 = t0 + a0, t1 + a1, t2 + a2, t3 + a3
                        start = ends[block]
                    best = _larger(_larger(out[p], t0), t1)
                    out[p] = _larger(_larger(best, t2), t3)
            for slot in range(quads, count):
                for p in range(group, end):
                    det = cols[p]
                    total = np.float32(0.0)
                    start = 0
                    for block in range(len(ends)):
                        acc = np.float32(0.0)
                        for k in range(start, ends[block]):
                            acc = _fma(gallery[track, slot, k], features[det, k], acc)
                        total = acc if block == 0 else total + acc
                        start = ends[block]
                    out[p] = _larger(out[p], total)
        group = end
    for p in range(len(rows)):
        out[p] = 1.0 - out[p]


@kernel
def gallery_distance_matrix(
    gallery: NDArray[np.float32],
    counts: NDArray[np.integer],
    features: NDArray[np.float32],
    tracks: NDArray[np.integer],
    feasible: NDArray[np.bool_],
    out: NDArray[np.float64],
) -> bool:
    """``out[r, c]`` = ``gallery_distance`` of track ``tracks[r]`` and feature ``c`` where
    ``feasible[r, c]``, inf elsewhere: the matrix ``gallery_pair_distance`` fills for the
    tracker, without building the pair lists in numpy. Returns False, leaving ``out``
    alone, when the summation order of numpy's matmul for this product is not known
    (``exact_order_known``; the caller then takes numpy's path)."""
    n_rows, n_cols = feasible.shape
    slots = 1
    pairs = 0
    for r in range(n_rows):
        for c in range(n_cols):
            if feasible[r, c]:
                pairs += 1
                slots = max(slots, counts[tracks[r]])
    if pairs == 0:
        out[:] = np.inf
        return True
    if not exact_order_known(n_cols, slots, features.shape[1]):
        return False
    rows = np.empty(pairs, np.int64)
    cols = np.empty(pairs, np.int64)
    p = 0
    for r in range(n_rows):
        for c in range(n_cols):
            if feasible[r, c]:
                rows[p] = tracks[r]
                cols[p] = c
                p += 1
    distance = np.empty(pairs)
    small = uses_small_kernel(n_cols, slots, features.shape[1])
    gallery_distance(gallery, counts, features, rows, cols, slots, small, distance)
    out[:] = np.inf
    p = 0
    for r in range(n_rows):
        for c in range(n_cols):
            if feasible[r, c]:
                out[r, c] = distance[p]
                p += 1
    return True
