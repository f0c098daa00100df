"""Weight resolution order, its error message, safe loading, and device selection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from helpers_ml import WEIGHTS, one_torch_thread  # noqa: F401

from tracker import weights
from tracker.device import resolve_device
from tracker.errors import TrackerError


def test_explicit_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "ckpt.t7"
    mine.write_bytes(b"x")
    monkeypatch.setenv(weights.WEIGHTS_DIR_ENV, str(WEIGHTS))
    assert weights.resolve(mine) == mine.resolve()


def test_env_dir_before_cwd_and_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    (env_dir / "ckpt.t7").write_bytes(b"x")
    monkeypatch.setenv(weights.WEIGHTS_DIR_ENV, str(env_dir))
    assert weights.resolve("ckpt.t7") == (env_dir / "ckpt.t7").resolve()


def test_cwd_weights_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(weights.WEIGHTS_DIR_ENV, raising=False)
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "ckpt.t7").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    assert weights.resolve("ckpt.t7") == (tmp_path / "weights" / "ckpt.t7").resolve()


def test_shared_weights_found_from_any_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(weights.WEIGHTS_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no weights here: found relative to the repository
    assert weights.resolve("ckpt.t7") == (WEIGHTS / "ckpt.t7").resolve()


def test_missing_weights_error_names_file_places_and_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(weights.WEIGHTS_DIR_ENV, str(tmp_path / "env"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TrackerError) as caught:
        weights.resolve("no_such_model.pt")
    message = str(caught.value)
    assert "no_such_model.pt" in message
    for folder in weights.search_dirs():
        assert str(folder / "no_such_model.pt") in message
    assert "Put the file" in message


def test_missing_explicit_path_is_not_searched_elsewhere(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match="not found"):
        weights.resolve(tmp_path / "sub" / "ckpt.t7")


def test_failed_download_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth"
    monkeypatch.setenv(weights.WEIGHTS_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(TrackerError) as caught:
        weights.resolve(name)
    assert "download.pytorch.org" in str(caught.value)
    assert "network unreachable" in str(caught.value)


def test_truncated_weights_give_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "osnet_x0_25_msmt17.pth"
    data = (WEIGHTS / "osnet_x0_25_msmt17.pth").read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(TrackerError, match=r"osnet_x0_25_msmt17\.pth.*corrupt"):
        weights.load_state_dict(broken)


def test_garbage_weights_give_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "model.pt"
    garbage.write_bytes(b"this is not a checkpoint")
    with pytest.raises(TrackerError, match=r"model\.pt"):
        weights.load_state_dict(garbage)


def test_pickled_model_is_refused(tmp_path: Path) -> None:
    """The official yolov5n.pt pickles code objects: weights_only loading must refuse it."""
    with pytest.raises(TrackerError, match=r"yolov5n\.pt"):
        weights.load_state_dict(WEIGHTS / "yolov5n.pt")


def test_non_dict_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    with pytest.raises(TrackerError, match="not a dict"):
        weights.load_state_dict(path)


def test_copied_weights_load(tmp_path: Path) -> None:
    copy = tmp_path / "ckpt.t7"
    shutil.copy(WEIGHTS / "ckpt.t7", copy)
    assert "net_dict" in weights.load_state_dict(copy)


def test_device_cpu_and_auto() -> None:
    cpu = resolve_device("cpu")
    assert cpu.device.type == "cpu" and not cpu.half
    auto = resolve_device("auto")
    assert auto.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert auto.half == torch.cuda.is_available()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "CUDA:1"])
def test_cuda_without_cuda_is_a_clear_error(spec: str) -> None:
    with pytest.raises(TrackerError, match="CUDA is not available"):
        resolve_device(spec)


@pytest.mark.parametrize("spec", ["gpu", "tpu", ""])
def test_unknown_device(spec: str) -> None:
    with pytest.raises(TrackerError, match="unknown device"):
        resolve_device(spec)
