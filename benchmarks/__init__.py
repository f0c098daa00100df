"""Accuracy and speed runs of our tracker against peer trackers (run as ``python -m benchmarks.X``)."""
