"""Find and load the JSON Schemas shipped in the wheel (or beside the checkout when run from source)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# schemaRef.type -> schema file stem, also the module in c2c.sources that collects it: the one list of source
# types (the wrapper schema's enum is filled in from it, the registry imports by it).
SCHEMA_FILES: dict[str, str] = {
    "Druva Cyber Resilience": "druva_cyber_resilience",
    "Code42Incydr": "code42_incydr",
    "Druva inSync": "druva_insync",
}
WRAPPER = "source"
SHARED = ("common",)
SECRET_REF = "common.json#/$defs/secret"  # the schema of every configured secret (writeOnly)


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
    if stem == WRAPPER:
        _fill_types(schema)
    return schema


def _fill_types(wrapper: dict[str, Any]) -> None:
    """The wrapper's schemaRef.type: one of SCHEMA_FILES, said with the list when it is not."""
    names = ", ".join(json.dumps(t) for t in SCHEMA_FILES)
    prop = wrapper["$defs"]["source"]["properties"]["schemaRef"]["properties"]["type"]
    prop["enum"] = list(SCHEMA_FILES)
    prop["errorMessages"] = {"enum": f"unknown source type; expected one of {names}"}


def for_type(source_type: str) -> dict[str, Any]:
    return load(SCHEMA_FILES[source_type])


@cache
def secret_keys(source_type: str) -> frozenset[str]:
    """The config keys of a source type that hold a secret: those whose schema is common.json's `secret`."""
    props = for_type(source_type).get("properties", {})
    return frozenset(k for k, p in props.items() if isinstance(p, dict) and p.get("$ref") == SECRET_REF)


def bundled(source_type: str) -> dict[str, Any]:
    """The schema with the shared definitions inlined, so it stands alone (`c2c schema`, editors)."""
    shared = {stem: load(stem) for stem in SHARED}

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and "#/$defs/" in ref and ref.split(".json#")[0] in shared:
                stem, name = ref.split(".json#/$defs/")
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return inline({**shared[stem]["$defs"][name], **rest})
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    result: dict[str, Any] = inline(for_type(source_type))
    return result
