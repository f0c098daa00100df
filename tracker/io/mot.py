"""MOTChallenge files: ``seqinfo.ini``, det / gt / result text files, deep_sort ``.npy`` files.

Text rows are ``frame, id, x, y, w, h, score, ...`` (comma or whitespace separated, 1-based
frames, top-left + size boxes). Every reader validates what it reads and reports problems as
``InputFormatError`` with the file and line, because a silently misread column turns into
plausible-looking but wrong metrics much later.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tracker.errors import InputFormatError

_SEPARATOR = re.compile(r"[,\s]+")


@dataclass(frozen=True)
class SeqInfo:
    name: str
    length: int
    frame_rate: float
    width: int
    height: int
    image_dir: str = "img1"
    image_ext: str = ".jpg"


def read_seqinfo(seq_dir: str | Path) -> SeqInfo:
    """Read ``SEQ_DIR/seqinfo.ini``; the sequence name defaults to the folder name."""
    path = Path(seq_dir) / "seqinfo.ini"
    if not path.is_file():
        raise InputFormatError(
            f"{path}: not found; a MOTChallenge sequence folder needs seqinfo.ini"
        )
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except configparser.Error as error:
        raise InputFormatError(f"{path}: not a valid ini file: {error}") from error
    if "Sequence" not in parser:
        raise InputFormatError(f"{path}: missing the [Sequence] section")
    section = parser["Sequence"]
    try:
        return SeqInfo(
            name=section.get("name", Path(seq_dir).resolve().name),
            length=int(section["seqLength"]),
            frame_rate=float(section.get("frameRate", "30")),
            width=int(section.get("imWidth", "0")),
            height=int(section.get("imHeight", "0")),
            image_dir=section.get("imDir", "img1"),
            image_ext=section.get("imExt", ".jpg"),
        )
    except KeyError as error:
        raise InputFormatError(f"{path}: missing key {error.args[0]} in [Sequence]") from error
    except ValueError as error:
        raise InputFormatError(f"{path}: {error}") from error


def _parse_rows(path: Path, min_columns: int) -> NDArray[np.float64]:
    """All numeric rows of a MOT text file as one float array, or an error naming the line."""
    if not path.is_file():
        raise InputFormatError(f"{path}: file not found")
    rows: list[list[float]] = []
    width = None
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        for line_number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            fields = [f for f in _SEPARATOR.split(text) if f]
            try:
                values = [float(f) for f in fields]
            except ValueError:
                raise InputFormatError(
                    f"{path}:{line_number}: not a row of numbers: {text[:80]!r}"
                ) from None
            if len(values) < min_columns:
                raise InputFormatError(
                    f"{path}:{line_number}: expected at least {min_columns} columns "
                    f"(frame, id, x, y, w, h{', score' if min_columns > 6 else ''}), "
                    f"got {len(values)}"
                )
            width = width or len(values)
            rows.append(values[:width] + [-1.0] * (width - len(values)))
    if not rows:
        return np.zeros((0, max(min_columns, 10)))
    data = np.asarray(rows)
    _check_rows(path, data)
    return data


def _check_rows(path: Path, data: NDArray[np.float64]) -> None:
    """Frames must be positive integers, boxes finite with non-negative size."""
    frame_ok = (data[:, 0] >= 1) & (data[:, 0] == np.round(data[:, 0]))
    box = data[:, 2:6]
    box_ok = np.isfinite(box).all(axis=1) & (box[:, 2] >= 0) & (box[:, 3] >= 0)
    bad = np.flatnonzero(~(frame_ok & box_ok))
    if len(bad):
        row = data[bad[0]]
        why = (
            "frame must be an integer >= 1"
            if not frame_ok[bad[0]]
            else "box must be finite with w, h >= 0"
        )
        raise InputFormatError(
            f"{path}: data row {bad[0] + 1} ({why}): {', '.join(f'{v:g}' for v in row[:7])}"
        )


def xywh_to_xyxy(boxes_xywh: NDArray[np.floating]) -> NDArray[np.float64]:
    """MOT's ``(left, top, width, height)`` to corner boxes ``(x1, y1, x2, y2)``."""
    boxes = np.asarray(boxes_xywh, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


@dataclass(frozen=True)
class DetectionSet:
    """Detections of a whole sequence, sorted by frame, with fast per-frame slicing."""

    frames: NDArray[np.int64]  # (N,)
    boxes_xywh: NDArray[np.float64]  # (N, 4)
    scores: NDArray[np.float32]  # (N,)
    features: NDArray[np.float32] | None  # (N, D) for deep_sort .npy files
    source: Path

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def boxes_xyxy(self) -> NDArray[np.float64]:
        return xywh_to_xyxy(self.boxes_xywh)

    @property
    def last_frame(self) -> int:
        return int(self.frames.max()) if len(self.frames) else 0

    def frame_slices(self, length: int) -> list[slice]:
        """``slices[f]`` selects the rows of frame ``f`` (1-based; index 0 unused)."""
        starts = np.searchsorted(self.frames, np.arange(length + 2))
        return [slice(int(starts[f]), int(starts[f + 1])) for f in range(length + 1)]

    def iter_frames(self, length: int | None = None) -> Iterator[tuple[int, slice]]:
        """``(frame, rows)`` for every frame 1..length, including frames without detections."""
        length = length or self.last_frame
        slices = self.frame_slices(length)
        for frame in range(1, length + 1):
            yield frame, slices[frame]


def _sorted_set(
    path: Path, data: NDArray[np.float64], features: NDArray[np.float32] | None
) -> DetectionSet:
    order = np.argsort(data[:, 0], kind="stable")
    return DetectionSet(
        frames=data[order, 0].astype(np.int64),
        boxes_xywh=data[order, 2:6].astype(np.float64),
        scores=data[order, 6].astype(np.float32),
        features=None if features is None else features[order],
        source=path,
    )


def read_detections(path: str | Path) -> DetectionSet:
    """A MOT ``det.txt`` (or any file with frame, id, box, score) or a deep_sort ``.npy``."""
    path = Path(path)
    if path.suffix == ".npy":
        return read_deepsort_npy(path)
    return _sorted_set(path, _parse_rows(path, min_columns=7), None)


def read_deepsort_npy(path: str | Path) -> DetectionSet:
    """deep_sort detection + feature arrays: detection columns, then an L2-normalised feature.

    Two layouts exist: nwojke/deep_sort's own files have 10 MOT columns before the feature,
    others (e.g. the MOT17-09 files in shared/data) have 7. The feature is the part whose
    rows have unit length, which tells the layouts apart without guessing from the width.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFormatError(f"{path}: file not found")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise InputFormatError(f"{path}: not a readable .npy array: {error}") from error
    if array.ndim != 2 or array.shape[1] < 8 or not np.issubdtype(array.dtype, np.number):
        raise InputFormatError(
            f"{path}: expected a 2-d numeric array of detection columns followed by a feature, "
            f"got shape {array.shape} dtype {array.dtype}"
        )
    array = array.astype(np.float64)
    for det_columns in (10, 7):
        if array.shape[1] > det_columns:
            norms = np.linalg.norm(array[:, det_columns:], axis=1)
            if len(norms) and np.allclose(norms, 1.0, atol=1e-3):
                break
    else:
        raise InputFormatError(
            f"{path}: no unit-length feature found after 7 or 10 detection columns "
            f"(shape {array.shape}); is this a deep_sort detection file?"
        )
    _check_rows(path, array[:, :7])
    return _sorted_set(path, array[:, :7], array[:, det_columns:].astype(np.float32))


@dataclass(frozen=True)
class ResultRows:
    """Tracker output or ground truth: one row per box per frame."""

    frames: NDArray[np.int64]
    ids: NDArray[np.int64]
    boxes_xywh: NDArray[np.float64]
    scores: NDArray[np.float32]

    @property
    def boxes_xyxy(self) -> NDArray[np.float64]:
        return xywh_to_xyxy(self.boxes_xywh)


def read_results(path: str | Path) -> ResultRows:
    """A MOTChallenge result (or gt) file; ids may be written as floats (``3.0``)."""
    path = Path(path)
    data = _parse_rows(path, min_columns=6)
    if data.shape[1] < 7:
        data = np.concatenate([data, np.ones((len(data), 1))], axis=1)
    if len(data) and np.any(data[:, 1] != np.round(data[:, 1])):
        bad = int(np.flatnonzero(data[:, 1] != np.round(data[:, 1]))[0])
        raise InputFormatError(
            f"{path}: data row {bad + 1}: track id {data[bad, 1]:g} is not an integer"
        )
    return ResultRows(
        frames=data[:, 0].astype(np.int64),
        ids=data[:, 1].astype(np.int64),
        boxes_xywh=data[:, 2:6],
        scores=data[:, 6].astype(np.float32),
    )


def write_results(
    path: str | Path,
    frames: NDArray[np.integer],
    ids: NDArray[np.integer],
    boxes_xyxy: NDArray[np.floating],
    scores: NDArray[np.floating] | None = None,
) -> None:
    """Write MOTChallenge rows ``frame,id,x,y,w,h,score,-1,-1,-1`` sorted by frame then id."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    n = len(boxes)
    score_column = np.ones(n) if scores is None else np.asarray(scores, dtype=np.float64)
    table = np.column_stack(
        [
            np.asarray(frames, dtype=np.int64),
            np.asarray(ids, dtype=np.int64),
            boxes[:, :2],
            boxes[:, 2:] - boxes[:, :2],
            score_column,
        ]
    )
    table = table[np.lexsort((table[:, 1], table[:, 0]))]
    with path.open("w", encoding="utf-8") as handle:
        for row in table:
            handle.write(
                f"{int(row[0])},{int(row[1])},{row[2]:.2f},{row[3]:.2f},{row[4]:.2f},{row[5]:.2f},"
                f"{row[6]:.4f},-1,-1,-1\n"
            )


class ResultCollector:
    """Rows of a MOT result (or det) file gathered frame by frame, written once at the end.

    The one collector behind ``tracker track``, ``tracker stream`` and the benchmarks, so a
    result file is written the same way whichever path produced it.
    """

    def __init__(self) -> None:
        self._frames: list[NDArray[np.int64]] = []
        self._ids: list[NDArray[np.int64]] = []
        self._boxes: list[NDArray[np.float64]] = []
        self._scores: list[NDArray[np.float32]] = []

    def add(
        self,
        frame_id: int,
        ids: NDArray[np.integer],
        boxes_xyxy: NDArray[np.floating],
        scores: NDArray[np.floating],
    ) -> None:
        self._frames.append(np.full(len(ids), frame_id, np.int64))
        self._ids.append(np.asarray(ids, np.int64))
        self._boxes.append(np.asarray(boxes_xyxy, np.float64).reshape(-1, 4))
        self._scores.append(np.asarray(scores, np.float32))

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._ids)

    def columns(
        self,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float32]]:
        """``(frames, ids, boxes_xyxy, scores)`` of every row added so far."""
        if not self._frames:
            return (
                np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)),
                np.zeros(0, np.float32),
            )  # fmt: skip
        return (
            np.concatenate(self._frames),
            np.concatenate(self._ids),
            np.concatenate(self._boxes),
            np.concatenate(self._scores),
        )

    def write(self, path: str | Path) -> None:
        write_results(path, *self.columns())


def list_sequences(split_dir: str | Path) -> list[str]:
    """Names of the sequence folders (those with a ``seqinfo.ini``) in a split, sorted."""
    split = Path(split_dir)
    if not split.is_dir():
        raise InputFormatError(f"{split}: not a directory")
    return sorted(p.name for p in split.iterdir() if (p / "seqinfo.ini").is_file())
