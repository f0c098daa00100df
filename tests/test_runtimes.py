"""Inference runtimes: choice per device, the export cache, the check against torch, exported
YOLOv5n / OSNet against torch and the reference detections, and the CUDA plumbing (fp16,
providers, device moves) with mocks, since CI has no GPU."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from helpers_ml import PETS, WEIGHTS, one_torch_thread  # noqa: F401
from torch import nn

from tracker import runtime as rt
from tracker.detect import build_detector
from tracker.detect.yolov5 import YoloV5Detector
from tracker.device import DeviceChoice, resolve_device
from tracker.errors import TrackerError
from tracker.reid import build_embedder, crop_boxes
from tracker.reid.preprocess import CropPreprocess
from tracker.reid.torch_embedder import TorchEmbedder
from tracker.runtime.cache import CACHE_DIR_ENV, EXPORT_VERSION, cache_dir, export_path
from tracker.runtime.export import ExportSpec, PixelInput, Tolerance, exported_session
from tracker.runtime.sessions import onnx_providers

EXPORTED = [
    pytest.param(
        name, marks=pytest.mark.skipif(not rt.runtime_available(name), reason=f"no {name}")
    )
    for name in ("onnx", "openvino")
]


# --- choosing a runtime -------------------------------------------------------------------


@pytest.mark.parametrize("model", ["detector", "embedder"])
def test_auto_on_cpu_takes_the_first_installed(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"torch", "onnx", "openvino"}
    monkeypatch.setattr(rt, "runtime_available", lambda name: name in installed)
    preference = rt.CPU_PREFERENCE[model]
    assert rt.resolve_runtime("auto", "cpu", model) == preference[0]
    installed.discard(preference[0])
    assert rt.resolve_runtime("auto", "cpu", model) == preference[1]
    installed.clear()
    assert rt.resolve_runtime("auto", "cpu", model) == "torch"


def test_cpu_preference_is_the_measured_one() -> None:
    """benchmarks/results/runtimes.md: ORT is fastest for YOLOv5n, OpenVINO for OSNet."""
    assert rt.CPU_PREFERENCE["detector"][0] == "onnx"
    assert rt.CPU_PREFERENCE["embedder"][0] == "openvino"


def test_auto_on_cuda_is_torch() -> None:
    assert rt.resolve_runtime("auto", "cuda", "detector") == "torch"
    assert rt.resolve_runtime("AUTO", "cuda", "embedder") == "torch"


def test_explicit_runtime_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TrackerError, match="unknown runtime 'tensorflow'"):
        rt.resolve_runtime("tensorflow", "cpu")
    with pytest.raises(TrackerError, match="runs on the CPU"):
        rt.resolve_runtime("openvino", "cuda")
    monkeypatch.setattr(rt, "runtime_available", lambda name: name == "torch")
    with pytest.raises(TrackerError, match=r"not installed: pip install 'tracker\[openvino\]'"):
        rt.resolve_runtime("openvino", "cpu")


def test_other_detectors_refuse_exported_runtimes() -> None:
    with pytest.raises(TrackerError, match="yolov5 detector only"):
        build_detector("frcnn-mobilenet", weights="random", device="cpu", runtime="onnx")


# --- the cache and the export check -------------------------------------------------------


def test_cache_dir_env_and_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    assert cache_dir() == tmp_path / "exports"
    path = export_path("ab" * 32, "osnet", "onnx", "256x128")
    assert path.parent == tmp_path / "exports"
    assert path.name == f"{'ab' * 8}-osnet-{EXPORT_VERSION}-onnx-256x128.onnx"
    monkeypatch.delenv(CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "tracker" / "exports"


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean(dim=(2, 3))


def tiny_spec(weights: Path, builds: list[int], tolerance: Tolerance) -> ExportSpec:
    def build() -> nn.Module:
        builds.append(1)
        return PixelInput(TinyNet(), (0.5, 0.4, 0.3), (0.2, 0.25, 0.3))

    return ExportSpec("tiny", weights, build, (16, 8, 3), tolerance)


@pytest.mark.parametrize("runtime", EXPORTED)
def test_export_is_cached_by_weights_content(
    runtime: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"version 1")
    builds: list[int] = []
    first = exported_session(tiny_spec(weights, builds, Tolerance(1e-5, 1e-5)), runtime)
    assert builds == [1]
    pixels = np.random.default_rng(1).integers(0, 256, (5, 16, 8, 3), np.uint8)
    again = exported_session(tiny_spec(weights, builds, Tolerance(1e-5, 1e-5)), runtime)
    assert builds == [1], "a cached, checked export is reused without building the network"
    np.testing.assert_array_equal(first.run(pixels), again.run(pixels))
    files = sorted(p.name for p in (tmp_path / "cache" / "exports").iterdir())
    assert len(files) == 1 and files[0].endswith(f"-tiny-{EXPORT_VERSION}-{runtime}-16x8.onnx")
    weights.write_bytes(b"version 2")  # other weights: another export
    exported_session(tiny_spec(weights, builds, Tolerance(1e-5, 1e-5)), runtime)
    assert builds == [1, 1]
    assert len(list((tmp_path / "cache" / "exports").iterdir())) == 2


@pytest.mark.parametrize("runtime", EXPORTED)
def test_export_matches_the_torch_network(runtime: str, tmp_path: Path) -> None:
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"w")
    session = exported_session(tiny_spec(weights, [], Tolerance(1e-5, 1e-5)), runtime)
    pixels = np.random.default_rng(2).integers(0, 256, (7, 16, 8, 3), np.uint8)
    rgb = pixels[..., ::-1].astype(np.float32) / 255
    normalised = (rgb - np.array([0.5, 0.4, 0.3], np.float32)) / np.array([0.2, 0.25, 0.3])
    with torch.no_grad():
        expected = TinyNet()(torch.from_numpy(normalised.transpose(0, 3, 1, 2).copy()).float())
    np.testing.assert_allclose(session.run(pixels), expected.numpy(), atol=1e-5)


class ExportsDifferently(TinyNet):
    """Eager and exported graphs differ by 0.01: what a bad export looks like."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shift = 0.01 if torch.onnx.is_in_onnx_export() else 0.0
        return super().forward(x) + shift


