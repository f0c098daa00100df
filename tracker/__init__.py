"""Real-time multi-object tracking: detector + re-ID + DeepSORT-style tracker."""

__version__ = "0.1.0"
