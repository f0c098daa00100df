"""Where exported models live: one file per (weights content, model, runtime, input shape).

Keyed by the weights file's SHA-256, so a changed weights file never reuses a stale export,
and by ``EXPORT_VERSION``, bumped whenever the exported graph changes (network code, the
in-graph preprocessing). Files are written under a temporary name and renamed into place, so
two processes exporting at once never see half a file. Exports are derived data: they live in
the user's cache, never in the repository.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CACHE_DIR_ENV = "TRACKER_CACHE_DIR"
EXPORT_VERSION = "v1"


def cache_dir() -> Path:
    """``$TRACKER_CACHE_DIR/exports``, else ``~/.cache/tracker/exports`` (XDG_CACHE_HOME
    respected)."""
    root = os.environ.get(CACHE_DIR_ENV)
    if root:
        return Path(root).expanduser() / "exports"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "tracker" / "exports"


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def export_path(weights_digest: str, model: str, runtime: str, shape: str) -> Path:
    """E.g. ``~/.cache/tracker/exports/1d71907faaf9a049-yolov5-v1-openvino-480x640.onnx``."""
    safe_model = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    name = f"{weights_digest[:16]}-{safe_model}-{EXPORT_VERSION}-{runtime}-{shape}.onnx"
    return cache_dir() / name
