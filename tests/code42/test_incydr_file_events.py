"""fileEvents: windowed on event.inserted, overlap + event.id dedupe, page tokens, mid-backfill stops."""

from __future__ import annotations

import time

from c2c.emulator.core import Fault

PATH = "/v2/file-events"


def ids(records: list[dict]) -> list[str]:
    return [r["event"]["id"] for r in records]


def test_backfill_then_second_run_emits_nothing_new(incydr):
    h = incydr(events=600)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 100}
    first = h.run()
    assert first.outcome.error is None
    got = ids(first.of("fileEvents"))
    now = h.emu.clock.now()
    expected = h.svc.file_events_between(now - 24 * 3600, now)
    assert len(got) == len(set(got))
    assert set(got) == set(expected)
    assert len(got) >= 590  # the few still waiting for their indexing lag are not searchable yet
    again = h.run()
    assert again.of("fileEvents") == []


def test_late_events_inside_the_overlap_are_delivered(incydr):
    h = incydr(events=200, late_permille=0)
    h.extra = {"dataCollection": ["fileEvents"], "overlapSeconds": 300}
    first = set(ids(h.run().of("fileEvents")))
    assert len(first) == 200
    now = h.emu.clock.now()
    # Inserted 2 minutes ago but only searchable now (indexing lag), and one seen by its device 3 days ago.
    lagged = h.svc.add_file_event(inserted=now - 120, visible=now + 10, event_id="late-indexed-1")
    offline = h.svc.add_file_event(inserted=now + 5, timestamp=now - 3 * 86400, event_id="offline-laptop-1")
    h.emu.clock.advance(30)
    second = h.run()
    got = ids(second.of("fileEvents"))
    assert {lagged["event"]["id"], offline["event"]["id"]} <= set(got)
    # ... and otherwise exactly what became searchable since (the emulator keeps inserting events).
    now = h.emu.clock.now()
    assert sorted(got) == sorted(set(h.svc.file_events_between(now - 86400, now)) - first)
    by_id = {r["event"]["id"]: r for r in second.of("fileEvents")}
    # _time is when it happened (@timestamp), even though it arrived days later.
    assert by_id["offline-laptop-1"]["_time"] == offline["@timestamp"][:23] + "Z"
    assert h.run().of("fileEvents") == []


def test_request_shape_windows_on_inserted_with_empty_first_token(incydr):
    h = incydr(events=250)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 100}
    h.run()
    bodies = h.bodies(PATH)
    assert len(bodies) == 3
    first = bodies[0]
    assert first["pgToken"] == ""  # never null: null silently caps a search at 10,000 results
    assert (first["srtKey"], first["srtDir"], first["pgSize"]) == ("event.inserted", "asc", 100)
    [group] = first["groups"]
    assert [(f["term"], f["operator"]) for f in group["filters"]] == [
        ("event.inserted", "ON_OR_AFTER"), ("event.inserted", "ON_OR_BEFORE")]
    assert all(f["value"].endswith("Z") and len(f["value"]) == 24 for f in group["filters"])
    # later pages follow nextPgToken (the last event.id of the page before), same window
    assert bodies[1]["pgToken"]
    assert bodies[1]["groups"] == first["groups"]
    oauth = h.emu.requests_to("/v1/oauth")
    assert len(oauth) == 1
    assert oauth[0].headers["authorization"].startswith("Basic ")
    assert oauth[0].body == b""
    assert all(r.headers["authorization"].startswith("Bearer ") for r in h.emu.requests_to(PATH))


def test_invalid_page_token_recovery_loses_and_repeats_nothing(incydr):
    h = incydr(events=500)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 60}
    h.emu.inject(Fault(path=PATH, status=400, skip=2, count=1,
                       body={"fileEvents": None, "nextPgToken": None, "totalCount": 0,
                             "problems": [{"type": "INVALID_PAGE_TOKEN", "description": "Invalid page token"}]}))
    run = h.run()
    assert run.outcome.error is None
    got = ids(run.of("fileEvents"))
    now = h.emu.clock.now()
    assert len(got) == len(set(got))
    assert set(got) == set(h.svc.file_events_between(now - 86400, now))
    tokens = [b["pgToken"] for b in h.bodies(PATH)]
    assert tokens[3] == ""  # the rejected token was not retried: the window restarted from where it was


def test_stopping_mid_backfill_keeps_the_window_and_continues(incydr):
    h = incydr(events=900)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 100}
    seen: list[str] = []
    windows = set()
    for _ in range(30):
        run = h.run(max_seconds=0)  # stop after every page
        seen += ids(run.of("fileEvents"))
        cursor = h.state()["cursors"]["fileEvents"]
        if cursor["windowEnd"] is None:
            break
        windows.add(cursor["windowEnd"])
    assert len(windows) == 1  # the window end stayed fixed until the window was finished
    now = h.emu.clock.now()
    assert len(seen) == len(set(seen))
    assert set(seen) == set(h.svc.file_events_between(now - 86400, now))


def test_dedupe_state_is_bounded_by_the_overlap_not_the_backlog(incydr):
    # 3000 events over 12 h: one every 14.4 s, so a 300 s overlap holds about 21 ids.
    h = incydr(events=3000)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 500}
    assert len(h.run().of("fileEvents")) > 2900
    cursor = h.state()["cursors"]["fileEvents"]
    assert 0 < len(cursor["ids"]) < 60


def test_both_id_forms_and_nanoseconds_are_handled(incydr):
    h = incydr(events=300)
    h.extra = {"dataCollection": ["fileEvents"]}
    records = h.run().of("fileEvents")
    forms = {"endpoint" if i.startswith("0_") else "cloud" for i in ids(records)}
    assert forms == {"endpoint", "cloud"}
    assert any(len(r["event"]["inserted"]) == 30 for r in records)  # nanosecond digits kept as sent
    for r in records:
        assert len(r["_time"]) == 24
        assert r["_time"] == r["@timestamp"][:23] + "Z"


def test_window_start_comes_from_the_first_run_look_back(incydr):
    h = incydr(events=100, span_s=48 * 3600)  # half of them older than the default 24 h look-back
    h.extra = {"dataCollection": ["fileEvents"], "firstRunLookbackHours": 24}
    got = h.run().of("fileEvents")
    assert 40 <= len(got) <= 60
    start = h.bodies(PATH)[0]["groups"][0]["filters"][0]["value"]
    assert abs(time.mktime(time.strptime(start[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
               - (time.time() - 86400)) < 120


def test_query_timeout_shrinks_the_page_and_loses_nothing(incydr):
    h = incydr(events=1200)
    h.extra = {"dataCollection": ["fileEvents"], "fileEventsPageSize": 800}
    h.emu.inject(Fault(path=PATH, status=500, skip=1, count=1, body={"fileEvents": None, "problems": [
        {"type": "QUERY_TIMEOUT", "description": "Request timed out.  Refine your filter criteria and try again."}]}))
    run = h.run()
    assert run.outcome.error is None
    got = ids(run.of("fileEvents"))
    now = h.emu.clock.now()
    assert sorted(got) == sorted(h.svc.file_events_between(now - 86400, now))
    assert [b["pgSize"] for b in h.bodies(PATH)][:4] == [800, 800, 200, 200]
