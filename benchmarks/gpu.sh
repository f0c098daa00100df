#!/usr/bin/env bash
# The end-to-end and multi-stream tables on a CUDA GPU: torch fp16, and TensorRT through ONNX
# Runtime when onnxruntime-gpu with the TensorRT provider is installed.
#
#   bash benchmarks/gpu.sh            # from the repository root, in the project's venv
#   PYTHON=/path/to/python DEVICE=cuda:1 bash benchmarks/gpu.sh
#
# Needs: a CUDA build of torch (`python -c "import torch; print(torch.cuda.is_available())"`
# prints True), ../shared (PETS09-S2L1 frames and the weights) beside the checkout. Optional:
# `pip install onnxruntime-gpu` (replaces onnxruntime; brings the CUDA and, with TensorRT
# libraries on the path, the TensorRT provider).
#
# Writes benchmarks/results/pets_speed_gpu.{json,md} and multistream_gpu-*.{json,md}.
# Expected on a recent NVIDIA GPU (not measured here: this project's machines have no GPU):
# - `--runtime auto` on CUDA is torch fp16 (tracker.runtime.CUDA_PREFERENCE); the model time per
#   frame drops to a few ms, so JPEG decode, crop resizing and association (CPU) become the
#   largest stages and the FPS is CPU-bound; batching across streams (multistream) is where the
#   GPU pays: aggregate FPS should rise with the number of streams while the CPU keeps up.
# - onnx@640 on CUDA uses TensorRT (fp16, engines cached under $TRACKER_CACHE_DIR/exports/
#   tensorrt; the first run builds them, which takes minutes) else ONNX Runtime's CUDA
#   provider (fp32, usually slower than torch fp16).
# - HOTA / IDF1 with fp16 should stay within ~0.3 of the CPU fp32 numbers (58.03 / 77.10 at 640
#   with torch on CPU); a larger difference is a bug worth reporting.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
DEVICE="${DEVICE:-cuda}"
export PYTHONPATH="${PYTHONPATH:-$PWD}"

"$PYTHON" - <<'PY'
import sys, torch
if not torch.cuda.is_available():
    sys.exit("no CUDA device visible to torch: install a CUDA build of torch, check nvidia-smi")
print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__)
try:
    import onnxruntime as ort
    print("onnxruntime", ort.__version__, "providers:", ort.get_available_providers())
except ImportError:
    print("onnxruntime not installed: the onnx rows are skipped")
PY

settings=("torch@640" "torch@416")
if "$PYTHON" -c "import onnxruntime as o, sys; p = o.get_available_providers(); sys.exit(0 if {'TensorrtExecutionProvider', 'CUDAExecutionProvider'} & set(p) else 1)" 2>/dev/null; then
    settings+=("onnx@640")
    ONNX_GPU=1
else
    ONNX_GPU=0
fi

# The CUDA path's unit tests (device and dtype plumbing) run for real here.
"$PYTHON" -m pytest -q tests/test_runtimes.py tests/test_weights_device.py

# End to end on PETS09-S2L1 (795 frames), settings interleaved in one process.
"$PYTHON" -m benchmarks.pets_speed --device "$DEVICE" --threads 2 --tag gpu \
    --settings "${settings[@]}"

# Multi-stream through the service (1, 2, 4, 8 streams; throughput and live 7 fps latency).
"$PYTHON" -m benchmarks.multistream --device "$DEVICE" --runtime torch --torch-threads 2 \
    --tag gpu-torch
if [ "$ONNX_GPU" = 1 ]; then
    "$PYTHON" -m benchmarks.multistream --device "$DEVICE" --runtime onnx --torch-threads 2 \
        --tag gpu-onnx
fi
echo "done: see benchmarks/results/pets_speed_gpu.md and benchmarks/results/multistream_gpu-*.md"
