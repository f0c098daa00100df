"""The tracking math: pure numpy, scipy and lap. No torch, no gRPC; of ours only tracker.errors."""

from tracker.core.deepsort import DeepSort, DeepSortConfig, Tracks
from tracker.core.detections import Detections
from tracker.core.kalman import CHI2_95, BatchKalmanFilter

__all__ = ["CHI2_95", "BatchKalmanFilter", "DeepSort", "DeepSortConfig", "Detections", "Tracks"]
