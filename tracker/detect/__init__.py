"""Detectors: ultralytics YOLO, YOLOv5 checkpoints, torchvision Faster R-CNN, public det files."""

from tracker.detect.base import Detector, FrameDetections

__all__ = ["Detector", "FrameDetections"]
