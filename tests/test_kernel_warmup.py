"""The server's warm-up (``tracker.core.warmup.compile_kernels``) must compile every kernel
the default tracker calls, or the first client's stream stalls while numba compiles the rest.
Run in a fresh interpreter so kernels compiled by other tests do not count."""

from __future__ import annotations

import json
import subprocess
import sys

# Kernels off the default path: compiled when their option is first used.
OFF_THE_DEFAULT_PATH = {
    "tracker.core.affinity._fused_cost_kernel",  # appearance_fusion="weighted"
    "tracker.core.deepsort._blend_detections",  # a fixed report_detection_weight
    "tracker.core.kalman_kernels.gating_distance",  # the tracker gates with gate / gate_pairs
    "tracker.core.kalman_kernels.gating_distance_pairs",
}
# Kernels called only from other kernels: compiled into their callers (and when those load
# from numba's cache, never compiled on their own).
CALLED_FROM_KERNELS_ONLY = {
    "tracker.core.affinity._gap",
    "tracker.core.affinity.box_iou",
    "tracker.core.affinity.inside_share",
    "tracker.core.affinity._maximum",
    "tracker.core.affinity._minimum",
    "tracker.core.affinity._overlap",
    "tracker.core.affinity.overlap_area",
    "tracker.core.affinity._two_smallest",
    "tracker.core.deepsort._learnt_weights",  # and by the report_weights property
    "tracker.core.jit._block_sum",
    "tracker.core.jit.dot",
    "tracker.core.jit.pairwise_sum",
    "tracker.core.kalman_kernels._add_distances",
    "tracker.core.kalman_kernels._any_position_coupled",
    "tracker.core.kalman_kernels._at_least",
    "tracker.core.kalman_kernels._coupled",
    "tracker.core.kalman_kernels._distance",
    "tracker.core.kalman_kernels._position_coupled",
    "tracker.core.kalman_kernels._reject_limit",
    "tracker.core.kalman_kernels._variances",
    "tracker.core.scene_motion._alike",
}

_PROBE = """
import json, sys
from numba.core.registry import CPUDispatcher
import tracker.core
from tracker.core.warmup import compile_kernels

compile_kernels()
kernels = {}
for name, module in sorted(sys.modules.items()):
    if name.startswith("tracker.core"):
        for attribute, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.__module__ == name:
                kernels[f"{name}.{attribute}"] = len(value.signatures)
print(json.dumps(kernels))
"""


def test_warm_up_compiles_every_kernel_of_the_default_path() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=300, check=True
    )
    kernels: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(kernels) >= 8, kernels  # the probe sees the kernels at all
    unknown = (OFF_THE_DEFAULT_PATH | CALLED_FROM_KERNELS_ONLY) - set(kernels)
    assert not unknown, f"listed here but no longer kernels: {sorted(unknown)}"
    missed = {name for name, compiled in kernels.items() if compiled == 0}
    missed -= OFF_THE_DEFAULT_PATH | CALLED_FROM_KERNELS_ONLY
    assert not missed, f"not compiled by the warm-up: {sorted(missed)}"
