"""Fixtures of the reliability tests; the scenario table and the Harness live in harness.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .harness import FAST_ENV, SCENARIOS, Harness, Scenario


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in FAST_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("C2C_STATE_DIR", raising=False)


@pytest.fixture(params=SCENARIOS, ids=[s.id for s in SCENARIOS])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return request.param


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