def test_failed_check_caches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"w")
    spec = ExportSpec("bad", weights, lambda: PixelInput(ExportsDifferently()), (16, 8, 3),
                      Tolerance(1e-3))  # fmt: skip
    with pytest.raises(TrackerError, match="does not match torch"):
        exported_session(spec, "onnx")
    assert list((tmp_path / "cache" / "exports").iterdir()) == []


def test_corrupt_cached_export_is_made_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"w")
    builds: list[int] = []
    exported_session(tiny_spec(weights, builds, Tolerance(1e-5, 1e-5)), "onnx")
    (cached,) = (tmp_path / "cache" / "exports").iterdir()
    cached.write_bytes(cached.read_bytes()[:100])  # truncated
    session = exported_session(tiny_spec(weights, builds, Tolerance(1e-5, 1e-5)), "onnx")
    assert builds == [1, 1]
    assert session.run(np.zeros((1, 16, 8, 3), np.uint8)).shape == (1, 4)


def test_unwritable_cache_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "cache"))
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"w")
    with pytest.raises(TrackerError, match=r"cannot write the model export cache.*TRACKER_CACHE"):
        exported_session(tiny_spec(weights, [], Tolerance(1e-5)), "onnx")


# --- the real models ------------------------------------------------------------------------


def pets_frame(index: int) -> np.ndarray:
    return cv2.imread(str(PETS / "img1" / f"{index:06d}.jpg"))


def reference(frame: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.loadtxt(PETS / "det" / "det_yolov5n.txt", delimiter=",")
    rows = rows[rows[:, 0] == frame]
    rows = rows[np.argsort(-rows[:, 6], kind="stable")]
    return np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]], rows[:, 6]


@pytest.mark.parametrize("runtime", EXPORTED)
def test_exported_yolov5_reproduces_reference_detections(runtime: str) -> None:
    detector = build_detector(
        "yolov5", device="cpu", score_threshold=0.1, runtime=runtime, image_size=640
    )  # the reference file's input size
    assert isinstance(detector, YoloV5Detector) and detector.runtime == runtime
    assert detector.net is None, "no torch network is kept for an exported runtime"
    frames = [pets_frame(1), pets_frame(400), pets_frame(795)]
    for index, dets in zip((1, 400, 795), detector.detect(frames), strict=True):
        boxes, scores = reference(index)
        assert len(dets) == len(boxes)
        np.testing.assert_allclose(dets.boxes, boxes, atol=0.02)  # the file has 2 decimals
        np.testing.assert_allclose(dets.scores, scores, atol=1e-3)
    small = cv2.resize(frames[1], (384, 288))  # another letterbox shape: another session
    (half,) = detector.detect([small])
    assert len(half) >= 3


