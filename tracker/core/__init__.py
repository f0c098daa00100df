"""The tracking math: numpy, scipy, lap and numba kernels. No torch, no gRPC, none of ours."""

from tracker.core.deepsort import DeepSort, DeepSortConfig, Tracks
from tracker.core.detections import Detections, InvalidDetectionsError
from tracker.core.kalman import CHI2_95, BatchKalmanFilter

__all__ = [
    "CHI2_95",
    "BatchKalmanFilter",
    "DeepSort",
    "DeepSortConfig",
    "Detections",
    "InvalidDetectionsError",
    "Tracks",
]
