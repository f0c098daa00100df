"""Offline post-processing of finished MOT results: fill short gaps in each track.

A live stream cannot wait for the future, so this is only for offline runs (MOTChallenge
submissions), off by default and reported separately. A track that is missed by the
detector for a few frames and then found again has a hole in its rows; filling it by linear
interpolation between the boxes on either side (as ByteTrack and StrongSORT do for their
MOT submissions) recovers true positives the online tracker could not report. Optionally
each track's boxes are then smoothed with a Gaussian over time (a light stand-in for
StrongSORT's Gaussian-smoothed interpolation), which evens out detector jitter.

Pure numpy; works on the result columns ``track_detections`` returns
(``frames``, ``ids``, ``boxes_xyxy``, ``scores``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

#: Longest gap (frames) that may be filled: beyond it the straight line is a guess.
MAX_FILL = 1000


def interpolate_gaps(
    columns: Mapping[str, NDArray[np.generic]], max_gap: int, sigma: float = 0.0
) -> dict[str, NDArray[np.generic]]:
    """Rows of ``columns`` plus linearly interpolated rows for every gap of at most
    ``max_gap`` missing frames inside a track; with ``sigma > 0`` (frames) every track's
    boxes are then smoothed by a Gaussian of that width over each run of consecutive
    frames. Output rows are sorted by frame, then id; interpolated rows get the mean score
    of the rows around them."""
    frames, ids, boxes, scores = _checked(columns, max_gap, sigma)
    if len(frames) == 0:
        return {"frames": frames, "ids": ids, "boxes_xyxy": boxes, "scores": scores}
    order = np.lexsort((frames, ids))
    frames, ids, boxes, scores = frames[order], ids[order], boxes[order], scores[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    out_frames, out_ids, out_boxes, out_scores = [], [], [], []
    for start, end in zip(starts, ends, strict=True):
        f, b, s = frames[start:end], boxes[start:end], scores[start:end]
        if max_gap > 0 and len(f) > 1:
            f, b, s = _fill(f, b, s, max_gap)
        if sigma > 0:
            b = _smooth(f, b, sigma)
        out_frames.append(f)
        out_ids.append(np.full(len(f), ids[start]))
        out_boxes.append(b)
        out_scores.append(s)
    all_frames, all_ids = np.concatenate(out_frames), np.concatenate(out_ids)
    final = np.lexsort((all_ids, all_frames))
    return {
        "frames": all_frames[final],
        "ids": all_ids[final],
        "boxes_xyxy": np.concatenate(out_boxes)[final],
        "scores": np.concatenate(out_scores)[final],
    }


def _checked(
    columns: Mapping[str, NDArray[np.generic]], max_gap: int, sigma: float
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float32]]:
    if isinstance(max_gap, bool) or not isinstance(max_gap, int) or not 0 <= max_gap <= MAX_FILL:
        raise ValueError(f"max_gap must be an integer in [0, {MAX_FILL}], got {max_gap!r}")
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not 0 <= sigma < math.inf:
        raise ValueError(f"sigma must be finite and >= 0, got {sigma!r}")
    missing = {"frames", "ids", "boxes_xyxy"} - set(columns)
    if missing:
        raise ValueError(f"result columns lack {sorted(missing)}")
    frames = np.asarray(columns["frames"]).astype(np.int64).reshape(-1)
    ids = np.asarray(columns["ids"]).astype(np.int64).reshape(-1)
    boxes = np.asarray(columns["boxes_xyxy"], np.float64).reshape(-1, 4)
    n = len(frames)
    raw_scores = columns.get("scores")
    scores = (
        np.ones(n, np.float32)
        if raw_scores is None
        else np.asarray(raw_scores, np.float32).reshape(-1)
    )
    if not len(ids) == len(boxes) == len(scores) == n:
        raise ValueError(
            f"result columns differ in length: {n} frames, {len(ids)} ids, {len(boxes)} boxes, "
            f"{len(scores)} scores"
        )
    if not np.isfinite(boxes).all():
        raise ValueError("result boxes contain NaN or infinite values")
    pairs = np.stack([ids, frames], axis=1)
    if len(np.unique(pairs, axis=0)) != n:
        raise ValueError("a track id appears twice in one frame")
    return frames, ids, boxes, scores


def _fill(
    f: NDArray[np.int64], b: NDArray[np.float64], s: NDArray[np.float32], max_gap: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float32]]:
    """One track (frames sorted): add the frames of short gaps, boxes on straight lines."""
    span = np.arange(f[0], f[-1] + 1)
    absent = span[~np.isin(span, f)]
    if len(absent) == 0:
        return f, b, s
    after = np.searchsorted(f, absent)  # index of the next observed row
    gap = f[after] - f[after - 1] - 1
    absent = absent[gap <= max_gap]
    if len(absent) == 0:
        return f, b, s
    new_boxes = np.column_stack([np.interp(absent, f, b[:, k]) for k in range(4)])
    after = np.searchsorted(f, absent)
    new_scores = ((s[after] + s[after - 1]) / 2).astype(np.float32)
    frames = np.concatenate([f, absent])
    order = np.argsort(frames, kind="stable")
    return (
        frames[order],
        np.concatenate([b, new_boxes])[order],
        np.concatenate([s, new_scores])[order],
    )


def _smooth(f: NDArray[np.int64], b: NDArray[np.float64], sigma: float) -> NDArray[np.float64]:
    """Gaussian smoothing of one track's boxes over each run of consecutive frames; the
    weights are renormalised at the ends of a run, so a box is never pulled towards zero."""
    radius = max(1, int(3 * sigma))
    out = b.copy()
    breaks = np.flatnonzero(np.diff(f) != 1) + 1
    for run in np.split(np.arange(len(f)), breaks):
        if len(run) < 2:
            continue
        offset = np.arange(len(run))[:, None] - np.arange(len(run))[None, :]
        weights = np.where(np.abs(offset) <= radius, np.exp(-0.5 * (offset / sigma) ** 2), 0.0)
        out[run] = (weights @ b[run]) / weights.sum(axis=1, keepdims=True)
    return out
