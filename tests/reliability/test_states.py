"""States and commands: `c2c status`, `c2c restart`, config changes, idle runs, --follow with signals,
and two overlapping runs of one source."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from .harness import CLIENT_ID, Harness, Result, run_main, wrap


def _status(h: Harness, *extra: str) -> Result:
    return run_main(["status", "--state-dir", str(h.state_dir), *extra])


class Reader:
    """Reads NDJSON from a running c2c without blocking forever: every wait is bounded."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.fd = proc.stdout.fileno()
        self.records: list[dict[str, Any]] = []
        self.buf = b""

    def _read(self, timeout: float) -> bool:
        with selectors.DefaultSelector() as sel:
            sel.register(self.fd, selectors.EVENT_READ)
            if not sel.select(timeout):
                return True
        chunk = os.read(self.fd, 65536)
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        self.records += [json.loads(line) for line in lines]
        return bool(chunk)

    def until(self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not done(self.records):
            left = deadline - time.monotonic()
            assert left > 0, f"timed out after {len(self.records)} records"
            assert self._read(left), f"c2c exited after {len(self.records)} records"
        return self.records

    def finish(self, timeout: float = 20) -> str:
        """Read to EOF, wait for the exit; returns stderr."""
        deadline = time.monotonic() + timeout
        while self._read(max(0.01, deadline - time.monotonic())):
            assert time.monotonic() < deadline, "c2c did not exit"
        assert self.buf == b"", "a line was cut"
        self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        assert self.proc.stdout is not None
        assert self.proc.stderr is not None
        err = self.proc.stderr.read().decode()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return err


def test_status_shows_state_last_success_error_class_events_age_and_next_attempt(harness: Harness) -> None:
    harness.fault("data", status=503, skip=1, count=-1)
    assert harness.run().code == 5
    rows = json.loads(_status(harness, "--json").stdout)  # one JSON document
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == harness.name
    assert row["state"] == "Error"
    assert row["lastError"]["class"] == "ThirdPartyGenericError"
    assert "HTTP 503" in row["lastError"]["message"]
    assert row["eventsEmitted"] == harness.page_size
    assert row["lastSuccess"].endswith("Z")
    assert 0 <= row["checkpointAgeSeconds"] < 60
    assert row["nextAttempt"].endswith("Z")

    text = _status(harness).stdout.decode()
    for part in ("Error", f"events {harness.page_size}", "last success", "checkpoint age", "ThirdPartyGenericError",
                 "next attempt"):
        assert part in text

    # Filtered by config file, and after recovery the error is gone.
    harness.emu.clear_faults()
    harness.pass_backoff()
    assert harness.run().code == 0
    [row] = json.loads(_status(harness, "--json", str(harness.config_path)).stdout)
    assert (row["state"], row["lastError"], row["nextAttempt"]) == ("Idle", None, None)
    assert row["eventsEmitted"] == harness.expected().total()


def test_config_error_waits_for_restart_then_recovers_with_one_healthy_record(harness: Harness) -> None:
    harness.scenario.set_secret(harness.service, "rotated-at-the-vendor")
    r1 = harness.run()
    assert r1.code == 4
    assert [(h["eventName"], h["status"]) for h in r1.health] == [("ThirdPartyConfigError", "UnHealthy")]
    assert harness.state()["state"] == "Error"
    assert "nextAttempt" not in harness.state()

    # Fixed at the vendor, but the config did not change: still not retried, nothing is sent.
    harness.scenario.set_secret(harness.service, harness.secret)
    sent = len(harness.emu.requests)
    r2 = harness.run()
    assert (r2.code, r2.stdout) == (4, b"")
    assert len(harness.emu.requests) == sent
    assert "c2c restart" in r2.stderr

    restart = run_main(["restart", harness.name, "--state-dir", str(harness.state_dir)])
    assert restart.code == 0
    r3 = harness.run()
    assert r3.code == 0, r3.stderr
    assert harness.exactly_once(harness.ids(r3.events))
    assert [(h["eventName"], h["status"]) for h in r3.health] == [("ThirdPartyConfigError", "Healthy")]


def test_config_error_is_retried_at_once_when_the_config_changes(harness: Harness) -> None:
    harness.scenario.set_secret(harness.service, "new-secret-value")
    assert harness.run().code == 4
    harness.secret = "new-secret-value"
    harness.write_config()
    r = harness.run()
    assert r.code == 0
    assert harness.exactly_once(harness.ids(r.events))
    assert [(h["eventName"], h["status"]) for h in r.health] == [("ThirdPartyConfigError", "Healthy")]


@pytest.mark.reference_row
def test_restart_of_an_unknown_source_is_a_usage_error(harness: Harness) -> None:
    r = run_main(["restart", "no such source", "--state-dir", str(harness.state_dir)])
    assert r.code == 2
    assert "no state for a source named 'no such source'" in r.stderr


def test_idle_runs_emit_no_health_records(harness: Harness) -> None:
    assert harness.run().code == 0
    for _ in range(3):
        r = harness.run()
        assert (r.code, r.stdout) == (0, b"")


@pytest.mark.reference_row
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_follow_stops_on_signal_after_checkpointing_the_page_in_flight(make_harness, sig: int) -> None:
    h: Harness = make_harness(events=3000, page_size=100)
    h.fault("data", delay=0.03, count=-1)  # slow pages, so the signal lands mid-backfill
    reader = Reader(h.spawn("--follow", log_level="INFO"))
    reader.until(lambda recs: len(recs) >= 550)
    reader.proc.send_signal(sig)
    err = reader.finish()
    assert reader.proc.returncode == 0, err
    assert f"received {signal.Signals(sig).name}" in err
    assert h.state()["state"] == "Stopping"
    first = h.ids(reader.records)
    assert len(first) % 100 == 0, "the page in flight was written whole"
    assert len(first) < h.expected().total(), "stopped before the end of the backfill"

    h.emu.clear_faults()
    r2 = h.run()
    assert r2.code == 0
    second = h.ids(r2.events)
    assert not set(first) & set(second), "the page in flight was checkpointed: the next run does not repeat it"
    assert h.exactly_once(first + second)


@pytest.mark.reference_row
def test_follow_recovers_by_itself_from_an_outage(make_harness) -> None:
    h: Harness = make_harness(events=500, page_size=100)
    h.fault("data", status=503, skip=1, count=-1)
    reader = Reader(h.spawn("--follow", env={"C2C_BACKOFF_BASE_SECONDS": "0.5"}))
    reader.until(lambda recs: any(r["_dataType"] == "health" for r in recs))
    h.emu.clear_faults()
    reader.until(lambda recs: len(h.ids(recs)) >= h.expected().total() and recs[-1]["_dataType"] == "health")
    reader.proc.send_signal(signal.SIGTERM)
    err = reader.finish()
    assert reader.proc.returncode == 0, err
    health = [(r["eventName"], r["status"]) for r in reader.records if r["_dataType"] == "health"]
    assert health == [("ThirdPartyGenericError", "UnHealthy"), ("ThirdPartyGenericError", "Healthy")]
    assert h.exactly_once(h.ids(reader.records))


def test_follow_stops_promptly_when_idle(harness: Harness) -> None:
    reader = Reader(harness.spawn("--follow"))
    reader.until(lambda recs: len(recs) >= harness.expected().total())
    reader.proc.send_signal(signal.SIGTERM)
    err = reader.finish(timeout=10)
    assert reader.proc.returncode == 0, err
    assert len(reader.records) == harness.expected().total()
    assert harness.state()["state"] == "Stopping"


@pytest.mark.reference_row
def test_overlapping_runs_never_collect_one_source_twice(make_harness) -> None:
    h: Harness = make_harness(events=2000, page_size=100)
    h.fault("data", delay=0.03, count=-1)
    first = h.spawn()
    deadline = time.monotonic() + 20
    while h.data_requests() == 0:  # the first run holds the source's lock once it asks for data
        assert time.monotonic() < deadline
        assert first.poll() is None
        time.sleep(0.01)
    second = h.run()
    assert second.code == 0
    assert second.stdout == b""
    assert "being collected by another c2c process" in second.stderr
    reader = Reader(first)
    err = reader.finish()
    assert first.returncode == 0, err
    ids = h.ids(reader.records)
    assert h.exactly_once(ids), "every event exactly once"


def test_one_source_failing_does_not_stop_the_others(harness: Harness) -> None:
    good = harness.scenario.config(harness.emu.base_url, CLIENT_ID, harness.secret)
    bad = {**good, "name": "rejected source", harness.scenario.secret_key: "wrong-secret-value"}
    doc = wrap(harness.scenario.source_type, good)
    doc["sources"] = [doc.pop("source"), wrap(harness.scenario.source_type, bad)["source"]]
    harness.config_path.write_text(json.dumps(doc))
    r = harness.run()
    assert r.code == 4, "the worst outcome decides the exit code"
    assert harness.exactly_once(harness.ids(r.events))
    assert [(h["_source"], h["eventName"]) for h in r.health] == [("rejected source", "ThirdPartyConfigError")]
