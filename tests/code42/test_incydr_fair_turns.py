"""Data types take turns page by page under the one rate budget: a backlog of audit events and sessions does
not delay file events (issue #10: 71 s without a file event), and the budget holds (<= 120 in any 60 s)."""

from __future__ import annotations

from c2c import ratelimit

DATA_PATHS = {"/v2/file-events": "fileEvents", "/v1/sessions": "alerts", "/v1/audit/search-audit-log": "auditEvents"}


def test_file_events_come_within_the_first_turn_despite_big_audit_and_session_backlogs(incydr):
    h = incydr(events=2000, audit_events=20_000, sessions=11_500, late_permille=0, rate_limit=120, rate_window=60)
    h.extra = {"auditEventsPageSize": 100, "fileEventsPageSize": 500, "requestsPerMinute": 100}
    ratelimit.install(f"{h.emu.base_url}\0{h.client_id}",
                      ratelimit.TokenBucket(100, 10, clock=h.emu.clock.now, sleep=h.emu.clock.advance))
    run = h.run()
    assert run.outcome.error is None, run.outcome.error

    data = [r for r in h.emu.requests if r.path in DATA_PATHS]
    order = [DATA_PATHS[r.path] for r in data]
    assert order.count("auditEvents") >= 200
    assert order.count("alerts") >= 150
    assert order.index("fileEvents") <= 2, order[:6]  # in the first turn
    assert order[:9].count("fileEvents") == 3  # and one page per turn while the others have backlogs
    # On stdout too: the first file event follows at most one page of each other data type.
    types = [r["_dataType"] for r in run.records]
    assert types.index("fileEvents") <= 100 + 50
    assert len(run.of("fileEvents")) == 2000
    assert len(run.of("auditEvents")) == 20_000

    times = sorted(r.at for r in data)
    busiest = max(sum(1 for t in times[i:] if t < start + 60) for i, start in enumerate(times))
    assert busiest <= 120
    assert h.svc.throttled == 0
