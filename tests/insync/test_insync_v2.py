"""Tracker API v2 (OAuth) end to end against the emulator over HTTP."""

from __future__ import annotations

from insync_helpers import SECRET, Collector, c2c, ndjson, v2_config, write_config

from c2c.emulator.core import Emulator, Fault
from c2c.emulator.insync import V2_PATH, InSyncService, render_v2
from c2c.errors import ThirdPartyConfigError


def tracker_requests(emu: Emulator) -> list[str | None]:
    return [r.arg("tracker") for r in emu.requests_to(V2_PATH)]


def test_events_are_emitted_as_druva_sends_them(emu: Emulator, insync: InSyncService, collector: Collector):
    run = collector.run(v2_config(emu.base_url))
    assert run.outcomes[0].error is None
    assert run.health == []
    assert len(run.events) == 250
    for got, sent in zip(run.events, insync.store, strict=True):
        vendor = {k: v for k, v in got.items() if not k.startswith("_")}
        assert vendor == render_v2(sent)  # lowercase keys, initiator null, numbers as numbers
        assert got["_time"] == sent["timestamp"].replace("Z", ".000Z")
        assert got["_dataType"] == "insyncEvents"
    assert any(e["initiator"] is None for e in run.events)


def test_tracker_is_url_encoded_kept_across_runs_and_nothing_is_emitted_twice(
        emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v2_config(emu.base_url)
    first = collector.run(cfg)
    assert len(first.events) == 250
    issued = insync.issued_trackers
    assert all(c in issued[0] for c in "+/=")  # so a client that does not URL-encode it breaks
    # The server decodes the query string; getting back exactly what it issued proves the encoding.
    assert tracker_requests(emu) == [None, issued[0], issued[1]]
    assert collector.cursor(cfg["name"])["tracker"] == issued[2]

    second = collector.run(cfg)
    assert second.records == []
    assert tracker_requests(emu)[3] == issued[2]
    assert len(insync.issued_trackers) == 3  # nothing new: the server answered with the same tracker
    assert collector.cursor(cfg["name"])["tracker"] == issued[2]

    insync.add_events(10)
    third = collector.run(cfg)
    assert [e["eventID"] for e in third.events] == [e["eventID"] for e in insync.store[250:]]
    assert third.health == []


def test_pages_hold_at_most_500_events(emu: Emulator, collector: Collector):
    service = InSyncService(emu, "c", "s", seed=3, events=1200, page_size=5000)
    run = collector.run(v2_config(emu.base_url) | {"clientID": "c", "secretKey": "s"})
    assert len(run.events) == 1200
    assert [e["eventID"] for e in run.events] == [e["eventID"] for e in service.store]
    assert len(emu.requests_to(V2_PATH)) == 3  # 500 + 500 + 200 (nextPageExists false)


def test_timeStamp_spelling_sets_time_too(emu: Emulator, collector: Collector):
    service = InSyncService(emu, "c", "s", seed=3, events=5, v2_time_key="timeStamp")
    run = collector.run(v2_config(emu.base_url) | {"clientID": "c", "secretKey": "s"})
    assert [e["_time"] for e in run.events] == [e["timestamp"].replace("Z", ".000Z") for e in service.store]
    assert all("timeStamp" in e and "timestamp" not in e for e in run.events)


def test_invalid_tracker_restarts_without_it_with_a_warning_and_the_duplicates_counted(
        emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v2_config(emu.base_url)
    collector.run(cfg)
    with collector.store.open(cfg["name"]) as state:
        state.cursor("insyncEvents")["tracker"] = "bm90IGEgdHJhY2tlcg=="
        state.save()
    run = collector.run(cfg)
    [warning] = run.health
    assert warning["severityLevel"] == "Warning"
    assert "Invalid tracker" in warning["details"]["description"]
    assert warning["details"]["duplicates"] == 250
    assert tracker_requests(emu)[3:5] == ["bm90IGEgdHJhY2tlcg==", None]
    assert len(run.events) == 250
    cursor = collector.cursor(cfg["name"])
    assert cursor["duplicates"] == 250
    assert cursor["restarts"] == 1
    assert cursor["tracker"] == insync.issued_trackers[-1]


def test_tracker_older_than_48h_is_resumed_with_ignoreTrackerExpiry(
        emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v2_config(emu.base_url)
    collector.run(cfg)
    emu.clock.advance(49 * 3600)
    insync.add_events(5)
    run = collector.run(cfg)
    assert run.health == []  # no restart, no duplicates
    assert [e["eventID"] for e in run.events] == [e["eventID"] for e in insync.store[250:]]
    old_tracker = insync.issued_trackers[2]
    after = emu.requests_to(V2_PATH)[3:]  # (the access token expired too: one 401, then a fresh token)
    assert after[0].arg("tracker") == old_tracker
    assert after[0].arg("ignoreTrackerExpiry") is None
    assert [r.arg("tracker") for r in after if r.arg("ignoreTrackerExpiry") == "true"] == [old_tracker]


def test_tracker_denied_even_with_the_expiry_waived_restarts_instead_of_stalling(
        emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v2_config(emu.base_url)
    collector.run(cfg)
    emu.inject(Fault(path=V2_PATH, status=403, count=2,
                     body={"Message": "User is not authorized to access this resource with an explicit deny"}))
    run = collector.run(cfg)
    [warning] = run.health
    assert warning["details"]["duplicates"] == 250
    assert "explicit deny" in warning["details"]["description"]
    assert len(run.events) == 250
    assert collector.cursor(cfg["name"])["restarts"] == 1


def test_no_licence_on_v2_is_a_config_error(emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v2_config(emu.base_url)
    collector.run(cfg)
    insync.licensed = False
    run = collector.run(cfg)
    assert isinstance(run.outcomes[0].error, ThirdPartyConfigError)
    assert [h["eventName"] for h in run.health] == ["ThirdPartyConfigError"]
    assert run.events == []
    assert collector.cursor(cfg["name"])["tracker"] == insync.issued_trackers[-1]  # the cursor is kept


def test_bad_secret_exits_4_without_printing_it(emu: Emulator, insync: InSyncService, tmp_path):
    cfg = write_config(tmp_path / "v2.json", v2_config(emu.base_url, secretKey="wrong-secret-value"))
    proc = c2c("run", str(cfg), "--state-dir", str(tmp_path / "state"))
    assert proc.returncode == 4
    [health] = ndjson(proc.stdout)
    assert health["eventName"] == "ThirdPartyConfigError"
    assert "invalid_grant" in health["details"]["description"]
    assert b"wrong-secret-value" not in proc.stdout + proc.stderr
    assert SECRET.encode() not in proc.stderr
    assert emu.requests_to(V2_PATH) == []
