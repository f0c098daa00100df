"""Paths to the shared development data/weights, and a torch thread limit for model tests.

The test machine is shared: with several processes busy, torch's intra-op threads spin against
each other and a 2-thread forward pass runs 3-6x slower than a 1-thread one, so model tests
pin torch to one thread (restored afterwards).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
WEIGHTS = SHARED / "weights"
DATA = SHARED / "data"
PETS = DATA / "MOT15" / "train" / "PETS09-S2L1"


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
