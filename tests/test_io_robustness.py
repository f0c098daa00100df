"""Issue 13, item 7: readers raise only ``InputFormatError``, naming the file and line.

Regression tests, one per defect found; the fuzzers in test_fuzz_readers.py cover the rest.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest

from tracker.core import detections
from tracker.errors import InputFormatError
from tracker.io import mot
from tracker.io.mot import read_deepsort_npy, read_detections, read_results, read_seqinfo

_SEQINFO = (
    "[Sequence]\nname={name}\nimDir=img1\nframeRate={rate}\nseqLength={length}\n"
    "imWidth=768\nimHeight=576\nimExt=.jpg\n"
)


def _seqinfo(folder: Path, data: bytes) -> Path:
    (folder / "seqinfo.ini").write_bytes(data)
    return folder


def _text(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_readers_bound_boxes_as_the_tracker_does() -> None:
    """io and core do not import each other; what a reader accepts the tracker must take."""
    assert mot.MAX_COORDINATE == detections.MAX_COORDINATE


# -- MOT text files ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # 1e300 passed the "integer >= 1" check and became -9223372036854775808.
        ("1,-1,10,10,5,5,0.9\n1e300,-1,10,10,5,5,0.9\n", r"det.txt:2: .*frame must be at most"),
        ("2147483648,-1,10,10,5,5,0.9\n", r"det.txt:1: .*frame must be at most 2147483647"),
        ("-3,-1,10,10,5,5,0.9\n", r"det.txt:1: .*frame must be an integer >= 1"),
        ("nan,-1,10,10,5,5,0.9\n", r"det.txt:1: .*frame must be an integer >= 1"),
        # NaN and float32-infinite scores were read and failed later inside the tracker.
        ("1,-1,10,10,5,5,nan\n", r"det.txt:1: .*score must be finite"),
        ("1,-1,10,10,5,5,1e39\n", r"det.txt:1: .*score must be finite \(as float32\)"),
        # x + w overflowed to inf; corners beyond the tracker's bound failed inside it.
        ("1,-1,1e300,10,1e300,5,0.9\n", r"det.txt:1: .*box corners must be within"),
        ("1,-1,999999,10,5,5,0.9\n", r"det.txt:1: .*box corners must be within \+-1e\+06"),
        # Line numbers count blank lines (they used to be data-row numbers only).
        ("\n\n1,-1,10,10,5,5,0.9\n\n1,-1,10,inf,5,5,0.9\n", r"det.txt:5: data row 2"),
        # A long comma-less line was once taken as a link-stub path (file name too long).
        ("x" * 5000 + "\n", r"det.txt:1: not a row of numbers"),
    ],
)
def test_bad_det_rows_name_the_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InputFormatError, match=message):
        read_detections(_text(tmp_path, "det.txt", content))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1,1e300,10,10,5,5,1\n", r"gt.txt:1: .*track id must be within \+-2147483647"),
        ("1,inf,10,10,5,5,1\n", r"gt.txt:1: .*track id must be within"),
        ("1,nan,10,10,5,5,1\n", r"gt.txt:1: .*track id nan is not an integer"),
        ("1,1,10,10,5,5,1\n3e12,2,10,10,5,5,1\n", r"gt.txt:2: .*frame must be at most"),
    ],
)
def test_bad_result_ids_and_frames_name_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    with pytest.raises(InputFormatError, match=message):
        read_results(_text(tmp_path, "gt.txt", content))


def test_undecodable_bytes_in_a_det_file_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "det.txt"
    path.write_bytes(b"1,-1,10,10,5,5,0.9\n2,-1,\xff10,10,5,5,0.9\n")
    with pytest.raises(InputFormatError, match=r"det.txt:2: not a row of numbers"):
        read_detections(path)


def test_frames_are_iterated_lazily(tmp_path: Path) -> None:
    """``iter_frames`` built a list of one slice per frame up to the last one: a two-line file
    naming frame 2**31 - 1 asked for 16 GiB before the first frame."""
    dets = read_detections(
        _text(tmp_path, "det.txt", "2,-1,10,10,5,5,0.9\n2147483647,-1,10,10,5,5,0.9\n")
    )
    first = list(itertools.islice(dets.iter_frames(), 3))
    assert [(f, s.stop - s.start) for f, s in first] == [(1, 0), (2, 1), (3, 0)]


# -- seqinfo.ini -------------------------------------------------------------------------------


def test_seqinfo_with_a_non_utf8_byte_names_the_line(tmp_path: Path) -> None:
    data = _SEQINFO.format(name="PETS\xe9", rate=7, length=795).encode("latin-1")
    with pytest.raises(InputFormatError, match=r"seqinfo.ini:2: not UTF-8 text \(byte 0xe9"):
        read_seqinfo(_seqinfo(tmp_path, data))


def test_seqinfo_percent_signs_are_literal(tmp_path: Path) -> None:
    """configparser's interpolation raised InterpolationSyntaxError on a '%'."""
    data = _SEQINFO.format(name="100%-crowd %(x)s", rate=7, length=795).encode()
    info = read_seqinfo(_seqinfo(tmp_path, data))
    assert (info.name, info.length, info.frame_rate) == ("100%-crowd %(x)s", 795, 7.0)


