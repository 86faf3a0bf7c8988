"""The output record of DESIGN §3: the vendor event whole, plus `_source`, `_sourceCategory`, `_dataType`,
`_time` and the custom fields."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from c2c.emulator.core import Fault

from .conftest import SOURCE_NAME, TRACKER_PATH, source_doc

TIME_FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ADDED = {"_source", "_sourceCategory", "_dataType", "_time"}


def _add_raw(realize, **event):
    event = {"id": len(realize.svc.store) + 1, **event}
    realize.svc.store.append(event)
    return event


def test_record_is_the_vendor_event_plus_metadata(realize, write_config, run_c2c):
    fields = {"team": "soc", "_siemForward": True, "tier": 2}
    conf = write_config(source_doc(realize.base_url, fields=fields))

    result = run_c2c(["run", conf])

    assert result.code == 0, result.stderr
    assert result.stdout.endswith("\n")
    assert len(result.records) == len(realize.svc.store)
    for record, vendor in zip(result.records, realize.svc.store, strict=True):
        assert record["_source"] == SOURCE_NAME
        assert record["_sourceCategory"] == "druva/realize"
        assert record["_dataType"] == "realizeEvents"
        expected_time = datetime.fromtimestamp(vendor["occurenceTime"], UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        assert record["_time"] == expected_time
        for key, value in fields.items():
            assert record[key] == value
        # Everything else is the vendor's event, whole (nested details included).
        rest = {k: v for k, v in record.items() if k not in ADDED and k not in fields}
        assert rest == vendor


def test_category_absent_when_not_configured(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url, category=None))
    records = run_c2c(["run", conf]).records
    assert records
    assert all("_sourceCategory" not in r for r in records)
    assert all(r["_source"] == SOURCE_NAME for r in records)


def test_vendor_keys_are_never_overwritten_silently(realize, write_config, run_c2c):
    realize.svc.store.clear()
    clash = _add_raw(realize, occurenceTime=1700000000, area="vendor area", _time="vendor time",
                     _source="vendor source", details={"location": "São Paulo", "note": "line\nbreak"})
    no_time = _add_raw(realize, area="no time")
    ms_time = _add_raw(realize, occurenceTime=1700000000123)  # milliseconds are read as such
    conf = write_config(source_doc(realize.base_url, fields={"area": "field area"}))

    result = run_c2c(["run", conf])

    assert result.code == 0, result.stderr
    first, second, third = result.records
    assert first["area"] == "vendor area"  # a vendor key wins over a custom field of the same name
    assert first["_vendor_time"] == "vendor time"  # a clashing vendor `_` key is kept under _vendor…
    assert first["_vendor_source"] == "vendor source"
    assert first["_source"] == SOURCE_NAME
    assert first["_time"] == "2023-11-14T22:13:20.000Z"
    assert first["details"] == clash["details"]
    assert TIME_FORM.match(second["_time"])  # no event time: the time of collection, same form
    assert second["id"] == no_time["id"]
    assert third["_time"] == "2023-11-14T22:13:20.123Z"
    assert third["id"] == ms_time["id"]
    raw = result.stdout.encode("utf-8")
    assert "São Paulo".encode() in raw  # UTF-8, not \\u escapes
    assert len(result.stdout.splitlines()) == 3  # a newline inside a value never splits a record


def test_every_time_has_the_one_form(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url, secretKey="wrong"))
    failed = run_c2c(["run", conf])
    [health] = failed.health
    assert TIME_FORM.match(health["_time"])
    assert health["_time"] == health["eventTime"]
    assert json.dumps(health)  # plain JSON


def test_a_vendor_item_that_is_not_an_object_is_kept_raw_not_a_crash(realize, write_config, run_c2c):
    realize.emu.inject(Fault(path=TRACKER_PATH, status=200, body={"events": ["oops", 42], "nextTrackerToken": ""}))
    conf = write_config(source_doc(realize.base_url))
    r = run_c2c(["run", conf])
    assert r.code == 0, r.stderr
    assert [(rec["_raw"], rec["_parseError"]) for rec in r.events] == [("oops", "not an event object"),
                                                                        (42, "not an event object")]
    [warning] = r.health  # said once, naming the data type, and collection goes on
    assert (warning["severityLevel"], warning["details"]["dataType"]) == ("Warning", "realizeEvents")
    assert warning["details"]["undecodedItems"] == 2
    assert run_c2c(["run", conf]).ids == realize.ids  # the chain goes on