@pytest.mark.parametrize("runtime", EXPORTED)
def test_exported_osnet_matches_torch(runtime: str) -> None:
    rows = np.loadtxt(PETS / "gt" / "gt.txt", delimiter=",")
    rows = rows[rows[:, 0] == 400]
    crops = crop_boxes(pets_frame(400), np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]])
    crops = [*crops, crops[0][:0], np.ascontiguousarray(crops[1][:, :, 0])]  # empty, gray
    torch_embedder = build_embedder("osnet", device="cpu", runtime="torch")
    exported = build_embedder("osnet", device="cpu", runtime=runtime)
    assert torch_embedder is not None and exported is not None
    assert exported.dim == 512 and exported.match_distance == torch_embedder.match_distance
    np.testing.assert_allclose(exported.embed(crops), torch_embedder.embed(crops), atol=1e-4)
    assert exported.embed([]).shape == (0, 512)


def test_resize_into_the_batch_equals_cv2_resize() -> None:
    rng = np.random.default_rng(3)
    crops = [rng.integers(0, 256, (int(h), int(w), 3), np.uint8) for h, w in ((90, 31), (7, 300))]
    batch = CropPreprocess(256, 128).resize_bgr(crops)
    for crop, resized in zip(crops, batch, strict=True):
        np.testing.assert_array_equal(resized, cv2.resize(crop, (128, 256)))
    np.testing.assert_array_equal(CropPreprocess(256, 128).resize_all(crops), batch[..., ::-1])


# --- CUDA plumbing, checked on the CPU with mocks ------------------------------------------


def test_auto_device_with_cuda_is_fp16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    auto = resolve_device("auto")
    assert auto.device == torch.device("cuda:0") and auto.half
    assert resolve_device("cuda:1") == DeviceChoice(torch.device("cuda:1"), half=True)
    assert not resolve_device("cpu").half
    assert rt.resolve_runtime("auto", auto.device.type) == "torch"


class Recorder(nn.Module):
    """Stands in for a network: records the input's dtype and device, returns zeros."""

    def __init__(self, out: int) -> None:
        super().__init__()
        self.seen: list[tuple[torch.dtype, torch.device]] = []
        self.half_called = False
        self.out = out

    def half(self) -> Recorder:  # type: ignore[override]
        self.half_called = True
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append((x.dtype, x.device))
        return torch.ones(x.shape[0], self.out, dtype=x.dtype, device=x.device)


def test_torch_embedder_fp16_inputs_on_the_models_device() -> None:
    net = Recorder(8)
    choice = DeviceChoice(torch.device("cpu"), half=True)  # what CUDA gets, minus the GPU
    embedder = TorchEmbedder(net, "fake", 8, CropPreprocess(16, 8), choice, warmup=False)
    features = embedder.embed([np.zeros((20, 10, 3), np.uint8)] * 3)
    assert net.half_called
    assert net.seen == [(torch.float16, choice.device)]
    assert features.dtype == np.float32 and features.shape == (3, 8)


def test_yolov5_fp16_forward_on_the_models_device(monkeypatch: pytest.MonkeyPatch) -> None:
    detector = YoloV5Detector(device="cpu", runtime="torch", warmup=False)
    net = Recorder(85)
    detector.net = net  # type: ignore[assignment]
    detector.choice = DeviceChoice(torch.device("cpu"), half=True)
    out = detector._forward(np.zeros((2, 64, 96, 3), np.uint8))
    assert net.seen == [(torch.float16, torch.device("cpu"))]
    assert out.dtype == torch.float32


def test_onnx_providers_for_cuda(tmp_path: Path) -> None:
    every = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    providers = onnx_providers("cuda", every, tmp_path)
    name, options = providers[0]  # type: ignore[misc]
    assert name == "TensorrtExecutionProvider" and options["trt_fp16_enable"] is True
    assert options["trt_engine_cache_path"] == str(tmp_path / "tensorrt")
    assert providers[1:] == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert onnx_providers("cuda", every[1:], tmp_path) == every[1:]
    assert onnx_providers("cpu", every, tmp_path) == ["CPUExecutionProvider"]
    with pytest.raises(TrackerError, match="onnxruntime-gpu"):
        onnx_providers("cuda", ["CPUExecutionProvider"], tmp_path)


