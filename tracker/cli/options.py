"""Options shared by several subcommands."""

from __future__ import annotations

import argparse
from dataclasses import fields

from tracker.core import DeepSortConfig
from tracker.errors import TrackerError

RUNTIME_CHOICES = ("auto", "torch", "onnx", "openvino")
RUNTIME_HELP = (
    "inference runtime for the detector and embedder: auto (CPU: the fastest installed per "
    "model, ONNX Runtime for YOLOv5, OpenVINO for re-ID, else torch; CUDA: torch fp16), torch, "
    "onnx (TensorRT/CUDA providers where installed) or "
    "openvino. Exports are made from the same weights on first use, checked against torch and "
    "cached in $TRACKER_CACHE_DIR/exports (default ~/.cache/tracker/exports)"
)


def add_runtime_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--runtime`` as ``track`` and ``demo`` take it (``serve`` has it as a setting)."""
    parser.add_argument(
        "--runtime", choices=RUNTIME_CHOICES, default="auto", help=f"{RUNTIME_HELP} (auto)"
    )


def add_tracker_options(parser: argparse.ArgumentParser) -> None:
    names = ", ".join(f.name for f in fields(DeepSortConfig))
    parser.add_argument(
        "--set",
        dest="tracker_overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a tracker parameter (repeatable), e.g. --set max_age=60. Keys: {names}",
    )


def tracker_config(overrides: list[str], **fixed: object) -> DeepSortConfig:
    """A ``DeepSortConfig`` from ``KEY=VALUE`` strings, typed by each field's default."""
    defaults = DeepSortConfig()
    values: dict[str, object] = dict(fixed)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not hasattr(defaults, key):
            known = ", ".join(f.name for f in fields(DeepSortConfig))
            raise TrackerError(f"--set {item!r}: expected KEY=VALUE with KEY one of: {known}")
        values[key] = _convert(key, raw.strip(), getattr(defaults, key))
    try:
        return DeepSortConfig.from_dict(values)
    except ValueError as error:
        raise TrackerError(str(error)) from error


def _convert(key: str, raw: str, default: object) -> object:
    if raw.lower() in ("none", "null") and key in ("gating_threshold", "max_appearance_distance"):
        return None
    if default is None:  # the optional floats: an unset default still means a number
        default = 0.0
    try:
        if isinstance(default, bool):
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise TrackerError(f"--set {key}={raw}: expected a {type(default).__name__}") from None
    return raw
