"""``tracker track --source`` end to end on a few real frames, and ``tracker export``."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers_ml import PETS, one_torch_thread, write_short_pets  # noqa: F401

from tracker.cli import main
from tracker.io.sources import VideoSource


@pytest.fixture(scope="module")
def pets_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six PETS frames as an image folder; the fourth at half size (a size change mid-stream)."""
    folder = tmp_path_factory.mktemp("pets")
    for i in range(1, 7):
        name = f"{i:06d}.jpg"
        if i == 4:
            frame = cv2.imread(str(PETS / "img1" / name))
            cv2.imwrite(str(folder / name), cv2.resize(frame, (384, 288)))
        else:
            shutil.copy(PETS / "img1" / name, folder / name)
    return folder


def test_track_source_writes_results_dets_and_video(
    pets_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, dets, video = tmp_path / "r" / "PETS.txt", tmp_path / "dets.txt", tmp_path / "v.mp4"
    code = main(
        ["track", "--source", str(pets_folder), "--detector", "yolov5", "--image-size", "640",
         "--embedder", "market-cnn", "--device", "cpu", "--batch", "4", "--out", str(out),
         "--save-dets",
         str(dets), "--save-video", str(video), "--quiet", "--set", "n_init=2"]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    for stage in ("decode", "detect", "embed", "track", "FPS"):
        assert stage in printed
    rows = np.loadtxt(out, delimiter=",", ndmin=2)
    assert set(rows[:, 0].astype(int)) <= set(range(1, 7)) and len(rows) > 0
    det_rows = np.loadtxt(dets, delimiter=",", ndmin=2)
    assert (det_rows[:, 1] == -1).all() and set(det_rows[:, 0].astype(int)) == set(range(1, 7))
    # Frame 1 detections equal the reference file made with the same recipe.
    ref = np.loadtxt(PETS / "det" / "det_yolov5n.txt", delimiter=",")
    np.testing.assert_allclose(det_rows[det_rows[:, 0] == 1], ref[ref[:, 0] == 1], atol=0.011)
    assert len(list(VideoSource(video))) == 6


def test_track_source_motion_only_with_mot_sequence(tmp_path: Path) -> None:
    seq = tmp_path / "PETS09-S2L1"
    (seq / "img1").mkdir(parents=True)
    shutil.copy(PETS / "seqinfo.ini", seq / "seqinfo.ini")
    for i in range(1, 4):
        shutil.copy(PETS / "img1" / f"{i:06d}.jpg", seq / "img1")
    out = tmp_path / "out.txt"
    code = main(
        ["track", "--seq", str(seq), "--detector", "yolov5", "--motion-only", "--device",
         "cpu", "--out", str(out), "--quiet", "--set", "n_init=1"]
    )  # fmt: skip
    assert code == 0
    assert len(np.loadtxt(out, delimiter=",", ndmin=2)) > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--source", "/nonexistent/video.mp4", "--out", "x.txt"], "source not found"),
        (["--source", "{folder}", "--detector", "nope"], "invalid choice"),
        (["--source", "{folder}"], "nothing to write"),
        (["--source", "{folder}", "--out", "o.txt", "--batch", "0"], "--batch"),
        (["--source", "{folder}", "--out", "o.txt", "--device", "cuda:7"], "cuda"),
    ],
)
def test_track_source_user_errors(
    argv: list[str], message: str, pets_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [a.replace("{folder}", str(pets_folder)) for a in argv]
    try:
        code = main(["track", *argv])
    except SystemExit as exit_:  # argparse rejects bad choices itself
        code = int(exit_.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err


def test_unreadable_video_source_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "broken.mp4"
    fake.write_bytes(b"\x00" * 1000)
    code = main(["track", "--source", str(fake), "--out", str(tmp_path / "o.txt"), "--quiet"])
    assert code == 2
    assert "broken.mp4" in capsys.readouterr().err


def test_export_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "market.onnx"
    assert main(["export", "--embedder", "market-cnn", "--out", str(out)]) == 0
    assert out.is_file() and "matches torch" in capsys.readouterr().out


@pytest.fixture(scope="module")
def short_pets_sequence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 PETS09 frames as a MOT sequence with its YOLOv5n det file."""
    return write_short_pets(tmp_path_factory.mktemp("seq"), 12)


def test_public_detections_with_frames_embed_the_crops(
    short_pets_sequence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`track --seq --dets det.txt` on a sequence with img1/ uses re-ID from the frames
    (it used to run motion-only without a word); --motion-only still runs the tracker alone."""
    seq, out = short_pets_sequence, tmp_path / "with.txt"
    argv = ["track", "--seq", str(seq), "--dets", str(seq / "det/det.txt"), "--quiet",
            "--embedder", "market-cnn", "--device", "cpu", "--set", "n_init=1"]  # fmt: skip
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "embedder market-cnn" in printed
    embed_ms = float(printed.split("embed ")[1].split(" ms")[0])
    assert embed_ms > 0  # crops were embedded
    assert main([*argv, "--out", str(tmp_path / "without.txt"), "--motion-only"]) == 0
    assert "embedder" not in capsys.readouterr().out
    with_reid = np.loadtxt(out, delimiter=",", ndmin=2)
    assert set(with_reid[:, 0].astype(int)) == set(range(1, 13)) and len(with_reid) > 24


def test_public_detections_without_frames_say_motion_only(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = shared_data / "MOT15/train/TUD-Campus"  # no img1/ in shared
    out = tmp_path / "TUD-Campus.txt"
    assert main(["track", "--seq", str(seq), "--dets", str(seq / "det/det_frcnn.txt"),
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    assert "tracking motion-only" in capsys.readouterr().out
    assert out.is_file()
