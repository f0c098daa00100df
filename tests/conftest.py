"""Shared fixtures: the data and weights in ../shared (present in development and CI)."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="session", autouse=True)
def export_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Model exports (tracker.runtime) go to a fresh folder per test session, never to the
    user's ~/.cache: the tests see the first-use export and its check every time."""
    folder = tmp_path_factory.mktemp("tracker-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKER_CACHE_DIR", str(folder))
        yield folder
