"""Shared fixtures for the foundation tests: an in-process emulator on port 0, a config writer, and
`run_c2c`, which runs the real command as a subprocess against it (stdin closed, state in tmp_path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from c2c.emulator.core import Emulator, Request, Response
from c2c.emulator.druva import RealizeService

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "plugin"

CLIENT_ID = "tests-client-id"
# Distinctive, so a leak into any output is unmistakable.
SECRET = "S3cr3t-Qz7wPx-never-print-me"
SOURCE_NAME = "Druva CR test"
TOKEN_PATH = "/token"
TRACKER_PATH = "/realize/eventmanagement/v1/events/tracker"


@dataclass
class Realize:
    """An emulator serving the Druva Realize API, with helpers for what the tests look at."""

    emu: Emulator
    svc: RealizeService
    # (request, status, body) of every tracker call the service answered itself (faults are not in it)
    answered: list[tuple[Request, int, Any]] = field(default_factory=list)
    # tracker call number (1-based) -> event it waits for before answering
    gates: dict[int, threading.Event] = field(default_factory=dict)
    # called with each tracker request before it is answered (to look at the state file mid-run)
    on_tracker: list[Callable[[Request], None]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.emu.base_url

    def token_requests(self) -> list[Request]:
        return self.emu.requests_to(TOKEN_PATH)

    def tracker_requests(self) -> list[Request]:
        return self.emu.requests_to(TRACKER_PATH)

    def reset_requests(self) -> None:
        with self.emu.lock:
            self.emu.requests.clear()
            self.answered.clear()

    def hold(self, call: int) -> threading.Event:
        """Make tracker call number `call` (counted from now) wait until the returned event is set."""
        gate = threading.Event()
        self.gates[len(self.tracker_requests()) + call] = gate
        return gate

    def release(self) -> None:
        for gate in self.gates.values():
            gate.set()

    @property
    def ids(self) -> list[int]:
        return [e["id"] for e in self.svc.store]

    @property
    def access_tokens(self) -> list[str]:
        return list(self.svc.issuer.tokens)


@pytest.fixture
def make_realize() -> Iterator[Callable[..., Realize]]:
    """Factory: `make_realize(events=25, page_size=10, last_page_token="empty", ...)` -> a started emulator."""
    started: list[Realize] = []

    def make(**kwargs: Any) -> Realize:
        emu = Emulator()
        options = {"seed": 7, "events": 25, "page_size": 10, **kwargs}
        svc = RealizeService(emu, CLIENT_ID, SECRET, **options)
        realize = Realize(emu, svc)

        def tracker(req: Request) -> Response:
            for hook in realize.on_tracker:
                hook(req)
            gate = realize.gates.get(len(realize.tracker_requests()))
            if gate is not None:
                gate.wait(20)
            response = svc.tracker(req)
            realize.answered.append((req, response.status, response.body))
            return response

        emu.route("GET", TRACKER_PATH, tracker)
        emu.start()
        started.append(realize)
        return realize

    yield make
    for realize in started:
        realize.release()
        realize.emu.stop()


@pytest.fixture
def realize(make_realize: Callable[..., Realize]) -> Realize:
    return make_realize()


def source_doc(base_url: str, **config: Any) -> dict[str, Any]:
    """A Druva Cyber Resilience source file; keyword arguments override config keys (None removes one)."""
    cfg: dict[str, Any] = {
        "name": SOURCE_NAME,
        "category": "druva/realize",
        "baseURL": base_url,
        "clientID": CLIENT_ID,
        "secretKey": SECRET,
    }
    for key, value in config.items():
        if value is None:
            cfg.pop(key, None)
        else:
            cfg[key] = value
    return {
        "api.version": "v1",
        "source": {"config": cfg, "schemaRef": {"type": "Druva Cyber Resilience"}, "sourceType": "Universal"},
    }


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """`write_config(doc_or_text, name="source.json")` writes a config file and returns its path."""
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()

    def write(doc: dict[str, Any] | str, name: str = "source.json") -> Path:
        path = conf_dir / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
        return path

    return write


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("_dataType") != "health"]

    @property
    def health(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("_dataType") == "health"]

    @property
    def ids(self) -> list[Any]:
        return [r["id"] for r in self.events]


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition with a bounded wait (the thing waited for happens in another process)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def c2c_env(state_dir: Path | None = None, env: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("C2C_", "XDG_STATE_HOME"))}
    base["PYTHONPATH"] = str(PLUGIN)
    base["C2C_RETRY_BASE_SECONDS"] = "0.01"  # in-run retries of transient failures: fast in tests
    if state_dir is not None:
        base["C2C_STATE_DIR"] = str(state_dir)
    base.update(env or {})
    return base


def c2c_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "c2c", *[str(a) for a in args]]


def parse_ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def run_c2c(state_dir: Path) -> Callable[..., Result]:
    """Run `python -m c2c ARGS` to completion; stdout must be NDJSON (checked), state goes to `state_dir`."""

    def run(args: list[Any], env: dict[str, str] | None = None, timeout: float = 30, ndjson: bool = True) -> Result:
        proc = subprocess.run(
            c2c_command(args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=c2c_env(state_dir, env),
            timeout=timeout,
            cwd=REPO,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        records = parse_ndjson(proc.stdout) if ndjson else []
        return Result(proc.returncode, proc.stdout, proc.stderr, records)

    return run


def read_state(state_dir: Path) -> dict[str, Any]:
    files = [p for p in state_dir.glob("*.json")]
    assert len(files) == 1, files
    data: dict[str, Any] = json.loads(files[0].read_text(encoding="utf-8"))
    return data
