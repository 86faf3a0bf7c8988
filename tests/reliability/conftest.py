"""Fixtures of the reliability tests; the scenario table and the Harness live in harness.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from c2c import ratelimit

from .harness import FAST_ENV, SCENARIOS, Harness, Scenario


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in FAST_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("C2C_STATE_DIR", raising=False)


@pytest.fixture(autouse=True)
def _unthrottled_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs get a client-side request bucket with an unbounded burst: the attacks measure faults,
    not Code42's request budget (tests/code42 covers it). Runs in a subprocess keep the real bucket."""
    monkeypatch.setattr(ratelimit, "shared", lambda key, per_minute, burst=10: ratelimit.TokenBucket(per_minute, 10**9))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_token: only the scenario rows whose source has a token endpoint")
    config.addinivalue_line("markers", "reference_row: shared code (runner, ApiClient) where the source plays no "
                                       "part: the first scenario row proves it")


def _parametrized_directly(metafunc: pytest.Metafunc) -> set[str]:
    names: set[str] = set()
    for mark in metafunc.definition.iter_markers("parametrize"):
        argnames = mark.args[0]
        names.update(a.strip() for a in argnames.split(",")) if isinstance(argnames, str) else names.update(argnames)
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test using `scenario` (or `harness`) runs once per SCENARIOS row that applies to it; a test that
    pairs rows with its own kinds parametrizes `scenario` itself (harness.scenario_params)."""
    if "scenario" not in metafunc.fixturenames or "scenario" in _parametrized_directly(metafunc):
        return
    rows = [s for s in SCENARIOS if s.has_token or metafunc.definition.get_closest_marker("needs_token") is None]
    if metafunc.definition.get_closest_marker("reference_row") is not None:
        rows = rows[:1]
    metafunc.parametrize("scenario", rows, ids=[s.id for s in rows])


@pytest.fixture
def harness(scenario: Scenario, tmp_path: Path) -> Any:
    h = Harness(scenario, tmp_path)
    yield h
    h.close()


@pytest.fixture
def make_harness(scenario: Scenario, tmp_path: Path) -> Any:
    made: list[Harness] = []

    def make(**kwargs: Any) -> Harness:
        h = Harness(scenario, tmp_path, **kwargs)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
