"""Camera motion between consecutive frames, estimated from the pixels (OpenCV).

The tracker's core moves its tracks with a 2x3 affine per frame (``DeepSort.update(...,
camera_motion=...)``) but stays free of cv2; this module measures that affine from the frames.
The method is the sparse optical flow of BoT-SORT's GMC, written for our needs:

- the frame is turned grey and downscaled so its long side is ``max_side`` pixels (the cost
  then hardly depends on the camera's resolution, and the flow of a downscaled frame is the
  camera's, not its noise);
- corners (good features to track) are found in the previous frame away from its detection
  boxes (people move on their own; their pixels would pull the estimate along) and from the
  image border, then followed into the current frame by pyramidal Lucas-Kanade;
- a partial affine (shift, rotation, uniform zoom: 4 degrees of freedom) is fitted with RANSAC
  and refined on its inliers, then expressed in full-resolution pixels.

When the evidence is thin (the first frame, a blank or textureless frame, too few inliers, a
scene cut, an implausible zoom) the answer is the identity: a missing compensation costs what
it cost before, a wrong one moves every track.

One ``FlowCameraMotion`` per stream: it keeps that stream's previous frame; nothing is global.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


@dataclass(frozen=True)
class FlowSettings:
    """Tunables of ``FlowCameraMotion``; the defaults were measured on PETS09-S2L1 (static)
    and its synthetic pan/zoom version (benchmarks/results/camera_motion.md)."""

    max_side: int = 384
    """Long side of the downscaled grey frame the flow runs on (pixels)."""
    max_corners: int = 300
    quality_level: float = 0.01
    min_distance: int = 8
    """Minimum spacing of corners in downscaled pixels: spreads them over the frame."""
    border: float = 0.03
    """Share of each image side kept free of corners (borders crop and wrap under motion)."""
    box_margin: float = 0.1
    """Detection boxes are widened by this share of their size before being masked out."""
    lk_window: int = 15
    lk_levels: int = 3
    ransac_threshold: float = 1.0
    """RANSAC reprojection threshold in downscaled pixels."""
    min_inliers: int = 20
    min_inlier_ratio: float = 0.3
    """Of the corners followed successfully; fewer means a scene cut or a scene that moves
    on its own."""
    refresh: float = 0.5
    """Corners followed into the current frame are reused for the next one while at least
    this share of ``max_corners`` survive (inliers, outside the border and the boxes);
    below it they are found anew."""
    max_zoom: float = 1.25
    """A per-frame zoom beyond this (or below its inverse) is taken for a failed estimate."""

    def __post_init__(self) -> None:
        if not 32 <= self.max_side <= 4096:
            raise ValueError(f"max_side must be in [32, 4096], got {self.max_side}")
        if self.max_corners < 3 or self.min_inliers < 3:
            raise ValueError("max_corners and min_inliers must be at least 3")
        if not 0 <= self.border < 0.5 or not 0 <= self.box_margin <= 1:
            raise ValueError("border must be in [0, 0.5) and box_margin in [0, 1]")
        if not 0 < self.min_inlier_ratio <= 1 or self.max_zoom <= 1:
            raise ValueError("min_inlier_ratio must be in (0, 1] and max_zoom > 1")
        if not 0 <= self.refresh <= 1:
            raise ValueError(f"refresh must be in [0, 1], got {self.refresh}")


class FlowCameraMotion:
    """Sparse-optical-flow camera motion of one stream, frame after frame."""

    def __init__(self, settings: FlowSettings | None = None) -> None:
        self.settings = settings or FlowSettings()
        self._prev: NDArray[np.uint8] | None = None  # downscaled grey previous frame
        self._prev_points: NDArray[np.float32] | None = None  # (K, 1, 2) corners in it
        self._shape: tuple[int, int] | None = None  # full-resolution (H, W) of the stream
        self.last_inliers = 0
        """Inliers behind the last estimate (0: identity for lack of evidence)."""

    def reset(self) -> None:
        """Forget the previous frame (e.g. after a gap in the stream)."""
        self._prev = self._prev_points = self._shape = None
        self.last_inliers = 0

    def estimate(
        self, frame: NDArray[np.uint8], boxes: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """The 2x3 affine taking the previous frame's pixels to ``frame``'s (full resolution).

        ``frame``: ``(H, W, 3)`` BGR or ``(H, W)`` grey uint8. ``boxes``: this frame's
        detections, ``(N, 4)`` xyxy pixels, kept out of the corners the next frame is matched
        with. The identity is returned for the first frame, after a change of frame size, and
        whenever the estimate is not trustworthy (see the module docstring)."""
        image = np.asarray(frame)
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or min(image.shape[:2]) < 2:
            raise ValueError(
                f"frame must be an (H, W) or (H, W, 3) uint8 image, got {image.dtype} {image.shape}"
            )
        if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
            raise ValueError(f"frame must have 1, 3 or 4 channels, got {image.shape[2]}")
        shape = (int(image.shape[0]), int(image.shape[1]))
        scale = min(1.0, self.settings.max_side / max(shape))
        small = _grey_small(image, scale)
        mask = self._mask(small.shape, _boxes(boxes), scale)
        affine = IDENTITY.copy()
        self.last_inliers = 0
        carried = None
        if self._prev is not None and self._shape == shape and self._prev_points is not None:
            found = self._flow(small)
            if found is not None:
                affine = _to_full_resolution(found[0], shape, small.shape)
                carried = _inside(found[1], mask)
        self._prev, self._shape = small, shape
        if (
            carried is not None
            and len(carried) >= self.settings.refresh * self.settings.max_corners
        ):
            self._prev_points = carried  # goodFeaturesToTrack is the costliest step: reuse
        else:
            self._prev_points = self._corners(small, mask)
        return affine

    def _flow(
        self, small: NDArray[np.uint8]
    ) -> tuple[NDArray[np.float64], NDArray[np.float32]] | None:
        """The downscaled affine and its inliers' positions in ``small`` (None: unsure)."""
        s = self.settings
        prev_points = self._prev_points
        if prev_points is None or self._prev is None or len(prev_points) < s.min_inliers:
            return None
        points, status, _ = cv2.calcOpticalFlowPyrLK(
            self._prev,
            small,
            prev_points,
            np.empty_like(prev_points),
            winSize=(s.lk_window, s.lk_window),
            maxLevel=s.lk_levels,
            criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01),
        )
        if points is None or status is None:
            return None
        ok = status.reshape(-1).astype(bool)
        if int(ok.sum()) < s.min_inliers:
            return None
        src, dst = prev_points[ok].reshape(-1, 2), points[ok].reshape(-1, 2)
        affine, inliers = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=s.ransac_threshold
        )
        if affine is None or inliers is None:
            return None
        count = int(inliers.sum())
        if count < s.min_inliers or count < s.min_inlier_ratio * len(src):
            return None
        affine = np.asarray(affine, np.float64)
        zoom = float(np.sqrt(abs(np.linalg.det(affine[:, :2]))))
        if not np.isfinite(affine).all() or not 1 / s.max_zoom <= zoom <= s.max_zoom:
            return None
        self.last_inliers = count
        return affine, dst[inliers.reshape(-1).astype(bool)].reshape(-1, 1, 2)

    def _mask(
        self, shape: tuple[int, ...], boxes: NDArray[np.float64], scale: float
    ) -> NDArray[np.uint8]:
        """Where corners may be (255): inside the border, outside the grown boxes."""
        s = self.settings
        height, width = shape[0], shape[1]
        mask = np.zeros((height, width), np.uint8)
        by, bx = round(s.border * height), round(s.border * width)
        mask[by : height - by, bx : width - bx] = 255
        if len(boxes):
            size = boxes[:, 2:] - boxes[:, :2]
            grown = boxes * scale + np.hstack([-size, size]) * (s.box_margin * scale)
            x1, x2 = (np.clip(np.round(grown[:, k]), 0, width).astype(int) for k in (0, 2))
            y1, y2 = (np.clip(np.round(grown[:, k]), 0, height).astype(int) for k in (1, 3))
            for a, b, c, d in zip(y1.tolist(), y2.tolist(), x1.tolist(), x2.tolist(), strict=True):
                mask[a:b, c:d] = 0  # a few dozen boxes at most: slicing is the fast way
        return mask

    def _corners(
        self, small: NDArray[np.uint8], mask: NDArray[np.uint8]
    ) -> NDArray[np.float32] | None:
        s = self.settings
        points = cv2.goodFeaturesToTrack(
            small,
            maxCorners=s.max_corners,
            qualityLevel=s.quality_level,
            minDistance=s.min_distance,
            mask=mask,
            blockSize=3,
        )
        return None if points is None else np.asarray(points, np.float32)


