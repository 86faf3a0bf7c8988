"""The vendor's JSON example validates; the emulator answers as the reference says Code42 does."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from c2c.config import load_sources
from c2c.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [REPO / "conf" / "code42-incydr.json", Path("/work/shared/examples/code42-incydr.json")]


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.is_file()], ids=lambda p: p.parent.name)
def test_vendor_json_example_validates_with_documented_defaults(path):
    [src] = load_sources([str(path)])
    assert src.type == "Code42Incydr"
    assert src.config["dataCollection"] == ["auditEvents", "alerts", "fileEvents"]
    assert src.config["firstRunLookbackHours"] == 24
    assert src.config["overlapSeconds"] == 300


def test_check_command_accepts_the_example():
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugin")}
    proc = subprocess.run([sys.executable, "-m", "c2c", "check", str(EXAMPLES[0])], capture_output=True, text=True,
                          env=env, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr


def test_bad_extension_values_are_named_with_their_path(tmp_path):
    doc = json.loads(EXAMPLES[0].read_text())
    doc["source"]["config"].update(requestsPerMinute=500, dataCollection=["fileEvents", "sessions"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError) as err:
        load_sources([str(path)])
    text = str(err.value)
    assert "source.config.requestsPerMinute" in text
    assert "source.config.dataCollection[1]" in text


def test_every_extension_has_a_default_and_a_description():
    from c2c import schemas

    schema = schemas.bundled("Code42Incydr")  # shared extensions (common.json) inlined
    documented = {"name", "description", "category", "fields", "baseURL", "clientID", "secretKey",
                  "dataCollection"}
    for key, prop in schema["properties"].items():
        if key not in documented:
            assert "default" in prop, key
            assert prop.get("description", "").startswith("Extension:"), key


# ---- emulator faithfulness (reference §9) ------------------------------------------------------
@pytest.fixture
def api(incydr):
    h = incydr(events=300)
    s = requests.Session()
    r = s.post(h.emu.base_url + "/v1/oauth", auth=(h.client_id, h.svc.secret))
    assert r.status_code == 200
    s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    s.base = h.emu.base_url  # type: ignore[attr-defined]
    s.harness = h  # type: ignore[attr-defined]
    yield s
    s.close()


def test_token_is_a_jwt_with_tenant_and_expiry(api):
    token = api.headers["Authorization"][7:]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["tenantUid"]
    r = requests.post(api.base + "/v1/oauth?grant_type=client_credentials", auth=("key-other", "nope"))
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_client"}
    r = requests.post(api.base + "/v1/oauth?grant_type=password", auth=(api.harness.client_id, api.harness.svc.secret))
    assert r.status_code == 400
    form = {"grant_type": "client_credentials", "client_id": api.harness.client_id,
            "client_secret": api.harness.svc.secret}
    assert requests.post(api.base + "/v1/oauth", data=form).json()["expires_in"] == 900


def _query(**over):
    body = {"groupClause": "AND", "groups": [{"filterClause": "AND", "filters": [
        {"term": "@timestamp", "operator": "WITHIN_THE_LAST", "value": "P30D"}]}],
        "pgNum": 1, "pgSize": 100, "pgToken": "", "srtDir": "asc", "srtKey": "event.id"}
    body.update(over)
    return body


def test_file_event_query_problems(api):
    url = api.base + "/v2/file-events"
    assert api.post(url, json=_query(groups=[])).json()["problems"][0]["type"] == "MISSING_GROUPS"
    assert api.post(url, json=_query(pgSize=10001)).json()["problems"][0]["type"] == "INVALID_PAGE_SIZE"
    r = api.post(url, json=_query(pgToken=None, pgNum=2, pgSize=10000))
    assert r.status_code == 400
    assert r.json()["problems"][0]["type"] == "INVALID_PAGE_NUMBER"
    r = api.post(url, json=_query(pgToken="0_nope"))
    assert r.status_code == 400
    assert r.json()["problems"][0]["type"] == "INVALID_PAGE_TOKEN"
    assert api.post(url, json=_query(srtKey="bogus")).json()["problems"][0]["type"] == "ILLEGAL_SORT"


def test_file_event_paging_by_token_and_by_number_agree(api):
    url = api.base + "/v2/file-events"
    by_token, token = [], ""
    while token is not None:
        page = api.post(url, json=_query(pgToken=token, pgSize=70)).json()
        by_token += [e["event"]["id"] for e in page["fileEvents"]]
        assert page["totalCount"] == len(api.harness.svc.file_events_between(0, 2e10))
        token = page["nextPgToken"]
        if token:
            assert token == by_token[-1]  # the token is the last event.id returned
    by_number = []
    for n in range(1, 6):
        by_number += [e["event"]["id"] for e in api.post(url, json=_query(pgToken=None, pgNum=n, pgSize=70))
                      .json()["fileEvents"]]
    assert by_token == by_number == sorted(by_token)
    one = api.post(url, json=_query(groups=[{"filterClause": "AND", "filters": [
        {"term": "event.id", "operator": "IS", "value": by_token[5]}]}])).json()
    assert [e["event"]["id"] for e in one["fileEvents"]] == [by_token[5]]


def test_sessions_and_audit_shapes(api):
    r = api.get(api.base + "/v1/sessions", params={"page_size": 51})
    assert r.status_code == 400
    assert "msg" in r.json()
    page = api.get(api.base + "/v1/sessions", params={"page_size": 5, "page_number": 0}).json()
    assert len(page["items"]) == 5
    assert page["totalCount"] >= 5
    ends = [s["endTime"] for s in page["items"]]
    assert ends == sorted(ends, reverse=True)  # default: end time, newest first
    assert api.post(api.base + "/v1/alerts/query-alerts", json={}).status_code == 410
    body = {"dateRange": {"startTime": 0, "endTime": None}, "page": 0, "pageSize": 10}
    events = api.post(api.base + "/v1/audit/search-audit-log", json=body).json()["events"]
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert all("id" not in e for e in events)
    count = api.post(api.base + "/v1/audit/search-results-count", json=body).json()["totalResultCount"]
    assert count == 300


def test_data_endpoints_refuse_missing_and_expired_tokens(api):
    assert requests.post(api.base + "/v2/file-events", json=_query()).status_code == 401
    api.harness.emu.clock.advance(901)
    assert api.post(api.base + "/v2/file-events", json=_query()).status_code == 401


def test_demo_collects_all_three_code42_data_types():
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugin")}
    proc = subprocess.run([sys.executable, "-m", "c2c", "demo"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    types = {(r["_source"], r["_dataType"]) for r in map(json.loads, proc.stdout.splitlines())}
    assert {t for s, t in types if s.startswith("Code42")} == {"auditEvents", "alerts", "fileEvents"}


def test_control_endpoints_for_a_standalone_emulator(api):
    base = api.base
    r = requests.post(base + "/_emulator/code42/settings", json={"rate_limit": 2, "retry_after": "none"})
    assert r.status_code == 200
    statuses = [api.get(base + "/v1/sessions").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    requests.post(base + "/_emulator/code42/settings", json={"rate_limit": 0})
    late = requests.post(base + "/_emulator/code42/file-events", json={"insertedAgo": 60, "eventId": "ctl-late"})
    assert late.status_code == 201
    touched = requests.post(base + "/_emulator/code42/sessions/touch", json={"alert": True}).json()
    assert touched["triggeredAlerts"]
    assert requests.post(base + "/_emulator/code42/settings", json={"bogus": 1}).status_code == 400
