"""Auth (token cache, refresh, invalid_client) and the shared request budget (token bucket, 429s)."""

from __future__ import annotations

import json

import pytest

from c2c import ratelimit
from c2c.emulator.core import Fault

FILES = "/v2/file-events"


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_invalid_client_is_a_config_error_with_health_record_and_exit_4(incydr):
    h = incydr(events=20)
    proc = h.subprocess(secretKey="wrong-secret")
    assert proc.returncode == 4, proc.stderr
    [health] = lines(proc.stdout)
    assert health["_dataType"] == "health"
    assert health["eventName"] == "ThirdPartyConfigError"
    assert health["status"] == "UnHealthy"
    assert "invalid_client" in health["details"]["description"]
    assert "wrong-secret" not in proc.stdout + proc.stderr
    # not retried while the config is unchanged: no second token request, same exit code, no new record
    again = h.subprocess(secretKey="wrong-secret")
    assert again.returncode == 4
    assert again.stdout == ""
    assert len(h.emu.requests_to("/v1/oauth")) == 1


def test_token_is_reused_across_runs_while_valid(incydr):
    h = incydr(events=30)
    for _ in range(3):
        proc = h.subprocess()
        assert proc.returncode == 0, proc.stderr
    assert len(h.emu.requests_to("/v1/oauth")) == 1
    assert h.svc.issuer.issued == 1
    # the token lives in the state file (0600); the secret never does
    assert all(h.svc.secret not in p.read_text() for p in h.state_dir.glob("*.json"))


def test_expired_token_is_refreshed_once_on_401_and_the_run_succeeds(incydr):
    h = incydr(events=50)
    h.extra = {"dataCollection": ["fileEvents"]}
    assert h.run().outcome.error is None
    h.svc.issuer.expire_all()  # the server forgets the token before its cached expiry
    h.svc.add_file_event(inserted=h.emu.clock.now() - 1, event_id="after-expiry")
    run = h.run()
    assert run.outcome.error is None
    assert [r["event"]["id"] for r in run.of("fileEvents")] == ["after-expiry"]
    assert len(h.emu.requests_to("/v1/oauth")) == 2


def test_a_token_the_server_keeps_refusing_is_a_config_error(incydr):
    h = incydr(events=10)
    h.extra = {"dataCollection": ["fileEvents"]}
    h.emu.inject(Fault(path=FILES, status=401, count=-1, body={"message": "Unauthorized"}))
    run = h.run()
    assert run.outcome.error is not None
    assert run.outcome.error.event_name == "ThirdPartyConfigError"
    assert len(h.emu.requests_to(FILES)) == 2  # one refresh-and-retry, no more


@pytest.mark.parametrize(("mode", "expect", "window"), [("seconds", "exact", 30), ("date", "date", 30),
                                                       ("none", "backoff", 10)])
def test_429_honours_retry_after_in_seconds_or_as_a_date(incydr, mode, expect, window):
    h = incydr(events=50, retry_after=mode, rate_limit=3, rate_window=window)
    h.extra = {"dataCollection": ["auditEvents", "alerts", "fileEvents"], "auditEventsPageSize": 10}
    run = h.run()
    assert run.outcome.error is None
    assert h.svc.throttled >= 1
    assert len(run.of("auditEvents")) == 50
    assert len(run.of("fileEvents")) == 50
    assert h.sleeps
    if expect == "exact":
        assert all(s == float(int(s)) and 1 <= s <= 30 for s in h.sleeps)
    elif expect == "date":
        assert all(0 <= s <= 32 for s in h.sleeps)
    else:  # no header: exponential backoff from 5 s, with jitter
        assert all(2.5 <= s <= 30 for s in h.sleeps)


def test_one_budget_for_three_data_types_backfilling_stays_under_120_per_minute(incydr):
    h = incydr(events=5000, sessions=900, rate_limit=120, rate_window=60)
    h.extra = {"auditEventsPageSize": 50, "fileEventsPageSize": 50, "requestsPerMinute": 100}
    key = f"{h.emu.base_url}\0{h.client_id}"
    bucket = ratelimit.TokenBucket(100, 10, clock=h.emu.clock.now, sleep=h.emu.clock.advance)
    ratelimit.install(key, bucket)
    run = h.run()
    assert run.outcome.error is None, run.outcome.error
    data = [r for r in h.emu.requests if r.path != "/v1/oauth"]
    assert {r.path for r in data} == {"/v2/file-events", "/v1/sessions", "/v1/audit/search-audit-log"}
    assert len(data) > 200  # far more than one minute's budget
    assert h.svc.throttled == 0
    times = sorted(r.at for r in data)
    busiest = max(sum(1 for t in times[i:] if t < start + 60) for i, start in enumerate(times))
    assert busiest <= 120
    assert len(run.of("fileEvents")) >= 5000
    assert len(run.of("auditEvents")) >= 5000


def test_token_bucket_never_exceeds_rate_plus_burst_in_any_window():
    now = [0.0]
    bucket = ratelimit.TokenBucket(100, 10, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    stamps = []
    for _ in range(400):
        bucket.acquire()
        stamps.append(now[0])
    worst = max(sum(1 for t in stamps[i:] if t < s + 60) for i, s in enumerate(stamps))
    assert worst <= 110
    assert stamps[-1] == pytest.approx((400 - 10) * 0.6, rel=1e-6)
