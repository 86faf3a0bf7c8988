"""What both shippers need from c2c: several sources per run, a run budget, a line limit, JSON-only stderr."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from c2c import cli, logs
from c2c.emulator.core import Fault
from c2c.output import MAX_LINE_BYTES, RecordMaker, fit
from c2c.sources.druva_cyber_resilience import PATH as TRACKER

from .conftest import SETTINGS, example_druva_source, write_sources
from .shipper_emu import ISO_MS_Z, VectorExec, VectorRun, c2c_env, wait_for


def c2c(*args: str) -> list[str]:
    return [sys.executable, "-m", "c2c", "--log-format", "json", *args]


def test_one_bad_source_does_not_stop_the_others(tmp_path: Path, emulator: Any, env: dict[str, str]) -> None:
    url = emulator.base_url
    bad = example_druva_source(url, "Druva bad secret")
    bad["config"]["secretKey"] = "${WRONG_SECRET}"
    first = write_sources(tmp_path / "a.json", example_druva_source(url, "Druva one"), bad)
    second = write_sources(tmp_path / "b.json", example_druva_source(url, "Druva two"))
    state = tmp_path / "state"
    vec = VectorExec(c2c("run", str(first), str(second), "--state-dir", str(state)),
                     env={**env, "WRONG_SECRET": "not-the-secret"}, max_length=MAX_LINE_BYTES)
    run = vec.scheduled(60)
    assert run.code == 4  # a source's credentials were rejected
    assert run.decode_errors == []
    by_source = Counter(e["_source"] for e in run.stream("stdout") if e["_dataType"] == "realizeEvents")
    assert by_source == {"Druva one": SETTINGS.events, "Druva two": SETTINGS.events}  # each with its own state
    (health,) = [e for e in run.stream("stdout") if e["_dataType"] == "health"]
    assert health["_source"] == "Druva bad secret"
    assert health["resourceIdentity"] == {"name": "Druva bad secret", "type": "Source"}
    assert health["eventName"] == "ThirdPartyConfigError"
    states = {d["name"]: d["state"] for d in map(json.loads, (p.read_text() for p in state.glob("*.json")))}
    assert states == {"Druva one": "Collecting", "Druva two": "Collecting", "Druva bad secret": "Error"}
    assert "not-the-secret" not in json.dumps(run.events)


def test_an_overlapping_run_skips_the_busy_source_and_exits_0(tmp_path: Path, emulator: Any,
                                                               sources_file: Path, env: dict[str, str]) -> None:
    """Neither shipper overlaps its own runs, but cron, a second shipper or an operator can."""
    emulator.inject(Fault(path=TRACKER, delay=1.5, skip=1, count=1))
    argv = c2c("run", str(sources_file), "--state-dir", str(tmp_path / "state"))
    first = VectorExec(argv, env=env, max_length=MAX_LINE_BYTES)
    out = VectorRun(code=None)
    proc, threads = first.start(out)
    try:
        wait_for(lambda: len(emulator.requests_to(TRACKER)) >= 2, 30)  # the first run is mid-collection
        second = VectorExec(argv, env=env, max_length=MAX_LINE_BYTES).scheduled(30)
        out.code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        first.close(proc, threads)
    assert second.code == 0
    assert second.stream("stdout") == []
    assert any("another c2c process" in e["message"] for e in second.stream("stderr"))
    assert out.code == 0
    assert [e["id"] for e in out.stream("stdout")] == list(range(1, SETTINGS.events + 1))


def test_max_seconds_ends_a_run_early_and_the_next_run_continues(tmp_path: Path, emulator: Any,
                                                                 sources_file: Path, env: dict[str, str]) -> None:
    emulator.realize.page_size = 10
    emulator.inject(Fault(path=TRACKER, delay=0.25, count=-1))
    state = tmp_path / "state"
    short = VectorExec(c2c("run", str(sources_file), "--state-dir", str(state)),
                       env={**env, "C2C_MAX_SECONDS": "0.6"}, max_length=MAX_LINE_BYTES).scheduled(30)
    assert short.code == 0
    got = [e["id"] for e in short.stream("stdout")]
    assert 10 <= len(got) < SETTINGS.events
    assert len(got) % 10 == 0  # whole pages only
    assert any("--max-seconds reached" in e["message"] for e in short.stream("stderr"))
    emulator.clear_faults()
    rest = VectorExec(c2c("run", str(sources_file), "--state-dir", str(state), "--max-seconds", "inf"),
                      env=env, max_length=MAX_LINE_BYTES).scheduled(30)  # no limit
    assert got + [e["id"] for e in rest.stream("stdout")] == list(range(1, SETTINGS.events + 1))


def test_the_budget_is_shared_so_no_source_starves(tmp_path: Path, emulator: Any, env: dict[str, str]) -> None:
    emulator.realize.page_size = 10
    emulator.inject(Fault(path=TRACKER, delay=0.2, count=-1))
    names = ["Druva a", "Druva b", "Druva c"]
    sources = write_sources(tmp_path / "s.json", *(example_druva_source(emulator.base_url, n) for n in names))
    run = VectorExec(c2c("run", str(sources), "--state-dir", str(tmp_path / "state"), "--max-seconds", "3"),
                     env=env, max_length=MAX_LINE_BYTES).scheduled(60)
    assert run.code == 0
    pages = Counter(e["_source"] for e in run.stream("stdout"))
    # Each source may start pages until its share (1/3, 2/3, 3/3 of the budget) is used up. Without sharing,
    # the first would take ~15 pages and the others one each.
    assert all(pages[n] >= 20 for n in names), pages
    assert max(pages.values()) <= 80, pages


def test_default_budget_only_without_follow(tmp_path: Path, sources_file: Path, monkeypatch: pytest.MonkeyPatch,
                                            env: dict[str, str]) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("C2C_MAX_SECONDS", raising=False)
    seen: list[float | None] = []
    monkeypatch.setattr(cli, "run_sources", lambda sources, store, follow, max_seconds: seen.append(max_seconds))
    state = str(tmp_path / "state")
    cli.main(["run", str(sources_file), "--state-dir", state])
    cli.main(["run", str(sources_file), "--state-dir", state, "--follow"])
    cli.main(["run", str(sources_file), "--state-dir", state, "--max-seconds", "inf"])
    cli.main(["run", str(sources_file), "--state-dir", state, "--max-seconds", "0"])  # one page, then stop
    monkeypatch.setenv("C2C_MAX_SECONDS", "50")
    cli.main(["run", str(sources_file), "--state-dir", state])
    monkeypatch.setenv("C2C_MAX_SECONDS", "inf")
    cli.main(["run", str(sources_file), "--state-dir", state])
    assert seen == [cli.DEFAULT_MAX_SECONDS, None, None, 0.0, 50.0, None]
    assert cli.main(["run", str(sources_file), "--state-dir", state, "--max-seconds", "-1"]) == cli.EXIT_USAGE
    assert cli.DEFAULT_MAX_SECONDS + 60 <= 300  # fits the shipped 300 s interval with a request timeout to spare


# ---- the line limit -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("limit", [4096, 65536])
def test_fit_cuts_the_biggest_fields_and_says_so(limit: int) -> None:
    maker = RecordMaker("src", "cat", {"env": "x"}, "alerts", max_line=limit)
    event = {"id": "a-1", "big": "é\"\n" * limit, "nested": {"k": ["v" * 100] * (limit // 50)}, "small": 5}
    line = maker.line(event, "2024-01-01T00:00:00.000Z")
    assert len(line.encode("utf-8")) <= limit
    assert line.endswith("\n")
    assert line.count("\n") == 1
    rec = json.loads(line)
    assert rec["small"] == 5
    assert rec["id"] == "a-1"
    assert rec["env"] == "x"
    assert (rec["_source"], rec["_dataType"], rec["_time"]) == ("src", "alerts", "2024-01-01T00:00:00.000Z")
    assert "big" in rec["_truncated"]
    assert rec["_truncated"]["big"] > limit
    assert str(event["big"]).startswith(rec["big"])  # a prefix, never altered text
    (notice,) = maker.take_notices()
    assert 'id "a-1" truncated' in notice
    assert maker.take_notices() == []


def test_an_event_of_many_small_fields_keeps_its_start() -> None:
    maker = RecordMaker("src", None, {}, "fileEvents", max_line=4096)
    event = {f"k{i}": i for i in range(5000)}
    rec = json.loads(maker.line(event, None))
    assert rec["_truncated"] == {"*": len(json.dumps(event, separators=(",", ":")))}
    assert rec["_raw"].startswith('{"k0":0,"k1":1')
    assert ISO_MS_Z.fullmatch(rec["_time"])


def test_fit_keeps_a_vendor_truncated_key() -> None:
    text, cut = fit({"_truncated": "vendor's", "blob": "x" * 10_000, "_source": "s"}, 5000)
    rec = json.loads(text)
    assert rec["_vendor_truncated"] == "vendor's"
    assert cut == {"blob": 10_002}


def test_lines_under_the_limit_are_untouched() -> None:
    maker = RecordMaker("src", None, {}, "alerts", max_line=4096)
    event = {"id": 1, "text": "x" * 3900}
    rec = json.loads(maker.line(event, None))
    assert rec["text"] == event["text"]
    assert "_truncated" not in rec
    assert maker.take_notices() == []


# ---- stderr is JSON, whatever goes wrong --------------------------------------------------------------------

@pytest.fixture
def restore_hooks(monkeypatch: pytest.MonkeyPatch) -> Any:
    """logs.setup(json) installs process-wide hooks; put pytest's back afterwards."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    logging.captureWarnings(False)
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    out = [json.loads(line) for line in text.splitlines()]
    assert all(isinstance(o, dict) and "_dataType" not in o for o in out)
    return out


