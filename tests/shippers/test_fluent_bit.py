"""c2c run exactly as Fluent Bit's exec input runs the shipped configs, against the emulator."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import SECRETS, SETTINGS
from .shipper_emu import (
    CONF,
    FluentBitExec,
    FluentBitParser,
    FluentBitRun,
    fluent_bit_on,
    load_yaml,
    localize,
    parse_classic,
    section,
    size_value,
)

FB = CONF / "fluent-bit"


def from_conf(path: Path, sources: Path, state: Path, env: dict[str, str], **kw: Any) -> FluentBitExec:
    """Build the emulated input from a shipped config: its command, buf_size, parser and rewrite rule."""
    if path.suffix == ".yaml":
        doc = load_yaml(path)
        (exec_in,) = doc["pipeline"]["inputs"]
        (parser_conf,) = doc["parsers"]
        rule = doc["pipeline"]["filters"][0]["rule"]
    else:
        sections = parse_classic(path)
        exec_in = section(sections, "INPUT", name="exec")
        rule = section(sections, "FILTER", name="rewrite_tag")["rule"]
        parser_conf = section(parse_classic(FB / "c2c-parsers.conf"), "PARSER", name=exec_in["parser"])
    parser = FluentBitParser(time_key=parser_conf["time_key"], time_keep=fluent_bit_on(parser_conf["time_keep"]),
                             rule=rule, tag=exec_in["tag"])
    command = shlex.join(localize(shlex.split(exec_in["command"]), sources, state))
    return FluentBitExec(command, buf_size=size_value(exec_in["buf_size"]), parser=parser, env=env, **kw)


def assert_clean(run: FluentBitRun, fb: FluentBitExec) -> None:
    assert run.parse_errors == [], "Fluent Bit would have dropped these pieces"
    assert run.time_errors == [], "Fluent Bit would have logged a time parse error and used the current time"
    assert run.longest_piece <= fb.buf_size - 1


def assert_complete_event(tag: str, when: Any, rec: dict[str, Any]) -> None:
    assert tag == "c2c.events"
    assert rec["_source"] == "Druva Cyber Resilience"
    assert rec["_sourceCategory"] == "druva-cyber-resilience"
    assert rec["_dataType"] == "realizeEvents"
    assert rec["environment"] == "production"  # the example's custom field
    assert "_time" in rec  # Time_Keep On
    assert when.timestamp() == rec["occurenceTime"]  # the record time is the event's own time


@pytest.mark.parametrize("conf", ["fluent-bit.conf", "fluent-bit.yaml"])
def test_scheduled_runs_deliver_every_event_once(conf: str, tmp_path: Path, emulator: Any,
                                                 sources_file: Path, env: dict[str, str]) -> None:
    read_end, write_end = os.pipe()  # an inherited stdin that never delivers anything: c2c must not read it
    try:
        fb = from_conf(FB / conf, sources_file, tmp_path / "state", env, stdin=read_end)
        if conf.endswith(".yaml"):
            fb.command += " 0<&-"  # and with stdin closed altogether
        first = fb.run(tmp_path)
        emulator.realize.add_events(30)
        second = fb.run(tmp_path)  # back to back, as Fluent Bit does when a run outlasts the interval
        third = fb.run(tmp_path)
    finally:
        os.close(read_end)
        os.close(write_end)
    for run in (first, second, third):
        assert run.code == 0, run.stderr
        assert_clean(run, fb)
        for tag, when, rec in run.records:
            assert_complete_event(tag, when, rec)
    assert [r["id"] for r in first.tagged("c2c.events")] == list(range(1, SETTINGS.events + 1))
    assert [r["id"] for r in second.tagged("c2c.events")] == list(range(SETTINGS.events + 1, SETTINGS.events + 31))
    assert third.records == []
    stderr = first.stderr + second.stderr + third.stderr
    assert SECRETS["DRUVA_SECRET_KEY"] not in stderr


def test_health_records_are_retagged_and_recovery_follows(tmp_path: Path, emulator: Any, sources_file: Path,
                                                         env: dict[str, str]) -> None:
    bad = from_conf(FB / "fluent-bit.conf", sources_file, tmp_path / "state",
                    {**env, "DRUVA_SECRET_KEY": "wrong-secret"})
    failed = bad.run(tmp_path)
    assert failed.code == 4
    assert_clean(failed, bad)
    (health,) = failed.tagged("c2c.health")
    assert failed.tagged("c2c.events") == []
    assert health["_dataType"] == "health"
    assert health["_source"] == "Druva Cyber Resilience"
    assert (health["eventName"], health["status"]) == ("ThirdPartyConfigError", "UnHealthy")
    assert "wrong-secret" not in str(failed.records) + failed.stderr

    good = from_conf(FB / "fluent-bit.conf", sources_file, tmp_path / "state", env)
    fixed = good.run(tmp_path)  # a new secret is a new config: c2c tries again
    assert fixed.code == 0
    assert_clean(fixed, good)
    assert len(fixed.tagged("c2c.events")) == SETTINGS.events
    (recovered,) = fixed.tagged("c2c.health")
    assert recovered["status"] == "Healthy"


def big_event(emulator: Any, size: int) -> int:
    (event,) = emulator.realize.add_events(1)
    event["details"]["attachment"] = "A" * size
    return int(event["id"])


def test_oversized_event_fits_the_shipped_buf_size(tmp_path: Path, emulator: Any, sources_file: Path,
                                                   env: dict[str, str]) -> None:
    big_id = big_event(emulator, 3 * 1024 * 1024)
    emulator.realize.add_events(5)
    fb = from_conf(FB / "fluent-bit.conf", sources_file, tmp_path / "state", env)
    run = fb.run(tmp_path)
    assert run.code == 0
    assert_clean(run, fb)
    events = {r["id"]: r for r in run.tagged("c2c.events")}
    assert sorted(events) == list(range(1, SETTINGS.events + 7))  # nothing lost, before or after it
    cut = events[big_id]
    assert set(cut["_truncated"]) == {"details"}
    assert cut["_truncated"]["details"] > 3 * 1024 * 1024
    assert cut["type"]
    assert cut["occurenceTime"]
    assert all("_truncated" not in r for i, r in events.items() if i != big_id)
    (warning,) = run.tagged("c2c.health")
    assert warning["eventName"] == "OversizedEventTruncated"
    assert warning["severityLevel"] == "Warning"
    assert f"id {big_id} " in warning["details"]["description"]
    assert f"id {big_id} " in run.stderr  # and in Fluent Bit's own log


def test_line_limit_override_matches_buf_size_to_the_byte(tmp_path: Path, emulator: Any, sources_file: Path,
                                                          env: dict[str, str]) -> None:
    """C2C_MAX_LINE_BYTES=N is the whole line, newline included: buf_size N+1 reads it in one fgets."""
    big_id = big_event(emulator, 50_000)
    fb = from_conf(FB / "fluent-bit.conf", sources_file, tmp_path / "state", {**env, "C2C_MAX_LINE_BYTES": "4096"})
    fb.buf_size = 4096 + 1
    run = fb.run(tmp_path)
    assert run.code == 0
    assert_clean(run, fb)
    assert 4096 - 64 <= run.longest_piece <= 4096  # cut to fit, and not much more than needed
    assert len(run.tagged("c2c.events")) == SETTINGS.events + 1
    assert any(f"id {big_id} " in h["details"]["description"] for h in run.tagged("c2c.health"))


def test_harness_sees_what_fluent_bit_would_lose(tmp_path: Path) -> None:
    """The emulation is strict enough to fail: a line over buf_size - 1 comes out in unparseable pieces."""
    fb = FluentBitExec("printf '%s\\n' '{\"a\":\"" + "x" * 100 + "\"}' '{\"b\":1}'", buf_size=32,
                       parser=FluentBitParser(), env={"PATH": os.environ["PATH"]})
    run = fb.run(tmp_path)
    assert len(run.parse_errors) == 4
    assert len(run.records) == 1
    assert run.time_errors == [{"b": 1}]


def test_oneshot_follow_streams_then_stops_cleanly_on_sigterm(tmp_path: Path, emulator: Any, sources_file: Path,
                                                              env: dict[str, str]) -> None:
    # c2c's side of a shutdown. The emulation reads on after the SIGTERM; the real Fluent Bit 5.1.1 has
    # stopped reading by then (test_real_fluent_bit.py: test_sigterm_mid_page_loses_nothing_across_the_restart).
    fb = from_conf(FB / "fluent-bit-oneshot.conf", sources_file, tmp_path / "state", env)
    assert "--follow" in fb.command
    proc, err = fb.start(tmp_path / "oneshot.stderr")
    run = FluentBitRun(code=-1)
    try:
        fb.read(proc, run, until=lambda r: len(r.records) >= SETTINGS.events)
        assert proc.poll() is None  # still running: it polls again after pollInterval
        os.killpg(proc.pid, signal.SIGTERM)  # Fluent Bit's shutdown: SIGTERM to the process group
        fb.read(proc, run)
        run.code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        err.close()
        assert proc.stdout is not None
        proc.stdout.close()
    assert run.code == 0  # what exit_after_oneshot + propagate_exit_code would pass on
    assert_clean(run, fb)
    assert [r["id"] for r in run.tagged("c2c.events")] == list(range(1, SETTINGS.events + 1))
    again = from_conf(FB / "fluent-bit.conf", sources_file, tmp_path / "state", env).run(tmp_path)
    assert again.code == 0
    assert again.records == []


def test_stdout_is_only_ndjson_even_in_debug(tmp_path: Path, emulator: Any, sources_file: Path,
                                             env: dict[str, str]) -> None:
    fb = from_conf(FB / "fluent-bit.conf", sources_file, tmp_path / "state", {**env, "C2C_LOG_LEVEL": "DEBUG"})
    run = fb.run(tmp_path)
    assert run.code == 0
    assert_clean(run, fb)
    assert "DEBUG" in run.stderr  # the logs went to stderr (Fluent Bit's own log)
    assert len(run.records) == SETTINGS.events
    raw = subprocess.run(["/bin/sh", "-c", fb.command], env=fb.env, capture_output=True, timeout=30)
    assert raw.stdout == b""  # caught up: nothing at all, not even a blank line
