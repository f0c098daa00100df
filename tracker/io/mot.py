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

#: Largest ``|x|``, ``|y|`` of a box corner read, in pixels: the tracker's own bound
#: (``tracker.core.detections.MAX_COORDINATE``; io and core do not import each other, a test
#: keeps the two equal), so whatever a reader accepts the tracker accepts too.
MAX_COORDINATE = 1e6
#: Largest frame number and ``|track id|`` read: both must fit int32 (the wire's and most
#: tools' type), so the int casts below are exact (1e300 used to become -2**63).
MAX_FRAME = 2**31 - 1
MAX_ID = 2**31 - 1
#: ``frameRate`` in seqinfo.ini must be in (0, MAX_FRAME_RATE], image sides <= MAX_IMAGE_SIDE.
MAX_FRAME_RATE = 10_000.0
MAX_IMAGE_SIDE = int(MAX_COORDINATE)


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
    """Read ``SEQ_DIR/seqinfo.ini``; the sequence name defaults to the folder name.

    The file is read as UTF-8 (a BOM is fine) without ``%`` interpolation: names such as
    ``100%-crowd`` are literal text. Every problem is an ``InputFormatError`` with the line.
    """
    path = Path(seq_dir) / "seqinfo.ini"
    if not path.is_file():
        raise InputFormatError(
            f"{path}: not found; a MOTChallenge sequence folder needs seqinfo.ini"
        )
    text = _read_text(path)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as error:
        line = getattr(error, "lineno", None) or next(iter(getattr(error, "errors", [])), [0])[0]
        at = f"{path}:{line}" if line else str(path)
        raise InputFormatError(f"{at}: not a valid ini file: {error}") from None
    if "Sequence" not in parser:
        raise InputFormatError(f"{path}: missing the [Sequence] section")
    section = parser["Sequence"]
    if "seqLength" not in section:
        raise InputFormatError(f"{path}: missing key seqLength in [Sequence]")
    frame_rate = _ini_number(path, text, section, "frameRate", "30", float, (0, MAX_FRAME_RATE))
    return SeqInfo(
        name=section.get("name", Path(seq_dir).resolve().name),
        length=int(_ini_number(path, text, section, "seqLength", "", int, (1, MAX_FRAME))),
        frame_rate=frame_rate,
        width=int(_ini_number(path, text, section, "imWidth", "0", int, (0, MAX_IMAGE_SIDE))),
        height=int(_ini_number(path, text, section, "imHeight", "0", int, (0, MAX_IMAGE_SIDE))),
        image_dir=section.get("imDir", "img1"),
        image_ext=section.get("imExt", ".jpg"),
    )


def _ini_number(
    path: Path,
    text: str,
    section: configparser.SectionProxy,
    key: str,
    default: str,
    kind: type[int] | type[float],
    bounds: tuple[float, float],
) -> float:
    """``section[key]`` as an int or float within ``bounds`` (a float's lower bound is
    exclusive: a frame rate of 0 is no rate), or an error naming the file and line."""
    raw = section.get(key, default)
    at = f"{path}:{_key_line(text, key)}"
    try:
        value = kind(raw)
    except ValueError:
        expected = "an integer" if kind is int else "a number"
        raise InputFormatError(f"{at}: {key} must be {expected}, got {raw[:40]!r}") from None
    low, high = bounds
    if kind is int and not low <= value <= high:
        raise InputFormatError(f"{at}: {key} must be in [{low}, {high}], got {str(value)[:40]}")
    if kind is float and not low < value <= high:  # also rejects NaN
        raise InputFormatError(f"{at}: {key} must be in ({low:g}, {high:g}], got {value:g}")
    return value


