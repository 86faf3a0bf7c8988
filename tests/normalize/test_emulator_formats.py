"""`c2c run` against the emulator (real HTTP), every source in raw, ocsf and ecs: every record of every
data type maps, validates against OCSF 1.8.0 / ECS 9.4.0, keeps c2c's keys, and loses nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from c2c import timefmt

from .conftest import DATA_TYPES
from .schemas import ecs_errors, event_part, ocsf_errors

ENVELOPE = ("_source", "_sourceCategory", "_dataType", "_time")
# The vendor's id (inSync: either naming; v1 CEF/Syslog lines have none)
VENDOR_ID = {"realizeEvents": [("id",)], "insyncEvents": [("eventID",), ("EventID",)], "fileEvents": [("event", "id")],
             "alerts": [("sessionId",)]}


def by_type(records: list[dict[str, Any]]) -> Counter[str]:
    return Counter(r["_dataType"] for r in records)


def test_every_data_type_is_collected_in_every_format(emulator_records: dict[str, list[dict[str, Any]]]) -> None:
    raw = by_type(emulator_records["raw"])
    assert set(DATA_TYPES) <= set(raw), raw
    for fmt in ("ocsf", "ecs"):
        assert by_type(emulator_records[fmt]) == raw, fmt  # the same events, none dropped


@pytest.mark.parametrize("fmt", ["ocsf", "ecs"])
def test_records_keep_c2c_keys_and_custom_fields(emulator_records: dict[str, list[dict[str, Any]]], fmt: str) -> None:
    for record in emulator_records[fmt]:
        for key in ENVELOPE:
            assert key in record, (key, record)
        assert record["env"] == "demo"  # the config's custom field
        assert timefmt.from_iso(record["_time"]) == record["_time"]


def test_health_records_are_never_mapped() -> None:
    from c2c import health
    from c2c.output import RecordMaker

    rec = health.record(source_name="s", event_name="ThirdPartyGenericError", healthy=False, state="Error",
                        error="boom", description="boom: 503")
    lines = {fmt: RecordMaker("s", "c", {"env": "x"}, "health", output_format=fmt).line(rec, rec["eventTime"])
             for fmt in ("raw", "ocsf", "ecs")}
    assert lines["ocsf"] == lines["raw"] == lines["ecs"]


def _mapped(records: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each mapped record (health records stay raw) with its event part (c2c's metadata and custom fields off)."""
    for record in records:
        if record["_dataType"] != "health":
            yield record, event_part(record, ("env",))


def test_every_ocsf_record_validates_against_its_class(emulator_records: dict[str, list[dict[str, Any]]]) -> None:
    classes: Counter[tuple[str, int]] = Counter()
    for record, event in _mapped(emulator_records["ocsf"]):
        assert ocsf_errors(event) == [], (record["_dataType"], event)
        assert event["metadata"]["version"] == "1.8.0"
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        assert event["time"] == timefmt.to_epoch_ns(record["_time"]) // 1_000_000
        classes[record["_dataType"], event["class_uid"]] += 1
    # The class is chosen per event where the vendor's kind of event says so.
    chosen = {dt: {c for (d, c) in classes if d == dt} for dt in DATA_TYPES}
    assert {1001, 6006, 4011} <= chosen["fileEvents"], classes
    assert {3002, 6003} <= chosen["auditEvents"], classes
    assert {2006} <= chosen["alerts"], classes
    assert {3002, 2006, 6003} <= chosen["realizeEvents"], classes
    assert {3002, 3004, 1006, 2004} <= chosen["insyncEvents"], classes


def test_every_ecs_field_exists_in_ecs_9_4(emulator_records: dict[str, list[dict[str, Any]]]) -> None:
    for record, event in _mapped(emulator_records["ecs"]):
        assert ecs_errors(event) == [], (record["_dataType"], event)
        assert event["ecs"]["version"] == "9.4.0"
        assert event["@timestamp"] == record["_time"]
        assert event["event"]["kind"] in ("event", "alert")


def _dig(event: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(event, dict):
            return None
        event = event.get(key)
    return event


def test_vendor_ids_are_carried(emulator_records: dict[str, list[dict[str, Any]]]) -> None:
    """The vendor's id of each event reaches metadata.uid (OCSF) and event.id (ECS), in the same order."""
    def ids(fmt: str, data_type: str) -> list[str | None]:
        out: list[str | None] = []
        for r in emulator_records[fmt]:
            if r["_dataType"] != data_type:
                continue
            if fmt == "raw":
                value = next((v for p in VENDOR_ID[data_type] if (v := _dig(r, p)) is not None), None)
                out.append(None if value is None else str(value))
            elif fmt == "ocsf":
                out.append(r["metadata"].get("uid"))
            else:
                out.append(r["event"].get("id"))
        return out

    for data_type in VENDOR_ID:
        raw = ids("raw", data_type)
        assert [i for i in raw if i is not None], data_type
        assert ids("ocsf", data_type) == raw, data_type
        assert ids("ecs", data_type) == raw, data_type


def _leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        return [(path, value)]
    return [(path, value)]


def _values(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {x for v in value.values() for x in _values(v)}
    if isinstance(value, list):
        return {x for v in value for x in _values(v)}
    return {str(value)}


@pytest.mark.parametrize(("fmt", "kept"), [("ocsf", "unmapped"), ("ecs", None)])
def test_nothing_is_dropped(emulator_records: dict[str, list[dict[str, Any]]], fmt: str, kept: str | None) -> None:
    """Every non-empty vendor value is either kept at its own path (unmapped / code42.* / druva.*) or
    written (maybe converted: a time in ms, a number as text) somewhere in the mapped record."""
    raw = [r for r in emulator_records["raw"] if r["_dataType"] != "health"]
    mapped = [r for r in emulator_records[fmt] if r["_dataType"] != "health"]
    assert len(raw) == len(mapped)
    for before, after in zip(raw, mapped, strict=True):
        namespace = kept or ("code42" if before["_dataType"] in ("fileEvents", "alerts", "auditEvents") else "druva")
        store = after.get(namespace, {})
        written = _values({k: v for k, v in after.items() if k != namespace})
        vendor = {k: v for k, v in before.items() if not k.startswith("_") and k != "env"}
        for path, value in _leaves(vendor):
            if value in (None, [], {}, ""):
                continue
            if _dig(store, path) == value:
                continue
            texts = _values(value)
            converted = set()
            for t in texts:
                try:
                    converted.add(str(timefmt.to_epoch_ns(t) // 1_000_000))
                    converted.add(timefmt.from_iso(t))
                except (ValueError, OverflowError):
                    pass
                if t.isdigit() and len(t) <= 13:  # epoch seconds or milliseconds
                    converted.add(str(int(t) * 1000))
                    converted.add(timefmt.from_epoch(int(t)))
                    converted.add(timefmt.from_epoch_ms(int(t)))
            assert texts & written or converted & written, (before["_dataType"], path, value, after)
