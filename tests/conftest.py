"""Shared fixtures: the data and weights in ../shared (present in development and CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
