"""With the standard library encoder (the default install) a mapped record's line is written as text by the
generated code, without building the dict: the same bytes as the dict path, on every sample, every emulator
data type and fuzzed events (test_robust)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from c2c.normalize import engine, text_line_for

from .conftest import DATA_TYPES, REPO, c2c_env
from .test_samples import SAMPLE_TYPES, SAMPLES
from .textpath import META, assert_line_is_dict, assert_text_is_dict

TIME = "2024-01-02T03:04:05.678Z"
C2C_KEYS = ("_source", "_sourceCategory", "_dataType", "_time")


@pytest.mark.parametrize("fmt", ["ocsf", "ecs"])
@pytest.mark.parametrize("sample", sorted(SAMPLE_TYPES))
def test_sample_text_is_the_dict_encoded(sample: str, fmt: str) -> None:
    data = json.loads((SAMPLES / sample).read_text(encoding="utf-8"))
    for event in data if isinstance(data, list) else [data]:
        assert_text_is_dict(fmt, SAMPLE_TYPES[sample], event, TIME)
        assert_text_is_dict(fmt, SAMPLE_TYPES[sample], event, TIME, {"env": "test", "team": ["a", 1]})


@pytest.mark.parametrize("fmt", ["ocsf", "ecs"])
def test_emulator_text_is_the_dict_encoded(emulator_records: dict[str, list[dict[str, Any]]], fmt: str) -> None:
    seen = set()
    for record in emulator_records["raw"]:
        if record["_dataType"] not in DATA_TYPES:
            continue
        event = {k: v for k, v in record.items() if k not in C2C_KEYS}  # the vendor's event, as delivered
        assert_text_is_dict(fmt, record["_dataType"], event, record["_time"])
        seen.add(record["_dataType"])
    assert seen == set(DATA_TYPES)


def _objects(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(o for v in node.values() if isinstance(v, dict) for o in _objects(v))]


def _variants(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event with one key of one of its objects renamed, or moved last: as many keys, another shape."""
    out = []
    for i in range(len(_objects(event))):
        for key in list(_objects(event)[i]):
            for how in ("renamed", "moved"):
                copy = json.loads(json.dumps(event))
                obj = _objects(copy)[i]
                obj["zzRenamed" if how == "renamed" else key] = obj.pop(key)
                out.append(copy)
    return out


@pytest.mark.parametrize("fmt", ["ocsf", "ecs"])
def test_the_code_of_a_shape_writes_no_other_shape(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code compiled for one shape of event is found by the number of keys of each object: an event with
    as many keys but another one, or the same in another order, gets the text its own keys make."""
    event = json.loads((SAMPLES / "code42-file-event.json").read_text(encoding="utf-8"))
    monkeypatch.setattr(engine, "SHAPE_AFTER", 1)
    variants = _variants(event)
    assert len(variants) > 50
    for variant in variants:
        engine.forget_shapes()
        line = text_line_for(fmt, "fileEvents", {**META, "_dataType": "fileEvents"}, {})
        assert line is not None
        line(event, TIME)  # the sample's shape learned
        assert_line_is_dict(line, fmt, "fileEvents", variant, TIME, {})
        assert_line_is_dict(line, fmt, "fileEvents", event, TIME, {})


def test_a_custom_field_that_could_clash_leaves_it_to_the_dict() -> None:
    meta = {"_source": "s", "_dataType": "fileEvents"}
    assert text_line_for("ocsf", "fileEvents", meta, {"env": "x"}) is not None
    for name in ("file", "unmapped", "type_uid", "_mappingNotes", "_source"):
        assert text_line_for("ocsf", "fileEvents", meta, {name: "x"}) is None
    assert text_line_for("ecs", "fileEvents", meta, {"code42": "x"}) is None
    assert text_line_for("raw", "fileEvents", meta, {}) is None


def test_key_order_does_not_depend_on_the_hash_seed() -> None:
    """The order of a record's objects is the table's (it once followed set iteration, so changed per process)."""
    code = ("import json, sys; from c2c.normalize import mapper_for; "
            f"e = json.load(open({str(SAMPLES / 'code42-file-event.json')!r})); "
            "print(json.dumps([mapper_for(f, 'fileEvents')(e, '2024-01-02T03:04:05.678Z') for f in ('ocsf', 'ecs')]))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                           env=c2c_env(PYTHONHASHSEED=seed)).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1, outs
