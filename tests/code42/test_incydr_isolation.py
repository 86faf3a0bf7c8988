"""Per-data-type isolation: a 403 on /v2/file-events (a plan or API client without file-event access) stops
file events only, with a health record naming the data type; audit events and sessions go on collecting.
It waits for a config change or `c2c restart`, and `c2c status` shows each data type's state and error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from c2c.emulator.core import Fault

REPO = Path(__file__).resolve().parents[2]

FORBIDDEN = {"error": "forbidden", "message": "file events are not included in this plan"}


def _c2c(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugin")}
    return subprocess.run([sys.executable, "-m", "c2c", *args], capture_output=True, text=True, timeout=60, env=env,
                          check=False)


def test_a_403_on_file_events_stops_only_file_events(incydr):
    h = incydr(events=200, audit_events=150, sessions=40, late_permille=0)
    h.emu.inject(Fault(path="/v2/file-events", status=403, body=FORBIDDEN, count=-1))
    first = h.run()

    assert first.of("fileEvents") == []
    assert len(first.of("auditEvents")) == 150
    assert first.of("alerts")
    [health] = first.of("health")
    assert (health["eventName"], health["status"]) == ("ThirdPartyConfigError", "UnHealthy")
    assert health["details"]["dataType"] == "fileEvents"
    assert "may not read file events" in health["details"]["description"]
    state = h.state()
    assert state["dataTypes"]["fileEvents"]["state"] == "Error"
    assert state["dataTypes"]["auditEvents"]["state"] == "Collecting"

    # The next run does not ask for file events again (same config), says nothing more, and the others go on.
    h.emu.clock.advance(400)
    asked = len(h.emu.requests_to("/v2/file-events"))
    second = h.run()
    assert len(h.emu.requests_to("/v2/file-events")) == asked
    assert second.of("health") == []
    assert second.outcome.error is None

    status = _c2c("status", "--json", "--state-dir", str(h.state_dir), str(h.config()))
    assert status.returncode == 0, status.stderr
    [row] = json.loads(status.stdout)
    shown = {d["name"]: d for d in row["dataTypes"]}
    assert shown["fileEvents"]["state"] == "Error"
    assert shown["fileEvents"]["lastError"]["class"] == "ThirdPartyConfigError"
    assert shown["auditEvents"]["state"] == "Idle"
    assert shown["auditEvents"]["lastError"] is None
    assert shown["auditEvents"]["cursorAgeSeconds"] is not None
    text = _c2c("status", "--state-dir", str(h.state_dir)).stdout
    assert "  fileEvents: Error" in text
    assert "  alerts: Idle" in text

    # The operator fixes the plan and restarts: file events are collected, with one Healthy record.
    h.emu.clear_faults()
    assert _c2c("restart", "incydr-test", "--state-dir", str(h.state_dir)).returncode == 0
    third = h.run()
    assert len(third.of("fileEvents")) >= 200
    healthy = [r for r in third.of("health") if r["status"] == "Healthy"]
    assert [(r["eventName"], r["details"]["dataType"]) for r in healthy] == [("ThirdPartyConfigError", "fileEvents")]
    assert h.state()["state"] != "Error"
