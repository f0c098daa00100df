"""The server's warm-up (``tracker.core.warmup.compile_kernels``) must compile every kernel
the default tracker calls, or the first client's stream stalls while numba compiles the rest.
Run in a fresh interpreter so kernels compiled by other tests do not count."""

from __future__ import annotations

import json
import subprocess
import sys

# Kernels off the default path: compiled when their option is first used.
OFF_THE_DEFAULT_PATH: set[str] = set()
# Kernels called only from other kernels: compiled into their callers (and when those load
# from numba's cache, never compiled on their own).
CALLED_FROM_KERNELS_ONLY = {"tracker.core.jit._block_sum", "tracker.core.jit.pairwise_sum"}

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
    missed = sorted(
        name
        for name, compiled in kernels.items()
        if compiled == 0 and name not in CALLED_FROM_KERNELS_ONLY
    )
    assert set(missed) == OFF_THE_DEFAULT_PATH, f"not compiled by the warm-up: {missed}"
