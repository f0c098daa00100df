"""One frame's detections, validated once at the tracker's boundary.

Everything the tracker does afterwards can then trust shapes, dtypes, finiteness and
magnitudes, so a bad box fails here with a message that names its row instead of deep inside
a matrix solve, and nothing that passes can make the Kalman filter singular or overflow.

What is accepted (anything else raises ``InvalidDetectionsError``, a ``ValueError``; the
core imports nothing of ours, so it is defined here rather than in ``tracker.errors``):

- ``boxes`` ``(N, 4)`` x1, y1, x2, y2 real numbers with ``|coordinate| <= MAX_COORDINATE``
  pixels and ``x1 <= x2``, ``y1 <= y2``. Boxes narrower or lower than ``MIN_BOX_SIZE``
  (e.g. clipped to nothing at the image border) are dropped, not tracked: their ``index``
  never appears in the output. Below about a pixel the filter's noise, which scales with the
  box height, would underflow (``1e-200`` made the innovation covariance singular), and
  next to a ``MAX_COORDINATE``-sized track the update would lose every digit of it.
- ``scores`` ``(N,)`` finite as float32 (the dtype the tracker keeps them in; ``1e39`` is
  finite as a double and ``inf`` as float32). Any range: MOT15's det files score up to 138.
- ``classes`` ``(N,)`` integers (integral floats too) in the int32 range, or ``None``.
- ``features`` ``(N, D)``, ``1 <= D <= MAX_FEATURE_DIM``, finite as float32, or ``None``.
  Rows are scaled to unit length; an all-zero row stays zero and matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from tracker.core.jit import kernel, pairwise_sum

#: Largest accepted ``|x|`` or ``|y|`` of a box corner, in pixels: far beyond any image, small
#: enough that squared sizes (areas, covariances) stay many orders away from overflow.
MAX_COORDINATE = 1e6
#: Boxes with a width or height below this many pixels are dropped (see the module docstring).
MIN_BOX_SIZE = 1.0
#: Widest accepted appearance feature; each track's gallery holds ``budget x D`` floats.
MAX_FEATURE_DIM = 4096
_CLASS_MIN, _CLASS_MAX = -(2**31), 2**31 - 1  # the wire's int32 class ids
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class InvalidDetectionsError(ValueError):
    """One frame's arrays that the tracker cannot take; the message names the row and why.

    Raised by ``Detections.from_arrays`` (so by ``DeepSort.update``) before any tracker state
    changes: the tracker is still usable afterwards.
    """


def _real_array(name: str, value: ArrayLike) -> NDArray[Any]:
    """``value`` as an array of real numbers (bool, int or float), or our error.

    Ragged lists, strings, complex numbers and objects that are not numbers would otherwise
    surface as numpy's own ``ValueError``/``TypeError``/``OverflowError`` or be converted
    silently (complex -> real part).
    """
    try:
        array = np.asarray(value)
        if array.dtype.kind == "O":
            array = array.astype(np.float64)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidDetectionsError(f"{name} must be an array of numbers: {error}") from None
    if array.dtype.kind not in "biuf":
        raise InvalidDetectionsError(f"{name} must be real numbers, got dtype {array.dtype}")
    return array


def _as_float32(array: NDArray[Any]) -> NDArray[np.float32]:
    """Cast without numpy's overflow warning: out-of-range values become inf and are then
    reported by the caller's finiteness check, in the dtype the tracker keeps."""
    with np.errstate(over="ignore", invalid="ignore"):
        return array.astype(np.float32)


def _first(mask: ArrayLike) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_boxes(value: ArrayLike) -> NDArray[np.float64]:
    array = _real_array("boxes", value)
    if array.size == 0:
        array = array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise InvalidDetectionsError(
            f"boxes must have shape (N, 4) as x1, y1, x2, y2; got {array.shape}"
        )
    boxes = array.astype(np.float64)
    # The common, valid path costs one compiled pass: every coordinate is finite and in
    # range (NaN compares false). The rules are then checked one by one, only on failure, to
    # name the first bad row.
    if _all_in_range(boxes):
        return boxes
    if not np.isfinite(boxes).all():
        bad = _first(~np.isfinite(boxes).all(axis=1))
        raise InvalidDetectionsError(f"box {bad} is not finite: {boxes[bad].tolist()}")
    if len(boxes) and np.abs(boxes).max() > MAX_COORDINATE:
        bad = _first((np.abs(boxes) > MAX_COORDINATE).any(axis=1))
        raise InvalidDetectionsError(
            f"box {bad} is out of range: {boxes[bad].tolist()} "
            f"(pixel coordinates must be within +-{MAX_COORDINATE:g})"
        )
    return boxes  # pragma: no cover - a value over the range is found above


