"""Shared fixtures: the data and weights in ../shared (present in development and CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

# Hypothesis profiles "ci" (default) and "long" are registered on import; the fixture and the
# hook print how many examples each property ran (tests/fuzz_support.py).
from fuzz_support import examples, pytest_terminal_summary  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    data = SHARED / "data"
    if not (data / "PROVENANCE.md").is_file():
        pytest.fail(f"test data not found at {data}: the repository expects ../shared beside it")
    return data


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    weights = SHARED / "weights"
    if not (weights / "PROVENANCE.md").is_file():
        pytest.fail(f"weights not found at {weights}: the repository expects ../shared beside it")
    return weights
