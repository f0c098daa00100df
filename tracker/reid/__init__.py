"""Appearance embedders for re-identification."""

from tracker.reid.base import Embedder, crop_boxes

__all__ = ["Embedder", "crop_boxes"]
