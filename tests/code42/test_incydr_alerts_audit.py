"""alerts (sessions) and auditEvents against the emulator."""

from __future__ import annotations

from collections import Counter

SESSIONS = "/v1/sessions"
AUDIT = "/v1/audit/search-audit-log"


def test_sessions_with_alerts_once_each_then_reemitted_once_when_they_change(incydr):
    h = incydr(events=400, sessions=120)
    h.extra = {"dataCollection": ["alerts"]}
    first = h.run().of("alerts")
    store = h.svc.session_store
    with_alerts = {s["sessionId"] for s in store.items if s["triggeredAlerts"]}
    assert len(first) == len(with_alerts) > 50
    assert {s["sessionId"] for s in first} == with_alerts
    assert h.run().of("alerts") == []

    quiet = next(s for s in store.items if not s["triggeredAlerts"])
    store.touch(quiet, int(h.emu.clock.now() * 1000), alert=True)  # a session gains an alert
    again = h.run().of("alerts")
    assert [s["sessionId"] for s in again] == [quiet["sessionId"]]
    assert again[0]["triggeredAlerts"]
    assert again[0]["_time"].endswith("Z")
    assert h.run().of("alerts") == []


def test_sessions_mutating_with_the_clock_are_never_emitted_twice_for_one_version(incydr):
    h = incydr(events=200, sessions=60, mutate_every_s=60)
    h.extra = {"dataCollection": ["alerts"]}
    emitted: list[tuple[str, int]] = []
    for _ in range(6):
        emitted += [(s["sessionId"], s["lastUpdated"]) for s in h.run().of("alerts")]
        h.emu.clock.advance(600)  # ten mutations between runs
    assert len(emitted) == len(set(emitted))
    assert len({sid for sid, _ in emitted}) < len(emitted)  # some sessions were re-emitted after changing
    # the cursor only holds sessions inside the look-back
    assert len(h.state()["cursors"]["alerts"]["sessions"]) <= len(h.svc.session_store.items)


def test_sessions_request_shape(incydr):
    h = incydr(events=100)
    h.extra = {"dataCollection": ["alerts"], "alertsLookbackHours": 72}
    h.run()
    [req] = h.emu.requests_to(SESSIONS)
    q = {k: v[-1] for k, v in req.query.items()}
    assert q["has_alerts"] == "true"
    assert q["order_by"] == "end_time"
    assert q["page_size"] == "50"
    assert q["page_number"] == "0"
    assert abs(int(q["on_or_after"]) - (h.emu.clock.now() - 72 * 3600) * 1000) < 5000


def test_audit_events_closed_range_newest_first_pages_emitted_oldest_first(incydr):
    h = incydr(events=700)
    h.extra = {"dataCollection": ["auditEvents"], "auditEventsPageSize": 100}
    records = h.run().of("auditEvents")
    assert len(records) == 700  # including pairs of identical events at one instant: both are real
    bodies = h.bodies(AUDIT)
    assert [b["page"] for b in bodies] == list(range(8))
    ends = {b["dateRange"]["endTime"] for b in bodies}
    assert len(ends) == 1
    assert None not in ends
    assert isinstance(bodies[0]["dateRange"]["startTime"], float)
    first_page = [r["timestamp"] for r in records[:100]]
    assert first_page == sorted(first_page)  # each page oldest first
    dup = Counter(tuple(sorted((k, str(v)) for k, v in r.items() if not k.startswith("_"))) for r in records)
    assert max(dup.values()) == 2
    assert h.run().of("auditEvents") == []


def test_audit_new_events_and_overlap(incydr):
    h = incydr(events=300)
    h.extra = {"dataCollection": ["auditEvents"]}
    assert len(h.run().of("auditEvents")) == 300
    h.emu.clock.advance(3600)  # the emulator keeps writing audit events: 25 more in an hour
    new = h.run().of("auditEvents")
    assert 15 <= len(new) <= 35
    assert h.run().of("auditEvents") == []
    hashes = h.state()["cursors"]["auditEvents"]["hashes"]
    assert len(hashes) < 10  # only the events inside the overlap are remembered


def test_audit_stopped_mid_window_continues_without_loss_or_repeat(incydr):
    h = incydr(events=650)
    h.extra = {"dataCollection": ["auditEvents"], "auditEventsPageSize": 50}
    seen = []
    for _ in range(30):
        seen += h.run(max_seconds=0).of("auditEvents")
        if h.state()["cursors"]["auditEvents"]["window"] is None:
            break
    keys = Counter(tuple(sorted((k, str(v)) for k, v in r.items() if not k.startswith("_"))) for r in seen)
    assert len(seen) == 650
    assert max(keys.values()) <= 2
    assert h.run().of("auditEvents") == []