def test_threads_follow_torch_by_default(tmp_path: Path) -> None:
    from tracker.runtime.sessions import default_threads

    torch.set_num_threads(1)
    assert default_threads() == 1
    assert os.cpu_count()


def test_cuda_export_is_checked_on_cpu_then_opened_on_cuda(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check proves the graph equals torch (fp32, CPU); the CUDA session (TensorRT fp16
    where installed) is opened from the cached file afterwards, and from the cache next time."""
    import tracker.runtime.export as export_module

    real_open = export_module.open_session
    opened: list[tuple[str, str]] = []

    def fake_open(path: Path, runtime: str, device_type: str = "cpu", threads: int | None = None):  # type: ignore[no-untyped-def]
        opened.append(
            (Path(path).suffixes[-2] if len(Path(path).suffixes) > 1 else "", device_type)
        )
        return real_open(path, runtime, "cpu", threads)

    monkeypatch.setattr(export_module, "open_session", fake_open)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"w")
    exported_session(tiny_spec(weights, [], Tolerance(1e-5, 1e-5)), "onnx", "cuda")
    exported_session(tiny_spec(weights, [], Tolerance(1e-5, 1e-5)), "onnx", "cuda")
    assert [device for _, device in opened] == ["cpu", "cuda", "cuda"]
    assert opened[0][0] == ".tmp", "the check ran on the not yet cached file"


def test_export_cli_fills_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker.cli import main

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    args = ["export", "--cache", "--runtime", "onnx", "--embedder", "market-cnn"]
    assert main([*args, "--frame-size", "640x360"]) == 0
    names = sorted(p.name.split("-", 1)[1] for p in (tmp_path / "exports").iterdir())
    assert names == [
        f"market-cnn-{EXPORT_VERSION}-onnx-128x64.onnx",
        # 640x360 at track/serve's default input 512, letterboxed: 512x288 (the cache used to
        # be filled for 640 while track and serve ran 512, so their first frame exported).
        f"yolov5-{EXPORT_VERSION}-onnx-288x512.onnx",
    ]
    assert "detector onnx, embedder onnx" in capsys.readouterr().out
    assert main([*args, "--frame-size", "wide"]) == 2
    assert main(["export"]) == 2


def test_runtime_option_on_track_demo_and_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.cli import build_parser
    from tracker.service.models import build_pipeline
    from tracker.service.settings import ServerSettings

    parser = build_parser()
    track = parser.parse_args(["track", "--source", "x", "--out", "o", "--runtime", "openvino"])
    demo = parser.parse_args(["demo", "--runtime", "torch"])
    serve = parser.parse_args(["serve", "--runtime", "onnx"])
    assert (track.runtime, demo.runtime, serve.runtime) == ("openvino", "torch", "onnx")
    assert parser.parse_args(["track", "--source", "x"]).runtime == "auto"
    with pytest.raises(SystemExit):
        parser.parse_args(["track", "--source", "x", "--runtime", "tvm"])
    assert ServerSettings.resolve({}, {"TRACKER_RUNTIME": "openvino"}).runtime == "openvino"
    with pytest.raises(TrackerError, match="runtime must be one of"):
        ServerSettings(runtime="tvm")

    seen: dict[str, str] = {}

    def fake_detector(name: str, **kwargs: object) -> object:
        seen["detector"] = str(kwargs["runtime"])
        return object()

    def fake_embedder(name: str, **kwargs: object) -> object:
        seen["embedder"] = str(kwargs["runtime"])
        return None

    monkeypatch.setattr("tracker.detect.build_detector", fake_detector)
    monkeypatch.setattr("tracker.reid.build_embedder", fake_embedder)
    build_pipeline(ServerSettings(runtime="onnx", torch_threads=0))
    assert seen == {"detector": "onnx", "embedder": "onnx"}


def test_default_input_size_is_the_measured_one() -> None:
    """512: the fastest size that kept PETS09 above the floors (pets_speed_input_size.md)."""
    from tracker.detect import DEFAULT_IMAGE_SIZE

    detector = build_detector("yolov5", device="cpu", runtime="onnx")
    assert isinstance(detector, YoloV5Detector)
    assert detector.image_size == DEFAULT_IMAGE_SIZE == 512
    assert build_detector("yolov5", device="cpu", runtime="onnx", image_size=640).image_size == 640
