"""What c2c sends to Druva, checked where the vendor would see it: at the emulator."""

from __future__ import annotations

import base64

from .conftest import CLIENT_ID, SECRET, source_doc


def test_token_and_tracker_requests_have_the_documented_shape(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url))

    result = run_c2c(["run", conf])

    assert result.code == 0, result.stderr
    assert sorted(result.ids) == realize.ids  # 25 events over 3 pages of 10

    [token_req] = realize.token_requests()
    assert token_req.method == "POST"
    expected_basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    assert token_req.headers["authorization"] == f"Basic {expected_basic}"
    assert token_req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_req.body.decode() == "grant_type=client_credentials&scope=read"

    data_reqs = realize.tracker_requests()
    assert len(data_reqs) == 3
    [access_token] = realize.access_tokens
    for req in data_reqs:
        assert req.method == "GET"
        assert req.headers["authorization"] == f"Bearer {access_token}"
        assert req.arg("ignoreTrackerExpiry") == "true"
    assert "trackerToken" not in data_reqs[0].query
    # Each later call sends back the nextTrackerToken of the answer before it.
    answers = [body for _req, _status, body in realize.answered]
    for previous, req in zip(answers, data_reqs[1:], strict=False):
        assert previous["nextTrackerToken"]
        assert req.arg("trackerToken") == previous["nextTrackerToken"]
    assert answers[-1]["nextTrackerToken"] == ""  # the caught-up page, in Druva's documented form


def test_resume_sends_the_last_non_empty_tracker_token(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).code == 0
    last_token = [body["nextTrackerToken"] for _req, _status, body in realize.answered if body["nextTrackerToken"]][-1]
    realize.reset_requests()

    assert run_c2c(["run", conf]).code == 0

    [req] = realize.tracker_requests()
    assert req.arg("trackerToken") == last_token
