"""Issue #11, the state and status parts, run as an operator would: `python -m c2c` in a subprocess, real
files, the emulator. A broken state is seen on stdout and in `status`; no fresh start is silent; a renamed
source keeps its state; `status FILE` and `restart` need no secrets; `status --json` is one document."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .harness import Harness, subprocess_env, wrap


def c2c(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "c2c", *args], capture_output=True, text=True, timeout=60,
                          env=subprocess_env(env), check=False)


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


pytestmark = pytest.mark.reference_row


def test_a_state_that_cannot_be_saved_is_a_health_record_on_stdout_and_said_by_status(harness: Harness,
                                                                                     tmp_path: Path) -> None:
    blocker = tmp_path / "state-file"
    blocker.write_text("not a directory")
    r = c2c("run", str(harness.config_path), "--state-dir", str(blocker))
    assert r.returncode == 6, r.stderr
    [health] = records(r.stdout)
    assert (health["eventName"], health["status"], health["_dataType"]) == (
        "FirstPartyGenericError", "UnHealthy", "health")
    assert harness.data_requests() == 0
    status = c2c("status", "--state-dir", str(blocker))
    assert "cannot be written" in status.stderr
    assert "every run exits 6" in status.stderr


def test_status_tells_idle_collecting_error_and_stopped_apart(harness: Harness) -> None:
    state = ["--state-dir", str(harness.state_dir)]
    assert c2c("run", str(harness.config_path), *state).returncode == 0
    [row] = json.loads(c2c("status", "--json", *state).stdout)
    assert row["state"] == "Idle"
    assert [(d["name"], d["state"], d["stale"]) for d in row["dataTypes"]] == [("realizeEvents", "Idle", False)]

    from c2c.state import StateStore

    with StateStore(harness.state_dir).open(harness.name):  # another process is collecting it right now
        [row] = json.loads(c2c("status", "--json", *state).stdout)
    assert row["state"] == "Collecting"

    harness.fault("data", status=503, count=-1)
    assert c2c("run", str(harness.config_path), *state).returncode == 5
    [row] = json.loads(c2c("status", "--json", *state).stdout)
    assert (row["state"], row["lastError"]["class"]) == ("Error", "ThirdPartyGenericError")
    assert row["dataTypes"][0]["lastError"]["class"] == "ThirdPartyGenericError"

    harness.emu.clear_faults()
    harness.pass_backoff()
    proc = harness.spawn("--follow", stdout=subprocess.DEVNULL)
    try:  # the first cycle recovers; then the collector waits for its next poll
        deadline = time.monotonic() + 20
        while json.loads(c2c("status", "--json", *state).stdout)[0]["state"] != "Idle":
            assert time.monotonic() < deadline, "the --follow run did not recover"
            time.sleep(0.05)
    finally:
        proc.terminate()  # SIGTERM: the run records Stopping
        proc.communicate(timeout=20)
    [row] = json.loads(c2c("status", "--json", *state).stdout)
    assert row["state"] == "Stopped"


def test_a_cursor_that_does_not_move_for_several_polls_is_flagged(harness: Harness) -> None:
    state = ["--state-dir", str(harness.state_dir)]
    assert c2c("run", str(harness.config_path), *state).returncode == 0
    path = harness.state_file()
    data = json.loads(path.read_text())
    data["dataTypes"]["realizeEvents"]["cursorAt"] -= 3 * 300 + 60  # 3 poll intervals (300 s) and more ago
    path.write_text(json.dumps(data))
    [row] = json.loads(c2c("status", "--json", *state, str(harness.config_path)).stdout)
    assert row["dataTypes"][0]["stale"] is True
    assert "STALE" in c2c("status", *state).stdout


def test_no_silent_fresh_start_and_a_renamed_source_keeps_its_state(harness: Harness, tmp_path: Path) -> None:
    state_dir = tmp_path / "deep" / "new" / "state"
    first = c2c("run", str(harness.config_path), "--state-dir", str(state_dir))
    assert first.returncode == 0, first.stderr
    assert f"creating the state directory {state_dir}" in first.stderr
    assert "realizeEvents: no saved state, starting fresh: reading every event the vendor still keeps" in first.stderr
    delivered = len(records(first.stdout))

    again = c2c("run", str(harness.config_path), "--state-dir", str(state_dir))
    assert "starting fresh" not in again.stderr
    assert "creating the state directory" not in again.stderr

    # Renamed in the config: `c2c rename` gives the new name the old state, so nothing is read twice.
    renamed = tmp_path / "renamed.json"
    doc = json.loads(harness.config_path.read_text())
    doc["source"]["config"]["name"] = "Druva CR (renamed)"
    renamed.write_text(json.dumps(doc))
    moved = c2c("rename", harness.name, "Druva CR (renamed)", "--state-dir", str(state_dir))
    assert moved.returncode == 0, moved.stderr
    after = c2c("run", str(renamed), "--state-dir", str(state_dir))
    assert after.returncode == 0, after.stderr
    assert records(after.stdout) == []
    assert "starting fresh" not in after.stderr
    assert delivered == harness.expected().total()
    [row] = json.loads(c2c("status", "--json", "--state-dir", str(state_dir)).stdout)
    assert row["name"] == "Druva CR (renamed)"


def test_status_file_and_restart_need_no_secret_and_restart_names_the_known_ones(harness: Harness,
                                                                                 tmp_path: Path) -> None:
    state = ["--state-dir", str(harness.state_dir)]
    assert c2c("run", str(harness.config_path), *state).returncode == 0
    with_var = tmp_path / "with-var.json"
    config = json.loads(harness.config_path.read_text())["source"]["config"]
    with_var.write_text(json.dumps(wrap(harness.scenario.source_type,
                                        {**config, "secretKey": "${C2C_TEST_UNSET_SECRET}"})))
    status = c2c("status", "--json", *state, str(with_var))
    assert status.returncode == 0, status.stderr
    assert [r["name"] for r in json.loads(status.stdout)] == [harness.name]

    wrong = c2c("restart", harness.name.upper(), *state)
    assert wrong.returncode == 2
    assert f"did you mean {harness.name!r}" in wrong.stderr
    assert f"sources with state: {harness.name!r}" in wrong.stderr
    assert c2c("restart", harness.name, *state).returncode == 0


def test_status_json_is_one_document_even_when_empty(tmp_path: Path) -> None:
    r = c2c("status", "--json", "--state-dir", str(tmp_path / "none"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
