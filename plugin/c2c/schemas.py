"""Find and load the JSON Schemas shipped in the wheel (or beside the checkout when run from source)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# schemaRef.type -> schema file stem (also the source's state and doc name)
SCHEMA_FILES: dict[str, str] = {
    "Druva Cyber Resilience": "druva_cyber_resilience",
    "Code42Incydr": "code42_incydr",
    "Druva inSync": "druva_insync",
}
WRAPPER = "source"
SHARED = ("common",)


@cache
def schema_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parents[1] / "schemas"):
        if (candidate / f"{WRAPPER}.json").is_file():
            return candidate
    raise FileNotFoundError(f"c2c schemas not found beside {here}; reinstall the package")


@cache
def load(stem: str) -> dict[str, Any]:
    with (schema_dir() / f"{stem}.json").open(encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


def for_type(source_type: str) -> dict[str, Any]:
    return load(SCHEMA_FILES[source_type])
