"""How Fluent Bit's `exec` input and Vector's `exec` source run a command and read it, emulated.

Neither shipper is installed here; this follows /work/shared/reference/shippers.md:
- Fluent Bit (v5.1.x): `/bin/sh -c "<command>"` in its own process group, stdout piped, stderr and stdin
  inherited; stdout read with `fgets(buf, buf_size)` (a line longer than buf_size - 1 comes out in pieces,
  each of which the json parser rejects: the event is lost); runs never overlap; SIGTERM to the group.
- Vector (0.57): argv without a shell, stdout and stderr both read through the same newline framer
  (max_length) and JSON decoder; scheduled runs are SIGKILLed (direct child only) at the interval;
  streaming children get SIGTERM on shutdown.

Also: tiny readers for the shipped config files (a classic `.conf` section parser; YAML via PyYAML).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "conf"
# The paths and program name the shipped configs use; tests swap in their own.
CONF_SOURCES = "/etc/c2c/sources.json"
CONF_STATE = "/var/lib/c2c"


def c2c_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("C2C_")}
    env["PYTHONPATH"] = str(REPO / "plugin")
    env["C2C_RETRY_BASE_SECONDS"] = "0.01"  # keep the in-run retries of failure tests short
    env.update(extra or {})
    return env


def localize(argv: list[str], sources: Path, state: Path) -> list[str]:
    """The shipped command with this machine's interpreter, config and state directory."""
    out: list[str] = []
    for arg in argv:
        if arg == "c2c" and out in ([], ["exec"]):
            out += [sys.executable, "-m", "c2c"]
        elif arg == CONF_SOURCES:
            out.append(str(sources))
        elif arg == CONF_STATE:
            out.append(str(state))
        else:
            out.append(arg)
    return out


# ---- config file readers --------------------------------------------------------------------------------

