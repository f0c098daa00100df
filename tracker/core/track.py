"""Track lifecycle and storage: one row per live track, every attribute an array column.

Keeping tracks as columns (struct of arrays) rather than one Python object per track is what
lets the tracker predict, gate, match and update everything with a handful of numpy calls.
Rows live in pre-allocated buffers that grow by doubling; deleted rows are compacted away, so
memory is bounded by the number of live tracks, and each track's appearance gallery by its
budget.

Lifecycle: a new track is TENTATIVE; ``n_init`` consecutive hits confirm it; a tentative track
that misses once is deleted, a confirmed one after more than ``max_age`` misses.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from tracker.core.affinity import box_iou, inside_share
from tracker.core.jit import kernel
from tracker.core.kalman_kernels import to_xyxy


class TrackState(IntEnum):
    TENTATIVE = 1
    CONFIRMED = 2
    DELETED = 3


# Plain ints for the hot paths: reading an IntEnum member costs a microsecond or two (the
# enum's __getattr__), a dozen times per frame.
TENTATIVE = int(TrackState.TENTATIVE)
CONFIRMED = int(TrackState.CONFIRMED)
DELETED = int(TrackState.DELETED)

#: Weight of the past in a track's ``prediction_fit`` at each match (0.8: about the last five
#: matches count), so one lucky or unlucky frame does not decide whether it is trusted.
PREDICTION_FIT_MEMORY = 0.8


class TrackTable:
    """Columns of all live tracks; ``n`` rows are valid."""

    def __init__(self, gallery_budget: int, capacity: int = 32) -> None:
        self.gallery_budget = gallery_budget
        self.n = 0
        self._capacity = capacity
        self.feature_dim: int | None = None
        self.ids = np.zeros(capacity, np.int64)
        self.classes = np.zeros(capacity, np.int64)
        self.scores = np.zeros(capacity, np.float32)
        self.states = np.zeros(capacity, np.int8)
        self.hits = np.zeros(capacity, np.int32)
        self.age = np.zeros(capacity, np.int32)
        self.misses = np.zeros(capacity, np.int32)  # frames since the last update
        self.appearance_age = np.zeros(capacity, np.int32)  # frames since appearance learnt
        # How well the track's predictions have overlapped its detections (IoU, averaged
        # over its matches; -1 before the first), which decides whether a prediction is
        # worth reporting while the track coasts (``coast_min_iou``).
        self.prediction_fit = np.zeros(capacity)
        # The height of the track's last detection (its measurement): a coasting track's
        # predicted box is reported only while its height stays near it
        # (``coast_max_scale``).
        self.seen_height = np.zeros(capacity)
        self.mean = np.zeros((capacity, 8))
        self.cov = np.zeros((capacity, 8, 8))
        self.last_detection = np.full(capacity, -1, np.int64)
        # The reported box's residual (its detection's centre and size minus the filter's,
        # over the filter's height) and the frame it was taken in, -1 before the first: the
        # stream learns from consecutive residuals how much to report of the detection
        # (``report_detection_weight`` None).
        self.residual = np.zeros((capacity, 4))
        self.residual_frame = np.full(capacity, -1, np.int64)
        # The last matched measurement (in the filter's state space, xyah or xywh) and the
        # filter state right after it, for OC-SORT's re-update after a gap.
        self.observation = np.zeros((capacity, 4))
        self.observed_mean = np.zeros((capacity, 8))
        self.observed_cov = np.zeros((capacity, 8, 8))
        # Appearance, allocated when the first features arrive (their width is unknown before).
        self.gallery = np.zeros((capacity, 0, 0), np.float32)
        self.gallery_count = np.zeros(capacity, np.int32)
        self.gallery_next = np.zeros(capacity, np.int32)
        self.smooth_feature = np.zeros((capacity, 0), np.float32)

    # -- storage -------------------------------------------------------------------------

    _columns = (
        "ids", "classes", "scores", "states", "hits", "age", "misses", "appearance_age",
        "prediction_fit", "seen_height", "mean", "cov", "last_detection", "residual",
        "residual_frame", "observation", "observed_mean", "observed_cov", "gallery",
        "gallery_count", "gallery_next", "smooth_feature",
    )  # fmt: skip

    def _ensure_capacity(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        capacity = max(needed, 2 * self._capacity)
        for name in self._columns:
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._capacity = capacity

    def init_appearance(self, dim: int) -> None:
        """Allocate the gallery and smoothed-feature columns for ``dim``-wide features."""
        self.feature_dim = dim
        self.gallery = np.zeros((self._capacity, self.gallery_budget, dim), np.float32)
        self.smooth_feature = np.zeros((self._capacity, dim), np.float32)

    # -- lifecycle -----------------------------------------------------------------------

    def add(
        self,
        ids: NDArray[np.int64],
        mean: NDArray[np.float64],
        cov: NDArray[np.float64],
        classes: NDArray[np.int64],
        scores: NDArray[np.float32],
        detection_index: NDArray[np.int64],
        features: NDArray[np.float32] | None,
        n_init: int,
    ) -> None:
        """Append new tracks, one per unmatched detection."""
        k = len(ids)
        if k == 0:
            return
        self._ensure_capacity(self.n + k)
        rows = slice(self.n, self.n + k)
        self.ids[rows] = ids
        self.classes[rows] = classes
        self.scores[rows] = scores
        self.states[rows] = CONFIRMED if n_init <= 1 else TENTATIVE
        self.hits[rows] = 1
        self.age[rows] = 1
        self.misses[rows] = 0
        self.prediction_fit[rows] = -1.0
        self.seen_height[rows] = mean[:, 3]
        self.mean[rows] = mean
        self.cov[rows] = cov
        self.last_detection[rows] = detection_index
        self.residual_frame[rows] = -1
        self.observation[rows] = mean[:, :4]
        self.observed_mean[rows] = mean
        self.observed_cov[rows] = cov
        self.gallery_count[rows] = 0
        self.gallery_next[rows] = 0
        self.appearance_age[rows] = 0
        self.n += k
        if features is not None:
            self.smooth_feature[rows] = features
            seen = features.any(axis=1)  # a zero row (not embedded) is no appearance
            self.push_features(np.arange(rows.start, rows.stop)[seen], features[seen])

    def push_features(self, rows: NDArray[np.int64], features: NDArray[np.float32]) -> None:
        """Append one feature per row to its ring-buffer gallery (oldest overwritten)."""
        if len(rows) == 0 or self.gallery_budget == 0:
            return
        _push_features(
            rows, features, self.gallery, self.gallery_next, self.gallery_count,
            self.appearance_age,
        )  # fmt: skip

    def blend_features(
        self, rows: NDArray[np.int64], features: NDArray[np.float32], momentum: float
    ) -> None:
        """Exponential moving average of appearance (StrongSORT's EMA), kept at unit length."""
        self.appearance_age[rows] = 0
        blended = momentum * self.smooth_feature[rows] + (1.0 - momentum) * features
        norms = np.linalg.norm(blended, axis=1, keepdims=True)
        self.smooth_feature[rows] = np.divide(
            blended, norms, out=np.zeros_like(blended), where=norms > 0
        )

    def advance_frame(self) -> None:
        """Every live track is one frame older and one more frame without an update (the
        matched ones are reset by ``mark_hit``)."""
        _advance_frame(self.n, self.age, self.misses, self.appearance_age)

    def mark_hit(
        self,
        rows: NDArray[np.int64],
        mean: NDArray[np.float64],
        cov: NDArray[np.float64],
        scores: NDArray[np.float32],
        detection_index: NDArray[np.int64],
        n_init: int,
    ) -> None:
        """Store the corrected states of matched tracks; ``n_init`` hits confirm a track."""
        _mark_hit(
            rows, mean, cov, scores, detection_index, n_init, self.mean, self.cov, self.scores,
            self.last_detection, self.hits, self.misses, self.states,
        )  # fmt: skip

    def remember_observation(
        self, rows: NDArray[np.int64], measurements: NDArray[np.float64]
    ) -> None:
        """Keep each matched track's measurement and its corrected state (``mark_hit``
        first) as the anchor of a later re-update."""
        self.observation[rows] = measurements
        self.observed_mean[rows] = self.mean[rows]
        self.observed_cov[rows] = self.cov[rows]

    def learn_prediction_fit(
        self,
        rows: NDArray[np.int64],
        boxes: NDArray[np.float64],
        cols: NDArray[np.int64],
        uses_aspect: bool,
    ) -> None:
        """Before the update: fold the IoU between each matched track's predicted box (its
        ``mean``, xyah when ``uses_aspect``, else xywh) and its detection's (``boxes[cols]``,
        xyxy) into the track's running ``prediction_fit`` (the first taken as it is)."""
        _learn_prediction_fit(
            rows, cols, self.mean, boxes, uses_aspect, PREDICTION_FIT_MEMORY, self.prediction_fit
        )

    def mark_missed(self, rows: NDArray[np.int64], max_age: int) -> None:
        """Delete tentative tracks at their first miss and confirmed ones past ``max_age``."""
        _mark_missed(rows, max_age, self.last_detection, self.states, self.misses)

    def mark_departed(
        self,
        rows: NDArray[np.int64],
        uses_aspect: bool,
        image_size: tuple[float, float],
        min_share: float,
    ) -> None:
        """Delete the confirmed tracks among ``rows`` whose current box (their prediction,
        for missed tracks) has less than ``min_share`` of its area inside the image."""
        _mark_departed(rows, self.states, self.mean, uses_aspect, *image_size, min_share)

    def prune(self) -> None:
        """Drop deleted rows so memory tracks only live tracks."""
        live = self.states[: self.n] != DELETED
        if live.all():
            return
        keep = np.flatnonzero(live)
        # Rows before the first deleted one stay where they are: only the tail moves (the
        # deleted rows are mostly tentative tracks, the newest, so the tail is short; copying
        # every gallery each frame was the costliest step in a crowd).
        first = int(np.argmin(live))
        moved = keep[first:]
        for name in self._columns:
            column = getattr(self, name)
            if column.shape[0] == self._capacity and column.size:
                column[first : len(keep)] = column[moved]
        self.n = len(keep)


# -- kernels: one loop over the rows concerned instead of a numpy call per column ----------


@kernel
def _push_features(
    rows: NDArray[np.int64],
    features: NDArray[np.float32],
    gallery: NDArray[np.float32],
    gallery_next: NDArray[np.int32],
    gallery_count: NDArray[np.int32],
    appearance_age: NDArray[np.int32],
) -> None:
    budget = gallery.shape[1]
    for k, row in enumerate(rows):
        appearance_age[row] = 0
        slot = gallery_next[row]
        gallery[row, slot] = features[k]
        gallery_next[row] = (slot + 1) % budget
        gallery_count[row] = min(gallery_count[row] + 1, budget)


@kernel
def _learn_prediction_fit(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    mean: NDArray[np.float64],
    boxes: NDArray[np.float64],
    uses_aspect: bool,
    memory: float,
    prediction_fit: NDArray[np.float64],
) -> None:
    predicted = to_xyxy(mean[rows], uses_aspect)  # reads the first four columns only
    for k, row in enumerate(rows):
        fit = box_iou(predicted[k], boxes[cols[k]])
        old = prediction_fit[row]
        prediction_fit[row] = fit if old < 0.0 else memory * old + (1.0 - memory) * fit


@kernel
def _advance_frame(
    n: int, age: NDArray[np.int32], misses: NDArray[np.int32], appearance_age: NDArray[np.int32]
) -> None:
    for row in range(n):
        age[row] += 1
        misses[row] += 1
        appearance_age[row] += 1


@kernel
def _mark_hit(
    rows: NDArray[np.int64],
    mean: NDArray[np.float64],
    cov: NDArray[np.float64],
    scores: NDArray[np.float32],
    detection_index: NDArray[np.int64],
    n_init: int,
    table_mean: NDArray[np.float64],
    table_cov: NDArray[np.float64],
    table_scores: NDArray[np.float32],
    last_detection: NDArray[np.int64],
    hits: NDArray[np.int32],
    misses: NDArray[np.int32],
    states: NDArray[np.int8],
) -> None:
    for k, row in enumerate(rows):
        table_mean[row] = mean[k]
        table_cov[row] = cov[k]
        table_scores[row] = scores[k]
        last_detection[row] = detection_index[k]
        hits[row] += 1
        misses[row] = 0
        if hits[row] >= n_init and states[row] == TENTATIVE:
            states[row] = CONFIRMED


@kernel
def _mark_missed(
    rows: NDArray[np.int64],
    max_age: int,
    last_detection: NDArray[np.int64],
    states: NDArray[np.int8],
    misses: NDArray[np.int32],
) -> None:
    for row in rows:
        last_detection[row] = -1
        if states[row] == TENTATIVE or misses[row] > max_age:
            states[row] = DELETED


@kernel
def _mark_departed(
    rows: NDArray[np.int64],
    states: NDArray[np.int8],
    mean: NDArray[np.float64],
    uses_aspect: bool,
    width: float,
    height: float,
    min_share: float,
) -> None:
    boxes = to_xyxy(mean[rows], uses_aspect)  # reads the first four columns only
    shares = inside_share(boxes, width, height)
    for k, row in enumerate(rows):
        if states[row] == CONFIRMED and shares[k] < min_share:
            states[row] = DELETED