def _read_text(path: Path) -> str:
    """A whole text file as UTF-8, or an error naming the line of the first bad byte."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFormatError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputFormatError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
            f"{error.start})"
        ) from None


def _key_line(text: str, key: str) -> int | str:
    """1-based line of ``key = ...`` in an ini text (keys are case-insensitive), or '?'."""
    pattern = re.compile(rf"\s*{re.escape(key)}\s*[=:]", re.IGNORECASE)
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return "?"


def _parse_rows(path: Path, min_columns: int, check_ids: bool = False) -> NDArray[np.float64]:
    """All numeric rows of a MOT text file as one float array, or an error naming the line.

    Undecodable bytes become U+FFFD and so fail as "not a row of numbers" on their line.
    """
    if not path.is_file():
        raise InputFormatError(f"{path}: file not found")
    rows: list[list[float]] = []
    line_numbers: list[int] = []
    width = None
    try:
        handle = path.open("r", encoding="utf-8", errors="replace")
    except OSError as error:
        raise InputFormatError(f"{path}: cannot read: {error.strerror or error}") from None
    with handle:
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
            line_numbers.append(line_number)
    if not rows:
        return np.zeros((0, max(min_columns, 10)))
    data = np.asarray(rows)
    problem = _row_problem(data, check_ids)
    if problem is not None:
        row, why = problem
        raise InputFormatError(
            f"{path}:{line_numbers[row]}: data row {row + 1} ({why}): {_describe_row(data[row])}"
        )
    return data


def _row_problem(data: NDArray[np.float64], check_ids: bool) -> tuple[int, str] | None:
    """The first row (0-based) whose columns the tracker or the evaluation cannot use, and why.

    Frames (and track ids, for result files) must be integers that fit int32, so the later
    int casts are exact; box corners finite, within ``MAX_COORDINATE``, sizes >= 0; scores
    finite as float32 (the dtype they are kept in).
    """
    frames, ids, box = data[:, 0], data[:, 1], data[:, 2:6]
    with np.errstate(invalid="ignore", over="ignore"):
        corners = np.concatenate([box[:, :2], box[:, :2] + box[:, 2:]], axis=1)
        checks = [
            ((frames >= 1) & (frames == np.round(frames)), "frame must be an integer >= 1"),
            (frames <= MAX_FRAME, f"frame must be at most {MAX_FRAME}"),
            (
                np.isfinite(box).all(axis=1) & (box[:, 2] >= 0) & (box[:, 3] >= 0),
                "box must be finite with w, h >= 0",
            ),
            (
                (np.abs(corners) <= MAX_COORDINATE).all(axis=1),
                f"box corners must be within +-{MAX_COORDINATE:g} px",
            ),
        ]
        if data.shape[1] > 6:
            score_ok = np.isfinite(data[:, 6].astype(np.float32))
            checks.append((score_ok, "score must be finite (as float32)"))
        if check_ids:
            checks.append((ids == np.round(ids), "track id {id} is not an integer"))
            checks.append((np.abs(ids) <= MAX_ID, f"track id must be within +-{MAX_ID}"))
    bad = [(int(np.flatnonzero(~ok)[0]), why) for ok, why in checks if not ok.all()]
    if not bad:
        return None
    row, why = min(bad, key=lambda problem: problem[0])
    return row, why.format(id=f"{ids[row]:g}")


def _describe_row(values: NDArray[np.float64]) -> str:
    return ", ".join(f"{v:g}" for v in values[:7])


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
        """``(frame, rows)`` for every frame 1..length, including frames without detections.

        Lazy: memory grows with the frames that have detections, not with ``length`` (a
        two-line file may name frame 2**31 - 1).
        """
        length = length or self.last_frame
        present, starts = np.unique(self.frames, return_index=True)
        stops = np.append(starts[1:], len(self.frames))
        k = 0
        for frame in range(1, length + 1):
            while k < len(present) and present[k] < frame:
                k += 1
            if k < len(present) and present[k] == frame:
                yield frame, slice(int(starts[k]), int(stops[k]))
            else:
                yield frame, slice(0, 0)


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
    array = _load_npy(path)
    for det_columns in (10, 7):
        if array.shape[1] > det_columns:
            with np.errstate(over="ignore", invalid="ignore"):
                norms = np.linalg.norm(array[:, det_columns:], axis=1)
            if len(norms) and np.allclose(norms, 1.0, atol=1e-3):
                break
    else:
        raise InputFormatError(
            f"{path}: no unit-length feature found after 7 or 10 detection columns "
            f"(shape {array.shape}); is this a deep_sort detection file?"
        )
    problem = _row_problem(array[:, :7], check_ids=False)
    if problem is not None:
        row, why = problem
        raise InputFormatError(f"{path}: row {row + 1} ({why}): {_describe_row(array[row])}")
    return _sorted_set(path, array[:, :7], array[:, det_columns:].astype(np.float32))


def _load_npy(path: Path) -> NDArray[np.float64]:
    """A 2-d real-valued ``.npy`` array as float64, or an ``InputFormatError``.

    Memory-mapped first, so a header that promises more data than the file holds (a few
    bytes declaring 98 TiB) is refused before anything is allocated; empty and truncated
    files, pickles, ``.npz`` archives and object, string, complex or structured dtypes are
    refused with numpy's reason. ``np.load`` parses hostile bytes with whatever it has at
    hand (EOFError, OverflowError for a negative shape, tokenize.TokenError for a NUL in the
    header, ...): any exception it raises means the file is not a readable array.
    """
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as error:
        raise InputFormatError(f"{path}: not a readable .npy array: {error}") from None
    if not isinstance(mapped, np.ndarray):  # an .npz archive
        if hasattr(mapped, "close"):
            mapped.close()
        raise InputFormatError(f"{path}: an .npz archive, not a single .npy array")
    if mapped.ndim != 2 or mapped.shape[1] < 8 or mapped.dtype.kind not in "iuf":
        raise InputFormatError(
            f"{path}: expected a 2-d numeric array of detection columns followed by a feature, "
            f"got shape {mapped.shape} dtype {mapped.dtype}"
        )
    return np.array(mapped, dtype=np.float64)


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
    data = _parse_rows(path, min_columns=6, check_ids=True)
    if data.shape[1] < 7:
        data = np.concatenate([data, np.ones((len(data), 1))], axis=1)
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