def test_internal_error_message_is_json(restore_hooks: Any, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(args: Any) -> int:
        raise RuntimeError("unexpected")

    monkeypatch.setitem(cli.COMMANDS, "schema", boom)
    assert cli.main(["--log-format", "json", "schema"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr()
    assert err.out == ""
    (line,) = json_lines(err.err)
    assert "internal error" in line["message"]
    assert line["level"] == "error"


def test_argparse_errors_are_json_wherever_the_option_is(restore_hooks: Any,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "x.json", "--log-format", "json", "--nope"]) == cli.EXIT_USAGE
    assert cli.main(["--log-format=json", "frobnicate"]) == cli.EXIT_USAGE
    err = capsys.readouterr()
    assert err.out == ""
    assert len(json_lines(err.err)) == 2


def test_python_warnings_and_crashes_are_json(tmp_path: Path) -> None:
    script = (
        "import threading, warnings\n"
        "from c2c import logs\n"
        "logs.setup('INFO', 'json')\n"
        "warnings.warn('deprecated thing')\n"
        "t = threading.Thread(target=lambda: 1 / 0); t.start(); t.join()\n"
        "class Bad:\n"
        "    def __del__(self): raise ValueError('in __del__')\n"
        "Bad()\n"
        "raise RuntimeError('uncaught')\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=c2c_env(), capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    lines = json_lines(proc.stderr)
    text = " ".join(line["message"] for line in lines)
    for expected in ("deprecated thing", "ZeroDivisionError", "in __del__", "uncaught RuntimeError"):
        assert expected in text


def test_text_mode_is_unchanged(restore_hooks: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with warnings.catch_warnings():
        assert cli.main(["check", str(tmp_path / "missing.json")]) == cli.EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.startswith("c2c: config error: ")
    assert logs._format == "text"
