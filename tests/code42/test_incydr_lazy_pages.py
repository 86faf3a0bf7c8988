"""A file-event page is decoded item by item (c2c.jsonstream): a body that is not a JSON object, or one cut
mid-array, is retried in the run and nothing of it is written; a body that stays broken ends the data type's
run before the page's checkpoint, and the next run re-reads it."""

from __future__ import annotations

import json

import pytest

from c2c.emulator.core import Fault
from c2c.errors import ThirdPartyGenericError
from c2c.jsonstream import LazyObject
from c2c.state import StateStore

PATH = "/v2/file-events"


@pytest.mark.parametrize(("text", "items", "members"), [
    ('{"a":1,"fileEvents":[{"x":1},{"y":[1,2]}],"nextPgToken":"t","problems":null}',
     [{"x": 1}, {"y": [1, 2]}], {"a": 1, "nextPgToken": "t", "problems": None}),
    (' { "fileEvents" : [ ] , "b" : 2 } ', [], {"b": 2}),
    ('{"b":[1],"fileEvents":[1, 2 ,3]}', [1, 2, 3], {"b": [1]}),
    ("{}", [], {}),
    ('{"fileEvents": null}', [], {"fileEvents": None}),
])
def test_lazy_object_decodes_like_json_loads(text, items, members):
    obj = LazyObject(text, "fileEvents")
    assert list(obj.items()) == items
    assert obj.members == members
    whole = json.loads(text)
    assert {k: v for k, v in whole.items() if not (k == "fileEvents" and isinstance(v, list))} == members


@pytest.mark.parametrize("text", ["<html>maintenance</html>", "[1,2]", '{"a":1 "b":2}', ""])
def test_a_body_that_is_not_a_json_object_fails_before_any_item(text):
    with pytest.raises(ValueError):  # noqa: PT011 -- json's own error type
        LazyObject(text, "fileEvents")


@pytest.mark.parametrize("text", ['{"fileEvents":[{"x":1},', '{"fileEvents":[1]} x', '{"fileEvents":[1}'])
def test_a_broken_item_or_tail_fails_when_reached(text):
    obj = LazyObject(text, "fileEvents")
    with pytest.raises(ValueError):  # noqa: PT011
        list(obj.items())


def test_a_page_broken_mid_array_is_not_checkpointed_and_is_read_again(incydr):
    h = incydr(events=300)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 100}
    good = h.run()
    assert good.outcome.error is None
    before = h.state()["cursors"]["fileEvents"]
    h.emu.clock.advance(600)  # new events arrive
    broken = '{"fileEvents":[{"event":{"id":"broken-1","inserted":"2030-01-01T00:00:00Z"}},{"event":'
    h.emu.inject(Fault(path=PATH, status=200, body=broken, count=-1))
    run = h.run()
    assert isinstance(run.outcome.error, ThirdPartyGenericError)
    assert "malformed body" in str(run.outcome.error)
    assert "incomplete body" in str(run.outcome.error)
    assert run.of("fileEvents") == []  # not even the whole first item of the cut body
    assert h.state()["cursors"]["fileEvents"] == before  # the broken page moved nothing
    h.emu.clear_faults()
    store = StateStore(h.state_dir)
    with store.open("incydr-test") as state:  # the operator does not wait for the backoff in a test
        state.data_type("fileEvents").next_attempt = None
        state.save()
    again = h.run()
    assert again.outcome.error is None
    first = {r["event"]["id"] for r in good.of("fileEvents")}
    after = {r["event"]["id"] for r in again.of("fileEvents")}
    now = h.emu.clock.now()
    assert first | after >= set(h.svc.file_events_between(now - 86400, now))
    assert not first & after  # the good run's events are not delivered twice


def test_a_page_cut_once_is_retried_in_the_run_and_nothing_of_it_is_written(incydr):
    h = incydr(events=300)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 100}
    broken = '{"fileEvents":[{"event":{"id":"broken-1","inserted":"2030-01-01T00:00:00Z"}},{"event":'
    h.emu.inject(Fault(path=PATH, status=200, body=broken, count=1))
    run = h.run()
    assert run.outcome.error is None
    ids = [r["event"]["id"] for r in run.of("fileEvents")]
    assert "broken-1" not in ids
    now = h.emu.clock.now()
    assert sorted(ids) == sorted(h.svc.file_events_between(now - 86400, now))