def _inside(points: NDArray[np.float32], mask: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The points (K, 1, 2) that fall where ``mask`` allows corners."""
    xy = np.round(points.reshape(-1, 2)).astype(np.int64)
    height, width = mask.shape
    within = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    keep = np.zeros(len(xy), bool)
    keep[within] = mask[xy[within, 1], xy[within, 0]] > 0
    return np.ascontiguousarray(points[keep], np.float32)


def _to_full_resolution(
    affine: NDArray[np.float64], shape: tuple[int, int], small: tuple[int, ...]
) -> NDArray[np.float64]:
    """``affine`` (downscaled pixels) in full-resolution pixels: ``T^-1 A T`` with ``T`` the
    resize's own map (pixel centres: ``x_small + 0.5 = sx (x + 0.5)``)."""
    sx, sy = small[1] / shape[1], small[0] / shape[0]
    resize = np.array([[sx, 0.0, 0.5 * (sx - 1)], [0.0, sy, 0.5 * (sy - 1)], [0.0, 0.0, 1.0]])
    square = np.vstack([affine, [0.0, 0.0, 1.0]])
    return (np.linalg.inv(resize) @ square @ resize)[:2]


def _grey_small(image: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    if image.ndim == 3 and image.shape[2] == 3:
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 4:
        grey = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    else:
        grey = np.ascontiguousarray(image.reshape(image.shape[0], image.shape[1]))
    if scale >= 1.0:
        return np.asarray(grey, np.uint8)
    size = (max(2, round(image.shape[1] * scale)), max(2, round(image.shape[0] * scale)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.uint8)


def _boxes(boxes: ArrayLike | None) -> NDArray[np.float64]:
    if boxes is None:
        return np.zeros((0, 4))
    array = np.asarray(boxes, np.float64)
    if array.size == 0:
        return np.zeros((0, 4))
    if array.ndim != 2 or array.shape[1] != 4 or not np.isfinite(array).all():
        raise ValueError(f"boxes must be finite (N, 4) xyxy pixels, got shape {array.shape}")
    return array
