"""The state file: the states a cycle passes through, its permissions, atomic writes and the lock."""

from __future__ import annotations

import json
import re
import stat
import subprocess
from pathlib import Path

from c2c.emulator.core import Request, Response

from .conftest import SOURCE_NAME, TOKEN_PATH, c2c_command, c2c_env, read_state, source_doc


def _peek_state(state_dir: Path) -> str | None:
    files = list(state_dir.glob("*.json")) if state_dir.is_dir() else []
    return json.loads(files[0].read_text())["state"] if files else None


def test_states_are_persisted_as_the_cycle_passes(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url))
    seen: list[tuple[str, str | None]] = []
    token_handler = realize.emu.routes[("POST", TOKEN_PATH)]

    def token(req: Request) -> Response:
        seen.append(("token", _peek_state(state_dir)))
        return token_handler(req)

    realize.emu.route("POST", TOKEN_PATH, token)
    realize.on_tracker.append(lambda req: seen.append(("tracker", _peek_state(state_dir))))

    result = run_c2c(["--log-level", "debug", "run", conf])

    assert result.code == 0, result.stderr
    # Authenticating happens in Initialized; every data call happens in Collecting.
    assert seen == [("token", "Initialized")] + [("tracker", "Collecting")] * 3
    transitions = re.findall(rf"{SOURCE_NAME}: (\w+) -> (\w+)", result.stderr)
    assert transitions == [("Pending", "Started"), ("Started", "Initialized"),
                           ("Initialized", "Authenticated"), ("Authenticated", "Collecting")]
    state = read_state(state_dir)
    assert state["state"] == "Collecting"
    assert state["name"] == SOURCE_NAME
    assert state["cursors"]["realizeEvents"]["trackerToken"]

    # A later cycle starts again from Pending and ends in Collecting.
    again = run_c2c(["--log-level", "debug", "run", conf])
    assert re.findall(rf"{SOURCE_NAME}: (\w+) -> (\w+)", again.stderr)[0] == ("Collecting", "Pending")
    assert read_state(state_dir)["state"] == "Collecting"


def test_state_file_is_private_and_written_atomically(realize, write_config, run_c2c, tmp_path):
    state_dir = tmp_path / "deep" / "state"
    conf = write_config(source_doc(realize.base_url))

    # --state-dir wins over $C2C_STATE_DIR (the fixture's state dir stays empty).
    result = run_c2c(["run", conf, "--state-dir", state_dir])

    assert result.code == 0, result.stderr
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    files = sorted(p.name for p in state_dir.iterdir())
    assert [f for f in files if f.startswith(".tmp")] == []  # no temp file left behind
    assert len([f for f in files if f.endswith(".json")]) == 1
    for p in state_dir.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert not (tmp_path / "state").exists()


def test_state_dir_falls_back_to_xdg_state_home(realize, write_config, run_c2c, tmp_path):
    conf = write_config(source_doc(realize.base_url))
    xdg = tmp_path / "xdg"
    proc = subprocess.run(c2c_command(["run", conf]), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env={**c2c_env(), "XDG_STATE_HOME": str(xdg)}, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert len(list((xdg / "c2c").glob("*.json"))) == 1


def test_a_second_concurrent_run_skips_the_locked_source(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url))
    gate = realize.hold(2)  # the first run stops inside its second data call, holding the lock
    first = subprocess.Popen(c2c_command(["run", conf]), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=c2c_env(state_dir))
    try:
        first_lines = [first.stdout.readline() for _ in range(10)]  # page 1 written: it is mid-cycle

        second = run_c2c(["run", conf])

        assert second.code == 0, second.stderr
        assert second.records == []
        assert "another c2c process" in second.stderr
    finally:
        gate.set()
        rest, _ = first.communicate(timeout=20)
    assert first.returncode == 0
    ids = [json.loads(line)["id"] for line in first_lines + rest.splitlines()]
    assert ids == realize.ids
    assert len(realize.tracker_requests()) == 3  # the skipped run made no request


def test_status_reports_the_source(realize, write_config, run_c2c):
    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).code == 0
    status = run_c2c(["status", "--json"])
    assert status.code == 0
    [row] = json.loads(status.stdout)  # one JSON document
    assert row["name"] == SOURCE_NAME
    assert row["state"] == "Idle"  # its run ended well; it waits for the next
    assert row["eventsEmitted"] == 25
    assert row["lastError"] is None


