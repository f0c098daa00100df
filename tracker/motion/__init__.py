"""Camera motion measured from the frames, for ``DeepSort.update(..., camera_motion=...)``.

Kept out of ``tracker.core`` (which stays free of cv2); ``flow`` imports OpenCV only when a
stream asks for it, so the CLI can list the modes without loading it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from tracker.motion.flow import FlowCameraMotion

CameraMotionMode = Literal["off", "flow"]
CAMERA_MOTION_MODES: tuple[str, ...] = get_args(CameraMotionMode)
"""``off``: no compensation; ``flow``: sparse optical flow (``FlowCameraMotion``)."""

DEFAULT_CAMERA_MOTION: CameraMotionMode = "off"
"""Chosen by benchmarks/results/camera_motion.md."""


def check_camera_motion(mode: str) -> str:
    """``mode`` if it names a ``CAMERA_MOTION_MODES`` entry, else a ``ValueError`` that lists
    them."""
    if mode not in CAMERA_MOTION_MODES:
        raise ValueError(
            f"camera_motion must be one of {', '.join(CAMERA_MOTION_MODES)}, got {mode!r}"
        )
    return mode


def build_camera_motion(mode: str) -> FlowCameraMotion | None:
    """The estimator of one stream for ``mode`` (``None`` for ``off``)."""
    if check_camera_motion(mode) == "off":
        return None
    from tracker.motion.flow import FlowCameraMotion

    return FlowCameraMotion()


__all__ = [
    "CAMERA_MOTION_MODES",
    "DEFAULT_CAMERA_MOTION",
    "CameraMotionMode",
    "build_camera_motion",
    "check_camera_motion",
]
