"""The fault matrix: what the vendor API or the network can do, and what the operator sees.

Every case runs against the emulator over real HTTP with the in-run retries shrunk to milliseconds
(conftest.FAST_ENV). tries=4, so a burst of 3 failures is absorbed within one run.
"""

from __future__ import annotations

import email.utils
import time
from collections import Counter

import pytest

from .harness import REQUEST_TIMEOUT, SCENARIOS, Harness, Scenario, scenario_params

TRIES = 4
SLOW = REQUEST_TIMEOUT * 3  # a response slower than the config's requestTimeout

# (id, endpoint, fault) — each served instead of (or around) the real answer.
FAULTS = [
    ("429", "data", {"status": 429, "body": {"message": "Too Many Requests"}}),
    ("429-retry-after-0", "data", {"status": 429, "headers": {"Retry-After": "0"}}),
    ("500", "data", {"status": 500, "body": {"code": "RealizeUda-1004", "retryable": True}}),
    ("502", "data", {"status": 502, "body": "<html>Bad Gateway</html>"}),
    ("503", "data", {"status": 503}),
    ("504", "data", {"status": 504}),
    ("timeout", "data", {"delay": SLOW}),
    ("reset", "data", {"reset": True}),
    ("truncated", "data", {"truncate": True}),
    ("non-json", "data", {"status": 200, "body": "<html>maintenance</html>"}),
    ("token-503", "token", {"status": 503}),
    ("token-timeout", "token", {"delay": SLOW}),
    ("token-reset", "token", {"reset": True}),
]


FAULT_KINDS = {kind: (where, fault) for kind, where, fault in FAULTS}


def _applies(s: Scenario, kind: str) -> bool:
    where, _ = FAULT_KINDS[kind]
    return (where == "data" or s.has_token) and (s.fault_kinds is None or kind in s.fault_kinds)


FAULT_CASES = scenario_params(FAULT_KINDS, _applies)
CURSOR_CASES = [pytest.param(s, a, id=f"{s.id}-{a.id}") for s in SCENARIOS for a in s.cursor_attacks]


def _inject(h: Harness, where: str, fault: dict, count: int) -> None:
    # Data faults start after the first page, so they strike mid-run with a checkpoint already written.
    h.fault(where, skip=1 if where == "data" else 0, count=count, **fault)


def _assert_health(rec: dict, *, name: str, event_name: str, healthy: bool) -> None:
    assert rec["eventType"] == "Health-Change"
    assert rec["eventName"] == event_name
    assert rec["status"] == ("Healthy" if healthy else "UnHealthy")
    assert rec["resourceIdentity"] == {"name": name, "type": "Source"}
    assert rec["_source"] == name
    assert rec["details"]["description"]
    assert rec["state"] == ("Collecting" if healthy else "Error")


@pytest.mark.parametrize(("scenario", "kind"), FAULT_CASES)
def test_burst_shorter_than_in_run_retries_causes_no_error(harness: Harness, kind: str) -> None:
    where, fault = FAULT_KINDS[kind]
    _inject(harness, where, fault, count=TRIES - 1)
    r = harness.run()
    assert r.code == 0, r.stderr
    ids = harness.ids(r.events)
    assert harness.exactly_once(ids), "every event exactly once"
    assert r.health == [], "a burst the retries absorb is not an Error"
    assert f"retry {TRIES - 1}/{TRIES - 1}" in r.stderr, "every in-run retry was used"
    assert not harness.emu.faults, "the burst was served in full"
    st = harness.state()
    assert st["state"] == "Collecting"
    assert "nextAttempt" not in st
    assert "error" not in st


@pytest.mark.parametrize(("scenario", "kind"), FAULT_CASES)
def test_outage_enters_error_once_backs_off_and_recovers_once(harness: Harness, kind: str) -> None:
    where, fault = FAULT_KINDS[kind]
    _inject(harness, where, fault, count=-1)
    before = time.time()
    r1 = harness.run()
    assert r1.code == 5, r1.stderr
    delivered = harness.ids(r1.events)
    assert len(delivered) == (harness.page_size if where == "data" else 0), "pages before the outage are delivered"
    assert len(r1.health) == 1
    _assert_health(r1.health[0], name=harness.name, event_name="ThirdPartyGenericError", healthy=False)
    st = harness.state()
    assert st["state"] == "Error"
    assert st["error"]["class"] == "ThirdPartyGenericError"
    assert st["nextAttempt"] >= before + 15 - 1, "the 30 s backoff base (jittered to >= 15 s) is persisted"
    failing = [r for r in harness.emu.requests if r.path.startswith(
        harness.scenario.data_path if where == "data" else harness.scenario.token_path)]
    assert len(failing) == (1 if where == "data" else 0) + TRIES, "bounded in-run retries, then the run ends"

    # A run before nextAttempt (an exec every minute) sends nothing and prints nothing.
    sent = len(harness.emu.requests)
    r2 = harness.run()
    assert (r2.code, r2.stdout) == (5, b"")
    assert len(harness.emu.requests) == sent

    # Still down when the backoff has elapsed: retried, longer backoff, but no second health record.
    harness.pass_backoff()
    r3 = harness.run()
    assert r3.code == 5
    assert r3.health == []
    assert r3.events == []
    assert harness.state()["failures"] == 2

    # The vendor recovers: everything arrives, with exactly one Healthy record.
    harness.emu.clear_faults()
    harness.pass_backoff()
    r4 = harness.run()
    assert r4.code == 0, r4.stderr
    assert len(r4.health) == 1
    _assert_health(r4.health[0], name=harness.name, event_name="ThirdPartyGenericError", healthy=True)
    ids = delivered + harness.ids(r4.events)
    assert harness.exactly_once(ids), "nothing lost, nothing repeated"
    st = harness.state()
    assert st["state"] == "Collecting"
    assert "error" not in st
    assert "nextAttempt" not in st

    # And an idle run afterwards says nothing at all.
    r5 = harness.run()
    assert (r5.code, r5.stdout) == (0, b"")


