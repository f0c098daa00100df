"""The models a server runs, built from its settings (``tracker serve``, ``tracker demo``).

Model code is imported here, lazily, and only for what the settings ask for: ``--detector
none`` serves public-detection streams without loading torch at all. Model names are checked
before anything loads, so a typo costs no minute of loading a detector first.
"""

from __future__ import annotations

from tracker.errors import TrackerError
from tracker.pipeline import Pipeline
from tracker.service.settings import ServerSettings


def check_model_names(settings: ServerSettings) -> None:
    """``TrackerError`` naming the valid choices if the detector or embedder is unknown."""
    from tracker.detect import DETECTOR_NAMES
    from tracker.reid import EMBEDDER_NAMES
    from tracker.reid import SPECS as EMBEDDERS

    detectors = (*DETECTOR_NAMES, "none")
    if settings.detector not in detectors:
        raise TrackerError(
            f"unknown detector {settings.detector!r}; valid names: {', '.join(detectors)}"
        )
    embedder = settings.embedder
    if embedder != "none" and embedder not in EMBEDDERS and not embedder.startswith("onnx:"):
        raise TrackerError(
            f"unknown embedder {embedder!r}; valid names: {', '.join(EMBEDDER_NAMES)}"
        )


def build_pipeline(settings: ServerSettings) -> Pipeline:
    """The configured models; runs in the server's worker thread (loading is slow).

    The torch thread count is set here, in the thread that will also run the models: with
    a client and gRPC threads on a small machine, torch's default pool oversubscribes the
    cores (on 2 shared cores, 1 thread ran the PETS09 demo 5x faster than the default).
    """
    check_model_names(settings)
    if settings.torch_threads and (settings.detector != "none" or settings.embedder != "none"):
        import torch

        torch.set_num_threads(settings.torch_threads)
    detector = None
    if settings.detector != "none":
        from tracker.detect import build_detector

        detector = build_detector(
            settings.detector,
            weights=settings.detector_weights,
            device=settings.device,
            runtime=settings.runtime,
        )
    embedder = None
    if settings.embedder != "none":
        from tracker.reid import build_embedder

        embedder = build_embedder(
            settings.embedder,
            weights=settings.embedder_weights,
            device=settings.device,
            runtime=settings.runtime,
        )
    return Pipeline(detector, embedder)


def model_device(pipeline: Pipeline) -> str:
    """The device the models actually run on ("cpu", "cuda:0"), not the requested "auto".

    Torch models carry their resolved ``DeviceChoice`` (``.choice`` or ``.device``), ONNX
    sessions their execution providers; without models the tracker runs on the CPU.
    """
    for model in (pipeline.detector, pipeline.embedder):
        choice = getattr(model, "choice", None) or getattr(model, "device", None)
        device = getattr(choice, "device", None)  # DeviceChoice.device, a torch.device
        if device is not None:
            return str(device)
        providers: list[str] = getattr(getattr(model, "session", None), "get_providers", list)()
        if providers:
            return "cuda:0" if providers[0] == "CUDAExecutionProvider" else "cpu"
    return "cpu"
