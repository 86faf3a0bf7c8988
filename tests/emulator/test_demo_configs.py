"""The demo's source configs: one for every source type, and none repeating a default of the schemas."""

from __future__ import annotations

from typing import Any

from c2c import schemas
from c2c.emulator.services import Settings, demo_configs


def _default(prop: dict[str, Any]) -> Any:
    ref = prop.get("$ref", "")
    if ref.startswith("common.json#/$defs/"):
        return schemas.load("common")["$defs"][ref.rsplit("/", 1)[1]].get("default")
    return prop.get("default")


def test_every_source_type_has_a_demo_config() -> None:
    types = {doc["source"]["schemaRef"]["type"] for doc in demo_configs("http://127.0.0.1:1", Settings())}
    assert types == set(schemas.SCHEMA_FILES)


def test_demo_configs_leave_defaults_to_the_schemas() -> None:
    for doc in demo_configs("http://127.0.0.1:1", Settings()):
        source_type, config = doc["source"]["schemaRef"]["type"], doc["source"]["config"]
        props = schemas.for_type(source_type)["properties"]
        restated = {k for k, v in config.items() if v == _default(props.get(k, {}))}
        assert restated == set(), f"{config['name']} restates schema defaults {sorted(restated)}"
