"""``tracker export``: write a re-ID embedder as ONNX (dynamic batch), verified against torch;
or fill the runtime export cache ahead of time (``--cache``), e.g. while building an image."""

from __future__ import annotations

import argparse
from pathlib import Path

from tracker.cli.options import add_runtime_option
from tracker.errors import TrackerError

EXPORTABLE = ("osnet", "osnet-market", "market-cnn", "mobilenetv2")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export",
        help="export a re-ID embedder to ONNX, or fill the runtime export cache",
        description="Export a re-ID embedder to ONNX with a dynamic batch axis and its "
        "preprocessing in the file's metadata, then run ONNX Runtime and torch on the same "
        "crops: the command fails (and removes the file) if they differ by more than "
        "--tolerance. Use the result with --embedder onnx:PATH. With --cache instead of "
        "--out: export, check and cache the YOLOv5 detector (for frames of --frame-size) and "
        "the embedder for --runtime, as `track`/`serve` would on first use.",
    )
    parser.add_argument("--embedder", choices=EXPORTABLE, default="osnet", help="(osnet)")
    parser.add_argument("--weights", help="weight file (default: the embedder's standard file)")
    parser.add_argument("--out", type=Path, help="ONNX file to write")
    parser.add_argument(
        "--tolerance", type=float, default=1e-4, help="max |ORT - torch| allowed (1e-4)"
    )
    cache = parser.add_argument_group("filling the runtime export cache")
    cache.add_argument("--cache", action="store_true", help="fill the export cache")
    add_runtime_option(cache)
    cache.add_argument(
        "--frame-size", default="768x576", help="camera frame WIDTHxHEIGHT (768x576)"
    )
    cache.add_argument(
        "--image-size", type=int, help="detector input size (default: track/serve's, 512)"
    )
    cache.add_argument("--detector-weights", help="YOLOv5 state_dict weights")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.cache:
        return _fill_cache(args)
    if args.out is None:
        raise TrackerError("give --out FILE (an ONNX embedder) or --cache (the export cache)")
    from tracker.reid.export import export_embedder

    check = export_embedder(args.embedder, args.out, args.weights, args.tolerance)
    print(
        f"wrote {check.path}: ONNX Runtime matches torch within {check.worst:.2f}x the "
        f"tolerance of {args.tolerance:g} (batches {', '.join(map(str, check.batch_sizes))})"
    )
    return 0


def _fill_cache(args: argparse.Namespace) -> int:
    import numpy as np

    from tracker.detect import build_detector
    from tracker.reid import build_embedder
    from tracker.runtime.cache import cache_dir

    width, sep, height = args.frame_size.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or "0" in (width, height):
        raise TrackerError(
            f"--frame-size {args.frame_size!r}: expected WIDTHxHEIGHT, e.g. 1920x1080"
        )
    detector = build_detector(
        "yolov5", weights=args.detector_weights, device="cpu", runtime=args.runtime,
        image_size=args.image_size,
    )  # fmt: skip
    detector.detect([np.zeros((int(height), int(width), 3), np.uint8)])
    embedder = build_embedder(args.embedder, args.weights, device="cpu", runtime=args.runtime)
    runtimes = f"detector {getattr(detector, 'runtime', 'torch')}, embedder " + (
        getattr(embedder, "runtime", "torch") if embedder is not None else "none"
    )
    print(f"export cache {cache_dir()} ready ({runtimes}):")
    for path in sorted(cache_dir().glob("*.onnx")) if cache_dir().is_dir() else []:
        print(f"  {path.name}")
    return 0
