"""One place that finds and loads weight files.

Weights are data, never part of the package: users keep them wherever they like, CI and
development use ``../shared/weights``. ``resolve`` tries the places in a fixed order and, when
nothing works, raises one error that names every place it looked, so the user can fix it in
one go. ``load_state_dict`` never unpickles arbitrary objects (``weights_only=True``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError

log = logging.getLogger(__name__)

WEIGHTS_DIR_ENV = "TRACKER_WEIGHTS_DIR"
REPO_ROOT = Path(__file__).resolve().parent.parent

# Official download locations for files we know by name. Ultralytics model names are
# downloaded by ultralytics itself (see ``ULTRALYTICS_NAMES``).
OFFICIAL_URLS: Mapping[str, str] = {
    "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth": (
        "https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth"
    ),
    "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth": (
        "https://download.pytorch.org/models/fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth"
    ),
}
ULTRALYTICS_NAMES = frozenset(
    f"{family}{size}.pt"
    for family in ("yolov8", "yolo11", "yolov5", "yolov9", "yolov10", "yolo12")
    for size in ("n", "s", "m", "l", "x", "nu", "su", "t", "c", "e")
)
HOW_TO_GET = (
    "Put the file in one of those places or pass its path (see weights/README.md for where "
    "the official files are published)."
)


def search_dirs(cwd: Path | None = None) -> list[Path]:
    """Folders searched for a bare file name, in order, without duplicates."""
    cwd = Path.cwd() if cwd is None else cwd
    candidates: list[Path] = []
    env_dir = os.environ.get(WEIGHTS_DIR_ENV)
    if env_dir:
        candidates.append(Path(env_dir).expanduser())
    candidates += [
        cwd / "weights",
        cwd.parent / "shared" / "weights",
        REPO_ROOT / "weights",
        REPO_ROOT.parent / "shared" / "weights",
    ]
    unique: list[Path] = []
    for folder in candidates:
        resolved = folder.resolve()
        if resolved not in unique:
            unique.append(resolved)
    return unique


def resolve(name_or_path: str | os.PathLike[str], *, download: bool = True) -> Path:
    """Find a weight file: explicit path, ``$TRACKER_WEIGHTS_DIR``, ``./weights``,
    ``../shared/weights`` (from the cwd and from the repository), then an official download.

    Raises ``TrackerError`` naming the file, every place searched and how to get it.
    """
    given = Path(name_or_path).expanduser()
    if given.is_file():
        return given.resolve()
    searched: list[str] = [str(given)]
    if given.parent != Path("."):
        # An explicit path with folders that does not exist: searching elsewhere for its
        # base name would silently use a different file than the one asked for.
        raise TrackerError(f"weight file not found: {given}")
    for folder in search_dirs():
        candidate = folder / given.name
        searched.append(str(candidate))
        if candidate.is_file():
            log.debug("weights %s -> %s", name_or_path, candidate)
            return candidate
    download_note = _try_download(given.name, searched) if download else None
    if isinstance(download_note, Path):
        return download_note
    lines = [f"weight file {given.name!r} not found. Searched:"]
    lines += [f"  - {place}" for place in searched]
    if download_note:
        lines.append(f"  - download: {download_note}")
    lines.append(HOW_TO_GET)
    raise TrackerError("\n".join(lines))


def _try_download(name: str, searched: list[str]) -> Path | str | None:
    """Download a known official file; returns its path, or a note on why it failed."""
    url = OFFICIAL_URLS.get(name)
    if url is None:
        return None
    try:
        import torch.hub

        hub_dir = Path(torch.hub.get_dir()) / "checkpoints"
        target = hub_dir / name
        searched.append(str(target))
        if target.is_file():
            return target
        torch.hub.load_state_dict_from_url(url, progress=True, map_location="cpu")
        return target
    except Exception as error:  # network errors come in many types; report, don't crash
        return f"{url} failed ({type(error).__name__}: {error})"


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``torch.load`` with ``weights_only=True`` on CPU; a broken file gives a clear error."""
    import torch

    file = Path(path)
    try:
        loaded = torch.load(file, map_location="cpu", weights_only=True)
    except FileNotFoundError as error:
        raise TrackerError(f"weight file not found: {file}") from error
    except Exception as error:
        raise TrackerError(
            f"cannot load weight file {file}: it is corrupt, truncated or not a plain "
            f"state_dict checkpoint ({type(error).__name__}: {str(error).splitlines()[0]})"
        ) from error
    if not isinstance(loaded, dict):
        raise TrackerError(f"weight file {file} holds a {type(loaded).__name__}, not a dict")
    return loaded