@kernel
def _all_in_range(boxes: NDArray[np.float64]) -> bool:
    """Every coordinate finite and within ``MAX_COORDINATE`` (true for no boxes)."""
    for value in boxes.ravel():  # noqa: SIM110 - numba compiles the loop, not all(generator)
        if not abs(value) <= MAX_COORDINATE:
            return False
    return True


@kernel
def _all_trackable(boxes: NDArray[np.float64]) -> bool:
    """Every box at least ``MIN_BOX_SIZE`` wide and high (``boxes`` passed ``_check_boxes``)."""
    for row in range(len(boxes)):
        if not (
            boxes[row, 2] - boxes[row, 0] >= MIN_BOX_SIZE
            and boxes[row, 3] - boxes[row, 1] >= MIN_BOX_SIZE
        ):
            return False
    return True


def _check_sizes(boxes: NDArray[np.float64]) -> NDArray[np.bool_] | None:
    """Which boxes are large enough to track (``None``: all of them, the common case, in one
    reduction); an inverted box raises. ``boxes`` passed ``_check_boxes``: finite, so
    ``x2 - x1 < 0`` exactly when ``x2 < x1``."""
    size = boxes[:, 2:] - boxes[:, :2]
    if not len(size) or size.min() >= MIN_BOX_SIZE:
        return None
    inverted = (size < 0).any(axis=1)
    if inverted.any():
        bad = _first(inverted)
        raise InvalidDetectionsError(
            f"box {bad} has negative width or height: {boxes[bad].tolist()} "
            "(expected x1 <= x2 and y1 <= y2)"
        )
    trackable: NDArray[np.bool_] = np.asarray((size >= MIN_BOX_SIZE).all(axis=1))
    return trackable


def _check_scores(value: ArrayLike, n: int) -> NDArray[np.float32]:
    raw = _real_array("scores", value).reshape(-1)
    if len(raw) != n:
        raise InvalidDetectionsError(
            f"scores must have one value per box: {len(raw)} for {n} boxes"
        )
    # float32 input (the detectors' and the readers') needs no overflow guard on the cast.
    scores = raw.astype(np.float32) if raw.dtype == np.float32 else _as_float32(raw)
    if not _all_finite(scores):
        bad = _first(~np.isfinite(scores))
        raise InvalidDetectionsError(f"score {bad} is not finite as float32: {raw[bad].item()!r}")
    return scores


@kernel
def _all_finite(values: NDArray[np.float32]) -> bool:
    for value in values:  # noqa: SIM110 - numba compiles the loop, not all(generator)
        if not np.isfinite(value):
            return False
    return True


@kernel
def _all_int32(values: NDArray[np.signedinteger[Any]]) -> bool:
    """Every (signed integer) class id within the wire's int32 range."""
    for value in values:  # noqa: SIM110 - numba compiles the loop, not all(generator)
        if value < _CLASS_MIN or value > _CLASS_MAX:
            return False
    return True


def _check_classes(value: ArrayLike | None, n: int) -> NDArray[np.int64]:
    if value is None:
        return np.zeros(n, np.int64)
    raw = _real_array("classes", value).reshape(-1)
    if len(raw) != n:
        raise InvalidDetectionsError(
            f"classes must have one value per box: {len(raw)} for {n} boxes"
        )
    if raw.dtype.kind == "i" and _all_int32(raw):
        return raw.astype(np.int64)  # the common case, in one compiled pass
    if raw.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(raw) & (raw == np.round(raw))
        if not ok.all():
            bad = _first(~ok)
            raise InvalidDetectionsError(f"class {bad} is not an integer: {raw[bad].item()!r}")
    # Compare in a type that holds every value (a uint64 above 2**63 must not wrap to a
    # negative id, and float16 cannot hold the int32 bounds), then cast.
    wide = raw.astype(
        {"b": np.int64, "i": np.int64, "u": np.uint64, "f": np.float64}[raw.dtype.kind]
    )
    out_of_range = (wide > _CLASS_MAX) | (wide < _CLASS_MIN)
    if out_of_range.any():
        bad = _first(out_of_range)
        raise InvalidDetectionsError(
            f"class {bad} is out of range: {raw[bad].item()!r} "
            f"(class ids are int32, {_CLASS_MIN}..{_CLASS_MAX})"
        )
    return raw.astype(np.int64)


