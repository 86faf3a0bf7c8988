"""Rejected tokens and rejected credentials: one refresh on 401/403, config errors stop retrying."""

from __future__ import annotations

import pytest

from c2c.emulator.core import Fault

from .conftest import SOURCE_NAME, TRACKER_PATH, read_state, source_doc


def _assert_unhealthy(record, event_name):
    assert record["_dataType"] == "health"
    assert record["_source"] == SOURCE_NAME
    assert record["eventType"] == "Health-Change"
    assert record["eventName"] == event_name
    assert record["status"] == "UnHealthy"
    assert record["resourceIdentity"] == {"name": SOURCE_NAME, "type": "Source"}
    assert record["details"]["description"]


@pytest.mark.parametrize("expired_status", [401, 403])
def test_expired_token_is_refreshed_once_and_the_call_retried(make_realize, write_config, run_c2c, expired_status):
    realize = make_realize(expired_status=expired_status)
    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).code == 0
    new = [e["id"] for e in realize.svc.add_events(3)]
    realize.svc.issuer.expire_all()  # the cached token is now refused by the API
    realize.reset_requests()

    result = run_c2c(["run", conf])

    assert result.code == 0, result.stderr
    assert result.ids == new
    assert result.health == []
    assert len(realize.token_requests()) == 1
    assert [status for _req, status, _body in realize.answered] == [expired_status, 200]


def test_expired_by_the_virtual_clock_gets_a_new_token(make_realize, write_config, run_c2c):
    realize = make_realize(token_ttl=60)
    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).code == 0
    realize.emu.clock.advance(120)
    realize.reset_requests()

    assert run_c2c(["run", conf]).code == 0
    assert len(realize.token_requests()) == 1
    assert len(realize.svc.issuer.tokens) == 2


def test_denied_again_with_a_fresh_token_is_a_config_error(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url))
    realize.emu.inject(Fault(path=TRACKER_PATH, status=401, body={"message": "Unauthorized"}, count=2))

    result = run_c2c(["run", conf])

    assert result.code == 4
    assert result.events == []
    [health] = result.health
    _assert_unhealthy(health, "ThirdPartyConfigError")
    assert len(realize.token_requests()) == 2  # the first, and exactly one refresh
    assert len(realize.tracker_requests()) == 2
    assert read_state(state_dir)["state"] == "Error"


def test_invalid_grant_stops_until_the_config_changes(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url, secretKey="wrong-secret-value"))

    failed = run_c2c(["run", conf])

    assert failed.code == 4
    assert failed.events == []
    [health] = failed.health
    _assert_unhealthy(health, "ThirdPartyConfigError")
    assert "invalid_grant" in health["details"]["description"]
    assert health["state"] == "Error"
    assert read_state(state_dir)["state"] == "Error"
    assert "invalid_grant" in failed.stderr

    # Same config: no request at all, no second health record, still exit 4.
    realize.reset_requests()
    idle = run_c2c(["run", conf])
    assert idle.code == 4
    assert idle.records == []
    assert realize.emu.requests == []
    assert "config" in idle.stderr
    assert "restart" in idle.stderr

    # The operator fixes the secret: the next run tries again, succeeds, and says so once.
    conf = write_config(source_doc(realize.base_url))
    fixed = run_c2c(["run", conf])
    assert fixed.code == 0, fixed.stderr
    assert fixed.ids == realize.ids
    [recovered] = fixed.health
    assert recovered["status"] == "Healthy"
    assert recovered["eventName"] == "ThirdPartyConfigError"
    assert recovered["resourceIdentity"]["name"] == SOURCE_NAME
    assert read_state(state_dir)["state"] == "Collecting"

    assert run_c2c(["run", conf]).records == []  # healthy and idle: no more health records


def test_restart_retries_a_config_error_without_a_config_change(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url))
    realize.svc.issuer.secret = "rotated-on-the-vendor-side"
    assert run_c2c(["run", conf]).code == 4
    realize.reset_requests()
    assert run_c2c(["run", conf]).code == 4
    assert realize.emu.requests == []

    # The vendor side is put right (the secret restored), then the operator restarts the source.
    realize.svc.issuer.secret = source_doc("")["source"]["config"]["secretKey"]
    restarted = run_c2c(["restart", SOURCE_NAME])
    assert restarted.code == 0, restarted.stderr
    assert restarted.records == []

    result = run_c2c(["run", conf])
    assert result.code == 0, result.stderr
    assert result.ids == realize.ids
    [recovered] = result.health
    assert recovered["status"] == "Healthy"
    assert read_state(state_dir)["state"] == "Collecting"


def test_restart_of_an_unknown_source_is_a_usage_error(run_c2c, state_dir):
    result = run_c2c(["restart", "no such source"])
    assert result.code == 2
    assert "no such source" in result.stderr


def test_wrong_base_url_path_is_a_config_error(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url + "/not-the-api-root"))
    result = run_c2c(["run", conf])
    assert result.code == 4
    [health] = result.health
    _assert_unhealthy(health, "ThirdPartyConfigError")
    assert "404" in health["details"]["description"]