def test_unusable_state_dir_is_exit_6_with_its_path(realize, write_config, run_c2c, tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    conf = write_config(source_doc(realize.base_url))
    result = run_c2c(["run", conf, "--state-dir", not_a_dir])
    assert result.code == 6
    assert str(not_a_dir) in result.stderr
    assert result.events == []
    assert realize.emu.requests == []  # nothing is fetched that could not be checkpointed


def test_restart_of_a_source_being_collected_is_a_usage_error_not_a_crash(realize, write_config, run_c2c,
                                                                         state_dir):
    from c2c.state import StateStore

    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).code == 0
    with StateStore(state_dir).open(SOURCE_NAME):  # another run holds the lock
        r = run_c2c(["restart", SOURCE_NAME], ndjson=False)
    assert r.code == 2, r.stderr
    assert "another c2c process" in r.stderr
    assert "Traceback" not in r.stderr
    assert run_c2c(["restart", SOURCE_NAME], ndjson=False).code == 0


def test_a_state_file_that_is_not_an_object_is_exit_6_not_a_crash(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).code == 0
    [path] = state_dir.glob("*.json")
    path.write_text("[]")
    r = run_c2c(["run", conf])
    assert r.code == 6, r.stderr
    assert str(path) in r.stderr
    assert "Traceback" not in r.stderr
    assert run_c2c(["status"], ndjson=False).code == 0


def test_a_state_file_of_an_older_c2c_loads_into_the_typed_record_and_keeps_its_cursor(realize, write_config,
                                                                                      run_c2c, state_dir):
    """An upgrade reads the state an older c2c wrote (no per-data-type records): the cursor is kept, so the
    first run after it emits only what is new."""
    from c2c.state import Phase, StateStore

    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).ids == realize.ids
    [path] = state_dir.glob("*.json")
    data = json.loads(path.read_text())
    old = {k: data[k] for k in ("name", "state", "stateSince", "configHash", "cursors", "cache", "eventsEmitted",
                                "lastSuccess")}
    path.write_text(json.dumps(old))
    record = StateStore(state_dir).load(SOURCE_NAME)
    assert record is not None
    assert record.state is Phase.COLLECTING
    assert record.data_types["realizeEvents"].cursor == data["cursors"]["realizeEvents"]
    realize.svc.add_events(2)
    again = run_c2c(["run", conf])
    assert again.code == 0, again.stderr
    assert len(again.ids) == 2
    assert "starting fresh" not in again.stderr


def test_the_record_round_trips_and_a_hand_edited_file_does_not_crash_it(state_dir):
    from c2c.state import LastError, Phase, SourceRecord, StateStore

    rec = SourceRecord(name="x", state=Phase.ERROR, error=LastError("ThirdPartyGenericError", "boom", 1.0, "a"),
                       failures=2, next_attempt=5.0)
    rec.data_type("a").cursor = {"k": [1, 2]}
    rec.data_type("a").state = Phase.ERROR
    assert SourceRecord.from_json(json.loads(json.dumps(rec.to_json())), "x") == rec
    state_dir.mkdir()
    path = StateStore(state_dir).path_for("x")
    path.write_text(json.dumps({"name": "x", "state": "Nonsense", "dataTypes": [], "cursors": {"a": 1},
                                "error": "not an object", "failures": None}))
    loaded = StateStore(state_dir).load("x")
    assert loaded is not None
    assert (loaded.state, loaded.error, loaded.failures, loaded.data_types["a"].cursor) == (Phase.PENDING, None, 0, 1)


def test_rename_refuses_a_name_that_already_has_state(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url))
    assert run_c2c(["run", conf]).code == 0
    other = write_config(source_doc(realize.base_url, name="other"), name="other.json")
    assert run_c2c(["run", other]).code == 0
    r = run_c2c(["rename", SOURCE_NAME, "other"], ndjson=False)
    assert r.code == 2
    assert "already has state" in r.stderr
    missing = run_c2c(["rename", "nope", "new"], ndjson=False)
    assert missing.code == 2
    assert "sources with state:" in missing.stderr
