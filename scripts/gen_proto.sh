#!/usr/bin/env bash
# Regenerate the Python gRPC stubs in tracker/_proto from proto/tracker/v1/tracker.proto.
#
# usage: scripts/gen_proto.sh [OUT_DIR]   (default: tracker/_proto; tests pass a temp dir)
# PYTHON selects the interpreter that has grpcio-tools (default: python3).
#
# protoc names the generated module after the proto path (tracker/v1/...), which would clash
# with our own `tracker` package, so the files are generated into a scratch dir, flattened
# into OUT_DIR, and the one cross-import is rewritten to the package path.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/tracker/_proto}"
python="${PYTHON:-python3}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$python" -m grpc_tools.protoc -I "$repo/proto" \
  --python_out="$scratch" --pyi_out="$scratch" --grpc_python_out="$scratch" \
  "$repo/proto/tracker/v1/tracker.proto"

mkdir -p "$out"
for f in tracker_pb2.py tracker_pb2.pyi tracker_pb2_grpc.py; do
  sed -e 's/^from tracker\.v1 import tracker_pb2 as/from tracker._proto import tracker_pb2 as/' \
    "$scratch/tracker/v1/$f" > "$out/$f"
done
cat > "$out/__init__.py" <<'PY'
"""Generated gRPC stubs for proto/tracker/v1/tracker.proto; regenerate with scripts/gen_proto.sh."""
PY
