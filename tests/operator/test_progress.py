"""Progress on a terminal: `c2c run` with stderr on a pseudo-terminal shows, per source and data type, events,
pages and time waiting on a Retry-After; with stderr on a pipe (a shipper), or turned off, nothing."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from operator_helpers import REPO, SETTINGS, clean_env, write_json

from c2c import progress
from c2c.emulator.core import Emulator
from c2c.emulator.services import demo_configs, start_all

REALIZE_TRACKER = "/realize/eventmanagement/v1/events/tracker"


def _run_on_pty(args: list[Any], env: dict[str, str]) -> tuple[int, str, str]:
    """Run c2c with stderr on a pseudo-terminal (stdout on a pipe, as a user's `c2c run > file` would)."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "c2c", *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave, env=env, cwd=REPO)
    os.close(slave)
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    out, _ = proc.communicate(timeout=120)
    reader.join(10)
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode().replace("\r\n", "\n")


def _final_lines(terminal: str) -> dict[str, str]:
    """What the terminal finally shows for each 'source / data type': the text after the last redraw."""
    shown: dict[str, str] = {}
    for line in terminal.split("\n"):
        last = line.split("\r\x1b[K")[-1]
        m = re.match(r"c2c: (.+? / \w+): (.*)$", last)
        if m:
            shown[m.group(1)] = m.group(2)
    return shown


@pytest.fixture
def all_sources(tmp_path: Path, demo_docs: list[dict[str, Any]]) -> Path:
    return write_json(tmp_path / "all.json", {"api.version": "v1", "sources": [d["source"] for d in demo_docs]})


def test_a_terminal_shows_events_and_pages_per_source_and_data_type(tmp_path: Path, all_sources: Path) -> None:
    code, out, terminal = _run_on_pty(["run", all_sources, "--state-dir", tmp_path / "state"], clean_env())
    assert code == 0, terminal
    counts: dict[str, int] = {}
    for line in out.splitlines():
        rec = json.loads(line)
        key = f"{rec['_source']} / {rec['_dataType']}"
        counts[key] = counts.get(key, 0) + 1
    shown = _final_lines(terminal)
    assert set(shown) == set(counts)
    for key, n in counts.items():
        assert shown[key].startswith(f"{n} events, "), (key, shown[key])
    assert re.fullmatch(r"\d+ events, \d+ pages", shown["Druva Cyber Resilience (demo) / realizeEvents"])


def test_a_retry_after_wait_is_shown(tmp_path: Path) -> None:
    emu: Emulator
    emu, _ = start_all(SETTINGS)
    try:
        emu.inject(path=REALIZE_TRACKER, status=429, headers={"Retry-After": "1"}, body={"message": "slow down"},
                   skip=1)  # the second page waits once
        doc = demo_configs(emu.base_url, SETTINGS)[0]
        conf = write_json(tmp_path / "realize.json", doc)
        code, _, terminal = _run_on_pty(["run", conf, "--state-dir", tmp_path / "state"],
                                        clean_env(C2C_RETRY_TRIES="3"))
    finally:
        emu.stop()
    assert code == 0, terminal
    assert "; waiting 1.0s (Retry-After)" in terminal  # while it waits
    final = _final_lines(terminal)["Druva Cyber Resilience (demo) / realizeEvents"]
    assert re.fullmatch(rf"{SETTINGS.events} events, \d+ pages, waited 1.0s on Retry-After", final), final
    assert "WARNING" in terminal  # the retry's log line is still there, on its own line
    assert not re.search(r"pages?c2c WARNING", terminal)


def test_a_rate_budget_wait_is_shown(tmp_path: Path, demo_docs: list[dict[str, Any]]) -> None:
    doc = next(d for d in demo_docs if d["source"]["schemaRef"]["type"] == "Code42Incydr")
    doc["source"]["config"].update(dataCollection=["auditEvents"], requestsPerMinute=110, auditEventsPageSize=2)
    conf = write_json(tmp_path / "code42.json", doc)
    code, _, terminal = _run_on_pty(["run", conf, "--state-dir", tmp_path / "state"], clean_env())
    assert code == 0, terminal
    final = _final_lines(terminal)["Code42 Incydr (demo) / auditEvents"]
    assert re.fullmatch(r"\d+ events, \d+ pages, waited \d+\.\ds on rate budget", final), final


@pytest.mark.parametrize("off", [["--no-progress"], []])
def test_progress_can_be_turned_off(tmp_path: Path, all_sources: Path, off: list[str]) -> None:
    env = clean_env() if off else clean_env(C2C_PROGRESS="off")
    code, _, terminal = _run_on_pty(["run", all_sources, "--state-dir", tmp_path / "state", *off], env)
    assert code == 0
    assert "events," not in terminal
    assert "\x1b[K" not in terminal


def test_nothing_when_stderr_is_not_a_terminal(tmp_path: Path, all_sources: Path) -> None:
    """How a shipper runs it: stderr is a pipe."""
    proc = subprocess.run([sys.executable, "-m", "c2c", "run", str(all_sources), "--state-dir", str(tmp_path / "s")],
                          capture_output=True, text=True, env=clean_env(), cwd=REPO, timeout=120)
    assert proc.returncode == 0
    assert "events," not in proc.stderr
    assert "\x1b" not in proc.stderr


def test_json_logs_never_get_progress(tmp_path: Path, all_sources: Path) -> None:
    code, _, terminal = _run_on_pty(["run", all_sources, "--state-dir", tmp_path / "state", "--log-format", "json"],
                                    clean_env())
    assert code == 0
    assert "\x1b[K" not in terminal


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def reporter() -> progress.TerminalReporter:
    return progress.TerminalReporter(_Tty())


def test_a_rate_budget_wait_of_the_source_shows_on_its_current_line(reporter: progress.TerminalReporter) -> None:
    reporter.page("Code42", "fileEvents", 100)
    reporter.waiting("Code42", None, 0.5, "rate budget")
    reporter.page("Code42", "fileEvents", 100)
    reporter.page("Code42", "alerts", 3)
    reporter.close()
    assert isinstance(reporter.stream, io.StringIO)
    lines = [line.split("\r\x1b[K")[-1] for line in reporter.stream.getvalue().split("\n") if line]
    assert lines == ["c2c: Code42 / fileEvents: 200 events, 2 pages, waited 0.5s on rate budget",
                     "c2c: Code42 / alerts: 3 events, 1 page"]


def test_wanted_only_on_a_terminal_in_text_logs() -> None:
    assert progress.wanted(_Tty(), {})
    assert not progress.wanted(io.StringIO(), {})
    assert not progress.wanted(_Tty(), {"C2C_PROGRESS": "off"})
    assert not progress.wanted(_Tty(), {}, flag_off=True)
    assert not progress.wanted(_Tty(), {}, log_format="json")


def test_a_message_in_between_keeps_the_finished_total(reporter: progress.TerminalReporter) -> None:
    reporter.page("Druva", "realizeEvents", 30)
    reporter.clear()  # a message is written here (logs.say and every log line clear first)
    assert isinstance(reporter.stream, io.StringIO)
    reporter.stream.write("c2c: Druva inSync/insyncEvents: no saved state, starting fresh\n")
    reporter.page("Druva inSync", "insyncEvents", 5)
    reporter.close()
    shown = [line.split("\r\x1b[K")[-1] for line in reporter.stream.getvalue().split("\n")]
    screen = [line for line in shown if line]
    assert screen == ["c2c: Druva inSync/insyncEvents: no saved state, starting fresh",
                      "c2c: Druva / realizeEvents: 30 events, 1 page",
                      "c2c: Druva inSync / insyncEvents: 5 events, 1 page"]
