"""A real Fluent Bit running the shipped conf/ files, and the HTTP server its `http` output delivers to.

The binary: `$FLUENT_BIT`, else `../shared/bin/fluent-bit` next to the repository (or next to the folder of
git worktrees holding it), else `fluent-bit` on PATH. Tests skip, saying where they looked, without one.

A shipped config is localized, never rewritten: the c2c command gets this interpreter, the test's source
config and state directory; file paths (parsers file, storage.path) move into the test's folder; each
`stdout` output becomes an `http` output to `Collector` with every other key kept (format json_lines),
plus the record tag in a header so the test sees where rewrite_tag sent each record.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from .shipper_emu import CONF, CONF_SOURCES, CONF_STATE, REPO, wait_for

FB_CONF = CONF / "fluent-bit"
TAG_HEADER = "X-Fluent-Tag"
SHIPPED_PARSERS = "/etc/fluent-bit/c2c-parsers.conf"
SHIPPED_STORAGE = "/var/lib/c2c/fluent-bit"


def fluent_bit_binary() -> tuple[Path | None, str]:
    """The binary to test with, or None and where it was looked for."""
    if os.environ.get("FLUENT_BIT"):
        path = Path(os.environ["FLUENT_BIT"])
        return (path if os.access(path, os.X_OK) else None), f"$FLUENT_BIT={path}"
    candidates = [REPO.parent / "shared/bin/fluent-bit", REPO.parent.parent / "shared/bin/fluent-bit"]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path, str(path)
    found = shutil.which("fluent-bit")
    looked = ", ".join(str(c) for c in candidates) + ", fluent-bit on PATH"
    return (Path(found) if found else None), looked


# ---- the output side: an HTTP server Fluent Bit's `http` output posts json_lines to ------------------------

@dataclass
class Delivered:
    tag: str
    date: float  # the record time Fluent Bit assigned (json_date_key date, double)
    record: dict[str, Any]


@dataclass
class Collector:
    """Accepts Fluent Bit `http` output posts; `accepting = False` answers 503 so Fluent Bit keeps the chunk."""

    accepting: bool = True
    records: list[Delivered] = field(default_factory=list)
    refused: list[Delivered] = field(default_factory=list)  # posts answered 503: not delivered
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def tagged(self, tag: str) -> list[dict[str, Any]]:
        with self.lock:
            return [d.record for d in self.records if d.tag == tag]

    def event_ids(self) -> list[Any]:
        return [r["id"] for r in self.tagged("c2c.events")]

    @contextmanager
    def serving(self) -> Iterator[Collector]:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                tag = self.headers.get(TAG_HEADER, "")
                got = []
                for line in body.splitlines():
                    if line.strip():
                        record = json.loads(line)
                        got.append(Delivered(tag, float(record.pop("date")), record))
                with collector.lock:
                    (collector.records if collector.accepting else collector.refused).extend(got)
                    status = 200 if collector.accepting else 503
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


# ---- localizing a shipped config ------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Local:
    """Where a localized config points: the test's files and ports."""

    sources: Path
    state: Path
    workdir: Path
    collector_port: int
    http_port: int = field(default_factory=free_port)  # Fluent Bit's own HTTP server, when the config has one

    @property
    def storage(self) -> Path:
        return self.state / "fluent-bit"


def localize_command(command: str, local: Local) -> str:
    out = []
    for arg in shlex.split(command):
        if arg == "c2c" and out in ([], ["exec"]):
            out += [sys.executable, "-m", "c2c"]
        else:
            out.append({CONF_SOURCES: str(local.sources), CONF_STATE: str(local.state)}.get(arg, arg))
    return shlex.join(out)


def http_output(local: Local) -> dict[str, Any]:
    return {"name": "http", "host": "127.0.0.1", "port": local.collector_port, "uri": "/",
            "header_tag": TAG_HEADER, "json_date_key": "date", "json_date_format": "double"}


