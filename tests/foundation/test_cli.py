"""The command itself: --version, demo, --follow with SIGTERM, a closed stdout."""

from __future__ import annotations

import json
import signal
import subprocess

from .conftest import c2c_command, c2c_env, read_state, source_doc, wait_for


def test_version(run_c2c):
    result = run_c2c(["--version"], ndjson=False)
    assert result.code == 0
    assert result.stdout.startswith("c2c ")


def test_demo_prints_parseable_records(run_c2c):
    result = run_c2c(["demo"])
    assert result.code == 0, result.stderr
    assert len(result.records) >= 100
    assert all(r["_source"] for r in result.records)
    assert {r["_dataType"] for r in result.records} >= {"realizeEvents"}


def _follow(conf, state_dir):
    return subprocess.Popen(c2c_command(["run", conf, "--follow"]), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=c2c_env(state_dir))


def test_follow_stops_on_sigterm_and_keeps_the_checkpoint(realize, write_config, run_c2c, state_dir):
    conf = write_config(source_doc(realize.base_url, pollInterval=10))
    proc = _follow(conf, state_dir)
    try:
        lines = [proc.stdout.readline() for _ in realize.ids]  # the first cycle
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert [json.loads(line)["id"] for line in lines + rest.splitlines()] == realize.ids
    assert read_state(state_dir)["cursors"]["realizeEvents"]["trackerToken"]
    assert run_c2c(["run", conf]).records == []  # the state was saved: nothing again


def test_sigterm_mid_cycle_leaves_the_page_in_flight_for_the_next_run(make_realize, write_config, run_c2c, state_dir):
    realize = make_realize(events=50)
    conf = write_config(source_doc(realize.base_url, pollInterval=10))
    gate = realize.hold(2)
    proc = _follow(conf, state_dir)
    try:
        first_page = [proc.stdout.readline() for _ in range(10)]
        wait_for(lambda: len(realize.tracker_requests()) == 2)
        proc.send_signal(signal.SIGTERM)  # while the second page is being fetched
        gate.set()
        rest, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    emitted = [json.loads(line)["id"] for line in first_page + rest.splitlines()]
    # Page 2 came after the signal: not written (a shipper that stops reading at shutdown would lose it),
    # not checkpointed; page 3 never asked for.
    assert emitted == realize.ids[:10]
    assert len(realize.tracker_requests()) == 2
    assert read_state(state_dir)["state"] == "Stopping"  # DESIGN §4: the cycle was cut short by a signal

    after = run_c2c(["run", conf])
    assert after.ids == realize.ids[10:]  # page 2 fetched again: no gap, no repeat
    assert read_state(state_dir)["state"] == "Collecting"


def test_closed_stdout_is_not_an_internal_error(realize, write_config, state_dir):
    for args in (["schema", "Druva Cyber Resilience"], ["run", write_config(source_doc(realize.base_url))]):
        proc = subprocess.Popen(c2c_command(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=c2c_env(state_dir))
        proc.stdout.close()  # the reader is gone before c2c writes anything
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 6, (args, err)
        assert "Traceback" not in err
        assert "internal error" not in err
        assert "Exception ignored" not in err
    state = read_state(state_dir)
    assert state.get("eventsEmitted", 0) == 0  # nothing was checkpointed past what was written
    assert not state.get("cursors", {}).get("realizeEvents")


def test_emulator_on_a_port_in_use_is_a_usage_error(run_c2c):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        r = run_c2c(["emulator", "--port", str(taken.getsockname()[1])], ndjson=False)
    assert r.code == 2, r.stderr
    assert "cannot listen on 127.0.0.1:" in r.stderr
    assert "internal error" not in r.stderr