def parse_classic(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Fluent Bit classic format: `[SECTION]` headers, indented `Key value` lines, `#` comment lines."""
    sections: list[tuple[str, dict[str, str]]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[([A-Z_]+)\]", line)
        if m:
            sections.append((m.group(1), {}))
            continue
        assert sections, f"{path}: key outside a section: {raw!r}"
        assert raw[:1].isspace(), f"{path}: keys are indented: {raw!r}"
        key, _, value = line.partition(" ")
        sections[-1][1][key.lower()] = value.strip()
    return sections


def section(sections: list[tuple[str, dict[str, str]]], kind: str, **match: str) -> dict[str, str]:
    found = [s for k, s in sections if k == kind and all(s.get(a, "").lower() == b for a, b in match.items())]
    assert len(found) == 1, f"expected one [{kind}] {match}, found {len(found)}"
    return found[0]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def size_value(text: str) -> int:
    """Fluent Bit size units: 64k, 2M, 1G (powers of 1024) or bytes."""
    m = re.fullmatch(r"(\d+)\s*([kKmMgG]?)[bB]?", str(text).strip())
    assert m, text
    return int(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]


def fluent_bit_on(value: Any) -> bool:
    return value is True or str(value).lower() in ("on", "true", "yes", "1")


# ---- Fluent Bit ---------------------------------------------------------------------------------------------

ISO_MS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def fluent_bit_time(text: Any) -> datetime | None:
    """Python's equivalent of the shipped parser's Time_Format %Y-%m-%dT%H:%M:%S.%L%z (None = parse error)."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


@dataclass
class FluentBitParser:
    """The json parser with Time_Key / Time_Keep, then the rewrite_tag rule."""

    time_key: str = "_time"
    time_keep: bool = True
    rule: str = r"$_dataType ^health$ c2c.health false"
    tag: str = "c2c.events"

    def rewrite(self, record: dict[str, Any]) -> str:
        key, regex, new_tag, _keep = self.rule.split()
        value = record.get(key.lstrip("$"))
        return new_tag if isinstance(value, str) and re.search(regex, value) else self.tag


@dataclass
class FluentBitRun:
    code: int
    records: list[tuple[str, datetime | None, dict[str, Any]]] = field(default_factory=list)  # tag, time, rec
    parse_errors: list[bytes] = field(default_factory=list)  # pieces the json parser rejected: lost
    time_errors: list[dict[str, Any]] = field(default_factory=list)  # kept, but with the wrong time
    longest_piece: int = 0
    stderr: str = ""

    def tagged(self, tag: str) -> list[dict[str, Any]]:
        return [r for t, _, r in self.records if t == tag]


class FluentBitExec:
    def __init__(self, command: str, *, buf_size: int, parser: FluentBitParser, env: Mapping[str, str],
                 stdin: int | None = None) -> None:
        self.command = command
        self.buf_size = buf_size
        self.parser = parser
        self.env = dict(env)
        self.stdin = stdin

    def start(self, stderr_path: Path) -> tuple[subprocess.Popen[bytes], Any]:
        err = stderr_path.open("wb")  # "inherited": Fluent Bit's own log, never parsed as records
        proc = subprocess.Popen(["/bin/sh", "-c", self.command], stdout=subprocess.PIPE, stderr=err,
                                stdin=self.stdin, env=self.env, process_group=0)
        return proc, err

    def read(self, proc: subprocess.Popen[bytes], out: FluentBitRun,
             until: Callable[[FluentBitRun], bool] | None = None) -> None:
        """`while (fgets(buf, buf_size, fp))`: readline(buf_size - 1) has exactly fgets' limits."""
        assert proc.stdout is not None
        while True:
            piece = proc.stdout.readline(self.buf_size - 1)
            if not piece:
                return
            out.longest_piece = max(out.longest_piece, len(piece))
            self._handle(piece.rstrip(b"\n"), out)
            if until is not None and until(out):
                return

    def _handle(self, line: bytes, out: FluentBitRun) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            out.parse_errors.append(line)
            return
        if not isinstance(record, dict):  # flb_parser_json: exactly one object per line
            out.parse_errors.append(line)
            return
        when = fluent_bit_time(record.get(self.parser.time_key))
        if when is None:
            out.time_errors.append(record)
        elif not self.parser.time_keep:
            record.pop(self.parser.time_key)
        out.records.append((self.parser.rewrite(record), when, record))

    def run(self, tmp: Path, timeout: float = 30) -> FluentBitRun:
        """One scheduled run, read to EOF and reaped (the next one starts only after it: no overlap)."""
        proc, err = self.start(tmp / "fluent-bit-child.stderr")
        out = FluentBitRun(code=-1)
        timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            self.read(proc, out)
            out.code = proc.wait()
        finally:
            timer.cancel()
            err.close()
            if proc.stdout is not None:
                proc.stdout.close()
        assert out.code != -signal.SIGKILL, f"run exceeded the test's {timeout}s bound"
        out.stderr = (tmp / "fluent-bit-child.stderr").read_text(encoding="utf-8", errors="replace")
        return out


# ---- Vector -------------------------------------------------------------------------------------------------

@dataclass
class VectorRun:
    code: int | None  # None: killed at the timeout (Vector reports "unknown" or the signal)
    timed_out: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    decode_errors: list[tuple[str, bytes]] = field(default_factory=list)  # (stream, frame)
    oversized: list[tuple[str, int]] = field(default_factory=list)  # frames over max_length: discarded

    def stream(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["stream"] == name]


class VectorExec:
    def __init__(self, argv: list[str], *, env: Mapping[str, str], max_length: int) -> None:
        self.argv = argv
        self.env = dict(env)
        self.max_length = max_length
        self.lock = threading.Lock()

    def _reader(self, name: str, pipe: Any, proc: subprocess.Popen[bytes], out: VectorRun) -> None:
        for frame in iter(pipe.readline, b""):
            frame = frame.rstrip(b"\n")
            if len(frame) > self.max_length:
                with self.lock:
                    out.oversized.append((name, len(frame)))
                continue
            if not frame:
                continue
            try:
                value = json.loads(frame.decode("utf-8", "replace"))  # decoding.json.lossy
            except ValueError:
                with self.lock:
                    out.decode_errors.append((name, frame))
                continue
            values = value if isinstance(value, list) else [value]  # a top-level array is several events
            with self.lock:
                for v in values:
                    if not isinstance(v, dict):
                        out.decode_errors.append((name, frame))
                        continue
                    out.events.append({**v, "stream": name, "pid": proc.pid, "command": self.argv,
                                       "host": "test-host", "source_type": "exec"})

    def start(self, out: VectorRun) -> tuple[subprocess.Popen[bytes], list[threading.Thread]]:
        proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=self.env)
        threads = [threading.Thread(target=self._reader, args=(name, pipe, proc, out), daemon=True)
                   for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr))]
        for t in threads:
            t.start()
        return proc, threads

    @staticmethod
    def close(proc: subprocess.Popen[bytes], threads: list[threading.Thread]) -> None:
        for t in threads:
            t.join(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    def scheduled(self, interval: float) -> VectorRun:
        """One scheduled run: `timeout(exec_interval_secs)`, then SIGKILL (kill_on_drop) to the child."""
        out = VectorRun(code=None)
        proc, threads = self.start(out)
        try:
            out.code = proc.wait(timeout=interval)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            out.timed_out = True
        self.close(proc, threads)
        return out

    def streaming(self, until: Callable[[VectorRun], bool], *, wait: float = 30) -> VectorRun:
        """A streaming child: read until `until(run)` holds, then SIGTERM it (Vector's shutdown)."""
        out = VectorRun(code=None)
        proc, threads = self.start(out)
        try:
            wait_for(lambda: until(out) or proc.poll() is not None, wait)
            assert proc.poll() is None, "the streaming child exited on its own"
            proc.send_signal(signal.SIGTERM)
            out.code = proc.wait(timeout=wait)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.close(proc, threads)
        return out


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.02)