def localize_yaml(doc: dict[str, Any], local: Local, interval: int | None) -> dict[str, Any]:
    service = doc.get("service", {})
    if "storage.path" in service:
        assert service["storage.path"] == SHIPPED_STORAGE
        service["storage.path"] = str(local.storage)
    if "http_port" in service:
        service["http_listen"] = "127.0.0.1"
        service["http_port"] = local.http_port
    for inp in doc.get("pipeline", {}).get("inputs", []):
        if inp["name"] == "exec":
            inp["command"] = localize_command(inp["command"], local)
            if interval is not None and "interval_sec" in inp:
                inp["interval_sec"] = interval
    outputs = doc.get("pipeline", {}).get("outputs", [])
    for i, out in enumerate(outputs):
        if out["name"] == "stdout":
            outputs[i] = {**{k: v for k, v in out.items() if k != "name"}, **http_output(local)}
    return doc


def localize_classic(text: str, local: Local, interval: int | None) -> str:
    lines = []
    for raw in text.splitlines():
        key, _, value = raw.strip().partition(" ")
        indent = raw[: len(raw) - len(raw.lstrip())]
        if key.lower() == "command":
            raw = f"{indent}Command       {localize_command(value.strip(), local)}"
        elif key.lower() == "parsers_file":
            assert value.strip() == SHIPPED_PARSERS
            raw = f"{indent}Parsers_File {FB_CONF / 'c2c-parsers.conf'}"
        elif key.lower() == "interval_sec" and interval is not None:
            raw = f"{indent}Interval_Sec  {interval}"
        elif key.lower() == "name" and value.strip() == "stdout":
            raw = "\n".join(f"{indent}{k} {v}" for k, v in http_output(local).items())
        lines.append(raw)
    return "\n".join(lines) + "\n"


def localize(conf: Path, local: Local, *, interval: int | None = 1) -> Path:
    """Write the localized copy of a shipped config (and of the files it includes) into local.workdir."""
    local.workdir.mkdir(parents=True, exist_ok=True)
    target = local.workdir / conf.name
    if conf.suffix == ".yaml":
        doc = yaml.safe_load(conf.read_text(encoding="utf-8"))
        for inc in doc.get("includes", []):
            included = yaml.safe_load((conf.parent / inc).read_text(encoding="utf-8"))
            (local.workdir / inc).write_text(yaml.safe_dump(localize_yaml(included, local, interval)),
                                             encoding="utf-8")
        target.write_text(yaml.safe_dump(localize_yaml(doc, local, interval), sort_keys=False), encoding="utf-8")
    else:
        target.write_text(localize_classic(conf.read_text(encoding="utf-8"), local, interval), encoding="utf-8")
    return target


# ---- running Fluent Bit ---------------------------------------------------------------------------------

class FluentBit:
    def __init__(self, binary: Path, config: Path, env: Mapping[str, str], log: Path) -> None:
        self.binary = binary
        self.config = config
        self.env = dict(env)
        self.log_path = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> FluentBit:
        log = self.log_path.open("ab")
        # Its own process group, so that the test can also reach the c2c child if Fluent Bit dies.
        self.proc = subprocess.Popen([str(self.binary), "-c", str(self.config)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.config.parent)
        log.close()
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        """Make sure nothing is left running (a test's finally)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> FluentBit:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


def wait_until(condition: Callable[[], bool], timeout: float, what: str, fb: FluentBit | None = None) -> None:
    try:
        wait_for(condition, timeout)
    except AssertionError:
        tail = fb.log()[-3000:] if fb is not None else ""
        raise AssertionError(f"{what}: not within {timeout}s\n--- Fluent Bit log (tail) ---\n{tail}") from None


def c2c_children(pattern: str) -> list[int]:
    """Pids of c2c processes whose command line contains `pattern` (the test's unique state directory)."""
    out = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if "-m c2c" in cmdline and pattern in cmdline:
            out.append(int(proc.name))
    return out


def kill_strays(pattern: str) -> None:
    for pid in c2c_children(pattern):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while c2c_children(pattern) and time.monotonic() < deadline:
        time.sleep(0.05)


def iso_ms(text: str) -> float:
    """`_time` (2024-01-31T12:34:56.789Z) as epoch seconds."""
    from datetime import datetime

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
