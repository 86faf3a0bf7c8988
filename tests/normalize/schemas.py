"""Validators for what the mappings emit: OCSF 1.8.0 (the ocsf-json-schema package) and ECS 9.4.0."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENDORED_ECS = HERE / "ecs" / "ecs_fields-9.4.0.json"
ENVELOPE = ("_source", "_sourceCategory", "_dataType", "_time", "_mappingNotes")


def event_part(record: dict[str, Any], custom: tuple[str, ...] = ()) -> dict[str, Any]:
    """The OCSF/ECS event inside a c2c record: without c2c's `_` keys and the config's custom fields."""
    return {k: v for k, v in record.items() if not k.startswith("_") and k not in custom}


# ---- OCSF -------------------------------------------------------------------------------------------------
@cache
def _ocsf() -> Any:
    ocsf_json_schema = pytest.importorskip("ocsf_json_schema", reason="pip install ocsf-json-schema (test extra)")
    return ocsf_json_schema.OcsfJsonSchemaEmbedded(ocsf_json_schema.get_ocsf_schema("1.8.0"))


@cache
def _ocsf_validator(class_uid: int, profiles: tuple[str, ...]) -> Any:
    import jsonschema

    embedded = _ocsf()
    schema = embedded.get_class_schema(embedded.lookup_class_name_from_uid(class_uid), list(profiles))
    return jsonschema.validators.validator_for(schema)(schema)


def ocsf_errors(event: dict[str, Any]) -> list[str]:
    profiles = tuple(event.get("metadata", {}).get("profiles", ()))
    validator = _ocsf_validator(event["class_uid"], profiles)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(event)]


# ---- ECS --------------------------------------------------------------------------------------------------
@cache
def ecs_fields() -> dict[str, dict[str, Any]]:
    """name -> {type, array, allowed}: the vendored subset (tests/normalize/ecs), made by ecs_subset.py."""
    with VENDORED_ECS.open(encoding="utf-8") as f:
        fields: dict[str, dict[str, Any]] = json.load(f)["fields"]
    return fields


_TYPES: dict[str, tuple[type, ...]] = {
    "keyword": (str,), "constant_keyword": (str,), "wildcard": (str,), "match_only_text": (str,), "text": (str,),
    "ip": (str,), "date": (str,), "long": (int,), "integer": (int,), "short": (int,), "byte": (int,),
    "unsigned_long": (int,), "float": (int, float), "double": (int, float), "scaled_float": (int, float),
    "half_float": (int, float), "boolean": (bool,), "object": (dict,), "flattened": (dict,), "nested": (dict,),
    "geo_point": (dict, str),
}


def ecs_errors(event: dict[str, Any], namespaces: tuple[str, ...] = ("code42", "druva")) -> list[str]:
    """Every field written outside the vendor namespace exists in ECS 9.4.0 with its type and allowed values."""
    fields = ecs_fields()
    errors: list[str] = []

    def check(path: str, value: Any) -> None:
        spec = fields.get(path)
        if spec is None:
            if isinstance(value, dict) and value:
                for k, v in value.items():
                    check(f"{path}.{k}", v)
            else:
                errors.append(f"{path}: not an ECS 9.4.0 field")
            return
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not spec["array"] and spec["type"] != "nested":
            errors.append(f"{path}: a list, but ECS has it as a single value")
        for v in values:
            wanted = _TYPES.get(spec["type"], (object,))
            if not isinstance(v, wanted) or (isinstance(v, bool) and bool not in wanted):
                errors.append(f"{path}: {v!r} is not of ECS type {spec['type']}")
            elif spec["allowed"] and v not in spec["allowed"]:
                errors.append(f"{path}: {v!r} is not an allowed value ({', '.join(spec['allowed'])})")

    for key, value in event.items():
        if key not in namespaces:
            check(key, value)
    return errors
