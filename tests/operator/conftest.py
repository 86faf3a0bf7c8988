"""Fixtures for the operator tests (helpers in operator_helpers.py: `operator` itself is a stdlib module name,
so this directory is not a package)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from operator_helpers import SETTINGS

from c2c.emulator.core import Emulator
from c2c.emulator.services import demo_configs, start_all


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu, _ = start_all(SETTINGS)
    yield emu
    emu.stop()


@pytest.fixture
def demo_docs(emulator: Emulator) -> list[dict[str, Any]]:
    """The demo's source configs, pointing at the emulator (Druva CR, inSync v1, inSync v2, Code42)."""
    return demo_configs(emulator.base_url, SETTINGS)
