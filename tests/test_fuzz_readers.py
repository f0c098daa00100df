"""Property-based fuzzing of the file readers (MOT text, seqinfo.ini, deep_sort .npy).

Each property: whatever the file holds, the reader either returns a result that keeps the
documented invariants, or raises ``InputFormatError`` whose message starts with the file's
path. Any other exception (numpy's, configparser's, a decode error, MemoryError) fails the
test. What a reader accepts, the tracker must take too: parsed detections are fed to
``DeepSort.update``, which must not raise at all.

The count of examples per property, and how they ended, is printed at the end of the run.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tracker.core import DeepSort, DeepSortConfig
from tracker.errors import InputFormatError
from tracker.io.mot import (
    MAX_COORDINATE,
    MAX_FRAME,
    MAX_FRAME_RATE,
    MAX_ID,
    DetectionSet,
    ResultRows,
    SeqInfo,
    read_deepsort_npy,
    read_detections,
    read_results,
    read_seqinfo,
)

T = TypeVar("T")

# -- strategies ------------------------------------------------------------------------------

_EDGE_NUMBERS = [
    "0", "1", "-1", "2", "1.5", "0.5", "-0.0", "1e300", "-1e300", "1e-300", "nan", "-nan",
    "inf", "-inf", "Infinity", "2147483647", "2147483648", "-2147483649", "9223372036854775808",
    "1e6", "1000000.5", "999999", "-1e6", "3.4e38", "3.5e38", "1e39", "1_0", "0x10", "1e",
    "", ".", "+", "1.0e+308", "4.9e-324", "١", "１２",
]  # fmt: skip
_number_text = st.one_of(
    st.sampled_from(_EDGE_NUMBERS),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(0, 2000).map(lambda v: f"{v:.2f}"),
)
_token = st.one_of(
    _number_text, _number_text, _number_text, st.text(max_size=6), st.sampled_from(["%", "\x00"])
)
_separator = st.sampled_from([",", ", ", " ", "\t", ",,", " , ", ";", "|"])
_line_end = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])


_plausible = {
    "frame": st.integers(1, 6).map(str),
    "id": st.sampled_from(["-1", "1", "2", "3.0", "7"]),
    "xy": st.floats(-50, 900).map(lambda v: f"{v:.1f}"),
    "wh": st.floats(0, 300).map(lambda v: f"{v:.1f}"),
    "score": st.floats(-1, 130).map(lambda v: f"{v:.3f}"),
    "extra": st.sampled_from(["-1", "0", "1", "0.5"]),
}
_HUGE_INTEGERS = ["1e300", "2147483648", "-2147483649", "9223372036854775808", "1e19", "3e9"]
_COLUMNS = ["frame", "id", "xy", "xy", "wh", "wh", "score", "extra", "extra", "extra"]


@st.composite
def _mot_text(draw: st.DrawFn) -> bytes:
    """A plausible table (6 to 10 columns), then 0-3 damages: a hostile cell, a frame or id
    beyond int32, a short or long row, a junk line. About a third stay clean and must parse."""
    width = draw(st.integers(6, 10))
    table = [
        [draw(_plausible[column]) for column in _COLUMNS[:width]]
        for _ in range(draw(st.integers(0, 10)))
    ]
    for _ in range(draw(st.integers(0, 3)) if table else 0):
        row = draw(st.integers(0, len(table) - 1))
        damage = draw(st.integers(0, 6))
        if damage == 6 and len(table[row]) >= 2:  # a frame or id out of int range
            table[row][draw(st.integers(0, 1))] = draw(st.sampled_from(_HUGE_INTEGERS))
        elif damage <= 2 and table[row]:
            table[row][draw(st.integers(0, len(table[row]) - 1))] = draw(_token)
        elif damage == 3:
            table[row] = table[row][: draw(st.integers(0, width))]
        elif damage == 4:
            table[row] = [*table[row], *draw(st.lists(_token, max_size=3))]
        else:
            table.insert(row, [draw(st.text(max_size=40))])
    separator, end = draw(_separator), draw(_line_end)
    text = end.join(separator.join(row) for row in table)
    text += end if draw(st.booleans()) else ""
    return text.encode("utf-8", errors="surrogatepass")


_mot_bytes = st.one_of(
    _mot_text(),
    _mot_text(),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    # a valid file with one byte damaged
    st.tuples(_mot_text(), st.integers(0, 400), st.integers(0, 255)).map(
        lambda t: t[0][: t[1]] + bytes([t[2]]) + t[0][t[1] + 1 :]
    ),
)


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# -- invariants ------------------------------------------------------------------------------


def _check_rows_invariants(frames: np.ndarray, boxes_xywh: np.ndarray, scores: np.ndarray) -> None:
    n = len(frames)
    assert frames.dtype == np.int64 and frames.shape == (n,)
    assert np.all((frames >= 1) & (frames <= MAX_FRAME))
    assert boxes_xywh.shape == (n, 4) and np.isfinite(boxes_xywh).all()
    assert np.all(boxes_xywh[:, 2:] >= 0)
    corners = np.concatenate([boxes_xywh[:, :2], boxes_xywh[:, :2] + boxes_xywh[:, 2:]], axis=1)
    assert np.all(np.abs(corners) <= MAX_COORDINATE)
    assert scores.dtype == np.float32 and scores.shape == (n,) and np.isfinite(scores).all()


def _check_detection_set(dets: DetectionSet) -> None:
    _check_rows_invariants(dets.frames, dets.boxes_xywh, dets.scores)
    assert np.all(np.diff(dets.frames) >= 0)
    if dets.features is not None:
        assert dets.features.dtype == np.float32 and dets.features.shape[0] == len(dets)
        np.testing.assert_allclose(np.linalg.norm(dets.features, axis=1), 1.0, atol=2e-3)
    # Everything a reader accepts, the tracker takes (at most 20 frames, lazily iterated).
    tracker = DeepSort(DeepSortConfig(n_init=1, min_score=0.0, high_score=0.0))
    boxes = np.concatenate(
        [dets.boxes_xywh[:, :2], dets.boxes_xywh[:, :2] + dets.boxes_xywh[:, 2:]], 1
    )
    covered = 0
    for frame, rows in dets.iter_frames(min(dets.last_frame, 20)):
        assert 1 <= frame <= 20
        covered += rows.stop - rows.start
        assert np.all(dets.frames[rows] == frame)
        features = None if dets.features is None else dets.features[rows]
        out = tracker.update(boxes[rows], dets.scores[rows], None, features)
        assert np.isfinite(out.boxes).all()
    assert covered == np.count_nonzero(dets.frames <= 20)


def _check_results(rows: ResultRows) -> None:
    _check_rows_invariants(rows.frames, rows.boxes_xywh, rows.scores)
    assert rows.ids.dtype == np.int64 and np.all(np.abs(rows.ids) <= MAX_ID)


def _parse_or_reject(read: Callable[[], T], path: Path, check: Callable[[T], None]) -> str:
    """The property every reader keeps: ``check`` holds for what it returns, or it raises
    InputFormatError naming the file. Any other exception propagates and fails the test."""
    try:
        result = read()
    except InputFormatError as error:
        assert str(error).startswith(str(path)), str(error)
        return "InputFormatError"
    check(result)
    return "parsed"


# -- properties ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_readers")


@given(data=_mot_bytes)
def test_det_text_parses_or_names_the_file(folder: Path, examples, data: bytes) -> None:
    path = _write(folder, "det.txt", data)
    outcome = _parse_or_reject(lambda: read_detections(path), path, _check_detection_set)
    examples.record("read_detections(det.txt bytes)", outcome)


@given(data=_mot_bytes)
def test_result_text_parses_or_names_the_file(folder: Path, examples, data: bytes) -> None:
    path = _write(folder, "gt.txt", data)
    outcome = _parse_or_reject(lambda: read_results(path), path, _check_results)
    examples.record("read_results(gt/results bytes)", outcome)


_ini_value = st.one_of(
    _number_text,
    st.integers(-5, 2000).map(str),
    st.text(max_size=12),
    st.sampled_from(["%", "%(name)s", "100%-crowd", "${x}", "img1", ".jpg", " 30 ", "30.0"]),
)


_plausible_ini = {
    "name": st.sampled_from(["PETS09-S2L1", "MOT17-09", "100%-crowd", "a b"]),
    "imDir": st.sampled_from(["img1", "frames"]),
    "frameRate": st.sampled_from(["7", "30", "25.0", "14.985"]),
    "seqLength": st.integers(1, 2000).map(str),
    "imWidth": st.sampled_from(["768", "1920", "0"]),
    "imHeight": st.sampled_from(["576", "1080", "0"]),
    "imExt": st.sampled_from([".jpg", ".png"]),
}


@st.composite
def _seqinfo_bytes(draw: st.DrawFn) -> bytes:
    """A valid seqinfo.ini, then 0-3 damages: a hostile value (``%``, NaN, 1e300, text), a
    junk or duplicate line, a dropped or renamed header, a non-UTF-8 byte."""
    lines = ["[Sequence]"] + [f"{key}={draw(value)}" for key, value in _plausible_ini.items()]
    for _ in range(draw(st.integers(0, 3))):
        damage = draw(st.integers(0, 5))
        at = draw(st.integers(1, len(lines) - 1))
        if damage <= 1:
            key = draw(st.sampled_from(list(_plausible_ini)))
            lines = [line for line in lines if not line.startswith(key + "=")]
            lines.insert(at, f"{key}{draw(st.sampled_from(['=', ' = ', ':']))}{draw(_ini_value)}")
        elif damage == 2:
            lines.insert(at, draw(st.text(max_size=20)))
        elif damage == 3:
            lines.insert(at, lines[at])
        elif damage == 4:
            lines[0] = draw(st.sampled_from(["[sequence]", "[Sequence", "", "[Other]"]))
        else:
            del lines[at]
    data = draw(st.sampled_from(["\n", "\r\n"])).join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data  # BOM
    if draw(st.integers(0, 3)) == 0:  # a non-UTF-8 byte somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xe9"])) + data[at:]
    return data


@given(data=st.one_of(_seqinfo_bytes(), _seqinfo_bytes(), st.binary(max_size=200)))
def test_seqinfo_parses_or_names_the_file(folder: Path, examples, data: bytes) -> None:
    seq = folder / "seq"
    seq.mkdir(exist_ok=True)
    path = _write(seq, "seqinfo.ini", data)

    def check(info: SeqInfo) -> None:
        assert isinstance(info.length, int) and 1 <= info.length <= MAX_FRAME
        assert math.isfinite(info.frame_rate) and 0 < info.frame_rate <= MAX_FRAME_RATE
        assert 0 <= info.width <= MAX_COORDINATE and 0 <= info.height <= MAX_COORDINATE
        assert all(isinstance(v, str) for v in (info.name, info.image_dir, info.image_ext))

    outcome = _parse_or_reject(lambda: read_seqinfo(seq), path, check)
    examples.record("read_seqinfo(seqinfo.ini bytes)", outcome)


_hostile_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -1.0, 1e300, 3.5e38, 1e6, 2.0**31, 0.5]),
    st.floats(0, 500),
)


@st.composite
def _deepsort_like(draw: st.DrawFn) -> np.ndarray:
    """Detection columns (7 or 10) then unit-length features, with hostile detection values."""
    n = draw(st.integers(0, 6))
    det_columns = draw(st.sampled_from([7, 10]))
    dim = draw(st.integers(1, 16))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    frames = rng.integers(1, 5, n).astype(np.float64)
    boxes = np.column_stack([rng.uniform(0, 500, (n, 2)), rng.uniform(1, 100, (n, 2))])
    table = np.column_stack([frames, -np.ones(n), boxes, rng.uniform(0, 1, n)])
    table = np.column_stack([table, -np.ones((n, det_columns - 7))])
    for _ in range(draw(st.integers(0, 3)) if n else 0):  # poison some cells
        table[draw(st.integers(0, n - 1)), draw(st.integers(0, 6))] = draw(_hostile_float)
    features = rng.normal(size=(n, dim))
    features /= np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    dtype = draw(st.sampled_from([np.float64, np.float32, np.float16]))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.column_stack([table, features]).astype(dtype)


_any_array = hnp.arrays(
    dtype=st.sampled_from(
        [
            np.float64,
            np.float32,
            np.float16,
            np.int64,
            np.int8,
            np.uint64,
            np.bool_,
            np.complex64,
            np.dtype("<U3"),
            np.dtype("<M8[s]"),
            np.dtype([("a", "<f4")]),
        ]
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12),
)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@st.composite
def _npy_file(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 5))
    if kind <= 1:
        return _npy_bytes(draw(_deepsort_like()))
    if kind == 2:
        return _npy_bytes(draw(_any_array))
    if kind == 3:  # valid file, damaged: cut short, or one byte overwritten
        data = _npy_bytes(draw(_deepsort_like()))
        at = draw(st.integers(0, len(data)))
        if draw(st.booleans()):
            return data[:at]
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if kind == 4:  # a header that promises a different (possibly huge) shape
        shape = draw(st.tuples(st.integers(-2, 2**40), st.integers(0, 200)))
        header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
        header = header.ljust(118) + "\n"
        body = draw(st.binary(max_size=64))
        return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + body
    return draw(st.binary(max_size=200))


@given(data=_npy_file())
def test_deepsort_npy_parses_or_names_the_file(folder: Path, examples, data: bytes) -> None:
    path = _write(folder, "dets.npy", data)

    def check(dets: DetectionSet) -> None:
        assert dets.features is not None
        _check_detection_set(dets)

    outcome = _parse_or_reject(lambda: read_deepsort_npy(path), path, check)
    examples.record("read_deepsort_npy(.npy bytes)", outcome)