def _check_features(value: ArrayLike, n: int, expected_dim: int | None) -> NDArray[np.float32]:
    raw = _real_array("features", value)
    if raw.ndim != 2 or raw.shape[0] != n:
        raise InvalidDetectionsError(f"features must have shape (N, D) with N={n}; got {raw.shape}")
    dim = raw.shape[1]
    if n and not 1 <= dim <= MAX_FEATURE_DIM:
        raise InvalidDetectionsError(f"features must have 1..{MAX_FEATURE_DIM} columns, got {dim}")
    if expected_dim is not None and n and dim != expected_dim:
        raise InvalidDetectionsError(
            f"features are {dim}-d but this tracker holds {expected_dim}-d "
            "features; use one embedder per tracker"
        )
    features = raw.astype(np.float32) if raw.dtype == np.float32 else _as_float32(raw)
    unit, bad = _unit_rows(np.ascontiguousarray(features))
    if bad >= 0:
        raise InvalidDetectionsError(
            f"feature {bad} has NaN or values that are infinite as float32"
        )
    return unit


@kernel
def _unit_rows(features: NDArray[np.float32]) -> tuple[NDArray[np.float32], int]:
    """Rows scaled to unit length, and the first row with a NaN or infinite value (-1: none).

    Each row is divided by its largest magnitude first: the squared norm of a float32 row
    with values near 1e20 would overflow (and one near 1e-30 underflow) and lose the
    direction. An all-zero row stays zero. The arithmetic is numpy's, in numpy's order
    (``x / max|x|``, then ``/ sqrt(sum(x * x))`` summed pairwise), so the unit rows are
    bit for bit those of the vectorised form (``tests/test_detections.py``), in one pass.
    """
    n, dim = features.shape
    unit = np.zeros((n, dim), np.float32)
    squares = np.empty(dim, np.float32)
    for i in range(n):
        scale = np.float32(0.0)
        for j in range(dim):
            magnitude = abs(features[i, j])
            if not magnitude <= _FLOAT32_MAX:  # NaN compares false
                return unit, i
            scale = max(scale, magnitude)
        if scale == 0:
            continue
        for j in range(dim):
            scaled = features[i, j] / scale
            unit[i, j] = scaled
            squares[j] = scaled * scaled
        norm = np.sqrt(pairwise_sum(squares, 0, dim))
        for j in range(dim):
            unit[i, j] /= norm
    return unit, -1


@dataclass(frozen=True)
class Detections:
    boxes: NDArray[np.float64]  # (N, 4) x1, y1, x2, y2
    scores: NDArray[np.float32]  # (N,)
    classes: NDArray[np.int64]  # (N,)
    features: NDArray[np.float32] | None  # (N, D), unit length, or None for motion-only
    index: NDArray[np.int64]  # (N,) position of each row in the caller's input

    def __len__(self) -> int:
        return len(self.boxes)

    def subset(self, mask: NDArray[np.bool_] | NDArray[np.int64]) -> Detections:
        return Detections(
            self.boxes[mask],
            self.scores[mask],
            self.classes[mask],
            None if self.features is None else self.features[mask],
            self.index[mask],
        )

    @staticmethod
    def from_arrays(
        boxes: ArrayLike,
        scores: ArrayLike,
        classes: ArrayLike | None = None,
        features: ArrayLike | None = None,
        expected_dim: int | None = None,
    ) -> Detections:
        """Check and convert caller arrays (the rules are in the module docstring).

        Raises ``InvalidDetectionsError`` naming the first bad row, for wrong shapes or
        dtypes, NaN or infinite values, coordinates beyond ``MAX_COORDINATE``, inverted boxes,
        non-integral or out-of-range classes, and features whose width is out of bounds or
        differs from ``expected_dim``. Boxes smaller than ``MIN_BOX_SIZE`` are dropped.
        """
        box_array = _check_boxes(boxes)
        # Valid boxes (the common case) are confirmed in one compiled pass; otherwise the
        # size rules run, to drop the small boxes or name the inverted one.
        trackable = None if _all_trackable(box_array) else _check_sizes(box_array)
        n = len(box_array)
        score_array = _check_scores(scores, n)
        class_array = _check_classes(classes, n)
        feature_array = None if features is None else _check_features(features, n, expected_dim)
        detections = Detections(
            box_array,
            score_array,
            class_array,
            feature_array,
            np.arange(n, dtype=np.int64),
        )
        return detections if trackable is None else detections.subset(trackable)
