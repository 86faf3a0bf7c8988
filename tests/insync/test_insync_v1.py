"""Events API v1 (Basic auth + progress cookie) end to end against the emulator over HTTP."""

from __future__ import annotations

import io
import json

import pytest
from insync_helpers import API_TOKEN, Collector, c2c, ndjson, v1_config, without_meta, write_config

from c2c.emulator.core import Emulator, Fault
from c2c.emulator.insync import V1_PATH, InSyncService, render_cef, render_syslog, render_v1_json
from c2c.errors import FirstPartyGenericError, ThirdPartyConfigError


def test_cef_syslog_and_json_give_the_same_records(emu: Emulator, insync: InSyncService, collector: Collector):
    runs = {fmt: collector.run(v1_config(emu.base_url, fmt)) for fmt in ("CEF", "Syslog", "JSON")}
    expected = [render_v1_json(e) for e in insync.store]
    for fmt, run in runs.items():
        assert [o.error for o in run.outcomes] == [None], fmt
        events = run.events
        assert len(events) == 250, fmt
        assert not [e for e in events if "_parseError" in e], fmt
        assert [{k: v for k, v in without_meta(e).items() if k != "_dataType"} for e in events] == expected, fmt
        assert {e["_source"] for e in events} == {f"inSync v1 {fmt}"}
        # _time is the event's own time, in the one output form
        assert events[0]["_time"] == events[0]["Timestamp"].replace("Z", ".000Z")
    # The emulated values exercise CEF escapes (\\ and \=) and the typographic apostrophe.
    names = {e["inSyncDataSourceName"] for e in runs["CEF"].events}
    assert "elmo-ws\\01" in names
    assert "Admin\u2019s Mac mini" in names
    assert any("usage=" in e["EventDetails"] for e in runs["Syslog"].events)
    assert any(e["ProfileName"] == "Finance = restricted" for e in runs["CEF"].events)
    assert any("ErrorLogFullTrace" in e and "\\Users\\" in e["ErrorLogFullTrace"] for e in runs["CEF"].events)
    # The format is asked for as Druva documents it; JSON is the default and sends no parameter.
    formats = {r.arg("format") for r in emu.requests_to(V1_PATH)}
    assert formats == {"CEF", "Syslog", None}


