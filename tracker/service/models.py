"""The models a server runs, built from its settings (``tracker serve``, ``tracker demo``).

Model code is imported here, lazily, and only for what the settings ask for: ``--detector
none`` serves public-detection streams without loading torch at all.
"""

from __future__ import annotations

from tracker.errors import TrackerError
from tracker.pipeline import Pipeline
from tracker.service.settings import ServerSettings


def build_pipeline(settings: ServerSettings) -> Pipeline:
    """The configured models; runs in the server's worker thread (loading is slow).

    The torch thread count is set here, in the thread that will also run the models: with
    a client and gRPC threads on a small machine, torch's default pool oversubscribes the
    cores (on 2 shared cores, 1 thread ran the PETS09 demo 5x faster than the default).
    """
    if settings.torch_threads and (settings.detector != "none" or settings.embedder != "none"):
        import torch

        torch.set_num_threads(settings.torch_threads)
    detector = None
    if settings.detector != "none":
        try:
            from tracker.detect import build_detector  # type: ignore[attr-defined,unused-ignore]
        except ImportError as error:
            raise TrackerError(
                f"detector models are not available in this build ({error}); "
                "use --detector none to serve public-detection streams"
            ) from None
        detector = build_detector(
            settings.detector,
            weights=settings.detector_weights,
            device=settings.device,
            runtime=settings.runtime,
        )
    embedder = None
    if settings.embedder != "none":
        try:
            from tracker.reid import build_embedder  # type: ignore[attr-defined,unused-ignore]
        except ImportError as error:
            raise TrackerError(
                f"re-ID embedders are not available in this build ({error}); "
                "use --embedder none for motion-only tracking"
            ) from None
        embedder = build_embedder(
            settings.embedder,
            weights=settings.embedder_weights,
            device=settings.device,
            runtime=settings.runtime,
        )
    return Pipeline(detector, embedder)
