"""Strict decoding, for every source row and so every declared body shape (a JSON object holding a list: Druva
CR, inSync v2, Code42; a JSON list: inSync v1 JSON; text lines: inSync v1 CEF).

A body cut in the middle (complete HTTP framing) or an HTML page answered 200 is a ThirdPartyGeneric error:
retried, never read as events, and the cursor never moves past it. (A connection cut mid-body is the
`truncated` kind of test_faults.) One item that does not decode in a complete page is delivered raw with a
Warning health record naming the data type, and collection goes on.
"""

from __future__ import annotations

import json

import pytest

from c2c.emulator import Fault

from .harness import BODY_ATTACKS, Harness, Scenario, attack_bodies, scenario_params

TRIES = 4
SPOILT = [k for k in BODY_ATTACKS if k != "poison-item"]  # a connection cut mid-body: test_faults "truncated"


def _raw_records(records: list[dict]) -> list[dict]:
    return [r for r in records if "_raw" in r or "_parseError" in r]


@pytest.mark.parametrize(("scenario", "kind"), scenario_params(dict.fromkeys(SPOILT)))
def test_a_cut_or_html_body_is_retried_in_the_run_and_never_read_as_events(scenario: Scenario, kind: str,
                                                                           tmp_path) -> None:
    h = Harness(scenario, tmp_path)
    try:
        spoilt = attack_bodies(h, kind, count=TRIES - 1)
        r = h.run()
        assert r.code == 0, r.stderr
        assert spoilt.hits == TRIES - 1, "every retry met the spoilt body"
        assert h.exactly_once(h.ids(r.events)), "every event exactly once, nothing of the spoilt bodies"
        assert _raw_records(r.events) == [], "a spoilt body is never reinterpreted as events"
        assert r.health == []
        assert "malformed body" in r.stderr
    finally:
        h.close()


@pytest.mark.parametrize(("scenario", "kind"), scenario_params(dict.fromkeys(SPOILT)))
def test_a_body_that_stays_cut_or_html_moves_no_cursor_and_loses_nothing(scenario: Scenario, kind: str,
                                                                         tmp_path) -> None:
    h = Harness(scenario, tmp_path)
    try:
        attack_bodies(h, kind, count=-1)
        r1 = h.run()
        assert r1.code == 5, r1.stderr
        assert _raw_records(r1.events) == []
        assert len(h.ids(r1.events)) == h.page_size, "only the page before the spoilt ones"
        [health] = r1.health
        assert (health["eventName"], health["details"]["dataType"]) == (
            "ThirdPartyGenericError", next(iter(h.state()["cursors"])))
        assert "malformed body" in health["details"]["description"]

        cursor = h.state()["cursors"]
        assert h.run().stdout == b"", "backing off"

        h.emu.clear_faults()  # the vendor answers properly again
        h.pass_backoff()
        r2 = h.run()
        assert r2.code == 0, r2.stderr
        assert h.exactly_once(h.ids(r1.events) + h.ids(r2.events)), "nothing lost, nothing twice"
        assert [x["status"] for x in r2.health] == ["Healthy"]
        assert h.state()["cursors"] != cursor
    finally:
        h.close()


@pytest.mark.parametrize("scenario", scenario_params())
def test_one_undecodable_item_is_delivered_raw_with_a_warning_and_collection_goes_on(scenario: Scenario,
                                                                                     tmp_path) -> None:
    h = Harness(scenario, tmp_path)
    try:
        attack_bodies(h, "poison-item", count=1)
        r = h.run()
        assert r.code == 0, r.stderr
        raw = _raw_records(r.events)
        assert len(raw) == 1, raw
        assert "_parseError" in raw[0]
        assert "\\E" in str(raw[0]["_raw"]) or "neither CEF nor Syslog" in str(raw[0]["_raw"])
        delivery = h.exactly_once(h.ids([e for e in r.events if e not in raw]))
        # The emulator spoils one real event: it is the raw record; every other event comes exactly once.
        assert (delivery.missing.total(), delivery.extra.total()) == (1, 0), delivery
        [warning] = r.health
        assert warning["severityLevel"] == "Warning"
        assert warning["details"]["dataType"] == raw[0]["_dataType"]
        again = h.run()
        assert again.code == 0, again.stderr
        assert _raw_records(again.events) == [], "the poison page was checkpointed: not delivered twice"
    finally:
        h.close()


def test_insync_v1_cef_json_list_of_lines_cut_in_the_middle_is_not_read_as_text(tmp_path) -> None:
    """The issue's case: a JSON list of CEF lines cut in the middle was read as one garbled CEF line, its cookie
    taken, and 99 events of 100 lost without a word. It is a retried error now; the cookie never moves."""
    from .harness import SCENARIOS

    row = next(s for s in SCENARIOS if s.id == "druva_insync_v1_cef")
    h = Harness(row, tmp_path)
    try:
        lines = [f"CEF:0|Druva|inSync|1||Admin Audit Trail|6|suser=a{i}@example.com" for i in range(100)]
        body = json.dumps(lines)
        h.emu.inject(Fault(path=row.data_path, status=200, body=body[: len(body) // 2], count=-1,
                           headers={"Set-Cookie": "progress=moved-past-the-loss; Path=/"}))
        r = h.run()
        assert r.code == 5, r.stderr
        assert r.events == []
        assert [x["eventName"] for x in r.health] == ["ThirdPartyGenericError"]
        assert h.state()["cursors"].get("insyncEvents", {}).get("progress") != "moved-past-the-loss"
    finally:
        h.close()


CODE42_ROWS = [s for s in scenario_params() if s.values[0].source_type == "Code42Incydr"]


@pytest.mark.parametrize("scenario", CODE42_ROWS)
def test_a_403_on_one_code42_data_type_stops_only_it(scenario: Scenario, tmp_path) -> None:
    h = Harness(scenario, tmp_path)
    try:
        h.write_config(dataCollection=["auditEvents", "alerts", "fileEvents"])
        h.fault("data", status=403, body={"error": "forbidden"}, count=-1)
        r = h.run()
        [health] = r.health
        mine = health["details"]["dataType"]
        assert (health["eventName"], health["status"]) == ("ThirdPartyConfigError", "UnHealthy")
        assert [e for e in r.events if e["_dataType"] == mine] == []
        others = {e["_dataType"] for e in r.events}
        assert len(others) == 2, "the other data types collected"
        st = h.state()
        assert st["dataTypes"][mine]["state"] == "Error"
        assert all(d["state"] == "Collecting" for n, d in st["dataTypes"].items() if n != mine)
        asked = h.data_requests()
        again = h.run()
        assert again.health == [], "said once"
        assert h.data_requests() == asked, "not asked again until the config changes or `c2c restart`"
    finally:
        h.close()