def test_progress_cookie_is_sent_on_the_next_call_and_kept_across_runs(
        emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v1_config(emu.base_url, "CEF")
    first = collector.run(cfg)
    assert len(first.events) == 250
    sent = [r.cookies().get("progress") for r in emu.requests_to(V1_PATH)]
    # 100 + 100 + 50 + an empty answer that says "caught up"
    assert sent == [None, *insync.issued_cookies[:3]]
    assert all(r.headers["authorization"].startswith("Basic ") for r in emu.requests_to(V1_PATH))
    assert collector.cursor(cfg["name"])["progress"] == insync.issued_cookies[-1]

    again = collector.run(cfg)
    assert again.records == []
    assert emu.requests_to(V1_PATH)[4].cookies()["progress"] == insync.issued_cookies[3]

    insync.add_events(30)
    third = collector.run(cfg)
    assert [e["Timestamp"] for e in third.events] == [e["timestamp"] for e in insync.store[250:]]


class FailingStdout(io.BytesIO):
    """Accepts the first `ok` writes, then behaves like a closed pipe."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok
        self.written = b""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.ok <= 0:
            raise BrokenPipeError(32, "Broken pipe")
        self.ok -= 1
        self.written += bytes(data)
        return len(data)


def test_cookie_is_persisted_only_after_its_page_is_written(
        emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v1_config(emu.base_url, "Syslog")
    broken = collector.run(cfg, stream=FailingStdout(ok=1))
    assert isinstance(broken.outcomes[0].error, FirstPartyGenericError)
    assert len(broken.events) == 100
    # The second page's cookie was received but its page never reached stdout: not checkpointed.
    assert collector.cursor(cfg["name"])["progress"] == insync.issued_cookies[0]

    collector.restart(cfg["name"])  # skip the backoff; the cursor stays
    resumed = collector.run(cfg)
    assert emu.requests_to(V1_PATH)[2].cookies()["progress"] == insync.issued_cookies[0]
    # Nothing lost, nothing repeated: the unflushed page is fetched again with the checkpointed cookie.
    got = [e["Timestamp"] for e in broken.events + resumed.events]
    assert got == [e["timestamp"] for e in insync.store]


def test_expired_cookie_restarts_without_it_with_a_warning_and_the_duplicates_counted(
        emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v1_config(emu.base_url, "CEF")
    assert len(collector.run(cfg).events) == 250
    insync.add_events(20)
    insync.expire_cookies()

    run = collector.run(cfg)
    assert run.outcomes[0].error is None
    [warning] = run.health
    assert warning["severityLevel"] == "Warning"
    assert warning["eventName"] == "ThirdPartyGenericWarning"
    assert warning["details"]["duplicates"] == 250
    assert "Cookie expired" in warning["details"]["description"]
    assert "duplicates: 250" in warning["details"]["description"]
    # Druva's documented recovery: the call after the 400 carries no cookie and returns every event.
    requests = emu.requests_to(V1_PATH)
    assert requests[4].cookies().get("progress") is not None
    assert requests[5].cookies().get("progress") is None
    assert len(run.events) == 270
    cursor = collector.cursor(cfg["name"])
    assert cursor["duplicates"] == 250
    assert cursor["restarts"] == 1
    assert cursor["delivered"] == 270

    quiet = collector.run(cfg)
    assert quiet.records == []  # no repeated warning, nothing new


def test_invalid_cookie_is_recovered_the_same_way(emu: Emulator, insync: InSyncService, collector: Collector):
    cfg = v1_config(emu.base_url, "JSON")
    collector.run(cfg)
    emu.inject(Fault(path=V1_PATH, status=400, body={"code": 400, "message": "Cookie Invalid"}))
    run = collector.run(cfg)
    [warning] = run.health
    assert "Cookie Invalid" in warning["details"]["description"]
    assert warning["details"]["duplicates"] == 250
    assert len(run.events) == 250


def test_a_400_without_a_cookie_is_a_config_error_not_a_loop(
        emu: Emulator, insync: InSyncService, collector: Collector):
    emu.inject(Fault(path=V1_PATH, status=400, body={"message": "Cookie expired"}, count=-1))
    run = collector.run(v1_config(emu.base_url))
    assert isinstance(run.outcomes[0].error, ThirdPartyConfigError)
    assert len(emu.requests_to(V1_PATH)) == 1


def test_429_is_retried(emu: Emulator, insync: InSyncService, collector: Collector):
    emu.inject(Fault(path=V1_PATH, status=429, body="Too many requests", headers={"Retry-After": "0"}, count=2,
                     skip=1))
    run = collector.run(v1_config(emu.base_url, "CEF"))
    assert run.outcomes[0].error is None
    assert len(run.events) == 250
    assert run.health == []
    assert len(emu.requests_to(V1_PATH)) == 4 + 2


def test_rejected_token_and_missing_licence_are_config_errors_exit_4(
        emu: Emulator, insync: InSyncService, tmp_path):
    bad = write_config(tmp_path / "bad.json", v1_config(emu.base_url, token="expired-api-token"))
    state = str(tmp_path / "state")
    proc = c2c("run", str(bad), "--state-dir", state)
    assert proc.returncode == 4
    [health] = ndjson(proc.stdout)
    assert health["eventName"] == "ThirdPartyConfigError"
    assert health["status"] == "UnHealthy"
    assert "HTTP 401" in health["details"]["description"]
    assert b"expired-api-token" not in proc.stdout + proc.stderr

    again = c2c("run", str(bad), "--state-dir", state)
    assert again.returncode == 4
    assert again.stdout == b""
    assert len(emu.requests_to(V1_PATH)) == 1

    insync.licensed = False
    good = write_config(tmp_path / "good.json", v1_config(emu.base_url, name="licence"))
    proc = c2c("run", str(good), "--state-dir", state)
    assert proc.returncode == 4
    [health] = ndjson(proc.stdout)
    assert health["eventName"] == "ThirdPartyConfigError"
    assert "HTTP 403" in health["details"]["description"]
    assert API_TOKEN.encode() not in proc.stdout + proc.stderr


@pytest.mark.parametrize(("fmt", "body"), [
    ("JSON", {"events": "OBJECTS"}),  # an object wrapping the list
    ("JSON", "CEF_LIST"),  # a JSON list of CEF lines, whatever was asked for
    ("CEF", "SYSLOG_TEXT"),  # the line's own shape wins over the requested format
    ("Syslog", "NDJSON"),
])
def test_v1_body_shapes_are_tolerated(emu: Emulator, insync: InSyncService, collector: Collector, fmt, body):
    sample = insync.store[:3]
    bodies = {
        "OBJECTS": [render_v1_json(e) for e in sample],
        "CEF_LIST": [render_cef(e) for e in sample],
        "SYSLOG_TEXT": "".join(render_syslog(e) + "\r\n" for e in sample) + "not an event\n",
        "NDJSON": "".join(json.dumps(render_v1_json(e)) + "\n" for e in sample),
    }
    payload = {"events": bodies["OBJECTS"]} if isinstance(body, dict) else bodies[body]
    emu.inject(Fault(path=V1_PATH, status=200, body=payload, headers={"Set-Cookie": "progress=abc; Path=/"}))
    run = collector.run(v1_config(emu.base_url, fmt))
    events = [without_meta(e) for e in run.events]
    assert [{k: v for k, v in e.items() if k != "_dataType"} for e in events[:3]] == [
        render_v1_json(e) for e in sample]
    if body == "SYSLOG_TEXT":
        assert events[3]["_raw"] == "not an event"
        assert "_parseError" in events[3]
    # The injected page's cookie was sent on the next call.
    assert emu.requests_to(V1_PATH)[1].cookies()["progress"] == "abc"
