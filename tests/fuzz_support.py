"""Hypothesis set-up shared by the property-based tests: the profiles and a per-property
count of the examples that ran, printed at the end of the run (with or without ``-s``).

Profiles: ``ci`` (the default: 200 examples per property, reproducible) and ``long`` (5000,
random), chosen with ``pytest --hypothesis-profile=long``. tests/conftest.py imports this
module, which registers them, and re-exports the ``examples`` fixture and the summary hook.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

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
        self.outcomes: dict[str, dict[str, int]] = {}

    def record(self, prop: str, outcome: str) -> None:
        counts = self.outcomes.setdefault(prop, {})
        counts[outcome] = counts.get(outcome, 0) + 1


_LOG = pytest.StashKey[ExampleLog]()


@pytest.fixture(scope="session")
def examples(request: pytest.FixtureRequest) -> ExampleLog:
    """Session-scoped, so usable inside ``@given`` tests: call ``examples.record(prop,
    outcome)`` once per example."""
    return request.config.stash.setdefault(_LOG, ExampleLog())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    log = terminalreporter.config.stash.get(_LOG, None)
    if log is None or not log.outcomes:
        return
    limit = settings().max_examples
    terminalreporter.section(f"hypothesis examples per property (max_examples={limit})")
    for prop, outcomes in sorted(log.outcomes.items()):
        detail = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        terminalreporter.write_line(f"{prop}: {sum(outcomes.values())} examples ({detail})")
