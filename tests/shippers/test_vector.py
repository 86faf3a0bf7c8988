"""c2c run exactly as Vector's exec source runs the shipped configs, against the emulator."""

from __future__ import annotations

import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from c2c.emulator.core import Fault
from c2c.sources.druva_cyber_resilience import PATH as TRACKER
from c2c.state import StateStore

from .conftest import SECRETS, SETTINGS, example_druva_source, write_sources
from .shipper_emu import CONF, ISO_MS_Z, VectorExec, VectorRun, load_yaml, localize

VECTOR = CONF / "vector"


def from_conf(name: str, sources: Path, state: Path, env: dict[str, str], extra: list[str] | None = None
              ) -> tuple[VectorExec, dict[str, Any]]:
    src = load_yaml(VECTOR / name)["sources"]["c2c"]
    argv = localize(src["command"], sources, state) + (extra or [])
    return VectorExec(argv, env=env, max_length=src["framing"]["newline_delimited"]["max_length"]), src


def route(event: dict[str, Any]) -> str:
    """The shipped route transform's conditions, in Python."""
    if event["stream"] == "stderr":
        return "logs"
    return "health" if event.get("_dataType") == "health" else "events"


def assert_vector_clean(run: VectorRun) -> None:
    assert run.decode_errors == [], "Vector would log these as decode errors and drop them"
    assert run.oversized == []
    for e in run.stream("stdout"):
        assert e["_source"]
        assert e["_dataType"]
        assert ISO_MS_Z.fullmatch(e["_time"]), e["_time"]
        datetime.fromisoformat(e["_time"])  # what the remap's parse_timestamp(format: "%+") reads
    for e in run.stream("stderr"):
        assert "_dataType" not in e  # a log line never looks like an event
        assert {"level", "message"} <= set(e)


def ids(run: VectorRun) -> list[int]:
    return [e["id"] for e in run.events if route(e) == "events"]


def test_scheduled_both_streams_decode_line_by_line(tmp_path: Path, emulator: Any, sources_file: Path,
                                                    env: dict[str, str]) -> None:
    vec, src = from_conf("vector-scheduled.yaml", sources_file, tmp_path / "state", {**env, "C2C_LOG_LEVEL": "DEBUG"})
    run = vec.scheduled(float(src["scheduled"]["exec_interval_secs"]))
    assert run.code == 0
    assert not run.timed_out
    assert_vector_clean(run)
    assert ids(run) == list(range(1, SETTINGS.events + 1))
    logs = run.stream("stderr")
    assert logs, "debug logs were expected on stderr"
    assert all(route(e) == "logs" for e in logs)
    for e in run.stream("stdout"):
        assert datetime.fromisoformat(e["_time"]).timestamp() == e["occurenceTime"]
    assert SECRETS["DRUVA_SECRET_KEY"] not in json.dumps(run.events)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FAILURES = {
    # name: (how to break it, expected exit code)
    "env var unset": 3,
    "bad usage": 2,
    "missing file": 3,
    "wrong secret": 4,
    "vendor down": 5,
    "state dir unusable": 6,
    "source locked": 0,
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_every_stderr_line_is_json_when_things_go_wrong(case: str, tmp_path: Path, emulator: Any,
                                                        sources_file: Path, env: dict[str, str]) -> None:
    state = tmp_path / "state"
    extra: list[str] = []
    if case == "env var unset":
        del env["DRUVA_SECRET_KEY"]
    elif case == "bad usage":
        extra = ["--max-seconds", "soon"]
    elif case == "missing file":
        sources_file = tmp_path / "nope.json"
    elif case == "wrong secret":
        env["DRUVA_SECRET_KEY"] = "wrong-secret"
    elif case == "vendor down":
        write_sources(sources_file, example_druva_source(f"http://127.0.0.1:{closed_port()}"))
    elif case == "state dir unusable":
        state.write_text("a file, not a directory")
    vec, _ = from_conf("vector-scheduled.yaml", sources_file, state, env, extra)
    if case == "source locked":
        with StateStore(state).open("Druva Cyber Resilience"):
            run = vec.scheduled(30)
    else:
        run = vec.scheduled(30)
    assert run.code == FAILURES[case], run.events
    assert_vector_clean(run)
    assert run.stream("stderr"), "the operator must be told"
    if case in ("wrong secret", "vendor down", "state dir unusable"):  # a state it cannot save: said on stdout
        (health,) = [e for e in run.events if route(e) == "health"]
        assert health["status"] == "UnHealthy"
    else:
        assert run.stream("stdout") == []
    assert "wrong-secret" not in json.dumps(run.events)
    assert SECRETS["DRUVA_SECRET_KEY"] not in json.dumps(run.events)


def state_files(state: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in state.glob("*.json")]


def test_scheduled_run_killed_at_the_interval_loses_nothing(tmp_path: Path, emulator: Any, sources_file: Path,
                                                            env: dict[str, str]) -> None:
    state = tmp_path / "state"
    vec, _ = from_conf("vector-scheduled.yaml", sources_file, state, env)
    # The second page hangs past the interval: Vector drops the run's future and SIGKILLs c2c.
    emulator.inject(Fault(path=TRACKER, delay=6.0, reset=True, skip=1, count=1))
    killed = vec.scheduled(4.0)
    assert killed.timed_out
    assert_vector_clean(killed)
    assert ids(killed) == list(range(1, 101))  # the first page was written and flushed before the kill
    (saved,) = state_files(state)  # whole, valid JSON: written by temp file + rename
    assert saved["cursors"]["realizeEvents"]["trackerToken"]
    emulator.clear_faults()
    rerun = vec.scheduled(30)
    assert rerun.code == 0
    assert_vector_clean(rerun)
    assert ids(rerun) == list(range(101, SETTINGS.events + 1))  # resumed at the checkpoint: no gap, no repeat


def test_streaming_sigterm_leaves_the_page_in_flight_for_the_next_run_and_exits_0(
        tmp_path: Path, emulator: Any, sources_file: Path, env: dict[str, str]) -> None:
    state = tmp_path / "state"
    vec, src = from_conf("vector-streaming.yaml", sources_file, state, env)
    assert src["mode"] == "streaming"
    emulator.inject(Fault(path=TRACKER, delay=1.0, skip=1, count=1))  # page 2 is slow...
    run = vec.streaming(lambda r: len(emulator.requests_to(TRACKER)) >= 2)  # ...and SIGTERM comes meanwhile
    assert run.code == 0
    assert_vector_clean(run)
    # Page 2 arrived after the signal: neither written nor checkpointed (a shipper that stops reading at
    # shutdown, as Fluent Bit does, would lose it), and nothing after it was started.
    assert ids(run) == list(range(1, 101))
    assert len(emulator.requests_to(TRACKER)) == 2
    assert any("SIGTERM" in e["message"] for e in run.stream("stderr"))
    scheduled, _ = from_conf("vector-scheduled.yaml", sources_file, state, env)
    rest = scheduled.scheduled(30)
    assert ids(rest) == list(range(101, SETTINGS.events + 1))  # the next run fetches it again: no gap, no repeat