def test_seqinfo_with_a_bom_is_read(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + _SEQINFO.format(name="x", rate=30, length=5).encode()
    assert read_seqinfo(_seqinfo(tmp_path, data)).length == 5


@pytest.mark.parametrize(
    ("rate", "length", "message"),
    [
        ("nan", "795", r"seqinfo.ini:4: frameRate must be in \(0, 10000\], got nan"),
        ("inf", "795", r"seqinfo.ini:4: frameRate must be in"),
        ("0", "795", r"seqinfo.ini:4: frameRate must be in"),
        ("7", "0", r"seqinfo.ini:5: seqLength must be in \[1, 2147483647\], got 0"),
        ("7", "1" * 400, r"seqinfo.ini:5: seqLength must be in \[1, 2147483647\], got 1111"),
        ("7", "9" * 5000, r"seqinfo.ini:5: seqLength must be an integer"),
        ("7", "1e3", r"seqinfo.ini:5: seqLength must be an integer, got '1e3'"),
    ],
)
def test_seqinfo_values_out_of_range_name_the_line(
    tmp_path: Path, rate: str, length: str, message: str
) -> None:
    data = _SEQINFO.format(name="x", rate=rate, length=length).encode()
    with pytest.raises(InputFormatError, match=message):
        read_seqinfo(_seqinfo(tmp_path, data))


def test_seqinfo_duplicate_keys_are_a_format_error(tmp_path: Path) -> None:
    data = _SEQINFO.format(name="x", rate=7, length=5).encode() + b"seqLength=6\n"
    with pytest.raises(
        InputFormatError, match=r"seqinfo.ini:9: not a valid ini file: .*already exists"
    ):
        read_seqinfo(_seqinfo(tmp_path, data))


# -- deep_sort .npy ----------------------------------------------------------------------------


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(118) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()


def _valid_npy() -> np.ndarray:
    features = np.full((2, 4), 0.5)
    detection = [[1, -1, 10, 10, 5, 5, 0.9], [2, -1, 10, 10, 5, 5, 0.9]]
    return np.column_stack([np.asarray(detection, float), features])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"not a readable .npy array: No data left in file"),  # was EOFError
        (b"\x93NUMPY\x01\x00", r"not a readable .npy array"),
        # A 110-byte file declaring 98 TiB: numpy allocated first (MemoryError).
        (_npy_header((10**11, 135)) + b"\0" * 100, r"not a readable .npy array: mmap length"),
        (_npy_header((3, 135), "<c16") + b"\0" * (3 * 135 * 16), r"dtype complex128"),
        (_npy_header((3, 135), "<U2") + b"\0" * (3 * 135 * 8), r"dtype <U2"),
        (_npy_header((3, 135), "|O"), r"not a readable .npy array"),
        # Found by the long fuzzing profile: OverflowError (mmap), tokenize.TokenError.
        (_npy_header((-2, 9)) + b"\0" * 100, r"not a readable .npy array"),
        (_npy_header((3, 9)).replace(b"(3", b"\x003") + b"\0" * 216, r"not a readable .npy"),
    ],
)
def test_corrupt_npy_files_are_format_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "dets.npy"
    path.write_bytes(data)
    with pytest.raises(InputFormatError, match=message):
        read_deepsort_npy(path)


def test_npz_archive_is_a_format_error(tmp_path: Path) -> None:
    """np.load returns an NpzFile for a zip: ``.ndim`` raised AttributeError."""
    buffer = io.BytesIO()
    np.savez(buffer, a=_valid_npy())
    path = tmp_path / "dets.npy"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(InputFormatError, match=r"an .npz archive"):
        read_deepsort_npy(path)


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        ((1, 0), 1e300, r"row 2 \(frame must be at most"),
        ((0, 6), np.nan, r"row 1 \(score must be finite"),
        ((0, 4), -1.0, r"row 1 \(box must be finite with w, h >= 0\)"),
    ],
)
def test_bad_npy_rows_name_the_row(
    tmp_path: Path, cell: tuple[int, int], value: float, message: str
) -> None:
    array = _valid_npy()
    array[cell] = value
    np.save(tmp_path / "dets.npy", array)
    with pytest.raises(InputFormatError, match=message):
        read_deepsort_npy(tmp_path / "dets.npy")
