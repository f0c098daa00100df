"""Options shared by several subcommands."""

from __future__ import annotations

import argparse
import types
import typing
from dataclasses import fields

from tracker.core import DeepSortConfig
from tracker.errors import TrackerError

_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}

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
        help="override a tracker parameter (repeatable), e.g. --set max_age=2.5 (times are in "
        f"seconds). Keys: {names}",
    )


def tracker_config(overrides: list[str], **fixed: object) -> DeepSortConfig:
    """A ``DeepSortConfig`` from ``KEY=VALUE`` strings, typed by each field's annotation."""
    hints = typing.get_type_hints(DeepSortConfig)
    values: dict[str, object] = dict(fixed)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise TrackerError(f"--set {item!r}: expected KEY=VALUE")
        if key not in hints:
            known = ", ".join(f.name for f in fields(DeepSortConfig))
            raise TrackerError(f"--set {item!r}: unknown key {key!r}; known keys: {known}")
        values[key] = _convert(key, raw.strip(), hints[key])
    try:
        return DeepSortConfig.from_dict(values)
    except ValueError as error:
        raise TrackerError(str(error)) from error


def _convert(key: str, raw: str, hint: object) -> object:
    """``raw`` as the field's type: ``bool``, ``int``, ``float``, a ``Literal`` choice, each
    optionally ``None`` (written ``none``)."""
    options = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()
    )
    nullable = type(None) in options
    if nullable:
        hint = next(t for t in options if t is not type(None))
    if nullable and raw.lower() in ("none", "null"):
        return None
    if typing.get_origin(hint) is typing.Literal:
        choices = typing.get_args(hint)
        if raw not in choices:
            raise TrackerError(f"--set {key}={raw}: expected one of {', '.join(choices)}")
        return raw
    try:
        if hint is bool:
            if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1", "yes")
        if hint is int:
            return int(raw)
        if hint is float:
            return float(raw)
    except ValueError:
        expected = _TYPE_NAMES.get(hint, str(hint))  # type: ignore[call-overload]
        or_none = " or none" if nullable else ""
        raise TrackerError(f"--set {key}={raw}: expected {expected}{or_none}") from None
    return raw
