"""Shared fixtures: the data and weights in ../shared (present in development and CI), and the
hypothesis profiles with a per-property count of the examples that ran.

Profiles: ``ci`` (the default: ~200 examples per property, reproducible) and ``long``
(thousands, random), chosen with ``pytest --hypothesis-profile=long``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,  # timings on 2 shared cores are too noisy for per-example deadlines
    derandomize=True,  # the same examples every run: a CI failure reproduces locally
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")  # --hypothesis-profile=... (hypothesis' pytest plugin) overrides


class ExampleLog:
    """Per property, how many examples ran and how each ended (e.g. parsed / rejected)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, Counter[str]] = {}

    def record(self, prop: str, outcome: str) -> None:
        self.outcomes.setdefault(prop, Counter())[outcome] += 1


_LOG = pytest.StashKey[ExampleLog]()


@pytest.fixture(scope="session")
def examples(request: pytest.FixtureRequest) -> ExampleLog:
    """Session-scoped (so usable inside ``@given`` tests): ``examples.record(prop, outcome)``
    once per example; the counts are printed at the end of the run, with or without ``-s``."""
    return request.config.stash.setdefault(_LOG, ExampleLog())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    log = terminalreporter.config.stash.get(_LOG, None)
    if log is None or not log.outcomes:
        return
    limit = settings().max_examples
    terminalreporter.section(f"hypothesis examples per property (max_examples={limit})")
    for prop, outcomes in sorted(log.outcomes.items()):
        detail = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        terminalreporter.write_line(f"{prop}: {outcomes.total()} examples ({detail})")


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
