"""Compiled per-frame kernels: the one decorator every numba kernel of the core goes through.

At the sizes a tracker sees every frame (a handful to a few hundred tracks and detections)
numpy spends most of its time in per-call overhead, a microsecond or more for each of the
dozens of small array operations a stage needs; a stage written as one loop and compiled
with numba runs in a few microseconds (``benchmarks/results/tracker_speed.md``). Kernels
are plain Python over numpy arrays, compiled on first call and cached on disk, so only the
first process after an install pays the compilation.

The options are the same for every kernel, so their numbers match numpy's:

- ``error_model="numpy"``: a division by zero gives inf or nan, as in numpy, instead of
  raising.
- no ``fastmath``: operations are evaluated in the order written, without reassociation or
  fused multiply-adds, so a kernel that spells out numpy's arithmetic gives its bits.
- ``nogil``: a kernel releases the GIL, so the tracker of one stream can run while another
  thread decodes, detects or embeds.
- ``cache``: compiled code is stored next to the module, or under ``NUMBA_CACHE_DIR``
  (the Docker images set it; site-packages is read-only there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

Kernel = TypeVar("Kernel", bound=Callable[..., Any])


def kernel(function: Kernel) -> Kernel:
    """``function`` compiled with the core's options (module docstring); the type checker
    sees the Python signature."""
    return cast(Kernel, numba.njit(cache=True, nogil=True, error_model="numpy")(function))
