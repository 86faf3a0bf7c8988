"""Bad input never fails nor drops a record: an unknown enum value, a missing field or a field of another
type leaves a valid OCSF / ECS record, with the value kept (unmapped / code42.* / druva.*) and a note."""

from __future__ import annotations

import calendar
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2c.normalize.convert import record_ms
from c2c.normalize.engine import compile_table
from c2c.normalize.table import Table, f
from c2c.output import RecordMaker

from .conftest import REPO, c2c_env
from .schemas import ecs_errors, event_part, ocsf_errors
from .test_samples import SAMPLE_TYPES, SAMPLES
from .textpath import assert_text_is_dict

TIME = "2024-01-02T03:04:05.678Z"
EVENTS = [(name, e) for name in sorted(SAMPLE_TYPES)
          for e in (lambda d: d if isinstance(d, list) else [d])(json.loads((SAMPLES / name).read_text("utf-8")))]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
                    max_leaves=6)


def paths(value: Any, at: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [at] if at else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*at, k))
    return out


def mapped(name: str, event: dict[str, Any], fmt: str) -> dict[str, Any]:
    maker = RecordMaker("fuzz", None, {}, SAMPLE_TYPES[name], output_format=fmt)
    return json.loads(maker.line(event, TIME))


def valid(fmt: str, record: dict[str, Any]) -> list[str]:
    event = event_part(record)
    return ocsf_errors(event) if fmt == "ocsf" else ecs_errors(event)


def dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pick=st.integers(0, 10**6), edits=st.lists(st.tuples(st.integers(0, 10**6), JSON, st.booleans()), min_size=1,
                                                   max_size=4), fmt=st.sampled_from(["ocsf", "ecs"]))
def test_any_fields_replaced_or_removed_still_map(pick: int, edits: list[tuple[int, Any, bool]], fmt: str) -> None:
    name, original = EVENTS[pick % len(EVENTS)]
    event = json.loads(json.dumps(original))
    for spot, value, remove in edits:
        where = paths(event)
        if not where:
            break
        path = where[spot % len(where)]
        parent = dig(event, path[:-1]) if len(path) > 1 else event
        if remove:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    record = mapped(name, event, fmt)
    assert_text_is_dict(fmt, SAMPLE_TYPES[name], event, TIME)
    assert record["_dataType"] == SAMPLE_TYPES[name]
    assert valid(fmt, record) == [], (edits, record)
    for note in record.get("_mappingNotes", []):
        assert isinstance(note, str)
    if fmt == "ecs" and "_mappingNotes" in record:
        assert json.loads(record["event"]["original"]) == event  # the event stays whole


def test_unknown_enum_value_is_noted_and_kept() -> None:
    event = json.loads((SAMPLES / "code42-file-event.json").read_text("utf-8"))
    event["event"]["action"] = "file-teleported"
    event["file"]["sizeInBytes"] = "about 48 kB"
    record = mapped("code42-file-event.json", event, "ocsf")
    assert valid("ocsf", record) == []
    assert (record["class_uid"], record["activity_id"]) == (1001, 99)  # File System Activity: Other
    notes = " | ".join(record["_mappingNotes"])
    assert 'event.action "file-teleported"' in notes
    assert 'file.sizeInBytes: "about 48 kB" did not convert (integer)' in notes
    assert record["unmapped"]["file"]["sizeInBytes"] == "about 48 kB"
    assert record["metadata"]["event_code"] == "file-teleported"

    ecs = mapped("code42-file-event.json", event, "ecs")
    assert ecs_errors(event_part(ecs)) == []
    assert ecs["code42"]["file"]["sizeInBytes"] == "about 48 kB"
    assert json.loads(ecs["event"]["original"]) == event


def test_missing_required_fields_fall_back_to_a_class_that_fits() -> None:
    event = json.loads((SAMPLES / "code42-file-event.json").read_text("utf-8"))
    del event["file"]["name"]
    record = mapped("code42-file-event.json", event, "ocsf")
    assert valid("ocsf", record) == []
    assert record["class_uid"] == 0  # Base Event
    assert any("file.name" in n and "Base Event" in n for n in record["_mappingNotes"])
    assert record["unmapped"]["file"]["directory"] == "C:\\Users\\ana\\Documents\\"


def test_a_container_of_another_type_is_kept_whole() -> None:
    event = json.loads((SAMPLES / "code42-file-event.json").read_text("utf-8"))
    event["file"] = "not an object"
    record = mapped("code42-file-event.json", event, "ocsf")
    assert valid("ocsf", record) == []
    assert record["unmapped"]["file"] == "not an object"
    assert any("file.name" in n for n in record["_mappingNotes"])  # no file name: Base Event
    ecs = mapped("code42-file-event.json", event, "ecs")
    assert valid("ecs", ecs) == []
    assert ecs["code42"]["file"] == "not an object"
    assert any(n.startswith("file: expected an object") for n in ecs["_mappingNotes"])


def test_an_event_that_did_not_parse_stays_as_it_is() -> None:
    event = {"_raw": "garbage line", "_parseError": "not CEF"}
    maker = RecordMaker("x", None, {}, "insyncEvents", output_format="ocsf")
    assert json.loads(maker.line(event, TIME)) == {**event, "_source": "x", "_dataType": "insyncEvents",
                                                   "_time": TIME}


def test_raw_mode_never_imports_the_mapping(tmp_path: Path) -> None:
    import subprocess

    code = ("import sys, io; from c2c.parse_cmd import run_parse; "
            f"run_parse('cef', {str(REPO / 'tests' / 'data' / 'insync-cef.txt')!r}, out=io.BytesIO(), "
            "err=io.StringIO()); print(sorted(m for m in sys.modules if m.startswith('c2c.normalize')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=c2c_env(), check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=253402300799999))
def test_the_record_time_in_ms_is_the_time_c2c_wrote(ms: int) -> None:
    """OCSF `time` comes from the record's own `_time` (an hour cache and one parse per event)."""

    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"
    assert record_ms(text) == ms
    assert calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + ms % 1000 == ms


def test_a_table_cannot_write_a_key_of_c2cs_own() -> None:
    """RecordMaker adds `_source` / `_time` … to a mapped record without looking for a clash: the engine refuses
    a table that would write one."""

    with pytest.raises(ValueError, match="_time is a c2c key"):
        compile_table(Table("x", "ecs", "x", rows=(f("_time", "when"),)))
