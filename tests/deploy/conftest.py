"""Fixtures for tests/deploy: the emulator on 127.0.0.1 and `c2c` run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from c2c.emulator.services import Settings, start_all

REPO = Path(__file__).resolve().parents[2]
SETTINGS = Settings(seed=11, events=40, page_size=20)


def c2c_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    env["PYTHONPATH"] = str(REPO / "plugin")
    env.update(extra or {})
    return env


def run_c2c(*args: str, env: Mapping[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "c2c", *args], env=dict(env or c2c_env()), capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def emulator() -> Iterator[tuple[Any, dict[str, Any]]]:
    emu, services = start_all(SETTINGS)
    try:
        yield emu, services
    finally:
        emu.stop()
