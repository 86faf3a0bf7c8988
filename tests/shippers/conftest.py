"""Fixtures: the emulator on 127.0.0.1 and source configs made from the shipped example (secrets via env)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from c2c.emulator.services import Settings, start_all

from .shipper_emu import CONF, c2c_env

SETTINGS = Settings(seed=7, events=250, page_size=100)
SECRETS = {"DRUVA_CLIENT_ID": SETTINGS.client_id, "DRUVA_SECRET_KEY": SETTINGS.secret}


@pytest.fixture
def emulator() -> Iterator[Any]:
    emu, services = start_all(SETTINGS)
    emu.realize = services["druva_cyber_resilience"]
    try:
        yield emu
    finally:
        emu.stop()


def example_druva_source(base_url: str, name: str | None = None) -> dict[str, Any]:
    """The Druva entry of conf/c2c-sources.example.json, pointed at the emulator; ${VAR} secrets kept."""
    doc = json.loads((CONF / "c2c-sources.example.json").read_text(encoding="utf-8"))
    entry = copy.deepcopy(next(s for s in doc["sources"] if s["schemaRef"]["type"] == "Druva Cyber Resilience"))
    entry["config"]["baseURL"] = base_url
    if name:
        entry["config"]["name"] = name
    return entry


def write_sources(path: Path, *entries: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"api.version": "v1", "sources": list(entries)}, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def sources_file(tmp_path: Path, emulator: Any) -> Path:
    return write_sources(tmp_path / "sources.json", example_druva_source(emulator.base_url))


@pytest.fixture
def env() -> dict[str, str]:
    return c2c_env(SECRETS)