@pytest.mark.parametrize("retry_after", ["120", "http-date"])
def test_long_retry_after_ends_the_run_and_sets_next_attempt(harness: Harness, retry_after: str) -> None:
    wait = 120 if retry_after == "120" else 300
    value = retry_after if retry_after == "120" else email.utils.formatdate(time.time() + wait, usegmt=True)
    harness.fault("data", status=429, headers={"Retry-After": value}, skip=1, count=1)
    before = time.time()
    r1 = harness.run()
    assert r1.code == 5
    assert len(r1.events) == harness.page_size
    assert harness.data_requests() == 2, "a Retry-After beyond the in-run limit is not slept through"
    assert harness.state()["nextAttempt"] >= before + wait - 2
    assert [h["eventName"] for h in r1.health] == ["ThirdPartyGenericError"]

    assert harness.run().stdout == b""
    assert harness.data_requests() == 2, "no request before Retry-After has passed"

    harness.pass_backoff()
    r2 = harness.run()
    assert r2.code == 0
    assert harness.exactly_once(harness.ids(r1.events + r2.events))
    assert [(h["eventName"], h["status"]) for h in r2.health] == [("ThirdPartyGenericError", "Healthy")]


@pytest.mark.reference_row
def test_short_retry_after_is_honoured_within_the_run(harness: Harness) -> None:
    harness.fault("data", status=429, headers={"Retry-After": "1"}, skip=1, count=1)
    arrived: list[float] = []  # real time (a row's emulator clock may be frozen)

    def timed(handler):
        return lambda req: (arrived.append(time.monotonic()), handler(req))[1]

    harness.wrap_routes("data", timed)
    r = harness.run()
    assert r.code == 0
    assert r.health == []
    assert "retry 1/3 in 1.0s" in r.stderr
    # A fault answers before the handler: the 2nd handled request is the retry of the throttled one.
    assert arrived[1] - arrived[0] >= 0.95, "the retry waited for Retry-After"
    assert harness.exactly_once(harness.ids(r.events))


@pytest.mark.needs_token
def test_token_expiry_mid_run_renews_the_token(harness: Harness) -> None:
    harness.expire_tokens_after(3)
    r = harness.run()
    assert r.code == 0, r.stderr
    assert r.health == []
    assert harness.exactly_once(harness.ids(r.events))
    assert harness.token_requests() == 2, "one token, then exactly one renewal"


@pytest.mark.needs_token
def test_cached_token_is_reused_across_runs(harness: Harness) -> None:
    harness.run()
    harness.scenario.add_events(harness.service, 10)
    r = harness.run()
    assert len(r.events) == 10
    assert harness.token_requests() == 1, "an exec every minute does not ask for a token every minute"


@pytest.mark.parametrize(("scenario", "attack"), CURSOR_CASES)
def test_expired_cursor_between_runs_loses_nothing(harness: Harness, attack) -> None:
    r1 = harness.run()
    first = harness.ids(r1.events)
    harness.scenario.add_events(harness.service, 250)
    attack.apply(harness)
    r2 = harness.run()
    assert r2.code == 0, r2.stderr
    assert not harness.emu.faults, "the attack was served"
    ids = first + harness.ids(r2.events)
    assert harness.at_least_once(ids), "every event delivered"
    if not attack.redelivers:
        assert Counter(ids).most_common(1)[0][1] == 1, "resumed where it was: nothing repeated"
        assert r2.health == []
    else:
        # The documented restart: everything delivered since the chain began comes once more, and one
        # Warning record says how many.
        counts = Counter(ids)
        assert {i for i, n in counts.items() if n == 2} == set(first)
        assert max(counts.values()) == 2
        assert len(r2.health) == 1
        warning = r2.health[0]
        assert (warning["eventName"], warning["severityLevel"], warning["state"]) == (
            "ThirdPartyGenericWarning", "Warning", "Collecting")
        assert warning["details"]["duplicates"] == len(first)
        assert warning["details"]["duplicatesTotal"] == len(first)
        assert warning["details"]["restarts"] == 1
        assert f"duplicates: {len(first)}" in warning["details"]["description"]
        assert harness.state()["state"] == "Collecting"
    # Either way the new cursor works: the next run has nothing to say.
    r3 = harness.run()
    assert (r3.code, r3.stdout) == (0, b""), r3.stderr


def test_token_rejected_even_when_fresh_is_a_config_error_not_retried(harness: Harness) -> None:
    harness.fault("data", status=401, body={"message": "Unauthorized"}, count=-1)
    r1 = harness.run()
    assert r1.code == 4
    assert [(h["eventName"], h["status"]) for h in r1.health] == [("ThirdPartyConfigError", "UnHealthy")]
    renewals = 1 if harness.scenario.has_token else 0  # Basic auth has nothing to renew
    assert harness.data_requests() == 1 + renewals, "at most one renewal of the token, then no more retries"
    sent = len(harness.emu.requests)
    r2 = harness.run()
    assert (r2.code, r2.stdout) == (4, b"")
    assert len(harness.emu.requests) == sent, "a config error is not retried"
