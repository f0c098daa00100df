"""Files are never tracked with holes: a folder or video streamed to the server is answered
frame by frame (policy all unless asked otherwise), and a damaged frame is that frame's
error only, in `stream` and `track` alike."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers_ml import PETS, one_torch_thread  # noqa: F401
from service_support import MovingBoxes, jpeg, make_pipeline, make_settings

from tracker.cli import main
from tracker.io.mot import read_results
from tracker.service.background import BackgroundServer

BOXES = MovingBoxes(n=3)


@pytest.fixture()
def folder_with_a_bad_frame(tmp_path: Path) -> Path:
    """60 synthetic JPEG frames; frame 30 is cut in half (a truncated file)."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for t in range(60):
        data = jpeg(BOXES.frame(t))
        (folder / f"{t + 1:06d}.jpg").write_bytes(data[: len(data) // 2] if t == 29 else data)
    return folder


def test_stream_of_a_folder_answers_every_frame_by_default(
    folder_with_a_bad_frame: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's `tracker stream --source FILES` used policy latest and a server slower
    than the sender dropped 295 of 300 frames with exit 0; files now default to policy all."""
    out = tmp_path / "stream.txt"
    settings = make_settings(max_batch=4)
    with BackgroundServer(make_pipeline(delay_s=0.02), settings, ready_timeout=30) as server:
        code = main(["stream", "--server", server.target, "--source",
                     str(folder_with_a_bad_frame), "--out", str(out), "--quiet",
                     "--set", "n_init=1"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "60/60 frames answered" in printed and "dropped 0" in printed
    assert "errors 1" in printed and "frame 30:" in printed and "truncated" in printed
    rows = read_results(out)
    assert set(rows.frames.tolist()) == set(range(1, 61)) - {30}


def test_track_of_a_folder_with_a_bad_frame_keeps_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged JPEG used to abort `tracker track` with exit 2 and lose every tracked frame
    (or, merely truncated, be tracked as a grey picture)."""
    folder = tmp_path / "pets"
    folder.mkdir()
    for i in range(1, 6):
        shutil.copy(PETS / "img1" / f"{i:06d}.jpg", folder / f"{i:06d}.jpg")
    data = (folder / "000003.jpg").read_bytes()
    (folder / "000003.jpg").write_bytes(data[: len(data) * 2 // 3])
    out = tmp_path / "track.txt"
    code = main(["track", "--source", str(folder), "--detector", "yolov5", "--embedder", "none",
                 "--device", "cpu", "--out", str(out), "--quiet", "--set", "n_init=1"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "1 frames could not be used: frame 3: corrupt JPEG: truncated" in printed
    frames = set(np.loadtxt(out, delimiter=",", ndmin=2)[:, 0].astype(int).tolist())
    assert frames == {1, 2, 4, 5}
