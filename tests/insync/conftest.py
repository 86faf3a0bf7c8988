"""Fixtures for the Druva inSync tests: an emulator on 127.0.0.1 (port 0) and an in-process collector."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from insync_helpers import API_TOKEN, CLIENT_ID, SECRET, Collector

from c2c.emulator.core import Emulator
from c2c.emulator.insync import InSyncService


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.fixture
def insync(emu: Emulator) -> InSyncService:
    return InSyncService(emu, CLIENT_ID, SECRET, api_token=API_TOKEN, seed=7, events=250, page_size=100)


@pytest.fixture
def collector(tmp_path: Path) -> Collector:
    return Collector(tmp_path)
