"""``tracker export``: write a re-ID embedder as ONNX (dynamic batch), verified against torch."""

from __future__ import annotations

import argparse
from pathlib import Path

EXPORTABLE = ("osnet", "osnet-market", "market-cnn", "mobilenetv2")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export",
        help="export a re-ID embedder to ONNX",
        description="Export a re-ID embedder to ONNX with a dynamic batch axis and its "
        "preprocessing in the file's metadata, then run ONNX Runtime and torch on the same "
        "crops: the command fails (and removes the file) if they differ by more than "
        "--tolerance. Use the result with --embedder onnx:PATH.",
    )
    parser.add_argument("--embedder", choices=EXPORTABLE, default="osnet", help="(osnet)")
    parser.add_argument("--weights", help="weight file (default: the embedder's standard file)")
    parser.add_argument("--out", type=Path, required=True, help="ONNX file to write")
    parser.add_argument(
        "--tolerance", type=float, default=1e-4, help="max |ORT - torch| allowed (1e-4)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tracker.reid.export import export_embedder

    check = export_embedder(args.embedder, args.out, args.weights, args.tolerance)
    print(
        f"wrote {check.path}: ONNX Runtime matches torch to {check.max_abs_diff:.1e} "
        f"(batches {', '.join(map(str, check.batch_sizes))})"
    )
    return 0
